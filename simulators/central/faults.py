"""Faults on demand for the fault-injection tests (shared/reliability.md §3): which requests, which
occurrence, and what goes wrong.

A :class:`FaultPlan` is a list of :class:`Fault` rules. Every request is matched against every rule (method,
kind, path regex); a matching request advances that rule's counter and the rule *fires* when its occurrence
condition holds (``nth``, ``from_nth``, ``every``, at most ``times`` times). Hooks, session expiry, delays and
date skews of all firing rules apply; of the rules that replace or break the response (status, html,
truncate, reset, drip) the first firing one wins.

Build rules in code with the helpers (:func:`status`, :func:`html`, :func:`truncate`, :func:`reset`,
:func:`delay`, :func:`drip`, :func:`expire_session`, :func:`hook`, :func:`date_skew`) or parse the text form
``graduasi simulator central --faults SPEC`` takes (grammar in docs/simulator.md), e.g.
``status=503,retry_after=7,kind=odata,nth=2; reset,path=Submissions,from=5,times=1``.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

KINDS = ("any", "odata", "sessions", "rest")
ACTIONS = ("status", "html", "truncate", "reset", "delay", "drip", "expire_session", "hook", "date_skew")
RESPONSE_ACTIONS = ("status", "html", "truncate", "reset", "drip")


def request_kind(path: str) -> str:
    """``sessions`` (/v1/sessions...), ``odata`` (anything under a ``.svc``), else ``rest``."""
    if re.match(r"^/v1/sessions(/|$|\?)", path):
        return "sessions"
    if ".svc" in path.split("?", 1)[0]:
        return "odata"
    return "rest"


@dataclass
class FaultContext:
    """What a hook sees: the request about to be served, the rule's match count, and the store."""

    method: str
    target: str
    kind: str
    headers: Mapping[str, str]
    n: int
    store: Any


@dataclass(eq=False)
class Fault:
    """One rule. Use the module-level helpers to build one."""

    action: str
    # action parameters
    status: int | None = None
    body: str | None = None
    content_type: str | None = None
    retry_after: str | None = None
    mode: str | None = None  # truncate: cut|short ; reset: before|headers|mid
    fraction: float = 0.5
    seconds: float = 0.0
    chunk: int = 1  # drip: bytes per step
    interval: float = 1.0  # drip: seconds between steps
    callback: Callable[[FaultContext], None] | None = None
    # which requests
    kind: str = "any"
    path: str | None = None
    method: str | None = None
    # which occurrences (1-based count of matching requests)
    nth: int | None = None
    from_nth: int | None = None
    every: int | None = None
    times: int | None = None
    # state
    seen: int = 0
    fired: int = 0
    _path_re: re.Pattern[str] | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.action not in ACTIONS:
            raise ValueError(f"unknown fault action {self.action!r}; use one of {', '.join(ACTIONS)}")
        if self.kind not in KINDS:
            raise ValueError(f"unknown request kind {self.kind!r}; use one of {', '.join(KINDS)}")
        self._path_re = re.compile(self.path) if self.path else None

    def matches(self, method: str, target: str, kind: str) -> bool:
        if self.method is not None and self.method.upper() != method.upper():
            return False
        if self.kind != "any" and self.kind != kind:
            return False
        return self._path_re is None or self._path_re.search(target) is not None

    def due(self) -> bool:
        n = self.seen
        if self.times is not None and self.fired >= self.times:
            return False
        if self.nth is not None and n != self.nth:
            return False
        if self.from_nth is not None and n < self.from_nth:
            return False
        return not (self.every is not None and n % self.every != 0)


class FaultPlan:
    """The rules of one server. Thread-safe; reusable across servers only if you reset it."""

    def __init__(self, rules: list[Fault] | tuple[Fault, ...] = ()) -> None:
        self.rules = list(rules)
        self._lock = threading.Lock()

    def add(self, rule: Fault) -> FaultPlan:
        with self._lock:
            self.rules.append(rule)
        return self

    def reset(self) -> None:
        with self._lock:
            for rule in self.rules:
                rule.seen = rule.fired = 0

    def fire(self, method: str, target: str, kind: str) -> list[tuple[Fault, int]]:
        """Count this request against every rule; the rules that fire, with their match count."""
        fired = []
        with self._lock:
            for rule in self.rules:
                if not rule.matches(method, target, kind):
                    continue
                rule.seen += 1
                if rule.due():
                    rule.fired += 1
                    fired.append((rule, rule.seen))
        return fired

    @classmethod
    def parse(cls, spec: str) -> FaultPlan:
        """Parse the ``--faults`` text (rules separated by ``;``, items by ``,``; see docs/simulator.md)."""
        return cls([_parse_rule(text) for text in _split(spec, ";") if text.strip()])

    def __repr__(self) -> str:
        return f"FaultPlan({self.rules!r})"


# --- helpers to build rules ---------------------------------------------------------------------------------


def status(code: int, *, body: str | None = None, retry_after: str | float | None = None,
           content_type: str | None = None, **when: Any) -> Fault:  # fmt: skip
    """Answer ``code`` instead of serving (optional body and ``Retry-After`` in seconds or an HTTP-date)."""
    return Fault("status", status=code, body=body, content_type=content_type,
                 retry_after=None if retry_after is None else _retry_text(retry_after), **when)  # fmt: skip


def html(*, body: str | None = None, **when: Any) -> Fault:
    """Answer 200 ``text/html`` (a captive portal or proxy page) instead of JSON."""
    return Fault("html", body=body, **when)


def truncate(mode: str = "cut", *, fraction: float = 0.5, **when: Any) -> Fault:
    """Serve the response but cut its body at ``fraction``: ``cut`` = valid headers and Content-Length of the
    cut body (broken JSON); ``short`` = Content-Length of the whole body, then the connection closes early."""
    if mode not in ("cut", "short"):
        raise ValueError("truncate mode is 'cut' or 'short'")
    return Fault("truncate", mode=mode, fraction=fraction, **when)


def reset(mode: str = "before", *, fraction: float = 0.5, **when: Any) -> Fault:
    """Reset the TCP connection (SO_LINGER 0 -> RST): ``before`` any byte, after the ``headers``, or ``mid``
    body (after ``fraction`` of it)."""
    if mode not in ("before", "headers", "mid"):
        raise ValueError("reset mode is 'before', 'headers' or 'mid'")
    return Fault("reset", mode=mode, fraction=fraction, **when)


def delay(seconds: float, **when: Any) -> Fault:
    """Wait before answering (read timeouts)."""
    return Fault("delay", seconds=seconds, **when)


def drip(chunk: int = 1, interval: float = 1.0, **when: Any) -> Fault:
    """Send the body ``chunk`` bytes at a time, ``interval`` seconds apart (slow drip)."""
    return Fault("drip", chunk=chunk, interval=interval, **when)


def expire_session(**when: Any) -> Fault:
    """Expire the Bearer session of the request: it (and every later use of that token) gets 401.2."""
    return Fault("expire_session", **when)


def hook(callback: Callable[[FaultContext], None], **when: Any) -> Fault:
    """Run ``callback(ctx)`` before serving (e.g. insert/edit/delete submissions between pages)."""
    return Fault("hook", callback=callback, **when)


def date_skew(seconds: float, **when: Any) -> Fault:
    """Shift the ``Date`` response header by ``seconds`` (clock-skew tests)."""
    return Fault("date_skew", seconds=seconds, **when)


def _retry_text(value: str | float) -> str:
    if isinstance(value, (int, float)):
        return str(int(value)) if float(value).is_integer() else str(value)
    return value


# --- the text form ------------------------------------------------------------------------------------------


def _split(text: str, sep: str) -> list[str]:
    """Split on ``sep`` outside double quotes."""
    parts, buf, quoted = [], [], False
    for ch in text:
        if ch == '"':
            quoted = not quoted
            buf.append(ch)
        elif ch == sep and not quoted:
            parts.append("".join(buf))
            buf = []
        else:
            buf.append(ch)
    if quoted:
        raise ValueError(f"unbalanced double quote in fault spec {text!r}")
    parts.append("".join(buf))
    return parts


def _unquote(value: str) -> str:
    value = value.strip()
    return value[1:-1] if len(value) >= 2 and value[0] == value[-1] == '"' else value


_INT_KEYS = {"nth": "nth", "from": "from_nth", "every": "every", "times": "times", "chunk": "chunk"}
_FLOAT_KEYS = {"fraction": "fraction", "interval": "interval"}
_TEXT_KEYS = {"body": "body", "content_type": "content_type", "retry_after": "retry_after", "kind": "kind",
              "path": "path", "method": "method"}  # fmt: skip


def _parse_rule(text: str) -> Fault:
    items = [i for i in _split(text, ",") if i.strip()]
    action: str | None = None
    kw: dict[str, Any] = {}
    for item in items:
        key, eq, raw = item.partition("=")
        key = key.strip()
        value = _unquote(raw) if eq else None
        try:
            if key in ("status", "html", "truncate", "reset", "delay", "drip", "expire_session", "date_skew"):
                if action is not None:
                    raise ValueError(f"two actions ({action}, {key}) in one rule; separate rules with ';'")
                action = key
                if key == "status":
                    if value is None:
                        raise ValueError("status needs a code, e.g. status=503")
                    kw["status"] = int(value)
                elif key in ("truncate", "reset"):
                    kw["mode"] = value or ("cut" if key == "truncate" else "before")
                elif key in ("delay", "date_skew"):
                    if value is None:
                        raise ValueError(f"{key} needs seconds, e.g. {key}=2.5")
                    kw["seconds"] = float(value)
                elif key == "drip" and value is not None:
                    kw["chunk"] = int(value)
                elif value is not None and key in ("html",):
                    kw["body"] = value
            elif key in _INT_KEYS:
                kw[_INT_KEYS[key]] = int(value or "")
            elif key in _FLOAT_KEYS:
                kw[_FLOAT_KEYS[key]] = float(value or "")
            elif key in _TEXT_KEYS:
                if value is None:
                    raise ValueError(f"{key} needs a value")
                kw[_TEXT_KEYS[key]] = value
            else:
                raise ValueError(f"unknown item {key!r}")
        except ValueError as exc:
            raise ValueError(f"fault rule {text.strip()!r}: {exc}") from None
    if action is None:
        raise ValueError(
            f"fault rule {text.strip()!r} has no action (status=, html, truncate, reset, delay=, ...)"
        )
    if action == "truncate" and kw.get("mode") not in ("cut", "short"):
        raise ValueError(f"fault rule {text.strip()!r}: truncate is 'cut' or 'short'")
    if action == "reset" and kw.get("mode") not in ("before", "headers", "mid"):
        raise ValueError(f"fault rule {text.strip()!r}: reset is 'before', 'headers' or 'mid'")
    try:
        return Fault(action, **kw)
    except (ValueError, re.error) as exc:
        raise ValueError(f"fault rule {text.strip()!r}: {exc}") from None
