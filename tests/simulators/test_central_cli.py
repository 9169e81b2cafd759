"""``graduasi simulator central``: serving the replayed data set, seeding through the synthetic generator,
and clear errors for bad options."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import types
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner

from graduasi.cli import simulator as simulator_cli
from simulators.central import CentralStore
from tests.simulators.conftest import FIXTURES, SAMPLE_MD, xform

ROOT = Path(__file__).resolve().parents[2]


def test_cli_central__replay__serves_the_captured_data_until_interrupted() -> None:
    """Should print the URL and the login, serve the captured data set and stop cleanly on Ctrl-C."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "graduasi", "simulator", "central", "--replay", str(FIXTURES), "--port", "0"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        url_line = proc.stdout.readline()  # type: ignore[union-attr]
        login_line = proc.stdout.readline()  # type: ignore[union-attr]
        url = re.search(r"(http://127\.0\.0\.1:\d+)", url_line).group(1)  # type: ignore[union-attr]
        _, email, password = login_line.split()
        token = requests.post(
            f"{url}/v1/sessions", json={"email": email, "password": password}, timeout=10
        ).json()["token"]
        count = requests.get(
            f"{url}/v1/projects/1/forms/survei_rumah_tangga.svc/Submissions?$count=true&$top=0",
            headers={"Authorization": f"Bearer {token}"},
            timeout=10,
        ).json()["@odata.count"]
        assert count == 19
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=10)
    assert proc.returncode == 0


def test_cli_central__bad_fault_spec__usage_error_naming_the_problem() -> None:
    """Should refuse an unparseable --faults with a usage error that says what is wrong."""
    result = CliRunner().invoke(
        simulator_cli.simulator, ["central", "--faults", "status=503,colour=red", "--replay", str(FIXTURES)]
    )
    assert result.exit_code == 2 and "unknown item 'colour'" in result.output


@dataclass
class _Seeded:
    project_id: int
    admin_email: str
    admin_password: str


def test_cli_central__synthetic__seeds_through_seed_demo_central(monkeypatch: pytest.MonkeyPatch) -> None:
    """Should call simulators.synthetic.seed_demo_central(store, kpm=N, seed=S) and print its login."""
    calls: list[tuple[int, int]] = []

    def fake_seed(store: CentralStore, *, kpm: int, seed: int) -> _Seeded:
        calls.append((kpm, seed))
        admin = store.add_user("demo@example.test", "demo-pass")
        store.add_project("Demo")
        store.publish_form(1, xform(SAMPLE_MD), by=admin)
        return _Seeded(1, "demo@example.test", "demo-pass")

    monkeypatch.setitem(
        sys.modules, "simulators.synthetic", types.SimpleNamespace(seed_demo_central=fake_seed)
    )

    def interrupted() -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(simulator_cli, "_wait_for_interrupt", interrupted)
    result = CliRunner().invoke(
        simulator_cli.simulator, ["central", "--kpm", "12", "--seed", "7", "--port", "0"]
    )
    assert result.exit_code == 0, result.output
    assert calls == [(12, 7)]
    assert "login: demo@example.test demo-pass" in result.output
    assert re.search(r"ODK Central simulator: http://127\.0\.0\.1:\d+", result.output)


def test_cli_central__no_synthetic_generator__clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """Should explain that the synthetic generator is missing and point at --replay."""
    monkeypatch.setitem(sys.modules, "simulators.synthetic", types.SimpleNamespace())
    result = CliRunner().invoke(simulator_cli.simulator, ["central", "--port", "0"])
    assert result.exit_code == 1 and "seed_demo_central" in result.output and "--replay" in result.output
