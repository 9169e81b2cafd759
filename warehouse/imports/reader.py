"""Read an import file (XLSX or CSV) into rows of stripped text keyed by the documented column names.

Every cell comes back as text exactly as written (leading zeros kept), with surrounding whitespace removed and
empty cells as None. Workbook cells that Excel stored as numbers are remembered, because a 16-digit NIK typed
as a number has already lost its last digit inside Excel and a phone number has lost its leading zero. Row
numbers are the ones Excel shows (the header is row 1 unless title rows sit above it).
"""

from __future__ import annotations

import csv
import io
import logging
import math
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from openpyxl.utils import get_column_letter

from warehouse.imports.columns import ColumnSpec, header_key
from warehouse.imports.issues import EmptySheetError, ImportFileError

log = logging.getLogger(__name__)

XLSX_SUFFIXES = {".xlsx", ".xlsm"}
CSV_SUFFIXES = {".csv", ".txt"}
#: How far down a sheet the header row may sit (title rows above it are skipped).
HEADER_SEARCH_ROWS = 20


@dataclass(slots=True)
class SourceRow:
    """One data row: its Excel row number, its cells by column name, and which cells were numbers."""

    number: int
    values: dict[str, str | None]
    numeric: frozenset[str] = frozenset()

    def get(self, column: str) -> str | None:
        return self.values.get(column)


@dataclass(slots=True)
class Table:
    """The rows of one sheet (or CSV file) and what the header said."""

    path: Path
    sheet: str | None
    header_row: int
    labels: dict[str, str]  # column name -> where it is, e.g. "C (NIK)"
    rows: list[SourceRow] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)  # labels of columns that match nothing
    missing: list[str] = field(default_factory=list)  # documented columns the file lacks
    notes: list[str] = field(default_factory=list)  # other file-level remarks (encoding)

    @property
    def columns(self) -> set[str]:
        return set(self.labels)

    def where(self, row: int | None = None, column: str | None = None) -> str:
        """A location as the user finds it: file, sheet, row, column."""
        parts = [self.path.name]
        if self.sheet:
            parts.append(f"sheet {self.sheet!r}")
        if row is not None:
            parts.append(f"baris {row}")
        if column is not None:
            parts.append(f"kolom {self.labels.get(column, column)}")
        return ", ".join(parts)


def is_workbook(path: Path) -> bool:
    """True for an Excel workbook, False for CSV; anything else raises :class:`ImportFileError`."""
    suffix = path.suffix.lower()
    if suffix in XLSX_SUFFIXES:
        return True
    if suffix in CSV_SUFFIXES:
        return False
    if suffix == ".xls":
        raise ImportFileError(
            f"{path.name}: format .xls lama tidak didukung; simpan ulang sebagai .xlsx di Excel"
        )
    raise ImportFileError(f"{path.name}: jenis file tidak dikenal; pakai .xlsx atau .csv")


def sheet_names(path: Path) -> list[str]:
    """The sheets of a workbook, in order (``[]`` for a CSV file)."""
    _check_exists(path)
    if not is_workbook(path):
        return []
    import pandas as pd  # imported when a file is read (0.4 s), not when the command line starts

    try:
        with pd.ExcelFile(path, engine="openpyxl") as book:
            return [str(name) for name in book.sheet_names]
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise ImportFileError(f"{path.name}: bukan file Excel .xlsx yang bisa dibaca ({exc})") from exc


def find_sheet(names: list[str], wanted: str) -> str | None:
    """The sheet whose name matches ``wanted`` ignoring case and spaces, or None."""
    for name in names:
        if header_key(name) == header_key(wanted):
            return name
    return None


def read_table(path: Path, columns: tuple[ColumnSpec, ...], *, sheet: str | None = None) -> Table:
    """Read one sheet (``sheet``, default the first) of a workbook, or a CSV file.

    :raises ImportFileError: the file cannot be read, the sheet does not exist, the header lacks a key column,
        two headers name the same column, or there is no data row.
    """
    _check_exists(path)
    if is_workbook(path):
        names = sheet_names(path)
        if not names:
            raise ImportFileError(f"{path.name}: workbook tanpa sheet")
        if sheet is None:
            chosen = names[0]
        else:
            found = find_sheet(names, sheet)
            if found is None:
                raise ImportFileError(
                    f"{path.name}: sheet {sheet!r} tidak ada; sheet yang ada: {', '.join(map(repr, names))}"
                )
            chosen = found
        grid, notes = _read_xlsx(path, chosen), []
    else:
        chosen = None
        grid, notes = _read_csv(path)
    table = _to_table(path, chosen, grid, columns)
    table.notes.extend(notes)
    log.info("%s: %d data rows", table.where(), len(table.rows))
    return table


def _check_exists(path: Path) -> None:
    if not path.is_file():
        raise ImportFileError(f"{path}: file tidak ditemukan")


# --- raw grids --------------------------------------------------------------------------------------------


#: A sheet as read: per row, its cell texts and the positions of cells that were numbers.
_Grid = list[tuple[list[str | None], frozenset[int]]]
_NO_NUMBERS: frozenset[int] = frozenset()


def _read_xlsx(path: Path, sheet: str) -> _Grid:
    import pandas as pd

    try:
        # object dtype keeps each cell's own type: text stays text (leading zeros), numbers show up as numbers
        frame = pd.read_excel(path, sheet_name=sheet, header=None, dtype=object, engine="openpyxl")
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise ImportFileError(f"{path.name}, sheet {sheet!r}: tidak bisa dibaca ({exc})") from exc
    grid: _Grid = []
    for row in frame.itertuples(index=False, name=None):
        cells = [_cell(v) for v in row]
        numbers = frozenset(j for j, (_, numeric) in enumerate(cells) if numeric) or _NO_NUMBERS
        grid.append(([text for text, _ in cells], numbers))
    return grid


def _cell(value: Any) -> tuple[str | None, bool]:
    """A workbook cell as (text, was it a number)."""
    if isinstance(value, str):
        return value.strip() or None, False
    if value is None or type(value).__name__ == "NaTType":
        return None, False
    if isinstance(value, bool):
        return ("TRUE" if value else "FALSE"), False
    if isinstance(value, int):
        return str(value), True
    if isinstance(value, float):
        if math.isnan(value):
            return None, False
        return (str(int(value)) if value.is_integer() and abs(value) < 1e18 else repr(value)), True
    if isinstance(value, datetime):
        if value.time() == time(0, 0):
            return value.date().isoformat(), False
        return value.isoformat(sep=" "), False
    if isinstance(value, date):
        return value.isoformat(), False
    return str(value).strip() or None, False


def _read_csv(path: Path) -> tuple[_Grid, list[str]]:
    import pandas as pd

    data = path.read_bytes()
    notes: list[str] = []
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Excel's "CSV (Comma delimited)" on Windows writes the ANSI code page, not UTF-8
        text = data.decode("cp1252", errors="replace")
        notes.append(
            "file CSV bukan UTF-8; dibaca sebagai Windows-1252 (simpan sebagai 'CSV UTF-8' bila bisa)"
        )
    first_line = text.split("\n", 1)[0]
    # Excel in an Indonesian locale writes ';' because ',' is the decimal separator there
    delimiter = max((",", ";", "\t"), key=first_line.count)
    try:
        frame = pd.read_csv(
            io.StringIO(text),
            sep=delimiter,
            header=None,
            dtype=str,
            keep_default_na=False,
            skip_blank_lines=False,
            quoting=csv.QUOTE_MINIMAL,
        )
    except pd.errors.EmptyDataError as exc:
        raise EmptySheetError(f"{path.name}: file kosong") from exc
    except (pd.errors.ParserError, ValueError) as exc:
        raise ImportFileError(f"{path.name}: CSV tidak bisa dibaca ({exc})") from exc
    grid: _Grid = [
        ([(v.strip() or None) if isinstance(v, str) else None for v in row], _NO_NUMBERS)
        for row in frame.itertuples(index=False, name=None)
    ]
    return grid, notes


# --- header and rows --------------------------------------------------------------------------------------


def _to_table(path: Path, sheet: str | None, grid: _Grid, columns: tuple[ColumnSpec, ...]) -> Table:
    where = path.name + (f", sheet {sheet!r}" if sheet else "")
    keys = [c for c in columns if c.key]
    if not any(any(texts) for texts, _ in grid):
        raise EmptySheetError(f"{where}: kosong, tidak ada judul kolom maupun data")
    header_index = _find_header(grid, keys)
    if header_index is None:
        wanted = ", ".join(c.name for c in keys)
        raise ImportFileError(
            f"{where}: baris judul kolom tidak ditemukan (dicari kolom {wanted} di {HEADER_SEARCH_ROWS} baris "
            "pertama); baris 1 harus berisi judul kolom seperti di templat"
        )
    header = grid[header_index][0]
    position: dict[str, int] = {}
    labels: dict[str, str] = {}
    ignored: list[str] = []
    for j, title in enumerate(header):
        letter = get_column_letter(j + 1) if sheet is not None else str(j + 1)
        if title is None:
            if any(j < len(texts) and texts[j] for texts, _ in grid[header_index + 1 :]):
                ignored.append(f"{letter} (tanpa judul)")
            continue
        spec = next((c for c in columns if c.matches(title)), None)
        label = f"{letter} ({title})"
        if spec is None:
            ignored.append(label)
            continue
        if spec.name in position:
            raise ImportFileError(
                f"{where}: kolom {labels[spec.name]} dan {label} sama-sama berarti {spec.name}; hapus salah satu"
            )
        position[spec.name] = j
        labels[spec.name] = label
    table = Table(path, sheet, header_index + 1, labels, ignored=ignored)
    table.missing = [c.name for c in columns if c.name not in position and not c.key]
    width = max(position.values(), default=-1) + 1
    for i in range(header_index + 1, len(grid)):
        texts, numbers = grid[i]
        if not any(texts):
            continue
        if len(texts) < width:
            texts = texts + [None] * (width - len(texts))
        values = {name: texts[j] for name, j in position.items()}
        numeric = frozenset(name for name, j in position.items() if j in numbers) if numbers else frozenset()
        table.rows.append(SourceRow(i + 1, values, numeric))
    if not table.rows:
        raise EmptySheetError(
            f"{where}: tidak ada baris data di bawah judul kolom (baris {header_index + 1})"
        )
    return table


def _find_header(grid: _Grid, keys: list[ColumnSpec]) -> int | None:
    for i, (row, _) in enumerate(grid[:HEADER_SEARCH_ROWS]):
        texts = [t for t in row if t]
        if all(any(k.matches(t) for t in texts) for k in keys):
            return i
    return None
