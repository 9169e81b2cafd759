"""A15: the sync as a hypothesis state machine — random inserts (some tied, some committed late), edits, reviews,
deletes, restores and purges upstream, interleaved with syncs that meet server faults, changes while paging
and crashes at page boundaries. After every clean sync I1-I7 hold; after any sync, the invariants that must
hold even mid-failure (no duplicates, the ledger, the cursor never ahead of the data) hold.

CI runs a bounded number of examples; ``GRADUASI_HYPOTHESIS_EXAMPLES=5000`` runs the nightly amount.
"""

from __future__ import annotations

import os
import shutil
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import Engine, inspect, text

from simulators.central import faults as f
from sync.faults import WorkerFaults
from tests.conftest import create_pg_database, drop_pg_database
from tests.sync.conftest import (
    FORM_ID,
    T0,
    Env,
    assert_cursor_not_ahead,
    assert_invariants,
    make_env,
    run_sync,
)
from warehouse.db import make_engine
from warehouse.migrate import upgrade

EXAMPLES = int(os.environ.get("GRADUASI_HYPOTHESIS_EXAMPLES", "0"))

FAULTS = st.sampled_from(
    [
        "none",
        "500",
        "503",
        "429",
        "reset",
        "truncate",
        "expire",
        "html",
        "crash",
        "crash_after",
        "insert",
        "edit",
    ]
)


def _fault(machine: SyncMachine, kind: str, page: int) -> dict[str, Any]:
    """Install one fault for the next sync; returns extra arguments for run_sync."""
    env = machine.env
    nth = page + 1  # the probe is OData request 1
    if kind == "500":
        env.faults.add(f.status(500, kind="odata", nth=nth, times=2))
    elif kind == "503":
        env.faults.add(f.status(503, retry_after=3, kind="odata", nth=nth))
    elif kind == "429":
        env.faults.add(f.status(429, retry_after=1, kind="odata", from_nth=nth, times=6))
    elif kind == "reset":
        env.faults.add(f.reset("mid", kind="odata", nth=nth))
    elif kind == "truncate":
        env.faults.add(f.truncate("cut", kind="odata", nth=nth))
    elif kind == "expire":
        env.faults.add(f.expire_session(kind="odata", nth=nth))
    elif kind == "html":
        env.faults.add(f.html(kind="odata", nth=nth, times=3))
    elif kind == "crash":

        def crash(number: int, _conn: Any) -> None:
            if number == page:
                raise RuntimeError(f"crash before the commit of page {page}")

        return {"page_hook": crash}
    elif kind == "crash_after":
        return {"faults": WorkerFaults.parse(f"raise:SyncError:on=after_commit:page={page}")}
    elif kind == "insert":

        def insert(
            _ctx: Any,
        ) -> None:  # submitted while the sweep pages, on the same clock as everything else
            machine.clock += timedelta(seconds=3)
            env.submit(machine.n, at=machine.clock)
            machine.n += 1

        env.faults.add(f.hook(insert, kind="odata", nth=nth))
    elif kind == "edit":

        def edit(_ctx: Any) -> None:
            live = env.store.live_ids(env.project_id, FORM_ID)
            if live:
                machine.clock += timedelta(seconds=3)
                env.edit(live[-1], at=machine.clock, name="Diedit saat paging")

        env.faults.add(f.hook(edit, kind="odata", nth=nth))
    return {}


class SyncMachine(RuleBasedStateMachine):
    """Upstream changes and syncs in random order; the warehouse must follow exactly."""

    engine: Engine
    env: Env

    def __init__(self) -> None:
        super().__init__()
        self.env = make_env()
        self.engine = _new_engine()
        self.clock = T0
        self.n = 0
        self.synced = False
        self.high_water = T0 - timedelta(days=1)  # newest upstream timestamp when a sync last started
        self.late: set[str] = set()

    def teardown(self) -> None:
        self.env.server.stop()
        _release_engine(self.engine)

    # --- upstream ------------------------------------------------------------------------------------------------

    @initialize(k=st.integers(0, 12))
    def first_rows(self, k: int) -> None:
        self.insert(k, tie=False)

    @rule(k=st.integers(1, 6), tie=st.booleans())
    def insert(self, k: int, tie: bool) -> None:
        for _ in range(k):
            if not tie:
                self.clock += timedelta(seconds=7)
            logical_id = self.env.submit(self.n, at=self.clock, members=self.n % 4)
            if self.clock <= self.high_water:  # a tie with what a sync may already have passed
                self.late.add(logical_id)
            self.n += 1

    @rule(minutes=st.sampled_from([2, 30, 180]))
    def late_insert(self, minutes: int) -> None:
        """A row committed late: its submissionDate is already behind the clock."""
        self.late.add(self.env.submit(self.n, at=self.clock - timedelta(minutes=minutes), members=1))
        self.n += 1

    def _pick(self, ids: list[str], index: int) -> str | None:
        return ids[index % len(ids)] if ids else None

    @rule(index=st.integers(0, 1000))
    def edit(self, index: int) -> None:
        logical_id = self._pick(self.env.store.live_ids(self.env.project_id, FORM_ID), index)
        if logical_id:
            self.clock += timedelta(seconds=5)
            self.env.edit(logical_id, at=self.clock, name=f"Edit {index}", members=index % 3)

    @rule(index=st.integers(0, 1000), state=st.sampled_from(["approved", "hasIssues", "rejected", None]))
    def review(self, index: int, state: str | None) -> None:
        logical_id = self._pick(self.env.store.live_ids(self.env.project_id, FORM_ID), index)
        if logical_id:
            self.clock += timedelta(seconds=5)
            self.env.store.review(self.env.project_id, FORM_ID, logical_id, state, at=self.clock)

    @rule(index=st.integers(0, 1000))
    def delete(self, index: int) -> None:
        logical_id = self._pick(self.env.store.live_ids(self.env.project_id, FORM_ID), index)
        if logical_id:
            self.clock += timedelta(seconds=5)
            self.env.store.delete(self.env.project_id, FORM_ID, logical_id, at=self.clock)

    @rule(index=st.integers(0, 1000))
    def restore(self, index: int) -> None:
        logical_id = self._pick(self.env.store.deleted_ids(self.env.project_id, FORM_ID), index)
        if logical_id:
            self.env.store.restore(self.env.project_id, FORM_ID, logical_id)

    @rule(index=st.integers(0, 1000))
    def purge(self, index: int) -> None:
        logical_id = self._pick(self.env.store.deleted_ids(self.env.project_id, FORM_ID), index)
        if logical_id:
            self.env.store.purge(self.env.project_id, FORM_ID, logical_id)
            with self.engine.connect() as conn:
                known = conn.execute(
                    text("SELECT 1 FROM submission WHERE logical_id = :i"), {"i": logical_id}
                ).first()
            if known:  # the warehouse must keep it, marked deleted (one it never saw it cannot keep)
                self.env.purged.add(logical_id)

    @rule(minutes=st.integers(1, 240))
    def advance_clock(self, minutes: int) -> None:
        self.clock += timedelta(minutes=minutes)

    # --- syncs ---------------------------------------------------------------------------------------------------

    @rule(page_size=st.sampled_from([3, 5, 50]))
    def sync_clean(self, page_size: int) -> None:
        self.high_water = max(self.high_water, self.clock)
        result = run_sync(self.engine, self.env, page_size=page_size)
        assert result.status == "ok", f"{result.error_class}: {result.error}"
        self.synced = True
        assert_invariants(self.env, self.engine)
        self.late.clear()

    @rule(page_size=st.sampled_from([3, 5]), fault=FAULTS, page=st.integers(1, 4))
    def sync_with_fault(self, page_size: int, fault: str, page: int) -> None:
        self.high_water = max(self.high_water, self.clock)
        extra = _fault(self, fault, page)
        run_sync(self.engine, self.env, page_size=page_size, **extra)
        self.high_water = max(self.high_water, self.clock)  # a hook may have moved the clock meanwhile
        self.env.faults.rules.clear()
        self.synced = True

    @precondition(lambda self: self.synced)
    @invariant()
    def always(self) -> None:
        """What holds even right after a failed or crashed run: I2, I4, I5."""
        with self.engine.connect() as conn:
            assert not conn.execute(
                text("SELECT logical_id FROM submission GROUP BY logical_id HAVING count(*) > 1")
            ).all()
            for run in conn.execute(text("SELECT * FROM sync_run")).all():
                assert run.fetched == run.inserted + run.updated + run.unchanged + run.quarantined
        assert_cursor_not_ahead(self.env, self.engine, late=self.late)


# --- databases: one migrated template, copied per example --------------------------------------------------------

_TEMPLATE: dict[str, Any] = {}


def _new_engine() -> Engine:
    backend = _TEMPLATE["backend"]
    if backend == "sqlite":
        folder: Path = _TEMPLATE["folder"]
        _TEMPLATE["n"] = _TEMPLATE.get("n", 0) + 1
        path = folder / f"example-{_TEMPLATE['n']}.db"
        shutil.copy(_TEMPLATE["file"], path)
        return make_engine(f"sqlite:///{path}")
    engine = _TEMPLATE["engine"]
    with engine.begin() as conn:  # back to the migrated, empty schema
        for name in inspect(conn).get_table_names():
            if name.startswith("f_"):
                conn.exec_driver_sql(f'DROP TABLE "{name}"')
        conn.exec_driver_sql(
            "TRUNCATE submission, raw_submission, sync_run, sync_state, form_field, change_queue, dq_issue "
            "RESTART IDENTITY"
        )
    return engine


def _release_engine(engine: Engine) -> None:
    if _TEMPLATE["backend"] == "sqlite":
        engine.dispose()


@pytest.mark.timeout(600)
@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_sync_state_machine__random_changes_faults_crashes__invariants_hold(
    backend: str, tmp_path: Path
) -> None:
    """A15: no sequence of upstream changes, faults and crashes breaks I1-I7."""
    _TEMPLATE.clear()
    _TEMPLATE["backend"] = backend
    pg_url = None
    if backend == "sqlite":
        template = tmp_path / "template.db"
        engine = make_engine(f"sqlite:///{template}")
        upgrade(engine)
        engine.dispose()
        _TEMPLATE.update(folder=tmp_path, file=template)
        examples = EXAMPLES or 25
    else:
        pg_url = create_pg_database()
        engine = make_engine(pg_url)
        upgrade(engine)
        _TEMPLATE["engine"] = engine
        examples = EXAMPLES or 10
    try:
        run_state_machine_as_test(
            SyncMachine,
            settings=settings(
                max_examples=examples,
                stateful_step_count=14,
                deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
                database=None,
            ),
        )
    finally:
        if pg_url:
            _TEMPLATE["engine"].dispose()
            drop_pg_database(pg_url)
