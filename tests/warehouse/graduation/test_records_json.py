"""The compact stored criteria, expanded with the rule version, equal the readable per-criterion results."""

from __future__ import annotations

import json
from pathlib import Path

from forms.rules import load_rule_sets, rules_for_date
from tests.pipeline import synced_pipeline
from warehouse.graduation import assess, build_snapshots
from warehouse.graduation.records import criteria_json, criterion_to_dict, expand_details


def test_expand_details__every_assessment__same_as_criterion_to_dict(sqlite_url: str, tmp_path: Path) -> None:
    """Should give back, criterion by criterion, what the readable path produces (nothing lost by storing less)."""
    rule_sets = load_rule_sets()
    with synced_pipeline(sqlite_url, tmp_path, kpm=40) as env, env.engine.connect() as conn:
        checked = 0
        for snap in build_snapshots(conn):
            rules = rules_for_date(rule_sets, snap.as_of)
            a = assess(snap, rules)
            stored = json.loads(criteria_json(a))
            assert expand_details(stored, rules) == [criterion_to_dict(c) for c in a.criteria]
            checked += 1
    assert checked > 40
