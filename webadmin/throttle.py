"""Login throttling per username and per client IP, counted in the ``login_attempt`` table so every web
worker shares the counters (reliability.md §5.1 "Brute force"; no Redis, no in-memory state).

Only failed attempts count. A successful login clears the username's count (not the IP's), so a user who
mistyped a few times is not held back later. A refused (throttled) attempt is not recorded as an attempt: it
checked no password, and counting it would let an attacker keep an account locked forever.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from warehouse.models import LoginAttempt


@dataclass(frozen=True, slots=True)
class Limit:
    """At most ``max_failures`` failed logins per ``window`` for one username or one IP."""

    key: Literal["username", "ip"]
    max_failures: int
    window: timedelta


LIMITS: tuple[Limit, ...] = (
    Limit("username", 5, timedelta(minutes=1)),
    Limit("username", 20, timedelta(hours=1)),
    Limit("ip", 50, timedelta(hours=1)),
)


def retry_after(session: Session, username: str, ip: str | None, now: datetime) -> int | None:
    """Seconds until a login for ``username`` from ``ip`` may be tried again, or None if it may be tried now.

    :param now: the current time, naive UTC like the stored attempts.
    """
    last_success = session.scalar(
        select(func.max(LoginAttempt.at)).where(LoginAttempt.username == username, LoginAttempt.success)
    )
    wait: timedelta | None = None
    for limit in LIMITS:
        since = now - limit.window
        if limit.key == "username":
            column, value = LoginAttempt.username, username
            if last_success is not None and last_success > since:
                since = last_success
        else:
            if ip is None:
                continue
            column, value = LoginAttempt.ip, ip
        # the failure that must leave the window before the count drops below the limit
        blocking = session.scalar(
            select(LoginAttempt.at)
            .where(column == value, LoginAttempt.success.is_(False), LoginAttempt.at > since)
            .order_by(LoginAttempt.at.desc())
            .offset(limit.max_failures - 1)
            .limit(1)
        )
        if blocking is not None:
            until = blocking + limit.window - now
            wait = until if wait is None else max(wait, until)
    if wait is None:
        return None
    return max(1, math.ceil(wait.total_seconds()))


#: Attempts older than the longest window decide nothing; they are deleted (the audit log keeps every login).
KEEP = max(limit.window for limit in LIMITS)


def record_attempt(session: Session, username: str, ip: str | None, success: bool, now: datetime) -> None:
    """Add one login attempt to ``session`` and drop those too old to count (the caller commits), so the
    table holds at most an hour of attempts however long the admin runs."""
    session.execute(delete(LoginAttempt).where(LoginAttempt.at < now - KEEP))
    session.add(LoginAttempt(username=username, ip=ip, at=now, success=success))
