"""One sync run over one form: lock, schema, probe, sweep, commit (extract -> normalise -> load).

The correctness model of DESIGN.md §5: identity by ``__id``; the incremental filter on ``submissionDate``,
``updatedAt`` and ``deletedAt`` with an overlap below the cursor; pages followed by ``@odata.nextLink``. Central
sends pages newest first, so the cursor moves only when a sweep is complete, in the same transaction as its last
page; every earlier page commits on its own (idempotent upserts), so a crash costs a re-fetch, never a row.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, Engine, select, update
from sqlalchemy.exc import DBAPIError

from sync.central import CentralClient
from sync.errors import StorageError, SyncError, UpstreamMalformed
from sync.lock import LockBusy, form_lock
from sync.progress import Progress
from warehouse.db import write_connection
from warehouse.formtables import FormTables, SourceField, ensure_form_tables
from warehouse.loader import PageResult, load_central_page, max_time
from warehouse.models import ChangeQueue, DataQualityIssue, Submission, SyncRun, SyncState

log = logging.getLogger(__name__)

DEFAULT_PAGE_SIZE = 2000
DEFAULT_OVERLAP = timedelta(minutes=10)
#: Without a cursor, ask for every row, deleted ones too (they appear only when the filter names deletedAt).
FULL_FILTER = "__system/deletedAt eq null or __system/deletedAt ne null"


@dataclass(slots=True)
class FormRunResult:
    """How one form's run ended."""

    source: str
    form_id: str
    status: str  # ok | failed | skipped
    run_id: int | None = None
    fetched: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    quarantined: int = 0
    requests: int = 0
    seconds: float = 0.0
    error_class: str | None = None
    error: str | None = None
    changed_ids: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.status in ("ok", "skipped")


def utcnow() -> datetime:
    """Now, as naive UTC (the warehouse's convention for its own timestamps)."""
    return datetime.now(UTC).replace(tzinfo=None)


def parse_server_time(text: str) -> datetime:
    """A Central timestamp (``2026-11-28T01:51:21.290Z``) as an aware datetime."""
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def format_server_time(when: datetime) -> str:
    """A Central-style UTC timestamp with milliseconds."""
    when = when.astimezone(UTC)
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


def incremental_filter(cursor: str, overlap: timedelta) -> str:
    """The OData filter for rows created, edited, reviewed or deleted after ``cursor - overlap``."""
    since = format_server_time(parse_server_time(cursor) - overlap)
    return f"__system/submissionDate gt {since} or __system/updatedAt gt {since} or __system/deletedAt gt {since}"


def _abort_stale_runs(conn: Connection, source: str, form_id: str) -> int:
    """Runs left 'running' by a worker that died (we hold the lock now, so nobody else is running)."""
    runs = SyncRun.__table__
    result = conn.execute(
        update(runs)
        .where(runs.c.source == source, runs.c.form_id == form_id, runs.c.status == "running")
        .values(status="aborted", finished_at=utcnow(), error_class="Aborted", error="worker stopped mid-run")
    )
    return result.rowcount or 0


def _start_run(engine: Engine, source: str, form_id: str, cursor: str | None) -> int:
    with write_connection(engine) as conn:
        aborted = _abort_stale_runs(conn, source, form_id)
        if aborted:
            log.warning(
                "%s:%s: %d earlier run(s) had stopped mid-way; marked aborted", source, form_id, aborted
            )
        now = utcnow()
        run_id = conn.execute(
            SyncRun.__table__.insert().values(
                source=source,
                form_id=form_id,
                started_at=now,
                heartbeat_at=now,
                status="running",
                fetched=0,
                inserted=0,
                updated=0,
                unchanged=0,
                quarantined=0,
                requests=0,
                cursor_before=cursor,
                pid=os.getpid(),
            )
        ).inserted_primary_key[0]
    return int(run_id)


def _load_state(engine: Engine, source: str, form_id: str) -> SyncState | None:
    with engine.connect() as conn:
        row = conn.execute(
            select(SyncState.__table__).where(SyncState.source == source, SyncState.form_id == form_id)
        ).first()
    return SyncState(**dict(row._mapping)) if row else None


def _save_state(
    conn: Connection, source: str, form_id: str, *, cursor: str | None, etag: str | None, run_id: int
) -> None:
    table = SyncState.__table__
    now = utcnow()
    values = {
        "cursor": cursor,
        "etag": etag,
        "last_run_id": run_id,
        "last_success_at": now,
        "updated_at": now,
    }
    done = conn.execute(
        update(table).where(table.c.source == source, table.c.form_id == form_id).values(**values)
    ).rowcount
    if not done:
        conn.execute(table.insert().values(source=source, form_id=form_id, **values))


def _write_run(conn: Connection, run_id: int, totals: PageResult, requests: int, **extra: object) -> None:
    conn.execute(
        update(SyncRun.__table__)
        .where(SyncRun.__table__.c.id == run_id)
        .values(
            fetched=totals.fetched,
            inserted=totals.inserted,
            updated=totals.updated,
            unchanged=totals.unchanged,
            quarantined=totals.quarantined,
            requests=requests,
            heartbeat_at=utcnow(),
            **extra,
        )
    )


def _fail_run(engine: Engine, run_id: int, totals: PageResult, requests: int, exc: BaseException) -> None:
    error_class = exc.error_class if isinstance(exc, SyncError) else type(exc).__name__
    try:
        with write_connection(engine) as conn:
            _write_run(
                conn,
                run_id,
                totals,
                requests,
                status="failed",
                finished_at=utcnow(),
                error_class=error_class,
                error=str(exc)[:2000],
            )
    except Exception:  # the database itself may be what failed; the run stays 'running' -> aborted later
        log.exception("could not record the failure of run %s", run_id)


def sync_central_form(
    engine: Engine,
    client: CentralClient,
    form_id: str,
    *,
    page_size: int = DEFAULT_PAGE_SIZE,
    overlap: timedelta = DEFAULT_OVERLAP,
    show_progress: bool = True,
    page_hook: Callable[[int, Connection], None] | None = None,
) -> FormRunResult:
    """Pull one Central form into the warehouse; never raises for a sync failure (the result says it).

    :param page_hook: called with (page number, connection) inside each page's transaction before commit —
        used by fault-injection tests to crash at exact points.
    """
    source = "central"
    started = time.monotonic()
    requests_before = client.requests
    try:
        with form_lock(engine, source, form_id):
            return _sync_locked(
                engine,
                client,
                form_id,
                page_size,
                overlap,
                show_progress,
                page_hook,
                started,
                requests_before,
            )
    except LockBusy as exc:
        log.warning("%s", exc)
        return FormRunResult(source, form_id, "skipped", error_class="LockBusy", error=str(exc))


def _sync_locked(
    engine: Engine,
    client: CentralClient,
    form_id: str,
    page_size: int,
    overlap: timedelta,
    show_progress: bool,
    page_hook: Callable[[int, Connection], None] | None,
    started: float,
    requests_before: int,
) -> FormRunResult:
    source = "central"
    state = _load_state(engine, source, form_id)
    cursor = state.cursor if state else None
    run_id = _start_run(engine, source, form_id, cursor)
    totals = PageResult()
    progress = Progress(f"{source}:{form_id}", enabled=show_progress)
    result = FormRunResult(source, form_id, "failed", run_id=run_id)
    try:
        probe = client.live_ids(form_id, state.etag if state and cursor else None)
        if probe.status == 304:
            with write_connection(engine) as conn:
                _save_state(
                    conn, source, form_id, cursor=cursor, etag=state.etag if state else None, run_id=run_id
                )
                _write_run(
                    conn,
                    run_id,
                    totals,
                    client.requests - requests_before,
                    status="ok",
                    finished_at=utcnow(),
                    cursor_after=cursor,
                )
            log.info("%s:%s unchanged since the last run (304)", source, form_id)
            result.status = "ok"
            return result
        etag = probe.headers.get("ETag")
        upstream_ids = _ids_of(probe.body)
        fields = [SourceField.from_central(f) for f in client.form_fields(form_id)]
        with write_connection(engine) as conn:
            tables: FormTables = ensure_form_tables(conn, source, form_id, fields, run_id)
        params: dict[str, object] = {"$expand": "*", "$top": page_size, "$count": "true"}
        params["$filter"] = incremental_filter(cursor, overlap) if cursor else FULL_FILTER
        new_cursor = cursor
        for number, page in enumerate(client.pages(form_id, params), start=1):
            progress.set_total(page.count)
            with _storage_errors(), write_connection(engine) as conn:
                loaded = load_central_page(conn, tables, page.rows, run_id=run_id, fetched_at=utcnow())
                totals.add(loaded)
                requests = client.requests - requests_before
                extra: dict[str, object] = {}
                if page.next_link is None:
                    # the sweep is complete: the cursor moves, in the same transaction as its last page
                    new_cursor = max_time(cursor, totals.max_server_time)
                    _save_state(conn, source, form_id, cursor=new_cursor, etag=None, run_id=run_id)
                    extra["cursor_after"] = new_cursor
                _write_run(conn, run_id, totals, requests, **extra)
                if page_hook is not None:
                    page_hook(number, conn)
            progress.update(len(page.rows))
        _reconcile(engine, client, tables, upstream_ids, run_id, totals)
        with _storage_errors(), write_connection(engine) as conn:
            _save_state(conn, source, form_id, cursor=new_cursor, etag=etag, run_id=run_id)
            _write_run(
                conn,
                run_id,
                totals,
                client.requests - requests_before,
                status="ok",
                finished_at=utcnow(),
                cursor_after=new_cursor,
            )
        result.status = "ok"
        log.info(
            "%s:%s ok: fetched %d, inserted %d, updated %d, unchanged %d, quarantined %d",
            source,
            form_id,
            totals.fetched,
            totals.inserted,
            totals.updated,
            totals.unchanged,
            totals.quarantined,
        )
    except Exception as exc:
        _fail_run(engine, run_id, totals, client.requests - requests_before, exc)
        result.error_class = exc.error_class if isinstance(exc, SyncError) else type(exc).__name__
        result.error = str(exc)
        log.error("%s:%s failed: %s: %s", source, form_id, result.error_class, exc)
        if not isinstance(exc, SyncError):
            log.debug("unexpected failure", exc_info=True)
    finally:
        progress.close()
        result.fetched, result.inserted, result.updated = totals.fetched, totals.inserted, totals.updated
        result.unchanged, result.quarantined = totals.unchanged, totals.quarantined
        result.changed_ids = totals.changed_ids
        result.requests = client.requests - requests_before
        result.seconds = time.monotonic() - started
    return result


def _ids_of(body: object) -> list[str]:
    if not isinstance(body, dict) or not isinstance(body.get("value"), list):
        raise UpstreamMalformed("the id list is not an OData document with a 'value' list")
    return [
        row["__id"] for row in body["value"] if isinstance(row, dict) and isinstance(row.get("__id"), str)
    ]


@contextmanager
def _storage_errors() -> Iterator[None]:
    """Turn a full disk or a database locked for too long into a StorageError the run reports."""
    try:
        yield
    except SyncError:
        raise
    except OSError as exc:
        raise StorageError(f"the warehouse could not be written: {exc}") from exc
    except DBAPIError as exc:
        text = str(exc).lower()
        if any(s in text for s in ("full", "locked", "no space", "disk i/o", "could not extend")):
            raise StorageError(f"the warehouse could not be written: {exc.orig}") from exc
        raise


def _reconcile(
    engine: Engine,
    client: CentralClient,
    tables: FormTables,
    upstream_ids: list[str],
    run_id: int,
    totals: PageResult,
) -> None:
    """Compare the live ids upstream with the warehouse; fetch what the timestamps cannot show.

    Restores move no timestamp, purges leave no trace and a late commit can land below the cursor's overlap
    (odk-central/README.md): the id list catches all three.
    """
    source, form_id = tables.source, tables.form_id
    sub = Submission.__table__
    with engine.connect() as conn:
        local = {
            r.logical_id: r.deleted_at
            for r in conn.execute(
                select(sub.c.logical_id, sub.c.deleted_at).where(
                    sub.c.source == source, sub.c.form_id == form_id
                )
            )
        }
    upstream = set(upstream_ids)
    wanted = [i for i in upstream_ids if i not in local or local[i] is not None]
    gone = [i for i, deleted in local.items() if deleted is None and i not in upstream]
    if not wanted and not gone:
        return
    log.info(
        "%s:%s reconcile: %d to fetch (new or restored), %d gone from the live list",
        source,
        form_id,
        len(wanted),
        len(gone),
    )
    seen: set[str] = set()
    batch: list[dict] = []
    for row in client.rows_by_id(form_id, wanted + gone):
        seen.add(row.get("__id"))
        batch.append(row)
        if len(batch) >= 500:
            _load_batch(engine, tables, batch, run_id, totals)
            batch = []
    if batch:
        _load_batch(engine, tables, batch, run_id, totals)
    purged = [i for i in gone if i not in seen]
    if purged:
        _mark_purged(engine, tables, purged, run_id)


def _load_batch(
    engine: Engine, tables: FormTables, rows: list[dict], run_id: int, totals: PageResult
) -> None:
    with _storage_errors(), write_connection(engine) as conn:
        totals.add(load_central_page(conn, tables, rows, run_id=run_id, fetched_at=utcnow()))


def _mark_purged(engine: Engine, tables: FormTables, ids: list[str], run_id: int) -> None:
    """Submissions that vanished upstream without a trace (purged after 30 days in the trash)."""
    now = utcnow()
    marker = format_server_time(now.replace(tzinfo=UTC))
    sub = Submission.__table__
    root = tables.sa_tables[""]
    with _storage_errors(), write_connection(engine) as conn:
        for i in range(0, len(ids), 500):
            chunk = ids[i : i + 500]
            conn.execute(
                update(sub)
                .where(
                    sub.c.source == tables.source,
                    sub.c.form_id == tables.form_id,
                    sub.c.logical_id.in_(chunk),
                )
                .values(deleted_at=marker, last_run_id=run_id)
            )
            conn.execute(update(root).where(root.c._id.in_(chunk)).values(_deleted_at=marker))
        conn.execute(
            DataQualityIssue.__table__.insert(),
            [
                {
                    "source": tables.source,
                    "form_id": tables.form_id,
                    "logical_id": i,
                    "rule": "PURGED_UPSTREAM",
                    "severity": "info",
                    "field": None,
                    "value": None,
                    "kode_wilayah": None,
                    "message": "the submission is no longer on the server (purged); kept here, marked deleted",
                    "sync_run_id": run_id,
                    "created_at": now,
                    "resolved_at": None,
                }
                for i in ids
            ],
        )
        conn.execute(
            ChangeQueue.__table__.insert(),
            [
                {"source": tables.source, "form_id": tables.form_id, "logical_id": i, "sync_run_id": run_id}
                for i in ids
            ],
        )
    log.warning(
        "%s:%s: %d submission(s) purged upstream, marked deleted", tables.source, tables.form_id, len(ids)
    )
