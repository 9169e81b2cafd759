"""Spreadsheets graduasi writes for staff (XLSX through xlsxwriter): data never becomes a formula or a link.

Strings stay text (no conversion to formulas, links or numbers: a NIK keeps its digits), and the rows stream to
disk as they are written, so memory does not grow with the rows. Text cells a spreadsheet would still run as a
formula when typed in are prefixed with ``'`` (:func:`write_text`, reliability.md §4 B16).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import xlsxwriter

#: First characters of a text that a spreadsheet would run as a formula (reliability.md §4 B16).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "\0")
#: The columns that name a KPM and where it is, first in every staff list of KPM (:func:`write_texts` fills them).
KPM_COLUMNS = (
    ("ID KPM", 16),
    ("Nama pengurus", 26),
    ("Kabupaten/kota", 14),
    ("Kecamatan", 12),
    ("Desa/kelurahan", 14),
    ("Pendamping", 14),
)
WORKBOOK_OPTIONS = {
    "strings_to_formulas": False,
    "strings_to_urls": False,
    "strings_to_numbers": False,
    "constant_memory": True,
}


def neutralise(value: str | None) -> str | None:
    """Prefix a value that a spreadsheet would run as a formula with ``'`` (reliability.md §4 B16)."""
    if value and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def new_workbook(path: Path) -> xlsxwriter.Workbook:
    """A workbook to be written at ``path`` (its folder created if missing); close it to write the file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    return xlsxwriter.Workbook(str(path), WORKBOOK_OPTIONS)


@dataclass(frozen=True, slots=True)
class Formats:
    """The cell formats staff spreadsheets share."""

    bold: Any
    title: Any
    money: Any  # whole rupiah with thousands separators
    day: Any  # a date as YYYY-MM-DD


def formats(book: xlsxwriter.Workbook) -> Formats:
    """Add the shared formats to ``book``."""
    return Formats(
        bold=book.add_format({"bold": True}),
        title=book.add_format({"bold": True, "font_size": 14}),
        money=book.add_format({"num_format": "#,##0"}),
        day=book.add_format({"num_format": "yyyy-mm-dd"}),
    )


def write_header(sheet: Any, row: int, columns: Sequence[tuple[str, int]], bold: Any) -> None:
    """Column titles in ``row``, each column set to its width (characters)."""
    for col, (name, width) in enumerate(columns):
        sheet.set_column(col, col, width)
        sheet.write_string(row, col, name, bold)


def write_text(sheet: Any, row: int, col: int, value: str | None) -> None:
    """A text cell from data: left empty when there is none, prefixed with ``'`` where a spreadsheet would run
    it as a formula."""
    if value:
        sheet.write_string(row, col, neutralise(str(value)))


def write_day(sheet: Any, row: int, col: int, value: date | None, fmt: Any) -> None:
    """A date cell (a real date, so it sorts and filters as one); left empty when unknown."""
    if value is not None:
        sheet.write_datetime(row, col, datetime(value.year, value.month, value.day), fmt)


def write_texts(sheet: Any, row: int, first_col: int, values: Sequence[str | None]) -> None:
    """Text cells from data side by side, from ``first_col`` on (see :func:`write_text`)."""
    for col, value in enumerate(values, start=first_col):
        write_text(sheet, row, col, value)


def write_title(
    sheet: Any, title: str, lines: Sequence[str], fmt: Formats, *, now: datetime | None = None
) -> int:
    """A sheet's title, its lines (what was asked) and when it was made; returns the first free row after a
    blank one."""
    sheet.write_string(0, 0, title, fmt.title)
    for i, line in enumerate(lines, start=1):
        sheet.write_string(i, 0, line)
    sheet.write_string(len(lines) + 1, 0, f"Dibuat: {(now or datetime.now()):%Y-%m-%d %H:%M}")
    return len(lines) + 3


@contextmanager
def staff_workbook(path: Path) -> Iterator[tuple[xlsxwriter.Workbook, Formats]]:
    """A workbook at ``path`` with the shared formats, written when the block ends (also after an error, so a
    half-written file is never left open)."""
    book = new_workbook(path)
    try:
        yield book, formats(book)
    finally:
        book.close()
