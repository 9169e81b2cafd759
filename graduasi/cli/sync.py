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
from forms.rules import RulesError
from graduasi.cli.common import load_settings
from graduasi.cli.push import push
from graduasi.pipeline import after_sync
from graduasi.settings import FormRef, Settings
from sync.central import CentralClient
from sync.errors import ConfigurationError, SyncError
from sync.faults import WorkerFaults
from sync.lock import LockBusy
from sync.rebuild import rebuild
from sync.redact import install as install_redaction
from sync.runner import FormRunResult, record_failed_run, sync_central_form
from warehouse.db import make_engine
from warehouse.domain import apply_changes, rebuild_domain
from warehouse.migrate import upgrade
from warehouse.models import SyncRun, SyncState
from warehouse.recompute import RuleVersionChanged
from warehouse.regions import load_wilayah

log = logging.getLogger(__name__)


def _protect_logs(settings: Settings) -> None:
    """Mask the Central password, bearer tokens and NIKs in every log line of this process."""
    secrets = [settings.central_password.get_secret_value()] if settings.central_password else []
    if settings.kobo_token:
        secrets.append(settings.kobo_token.get_secret_value())
    install_redaction(secrets)


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
    settings: Settings,
    engine: Engine,
    *,
    page_size: int | None = None,
    commit_rows: int | None = None,
    show_progress: bool = True,
) -> list[FormRunResult]:
    """One pass over every configured form, then carry the changes into the domain tables (reassessment and
    read models follow in :func:`follow_up`).

    Faults named in ``GRADUASI_SYNC_FAULT`` are injected (crash tests only; unset in production).
    """
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
    faults = WorkerFaults.from_env()
    if central_refs:
        try:
            client = central_client(settings)
        except ConfigurationError as exc:
            return results + [
                FormRunResult(r.source, r.form_id, "failed", error_class=exc.error_class, error=str(exc))
                for r in central_refs
            ]
        kwargs: dict[str, object] = {}
        if page_size:
            kwargs["page_size"] = page_size
        if commit_rows:
            kwargs["commit_rows"] = commit_rows
        try:
            client.login()
        except SyncError as exc:  # recorded per form, so `sync status` shows it
            log.error("cannot start the sync: %s: %s", exc.error_class, exc)
            return results + [record_failed_run(engine, r.source, r.form_id, exc) for r in central_refs]
        try:
            for ref in central_refs:
                results.append(
                    sync_central_form(
                        engine, client, ref.form_id, show_progress=show_progress, faults=faults, **kwargs
                    )  # type: ignore[arg-type]
                )
        finally:
            client.close()
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


def _open(settings: Settings) -> Engine:
    engine = make_engine(settings.database_url)
    upgrade(engine)
    load_wilayah(engine)
    return engine


@click.group()
def sync() -> None:
    """Pull submissions from ODK Central (GRADUASI_CENTRAL_*) into the warehouse (GRADUASI_DATABASE_URL)."""


sync.add_command(push)


@sync.command("run")
@click.option("--page-size", type=click.IntRange(1, 100_000), default=None, help="Submissions per request.")
@click.option(
    "--commit-rows",
    type=click.IntRange(1, 1_000_000),
    default=None,
    help="Submissions per write transaction.",
)
def run_cmd(page_size: int | None, commit_rows: int | None) -> None:
    """One pass over all configured forms (GRADUASI_FORMS; default every form in forms/ on Central).

    Exits with status 1 when any form failed; `graduasi sync status` shows why.
    """
    settings = load_settings()
    _protect_logs(settings)
    engine = _open(settings)
    # a bar on a terminal, a log line every few seconds otherwise (cron, systemd): sync.progress decides
    results = run_once(settings, engine, page_size=page_size, commit_rows=commit_rows, show_progress=True)
    _report(results)
    if not _follow_up_or_explain(engine):
        sys.exit(1)
    if not all(r.ok for r in results):
        sys.exit(1)


def _follow_up_or_explain(engine: Engine, *, to_log: bool = False) -> bool:
    """:func:`follow_up`; when the rules stop it, say what happened and how to fix it (on stderr, or in the
    log for the loop), and return False."""
    try:
        follow_up(engine)
    except (RulesError, RuleVersionChanged) as exc:
        # the submissions are stored and still queued for the assessment: nothing is lost, but say so loudly
        message = (
            "The submissions are in the warehouse, but the assessments and read models were not updated: "
            f"{exc}\nFix the rules, then run: graduasi graduation recompute"
        )
        if to_log:
            log.error("%s", message)
        else:
            click.echo(message, err=True)
        return False
    return True


def follow_up(engine: Engine) -> None:
    """Reassess the KPM the pass touched and refresh the read models (:func:`graduasi.pipeline.after_sync`)."""
    followed = after_sync(engine)
    log.info(
        "after the sync: %d change(s) carried into the domain, %d KPM reassessed, read models as of %s",
        followed.changes, followed.recompute.kpm, followed.as_of,
    )  # fmt: skip


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
    _protect_logs(settings)
    engine = _open(settings)
    while True:
        started = time.monotonic()  # schedules run on the monotonic clock, never the wall clock
        try:
            _report(run_once(settings, engine, show_progress=True))
            _follow_up_or_explain(
                engine, to_log=True
            )  # the next pass tries again: the queues keep what is not done
        except Exception:  # one bad pass must not end the loop; it is recorded and logged
            log.exception("sync pass failed")
        time.sleep(max(0.0, interval - (time.monotonic() - started)))


def _minutes(delta_seconds: float) -> str:
    minutes = delta_seconds / 60
    if minutes < 90:
        return f"{minutes:.0f} min"
    if minutes < 48 * 60:
        return f"{minutes / 60:.1f} h"
    return f"{minutes / 1440:.1f} days"


@sync.command("status")
def status_cmd() -> None:
    """Per form: last success, lag, counts of the last run and its error; exits 1 when a form is failing."""
    settings = load_settings()
    engine = make_engine(settings.database_url)
    upgrade(engine)
    now = datetime.now(UTC).replace(tzinfo=None)
    with engine.connect() as conn:
        states = {(s.source, s.form_id): s for s in conn.execute(select(SyncState.__table__))}
        runs = conn.execute(select(SyncRun.__table__).order_by(SyncRun.id.desc())).all()
    latest: dict[tuple[str, str], object] = {}
    last_ok: dict[tuple[str, str], object] = {}
    for run in runs:
        key = (run.source, run.form_id)
        latest.setdefault(key, run)
        if run.status == "ok":
            last_ok.setdefault(key, run)
    configured = [(r.source, r.form_id) for r in settings.form_refs(list(FORM_IDS))]
    keys = sorted(set(latest) | set(configured))
    if not latest:
        click.echo("no sync has run yet: graduasi sync run")
    failing = False
    for key in keys:
        run = latest.get(key)
        state = states.get(key)
        success = state.last_success_at if state else None
        head = f"{key[0]}:{key[1]}"
        if success:
            click.echo(
                f"{head}: last success {success:%Y-%m-%d %H:%M} UTC ({_minutes((now - success).total_seconds())} ago)"
            )
        else:
            click.echo(f"{head}: last success never")
        if run is None:
            click.echo("    never run")
            continue
        ok_run = last_ok.get(key)
        counts = (
            f"fetched {run.fetched}, inserted {run.inserted}, updated {run.updated}, unchanged {run.unchanged}, "
            f"quarantined {run.quarantined}"
        )
        took = f" in {(run.finished_at - run.started_at).total_seconds():.1f} s" if run.finished_at else ""
        click.echo(
            f"    last run #{run.id} {run.status} at {run.started_at:%Y-%m-%d %H:%M:%S} UTC{took}: {counts}"
        )
        if run.status == "running":
            beat = run.heartbeat_at or run.started_at
            click.echo(
                f"    running (pid {run.pid}), last heartbeat {_minutes((now - beat).total_seconds())} ago"
            )
        elif run.status != "ok":
            failing = True
            click.echo(f"    error: {run.error_class}: {run.error}")
            if ok_run is not None:
                click.echo(f"    last good run #{ok_run.id} at {ok_run.started_at:%Y-%m-%d %H:%M} UTC")
        if state is not None:
            click.echo(f"    cursor {state.cursor or '-'}; reconciled {state.last_reconciled_at or 'never'}")
    if failing:
        sys.exit(1)


@sync.command("rebuild")
def rebuild_cmd() -> None:
    """Re-derive the typed tables and the domain from the raw submissions already stored (no network)."""
    settings = load_settings()
    _protect_logs(settings)
    engine = _open(settings)
    try:
        result = rebuild(engine, domain=rebuild_domain)
    except LockBusy as exc:
        raise click.ClickException(f"{exc}; run the rebuild when the sync has finished") from None
    for form, (done, problems) in result.forms.items():
        click.echo(f"{form}: {done} submissions re-derived from raw, {problems} data-quality problems")
    if not result.forms:
        click.echo("nothing to rebuild: no form has been synced yet")
    click.echo(f"domain: {result.domain_rows} KPM re-derived; {result.seconds:.1f} s")
