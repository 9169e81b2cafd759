"""A logging filter that keeps secrets and NIKs out of every log line (reliability.md §5.1, A33).

The sync never logs credentials or submission values on purpose; this is the second line of defence for
what third-party libraries or error messages might echo: the configured secrets, bearer tokens, and any run of
16 digits (a NIK or KK number), which is masked the way the admin masks it (``3201********0001``).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

_NIK = re.compile(r"(?<!\d)(\d{4})\d{8}(\d{4})(?!\d)")
_BEARER = re.compile(r"(Bearer\s+)[^\s'\",}]+", re.IGNORECASE)
_JSON_SECRET = re.compile(r'("(?:password|token|csrf)"\s*:\s*")[^"]*(")', re.IGNORECASE)


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` with the given secrets, bearer tokens, JSON password/token fields and 16-digit runs masked."""
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, "***")
    text = _BEARER.sub(r"\1***", text)
    text = _JSON_SECRET.sub(r"\1***\2", text)
    return _NIK.sub(r"\1********\2", text)


class RedactingFilter(logging.Filter):
    """Rewrites each record's message (and exception text) with :func:`redact` before any handler sees it."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if s]

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record: leave it to logging's own error handling
            return True
        cleaned = redact(message, self.secrets)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info and not record.exc_text:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info), self.secrets)
        elif record.exc_text:
            record.exc_text = redact(record.exc_text, self.secrets)
        return True


def install(secrets: Iterable[str] = (), logger: logging.Logger | None = None) -> RedactingFilter:
    """Attach a :class:`RedactingFilter` to every handler of ``logger`` (default: the root logger)."""
    target = logger or logging.getLogger()
    flt = RedactingFilter(secrets)
    for handler in target.handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(flt)
    return flt
