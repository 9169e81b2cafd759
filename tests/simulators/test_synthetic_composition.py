"""Household composition and change over time, against the shares of domain.md §6.6 (with tolerances)."""

from __future__ import annotations

import functools
from collections import Counter

import pytest

from simulators.synthetic import Dataset, Household, Visit, generate
from simulators.synthetic.people import school_age
from simulators.synthetic.welfare import LEVELS

N = 4000


@functools.cache
def dataset() -> Dataset:
    return generate(N, 42)


@functools.cache
def visits() -> list[tuple[Household, list[Visit]]]:
    """Every household with its visits (ground truth), computed once for the module."""
    ds = dataset()
    return [(h, ds.visits(h)) for h in ds.households]


def share(count: int | float, total: int = N) -> float:
    return count / total


def test_household_size__distribution__follows_the_assumed_shape() -> None:
    """Should follow P(2)=3%, 3=12%, 4=24%, 5=26%, 6=17%, 7=10%, 8+=8% within 2 points."""
    sizes = Counter(min(h.registered, 8) for h in dataset().households)
    expected = {2: 0.03, 3: 0.12, 4: 0.24, 5: 0.26, 6: 0.17, 7: 0.10, 8: 0.08}
    for size, p in expected.items():
        assert share(sizes[size]) == pytest.approx(p, abs=0.02), size
    mean = sum(h.registered for h in dataset().households) / N
    assert 4.8 <= mean <= 5.3


def test_composition__at_registration__matches_domain_shares() -> None:
    """Should have ~6% with a pregnant woman, ~40% a toddler, ~22% an elderly member, ~3% a severe disability,
    on average ~1.8 children 7-18 and >= 1 such child in ~90% of KPM, and every KPM eligible."""
    pregnant = toddler = elderly = severe = with_child = children = eligible = 0
    for h in dataset().households:
        reg = h.registered_on
        roster = h.members[: h.registered]
        ages = [m.age(reg) for m in roster]
        pregnant += any(m.pregnant(reg) for m in roster)
        toddler += any(a <= 4 for a in ages)
        elderly += any(a >= 60 for a in ages)
        severe += any(m.disability == "berat" for m in roster)
        kids = sum(1 for a in ages if 7 <= a <= 18)
        children += kids
        with_child += kids > 0
        eligible += any(m.pregnant(reg) for m in roster) or any(
            a < 21 for m, a in zip(roster, ages, strict=True) if m.relation != "kepala"
        )
    assert share(pregnant) == pytest.approx(0.06, abs=0.015)
    assert share(toddler) == pytest.approx(0.40, abs=0.03)
    assert share(elderly) == pytest.approx(0.22, abs=0.03)
    assert share(severe) == pytest.approx(0.03, abs=0.012)
    assert children / N == pytest.approx(1.8, abs=0.15)
    assert share(with_child) == pytest.approx(0.90, abs=0.03)
    assert eligible == N


def test_schooling__enrolment_by_level__matches_domain_shares() -> None:
    """Should enrol ~97% at SD age, ~88% at SMP age, ~65% at SMA age (school age on 1 July)."""
    enrolled: Counter[str] = Counter()
    total: Counter[str] = Counter()
    for h in dataset().households:
        reg = h.registered_on
        for m in h.members[: h.registered]:
            sage = school_age(m.birth_date, reg)
            level = (
                "sd"
                if 6 <= sage <= 11
                else "smp"
                if 12 <= sage <= 14
                else "sma"
                if 15 <= sage <= 17
                else None
            )
            if level is None or not 7 <= m.age(reg) <= 18:
                continue
            total[level] += 1
            status = m.school(reg)
            enrolled[level] += bool(status and status[0] == "masih_sekolah")
    assert enrolled["sd"] / total["sd"] == pytest.approx(0.97, abs=0.02)
    assert enrolled["smp"] / total["smp"] == pytest.approx(0.88, abs=0.04)
    assert enrolled["sma"] / total["sma"] == pytest.approx(0.65, abs=0.05)


def test_baseline_category__mix__matches_domain_shares_and_is_computed_from_answers() -> None:
    """Should start 45/35/15/5% sangat miskin/miskin/hampir/rentan, each the worse of the two §6.3 rules."""
    counts = Counter(h.category for h in dataset().households)
    for category, p in (
        ("sangat_miskin", 0.45),
        ("miskin", 0.35),
        ("hampir_miskin", 0.15),
        ("rentan_miskin", 0.05),
    ):
        assert share(counts[category]) == pytest.approx(p, abs=0.03), category
    from simulators.synthetic.welfare import category_level

    for h in dataset().households[:500]:
        level, score = category_level(h.welfare_at_registration())
        assert LEVELS[level] == h.category and score == h.bps_score


def test_regions__rural_share__higher_in_the_rural_south() -> None:
    """Should place most KPM of Pandeglang and Lebak in desa, and all of the cities' in kelurahan."""
    rural: Counter[str] = Counter()
    total: Counter[str] = Counter()
    for h in dataset().households:
        total[h.kabupaten] += 1
        rural[h.kabupaten] += h.rural
    assert rural["3601"] / total["3601"] > 0.9 and rural["3602"] / total["3602"] > 0.9
    assert all(rural[k] == 0 for k in ("3671", "3672", "3673", "3674"))


def test_visits__attendance__about_80_percent_of_enrolled_child_months_at_85() -> None:
    good = enrolled = 0
    for _h, vs in visits():
        for v in vs:
            for row in v.children:
                if row.in_school:
                    enrolled += 1
                    good += (row.pct or 0) >= 85
    assert good / enrolled == pytest.approx(0.80, abs=0.04)


def test_visits__yearly_transitions__match_domain_ranges() -> None:
    """Should move 15-25%/yr up a category and 5-10%/yr down (last visit of the year vs the year before), and
    make 3-8% of KPM eligible to graduate in year 2 and none in year 1 (met on two visits >= 90 days apart)."""
    up: Counter[int] = Counter()
    down: Counter[int] = Counter()
    first_eligible: Counter[int] = Counter()
    for h, vs in visits():
        level_at_end: dict[int, int] = {}
        eligible_year = None
        for v in vs:
            if v.level is None:
                continue
            level_at_end[v.day.year] = v.level
            if v.eligible and eligible_year is None:
                eligible_year = v.day.year
        previous = LEVELS.index(h.category)
        for year in (2019, 2020):
            if year in level_at_end:
                up[year] += level_at_end[year] > previous
                down[year] += level_at_end[year] < previous
                previous = level_at_end[year]
        if eligible_year is not None:
            first_eligible[eligible_year] += 1
    for year in (2019, 2020):
        assert 0.15 <= share(up[year]) <= 0.25, (year, share(up[year]))
        assert 0.05 <= share(down[year]) <= 0.11, (year, share(down[year]))
    assert first_eligible[2019] == 0
    assert 0.03 <= share(first_eligible[2020]) <= 0.08


def test_visits__members__age_and_new_babies_join() -> None:
    """Should report births (and list the babies as toddlers) and pregnancies found between visits."""
    births = new_pregnancies = listed_babies = 0
    for _h, vs in visits():
        for v in vs:
            births += v.counts.get("lahir", 0)
            new_pregnancies += "hamil_baru" in v.changes
            listed_babies += sum(1 for row in v.toddlers if row.urutan is None)
    assert births > 50 and new_pregnancies > 30 and listed_babies > births
