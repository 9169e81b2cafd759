"""The admin's read queries on SQLite and PostgreSQL, checked against counts computed independently in Python,
with birthdays on the boundaries of the age bands and on 29 February; and the read-model queries of the
dashboard and the pendamping table (sort, filter, paginate) against the same done in Python
(warehouse/queries.py)."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Engine, insert

from tests.webadmin.support import RM_DATE, RM_REFRESHED, rm_row, seed_rm_pendamping, seed_rm_wilayah
from warehouse.db import session_factory
from warehouse.models import Anggota, Kpm, SyncRun, Wilayah
from warehouse.queries import (
    PENDAMPING_SORTS,
    SCHOOL_AGE,
    SHARE_COLUMNS,
    TODDLER,
    AgeBand,
    FormSync,
    KabupatenCounts,
    PendampingFilter,
    ReadModelDate,
    RegionSummary,
    TrancheProgress,
    age_on,
    dashboard_per_kabupaten,
    dashboard_summary,
    default_as_of,
    last_successful_syncs,
    parse_tranches,
    pendamping_page,
    pendamping_regions,
    read_model_date,
    region_name,
    subtract_years,
    sum_counts,
    tranche_sort_key,
)
from warehouse.readmodels import refresh_births

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


def fill_births(engine: Engine) -> None:
    """Refresh ``rm_lahir`` as the read-model refresh does."""
    with engine.begin() as conn:
        refresh_births(conn)


@pytest.mark.parametrize("precomputed", [False, True], ids=["live", "rm_lahir"])
@pytest.mark.parametrize("on", AS_OF_DATES, ids=str)
def test_dashboard_per_kabupaten__boundaries_and_random__match_python(
    engine: Engine, population: tuple[list, dict], on: date, precomputed: bool
) -> None:
    members, kpm = population
    if precomputed:
        fill_births(engine)
    with session_factory(engine)() as db:
        rows = dashboard_per_kabupaten(db, on, precomputed=precomputed)
    got = {r.kode: (r.kpm, r.school_age, r.toddlers) for r in rows}
    assert got == expected_counts(members, kpm, on)
    assert [r.kode for r in rows] == [*sorted(k for k in got if k is not None), None]
    assert {r.kode: r.nama for r in rows if r.kode} == {k: f"Kab {k}" for k in [*KABUPATEN, "3674"]}
    # the test exercises both bands on both sides of each edge
    assert sum(r.school_age for r in rows) > 20 and sum(r.toddlers for r in rows) > 20


@pytest.mark.parametrize("precomputed", [False, True], ids=["live", "rm_lahir"])
def test_dashboard_per_kabupaten__one_kabupaten__only_its_row(
    engine: Engine, population: tuple[list, dict], precomputed: bool
) -> None:
    members, kpm = population
    on = date(2020, 12, 31)
    if precomputed:
        fill_births(engine)
    with session_factory(engine)() as db:
        rows = dashboard_per_kabupaten(db, on, kode_kabupaten="3602", precomputed=precomputed)
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


# --- read models: the dashboard summary ---------------------------------------------------------------------

T19 = {"diterima": 8, "masalah": 1, "belum_dikonfirmasi": 1}


def _regions(engine: Engine) -> None:
    with session_factory(engine)() as db:
        db.execute(
            insert(Wilayah),
            [
                {"kode": "36", "tingkat": "provinsi", "nama": "Banten", "kode_induk": None},
                {"kode": "3601", "tingkat": "kabupaten", "nama": "Kabupaten Pandeglang", "kode_induk": "36"},
                {"kode": "3602", "tingkat": "kabupaten", "nama": "Kabupaten Lebak", "kode_induk": "36"},
                {"kode": "3673", "tingkat": "kabupaten", "nama": "Kota Serang", "kode_induk": "36"},
                {"kode": "360101", "tingkat": "kecamatan", "nama": "Sumur", "kode_induk": "3601"},
                {"kode": "360102", "tingkat": "kecamatan", "nama": "Cimanggu", "kode_induk": "3601"},
                {"kode": "360201", "tingkat": "kecamatan", "nama": "Malingping", "kode_induk": "3602"},
            ],
        )
        db.commit()


@pytest.fixture
def summaries(engine: Engine) -> Engine:
    """The province, Pandeglang and Lebak in rm_wilayah (Kota Serang has no KPM, so no row), a kecamatan row,
    and 5 KPM of an unknown kabupaten 3699 that the province counts but no kabupaten row lists."""
    _regions(engine)
    seed_rm_wilayah(
        engine,
        [
            rm_row(
                kode="36",
                tingkat="provinsi",
                kode_induk=None,
                nama="Banten",
                kpm=35,
                anak_sekolah=60,
                balita=14,
                sangat_miskin=15,
                miskin=9,
                hampir_miskin=6,
                rentan_miskin=2,
                calon_graduasi=1,
                tanpa_kategori=2,
                naik_kategori=7,
                turun_kategori=3,
                layak_graduasi=4,
                graduasi=3,
                target_graduasi=12,
                tahap={
                    "2019-1": {"diterima": 29, "masalah": 3, "belum_dikonfirmasi": 3},
                    "2020-sekaligus": {"diterima": 20, "masalah": 0, "belum_dikonfirmasi": 15},
                },
            ),
            rm_row(
                kode="3601",
                tingkat="kabupaten",
                kode_induk="36",
                nama="Kabupaten Pandeglang",
                kpm=20,
                anak_sekolah=35,
                balita=8,
                sangat_miskin=10,
                miskin=5,
                hampir_miskin=3,
                rentan_miskin=1,
                calon_graduasi=1,
                naik_kategori=5,
                turun_kategori=1,
                layak_graduasi=3,
                graduasi=2,
                target_graduasi=8,
                tahap={
                    "2019-1": {"diterima": 18, "masalah": 1, "belum_dikonfirmasi": 1},
                    "2020-sekaligus": {"diterima": 12, "masalah": 0, "belum_dikonfirmasi": 8},
                },
            ),
            rm_row(
                kode="3602",
                tingkat="kabupaten",
                kode_induk="36",
                nama=None,  # a read model written before wilayah knew the name
                kpm=10,
                anak_sekolah=20,
                balita=4,
                sangat_miskin=3,
                miskin=4,
                hampir_miskin=2,
                rentan_miskin=1,
                naik_kategori=2,
                turun_kategori=1,
                layak_graduasi=1,
                graduasi=1,
                target_graduasi=4,
                tahap={"2019-1": T19, "2020-sekaligus": {"diterima": 6, "belum_dikonfirmasi": 4}},
            ),
            rm_row(kode="360101", tingkat="kecamatan", kode_induk="3601", nama="Sumur", kpm=20),
            rm_row(
                kode="3699",
                tingkat="tidak_dikenal",
                kode_induk=None,
                nama=None,
                kpm=5,
                anak_sekolah=5,
                balita=2,
                sangat_miskin=2,
                tanpa_kategori=2,
                hampir_miskin=1,
                tahap={
                    "2019-1": {"diterima": 3, "masalah": 1, "belum_dikonfirmasi": 1},
                    "2020-sekaligus": {"diterima": 2, "masalah": 0, "belum_dikonfirmasi": 3},
                },
            ),
        ],
    )
    return engine


def test_read_model_date__empty_then_refreshed(engine: Engine) -> None:
    with session_factory(engine)() as db:
        assert read_model_date(db) is None
        assert dashboard_summary(db) is None
    seed_rm_wilayah(engine, [rm_row(kode="36", tingkat="provinsi", kode_induk=None, nama="Banten")])
    with session_factory(engine)() as db:
        assert read_model_date(db) == ReadModelDate(RM_DATE, RM_REFRESHED)


def test_dashboard_summary__province__every_kabupaten_remainder_and_province_total(
    summaries: Engine,
) -> None:
    with session_factory(summaries)() as db:
        summary = dashboard_summary(db)
    assert summary is not None
    assert (summary.per_tanggal, summary.refreshed_at) == (RM_DATE, RM_REFRESHED)
    assert [(r.kode, r.nama, r.kpm) for r in summary.rows] == [
        ("3601", "Kabupaten Pandeglang", 20),
        ("3602", "Kabupaten Lebak", 10),  # the name from wilayah
        ("3673", "Kota Serang", 0),  # in wilayah, no KPM: listed with zeros
    ]
    assert summary.rows[2] == RegionSummary("3673", "Kota Serang")
    lebak = summary.rows[1]
    assert lebak.categories() == [
        ("sangat_miskin", 3),
        ("miskin", 4),
        ("hampir_miskin", 2),
        ("rentan_miskin", 1),
        ("calon_graduasi", 0),
        ("tanpa_kategori", 0),
    ]
    assert (lebak.naik_kategori, lebak.turun_kategori, lebak.layak_graduasi) == (2, 1, 1)
    assert (lebak.graduasi, lebak.target_graduasi) == (1, 4)
    assert lebak.tahap == {"2019-1": TrancheProgress(8, 1, 1), "2020-sekaligus": TrancheProgress(6, 0, 4)}
    assert summary.total.kpm == 35 and summary.total.target_graduasi == 12
    # the remainder is the province minus the listed kabupaten: the unknown kabupaten's 5 KPM
    other = summary.other
    assert other is not None and other.kode is None
    assert (other.kpm, other.anak_sekolah, other.balita) == (5, 5, 2)
    assert other.categories() == [
        ("sangat_miskin", 2),
        ("miskin", 0),
        ("hampir_miskin", 1),
        ("rentan_miskin", 0),
        ("calon_graduasi", 0),
        ("tanpa_kategori", 2),
    ]
    assert other.target_graduasi is None  # every target sits in a kabupaten
    assert other.tahap == {"2019-1": TrancheProgress(3, 1, 1), "2020-sekaligus": TrancheProgress(2, 0, 3)}
    assert summary.tranches == ["2019-1", "2020-sekaligus"]
    assert [(r.kode, r.kpm, r.school_age, r.toddlers) for r in summary.age_rows()] == [
        ("3601", 20, 35, 8),
        ("3602", 10, 20, 4),
        ("3673", 0, 0, 0),
        (None, 5, 5, 2),
    ]
    assert sum_counts(summary.age_rows()) == KabupatenCounts(None, None, 35, 60, 14)


def test_dashboard_summary__province_equals_its_kabupaten__no_remainder(engine: Engine) -> None:
    _regions(engine)
    seed_rm_wilayah(
        engine,
        [
            rm_row(kode="36", tingkat="provinsi", kode_induk=None, nama="Banten", kpm=4, miskin=4, tahap={}),
            rm_row(
                kode="3601",
                tingkat="kabupaten",
                kode_induk="36",
                nama="Kabupaten Pandeglang",
                kpm=4,
                miskin=4,
            ),
        ],
    )
    with session_factory(engine)() as db:
        summary = dashboard_summary(db)
    assert summary is not None
    assert summary.other is None
    assert summary.tranches == []


@pytest.mark.parametrize(
    ("kode", "kpm", "nama"), [("3602", 10, "Kabupaten Lebak"), ("3673", 0, "Kota Serang")]
)
def test_dashboard_summary__one_kabupaten__only_its_row_as_total(
    summaries: Engine, kode: str, kpm: int, nama: str
) -> None:
    with session_factory(summaries)() as db:
        summary = dashboard_summary(db, kode)
    assert summary is not None
    assert [(r.kode, r.nama, r.kpm) for r in summary.rows] == [(kode, nama, kpm)]
    assert summary.total == summary.rows[0]
    assert summary.other is None
    assert [r.kode for r in summary.age_rows()] == [kode]
    assert summary.tranches == ["2019-1", "2020-sekaligus"]  # also where no KPM are: the tranches have opened


def test_parse_tranches__bad_content__nothing() -> None:
    assert parse_tranches(None) == {}
    assert parse_tranches("not json") == {}
    assert parse_tranches('{"tahap": [1, 2]}') == {}
    assert parse_tranches('{"tahap": {"2019-1": {"diterima": 2}}}') == {"2019-1": TrancheProgress(2, 0, 0)}


def test_tranche_sort_key__year_then_number_then_name() -> None:
    keys = ["2020-sekaligus", "2019-10", "2019-2", "2021-1", "2019-1"]
    assert sorted(keys, key=tranche_sort_key) == ["2019-1", "2019-2", "2019-10", "2020-sekaligus", "2021-1"]


# --- read models: the pendamping table ----------------------------------------------------------------------

KECAMATAN = {"3601": ["360101", "360102", None], "3602": ["360201"], "3673": ["367301", "367302"]}
NAME_PARTS = [
    "Ade",
    "ade",
    "Ade Sukma",
    "Adera",
    "Budi",
    "budi santoso",
    "Cucu 100%",
    "Dedi_Ok",
    "Euis",
    "Siti",
]
COUNTED = [
    "kpm",
    "anak_sekolah",
    "balita",
    "ibu_hamil",
    "lansia",
    "disabilitas_berat",
    "dikunjungi_30",
    "dikunjungi_90",
    "data_lengkap",
    "naik_kategori",
    "layak_graduasi",
    "graduasi",
]


@pytest.fixture
def caseloads(engine: Engine) -> list[dict]:
    """137 pendamping rows in three kabupaten (and two without one), with names that collide when case is
    ignored, names holding % and _, no name at all, empty caseloads, and equal shares from different counts."""
    _regions(engine)
    rng = random.Random(330)
    rows = []
    for i in range(137):
        kab = rng.choice([*KECAMATAN, None]) if i >= 2 else None
        kpm = rng.choice([0, 1, 2, 4, 8, 150, 151, 152])
        visited_90 = rng.randint(0, kpm)
        rows.append(
            rm_row(
                pendamping_id=f"PD-{kab or 'X'}-{i:03d}",
                nama=None if i % 23 == 5 else f"{rng.choice(NAME_PARTS)} {i % 7}",
                kode_kabupaten=kab,
                kode_kecamatan=rng.choice(KECAMATAN[kab]) if kab else None,
                kpm=kpm,
                anak_sekolah=rng.randint(0, 2 * kpm),
                balita=rng.randint(0, kpm),
                ibu_hamil=rng.randint(0, 3),
                lansia=rng.randint(0, kpm),
                disabilitas_berat=rng.randint(0, 2),
                dikunjungi_90=visited_90,
                dikunjungi_30=rng.randint(0, visited_90),
                data_lengkap=rng.randint(0, visited_90),
                naik_kategori=rng.randint(0, kpm),
                layak_graduasi=rng.randint(0, 3),
                graduasi=rng.randint(0, 3),
                target_graduasi=rng.choice([None, 0, 2, 5]),
            )
        )
    seed_rm_pendamping(engine, rows)
    return rows


def oracle_order(rows: list[dict], sort: str, descending: bool) -> list[str]:
    """The ids in the order the table should list them, computed in Python."""

    def key(row: dict) -> tuple:
        name = (row["nama"] or "").lower()
        if sort == "nama":
            return (name,)
        if sort == "id":
            return (row["pendamping_id"],)
        if sort in SHARE_COLUMNS:
            return (row[sort] / row["kpm"] if row["kpm"] else -1.0, row[sort])
        if sort in COUNTED:
            return (row[sort],)
        return (row["kode_kabupaten"] or "", row["kode_kecamatan"] or "", name)

    by_id = sorted(rows, key=lambda r: r["pendamping_id"])
    return [r["pendamping_id"] for r in sorted(by_id, key=key, reverse=descending)]


def all_pages(engine: Engine, where: PendampingFilter | None = None, **kwargs) -> list[str]:  # type: ignore[no-untyped-def]
    ids: list[str] = []
    with session_factory(engine)() as db:
        first = pendamping_page(db, where, page=1, **kwargs)
        for number in range(1, first.pages + 1):
            page = pendamping_page(db, where, page=number, **kwargs)
            assert page.page == number and page.pages == first.pages
            assert len(page.rows) <= page.page_size
            ids += [r.pendamping_id for r in page.rows]
    return ids


@pytest.mark.parametrize("descending", [False, True], ids=["asc", "desc"])
def test_pendamping_page__every_sort__same_order_as_python(
    engine: Engine, caseloads: list[dict], descending: bool
) -> None:
    """Should order by each whitelisted column, break ties by id, and page without overlap or gap."""
    for sort in PENDAMPING_SORTS:
        got = all_pages(engine, sort=sort, descending=descending, page_size=50)
        assert got == oracle_order(caseloads, sort, descending), sort
    assert len(got) == 137


def test_pendamping_page__unknown_sort__by_region(engine: Engine, caseloads: list[dict]) -> None:
    with session_factory(engine)() as db:
        page = pendamping_page(db, sort="nama; DROP TABLE rm_pendamping", page_size=200)
    assert page.sort == "wilayah"
    assert [r.pendamping_id for r in page.rows] == oracle_order(caseloads, "wilayah", False)


FILTERS = [
    PendampingFilter(kode_kabupaten="3601"),
    PendampingFilter(kode_kabupaten="3601", kode_kecamatan="360102"),
    PendampingFilter(kode_kecamatan="360201"),
    PendampingFilter(kode_kabupaten="3602", kode_kecamatan="360101"),  # a kecamatan of another kabupaten
    PendampingFilter(text="ADE"),
    PendampingFilter(text="  sukma "),
    PendampingFilter(text="100%"),
    PendampingFilter(text="i_o"),  # "_" is a plain character, not LIKE's any-character
    PendampingFilter(text="%"),
    PendampingFilter(text="pd-3673"),  # matches the id
    PendampingFilter(kode_kabupaten="3673", text="budi"),
    PendampingFilter(kode_kabupaten="3699"),
]


def test_pendamping_page__filters__matching_rows_and_totals(engine: Engine, caseloads: list[dict]) -> None:
    """Should list, count and sum exactly the rows each filter matches (one database for every filter)."""
    for where in FILTERS:
        text = (where.text or "").strip().lower()
        expected = [
            r
            for r in caseloads
            if (where.kode_kabupaten is None or r["kode_kabupaten"] == where.kode_kabupaten)
            and (where.kode_kecamatan is None or r["kode_kecamatan"] == where.kode_kecamatan)
            and (not text or text in (r["nama"] or "").lower() or text in r["pendamping_id"].lower())
        ]
        got = all_pages(engine, where, sort="kpm", descending=True, page_size=20)
        assert got == oracle_order(expected, "kpm", True), where
        with session_factory(engine)() as db:
            page = pendamping_page(db, where, page_size=20)
        assert page.matching == len(expected), where
        for column in COUNTED:
            assert getattr(page.totals, column) == sum(r[column] for r in expected), (where, column)
        targets = [r["target_graduasi"] for r in expected if r["target_graduasi"] is not None]
        assert page.totals.target_graduasi == (sum(targets) if targets else None), where
    assert {len(all_pages(engine, w)) > 0 for w in FILTERS} == {True, False}  # some match, some do not


def test_pendamping_page__rows__names_of_the_regions_and_shares(
    engine: Engine, caseloads: list[dict]
) -> None:
    with session_factory(engine)() as db:
        page = pendamping_page(db, PendampingFilter(kode_kecamatan="360101"), page_size=200)
    assert page.rows
    for row in page.rows:
        assert (row.nama_kabupaten, row.nama_kecamatan) == ("Kabupaten Pandeglang", "Sumur")
        source = next(r for r in caseloads if r["pendamping_id"] == row.pendamping_id)
        assert (row.kpm, row.dikunjungi_30, row.target_graduasi) == (
            source["kpm"],
            source["dikunjungi_30"],
            source["target_graduasi"],
        )
        assert row.share("dikunjungi_30") == (
            source["dikunjungi_30"] / source["kpm"] if source["kpm"] else None
        )
    with session_factory(engine)() as db:
        unknown = pendamping_page(db, PendampingFilter(kode_kecamatan="367301"), page_size=200)
    assert unknown.rows and all(
        r.nama_kecamatan is None and r.nama_kabupaten == "Kota Serang" for r in unknown.rows
    )


def test_pendamping_page__page_out_of_range__clamped(engine: Engine, caseloads: list[dict]) -> None:
    for asked, shown in [(0, 1), (-3, 1), (2, 2), (3, 3), (4, 3), (10**6, 3)]:
        with session_factory(engine)() as db:
            page = pendamping_page(db, page=asked)
        assert (page.page, page.pages, page.matching, page.page_size) == (shown, 3, 137, 50), asked
        assert len(page.rows) == (37 if shown == 3 else 50), asked


def test_pendamping_page__nothing_matches__one_empty_page(engine: Engine, caseloads: list[dict]) -> None:
    with session_factory(engine)() as db:
        page = pendamping_page(db, PendampingFilter(text="tidak ada yang bernama begini"), page=5)
    assert (page.rows, page.matching, page.page, page.pages) == ([], 0, 1, 1)
    assert page.totals.kpm == 0 and page.totals.target_graduasi is None


def test_pendamping_page__empty_read_model__one_empty_page(engine: Engine) -> None:
    with session_factory(engine)() as db:
        page = pendamping_page(db)
    assert (page.rows, page.matching, page.pages) == ([], 0, 1)


def test_pendamping_regions__kabupaten_with_their_kecamatan(engine: Engine, caseloads: list[dict]) -> None:
    with session_factory(engine)() as db:
        regions = pendamping_regions(db)
        lebak = pendamping_regions(db, "3602")
    used = {(r["kode_kabupaten"], r["kode_kecamatan"]) for r in caseloads if r["kode_kabupaten"]}
    assert [r.kode for r in regions] == sorted({kab for kab, _ in used})
    pandeglang = regions[0]
    assert (pandeglang.kode, pandeglang.nama) == ("3601", "Kabupaten Pandeglang")
    assert pandeglang.kecamatan == [("360101", "Sumur"), ("360102", "Cimanggu")]
    assert [(r.kode, r.kecamatan) for r in lebak] == [("3602", [("360201", "Malingping")])]
    kota_serang = regions[-1]
    assert kota_serang.kecamatan == [("367301", None), ("367302", None)]  # codes wilayah lacks keep no name


def test_dashboard_per_kabupaten__precomputed_before_any_refresh__counts_live(
    engine: Engine, population: tuple[list, dict]
) -> None:
    """An upgraded warehouse whose birth-date table was never filled still shows the right counts."""
    members, kpm = population
    on = date(2020, 12, 31)
    with session_factory(engine)() as db:
        rows = dashboard_per_kabupaten(db, on, precomputed=True)
    assert {r.kode: (r.kpm, r.school_age, r.toddlers) for r in rows} == expected_counts(members, kpm, on)
