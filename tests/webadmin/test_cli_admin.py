"""``graduasi admin create-user`` / ``serve`` and the production WSGI entry (graduasi/cli/admin.py).

They sit with the admin's tests because they exercise the admin end to end through its command line.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import urllib.request
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from sqlalchemy import select

from graduasi.cli.admin import admin, wsgi_app
from tests.webadmin.support import csrf_token
from warehouse.db import make_engine, session_factory
from warehouse.models import AdminUser, LoginAttempt

PASSWORD = "kopi tubruk di serang"
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def database_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A fresh SQLite file as GRADUASI_DATABASE_URL, and a working directory without a .env file."""
    url = f"sqlite:///{tmp_path / 'admin.db'}"
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GRADUASI_DATABASE_URL", url)
    monkeypatch.delenv("GRADUASI_SECRET_KEY", raising=False)
    return url


def users(url: str) -> list[tuple[str, str, str | None]]:
    engine = make_engine(url)
    try:
        with session_factory(engine)() as db:
            return [
                tuple(r)
                for r in db.execute(select(AdminUser.username, AdminUser.role, AdminUser.kode_kabupaten))
            ]
    finally:
        engine.dispose()


def test_create_user__password_prompted_twice__user_in_fresh_database(database_url: str) -> None:
    result = CliRunner().invoke(
        admin,
        [
            "create-user",
            "Siti",
            "--role",
            "kabupaten_operator",
            "--kabupaten",
            "3601",
            "--full-name",
            "Siti A.",
        ],
        input=f"{PASSWORD}\n{PASSWORD}\n",
    )
    assert result.exit_code == 0, result.output
    assert "created user 'siti' (kabupaten_operator, kabupaten 3601)" in result.output
    assert users(database_url) == [("siti", "kabupaten_operator", "3601")]


def test_create_user__confirmation_differs__asked_again(database_url: str) -> None:
    result = CliRunner().invoke(
        admin,
        ["create-user", "siti", "--role", "province_admin"],
        input=f"{PASSWORD}\nsomething else entirely\n{PASSWORD}\n{PASSWORD}\n",
    )
    assert result.exit_code == 0, result.output
    assert "do not match" in result.output
    assert users(database_url) == [("siti", "province_admin", None)]


def test_create_user__password_stdin__no_prompt(database_url: str) -> None:
    result = CliRunner().invoke(
        admin, ["create-user", "viewer1", "--role", "viewer", "--password-stdin"], input=f"{PASSWORD}\n"
    )
    assert result.exit_code == 0, result.output
    assert "Password" not in result.output
    assert users(database_url) == [("viewer1", "viewer", None)]


@pytest.mark.parametrize(
    ("args", "password", "option", "words"),
    [
        (["op", "--role", "kabupaten_operator"], PASSWORD, "--kabupaten", "3601"),
        (
            ["op", "--role", "province_admin", "--kabupaten", "3601"],
            PASSWORD,
            "--kabupaten",
            "whole province",
        ),
        (["op", "--role", "viewer"], "short", "password", "at least 8"),
        (["bad name", "--role", "viewer"], PASSWORD, "USERNAME", "a-z"),
    ],
)
def test_create_user__invalid__error_names_the_option(
    database_url: str, args: list[str], password: str, option: str, words: str
) -> None:
    result = CliRunner().invoke(admin, ["create-user", *args, "--password-stdin"], input=f"{password}\n")
    assert result.exit_code == 2
    assert f"Invalid value for {option}:" in result.output
    assert words in result.output
    assert users(database_url) == []


def test_create_user__unknown_role__click_lists_the_choices(database_url: str) -> None:
    result = CliRunner().invoke(
        admin, ["create-user", "op", "--role", "boss", "--password-stdin"], input="x\n"
    )
    assert result.exit_code == 2
    assert "province_admin" in result.output and "'--role'" in result.output


def test_create_user__existing_username__refused(database_url: str) -> None:
    runner = CliRunner()
    runner.invoke(
        admin, ["create-user", "siti", "--role", "viewer", "--password-stdin"], input=f"{PASSWORD}\n"
    )
    again = runner.invoke(
        admin, ["create-user", "SITI", "--role", "viewer", "--password-stdin"], input=f"{PASSWORD}\n"
    )
    assert again.exit_code == 2
    assert "already exists" in again.output


def test_create_user__empty_stdin__usage_error(database_url: str) -> None:
    result = CliRunner().invoke(
        admin, ["create-user", "siti", "--role", "viewer", "--password-stdin"], input=""
    )
    assert result.exit_code == 2
    assert "--password-stdin" in result.output


def test_serve__subprocess__answers_over_http(database_url: str, tmp_path: Path) -> None:
    """Should migrate, listen on the port given (0 = any free one) and serve the login page."""
    code = (
        "import logging; from graduasi.cli.common import configure_logging; configure_logging(logging.INFO);"
        "from graduasi.cli.admin import admin; admin(['serve', '--port', '0'])"
    )
    env = {**os.environ, "GRADUASI_COOKIE_SECURE": "false", "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen(
        [sys.executable, "-c", code], cwd=tmp_path, env=env, stderr=subprocess.PIPE, text=True
    )
    try:
        url = None
        assert proc.stderr is not None
        for line in proc.stderr:
            found = re.search(r"admin listening on (http://127\.0\.0\.1:\d+/)", line)
            if found:
                url = found.group(1)
                break
        assert url, "the server did not report its address"
        with urllib.request.urlopen(url + "login", timeout=10) as response:
            body = response.read().decode()
            assert response.status == 200
            assert response.headers["Content-Security-Policy"].startswith("default-src 'self'")
        assert "Nama pengguna" in body
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        if proc.stderr:
            proc.stderr.close()


def test_wsgi_app__no_secret_key__refuses_to_start(database_url: str) -> None:
    with pytest.raises(click.ClickException, match="GRADUASI_SECRET_KEY"):
        wsgi_app()


def test_wsgi_app__behind_one_proxy__client_ip_from_forwarded_for(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Should record the client's address that nginx forwards, not the proxy's, for throttling and audit."""
    monkeypatch.setenv("GRADUASI_SECRET_KEY", "a" * 64)
    monkeypatch.setenv("GRADUASI_COOKIE_SECURE", "false")
    CliRunner().invoke(
        admin, ["create-user", "siti", "--role", "viewer", "--password-stdin"], input=f"{PASSWORD}\n"
    )
    client = wsgi_app(proxy_hops=1).test_client()
    token = csrf_token(client)
    client.post(
        "/login",
        data={"csrf_token": token, "username": "siti", "password": "wrong password!"},
        headers={"X-Forwarded-For": "203.0.113.9"},
        environ_overrides={"REMOTE_ADDR": "10.0.0.2"},
    )
    engine = make_engine(database_url)
    try:
        with session_factory(engine)() as db:
            assert db.scalars(select(LoginAttempt.ip)).all() == ["203.0.113.9"]
    finally:
        engine.dispose()
