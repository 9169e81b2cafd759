"""Datasets and Entities against the captures 1210-1340: the simulator replays the captured calls in order and
must answer with the captured status, headers and bodies (timestamps masked: they are of the capture's day;
every timestamp has the same length, so Content-Length must match too)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from simulators.central import CentralStore, RunningServer, start_server
from simulators.central.replay import REPLAY_ADMIN_PASSWORD, load_capture_dataset
from tests.simulators.conftest import ADMIN_EMAIL, CAPTURE_DOMAIN, FIXTURES, login

META: dict[str, dict[str, Any]] = json.loads((FIXTURES / "_responses-meta.json").read_text(encoding="utf-8"))
_TS = re.compile(rb"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z")
_EXPRESS_ETAG = re.compile(r'^W/"[0-9a-f]+-[A-Za-z0-9+/]{27}"$')
DS = "rumah_tangga"
BUDI = "5a76c6b0-7b3c-4cf0-80fa-08d25240fadf"
SITI = "66653dc0-9299-40c2-a6e8-cf855a90d795"
AGUS = "68edd01d-03b9-4993-98fa-9f6ec9ce036f"


def masked(body: bytes) -> bytes:
    return _TS.sub(b"<ts>", body)


def assert_like_capture(name: str, reply: requests.Response) -> None:
    """Same status, same body up to timestamps, same headers (ETag: same kind)."""
    meta = META[name]
    assert reply.status_code == meta["status"], reply.text
    captured = (FIXTURES / name).read_bytes()
    assert masked(reply.content) == masked(captured), f"{name}:\n{reply.text}\n!=\n{captured.decode()}"
    for key, value in meta["headers"].items():
        if key in ("Date",):
            continue
        got = reply.headers.get(key)
        assert got is not None, f"{name}: header {key} missing"
        if key == "ETag":
            assert (
                _EXPRESS_ETAG.match(got) if value.startswith("W/") else re.fullmatch(r'"[0-9a-f]{32}"', got)
            )
        else:
            assert got == value, f"{name}: {key} is {got!r}, captured {value!r}"


@pytest.fixture(scope="module")
def captured_flow() -> Iterator[tuple[RunningServer, requests.Session, dict[str, requests.Response]]]:
    """Replays 1210-1340 in order (plus the three property additions the captures do not show) and keeps
    every answer by capture name."""
    store = load_capture_dataset(FIXTURES)
    with start_server(store, domain=CAPTURE_DOMAIN) as server:
        http = login(server.url, ADMIN_EMAIL, REPLAY_ADMIN_PASSWORD)
        http.headers["User-Agent"] = "python-requests/2.34.2"
        base = f"{server.url}/v1/projects/1/datasets"
        out: dict[str, requests.Response] = {}
        out["1210"] = http.post(base, json={"name": DS})
        for prop in ("nik", "kabupaten", "jumlah_anggota"):
            assert http.post(f"{base}/{DS}/properties", json={"name": prop}).json() == {"success": True}
        out["1220"] = http.post(
            f"{base}/{DS}/entities",
            json={"uuid": BUDI, "label": "RT Budi Santoso (3201)",
                  "data": {"nik": "3201221405800001", "kabupaten": "3201", "jumlah_anggota": "4"}},
        )  # fmt: skip
        out["1230"] = http.post(
            f"{base}/{DS}/entities",
            json={
                "entities": [
                    {"uuid": SITI, "label": "RT Siti Aminah (3273)",
                     "data": {"nik": "3273011203850002", "kabupaten": "3273", "jumlah_anggota": "3"}},
                    {"uuid": AGUS, "label": "RT Agus Wijaya (3578)",
                     "data": {"nik": "3578050708700003", "kabupaten": "3578", "jumlah_anggota": "6"}},
                ],
                "source": {"name": "rumah_tangga.csv", "size": 2},
            },
        )  # fmt: skip
        ext = {"X-Extended-Metadata": "true"}
        out["1240"] = http.get(f"{base}/{DS}", headers=ext)
        out["1250"] = http.get(f"{base}/{DS}/entities", headers=ext)
        out["1260"] = http.patch(
            f"{base}/{DS}/entities/{BUDI}?baseVersion=1", json={"data": {"jumlah_anggota": "5"}}
        )
        out["1270"] = http.get(f"{base}/{DS}/entities/{BUDI}/versions")
        out["1280"] = http.get(f"{base}/{DS}.svc")
        out["1290"] = http.get(f"{base}/{DS}.svc/$metadata")
        out["1300"] = http.get(f"{base}/{DS}.svc/Entities?$count=true")
        out["1310"] = http.get(f"{base}/{DS}.svc/Entities?$top=1")
        out["1320"] = http.delete(f"{base}/{DS}/entities/{BUDI}")
        out["1330"] = http.get(f"{base}/{DS}.svc/Entities?$filter=__system/deletedAt%20ne%20null")
        out["1340"] = http.get(f"{base}/{DS}/entities.csv")
        yield server, http, out


CAPTURES = [n for n in sorted(META) if 1210 <= int(n[:4]) <= 1340]


@pytest.mark.parametrize("name", CAPTURES)
def test_entity_capture__replayed_in_order__same_status_headers_and_body(captured_flow, name: str) -> None:
    """Should answer each dataset/entity call of 1210-1340 as the real Central did."""
    _, _, out = captured_flow
    assert_like_capture(name, out[name[:4]])


def test_entities__patch_without_current_base_version__409_15(captured_flow) -> None:
    """Should refuse a PATCH whose baseVersion is not the current version, and accept it with force=true."""
    server, http, _ = captured_flow
    url = f"{server.url}/v1/projects/1/datasets/{DS}/entities/{SITI}"
    stale = http.patch(f"{url}?baseVersion=7", json={"label": "RT Siti"})
    assert (stale.status_code, stale.json()["code"]) == (409, 409.15)
    assert "Current version of the Entity is '1' and you provided '7'" in stale.json()["message"]
    missing = http.patch(url, json={"label": "RT Siti"})
    assert missing.json()["details"] == {"current": "1", "provided": "undefined"}
    forced = http.patch(f"{url}?force=true", json={"label": "RT Siti Aminah"})
    assert forced.json()["currentVersion"]["version"] == 2


@pytest.mark.parametrize(
    ("body", "code", "text"),
    [
        (
            {"label": "x", "data": {"tidak_ada": "1"}},
            400.28,
            "dataset property [tidak_ada] which does not exist",
        ),
        ({"label": "x", "data": {"nik": 5}}, 400.11, "expected (nik) to be (string)"),
        ({"label": " ", "data": {}}, 400.8, "Label cannot be blank"),
        ({"data": {"nik": "1"}}, 400.2, "Required parameter label missing"),
        ({"uuid": "12345", "label": "x"}, 400.11, "valid version 4 UUID"),
        ({"label": "x", "name": "y"}, 400.31, "Expected parameters: (label, uuid, data)"),
        ({"entities": [], "source": {"name": "a"}}, 400.31, "empty array"),
        ({"entities": [{"label": "x"}]}, 400.2, "Required parameter source missing"),
        ({"uuid": SITI, "label": "again"}, 409.3, "A resource already exists"),
        ({"uuid": BUDI, "label": "deleted one"}, 409.19, "associated with deleted Entities"),
    ],
)
def test_entities__invalid_bodies__central_problems(
    captured_flow, body: dict, code: float, text: str
) -> None:
    """Should reject what Central rejects (lib/data/entity.js extractEntity, resources/entities.js)."""
    server, http, _ = captured_flow
    reply = http.post(f"{server.url}/v1/projects/1/datasets/{DS}/entities", json=body)
    assert (reply.status_code, reply.json()["code"]) == (int(code), code), reply.text
    assert text in reply.json()["message"]


def test_entities_odata__paging_by_skiptoken__every_live_entity_once_newest_first() -> None:
    """Should page $top=2 with a {"uuid"} skiptoken, newest first, and stop without a nextLink."""
    store = CentralStore()
    store.add_user("staf@example.test", "rahasia")
    store.add_project("Uji")
    store.create_dataset(1, "kpm")
    store.add_dataset_property(1, "kpm", "nama")
    admin = store.user("staf@example.test")
    made = store.create_entities(1, "kpm", [{"label": f"K{i}", "data": {"nama": str(i)}} for i in range(5)],
                                 creator=admin)  # fmt: skip
    with start_server(store) as server:
        http = login(server.url, "staf@example.test", "rahasia")
        url = f"{server.url}/v1/projects/1/datasets/kpm.svc/Entities?$top=2&$count=true"
        seen = []
        while url:
            page = http.get(url).json()
            assert page["@odata.count"] == 5
            seen += [row["__id"] for row in page["value"]]
            url = page.get("@odata.nextLink")
        assert seen == [e.uuid for e in reversed(made)]
        selected = http.get(f"{server.url}/v1/projects/1/datasets/kpm.svc/Entities?$select=__id,nama")
        assert selected.json()["value"][0] == {"__id": made[-1].uuid, "nama": "4"}
        # only the columns of lib/data/entity.js odataToColumnMap may be selected from __system
        version = http.get(f"{server.url}/v1/projects/1/datasets/kpm.svc/Entities?$select=__system/version")
        assert version.json()["code"] == 400.23
        bad = http.get(f"{server.url}/v1/projects/1/datasets/kpm.svc/Entities?$select=tidak_ada")
        assert (bad.status_code, bad.json()["code"]) == (400, 400.23)


def test_datasets__case_clash_and_duplicates__409() -> None:
    """Should refuse a second dataset of the same name (409.3) or differing only in case (409.16)."""
    store = CentralStore()
    store.add_user("staf@example.test", "rahasia")
    store.add_project("Uji")
    with start_server(store) as server:
        http = login(server.url, "staf@example.test", "rahasia")
        url = f"{server.url}/v1/projects/1/datasets"
        assert http.post(url, json={"name": "kpm"}).status_code == 200
        assert http.post(url, json={"name": "kpm"}).json()["code"] == 409.3
        assert http.post(url, json={"name": "KPM"}).json()["code"] == 409.16
        assert http.post(f"{url}/kpm/properties", json={"name": "nama"}).json() == {"success": True}
        assert http.post(f"{url}/kpm/properties", json={"name": "Nama"}).json()["code"] == 409.3
        assert [d["name"] for d in http.get(url).json()] == ["kpm"]
        patched = http.patch(f"{url}/kpm", json={"ownerOnly": True}).json()
        assert patched["ownerOnly"] is True and patched["approvalRequired"] is False
