"""Sessions and authentication: Bearer tokens, expiry, logout, HTTP Basic over HTTPS only, app-user keys."""

from __future__ import annotations

import base64
from datetime import timedelta

import requests

from simulators.central import CentralStore, RunningServer, start_server
from tests.simulators.conftest import Clock, login

ODATA = "/v1/projects/1/forms/uji.svc/Submissions"


def basic(email: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{email}:{password}".encode()).decode()


def test_session__login__token_csrf_and_24h_expiry(sample_server: RunningServer) -> None:
    """Should return a 64-character token, a csrf token and expiresAt 24 h after createdAt."""
    body = requests.post(
        f"{sample_server.url}/v1/sessions", json={"email": "staf@example.test", "password": "rahasia"}
    ).json()
    assert len(body["token"]) == 64 and len(body["csrf"]) == 64
    from simulators.central.textfmt import parse_timestamp_literal

    lifetime = parse_timestamp_literal(body["expiresAt"]) - parse_timestamp_literal(body["createdAt"])
    assert lifetime == 24 * 3600 * 1_000_000


def test_session__bad_credentials__401_2_and_missing_field_400_3(sample_server: RunningServer) -> None:
    """Should answer a wrong password with 401.2 and a missing password with 400.3 naming the fields."""
    wrong = requests.post(
        f"{sample_server.url}/v1/sessions", json={"email": "staf@example.test", "password": "x"}
    )
    assert (wrong.status_code, wrong.json()["code"]) == (401, 401.2)
    assert wrong.headers["Cache-Control"] == "no-store" and wrong.headers["Vary"] == "*"
    missing = requests.post(f"{sample_server.url}/v1/sessions", json={"email": "staf@example.test"})
    assert missing.status_code == 400 and missing.json()["details"] == {
        "expected": ["email", "password"],
        "got": {"email": "staf@example.test"},
    }


def test_session__logout_and_garbage_token__401_2(sample_server: RunningServer) -> None:
    """Should refuse a logged-out or unknown token with 401.2 (no WWW-Authenticate)."""
    http = login(sample_server.url, "staf@example.test", "rahasia")
    assert http.get(sample_server.url + ODATA).status_code == 200
    assert http.delete(f"{sample_server.url}/v1/sessions/current").json() == {"success": True}
    after = http.get(sample_server.url + ODATA)
    assert (after.status_code, after.json()["code"]) == (
        401,
        401.2,
    ) and "WWW-Authenticate" not in after.headers
    garbage = requests.get(sample_server.url + "/v1/users/current", headers={"Authorization": "Bearer nope"})
    assert garbage.json()["code"] == 401.2


def test_session__lifetime_passes__token_expires() -> None:
    """Should expire a session when the store clock passes its lifetime."""
    clock = Clock(step=timedelta(0))
    store = CentralStore(clock=clock, session_lifetime=timedelta(minutes=5))
    store.add_user("a@example.test", "pw")
    with start_server(store) as server:
        http = login(server.url, "a@example.test", "pw")
        assert http.get(server.url + "/v1/users/current").status_code == 200
        clock.now += timedelta(minutes=6)
        assert http.get(server.url + "/v1/users/current").status_code == 401


def test_basic_auth__plain_http__401_3_unless_forwarded_https(sample_server: RunningServer) -> None:
    """Should accept HTTP Basic only over HTTPS: 401.3 on plain http, 200 behind X-Forwarded-Proto: https."""
    url = sample_server.url + ODATA
    plain = requests.get(url, headers={"Authorization": basic("staf@example.test", "rahasia")})
    assert (plain.status_code, plain.json()["code"]) == (401, 401.3)
    forwarded = requests.get(
        url, headers={"Authorization": basic("staf@example.test", "rahasia"), "X-Forwarded-Proto": "https"}
    )
    assert forwarded.status_code == 200
    wrong = requests.get(
        url, headers={"Authorization": basic("staf@example.test", "salah"), "X-Forwarded-Proto": "https"}
    )
    assert wrong.json()["code"] == 401.2


def test_anonymous__odata_401_3_projects_empty_current_user_404(sample_server: RunningServer) -> None:
    """Should ask OData clients for credentials (401.3), list no projects and know no current user."""
    assert requests.get(sample_server.url + ODATA).json()["code"] == 401.3
    assert requests.get(sample_server.url + "/v1/projects").json() == []
    assert requests.get(sample_server.url + "/v1/users/current").json()["code"] == 404.1


def test_app_user_key__form_xml_yes_odata_403_1(
    sample_server: RunningServer, sample_store: CentralStore
) -> None:
    """Should let an app-user key download the form XML but not read OData (403.1); a malformed key is 401.2."""
    token = sample_store.projects[1].app_users[0].token
    key = f"{sample_server.url}/v1/key/{token}"
    assert requests.get(f"{key}/projects/1/forms/uji.xml").text.startswith("<?xml")
    forbidden = requests.get(f"{key}/projects/1/forms/uji.svc/Submissions")
    assert (forbidden.status_code, forbidden.json()["code"]) == (403, 403.1)
    assert requests.get(f"{sample_server.url}/v1/key/short/projects/1/forms/uji.xml").json()["code"] == 401.2


def test_users_current__extended__verbs_and_preferences(sample_server: RunningServer) -> None:
    """Should add verbs and preferences to the current user with X-Extended-Metadata."""
    http = login(sample_server.url, "staf@example.test", "rahasia")
    plain = http.get(sample_server.url + "/v1/users/current").json()
    assert (
        plain["email"] == "staf@example.test"
        and plain["type"] == "user"
        and plain["lastLoginAt"].endswith("Z")
    )
    extended = http.get(
        sample_server.url + "/v1/users/current", headers={"X-Extended-Metadata": "true"}
    ).json()
    assert "submission.read" in extended["verbs"] and extended["preferences"] == {"site": {}, "projects": {}}


def test_session__chunked_request_body__read_and_connection_reused(sample_server: RunningServer) -> None:
    """Should read a chunked (streamed) JSON body and keep serving on the same connection."""

    def body():  # type: ignore[no-untyped-def]
        yield b'{"email": "staf@example.test",'
        yield b' "password": "rahasia"}'

    http = requests.Session()
    reply = http.post(
        f"{sample_server.url}/v1/sessions", data=body(), headers={"Content-Type": "application/json"}
    )
    assert reply.status_code == 200
    http.headers["Authorization"] = f"Bearer {reply.json()['token']}"
    assert http.get(f"{sample_server.url}/v1/projects").json()[0]["name"] == "Uji"
