"""Reading XLSX and CSV files: headers and aliases, leading zeros, number cells, and errors that say where."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.warehouse.imports.support import write_csv, write_grid, write_xlsx
from warehouse.imports import ImportFileError
from warehouse.imports.columns import KPM_COLUMNS
from warehouse.imports.reader import read_table


def test_read_table__xlsx_title_rows_and_aliases__rows_numbered_as_in_excel(tmp_path: Path) -> None:
    """Should find the header under title rows, match aliases, keep text as written and mark number cells."""
    grid = [
        ["DAFTAR KPM 2020"],
        [],
        ["ID KPM", "Nomor KK", "nik", "ID DTKS", "Lain"],
        ["3601-000001", "0012", 3601024703840002, " 000123 "],
        [],
        ["3601-000002"],
    ]
    path = write_grid(tmp_path / "a.xlsx", "Daftar", grid)
    table = read_table(path, KPM_COLUMNS)
    assert table.sheet == "Daftar" and table.header_row == 3
    assert [r.number for r in table.rows] == [4, 6]
    first = table.rows[0]
    assert (first.get("id_kpm"), first.get("no_kk"), first.get("nik_pengurus")) == (
        "3601-000001",
        "0012",
        "3601024703840002",
    )
    assert first.get("id_dtks") == "000123"
    assert first.numeric == frozenset({"nik_pengurus"})
    assert table.ignored == ["E (Lain)"]
    assert "nama_pengurus" in table.missing
    assert table.where(4, "no_kk") == "a.xlsx, sheet 'Daftar', baris 4, kolom B (Nomor KK)"


@pytest.mark.parametrize(("delimiter", "encoding"), [(",", "utf-8"), (";", "utf-8-sig"), (";", "cp1252")])
def test_read_table__csv_dialects__read_alike(tmp_path: Path, delimiter: str, encoding: str) -> None:
    """Should read comma or semicolon CSV, UTF-8 (with or without BOM) or Windows-1252, keeping leading zeros."""
    path = write_csv(
        tmp_path / "a.csv",
        ["id_kpm", "no_kk", "nama_pengurus"],
        [{"id_kpm": "3601-000001", "no_kk": "0012", "nama_pengurus": "Siti Nurhalizah, S.Pd (Dédé)"}],
        delimiter=delimiter,
        encoding=encoding,
    )
    table = read_table(path, KPM_COLUMNS)
    row = table.rows[0]
    assert (row.get("id_kpm"), row.get("no_kk"), row.get("nama_pengurus")) == (
        "3601-000001",
        "0012",
        "Siti Nurhalizah, S.Pd (Dédé)",
    )
    assert bool(table.notes) is (encoding == "cp1252")


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("a.xls", b"x", "simpan ulang sebagai .xlsx"),
        ("a.pdf", b"x", "pakai .xlsx atau .csv"),
        ("a.xlsx", b"not a zip", "bukan file Excel"),
        ("a.csv", b"", "file kosong"),
        ("a.csv", b"nama,alamat\nSiti,Kp. A\n", "judul kolom tidak ditemukan"),
        ("a.csv", b"id_kpm,nik,NIK Pengurus\n3601-000001,1,2\n", "sama-sama berarti nik_pengurus"),
        ("a.csv", b"id_kpm,nik\n\n", "tidak ada baris data"),
    ],
)
def test_read_table__unusable_files__error_names_file_and_fix(
    tmp_path: Path, name: str, content: bytes, message: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(ImportFileError, match=message) as info:
        read_table(path, KPM_COLUMNS)
    assert name in str(info.value)


def test_read_table__missing_sheet__lists_the_sheets(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "a.xlsx", {"kpm": (["id_kpm"], [{"id_kpm": "3601-000001"}])})
    with pytest.raises(ImportFileError, match="sheet 'data' tidak ada; sheet yang ada: 'kpm'"):
        read_table(path, KPM_COLUMNS, sheet="data")
