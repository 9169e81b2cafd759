"""The demo pipeline as a library function, shared by ``graduasi demo`` and the tests that check its numbers.

Synthetic Banten data -> ODK Central simulator on a free loopback port -> the real sync (pyodk) -> a fresh SQLite
warehouse -> the domain tables -> a demo account for the admin.
"""

from __future__ import annotations

import csv
import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from pydantic import SecretStr
from sqlalchemy import Engine, select

from graduasi.pipeline import after_sync
from graduasi.settings import Settings
from simulators.central import CentralStore, RunningServer, start_server
from simulators.synthetic import Dataset, SeedResult, generate, seed_central
from sync.runner import FormRunResult
from warehouse.db import make_engine, session_factory, write_connection
from warehouse.decisions import GRADUATION, approve, propose, verify
from warehouse.imports import import_kpm, import_pendamping, import_targets
from warehouse.migrate import upgrade
from warehouse.models import Kpm
from warehouse.readmodels import refresh_read_models
from warehouse.regions import load_wilayah
from webadmin.auth import create_user

log = logging.getLogger(__name__)

DEMO_USER = "demo"
#: The official list and the roster were handed over when the program year began.
LIST_DATE = date(2019, 1, 1)


@dataclass
class Demo:
    """Everything the demo started: the simulator, the warehouse, the settings and the demo login."""

    store: CentralStore
    server: RunningServer
    dataset: Dataset
    seeded: Any
    settings: Settings
    engine: Engine
    results: list[FormRunResult]
    username: str
    password: str
    timings: dict[str, float] = field(default_factory=dict)

    def stop(self) -> None:
        """Stop the simulator and release the database."""
        self.server.stop()
        self.engine.dispose()


def fresh_sqlite(path: Path) -> str:
    """Remove a SQLite file (and its WAL files) and return its URL."""
    path.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return f"sqlite:///{path.resolve()}"


def write_csv(path: Path, rows: list[dict[str, Any]]) -> Path:
    """Write dict rows as a UTF-8 CSV with a header (the form the social service hands lists over in)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def import_official_lists(engine: Engine, dataset: Dataset, folder: Path) -> tuple[Any, Any]:
    """Import the roster and the official KPM list of a synthetic data set, as staff would from files."""
    roster = write_csv(folder / "pendamping.csv", dataset.pendamping_rows())
    listed = write_csv(folder / "daftar_kpm.csv", dataset.official_kpm_rows())
    people = import_pendamping(engine, roster, actor="demo", today=LIST_DATE)
    kpm = import_kpm(engine, listed, actor="demo", today=LIST_DATE, assignment_start=LIST_DATE)
    return people, kpm


#: The demo's stand-in for staff decisions: when they were made, and the share of eligible KPM approved.
DECISION_DAY = datetime(2020, 12, 26, 15, 0)
APPROVED_SHARE = 0.3


def import_demo_targets(engine: Engine, dataset: Dataset, folder: Path) -> Any:
    """Targets for 2020: every pendamping is asked to graduate 5 % of the caseload and lift 20 % a category
    (illustrative numbers for the demo, not the program's)."""
    caseload: dict[str, int] = {}
    for h in dataset.households:
        caseload[h.pendamping_id] = caseload.get(h.pendamping_id, 0) + 1
    rows = [
        {
            "pendamping_id": row["id"],
            "tahun": 2020,
            "target_graduasi": max(1, round(caseload.get(row["id"], 0) * 0.05)),
            "target_naik_kategori": round(caseload.get(row["id"], 0) * 0.2),
            "target_cakupan_kunjungan_pct": 90,
        }
        for row in dataset.pendamping_rows()
    ]
    return import_targets(engine, write_csv(folder / "target.csv", rows), actor="demo", today=LIST_DATE)


def decide_demo_graduations(engine: Engine) -> int:
    """Walk a share of the KPM found eligible through proposal, verification and approval, as staff would."""
    with engine.connect() as conn:
        eligible = [
            r[0]
            for r in conn.execute(
                select(Kpm.id_kpm).where(Kpm.status_graduasi == "layak_graduasi").order_by(Kpm.id_kpm)
            )
        ]
    chosen = eligible[:: max(1, round(1 / APPROVED_SHARE))]
    with write_connection(engine) as conn:
        for id_kpm in chosen:
            d = propose(
                conn,
                id_kpm,
                GRADUATION,
                actor="pendamping (demo)",
                at=DECISION_DAY,
                note="contoh keputusan demo",
            )
            verify(conn, d.id, actor="operator kecamatan (demo)", at=DECISION_DAY)
            approve(conn, d.id, actor="dinsos banten (demo)", at=DECISION_DAY)
    return len(chosen)


def simulator_settings(database_url: str, central_url: str, seeded: SeedResult, **extra: Any) -> Settings:
    """Settings that sync every form of a seeded simulator into ``database_url`` as its admin user."""
    return Settings(
        database_url=database_url,
        central_url=central_url,
        central_email=seeded.admin_email,
        central_password=SecretStr(seeded.admin_password),
        central_project=seeded.project_id,
        forms=[],
        **extra,
    )


def prepare_demo(
    database_path: Path,
    *,
    kpm: int = 5000,
    seed: int = 2019,
    sync: Callable[[Settings, Engine], list[FormRunResult]],
    echo: Callable[[str], None] = log.info,
) -> Demo:
    """Generate, serve, sync and create the demo account; the caller serves the admin and stops the demo."""
    timings: dict[str, float] = {}
    started = time.monotonic()
    echo(f"[1/4] generating {kpm:,} synthetic KPM households and their submissions ...")
    store = CentralStore()
    dataset = generate(kpm, seed)
    seeded = seed_central(store, dataset)
    server = start_server(store)
    timings["generate"] = time.monotonic() - started
    echo(f"      ODK Central simulator on {server.url} ({timings['generate']:.1f} s)")
    database_url = fresh_sqlite(database_path)
    settings = simulator_settings(
        database_url,
        server.url,
        seeded,
        cookie_secure=False,
        secret_key=SecretStr(secrets.token_urlsafe(32)),
    )
    engine = make_engine(database_url)
    try:
        upgrade(engine)
        load_wilayah(engine)
        people, listed = import_official_lists(engine, dataset, database_path.parent / "daftar")
        echo(
            f"      imported {people.inserted} pendamping and {listed.inserted:,} KPM of the official list "
            f"({len(listed.issues)} findings)"
        )
        echo(f"[2/4] syncing from the simulator into {database_path} ...")
        sync_started = time.monotonic()
        results = sync(settings, engine)
        timings["sync"] = time.monotonic() - sync_started
        followed = after_sync(engine)
        timings["recompute"] = followed.recompute.seconds
        import_demo_targets(engine, dataset, database_path.parent / "daftar")
        decided = decide_demo_graduations(engine)
        refresh_read_models(engine)
        echo(f"      {decided} graduations approved as examples (staff decisions), targets for 2020 imported")
        echo(
            f"      {followed.recompute.kpm:,} KPM assessed ({followed.recompute.inserted:,} assessments) in "
            f"{followed.recompute.seconds:.1f} s; read models as of {followed.as_of}"
        )
        echo("[3/4] creating the demo account ...")
        password = secrets.token_urlsafe(12)
        with session_factory(engine)() as session:
            create_user(session, DEMO_USER, password, "province_admin", full_name="Akun Demo")
            session.commit()
    except BaseException:
        server.stop()
        engine.dispose()
        raise
    timings["ready"] = time.monotonic() - started
    return Demo(store, server, dataset, seeded, settings, engine, results, DEMO_USER, password, timings)
