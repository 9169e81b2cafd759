"""Fixtures of the sync tests: a small household form on the Central simulator (with a fault plan), a fake
clock for retries, and the invariant check of reliability.md §0 that every fault test ends with."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pyxform.xls2xform import convert
from sqlalchemy import Engine, select, text

from simulators.central import CentralStore, FaultPlan, RunningServer, start_server
from sync.central import CentralClient, RetryPolicy
from sync.runner import FormRunResult, sync_central_form
from warehouse.models import RawSubmission, Submission, SyncRun, SyncState

FORM_MD = """
| survey |              |                    |               |
|        | type         | name               | label         |
|        | text         | id_kpm             | ID KPM        |
|        | text         | nama_pengurus      | Nama          |
|        | date         | tanggal_registrasi | Tanggal       |
|        | begin_repeat | anggota            | Anggota       |
|        | text         | nama_art           | Nama anggota  |
|        | date         | tanggal_lahir      | Tanggal lahir |
|        | integer      | umur_tahun         | Umur          |
|        | end_repeat   |                    |               |
| settings |            |                    |               |
|        | form_id      | version            |               |
|        | uji_rt       | 2026112801         |               |
"""
FORM_ID = "uji_rt"
EMAIL, PASSWORD = "sync@example.test", "kata-sandi-yang-panjang"
T0 = datetime(2019, 2, 1, 1, 0, 0, tzinfo=UTC)
XFORM = convert(xlsform=FORM_MD, file_type=".md").xform


class FakeClock:
    """Records the waits a client asks for instead of sleeping (Retry-After tests cost no time)."""

    def __init__(self) -> None:
        self.sleeps: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)

    @property
    def total(self) -> float:
        return sum(self.sleeps)


@dataclass
class Env:
    """A running simulator with one project and the test form."""

    store: CentralStore
    server: RunningServer
    project_id: int
    submitter: Any
    faults: FaultPlan
    clock: FakeClock = field(default_factory=FakeClock)
    purged: set[str] = field(default_factory=set)

    @property
    def url(self) -> str:
        return self.server.url

    def client(self, *, password: str = PASSWORD, **kwargs: Any) -> CentralClient:
        kwargs.setdefault("policy", RetryPolicy(attempts=4, base_delay=0.01, max_delay=0.05))
        kwargs.setdefault("sleep", self.clock.sleep)
        kwargs.setdefault("timeout", (2.0, 5.0))
        return CentralClient(self.url, EMAIL, password, self.project_id, **kwargs)

    def submit(self, i: int, *, at: datetime | None = None, members: int = 3, **kwargs: Any) -> str:
        sub = self.store.submit(
            self.project_id, FORM_ID, household(i, members), submitter=self.submitter, at=at, **kwargs
        )
        return sub.logical_id

    def edit(
        self, logical_id: str, *, at: datetime | None = None, name: str = "Nama Baru", members: int = 2
    ) -> None:
        data = household(0, members)
        data["nama_pengurus"] = name
        self.store.edit(self.project_id, FORM_ID, logical_id, data, submitter=self.submitter, at=at)

    def purge(self, logical_id: str) -> None:
        self.store.purge(self.project_id, FORM_ID, logical_id)
        self.purged.add(logical_id)

    def odata_requests(self) -> list[Any]:
        return [r for r in self.server.request_log if r.kind == "odata"]


def household(i: int, members: int) -> dict[str, Any]:
    return {
        "id_kpm": f"3601-{i:06d}",
        "nama_pengurus": f"Pengurus {i}",
        "tanggal_registrasi": "2019-02-01",
        "anggota": [
            {
                "nama_art": f"Anggota {i}.{m}",
                "tanggal_lahir": f"{1980 + m}-0{1 + m % 9}-15",
                "umur_tahun": 39 - m,
            }
            for m in range(members)
        ],
    }


def make_env(faults: FaultPlan | None = None, *, clock: Callable[[], datetime] | None = None) -> Env:
    store = CentralStore(clock=clock)
    store.add_user(EMAIL, PASSWORD, "Sync")
    project = store.add_project("Uji")
    submitter = store.add_app_user(project.id, "Pendamping Uji")
    store.publish_form(project.id, XFORM, at=T0)
    plan = faults if faults is not None else FaultPlan()
    server = start_server(store, faults=plan)
    return Env(store, server, project.id, submitter, plan)


@pytest.fixture
def central() -> Iterator[Env]:
    """The simulator with the test form and an empty fault plan (add rules with ``central.faults.add``)."""
    env = make_env()
    try:
        yield env
    finally:
        env.server.stop()


def run_sync(engine: Engine, env: Env, *, page_size: int = 7, **kwargs: Any) -> FormRunResult:
    """One sync of the test form with a fresh client (as each CLI run has).

    Sweeps of more than two pages prepare their pages in the page worker (``offload_from=0``), so every fault
    test runs through it; pass ``offload_from`` to test the sync without it.
    """
    kwargs.setdefault("offload_from", 0)
    client_kwargs = kwargs.pop("client_kwargs", {})
    with env.client(**client_kwargs) as client:
        return sync_central_form(engine, client, FORM_ID, page_size=page_size, show_progress=False, **kwargs)


def seed(env: Env, n: int, *, start: datetime = T0, step: timedelta = timedelta(minutes=1)) -> list[str]:
    return [env.submit(i, at=start + i * step, members=1 + i % 4) for i in range(n)]


# --- the invariants of reliability.md §0 ------------------------------------------------------------------------


def _strip(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip(v) for k, v in value.items() if v is not None and not k.endswith("navigationLink")}
    if isinstance(value, list):
        return [_strip(v) for v in value]
    return value


def canonical_sha(value: Any) -> str:
    """SHA-256 of a row's answers, order- and null-insensitive (how I3 compares versions)."""
    return hashlib.sha256(json.dumps(_strip(value), sort_keys=True).encode()).hexdigest()


def assert_invariants(
    env: Env, engine: Engine, *, form_id: str = FORM_ID, typed_table: str = "f_uji_rt"
) -> None:
    """I1-I5 and I7 after a final clean sync (I6 is each test's timeout and its assertions on failure)."""
    store, pid = env.store, env.project_id
    live = set(store.live_ids(pid, form_id))
    deleted = set(store.deleted_ids(pid, form_id))
    sub = Submission.__table__
    with engine.connect() as conn:
        current = {
            r.logical_id: r
            for r in conn.execute(select(sub).where(sub.c.source == "central", sub.c.form_id == form_id))
        }
        # I2: one current row per logical id, one raw row per version
        assert not conn.execute(
            text("SELECT logical_id FROM submission GROUP BY source, form_id, logical_id HAVING count(*) > 1")
        ).all()
        assert not conn.execute(
            text(
                "SELECT instance_id FROM raw_submission GROUP BY source, form_id, instance_id HAVING count(*) > 1"
            )
        ).all()
        assert not conn.execute(text(f"SELECT _id FROM {typed_table} GROUP BY _id HAVING count(*) > 1")).all()
        raw = {
            r.instance_id: r.payload
            for r in conn.execute(select(RawSubmission.instance_id, RawSubmission.payload))
        }
        typed = {r[0]: r[1] for r in conn.execute(text(f"SELECT _id, _instance_id FROM {typed_table}"))}
        children = dict(
            conn.execute(
                text(f"SELECT _submission_id, count(*) FROM {typed_table}__anggota GROUP BY _submission_id")
            ).all()
        )
        runs = conn.execute(select(SyncRun.__table__)).all()
        state = conn.execute(
            select(SyncState.cursor).where(SyncState.form_id == form_id)
        ).scalar_one_or_none()
    # I1: nothing lost; live upstream is live here
    missing = live - set(current)
    assert not missing, f"I1: {len(missing)} live submissions missing, e.g. {sorted(missing)[:3]}"
    wrongly_deleted = {i for i in live if current[i].deleted_at is not None}
    assert not wrongly_deleted, f"I1: live upstream but deleted here: {sorted(wrongly_deleted)[:3]}"
    # I7: deletions propagate, nothing removed
    for logical_id in deleted | env.purged:
        assert logical_id in current, f"I7: deleted {logical_id} was removed from the warehouse"
        assert current[logical_id].deleted_at is not None, f"I7: {logical_id} deleted upstream, not here"
    # I3: latest wins (version, answers, review state, typed rows)
    for logical_id in live | deleted:
        upstream = store.get(pid, form_id, logical_id)
        row = current[logical_id]
        assert row.instance_id == upstream.current_instance_id, (
            f"I3: {logical_id} is not on its latest version"
        )
        assert row.edits == upstream.edits and row.review_state == upstream.review_state, f"I3: {logical_id}"
        expected = {k: v for k, v in upstream.odata().items() if k != "__system"}
        assert canonical_sha(json.loads(raw[row.instance_id])) == canonical_sha(expected), f"I3: {logical_id}"
        assert typed.get(logical_id) == row.instance_id, f"I3: typed row of {logical_id} is stale"
        assert children.get(logical_id, 0) == len(expected.get("anggota") or []), (
            f"I3: members of {logical_id}"
        )
    # I5: every run's ledger balances; a run that did not finish is not 'ok'
    for run in runs:
        assert run.fetched == run.inserted + run.updated + run.unchanged + run.quarantined, (
            f"I5: run {run.id}"
        )
        if run.finished_at is None:
            assert run.status != "ok", f"I5: run {run.id} unfinished but ok"
    # I4 (after the final run): everything changed up to the cursor is here, on its current version
    if state is not None:
        assert_cursor_not_ahead(env, engine, form_id=form_id)


def assert_cursor_not_ahead(
    env: Env, engine: Engine, *, form_id: str = FORM_ID, late: set[str] | frozenset[str] = frozenset()
) -> None:
    """I4: every upstream change at or before the committed cursor is in the warehouse.

    :param late: rows committed upstream with a timestamp already at or below a cursor (late commits, ties
        after the cursor): they are not "behind the cursor" in the sense of I4 until a run reconciles them.
    """
    with engine.connect() as conn:
        cursor = conn.execute(
            select(SyncState.cursor).where(SyncState.form_id == form_id)
        ).scalar_one_or_none()
        current = {
            r.logical_id: r
            for r in conn.execute(
                select(Submission.logical_id, Submission.instance_id, Submission.deleted_at).where(
                    Submission.form_id == form_id
                )
            )
        }
    if cursor is None:
        return
    for logical_id in [
        *env.store.live_ids(env.project_id, form_id),
        *env.store.deleted_ids(env.project_id, form_id),
    ]:
        upstream = env.store.get(env.project_id, form_id, logical_id)
        system = upstream.system()
        changed = max(v for v in (system["submissionDate"], system["updatedAt"], system["deletedAt"]) if v)
        if changed > cursor or logical_id in late:
            continue
        row = current.get(logical_id)
        assert row is not None, f"I4: {logical_id} changed at {changed} <= cursor {cursor} but is missing"
        assert row.instance_id == upstream.current_instance_id, f"I4: {logical_id} stale below the cursor"
        if system["deletedAt"] is not None:
            assert row.deleted_at is not None, f"I4: {logical_id} deleted at {changed} <= cursor, not here"


def count(engine: Engine, sql: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text(sql)).scalar_one())


def last_run(engine: Engine) -> Any:
    with engine.connect() as conn:
        return conn.execute(select(SyncRun.__table__).order_by(SyncRun.id.desc()).limit(1)).one()
