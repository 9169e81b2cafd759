"""``graduasi sync``: pull submissions from ODK Central into the warehouse, and report how it went."""

from __future__ import annotations

import logging
import re
import sys
import time
from datetime import UTC, datetime

import click
from sqlalchemy import Engine, select

from forms.catalog import FORM_IDS
from graduasi.cli.common import load_settings
from graduasi.settings import FormRef, Settings
from sync.central import CentralClient
from sync.errors import ConfigurationError
from sync.runner import FormRunResult, sync_central_form
from warehouse.db import make_engine
from warehouse.domain import apply_changes
from warehouse.migrate import upgrade
from warehouse.models import SyncRun, SyncState
from warehouse.regions import load_wilayah

log = logging.getLogger(__name__)


def central_client(settings: Settings) -> CentralClient:
    """A Central client from the settings, or a clear error naming the missing setting."""
    missing = [
        name
        for name, value in (
            ("GRADUASI_CENTRAL_URL", settings.central_url),
            ("GRADUASI_CENTRAL_EMAIL", settings.central_email),
            ("GRADUASI_CENTRAL_PASSWORD", settings.central_password),
            ("GRADUASI_CENTRAL_PROJECT", settings.central_project),
        )
        if not value
    ]
    if missing:
        raise ConfigurationError("set " + ", ".join(missing) + " to sync from ODK Central")
    assert settings.central_url and settings.central_email and settings.central_password
    assert settings.central_project is not None
    return CentralClient(
        settings.central_url,
        settings.central_email,
        settings.central_password.get_secret_value(),
        settings.central_project,
    )


def run_once(
    settings: Settings, engine: Engine, *, page_size: int | None = None, show_progress: bool = True
) -> list[FormRunResult]:
    """One pass over every configured form, then carry the changes into the domain tables."""
    refs: list[FormRef] = settings.form_refs(list(FORM_IDS))
    results: list[FormRunResult] = []
    central_refs = [r for r in refs if r.source == "central"]
    other = [r for r in refs if r.source != "central"]
    for ref in other:
        results.append(
            FormRunResult(
                ref.source,
                ref.form_id,
                "failed",
                error_class="ConfigurationError",
                error=f"{ref}: syncing from {ref.source} is not available in this version",
            )
        )
    if central_refs:
        try:
            client = central_client(settings)
        except ConfigurationError as exc:
            return results + [
                FormRunResult(r.source, r.form_id, "failed", error_class=exc.error_class, error=str(exc))
                for r in central_refs
            ]
        with client:
            for ref in central_refs:
                kwargs = {"page_size": page_size} if page_size else {}
                results.append(
                    sync_central_form(engine, client, ref.form_id, show_progress=show_progress, **kwargs)
                )
    apply_changes(engine)
    return results


def _report(results: list[FormRunResult]) -> None:
    for r in results:
        rate = f", {r.fetched / r.seconds:,.0f}/s" if r.seconds > 0 and r.fetched else ""
        line = (
            f"{r.source}:{r.form_id}: {r.status} — fetched {r.fetched}, inserted {r.inserted}, "
            f"updated {r.updated}, unchanged {r.unchanged}, quarantined {r.quarantined}; "
            f"{r.requests} requests, {r.seconds:.1f} s{rate}"
        )
        if r.error:
            line += f"\n    {r.error_class}: {r.error}"
        click.echo(line)


@click.group()
def sync() -> None:
    """Pull submissions from ODK Central (GRADUASI_CENTRAL_*) into the warehouse (GRADUASI_DATABASE_URL)."""


@sync.command("run")
@click.option("--page-size", type=click.IntRange(1, 100_000), default=None, help="Submissions per request.")
def run_cmd(page_size: int | None) -> None:
    """One pass over all configured forms (GRADUASI_FORMS; default every form in forms/ on Central)."""
    settings = load_settings()
    engine = make_engine(settings.database_url)
    upgrade(engine)
    load_wilayah(engine)
    results = run_once(settings, engine, page_size=page_size)
    _report(results)
    if not all(r.ok for r in results):
        sys.exit(1)


_DURATION = re.compile(r"^\s*(\d+)\s*([smh]?)\s*$")


def parse_duration(text: str) -> float:
    """Seconds in ``90``, ``90s``, ``15m`` or ``1h``."""
    m = _DURATION.match(text)
    if not m:
        raise click.BadParameter(f"{text!r} is not a duration like 30s, 15m or 1h")
    return int(m.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600}[m.group(2)]


@sync.command("loop")
@click.option("--every", "every", default="15m", show_default=True, help="Time between the starts of runs.")
def loop_cmd(every: str) -> None:
    """Run a sync pass again and again (for hosts without cron or systemd timers); Ctrl-C stops it."""
    interval = parse_duration(every)
    settings = load_settings()
    engine = make_engine(settings.database_url)
    upgrade(engine)
    load_wilayah(engine)
    while True:
        started = time.monotonic()
        try:
            _report(run_once(settings, engine, show_progress=False))
        except Exception:  # one bad pass must not end the loop; it is recorded and logged
            log.exception("sync pass failed")
        time.sleep(max(0.0, interval - (time.monotonic() - started)))


@sync.command("status")
def status_cmd() -> None:
    """Per form: last success, lag, counts of the last run and its error."""
    settings = load_settings()
    engine = make_engine(settings.database_url)
    upgrade(engine)
    now = datetime.now(UTC).replace(tzinfo=None)
    with engine.connect() as conn:
        states = {(s.source, s.form_id): s for s in conn.execute(select(SyncState.__table__))}
        runs = conn.execute(select(SyncRun.__table__).order_by(SyncRun.id.desc())).all()
    latest: dict[tuple[str, str], object] = {}
    for run in runs:
        latest.setdefault((run.source, run.form_id), run)
    if not latest:
        click.echo("no sync has run yet: graduasi sync run")
        return
    failing = False
    for key in sorted(latest):
        run = latest[key]
        state = states.get(key)
        success = state.last_success_at if state else None
        lag = f"{(now - success).total_seconds() / 60:.0f} min ago" if success else "never"
        click.echo(
            f"{key[0]}:{key[1]}: last success {success:%Y-%m-%d %H:%M UTC} ({lag})"
            if success
            else f"{key[0]}:{key[1]}: last success never"
        )
        click.echo(
            f"    last run #{run.id} {run.status} at {run.started_at:%Y-%m-%d %H:%M:%S} UTC: fetched {run.fetched}, "
            f"inserted {run.inserted}, updated {run.updated}, unchanged {run.unchanged}, quarantined {run.quarantined}"
        )
        if run.status != "ok":
            failing = True
            click.echo(f"    error: {run.error_class}: {run.error}")
    if failing:
        sys.exit(1)
