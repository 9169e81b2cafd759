"""Named locks across processes: a PostgreSQL advisory lock, or a lock file beside a SQLite database.

Both are released by the operating system or the server when the holder dies, kill -9 included, so a crashed
holder never blocks the next one. Used for one sync worker per form and one recompute at a time.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, text

from warehouse.db import is_sqlite, sqlite_path


class LockBusy(Exception):
    """Another process holds the lock right now."""


def _key(name: str) -> int:
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


@contextmanager
def named_lock(engine: Engine, name: str, file_label: str, busy: str) -> Iterator[None]:
    """Hold the lock ``name`` for the duration of the block, without waiting for it.

    :param file_label: readable part of the lock file's name (SQLite).
    :param busy: the message of the :class:`LockBusy` raised when another process holds it (where it is held
        is added).
    """
    if is_sqlite(engine):
        db = sqlite_path(engine.url.render_as_string(hide_password=False))
        folder = db.parent if db else Path(os.environ.get("TMPDIR", "/tmp"))
        stem = db.name if db else "memory"
        safe = hashlib.sha1(name.encode()).hexdigest()[:12]
        lock_path = folder / f".{stem}.{file_label}-{safe}.lock"
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise LockBusy(f"{busy} (lock file {lock_path})") from None
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
            raise LockBusy(f"{busy} (PostgreSQL advisory lock)")
        try:
            yield
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _key(name)})
            conn.commit()
    finally:
        conn.close()
