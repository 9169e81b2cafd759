"""The demo pipeline end to end: its dashboard shows exactly the numbers of the generated households.

The expected numbers are computed here straight from the generator's ground truth (households and their
registration rosters), not from anything the sync or the warehouse produced.
"""

from __future__ import annotations

import csv
import os
import re
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from datetime import date
from html.parser import HTMLParser
from pathlib import Path

import pytest
import requests
from sqlalchemy import func, select, text

from forms.catalog import CHOICES_DIR
from graduasi.cli.sync import run_once
from graduasi.demo import Demo, prepare_demo
from warehouse.models import Anggota, Kpm
from webadmin import create_app

KPM = 240


def age_on(birth: date, day: date) -> int:
    """Completed years on ``day`` (independent of the warehouse's own helpers)."""
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    folder = tmp_path_factory.mktemp("demo")
    env = prepare_demo(
        folder / "graduasi-demo.db",
        kpm=KPM,
        seed=2019,
        sync=lambda s, e: run_once(s, e, show_progress=False),
        echo=lambda _m: None,
    )
    try:
        yield env
    finally:
        env.stop()


class _Table(HTMLParser):
    """Collects the text of every cell of the dashboard table, row by row."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self._cell: list[str] | None = None
        self._row: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list) -> None:  # type: ignore[override]
        if tag == "tr":
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.rows.append(self._row)
            self._row = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def expected_per_kabupaten(env: Demo, as_of: date) -> dict[str, tuple[int, int, int]]:
    names = {
        r["name"]: r["label"] for r in csv.DictReader((CHOICES_DIR / "kabupaten.csv").open(encoding="utf-8"))
    }
    kpm: Counter[str] = Counter()
    school: Counter[str] = Counter()
    toddlers: Counter[str] = Counter()
    for h in env.dataset.households:
        name = names[h.kabupaten]
        kpm[name] += 1
        for m in h.members[: h.registered]:
            age = age_on(m.birth_date, as_of)
            school[name] += 7 <= age <= 18
            toddlers[name] += 0 <= age <= 4
    return {name: (kpm[name], school[name], toddlers[name]) for name in kpm}


def test_demo__sync__every_household_and_member_arrives(demo: Demo) -> None:
    """Should leave every synced form ok and hold exactly the generated households and registration rosters."""
    assert all(r.status == "ok" for r in demo.results), [(r.form_id, r.error) for r in demo.results]
    households = demo.dataset.households
    with demo.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(Kpm)).scalar_one() == len(households)
        stored = {
            (r.id_kpm, r.urutan): (r.nama, r.tanggal_lahir)
            for r in conn.execute(select(Anggota.id_kpm, Anggota.urutan, Anggota.nama, Anggota.tanggal_lahir))
        }
        dq = conn.execute(text("SELECT rule, count(*) FROM dq_issue GROUP BY rule")).all()
    expected = {
        (h.id_kpm, i + 1): (m.name, m.birth_date)
        for h in households
        for i, m in enumerate(h.members[: h.registered])
    }
    assert len(stored) == len(expected)
    for key, (name, born) in expected.items():
        got_name, got_born = stored[key]
        assert got_name == name
        assert (got_born if isinstance(got_born, date) else date.fromisoformat(str(got_born))) == born
    assert dq == []


def test_demo__dashboard__numbers_equal_the_generated_data(demo: Demo) -> None:
    """Should show, per kabupaten and in total, the KPM, children 7–18 and toddlers 0–4 of the generator."""
    app = create_app(demo.settings, engine=demo.engine)
    client = app.test_client()
    login = client.get("/login")
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login.get_data(as_text=True))
    assert token, "login form without a CSRF token"
    answer = client.post(
        "/login", data={"username": demo.username, "password": demo.password, "csrf_token": token.group(1)}
    )
    assert answer.status_code == 302
    page = client.get("/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    # the page states the date ages are computed as of (its date field); the counts are ours to check
    stated = re.search(r'<input type="date" id="per" name="per" value="(\d{4}-\d{2}-\d{2})"', html)
    assert stated, "the dashboard does not state its as-of date"
    as_of = date.fromisoformat(stated.group(1))
    assert as_of >= max(h.registered_on for h in demo.dataset.households)
    table = _Table()
    table.feed(html)
    shown = {
        row[0]: tuple(int(c.replace(".", "")) for c in row[1:4])
        for row in table.rows
        if len(row) == 4 and row[1][:1].isdigit()
    }
    expected = expected_per_kabupaten(demo, as_of)
    totals = tuple(sum(v[i] for v in expected.values()) for i in range(3))
    assert {k: v for k, v in shown.items() if k != "Jumlah"} == expected
    assert shown["Jumlah"] == totals
    assert totals[0] == KPM


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.slow
def test_demo__command__prints_login_and_serves_the_dashboard(tmp_path: Path) -> None:
    """Should, as `graduasi demo` in a fresh folder, print `login: USER PASSWORD` and serve the dashboard."""
    port = free_port()
    started = time.monotonic()
    proc = subprocess.Popen(
        [str(Path(sys.executable).with_name("graduasi")), "demo", "--kpm", "150", "--port", str(port)],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        login = None
        assert proc.stdout is not None
        for line in proc.stdout:
            if line.startswith("login: "):
                login = line.split()[1:3]
                break
        assert login is not None, "the demo ended without printing the login line"
        hints = [next(proc.stdout) for _ in range(4)]
        session = requests.Session()
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 15  # the server starts listening right after the line
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "the admin never started listening"
                time.sleep(0.1)
        form = session.get(f"{base}/login", timeout=10).text
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form)
        assert token
        session.post(
            f"{base}/login",
            data={"username": login[0], "password": login[1], "csrf_token": token.group(1)},
            timeout=10,
        )
        page = session.get(f"{base}/", timeout=10)
        assert page.status_code == 200
        assert "Kabupaten Pandeglang" in page.text
        assert time.monotonic() - started < 120
        assert (tmp_path / "instance" / "graduasi-demo.db").exists()
        # the commands it suggests run as printed, on the demo's database, while it serves
        for hint in hints[1:]:
            command = hint.split("#")[0].split()
            env_var, program, *args = command
            name, _, value = env_var.partition("=")
            ran = subprocess.run(
                [program, *args],
                cwd=tmp_path,
                env={**os.environ, name: value},
                capture_output=True,
                text=True,
                timeout=60,
            )
            assert ran.returncode == 0, ran.stderr
            assert any(word in ran.stdout for word in ("KPM (status", "moved up", "disbursement problems"))
    finally:
        proc.terminate()
        proc.wait(timeout=20)
