"""``graduasi sync run|status|rebuild|loop``: exit codes, what status shows for a failed and a good run."""

from __future__ import annotations

import subprocess
import time
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, select

from graduasi.cli import main
from tests.sync.conftest import Env, seed
from tests.sync.test_crash import GRADUASI, ROOT, cli_env
from warehouse.models import SyncRun

pytestmark = pytest.mark.timeout(90)


def invoke(env: Env, db_url: str, *args: str, **overrides: str) -> Any:
    environ = cli_env(env, db_url)
    environ.update(overrides)
    return CliRunner().invoke(main, list(args), env=environ, catch_exceptions=False)


def test_sync_status__failed_then_good_run__shows_error_then_success(
    engine: Engine, db_url: str, central: Env
) -> None:
    """A failed run exits 1 and shows in status (class, message, exit 1); a good run clears it."""
    seed(central, 9)
    central.store.add_project("Lain")  # the configured project is wrong: the form is not found there
    wrong = invoke(central, db_url, "sync", "run", GRADUASI_CENTRAL_PROJECT=str(central.project_id + 1))
    assert wrong.exit_code == 1
    assert "FormNotFound" in wrong.output and "GRADUASI_CENTRAL_PROJECT" in wrong.output
    status = invoke(central, db_url, "sync", "status")
    assert status.exit_code == 1
    assert "central:uji_rt: last success never" in status.output
    assert "error: FormNotFound" in status.output
    good = invoke(central, db_url, "sync", "run", "--page-size", "4")
    assert good.exit_code == 0, good.output
    assert "central:uji_rt: ok — fetched 9, inserted 9" in good.output
    status = invoke(central, db_url, "sync", "status")
    assert status.exit_code == 0, status.output
    assert "last success 20" in status.output and "last run #2 ok" in status.output
    assert "fetched 9, inserted 9" in status.output


def test_sync_rebuild_cli__after_a_sync__rebuilds_without_network(
    engine: Engine, db_url: str, central: Env
) -> None:
    seed(central, 5)
    assert invoke(central, db_url, "sync", "run").exit_code == 0
    central.server.stop()
    result = invoke(central, db_url, "sync", "rebuild")
    assert result.exit_code == 0, result.output
    assert "central:uji_rt: 5 submissions re-derived from raw" in result.output


def test_sync_loop__every_second__runs_again_and_again(engine: Engine, db_url: str, central: Env) -> None:
    """`sync loop --every 1s` keeps running passes (the second one is a cheap 304)."""
    seed(central, 5)
    loop = subprocess.Popen(
        [GRADUASI, "sync", "loop", "--every", "1s"],
        env=cli_env(central, db_url),
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 40
        runs: list[Any] = []
        while time.monotonic() < deadline:
            with engine.connect() as conn:
                runs = conn.execute(
                    select(SyncRun.status, SyncRun.fetched)
                    .where(SyncRun.status != "running")  # the pass under way may be any of them
                    .order_by(SyncRun.id)
                ).all()
            if len(runs) >= 3:
                break
            time.sleep(0.3)
    finally:
        loop.terminate()
        loop.wait(timeout=10)
    assert len(runs) >= 3, runs
    assert runs[0] == ("ok", 5) and all(r == ("ok", 0) for r in runs[1:3])
