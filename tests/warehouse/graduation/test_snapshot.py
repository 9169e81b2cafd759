"""Snapshots built from the domain tables (SQLite and PostgreSQL), then assessed and stored as asesmen rows."""

from __future__ import annotations

import json
import random
import time
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, func, insert, select
from sqlalchemy.orm import Session

from forms.rules import RuleSet
from warehouse.graduation import (
    KUNJUNGAN,
    PER_TANGGAL,
    REGISTRASI,
    ChildRow,
    ToddlerRow,
    asesmen_values,
    assess,
    build_snapshots,
    snapshot_digest,
    status_history,
)
from warehouse.graduation import snapshot as snapshot_module
from warehouse.graduation.records import expand_details
from warehouse.models import Anggota, Asesmen, Kpm, Kunjungan, PantauAnak, PantauBalita

A, B, C, D = "3673-000001", "3673-000002", "3601-000003", "3604-000004"
HOUSE = {
    "luas_lantai_m2": 30.0,
    "jenis_lantai": "tanah",
    "jenis_dinding": "tembok_plester",
    "jenis_atap": "genteng",
    "fasilitas_bab": "bersama_umum",
    "sumber_penerangan": "pln_meteran",
    "sumber_air_minum": "ledeng",
    "bahan_bakar_masak": "lpg",
    "beli_pakaian_setahun": "dua_lebih",
    "mampu_berobat": "ya",
    "luas_lahan_m2": 0,
    "aset_mudah_dijual": "tidak_ada",
    "nilai_aset_rp": None,
}


def kpm(id_kpm: str, registered: date | None, **kw: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "id_kpm": id_kpm,
        "kode_kabupaten": id_kpm[:4],
        "status": "aktif",
        "tanggal_registrasi": registered,
        "registrasi_logical_id": f"uuid:reg-{id_kpm}" if registered else None,
        "jumlah_anggota": 0,
        "pendapatan_bulan_rp": None,
        "tabungan_rp": None,
        "jumlah_sumber_pendapatan": None,
        "punya_usaha": None,
        "frek_makan_hari": None,
        "frek_protein_hewani_minggu": None,
    }
    row.update(HOUSE if registered else dict.fromkeys(HOUSE))
    row.update(kw)
    return row


def member(id_kpm: str, urutan: int, born: date, hubungan: str, **kw: Any) -> dict[str, Any]:
    row = {
        "id_kpm": id_kpm,
        "urutan": urutan,
        "tanggal_lahir": born,
        "hubungan": hubungan,
        "jenis_kelamin": "p",
        "status_hamil": "tidak",
        "partisipasi_sekolah": None,
        "pendidikan_tertinggi": "sma",
        "pekerjaan_utama": "pedagang_usaha" if hubungan == "kepala" else "tidak_bekerja",
        "disabilitas": "tidak",
        "punya_jkn": "ya",
    }
    row.update(kw)
    return row


VISIT_COLUMNS = (
    "jml_lahir",
    "jml_meninggal",
    "jml_pindah_keluar",
    "jml_masuk",
    "perubahan_rumah",
    "pendapatan_bulan_rp",
    "tabungan_rp",
    "jumlah_sumber_pendapatan",
    "punya_usaha",
    "frek_makan_hari",
    "frek_protein_hewani_minggu",
    "kekurangan_pangan_3bln",
    "pekerjaan_kepala_kk",
    "n_hamil",
    "anc_kunjungan_ke",
    "hadir_p2k2",
    "penilaian_pendamping",
)


def visit(id_: str, id_kpm: str, day: date, met: str = "ya", **kw: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "id": id_,
        "source": "central",
        "id_kpm": id_kpm,
        "tanggal_kunjungan": day,
        "kpm_ditemui": met,
        **dict.fromkeys(VISIT_COLUMNS),
    }
    row.update(kw)
    return row


def seed(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(
            insert(Kpm),
            [
                kpm(
                    A,
                    date(2019, 2, 1),
                    pendapatan_bulan_rp=1_000_000,
                    tabungan_rp=100_000,
                    jumlah_sumber_pendapatan=1,
                    punya_usaha="tidak",
                    frek_makan_hari=2,
                    frek_protein_hewani_minggu=1,
                    jumlah_anggota=4,
                ),
                kpm(B, None),
                kpm(C, date(2019, 3, 1), pendapatan_bulan_rp=900_000, jumlah_anggota=3),
                kpm(D, date(2019, 2, 10), pendapatan_bulan_rp=800_000, jumlah_anggota=2),
            ],
        )
        conn.execute(
            insert(Anggota),
            [
                member(A, 1, date(1980, 5, 1), "kepala", jenis_kelamin="l"),
                member(A, 2, date(1984, 3, 9), "istri_suami"),
                member(A, 3, date(2008, 7, 1), "anak", partisipasi_sekolah="masih_sekolah"),
                member(A, 4, date(2017, 6, 1), "anak"),
                member(C, 1, date(1975, 1, 1), "kepala", pekerjaan_utama="buruh_tani"),
                member(C, 2, date(1978, 1, 1), "istri_suami", status_hamil="ya"),
                member(C, 3, date(2019, 2, 1), "anak"),  # born after C's first visit
                member(D, 1, date(1950, 1, 1), "kepala"),
                member(D, 2, date(1952, 1, 1), "istri_suami"),
            ],
        )
        conn.execute(
            insert(Kunjungan),
            [
                visit(
                    "uuid:a1",
                    A,
                    date(2019, 5, 1),
                    pendapatan_bulan_rp=2_000_000,
                    tabungan_rp=300_000,
                    kekurangan_pangan_3bln="tidak",
                    perubahan_rumah="lantai jamban",
                    n_hamil=0,
                    frek_makan_hari=3,
                    pekerjaan_kepala_kk="pedagang_usaha",
                ),
                visit("uuid:a2", A, date(2019, 8, 1), met="tidak_ada_di_rumah"),
                visit(
                    "uuid:a3",
                    A,
                    date(2019, 11, 15),
                    jml_lahir=1,
                    kekurangan_pangan_3bln="ya",
                    perubahan_rumah="tidak_ada",
                    n_hamil=0,
                ),
                visit("uuid:a4", A, date(2021, 3, 1), pendapatan_bulan_rp=3_000_000),
                visit("uuid:b1", B, date(2019, 6, 1), pendapatan_bulan_rp=500_000),
                visit(
                    "uuid:c0",
                    C,
                    date(2019, 1, 15),
                    pendapatan_bulan_rp=700_000,
                    n_hamil=1,
                    anc_kunjungan_ke=2,
                    perubahan_rumah="lantai",
                ),
                visit("uuid:d1", D, date(2019, 6, 1), met="tidak_ada_di_rumah"),
                visit("uuid:d2", D, date(2019, 6, 1), pendapatan_bulan_rp=1_500_000),
                visit("uuid:zz", "9999-999999", date(2019, 6, 1)),  # matches no KPM
            ],
        )
        conn.execute(
            insert(PantauAnak),
            [
                {
                    "kunjungan_id": "uuid:a1",
                    "baris": 1,
                    "urutan": "3",
                    "status": "sekolah",
                    "hari_efektif": 20,
                    "hadir_hari": 18,
                    "pct_hadir": 90.0,
                },
                {
                    "kunjungan_id": "uuid:a3",
                    "baris": 1,
                    "urutan": "3",
                    "status": "tidak_serumah",
                    "hari_efektif": None,
                    "hadir_hari": None,
                    "pct_hadir": None,
                },
            ],
        )
        conn.execute(
            insert(PantauBalita),
            [
                {"kunjungan_id": "uuid:a1", "baris": 1, "urutan": "4", "ditimbang": "ya"},
                {"kunjungan_id": "uuid:a3", "baris": 1, "urutan": "4", "ditimbang": "ya"},
                {"kunjungan_id": "uuid:a3", "baris": 2, "urutan": "", "ditimbang": "tidak"},
            ],
        )


@pytest.fixture
def seeded(engine: Engine) -> Engine:
    seed(engine)
    return engine


def by_kpm(engine: Engine, **kw: Any) -> dict[str, list]:
    out: dict[str, list] = {}
    with engine.connect() as conn:
        for s in build_snapshots(conn, **kw):
            out.setdefault(s.id_kpm, []).append(s)
    return out


def test_build__registration_and_visits__one_snapshot_per_date(seeded: Engine) -> None:
    """Should build the baseline at registration, one per visit date, and the extra as-of date, oldest first."""
    snaps = by_kpm(seeded, as_of_dates=[date(2020, 12, 31)])
    a = snaps[A]
    assert [(s.as_of, s.jenis, s.kunjungan_id) for s in a] == [
        (date(2019, 2, 1), REGISTRASI, None),
        (date(2019, 5, 1), KUNJUNGAN, "uuid:a1"),
        (date(2019, 8, 1), KUNJUNGAN, "uuid:a2"),
        (date(2019, 11, 15), KUNJUNGAN, "uuid:a3"),
        (date(2020, 12, 31), PER_TANGGAL, None),
        (date(2021, 3, 1), KUNJUNGAN, "uuid:a4"),
    ]
    assert set(snaps) == {A, B, C, D}  # the visit of an unknown KPM builds nothing


def test_build__registration__baseline_values(seeded: Engine) -> None:
    """Should take the registration's answers, members and size at the baseline."""
    reg = by_kpm(seeded)[A][0]
    assert (reg.pendapatan_bulan_rp, reg.tabungan_rp, reg.frek_makan_hari, reg.jumlah_anggota) == (
        1_000_000,
        100_000,
        2,
        4,
    )
    assert (reg.jenis_lantai, reg.fasilitas_bab, reg.perbaikan_rumah) == (
        "tanah",
        "bersama_umum",
        frozenset(),
    )
    assert reg.jumlah_hamil == 0 and reg.kontak and reg.anak == () and reg.tanggal_kunjungan_terakhir is None
    assert [m.urutan for m in reg.anggota] == [1, 2, 3, 4]
    assert reg.aset_mudah_dijual == frozenset({"tidak_ada"})
    assert reg.sumber == (f"uuid:reg-{A}",)


def test_build__visit__visit_values_win_and_house_improvements_apply(seeded: Engine) -> None:
    """Should let a visit's answers replace the registration's and record house improvements from then on."""
    v1 = by_kpm(seeded)[A][1]
    assert (v1.pendapatan_bulan_rp, v1.tabungan_rp, v1.frek_makan_hari, v1.kekurangan_pangan_3bln) == (
        2_000_000,
        300_000,
        3,
        "tidak",
    )
    assert v1.frek_protein_hewani_minggu == 1  # not asked again: the registration's answer stays
    assert v1.perbaikan_rumah == frozenset({"lantai", "jamban"})
    assert v1.anak == (ChildRow(3, "sekolah", 90.0, 18, 20),)
    assert v1.balita == (ToddlerRow(4, "ya"),)
    assert v1.tanggal_kunjungan_terakhir == date(2019, 5, 1)
    assert v1.sumber == (f"uuid:reg-{A}", "uuid:a1")


def test_build__family_not_found__no_contact_values_carried(seeded: Engine) -> None:
    """Should mark a visit where the family was not found and carry the latest contact's values."""
    v2 = by_kpm(seeded)[A][2]
    assert (v2.kpm_ditemui, v2.kontak) == ("tidak_ada_di_rumah", False)
    assert v2.pendapatan_bulan_rp == 2_000_000
    assert v2.tanggal_kunjungan_terakhir == date(2019, 5, 1) and v2.anak[0].urutan == 3


def test_build__membership_changes__size_departures_births(seeded: Engine) -> None:
    """Should add births to the size, drop a child reported out of the house, and keep unlisted toddler rows."""
    v3 = by_kpm(seeded)[A][3]
    assert v3.jumlah_anggota == 5 and v3.jumlah_lahir == 1
    assert [m.serumah for m in v3.anggota] == [True, True, False, True]
    assert v3.pendapatan_bulan_rp == 2_000_000  # unanswered at this visit: the earlier visit's value
    assert v3.kekurangan_pangan_3bln == "ya"
    assert v3.perbaikan_rumah == frozenset({"lantai", "jamban"})
    assert v3.balita == (ToddlerRow(4, "ya"), ToddlerRow(None, "tidak"))


def test_build__as_of_date__latest_values_no_visit(seeded: Engine) -> None:
    """Should build an extra as-of date from everything before it, as a non-contact snapshot."""
    extra = by_kpm(seeded, as_of_dates=[date(2020, 12, 31)])[A][4]
    assert (extra.jenis, extra.kontak, extra.kunjungan_id, extra.jumlah_anggota) == (
        PER_TANGGAL,
        False,
        None,
        5,
    )
    assert extra.sumber == (f"uuid:reg-{A}", "uuid:a1", "uuid:a2", "uuid:a3")


def test_build__no_registration__visit_only(seeded: Engine) -> None:
    """Should build a KPM known only from the official list at its visits, with the house unknown."""
    (b,) = by_kpm(seeded)[B]
    assert (b.jenis, b.pendapatan_bulan_rp, b.jenis_lantai, b.anggota, b.jumlah_anggota) == (
        KUNJUNGAN,
        500_000,
        None,
        (),
        None,
    )
    assert b.sumber == ("uuid:b1",)


def test_build__visit_before_registration__read_against_it(seeded: Engine) -> None:
    """Should leave out members born after an early visit and let the later registration win after it."""
    early, reg = by_kpm(seeded)[C]
    assert (early.as_of, early.pendapatan_bulan_rp, early.jumlah_anggota, early.jumlah_hamil) == (
        date(2019, 1, 15),
        700_000,
        2,
        1,
    )
    assert early.perbaikan_rumah == frozenset()  # improvements count only after the registration
    assert (reg.jenis, reg.pendapatan_bulan_rp, reg.jumlah_anggota, reg.jumlah_hamil) == (
        REGISTRASI,
        900_000,
        3,
        1,
    )
    assert reg.pekerjaan_kepala == "buruh_tani"


def test_build__two_visits_same_day__one_snapshot_the_contact(seeded: Engine) -> None:
    """Should build one snapshot for a day with two visits, standing for the one where the family was met."""
    reg, day = by_kpm(seeded)[D]
    assert (day.kunjungan_id, day.kontak, day.pendapatan_bulan_rp) == ("uuid:d2", True, 1_500_000)
    assert day.sumber == (f"uuid:reg-{D}", "uuid:d1", "uuid:d2")


def test_build__until__ignores_later_visits(seeded: Engine) -> None:
    """Should ignore visits after ``until`` (the state as it was then)."""
    a = by_kpm(seeded, until=date(2019, 6, 1), as_of_dates=[date(2019, 6, 1), date(2020, 1, 1)])[A]
    assert [s.as_of for s in a] == [date(2019, 2, 1), date(2019, 5, 1), date(2019, 6, 1)]


def test_build__since__only_later_snapshots_with_earlier_values(seeded: Engine) -> None:
    """Should build only snapshots from ``since`` on, still carrying values observed before it."""
    a = by_kpm(seeded, since=date(2019, 8, 1))[A]
    assert [s.as_of for s in a] == [date(2019, 8, 1), date(2019, 11, 15), date(2021, 3, 1)]
    assert a[0] == by_kpm(seeded)[A][2]
    assert a[0].pendapatan_bulan_rp == 2_000_000 and a[0].perbaikan_rumah == frozenset({"lantai", "jamban"})


def test_build__only_as_of_dates__one_per_kpm(seeded: Engine) -> None:
    """Should build just the as-of snapshots when history is not wanted (the state of every KPM on a day)."""
    snaps = by_kpm(seeded, as_of_dates=[date(2020, 6, 30)], history=False)
    assert {k: [(s.as_of, s.jenis) for s in v] for k, v in snaps.items()} == {
        k: [(date(2020, 6, 30), PER_TANGGAL)] for k in (A, B, C, D)
    }


def test_build__chunks_ids_and_session__same_snapshots(seeded: Engine) -> None:
    """Should give the same snapshots whatever the chunk size, for a list of ids, and through a Session."""
    everything = [s for v in by_kpm(seeded).values() for s in v]
    with seeded.connect() as conn:
        chunked = list(build_snapshots(conn, chunk_size=1))
        picked = list(build_snapshots(conn, [D, A, A, "3601-404404"], chunk_size=1))
    with Session(seeded) as session:
        via_session = list(build_snapshots(session))
    assert chunked == everything == via_session
    assert [s.id_kpm for s in picked] == [D, D] + [A] * 5


def test_build__attendance_read_in_small_groups_of_visits__same_snapshots(
    seeded: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Should give the same snapshots when a chunk's visits are asked for their attendance and weighing rows a
    few at a time (what a chunk with more visits than SQLite allows parameters does)."""
    everything = by_kpm(seeded)
    assert any(s.anak for v in everything.values() for s in v)
    monkeypatch.setattr(snapshot_module, "VISITS_PER_QUERY", 2)
    assert by_kpm(seeded) == everything


def test_build__digest__changes_with_inputs(seeded: Engine) -> None:
    """Should give equal digests for equal inputs and a new one after an edit of a visit."""
    before = [snapshot_digest(s) for s in by_kpm(seeded)[A]]
    assert before == [snapshot_digest(s) for s in by_kpm(seeded)[A]]
    with seeded.begin() as conn:
        conn.execute(
            Kunjungan.__table__.update().where(Kunjungan.id == "uuid:a3").values(tabungan_rp=900_000)
        )
    after = [snapshot_digest(s) for s in by_kpm(seeded)[A]]
    assert after[:3] == before[:3] and after[3:] != before[3:]


def test_assess_and_store__asesmen_rows__round_trip(seeded: Engine, rules: RuleSet) -> None:
    """Should assess every snapshot, give each its status, and store the rows in asesmen on both backends."""
    snaps = by_kpm(seeded)
    rows = []
    for snapshots in snaps.values():
        assessments = [assess(s, rules) for s in snapshots]
        for s, a, st in zip(
            snapshots, assessments, status_history(assessments, {rules.version: rules}), strict=True
        ):
            rows.append({**asesmen_values(a, st, s), "computed_at": datetime(2021, 1, 1, 12, 0)})
    with seeded.begin() as conn:
        conn.execute(insert(Asesmen), rows)
    with seeded.connect() as conn:
        stored = {(r.id_kpm, r.tanggal): r for r in conn.execute(select(Asesmen.__table__))}
        assert (
            conn.execute(select(func.count()).select_from(Asesmen.__table__)).scalar_one() == len(rows) == 10
        )
    v3 = stored[(A, date(2019, 11, 15))]
    assert (v3.kunjungan_id, v3.rule_version, v3.status) == ("uuid:a3", "v2019", "belum_memenuhi")
    assert "G1_FOOD_INSECURE" in v3.alasan.split()
    details = json.loads(v3.kriteria_json)
    assert (details["kategori"], details["checklist"], details["kontak"]) == (
        v3.kategori,
        "tidak_terpenuhi",
        True,
    )
    assert details["kategori_bps"] and details["garis_kemiskinan_rp"] == 500_000
    criteria = {c["kode"]: c for c in expand_details(details, rules)}
    assert criteria["G1"] == {
        "kode": "G1",
        "kelompok": "graduasi",
        "hasil": "tidak_terpenuhi",
        "alasan": "G1_FOOD_INSECURE",
        "wajib": True,
        "dihitung": False,
        "nilai": {"kekurangan_pangan_3bln": "ya", "frek_makan_hari": 3},
    }
    assert criteria["G6"]["hasil"] == "tidak_berlaku" and criteria["G6"]["dihitung"] is True
    assert json.loads(v3.input_json)["sumber"] == [f"uuid:reg-{A}", "uuid:a1", "uuid:a2", "uuid:a3"]
    assert len(v3.input_sha256) == 64 and v3.kode_kabupaten == "3673"
    b = stored[(B, date(2019, 6, 1))]
    assert (b.kategori, b.status) == (None, "data_kurang")


@pytest.mark.slow
def test_build__5000_kpm_8_visits__bulk_and_fast(
    sqlite_engine: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    """Should build 45,000 snapshots of 5,000 KPM with a few queries per chunk (time printed). The bound, on this
    process's CPU time so a busy machine cannot fail it, is twenty times what it takes: it catches a query per
    KPM, not a slow moment."""
    rng = random.Random(7)
    kpm_rows, member_rows, visit_rows, child_rows = [], [], [], []
    for i in range(5000):
        key = f"3601-{i:06d}"
        reg = date(2019, 1, 7) + timedelta(days=rng.randrange(100))
        kpm_rows.append(kpm(key, reg, pendapatan_bulan_rp=800_000, jumlah_anggota=4))
        member_rows += [
            member(key, 1, date(1980, 1, 1), "kepala"),
            member(key, 2, date(1982, 1, 1), "istri_suami"),
            member(key, 3, date(2010, 1, 1), "anak"),
            member(key, 4, date(2018, 1, 1), "anak"),
        ]
        for k in range(8):
            vid = f"uuid:{key}-{k}"
            visit_rows.append(
                visit(vid, key, reg + timedelta(days=90 * (k + 1)), pendapatan_bulan_rp=900_000 + k)
            )
            child_rows.append(
                {"kunjungan_id": vid, "baris": 1, "urutan": "3", "status": "sekolah", "pct_hadir": 90.0}
            )
    with sqlite_engine.begin() as conn:
        for table, rows in (
            (Kpm, kpm_rows),
            (Anggota, member_rows),
            (Kunjungan, visit_rows),
            (PantauAnak, child_rows),
        ):
            conn.execute(insert(table), rows)
    start = time.process_time()
    with sqlite_engine.connect() as conn:
        count = sum(1 for _ in build_snapshots(conn))
    elapsed = time.process_time() - start
    with capsys.disabled():
        print(f"\nbuild_snapshots: {count} snapshots of 5000 KPM in {elapsed:.2f} s of CPU (SQLite)")
    assert count == 45_000
    assert elapsed < 20
