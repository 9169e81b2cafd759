"""Logging in and out, the session's life (rotation, epoch, idle and absolute timeouts), login throttling,
the audit trail of logins, and account creation (webadmin/auth.py, webadmin/throttle.py)."""

from __future__ import annotations

import re

import pytest
from argon2 import PasswordHasher
from flask.testing import FlaskClient
from sqlalchemy import Engine, func, select, update

from tests.webadmin.support import (
    PASSWORD,
    MovableClock,
    add_user,
    csrf_token,
    get_user,
    login,
    post_with_token,
    seed_regions,
)
from warehouse.db import session_factory
from warehouse.models import AdminUser, AuditLog, LoginAttempt
from webadmin.auth import UserError, create_user
from webadmin.passwords import ARGON2_MEMORY_COST_KIB, ARGON2_TIME_COST

WRONG = "Nama pengguna atau kata sandi salah."
THROTTLED = "Terlalu banyak percobaan masuk yang gagal"


def audit_actions(engine: Engine) -> list[tuple[str, str | None]]:
    with session_factory(engine)() as db:
        return [
            (a, u)
            for a, u in db.execute(select(AuditLog.action, AuditLog.actor_username).order_by(AuditLog.id))
        ]


def session_cookie(client: FlaskClient) -> str | None:
    cookie = client.get_cookie("graduasi_session")
    return cookie.value if cookie else None


# --- logging in and out -----------------------------------------------------------------------------------


def test_login__right_password__dashboard_and_audited(client: FlaskClient, sqlite_engine: Engine) -> None:
    add_user(sqlite_engine, "Siti", full_name="Siti Rahmawati")
    response = login(client, "  SITI ", PASSWORD)  # usernames are trimmed and case-insensitive
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    page = client.get("/")
    assert page.status_code == 200
    assert "Siti Rahmawati" in page.text
    assert "Admin provinsi" in page.text
    assert audit_actions(sqlite_engine) == [("login.success", "siti")]
    assert get_user(sqlite_engine, "siti").last_login_at is not None


def test_login__wrong_password_or_unknown_user__same_answer(
    client: FlaskClient, sqlite_engine: Engine
) -> None:
    """Should answer a wrong password and an unknown username with the same status and message."""
    add_user(sqlite_engine, "siti")
    wrong = login(client, "siti", "not the password at all")
    unknown = login(client, "nobody", "not the password at all")
    assert wrong.status_code == unknown.status_code == 200
    assert WRONG in wrong.text and WRONG in unknown.text
    assert client.get("/").status_code == 302
    assert audit_actions(sqlite_engine) == [("login.failure", "siti"), ("login.failure", "nobody")]


def test_login__inactive_user__refused_like_a_wrong_password(
    client: FlaskClient, sqlite_engine: Engine
) -> None:
    add_user(sqlite_engine, "siti")
    with session_factory(sqlite_engine)() as db:
        db.execute(update(AdminUser).values(active=False))
        db.commit()
    response = login(client, "siti", PASSWORD)
    assert response.status_code == 200
    assert WRONG in response.text


def test_login__missing_fields__field_messages(client: FlaskClient) -> None:
    response = client.post("/login", data={"csrf_token": csrf_token(client), "username": "", "password": ""})
    assert response.status_code == 200
    assert "Isi nama pengguna." in response.text
    assert "Isi kata sandi." in response.text


@pytest.mark.parametrize(
    ("next_url", "expected"),
    [
        ("/%3Fper%3D2020-01-01", "/?per=2020-01-01"),
        ("//evil.example/", "/"),
        ("https://evil.example/", "/"),
        ("/%09/evil.example", "/"),
    ],
)
def test_login__next_parameter__only_local_paths(
    client: FlaskClient, sqlite_engine: Engine, next_url: str, expected: str
) -> None:
    """Should go back to the page asked for, but never to another site (no open redirect)."""
    add_user(sqlite_engine, "siti")
    response = login(client, "siti", next_url=next_url)
    assert response.status_code == 302
    assert response.headers["Location"] == expected


def test_anonymous__dashboard__redirected_to_login_with_next(client: FlaskClient) -> None:
    response = client.get("/?per=2020-01-01")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


def test_logout__post__ends_session_and_old_cookie_refused(
    client: FlaskClient, sqlite_engine: Engine
) -> None:
    """Should bump the account's session epoch so a copy of the old cookie no longer works."""
    add_user(sqlite_engine, "siti")
    login(client, "siti")
    stolen = session_cookie(client)
    assert client.get("/").status_code == 200

    response = post_with_token(client, "/logout", {})
    assert response.status_code == 302
    assert response.headers["Location"] == "/login"
    assert "Anda telah keluar." in client.get("/login").text
    assert client.get("/").status_code == 302

    client.set_cookie("graduasi_session", stolen)  # replay the cookie of before the logout
    replay = client.get("/")
    assert replay.status_code == 302
    assert replay.headers["Location"].startswith("/login")
    assert get_user(sqlite_engine, "siti").session_epoch == 1
    assert [a for a, _ in audit_actions(sqlite_engine)] == ["login.success", "logout"]


def test_logout__on_one_device__ends_the_others(app, sqlite_engine: Engine) -> None:  # type: ignore[no-untyped-def]
    add_user(sqlite_engine, "siti")
    office, home = app.test_client(), app.test_client()
    login(office, "siti")
    login(home, "siti")
    assert home.get("/").status_code == 200
    post_with_token(office, "/logout", {})
    assert home.get("/").status_code == 302
    assert "Sesi Anda telah berakhir" in home.get("/login").text


def test_logout__get__not_allowed(client: FlaskClient, sqlite_engine: Engine) -> None:
    """Should refuse a GET logout (state changes only by POST with a CSRF token)."""
    add_user(sqlite_engine, "siti")
    login(client, "siti")
    assert client.get("/logout").status_code == 405
    assert client.get("/").status_code == 200


def test_login__new_session__nothing_planted_survives(client: FlaskClient, sqlite_engine: Engine) -> None:
    """Should start a new session at login (session fixation): other cookie, planted keys gone, language kept."""
    add_user(sqlite_engine, "siti")
    client.get("/login")
    with client.session_transaction() as sess:
        sess["planted"] = "by an attacker"
        sess["lang"] = "en"
    before = session_cookie(client)
    login(client, "siti")
    after = session_cookie(client)
    assert before and after and before != after
    with client.session_transaction() as sess:
        assert "planted" not in sess
        assert sess["lang"] == "en"
        assert sess["_user_id"] == str(get_user(sqlite_engine, "siti").id)


def test_session__idle_over_30_minutes__expired(
    client: FlaskClient, sqlite_engine: Engine, clock: MovableClock
) -> None:
    add_user(sqlite_engine, "siti")
    login(client, "siti")
    for _ in range(3):  # activity keeps the session alive
        clock.advance(minutes=29)
        assert client.get("/").status_code == 200
    clock.advance(minutes=31)
    response = client.get("/")
    assert response.status_code == 302
    assert "Sesi Anda telah berakhir" in client.get("/login").text
    assert session_cookie(client) is not None  # a fresh anonymous session, not the old one
    with client.session_transaction() as sess:
        assert "_user_id" not in sess


def test_session__older_than_12_hours__expired_even_when_active(
    client: FlaskClient, sqlite_engine: Engine, clock: MovableClock
) -> None:
    add_user(sqlite_engine, "siti")
    login(client, "siti")
    for _ in range(28):  # 28 x 25 min = 11 h 40 min of steady use
        clock.advance(minutes=25)
        assert client.get("/").status_code == 200
    clock.advance(minutes=25)
    assert client.get("/").status_code == 302


def test_user__deactivated__refused_on_the_next_request(client: FlaskClient, sqlite_engine: Engine) -> None:
    add_user(sqlite_engine, "siti")
    login(client, "siti")
    assert client.get("/").status_code == 200
    with session_factory(sqlite_engine)() as db:
        db.execute(update(AdminUser).where(AdminUser.username == "siti").values(active=False))
        db.commit()
    assert client.get("/").status_code == 302


# --- throttling -------------------------------------------------------------------------------------------


def test_throttle__sixth_attempt_in_a_minute__429_even_with_right_password(
    client: FlaskClient, sqlite_engine: Engine, clock: MovableClock
) -> None:
    add_user(sqlite_engine, "siti")
    for _ in range(5):
        clock.advance(seconds=2)
        assert login(client, "siti", "wrong password!").status_code == 200
    refused = login(client, "siti", PASSWORD)
    assert refused.status_code == 429
    assert THROTTLED in refused.text
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert client.get("/").status_code == 302

    other_ip = login(client, "siti", PASSWORD, ip="10.9.8.7")
    assert other_ip.status_code == 429, "the username is throttled from every IP"

    clock.advance(seconds=int(refused.headers["Retry-After"]))
    assert login(client, "siti", PASSWORD).status_code == 302
    actions = [a for a, _ in audit_actions(sqlite_engine)]
    assert actions == ["login.failure"] * 5 + ["login.throttled"] * 2 + ["login.success"]


def test_throttle__unknown_username__throttled_the_same_way(client: FlaskClient, clock: MovableClock) -> None:
    """Should not reveal through throttling whether an account exists."""
    for _ in range(5):
        login(client, "ghost", "wrong password!")
    refused = login(client, "ghost", "wrong password!")
    assert refused.status_code == 429
    assert THROTTLED in refused.text


def test_throttle__21st_failure_in_an_hour__429_with_retry_after(
    client: FlaskClient, sqlite_engine: Engine, clock: MovableClock
) -> None:
    add_user(sqlite_engine, "siti")
    for _ in range(4):
        for _ in range(5):
            assert login(client, "siti", "wrong password!").status_code == 200
        clock.advance(seconds=61)  # below the per-minute limit every time
    refused = login(client, "siti", PASSWORD)
    assert refused.status_code == 429
    # the first failure leaves the hour window 60 min after it; 4 x 61 s have passed since
    assert int(refused.headers["Retry-After"]) == 3600 - 4 * 61
    clock.advance(seconds=3600 - 4 * 61)
    assert login(client, "siti", PASSWORD).status_code == 302


def test_throttle__51st_failure_from_one_ip__429_for_every_username(
    client: FlaskClient, sqlite_engine: Engine, clock: MovableClock
) -> None:
    add_user(sqlite_engine, "siti")
    for i in range(50):
        if i % 4 == 0:
            clock.advance(seconds=10)
        assert login(client, f"guess{i}", "wrong password!", ip="203.0.113.5").status_code == 200
    assert login(client, "siti", PASSWORD, ip="203.0.113.5").status_code == 429
    assert login(client, "siti", PASSWORD, ip="198.51.100.7").status_code == 302


def test_throttle__success__clears_the_username_count(
    client: FlaskClient, sqlite_engine: Engine, clock: MovableClock
) -> None:
    """Should not hold back a user who mistyped a few times, logged in, and mistypes again later."""
    add_user(sqlite_engine, "siti")
    for _ in range(4):
        login(client, "siti", "wrong password!")
    assert login(client, "siti", PASSWORD).status_code == 302
    post_with_token(client, "/logout", {})
    for _ in range(4):
        assert login(client, "siti", "wrong password!").status_code == 200
    assert login(client, "siti", PASSWORD).status_code == 302


def test_throttle__refused_attempt__not_counted_as_an_attempt(
    client: FlaskClient, sqlite_engine: Engine, clock: MovableClock
) -> None:
    """Should record only attempts that checked a password, so hammering does not extend the lockout."""
    for _ in range(5):
        login(client, "siti", "wrong password!")
    for _ in range(3):
        assert login(client, "siti", "wrong password!").status_code == 429
    with session_factory(sqlite_engine)() as db:
        assert db.scalar(select(func.count()).select_from(LoginAttempt)) == 5


# --- accounts and password hashes -------------------------------------------------------------------------


def test_create_user__argon2id_with_owasp_parameters(sqlite_engine: Engine) -> None:
    add_user(sqlite_engine, "siti")
    stored = get_user(sqlite_engine, "siti").password_hash
    match = re.fullmatch(r"\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$[^$]+\$[^$]+", stored)
    assert match, stored
    memory, time_cost, parallelism = map(int, match.groups())
    assert memory >= 19456 and time_cost >= 2 and parallelism == 1
    assert PASSWORD not in stored


def test_login__hash_with_old_parameters__rehashed(client: FlaskClient, sqlite_engine: Engine) -> None:
    add_user(sqlite_engine, "siti")
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=2).hash(PASSWORD)
    with session_factory(sqlite_engine)() as db:
        db.execute(update(AdminUser).values(password_hash=weak))
        db.commit()
    assert login(client, "siti", PASSWORD).status_code == 302
    stored = get_user(sqlite_engine, "siti").password_hash
    assert stored != weak
    assert f"m={ARGON2_MEMORY_COST_KIB},t={ARGON2_TIME_COST},p=1$" in stored


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"username": "x"}, "username"),
        ({"username": "bad name"}, "username"),
        ({"role": "superuser"}, "role"),
        ({"role": "kabupaten_operator"}, "kode_kabupaten"),
        ({"role": "province_admin", "kode_kabupaten": "3601"}, "kode_kabupaten"),
        ({"role": "viewer", "kode_kabupaten": "36-01"}, "kode_kabupaten"),
        ({"role": "viewer", "kode_kabupaten": "3699"}, "kode_kabupaten"),
        ({"password": "short"}, "password"),
        ({"password": "Jamsosratu2026!"}, "password"),
        ({"password": "PASSWORD123"}, "password"),
        ({"password": "Budi.Santoso 1"}, "password"),
        ({"full_name": "x" * 129}, "full_name"),
    ],
)
def test_create_user__invalid__error_names_the_field(sqlite_engine: Engine, kwargs: dict, field: str) -> None:
    seed_regions(sqlite_engine)
    args = {"username": "budi.santoso", "password": PASSWORD, "role": "viewer"} | kwargs
    with session_factory(sqlite_engine)() as db, pytest.raises(UserError) as caught:
        create_user(db, **args)
    assert caught.value.field == field
    assert str(caught.value)


def test_create_user__duplicate_username__refused(sqlite_engine: Engine) -> None:
    add_user(sqlite_engine, "siti")
    with session_factory(sqlite_engine)() as db, pytest.raises(UserError, match="already exists"):
        create_user(db, "SITI", PASSWORD, "viewer")


def test_create_user__operator_and_viewers__scopes_stored(sqlite_engine: Engine) -> None:
    seed_regions(sqlite_engine)
    add_user(sqlite_engine, "op", role="kabupaten_operator", kode_kabupaten="3601")
    add_user(sqlite_engine, "view_kab", role="viewer", kode_kabupaten="3602")
    add_user(sqlite_engine, "view_prov", role="viewer")
    assert get_user(sqlite_engine, "op").kode_kabupaten == "3601"
    assert get_user(sqlite_engine, "view_kab").kode_kabupaten == "3602"
    assert get_user(sqlite_engine, "view_prov").kode_kabupaten is None


def test_create_user__no_wilayah_loaded__any_four_digit_code_accepted(sqlite_engine: Engine) -> None:
    """Should accept a well-formed code when the region table is still empty (a fresh installation)."""
    add_user(sqlite_engine, "op", role="kabupaten_operator", kode_kabupaten="3604")
    assert get_user(sqlite_engine, "op").kode_kabupaten == "3604"


def test_throttle__attempts_older_than_an_hour__deleted_on_the_next_attempt(
    client: FlaskClient, sqlite_engine: Engine, clock: MovableClock
) -> None:
    """Should keep only the attempts that can still count, while the audit log keeps every login."""
    add_user(sqlite_engine, "siti")
    for _ in range(3):
        login(client, "siti", "wrong password!")
    clock.advance(minutes=61)
    assert login(client, "siti", PASSWORD).status_code == 302
    with session_factory(sqlite_engine)() as db:
        kept = db.execute(select(LoginAttempt.success)).scalars().all()
    assert kept == [True]
    assert [a for a, _ in audit_actions(sqlite_engine)] == ["login.failure"] * 3 + ["login.success"]
