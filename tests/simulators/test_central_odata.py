"""OData over real HTTP: paging, filters, deleted rows, $select/$expand/$wkt, ETags, repeat tables, REST."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import requests

from simulators.central import CentralStore, RunningServer, start_server
from simulators.central.textfmt import iso_ms
from tests.simulators.conftest import T0, Clock, login

FORM = "uji"


def odata(server: RunningServer, table: str = "Submissions", query: str = "") -> str:
    return f"{server.url}/v1/projects/1/forms/{FORM}.svc/{table}" + (f"?{query}" if query else "")


def add(store: CentralStore, n: int, **kw: Any) -> list[str]:
    """Submit n small submissions; returns their ids, oldest first."""
    app_user = store.projects[1].app_users[0]
    ids = []
    for i in range(n):
        data = {
            "nama": f"KPM {i}",
            "umur": i,
            "anggota": [{"nama_anggota": f"A{i}-{j}"} for j in range(i % 3)],
        }
        ids.append(store.submit(1, FORM, data, submitter=app_user, **kw).instance_id)
    return ids


def follow(http: requests.Session, url: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    seen = set()
    while url:
        assert url not in seen, "nextLink loops"
        seen.add(url)
        page = http.get(url)
        page.raise_for_status()
        body = page.json()
        rows += body["value"]
        url = body.get("@odata.nextLink")
    return rows


def test_paging__skiptoken__newest_first_and_complete(sample_server: RunningServer, sample_store: CentralStore,
                                                       sample_http: requests.Session) -> None:  # fmt: skip
    """Should page newest first with $skiptoken nextLinks that keep the other options, covering every row once."""
    ids = add(sample_store, 12)
    first = sample_http.get(odata(sample_server, query="$top=5&$count=true&$select=__id")).json()
    assert first["@odata.count"] == 12
    assert "%24count=true" in first["@odata.nextLink"] and "%24select=__id" in first["@odata.nextLink"]
    assert first["@odata.nextLink"].startswith(
        sample_server.url + "/v1/projects/1/forms/uji.svc/Submissions?"
    )
    rows = follow(sample_http, odata(sample_server, query="$top=5&$select=__id"))
    assert [r["__id"] for r in rows] == list(reversed(ids))


def test_paging__insert_between_pages__skiptoken_stable_skip_shifts(sample_server: RunningServer,
                                                                    sample_store: CentralStore,
                                                                    sample_http: requests.Session) -> None:  # fmt: skip
    """Should not repeat a row on the skiptoken page after an insert, while $skip repeats the boundary row."""
    add(sample_store, 10)
    page1 = sample_http.get(odata(sample_server, query="$top=5&$select=__id")).json()
    add(sample_store, 1)
    page2 = sample_http.get(page1["@odata.nextLink"]).json()
    skip2 = sample_http.get(odata(sample_server, query="$top=5&$skip=5&$select=__id")).json()
    first_ids = {r["__id"] for r in page1["value"]}
    assert not first_ids & {r["__id"] for r in page2["value"]}
    assert len(first_ids & {r["__id"] for r in skip2["value"]}) == 1
    assert "%24skip=" not in skip2["@odata.nextLink"] and "%24skiptoken=" in skip2["@odata.nextLink"]


def test_paging__equal_submission_dates_across_pages__each_row_once() -> None:
    """Should order ties by id, so 250 rows with one submissionDate page without loss or repeat (F12)."""
    store = CentralStore(clock=Clock(step=timedelta(0)))
    admin = store.add_user("staf@example.test", "rahasia")
    store.add_project("Uji")
    store.add_app_user(1, "P")
    from tests.simulators.conftest import SAMPLE_MD, xform

    store.publish_form(1, xform(SAMPLE_MD), by=admin)
    ids = add(store, 250)
    assert len({s.created_us for s in store.form(1, FORM).subs}) == 1
    with start_server(store) as server:
        http = login(server.url, "staf@example.test", "rahasia")
        rows = follow(http, odata(server, query="$top=100&$select=__id,__system/submissionDate"))
    assert sorted(r["__id"] for r in rows) == sorted(ids) and len(rows) == 250


def test_paging__anchor_purged__empty_page_without_nextlink(sample_server: RunningServer, sample_store: CentralStore,
                                                            sample_http: requests.Session) -> None:  # fmt: skip
    """Should answer 200 with no rows when the $skiptoken's submission was deleted and purged (central#608)."""
    add(sample_store, 6)
    page1 = sample_http.get(odata(sample_server, query="$top=3&$select=__id")).json()
    anchor = page1["value"][-1]["__id"]
    sample_store.delete(1, FORM, anchor)
    still = sample_http.get(page1["@odata.nextLink"]).json()  # deleted but not purged: the cursor still works
    assert len(still["value"]) == 3
    sample_store.purge(1, FORM)
    gone = sample_http.get(page1["@odata.nextLink"]).json()
    assert gone["value"] == [] and "@odata.nextLink" not in gone


def test_paging__orderby_with_top__nextlink_then_501(sample_server: RunningServer, sample_store: CentralStore,
                                                     sample_http: requests.Session) -> None:  # fmt: skip
    """Should sort by $orderby, still emit a nextLink with $top, and answer 501.1 when it is followed."""
    ids = add(sample_store, 4)
    page = sample_http.get(
        odata(sample_server, query="$orderby=__system/submissionDate asc&$top=2&$select=__id")
    ).json()
    assert [r["__id"] for r in page["value"]] == ids[:2]
    followed = sample_http.get(page["@odata.nextLink"])
    assert followed.status_code == 501 and followed.json()["code"] == 501.1


@pytest.mark.parametrize(
    ("query", "status", "code"),
    [
        ("$top=-1", 500, None),
        ("$top=5&$skiptoken=abc", 400, 400.35),
        ("$filter=nama eq 'x'", 501, 501.5),
        ("$filter=__system/submissionDate gt", 400, 400.18),
        ("$filter=__system/submissionDate gt 'kemarin'", 500, None),
        ("$filter=__system/submitterId eq 'abc'", 400, 400.11),
        ("$filter=contains(__id,'x')", 501, 501.4),
        ("$select=tidak_ada", 400, 400.23),
        ("$select=anggota/nama_anggota", 400, 400.24),
        ("$expand=*&$select=__id", 501, 501.11),
        ("$expand=anggota", 501, 501.6),
        ("$foo=1", 501, 501.1),
    ],
)
def test_odata__bad_queries__central_errors(sample_server: RunningServer, sample_http: requests.Session,
                                            query: str, status: int, code: float | None) -> None:  # fmt: skip
    """Should reject bad queries with Central's status and problem code."""
    reply = sample_http.get(odata(sample_server, query=query))
    assert reply.status_code == status
    assert reply.json().get("code") == code


def test_filter__incremental_queries__three_valued_sql_semantics(sample_server: RunningServer,
                                                                 sample_store: CentralStore,
                                                                 sample_http: requests.Session) -> None:  # fmt: skip
    """Should filter on __system fields with and/or/not, null, dates and parentheses like PostgreSQL would."""
    ids = add(sample_store, 6)
    cut = sample_store.get(1, FORM, ids[2]).submission_date
    sample_store.review(1, FORM, ids[0], "approved")
    sample_store.delete(1, FORM, ids[1])

    def select(filt: str) -> set[str]:
        body = sample_http.get(odata(sample_server, query=f"$filter={filt}&$select=__id")).json()
        return {r["__id"] for r in body["value"]}

    iso = cut.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    assert select(f"__system/submissionDate gt {iso}") == set(ids[3:])
    assert select(f"__system/submissionDate ge {iso}") == set(ids[2:])
    assert select("__system/updatedAt ne null") == {ids[0]}
    assert select("not __system/updatedAt gt 2000-01-01") == set()  # NOT NULL is NULL: null rows excluded too
    assert select("__system/updatedAt eq null and __system/reviewState eq null") == {
        ids[2],
        ids[3],
        ids[4],
        ids[5],
    }
    assert select(
        f"__system/submissionDate gt {iso} or __system/updatedAt gt {iso} or __system/deletedAt gt {iso}"
    ) == (set(ids[3:]) | {ids[0], ids[1]})
    assert select("__system/deletedAt ne null") == {ids[1]}
    assert select(f"(__id eq '{ids[4]}' or __id eq '{ids[5]}') and __system/reviewState eq null") == {
        ids[4],
        ids[5],
    }
    assert select(f"year(__system/submissionDate) eq {cut.year}") == set(ids) - {ids[1]}
    rows = sample_http.get(
        odata(
            sample_server,
            "Submissions.anggota",
            f"$filter=$root/Submissions/__system/submissionDate gt {iso}",
        )
    ).json()["value"]
    assert {r["__Submissions-id"] for r in rows} == {ids[4], ids[5]}  # i % 3 members: 3 -> 0, 4 -> 1, 5 -> 2
    sub_error = sample_http.get(
        odata(sample_server, "Submissions.anggota", "$filter=__system/submissionDate gt 2000-01-01")
    )
    assert sub_error.status_code == 501


def test_deleted__hidden_unless_filtered__restore_brings_back(sample_server: RunningServer,
                                                              sample_store: CentralStore,
                                                              sample_http: requests.Session) -> None:  # fmt: skip
    """Should hide a deleted row from Submissions, single record and REST, show it with a deletedAt filter."""
    ids = add(sample_store, 3)
    sample_store.delete(1, FORM, ids[1])
    listed = sample_http.get(odata(sample_server, query="$count=true&$select=__id")).json()
    assert listed["@odata.count"] == 2 and ids[1] not in {r["__id"] for r in listed["value"]}
    assert sample_http.get(odata(sample_server, f"Submissions('{ids[1]}')")).status_code == 404
    rest = f"{sample_server.url}/v1/projects/1/forms/{FORM}/submissions"
    assert sample_http.get(f"{rest}/{ids[1]}").status_code == 404
    assert [s["instanceId"] for s in sample_http.get(f"{rest}?deleted=true").json()] == [ids[1]]
    shown = sample_http.get(
        odata(sample_server, query="$filter=__system/deletedAt ne null&$select=__id,__system/deletedAt")
    )
    assert [r["__id"] for r in shown.json()["value"]] == [ids[1]]
    assert sample_http.post(f"{rest}/{ids[1]}/restore").json() == {"success": True}
    restored = sample_store.get(1, FORM, ids[1])
    assert restored.deleted_at is None and restored.updated_at is None


def test_etag__changes_on_data_events_only(sample_server: RunningServer, sample_store: CentralStore,
                                           sample_http: requests.Session) -> None:  # fmt: skip
    """Should move the eventhash on create, edit, review, delete and restore, not on an attachment upload."""
    ids = add(sample_store, 2)
    url = odata(sample_server)
    app_user = sample_store.projects[1].app_users[0]

    def etag() -> str:
        reply = sample_http.get(url)
        assert reply.headers["Transfer-Encoding"] == "chunked"
        return reply.headers["ETag"]

    seen = [etag()]
    actions = [
        lambda: sample_store.attach(1, FORM, ids[0]),
        lambda: add(sample_store, 1),
        lambda: sample_store.edit(1, FORM, ids[0], {"nama": "baru"}, submitter=app_user),
        lambda: sample_store.review(1, FORM, ids[1], "rejected"),
        lambda: sample_store.delete(1, FORM, ids[1]),
        lambda: sample_store.restore(1, FORM, ids[1]),
    ]
    for action in actions:
        action()
        seen.append(etag())
    assert seen[1] == seen[0]  # attachment upload: unchanged
    assert len(set(seen[1:])) == 6
    assert sample_http.get(url, headers={"If-None-Match": seen[-1]}).status_code == 304


def test_edit__version_semantics__id_stable_metadata_moves(sample_server: RunningServer,
                                                           sample_store: CentralStore,
                                                           sample_http: requests.Session) -> None:  # fmt: skip
    """Should keep __id and submissionDate, set updatedAt, edits+1, reviewState edited and a new instanceID."""
    (iid,) = add(sample_store, 1)
    sample_store.review(1, FORM, iid, "approved")
    admin = sample_store.user("staf@example.test")
    edited = sample_store.edit(1, FORM, iid, {"nama": "Baru"}, instance_id="uuid:new-1", submitter=admin)
    row = sample_http.get(odata(sample_server, f"Submissions('{iid}')")).json()["value"][0]
    assert row["__id"] == iid and row["meta"]["instanceID"] == "uuid:new-1" and row["nama"] == "Baru"
    system = row["__system"]
    assert system["edits"] == 1 and system["reviewState"] == "edited"
    assert system["updatedAt"] == iso_ms(edited.current.created_us) != system["submissionDate"]
    assert system["submitterId"] == str(sample_store.projects[1].app_users[0].id)  # the original submitter
    rest = sample_http.get(f"{sample_server.url}/v1/projects/1/forms/{FORM}/submissions/{iid}",
                           headers={"X-Extended-Metadata": "true"}).json()  # fmt: skip
    assert rest["instanceId"] == iid and rest["currentVersion"]["instanceId"] == "uuid:new-1"
    assert rest["currentVersion"]["submitter"]["id"] == admin.id and rest["submitter"]["type"] == "field_key"
    assert rest["createdAt"] == system["submissionDate"] and rest["updatedAt"] == system["updatedAt"]


def test_repeat_tables__paging_navigation_and_expand(sample_server: RunningServer, sample_store: CentralStore,
                                                     sample_http: requests.Session) -> None:  # fmt: skip
    """Should page repeat tables by repeatId tokens, navigate to one submission's rows and expand inline."""
    app_user = sample_store.projects[1].app_users[0]
    data = {"anggota": [{"nama_anggota": f"A{j}", "pendidikan": [{"jenjang": "SD"}] * j} for j in range(4)]}
    iid = sample_store.submit(1, FORM, data, submitter=app_user).instance_id
    add(sample_store, 5)
    rows = follow(sample_http, odata(sample_server, "Submissions.anggota", "$top=2"))
    all_rows = sample_http.get(odata(sample_server, "Submissions.anggota", "$count=true")).json()
    assert rows == all_rows["value"] and all_rows["@odata.count"] == len(rows) == 4 + 0 + 1 + 2 + 0 + 1
    skipped = sample_http.get(odata(sample_server, "Submissions.anggota", "$top=3&$skip=4")).json()
    assert skipped["value"] == rows[4:7] and "@odata.nextLink" in skipped
    mine = sample_http.get(odata(sample_server, f"Submissions('{iid}')/anggota", "$top=3")).json()
    assert [r["nama_anggota"] for r in mine["value"]] == ["A0", "A1", "A2"]
    assert "%24skiptoken=01" in mine["@odata.nextLink"]
    nested = sample_http.get(odata(sample_server, "Submissions.anggota.pendidikan")).json()["value"]
    assert len(nested) == 0 + 1 + 2 + 3
    parent = mine["value"][2]["__id"]
    deep = sample_http.get(
        odata(sample_server, f"Submissions('{iid}')/anggota('{parent}')/pendidikan")
    ).json()
    assert len(deep["value"]) == 2 and all(r["__Submissions-anggota-id"] == parent for r in deep["value"])
    expanded = sample_http.get(odata(sample_server, f"Submissions('{iid}')", "$expand=*")).json()["value"][0]
    assert [len(a.get("pendidikan", [])) for a in expanded["anggota"]] == [0, 1, 2, 3]
    bad = sample_http.get(
        odata(sample_server, "Submissions.anggota", "$skiptoken=01eyJyZXBlYXRJZCI6IngifQ==")
    )
    assert bad.status_code == 400 and bad.json()["code"] == 400.34


def test_select_and_wkt__subset_and_geometry(sample_server: RunningServer, sample_store: CentralStore,
                                             sample_http: requests.Session) -> None:  # fmt: skip
    """Should return only selected fields (__system subset included) and WKT points with $wkt=true."""
    app_user = sample_store.projects[1].app_users[0]
    sample_store.submit(
        1, FORM, {"nama": "S", "lokasi": "-6.5 106.5 10 3", "rumah": {"alamat": "A"}}, submitter=app_user
    )
    row = sample_http.get(odata(sample_server, query="$select=nama,rumah/alamat,__system/edits")).json()[
        "value"
    ][0]
    assert row == {"nama": "S", "rumah": {"alamat": "A"}, "__system": {"edits": 0}}
    wkt = sample_http.get(odata(sample_server, query="$wkt=true")).json()["value"][0]
    assert wkt["lokasi"] == "POINT (106.5 -6.5 10)"


def test_rest__review_delete_edit_and_create_over_http(sample_server: RunningServer, sample_store: CentralStore,
                                                       sample_http: requests.Session) -> None:  # fmt: skip
    """Should PATCH review states (400.8 on a bad one), DELETE, PUT an edit with deprecatedID and POST XML."""
    base = f"{sample_server.url}/v1/projects/1/forms/{FORM}/submissions"
    created = sample_http.post(base, data='<data id="uji" version="1"><nama>X</nama><meta><instanceID>uuid:a1</instanceID></meta></data>',
                               headers={"Content-Type": "application/xml"})  # fmt: skip
    assert created.status_code == 200 and created.json()["instanceId"] == "uuid:a1"
    assert sample_http.patch(f"{base}/uuid:a1", json={"reviewState": "verified"}).json()["code"] == 400.8
    reviewed = sample_http.patch(f"{base}/uuid:a1", json={"reviewState": "hasIssues"}).json()
    assert reviewed["reviewState"] == "hasIssues" and reviewed["updatedAt"] is not None
    edit = '<data id="uji" version="1"><nama>Y</nama><meta><instanceID>uuid:a2</instanceID><deprecatedID>{}</deprecatedID></meta></data>'
    stale = sample_http.put(
        f"{base}/uuid:a1", data=edit.format("uuid:zz"), headers={"Content-Type": "application/xml"}
    )
    assert stale.status_code == 409 and stale.json()["code"] == 409.9
    put = sample_http.put(
        f"{base}/uuid:a1", data=edit.format("uuid:a1"), headers={"Content-Type": "application/xml"}
    )
    assert put.json()["currentVersion"]["instanceId"] == "uuid:a2" and put.json()["reviewState"] == "edited"
    listing = sample_http.get(base)
    assert listing.headers["X-Total-Count"] == "1" and listing.headers["ETag"].startswith('W/"eventhash:')
    assert sample_http.delete(f"{base}/uuid:a1").json() == {"success": True}
    assert sample_store.deleted_ids(1, FORM) == ["uuid:a1"]


def test_rest__projects_forms_and_fields__shapes(sample_server: RunningServer, sample_store: CentralStore,
                                                 sample_http: requests.Session) -> None:  # fmt: skip
    """Should list projects and forms (plain, extended, ?forms=true) and serve fields, versions and the XML."""
    add(sample_store, 2)
    url = sample_server.url + "/v1/projects"
    plain = sample_http.get(url).json()[0]
    assert plain["id"] == 1 and "verbs" in plain and "forms" not in plain
    extended = sample_http.get(url, headers={"X-Extended-Metadata": "true"}).json()[0]
    assert extended["forms"] == 1 and extended["appUsers"] == 1 and extended["lastSubmission"].endswith("Z")
    with_forms = sample_http.get(url + "?forms=true").json()[0]
    assert with_forms["formList"][0]["submissions"] == 2
    form = sample_http.get(f"{url}/1/forms/{FORM}", headers={"X-Extended-Metadata": "true"}).json()
    assert (
        form["reviewStates"] == {"received": 2, "hasIssues": 0, "edited": 0} and form["publishNotes"] is None
    )
    fields = sample_http.get(f"{url}/1/forms/{FORM}/fields?odata=true").json()
    assert {
        "path": "/bantuan",
        "name": "bantuan",
        "type": "string",
        "binary": None,
        "selectMultiple": True,
    } in fields
    assert sample_http.get(f"{url}/1/forms/{FORM}.xml").text == sample_store.form(1, FORM).current.xform.xml
    assert len(sample_http.get(f"{url}/1/forms/{FORM}/versions").json()) == 1
    for missing in (
        f"{url}/9/forms",
        f"{url}/1/forms/nope",
        f"{url}/1/forms/nope.svc/Submissions",
        odata(sample_server, "Submissions.nope"),
    ):
        reply = sample_http.get(missing)
        assert (reply.status_code, reply.json()["code"]) == (404, 404.1)


def test_json_api__express_etag__304_on_match(
    sample_server: RunningServer, sample_http: requests.Session
) -> None:
    """Should send Express's weak ETag on JSON responses and 304 when If-None-Match matches."""
    url = sample_server.url + "/v1/projects"
    first = sample_http.get(url)
    again = sample_http.get(url, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.content == b""
    head = sample_http.head(url)
    assert (
        head.status_code == 200
        and head.content == b""
        and head.headers["Content-Length"] == first.headers["Content-Length"]
    )


def test_server__keep_alive__many_requests_one_connection(
    sample_server: RunningServer, sample_http: requests.Session
) -> None:
    """Should keep HTTP/1.1 connections alive across requests, as Node does."""
    for _ in range(5):
        reply = sample_http.get(odata(sample_server))
        assert reply.headers["Connection"] == "keep-alive"
    assert len({r.time for r in sample_server.request_log}) >= 5
    assert sample_server.request_log[-1].status == 200 and sample_server.request_log[-1].kind == "odata"


def test_store__clock_default__strictly_increasing_milliseconds() -> None:
    """Should hand out strictly increasing timestamps at millisecond precision with the default clock."""
    store = CentralStore()
    stamps = [store.now_us() for _ in range(50)]
    assert all(b - a >= 1000 for a, b in zip(stamps, stamps[1:], strict=False)) and all(
        s % 1000 == 0 for s in stamps
    )
    fixed = CentralStore(clock=lambda: T0)
    assert fixed.now() == fixed.now() == T0
