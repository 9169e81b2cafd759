"""graduasi: the composition root (settings and the `graduasi` command line).

The packages forms/, warehouse/, sync/, simulators/ and webadmin/ never import this one; the CLI builds what
they need (engines, clients, paths) from :class:`graduasi.settings.Settings` and passes it in.
"""
