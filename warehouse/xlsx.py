"""Spreadsheets graduasi writes for staff (XLSX through xlsxwriter): data never becomes a formula or a link.

Strings stay text (no conversion to formulas, links or numbers: a NIK keeps its digits), and the rows stream to
disk as they are written, so memory does not grow with the rows. Text cells a spreadsheet would still run as a
formula when typed in are prefixed by the writers with ``'`` (:func:`warehouse.imports.values.neutralise`).
"""

from __future__ import annotations

from pathlib import Path

import xlsxwriter

WORKBOOK_OPTIONS = {
    "strings_to_formulas": False,
    "strings_to_urls": False,
    "strings_to_numbers": False,
    "constant_memory": True,
}


def new_workbook(path: Path) -> xlsxwriter.Workbook:
    """A workbook to be written at ``path`` (its folder created if missing); close it to write the file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    return xlsxwriter.Workbook(str(path), WORKBOOK_OPTIONS)
