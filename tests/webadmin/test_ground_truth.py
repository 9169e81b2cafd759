"""The admin's graduation numbers against the synthetic generator's own ground truth, end to end: synthetic data
-> Central simulator -> sync -> domain -> assessments -> read models -> the pages, on SQLite and PostgreSQL.

The expected numbers are recomputed here from ``Dataset.visits(household)``: each visit carries the category and
eligibility that ``simulators/synthetic/welfare.py`` computed from the generated answers, with the proposed rules
implemented independently of the warehouse's engine. As of the page's date, a household's category is that of
its latest visit where the family was met (the registration's when there is none): a visit that found nobody
records no answers, and the generator gives it no category (``Visit.level`` None) and no eligibility, while the
warehouse assesses that date too, carrying the last contact's values forward. Eligibility is therefore taken
from the latest contact as well (docs/synthetic-data.md, "Eligible to graduate": visits where the family was not
met do not count).

The generator records no graduation decisions and no targets, so the fixture approves a few graduations of
households the ground truth calls eligible (plus decisions that must not count) and sets targets, as staff
would, then refreshes the read models.
"""

from __future__ import annotations

import csv
import re
from collections import Counter
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta

import pytest
from flask import Flask
from sqlalchemy import insert

from forms.catalog import CHOICES_DIR
from simulators.synthetic.assumptions import TRANCHES
from simulators.synthetic.welfare import LEVELS
from tests.conftest import create_pg_database, drop_pg_database
from tests.pipeline import Synced, synced_pipeline
from tests.webadmin.support import AdminTestSettings, add_user, login, table_by_heading, table_rows
from warehouse.models import Keputusan, TargetPendamping
from warehouse.readmodels import refresh_read_models
from webadmin import create_app

KPM = 120
CATEGORY_HEADINGS = ("sangat_miskin", "miskin", "hampir_miskin", "rentan_miskin", "calon_graduasi")
RECEIVED = ("diterima_penuh", "diterima_sebagian")


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def synced(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Synced]:
    folder = tmp_path_factory.mktemp(f"truth-{request.param}")
    url = f"sqlite:///{folder / 'graduasi.db'}" if request.param == "sqlite" else create_pg_database()
    try:
        with synced_pipeline(url, folder, kpm=KPM) as env:
            yield env
    finally:
        if request.param == "postgres":
            drop_pg_database(url)


def page_date(page: str) -> date:
    found = re.search(r'name="per" value="(\d{4}-\d{2}-\d{2})"', page)
    assert found, "no as-of date on the dashboard"
    return date.fromisoformat(found.group(1))


class Truth:
    """The generator's ground truth as of a date, per kabupaten and per pendamping."""

    def __init__(self, env: Synced, day: date) -> None:
        self.day = day
        self.kabupaten: dict[str, Counter[str]] = {}
        self.pendamping: dict[str, Counter[str]] = {p.id: Counter() for p in env.dataset.pendamping}
        self.eligible: list[tuple[str, str]] = []  # (id_kpm, kabupaten)
        self.ages: dict[str, Counter[str]] = {}
        opened = [(year, tahap) for year, tahap, _rp, first_day, _last in TRANCHES if first_day <= day]
        for h in env.dataset.households:
            counts = self.kabupaten.setdefault(h.kabupaten, Counter())
            contacts = [v for v in env.dataset.visits(h) if v.day <= day and v.level is not None]
            latest = contacts[-1].category if contacts else h.category
            assert latest is not None
            moved = LEVELS.index(latest) - LEVELS.index(h.category)
            eligible = bool(contacts) and contacts[-1].eligible
            for c in (counts, self.pendamping[h.pendamping_id]):
                c["kpm"] += 1
                c[latest] += 1
                c["naik"] += moved > 0
                c["turun"] += moved < 0
                c["layak"] += eligible
            if eligible:
                self.eligible.append((h.id_kpm, h.kabupaten))
            for year, tahap in opened:
                confirmed = [
                    d for d in h.disbursements if (d.year, d.tahap) == (year, tahap) and d.confirmed_on <= day
                ]
                if any(d.status in RECEIVED for d in confirmed):
                    counts[f"{year}-{tahap}:diterima"] += 1
                elif confirmed:
                    counts[f"{year}-{tahap}:masalah"] += 1
                else:
                    counts[f"{year}-{tahap}:belum"] += 1
            ages = self.ages.setdefault(h.kabupaten, Counter())
            for m in h.members[: h.registered]:
                age = (
                    day.year
                    - m.birth_date.year
                    - ((day.month, day.day) < (m.birth_date.month, m.birth_date.day))
                )
                ages["school"] += 7 <= age <= 18
                ages["toddler"] += 0 <= age <= 4
        self.tranches = [f"{y}-{t}" for y, t in opened]


@pytest.fixture(scope="module")
def truth(synced: Synced) -> Truth:
    """The ground truth as of the read models' date, after graduations were approved and targets set."""
    day = synced.after.as_of
    assert day is not None
    truth = Truth(synced, day)
    assert len(truth.eligible) >= 2, "the data set should hold households eligible to graduate"
    approved = truth.eligible[:3]
    decisions = [
        {"id_kpm": id_kpm, "jenis": "graduasi_sejahtera_mandiri", "status": "disetujui",
         "disetujui_pada": datetime(day.year, 11, 2 + i, 3, 0)}
        for i, (id_kpm, _kab) in enumerate(approved)
    ]  # fmt: skip
    rest = [h.id_kpm for h in synced.dataset.households if (h.id_kpm, h.kabupaten) not in approved]
    decisions += [  # none of these counts: last year, rejected, not yet approved, after the date, another kind
        {"id_kpm": rest[0], "jenis": "graduasi_sejahtera_mandiri", "status": "disetujui",
         "disetujui_pada": datetime(day.year - 1, 12, 30)},
        {"id_kpm": rest[1], "jenis": "graduasi_sejahtera_mandiri", "status": "ditolak", "disetujui_pada": None},
        {"id_kpm": rest[2], "jenis": "graduasi_sejahtera_mandiri", "status": "diverifikasi",
         "disetujui_pada": None},
        {"id_kpm": rest[3], "jenis": "graduasi_sejahtera_mandiri", "status": "disetujui",
         "disetujui_pada": datetime.combine(day + timedelta(days=1), time())},
        {"id_kpm": rest[4], "jenis": "graduasi_alamiah", "status": "disetujui",
         "disetujui_pada": datetime(day.year, 6, 1)},
    ]  # fmt: skip
    for row in decisions:
        row.update(diusulkan_oleh="test", diusulkan_pada=datetime(day.year - 1, 1, 1))
    targets = [
        {"pendamping_id": p.id, "tahun": day.year, "target_graduasi": i % 4 + 1}
        for i, p in enumerate(synced.dataset.pendamping)
        if i % 3 == 0
    ]
    targets.append(
        {"pendamping_id": synced.dataset.pendamping[1].id, "tahun": day.year - 1, "target_graduasi": 9}
    )
    with synced.engine.begin() as conn:
        conn.execute(insert(Keputusan), decisions)
        conn.execute(insert(TargetPendamping), targets)
    assert refresh_read_models(synced.engine) == day

    by_pendamping = {p.id: p for p in synced.dataset.pendamping}
    for id_kpm, kab in approved:
        truth.kabupaten[kab]["graduasi"] += 1
        holder = next(h.pendamping_id for h in synced.dataset.households if h.id_kpm == id_kpm)
        truth.pendamping[holder]["graduasi"] += 1
    for t in targets:
        if t["tahun"] == day.year:
            truth.kabupaten.setdefault(by_pendamping[t["pendamping_id"]].kabupaten, Counter())["target"] += t[
                "target_graduasi"
            ]
            truth.pendamping[t["pendamping_id"]]["target"] += t["target_graduasi"]
    return truth


@pytest.fixture(scope="module")
def app(synced: Synced, truth: Truth) -> Flask:
    app = create_app(AdminTestSettings(synced.settings.database_url), engine=synced.engine)
    add_user(synced.engine, "prov")
    add_user(synced.engine, "op", role="kabupaten_operator", kode_kabupaten="3601")
    return app


def kabupaten_names() -> dict[str, str]:
    with (CHOICES_DIR / "kabupaten.csv").open(encoding="utf-8") as f:
        return {r["name"]: r["label"] for r in csv.DictReader(f)}


def number(text: str) -> int:
    return int(text.replace(".", ""))


def against(achieved: int, target: int) -> str:
    return f"{achieved} / {target if target else '–'}"


def test_dashboard__pipeline__categories_movement_graduation_equal_the_ground_truth(
    app: Flask, truth: Truth
) -> None:
    client = app.test_client()
    login(client, "prov")
    page = client.get("/").text
    assert page_date(page) == truth.day
    names = kabupaten_names()

    categories = table_by_heading(page, "kategori")
    expected = {
        names[kab]: [c["kpm"], *(c[name] for name in CATEGORY_HEADINGS), 0]
        for kab, c in truth.kabupaten.items()
    }
    expected["Jumlah"] = [sum(v[i] for v in expected.values()) for i in range(7)]
    assert {k: [number(x) for x in v] for k, v in categories.items()} == expected
    assert expected["Jumlah"][0] == KPM

    graduation = table_by_heading(page, "graduasi")
    expected_graduation = {
        names[kab]: [str(c["naik"]), str(c["turun"]), str(c["layak"]), against(c["graduasi"], c["target"])]
        for kab, c in truth.kabupaten.items()
    }
    total = sum(truth.kabupaten.values(), Counter())
    expected_graduation["Jumlah"] = [
        str(total["naik"]),
        str(total["turun"]),
        str(total["layak"]),
        against(total["graduasi"], total["target"]),
    ]
    assert {k: v[:4] for k, v in graduation.items()} == expected_graduation
    assert total["graduasi"] == 3 and total["naik"] > 0 and total["layak"] >= 2

    tranches = table_by_heading(page, "penyaluran")
    expected_tranches = {
        names[kab]: [
            c["kpm"],
            *(c[f"{key}:{s}"] for key in truth.tranches for s in ("diterima", "masalah", "belum")),
        ]
        for kab, c in truth.kabupaten.items()
    }
    assert {k: [number(x) for x in v] for k, v in tranches.items() if k != "Jumlah"} == expected_tranches

    ages = table_by_heading(page, "umur")
    assert {k: [number(x) for x in v] for k, v in ages.items() if k != "Jumlah"} == {
        names[kab]: [truth.kabupaten[kab]["kpm"], a["school"], a["toddler"]] for kab, a in truth.ages.items()
    }


def test_dashboard__pipeline__operator_sees_the_same_numbers_for_their_kabupaten(
    app: Flask, truth: Truth
) -> None:
    client = app.test_client()
    login(client, "op")
    page = client.get("/").text
    c = truth.kabupaten["3601"]
    rows = table_by_heading(page, "kategori")
    assert set(rows) == {"Kabupaten Pandeglang", "Jumlah"}
    assert [number(x) for x in rows["Jumlah"]] == [c["kpm"], *(c[n] for n in CATEGORY_HEADINGS), 0]
    assert table_by_heading(page, "graduasi")["Jumlah"][:4] == [
        str(c["naik"]),
        str(c["turun"]),
        str(c["layak"]),
        against(c["graduasi"], c["target"]),
    ]


def test_pendamping__pipeline__caseload_movement_graduation_equal_the_ground_truth(
    app: Flask, truth: Truth
) -> None:
    client = app.test_client()
    login(client, "prov")
    shown: dict[str, list[str]] = {}
    page_number = 1
    while True:
        page = client.get(f"/pendamping?sort=id&page={page_number}").text
        for cells in table_rows(page, "pendamping", ["tbody"]):
            shown[cells[1]] = cells
        if 'rel="next"' not in page:
            break
        page_number += 1
    assert page_number == 7  # 330 pendamping, 50 per page
    assert list(shown) == sorted(truth.pendamping)
    for pid, c in truth.pendamping.items():
        # name, id, region, KPM, children, toddlers, pregnant, elderly, disability, visited 30 d, 90 d, data
        # complete, moved up, graduated / target, eligible
        cells = shown[pid]
        assert number(cells[3]) == c["kpm"], pid
        assert cells[12:] == [str(c["naik"]), against(c["graduasi"], c["target"]), str(c["layak"])], pid
