"""Writes to ``audit_log``: who did what, when, from where (reliability.md §5.1 "Logging")."""

from __future__ import annotations

from sqlalchemy.orm import Session

from warehouse.models import AuditLog
from webadmin.db import now_naive_utc


def record_event(
    session: Session,
    action: str,
    *,
    actor_id: int | None = None,
    actor_username: str | None = None,
    object_type: str | None = None,
    object_id: str | None = None,
    detail: str | None = None,
    ip: str | None = None,
) -> None:
    """Add one audit row to ``session`` (the caller commits it together with the change it records).

    :param action: a dotted event name, e.g. ``login.success``, ``login.failure``, ``logout``.
    """
    session.add(
        AuditLog(
            at=now_naive_utc(),
            actor_id=actor_id,
            actor_username=actor_username,
            action=action,
            object_type=object_type,
            object_id=object_id,
            detail=detail,
            ip=ip,
        )
    )
