"""Progress for long runs: a bar in a terminal, a log line every few seconds otherwise (cron, systemd)."""

from __future__ import annotations

import logging
import sys
import time
from typing import Any

from tqdm import tqdm

log = logging.getLogger(__name__)


class Progress:
    """Counts submissions of one form; shows a tqdm bar on a TTY and periodic log lines elsewhere."""

    def __init__(
        self, desc: str, *, enabled: bool = True, log_every: float = 10.0, stream: Any = None
    ) -> None:
        self.desc = desc
        self.done = 0
        self.total: int | None = None
        self._log_every = log_every
        self._last_log = time.monotonic()
        stream = stream or sys.stderr
        self._tty = enabled and hasattr(stream, "isatty") and stream.isatty()
        self._bar = tqdm(desc=desc, unit=" subm", file=stream, disable=not self._tty, dynamic_ncols=True)
        self._enabled = enabled

    def set_total(self, total: int | None) -> None:
        """Set the expected number of submissions when the server tells it."""
        if total is not None and self.total is None:
            self.total = total
            self._bar.total = total
            self._bar.refresh()

    def update(self, n: int) -> None:
        """Advance by n submissions."""
        self.done += n
        self._bar.update(n)
        now = time.monotonic()
        if self._enabled and not self._tty and now - self._last_log >= self._log_every:
            self._last_log = now
            of = f"/{self.total}" if self.total is not None else ""
            log.info("%s: %d%s submissions", self.desc, self.done, of)

    def close(self) -> None:
        """Finish the bar."""
        self._bar.close()
