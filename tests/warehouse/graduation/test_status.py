"""The graduation status over a household's assessments: confirmation window, contacts, natural exit."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest

from forms.rules import RuleSet
from warehouse.graduation import (
    BELUM_MEMENUHI,
    GRADUASI_ALAMIAH_LAYAK,
    LAYAK_GRADUASI,
    MEMENUHI_SEKALI,
    STATUS_DATA_KURANG,
    Assessment,
    ChildRow,
    assess,
    graduation_status,
    status_history,
)

from .conftest import household, members

START = date(2019, 4, 1)


def visit(rules: RuleSet, day: date, meets: bool | None = True, **changes) -> Assessment:
    """An assessment at a visit on ``day``: meeting the checklist, failing it (None = lacking data)."""
    if meets is False:
        changes.setdefault("kekurangan_pangan_3bln", "ya")
    elif meets is None:
        changes.setdefault("kekurangan_pangan_3bln", None)
    snap = household(as_of=day, kunjungan_id=f"uuid:{day}", tanggal_kunjungan_terakhir=day, **changes)
    return assess(snap, rules)


def registration(rules: RuleSet, day: date = date(2019, 2, 1)) -> Assessment:
    snap = household(
        as_of=day,
        jenis="registrasi",
        kunjungan_id=None,
        tanggal_kunjungan_terakhir=None,
        anak=(),
        balita=(),
        kekurangan_pangan_3bln=None,
    )
    return assess(snap, rules)


@pytest.mark.parametrize(
    ("gap", "status", "reason"),
    [(89, MEMENUHI_SEKALI, "CONFIRM_GAP_TOO_SHORT"), (90, LAYAK_GRADUASI, "CONFIRMED")],
)
def test_status__met_twice__confirmed_from_90_days(
    rules: RuleSet, gap: int, status: str, reason: str
) -> None:
    """Should confirm eligibility only when the two most recent visits meet it at least 90 days apart."""
    history = [registration(rules), visit(rules, START), visit(rules, START + timedelta(days=gap))]
    result = graduation_status(history, rules)
    assert (result.status, result.reasons) == (status, (reason,))
    assert result.basis == (START, START + timedelta(days=gap))


def test_status__met_once__awaits_confirmation(rules: RuleSet) -> None:
    """Should say 'met once' after a single meeting visit (the registration never confirms)."""
    result = graduation_status([registration(rules), visit(rules, START)], rules)
    assert (result.status, result.reasons) == (MEMENUHI_SEKALI, ("NOT_CONFIRMED_YET",))


def test_status__met_then_not__not_yet(rules: RuleSet) -> None:
    """Should drop back when the latest visit fails, with the failing criteria as reasons."""
    history = [
        visit(rules, START),
        visit(rules, START + timedelta(days=100)),
        visit(rules, START + timedelta(days=200), meets=False),
    ]
    result = graduation_status(history, rules)
    assert result.status == BELUM_MEMENUHI and "G1_FOOD_INSECURE" in result.reasons


def test_status__earlier_miss_between__only_two_latest_count(rules: RuleSet) -> None:
    """Should look at the two most recent visits only: a miss before them does not matter."""
    history = [
        visit(rules, START, meets=False),
        visit(rules, START + timedelta(days=95)),
        visit(rules, START + timedelta(days=190)),
    ]
    assert graduation_status(history, rules).status == LAYAK_GRADUASI
    history = [
        visit(rules, START),
        visit(rules, START + timedelta(days=95), meets=False),
        visit(rules, START + timedelta(days=190)),
    ]
    assert graduation_status(history, rules).status == MEMENUHI_SEKALI


def test_status__latest_lacks_data__data_kurang(rules: RuleSet) -> None:
    """Should say data_kurang when the latest contact lacks data that decides the checklist."""
    history = [visit(rules, START), visit(rules, START + timedelta(days=100), meets=None)]
    result = graduation_status(history, rules)
    assert (result.status, result.reasons) == (STATUS_DATA_KURANG, ("G1_DATA_MISSING",))


def test_status__not_found_at_visit__status_unchanged(rules: RuleSet) -> None:
    """Should ignore a visit where the family was not found (it is not a contact)."""
    history = [
        visit(rules, START),
        visit(rules, START + timedelta(days=100)),
        visit(rules, START + timedelta(days=130), kpm_ditemui="tidak_ada_di_rumah"),
    ]
    result = graduation_status(history, rules)
    assert result.status == LAYAK_GRADUASI
    assert result.tanggal == START + timedelta(days=130)


def test_status__not_found_between__window_skips_it(rules: RuleSet) -> None:
    """Should confirm across a visit where the family was not at home."""
    history = [
        visit(rules, START),
        visit(rules, START + timedelta(days=50), kpm_ditemui="tidak_ada_di_rumah"),
        visit(rules, START + timedelta(days=100)),
    ]
    assert graduation_status(history, rules).status == LAYAK_GRADUASI


def test_status__only_registration__from_its_checklist(rules: RuleSet) -> None:
    """Should judge a family with only a registration from it: failing, or lacking visit-only data."""
    assert graduation_status([registration(rules)], rules).status == STATUS_DATA_KURANG
    poor = replace(
        household(pendapatan_bulan_rp=100_000),
        jenis="registrasi",
        kunjungan_id=None,
        tanggal_kunjungan_terakhir=None,
        anak=(),
        balita=(),
    )
    assert graduation_status([assess(poor, rules)], rules).status == BELUM_MEMENUHI


def test_status__no_assessment__data_kurang(rules: RuleSet) -> None:
    """Should not invent a status without any assessment."""
    result = graduation_status([], rules)
    assert (result.status, result.reasons, result.tanggal) == (STATUS_DATA_KURANG, ("NO_CONTACT",), None)


def test_status__natural_exit__wins(rules: RuleSet) -> None:
    """Should propose natural exit when no eligible member remains, whatever the checklist says."""
    adults = members()
    history = [
        visit(rules, START, anggota=adults, anak=(), balita=()),
        visit(rules, START + timedelta(days=100), meets=False, anggota=adults, anak=(), balita=()),
    ]
    result = graduation_status(history, rules)
    assert (result.status, result.reasons) == (GRADUASI_ALAMIAH_LAYAK, ("NATURAL_EXIT",))


def test_status__history_order__does_not_matter(rules: RuleSet) -> None:
    """Should sort the assessments by date itself."""
    history = [visit(rules, START + timedelta(days=100)), visit(rules, START)]
    assert graduation_status(history, rules).status == LAYAK_GRADUASI


def test_status__window_from_rules__three_visits(rules: RuleSet) -> None:
    """Should take the number of visits and the days from the rules, not from code."""
    strict = replace(rules, rule=replace(rules.rule, confirm_visits=3, confirm_min_days=180))
    history = [visit(rules, START), visit(rules, START + timedelta(days=100))]
    assert graduation_status(history, strict).status == MEMENUHI_SEKALI
    history.append(visit(rules, START + timedelta(days=180)))
    assert graduation_status(history, strict).status == LAYAK_GRADUASI


def test_status_history__each_assessment__its_own_status(rules: RuleSet) -> None:
    """Should give the status after each assessment, using that assessment's rule version."""
    history = [
        registration(rules),
        visit(rules, START),
        visit(rules, START + timedelta(days=95)),
        visit(rules, START + timedelta(days=190), anak=(ChildRow(3, "tidak_sekolah"),)),
    ]
    statuses = [s.status for s in status_history(history, {"v2019": rules})]
    assert statuses == [STATUS_DATA_KURANG, MEMENUHI_SEKALI, LAYAK_GRADUASI, BELUM_MEMENUHI]


def test_status_history__one_pass__equals_status_of_each_prefix(rules: RuleSet) -> None:
    """Should give, after each assessment, exactly what graduation_status gives for the history up to it."""
    import random

    rng = random.Random(11)
    found = ["ya", "ya", "ya", "tidak_ada_di_rumah", "pindah"]
    seen = set()
    for _ in range(60):
        day = START
        history = [registration(rules)]
        for _ in range(rng.randint(0, 7)):
            day += timedelta(days=rng.choice((30, 60, 89, 90, 120)))
            history.append(
                visit(rules, day, rng.choice((True, True, False, None)), kpm_ditemui=rng.choice(found))
            )
        rng.shuffle(history)
        got = status_history(history, {"v2019": rules})
        ordered = sorted(history, key=lambda a: a.tanggal)
        assert got == [graduation_status(ordered[: i + 1], rules) for i in range(len(ordered))]
        seen.update(s.status for s in got)
    assert {BELUM_MEMENUHI, MEMENUHI_SEKALI, LAYAK_GRADUASI, STATUS_DATA_KURANG} <= seen
