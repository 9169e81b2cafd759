"""The admin's read queries on SQLite and PostgreSQL, checked against counts computed independently in Python,
with birthdays on the boundaries of the age bands and on 29 February (warehouse/queries.py)."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Engine, insert

from warehouse.db import session_factory
from warehouse.models import Anggota, Kpm, SyncRun, Wilayah
from warehouse.queries import (
    SCHOOL_AGE,
    TODDLER,
    AgeBand,
    FormSync,
    KabupatenCounts,
    age_on,
    dashboard_per_kabupaten,
    default_as_of,
    last_successful_syncs,
    region_name,
    subtract_years,
    sum_counts,
)

AS_OF_DATES = [
    date(2020, 12, 31),
    date(2020, 2, 29),  # a leap day as of-date
    date(2021, 2, 28),  # the day before a leap-day birthday comes round in a common year
    date(2021, 3, 1),
    date(2024, 2, 29),
    date(2019, 1, 1),
]
KABUPATEN = ["3601", "3602", "3673"]


def completed_years(born: date, on: date) -> int:
    """The oracle: whole years lived, counting a birthday as passed only once its month and day are reached."""
    years = on.year - born.year
    if (on.month, on.day) < (born.month, born.day):
        years -= 1
    return years


def expected_counts(
    members: list[tuple[str | None, date | None]], kpm: dict[str | None, int], on: date
) -> dict[str | None, tuple[int, int, int]]:
    school: Counter[str | None] = Counter()
    toddlers: Counter[str | None] = Counter()
    for kode, born in members:
        if born is None or born > on:
            continue
        age = completed_years(born, on)
        school[kode] += 7 <= age <= 18
        toddlers[kode] += 0 <= age <= 4
    return {kode: (n, school[kode], toddlers[kode]) for kode, n in kpm.items()}


def boundary_births(on: date) -> list[date]:
    """Birth dates one day either side of every band edge as of ``on``, and the leap-day family."""
    births = []
    for years in (0, 1, 4, 5, 6, 7, 8, 17, 18, 19, 20):
        anniversary = subtract_years(on, years)
        births += [anniversary - timedelta(days=1), anniversary, anniversary + timedelta(days=1)]
    for year in (2000, 2001, 2004, 2012, 2013, 2016, 2017, 2019, 2020):
        births += [date(year, 2, 28), date(year, 3, 1)]
        if year % 4 == 0:
            births.append(date(year, 2, 29))
    return births


@pytest.fixture
def population(engine: Engine) -> tuple[list[tuple[str | None, date | None]], dict[str | None, int]]:
    """KPM in three kabupaten (and some without one) whose members sit on every boundary, plus random ones."""
    rng = random.Random(20201231)
    births: list[date | None] = [b for on in AS_OF_DATES for b in boundary_births(on)]
    births += [date(1950, 1, 1) + timedelta(days=rng.randrange(0, 27_000)) for _ in range(600)]
    births += [None] * 10
    rng.shuffle(births)

    kpm_rows, member_rows = [], []
    members: list[tuple[str | None, date | None]] = []
    kpm_per_kab: Counter[str | None] = Counter()
    i = 0
    while births:
        kode = rng.choice([*KABUPATEN, None])
        id_kpm = f"KPM-{i:05d}"
        kpm_rows.append({"id_kpm": id_kpm, "kode_kabupaten": kode, "tanggal_registrasi": date(2020, 12, 31)})
        kpm_per_kab[kode] += 1
        for urutan in range(1, rng.randint(1, 7) + 1):
            if not births:
                break
            born = births.pop()
            member_rows.append({"id_kpm": id_kpm, "urutan": urutan, "tanggal_lahir": born})
            members.append((kode, born))
        i += 1
    kpm_per_kab["3674"] = 0  # a kabupaten in wilayah without any KPM
    with session_factory(engine)() as db:
        db.execute(
            insert(Wilayah),
            [
                {"kode": k, "tingkat": "kabupaten", "nama": f"Kab {k}", "kode_induk": "36"}
                for k in [*KABUPATEN, "3674"]
            ],
        )
        db.execute(insert(Kpm), kpm_rows)
        db.execute(insert(Anggota), member_rows)
        db.commit()
    return members, dict(kpm_per_kab)


@pytest.mark.parametrize("on", AS_OF_DATES, ids=str)
def test_dashboard_per_kabupaten__boundaries_and_random__match_python(
    engine: Engine, population: tuple[list, dict], on: date
) -> None:
    members, kpm = population
    with session_factory(engine)() as db:
        rows = dashboard_per_kabupaten(db, on)
    got = {r.kode: (r.kpm, r.school_age, r.toddlers) for r in rows}
    assert got == expected_counts(members, kpm, on)
    assert [r.kode for r in rows] == [*sorted(k for k in got if k is not None), None]
    assert {r.kode: r.nama for r in rows if r.kode} == {k: f"Kab {k}" for k in [*KABUPATEN, "3674"]}
    # the test exercises both bands on both sides of each edge
    assert sum(r.school_age for r in rows) > 20 and sum(r.toddlers for r in rows) > 20


def test_dashboard_per_kabupaten__one_kabupaten__only_its_row(
    engine: Engine, population: tuple[list, dict]
) -> None:
    members, kpm = population
    on = date(2020, 12, 31)
    with session_factory(engine)() as db:
        rows = dashboard_per_kabupaten(db, on, kode_kabupaten="3602")
    assert [(r.kode, r.kpm, r.school_age, r.toddlers) for r in rows] == [
        ("3602", *expected_counts(members, kpm, on)["3602"])
    ]


def test_dashboard_per_kabupaten__code_missing_from_wilayah__row_without_name(engine: Engine) -> None:
    with session_factory(engine)() as db:
        db.add(Kpm(id_kpm="A", kode_kabupaten="3699"))
        db.commit()
        assert dashboard_per_kabupaten(db, date(2020, 1, 1)) == [KabupatenCounts("3699", None, 1, 0, 0)]


def test_dashboard_per_kabupaten__empty_warehouse__no_rows(engine: Engine) -> None:
    with session_factory(engine)() as db:
        rows = dashboard_per_kabupaten(db, date(2020, 1, 1))
    assert rows == []
    assert sum_counts(rows) == KabupatenCounts(None, None, 0, 0, 0)


def test_default_as_of__kpm_dates__latest_registration(engine: Engine) -> None:
    with session_factory(engine)() as db:
        db.add_all(
            [
                Kpm(id_kpm="A", tanggal_registrasi=date(2020, 3, 1)),
                Kpm(id_kpm="B", tanggal_registrasi=date(2020, 12, 31)),
                Kpm(id_kpm="C", tanggal_registrasi=None),
            ]
        )
        db.commit()
        assert default_as_of(db, "Asia/Jakarta") == date(2020, 12, 31)


def test_default_as_of__no_kpm__today_in_the_time_zone(engine: Engine) -> None:
    late_evening_utc = datetime(2026, 11, 28, 18, 30, tzinfo=UTC)
    with session_factory(engine)() as db:
        assert default_as_of(db, "Asia/Jakarta", late_evening_utc) == date(2026, 11, 29)
        assert default_as_of(db, "UTC", late_evening_utc) == date(2026, 11, 28)
        before = datetime.now(ZoneInfo("Asia/Jakarta")).date()
        wall = default_as_of(db, "Asia/Jakarta")
        after = datetime.now(ZoneInfo("Asia/Jakarta")).date()
        assert wall in {before, after}


def test_last_successful_syncs__mixed_runs__latest_ok_per_form(engine: Engine) -> None:
    t = datetime(2026, 11, 28, 3, 15)
    with session_factory(engine)() as db:
        for source, form_id, status, finished in [
            ("central", "kpm_registrasi", "ok", t - timedelta(hours=5)),
            ("central", "kpm_registrasi", "ok", t),
            ("central", "kpm_registrasi", "failed", t + timedelta(hours=1)),
            ("central", "kpm_registrasi", "running", None),
            ("central", "kpm_kunjungan", "failed", t),
            ("kobo", "aBc123", "ok", t - timedelta(days=1)),
        ]:
            db.add(SyncRun(source=source, form_id=form_id, status=status, started_at=t, finished_at=finished))
        db.commit()
        assert last_successful_syncs(db) == [
            FormSync("kobo", "aBc123", t - timedelta(days=1)),
            FormSync("central", "kpm_kunjungan", None),
            FormSync("central", "kpm_registrasi", t),
        ]


def test_region_name__known_and_unknown(engine: Engine) -> None:
    with session_factory(engine)() as db:
        db.add(Wilayah(kode="3601", tingkat="kabupaten", nama="Kabupaten Pandeglang", kode_induk="36"))
        db.commit()
        assert region_name(db, "3601") == "Kabupaten Pandeglang"
        assert region_name(db, "3699") is None


# --- pure date arithmetic ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "years", "expected"),
    [
        (date(2020, 12, 31), 7, date(2013, 12, 31)),
        (date(2020, 2, 29), 1, date(2019, 2, 28)),
        (date(2020, 2, 29), 4, date(2016, 2, 29)),
        (date(2021, 3, 1), 1, date(2020, 3, 1)),
    ],
)
def test_subtract_years__examples(day: date, years: int, expected: date) -> None:
    assert subtract_years(day, years) == expected


@pytest.mark.parametrize(
    ("born", "on", "age"),
    [
        (date(2013, 12, 31), date(2020, 12, 31), 7),
        (date(2014, 1, 1), date(2020, 12, 31), 6),
        (date(2012, 2, 29), date(2019, 2, 28), 6),  # a leap-day child turns 7 on 1 March in a common year
        (date(2012, 2, 29), date(2019, 3, 1), 7),
        (date(2012, 2, 29), date(2020, 2, 29), 8),
        (date(2021, 1, 1), date(2020, 12, 31), -1),
    ],
)
def test_age_on__examples(born: date, on: date, age: int) -> None:
    assert age_on(born, on) == age


def test_bands__program_definitions() -> None:
    assert (SCHOOL_AGE.youngest, SCHOOL_AGE.oldest) == (7, 18)
    assert (TODDLER.youngest, TODDLER.oldest) == (0, 4)


@given(
    born=st.dates(date(1900, 1, 1), date(2100, 12, 31)),
    on=st.dates(date(1950, 1, 1), date(2100, 12, 31)),
    youngest=st.integers(0, 30),
    span=st.integers(0, 30),
)
def test_birth_range__any_dates__same_as_completed_years(
    born: date, on: date, youngest: int, span: int
) -> None:
    """Should put a birth date inside the range exactly when the age falls in the band."""
    band = AgeBand(youngest, youngest + span)
    after, on_or_before = band.birth_range(on)
    assert (after < born <= on_or_before) == (band.youngest <= completed_years(born, on) <= band.oldest)
