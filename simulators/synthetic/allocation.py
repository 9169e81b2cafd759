"""Integer allocations that add up exactly: largest-remainder (Hamilton) apportionment."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from .assumptions import KPM_2019, PENDAMPING_FIXED, PENDAMPING_TOTAL


def largest_remainder(total: int, weights: Sequence[float]) -> list[int]:
    """Split ``total`` into integers proportional to ``weights`` that sum to exactly ``total``.

    Each share gets the floor of its quota; the units left go to the largest fractional remainders, ties to the
    earlier position (so the result is deterministic).
    """
    if total < 0:
        raise ValueError(f"cannot allocate a negative total ({total})")
    weight_sum = float(sum(weights))
    if not weights or weight_sum <= 0:
        raise ValueError("largest_remainder needs at least one positive weight")
    quotas = [total * w / weight_sum for w in weights]
    shares = [int(q) for q in quotas]
    left = total - sum(shares)
    order = sorted(range(len(weights)), key=lambda i: (-(quotas[i] - shares[i]), i))
    for i in order[:left]:
        shares[i] += 1
    return shares


def kpm_per_kabupaten(kpm: int, base: Mapping[str, int] = KPM_2019) -> dict[str, int]:
    """KPM per kabupaten/kota code: the 2019 counts for 50,000, scaled by largest remainder for another total."""
    codes = sorted(base)
    return dict(zip(codes, largest_remainder(kpm, [base[c] for c in codes]), strict=True))


def pendamping_per_kabupaten(base: Mapping[str, int] = KPM_2019) -> dict[str, int]:
    """330 pendamping: the fixed ones (Pandeglang 59) plus the rest in proportion to the 2019 KPM counts.

    The roster does not depend on the number of KPM generated, so pendamping ids are the same in every data set.
    """
    free = sorted(c for c in base if c not in PENDAMPING_FIXED)
    rest = PENDAMPING_TOTAL - sum(PENDAMPING_FIXED.values())
    result = dict(PENDAMPING_FIXED)
    result.update(zip(free, largest_remainder(rest, [base[c] for c in free]), strict=True))
    return {c: result[c] for c in sorted(result)}
