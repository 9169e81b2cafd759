"""CSRF, security headers on every route, cookie flags, default deny, no writes on GET, escaping and the
generic error page (reliability.md §5.1; webadmin/security.py, access.py, errors.py)."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, event, text
from werkzeug.test import TestResponse

from tests.webadmin.support import (
    AdminTestSettings,
    MovableClock,
    add_user,
    csrf_token,
    login,
    seed_kpm,
    seed_regions,
)
from warehouse.db import session_factory
from warehouse.models import Wilayah
from webadmin import create_app
from webadmin.access import PUBLIC_ENDPOINTS
from webadmin.security import CONTENT_SECURITY_POLICY

# sample values for URL arguments, by rule; a new rule with arguments must add its own here
SAMPLE_ARGUMENTS: dict[str, dict[str, str]] = {"static": {"filename": "admin.css"}}


def every_request(app: Flask) -> Iterator[tuple[str, str, str]]:
    """(endpoint, method, path) for every rule and method of the app's URL map."""
    for rule in app.url_map.iter_rules():
        args = SAMPLE_ARGUMENTS.get(rule.endpoint, {})
        assert set(rule.arguments) <= set(args), f"add sample arguments for {rule.endpoint} to this test"
        path = rule.build(args)[1]  # type: ignore[index]
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            yield rule.endpoint, method, path


def send(client: FlaskClient, method: str, path: str) -> TestResponse:
    return client.open(path, method=method)


def assert_security_headers(response: TestResponse, *, endpoint: str, hsts: bool) -> None:
    headers = response.headers
    where = f"{endpoint} -> {response.status_code}"
    assert headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY, where
    assert headers["X-Content-Type-Options"] == "nosniff", where
    assert headers["Referrer-Policy"] == "no-referrer", where
    assert headers["X-Frame-Options"] == "DENY", where
    assert ("Strict-Transport-Security" in headers) is hsts, where
    if hsts:
        assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    if endpoint != "static":
        assert headers["Cache-Control"] == "no-store", where


# --- CSRF -------------------------------------------------------------------------------------------------


def test_csrf__login_post_without_token__400(client: FlaskClient, sqlite_engine: Engine) -> None:
    add_user(sqlite_engine, "siti")
    client.get("/login")
    response = client.post("/login", data={"username": "siti", "password": "kopi tubruk di serang"})
    assert response.status_code == 400
    assert "Formulir kedaluwarsa" in response.text
    assert client.get("/").status_code == 302


@pytest.mark.parametrize("path", ["/logout", "/bahasa"])
def test_csrf__post_without_token_when_logged_in__400_and_nothing_changes(
    client: FlaskClient, sqlite_engine: Engine, path: str
) -> None:
    add_user(sqlite_engine, "siti")
    login(client, "siti")
    response = client.post(path, data={"lang": "en"})
    assert response.status_code == 400
    page = client.get("/")
    assert page.status_code == 200, "still logged in"
    assert '<html lang="id">' in page.text, "language unchanged"


def test_csrf__token_of_another_session__400(app: Flask, sqlite_engine: Engine) -> None:
    add_user(sqlite_engine, "siti")
    attacker, victim = app.test_client(), app.test_client()
    token = csrf_token(attacker)
    victim.get("/login")
    response = victim.post("/login", data={"csrf_token": token, "username": "siti", "password": "x" * 10})
    assert response.status_code == 400


def test_csrf__https_without_referer__token_is_enough(sqlite_url: str, sqlite_engine: Engine) -> None:
    """Should accept a valid token over HTTPS although no-referrer makes browsers send no Referer."""
    app = create_app(AdminTestSettings(sqlite_url, cookie_secure=True), engine=sqlite_engine)
    client = app.test_client()
    add_user(sqlite_engine, "siti")
    token = csrf_token(client, base_url="https://admin.example")
    response = client.post(
        "/login",
        base_url="https://admin.example",
        data={"csrf_token": token, "username": "siti", "password": "kopi tubruk di serang"},
    )
    assert response.status_code == 302
    assert client.get("/", base_url="https://admin.example").status_code == 200


# --- headers, default deny, no writes on GET --------------------------------------------------------------


@pytest.mark.parametrize("cookie_secure", [False, True])
def test_headers__every_route_anonymous_and_logged_in__present(
    sqlite_url: str, sqlite_engine: Engine, cookie_secure: bool
) -> None:
    app = create_app(AdminTestSettings(sqlite_url, cookie_secure=cookie_secure), engine=sqlite_engine)
    base = "https://admin.example" if cookie_secure else "http://localhost"
    add_user(sqlite_engine, "siti")
    anonymous, staff = app.test_client(), app.test_client()
    token = csrf_token(staff, base_url=base)
    staff.post(
        "/login",
        base_url=base,
        data={"csrf_token": token, "username": "siti", "password": "kopi tubruk di serang"},
    )
    seen = 0
    for endpoint, method, path in every_request(app):
        if endpoint == "auth.logout":
            continue  # would end the staff session; checked anonymously below
        for client in (anonymous, staff):
            assert_security_headers(
                client.open(path, method=method, base_url=base), endpoint=endpoint, hsts=cookie_secure
            )
            seen += 1
    for extra in ("/no-such-page", "/logout"):
        assert_security_headers(anonymous.open(extra, base_url=base), endpoint=extra, hsts=cookie_secure)
    assert_security_headers(anonymous.post("/logout", base_url=base), endpoint="logout", hsts=cookie_secure)
    assert seen >= 8


def test_access__every_non_public_route__anonymous_redirected_to_login(app: Flask) -> None:
    """Should deny by default: no page but the public ones opens without logging in."""
    client = app.test_client()
    client.get("/login")
    token = csrf_token(client)
    checked = []
    for endpoint, method, path in every_request(app):
        if endpoint in PUBLIC_ENDPOINTS:
            continue
        response = client.open(path, method=method, data={"csrf_token": token})
        assert response.status_code == 302, (endpoint, method, response.status_code)
        assert response.headers["Location"].startswith("/login"), endpoint
        checked.append(endpoint)
    assert "dashboard.index" in checked and "auth.logout" in checked


def test_get_requests__every_route__write_nothing(app: Flask, sqlite_engine: Engine) -> None:
    """Should change no table on any GET (CSRF only guards POST; reliability.md §5.1 "CSRF")."""
    add_user(sqlite_engine, "siti")
    client = app.test_client()
    login(client, "siti")
    writes: list[str] = []

    def _watch(_conn, _cursor, statement: str, *_args) -> None:  # type: ignore[no-untyped-def]
        if statement.lstrip().split(" ", 1)[0].upper() in {"INSERT", "UPDATE", "DELETE", "REPLACE"}:
            writes.append(statement)

    event.listen(sqlite_engine, "before_cursor_execute", _watch)
    try:
        for _endpoint, method, path in every_request(app):
            if method == "GET":
                client.get(path)
                client.get(path + "?per=2019-06-30")
    finally:
        event.remove(sqlite_engine, "before_cursor_execute", _watch)
    assert writes == []


# --- cookies ----------------------------------------------------------------------------------------------


def _session_set_cookie(response: TestResponse) -> list[str]:
    cookies = [h for h in response.headers.getlist("Set-Cookie") if "graduasi" in h.split("=", 1)[0]]
    assert len(cookies) == 1, response.headers.getlist("Set-Cookie")
    return [part.strip() for part in cookies[0].split(";")]


def test_cookie__plain_http_demo__httponly_lax_plain_name(client: FlaskClient, sqlite_engine: Engine) -> None:
    add_user(sqlite_engine, "siti")
    parts = _session_set_cookie(login(client, "siti"))
    assert parts[0].startswith("graduasi_session=")
    flags = {p.split("=")[0].lower(): p for p in parts[1:]}
    assert "httponly" in flags
    assert flags["samesite"] == "SameSite=Lax"
    assert flags["path"] == "Path=/"
    assert "secure" not in flags and "domain" not in flags


def test_cookie__cookie_secure__host_prefix_secure_httponly_lax(
    sqlite_url: str, sqlite_engine: Engine
) -> None:
    app = create_app(AdminTestSettings(sqlite_url, cookie_secure=True), engine=sqlite_engine)
    client = app.test_client()
    add_user(sqlite_engine, "siti")
    token = csrf_token(client, base_url="https://admin.example")
    response = client.post(
        "/login",
        base_url="https://admin.example",
        data={"csrf_token": token, "username": "siti", "password": "kopi tubruk di serang"},
    )
    parts = _session_set_cookie(response)
    assert parts[0].startswith("__Host-graduasi=")
    flags = {p.split("=")[0].lower(): p for p in parts[1:]}
    assert {"secure", "httponly"} <= set(flags)
    assert flags["samesite"] == "SameSite=Lax"
    assert flags["path"] == "Path=/"
    assert "domain" not in flags  # a __Host- cookie must not carry one


# --- errors and escaping ----------------------------------------------------------------------------------


def test_error__database_failure__generic_500_without_traceback(
    client: FlaskClient, sqlite_engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    add_user(sqlite_engine, "siti")
    login(client, "siti")
    with sqlite_engine.begin() as conn:
        conn.execute(text("DROP TABLE anggota"))
    with caplog.at_level(logging.ERROR, logger="webadmin.errors"):
        response = client.get("/")
    assert response.status_code == 500
    assert "Terjadi kesalahan" in response.text
    for leak in ("Traceback", "anggota", "sqlite", "OperationalError", 'File "'):
        assert leak not in response.text
    assert any("unhandled error" in r.getMessage() and r.exc_info for r in caplog.records), "logged for staff"


def test_error__unknown_page__generic_404(client: FlaskClient) -> None:
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert "Halaman tidak ditemukan" in response.text


def test_error__method_not_allowed__405_with_allow(client: FlaskClient) -> None:
    response = client.put("/login")
    assert response.status_code == 405
    assert "POST" in response.headers["Allow"]


def test_dashboard__markup_in_region_name__escaped(
    client: FlaskClient, sqlite_engine: Engine, clock: MovableClock
) -> None:
    """Should show data text as text (no XSS from a region or submission value)."""
    seed_regions(sqlite_engine)
    with session_factory(sqlite_engine)() as db:
        db.get(Wilayah, "3601").nama = '<script>alert("x")</script>'  # type: ignore[union-attr]
        db.commit()
    seed_kpm(sqlite_engine, "K1", "3601")
    add_user(sqlite_engine, "siti")
    login(client, "siti")
    page = client.get("/").text
    assert '<script>alert("x")</script>' not in page
    assert "&lt;script&gt;" in page
