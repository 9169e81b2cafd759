"""In-worker fault hooks for the crash tests (reliability.md §3.1): kill -9 or raise at an exact point.

Only the composition root builds them, from ``GRADUASI_SYNC_FAULT``; the runner merely calls the hook it was
given at each point, so nothing here is active in production unless someone sets that variable. Grammar: rules
separated by ``;``, each ``ACTION:ARG:key=value:…``:

* ``kill:before_commit:page=3`` — SIGKILL inside page 3's transaction, after loading, before its commit;
* ``kill:after_commit:page=3`` — SIGKILL right after page 3 committed;
* ``raise:OperationalError:on=upsert:n=2`` — raise a database error when loading the 2nd page;
* ``raise:StorageFull:on=upsert`` — the same, worded as PostgreSQL's "could not extend file" (disk full);
* ``sleep:2.5:on=before_commit:page=1`` — hold page 1's transaction open for 2.5 s.

Points: ``upsert`` (before a page is loaded), ``before_commit``, ``after_commit`` (per page, numbered from 1 in
the run), ``reconcile`` and ``finish`` (page 0). ``page=`` selects a page; ``n=`` the n-th time the point is
reached (default: every time the other conditions hold); ``on=`` names the point when ARG is not one.
"""

from __future__ import annotations

import logging
import os
import signal
import time
from dataclasses import dataclass

from sqlalchemy.exc import OperationalError

from sync.errors import InjectedFault

log = logging.getLogger(__name__)

POINTS = ("upsert", "before_commit", "after_commit", "reconcile", "finish")
ENV_VAR = "GRADUASI_SYNC_FAULT"


@dataclass
class FaultRule:
    """One injected fault: what to do, at which point, on which page or occurrence."""

    action: str  # kill | raise | sleep
    point: str
    error: str = "OperationalError"
    seconds: float = 0.0
    page: int | None = None
    nth: int | None = None
    seen: int = 0

    def due(self, point: str, page: int) -> bool:
        if point != self.point or (self.page is not None and page != self.page):
            return False
        self.seen += 1
        return self.nth is None or self.seen == self.nth


class WorkerFaults:
    """The callable the runner invokes as ``faults(point, page)`` at each point of a run."""

    def __init__(self, rules: list[FaultRule]) -> None:
        self.rules = rules

    @classmethod
    def parse(cls, spec: str) -> WorkerFaults:
        """Parse the ``GRADUASI_SYNC_FAULT`` text (see the module docstring).

        :raises ValueError: naming the rule that is wrong.
        """
        rules = []
        for text in (t.strip() for t in spec.split(";")):
            if text:
                rules.append(_rule(text))
        return cls(rules)

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> WorkerFaults | None:
        """The faults named by ``GRADUASI_SYNC_FAULT``, or None when it is unset (the normal case)."""
        spec = (environ if environ is not None else os.environ).get(ENV_VAR, "").strip()
        if not spec:
            return None
        faults = cls.parse(spec)
        log.warning("%s is set: faults will be injected into this sync (%s)", ENV_VAR, spec)
        return faults

    def __call__(self, point: str, page: int = 0) -> None:
        for rule in self.rules:
            if not rule.due(point, page):
                continue
            if rule.action == "kill":
                os.kill(os.getpid(), signal.SIGKILL)
            elif rule.action == "sleep":
                time.sleep(rule.seconds)
            elif rule.error == "StorageFull":
                raise OperationalError(
                    "upsert", {}, OSError(28, "could not extend file: No space left on device (injected)")
                )
            elif rule.error == "OperationalError":
                raise OperationalError("upsert", {}, Exception(f"injected database error at {point}"))
            else:
                raise InjectedFault(f"injected failure at {point} (page {page})")


def _rule(text: str) -> FaultRule:
    parts = text.split(":")
    action = parts[0].strip().lower()
    if action not in ("kill", "raise", "sleep") or len(parts) < 2:
        raise ValueError(f"fault rule {text!r}: start with kill:POINT, raise:ERROR or sleep:SECONDS")
    rule = FaultRule(action=action, point="")
    arg = parts[1].strip()
    if action == "kill":
        rule.point = arg
    elif action == "raise":
        rule.error = arg
    else:
        try:
            rule.seconds = float(arg)
        except ValueError:
            raise ValueError(f"fault rule {text!r}: sleep needs seconds, e.g. sleep:2.5") from None
    for item in parts[2:]:
        key, _, value = item.partition("=")
        key = key.strip()
        try:
            if key == "page":
                rule.page = int(value)
            elif key == "n":
                rule.nth = int(value)
            elif key == "on":
                rule.point = value.strip()
            else:
                raise ValueError(f"unknown item {key!r}")
        except ValueError as exc:
            raise ValueError(f"fault rule {text!r}: {exc}") from None
    if rule.point not in POINTS:
        raise ValueError(f"fault rule {text!r}: the point is one of {', '.join(POINTS)}")
    if rule.action == "raise" and rule.error not in ("OperationalError", "StorageFull", "SyncError"):
        raise ValueError(f"fault rule {text!r}: raise OperationalError, StorageFull or SyncError")
    return rule
