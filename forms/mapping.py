"""The field mapping (``forms/mapping.csv``): which form field feeds which warehouse attribute.

Columns ``form_id,field,target,type,note``; ``target`` is ``<table>.<attribute>`` (kpm.*, anggota.*,
kunjungan.*, pantau_anak.*, pantau_balita.*, penyaluran.*); ``type`` is the type the warehouse expects
(see :data:`MAPPING_TYPES`). ``forms check`` verifies every row against the forms.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from forms.catalog import MAPPING_PATH

COLUMNS = ("form_id", "field", "target", "type", "note")
#: Mapping type -> the field types (Central names, or ``select_one``/``select_multiple``) that satisfy it.
MAPPING_TYPES: dict[str, frozenset[str]] = {
    "string": frozenset({"string", "select_one", "select_multiple", "int", "decimal", "date"}),
    "select_one": frozenset({"select_one"}),
    "select_multiple": frozenset({"select_multiple"}),
    "int": frozenset({"int"}),
    "decimal": frozenset({"int", "decimal"}),
    "date": frozenset({"date"}),
    "datetime": frozenset({"dateTime"}),
    "geopoint": frozenset({"geopoint"}),
    "binary": frozenset({"binary"}),
}


@dataclass(frozen=True, slots=True)
class MappingRow:
    """One line of ``mapping.csv`` and its row number (header = row 1)."""

    form_id: str
    field: str
    target: str
    type: str
    note: str
    row: int

    @property
    def table(self) -> str:
        """The warehouse table of the target (``kpm`` of ``kpm.id_kpm``)."""
        return self.target.partition(".")[0]

    @property
    def attribute(self) -> str:
        """The warehouse attribute of the target (``id_kpm`` of ``kpm.id_kpm``)."""
        return self.target.partition(".")[2]


class MappingError(ValueError):
    """``mapping.csv`` is malformed; the message names the row and the fix."""


def load_mapping(path: Path | None = None) -> list[MappingRow]:
    """Read the field mapping.

    :raises MappingError: missing columns, an unknown type or a target without ``table.attribute``.
    """
    path = path or MAPPING_PATH
    rows: list[MappingRow] = []
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        missing = set(COLUMNS[:4]) - set(reader.fieldnames or ())
        if missing:
            raise MappingError(
                f"{path}: missing column(s) {', '.join(sorted(missing))}; expected {','.join(COLUMNS)}"
            )
        for number, rec in enumerate(reader, start=2):
            values = {k: (rec.get(k) or "").strip() for k in COLUMNS}
            if not any(values.values()) or values["form_id"].startswith("#"):
                continue
            if values["type"] not in MAPPING_TYPES:
                raise MappingError(
                    f"{path}: row {number}: type {values['type']!r} is unknown; use one of {', '.join(MAPPING_TYPES)}"
                )
            if "." not in values["target"]:
                raise MappingError(
                    f"{path}: row {number}: target {values['target']!r} must be <table>.<attribute>"
                )
            rows.append(MappingRow(**values, row=number))
    return rows
