"""The region table (wilayah) filled from the form choice lists of forms/choices (Kemendagri codes), and the check
of a kabupaten/kota code that staff type against it."""

from __future__ import annotations

import csv
from pathlib import Path

from sqlalchemy import Connection, Engine, delete, select

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


class UnknownRegion(ValueError):
    """A kabupaten/kota code that is not in the region table; the message says what to use."""


def check_kabupaten(conn: Connection, code: str) -> None:
    """Refuse a code that is not a kabupaten/kota of the region table, naming a few that are."""
    w = Wilayah.__table__
    found = conn.execute(select(w.c.tingkat).where(w.c.kode == code)).scalar_one_or_none()
    if found == "kabupaten":
        return
    known = list(
        conn.execute(select(w.c.kode).where(w.c.tingkat == "kabupaten").order_by(w.c.kode).limit(8)).scalars()
    )
    what = f"is a {found} code, not a kabupaten/kota" if found else "is not in the region table"
    hint = f"use one of {', '.join(known)}" if known else "load the regions first (graduasi db upgrade)"
    raise UnknownRegion(f"kabupaten {code!r} {what}: {hint}")
