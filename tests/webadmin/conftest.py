"""Fixtures of the admin tests: an app on a migrated file SQLite database with a clock the test can move, and
its test client (helpers live in tests/webadmin/support.py)."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine

from tests.webadmin.support import AdminTestSettings, MovableClock
from webadmin import create_app


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock()


@pytest.fixture
def settings(sqlite_url: str) -> AdminTestSettings:
    return AdminTestSettings(database_url=sqlite_url)


@pytest.fixture
def app(settings: AdminTestSettings, sqlite_engine: Engine, clock: MovableClock) -> Flask:
    return create_app(settings, engine=sqlite_engine, clock=clock)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()
