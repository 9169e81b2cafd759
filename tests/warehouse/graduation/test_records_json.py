"""The compact stored criteria, expanded with the rule version, equal the readable per-criterion results; rows
stored in the older form (a ``[code, outcome, reason]`` list and values by name) stay readable."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from forms.rules import load_rule_sets, rules_for_date
from tests.pipeline import synced_pipeline
from warehouse.graduation import Assessment, assess, build_snapshots
from warehouse.graduation.records import (
    criteria_json,
    criterion_to_dict,
    current_details,
    expand_details,
    natural_reason,
)


def older_form(a: Assessment) -> str:
    """``kriteria_json`` as the recompute stored it before the outcome letters (rows still in databases)."""
    criteria = a.criteria
    values: dict[str, Any] = {}
    for c in criteria:
        for name, value in criterion_to_dict(c)["nilai"].items():
            values.setdefault(name, value)
    details = {
        "kategori": a.kategori,
        "kategori_bps": a.kategori_bps,
        "kategori_pendapatan": a.kategori_pendapatan,
        "skor_bps_min": a.skor_bps_min,
        "skor_bps_maks": a.skor_bps_maks,
        "garis_kemiskinan_rp": a.garis_kemiskinan_rp,
        "checklist": a.checklist,
        "alamiah": a.alamiah,
        "kontak": a.kontak,
        "jenis": a.jenis,
        "kriteria": [[c.code, c.outcome, c.reason] for c in criteria],
        "nilai": values,
        "alasan": list(a.reasons),
    }
    return json.dumps(details, ensure_ascii=False, separators=(",", ":"))


def test_expand_details__every_assessment__same_as_criterion_to_dict(sqlite_url: str, tmp_path: Path) -> None:
    """Should give back, criterion by criterion, what the readable path produces (nothing lost by storing less),
    from the current form and from the older one; an older row converts to exactly the current text."""
    rule_sets = load_rule_sets()
    with synced_pipeline(sqlite_url, tmp_path, kpm=40) as env, env.engine.connect() as conn:
        checked = 0
        for snap in build_snapshots(conn):
            rules = rules_for_date(rule_sets, snap.as_of)
            a = assess(snap, rules)
            expected = [criterion_to_dict(c) for c in a.criteria]
            text = criteria_json(a)
            stored, older = json.loads(text), older_form(a)
            assert expand_details(stored, rules) == expected
            assert expand_details(json.loads(older), rules) == expected
            assert current_details(older) == text and current_details(text) == text
            assert natural_reason(stored) == natural_reason(json.loads(older)) == a.criteria[-1].reason
            assert len(text) < len(older) / 2
            checked += 1
    assert checked > 40
