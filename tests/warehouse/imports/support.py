"""Helpers of the import tests: writing XLSX/CSV files cell by cell, reading reports back, and database dumps."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import openpyxl
import xlsxwriter
from sqlalchemy import Engine, select

from warehouse.models import Kpm, Pendamping, Penugasan, TargetPendamping

#: A sheet: its header and its rows; a row is a dict by header (missing = empty cell) or None (a blank row).
Rows = Sequence[dict[str, Any] | None]


def write_xlsx(path: Path, sheets: dict[str, tuple[list[str], Rows]]) -> Path:
    """A workbook where ``str`` values are text cells and ``int``/``float`` values are number cells."""
    book = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False, "strings_to_formulas": False})
    for name, (header, rows) in sheets.items():
        sheet = book.add_worksheet(name)
        for j, title in enumerate(header):
            sheet.write_string(0, j, title)
        for i, row in enumerate(rows, start=1):
            for j, title in enumerate(header):
                value = (row or {}).get(title)
                if isinstance(value, str):
                    sheet.write_string(i, j, value)
                elif isinstance(value, int | float):
                    sheet.write_number(i, j, value)
    book.close()
    return path


def write_grid(path: Path, sheet: str, grid: list[list[Any]]) -> Path:
    """A one-sheet workbook written cell by cell from row 1 (``str`` = text, number = number, None = empty)."""
    book = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False, "strings_to_formulas": False})
    ws = book.add_worksheet(sheet)
    for i, row in enumerate(grid):
        for j, value in enumerate(row):
            if isinstance(value, str):
                ws.write_string(i, j, value)
            elif isinstance(value, int | float):
                ws.write_number(i, j, value)
    book.close()
    return path


def write_csv(
    path: Path, header: list[str], rows: Rows, *, delimiter: str = ",", encoding: str = "utf-8"
) -> Path:
    """A CSV file; every value written as text (a blank row is a line of empty fields)."""
    with path.open("w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle, delimiter=delimiter)
        writer.writerow(header)
        for row in rows:
            writer.writerow(["" if (row or {}).get(h) is None else str((row or {})[h]) for h in header])
    return path


def report_rows(path: Path) -> list[dict[str, Any]]:
    """The 'masalah' sheet of a report as dicts by header."""
    book = openpyxl.load_workbook(path, read_only=True)
    try:
        rows = list(book["masalah"].iter_rows(values_only=True))
    finally:
        book.close()
    header = rows[0]
    return [dict(zip(header, r, strict=True)) for r in rows[1:]]


def report_cells(path: Path) -> list[Any]:
    """Every cell value of every sheet of a workbook."""
    book = openpyxl.load_workbook(path, read_only=True)
    try:
        return [v for sheet in book for row in sheet.iter_rows(values_only=True) for v in row]
    finally:
        book.close()


def dump(engine: Engine) -> dict[str, list[tuple]]:
    """The tables the imports write, as sorted tuples (to compare before and after a re-import)."""
    out: dict[str, list[tuple]] = {}
    with engine.connect() as conn:
        for model in (Kpm, Pendamping, Penugasan, TargetPendamping):
            table = model.__table__
            out[table.name] = sorted((tuple(r) for r in conn.execute(select(table))), key=repr)
    return out


def kpm_row(engine: Engine, id_kpm: str) -> Any:
    with engine.connect() as conn:
        return conn.execute(select(Kpm.__table__).where(Kpm.id_kpm == id_kpm)).one_or_none()


def assignments(engine: Engine, id_kpm: str) -> list[tuple]:
    """(pendamping_id, mulai, selesai) of a KPM, oldest first."""
    t = Penugasan.__table__
    with engine.connect() as conn:
        return [
            tuple(r)
            for r in conn.execute(
                select(t.c.pendamping_id, t.c.mulai, t.c.selesai)
                .where(t.c.id_kpm == id_kpm)
                .order_by(t.c.mulai)
            )
        ]
