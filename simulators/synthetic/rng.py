"""Deterministic random streams: every household and every event draws from its own seeded stream.

Seeding per (data-set seed, stream, household, event) instead of drawing from one global generator makes each
value independent of the order in which others are produced, so events can be streamed lazily and a household's
ground truth can be recomputed on demand, always with the same result.
"""

from __future__ import annotations

import _random
import bisect
import itertools
import random
from collections.abc import Mapping, Sequence
from typing import Generic, TypeVar

T = TypeVar("T")

_MASK = (1 << 64) - 1

# Stream numbers: one per kind of draw, never reused for another purpose.
REGIONS = 1
HOUSEHOLD = 2
VISIT = 3
DISBURSEMENT = 4
REGISTRATION = 5
SERVER = 6
PENDAMPING = 7
SCHEDULE = 8


def mix(*parts: int) -> int:
    """Combine integers into one well-spread 64-bit seed: a polynomial over the parts, then the splitmix64
    finaliser (cheap enough to call for every event)."""
    h = 0x9E3779B97F4A7C15
    for part in parts:
        h = (h * 0x100000001B3 + part) & _MASK
    h ^= h >> 30
    h = (h * 0xBF58476D1CE4E5B9) & _MASK
    h ^= h >> 27
    h = (h * 0x94D049BB133111EB) & _MASK
    return h ^ (h >> 31)


#: ``random.Random.seed`` without the Python-level wrapper (same algorithm for an int seed, called per visit).
reseed = _random.Random.seed


def stream(*parts: int) -> random.Random:
    """A new generator seeded from ``parts`` (see :func:`mix`)."""
    return random.Random(mix(*parts))


class Weighted(Generic[T]):
    """A categorical distribution drawn with one uniform number and a binary search."""

    __slots__ = ("_cum", "_total", "values")

    def __init__(self, weights: Mapping[T, float] | Sequence[tuple[T, float]]) -> None:
        items = list(weights.items()) if isinstance(weights, Mapping) else list(weights)
        if not items or any(w < 0 for _, w in items) or sum(w for _, w in items) <= 0:
            raise ValueError(f"invalid weights: {items!r}")
        self.values: list[T] = [v for v, _ in items]
        self._cum = list(itertools.accumulate(w for _, w in items))
        self._total = self._cum[-1]

    def draw(self, rng: random.Random) -> T:
        return self.values[bisect.bisect_right(self._cum, rng.random() * self._total)]


def ri(rng: random.Random, low: int, high: int) -> int:
    """A uniform integer in [low, high] from one draw (cheaper than ``randint``)."""
    return low + int(rng.random() * (high - low + 1))


def pick(rng: random.Random, seq: Sequence[T]) -> T:
    """One element of ``seq`` from one draw (cheaper than ``choice``)."""
    return seq[int(rng.random() * len(seq))]


def normal(rng: random.Random, mu: float, sigma: float) -> float:
    """An approximately normal draw (sum of three uniforms, variance matched): cheaper than ``gauss``."""
    rand = rng.random
    return mu + sigma * 2.0 * (rand() + rand() + rand() - 1.5)
