"""Rebuild the data set of the captured Central responses (odk-central/fixtures) through the store API only.

The state reproduced is the one the 0600-1030 captures show: the form ``survei_rumah_tangga`` v1, the admin
user (id 5), the app user (id 7), 20 submissions created at their captured times, then - in time order - the
attachment upload, the four reviews, the three edits (two of one submission), the deletion of one submission
and the deletion and restore of another. Everything is derived from the captured bodies: original versions
from the baseline OData rows (0310) and the original XML (0890), current versions from 0600/0730 and the
current XML (0860), the intermediate edit from the diffs (0900), times and submitters from the REST lists
(0820/0840), the versions list (0880) and the audit feed (0940).

Two facts are not in any capture and are filled in (neither is visible in 0600-1030): the repeat rows of the
submission that is deleted (its ``jumlah_tercatat`` says one member: a row with the head's name is used) and
the admin password (:data:`REPLAY_ADMIN_PASSWORD`).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from .render import SubmissionXml, data_from_tree
from .store import Actor, CentralStore
from .textfmt import parse_timestamp_literal

REPLAY_ADMIN_PASSWORD = "replay-password"
FORM_ID = "survei_rumah_tangga"


def _load(directory: Path, name: str) -> Any:
    return json.loads((directory / name).read_text(encoding="utf-8"))


def _ts(text: str) -> Any:
    from .textfmt import from_us

    return from_us(parse_timestamp_literal(text))


def _apply_diffs(data: dict[str, Any], diffs: list[dict[str, Any]]) -> dict[str, Any]:
    """Apply Central ``/diffs`` entries (``{old, new, path}``) to a data dict; meta ids are the store's."""
    out = copy.deepcopy(data)
    for diff in diffs:
        path = diff["path"]
        if path and path[0] == "meta" and path[-1] in ("instanceID", "deprecatedID"):
            continue
        target: Any = out
        for step in path[:-1]:
            if isinstance(step, list):
                target = target.setdefault(step[0], [])[step[1]]
            else:
                target = target.setdefault(step, {})
        last = path[-1]
        if isinstance(last, list):
            rows = target.setdefault(last[0], [])
            if "new" in diff:
                if last[1] < len(rows):
                    rows[last[1]] = diff["new"]
                else:
                    rows.append(diff["new"])
            elif last[1] < len(rows):
                del rows[last[1]]
        elif "new" in diff:
            target[last] = diff["new"]
        else:
            target.pop(last, None)
    return out


def load_capture_dataset(fixtures_dir: Path, *, admin_password: str = REPLAY_ADMIN_PASSWORD) -> CentralStore:
    """A store holding the captured data set in the state of the 0600-1030 captures.

    :param fixtures_dir: a copy of odk-central/fixtures (tests use tests/fixtures/odk-central).
    """
    d = Path(fixtures_dir)
    store = CentralStore()
    user = _load(d, "0020-get-users-current.json")
    admin = store.add_user(
        user["email"],
        admin_password,
        user["displayName"],
        actor_id=user["id"],
        created_at=_ts(user["createdAt"]),
    )
    project_json = _load(d, "0200-get-projects.json")[0]
    project = store.add_project(
        project_json["name"],
        project_id=project_json["id"],
        created_at=_ts(project_json["createdAt"]),
        description=project_json["description"],
    )
    published = _load(d, "0050-post-form-publish.json")
    form = store.publish_form(
        project.id,
        (d / "forms" / f"{FORM_ID}_v1.xml").read_text(encoding="utf-8"),
        at=_ts(published["publishedAt"]),
        by=admin,
    )
    schema = form.schema

    live_rest = _load(d, "0840-get-rest-submissions-extended.json")
    deleted_rest = _load(d, "0820-get-rest-submissions-deleted.json")
    rest = sorted(live_rest + deleted_rest, key=lambda s: (s["createdAt"], s["instanceId"]))
    app_user_json = _load(d, "0060-post-app-users.json")
    actors: dict[int, Actor] = {admin.id: admin}
    for entry in rest:
        submitter = entry["submitter"]
        if submitter["id"] not in actors and submitter["type"] == "field_key":
            token = app_user_json["token"] if app_user_json["id"] == submitter["id"] else None
            actors[submitter["id"]] = store.add_app_user(
                project.id,
                submitter["displayName"],
                actor_id=submitter["id"],
                created_at=_ts(submitter["createdAt"]),
                token=token,
            )

    baseline = {row["__id"]: row for row in _load(d, "0310-get-odata-submissions-baseline.json")["value"]}
    current = {row["__id"]: row for row in _load(d, "0600-get-odata-submissions-count.json")["value"]}
    repeats: dict[str, list[dict[str, Any]]] = {}
    for row in _load(d, "0730-get-odata-repeat-table.json")["value"]:
        repeats.setdefault(row["__Submissions-id"], []).append(row)
    versions_of = {
        _load(d, "0880-get-submission-versions.json")[-1]["instanceId"]: _load(
            d, "0880-get-submission-versions.json"
        )
    }
    diffs = _load(d, "0900-get-submission-diffs.json")
    xml_by_version = {
        SubmissionXml((d / name).read_bytes()).instance_id: (d / name).read_bytes()
        for name in ("0860-get-submission-xml-edited.xml", "0890-get-submission-version-xml.xml")
    }

    def odata_data(row: dict[str, Any], repeat_rows: list[dict[str, Any]]) -> dict[str, Any]:
        tree = dict(row)
        tree["anggota"] = repeat_rows
        data = data_from_tree(schema.root, tree)
        return data

    def version_data(version_id: str, fallback: dict[str, Any]) -> dict[str, Any]:
        raw = xml_by_version.get(version_id)
        return SubmissionXml(raw, schema).data if raw is not None else fallback

    # 1. the submissions as first received
    for entry in rest:
        iid = entry["instanceId"]
        base_row = baseline[iid]
        if iid in repeats:
            members = repeats[iid]
        else:  # deleted before any repeat capture: one member row, named after the head
            members = [{"nama_anggota": base_row["kepala"]["nama_kepala"]}]
        data = version_data(iid, odata_data(base_row, members))
        store.submit(
            project.id,
            FORM_ID,
            data,
            instance_id=iid,
            submitter=actors[entry["submitterId"]],
            device_id=entry["deviceId"],
            at=_ts(entry["createdAt"]),
            user_agent=entry["userAgent"],
            attachments_present=base_row["__system"]["attachmentsPresent"],
        )

    # 2. what happened afterwards, in time order
    events: list[tuple[str, int, str, Any]] = []
    audits = _load(d, "0940-get-audits-project-submission-actions.json")
    for iid, row in current.items():
        system = row["__system"]
        if system["attachmentsPresent"] > baseline[iid]["__system"]["attachmentsPresent"]:
            when = next(
                a["loggedAt"]
                for a in audits
                if a["action"] == "submission.attachment.update" and a["details"].get("instanceId") == iid
            )
            events.append(
                (
                    when,
                    0,
                    "attach",
                    (iid, system["attachmentsPresent"] - baseline[iid]["__system"]["attachmentsPresent"]),
                )
            )
        if system["reviewState"] in ("approved", "hasIssues", "rejected"):
            events.append((system["updatedAt"], 1, "review", (iid, system["reviewState"])))
    for entry in live_rest:
        iid = entry["instanceId"]
        edits = current[iid]["__system"]["edits"]
        if edits == 0:
            continue
        history = versions_of.get(iid)
        if history is not None:
            chain = list(reversed(history))[1:]  # oldest edit first, without the original
        else:
            cur = entry["currentVersion"]
            chain = [{"instanceId": cur["instanceId"], "createdAt": cur["createdAt"], "submitterId": cur["submitterId"],
                      "userAgent": cur["userAgent"], "deviceId": cur["deviceId"]}]  # fmt: skip
        for version in chain:
            events.append((version["createdAt"], 2, "edit", (iid, version)))
    for entry in deleted_rest:
        events.append((entry["deletedAt"], 3, "delete", entry["instanceId"]))
    for audit in audits:
        iid = audit["details"].get("instanceId")
        if audit["action"] == "submission.delete" and iid in current:
            events.append((audit["loggedAt"], 3, "delete", iid))
        elif audit["action"] == "submission.restore" and iid in current:
            events.append((audit["loggedAt"], 4, "restore", iid))

    previous: dict[str, dict[str, Any]] = {}
    for when, _, kind, payload in sorted(events, key=lambda e: (e[0], e[1])):
        at = _ts(when)
        if kind == "attach":
            store.attach(project.id, FORM_ID, payload[0], payload[1])
        elif kind == "review":
            store.review(project.id, FORM_ID, payload[0], payload[1], at=at)
        elif kind == "delete":
            store.delete(project.id, FORM_ID, payload, at=at)
        elif kind == "restore":
            store.restore(project.id, FORM_ID, payload)
        else:
            iid, version = payload
            vid = version["instanceId"]
            if vid == current[iid]["meta"]["instanceID"]:
                data = version_data(vid, odata_data(current[iid], repeats.get(iid, [])))
            else:
                before = previous.get(iid) or version_data(
                    iid, odata_data(baseline[iid], repeats.get(iid, []))
                )
                data = _apply_diffs(before, diffs.get(vid, []))
            previous[iid] = data
            store.edit(
                project.id,
                FORM_ID,
                iid,
                data,
                instance_id=vid,
                submitter=actors[version["submitterId"]],
                at=at,
                device_id=version.get("deviceId"),
                user_agent=version.get("userAgent"),
            )
    return store


def apply_v2_stage(store: CentralStore, fixtures_dir: Path) -> None:
    """Move a replayed store to the 1140-1200 state: publish v2 and add the three submissions made around it
    (known only by what 1200 shows: id, time, form version and ``kondisi_rumah``)."""
    d = Path(fixtures_dir)
    versions = _load(d, "1140-get-form-versions-after-v2.json")
    form = store.form(versions[0]["projectId"], FORM_ID)
    store.publish_form(
        form.project.id,
        (d / "forms" / f"{FORM_ID}_v2.xml").read_text(encoding="utf-8"),
        at=_ts(versions[0]["publishedAt"]),
        by=form.created_by,
    )
    app_user = form.project.app_users[0]
    rows = _load(d, "1200-get-odata-submissions-after-v2.json")["value"]
    published_us = parse_timestamp_literal(versions[0]["publishedAt"])
    for row in sorted(rows, key=lambda r: r["__system"]["submissionDate"]):
        if parse_timestamp_literal(row["__system"]["submissionDate"]) < published_us:
            continue
        store.submit(
            form.project.id,
            FORM_ID,
            {"kondisi_rumah": row["kondisi_rumah"]},
            instance_id=row["__id"],
            submitter=app_user,
            at=_ts(row["__system"]["submissionDate"]),
            form_version=row["__system"]["formVersion"],
        )
