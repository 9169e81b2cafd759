"""Caseload history (``penugasan``): which pendamping held a KPM from when to when.

History is append-only: a new pendamping from a date closes the open assignment the day before and opens a new
one; the same pendamping changes nothing; an assignment that would start on or before the open one's start is
not written (it would rewrite history), except a same-day correction, which replaces that day's pendamping.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum

from sqlalchemy import Connection, bindparam, select

from warehouse.imports.store import chunks
from warehouse.models import Penugasan


class Outcome(StrEnum):
    UNCHANGED = "unchanged"
    OPENED = "opened"  # a new open assignment (and the previous one closed, if there was one)
    CORRECTED = "corrected"  # the open assignment starting that same day got another pendamping
    CONFLICT = "conflict"  # starts on or before history already recorded: not written


@dataclass(slots=True)
class Assignment:
    """One caseload row; ``id`` is None until it is inserted."""

    id_kpm: str
    pendamping_id: str
    mulai: date
    selesai: date | None = None
    id: int | None = None


@dataclass(slots=True)
class Caseload:
    """The assignment history of a set of KPM, changed in memory and then written in a few statements."""

    history: dict[str, list[Assignment]] = field(default_factory=dict)
    new: list[Assignment] = field(default_factory=list)
    closed: dict[int, date] = field(default_factory=dict)
    corrected: dict[int, str] = field(default_factory=dict)
    opened_count: int = 0
    closed_count: int = 0

    @classmethod
    def load(cls, conn: Connection, ids: Sequence[str]) -> Caseload:
        """The recorded history of these KPM."""
        t = Penugasan.__table__
        caseload = cls()
        for part in chunks(sorted(set(ids))):
            query = select(t.c.id, t.c.id_kpm, t.c.pendamping_id, t.c.mulai, t.c.selesai).where(
                t.c.id_kpm.in_(part)
            )
            for r in conn.execute(query):
                caseload.history.setdefault(r.id_kpm, []).append(
                    Assignment(r.id_kpm, r.pendamping_id, r.mulai, r.selesai, r.id)
                )
        return caseload

    def current(self, id_kpm: str) -> Assignment | None:
        """The open assignment of a KPM (the latest one when, against the rules, several are open)."""
        open_ = [a for a in self.history.get(id_kpm, []) if a.selesai is None]
        return max(open_, key=lambda a: a.mulai) if open_ else None

    def assign(self, id_kpm: str, pendamping_id: str, start: date) -> tuple[Outcome, Assignment | None]:
        """Record that ``pendamping_id`` holds the KPM from ``start``; returns what happened and the assignment
        that was open before (for messages)."""
        history = self.history.setdefault(id_kpm, [])
        if any(a.pendamping_id == pendamping_id and a.mulai == start for a in history):
            return Outcome.UNCHANGED, None
        open_ = self.current(id_kpm)
        if open_ is not None and open_.pendamping_id == pendamping_id:
            return Outcome.UNCHANGED, open_
        latest = max((a.selesai or a.mulai for a in history), default=None)
        if open_ is None:
            if latest is not None and start <= latest:
                return Outcome.CONFLICT, max(history, key=lambda a: a.mulai)
            self._open(id_kpm, pendamping_id, start)
            return Outcome.OPENED, None
        if start == open_.mulai:
            open_.pendamping_id = pendamping_id
            if open_.id is not None:
                self.corrected[open_.id] = pendamping_id
            return Outcome.CORRECTED, open_
        if start < open_.mulai:
            return Outcome.CONFLICT, open_
        open_.selesai = start - timedelta(days=1)
        if open_.id is not None:
            self.closed[open_.id] = open_.selesai
        self.closed_count += 1
        self._open(id_kpm, pendamping_id, start)
        return Outcome.OPENED, open_

    def _open(self, id_kpm: str, pendamping_id: str, start: date) -> None:
        assignment = Assignment(id_kpm, pendamping_id, start)
        self.history[id_kpm].append(assignment)
        self.new.append(assignment)
        self.opened_count += 1

    def write(self, conn: Connection, sumber: str) -> None:
        """Write the closes, corrections and new assignments."""
        t = Penugasan.__table__
        if self.closed:
            stmt = t.update().where(t.c.id == bindparam("_id")).values(selesai=bindparam("_selesai"))
            conn.execute(stmt, [{"_id": k, "_selesai": v} for k, v in self.closed.items()])
        if self.corrected:
            stmt = (
                t.update()
                .where(t.c.id == bindparam("_id"))
                .values(pendamping_id=bindparam("_p"), sumber=sumber)
            )
            conn.execute(stmt, [{"_id": k, "_p": v} for k, v in self.corrected.items()])
        if self.new:
            conn.execute(
                t.insert(),
                [
                    {
                        "id_kpm": a.id_kpm,
                        "pendamping_id": a.pendamping_id,
                        "mulai": a.mulai,
                        "selesai": a.selesai,
                        "sumber": sumber,
                    }
                    for a in self.new
                ],
            )
