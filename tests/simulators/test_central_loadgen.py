"""The load generator's trickle (bench/admin_load.py's writer): new visits arrive now, each with a new id."""

from __future__ import annotations

from simulators.central import CentralStore
from simulators.central.loadgen import VISIT_ID, seed_loadtest, submit_visits


def test_submit_visits__adds_new_visits_dated_now_each_call() -> None:
    """Should add the asked number of visits, with new instance ids each call and the store's clock as their
    date."""
    store = CentralStore()
    project_id, _admin = seed_loadtest(store, 5)
    form = store.project(project_id).forms[VISIT_ID]
    assert form.subs == []
    submit_visits(store, project_id, 3, households=5, seed=1)
    submit_visits(store, project_id, 2, households=5, seed=1)  # the same seed: same values, new ids
    ids = [s.logical_id for s in form.subs]
    assert len(ids) == 5 and len(set(ids)) == 5
    assert all(s.submission_date.year >= 2026 for s in form.subs)  # now, not the seed's 2019 timeline
