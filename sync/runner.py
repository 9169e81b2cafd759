"""One sync run over one form: lock, probe, schema, sweep, reconcile, commit (extract -> normalise -> load).

The correctness model of DESIGN.md §5:

* **Identity** by ``__id``; every version kept raw; the current row upserted (:mod:`warehouse.loader`).
* **Probe.** The whole live id list (``$select=__id``) with ``If-None-Match``: Central's ETag covers exactly the
  rows a document selects, so only that list tells whether anything changed; 304 = done, one request.
* **Sweep.** ``$filter`` on ``submissionDate``, ``updatedAt`` and ``deletedAt`` after the cursor minus an
  overlap, pages followed by ``@odata.nextLink``. Central sends pages newest first, so the cursor moves only
  when a sweep is complete, in the same transaction as its last page; earlier pages commit in batches of whole
  pages (idempotent upserts), so a crash costs a re-fetch, never a row. The new cursor is the newest server timestamp seen,
  but never later than the server's clock when the sweep began (its ``Date``), so an edit made to an already
  fetched row while a long sweep runs is still newer than the cursor. A page that comes back empty through a
  ``nextLink`` (Central's answer when the ``$skiptoken`` anchor was purged) restarts the sweep.
* **Reconciliation.** The probe's id list against the warehouse: restores (no timestamp moves), rows committed
  late below the overlap, and purges (gone without a trace) are fetched by id or marked deleted.
* **ETag.** Kept at the end of a run only when the warehouse matches the probed state (nothing changed during
  the run); otherwise the next run probes in full rather than trust a 304.
* **Failures** never raise out of :func:`sync_central_form`: the run is recorded ``failed`` with an error class,
  the cursor stays, and the next run starts from it.
"""

from __future__ import annotations

import contextlib
import email.utils
import logging
import os
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
from sqlalchemy import Connection, Engine, func, select, update
from sqlalchemy.exc import DBAPIError

from sync.central import ALL_ROWS, BodyReader, CentralClient, IdList, Page, split_ids
from sync.errors import (
    DatabaseLocked,
    PaginationLost,
    StorageError,
    StorageFull,
    SyncError,
    UpstreamMalformed,
    UpstreamUnreachable,
)
from sync.lock import LockBusy, form_lock
from sync.pageworker import PageWorker
from sync.progress import Progress
from warehouse.db import write_connection
from warehouse.formtables import FormTables, SourceField, ensure_form_tables
from warehouse.loader import (
    PageResult,
    load_central_page,
    load_prepared_page,
    max_time,
    page_extractor,
    queue_changes,
    refresh_statistics,
)
from warehouse.models import ChangeQueue, DataQualityIssue, Submission, SyncRun, SyncState

log = logging.getLogger(__name__)

#: Rows per request. A prepared page of 500 registrations is ~4.5 MB of Python objects, held by the sync while
#: the page worker prepares the next and the page after is fetched; with the probe's id list on disk, a long
#: sweep stays under 150 MB in all (140 MB at 250,000 registrations, bench/sync.py). Fewer, larger pages cost
#: the server and PostgreSQL fewer statements (300-row pages loaded a fifth slower there).
DEFAULT_PAGE_SIZE = 500
DEFAULT_OVERLAP = timedelta(minutes=10)
#: Without a cursor, ask for every row, deleted ones too (they appear only when the filter names deletedAt).
FULL_FILTER = ALL_ROWS
#: Rows loaded per write transaction (pages are grouped until this many; see :class:`_Batch`).
DEFAULT_COMMIT_ROWS = 10_000
#: ... or until a transaction has been open this long (other writers wait for it).
DEFAULT_COMMIT_SECONDS = 2.0
#: How often a sweep may restart after a page came back empty through a nextLink.
MAX_SWEEP_RESTARTS = 3
#: Waits (seconds) before retrying a page whose write transaction found the database locked.
LOCKED_RETRY_DELAYS = (0.5, 1.0, 2.0, 4.0, 8.0)
#: SQLite page cache for the sync's write connections (KiB). Larger caches (16 and 64 MB) loaded no faster: the
#: random-key index pages of a large form outgrow any of them, and the OS page cache serves the misses.
SQLITE_CACHE_KIB = 8_192
#: WAL pages between automatic checkpoints on the sync's connections (SQLite's default is 1,000 = 4 MB, less
#: than one page of submissions): a checkpoint copies every page written since the last one back into the
#: database, so checkpointing every few pages instead of at every commit writes each index page once, not
#: once per commit. The run ends with a passive checkpoint.
SQLITE_WAL_AUTOCHECKPOINT = 16_384
#: The last page after which a load refreshes PostgreSQL's statistics (pages 1, 2, 4, … this). By then the tables
#: hold thousands of rows and every lookup by key is planned as an index scan, as it stays however large they
#: grow; the later ANALYZEs (pages 128, 256, 512 of a long first load) took half a second and changed no plan.
ANALYZE_UNTIL_PAGE = 64
#: A sweep of more rows than this prepares its pages in a second process (:mod:`sync.pageworker`), so decoding
#: and writing overlap; below it, starting that process costs more than it saves.
OFFLOAD_FROM_ROWS = 4_000

Hook = Callable[[int, Connection], None]
Faults = Callable[[str, int], None]


@dataclass(slots=True)
class FormRunResult:
    """How one form's run ended (``changed_ids`` holds at most the first 10,000 ids changed)."""

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
    pages: int = 0
    restarts: int = 0
    reconciled: int = 0
    purged: int = 0

    @property
    def ok(self) -> bool:
        return self.status in ("ok", "skipped")


def utcnow() -> datetime:
    """Now, as naive UTC (the warehouse's convention for its own bookkeeping; never used for a cursor)."""
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


def server_clock(date_header: str | None) -> str | None:
    """The server's clock from its ``Date`` header, as a server timestamp (None when absent or unreadable)."""
    if not date_header:
        return None
    try:
        when = email.utils.parsedate_to_datetime(date_header)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return format_server_time(when)


def next_cursor(cursor: str | None, newest_seen: str | None, sweep_began: str | None) -> str | None:
    """The cursor after a complete sweep: the newest server timestamp it saw, capped by the server's clock
    when it began (changes made during the sweep stay newer than the cursor), never moving backwards."""
    candidate = newest_seen
    if candidate is not None and sweep_began is not None and sweep_began < candidate:
        candidate = sweep_began
    return max_time(cursor, candidate)


# --- bookkeeping -------------------------------------------------------------------------------------------------


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
    run_ids: list[int] = []
    _retry_locked(lambda: run_ids.append(_insert_run(engine, source, form_id, cursor)), f"{source}:{form_id}")
    return run_ids[-1]


def _insert_run(engine: Engine, source: str, form_id: str, cursor: str | None) -> int:
    with _storage_errors(), write_connection(engine) as conn:
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
    conn: Connection,
    source: str,
    form_id: str,
    *,
    cursor: str | None,
    etag: str | None,
    run_id: int,
    success: bool = True,
    reconciled: bool = False,
) -> None:
    table = SyncState.__table__
    now = utcnow()
    values: dict[str, object] = {"cursor": cursor, "etag": etag, "last_run_id": run_id, "updated_at": now}
    if success:
        values["last_success_at"] = now
    if reconciled:
        values["last_reconciled_at"] = now
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
    try:
        with write_connection(engine) as conn:
            _write_run(
                conn,
                run_id,
                totals,
                requests,
                status="failed",
                finished_at=utcnow(),
                error_class=error_class_of(exc),
                error=str(exc)[:2000],
            )
    except Exception:  # the database itself may be what failed; the run stays 'running' -> aborted later
        log.exception("could not record the failure of run %s", run_id)


def record_failed_run(engine: Engine, source: str, form_id: str, exc: BaseException) -> FormRunResult:
    """Record a run that could not even start (login refused, server unreachable) so ``sync status`` shows it."""
    try:
        state = _load_state(engine, source, form_id)
        run_id = _start_run(engine, source, form_id, state.cursor if state else None)
        _fail_run(engine, run_id, PageResult(), 1, exc)
    except SyncError:
        run_id = None
    return FormRunResult(
        source, form_id, "failed", run_id=run_id, error_class=error_class_of(exc), error=str(exc)
    )


def error_class_of(exc: BaseException) -> str:
    """What ``sync status`` shows for a failure."""
    return exc.error_class if isinstance(exc, SyncError) else type(exc).__name__


@contextmanager
def _storage_errors() -> Iterator[None]:
    """Turn a full disk or a database locked for too long into the StorageError the run reports."""
    try:
        yield
    except SyncError:
        raise
    except OSError as exc:
        if exc.errno in (28, 27):  # ENOSPC, EFBIG
            raise StorageFull(f"the warehouse could not be written: {exc}") from exc
        raise StorageError(f"the warehouse could not be written: {exc}") from exc
    except (DBAPIError, sqlite3.Error, psycopg.Error) as exc:
        # the loader writes through the driver's own cursor, so its errors arrive unwrapped too
        orig = exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc
        text = str(orig).lower()
        if "locked" in text or "busy" in text:
            raise DatabaseLocked(f"the warehouse stayed locked by another connection: {orig}") from exc
        if any(s in text for s in ("full", "no space", "could not extend", "too big")):
            raise StorageFull(f"the warehouse could not be written (disk full?): {orig}") from exc
        if any(s in text for s in ("disk i/o", "readonly", "read-only")):
            raise StorageError(f"the warehouse could not be written: {orig}") from exc
        raise


@contextmanager
def _page_transaction(engine: Engine) -> Iterator[Connection]:
    with _storage_errors(), write_connection(engine) as conn:
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
            conn.exec_driver_sql(f"PRAGMA wal_autocheckpoint={SQLITE_WAL_AUTOCHECKPOINT}")
        yield conn


def _checkpoint(engine: Engine) -> None:
    """Copy the run's WAL pages into the database without waiting for readers (SQLite; never fails a run)."""
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")
    except DBAPIError as exc:
        log.debug("passive checkpoint skipped: %s", exc)


def _retry_locked(action: Callable[[], None], what: str) -> None:
    """Run a write transaction, retrying with backoff while the database is locked (SQLite busy)."""
    for delay in (*LOCKED_RETRY_DELAYS, None):
        try:
            action()
            return
        except DatabaseLocked:
            if delay is None:
                raise
            log.warning("%s: the database is locked; trying again in %.1f s", what, delay)
            time.sleep(delay)


# --- the run -----------------------------------------------------------------------------------------------------


def sync_central_form(
    engine: Engine,
    client: CentralClient,
    form_id: str,
    *,
    page_size: int = DEFAULT_PAGE_SIZE,
    overlap: timedelta = DEFAULT_OVERLAP,
    show_progress: bool = True,
    page_hook: Hook | None = None,
    faults: Faults | None = None,
    commit_rows: int | None = None,
    commit_seconds: float = DEFAULT_COMMIT_SECONDS,
    offload_from: int = OFFLOAD_FROM_ROWS,
) -> FormRunResult:
    """Pull one Central form into the warehouse; never raises for a sync failure (the result says it).

    :param commit_rows: rows per write transaction (whole pages; default 10,000, or one page per transaction
        when a ``page_hook`` is given, so that it sees every page's own transaction).
    :param commit_seconds: commit earlier when a transaction has been open this long.
    :param offload_from: prepare pages in a second process when a sweep has more rows than this (and at least
        two more pages); see :mod:`sync.pageworker`.
    :param page_hook: called with (page number, connection) inside the page's transaction before commit.
    :param faults: called as ``faults(point, page)`` at each fault point (see :mod:`sync.faults`); only the
        fault-injection tests pass one.
    """
    source = "central"
    started = time.monotonic()
    requests_before = client.requests
    try:
        with form_lock(engine, source, form_id):
            run = _Run(engine, client, form_id, page_size, overlap, show_progress, page_hook, faults)
            run.commit_rows = commit_rows or (page_size if page_hook is not None else DEFAULT_COMMIT_ROWS)
            run.commit_seconds = commit_seconds
            run.offload_from = offload_from
            return run.execute(started, requests_before)
    except LockBusy as exc:
        log.warning("%s", exc)
        return FormRunResult(source, form_id, "skipped", error_class="LockBusy", error=str(exc))


class _Run:
    source = "central"

    def __init__(
        self,
        engine: Engine,
        client: CentralClient,
        form_id: str,
        page_size: int,
        overlap: timedelta,
        show_progress: bool,
        page_hook: Hook | None,
        faults: Faults | None,
    ) -> None:
        self.engine = engine
        self.client = client
        self.form_id = form_id
        self.page_size = page_size
        self.overlap = overlap
        self.show_progress = show_progress
        self.page_hook = page_hook
        self.faults = faults or (lambda point, page: None)
        self.totals = PageResult()
        self.page_number = 0
        self.requests_before = client.requests
        self.run_id = 0
        self.commit_rows = DEFAULT_COMMIT_ROWS
        self.commit_seconds = DEFAULT_COMMIT_SECONDS
        self.offload_from = OFFLOAD_FROM_ROWS
        self.newest_loaded: str | None = None

    def requests(self) -> int:
        return self.client.requests - self.requests_before

    def execute(self, started: float, requests_before: int) -> FormRunResult:
        source, form_id = self.source, self.form_id
        self.requests_before = requests_before
        state = _load_state(self.engine, source, form_id)
        cursor = state.cursor if state else None
        result = FormRunResult(source, form_id, "failed")
        progress = Progress(f"{source}:{form_id}", enabled=self.show_progress)
        try:
            self.run_id = result.run_id = _start_run(self.engine, source, form_id, cursor)
            self._run(state, cursor, progress, result)
            result.status = "ok"
        except Exception as exc:
            if self.run_id:
                _fail_run(self.engine, self.run_id, self.totals, self.requests(), exc)
            result.error_class = error_class_of(exc)
            result.error = str(exc)
            log.error("%s:%s failed: %s: %s", source, form_id, result.error_class, exc)
            if not isinstance(exc, SyncError):
                log.debug("unexpected failure", exc_info=True)
        finally:
            progress.close()
            totals = self.totals
            result.fetched, result.inserted, result.updated = totals.fetched, totals.inserted, totals.updated
            result.unchanged, result.quarantined = totals.unchanged, totals.quarantined
            result.changed_ids = totals.changed_ids
            result.requests = self.requests()
            result.seconds = time.monotonic() - started
            result.pages = self.page_number
        return result

    def _run(
        self, state: SyncState | None, cursor: str | None, progress: Progress, result: FormRunResult
    ) -> None:
        source, form_id = self.source, self.form_id
        clock = time.monotonic()
        # the probe's answer is taken once its headers are in (the ETag and the Date name the state the sweep
        # starts from); its id list, which the reconciliation needs only after the sweep, arrives meanwhile
        probe = self.client.id_list(form_id, state.etag if state and cursor else None, deferred=True)
        timings = {"probe": time.monotonic() - clock}
        if probe.status == 304:
            _retry_locked(lambda: self._unchanged(state, cursor), f"{source}:{form_id}")
            log.info("%s:%s unchanged since the last run (304)", source, form_id)
            return
        etag = probe.headers.get("ETag")
        began = server_clock(probe.headers.get("Date"))
        listing: BodyReader = probe.body
        del probe
        try:
            self._sweep_and_reconcile(cursor, etag, began, listing, progress, result, timings)
        finally:
            listing.close()

    def _sweep_and_reconcile(
        self,
        cursor: str | None,
        etag: str | None,
        began: str | None,
        listing: BodyReader,
        progress: Progress,
        result: FormRunResult,
        timings: dict[str, float],
    ) -> None:
        """Sweep the changes, reconcile the ids, and finish the run (the cursor and, if still true, the ETag)."""
        source, form_id = self.source, self.form_id
        fields = [SourceField.from_central(f) for f in self.client.form_fields(form_id)]
        prepared: list[tuple[FormTables, bool]] = []

        def prepare() -> None:
            with _storage_errors(), write_connection(self.engine) as conn:
                tables = ensure_form_tables(conn, source, form_id, fields, self.run_id)
                sub = Submission.__table__
                query = (
                    select(sub.c.logical_id).where(sub.c.source == source, sub.c.form_id == form_id).limit(1)
                )
                prepared.append((tables, conn.execute(query).first() is not None))

        _retry_locked(prepare, f"{source}:{form_id}")
        tables, had_rows = prepared[-1]
        clock = time.monotonic()
        new_cursor = self._sweep(tables, cursor, began, progress, result)
        timings["sweep"] = time.monotonic() - clock
        self.faults("reconcile", 0)
        clock = time.monotonic()
        try:
            upstream: IdList = listing.result()
        except (UpstreamUnreachable, UpstreamMalformed) as exc:
            # the list broke off after its headers (or needs decoding in full): ask again, decoded in full. That
            # list may be newer than the sweep; it serves the reconciliation either way, and its ETag is kept
            # only when it is the probe's own (nothing changed since the probe)
            log.info("%s:%s: the id list broke off (%s); asking for it again", source, form_id, exc)
            again = self.client.id_list(form_id, None)
            upstream = again.body
            if again.headers.get("ETag") != etag:
                etag = None
        if cursor is not None or had_rows:
            diverged = self._reconcile(tables, upstream, result)
        else:
            # a first full sweep saw every row, deleted ones too: nothing to reconcile it against; it matches the
            # probed list when it holds as many live rows
            diverged = self._rows_here(tables) != (upstream.live_count, upstream.deleted_count)
        timings["reconcile"] = time.monotonic() - clock
        del upstream
        # The ETag names the probed state. When this run loaded changes made after the probe (a newer timestamp,
        # or a row the probed list did not have), the warehouse is ahead of that state; should the server go back
        # to it (a row added, then deleted), the old ETag would answer 304 with the warehouse wrong. Then no ETag
        # is kept, and the next run probes in full.
        if began is None or diverged or (self.newest_loaded is not None and self.newest_loaded >= began):
            log.debug("%s:%s changed during the run; its ETag is not kept", source, form_id)
            etag = None

        def finish() -> None:
            with _page_transaction(self.engine) as conn:
                _save_state(
                    conn, source, form_id, cursor=new_cursor, etag=etag, run_id=self.run_id, reconciled=True
                )
                _write_run(conn, self.run_id, self.totals, self.requests(), status="ok", finished_at=utcnow(),
                           cursor_after=new_cursor)  # fmt: skip
                self.faults("finish", 0)

        _retry_locked(finish, f"{source}:{form_id}")
        if self.page_number and self.engine.dialect.name == "sqlite":
            _checkpoint(self.engine)
        totals = self.totals
        log.info(
            "%s:%s ok: fetched %d, inserted %d, updated %d, unchanged %d, quarantined %d in %d page(s) "
            "(probe %.2f s, sweep %.2f s, reconcile %.2f s)",
            source, form_id, totals.fetched, totals.inserted, totals.updated, totals.unchanged,
            totals.quarantined, self.page_number, timings["probe"], timings["sweep"], timings["reconcile"],
        )  # fmt: skip

    def _unchanged(self, state: SyncState | None, cursor: str | None) -> None:
        """Record a run that found nothing new (304): success, same cursor and ETag."""
        with _storage_errors(), write_connection(self.engine) as conn:
            etag = state.etag if state else None
            _save_state(conn, self.source, self.form_id, cursor=cursor, etag=etag, run_id=self.run_id)
            _write_run(conn, self.run_id, self.totals, self.requests(), status="ok", finished_at=utcnow(),
                       cursor_after=cursor)  # fmt: skip

    # --- sweep ---------------------------------------------------------------------------------------------------

    def _sweep(
        self,
        tables: FormTables,
        cursor: str | None,
        began: str | None,
        progress: Progress,
        result: FormRunResult,
    ) -> str | None:
        """Page through every row changed since the cursor; returns the cursor committed with the last page."""
        params: dict[str, object] = {"$expand": "*", "$top": self.page_size, "$count": "true"}
        params["$filter"] = incremental_filter(cursor, self.overlap) if cursor else FULL_FILTER
        extractor = page_extractor(tables, self.engine.dialect.name == "postgresql")
        for attempt in range(MAX_SWEEP_RESTARTS + 1):
            sweep = _Sweep(cursor, began)
            with _Batch(self) as batch, PageWorker(extractor) as worker:
                pages = self.client.pages(self.form_id, params, parser=worker)
                for in_sweep, page in _committing_on_upstream_error(enumerate(pages, start=1), batch, sweep):
                    if in_sweep == 1 and self._long(page):
                        worker.start()
                    if not page.rows and in_sweep > 1:
                        # a nextLink led to nothing: the $skiptoken anchor was purged (central#608): keep what
                        # was loaded, and start the sweep again
                        batch.commit(sweep, last=False)
                        break
                    progress.set_total(page.count)
                    last = page.next_link is None
                    batch.load(tables, page, sweep)
                    progress.update(len(page.rows))
                    del page  # one decoded page alive at a time: memory stays flat whatever the form's size
                    if last or batch.full():
                        batch.commit(sweep, last=last)
                    if last:
                        return sweep.committed
                else:  # pragma: no cover - pages() always ends with a page without nextLink
                    return cursor
            result.restarts = attempt + 1
            log.warning(
                "%s:%s: a page came back empty mid-sweep (purged anchor?); restarting the sweep (%d/%d)",
                self.source, self.form_id, attempt + 1, MAX_SWEEP_RESTARTS,
            )  # fmt: skip
        raise PaginationLost(
            f"{self.source}:{self.form_id}: pages kept ending early after {MAX_SWEEP_RESTARTS} restarts of the "
            "sweep; the cursor did not move, the next run tries again"
        )

    def _long(self, page: Page) -> bool:
        """Whether the sweep this page begins is long enough to prepare its pages in a second process."""
        count = page.count
        return (
            page.next_link is not None
            and count is not None
            and count > self.offload_from
            and count > 2 * max(len(page.rows), 1)
        )

    # --- reconciliation ------------------------------------------------------------------------------------------

    def _rows_here(self, tables: FormTables) -> tuple[int, int]:
        """(live, deleted) submissions of the form in the warehouse."""
        sub = Submission.__table__
        with self.engine.connect() as conn:
            total, gone = conn.execute(
                select(func.count(), func.count(sub.c.deleted_at)).where(
                    sub.c.source == tables.source, sub.c.form_id == tables.form_id
                )
            ).one()
        return int(total) - int(gone), int(gone)

    def _reconcile(self, tables: FormTables, upstream: IdList, result: FormRunResult) -> bool:
        """Compare the live ids upstream with the warehouse; fetch what the timestamps cannot show.

        Restores move no timestamp, purges leave no trace and a late commit can land below the cursor's overlap
        (odk-central/README.md): the id list catches all three. The comparison runs in the database (a
        temporary table of the upstream ids), so a form of any size costs no memory here.

        :returns: whether the warehouse holds rows the probed list did not (changes made after the probe).
        """
        wanted, gone = compare_ids(self.engine, tables.source, tables.form_id, upstream)
        if not wanted and not gone:
            return False
        log.info(
            "%s:%s reconcile: %d to fetch (new or restored), %d gone from the live list",
            tables.source, tables.form_id, len(wanted), len(gone),
        )  # fmt: skip
        seen: set[str] = set()
        with _Batch(self) as batch:
            for page in self.client.rows_by_id(self.form_id, wanted + gone):
                seen.update(r.get("__id") for r in page.rows if isinstance(r, dict))
                batch.load(tables, page, None)
                if batch.full():
                    batch.commit(None, last=False)
            batch.commit(None, last=False)
        result.reconciled = len(wanted) + len(gone)
        purged = [i for i in gone if i not in seen]
        if purged:
            _retry_locked(lambda: _mark_purged(self.engine, tables, purged, self.run_id), "purge")
            result.purged = len(purged)
        return len(purged) < len(gone)


def _committing_on_upstream_error(pages: Iterator[Any], batch: _Batch, sweep: _Sweep) -> Iterator[Any]:
    """Pass pages through; when the server fails for good, commit the pages already loaded (never the cursor)
    before the run fails, so the next run re-fetches less."""
    try:
        yield from pages
    except SyncError as exc:
        if not isinstance(exc, StorageError) and batch.conn is not None:
            with contextlib.suppress(Exception):  # the original failure is what the run reports
                batch.commit(sweep, last=False)
        raise


class _Batch:
    """Pages loaded in one write transaction, committed together (with the ledger, and the cursor after the
    last page of a sweep).

    Committing every page rewrites every index page a page touched — with random keys, nearly all of them —
    so pages are grouped until ``commit_rows`` rows or ``commit_seconds`` seconds. A crash loses at most one
    batch of work (re-fetched next run), never a row: nothing is committed without its pages, and the cursor
    only with the last one.
    """

    def __init__(self, run: _Run) -> None:
        self.run = run
        self.conn: Connection | None = None
        self.tx: Any = None
        self.rows = 0
        self.started = 0.0
        self.totals = run.totals
        self.last_page = 0
        self.changes: list[tuple[object, ...]] = []  # change_queue rows, written once before the commit

    def __enter__(self) -> _Batch:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _open(self) -> Connection:
        run = self.run

        def begin() -> None:
            with _storage_errors():
                conn = run.engine.connect()
                try:
                    if conn.dialect.name == "sqlite":
                        conn = conn.execution_options(sqlite_begin="IMMEDIATE")
                    self.tx = conn.begin()
                    if conn.dialect.name == "sqlite":
                        conn.exec_driver_sql(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
                        conn.exec_driver_sql(f"PRAGMA wal_autocheckpoint={SQLITE_WAL_AUTOCHECKPOINT}")
                except BaseException:
                    conn.close()
                    raise
                self.conn = conn

        _retry_locked(begin, f"{run.source}:{run.form_id}")
        self.totals = run.totals.copy()
        assert self.conn is not None
        return self.conn

    def load(self, tables: FormTables, page: Page, sweep: _Sweep | None) -> None:
        """Load one page into the open transaction (opening one if needed)."""
        run = self.run
        run.page_number += 1
        self.last_page = number = run.page_number
        if self.rows == 0:
            self.started = time.monotonic()
        self.rows += len(page.rows)
        conn = self.conn if self.conn is not None else self._open()
        with _storage_errors():
            run.faults("upsert", number)
            if page.prepared is not None:
                loaded = load_prepared_page(
                    conn, tables, page.prepared, run_id=run.run_id, fetched_at=utcnow(), changes=self.changes
                )
            else:
                loaded = load_central_page(
                    conn, tables, page.rows, run_id=run.run_id, fetched_at=utcnow(), texts=page.texts,
                    changes=self.changes,
                )  # fmt: skip
        self.totals.add(loaded)
        run.newest_loaded = max_time(run.newest_loaded, loaded.max_server_time)
        if sweep is not None:
            sweep.pending = max_time(sweep.pending, loaded.max_server_time)
        if run.page_hook is not None:
            with _storage_errors():
                run.page_hook(number, conn)
        log.debug("%s:%s page %d: %d rows", run.source, run.form_id, number, len(page.rows))
        if (
            run.engine.dialect.name == "postgresql"
            and number & (number - 1) == 0
            and number <= ANALYZE_UNTIL_PAGE
        ):
            with _storage_errors():
                refresh_statistics(conn, tables)  # after pages 1, 2, 4, … 64: the planner sees the growth

    def full(self) -> bool:
        """Whether the open transaction holds enough to commit."""
        return self.rows >= self.run.commit_rows or time.monotonic() - self.started >= self.run.commit_seconds

    def commit(self, sweep: _Sweep | None, *, last: bool) -> None:
        """Commit what is loaded: the ledger, and with the last page of a sweep the cursor."""
        run = self.run
        if self.conn is None:
            if not last:
                return
            self._open()
        conn = self.conn
        assert conn is not None
        extra: dict[str, object] = {}
        committed = None
        with _storage_errors():
            queue_changes(conn, self.changes)
            self.changes = []
            if last and sweep is not None:
                # the sweep is complete: the cursor moves, in the same transaction as its last page
                committed = next_cursor(sweep.cursor, max_time(sweep.newest, sweep.pending), sweep.began)
                _save_state(conn, run.source, run.form_id, cursor=committed, etag=None, run_id=run.run_id,
                            success=False)  # fmt: skip
                extra["cursor_after"] = committed
            _write_run(conn, run.run_id, self.totals, run.requests(), **extra)
            run.faults("before_commit", self.last_page)
            self.tx.commit()
        self.close()
        run.totals = self.totals
        if sweep is not None:
            sweep.newest = max_time(sweep.newest, sweep.pending)
            sweep.pending = None
            if last:
                sweep.committed = committed
        run.faults("after_commit", self.last_page)

    def close(self) -> None:
        """Roll back whatever was not committed, and release the connection."""
        if self.conn is not None:
            try:
                if self.tx is not None and self.tx.is_active:
                    self.tx.rollback()
            finally:
                self.conn.close()
                self.conn = self.tx = None
        self.rows = 0
        self.changes = []


@dataclass(slots=True)
class _Sweep:
    """One pass over the pages of the incremental filter: where it started and the newest time it saw."""

    cursor: str | None
    began: str | None
    newest: str | None = None  # committed pages
    pending: str | None = None  # pages loaded in the open transaction
    committed: str | None = None


def compare_ids(engine: Engine, source: str, form_id: str, upstream: IdList) -> tuple[list[str], list[str]]:
    """Compare the ids upstream with the warehouse, in the database (a temporary table of the upstream ids).

    :returns: (ids to fetch: upstream but missing here, or live on one side and deleted on the other;
        ids live here that are not upstream at all: purged, or committed after the list was taken).
    """

    def rows() -> Iterator[tuple[str, int]]:
        for logical_id in split_ids(upstream.live):
            yield logical_id, 0
        for logical_id in split_ids(upstream.deleted):
            yield logical_id, 1

    with engine.connect() as conn, conn.begin():  # a real transaction: otherwise every insert commits alone
        pg = conn.dialect.name == "postgresql"
        raw = conn.connection.driver_connection
        cur = raw.cursor()
        try:
            if pg:
                cur.execute(
                    "CREATE TEMP TABLE reconcile_ids (id text PRIMARY KEY, deleted int) ON COMMIT DROP"
                )
                with cur.copy("COPY reconcile_ids (id, deleted) FROM STDIN") as copy:
                    for row in rows():
                        copy.write_row(row)
            else:
                cur.execute(
                    "CREATE TEMP TABLE IF NOT EXISTS reconcile_ids (id TEXT PRIMARY KEY, deleted INTEGER)"
                )
                cur.execute("DELETE FROM reconcile_ids")
                batch: list[tuple[str, int]] = []
                for row in rows():
                    batch.append(row)
                    if len(batch) >= 5000:
                        cur.executemany(
                            "INSERT OR IGNORE INTO reconcile_ids (id, deleted) VALUES (?, ?)", batch
                        )
                        batch = []
                cur.executemany("INSERT OR IGNORE INTO reconcile_ids (id, deleted) VALUES (?, ?)", batch)
            mark = "%s" if pg else "?"
            cur.execute(
                "SELECT r.id FROM reconcile_ids r LEFT JOIN submission s "
                f"ON s.source = {mark} AND s.form_id = {mark} AND s.logical_id = r.id "
                "WHERE s.logical_id IS NULL OR (r.deleted = 0 AND s.deleted_at IS NOT NULL) "
                "OR (r.deleted = 1 AND s.deleted_at IS NULL)",
                (source, form_id),
            )
            wanted = [r[0] for r in cur.fetchall()]
            cur.execute(
                "SELECT s.logical_id FROM submission s "
                f"WHERE s.source = {mark} AND s.form_id = {mark} AND s.deleted_at IS NULL "
                "AND NOT EXISTS (SELECT 1 FROM reconcile_ids r WHERE r.id = s.logical_id)",
                (source, form_id),
            )
            gone = [r[0] for r in cur.fetchall()]
            if not pg:
                cur.execute("DROP TABLE reconcile_ids")
        finally:
            cur.close()
    return wanted, gone


def _mark_purged(engine: Engine, tables: FormTables, ids: list[str], run_id: int) -> None:
    """Submissions that vanished upstream without a trace (purged after 30 days in the trash)."""
    now = utcnow()
    marker = format_server_time(now.replace(tzinfo=UTC))
    sub = Submission.__table__
    root = tables.sa_tables[""]
    with _page_transaction(engine) as conn:
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
