"""Carry synced submissions into the domain tables (kpm, anggota), following the field mapping of forms/.

The sync queues the logical ids it changed (``change_queue``, in the same transaction as the data); this module
drains the queue in batches, each batch re-deriving the affected KPM in one transaction with the removal of its
queue entries, so a crash leaves the work queued, never half done. ``rebuild_domain`` re-derives everything.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, delete, func, select, text

from forms.mapping import load_mapping
from warehouse.db import write_connection
from warehouse.formtables import table_name
from warehouse.models import Anggota, ChangeQueue, FormField, Kpm

log = logging.getLogger(__name__)

REGISTRATION_FORM = "kpm_registrasi"
KPM_ATTRIBUTES = (
    "id_kpm",
    "nama_pengurus",
    "kode_kabupaten",
    "kode_kecamatan",
    "kode_desa",
    "pendamping_id",
    "tanggal_registrasi",
)
ANGGOTA_ATTRIBUTES = (
    "nama",
    "hubungan",
    "jenis_kelamin",
    "tanggal_lahir",
    "partisipasi_sekolah",
    "jenjang_sekolah",
)
CHUNK = 500


@dataclass(frozen=True, slots=True)
class RegistrationMapping:
    """Which form field feeds each kpm/anggota attribute (field names of the registration form)."""

    kpm: dict[str, str]
    anggota: dict[str, str]

    @classmethod
    def from_forms(cls, form_id: str = REGISTRATION_FORM) -> RegistrationMapping:
        """Read forms/mapping.csv (the field mapping the form designers keep)."""
        kpm: dict[str, str] = {}
        anggota: dict[str, str] = {}
        for row in load_mapping():
            if row.form_id != form_id:
                continue
            table, _, attribute = row.target.partition(".")
            if table == "kpm" and attribute in KPM_ATTRIBUTES:
                kpm[attribute] = row.field
            elif table == "anggota" and attribute in ANGGOTA_ATTRIBUTES:
                anggota[attribute] = row.field
        if "id_kpm" not in kpm:
            raise ValueError(f"forms/mapping.csv maps no {form_id} field to kpm.id_kpm")
        return cls(kpm=kpm, anggota=anggota)


def _columns(conn: Connection, source: str, form_id: str) -> dict[tuple[str, str], str]:
    """(table name, field name) -> column name, from the recorded form schema."""
    ff = FormField.__table__
    rows = conn.execute(
        select(ff.c.table_name, ff.c.name, ff.c.column_name).where(ff.c.source == source, ff.c.form_id == form_id)
    )
    return {(r.table_name, r.name): r.column_name for r in rows}


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def rederive_kpm(
    conn: Connection, source: str, logical_ids: Iterable[str], mapping: RegistrationMapping
) -> int:
    """Rebuild the kpm and anggota rows touched by these registration submissions; returns KPM rewritten."""
    ids = list(dict.fromkeys(logical_ids))
    root = table_name(REGISTRATION_FORM)
    columns = _columns(conn, source, REGISTRATION_FORM)
    id_col = columns.get((root, mapping.kpm["id_kpm"]))
    if id_col is None or not ids:
        return 0
    repeat_tables = {t for (t, _name) in columns if t != root}
    member_table = next(
        (t for t in repeat_tables if any((t, f) in columns for f in mapping.anggota.values())), None
    )
    affected: set[str] = set()
    kpm = Kpm.__table__
    for i in range(0, len(ids), CHUNK):
        chunk = ids[i : i + CHUNK]
        params = {f"p{j}": v for j, v in enumerate(chunk)}
        marks = ", ".join(f":p{j}" for j in range(len(chunk)))
        affected.update(
            r[0]
            for r in conn.execute(text(f"SELECT {_q(id_col)} FROM {_q(root)} WHERE _id IN ({marks})"), params)
            if r[0]
        )
        affected.update(
            r[0] for r in conn.execute(select(kpm.c.id_kpm).where(kpm.c.registrasi_logical_id.in_(chunk)))
        )
    if not affected:
        return 0
    wanted = {attr: columns.get((root, field)) for attr, field in mapping.kpm.items()}
    select_cols = ["_id", "_submission_date"] + [c for c in wanted.values() if c]
    best: dict[str, dict[str, Any]] = {}
    keys = sorted(affected)
    for i in range(0, len(keys), CHUNK):
        chunk = keys[i : i + CHUNK]
        params = {f"p{j}": v for j, v in enumerate(chunk)}
        marks = ", ".join(f":p{j}" for j in range(len(chunk)))
        sql = (
            f"SELECT {', '.join(_q(c) for c in select_cols)} FROM {_q(root)} "
            f"WHERE {_q(id_col)} IN ({marks}) AND _deleted_at IS NULL"
        )
        for r in conn.execute(text(sql), params):
            row = dict(r._mapping)
            values = {attr: row.get(col) if col else None for attr, col in wanted.items()}
            key = values["id_kpm"]
            rank = (str(values.get("tanggal_registrasi") or ""), row["_submission_date"] or "")
            if key not in best or rank > best[key]["_rank"]:
                best[key] = {"_rank": rank, "_id": row["_id"], **values}
    anggota = Anggota.__table__
    for i in range(0, len(keys), CHUNK):
        chunk = keys[i : i + CHUNK]
        conn.execute(delete(anggota).where(anggota.c.id_kpm.in_(chunk)))
        conn.execute(delete(kpm).where(kpm.c.id_kpm.in_(chunk)))
    members: dict[str, list[dict[str, Any]]] = {}
    if member_table is not None and best:
        m_wanted = {attr: columns.get((member_table, field)) for attr, field in mapping.anggota.items()}
        m_cols = ["_submission_id", "_position"] + [c for c in m_wanted.values() if c]
        sub_ids = [b["_id"] for b in best.values()]
        for i in range(0, len(sub_ids), CHUNK):
            chunk = sub_ids[i : i + CHUNK]
            params = {f"p{j}": v for j, v in enumerate(chunk)}
            marks = ", ".join(f":p{j}" for j in range(len(chunk)))
            sql = (
                f"SELECT {', '.join(_q(c) for c in m_cols)} FROM {_q(member_table)} "
                f"WHERE _submission_id IN ({marks}) ORDER BY _submission_id, _position"
            )
            for r in conn.execute(text(sql), params):
                row = dict(r._mapping)
                members.setdefault(row["_submission_id"], []).append(
                    {attr: row.get(col) if col else None for attr, col in m_wanted.items()} | {"urutan": row["_position"]}
                )
    kpm_rows = []
    anggota_rows = []
    for key, b in best.items():
        people = members.get(b["_id"], [])
        kpm_rows.append(
            {
                **{attr: b.get(attr) for attr in KPM_ATTRIBUTES},
                "registrasi_logical_id": b["_id"],
                "jumlah_anggota": len(people),
            }
        )
        anggota_rows.extend({"id_kpm": key, **{a: p.get(a) for a in ANGGOTA_ATTRIBUTES}, "urutan": p["urutan"]} for p in people)
    if kpm_rows:
        conn.execute(kpm.insert(), kpm_rows)
    if anggota_rows:
        conn.execute(anggota.insert(), anggota_rows)
    return len(kpm_rows)


def apply_changes(engine: Engine, *, batch: int = 5000, mapping: RegistrationMapping | None = None) -> int:
    """Drain the change queue into the domain tables; returns the number of queue entries handled."""
    mapping = mapping or RegistrationMapping.from_forms()
    queue = ChangeQueue.__table__
    handled = 0
    while True:
        with write_connection(engine) as conn:
            entries = conn.execute(
                select(queue.c.id, queue.c.source, queue.c.form_id, queue.c.logical_id).order_by(queue.c.id).limit(batch)
            ).all()
            if not entries:
                return handled
            by_source: dict[str, list[str]] = {}
            for e in entries:
                if e.form_id == REGISTRATION_FORM:
                    by_source.setdefault(e.source, []).append(e.logical_id)
            rewritten = sum(rederive_kpm(conn, source, ids, mapping) for source, ids in by_source.items())
            conn.execute(delete(queue).where(queue.c.id <= entries[-1].id))
            handled += len(entries)
            log.info("domain: %d changes applied, %d KPM rewritten", len(entries), rewritten)


def rebuild_domain(engine: Engine, *, mapping: RegistrationMapping | None = None) -> int:
    """Re-derive every KPM from the typed registration tables (after ``sync rebuild`` or a mapping change)."""
    mapping = mapping or RegistrationMapping.from_forms()
    root = table_name(REGISTRATION_FORM)
    with write_connection(engine) as conn:
        exists = conn.execute(
            select(func.count()).select_from(FormField.__table__).where(FormField.form_id == REGISTRATION_FORM)
        ).scalar_one()
        if not exists:
            return 0
        conn.execute(delete(Anggota.__table__))
        conn.execute(delete(Kpm.__table__))
        sources = [r[0] for r in conn.execute(
            select(FormField.source).where(FormField.form_id == REGISTRATION_FORM).distinct()
        )]
        total = 0
        for source in sources:
            ids = [r[0] for r in conn.execute(text(f"SELECT _id FROM {_q(root)}"))]
            total += rederive_kpm(conn, source, ids, mapping)
    return total
