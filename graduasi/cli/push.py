"""``graduasi sync push``: the KPM roster from the warehouse to the phones (Central's ``kpm`` Entity List).

The command is defined here; ``graduasi/cli/sync.py`` registers it in the ``sync`` group. It also holds the
helpers the publishing commands share: a Central connection from the settings and today's date in the
program's time zone.
"""

from __future__ import annotations

import logging
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import click
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from graduasi.cli.common import load_settings
from graduasi.settings import Settings
from sync.central_api import CentralApi, central_api
from sync.errors import ConfigurationError, SyncError
from sync.push import push_roster, roster_csv
from warehouse.db import make_engine
from warehouse.migrate import upgrade

log = logging.getLogger(__name__)

#: how many ids a report line lists before "and N more"
SHOWN = 20


def central_from_settings(settings: Settings) -> CentralApi:
    """A Central connection from ``GRADUASI_CENTRAL_*``; a missing setting is a click error naming it."""
    password = settings.central_password.get_secret_value() if settings.central_password else None
    try:
        return central_api(settings.central_url, settings.central_email, password, settings.central_project)
    except ConfigurationError as exc:
        raise click.ClickException(str(exc)) from exc


def today(settings: Settings) -> date:
    """Today's date in ``GRADUASI_TIMEZONE`` (the push date and the date printed on QR sheets)."""
    return datetime.now(ZoneInfo(settings.timezone)).date()


def warehouse_engine(settings: Settings) -> Engine:
    """The warehouse engine, schema brought up to date (as the import commands do)."""
    engine = make_engine(settings.database_url)
    try:
        upgrade(engine)
    except SQLAlchemyError as exc:
        raise click.ClickException(
            f"cannot open the warehouse at GRADUASI_DATABASE_URL ({type(exc).__name__}): {exc}"
        ) from exc
    return engine


def _listed(items: list[str]) -> str:
    shown = ", ".join(items[:SHOWN])
    return shown + (f" and {len(items) - SHOWN} more" if len(items) > SHOWN else "")


@click.command("push")
@click.option(
    "--as-of",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Date the members' ages are computed on (default: today in GRADUASI_TIMEZONE).",
)
@click.option("--dry-run", is_flag=True, help="Only report what would be created or updated.")
@click.option(
    "--mark-inactive",
    is_flag=True,
    help="Label entities of KPM no longer active '[NONAKTIF]' with their status (nothing is ever deleted).",
)
@click.option(
    "--restore-deleted", is_flag=True, help="Restore entities of active KPM deleted by hand on Central."
)
@click.option("--chunk-size", type=click.IntRange(1, 50_000), default=5000, show_default=True,
              help="Entities per bulk create request.")  # fmt: skip
@click.option("--page-size", type=click.IntRange(1, 100_000), default=5000, show_default=True,
              help="Entities read per page from Central.")  # fmt: skip
@click.option(
    "--kobo-csv",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write the roster as kpm.csv for the KoboToolbox forms to this file instead of pushing to Central.",
)
@click.option("--no-progress", is_flag=True, help="No progress bar or progress log lines.")
def push(
    as_of: datetime | None,
    dry_run: bool,
    mark_inactive: bool,
    restore_deleted: bool,
    chunk_size: int,
    page_size: int,
    kobo_csv: Path | None,
    no_progress: bool,
) -> None:
    """Send the KPM roster (official list, status aktif) to Central's 'kpm' Entity List: roster and status
    properties only, never NIK or KK numbers, and only what changed."""
    settings = load_settings()
    day = as_of.date() if as_of else today(settings)
    engine = warehouse_engine(settings)
    try:
        if kobo_csv is not None:
            kobo_csv.parent.mkdir(parents=True, exist_ok=True)
            kobo_csv.write_bytes(roster_csv(engine, as_of=day))
            click.echo(f"roster as of {day.isoformat()} written to {kobo_csv}")
            return
        api = central_from_settings(settings)
        try:
            with api:
                report = push_roster(
                    api, engine, as_of=day, page_size=page_size, chunk_size=chunk_size,
                    mark_inactive=mark_inactive, restore_deleted=restore_deleted, dry_run=dry_run,
                    progress=not no_progress,
                )  # fmt: skip
        except SyncError as exc:
            raise click.ClickException(str(exc)) from exc
    finally:
        engine.dispose()
    prefix = "dry run: " if dry_run else ""
    click.echo(f"{prefix}push as of {day.isoformat()}: {report.summary()} ({report.seconds:.1f} s)")
    if report.list_created:
        click.echo(f"  the Entity List {report.dataset} {'would be' if dry_run else 'was'} created")
    if report.properties_added:
        click.echo(f"  properties added: {', '.join(report.properties_added)}")
    if report.kept_phone_values:
        click.echo(
            f"  {report.kept_phone_values} values written by the phones kept (not yet in the warehouse)"
        )
    if report.inactive:
        hint = "" if mark_inactive else " (run with --mark-inactive to label them on the phones)"
        click.echo(f"  no longer active, left on Central{hint}: {_listed(report.inactive)}")
    if report.unknown:
        click.echo(f"  entities that match no KPM of the warehouse, left alone: {_listed(report.unknown)}")
    if report.deleted_on_central:
        hint = "" if restore_deleted else " (run with --restore-deleted to bring them back)"
        click.echo(
            f"  active KPM whose entity was deleted on Central{hint}: {_listed(report.deleted_on_central)}"
        )
