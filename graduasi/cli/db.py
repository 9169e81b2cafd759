"""``graduasi db``: schema migrations (and, with the operations work, backup and restore)."""

from __future__ import annotations

import click

from graduasi.cli.common import load_settings
from warehouse.db import make_engine
from warehouse.migrate import current_revision, head_revision, upgrade
from warehouse.regions import load_wilayah


@click.group()
def db() -> None:
    """The warehouse database (GRADUASI_DATABASE_URL)."""


@db.command("upgrade")
def upgrade_cmd() -> None:
    """Create or migrate the schema to the newest version, and load the region list."""
    settings = load_settings()
    engine = make_engine(settings.database_url)
    before = current_revision(engine)
    upgrade(engine)
    regions = load_wilayah(engine)
    after = current_revision(engine)
    url = engine.url.render_as_string(hide_password=True)
    if before == after:
        click.echo(f"{url}: schema already at {after}; {regions} regions")
    else:
        click.echo(
            f"{url}: schema {before or 'empty'} -> {after} (newest {head_revision()}); {regions} regions"
        )
