"""A planted KPM list: good rows with every kind of bad row mixed in, and what the import must say about each.

``ROWS`` holds (row, expected issues) in file order; a row is a dict by column (None = a blank line). The
expected issues are (code, severity) pairs; a row with none must come through silently. ``XLSX_ONLY`` rows
follow at the end of the workbook version (number cells exist only in a workbook).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from tests.warehouse.imports.support import write_csv, write_xlsx

TODAY = date(2020, 3, 2)
HEADER = [
    "ID KPM",  # alias spelling: case and spaces do not matter
    "no_kk",
    "NIK",  # alias of nik_pengurus
    "nama_pengurus",
    "kode_kabkota",  # alias of kode_kabupaten (the synthetic generator's spelling)
    "kode_kecamatan",
    "kode_desa",
    "alamat",
    "pendamping_id",
    "kategori_awal",
    "tahun_masuk",
    "id_dtks",
    "catatan",  # not a documented column: ignored, reported once
]
R, W = "ditolak", "peringatan"

#: The roster the planted list refers to (PD-3601-009 is inactive).
PENDAMPING_HEADER = ["id", "nama", "kode_kabupaten", "kode_kecamatan", "telepon", "aktif"]
PENDAMPING = [
    {
        "id": "PD-3601-001",
        "nama": "Ahmad",
        "kode_kabupaten": "3601",
        "kode_kecamatan": "360101",
        "aktif": "ya",
    },
    {
        "id": "PD-3601-002",
        "nama": "Budi",
        "kode_kabupaten": "3601",
        "kode_kecamatan": "360102",
        "aktif": "ya",
    },
    {
        "id": "PD-3602-001",
        "nama": "Cici",
        "kode_kabupaten": "3602",
        "kode_kecamatan": "360201",
        "aktif": "ya",
    },
    {
        "id": "PD-3601-009",
        "nama": "Dodi",
        "kode_kabupaten": "3601",
        "kode_kecamatan": "360101",
        "aktif": "tidak",
    },
]

#: KPM stored before the planted list: 3601-000900 shares a NIK with a planted row and is missing from the
#: list (same kabupaten: reported); 3603-000901 is missing too but from a kabupaten the list does not cover.
EARLIER_NIK = "3601014503850900"
EARLIER = [
    {"ID KPM": "3601-000900", "NIK": EARLIER_NIK, "nama_pengurus": "Lama", "kode_kabkota": "3601",
     "kode_kecamatan": "360101", "kode_desa": "3601012001", "pendamping_id": "PD-3601-001"},
    {"ID KPM": "3603-000901", "NIK": "3603014503850901", "nama_pengurus": "Lain", "kode_kabkota": "3603",
     "pendamping_id": "PD-3601-001"},
]  # fmt: skip


def good(n: int, **changes: Any) -> dict[str, Any]:
    """A clean row of Pandeglang (kecamatan Sumur); NIK and KK unique and plausible for ``n``."""
    row = {
        "ID KPM": f"3601-{n:06d}",
        "no_kk": f"36010112031{n:05d}",
        "NIK": f"360101450385{n:04d}",
        "nama_pengurus": f"Ibu {n}",
        "kode_kabkota": "3601",
        "kode_kecamatan": "360101",
        "kode_desa": "3601012001",
        "alamat": f"Kp. Sumberjaya {n}",
        "pendamping_id": "PD-3601-001",
        "kategori_awal": "miskin",
        "tahun_masuk": "2019",
    }
    row.update(changes)
    return row


ROWS: list[tuple[dict[str, Any] | None, set[tuple[str, str]]]] = [
    (good(1), set()),
    (good(2, id_dtks="000123", alamat="  Kp. Nol RT 001/002  "), set()),  # leading zeros and padding
    (good(3, **{"ID KPM": None}), {("KOLOM_WAJIB_KOSONG", R)}),
    (good(4, **{"ID KPM": "3601-12345"}), {("ID_KPM_FORMAT", R)}),
    (good(5), set()),
    (good(6, **{"ID KPM": "3601-000066", "nama_pengurus": "Ani"}), {("ID_KPM_DUPLIKAT", R)}),
    (good(7, **{"ID KPM": "3601-000066", "nama_pengurus": "Ana"}), {("ID_KPM_DUPLIKAT", R)}),
    (good(1), {("ID_KPM_DUPLIKAT", R)}),  # the same as the first row: the first is kept
    (good(9, NIK="360101450385009"), {("NIK_FORMAT", W)}),  # 15 digits
    (good(10, NIK="٣٦٠١٠١٤٥٠٣٨٥٠٠١٠"), {("NIK_FORMAT", W)}),  # Arabic-Indic digits: never converted
    (good(11, NIK=" 3601.0145 0385.0011 "), set()),  # spaces and dots are stripped
    (good(12, NIK="0000000000000000"), {("NIK_PLACEHOLDER", W)}),
    (good(13, NIK="1234567890123456"), {("NIK_PLACEHOLDER", W)}),
    (good(14, NIK="3201014503850014"), {("NIK_WILAYAH_BEDA", W)}),  # Jawa Barat
    (good(15, NIK="3601013503850015"), {("NIK_TANGGAL_LAHIR", W)}),  # day 35
    (good(16, NIK="3601014503850016"), {("NIK_DUPLIKAT", W)}),
    (good(17, NIK="3601014503850016"), {("NIK_DUPLIKAT", W)}),
    (good(18, no_kk="36010112031500"), {("KK_FORMAT", W)}),
    (good(19, kode_desa="3601019999"), {("KODE_WILAYAH_TIDAK_DIKENAL", W)}),
    (good(20, kode_desa="3601022001"), {("WILAYAH_TIDAK_KONSISTEN", W)}),  # a desa of kecamatan 360102
    (good(21, pendamping_id="PD-9999-999"), {("PENDAMPING_TIDAK_DIKENAL", W)}),
    (good(22, pendamping_id="PD-3601-009"), {("PENDAMPING_TIDAK_AKTIF", W)}),
    (good(23, kategori_awal="=1+2"), {("KATEGORI_TIDAK_DIKENAL", W)}),  # formula-like text
    (good(24, tahun_masuk="20x9"), {("TANGGAL_TIDAK_VALID", W)}),
    (good(25, nama_pengurus=None), {("KOLOM_WAJIB_KOSONG", W)}),
    (good(26, **{"ID KPM": "3602-000026"}), {("ID_KPM_WILAYAH_BEDA", W)}),
    (good(27, kode_kabkota=None), {("WILAYAH_DILENGKAPI", W)}),
    (good(28, NIK=EARLIER_NIK), {("NIK_DUPLIKAT", W)}),  # against the warehouse
    (good(29, nama_pengurus="@SUM(1+1)", alamat='=HYPERLINK("http://x","klik")'), set()),
    (None, set()),  # a blank line: skipped, not a row
    (
        good(
            31,
            **{"ID KPM": "3602-000031", "kode_kabkota": "36.02", "kode_kecamatan": "360201"},
            kode_desa="3602012002",
            pendamping_id="PD-3602-001",
            kategori_awal="Sangat Miskin",
        ),
        set(),
    ),
]
#: Rows only a workbook can hold: a NIK typed as a number (Excel keeps 15 significant digits).
XLSX_ONLY: list[tuple[dict[str, Any] | None, set[tuple[str, str]]]] = [
    (good(32, NIK=3601014503850032), {("SEL_ANGKA", W)}),
]


def rows_for(fmt: str) -> list[tuple[dict[str, Any] | None, set[tuple[str, str]]]]:
    return ROWS + (XLSX_ONLY if fmt == "xlsx" else [])


def expected_issues(fmt: str) -> set[tuple[int, str, str]]:
    """(Excel row, code, severity) of every planted problem (header = row 1)."""
    return {(i, code, sev) for i, (_, issues) in enumerate(rows_for(fmt), start=2) for code, sev in issues}


def rejected_rows(fmt: str) -> set[int]:
    return {r for r, _, sev in expected_issues(fmt) if sev == R}


def stored_ids(fmt: str) -> set[str]:
    """Every id_kpm the warehouse must hold after the import (good and suspicious rows)."""
    rejected = rejected_rows(fmt)
    return {
        row["ID KPM"]
        for i, (row, _) in enumerate(rows_for(fmt), start=2)
        if row is not None and i not in rejected
    } | {"3601-000001"}


def write_planted(folder: Path, fmt: str) -> Path:
    """The planted list as ``kpm.xlsx`` (sheet 'kpm') or ``kpm.csv``."""
    rows = [row for row, _ in rows_for(fmt)]
    if fmt == "xlsx":
        return write_xlsx(folder / "kpm.xlsx", {"kpm": (HEADER, rows)})
    return write_csv(folder / "kpm.csv", HEADER, rows)
