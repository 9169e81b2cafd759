"""The region table (wilayah) filled from the form choice lists of forms/choices (Kemendagri codes)."""

from __future__ import annotations

import csv
from pathlib import Path

from sqlalchemy import Engine, delete

from forms.catalog import CHOICES_DIR
from warehouse.db import write_connection
from warehouse.models import Wilayah

PROVINCE = ("36", "Banten")


def wilayah_rows(choices_dir: Path = CHOICES_DIR) -> list[dict[str, str | None]]:
    """Province, kabupaten/kota, kecamatan and desa rows from the choice CSVs."""
    rows: list[dict[str, str | None]] = [
        {"kode": PROVINCE[0], "tingkat": "provinsi", "nama": PROVINCE[1], "kode_induk": None}
    ]
    levels = (
        ("kabupaten.csv", "kabupaten", None),
        ("kecamatan.csv", "kecamatan", "kabupaten"),
        ("desa.csv", "desa", "kecamatan"),
    )
    for filename, level, parent_column in levels:
        with (choices_dir / filename).open(encoding="utf-8", newline="") as handle:
            for item in csv.DictReader(handle):
                parent = item[parent_column] if parent_column else PROVINCE[0]
                rows.append(
                    {"kode": item["name"], "tingkat": level, "nama": item["label"], "kode_induk": parent}
                )
    return rows


def load_wilayah(engine: Engine, choices_dir: Path = CHOICES_DIR) -> int:
    """Replace the region table with the choice lists; returns the number of regions."""
    rows = wilayah_rows(choices_dir)
    with write_connection(engine) as conn:
        conn.execute(delete(Wilayah.__table__))
        conn.execute(Wilayah.__table__.insert(), rows)
    return len(rows)
