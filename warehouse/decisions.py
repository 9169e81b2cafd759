"""Recorded decisions: a computed "eligible to graduate" becomes a graduation only through people.

A decision (graduation or exit) is proposed (from the pendamping's data), verified (kecamatan or kabupaten
level), then approved by Dinsos — or rejected at either step — each step with actor and time, and each written
to the audit log. Verification and approval must be done by someone other than the previous step's actor. Only an
approved decision changes the KPM's status and ends its caseload assignment.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, select, update

from warehouse.models import Asesmen, AuditLog, Keputusan, Kpm, Penugasan

GRADUATION = "graduasi_sejahtera_mandiri"
NATURAL_EXIT = "graduasi_alamiah"
#: Kinds of decision and the assessment status a proposal needs (None: any, e.g. a death).
KINDS: dict[str, str | None] = {
    GRADUATION: "layak_graduasi",
    NATURAL_EXIT: "graduasi_alamiah_layak",
    "keluar_meninggal": None,
    "keluar_pindah": None,
    "keluar_data_tidak_valid": None,
}
OPEN = ("diusulkan", "diverifikasi")


class DecisionError(ValueError):
    """A step that is not allowed; the message says why and what to do."""


@dataclass(frozen=True, slots=True)
class Decision:
    """A decision as stored."""

    id: int
    id_kpm: str
    jenis: str
    status: str
    diusulkan_oleh: str
    diverifikasi_oleh: str | None
    disetujui_oleh: str | None


def _audit(
    conn: Connection, actor: str, action: str, decision_id: int, at: datetime, detail: dict[str, Any]
) -> None:
    conn.execute(
        AuditLog.__table__.insert().values(
            at=at,
            actor_id=None,
            actor_username=actor,
            action=action,
            object_type="keputusan",
            object_id=str(decision_id),
            detail=json.dumps(detail, ensure_ascii=False, default=str),
            ip=None,
        )
    )


def _get(conn: Connection, decision_id: int) -> Any:
    row = conn.execute(select(Keputusan.__table__).where(Keputusan.id == decision_id)).first()
    if row is None:
        raise DecisionError(f"no decision #{decision_id}: see the list of decisions")
    return row


def _as_decision(row: Any) -> Decision:
    return Decision(
        row.id,
        row.id_kpm,
        row.jenis,
        row.status,
        row.diusulkan_oleh,
        row.diverifikasi_oleh,
        row.disetujui_oleh,
    )


def propose(
    conn: Connection, id_kpm: str, jenis: str, *, actor: str, at: datetime, note: str | None = None
) -> Decision:
    """Propose a graduation or an exit for an active KPM (one open decision per KPM at a time)."""
    if jenis not in KINDS:
        raise DecisionError(f"unknown kind {jenis!r}: choose one of {', '.join(KINDS)}")
    kpm = conn.execute(select(Kpm.id_kpm, Kpm.status).where(Kpm.id_kpm == id_kpm)).first()
    if kpm is None:
        raise DecisionError(f"no KPM {id_kpm}: check the id")
    if kpm.status != "aktif":
        raise DecisionError(f"KPM {id_kpm} is no longer active (status {kpm.status})")
    k = Keputusan.__table__
    pending = conn.execute(select(k.c.id).where(k.c.id_kpm == id_kpm, k.c.status.in_(OPEN))).first()
    if pending is not None:
        raise DecisionError(
            f"KPM {id_kpm} already has an open decision (#{pending.id}): finish or reject it first"
        )
    needed = KINDS[jenis]
    latest = conn.execute(
        select(Asesmen.id, Asesmen.status, Asesmen.tanggal)
        .where(Asesmen.id_kpm == id_kpm)
        .order_by(Asesmen.tanggal.desc())
        .limit(1)
    ).first()
    if needed is not None and (latest is None or latest.status != needed):
        current = latest.status if latest else "not assessed"
        raise DecisionError(
            f"KPM {id_kpm} cannot be proposed for {jenis}: its latest assessment says {current}, "
            f"the proposal needs {needed}"
        )
    decision_id = conn.execute(
        k.insert().values(
            id_kpm=id_kpm,
            jenis=jenis,
            status="diusulkan",
            asesmen_id=latest.id if latest else None,
            diusulkan_oleh=actor,
            diusulkan_pada=at,
            catatan=note,
        )
    ).inserted_primary_key[0]
    _audit(
        conn, actor, "keputusan.usul", decision_id, at, {"id_kpm": id_kpm, "jenis": jenis, "catatan": note}
    )
    return _as_decision(_get(conn, decision_id))


def verify(conn: Connection, decision_id: int, *, actor: str, at: datetime) -> Decision:
    """Verify a proposed decision (by someone other than the proposer)."""
    row = _get(conn, decision_id)
    if row.status != "diusulkan":
        raise DecisionError(
            f"decision #{decision_id} is {row.status}; only a proposed decision can be verified"
        )
    if actor == row.diusulkan_oleh:
        raise DecisionError(f"decision #{decision_id} was proposed by {actor}: another person must verify it")
    k = Keputusan.__table__
    conn.execute(
        update(k)
        .where(k.c.id == decision_id)
        .values(status="diverifikasi", diverifikasi_oleh=actor, diverifikasi_pada=at)
    )
    _audit(conn, actor, "keputusan.verifikasi", decision_id, at, {"id_kpm": row.id_kpm})
    return _as_decision(_get(conn, decision_id))


def approve(conn: Connection, decision_id: int, *, actor: str, at: datetime) -> Decision:
    """Approve a verified decision (Dinsos): the KPM's status changes and its caseload assignment ends."""
    row = _get(conn, decision_id)
    if row.status != "diverifikasi":
        raise DecisionError(f"decision #{decision_id} is {row.status}; it must be verified before approval")
    if actor in (row.diverifikasi_oleh, row.diusulkan_oleh):
        raise DecisionError(
            f"decision #{decision_id}: {actor} already took part; another person must approve it"
        )
    k = Keputusan.__table__
    conn.execute(
        update(k)
        .where(k.c.id == decision_id)
        .values(status="disetujui", disetujui_oleh=actor, disetujui_pada=at)
    )
    conn.execute(update(Kpm.__table__).where(Kpm.id_kpm == row.id_kpm).values(status=row.jenis))
    p = Penugasan.__table__
    day = at.date() if isinstance(at, datetime) else date.today()
    conn.execute(update(p).where(p.c.id_kpm == row.id_kpm, p.c.selesai.is_(None)).values(selesai=day))
    _audit(conn, actor, "keputusan.setuju", decision_id, at, {"id_kpm": row.id_kpm, "jenis": row.jenis})
    return _as_decision(_get(conn, decision_id))


def reject(conn: Connection, decision_id: int, *, actor: str, at: datetime, note: str) -> Decision:
    """Reject an open decision, with the reason."""
    if not note or not note.strip():
        raise DecisionError("a rejection needs a reason (--catatan)")
    row = _get(conn, decision_id)
    if row.status not in OPEN:
        raise DecisionError(f"decision #{decision_id} is {row.status}; only an open decision can be rejected")
    k = Keputusan.__table__
    conn.execute(
        update(k)
        .where(k.c.id == decision_id)
        .values(status="ditolak", ditolak_oleh=actor, ditolak_pada=at, catatan=note)
    )
    _audit(conn, actor, "keputusan.tolak", decision_id, at, {"id_kpm": row.id_kpm, "catatan": note})
    return _as_decision(_get(conn, decision_id))


def decisions(conn: Connection, *, status: str | None = None, id_kpm: str | None = None) -> list[Any]:
    """Decisions, newest first, optionally of one status or one KPM."""
    k = Keputusan.__table__
    stmt = select(k).order_by(k.c.id.desc())
    if status:
        stmt = stmt.where(k.c.status == status)
    if id_kpm:
        stmt = stmt.where(k.c.id_kpm == id_kpm)
    return list(conn.execute(stmt))
