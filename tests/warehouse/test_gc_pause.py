"""The collector pause around recompute batches: paused inside, resumed after, never left paused."""

from __future__ import annotations

import gc
import threading
import weakref

import pytest

from warehouse.gc_pause import gc_paused


@pytest.fixture(autouse=True)
def _collector_running():
    gc.enable()
    yield
    gc.enable()


def test_paused_inside_and_resumed_after() -> None:
    with gc_paused():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_resumed_after_an_error() -> None:
    with pytest.raises(RuntimeError), gc_paused():
        raise RuntimeError("batch failed")
    assert gc.isenabled()


def test_a_collector_paused_by_the_caller_stays_paused() -> None:
    gc.disable()
    with gc_paused():
        assert not gc.isenabled()
    assert not gc.isenabled()


def test_nested_blocks_resume_only_at_the_outer_end() -> None:
    with gc_paused():
        with gc_paused():
            pass
        assert not gc.isenabled()
    assert gc.isenabled()


def test_overlapping_threads_never_leave_it_paused() -> None:
    # one thread's block starts inside another's and ends after it
    inner_started, outer_done = threading.Event(), threading.Event()

    def second() -> None:
        with gc_paused():
            inner_started.set()
            outer_done.wait(5)

    with gc_paused():
        t = threading.Thread(target=second)
        t.start()
        assert inner_started.wait(5)
    outer_done.set()
    t.join(5)
    assert gc.isenabled()


def test_cycles_made_while_paused_wait_until_it_resumes() -> None:
    class Node:
        pass

    with gc_paused():
        a, b = Node(), Node()
        a.other, b.other = b, a  # type: ignore[attr-defined]
        alive = weakref.ref(a)
        del a, b
        for _ in range(10_000):  # allocations that would have started a collection
            [[] for _ in range(10)]
        assert alive() is not None
    gc.collect()
    assert alive() is None
