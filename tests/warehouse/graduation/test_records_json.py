"""The compact stored criteria, expanded with the rule version, equal the readable per-criterion results; rows
stored in the older form (a ``[code, outcome, reason]`` list and values by name) stay readable."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from forms.rules import load_rule_sets, rules_for_date
from tests.pipeline import synced_pipeline
from warehouse.graduation import Assessment, assess, build_snapshots
from warehouse.graduation.indicators import NA
from warehouse.graduation.records import (
    _encode,
    criteria_json,
    criterion_to_dict,
    current_details,
    expand_details,
    natural_reason,
)
from warehouse.recompute import RESULT_COLUMNS, _same


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
            assert text == json.dumps(stored, ensure_ascii=False, separators=(",", ":"))  # the standard form
            checked += 1
    assert checked > 40


def test_encode__beyond_orjson__standard_encoder() -> None:
    """Should still store a value orjson refuses (an integer past 64 bits), as the standard encoder writes it."""
    assert (
        _encode({"nilai": [10**30, NA, "é"]})
        == '{"nilai":[1000000000000000000000000000000,"tidak_berlaku","é"]}'
    )


def test_same__tiny_float_written_by_either_encoder__same_result() -> None:
    """Should count a row the standard encoder stored (2.5e-05) as unchanged when orjson writes 0.000025, and a
    real difference as changed."""
    new = dict.fromkeys(RESULT_COLUMNS) | {"kriteria_json": _encode({"nilai": [2.5e-05]})}
    assert new["kriteria_json"] == '{"nilai":[0.000025]}'
    stored = SimpleNamespace(
        **(new | {"kriteria_json": json.dumps({"nilai": [2.5e-05]}, separators=(",", ":"))})
    )
    assert stored.kriteria_json != new["kriteria_json"] and _same(stored, new)
    assert not _same(SimpleNamespace(**(new | {"kriteria_json": '{"nilai":[2.6e-05]}'})), new)


def test_stored_details__nan_from_the_standard_encoder__still_read() -> None:
    """Should read a stored row the standard encoder wrote with NaN (which orjson refuses)."""
    from warehouse.graduation.records import load_details

    assert load_details('{"nilai":[1.5]}') == {"nilai": [1.5]}
    assert str(load_details('{"nilai":[NaN]}')["nilai"][0]) == "nan"
