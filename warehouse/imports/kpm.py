"""Import the official KPM list (XLSX or CSV from Dinas Sosial) into ``kpm`` and the caseload history.

Only the official identity columns are written (the registration form owns the baseline); an empty cell never
erases a stored value. Rows are rejected only when they cannot be stored (no or malformed ``id_kpm``, the same
``id_kpm`` twice with different content); everything else is stored with its warnings. A KPM stored earlier
but absent from this file is reported (``TIDAK_ADA_DI_DAFTAR_BARU``) and left alone: exits are decisions.
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
from warehouse.imports.columns import KATEGORI, KPM_COLUMNS
from warehouse.imports.findings import (
    Findings,
    Region,
    check_regions,
    duplicate_groups,
    required_empty,
    row_list,
    text_value,
)
from warehouse.imports.issues import ImportResult, Severity
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
from warehouse.imports.values import (
    ID_KPM_RE,
    PENDAMPING_ID_RE,
    PROVINCE,
    is_placeholder,
    nik_birth_date,
    normalise_kategori,
    number_problem,
    parse_int,
    strip_number,
)
from warehouse.models import Kpm

log = logging.getLogger(__name__)

#: The columns of ``kpm`` this import owns (the official list's identity).
OFFICIAL_COLUMNS = (
    "no_kk",
    "nik_pengurus",
    "nama_pengurus",
    "id_dtks",
    "kode_kabupaten",
    "kode_kecamatan",
    "kode_desa",
    "alamat",
    "pendamping_id",
    "kategori_awal",
    "tahun_masuk",
)
SUMBER = "import"


@dataclass(slots=True)
class _Row:
    source: SourceRow
    id_kpm: str
    values: dict[str, Any] = field(default_factory=dict)  # kpm column -> value to store


def import_kpm(
    engine: Engine,
    path: Path | str,
    *,
    actor: str,
    today: date,
    sheet: str | None = None,
    assignment_start: date | None = None,
    now: datetime | None = None,
) -> ImportResult:
    """Import the official KPM list; all accepted rows are written in one transaction.

    :param actor: who runs the import (recorded in the audit log).
    :param today: the import date: plausibility checks and, by default, the start of changed assignments.
    :param sheet: the sheet to read (default: a sheet named ``kpm``, else the first).
    :param assignment_start: when a KPM's new pendamping starts (default ``today``).
    :param now: the audit and queue timestamp (default: ``today`` at midnight; no wall clock is read).
    :raises ImportFileError: the file cannot be read at all (nothing is written).
    """
    path = Path(path)
    if sheet is None and (names := sheet_names(path)):
        sheet = find_sheet(names, "kpm") or names[0]
    table = read_table(path, KPM_COLUMNS, sheet=sheet)
    result = ImportResult("kpm", path, actor, today, sheets=[table.sheet] if table.sheet else [])
    findings = Findings()
    findings.file_notes(table, KPM_COLUMNS, result)
    rows = [r for r in (_parse(findings, table, source, today) for source in table.rows) if r is not None]
    rows = _drop_duplicate_ids(findings, table, rows)
    stamp = now or datetime.combine(today, time())
    with write_connection(engine) as conn:
        lock_tables(conn, "kpm", "penugasan")
        regions = load_regions(conn)
        pendamping = load_pendamping(conn)
        for row in rows:
            _check_references(findings, table, row, regions, pendamping)
        _check_duplicate_numbers(conn, findings, table, rows)
        _write(conn, findings, table, rows, result, assignment_start or today, stamp)
        _report_missing(conn, findings, rows, {r.id_kpm for r in rows}, result, table)
        findings.finish(result, len(table.rows))
        write_audit(conn, result, stamp)
    log.info("import kpm %s: %s", path.name, result.summary())
    return result


# --- one row, on its own ----------------------------------------------------------------------------------


def _parse(findings: Findings, table: Table, source: SourceRow, today: date) -> _Row | None:
    raw_id = source.get("id_kpm")
    if raw_id is None:
        findings.add(
            "KOLOM_WAJIB_KOSONG",
            Severity.DITOLAK,
            "id_kpm kosong; baris tidak bisa disimpan tanpa ID KPM",
            table=table,
            row=source,
            column="id_kpm",
        )
        return None
    if not ID_KPM_RE.match(raw_id):
        findings.add(
            "ID_KPM_FORMAT",
            Severity.DITOLAK,
            f"ID KPM {raw_id!r} tidak sesuai format 36KK-NNNNNN; baris tidak disimpan",
            table=table,
            row=source,
            key=raw_id,
            column="id_kpm",
            value=raw_id,
        )
        return None
    row = _Row(source, raw_id)
    key = raw_id
    required_empty(findings, table, source, KPM_COLUMNS, key)
    for column, max_len in (("nama_pengurus", 256), ("alamat", 512), ("id_dtks", 64)):
        value = text_value(findings, table, source, column, max_len, key)
        if value is not None:
            row.values[column] = value
    _identity_number(findings, table, row, "no_kk", today)
    _identity_number(findings, table, row, "nik_pengurus", today)
    pendamping_id = source.get("pendamping_id")
    if pendamping_id is not None:
        if PENDAMPING_ID_RE.match(pendamping_id):
            row.values["pendamping_id"] = pendamping_id
        else:
            findings.add(
                "ID_PENDAMPING_FORMAT",
                Severity.PERINGATAN,
                "ID pendamping berisi spasi atau lebih dari 32 karakter; penugasan tidak diubah",
                table=table,
                row=source,
                key=key,
                column="pendamping_id",
                value=pendamping_id,
            )
    kategori = source.get("kategori_awal")
    if kategori is not None:
        value = normalise_kategori(kategori)
        if value in KATEGORI:
            row.values["kategori_awal"] = value
        else:
            findings.add(
                "KATEGORI_TIDAK_DIKENAL",
                Severity.PERINGATAN,
                f"kategori {kategori!r} tidak dikenal; tidak disimpan",
                table=table,
                row=source,
                key=key,
                column="kategori_awal",
                value=kategori,
            )
    tahun = source.get("tahun_masuk")
    if tahun is not None:
        year = parse_int(tahun)
        if year is not None and 2000 <= year <= today.year:
            row.values["tahun_masuk"] = year
        else:
            findings.add(
                "TANGGAL_TIDAK_VALID",
                Severity.PERINGATAN,
                f"tahun_masuk {tahun!r} bukan tahun antara 2000 dan {today.year}; tidak disimpan",
                table=table,
                row=source,
                key=key,
                column="tahun_masuk",
                value=tahun,
            )
    return row


def _identity_number(findings: Findings, table: Table, row: _Row, column: str, today: date) -> None:
    """NIK or KK: strip spaces and dots only, store it even when implausible, report what is wrong."""
    raw = row.source.get(column)
    if raw is None:
        return
    is_nik = column == "nik_pengurus"
    what, code = ("NIK", "NIK_FORMAT") if is_nik else ("nomor KK", "KK_FORMAT")
    key = row.id_kpm

    def flag(code: str, message: str) -> None:
        findings.add(
            code, Severity.PERINGATAN, message, table=table, row=row.source, key=key, column=column, value=raw
        )

    number = strip_number(raw)
    if column in row.source.numeric:
        flag(
            "SEL_ANGKA", f"{what} tersimpan sebagai angka di Excel: digit ke-16 bisa sudah berubah menjadi 0"
        )
    if len(number) > 32:
        flag(code, f"{what} berisi {len(number)} karakter; tidak disimpan")
        return
    row.values[column] = number
    problem = number_problem(number, what)
    if problem is not None:
        flag(code, problem + "; disimpan apa adanya")
        return
    if is_placeholder(number):
        flag(
            "NIK_PLACEHOLDER" if is_nik else "KK_FORMAT",
            f"{what} {number[:6]}… adalah isian sementara, bukan nomor asli",
        )
        return
    if is_nik:
        if number[:2] != PROVINCE:
            flag("NIK_WILAYAH_BEDA", f"NIK berawalan kode provinsi {number[:2]}, bukan {PROVINCE} (Banten)")
        if nik_birth_date(number, today) is None:
            flag(
                "NIK_TANGGAL_LAHIR",
                f"digit 7-12 NIK ({number[6:12]}) bukan tanggal lahir yang mungkin (DDMMYY, tanggal + 40 untuk perempuan)",
            )


def _drop_duplicate_ids(findings: Findings, table: Table, rows: list[_Row]) -> list[_Row]:
    """Reject every row of an ``id_kpm`` that appears with different content; keep one of identical repeats."""
    content = {
        r.source.number: tuple(str(r.source.values.get(c)) for c in sorted(r.source.values)) for r in rows
    }
    conflicting, repeats = duplicate_groups((r.source, r.id_kpm, content[r.source.number]) for r in rows)
    drop = {r.number for r in conflicting} | {r.number for r, _ in repeats}
    by_id: dict[str, list[SourceRow]] = {}
    for r in rows:
        by_id.setdefault(r.id_kpm, []).append(r.source)
    for source in conflicting:
        key = source.get("id_kpm")
        others = [o for o in by_id[key] if o is not source]
        findings.add(
            "ID_KPM_DUPLIKAT",
            Severity.DITOLAK,
            f"ID KPM {key} juga ada di {row_list(others)} dengan isi berbeda; tidak ada yang disimpan",
            table=table,
            row=source,
            key=key,
            column="id_kpm",
            value=key,
        )
    for source, first in repeats:
        key = source.get("id_kpm")
        findings.add(
            "ID_KPM_DUPLIKAT",
            Severity.DITOLAK,
            f"baris ini sama persis dengan baris {first.number}, yang sudah disimpan; baris ini dilewati",
            table=table,
            row=source,
            key=key,
            column="id_kpm",
            value=key,
        )
    return [r for r in rows if r.source.number not in drop]


# --- rows against the warehouse ---------------------------------------------------------------------------


def _check_references(
    findings: Findings, table: Table, row: _Row, regions: dict[str, Region], pendamping: dict[str, bool]
) -> None:
    key = row.id_kpm
    codes = check_regions(findings, table, row.source, key, regions, ("kabupaten", "kecamatan", "desa"))
    for level, code in codes.items():
        row.values[f"kode_{level}"] = code
    kab = codes.get("kabupaten")
    if kab is not None and kab != key[:4]:
        findings.add(
            "ID_KPM_WILAYAH_BEDA",
            Severity.PERINGATAN,
            f"ID KPM berawalan {key[:4]} tetapi kode_kabupaten {kab}",
            table=table,
            row=row.source,
            key=key,
            column="id_kpm",
            value=key,
        )
    nik = row.values.get("nik_pengurus")
    if (
        nik is not None
        and number_problem(nik, "NIK") is None
        and not is_placeholder(nik)
        and nik[:2] == PROVINCE
        and regions.get(nik[:4], Region("", None, "")).tingkat != "kabupaten"
    ):
        findings.add(
            "NIK_WILAYAH_BEDA",
            Severity.PERINGATAN,
            f"digit 1-4 NIK ({nik[:4]}) bukan kode kabupaten/kota di Banten",
            table=table,
            row=row.source,
            key=key,
            column="nik_pengurus",
            value=nik,
        )
    pid = row.values.get("pendamping_id")
    if pid is not None:
        _check_pendamping(findings, table, row.source, key, pid, pendamping)


def _check_pendamping(
    findings: Findings, table: Table, source: SourceRow, key: str, pid: str, pendamping: dict[str, bool]
) -> None:
    if pid not in pendamping:
        close = [p for p in pendamping if p.lower() == pid.lower()]
        hint = f" (maksudnya {close[0]}? huruf besar/kecil dibedakan)" if close else ""
        findings.add(
            "PENDAMPING_TIDAK_DIKENAL",
            Severity.PERINGATAN,
            f"pendamping {pid} tidak ada di daftar pendamping{hint}; penugasan tetap dicatat",
            table=table,
            row=source,
            key=key,
            column="pendamping_id",
            value=pid,
        )
    elif not pendamping[pid]:
        findings.add(
            "PENDAMPING_TIDAK_AKTIF",
            Severity.PERINGATAN,
            f"pendamping {pid} berstatus tidak aktif; penugasan tetap dicatat",
            table=table,
            row=source,
            key=key,
            column="pendamping_id",
            value=pid,
        )


def _check_duplicate_numbers(conn: Connection, findings: Findings, table: Table, rows: list[_Row]) -> None:
    """The same NIK (or KK) on two KPM, within the file or against KPM stored and not in this file: flag
    every row involved, merge nothing.

    The stored side is one streamed pass over ``kpm`` (memory stays with the file's size): without an index
    on the numbers, one scan beats a scan per chunk of an IN list.
    """
    checks = (("nik_pengurus", "NIK_DUPLIKAT", "NIK"), ("no_kk", "KK_DUPLIKAT", "nomor KK"))
    in_file = {r.id_kpm for r in rows}
    groups: dict[str, dict[str, list[_Row]]] = {column: {} for column, _, _ in checks}
    for r in rows:
        for column, _, _ in checks:
            number = r.values.get(column)
            if number and not (len(number) == 16 and number.isdigit() and is_placeholder(number)):
                groups[column].setdefault(number, []).append(r)
    stored: dict[str, dict[str, list[str]]] = {column: {} for column, _, _ in checks}
    kpm = Kpm.__table__
    query = select(kpm.c.id_kpm, kpm.c.nik_pengurus, kpm.c.no_kk)
    for other_id, nik, kk in conn.execute(query.execution_options(yield_per=5000)):
        if other_id in in_file:
            continue
        if nik in groups["nik_pengurus"]:
            stored["nik_pengurus"].setdefault(nik, []).append(other_id)
        if kk in groups["no_kk"]:
            stored["no_kk"].setdefault(kk, []).append(other_id)
    for column, code, what in checks:
        for number, members in groups[column].items():
            ids = {m.id_kpm for m in members}
            for m in members:
                others = [o for o in members if o.id_kpm != m.id_kpm]
                parts = []
                if len(ids) > 1:
                    parts.append(
                        row_list([o.source for o in others], {o.source.number: o.id_kpm for o in others})
                    )
                if number in stored[column]:
                    parts.append("KPM tersimpan " + ", ".join(sorted(stored[column][number])[:5]))
                if parts:
                    findings.add(
                        code,
                        Severity.PERINGATAN,
                        f"{what} sama dengan {'; '.join(parts)}; disimpan, tidak digabung",
                        table=table,
                        row=m.source,
                        key=m.id_kpm,
                        column=column,
                        value=number,
                    )


# --- writing ----------------------------------------------------------------------------------------------


def _write(
    conn: Connection,
    findings: Findings,
    table: Table,
    rows: list[_Row],
    result: ImportResult,
    start: date,
    now: datetime,
) -> None:
    kpm = Kpm.__table__
    ids = [r.id_kpm for r in rows]
    existing = rows_by_key(conn, kpm, "id_kpm", ids, [*OFFICIAL_COLUMNS, "dalam_daftar_resmi"])
    caseload = Caseload.load(conn, ids)
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    touched: set[str] = set()
    for row in rows:
        old = existing.get(row.id_kpm)
        pid = row.values.get("pendamping_id")
        if pid is not None:
            outcome, before = caseload.assign(row.id_kpm, pid, start)
            if outcome is Outcome.CONFLICT:
                assert before is not None
                findings.add(
                    "PENUGASAN_BERTENTANGAN",
                    Severity.PERINGATAN,
                    f"penugasan ke {pid} mulai {start.isoformat()} tidak setelah penugasan {before.pendamping_id} "
                    f"mulai {before.mulai.isoformat()}; pendamping KPM tidak diubah",
                    table=table,
                    row=row.source,
                    key=row.id_kpm,
                    column="pendamping_id",
                    value=pid,
                )
                del row.values["pendamping_id"]
            elif outcome is Outcome.CORRECTED:
                assert before is not None
                findings.add(
                    "PENUGASAN_DIKOREKSI",
                    Severity.PERINGATAN,
                    f"penugasan yang mulai {start.isoformat()} diganti ke {pid}",
                    table=table,
                    row=row.source,
                    key=row.id_kpm,
                    column="pendamping_id",
                    value=pid,
                )
            if outcome in (Outcome.OPENED, Outcome.CORRECTED):
                touched.add(row.id_kpm)
        if old is None:
            inserts.append({c: row.values.get(c) for c in OFFICIAL_COLUMNS} | {"id_kpm": row.id_kpm})
            result.inserted += 1
            touched.add(row.id_kpm)
            continue
        change = {c: v for c, v in row.values.items() if getattr(old, c) != v}
        if not old.dalam_daftar_resmi:
            change["dalam_daftar_resmi"] = True
        if change:
            updates.append({"id_kpm": row.id_kpm, **change})
            result.updated += 1
            touched.add(row.id_kpm)
        else:
            result.unchanged += 1
    if inserts:
        for part in chunks(inserts, 2000):
            conn.execute(kpm.insert(), [{**i, "dalam_daftar_resmi": True, "status": "aktif"} for i in part])
    update_grouped(conn, kpm, "id_kpm", updates)
    caseload.write(conn, SUMBER)
    result.assignments_opened = caseload.opened_count
    result.assignments_closed = caseload.closed_count
    result.stored_keys = ids
    if touched:
        queue_recompute(conn, touched, now)


def _report_missing(
    conn: Connection,
    findings: Findings,
    rows: list[_Row],
    in_file: set[str],
    result: ImportResult,
    table: Table,
) -> None:
    """Active official KPM of the kabupaten in this file that the file no longer lists (not deleted)."""
    kabupaten = sorted({r.values["kode_kabupaten"] for r in rows if r.values.get("kode_kabupaten")})
    # rejected rows still name their KPM: it is on the list, only its row has a problem
    in_file = in_file | {s.get("id_kpm") for s in table.rows if s.get("id_kpm")}
    kpm = Kpm.__table__
    for part in chunks(kabupaten):
        query = (
            select(kpm.c.id_kpm, kpm.c.kode_kabupaten)
            .where(
                kpm.c.dalam_daftar_resmi.is_(True), kpm.c.status == "aktif", kpm.c.kode_kabupaten.in_(part)
            )
            .order_by(kpm.c.id_kpm)
        )
        for id_kpm, kab in conn.execute(query):
            if id_kpm in in_file:
                continue
            result.missing_from_list += 1
            findings.add(
                "TIDAK_ADA_DI_DAFTAR_BARU",
                Severity.PERINGATAN,
                f"KPM {id_kpm} (kabupaten {kab}) ada di gudang data tetapi tidak ada di file ini; tidak dihapus",
                key=id_kpm,
                column="id_kpm",
                value=id_kpm,
            )
