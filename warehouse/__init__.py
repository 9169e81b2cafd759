"""The warehouse: engine and sessions, models, migrations, loaders, the KPM registry and the graduation engine.

May import forms/ only (DESIGN.md §3).
"""
