"""Import the yearly targets of each pendamping (``target_pendamping``), upserted by (pendamping_id, tahun)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, and_, bindparam, select, tuple_

from warehouse.db import write_connection
from warehouse.imports.columns import TARGET_COLUMNS
from warehouse.imports.findings import Findings, duplicate_groups, required_empty
from warehouse.imports.issues import ImportResult, Severity
from warehouse.imports.reader import SourceRow, Table, find_sheet, read_table, sheet_names
from warehouse.imports.store import chunks, load_pendamping, lock_tables, write_audit
from warehouse.imports.values import PENDAMPING_ID_RE, parse_int, parse_percent
from warehouse.models import TargetPendamping

log = logging.getLogger(__name__)

VALUE_COLUMNS = ("target_graduasi", "target_naik_kategori", "target_cakupan_kunjungan_pct")


@dataclass(slots=True)
class _Target:
    source: SourceRow
    pendamping_id: str
    tahun: int
    values: dict[str, Any] = field(default_factory=dict)


def import_targets(
    engine: Engine,
    path: Path | str,
    *,
    actor: str,
    today: date,
    sheet: str | None = None,
    now: datetime | None = None,
) -> ImportResult:
    """Import pendamping targets; all accepted rows are written in one transaction.

    :param sheet: the sheet to read (default: a sheet named ``target``, else the first).
    :raises ImportFileError: the file cannot be read at all (nothing is written).
    """
    path = Path(path)
    if sheet is None and (names := sheet_names(path)):
        sheet = find_sheet(names, "target") or names[0]
    table = read_table(path, TARGET_COLUMNS, sheet=sheet)
    result = ImportResult("targets", path, actor, today, sheets=[table.sheet] if table.sheet else [])
    findings = Findings()
    findings.file_notes(table, TARGET_COLUMNS, result)
    parsed = [_parse(findings, table, s, today) for s in table.rows]
    rows = _drop_duplicates(findings, table, [r for r in parsed if r is not None])
    stamp = now or datetime.combine(today, time())
    with write_connection(engine) as conn:
        lock_tables(conn, "target_pendamping")
        pendamping = load_pendamping(conn)
        for r in rows:
            if r.pendamping_id not in pendamping:
                findings.add(
                    "PENDAMPING_TIDAK_DIKENAL",
                    Severity.PERINGATAN,
                    f"pendamping {r.pendamping_id} tidak ada di daftar pendamping; target tetap disimpan",
                    table=table,
                    row=r.source,
                    key=r.pendamping_id,
                    column="pendamping_id",
                    value=r.pendamping_id,
                )
        _write(conn, rows, result)
        findings.finish(result, len(table.rows))
        write_audit(conn, result, stamp)
    log.info("import targets %s: %s", path.name, result.summary())
    return result


def _parse(findings: Findings, table: Table, source: SourceRow, today: date) -> _Target | None:
    pid = source.get("pendamping_id")
    raw_year = source.get("tahun")
    if pid is None or raw_year is None:
        column = "pendamping_id" if pid is None else "tahun"
        findings.add(
            "KOLOM_WAJIB_KOSONG",
            Severity.DITOLAK,
            f"{column} kosong; target tidak bisa disimpan",
            table=table,
            row=source,
            key=pid,
            column=column,
        )
        return None
    if not PENDAMPING_ID_RE.match(pid):
        findings.add(
            "ID_PENDAMPING_FORMAT",
            Severity.DITOLAK,
            "ID pendamping berisi spasi atau lebih dari 32 karakter; target tidak disimpan",
            table=table,
            row=source,
            key=pid,
            column="pendamping_id",
            value=pid,
        )
        return None
    year = parse_int(raw_year)
    if year is None or not 2000 <= year <= today.year + 5:
        findings.add(
            "TANGGAL_TIDAK_VALID",
            Severity.DITOLAK,
            f"tahun {raw_year!r} bukan tahun antara 2000 dan {today.year + 5}; target tidak disimpan",
            table=table,
            row=source,
            key=pid,
            column="tahun",
            value=raw_year,
        )
        return None
    row = _Target(source, pid, year)
    key = f"{pid} {year}"
    required_empty(findings, table, source, TARGET_COLUMNS, key)
    for column in ("target_graduasi", "target_naik_kategori"):
        raw = source.get(column)
        if raw is None:
            continue
        number = parse_int(raw)
        if number is None:
            findings.add(
                "ANGKA_TIDAK_VALID",
                Severity.PERINGATAN,
                f"{column} {raw!r} bukan bilangan bulat 0 atau lebih; tidak disimpan",
                table=table,
                row=source,
                key=key,
                column=column,
                value=raw,
            )
        else:
            row.values[column] = number
    raw = source.get("target_cakupan_kunjungan_pct")
    if raw is not None:
        pct = parse_percent(raw)
        if pct is None or pct > 100:
            findings.add(
                "ANGKA_TIDAK_VALID",
                Severity.PERINGATAN,
                f"target_cakupan_kunjungan_pct {raw!r} bukan persen 0 sampai 100; tidak disimpan",
                table=table,
                row=source,
                key=key,
                column="target_cakupan_kunjungan_pct",
                value=raw,
            )
        else:
            row.values["target_cakupan_kunjungan_pct"] = pct
            if 0 < pct < 1:
                findings.add(
                    "ANGKA_TIDAK_VALID",
                    Severity.PERINGATAN,
                    f"target_cakupan_kunjungan_pct {raw} disimpan sebagai {pct:g}%; jika maksudnya {pct * 100:g}%, "
                    f"tulis {pct * 100:g}",
                    table=table,
                    row=source,
                    key=key,
                    column="target_cakupan_kunjungan_pct",
                    value=raw,
                )
    return row


def _drop_duplicates(findings: Findings, table: Table, rows: list[_Target]) -> list[_Target]:
    content = {r.source.number: tuple(sorted((k, str(v)) for k, v in r.values.items())) for r in rows}
    conflicting, repeats = duplicate_groups(
        (r.source, f"{r.pendamping_id}|{r.tahun}", tuple(map(str, content[r.source.number]))) for r in rows
    )
    for source in conflicting:
        findings.add(
            "TARGET_DUPLIKAT",
            Severity.DITOLAK,
            "pendamping dan tahun yang sama ada di baris lain dengan isi berbeda; tidak ada yang disimpan",
            table=table,
            row=source,
            key=source.get("pendamping_id"),
            column="tahun",
            value=source.get("tahun"),
        )
    for source, first in repeats:
        findings.add(
            "TARGET_DUPLIKAT",
            Severity.DITOLAK,
            f"baris ini sama persis dengan baris {first.number}, yang sudah disimpan; baris ini dilewati",
            table=table,
            row=source,
            key=source.get("pendamping_id"),
            column="tahun",
            value=source.get("tahun"),
        )
    drop = {s.number for s in conflicting} | {s.number for s, _ in repeats}
    return [r for r in rows if r.source.number not in drop]


def _write(conn: Connection, rows: list[_Target], result: ImportResult) -> None:
    t = TargetPendamping.__table__
    keys = [(r.pendamping_id, r.tahun) for r in rows]
    existing: dict[tuple[str, int], Any] = {}
    for part in chunks(keys):
        query = select(t).where(tuple_(t.c.pendamping_id, t.c.tahun).in_(list(part)))
        for r in conn.execute(query):
            existing[(r.pendamping_id, r.tahun)] = r
    inserts: list[dict[str, Any]] = []
    for r in rows:
        old = existing.get((r.pendamping_id, r.tahun))
        if old is None:
            inserts.append(
                {c: r.values.get(c) for c in VALUE_COLUMNS}
                | {"pendamping_id": r.pendamping_id, "tahun": r.tahun}
            )
            result.inserted += 1
            continue
        change = {c: v for c, v in r.values.items() if getattr(old, c) != v}
        if not change:
            result.unchanged += 1
            continue
        stmt = (
            t.update()
            .where(and_(t.c.pendamping_id == bindparam("_p"), t.c.tahun == bindparam("_t")))
            .values({c: bindparam(f"_v_{c}") for c in change})
        )
        conn.execute(
            stmt, {"_p": r.pendamping_id, "_t": r.tahun, **{f"_v_{c}": v for c, v in change.items()}}
        )
        result.updated += 1
    if inserts:
        conn.execute(t.insert(), inserts)
    result.stored_keys = [f"{r.pendamping_id}|{r.tahun}" for r in rows]
