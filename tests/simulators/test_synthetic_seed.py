"""Seeding the ODK Central simulator with a generated data set."""

from __future__ import annotations

import functools
import logging
from collections import Counter

import pytest

from simulators.central.store import CentralStore
from simulators.synthetic import (
    Dataset,
    Delete,
    Edit,
    Review,
    Submit,
    generate,
    seed_central,
    seed_demo_central,
)
from simulators.synthetic.seed import SeedResult, default_admin_password


@functools.cache
def dataset() -> Dataset:
    return generate(200, 77)


@functools.cache
def seeded() -> tuple[CentralStore, SeedResult]:
    store = CentralStore()
    return store, seed_central(store, dataset())


def expected_counts(ds: Dataset) -> dict[str, Counter[str]]:
    counts: dict[str, Counter[str]] = {}
    for event in ds.events():
        counts.setdefault(event.form_id, Counter())[type(event).__name__] += 1
    return counts


def test_seed_central__all_forms__store_holds_every_event() -> None:
    """Should create one submission per Submit, a version per Edit, and apply reviews and deletions."""
    store, result = seeded()
    expected = expected_counts(dataset())
    assert result.skipped_forms == []
    for form_id, counts in expected.items():
        got = result.counts[form_id]
        assert (got.submissions, got.edits, got.reviews, got.deletes) == (
            counts["Submit"],
            counts["Edit"],
            counts["Review"],
            counts["Delete"],
        )
        live = store.live_ids(result.project_id, form_id)
        assert len(live) == counts["Submit"] - counts["Delete"]
        assert len(store.deleted_ids(result.project_id, form_id)) == counts["Delete"]


def test_seed_central__submissions__carry_dates_submitters_devices_and_states() -> None:
    """Should keep the generated server time, the pendamping's app user and device, edits and review states."""
    store, result = seeded()
    by_pendamping = {p.id: p for p in dataset().pendamping}
    form_of: dict[str, str] = {}
    last_state: dict[str, str] = {}
    edited: set[str] = set()
    for event in dataset().events():
        if isinstance(event, Submit):
            form_of[event.instance_id] = event.form_id
            sub = store.get(result.project_id, event.form_id, event.instance_id)
            assert sub.submission_date == event.at
            assert sub.submitter.display_name == event.submitter_key
            assert sub.device_id == by_pendamping[event.submitter_key].device_id
        elif isinstance(event, Edit):
            edited.add(event.logical_id)
            last_state[event.logical_id] = "edited"
        elif isinstance(event, Review):
            last_state[event.logical_id] = event.state
        elif isinstance(event, Delete):
            assert store.get(result.project_id, event.form_id, event.logical_id).deleted
    assert edited and "approved" in last_state.values()
    for logical_id, state in last_state.items():
        sub = store.get(result.project_id, form_of[logical_id], logical_id)
        assert sub.review_state == state
        if logical_id in edited:
            assert sub.edits >= 1 and sub.current_instance_id != logical_id


def test_seed_central__users__admin_project_and_one_app_user_per_pendamping() -> None:
    """Should create the admin (who can log in), the project and 330 app users named after the pendamping."""
    store, result = seeded()
    assert result.admin_password == default_admin_password(77)
    session = store.create_session(result.admin_email, result.admin_password)
    assert session.actor.email == result.admin_email
    assert store.project(result.project_id).name == "Jamsosratu Banten"
    assert len(result.app_users) == 330
    for pendamping_id, actor in result.app_users.items():
        assert actor.display_name == pendamping_id and actor.type == "field_key" and len(actor.token) == 64


def test_seed_central__same_data__reproducible_tokens_and_ids() -> None:
    """Should give the same app-user tokens and submission ids when seeding the same data set again."""
    store, result = seeded()
    again = CentralStore()
    second = seed_central(again, dataset(), forms=("kpm_registrasi",))
    assert {k: a.token for k, a in second.app_users.items()} == {
        k: a.token for k, a in result.app_users.items()
    }
    assert sorted(again.live_ids(second.project_id, "kpm_registrasi")) == sorted(
        store.live_ids(result.project_id, "kpm_registrasi")
    )


def test_seed_central__missing_form__is_skipped_with_a_log_line(caplog: pytest.LogCaptureFixture) -> None:
    """Should publish the forms that exist, skip the others with a warning and seed nothing for them."""
    store = CentralStore()
    with caplog.at_level(logging.WARNING, logger="simulators.synthetic.seed"):
        result = seed_central(store, generate(20, 3), forms=("penyaluran", "formulir_belum_ada"))
    assert result.skipped_forms == ["formulir_belum_ada"]
    assert set(result.counts) == {"penyaluran"}
    assert result.counts["penyaluran"].submissions > 0
    assert "formulir_belum_ada" in caplog.text


def test_seed_demo_central__small__generates_and_seeds() -> None:
    store = CentralStore()
    result = seed_demo_central(store, kpm=30, seed=1)
    assert result.counts["kpm_registrasi"].submissions == 30
    assert len(store.live_ids(result.project_id, "kpm_registrasi")) == 30
