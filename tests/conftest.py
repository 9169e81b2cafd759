"""Shared fixtures: databases (file SQLite in WAL mode, and PostgreSQL), migrated to the newest schema.

PostgreSQL comes from ``GRADUASI_TEST_DATABASE_URL`` (default: the local server of the development and CI
machines). Each test gets a fresh database of its own. When the server cannot be reached the test is skipped,
except under ``CI=true``, where it fails: a CI run must never pass without its PostgreSQL half.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from warehouse.db import make_engine
from warehouse.migrate import upgrade

DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def pg_admin_url() -> str:
    """The PostgreSQL URL the tests create their databases through."""
    return os.environ.get("GRADUASI_TEST_DATABASE_URL", DEFAULT_PG_URL)


def _pg_unreachable(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"PostgreSQL is required under CI=true but unreachable: {reason}")
    pytest.skip(f"PostgreSQL unreachable: {reason}")


def create_pg_database() -> str:
    """Create an empty, uniquely named PostgreSQL database and return its URL."""
    admin_url = make_url(pg_admin_url())
    name = f"gtest_{uuid.uuid4().hex[:12]}"
    try:
        admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
    except Exception as exc:  # any connection problem means "unreachable"
        _pg_unreachable(str(exc).splitlines()[0])
    return admin_url.set(database=name).render_as_string(hide_password=False)


def drop_pg_database(url: str) -> None:
    """Drop a database made by :func:`create_pg_database` (closing any connection left open)."""
    parsed = make_url(url)
    admin = create_engine(make_url(pg_admin_url()), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def sqlite_url(tmp_path) -> str:  # type: ignore[no-untyped-def]
    """URL of an empty file-based SQLite database in the test's temporary folder."""
    return f"sqlite:///{tmp_path / 'graduasi.db'}"


@pytest.fixture
def pg_url() -> Iterator[str]:
    """URL of an empty PostgreSQL database, dropped after the test."""
    url = create_pg_database()
    try:
        yield url
    finally:
        drop_pg_database(url)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request, tmp_path) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """An empty database URL, once for SQLite and once for PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'graduasi.db'}"
        return
    url = create_pg_database()
    try:
        yield url
    finally:
        drop_pg_database(url)


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """An engine on a migrated database (newest schema), on SQLite and on PostgreSQL."""
    eng = make_engine(db_url)
    upgrade(eng)
    try:
        yield eng
    finally:
        eng.dispose()


@pytest.fixture
def sqlite_engine(sqlite_url: str) -> Iterator[Engine]:
    """An engine on a migrated file SQLite database only."""
    eng = make_engine(sqlite_url)
    upgrade(eng)
    try:
        yield eng
    finally:
        eng.dispose()


@pytest.fixture(scope="session")
def playwright_driver() -> Iterator[object]:
    """One Playwright driver per test process: its sync API allows only one at a time in a thread, so the
    form-engine and admin browser tests share it (each launches its own chromium with a fresh profile)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        yield pw
