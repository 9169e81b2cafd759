"""Helpers for form tests: copy the forms folder and plant mistakes in a workbook cell by cell."""

from __future__ import annotations

import shutil
from pathlib import Path

from openpyxl import load_workbook

from forms.catalog import FORMS_DIR


def copy_forms(dest: Path) -> Path:
    """Copy forms/ (workbooks, choice files, mapping, entity list; no code, no manifests) to ``dest``/forms."""
    target = dest / "forms"
    shutil.copytree(
        FORMS_DIR,
        target,
        ignore=shutil.ignore_patterns("*.py", "__pycache__", "published", "*.aliases.csv"),
    )
    (target / "published").mkdir()
    return target


def form_version(path: Path) -> str:
    """The ``version`` on the settings sheet of a workbook (the shipped forms' version changes over time)."""
    wb = load_workbook(path, read_only=True)
    try:
        ws = wb["settings"]
        headers = [c.value for c in next(ws.iter_rows(max_row=1))]
        value = next(ws.iter_rows(min_row=2, max_row=2, values_only=True))[headers.index("version")]
    finally:
        wb.close()
    return str(value)


def header_index(ws, header: str) -> int:
    """1-based column of ``header`` in the first row; the column is added at the end when missing."""
    headers = [c.value for c in ws[1]]
    if header in headers:
        return headers.index(header) + 1
    ws.cell(row=1, column=len(headers) + 1, value=header)
    return len(headers) + 1


def row_of(path: Path, sheet: str, column: str, value: str) -> int:
    """Row number of the first row whose ``column`` holds ``value``."""
    wb = load_workbook(path, read_only=True)
    try:
        ws = wb[sheet]
        headers = [c.value for c in next(ws.iter_rows(max_row=1))]
        col = headers.index(column)
        for number, row in enumerate(ws.iter_rows(min_row=2, values_only=True), start=2):
            if col < len(row) and row[col] == value:
                return number
    finally:
        wb.close()
    raise KeyError(f"{value!r} not in {sheet}.{column}")


def set_cell(path: Path, sheet: str, row: int, column: str, value: object) -> None:
    """Write ``value`` into ``sheet``!``column``:``row`` (by header name) and save the workbook."""
    wb = load_workbook(path)
    ws = wb[sheet]
    ws.cell(row=row, column=header_index(ws, column)).value = value  # cell(value=None) would not clear
    wb.save(path)


def set_field(path: Path, name: str, column: str, value: object) -> int:
    """Set ``column`` of the survey row whose name is ``name``; returns that row number."""
    row = row_of(path, "survey", "name", name)
    set_cell(path, "survey", row, column, value)
    return row


def rename_header(path: Path, sheet: str, old: str, new: str) -> int:
    """Rename a column header; returns its column number."""
    wb = load_workbook(path)
    ws = wb[sheet]
    col = [c.value for c in ws[1]].index(old) + 1
    ws.cell(row=1, column=col, value=new)
    wb.save(path)
    return col
