"""``graduasi db``: schema migrations, and verified backup and restore of the warehouse."""

from __future__ import annotations

from pathlib import Path

import click

from graduasi.cli.common import load_settings
from warehouse.backup import BackupError, backup, manifest_path, restore, verify_file
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


@db.command("backup")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def backup_cmd(file: Path) -> None:
    """Copy the warehouse to FILE (SQLite online backup, or pg_dump), with a manifest of row counts and hashes.

    The admin and the sync may keep running. FILE.manifest.json is written beside FILE; keep both together.
    """
    settings = load_settings()
    engine = make_engine(settings.database_url)
    try:
        manifest = backup(engine, file)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        engine.dispose()
    click.echo(
        f"backup written: {file} ({manifest.file_bytes:,} bytes, {len(manifest.tables)} tables, "
        f"{manifest.total_rows:,} rows)\nmanifest: {manifest_path(file)}"
    )


@db.command("verify")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def verify_cmd(file: Path) -> None:
    """Check that FILE is whole (size and SHA-256 against its manifest) without restoring it."""
    try:
        manifest = verify_file(file)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(
        f"{file}: intact ({manifest.backend} backup of {manifest.created_at}, {len(manifest.tables)} tables, "
        f"{manifest.total_rows:,} rows)"
    )


@db.command("restore")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--replace", is_flag=True, help="Overwrite a database that already holds tables.")
def restore_cmd(file: Path, replace: bool) -> None:
    """Restore FILE (made by 'graduasi db backup') into GRADUASI_DATABASE_URL, then verify every table.

    Stop the admin and the sync first. A damaged or truncated backup is refused before anything is changed;
    a restore whose tables do not match the manifest exits with an error.
    """
    settings = load_settings()
    engine = make_engine(settings.database_url)
    try:
        manifest = restore(engine, file, replace=replace)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        engine.dispose()
    click.echo(
        f"restored {file}: {len(manifest.tables)} tables, {manifest.total_rows:,} rows, counts and hashes verified"
    )
