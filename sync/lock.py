"""One worker per form at a time: a PostgreSQL advisory lock, or a lock file beside a SQLite database.

Both are released by the operating system or the server when the holder dies, kill -9 included, so a crashed
worker never blocks the next run.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, text

from warehouse.db import is_sqlite, sqlite_path

log = logging.getLogger(__name__)


class LockBusy(Exception):
    """Another worker is syncing this form right now."""


def _key(name: str) -> int:
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


@contextmanager
def form_lock(engine: Engine, source: str, form_id: str) -> Iterator[None]:
    """Hold the sync lock of one form for the duration of the block.

    :raises LockBusy: when another process holds it (we do not wait: the next scheduled run will try again).
    """
    name = f"graduasi-sync:{source}:{form_id}"
    if is_sqlite(engine):
        db = sqlite_path(engine.url.render_as_string(hide_password=False))
        folder = db.parent if db else Path(os.environ.get("TMPDIR", "/tmp"))
        stem = db.name if db else "memory"
        safe = hashlib.sha1(name.encode()).hexdigest()[:12]
        lock_path = folder / f".{stem}.{source}-{form_id[:40]}-{safe}.lock"
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise LockBusy(
                    f"{source}:{form_id} is already running in another worker (lock file {lock_path}); skipped"
                ) from None
            os.ftruncate(fd, 0)
            os.write(fd, str(os.getpid()).encode())
            yield
        finally:
            os.close(fd)  # closing the descriptor releases the flock
        return
    # A session-level advisory lock on a dedicated connection, outside any transaction.
    conn = engine.connect()
    try:
        got = conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": _key(name)}).scalar()
        conn.commit()
        if not got:
            raise LockBusy(
                f"{source}:{form_id} is already running in another worker (PostgreSQL advisory lock); skipped"
            )
        try:
            yield
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _key(name)})
            conn.commit()
    finally:
        conn.close()
