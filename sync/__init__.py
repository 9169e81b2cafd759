"""Everything that talks to ODK Central or KoboToolbox: pull, push, publish, app users.

May import warehouse/ and forms/ (DESIGN.md §3).
"""
