"""Pausing Python's cyclic garbage collector around a bounded burst of allocation (a recompute batch).

A batch of the graduation recompute builds tens of thousands of snapshots, assessments and row dicts and keeps
them all until the batch is planned. The collector, triggered every 700 allocations, walked them again and again
without finding anything to free: about a fifth of the CPU time of planning a batch. Reference counting still
frees everything acyclic while the collector is paused; what is cyclic waits until it resumes at the end of the
batch, so memory stays bounded by one batch.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector for the ``with`` block, then resume it if it was running.

    Safe with threads: a block that finds the collector already paused leaves it to the block that paused it, so
    the collector never stays paused after every block has ended (at worst it resumes early for another thread).
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
