"""The ``graduasi`` command line: one click group, one sub-module per command group.

Each sub-module only parses options, builds what the library functions need from the settings, calls them and
formats the result; the work itself lives in forms/, warehouse/, sync/, simulators/ and webadmin/.
"""

from __future__ import annotations

import importlib
import logging

import click

from graduasi.cli.common import configure_logging

# (module, attribute) of every command or group; a module appears here once it exists.
_COMMANDS: list[tuple[str, str]] = [
    ("graduasi.cli.forms", "forms"),
    ("graduasi.cli.sync", "sync"),
    ("graduasi.cli.db", "db"),
    ("graduasi.cli.importing", "import_"),
    ("graduasi.cli.graduation", "graduation"),
    ("graduasi.cli.admin", "admin"),
    ("graduasi.cli.simulator", "simulator"),
    ("graduasi.cli.demo", "demo"),
]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="graduasi")
@click.option("-v", "--verbose", is_flag=True, help="Log more detail (DEBUG).")
def main(verbose: bool) -> None:
    """graduasi: ODK/Kobo forms -> sync -> warehouse -> graduation -> admin, for Jamsosratu (Banten)."""
    configure_logging(logging.DEBUG if verbose else logging.INFO)


def _register() -> None:
    for module_name, attr in _COMMANDS:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name == module_name:
                continue  # that command group is not built yet
            raise
        main.add_command(getattr(module, attr))


_register()
