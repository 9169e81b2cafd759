"""Banten's kabupaten/kota, kecamatan and desa, read from the form choice lists (forms/choices/*.csv)."""

from __future__ import annotations

import csv
import functools
import logging
from dataclasses import dataclass, field
from pathlib import Path

from forms.catalog import CHOICES_DIR

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Desa:
    """A desa (rural, code ``xxxxxx2xxx``) or kelurahan (urban, ``xxxxxx1xxx``)."""

    code: str
    name: str
    kecamatan: str

    @property
    def is_kelurahan(self) -> bool:
        """True for an urban kelurahan (first digit of the last four is 1), False for a rural desa."""
        return self.code[6] == "1"


@dataclass(frozen=True, slots=True)
class Kecamatan:
    code: str
    name: str
    kabupaten: str
    desa: tuple[Desa, ...] = field(default=())


@dataclass(frozen=True, slots=True)
class Kabupaten:
    code: str
    name: str
    kecamatan: tuple[Kecamatan, ...] = field(default=())

    @property
    def is_kota(self) -> bool:
        """Kota codes are 3671-3674 (Kemendagri numbers cities from 71)."""
        return self.code[2] == "7"


def choices_dir() -> Path:
    """Folder of the region choice CSVs (``forms.catalog.CHOICES_DIR``)."""
    return Path(CHOICES_DIR)


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@functools.cache
def load_regions(folder: Path | None = None) -> tuple[Kabupaten, ...]:
    """All kabupaten/kota of Banten with their kecamatan and desa, ordered by code.

    :param folder: folder holding ``kabupaten.csv``, ``kecamatan.csv`` and ``desa.csv``; default
        :func:`choices_dir`.
    """
    folder = folder or choices_dir()
    desa_by_kec: dict[str, list[Desa]] = {}
    for row in _read(folder / "desa.csv"):
        desa_by_kec.setdefault(row["kecamatan"], []).append(Desa(row["name"], row["label"], row["kecamatan"]))
    kec_by_kab: dict[str, list[Kecamatan]] = {}
    for row in _read(folder / "kecamatan.csv"):
        desa = tuple(sorted(desa_by_kec.get(row["name"], []), key=lambda d: d.code))
        if not desa:
            raise ValueError(f"{folder / 'desa.csv'}: kecamatan {row['name']} ({row['label']}) has no desa")
        kec_by_kab.setdefault(row["kabupaten"], []).append(
            Kecamatan(row["name"], row["label"], row["kabupaten"], desa)
        )
    kabupaten = []
    for row in _read(folder / "kabupaten.csv"):
        kecamatan = tuple(sorted(kec_by_kab.get(row["name"], []), key=lambda k: k.code))
        kabupaten.append(Kabupaten(row["name"], row["label"], kecamatan))
    kabupaten.sort(key=lambda k: k.code)
    log.debug("loaded %d kabupaten/kota from %s", len(kabupaten), folder)
    return tuple(kabupaten)
