"""The fast criterion JSON equals the one built from CriterionResult objects, for real assessments."""

from __future__ import annotations

from pathlib import Path

from forms.rules import load_rule_sets, rules_for_date
from tests.pipeline import synced_pipeline
from warehouse.graduation import assess, build_snapshots
from warehouse.graduation.records import _criteria_dicts, criterion_to_dict


def test_criteria_dicts__every_assessment__same_as_criterion_to_dict(sqlite_url: str, tmp_path: Path) -> None:
    """Should produce, criterion by criterion, exactly what the readable path produces."""
    rule_sets = load_rule_sets()
    with synced_pipeline(sqlite_url, tmp_path, kpm=40) as env, env.engine.connect() as conn:
        checked = 0
        for snap in build_snapshots(conn):
            a = assess(snap, rules_for_date(rule_sets, snap.as_of))
            assert _criteria_dicts(a) == [criterion_to_dict(c) for c in a.criteria]
            checked += 1
    assert checked > 40
