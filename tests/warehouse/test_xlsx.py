"""Staff spreadsheets: text from data never runs as a formula; dates are dates; empty values leave empty cells."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest

from warehouse.xlsx import formats, neutralise, new_workbook, write_day, write_header, write_text


@pytest.mark.parametrize("value", ["=1+2", "+62812", "-5", "@SUM(A1)", "\tx", "\rx"])
def test_neutralise__formula_starts__prefixed(value: str) -> None:
    assert neutralise(value) == "'" + value


def test_neutralise__plain_text__unchanged() -> None:
    assert neutralise("Siti = ibu") == "Siti = ibu"
    assert neutralise(None) is None


def test_new_workbook__cells__text_stays_text_dates_are_dates(tmp_path: Path) -> None:
    """Should create the folder, keep digit strings and links as text, neutralise formulas, and write dates as
    dates, leaving a cell empty where there is no value."""
    path = tmp_path / "new" / "folder" / "book.xlsx"
    book = new_workbook(path)
    fmt = formats(book)
    sheet = book.add_worksheet("s")
    write_header(sheet, 0, (("A", 10), ("B", 12), ("C", 12), ("D", 12)), fmt.bold)
    write_text(sheet, 1, 0, "3601024703840002")
    write_text(sheet, 1, 1, '=HYPERLINK("http://x")')
    write_text(sheet, 1, 2, "http://example.test")
    write_day(sheet, 1, 3, date(2020, 2, 29), fmt.day)
    write_text(sheet, 2, 0, None)
    write_day(sheet, 2, 3, None, fmt.day)
    book.close()
    ws = openpyxl.load_workbook(path)["s"]
    assert [c.value for c in ws[1]] == ["A", "B", "C", "D"]
    assert [c.value for c in ws[2]] == [
        "3601024703840002",
        '\'=HYPERLINK("http://x")',
        "http://example.test",
        datetime(2020, 2, 29),
    ]
    assert ws["C2"].hyperlink is None and ws["B2"].data_type == "s"
    assert ws["A3"].value is None and ws["D3"].value is None
