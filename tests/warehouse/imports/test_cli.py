"""``graduasi import`` end to end through click (graduasi/cli/importing.py), on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from graduasi.cli.importing import import_
from tests.warehouse.imports import planted
from tests.warehouse.imports.support import report_rows, write_csv
from warehouse.db import make_engine
from warehouse.models import AuditLog, Kpm


@pytest.fixture
def database_url(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """An empty database as GRADUASI_DATABASE_URL, and a working directory without a .env file."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GRADUASI_DATABASE_URL", db_url)
    return db_url


def count_kpm(url: str) -> int:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(Kpm)).scalar_one()
    finally:
        engine.dispose()


def test_cli_import__templates_then_planted_list__summary_report_and_exit_codes(
    database_url: str, tmp_path: Path
) -> None:
    """Should write templates, import into a fresh database (schema and regions made on the way), print the
    summary and the report path, and exit 0 with warnings, 1 when nothing could be stored or read."""
    runner = CliRunner()
    for kind in ("pendamping", "kpm", "targets"):
        result = runner.invoke(import_, ["template", kind, f"{kind}.xlsx"])
        assert result.exit_code == 0, result.output
        assert (tmp_path / f"{kind}.xlsx").is_file()

    roster = write_csv(tmp_path / "roster.csv", planted.PENDAMPING_HEADER, planted.PENDAMPING)
    result = runner.invoke(import_, ["pendamping", str(roster)])
    assert result.exit_code == 0, result.output
    assert "4 baris dibaca, 4 diterima" in result.output
    assert (tmp_path / "roster.laporan.xlsx").is_file()

    listed = planted.write_planted(tmp_path, "csv")
    result = runner.invoke(
        import_,
        ["kpm", str(listed), "--report", "out/laporan-kpm.xlsx", "--actor", "siti", "--mulai", "2020-01-06"],
    )
    assert result.exit_code == 0, result.output
    rejected = len(planted.rejected_rows("csv"))
    assert f"{rejected} ditolak" in result.output
    assert "laporan: out/laporan-kpm.xlsx" in result.output
    assert "ID_KPM_DUPLIKAT 3" in result.output
    rows = report_rows(tmp_path / "out" / "laporan-kpm.xlsx")
    assert {(r["Baris"], r["Kode"]) for r in rows if r["Baris"]} == {
        (row, code) for row, code, _ in planted.expected_issues("csv") if code != "NIK_DUPLIKAT" or row != 29
    }  # row 29 duplicates a KPM stored earlier: there is none in this fresh database
    stored = count_kpm(database_url)
    assert stored == len(planted.stored_ids("csv"))

    again = runner.invoke(import_, ["kpm", str(listed)])
    assert again.exit_code == 0, again.output
    assert f"0 baru, 0 diperbarui, {stored} tidak berubah" in again.output

    engine = make_engine(database_url)
    with engine.connect() as conn:
        actors = [r[0] for r in conn.execute(select(AuditLog.actor_username).order_by(AuditLog.id))]
    engine.dispose()
    assert actors[1] == "siti" and actors[2].startswith("cli:")

    bad = write_csv(tmp_path / "bad.csv", planted.HEADER, [planted.good(1, **{"ID KPM": "3601/1"})])
    result = runner.invoke(import_, ["kpm", str(bad)])
    assert result.exit_code == 1
    assert "semua baris ditolak" in result.output
    assert (tmp_path / "bad.laporan.xlsx").is_file()

    broken = tmp_path / "rusak.xlsx"
    broken.write_bytes(b"not a workbook")
    result = runner.invoke(import_, ["kpm", str(broken)])
    assert result.exit_code == 1
    assert "rusak.xlsx" in result.output and "tidak ada yang disimpan" in result.output
    assert count_kpm(database_url) == stored


def test_cli_import__help__lists_the_commands() -> None:
    result = CliRunner().invoke(import_, ["--help"])
    assert result.exit_code == 0
    for command in ("kpm", "pendamping", "targets", "template"):
        assert command in result.output
