"""The store API other code relies on (synthetic generator, sync tests): Central's rules without HTTP."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from simulators.central import CentralStore, Problem, SubmitItem
from tests.simulators.conftest import SAMPLE_MD, T0, Clock, xform

FORM = "uji"


@pytest.fixture
def store() -> CentralStore:
    store = CentralStore(clock=Clock())
    admin = store.add_user("staf@example.test", "rahasia")
    store.add_project("Uji")
    store.add_app_user(1, "Pendamping 01")
    store.publish_form(1, xform(SAMPLE_MD), by=admin)
    return store


def test_store_submit__duplicate_instance_id__409_3(store: CentralStore) -> None:
    """Should refuse a second submission with an instanceID already used (also by an edit's version)."""
    hp = store.projects[1].app_users[0]
    store.submit(1, FORM, {"nama": "A"}, instance_id="uuid:a", submitter=hp)
    store.edit(1, FORM, "uuid:a", {"nama": "B"}, instance_id="uuid:b", submitter=hp)
    for used in ("uuid:a", "uuid:b"):
        with pytest.raises(Problem) as info:
            store.submit(1, FORM, {}, instance_id=used, submitter=hp)
        assert info.value.code == 409.3


def test_store_submit__instance_id_from_meta_or_new_uuid(store: CentralStore) -> None:
    """Should take the instanceID from data['meta'] when not given, else make a uuid: one."""
    hp = store.projects[1].app_users[0]
    assert (
        store.submit(1, FORM, {"meta": {"instanceID": "uuid:dari-meta"}}, submitter=hp).instance_id
        == "uuid:dari-meta"
    )
    assert store.submit(1, FORM, {}, submitter=hp).instance_id.startswith("uuid:")


def test_store_publish__same_version_409_6__new_version_accepted(store: CentralStore) -> None:
    """Should reject republishing a version and accept a new one, keeping old-version submissions possible."""
    with pytest.raises(Problem) as info:
        store.publish_form(1, xform(SAMPLE_MD))
    assert info.value.code == 409.6
    form = store.publish_form(
        1, xform(SAMPLE_MD.replace("| uji                    | 1  ", "| uji                    | 2  "))
    )
    assert [v.version for v in form.versions] == ["1", "2"]
    hp = store.projects[1].app_users[0]
    late = store.submit(1, FORM, {}, submitter=hp, form_version="1")
    assert late.odata()["__system"]["formVersion"] == "1"
    with pytest.raises(Problem) as unknown:
        store.submit(1, FORM, {}, submitter=hp, form_version="9")
    assert unknown.value.code == 404.6


def test_store_submit_many__out_of_order_times__sorted_newest_first(store: CentralStore) -> None:
    """Should accept bulk items in any time order and serve them by (createdAt, id)."""
    hp = store.projects[1].app_users[0]
    times = [T0 + timedelta(minutes=m) for m in (5, 1, 3, 1)]
    store.submit_many(
        1,
        FORM,
        (SubmitItem({"nama": str(i)}, hp, instance_id=f"uuid:{i}", at=t) for i, t in enumerate(times)),
    )
    assert store.live_ids(1, FORM) == ["uuid:0", "uuid:2", "uuid:3", "uuid:1"]


def test_store_lifecycle__review_delete_restore_purge(store: CentralStore) -> None:
    """Should set updatedAt on review, keep it on delete/restore, and forget a purged submission."""
    hp = store.projects[1].app_users[0]
    sub = store.submit(1, FORM, {}, submitter=hp, instance_id="uuid:x")
    assert sub.updated_at is None
    store.review(1, FORM, "uuid:x", "hasIssues", at=T0 + timedelta(days=1))
    assert sub.updated_at == T0 + timedelta(days=1) and sub.review_state == "hasIssues"
    with pytest.raises(Problem, match="not a recognized state name"):
        store.review(1, FORM, "uuid:x", "verified")
    store.delete(1, FORM, "uuid:x", at=T0 + timedelta(days=2))
    assert store.deleted_ids(1, FORM) == ["uuid:x"] and sub.updated_at == T0 + timedelta(days=1)
    with pytest.raises(Problem):
        store.review(1, FORM, "uuid:x", "approved")  # deleted rows cannot be reviewed
    store.restore(1, FORM, "uuid:x")
    assert store.live_ids(1, FORM) == ["uuid:x"] and sub.deleted_at is None
    store.delete(1, FORM, "uuid:x")
    assert store.purge(1, FORM) == 1
    with pytest.raises(Problem) as info:
        store.get(1, FORM, "uuid:x")
    assert info.value.code == 404.1


def test_store_edit__attachments_and_instance_name__follow_the_new_version(store: CentralStore) -> None:
    """Should count expected attachments of the current version and take instanceName from its meta."""
    hp = store.projects[1].app_users[0]
    sub = store.submit(
        1, FORM, {"foto": "a.jpg", "meta": {"instanceName": "A"}}, submitter=hp, attachments_present=0
    )
    system = sub.system()
    assert (system["attachmentsExpected"], system["attachmentsPresent"]) == (1, 0)
    store.attach(1, FORM, sub.instance_id)
    assert sub.system()["attachmentsPresent"] == 1
    store.edit(1, FORM, sub.instance_id, {"meta": {"instanceName": "B"}}, submitter=hp)
    assert sub.current.instance_name == "B" and sub.system()["attachmentsExpected"] == 0


def test_store_times__naive_datetime__refused_with_a_hint(store: CentralStore) -> None:
    """Should refuse naive datetimes (ambiguous) and say to use UTC."""
    hp = store.projects[1].app_users[0]
    with pytest.raises(ValueError, match="timezone-aware"):
        store.submit(1, FORM, {}, submitter=hp, at=datetime(2026, 1, 1))
    sub = store.submit(1, FORM, {}, submitter=hp, at=datetime(2026, 1, 1, 7, tzinfo=UTC))
    assert sub.odata()["__system"]["submissionDate"] == "2026-01-01T07:00:00.000Z"
