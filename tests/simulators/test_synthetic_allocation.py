"""The synthetic data set's allocations: KPM per kabupaten (exact totals), pendamping, caseloads."""

from __future__ import annotations

import pytest

from simulators.synthetic.allocation import kpm_per_kabupaten, largest_remainder, pendamping_per_kabupaten
from simulators.synthetic.assumptions import KPM_2019
from simulators.synthetic.caseload import plan
from simulators.synthetic.regions import load_regions

KPM_2019_BY_NAME = {
    "3601": 12_687,  # Pandeglang
    "3604": 11_501,  # Kab. Serang
    "3602": 11_397,  # Lebak
    "3673": 5_522,  # Kota Serang
    "3603": 3_050,  # Kab. Tangerang
    "3671": 2_936,  # Kota Tangerang
    "3672": 1_905,  # Cilegon
    "3674": 1_002,  # Tangsel
}


def test_largest_remainder__any_total__sums_exactly_and_stays_within_one_of_quota() -> None:
    """Should split a total into integers that add up exactly, each within 1 of its proportional quota."""
    weights = [3.3, 1.0, 0.7, 5.0, 0.01]
    for total in (0, 1, 7, 100, 12_345):
        shares = largest_remainder(total, weights)
        assert sum(shares) == total
        for share, w in zip(shares, weights, strict=True):
            assert abs(share - total * w / sum(weights)) < 1


def test_largest_remainder__no_positive_weight__raises() -> None:
    with pytest.raises(ValueError, match="positive weight"):
        largest_remainder(5, [0.0, 0.0])


def test_kpm_per_kabupaten__50000__is_the_2019_distribution() -> None:
    """Should reproduce the published 2019 counts exactly for 50,000 KPM (Republika 2019, domain §1.1)."""
    assert kpm_per_kabupaten(50_000) == KPM_2019_BY_NAME
    assert sum(KPM_2019.values()) == 50_000


@pytest.mark.parametrize("kpm", [1, 9, 100, 333, 5_000, 12_345])
def test_kpm_per_kabupaten__other_totals__sum_exactly_in_2019_proportions(kpm: int) -> None:
    """Should scale by largest remainder: exact total, every share within 1 of its quota."""
    split = kpm_per_kabupaten(kpm)
    assert sum(split.values()) == kpm
    for code, count in split.items():
        assert abs(count - kpm * KPM_2019[code] / 50_000) < 1


def test_pendamping_per_kabupaten__always__330_with_59_in_pandeglang() -> None:
    """Should give 330 pendamping, Pandeglang 59, the other 271 in proportion to the 2019 KPM."""
    counts = pendamping_per_kabupaten()
    assert sum(counts.values()) == 330
    assert counts["3601"] == 59
    others = {c: n for c, n in KPM_2019.items() if c != "3601"}
    for code, n in others.items():
        assert abs(counts[code] - 271 * n / sum(others.values())) < 1


def test_plan__50000__kabupaten_totals_and_caseloads_are_exact() -> None:
    """Should place exactly the 2019 count of KPM in each kabupaten, every one with a pendamping of its own
    kabupaten, in contiguous caseloads whose sizes differ by at most one."""
    caseload = plan(2019, 50_000, load_regions())
    per_kab: dict[str, int] = {}
    for slot in caseload.slots:
        per_kab[slot.kabupaten] = per_kab.get(slot.kabupaten, 0) + 1
    assert per_kab == KPM_2019_BY_NAME
    pendamping = {p.id: p for p in caseload.pendamping}
    assert len(pendamping) == 330
    assert sum(1 for p in pendamping.values() if p.kabupaten == "3601") == 59
    seen_order: list[str] = []
    for slot in caseload.slots:
        assert pendamping[slot.pendamping_id].kabupaten == slot.kabupaten
        if not seen_order or seen_order[-1] != slot.pendamping_id:
            assert slot.pendamping_id not in seen_order, "caseloads must be contiguous"
            seen_order.append(slot.pendamping_id)
    by_kab: dict[str, list[int]] = {}
    for p in pendamping.values():
        by_kab.setdefault(p.kabupaten, []).append(p.kpm_count)
    for sizes in by_kab.values():
        assert max(sizes) - min(sizes) <= 1
    assert sum(p.kpm_count for p in pendamping.values()) == 50_000


def test_plan__kecamatan_and_desa__come_from_the_region_lists_of_their_kabupaten() -> None:
    """Should use only real kecamatan/desa codes of the choice lists, each desa inside its kecamatan."""
    regions = load_regions()
    desa_of = {d.code: kec.code for kab in regions for kec in kab.kecamatan for d in kec.desa}
    kec_of = {kec.code: kab.code for kab in regions for kec in kab.kecamatan}
    caseload = plan(7, 2_000, regions)
    for slot in caseload.slots:
        assert desa_of[slot.desa] == slot.kecamatan
        assert kec_of[slot.kecamatan] == slot.kabupaten
    used = {slot.kecamatan for slot in caseload.slots}
    assert len(used) > 100, "2,000 KPM should spread over most of the 155 kecamatan"


def test_plan__tiny_data_set__still_has_330_pendamping_with_a_kecamatan() -> None:
    """Should keep the full roster even when most pendamping have no KPM."""
    caseload = plan(2019, 10, load_regions())
    assert len(caseload.slots) == 10
    assert len(caseload.pendamping) == 330
    kec_codes = {kec.code for kab in load_regions() for kec in kab.kecamatan}
    assert all(p.kecamatan in kec_codes and p.kecamatan.startswith(p.kabupaten) for p in caseload.pendamping)
