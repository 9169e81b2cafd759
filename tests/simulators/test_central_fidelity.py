"""The acceptance test of the Central simulator: replay the captured data set and reproduce the captures.

* every captured GET of 0600-1030 (OData, REST submissions) and the form-definition captures 0270-0300 must come
  back byte for byte, with the captured status and headers (only Date and the eventhash digest are masked);
* the earlier and later captures of the same endpoints (0020-0030, 0200-0320, 1140-1200 after loading v2,
  1400-1730) must match in status, headers, keys and value types.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests

from simulators.central import CentralStore, RunningServer, start_server
from simulators.central.replay import REPLAY_ADMIN_PASSWORD, apply_v2_stage, load_capture_dataset
from tests.simulators.conftest import ADMIN_EMAIL, CAPTURE_DOMAIN, FIXTURES, FORM, login

META: dict[str, dict[str, Any]] = json.loads((FIXTURES / "_responses-meta.json").read_text(encoding="utf-8"))
_NOT_SIMULATED = re.compile(
    r"/formList|/submission(\?|$)|/submissions/[^/?]+(\.xml|/versions|/diffs|/audits|/attachments|/comments)"
    r"|/v1/audits|submissions\.csv|/draft|/datasets|/assignments|/app-users|\?publish=true"
)
_EVENTHASH = re.compile(r'^W/"eventhash:[0-9a-f]{32}"$')
_EXPRESS_ETAG = re.compile(r'^W/"[0-9a-f]+-[A-Za-z0-9+/]{27}"$')


def _number(name: str) -> int:
    return int(name[:4])


def _simulated(name: str) -> bool:
    meta = META[name]
    return not _NOT_SIMULATED.search(meta["path"]) and not name.endswith(
        (".zip-listing.txt", ".headers.json")
    )


def _names(low: int, high: int, *, methods: tuple[str, ...] = ("GET",)) -> list[str]:
    return [n for n in META if low <= _number(n) <= high and META[n]["method"] in methods and _simulated(n)]


EXACT = _names(270, 300) + _names(600, 1030)
SHAPED_BEFORE = [n for n in _names(20, 30) + _names(200, 320) if n not in EXACT]
SHAPED_V2 = _names(1140, 1200)
SHAPED_LATER = [
    n
    for n in _names(1400, 1730, methods=("GET", "POST", "DELETE", "PATCH"))
    if _number(n) not in (1630, 1640)
]


# --- sending a capture's request ----------------------------------------------------------------------------


class Replayer:
    """Sends a captured request to a simulator, with credentials of our own in place of the captured ones."""

    def __init__(self, server: RunningServer, store: CentralStore) -> None:
        self.server = server
        self.store = store
        self.http = login(server.url, ADMIN_EMAIL, REPLAY_ADMIN_PASSWORD)

    def fresh_token(self) -> str:
        return self.http.post(
            f"{self.server.url}/v1/sessions", json={"email": ADMIN_EMAIL, "password": REPLAY_ADMIN_PASSWORD}
        ).json()["token"]

    def send(self, name: str) -> requests.Response:
        meta = META[name]
        headers = {k: v for k, v in meta["request_headers"].items() if k != "Authorization"}
        auth = meta["request_headers"].get("Authorization", "")
        if auth.startswith("Bearer "):
            headers["Authorization"] = self.http.headers["Authorization"]
        elif auth.startswith("Basic "):
            basic = base64.b64encode(f"{ADMIN_EMAIL}:{REPLAY_ADMIN_PASSWORD}".encode()).decode()
            headers["Authorization"] = f"Basic {basic}"
        special = _SPECIAL.get(_number(name))
        if special is not None:
            return special(self, meta, headers)
        return requests.request(meta["method"], self.server.url + meta["path"], headers=headers, timeout=10)


def _invalid_token(r: Replayer, meta: dict[str, Any], headers: dict[str, str]) -> requests.Response:
    headers["Authorization"] = "Bearer not-a-real-token"
    return requests.get(r.server.url + meta["path"], headers=headers, timeout=10)


def _logged_out(r: Replayer, meta: dict[str, Any], headers: dict[str, str]) -> requests.Response:
    token = r.fresh_token()
    requests.delete(
        f"{r.server.url}/v1/sessions/current", headers={"Authorization": f"Bearer {token}"}, timeout=10
    )
    headers["Authorization"] = f"Bearer {token}"
    return requests.get(r.server.url + meta["path"], headers=headers, timeout=10)


def _expired(r: Replayer, meta: dict[str, Any], headers: dict[str, str]) -> requests.Response:
    token = r.fresh_token()
    r.store.expire_session(token)  # the capture forced expiresAt into the past in the database
    headers["Authorization"] = f"Bearer {token}"
    return requests.get(r.server.url + meta["path"], headers=headers, timeout=10)


def _logout(r: Replayer, meta: dict[str, Any], headers: dict[str, str]) -> requests.Response:
    headers["Authorization"] = f"Bearer {r.fresh_token()}"
    return requests.delete(r.server.url + meta["path"], headers=headers, timeout=10)


def _login_with(
    body: dict[str, str],
) -> Callable[[Replayer, dict[str, Any], dict[str, str]], requests.Response]:
    def send(r: Replayer, meta: dict[str, Any], headers: dict[str, str]) -> requests.Response:
        return requests.post(r.server.url + meta["path"], json=body, timeout=10)

    return send


def _bad_review(r: Replayer, meta: dict[str, Any], headers: dict[str, str]) -> requests.Response:
    return requests.patch(
        r.server.url + meta["path"], headers=headers, json={"reviewState": "verified"}, timeout=10
    )


def _conditional(r: Replayer, meta: dict[str, Any], headers: dict[str, str]) -> requests.Response:
    first = requests.get(r.server.url + meta["path"], headers=headers, timeout=10)
    headers["If-None-Match"] = first.headers["ETag"]
    return requests.get(r.server.url + meta["path"], headers=headers, timeout=10)


_SPECIAL: dict[int, Callable[[Replayer, dict[str, Any], dict[str, str]], requests.Response]] = {
    1400: _login_with({"email": ADMIN_EMAIL, "password": "wrong-password"}),
    1410: _login_with({"email": ADMIN_EMAIL}),
    1420: _invalid_token,
    1430: _logout,
    1440: _logged_out,
    1450: _expired,
    1620: _bad_review,
    1700: _conditional,
}


# --- comparing ------------------------------------------------------------------------------------------------


def _shape(value: Any, path: str = "", out: dict[str, set[str]] | None = None) -> dict[str, set[str]]:
    """Every key path of a JSON value with the JSON types seen there (list items share the path ``[]``)."""
    out = {} if out is None else out
    kind = (
        "null" if value is None else "bool" if isinstance(value, bool) else "number"
        if isinstance(value, (int, float)) else "string" if isinstance(value, str) else "object"
        if isinstance(value, dict) else "array"
    )  # fmt: skip
    out.setdefault(path, set()).add(kind)
    if isinstance(value, dict):
        for key, item in value.items():
            _shape(item, f"{path}/{key}", out)
    elif isinstance(value, list):
        for item in value:
            _shape(item, f"{path}[]", out)
    return out


def assert_same_shape(expected: Any, actual: Any) -> None:
    want, got = _shape(expected), _shape(actual)
    assert set(want) == set(got), (
        f"key paths differ: missing {set(want) - set(got)}, extra {set(got) - set(want)}"
    )
    for path, kinds in want.items():
        assert kinds <= got[path], f"{path}: captured types {kinds}, simulator gave {got[path]}"


def assert_headers(name: str, reply: requests.Response, *, exact: bool) -> None:
    for key, value in META[name]["headers"].items():
        if key == "Date":
            continue
        got = reply.headers.get(key)
        assert got is not None, f"{name}: header {key} missing (have {dict(reply.headers)})"
        if key == "ETag" and _EVENTHASH.match(value):
            assert _EVENTHASH.match(got), f"{name}: ETag {got!r} is not an eventhash ETag"
        elif key == "ETag" and not exact:
            assert _EXPRESS_ETAG.match(got), f"{name}: ETag {got!r} is not Express's weak ETag"
        elif key == "Content-Length" and not exact:
            assert got.isdigit()
        else:
            assert got == value, f"{name}: {key} is {got!r}, captured {value!r}"


def _captured_body(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


# --- servers --------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def base_replayer() -> Iterator[Replayer]:
    store = load_capture_dataset(FIXTURES)
    with start_server(store, domain=CAPTURE_DOMAIN) as server:
        yield Replayer(server, store)


@pytest.fixture(scope="module")
def v2_replayer() -> Iterator[Replayer]:
    store = load_capture_dataset(FIXTURES)
    apply_v2_stage(store, FIXTURES)
    with start_server(store, domain=CAPTURE_DOMAIN) as server:
        yield Replayer(server, store)


# --- the tests ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", EXACT)
def test_capture__in_replayed_state__reproduced_byte_for_byte(base_replayer: Replayer, name: str) -> None:
    """Should answer a captured GET of 0270-0300/0600-1030 with the captured status, body and headers."""
    reply = base_replayer.send(name)
    assert reply.status_code == META[name]["status"]
    assert reply.content == _captured_body(name)
    assert_headers(name, reply, exact=True)


@pytest.mark.parametrize("name", SHAPED_BEFORE)
def test_capture__before_the_mutations__same_status_headers_keys_and_types(
    base_replayer: Replayer, name: str
) -> None:
    """Should answer the earlier captures (taken before edits/reviews/deletes) with the same shapes."""
    reply = base_replayer.send(name)
    assert reply.status_code == META[name]["status"]
    assert_headers(name, reply, exact=False)
    assert_same_shape(json.loads(_captured_body(name)), reply.json())


@pytest.mark.parametrize("name", SHAPED_V2)
def test_capture__after_publishing_v2__same_status_headers_keys_and_types(
    v2_replayer: Replayer, name: str
) -> None:
    """Should answer the captures taken after v2 was published with the same shapes (schema ones exactly)."""
    reply = v2_replayer.send(name)
    assert reply.status_code == META[name]["status"]
    if name.startswith(("1150", "1160")):  # the field list and $metadata of v2 depend on the XML only
        assert reply.content == _captured_body(name)
        assert_headers(name, reply, exact=True)
        return
    assert_headers(name, reply, exact=False)
    assert_same_shape(json.loads(_captured_body(name)), reply.json())


@pytest.mark.parametrize("name", SHAPED_LATER)
def test_capture__auth_errors_and_paging__same_status_headers_keys_and_types(
    v2_replayer: Replayer, name: str
) -> None:
    """Should answer the error, auth and paging captures (1400-1730) with the same status, headers and shapes."""
    reply = v2_replayer.send(name)
    assert reply.status_code == META[name]["status"], reply.text
    assert_headers(name, reply, exact=False)
    captured = _captured_body(name)
    if name.endswith(".empty"):
        assert reply.content == b""
    elif name.endswith(".xml"):
        assert reply.content == captured  # the form XML an app user downloads is v2's, byte for byte
    else:
        assert_same_shape(json.loads(captured), reply.json())
        if json.loads(captured).get("code") is not None:
            assert reply.json() == json.loads(captured)  # error bodies are fixed texts


def test_capture__skiptoken_page_after_an_insert__no_duplicate_while_skip_repeats_one(
    v2_replayer: Replayer,
) -> None:
    """Should reproduce _paging-concurrency-observation.json: $skiptoken ignores a new row, $skip shifts."""
    observation = json.loads((FIXTURES / "_paging-concurrency-observation.json").read_text())
    store = load_capture_dataset(FIXTURES)
    apply_v2_stage(store, FIXTURES)
    with start_server(store, domain=CAPTURE_DOMAIN) as server:
        http = login(server.url, ADMIN_EMAIL, REPLAY_ADMIN_PASSWORD)
        base = f"{server.url}/v1/projects/1/forms/{FORM}.svc/Submissions?$top=5&$select=__id,__system/submissionDate"
        page1 = http.get(base).json()
        assert [r["__id"] for r in page1["value"]] == observation["page1"]
        skip_before = http.get(base + "&$skip=5").json()
        assert [r["__id"] for r in skip_before["value"]] == observation["page2_skip_before_insert"]
        store.submit(1, FORM, {"kondisi_rumah": "semi"}, instance_id=observation["inserted"],
                     submitter=store.form(1, FORM).project.app_users[0])  # fmt: skip
        next_link = page1["@odata.nextLink"].replace(CAPTURE_DOMAIN, server.url)
        page2 = http.get(next_link).json()
        skip_after = http.get(base + "&$skip=5").json()
    assert [r["__id"] for r in page2["value"]] == observation["page2_skiptoken"]
    assert [r["__id"] for r in skip_after["value"]] == observation["page2_skip_after_insert"]
    seen = {r["__id"] for r in page1["value"]}
    assert not seen & {r["__id"] for r in page2["value"]}
    assert len(seen & {r["__id"] for r in skip_after["value"]}) == observation["skip_dupes_with_page1"]


def test_capture__etag__304_until_a_change_then_a_new_eventhash(
    replay_server: RunningServer, replay_store: CentralStore
) -> None:
    """Should answer If-None-Match with 304 and the same eventhash, and change it on a review but not on an
    attachment upload (_etag-observations.json)."""
    http = login(replay_server.url, ADMIN_EMAIL, REPLAY_ADMIN_PASSWORD)
    url = f"{replay_server.url}/v1/projects/1/forms/{FORM}.svc/Submissions?$select=__id"
    first = http.get(url)
    etag = first.headers["ETag"]
    assert _EVENTHASH.match(etag)
    again = http.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["ETag"] == etag
    assert {k: again.headers[k] for k in ("Cache-Control", "Vary")} == {
        "Cache-Control": "private, no-cache",
        "Vary": "Accept-Encoding, Origin",
    }
    replay_store.attach(1, FORM, "uuid:bdd640fb-0667-4ad1-9c80-317fa3b1799d")
    assert http.get(url, headers={"If-None-Match": etag}).status_code == 304
    replay_store.review(1, FORM, "uuid:bdd640fb-0667-4ad1-9c80-317fa3b1799d", "approved")
    changed = http.get(url, headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag


def test_replay__store__matches_the_captured_counts(replay_store: CentralStore) -> None:
    """Should hold 19 live submissions, one deleted, two edits of one and one of another."""
    assert len(replay_store.live_ids(1, FORM)) == 19
    assert replay_store.deleted_ids(1, FORM) == ["uuid:6c307511-b2b9-437a-a8df-6ec4ce4a2bbd"]
    edited = replay_store.get(1, FORM, "uuid:bd9c66b3-ad3c-4d6d-9a3d-1fa7bc8960a9")
    assert edited.edits == 2 and edited.current_instance_id == "uuid:40a47bc1-442f-498e-b562-d540d253da61"
    restored = replay_store.get(1, FORM, "uuid:371ecd7b-27cd-4130-8722-9389571aa876")
    assert restored.deleted_at is None and restored.updated_at is None
