"""One SQLAlchemy session per request, closed when the request ends (flaskr's ``g`` + teardown, without
Flask-SQLAlchemy, so warehouse/ stays usable by the Flask-free sync worker)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from flask import Flask, current_app, g, has_app_context
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from warehouse.db import session_factory

Clock = Callable[[], datetime]
"""Returns the current time as an aware UTC datetime; tests pass their own to move time forward."""

_SESSIONS = "graduasi.sessions"
_CLOCK = "graduasi.clock"


def system_clock() -> datetime:
    """The wall clock, aware UTC."""
    return datetime.now(UTC)


def init_app(app: Flask, engine: Engine, clock: Clock | None = None) -> None:
    """Give ``app`` a session factory on ``engine`` and a clock; close each request's session on teardown."""
    app.extensions[_SESSIONS] = session_factory(engine)
    app.extensions[_CLOCK] = clock or system_clock
    app.teardown_appcontext(_close_session)


def get_session() -> Session:
    """The session of the current request (opened on first use)."""
    if "db" not in g:
        g.db = current_app.extensions[_SESSIONS]()
    return g.db


def _close_session(_exc: BaseException | None) -> None:
    session: Session | None = g.pop("db", None)
    if session is not None:
        session.close()  # rolls back whatever was not committed


def now() -> datetime:
    """The current time, aware UTC: the app's clock inside the app, else the wall clock (e.g. in the CLI)."""
    if has_app_context() and _CLOCK in current_app.extensions:
        return current_app.extensions[_CLOCK]()
    return system_clock()


def now_naive_utc() -> datetime:
    """The current time as naive UTC, the form the warehouse stores timestamps in."""
    return now().astimezone(UTC).replace(tzinfo=None)
