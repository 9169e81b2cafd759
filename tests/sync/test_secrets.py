"""A33: no password, session token or full NIK in any log line of a full sync (DEBUG included)."""

from __future__ import annotations

import logging
import os
import re
import subprocess
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from simulators.central import CentralStore, FaultPlan, RunningServer, start_server
from simulators.central import faults as f
from simulators.central.loadgen import REGISTRATION_ID, seed_loadtest
from sync.central import CentralClient
from sync.redact import RedactingFilter, redact
from sync.runner import sync_central_form
from tests.sync.test_crash import GRADUASI, ROOT

pytestmark = pytest.mark.timeout(120)
PASSWORD = "loadtest"  # the load-test admin of the simulator
NIK = re.compile(r"(?<!\d)\d{16}(?!\d)")


@pytest.fixture
def loadtest() -> Iterator[tuple[CentralStore, RunningServer, int]]:
    store = CentralStore()
    project_id, _admin = seed_loadtest(store, 60)
    plan = FaultPlan()
    server = start_server(store, faults=plan)
    try:
        yield store, server, project_id
    finally:
        server.stop()


def secrets_in(text: str, store: CentralStore) -> list[str]:
    found = (
        [f"password {PASSWORD!r}"]
        if f"{PASSWORD}" in text.replace("loadtest_", "").replace("loadtest@", "")
        else []
    )
    found += [f"token {token[:6]}…" for token in store.sessions if token in text]
    found += [f"NIK-like {m}" for m in NIK.findall(text)]
    return found


def test_sync__in_process_at_debug__logs_hold_no_secret(
    engine: Engine, loadtest: tuple[CentralStore, RunningServer, int], caplog: pytest.LogCaptureFixture
) -> None:
    """Nothing we or our libraries log during a sync, at DEBUG, carries a secret or a NIK (no filter needed)."""
    store, server, project_id = loadtest
    caplog.set_level(logging.DEBUG)
    with CentralClient(server.url, "loadtest@example.test", PASSWORD, project_id) as client:
        result = sync_central_form(engine, client, REGISTRATION_ID, page_size=25, show_progress=False)
        again = sync_central_form(engine, client, REGISTRATION_ID, page_size=25, show_progress=False)
    assert (result.status, result.fetched, again.status) == ("ok", 60, "ok")
    assert store.sessions, "the sync logged in"
    assert secrets_in(caplog.text, store) == []


def test_sync_cli__verbose_with_errors__logs_hold_no_secret(
    db_url: str, loadtest: tuple[CentralStore, RunningServer, int]
) -> None:
    """The CLI at -v, with a server error whose body echoes a NIK and a bearer token, masks both."""
    store, server, project_id = loadtest
    leak = '{"message":"bad row 3601234567890123, Authorization: Bearer abcdefghijklmnop"}'
    assert server.faults is not None
    server.faults.add(f.status(500, body=leak, kind="odata", path="skiptoken", nth=1))
    env = {k: v for k, v in os.environ.items() if not k.startswith("GRADUASI_")}
    env.update(
        GRADUASI_DATABASE_URL=db_url,
        GRADUASI_CENTRAL_URL=server.url,
        GRADUASI_CENTRAL_EMAIL="loadtest@example.test",
        GRADUASI_CENTRAL_PASSWORD=PASSWORD,
        GRADUASI_CENTRAL_PROJECT=str(project_id),
        GRADUASI_FORMS=f"central:{REGISTRATION_ID}",
    )
    done = subprocess.run(
        [GRADUASI, "-v", "sync", "run", "--page-size", "25"],
        env=env, cwd=ROOT, capture_output=True, text=True, timeout=90, check=False,
    )  # fmt: skip
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-2000:]
    assert "retry" in output  # the error was seen (and retried)
    assert secrets_in(output, store) == []
    bad = subprocess.run(
        [GRADUASI, "-v", "sync", "run"],
        env={**env, "GRADUASI_CENTRAL_PASSWORD": "salah-kata-sandi-3601234567890123"},
        cwd=ROOT, capture_output=True, text=True, timeout=90, check=False,
    )  # fmt: skip
    assert bad.returncode == 1
    assert "AuthFailed" in bad.stdout
    assert "salah-kata-sandi" not in bad.stdout + bad.stderr
    assert NIK.findall(bad.stdout + bad.stderr) == []


def test_redact__secrets_tokens_niks__masked() -> None:
    """The filter masks configured secrets, bearer tokens, JSON password/token fields and 16-digit runs."""
    text = 'pw s3cret-pass {"token":"abc$def","password":"x"} Bearer zz!yy$ NIK 3601234567890123 KK 1234567890123456'
    out = redact(text, ["s3cret-pass"])
    assert "s3cret-pass" not in out and "abc$def" not in out and "zz!yy$" not in out
    assert NIK.findall(out) == [] and "3601********0123" in out
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "login %s with %s", ("a", "s3cret-pass"), None)
    RedactingFilter(["s3cret-pass"]).filter(record)
    assert record.getMessage() == "login a with ***"
