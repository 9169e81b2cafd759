"""Each KPM's status with its reasons in words: every code the engine stores is explained, the filters keep what
was asked, and the spreadsheet and the command show the same."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from sqlalchemy import select, update

from forms.rules import load_rule_sets
from graduasi.cli import main
from tests.pipeline import Synced, synced_pipeline
from warehouse.db import write_connection
from warehouse.models import Asesmen, Kpm
from warehouse.status_report import (
    ENGINE_REASONS,
    STATUS_LABELS,
    KpmStatus,
    ReasonBook,
    count_by_status,
    list_statuses,
    write_status_xlsx,
)


@pytest.fixture
def synced(db_url: str, tmp_path: Path) -> Iterator[Synced]:
    with synced_pipeline(db_url, tmp_path, kpm=120) as env:
        yield env


def test_reason_book__default_rules__criteria_by_name_engine_codes_by_meaning() -> None:
    """Should explain a graduation criterion's code by its name in the workbook, its missing-data code as data
    lacking for it, the natural exit by its rule, the engine's codes by their meaning, and leave an unknown code
    as it is."""
    rules = load_rule_sets()
    book = ReasonBook(rules)
    version = rules[0].version
    g6 = next(c for c in rules[0].graduation if c.code == "G6")
    assert book.text(g6.reason_code or "", version) == f"Tidak terpenuhi: {g6.label_id}"
    assert book.text("G6_DATA_MISSING", version) == f"Data kurang: {g6.label_id}"
    natural = rules[0].natural_exit
    assert book.text(natural.reason_code or "", version) == natural.label_id
    assert book.text("SCORE_BELOW_MIN", version) == ENGINE_REASONS["SCORE_BELOW_MIN"]
    assert book.text("G6_DATA_MISSING", "a-version-not-stored") == f"Data kurang: {g6.label_id}"
    assert book.text("SOMETHING_NEW", version) == "SOMETHING_NEW"


def test_statuses__synced_pipeline__every_stored_reason_explained(synced: Synced) -> None:
    """Should list every KPM with the category and status the recompute left on it and the codes of its latest
    assessment, and explain every code any assessment stored, in words."""
    with synced.engine.connect() as conn:
        statuses = list_statuses(conn)
        book = ReasonBook.stored(conn)
        kpm = {r.id_kpm: r for r in conn.execute(select(Kpm.__table__))}
        codes = {
            (code, r.rule_version)
            for r in conn.execute(select(Asesmen.alasan, Asesmen.rule_version))
            for code in (r.alasan or "").split()
        }
        latest = {}
        for r in conn.execute(select(Asesmen.__table__).order_by(Asesmen.id_kpm, Asesmen.tanggal)):
            latest[r.id_kpm] = r
    assert len(statuses) == len(kpm) == 120
    assert codes, "the pipeline stored no reasons"
    unexplained = sorted(code for code, version in codes if book.text(code, version) == code)
    assert unexplained == []
    for s in statuses:
        assert (s.kategori, s.status) == (kpm[s.id_kpm].kategori, kpm[s.id_kpm].status_graduasi)
        if s.id_kpm in latest:
            assert s.alasan == tuple((latest[s.id_kpm].alasan or "").split())
            assert s.rule_version == latest[s.id_kpm].rule_version
    assert {name for name, _n in count_by_status(statuses)} <= {*STATUS_LABELS, "belum_dinilai"}


def test_statuses__filters__only_what_was_asked(synced: Synced) -> None:
    """Should keep one status, one kabupaten or one pendamping's KPM, and list KPM not assessed yet as
    belum_dinilai."""
    with write_connection(synced.engine) as conn:
        conn.execute(
            update(Kpm.__table__)
            .where(Kpm.id_kpm == "3601-000001")
            .values(status_graduasi=None, kategori=None)
        )
    with synced.engine.connect() as conn:
        everything = list_statuses(conn)
        some = everything[5]
        assert {s.id_kpm for s in list_statuses(conn, status=some.status)} == {
            s.id_kpm for s in everything if s.status == some.status
        }
        assert [s.id_kpm for s in list_statuses(conn, status="belum_dinilai")] == ["3601-000001"]
        assert all(s.kode_kabupaten == "3601" for s in list_statuses(conn, kabupaten="3601"))
        mine = list_statuses(conn, pendamping=some.pendamping_id)
        assert mine and all(s.pendamping_id == some.pendamping_id for s in mine)
    assert ("belum_dinilai", 1) in count_by_status(everything)


def test_write_status_xlsx__reasons_in_words_and_their_codes(tmp_path: Path) -> None:
    """Should write the counts, one row per KPM with its codes and their meanings, and every code listed once
    per rule version; a name that looks like a formula stays text."""
    rules = load_rule_sets()
    version = rules[0].version
    statuses = [
        KpmStatus(
            "3601-000001",
            "=1+1",
            "3601",
            "360101",
            "3601012001",
            "PD-1",
            "miskin",
            "belum_memenuhi",
            date(2020, 5, 1),
            date(2020, 5, 1),
            3,
            4,
            version,
            ("G6_DATA_MISSING", "SCORE_BELOW_MIN"),
        ),
        KpmStatus(
            "3601-000002", None, "3601", None, None, None, None, None, None, None, None, None, None, ()
        ),
    ]
    path = write_status_xlsx(statuses, ReasonBook(rules), tmp_path / "s.xlsx", "semua")
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["ringkasan", "kpm", "alasan"]
    rows = [[c.value for c in r] for r in book["kpm"].iter_rows(min_row=2)]
    assert rows[0][1] == "'=1+1" and rows[0][7] == "belum_memenuhi"
    assert rows[0][14] == "G6_DATA_MISSING SCORE_BELOW_MIN"
    assert rows[0][15].startswith("Data kurang: ") and rows[0][15].endswith(ENGINE_REASONS["SCORE_BELOW_MIN"])
    assert rows[1][7] == "belum_dinilai" and rows[1][8] == "Belum dinilai" and rows[1][15] is None
    codes = [[c.value for c in r] for r in book["alasan"].iter_rows(min_row=2)]
    assert [c[0] for c in codes] == ["G6_DATA_MISSING", "SCORE_BELOW_MIN"]
    summary = [[c.value for c in r] for r in book["ringkasan"].iter_rows(min_row=6)]
    assert summary == [[STATUS_LABELS["belum_memenuhi"], 1], ["Belum dinilai", 1], ["Jumlah", 2]]


def test_status_cli__counts_reasons_and_errors(synced: Synced, tmp_path: Path) -> None:
    """``graduasi graduation status`` prints the counts per status and each KPM's reasons in words, writes them
    with --xlsx, and names the option to fix for a pendamping not on the roster."""
    env = {"GRADUASI_DATABASE_URL": synced.engine.url.render_as_string(hide_password=False)}
    runner = CliRunner()
    out = runner.invoke(
        main,
        ["graduation", "status", "--limit", "3", "--xlsx", str(tmp_path / "s.xlsx")],
        env=env,
        catch_exceptions=False,
    )
    assert out.exit_code == 0, out.output
    assert "120 KPM (semua):" in out.output
    listed = [line for line in out.output.splitlines() if line.startswith("36")]
    assert len(listed) == 3 and all(": " in line for line in listed)
    assert "Tidak terpenuhi: " in out.output or "Data kurang: " in out.output
    assert openpyxl.load_workbook(tmp_path / "s.xlsx")["kpm"].max_row == 121
    out = runner.invoke(main, ["graduation", "status", "--pendamping", "nobody"], env=env)
    assert out.exit_code == 2 and "'nobody' is not in the roster" in out.output
    out = runner.invoke(main, ["graduation", "status", "--status", "lulus"], env=env)
    assert out.exit_code == 2 and "--status" in out.output
