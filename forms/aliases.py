"""Declared renames and removals of published fields (``forms/<form_id>.aliases.csv``).

Columns ``old_name,new_name,since_version``. A row says that from ``since_version`` on the field ``old_name``
is called ``new_name``; the warehouse keeps one column and maps the old name onto it. An empty ``new_name``
declares a deliberate removal (the column stays for older submissions).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

COLUMNS = ("old_name", "new_name", "since_version")


@dataclass(frozen=True, slots=True)
class Alias:
    """One declared rename (or removal, when ``new_name`` is empty) and its CSV row number."""

    old_name: str
    new_name: str
    since_version: str
    row: int


def aliases_path(form_path: Path) -> Path:
    """``forms/kpm_registrasi.xlsx`` -> ``forms/kpm_registrasi.aliases.csv``."""
    return form_path.with_name(f"{form_path.stem}.aliases.csv")


def load_aliases(path: Path) -> list[Alias]:
    """Read an aliases file; a missing file means no aliases.

    :raises ValueError: when a column is missing (the message names the file and the expected header).
    """
    if not path.is_file():
        return []
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        missing = set(COLUMNS) - set(reader.fieldnames or ())
        if missing:
            raise ValueError(
                f"{path}: missing column(s) {', '.join(sorted(missing))}; the header is {','.join(COLUMNS)}"
            )
        out = []
        for number, rec in enumerate(reader, start=2):
            values = [(rec.get(c) or "").strip() for c in COLUMNS]
            if any(values):
                out.append(Alias(*values, row=number))
        return out
