"""Properties of the engine (hypothesis): meeting one more criterion never lowers a household's category,
checklist or status; assess is deterministic; the checklist decision is monotone in its counts."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from forms.rules import RuleSet
from warehouse.graduation import (
    DATA_KURANG,
    TERPENUHI,
    TIDAK_TERPENUHI,
    ChildRow,
    KpmSnapshot,
    ToddlerRow,
    assess,
    graduation_status,
)
from warehouse.graduation.engine import checklist_outcome
from warehouse.graduation.status import STATUS_RANK

from .conftest import random_household

CHECKLIST_RANK = {TIDAK_TERPENUHI: 0, DATA_KURANG: 1, TERPENUHI: 2}
Improve = Callable[[KpmSnapshot], KpmSnapshot]


def _up(field: str, step: float, cap: float | None = None) -> Improve:
    def improve(s: KpmSnapshot) -> KpmSnapshot:
        value = getattr(s, field)
        if value is None:
            return s
        new = value + step
        return replace(s, **{field: min(new, cap) if cap is not None else new})

    return improve


def _set(field: str, worse: str, better: str) -> Improve:
    def improve(s: KpmSnapshot) -> KpmSnapshot:
        return replace(s, **{field: better}) if getattr(s, field) == worse else s

    return improve


def _repair(item: str) -> Improve:
    def improve(s: KpmSnapshot) -> KpmSnapshot:
        return replace(s, perbaikan_rumah=s.perbaikan_rumah | {item})

    return improve


def _pupils(s: KpmSnapshot) -> KpmSnapshot:
    rows = tuple(
        ChildRow(r.urutan, "sekolah", 100.0)
        if r.status in ("sekolah", "tidak_sekolah") and r.pct_hadir is not None
        else r
        for r in s.anak
    )
    return replace(s, anak=rows)


def _weighed(s: KpmSnapshot) -> KpmSnapshot:
    return replace(
        s, balita=tuple(ToddlerRow(r.urutan, "ya") if r.ditimbang == "tidak" else r for r in s.balita)
    )


#: Changes that can only make a household better off (each can only turn a criterion towards "met").
IMPROVEMENTS: dict[str, Improve] = {
    "income": _up("pendapatan_bulan_rp", 250_000),
    "savings": _up("tabungan_rp", 200_000),
    "meals": _up("frek_makan_hari", 1, 5),
    "protein": _up("frek_protein_hewani_minggu", 1, 7),
    "sources": _up("jumlah_sumber_pendapatan", 1),
    "no_shortage": _set("kekurangan_pangan_3bln", "ya", "tidak"),
    "can_pay": _set("mampu_berobat", "tidak", "ya"),
    "business": _set("punya_usaha", "tidak", "ya"),
    "clothes": _set("beli_pakaian_setahun", "satu_stel", "dua_lebih"),
    "floor": _repair("lantai"),
    "wall": _repair("dinding"),
    "latrine": _repair("jamban"),
    "power": _repair("listrik"),
    "water": _repair("air"),
    "pupils": _pupils,
    "weighing": _weighed,
}

seeds = st.integers(min_value=0, max_value=2**32 - 1)
improvements = st.sampled_from(sorted(IMPROVEMENTS))
PROPERTY = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def category_index(rules: RuleSet, code: str | None) -> int | None:
    return None if code is None else [b.code for b in rules.categories].index(code)


@PROPERTY
@given(seed=seeds, which=improvements)
def test_property__one_improvement__never_lowers_category_or_checklist(
    rules: RuleSet, seed: int, which: str
) -> None:
    """Should never make the category worse, the BPS count higher or the checklist lower after an improvement."""
    before_snap = random_household(random.Random(seed), missing=0.1)
    after_snap = IMPROVEMENTS[which](before_snap)
    before, after = assess(before_snap, rules), assess(after_snap, rules)
    assert after.skor_bps_min <= before.skor_bps_min and after.skor_bps_maks <= before.skor_bps_maks
    b, a = category_index(rules, before.kategori), category_index(rules, after.kategori)
    if a is not None and b is not None:
        assert a >= b
    assert after.skor_graduasi >= before.skor_graduasi
    assert CHECKLIST_RANK[after.checklist] >= CHECKLIST_RANK[before.checklist]
    for x, y in zip(before.criteria, after.criteria, strict=True):
        if x.group == "graduasi" and x.counts_as_met:
            assert y.counts_as_met, (which, x.code)


@PROPERTY
@given(seed=seeds, which=improvements, gap=st.integers(min_value=1, max_value=200))
def test_property__improved_latest_visit__never_lowers_status(
    rules: RuleSet, seed: int, which: str, gap: int
) -> None:
    """Should never lower the status (belum < data kurang < met once < eligible) when the latest visit improves."""
    first = random_household(random.Random(seed), missing=0.05)
    latest = replace(first, as_of=first.as_of + timedelta(days=gap), kunjungan_id="uuid:b")
    earlier = assess(first, rules)
    before = graduation_status([earlier, assess(latest, rules)], rules)
    after = graduation_status([earlier, assess(IMPROVEMENTS[which](latest), rules)], rules)
    if "graduasi_alamiah_layak" not in (before.status, after.status):
        assert STATUS_RANK[after.status] >= STATUS_RANK[before.status]


@PROPERTY
@given(seed=seeds)
def test_property__assess__deterministic(rules: RuleSet, seed: int) -> None:
    """Should give equal results for equal inputs, built twice from the same seed (no clock, no state)."""
    one = assess(random_household(random.Random(seed)), rules)
    two = assess(random_household(random.Random(seed)), rules)
    assert one == two
    assert assess(random_household(random.Random(seed)), rules) == one


@settings(max_examples=500, deadline=None)
@given(
    met=st.integers(0, 10),
    unknown=st.integers(0, 10),
    must_failed=st.booleans(),
    must_unknown=st.booleans(),
    min_score=st.integers(0, 10),
)
def test_property__checklist_outcome__monotone(
    met: int, unknown: int, must_failed: bool, must_unknown: bool, min_score: int
) -> None:
    """Should never lower the checklist when a criterion turns from not met (or unknown) to met."""
    before = checklist_outcome(met, unknown, must_failed, must_unknown, min_score)
    more_met = checklist_outcome(met + 1, unknown, must_failed, must_unknown, min_score)
    resolved = checklist_outcome(met + 1, max(unknown - 1, 0), must_failed, must_unknown, min_score)
    assert CHECKLIST_RANK[more_met] >= CHECKLIST_RANK[before]
    if unknown:
        assert CHECKLIST_RANK[resolved] >= CHECKLIST_RANK[before]
    if not must_failed:
        assert (
            CHECKLIST_RANK[checklist_outcome(met, unknown, False, False, min_score)] >= CHECKLIST_RANK[before]
        )
