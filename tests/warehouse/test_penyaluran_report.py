"""The disbursement problems staff follow up: the filtered list, the counts per kind, the XLSX and the command."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from sqlalchemy import Engine

from graduasi.cli import main
from warehouse.db import write_connection
from warehouse.models import Kpm, Penyaluran
from warehouse.penyaluran import check_disbursements, load_program_tahap
from warehouse.penyaluran_report import (
    KIND_LABELS,
    DisbursementProblem,
    count_by_kind,
    list_problems,
    write_problems_xlsx,
)
from warehouse.regions import UnknownRegion, check_kabupaten, load_wilayah

FORMULA_NAME = '=HYPERLINK("http://evil.example","klik")'


def confirmation(i: str, kpm: str, **values: object) -> dict:
    row = {
        "id": i,
        "id_kpm": kpm,
        "tahun_anggaran": 2019,
        "tahap": "1",
        "status_terima": "diterima_penuh",
        "nominal_diterima_rp": 1_000_000,
        "tanggal_terima": date(2019, 5, 1),
        "tanggal_konfirmasi": date(2019, 5, 3),
        "kendala": None,
    }
    row.update(values)  # every row has the same keys: a bulk insert takes its columns from the first
    return row


@pytest.fixture
def problems_db(engine: Engine) -> Engine:
    """Four KPM in two kabupaten: short, outside the window, not paid, and one without a problem."""
    load_wilayah(engine)
    load_program_tahap(engine)
    with write_connection(engine) as conn:
        conn.execute(
            Kpm.__table__.insert(),
            [
                {"id_kpm": kpm, "kode_kabupaten": kpm[:4], "nama_pengurus": name, "pendamping_id": pendamping}
                for kpm, name, pendamping in (
                    ("3601-000001", FORMULA_NAME, None),
                    ("3601-000002", None, "PD-3601-001"),
                    ("3602-000001", "Siti", None),
                    ("3602-000002", None, None),
                )
            ],
        )
        conn.execute(
            Penyaluran.__table__.insert(),
            [
                confirmation(
                    "p1", "3601-000001", nominal_diterima_rp=750_000, status_terima="diterima_sebagian"
                ),
                confirmation("p2", "3601-000002", tanggal_terima=date(2019, 7, 1)),
                confirmation(
                    "p3",
                    "3602-000001",
                    status_terima="belum_cair",
                    nominal_diterima_rp=None,
                    tanggal_terima=None,
                    kendala="=1+1",
                ),
                confirmation("p4", "3602-000002"),
            ],
        )
        check_disbursements(conn, ["3601-000001", "3601-000002", "3602-000001", "3602-000002"])
    return engine


def test_list_problems__filters__only_what_was_asked(problems_db: Engine) -> None:
    """Should list every stored problem with its KPM's name, pendamping and confirmation dates, ordered by year,
    tranche, region and KPM, and filter by year, kabupaten and kind."""
    with problems_db.connect() as conn:
        everything = list_problems(conn)
        assert [(p.id_kpm, p.jenis) for p in everything] == [
            ("3601-000001", "kurang"),
            ("3601-000002", "di_luar_jadwal"),
            ("3602-000001", "belum_cair"),
        ]
        short = everything[0]
        assert (short.diharapkan_rp, short.diterima_rp, short.selisih_rp) == (1_000_000, 750_000, -250_000)
        assert short.nama_pengurus == FORMULA_NAME and short.tanggal_konfirmasi == date(2019, 5, 3)
        assert everything[1].pendamping_id == "PD-3601-001"
        assert everything[2].selisih_rp is None and everything[2].kendala == "=1+1"
        assert [p.id_kpm for p in list_problems(conn, kabupaten="3602")] == ["3602-000001"]
        assert [p.id_kpm for p in list_problems(conn, jenis="kurang")] == ["3601-000001"]
        assert list_problems(conn, tahun=2020) == []
        assert len(list_problems(conn, tahun=2019, kabupaten="3601")) == 2


def test_check_kabupaten__not_a_kabupaten__message_names_what_to_use(problems_db: Engine) -> None:
    """Should accept a kabupaten/kota code and refuse a kecamatan code or an unknown one, naming valid codes."""
    with problems_db.connect() as conn:
        check_kabupaten(conn, "3601")
        with pytest.raises(UnknownRegion, match=r"'360101' is a kecamatan code.*use one of 3601, 3602"):
            check_kabupaten(conn, "360101")
        with pytest.raises(UnknownRegion, match=r"'9999' is not in the region table"):
            check_kabupaten(conn, "9999")


def _problem(jenis: str, expected: int | None, received: int | None) -> DisbursementProblem:
    return DisbursementProblem(
        "3601-000001",
        None,
        "3601",
        None,
        None,
        None,
        2019,
        "1",
        jenis,
        expected,
        received,
        None,
        None,
        None,
        "p",
    )


def test_count_by_kind__order_and_amounts__differences_for_amount_kinds_only() -> None:
    """Should count per kind in the order staff read them, and add up differences only where the amount is the
    problem (a confirmation outside the window is not money missing)."""
    counts = count_by_kind(
        [
            _problem("di_luar_jadwal", 1_000_000, 900_000),
            _problem("kurang", 1_000_000, 900_000),
            _problem("kurang", 1_000_000, 500_000),
            _problem("lebih", 750_000, 1_000_000),
            _problem("belum_cair", 1_000_000, None),
        ]
    )
    assert [(c.jenis, c.count, c.selisih_rp) for c in counts] == [
        ("kurang", 2, -600_000),
        ("lebih", 1, 250_000),
        ("di_luar_jadwal", 1, None),
        ("belum_cair", 1, None),
    ]


def test_write_problems_xlsx__field_text__never_a_formula(problems_db: Engine, tmp_path: Path) -> None:
    """Should write a summary, one row per problem with numbers as numbers and dates as dates, and the meaning of
    every kind; a name or obstacle that a spreadsheet would run as a formula stays text."""
    with problems_db.connect() as conn:
        problems = list_problems(conn)
    path = write_problems_xlsx(problems, tmp_path / "out" / "masalah.xlsx", "semua", now=datetime(2026, 1, 2))
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["ringkasan", "masalah", "jenis"]
    rows = [[c.value for c in r] for r in book["masalah"].iter_rows(min_row=2)]
    assert len(rows) == 3
    first = rows[0]
    assert first[0] == "3601-000001" and first[1] == "'" + FORMULA_NAME
    assert first[10:13] == [1_000_000, 750_000, -250_000]
    assert first[13] == datetime(2019, 5, 1)
    assert rows[2][15] == "'=1+1"
    for row in book["masalah"].iter_rows():
        for cell in row:
            assert cell.data_type != "f"
    summary = [[c.value for c in r] for r in book["ringkasan"].iter_rows(min_row=6)]
    assert summary[0] == [KIND_LABELS["kurang"], 1, -250_000]
    assert summary[-1][:2] == ["Jumlah", 3]
    assert book["ringkasan"]["A3"].value == "Dibuat: 2026-01-02 00:00"
    assert [r[0].value for r in book["jenis"].iter_rows(min_row=2)] == list(KIND_LABELS)


def test_penyaluran_cli__counts_rows_xlsx_and_bad_kabupaten(problems_db: Engine, tmp_path: Path) -> None:
    """``graduasi graduation penyaluran`` prints the counts per kind and the problems, writes them all with
    --xlsx, accepts a dotted code and refuses a code that is not a kabupaten/kota."""
    env = {"GRADUASI_DATABASE_URL": problems_db.url.render_as_string(hide_password=False)}
    runner = CliRunner()
    out = runner.invoke(main, ["graduation", "penyaluran", "--limit", "1"], env=env, catch_exceptions=False)
    assert out.exit_code == 0, out.output
    assert "3 disbursement problems (semua)" in out.output
    assert "kurang" in out.output and "difference -Rp250.000" in out.output
    assert "3601-000001 2019/1 kurang: entitled Rp1.000.000, received Rp750.000" in out.output
    assert "... and 2 more: --xlsx FILE writes them all" in out.output
    target = tmp_path / "m.xlsx"
    out = runner.invoke(
        main,
        ["graduation", "penyaluran", "--kabupaten", "36.02", "--xlsx", str(target)],
        env=env,
        catch_exceptions=False,
    )
    assert out.exit_code == 0, out.output
    assert "1 disbursement problems (kabupaten 3602)" in out.output
    assert openpyxl.load_workbook(target)["masalah"].max_row == 2
    out = runner.invoke(main, ["graduation", "penyaluran", "--kabupaten", "360101"], env=env)
    assert out.exit_code == 2
    assert "--kabupaten" in out.output and "is a kecamatan code" in out.output
    out = runner.invoke(main, ["graduation", "penyaluran", "--tahun", "2020"], env=env)
    assert out.exit_code == 0 and "no disbursement problems (tahun 2020)" in out.output
