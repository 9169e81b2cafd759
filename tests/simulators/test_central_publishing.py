"""Publishing against the captures 0040-0070 and 1110-1130: project, form created and published, app user,
form assignment, draft of v2, draft detail, publish. Bodies must match the captures up to what is the
server's own (timestamps, tokens, the project's actee id), headers too. Plus the draft/attachment rules that
no capture shows (API documentation, central-backend forms.js)."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from simulators.central import CentralStore, RunningServer, start_server
from tests.simulators.conftest import CAPTURE_DOMAIN, FIXTURES, T0, Clock, login, xform

META: dict[str, dict[str, Any]] = json.loads((FIXTURES / "_responses-meta.json").read_text(encoding="utf-8"))
_MASKS = [
    re.compile(rb"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z"),
    re.compile(rb"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"),
    re.compile(rb'"(token|csrf|draftToken)":"[A-Za-z0-9!$]{64}"'),
]
V1 = (FIXTURES / "forms" / "survei_rumah_tangga_v1.xml").read_bytes()
V2 = (FIXTURES / "forms" / "survei_rumah_tangga_v2.xml").read_bytes()
XML = {"Content-Type": "application/xml"}


def masked(body: bytes) -> bytes:
    for pattern in _MASKS:
        body = pattern.sub(lambda m: m.group(1) + b"<masked>" if m.groups() else b"<masked>", body)
    return body


def assert_like_capture(name: str, reply: requests.Response) -> None:
    meta = META[name]
    assert reply.status_code == meta["status"], reply.text
    captured = (FIXTURES / name).read_bytes()
    assert masked(reply.content) == masked(captured), f"{name}:\n{reply.text}\n!=\n{captured.decode()}"
    for key, value in meta["headers"].items():
        if key in ("Date", "ETag"):
            continue
        assert reply.headers.get(key) == value, f"{name}: {key}"


@pytest.fixture(scope="module")
def flow() -> Iterator[tuple[RunningServer, CentralStore, dict[str, requests.Response]]]:
    store = CentralStore()
    store.add_user("admin@example.test", "rahasia", actor_id=5)
    store.add_user("lain@example.test", "rahasia", actor_id=6)  # the capture's app user got id 7
    with start_server(store, domain=CAPTURE_DOMAIN) as server:
        http = login(server.url, "admin@example.test", "rahasia")
        v1 = f"{server.url}/v1"
        out: dict[str, requests.Response] = {}
        out["0040"] = http.post(f"{v1}/projects", json={"name": "Bansos Pilot Jawa Barat"})
        out["0050"] = http.post(f"{v1}/projects/1/forms?publish=true", data=V1, headers=XML)
        out["0060"] = http.post(f"{v1}/projects/1/app-users", json={"displayName": "Enumerator Bogor 01"})
        out["0070"] = http.post(f"{v1}/projects/1/forms/survei_rumah_tangga/assignments/app-user/7")
        out["1110"] = http.post(f"{v1}/projects/1/forms/survei_rumah_tangga/draft", data=V2, headers=XML)
        out["1120"] = http.get(
            f"{v1}/projects/1/forms/survei_rumah_tangga/draft", headers={"X-Extended-Metadata": "true"}
        )
        out["1130"] = http.post(f"{v1}/projects/1/forms/survei_rumah_tangga/draft/publish")
        yield server, store, out


@pytest.mark.parametrize("name", ["0040-post-projects.json", "0050-post-form-publish.json",
                                  "0060-post-app-users.json", "0070-post-form-assignment-app-user.json",
                                  "1110-post-form-draft.json", "1120-get-form-draft-extended.json",
                                  "1130-post-form-draft-publish.json"])  # fmt: skip
def test_publishing_capture__replayed_in_order__same_status_headers_and_body(flow, name: str) -> None:
    """Should answer each publishing call as the real Central did."""
    _, _, out = flow
    assert_like_capture(name, out[name[:4]])


def test_publishing__after_the_flow__two_versions_and_the_assignment(flow) -> None:
    """Should hold v2 as current and v1 in the versions list, and the app user on the form's app-user role."""
    server, store, _ = flow
    http = login(server.url, "admin@example.test", "rahasia")
    base = f"{server.url}/v1/projects/1/forms/survei_rumah_tangga"
    assert [v["version"] for v in http.get(f"{base}/versions").json()] == ["2026112802", "2026112801"]
    assert http.get(f"{base}/draft").json()["code"] == 404.1
    assert http.get(f"{base}/assignments").json() == [{"actorId": 7, "roleId": 2}]
    assert [a["displayName"] for a in http.get(f"{base}/assignments/app-user").json()] == [
        "Enumerator Bogor 01"
    ]
    again = http.post(f"{base}/assignments/app-user/7")
    assert (again.status_code, again.json()["code"]) == (409, 409.3)
    users = http.get(f"{server.url}/v1/projects/1/app-users").json()
    assert [(u["id"], len(u["token"])) for u in users] == [(7, 64)]


# --- drafts and attachments ---------------------------------------------------------------------------------

FORM_MD = """
| survey   |                             |          |          |
|          | type                        | name     | label    |
|          | select_one_from_file kpm.csv | id_kpm  | KPM      |
|          | select_one_from_file desa.csv | desa   | Desa     |
|          | text                        | catatan  | Catatan  |
| settings |                             |          |          |
|          | form_id                     | version  |          |
|          | uji_kpm                     | {v}      |          |
"""


@pytest.fixture
def drafts() -> Iterator[tuple[RunningServer, CentralStore, requests.Session]]:
    store = CentralStore(clock=Clock(T0))
    store.add_user("staf@example.test", "rahasia")
    store.add_project("Uji")
    with start_server(store) as server:
        yield server, store, login(server.url, "staf@example.test", "rahasia")


def test_draft__new_form_with_dataset_attachment__linked_uploaded_published(drafts) -> None:
    """Should create a draft-only form, link kpm.csv to the existing kpm dataset, take desa.csv, publish it
    and serve the dataset to an app user as the attachment Collect downloads."""
    server, store, http = drafts
    v1 = f"{server.url}/v1/projects/1"
    assert http.post(f"{v1}/datasets", json={"name": "kpm"}).status_code == 200
    http.post(f"{v1}/datasets/kpm/properties", json={"name": "nama_pengurus"})
    created = http.post(f"{v1}/forms?ignoreWarnings=true&publish=false", data=xform(FORM_MD.format(v="1")),
                        headers=XML).json()  # fmt: skip
    assert created["publishedAt"] is None and len(created["draftToken"]) == 64
    assert http.get(f"{v1}/forms/uji_kpm").json()["publishedAt"] is None
    listing = {a["name"]: a for a in http.get(f"{v1}/forms/uji_kpm/draft/attachments").json()}
    assert list(listing) == ["desa.csv", "kpm.csv"]
    assert listing["kpm.csv"]["datasetExists"] is True  # auto-linked: a dataset of that name exists
    assert listing["desa.csv"]["exists"] is False
    desa = b"name,label\n1,Desa A\n"
    up = http.post(f"{v1}/forms/uji_kpm/draft/attachments/desa.csv", data=desa).json()
    assert (up["blobExists"], up["hash"]) == (True, hashlib.md5(desa).hexdigest())
    assert http.post(f"{v1}/forms/uji_kpm/draft/attachments/other.csv", data=b"x").json()["code"] == 404.1
    assert http.post(f"{v1}/forms/uji_kpm/draft/publish").json() == {"success": True}
    published = {a["name"]: a for a in http.get(f"{v1}/forms/uji_kpm/attachments").json()}
    assert published["kpm.csv"]["datasetExists"] and published["desa.csv"]["blobExists"]
    meta = http.get(f"{v1}/datasets/kpm").json()
    assert meta["linkedForms"] == [{"xmlFormId": "uji_kpm", "name": "uji_kpm"}]
    store.create_entities(1, "kpm", [{"label": "K1", "data": {"nama_pengurus": "Siti"}}],
                          creator=store.user("staf@example.test"))  # fmt: skip
    phone = store.add_app_user(1, "HP 1")
    csv_text = requests.get(
        f"{server.url}/v1/key/{phone.token}/projects/1/forms/uji_kpm/attachments/kpm.csv"
    ).text
    assert csv_text.splitlines()[0] == "name,label,__version,nama_pengurus"
    assert csv_text.splitlines()[1].endswith(",K1,1,Siti")


def test_draft__same_version_again__publish_409_6_and_version_param_fixes_it(drafts) -> None:
    """Should accept a draft whose version Central already has but refuse to publish it (409.6); ?version=
    renames it in place."""
    server, _, http = drafts
    v1 = f"{server.url}/v1/projects/1"
    http.post(f"{v1}/forms?publish=true", data=xform(FORM_MD.format(v="1")), headers=XML)
    changed = xform(FORM_MD.format(v="1")).replace("Catatan", "Catatan pendamping")
    assert http.post(f"{v1}/forms/uji_kpm/draft", data=changed, headers=XML).json() == {"success": True}
    refused = http.post(f"{v1}/forms/uji_kpm/draft/publish").json()
    assert refused["code"] == 409.6 and "version '1'" in refused["message"]
    assert http.post(f"{v1}/forms/uji_kpm/draft/publish?version=2").json() == {"success": True}
    assert http.get(f"{v1}/forms/uji_kpm").json()["version"] == "2"
    assert 'version="2"' in http.get(f"{v1}/forms/uji_kpm.xml").text


def test_draft__removed_field_is_a_warning_and_a_type_change_an_error(drafts) -> None:
    """Should warn (400.16) about a published field dropped unless ignoreWarnings, and refuse a type change
    (400.17)."""
    server, _, http = drafts
    v1 = f"{server.url}/v1/projects/1"
    http.post(f"{v1}/forms?publish=true", data=xform(FORM_MD.format(v="1")), headers=XML)
    dropped = xform(
        FORM_MD.format(v="2").replace(
            "|          | text                        | catatan  | Catatan  |\n", ""
        )
    )
    warned = http.post(f"{v1}/forms/uji_kpm/draft", data=dropped, headers=XML).json()
    assert warned["code"] == 400.16
    assert warned["details"]["warnings"]["workflowWarnings"][0]["details"] == ["catatan"]
    assert (
        http.post(f"{v1}/forms/uji_kpm/draft?ignoreWarnings=true", data=dropped, headers=XML).status_code
        == 200
    )
    retyped = xform(
        FORM_MD.format(v="3").replace(
            "| text                        | catatan", "| integer                     | catatan"
        )
    )
    refused = http.post(f"{v1}/forms/uji_kpm/draft?ignoreWarnings=true", data=retyped, headers=XML).json()
    assert refused["code"] == 400.17 and "/catatan" in refused["message"]
    xlsx = http.post(
        f"{v1}/forms",
        data=b"PK..",
        headers={"Content-Type": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
    )
    assert xlsx.json()["code"] == 501.3


def test_app_users__create_list_revoke__token_stops_working(drafts) -> None:
    """Should list app users newest first with their tokens; a revoked app user's key is refused."""
    server, _, http = drafts
    v1 = f"{server.url}/v1/projects/1"
    http.post(f"{v1}/forms?publish=true", data=xform(FORM_MD.format(v="1")), headers=XML)
    a = http.post(f"{v1}/app-users", json={"displayName": "PD-1"}).json()
    b = http.post(f"{v1}/app-users", json={"displayName": "PD-2"}).json()
    assert [u["displayName"] for u in http.get(f"{v1}/app-users").json()] == ["PD-2", "PD-1"]
    key = f"{server.url}/v1/key/{a['token']}/projects/1/forms/uji_kpm.xml"
    assert requests.get(key).status_code == 200
    assert http.delete(f"{v1}/app-users/{a['id']}").json() == {"success": True}
    assert requests.get(key).status_code == 403
    assert [u["id"] for u in http.get(f"{v1}/app-users").json()] == [b["id"]]
    assert http.post(f"{v1}/app-users", json={}).json()["code"] == 400.2


def test_pyodk__forms_app_users_entity_lists__work_against_the_simulator(drafts, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Should serve pyodk's own publishing and entity calls: forms.create with an attachment, forms.update,
    projects.create_app_users with forms, entity_lists.create/add_property, entities.create_many/update/merge."""
    from pyodk._utils.config import CentralConfig, Config
    from pyodk._utils.session import Session
    from pyodk.client import Client

    server, store, _ = drafts
    config = Config(central=CentralConfig(base_url=server.url, username="staf@example.test", password="rahasia",
                                          default_project_id=1))  # fmt: skip
    session = Session(base_url=server.url, api_version="v1", username="staf@example.test", password="rahasia",
                      cache_path=None)  # fmt: skip
    desa = tmp_path / "desa.csv"
    desa.write_text("name,label\n1,Desa A\n", encoding="utf-8")
    with Client(config=config, session=session) as client:
        client.entity_lists.create(entity_list_name="kpm")
        client.entity_lists.add_property(name="nama", entity_list_name="kpm")
        created = client.forms.create(definition=xform(FORM_MD.format(v="1")), attachments=[desa])
        assert created.xmlFormId == "uji_kpm"
        client.forms.update("uji_kpm", definition=xform(FORM_MD.format(v="2")))
        users = client.projects.create_app_users(display_names=["PD-1", "PD-2"], forms=["uji_kpm"])
        assert {u.displayName for u in users} == {"PD-1", "PD-2"}
        assert client.projects.create_app_users(display_names=["PD-1"], forms=["uji_kpm"]) == []
        client.entities.create_many([{"label": "K1", "nama": "Siti"}, {"label": "K2", "nama": "Ani"}],
                                    entity_list_name="kpm")  # fmt: skip
        listed = client.entities.list(entity_list_name="kpm")
        one = next(e for e in listed if e.currentVersion.label == "K1")
        client.entities.update(one.uuid, entity_list_name="kpm", data={"nama": "Siti A"}, base_version=1)
        client.entities.merge([{"label": "K1", "nama": "Siti B"}, {"label": "K3", "nama": "Rina"}],
                              entity_list_name="kpm", match_keys=["label"])  # fmt: skip
    form = store.form(1, "uji_kpm")
    assert [v.version for v in form.versions] == ["1", "2"]
    assert form.current.attachments["desa.csv"].blob == desa.read_bytes()  # carried over to version 2
    assert form.current.attachments["kpm.csv"].dataset == "kpm"
    assert {(r, a) for r, a in form.assignments} == {(2, a.id) for a in store.projects[1].app_users}
    data = {e.label: e.data["nama"] for e in store.dataset(1, "kpm").newest_first()}
    assert data == {"K1": "Siti B", "K2": "Ani", "K3": "Rina"}
