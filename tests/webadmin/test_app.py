"""The application factory: settings objects it accepts, the secret key, and its own engine
(webadmin/app.py)."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from pydantic import SecretStr
from sqlalchemy import Engine

from graduasi.settings import Settings
from tests.webadmin.support import AdminTestSettings, add_user, login
from webadmin import create_app


def test_create_app__project_settings__serves_the_login_page(
    sqlite_url: str, sqlite_engine: Engine, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Should take graduasi's own Settings (SecretStr key) and make its engine from the database URL."""
    monkeypatch.chdir(tmp_path)  # no .env of the developer's
    settings = Settings(database_url=sqlite_url, secret_key=SecretStr("s" * 40), cookie_secure=False)
    app = create_app(settings)
    assert app.config["SECRET_KEY"] == "s" * 40
    add_user(sqlite_engine, "siti")
    client = app.test_client()
    assert login(client, "siti").status_code == 302
    assert client.get("/").status_code == 200


def test_create_app__no_secret_key__random_key_and_warning(
    sqlite_url: str, sqlite_engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="webadmin.app"):
        first = create_app(AdminTestSettings(sqlite_url, secret_key=None), engine=sqlite_engine)
        second = create_app(AdminTestSettings(sqlite_url, secret_key=None), engine=sqlite_engine)
    assert len(first.config["SECRET_KEY"]) >= 64
    assert first.config["SECRET_KEY"] != second.config["SECRET_KEY"]
    assert "GRADUASI_SECRET_KEY is not set" in caplog.text


def test_create_app__empty_secret_key__refused(sqlite_url: str, sqlite_engine: Engine) -> None:
    with pytest.raises(ValueError, match="GRADUASI_SECRET_KEY is empty"):
        create_app(AdminTestSettings(sqlite_url, secret_key=""), engine=sqlite_engine)
