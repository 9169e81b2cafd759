"""The validation report of an import (XLSX): a summary, every rejected or suspicious row, and the codes.

Written with xlsxwriter with formula and URL conversion off, and every text cell that a spreadsheet would run
as a formula is prefixed with ``'`` (reliability.md §4 B16): the values come from the imported file. NIK and
KK values arrive already masked (first 6 and last 4 digits).
"""

from __future__ import annotations

import logging
from pathlib import Path

from warehouse.imports.issues import CODES, ImportResult, Severity
from warehouse.xlsx import neutralise, new_workbook

log = logging.getLogger(__name__)

KIND_LABELS = {
    "kpm": "Daftar KPM resmi",
    "pendamping": "Daftar pendamping dan penugasan",
    "targets": "Target pendamping",
}
ISSUE_HEADER = ("Sheet", "Baris", "ID", "Kolom", "Nilai", "Tingkat", "Kode", "Masalah", "Cara memperbaiki")
ISSUE_WIDTHS = (12, 7, 16, 24, 22, 11, 26, 70, 70)


def default_report_path(path: Path) -> Path:
    """``<folder>/<name>.laporan.xlsx`` beside the imported file."""
    return path.with_name(f"{path.stem}.laporan.xlsx")


def write_report(result: ImportResult, path: Path | str) -> Path:
    """Write the report of ``result`` to ``path`` (XLSX) and return the path."""
    path = Path(path)
    book = new_workbook(path)
    try:
        bold = book.add_format({"bold": True})
        title = book.add_format({"bold": True, "font_size": 14})
        wrap = book.add_format({"text_wrap": True, "valign": "top"})
        red = book.add_format({"font_color": "#9C0006", "bg_color": "#FFC7CE", "valign": "top"})
        amber = book.add_format({"font_color": "#9C5700", "bg_color": "#FFEB9C", "valign": "top"})
        top = book.add_format({"valign": "top"})
        _summary(book.add_worksheet("ringkasan"), result, bold, title)
        _issues(book.add_worksheet("masalah"), result, bold, wrap, red, amber, top)
        _codes(book.add_worksheet("kode"), bold, wrap)
    finally:
        book.close()
    log.info("report written: %s (%d issues)", path, len(result.issues))
    return path


def _text(value: object) -> str:
    return neutralise("" if value is None else str(value)) or ""


def _summary(sheet, result: ImportResult, bold, title) -> None:  # type: ignore[no-untyped-def]
    sheet.set_column(0, 0, 34)
    sheet.set_column(1, 1, 60)
    sheet.write_string(0, 0, f"Laporan impor: {KIND_LABELS.get(result.kind, result.kind)}", title)
    lines: list[tuple[str, object]] = [
        ("File", result.path.name),
        ("Sheet", ", ".join(result.sheets) or "(CSV)"),
        ("Dijalankan oleh", result.actor),
        ("Tanggal impor", result.today.isoformat()),
        ("Baris data dibaca", result.rows_read),
        ("Baris diterima (disimpan)", result.rows_accepted),
        ("  di antaranya dengan peringatan", result.rows_with_warnings),
        ("Baris ditolak (tidak disimpan)", result.rows_rejected),
        ("Data baru", result.inserted),
        ("Data diperbarui", result.updated),
        ("Data tidak berubah", result.unchanged),
        ("Penugasan dibuka", result.assignments_opened),
        ("Penugasan ditutup", result.assignments_closed),
        ("Tersimpan tetapi tidak ada di file ini", result.missing_from_list),
        ("Kolom diabaikan", ", ".join(result.ignored_columns) or "tidak ada"),
    ]
    row = 2
    for label, value in lines:
        sheet.write_string(row, 0, label, bold)
        if isinstance(value, int):
            sheet.write_number(row, 1, value)
        else:
            sheet.write_string(row, 1, _text(value))
        row += 1
    row += 1
    sheet.write_string(row, 0, "Kode", bold)
    sheet.write_string(row, 1, "Jumlah masalah — arti", bold)
    for code, count in result.counts_by_code().items():
        row += 1
        sheet.write_string(row, 0, code)
        sheet.write_string(row, 1, f"{count} — {CODES[code].judul}")
    row += 2
    sheet.write_string(
        row, 0, "Rincian setiap baris ada di sheet 'masalah'; arti setiap kode di sheet 'kode'."
    )


def _issues(sheet, result: ImportResult, bold, wrap, red, amber, top) -> None:  # type: ignore[no-untyped-def]
    for col, width in enumerate(ISSUE_WIDTHS):
        sheet.set_column(col, col, width)
    sheet.freeze_panes(1, 0)
    for col, name in enumerate(ISSUE_HEADER):
        sheet.write_string(0, col, name, bold)
    for i, issue in enumerate(result.issues, start=1):
        level = (
            red
            if issue.severity is Severity.DITOLAK
            else amber
            if issue.severity is Severity.PERINGATAN
            else top
        )
        sheet.write_string(i, 0, _text(issue.sheet), top)
        if issue.row is None:
            sheet.write_blank(i, 1, None, top)
        else:
            sheet.write_number(i, 1, issue.row, top)
        sheet.write_string(i, 2, _text(issue.key), top)
        sheet.write_string(i, 3, _text(issue.column), top)
        sheet.write_string(i, 4, _text(issue.value), top)
        sheet.write_string(i, 5, issue.severity.value, level)
        sheet.write_string(i, 6, issue.code, top)
        sheet.write_string(i, 7, _text(issue.message), wrap)
        sheet.write_string(i, 8, _text(issue.fix), wrap)
    if result.issues:
        sheet.autofilter(0, 0, len(result.issues), len(ISSUE_HEADER) - 1)


def _codes(sheet, bold, wrap) -> None:  # type: ignore[no-untyped-def]
    sheet.set_column(0, 0, 28)
    sheet.set_column(1, 2, 70)
    for col, name in enumerate(("Kode", "Arti", "Cara memperbaiki")):
        sheet.write_string(0, col, name, bold)
    for i, (code, info) in enumerate(sorted(CODES.items()), start=1):
        sheet.write_string(i, 0, code)
        sheet.write_string(i, 1, info.judul, wrap)
        sheet.write_string(i, 2, info.perbaikan, wrap)
