"""One worker per form at a time (:func:`warehouse.lock.named_lock`: an advisory lock or a lock file)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine

from warehouse.lock import LockBusy, named_lock

__all__ = ["LockBusy", "form_lock"]


@contextmanager
def form_lock(engine: Engine, source: str, form_id: str) -> Iterator[None]:
    """Hold the sync lock of one form for the duration of the block.

    :raises LockBusy: when another process holds it (we do not wait: the next scheduled run will try again).
    """
    with named_lock(
        engine,
        f"graduasi-sync:{source}:{form_id}",
        f"{source}-{form_id[:40]}",
        f"{source}:{form_id} is already running in another worker; skipped",
    ):
        yield
