"""Reading XLSForm workbooks as plain rows that keep their sheet name and row number.

pyxform turns a workbook into an XForm; our own checks need to point a form designer at a cell, so they read the
workbook here: every sheet as a header plus rows of ``{column: text}`` with the Excel row number.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
from dataclasses import dataclass, field
from pathlib import Path

from openpyxl import load_workbook

#: Sheets that XLSForm defines; others (notes for designers) are ignored like pyxform does.
XLSFORM_SHEETS = ("survey", "choices", "settings", "external_choices", "entities", "osm")


@dataclass(frozen=True, slots=True)
class Row:
    """One non-empty row: its Excel row number and its cells by column header (stripped text)."""

    number: int
    cells: dict[str, str]

    def get(self, column: str, default: str = "") -> str:
        """The text in ``column`` or ``default`` when the cell is empty."""
        return self.cells.get(column, default)


@dataclass(frozen=True, slots=True)
class Sheet:
    """A sheet's name as written, its column headers and its non-empty rows."""

    name: str
    headers: tuple[str, ...]
    rows: tuple[Row, ...]

    def column_number(self, header: str) -> int | None:
        """1-based column index of ``header`` (None when absent)."""
        try:
            return self.headers.index(header) + 1
        except ValueError:
            return None


@dataclass(frozen=True, slots=True)
class Workbook:
    """An XLSForm workbook read for checking: sheets by lower-case name."""

    path: Path
    sheets: dict[str, Sheet] = field(default_factory=dict)

    def sheet(self, name: str) -> Sheet | None:
        """The sheet called ``name`` (case-insensitive, as pyxform reads it), or None."""
        return self.sheets.get(name.lower())

    def setting(self, key: str) -> tuple[str, int | None]:
        """A value of the settings sheet and its row number (``("", None)`` when unset)."""
        sheet = self.sheet("settings")
        if sheet is None:
            return "", None
        for row in sheet.rows:
            value = row.get(key)
            if value:
                return value, row.number
        return "", (sheet.rows[0].number if sheet.rows else None)


def _text(value: object) -> str:
    """Cell value as pyxform would read it: stripped text, integers without ``.0``, dates in ISO form."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


def read_workbook(source: Path | bytes) -> Workbook:
    """Read every XLSForm sheet of an ``.xlsx`` file (path or bytes) into rows with their numbers."""
    path = source if isinstance(source, Path) else Path("<memory>")
    data = source.read_bytes() if isinstance(source, Path) else source
    wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        sheets: dict[str, Sheet] = {}
        for ws in wb.worksheets:
            key = ws.title.strip().lower()
            if key not in XLSFORM_SHEETS:
                continue
            rows_iter = ws.iter_rows(values_only=True)
            first = next(rows_iter, None) or ()
            headers = tuple(_text(v) for v in first)
            rows: list[Row] = []
            for number, values in enumerate(rows_iter, start=2):
                cells = {
                    headers[i]: text
                    for i, v in enumerate(values)
                    if i < len(headers) and headers[i] and (text := _text(v))
                }
                if cells:
                    rows.append(Row(number, cells))
            sheets[key] = Sheet(ws.title, tuple(h for h in headers), tuple(rows))
        return Workbook(path, sheets)
    finally:
        wb.close()


def workbook_digest(workbook: Workbook, ignore_settings: tuple[str, ...] = ("version",)) -> str:
    """SHA-256 of what a workbook says (cell texts by sheet, row order and column), not how Excel stored it.

    Saving a file again, widening a column or changing a colour leaves the digest unchanged; changing any text
    changes it. The settings listed in ``ignore_settings`` (the version) are left out so the digest tells
    whether the *content* changed.
    """
    canonical: dict[str, list[dict[str, str]]] = {}
    for key in sorted(workbook.sheets):
        sheet = workbook.sheets[key]
        rows = []
        for row in sheet.rows:
            cells = dict(row.cells)
            if key == "settings":
                for name in ignore_settings:
                    cells.pop(name, None)
            if cells:
                rows.append(dict(sorted(cells.items())))
        canonical[key] = rows
    blob = json.dumps(canonical, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def without_entities(data: bytes) -> bytes:
    """The same workbook without the ``entities`` sheet and the ``save_to`` column (KoboToolbox has no Entities)."""
    wb = load_workbook(io.BytesIO(data))
    for ws in list(wb.worksheets):
        if ws.title.strip().lower() == "entities":
            wb.remove(ws)
        elif ws.title.strip().lower() == "survey":
            header = [str(c.value).strip() if c.value is not None else "" for c in ws[1]]
            for index, name in enumerate(header, start=1):
                if name == "save_to":
                    for (cell,) in ws.iter_rows(min_col=index, max_col=index):
                        cell.value = None
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
