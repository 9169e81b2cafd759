"""Collecting issues while checking rows, and the per-cell checks every import shares (text, regions, ids)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from warehouse.imports.columns import ColumnSpec
from warehouse.imports.issues import ImportResult, Issue, Severity
from warehouse.imports.reader import SourceRow, Table
from warehouse.imports.values import mask_number, region_code

MASKED_COLUMNS = {"nik_pengurus", "no_kk"}


class Findings:
    """The issues of one import, and which rows are rejected or carry warnings."""

    def __init__(self) -> None:
        self.issues: list[Issue] = []
        self.rejected: set[tuple[str | None, int]] = set()
        self.warned: set[tuple[str | None, int]] = set()

    def add(
        self,
        code: str,
        severity: Severity,
        message: str,
        *,
        table: Table | None = None,
        row: SourceRow | None = None,
        key: str | None = None,
        column: str | None = None,
        value: str | None = None,
    ) -> None:
        """Record one issue; ``value`` is masked here when the column holds a NIK or KK number."""
        sheet = table.sheet if table is not None else None
        label = table.labels.get(column, column) if (table is not None and column) else column
        shown = mask_number(value) if column in MASKED_COLUMNS else value
        self.issues.append(
            Issue(code, severity, message, row.number if row else None, key, label, shown, sheet)
        )
        if row is not None:
            mark = (sheet, row.number)
            if severity is Severity.DITOLAK:
                self.rejected.add(mark)
            elif severity is Severity.PERINGATAN:
                self.warned.add(mark)

    def is_rejected(self, table: Table, row: SourceRow) -> bool:
        return (table.sheet, row.number) in self.rejected

    def file_notes(self, table: Table, columns: tuple[ColumnSpec, ...], result: ImportResult) -> None:
        """Report ignored and missing columns and reading notes once per file (not once per row)."""
        for label in table.ignored:
            self.add(
                "KOLOM_TIDAK_DIKENAL",
                Severity.INFO,
                f"kolom {label} tidak dikenal dan diabaikan",
                table=table,
            )
            result.ignored_columns.append(label)
        required = {c.name for c in columns if c.required}
        for name in table.missing:
            if name in required:
                self.add(
                    "KOLOM_TIDAK_ADA",
                    Severity.PERINGATAN,
                    f"kolom wajib {name} tidak ada di file; nilai tersimpan tidak diubah",
                    table=table,
                    column=name,
                )
        for note in table.notes:
            self.add("FILE_BUKAN_UTF8", Severity.INFO, note, table=table)

    def finish(self, result: ImportResult, rows_read: int) -> None:
        """Fill the result's row counts and issue list: notes about the file first, then the rows by sheet and
        row number, then records of the warehouse that the file no longer lists."""
        result.rows_read += rows_read
        result.rows_rejected = len(self.rejected)
        result.rows_with_warnings = len(self.warned - self.rejected)
        self.issues.sort(key=lambda i: (i.row is None and i.key is not None, i.sheet or "", i.row or 0))
        result.issues = self.issues


def text_value(
    findings: Findings, table: Table, row: SourceRow, column: str, max_len: int, key: str | None
) -> str | None:
    """The cell's text, or None when empty or too long for its column (reported; the stored value stays)."""
    value = row.get(column)
    if value is None:
        return None
    if len(value) > max_len:
        findings.add(
            "NILAI_TERLALU_PANJANG",
            Severity.PERINGATAN,
            f"{column} berisi {len(value)} karakter, paling banyak {max_len}; tidak disimpan",
            table=table,
            row=row,
            key=key,
            column=column,
            value=value[:60],
        )
        return None
    return value


def required_empty(
    findings: Findings, table: Table, row: SourceRow, columns: Iterable[ColumnSpec], key: str | None
) -> None:
    """Report the required (non-key) columns that are present in the file but empty in this row.

    An empty parent region code with a child code beside it is left to :func:`check_regions`, which fills it.
    """
    derivable = {"kode_kabupaten"} if (row.get("kode_kecamatan") or row.get("kode_desa")) else set()
    if row.get("kode_desa"):
        derivable.add("kode_kecamatan")
    for spec in columns:
        if spec.name in derivable:
            continue
        if spec.required and not spec.key and spec.name in table.columns and row.get(spec.name) is None:
            findings.add(
                "KOLOM_WAJIB_KOSONG",
                Severity.PERINGATAN,
                f"{spec.name} kosong; nilai yang sudah tersimpan (jika ada) tidak diubah",
                table=table,
                row=row,
                key=key,
                column=spec.name,
            )


@dataclass(frozen=True, slots=True)
class Region:
    tingkat: str
    induk: str | None
    nama: str


LEVEL_NAMES = {"kabupaten": "kabupaten/kota", "kecamatan": "kecamatan", "desa": "desa/kelurahan"}


def check_regions(
    findings: Findings,
    table: Table,
    row: SourceRow,
    key: str | None,
    regions: dict[str, Region],
    levels: tuple[str, ...],
) -> dict[str, str]:
    """Check the region code columns of a row (``kode_<level>``) and return the codes to store.

    Unknown codes are stored as written (with ``KODE_WILAYAH_TIDAK_DIKENAL``); a parent code left empty is
    filled from a known child (``WILAYAH_DILENGKAPI``); a child outside its parent gives
    ``WILAYAH_TIDAK_KONSISTEN``.
    """
    codes: dict[str, str] = {}
    known: dict[str, Region] = {}
    for level in levels:
        column = f"kode_{level}"
        raw = row.get(column)
        if raw is None:
            continue
        code = region_code(raw)
        if len(code) > 16:
            findings.add(
                "NILAI_TERLALU_PANJANG",
                Severity.PERINGATAN,
                f"{column} terlalu panjang untuk kode wilayah; tidak disimpan",
                table=table,
                row=row,
                key=key,
                column=column,
                value=raw,
            )
            continue
        codes[level] = code
        region = regions.get(code)
        if region is None or region.tingkat != level:
            what = (
                f" (itu kode {LEVEL_NAMES.get(region.tingkat, region.tingkat)} {region.nama})"
                if region
                else ""
            )
            findings.add(
                "KODE_WILAYAH_TIDAK_DIKENAL",
                Severity.PERINGATAN,
                f"{column} {code} bukan kode {LEVEL_NAMES[level]} di Banten{what}; disimpan apa adanya",
                table=table,
                row=row,
                key=key,
                column=column,
                value=raw,
            )
            continue
        known[level] = region
    # fill an empty parent from a known child, bottom up, and report it
    for child, parent in (("desa", "kecamatan"), ("kecamatan", "kabupaten")):
        if child in levels and parent in levels and parent not in codes and child in known:
            induk = known[child].induk
            if induk and induk in regions:
                codes[parent] = induk
                known[parent] = regions[induk]
                findings.add(
                    "WILAYAH_DILENGKAPI",
                    Severity.PERINGATAN,
                    f"kode_{parent} kosong; diisi {induk} ({regions[induk].nama}) dari kode_{child} {codes[child]}",
                    table=table,
                    row=row,
                    key=key,
                    column=f"kode_{parent}",
                )
    for child, parent in (("desa", "kecamatan"), ("kecamatan", "kabupaten")):
        if child in known and parent in known and known[child].induk != codes[parent]:
            findings.add(
                "WILAYAH_TIDAK_KONSISTEN",
                Severity.PERINGATAN,
                f"{LEVEL_NAMES[child]} {codes[child]} ({known[child].nama}) tidak berada di {LEVEL_NAMES[parent]} "
                f"{codes[parent]} ({known[parent].nama}), melainkan di {known[child].induk}",
                table=table,
                row=row,
                key=key,
                column=f"kode_{child}",
                value=codes[child],
            )
    return codes


def duplicate_groups(
    rows: Iterable[tuple[SourceRow, str, tuple[str, ...]]],
) -> tuple[list[SourceRow], list[tuple[SourceRow, SourceRow]]]:
    """Split rows sharing a key into those to reject and identical repeats.

    ``rows`` gives (row, key, content). Rows whose key repeats with different content are all returned in the
    first list; a row identical to an earlier row of the same key is paired with that earlier row in the
    second list (the earlier one is stored, the repeat is not needed).
    """
    by_key: dict[str, list[tuple[SourceRow, tuple[str, ...]]]] = {}
    for row, key, content in rows:
        by_key.setdefault(key, []).append((row, content))
    conflicting: list[SourceRow] = []
    repeats: list[tuple[SourceRow, SourceRow]] = []
    for group in by_key.values():
        if len(group) < 2:
            continue
        if len({content for _, content in group}) > 1:
            conflicting.extend(row for row, _ in group)
        else:
            first = group[0][0]
            repeats.extend((row, first) for row, _ in group[1:])
    return conflicting, repeats


def row_list(rows: list[SourceRow], keys: dict[int, str] | None = None, limit: int = 5) -> str:
    """``baris 3 (3601-000001), baris 9 …`` for messages that point at other rows."""
    parts = [
        f"baris {r.number}" + (f" ({keys[r.number]})" if keys and r.number in keys else "") for r in rows
    ]
    more = len(parts) - limit
    return ", ".join(parts[:limit]) + (f" dan {more} lainnya" if more > 0 else "")
