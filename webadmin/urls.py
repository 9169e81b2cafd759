"""URL helpers shared by the blueprints."""

from __future__ import annotations

from urllib.parse import urlsplit


def safe_next(target: str | None, default: str) -> str:
    """``target`` if it is a path on this site, else ``default`` (no open redirect through ``?next=``)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    # browsers drop tabs and newlines inside URLs, so "/\t/evil.example" would become "//evil.example"
    if any(ord(ch) <= 0x20 or ord(ch) == 0x7F for ch in target):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return default
    return target
