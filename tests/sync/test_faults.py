"""The Central fault plan of reliability.md §3 (F1-F13, F15, F16, F18, F19, F22) against the simulator, on SQLite
and PostgreSQL: each test injects its fault, checks the behaviour it requires, then lets a clean run finish and
checks the invariants of §0. The kill -9 (F14) and two-worker (F17) tests run the CLI as a subprocess, in
test_crash.py and test_workers.py."""

from __future__ import annotations

import base64
import json
import sqlite3
import threading
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import pytest
from sqlalchemy import Engine, event, select, text

from simulators.central import faults as f
from sync import runner
from sync.errors import AuthFailed
from tests.sync.conftest import (
    FORM_ID,
    PASSWORD,
    T0,
    Env,
    assert_invariants,
    count,
    last_run,
    run_sync,
    seed,
)
from warehouse.models import RawSubmission, SyncState

pytestmark = pytest.mark.timeout(60)


def cursor_of(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return conn.execute(select(SyncState.cursor).where(SyncState.form_id == FORM_ID)).scalar_one_or_none()


def requests_to(env: Env, marker: str) -> int:
    return sum(1 for r in env.server.request_log if marker in r.target)


def clean_run_then_invariants(engine: Engine, env: Env) -> None:
    env.faults.rules.clear()
    result = run_sync(engine, env)
    assert result.status == "ok", result.error
    assert_invariants(env, engine)


# --- F1, F2: server errors ---------------------------------------------------------------------------------------


def test_sync__500_on_every_try_of_page_2__run_fails_cursor_kept_next_run_exact(
    engine: Engine, central: Env
) -> None:
    """F1: a page that keeps failing ends the run 'failed' within the retry budget; the cursor stays."""
    seed(central, 30)
    central.faults.add(f.status(500, kind="odata", path="skiptoken"))
    result = run_sync(engine, central)
    assert (result.status, result.error_class) == ("failed", "UpstreamHTTP500")
    assert requests_to(central, "skiptoken") == 4  # the policy's 4 attempts, then give up
    run = last_run(engine)
    assert (run.status, run.error_class) == ("failed", "UpstreamHTTP500")
    assert cursor_of(engine) is None
    assert count(engine, "SELECT count(*) FROM submission") == 7  # page 1 kept, nothing partial
    clean_run_then_invariants(engine, central)


def test_sync__503_with_and_without_retry_after__waits_then_succeeds(engine: Engine, central: Env) -> None:
    """F2: 503 twice with Retry-After: 7 waits 7 s each (fake clock); 502 without it backs off and retries."""
    seed(central, 20)
    central.faults.add(f.status(503, retry_after=7, kind="odata", path="skiptoken", times=2))
    central.faults.add(f.status(502, kind="odata", path="skiptoken", from_nth=3, times=1))
    result = run_sync(engine, central)
    assert result.status == "ok", result.error
    assert central.clock.sleeps[:2] == [7.0, 7.0]
    assert len(central.clock.sleeps) == 3 and central.clock.sleeps[2] < 1
    assert_invariants(central, engine)


# --- F3: 429 -----------------------------------------------------------------------------------------------------


def test_sync__429_retry_after_more_times_than_attempts__waits_never_fails(
    engine: Engine, central: Env
) -> None:
    """F3: 429 is waited out (Retry-After: 7, then an HTTP-date) and not counted as a failed attempt."""
    seed(central, 15)
    central.faults.add(f.status(429, retry_after=7, kind="odata", times=5))
    when = datetime.now(UTC) + timedelta(seconds=30)
    central.faults.add(f.status(429, retry_after=format_datetime(when, usegmt=True), kind="odata", nth=6))
    result = run_sync(engine, central)
    assert result.status == "ok", result.error
    assert central.clock.sleeps[:5] == [7.0] * 5  # five 429s > 4 attempts: waits, not failures
    assert 20 <= central.clock.sleeps[5] <= 31
    assert_invariants(central, engine)


def test_sync__429_asking_for_a_day__fails_at_once_without_waiting(engine: Engine, central: Env) -> None:
    """F3: a Retry-After beyond the 300 s cap fails the run cleanly instead of hanging."""
    seed(central, 5)
    central.faults.add(f.status(429, retry_after=1_000_000, kind="odata"))
    started = time.monotonic()
    result = run_sync(engine, central)
    assert (result.status, result.error_class) == ("failed", "UpstreamUnreachable")
    assert "Retry-After" in (result.error or "")
    assert central.clock.sleeps == [] and time.monotonic() - started < 10
    clean_run_then_invariants(engine, central)


# --- F4, F5, F6: timeouts, resets, cut bodies ------------------------------------------------------------------------


def test_sync__read_timeout_on_a_page__retried_no_partial_page(engine: Engine, central: Env) -> None:
    """F4: a page slower than the read timeout is retried; the run completes exactly."""
    seed(central, 20)
    central.faults.add(f.delay(1.5, kind="odata", path="skiptoken", nth=1))
    with central.client(timeout=(2.0, 0.5)) as client:
        result = runner.sync_central_form(engine, client, FORM_ID, page_size=7, show_progress=False)
    assert result.status == "ok", result.error
    assert len(central.clock.sleeps) == 1
    assert_invariants(central, engine)


@pytest.mark.parametrize("mode", ["before", "headers", "mid"])
def test_sync__connection_reset__retried(engine: Engine, central: Env, mode: str) -> None:
    """F5: a TCP reset before the response, after its headers or mid-body is retried."""
    seed(central, 20)
    central.faults.add(f.reset(mode, kind="odata", path="skiptoken", nth=2))
    result = run_sync(engine, central)
    assert result.status == "ok", result.error
    assert any(r.status == 0 for r in central.server.request_log) or mode != "before"
    assert_invariants(central, engine)


def test_sync__body_shorter_than_content_length__retried(engine: Engine, central: Env) -> None:
    """F6a: a body cut short of its Content-Length is retried."""
    seed(central, 20)
    central.faults.add(f.truncate("short", fraction=0.4, kind="odata", path="skiptoken", nth=1))
    result = run_sync(engine, central)
    assert result.status == "ok", result.error
    assert_invariants(central, engine)


def test_sync__cut_json_every_time__fails_malformed_after_one_retry(engine: Engine, central: Env) -> None:
    """F6b: valid HTTP with cut JSON is retried once, then the run fails with nothing of that page loaded."""
    seed(central, 20)
    central.faults.add(f.truncate("cut", fraction=0.5, kind="odata", path="skiptoken"))
    result = run_sync(engine, central)
    assert (result.status, result.error_class) == ("failed", "UpstreamMalformed")
    assert requests_to(central, "skiptoken") == 2
    assert count(engine, "SELECT count(*) FROM submission") == 7
    assert cursor_of(engine) is None
    clean_run_then_invariants(engine, central)


def test_sync__json_without_value__fails_malformed(engine: Engine, central: Env) -> None:
    """F6c: a 200 JSON document without 'value' is not a page: one retry, then the run fails."""
    seed(central, 10)
    body = json.dumps({"@odata.context": "x", "rows": []})
    central.faults.add(f.status(200, body=body, content_type="application/json", kind="odata", path="expand"))
    result = run_sync(engine, central)
    assert (result.status, result.error_class) == ("failed", "UpstreamMalformed")
    assert count(engine, "SELECT count(*) FROM submission") == 0
    clean_run_then_invariants(engine, central)


@pytest.mark.parametrize("fault", ["short", "cut", "reset"])
def test_sync__id_list_breaks_off_after_its_headers__asked_again_after_the_sweep(
    engine: Engine, central: Env, fault: str
) -> None:
    """The probe's list arrives while the sweep runs; cut short, cut as JSON or reset mid-body, it is asked for
    again for the reconciliation (a purge and a restore still found). Nothing changed since the probe, so the
    second list's ETag is the probe's and is kept: the next run costs one request."""
    ids = seed(central, 20)
    assert run_sync(engine, central).status == "ok"
    central.store.delete(central.project_id, FORM_ID, ids[2])
    assert run_sync(engine, central).status == "ok"
    central.store.restore(central.project_id, FORM_ID, ids[2])  # moves no timestamp: only the list shows it
    central.store.delete(central.project_id, FORM_ID, ids[3])
    central.purge(ids[3])  # deleted and purged between two runs: only the list shows it
    when = {"kind": "odata", "path": "select", "nth": 1}
    central.faults.add(f.reset("mid", **when) if fault == "reset" else f.truncate(fault, **when))
    lists_before = requests_to(central, "select")

    result = run_sync(engine, central)

    assert result.status == "ok", result.error
    assert central.faults.rules[0].fired == 1
    assert requests_to(central, "select") - lists_before == 2
    assert result.purged == 1
    with engine.connect() as conn:
        restored = conn.execute(
            text("SELECT _deleted_at FROM f_uji_rt WHERE _id = :i"), {"i": ids[2]}
        ).scalar_one()
    assert restored is None
    before = requests_to(central, ".svc")
    assert run_sync(engine, central).status == "ok"
    assert requests_to(central, ".svc") - before == 1  # 304
    clean_run_then_invariants(engine, central)


def test_sync__id_list_breaks_off_and_the_form_changes_before_it_is_asked_again__no_etag_kept(
    engine: Engine, central: Env
) -> None:
    """A submission arrives between the probe and the second list: the reconciliation loads it, and the run keeps
    no ETag (the second list's names a state the probe did not), so the next run probes in full."""
    seed(central, 20)
    assert run_sync(engine, central).status == "ok"
    central.submit(99, at=T0 + timedelta(days=2), members=2)  # something to sync, so the probe answers 200
    central.faults.add(f.truncate("cut", kind="odata", path="select", nth=1))
    late: list[str] = []
    central.faults.add(
        f.hook(
            lambda _ctx: late.append(central.submit(100, at=T0 + timedelta(days=3))),
            kind="odata",
            path="select",
            nth=2,
        )
    )

    result = run_sync(engine, central)

    assert result.status == "ok", result.error
    assert late and count(engine, "SELECT count(*) FROM submission") == 22
    with engine.connect() as conn:
        assert conn.execute(select(SyncState.etag).where(SyncState.form_id == FORM_ID)).scalar_one() is None
    before = requests_to(central, "select")
    assert run_sync(engine, central).status == "ok"
    assert requests_to(central, "select") - before == 1
    clean_run_then_invariants(engine, central)


# --- F7: session expiry ----------------------------------------------------------------------------------------------


def test_sync__session_expires_mid_paging__one_relogin_no_gap(engine: Engine, central: Env) -> None:
    """F7: the token dies on page 3; exactly one more login, the same page is asked again, nothing is lost."""
    seed(central, 30)
    central.faults.add(f.expire_session(kind="odata", nth=4))
    result = run_sync(engine, central)
    assert result.status == "ok", result.error
    logins = [r for r in central.server.request_log if r.kind == "sessions"]
    assert len(logins) == 2
    assert [r.status for r in central.odata_requests()].count(401) == 1
    assert_invariants(central, engine)


def test_sync__password_changed_mid_run__auth_failed_after_two_logins(engine: Engine, central: Env) -> None:
    """F7: when the fresh login is refused too, the run fails with AuthFailed: no loop, at most 2 logins."""
    seed(central, 30)

    def change_password(ctx: Any) -> None:
        ctx.store.users_by_email["sync@example.test"].password = "diganti-oleh-admin"

    central.faults.add(f.hook(change_password, kind="odata", nth=3))
    central.faults.add(f.expire_session(kind="odata", nth=3))
    result = run_sync(engine, central)
    assert (result.status, result.error_class) == ("failed", "AuthFailed")
    assert len([r for r in central.server.request_log if r.kind == "sessions"]) == 2
    central.store.users_by_email["sync@example.test"].password = PASSWORD
    clean_run_then_invariants(engine, central)


def test_client__wrong_password__one_login_attempt(central: Env) -> None:
    """F7: a wrong password is refused at once (never retried: no feeding a lockout)."""
    client = central.client(password="salah-sekali")
    with pytest.raises(AuthFailed, match="GRADUASI_CENTRAL_PASSWORD"):
        client.login()
    assert client.logins == 1


# --- F8: the $skiptoken anchor purged mid-sweep ------------------------------------------------------------------------


def test_sync__skiptoken_anchor_purged_between_pages__sweep_restarts_nothing_lost(
    engine: Engine, central: Env
) -> None:
    """F8: an empty page through a nextLink restarts the sweep; I1 holds, the purge is marked after reconcile."""
    seed(central, 30)

    def purge_anchor(ctx: Any) -> None:
        token = ctx.target.split("%24skiptoken=")[1].split("&")[0].replace("%3D", "=")
        anchor = json.loads(base64.b64decode(token[2:]))["instanceId"]
        central.store.delete(central.project_id, FORM_ID, anchor)
        central.purge(anchor)

    central.faults.add(f.hook(purge_anchor, kind="odata", path="skiptoken", nth=1))
    result = run_sync(engine, central)
    assert result.status == "ok", result.error
    assert result.restarts == 1
    assert count(engine, "SELECT count(*) FROM submission") == 30
    central.submit(99, at=T0 + timedelta(days=1))  # something changes, so the next run is not a 304
    clean_run_then_invariants(engine, central)


# --- F9, F10: changes while paging -----------------------------------------------------------------------------------


def test_sync__inserts_while_paging__not_duplicated_picked_up_next_run(engine: Engine, central: Env) -> None:
    """F9: rows submitted between pages land before page 1: not seen now, never twice, caught next run."""
    seed(central, 30)
    later = T0 + timedelta(days=2)
    central.faults.add(
        f.hook(
            lambda ctx: [central.submit(100 + i, at=later + timedelta(seconds=i)) for i in range(3)],
            kind="odata",
            path="skiptoken",
            nth=1,
        )  # fmt: skip
    )
    result = run_sync(engine, central)
    assert result.status == "ok", result.error
    assert result.inserted == 30
    second = run_sync(engine, central)
    assert second.inserted == 3
    assert_invariants(central, engine)


def test_sync__edits_while_paging__latest_version_wins(engine: Engine, central: Env) -> None:
    """F10: an edit of a row already fetched arrives next run; one not yet fetched arrives edited; no duplicates."""
    ids = seed(central, 30)
    newest_first = ids[::-1]
    fetched, not_yet = newest_first[0], newest_first[-1]
    later = T0 + timedelta(days=3)

    def edit_both(_ctx: Any) -> None:
        central.edit(fetched, at=later, name="Diedit setelah diambil")
        central.edit(not_yet, at=later + timedelta(seconds=1), name="Diedit sebelum diambil")

    central.faults.add(f.hook(edit_both, kind="odata", path="skiptoken", nth=1))
    result = run_sync(engine, central)
    assert result.status == "ok", result.error
    with engine.connect() as conn:
        names = dict(conn.execute(text("SELECT _id, nama_pengurus FROM f_uji_rt")).all())
    assert names[not_yet] == "Diedit sebelum diambil"
    assert names[fetched] != "Diedit setelah diambil"  # this run saw the old version; the next one catches up
    second = run_sync(engine, central)
    assert second.status == "ok" and second.updated >= 1
    assert_invariants(central, engine)
    with engine.connect() as conn:
        versions = conn.execute(
            select(RawSubmission.instance_id).where(RawSubmission.logical_id == fetched)
        ).all()
    assert len(versions) == 2


# --- F12, F13: equal and late timestamps ---------------------------------------------------------------------------


def test_sync__250_equal_timestamps_across_pages_then_ties_after_the_cursor__all_there(
    engine: Engine, central: Env
) -> None:
    """F12: 250 rows sharing a submissionDate cut by pages of 100, then 10 more at the cursor itself."""
    same = T0 + timedelta(hours=5)
    for i in range(250):
        central.submit(i, at=same, members=1)
    assert run_sync(engine, central, page_size=100).inserted == 250
    for i in range(250, 260):
        central.submit(i, at=same, members=1)
    assert run_sync(engine, central, page_size=100).inserted == 10
    assert_invariants(central, engine)


def test_sync__late_commits_below_the_cursor__caught_by_overlap_and_reconciliation(
    engine: Engine, central: Env
) -> None:
    """F13: a row created 3 min before the cursor (within the overlap) and one 2 h before (beyond it)."""
    seed(central, 20)
    run_sync(engine, central)
    cursor = datetime.fromisoformat(cursor_of(engine).replace("Z", "+00:00"))  # type: ignore[union-attr]
    central.submit(500, at=cursor - timedelta(minutes=3))
    central.submit(501, at=cursor - timedelta(hours=2))
    result = run_sync(engine, central)
    assert result.inserted == 2
    assert result.reconciled == 1  # the 2 h late row came through the id list
    assert_invariants(central, engine)


# --- the control: a naive cursor fails the same checks ------------------------------------------------------------


@pytest.fixture
def naive_cursor(monkeypatch: pytest.MonkeyPatch) -> None:
    """Turn the runner into the classic naive incremental sync: `gt max_seen`, no overlap, no reconciliation."""
    monkeypatch.setattr(runner, "DEFAULT_OVERLAP", timedelta(0))
    monkeypatch.setattr(runner._Run, "_reconcile", lambda self, tables, ids, result: None)
    monkeypatch.setattr(runner, "server_clock", lambda header: None)


def test_naive_cursor__ties_after_the_cursor__invariants_catch_the_loss(
    engine: Engine, central: Env, naive_cursor: None
) -> None:
    """A1/F12 control: a cursor without overlap loses rows that tie with it, and I1 says so."""
    same = T0 + timedelta(hours=5)
    for i in range(250):
        central.submit(i, at=same, members=1)
    run_sync(engine, central, page_size=100, overlap=timedelta(0))
    for i in range(250, 260):
        central.submit(i, at=same, members=1)
    run_sync(engine, central, page_size=100, overlap=timedelta(0))
    with pytest.raises(AssertionError, match="I1: 10 live submissions missing"):
        assert_invariants(central, engine)


def test_naive_cursor__late_commit__invariants_catch_the_loss(
    engine: Engine, central: Env, naive_cursor: None
) -> None:
    """F13 control: without overlap and reconciliation, a late-committed row is lost for good."""
    seed(central, 20)
    run_sync(engine, central, overlap=timedelta(0))
    cursor = datetime.fromisoformat(cursor_of(engine).replace("Z", "+00:00"))  # type: ignore[union-attr]
    central.submit(500, at=cursor - timedelta(minutes=3))
    run_sync(engine, central, overlap=timedelta(0))
    with pytest.raises(AssertionError, match="I1"):
        assert_invariants(central, engine)


# --- F15: disk full ------------------------------------------------------------------------------------------------


def test_sync__disk_full__run_fails_storage_full_nothing_written_then_recovers(
    engine: Engine, central: Env
) -> None:
    """F15: SQLite at its max_page_count (PostgreSQL: an injected 'could not extend file') fails the run cleanly."""
    seed(central, 30)
    before = count(engine, "SELECT count(*) FROM submission")
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine, "connect")
        def _full(dbapi_conn: Any, _record: Any) -> None:
            pages = dbapi_conn.execute("PRAGMA page_count").fetchone()[0]
            dbapi_conn.execute(f"PRAGMA max_page_count = {pages + 2}")

        engine.dispose()  # new connections get the limit
        result = run_sync(engine, central)
        event.remove(engine, "connect", _full)
        engine.dispose()
    else:
        from sync.faults import WorkerFaults

        result = run_sync(engine, central, faults=WorkerFaults.parse("raise:StorageFull:on=upsert:n=1"))
    assert (result.status, result.error_class) == ("failed", "StorageFull")
    assert count(engine, "SELECT count(*) FROM submission") == before
    assert count(engine, "SELECT count(*) FROM raw_submission") == 0
    assert cursor_of(engine) is None
    clean_run_then_invariants(engine, central)


# --- F16: the database locked by another writer --------------------------------------------------------------------


def test_sync__database_locked_by_another_writer__waits_then_commits_readers_unaffected(
    engine: Engine, central: Env
) -> None:
    """F16: another connection holds the write lock for 1.5 s; the worker waits or retries and commits after,
    while a reader keeps getting answers meanwhile."""
    seed(central, 20)
    run_sync(engine, central)  # tables exist; now something to write
    for i in range(20, 30):
        central.submit(i, at=T0 + timedelta(days=1, minutes=i))
    holder: Any
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine, "connect")
        def _impatient(dbapi_conn: Any, _record: Any) -> None:
            dbapi_conn.execute(
                "PRAGMA busy_timeout = 200"
            )  # so the worker sees 'database is locked' and retries

        engine.dispose()
        holder = sqlite3.connect(engine.url.database, isolation_level=None, check_same_thread=False)
        holder.execute("BEGIN IMMEDIATE")
        holder.execute("UPDATE sync_state SET updated_at = updated_at")
    else:
        holder = engine.raw_connection()
        holder.cursor().execute("LOCK TABLE submission IN EXCLUSIVE MODE")

    def release() -> None:
        time.sleep(1.5)
        holder.rollback()
        holder.close()

    releaser = threading.Thread(target=release)
    releaser.start()
    reads: list[float] = []

    def read() -> None:  # the admin meanwhile
        with engine.connect() as conn:
            started = time.monotonic()
            assert conn.execute(text("SELECT count(*) FROM f_uji_rt")).scalar_one() >= 20
            reads.append(time.monotonic() - started)

    reader = threading.Thread(target=read)
    reader.start()
    result = run_sync(engine, central)
    releaser.join()
    reader.join()
    if engine.dialect.name == "sqlite":
        event.remove(engine, "connect", _impatient)
    assert result.status == "ok", result.error
    assert result.inserted == 10
    assert reads and reads[0] < 1.0
    assert_invariants(central, engine)


# --- F18: clock skew -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("skew", [-7200, 7200])
def test_sync__server_date_header_skewed_two_hours__exact(engine: Engine, central: Env, skew: int) -> None:
    """F18: the cursor is built from the data's own timestamps; a skewed Date header only widens the overlap."""
    central.faults.add(f.date_skew(skew))
    ids = seed(central, 20, start=datetime.now(UTC) - timedelta(hours=1))
    assert run_sync(engine, central).status == "ok"
    central.edit(ids[3])
    central.store.review(central.project_id, FORM_ID, ids[5], "approved")
    central.submit(77)
    central.store.delete(central.project_id, FORM_ID, ids[7])
    result = run_sync(engine, central)
    assert result.status == "ok", result.error
    assert (result.inserted, result.updated) == (1, 3)
    assert_invariants(central, engine)


def test_cursor_code__never_reads_the_local_clock() -> None:
    """F18: the functions that build the filter and the cursor do not call now()/time()."""
    import inspect

    for fn in (runner.incremental_filter, runner.next_cursor, runner.server_clock, runner._Batch.commit):
        source = inspect.getsource(fn)
        for banned in ("now(", "time.time", "utcnow", "today("):
            assert banned not in source, f"{fn.__qualname__} uses {banned}"


# --- F19: an HTML page instead of JSON -----------------------------------------------------------------------------


def test_sync__html_captive_portal__fails_not_json_nothing_committed(engine: Engine, central: Env) -> None:
    """F19: a 200 text/html answer is never parsed as data: the run fails with UpstreamNotJSON."""
    seed(central, 10)
    central.faults.add(f.html(kind="odata"))
    result = run_sync(engine, central)
    assert (result.status, result.error_class) == ("failed", "UpstreamNotJSON")
    assert count(engine, "SELECT count(*) FROM submission") == 0
    clean_run_then_invariants(engine, central)


# --- F22: deletes, restores, purges -------------------------------------------------------------------------------


def test_sync__delete_restore_purge__reflected_never_removed(engine: Engine, central: Env) -> None:
    """F22/I7: a soft delete sets deleted_at, a restore clears it (found by the id list), a purge keeps the row."""
    ids = seed(central, 12)
    run_sync(engine, central)
    for logical_id in ids[:4]:
        central.store.delete(central.project_id, FORM_ID, logical_id, at=T0 + timedelta(days=1))
    first = run_sync(engine, central)
    assert first.updated == 4
    central.store.restore(central.project_id, FORM_ID, ids[0])
    central.purge(ids[1])
    central.store.delete(central.project_id, FORM_ID, ids[5])
    central.purge(ids[5])  # deleted and purged between two runs: only the id list can tell
    second = run_sync(engine, central)
    assert second.status == "ok", second.error
    assert second.purged == 1
    assert_invariants(central, engine)
    with engine.connect() as conn:
        state = dict(conn.execute(text("SELECT _id, _deleted_at FROM f_uji_rt")).all())
    assert state[ids[0]] is None and state[ids[1]] is not None and state[ids[5]] is not None
    assert count(engine, "SELECT count(*) FROM f_uji_rt") == 12


def test_sync__review_states__reflected(engine: Engine, central: Env) -> None:
    """Review states move updatedAt: each one arrives, with the edit count of an edit."""
    ids = seed(central, 6)
    run_sync(engine, central)
    for logical_id, state in zip(ids, ["approved", "hasIssues", "rejected"], strict=False):
        central.store.review(central.project_id, FORM_ID, logical_id, state, at=T0 + timedelta(days=1))
    central.edit(ids[4], at=T0 + timedelta(days=1, hours=1))
    result = run_sync(engine, central)
    assert (result.updated, result.inserted) == (4, 0)
    assert_invariants(central, engine)


def test_login__html_page_then_rate_limited__refused_cleanly_then_waited_out(central: Env) -> None:
    """F19/F3 at the login itself: an HTML page is never taken for a session; 429s are waited out."""
    from sync.errors import UpstreamNotJSON

    central.faults.add(f.html(kind="sessions", times=2))
    client = central.client()
    with pytest.raises(UpstreamNotJSON, match="GRADUASI_CENTRAL_URL"):
        client.login()
    assert client.logins == 2
    central.faults.rules.clear()
    central.faults.add(f.status(429, retry_after=2, kind="sessions", times=6))
    client = central.client()
    client.login()
    assert central.clock.sleeps[-6:] == [2.0] * 6 and client.logins == 7
