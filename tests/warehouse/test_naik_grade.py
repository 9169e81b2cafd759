"""Naik grade between two dates: each KPM's category on both dates, credited to the pendamping who held it then."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from sqlalchemy import Engine

from graduasi.cli import main
from warehouse.db import write_connection
from warehouse.models import Asesmen, Pendamping
from warehouse.naik_grade import (
    BadPeriod,
    CategoryMove,
    category_moves,
    moves_per_pendamping,
    write_moves_xlsx,
)
from warehouse.regions import load_wilayah

DARI, SAMPAI = date(2019, 6, 30), date(2020, 6, 30)
#: (KPM, day, category, pendamping who held it that day)
HISTORY = [
    # moved up two ranks; the KPM changed hands in between, so the later holder is credited
    ("3601-000001", date(2019, 3, 1), "miskin", "P1"),
    ("3601-000001", date(2019, 9, 1), "hampir_miskin", "P1"),
    ("3601-000001", date(2020, 3, 1), "rentan_miskin", "P2"),
    ("3601-000001", date(2020, 9, 1), "sangat_miskin", "P2"),  # after the period: not read
    # moved down
    ("3601-000002", date(2019, 6, 30), "hampir_miskin", "P1"),  # on the earlier date itself: counts for it
    ("3601-000002", date(2020, 6, 30), "miskin", "P1"),
    # the same category
    ("3602-000001", date(2019, 1, 5), "rentan_miskin", "P3"),
    ("3602-000001", date(2020, 1, 5), "rentan_miskin", "P3"),
    # first assessed inside the period: no earlier category
    ("3602-000002", date(2019, 12, 1), "miskin", "P3"),
    # its latest category was left open (data missing)
    ("3602-000003", date(2019, 2, 1), "miskin", "P3"),
    ("3602-000003", date(2020, 2, 1), None, "P3"),
    # only assessed after the period: not listed
    ("3602-000004", date(2020, 8, 1), "miskin", "P3"),
]


@pytest.fixture
def history(engine: Engine) -> Engine:
    load_wilayah(engine)
    with write_connection(engine) as conn:
        conn.execute(
            Pendamping.__table__.insert(),
            [
                {"id": "P1", "nama": "Siti"},
                {"id": "P2", "nama": "Budi"},
                {"id": "P3", "nama": '=cmd|" /c calc"!A1'},
            ],
        )
        conn.execute(
            Asesmen.__table__.insert(),
            [
                {
                    "id_kpm": kpm,
                    "tanggal": day,
                    "kategori": kategori,
                    "pendamping_id": pid,
                    "kode_kabupaten": kpm[:4],
                    "rule_version": "v2019",
                    "status": "belum_memenuhi",
                    "kriteria_json": "{}",
                    "computed_at": datetime(2026, 1, 1),
                }
                for kpm, day, kategori, pid in HISTORY
            ],
        )
    return engine


def test_category_moves__two_dates__category_on_each_and_the_holder_then(history: Engine) -> None:
    """Should give each KPM assessed by the later date its category on both dates (the latest assessment on or
    before each), the ranks moved, and the pendamping of the later assessment."""
    with history.connect() as conn:
        moves = {m.id_kpm: m for m in category_moves(conn, DARI, SAMPAI)}
    assert sorted(moves) == ["3601-000001", "3601-000002", "3602-000001", "3602-000002", "3602-000003"]
    up = moves["3601-000001"]
    assert (up.kategori_awal, up.tanggal_awal, up.kategori_akhir, up.tanggal_akhir) == (
        "miskin",
        date(2019, 3, 1),
        "rentan_miskin",
        date(2020, 3, 1),
    )
    assert (up.langkah, up.arah, up.pendamping_id) == (2, "naik", "P2")
    assert (moves["3601-000002"].langkah, moves["3601-000002"].arah) == (-1, "turun")
    assert moves["3601-000002"].tanggal_awal == DARI
    assert moves["3602-000001"].arah == "tetap"
    assert (moves["3602-000002"].kategori_awal, moves["3602-000002"].arah) == (None, "tidak_diketahui")
    assert (moves["3602-000003"].kategori_akhir, moves["3602-000003"].arah) == (None, "tidak_diketahui")


def test_category_moves__filters_and_bad_period(history: Engine) -> None:
    """Should keep only the kabupaten or the pendamping asked for, and refuse a period that does not go forward."""
    with history.connect() as conn:
        assert [m.id_kpm for m in category_moves(conn, DARI, SAMPAI, kabupaten="3601")] == [
            "3601-000001",
            "3601-000002",
        ]
        assert [m.id_kpm for m in category_moves(conn, DARI, SAMPAI, pendamping="P2")] == ["3601-000001"]
        with pytest.raises(BadPeriod, match="2020-06-30 is not before 2019-06-30"):
            category_moves(conn, SAMPAI, DARI)
        with pytest.raises(BadPeriod):
            category_moves(conn, DARI, DARI)


def test_moves_per_pendamping__counts__most_moved_up_first(history: Engine) -> None:
    """Should count each pendamping's moves by direction, with their names, most moved up first."""
    with history.connect() as conn:
        per = moves_per_pendamping(conn, category_moves(conn, DARI, SAMPAI))
    assert [(p.pendamping_id, p.nama, p.kpm, p.naik, p.turun, p.tetap, p.tidak_diketahui) for p in per] == [
        ("P2", "Budi", 1, 1, 0, 0, 0),
        ("P1", "Siti", 1, 0, 1, 0, 0),
        ("P3", '=cmd|" /c calc"!A1', 3, 0, 0, 1, 2),
    ]


def test_moves_per_pendamping__no_holder__listed_last(history: Engine) -> None:
    """Should list the KPM nobody held (no caseload assignment on the date) after every pendamping."""
    moves = [
        CategoryMove("a", None, "miskin", DARI, "rentan_miskin", SAMPAI, None),
        CategoryMove("b", None, "miskin", DARI, "miskin", SAMPAI, "P1"),
    ]
    with history.connect() as conn:
        assert [p.pendamping_id for p in moves_per_pendamping(conn, moves)] == ["P1", None]


def test_write_moves_xlsx__sheets_and_field_text(history: Engine, tmp_path: Path) -> None:
    """Should write the moves per pendamping and per KPM, a name that looks like a formula kept as text."""
    with history.connect() as conn:
        moves = category_moves(conn, DARI, SAMPAI)
        per = moves_per_pendamping(conn, moves)
    path = write_moves_xlsx(moves, per, tmp_path / "naik.xlsx", "2019-06-30 -> 2020-06-30")
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["pendamping", "kpm"]
    people = [[c.value for c in r] for r in book["pendamping"].iter_rows(min_row=5)]
    assert people[0] == ["P2", "Budi", 1, 1, 0, 0, 0]
    assert people[2][1] == '\'=cmd|" /c calc"!A1'
    rows = [[c.value for c in r] for r in book["kpm"].iter_rows(min_row=2)]
    assert rows[0] == [
        "3601-000001",
        "3601",
        "P2",
        "miskin",
        datetime(2019, 3, 1),
        "rentan_miskin",
        datetime(2020, 3, 1),
        2,
        "naik",
    ]
    assert rows[3][3:5] == [None, None] and rows[3][7] is None and rows[3][8] == "tidak_diketahui"


def test_naik_cli__summary_per_pendamping_and_errors(history: Engine, tmp_path: Path) -> None:
    """``graduasi graduation naik`` prints the totals and the pendamping most moved up first, writes --xlsx, and
    names the option to fix for a backwards period or a code that is not a kabupaten/kota."""
    env = {"GRADUASI_DATABASE_URL": history.url.render_as_string(hide_password=False)}
    runner = CliRunner()
    args = ["graduation", "naik", "--dari", "2019-06-30", "--sampai", "2020-06-30"]
    out = runner.invoke(main, [*args, "--xlsx", str(tmp_path / "n.xlsx")], env=env, catch_exceptions=False)
    assert out.exit_code == 0, out.output
    assert "5 KPM: 1 moved up, 1 down, 1 same category; 2 without a category" in out.output
    lines = [line for line in out.output.splitlines() if line.startswith("  P")]
    assert [line.split()[0] for line in lines] == ["P2", "P1", "P3"]
    assert (tmp_path / "n.xlsx").exists()
    out = runner.invoke(main, [*args, "--kabupaten", "36.01"], env=env, catch_exceptions=False)
    assert "2 KPM: 1 moved up, 1 down" in out.output and "kabupaten 3601" in out.output
    out = runner.invoke(
        main, ["graduation", "naik", "--dari", "2020-06-30", "--sampai", "2019-06-30"], env=env
    )
    assert out.exit_code == 2 and "--dari/--sampai" in out.output and "is not before" in out.output
    out = runner.invoke(main, [*args, "--kabupaten", "3601010"], env=env)
    assert out.exit_code == 2 and "--kabupaten" in out.output
    out = runner.invoke(
        main, ["graduation", "naik", "--dari", "2019-06-30", "--sampai", "30/06/2020"], env=env
    )
    assert out.exit_code == 2 and "--sampai" in out.output
    out = runner.invoke(main, [*args, "--pendamping", "P9"], env=env)
    assert out.exit_code == 2 and "--pendamping" in out.output and "'P9' is not in the roster" in out.output
    out = runner.invoke(main, [*args, "--pendamping", "P2"], env=env, catch_exceptions=False)
    assert "1 KPM: 1 moved up" in out.output
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    out = runner.invoke(main, [*args, "--xlsx", str(blocked / "n.xlsx")], env=env)
    assert out.exit_code == 1 and f"cannot write {blocked / 'n.xlsx'}" in out.output
    assert "choose another --xlsx path" in out.output
