"""Disbursement checks: each confirmation against the configured tranche (amount, window, duplicates)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from warehouse.db import write_connection
from warehouse.models import Kpm, MasalahPenyaluran, Penyaluran
from warehouse.penyaluran import (
    ProgramConfigError,
    Tahap,
    check_disbursements,
    find_problems,
    load_program_tahap,
    read_tahap,
)

TRANCHES = {
    (2019, "1"): Tahap(2019, "1", 1_000_000, date(2019, 4, 15), date(2019, 5, 24)),
    (2019, "2"): Tahap(2019, "2", 750_000, date(2019, 9, 9), date(2019, 10, 25)),
}


def confirmation(
    i: str,
    tahap: str = "1",
    amount: int | None = 1_000_000,
    paid: date | None = date(2019, 5, 1),
    status: str = "diterima_penuh",
    year: int = 2019,
) -> dict:
    return {
        "id": i,
        "tahun_anggaran": year,
        "tahap": tahap,
        "nominal_diterima_rp": amount,
        "tanggal_terima": paid,
        "status_terima": status,
    }


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        (confirmation("a"), []),
        (confirmation("a", amount=999_999, status="diterima_sebagian"), [("kurang", 1_000_000, 999_999)]),
        (confirmation("a", amount=1_000_001), [("lebih", 1_000_000, 1_000_001)]),
        (confirmation("a", paid=date(2019, 4, 14)), [("di_luar_jadwal", 1_000_000, 1_000_000)]),
        (confirmation("a", paid=date(2019, 4, 15)), []),
        (confirmation("a", paid=date(2019, 5, 24)), []),
        (confirmation("a", paid=date(2019, 5, 25)), [("di_luar_jadwal", 1_000_000, 1_000_000)]),
        (confirmation("a", amount=None, paid=None, status="belum_cair"), [("belum_cair", 1_000_000, None)]),
        (confirmation("a", tahap="3"), [("tahap_tidak_dikenal", None, 1_000_000)]),
        (confirmation("a", tahap="2", amount=750_000, paid=date(2019, 10, 1)), []),
    ],
)
def test_find_problems__one_confirmation__expected_kind(row: dict, expected: list) -> None:
    """Should flag exactly the mismatch of amount, window or status, at the boundary days too."""
    found = [(p["jenis"], p["diharapkan_rp"], p["diterima_rp"]) for p in find_problems([row], TRANCHES)]
    assert found == expected


def test_find_problems__two_for_one_tranche__second_is_duplicate() -> None:
    """Should keep the earliest confirmation and flag the later one as a duplicate."""
    rows = [confirmation("b", paid=date(2019, 5, 2)), confirmation("a", paid=date(2019, 5, 1))]
    found = [(p["jenis"], p["penyaluran_id"]) for p in find_problems(rows, TRANCHES)]
    assert found == [("ganda", "b")]


def test_read_tahap__shipped_file__2019_tranches() -> None:
    """Should read the shipped configuration: 2019 = Rp1,000,000 then Rp750,000."""
    table = {(t.tahun, t.tahap): t.nominal_rp for t in read_tahap()}
    assert table[(2019, "1")] == 1_000_000
    assert table[(2019, "2")] == 750_000


def test_read_tahap__bad_row__names_row_and_fix(tmp_path: Path) -> None:
    """Should name the row and say what a valid value looks like."""
    path = tmp_path / "tahap.csv"
    path.write_text(
        "tahun,tahap,nominal_rp,mulai,selesai,keterangan\n2019,1,satu juta,,,\n", encoding="utf-8"
    )
    with pytest.raises(ProgramConfigError, match=r"tahap.csv row 2: .*whole numbers"):
        read_tahap(path)
    path.write_text("tahun,tahap,nominal_rp,mulai,selesai,keterangan\n2019,4,100,,,\n", encoding="utf-8")
    with pytest.raises(ProgramConfigError, match="row 2: tahap '4' must be 1, 2, 3 or sekaligus"):
        read_tahap(path)


def test_check_disbursements__stored__problems_per_kpm(engine: Engine) -> None:
    """Should store the problems of the given KPM with region, and replace them on a re-check."""
    load_program_tahap(engine)
    with write_connection(engine) as conn:
        conn.execute(
            Kpm.__table__.insert(),
            [
                {"id_kpm": "3601-000001", "kode_kabupaten": "3601"},
                {"id_kpm": "3601-000002", "kode_kabupaten": "3601"},
            ],
        )
        conn.execute(
            Penyaluran.__table__.insert(),
            [
                {
                    "id": "s1",
                    "id_kpm": "3601-000001",
                    **{k: v for k, v in confirmation("s1").items() if k != "id"},
                },
                {
                    "id": "s2",
                    "id_kpm": "3601-000002",
                    **{
                        k: v
                        for k, v in confirmation("s2", amount=500_000, status="diterima_sebagian").items()
                        if k != "id"
                    },
                },
            ],
        )
        assert check_disbursements(conn, ["3601-000001", "3601-000002"]) == 1
        assert check_disbursements(conn, ["3601-000001", "3601-000002"]) == 1
    with engine.connect() as conn:
        rows = conn.execute(select(MasalahPenyaluran.__table__)).all()
    assert [(r.id_kpm, r.jenis, r.diharapkan_rp, r.diterima_rp, r.kode_kabupaten) for r in rows] == [
        ("3601-000002", "kurang", 1_000_000, 500_000, "3601")
    ]


def test_load_program_tahap__tranche_changed__every_kpms_disbursements_checked_again(
    engine: Engine, tmp_path: Path
) -> None:
    """A new amount for a tranche shows up as mismatches at once (no recompute checks disbursements for a rule
    change); loading the same table again checks nothing."""
    load_program_tahap(engine)
    with write_connection(engine) as conn:
        conn.execute(Kpm.__table__.insert(), [{"id_kpm": "3601-000001", "kode_kabupaten": "3601"}])
        conn.execute(
            Penyaluran.__table__.insert(),
            [
                {
                    "id": "s1",
                    "id_kpm": "3601-000001",
                    **{k: v for k, v in confirmation("s1").items() if k != "id"},
                }
            ],
        )
        assert check_disbursements(conn, ["3601-000001"]) == 0
    from warehouse.penyaluran import TAHAP_CSV

    text = TAHAP_CSV.read_text(encoding="utf-8")
    changed = tmp_path / "tahap.csv"
    changed.write_text(text.replace("1000000", "1100000", 1), encoding="utf-8")
    assert changed.read_text(encoding="utf-8") != text
    load_program_tahap(engine, changed)
    with engine.connect() as conn:
        rows = conn.execute(select(MasalahPenyaluran.__table__)).all()
    assert [(r.id_kpm, r.jenis, r.diharapkan_rp, r.diterima_rp) for r in rows] == [
        ("3601-000001", "kurang", 1_100_000, 1_000_000)
    ]
    with write_connection(engine) as conn:  # the same table again: nothing re-checked (a stale row stays)
        conn.execute(MasalahPenyaluran.__table__.delete())
    load_program_tahap(engine, changed)
    with engine.connect() as conn:
        assert conn.execute(select(MasalahPenyaluran.__table__)).all() == []
