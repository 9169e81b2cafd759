"""Database helpers shared by the imports: reference data, chunked lookups, grouped updates, audit, locks."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Row, Table, bindparam, select, text

from warehouse.domain import queue_kpm
from warehouse.imports.findings import Region
from warehouse.imports.issues import ImportFileError, ImportResult
from warehouse.models import AuditLog, Pendamping, Wilayah

CHUNK = 500


def chunks(items: Sequence[Any], size: int = CHUNK) -> Iterator[Sequence[Any]]:
    """Consecutive slices of at most ``size`` items (IN lists stay small on both backends)."""
    for i in range(0, len(items), size):
        yield items[i : i + size]


def lock_tables(conn: Connection, *names: str) -> None:
    """Serialise imports and keep other writers out of these tables until commit.

    SQLite already holds the database write lock (``BEGIN IMMEDIATE``); on PostgreSQL, SHARE ROW EXCLUSIVE
    conflicts with itself and with the row locks of INSERT/UPDATE, so a concurrent sync waits, not races.
    """
    if conn.dialect.name == "postgresql":
        conn.execute(text(f"LOCK TABLE {', '.join(names)} IN SHARE ROW EXCLUSIVE MODE"))


def load_regions(conn: Connection) -> dict[str, Region]:
    """Every region by code; an empty table is an error (the checks would flag every row)."""
    w = Wilayah.__table__
    regions = {r.kode: Region(r.tingkat, r.kode_induk, r.nama) for r in conn.execute(select(w))}
    if not regions:
        raise ImportFileError(
            "tabel wilayah di gudang data kosong: muat daftar wilayah dulu (graduasi db upgrade), lalu ulangi impor"
        )
    return regions


def load_pendamping(conn: Connection) -> dict[str, bool]:
    """Every known pendamping id and whether it is active."""
    p = Pendamping.__table__
    return {r.id: bool(r.aktif) for r in conn.execute(select(p.c.id, p.c.aktif))}


def rows_by_key(
    conn: Connection, table: Table, key: str, keys: Sequence[str], columns: Iterable[str]
) -> dict[str, Row]:
    """Existing rows whose ``key`` is in ``keys``, looked up in chunks."""
    cols = [table.c[key], *(table.c[c] for c in columns if c != key)]
    found: dict[str, Row] = {}
    for part in chunks(sorted(set(keys))):
        for r in conn.execute(select(*cols).where(table.c[key].in_(part))):
            found[r[0]] = r
    return found


def update_grouped(conn: Connection, table: Table, key: str, changes: list[dict[str, Any]]) -> None:
    """Apply per-row updates (each dict: the key plus the changed columns), batched by the set of columns."""
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for change in changes:
        cols = tuple(sorted(c for c in change if c != key))
        groups.setdefault(cols, []).append(change)
    for cols, items in groups.items():
        stmt = (
            table.update()
            .where(table.c[key] == bindparam("_key"))
            .values({c: bindparam(f"_v_{c}") for c in cols})
        )
        conn.execute(stmt, [{"_key": it[key], **{f"_v_{c}": it[c] for c in cols}} for it in items])


def queue_recompute(conn: Connection, ids: Iterable[str], now: datetime) -> None:
    """Queue KPM for the graduation engine (their official data or caseload changed: the whole history)."""
    queue_kpm(conn, dict.fromkeys(set(ids)), now)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_audit(conn: Connection, result: ImportResult, now: datetime) -> None:
    """One audit row per import: who, which file (name and hash), and the counts."""
    detail = {**result.summary(), "sha256": file_sha256(result.path), "kode": result.counts_by_code()}
    conn.execute(
        AuditLog.__table__.insert().values(
            at=now,
            actor_username=result.actor[:64],
            action=f"import.{result.kind}",
            object_type="import",
            object_id=result.path.name[:128],
            detail=json.dumps(detail, ensure_ascii=False, sort_keys=True),
        )
    )
