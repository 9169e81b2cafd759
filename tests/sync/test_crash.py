"""F14: kill -9 of ``graduasi sync run`` at every page boundary, before and after each commit, then a clean run.

The worker runs as a subprocess against a simulator started here; ``GRADUASI_SYNC_FAULT`` makes it SIGKILL
itself at the chosen point. After the crash the committed cursor must never be ahead of the committed data (I4)
and SQLite must pass its integrity check; the next run marks the dead run aborted, resumes from the cursor and
ends with every invariant holding.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select, text

from tests.sync.conftest import (
    EMAIL,
    FORM_ID,
    PASSWORD,
    T0,
    Env,
    assert_cursor_not_ahead,
    assert_invariants,
    run_sync,
    seed,
)
from warehouse.models import SyncRun

pytestmark = pytest.mark.timeout(120)
ROOT = Path(__file__).resolve().parents[2]
GRADUASI = str(Path(sys.executable).with_name("graduasi"))


def cli_env(env: Env, db_url: str, fault: str | None = None) -> dict[str, str]:
    out = {k: v for k, v in os.environ.items() if not k.startswith("GRADUASI_")}
    out.update(
        GRADUASI_DATABASE_URL=db_url,
        GRADUASI_CENTRAL_URL=env.url,
        GRADUASI_CENTRAL_EMAIL=EMAIL,
        GRADUASI_CENTRAL_PASSWORD=PASSWORD,
        GRADUASI_CENTRAL_PROJECT=str(env.project_id),
        GRADUASI_FORMS=f"central:{FORM_ID}",
    )
    if fault:
        out["GRADUASI_SYNC_FAULT"] = fault
    return out


def sync_cli(
    env: Env, db_url: str, *args: str, fault: str | None = None, **kwargs: Any
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [GRADUASI, "sync", "run", "--page-size", "5", "--commit-rows", "5", *args],
        env=cli_env(env, db_url, fault),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
        **kwargs,
    )


def integrity_ok(engine: Engine) -> None:
    if engine.dialect.name == "sqlite":
        with engine.connect() as conn:
            assert conn.execute(text("PRAGMA integrity_check")).scalar_one() == "ok"


# 4 pages of 5 in the incremental sweep, committed one by one; then the reconciliation and the final commit
KILL_POINTS = [f"{side}:page={page}" for page in (1, 2, 3, 4) for side in ("before_commit", "after_commit")]
KILL_POINTS += ["reconcile", "finish"]


@pytest.mark.parametrize("point", KILL_POINTS)
def test_sync_cli__kill_9_at_every_boundary__cursor_never_ahead_and_next_run_exact(
    engine: Engine, db_url: str, central: Env, point: str
) -> None:
    """F14/A9: SIGKILL at each boundary of an incremental run; I4 right after, I1-I5 after the next run."""
    ids = seed(central, 8)
    assert run_sync(engine, central).status == "ok"
    later = T0 + timedelta(days=1)
    for i in range(8, 22):
        central.submit(i, at=later + timedelta(minutes=i))
    central.edit(ids[2], at=later + timedelta(hours=1))
    central.store.review(central.project_id, FORM_ID, ids[4], "approved", at=later + timedelta(hours=1))
    central.store.delete(central.project_id, FORM_ID, ids[6], at=later + timedelta(hours=2))
    central.store.restore(central.project_id, FORM_ID, ids[6])
    central.store.delete(central.project_id, FORM_ID, ids[7], at=later + timedelta(hours=2))
    kill = f"kill:{point}"
    done = sync_cli(central, db_url, fault=kill)
    assert done.returncode == -signal.SIGKILL, done.stderr[-2000:]
    engine.dispose()
    integrity_ok(engine)
    assert_cursor_not_ahead(central, engine)
    with engine.connect() as conn:
        assert (
            conn.execute(select(SyncRun.status).order_by(SyncRun.id.desc()).limit(1)).scalar_one()
            == "running"
        )
    after = run_sync(engine, central)
    assert after.status == "ok", after.error
    with engine.connect() as conn:
        statuses = [s for (s,) in conn.execute(select(SyncRun.status).order_by(SyncRun.id))]
    assert statuses == ["ok", "aborted", "ok"]
    integrity_ok(engine)
    assert_invariants(central, engine)


def test_sync_cli__clean_run__exit_0_and_exact(engine: Engine, db_url: str, central: Env) -> None:
    """The CLI itself: a run with several commits exits 0 and leaves the invariants holding."""
    seed(central, 17)
    done = sync_cli(central, db_url)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "central:uji_rt: ok" in done.stdout
    engine.dispose()
    assert_invariants(central, engine)
