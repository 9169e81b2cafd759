"""Import the pendamping roster and, optionally, caseload assignments (a ``penugasan`` sheet).

A workbook's roster is the sheet named ``pendamping`` (or the first other than ``penugasan``); its
``penugasan`` sheet, when present, holds id_kpm, pendamping_id and mulai. A CSV file is a roster, or an
assignment list when its header has ``id_kpm``. Roster and assignments are written in one transaction.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, select

from warehouse.db import write_connection
from warehouse.imports.assignments import Caseload, Outcome
from warehouse.imports.columns import PENDAMPING_COLUMNS, PENUGASAN_COLUMNS, ColumnSpec, header_key
from warehouse.imports.findings import (
    Findings,
    check_regions,
    duplicate_groups,
    required_empty,
    row_list,
    text_value,
)
from warehouse.imports.issues import EmptySheetError, ImportFileError, ImportResult, Severity
from warehouse.imports.reader import SourceRow, Table, find_sheet, read_table, sheet_names
from warehouse.imports.store import (
    chunks,
    load_pendamping,
    load_regions,
    lock_tables,
    queue_recompute,
    rows_by_key,
    update_grouped,
    write_audit,
)
from warehouse.imports.values import ID_KPM_RE, PENDAMPING_ID_RE, parse_date, parse_flag
from warehouse.models import Kpm, Pendamping

log = logging.getLogger(__name__)

ROSTER_COLUMNS = (
    "nama",
    "kode_kabupaten",
    "kode_kecamatan",
    "telepon",
    "central_app_user",
    "kobo_username",
    "aktif",
)
TEXT_LIMITS = {"nama": 128, "telepon": 32, "central_app_user": 128, "kobo_username": 128}
SUMBER = "import"


@dataclass(slots=True)
class _Roster:
    source: SourceRow
    id: str
    values: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class _Assign:
    source: SourceRow
    id_kpm: str
    pendamping_id: str
    mulai: date


def import_pendamping(
    engine: Engine,
    path: Path | str,
    *,
    actor: str,
    today: date,
    sheet: str | None = None,
    now: datetime | None = None,
) -> ImportResult:
    """Import the roster (upsert by id) and the caseload assignments of a file, in one transaction.

    :param sheet: the roster sheet (default: ``pendamping``, else the first sheet other than ``penugasan``).
    :param today: the import date (an assignment without ``mulai`` starts then).
    :raises ImportFileError: the file cannot be read, or holds neither a roster nor assignments.
    """
    path = Path(path)
    roster_table, assign_table = _tables(path, sheet)
    sheets = [t.sheet for t in (roster_table, assign_table) if t is not None and t.sheet]
    result = ImportResult("pendamping", path, actor, today, sheets=sheets)
    findings = Findings()
    roster: list[_Roster] = []
    assigns: list[_Assign] = []
    if roster_table is not None:
        findings.file_notes(roster_table, PENDAMPING_COLUMNS, result)
        parsed = [_parse_roster(findings, roster_table, s) for s in roster_table.rows]
        roster = _drop_duplicates(findings, roster_table, [r for r in parsed if r is not None])
    if assign_table is not None:
        findings.file_notes(assign_table, PENUGASAN_COLUMNS, result)
        parsed_a = [_parse_assign(findings, assign_table, s, today) for s in assign_table.rows]
        assigns = _drop_duplicate_assigns(findings, assign_table, [a for a in parsed_a if a is not None])
    stamp = now or datetime.combine(today, time())
    with write_connection(engine) as conn:
        lock_tables(conn, "pendamping", "penugasan", "kpm")
        if roster_table is not None:
            regions = load_regions(conn)
            for r in roster:
                codes = check_regions(
                    findings, roster_table, r.source, r.id, regions, ("kabupaten", "kecamatan")
                )
                r.values.update({f"kode_{level}": code for level, code in codes.items()})
            _write_roster(conn, findings, roster_table, roster, result)
            _report_missing(conn, findings, roster, roster_table, result)
        if assign_table is not None:
            _write_assignments(conn, findings, assign_table, assigns, result, stamp)
        rows_read = sum(len(t.rows) for t in (roster_table, assign_table) if t is not None)
        findings.finish(result, rows_read)
        write_audit(conn, result, stamp)
    log.info("import pendamping %s: %s", path.name, result.summary())
    return result


def _tables(path: Path, sheet: str | None) -> tuple[Table | None, Table | None]:
    names = sheet_names(path)
    if not names:  # CSV: an assignment list when the header names id_kpm, else a roster
        try:
            return None, read_table(path, PENUGASAN_COLUMNS)
        except EmptySheetError:
            raise
        except ImportFileError:
            return read_table(path, PENDAMPING_COLUMNS), None
    assign_sheet = find_sheet(names, "penugasan")
    assign = _optional(path, PENUGASAN_COLUMNS, assign_sheet)
    if sheet is not None:  # asked for by name: its errors are the user's to see
        if assign_sheet is not None and find_sheet(names, sheet) == assign_sheet:
            roster = None
        else:
            roster = read_table(path, PENDAMPING_COLUMNS, sheet=sheet)
    elif (named := find_sheet(names, "pendamping")) is not None:
        roster = _optional(path, PENDAMPING_COLUMNS, named)
    else:
        others = [n for n in names if n != assign_sheet and header_key(n) != "petunjuk"]
        try:
            roster = read_table(path, PENDAMPING_COLUMNS, sheet=others[0]) if others else None
        except ImportFileError:
            if assign is None:
                raise
            roster = None  # a workbook with only the caseload sheet filled in
    if roster is None and assign is None:
        raise ImportFileError(f"{path.name}: tidak ada data di sheet pendamping maupun penugasan")
    return roster, assign


def _optional(path: Path, columns: tuple[ColumnSpec, ...], sheet: str | None) -> Table | None:
    """A sheet that may be left empty (the template's other sheet): None when it holds no data row."""
    if sheet is None:
        return None
    try:
        return read_table(path, columns, sheet=sheet)
    except EmptySheetError:
        log.info("%s: sheet %r has no data rows", path.name, sheet)
        return None


# --- roster -----------------------------------------------------------------------------------------------


def _parse_roster(findings: Findings, table: Table, source: SourceRow) -> _Roster | None:
    pid = source.get("id")
    if pid is None:
        findings.add(
            "KOLOM_WAJIB_KOSONG",
            Severity.DITOLAK,
            "ID pendamping kosong; baris tidak bisa disimpan",
            table=table,
            row=source,
            column="id",
        )
        return None
    if not PENDAMPING_ID_RE.match(pid):
        findings.add(
            "ID_PENDAMPING_FORMAT",
            Severity.DITOLAK,
            "ID pendamping berisi spasi atau lebih dari 32 karakter; baris tidak disimpan",
            table=table,
            row=source,
            key=pid,
            column="id",
            value=pid,
        )
        return None
    row = _Roster(source, pid)
    required_empty(findings, table, source, PENDAMPING_COLUMNS, pid)
    for column, limit in TEXT_LIMITS.items():
        value = text_value(findings, table, source, column, limit, pid)
        if value is not None:
            row.values[column] = value
    if "telepon" in source.numeric:
        findings.add(
            "SEL_ANGKA",
            Severity.PERINGATAN,
            "telepon tersimpan sebagai angka di Excel: angka 0 di depan hilang; disimpan apa adanya",
            table=table,
            row=source,
            key=pid,
            column="telepon",
            value=source.get("telepon"),
        )
    aktif = source.get("aktif")
    if aktif is not None:
        flag = parse_flag(aktif)
        if flag is None:
            findings.add(
                "NILAI_TIDAK_DIKENAL",
                Severity.PERINGATAN,
                f"aktif {aktif!r} bukan ya/tidak; tidak diubah",
                table=table,
                row=source,
                key=pid,
                column="aktif",
                value=aktif,
            )
        else:
            row.values["aktif"] = flag
    return row


def _drop_duplicates(findings: Findings, table: Table, rows: list[_Roster]) -> list[_Roster]:
    content = {
        r.source.number: tuple(str(r.source.values.get(c)) for c in sorted(r.source.values)) for r in rows
    }
    conflicting, repeats = duplicate_groups((r.source, r.id, content[r.source.number]) for r in rows)
    by_id: dict[str, list[SourceRow]] = {}
    for r in rows:
        by_id.setdefault(r.id, []).append(r.source)
    for source in conflicting:
        pid = source.get("id")
        others = [o for o in by_id[pid] if o is not source]
        findings.add(
            "PENDAMPING_DUPLIKAT",
            Severity.DITOLAK,
            f"ID pendamping {pid} juga ada di {row_list(others)} dengan isi berbeda; tidak ada yang disimpan",
            table=table,
            row=source,
            key=pid,
            column="id",
            value=pid,
        )
    for source, first in repeats:
        findings.add(
            "PENDAMPING_DUPLIKAT",
            Severity.DITOLAK,
            f"baris ini sama persis dengan baris {first.number}, yang sudah disimpan; baris ini dilewati",
            table=table,
            row=source,
            key=source.get("id"),
            column="id",
            value=source.get("id"),
        )
    drop = {s.number for s in conflicting} | {s.number for s, _ in repeats}
    return [r for r in rows if r.source.number not in drop]


def _write_roster(
    conn: Connection, findings: Findings, table: Table, rows: list[_Roster], result: ImportResult
) -> None:
    t = Pendamping.__table__
    existing = rows_by_key(conn, t, "id", [r.id for r in rows], [*ROSTER_COLUMNS, "sumber"])
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    for r in rows:
        old = existing.get(r.id)
        if old is None:
            if "nama" not in r.values:
                findings.add(
                    "KOLOM_WAJIB_KOSONG",
                    Severity.DITOLAK,
                    "nama kosong; pendamping baru tidak bisa disimpan tanpa nama",
                    table=table,
                    row=r.source,
                    key=r.id,
                    column="nama",
                )
                continue
            inserts.append(
                {c: r.values.get(c) for c in ROSTER_COLUMNS}
                | {"id": r.id, "aktif": r.values.get("aktif", True), "sumber": SUMBER}
            )
            result.inserted += 1
            continue
        change = {c: v for c, v in r.values.items() if getattr(old, c) != v}
        if old.sumber != SUMBER:
            change["sumber"] = SUMBER
        if change:
            updates.append({"id": r.id, **change})
            result.updated += 1
        else:
            result.unchanged += 1
    if inserts:
        conn.execute(t.insert(), inserts)
    update_grouped(conn, t, "id", updates)
    result.stored_keys = [r.id for r in rows if not findings.is_rejected(table, r.source)]


def _report_missing(
    conn: Connection, findings: Findings, rows: list[_Roster], table: Table, result: ImportResult
) -> None:
    """Active imported pendamping of the kabupaten in this roster that the roster no longer lists."""
    kabupaten = sorted({r.values["kode_kabupaten"] for r in rows if r.values.get("kode_kabupaten")})
    in_file = {s.get("id") for s in table.rows if s.get("id")}
    t = Pendamping.__table__
    for part in chunks(kabupaten):
        query = (
            select(t.c.id, t.c.kode_kabupaten)
            .where(t.c.aktif.is_(True), t.c.sumber == SUMBER, t.c.kode_kabupaten.in_(part))
            .order_by(t.c.id)
        )
        for pid, kab in conn.execute(query):
            if pid not in in_file:
                result.missing_from_list += 1
                findings.add(
                    "TIDAK_ADA_DI_DAFTAR_BARU",
                    Severity.PERINGATAN,
                    f"pendamping {pid} (kabupaten {kab}) ada di gudang data tetapi tidak ada di file ini; "
                    "tidak dihapus dan tetap aktif",
                    key=pid,
                    column="id",
                    value=pid,
                )


# --- assignments ------------------------------------------------------------------------------------------


def _parse_assign(findings: Findings, table: Table, source: SourceRow, today: date) -> _Assign | None:
    id_kpm = source.get("id_kpm")
    pid = source.get("pendamping_id")
    if id_kpm is None or pid is None:
        column = "id_kpm" if id_kpm is None else "pendamping_id"
        findings.add(
            "KOLOM_WAJIB_KOSONG",
            Severity.DITOLAK,
            f"{column} kosong; penugasan tidak bisa disimpan",
            table=table,
            row=source,
            key=id_kpm,
            column=column,
        )
        return None
    if not ID_KPM_RE.match(id_kpm):
        findings.add(
            "ID_KPM_FORMAT",
            Severity.DITOLAK,
            f"ID KPM {id_kpm!r} tidak sesuai format 36KK-NNNNNN; tidak disimpan",
            table=table,
            row=source,
            key=id_kpm,
            column="id_kpm",
            value=id_kpm,
        )
        return None
    if not PENDAMPING_ID_RE.match(pid):
        findings.add(
            "ID_PENDAMPING_FORMAT",
            Severity.DITOLAK,
            "ID pendamping berisi spasi atau lebih dari 32 karakter; penugasan tidak disimpan",
            table=table,
            row=source,
            key=id_kpm,
            column="pendamping_id",
            value=pid,
        )
        return None
    raw = source.get("mulai")
    if raw is None:
        findings.add(
            "KOLOM_WAJIB_KOSONG",
            Severity.PERINGATAN,
            f"mulai kosong; dipakai tanggal impor {today.isoformat()}",
            table=table,
            row=source,
            key=id_kpm,
            column="mulai",
        )
        mulai = today
    else:
        parsed = parse_date(raw, numeric="mulai" in source.numeric)
        if parsed is None or parsed.year < 2000:
            findings.add(
                "TANGGAL_TIDAK_VALID",
                Severity.DITOLAK,
                f"mulai {raw!r} bukan tanggal (tulis 2020-01-31 atau 31/01/2020); penugasan tidak disimpan",
                table=table,
                row=source,
                key=id_kpm,
                column="mulai",
                value=raw,
            )
            return None
        mulai = parsed
        if mulai > today:
            findings.add(
                "TANGGAL_TIDAK_VALID",
                Severity.PERINGATAN,
                f"mulai {mulai.isoformat()} ada di masa depan (setelah {today.isoformat()}); tetap dicatat",
                table=table,
                row=source,
                key=id_kpm,
                column="mulai",
                value=raw,
            )
    return _Assign(source, id_kpm, pid, mulai)


def _drop_duplicate_assigns(findings: Findings, table: Table, rows: list[_Assign]) -> list[_Assign]:
    conflicting, repeats = duplicate_groups(
        (a.source, f"{a.id_kpm}|{a.mulai.isoformat()}", (a.pendamping_id,)) for a in rows
    )
    for source in conflicting:
        findings.add(
            "PENUGASAN_DUPLIKAT",
            Severity.DITOLAK,
            "KPM dan tanggal mulai yang sama ditugaskan ke pendamping berbeda di baris lain; tidak ada yang disimpan",
            table=table,
            row=source,
            key=source.get("id_kpm"),
            column="mulai",
            value=source.get("mulai"),
        )
    for source, first in repeats:
        findings.add(
            "PENUGASAN_DUPLIKAT",
            Severity.DITOLAK,
            f"baris ini sama persis dengan baris {first.number}, yang sudah disimpan; baris ini dilewati",
            table=table,
            row=source,
            key=source.get("id_kpm"),
            column="mulai",
            value=source.get("mulai"),
        )
    drop = {s.number for s in conflicting} | {s.number for s, _ in repeats}
    return [a for a in rows if a.source.number not in drop]


def _write_assignments(
    conn: Connection,
    findings: Findings,
    table: Table,
    rows: list[_Assign],
    result: ImportResult,
    now: datetime,
) -> None:
    kpm = Kpm.__table__
    known_kpm = rows_by_key(conn, kpm, "id_kpm", [a.id_kpm for a in rows], ["pendamping_id"])
    pendamping = load_pendamping(conn)  # after the roster of this file was written
    caseload = Caseload.load(conn, list(known_kpm))
    holder: dict[str, str | None] = {}
    for a in sorted(rows, key=lambda a: (a.id_kpm, a.mulai)):
        if a.id_kpm not in known_kpm:
            findings.add(
                "KPM_TIDAK_DIKENAL",
                Severity.DITOLAK,
                f"KPM {a.id_kpm} tidak ada di gudang data; impor daftar KPM dulu. Penugasan tidak disimpan",
                table=table,
                row=a.source,
                key=a.id_kpm,
                column="id_kpm",
                value=a.id_kpm,
            )
            continue
        if a.pendamping_id not in pendamping:
            findings.add(
                "PENDAMPING_TIDAK_DIKENAL",
                Severity.PERINGATAN,
                f"pendamping {a.pendamping_id} tidak ada di daftar pendamping; penugasan tetap dicatat",
                table=table,
                row=a.source,
                key=a.id_kpm,
                column="pendamping_id",
                value=a.pendamping_id,
            )
        elif not pendamping[a.pendamping_id]:
            findings.add(
                "PENDAMPING_TIDAK_AKTIF",
                Severity.PERINGATAN,
                f"pendamping {a.pendamping_id} berstatus tidak aktif; penugasan tetap dicatat",
                table=table,
                row=a.source,
                key=a.id_kpm,
                column="pendamping_id",
                value=a.pendamping_id,
            )
        outcome, before = caseload.assign(a.id_kpm, a.pendamping_id, a.mulai)
        if outcome is Outcome.CONFLICT:
            assert before is not None
            findings.add(
                "PENUGASAN_BERTENTANGAN",
                Severity.DITOLAK,
                f"mulai {a.mulai.isoformat()} tidak setelah penugasan {before.pendamping_id} mulai "
                f"{before.mulai.isoformat()}; riwayat tidak ditulis ulang",
                table=table,
                row=a.source,
                key=a.id_kpm,
                column="mulai",
                value=a.source.get("mulai"),
            )
            continue
        if outcome is Outcome.CORRECTED:
            findings.add(
                "PENUGASAN_DIKOREKSI",
                Severity.PERINGATAN,
                f"penugasan yang mulai {a.mulai.isoformat()} diganti ke {a.pendamping_id}",
                table=table,
                row=a.source,
                key=a.id_kpm,
                column="pendamping_id",
                value=a.pendamping_id,
            )
        current = caseload.current(a.id_kpm)
        holder[a.id_kpm] = current.pendamping_id if current else None
    caseload.write(conn, SUMBER)
    result.assignments_opened += caseload.opened_count
    result.assignments_closed += caseload.closed_count
    changed = [
        {"id_kpm": k, "pendamping_id": v}
        for k, v in holder.items()
        if v is not None and known_kpm[k].pendamping_id != v
    ]
    update_grouped(conn, kpm, "id_kpm", changed)
    if caseload.opened_count or changed:
        queue_recompute(conn, [a.id_kpm for a in caseload.new] + [c["id_kpm"] for c in changed], now)
