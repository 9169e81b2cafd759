"""Assessing 50,000 households in pure Python takes well under 10 s (the numbers are printed)."""

from __future__ import annotations

import random
import time

import pytest

from forms.rules import RuleSet
from warehouse.graduation import assess

from .conftest import random_household

HOUSEHOLDS = 50_000
BUDGET_S = 10.0


@pytest.mark.slow
def test_assess__50000_snapshots__well_under_10_s(rules: RuleSet, capsys: pytest.CaptureFixture[str]) -> None:
    """Should assess 50,000 varied households, keeping every result, in well under 10 s.

    Only the CPU time of this process is held to a budget, half of it (about five times what it takes): other
    processes on a busy machine stretch the wall time, which is printed but must not fail the run.
    """
    rng = random.Random(50_000)
    snapshots = [random_household(rng, i) for i in range(HOUSEHOLDS)]
    assess(snapshots[0], rules)  # compile the rules once, as a recompute does
    wall, cpu = time.perf_counter(), time.process_time()
    results = [assess(s, rules) for s in snapshots]
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    with capsys.disabled():
        print(
            f"\nassess: {HOUSEHOLDS} households in {wall:.2f} s wall, {cpu:.2f} s CPU "
            f"({cpu / HOUSEHOLDS * 1e6:.0f} µs CPU each)"
        )
    assert len({a.checklist for a in results}) == 3 and len({a.kategori for a in results}) >= 5
    assert cpu < BUDGET_S / 2, f"{cpu:.2f} s CPU"
