"""The validation report and the reason codes: every code documented, hostile text neutralised, counts shown."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import openpyxl

from warehouse.imports import CODES, ImportResult, Issue, Severity, default_report_path, write_report

ROOT = Path(__file__).resolve().parents[3]


def codes_used_in_code() -> set[str]:
    text = "".join(p.read_text(encoding="utf-8") for p in (ROOT / "warehouse" / "imports").glob("*.py"))
    return set(re.findall(r'"([A-Z][A-Z0-9]+(?:_[A-Z0-9]+)+)"', text))


def test_codes__every_code_raised__has_wording_and_is_documented() -> None:
    """Should give every code the imports raise an Indonesian meaning and fix, and a line in docs/imports.md."""
    assert codes_used_in_code() == set(CODES)
    docs = (ROOT / "docs" / "imports.md").read_text(encoding="utf-8")
    assert [c for c in sorted(CODES) if f"`{c}`" not in docs] == []


def test_write_report__hostile_values__neutralised_and_counts_shown(tmp_path: Path) -> None:
    """Should prefix every cell that Excel would run as a formula, and show the counts on the summary sheet."""
    result = ImportResult(
        "kpm", tmp_path / "=cmd.csv", "+actor", date(2020, 3, 2), rows_read=3, rows_rejected=1
    )
    result.issues = [
        Issue(
            "KATEGORI_TIDAK_DIKENAL", Severity.PERINGATAN, "-x", 2, "@key", "B (kategori)", "=HYPERLINK(1)"
        ),
        Issue("ID_KPM_FORMAT", Severity.DITOLAK, "bad", 3, None, "A (id_kpm)", "\t=1"),
        Issue("KOLOM_TIDAK_DIKENAL", Severity.INFO, "kolom C (x) tidak dikenal"),
    ]
    path = write_report(result, tmp_path / "r" / "laporan.xlsx")
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["ringkasan", "masalah", "kode"]
    strings = [c for ws in book for row in ws.iter_rows(values_only=True) for c in row if isinstance(c, str)]
    assert not [s for s in strings if s[:1] in ("=", "+", "-", "@", "\t")]
    assert "'=HYPERLINK(1)" in strings and "'@key" in strings and "'-x" in strings and "'\t=1" in strings
    summary = {row[0]: row[1] for row in book["ringkasan"].iter_rows(values_only=True) if row[0]}
    assert summary["Baris data dibaca"] == 3
    assert summary["Baris ditolak (tidak disimpan)"] == 1
    assert summary["File"] == "'=cmd.csv"
    masalah = list(book["masalah"].iter_rows(values_only=True))
    assert [(r[1], r[5], r[6]) for r in masalah[1:]] == [
        (2, "peringatan", "KATEGORI_TIDAK_DIKENAL"),
        (3, "ditolak", "ID_KPM_FORMAT"),
        (None, "info", "KOLOM_TIDAK_DIKENAL"),
    ]
    assert len(list(book["kode"].iter_rows())) == len(CODES) + 1


def test_default_report_path__beside_the_file() -> None:
    assert default_report_path(Path("/data/daftar kpm.xlsx")) == Path("/data/daftar kpm.laporan.xlsx")
