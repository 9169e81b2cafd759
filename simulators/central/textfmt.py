"""Byte-exact formatting the way Central's Node.js stack writes it: JSON.stringify, numbers, ISO timestamps,
Express ETags, WHATWG URLSearchParams and encodeURIComponent."""

from __future__ import annotations

import base64
import hashlib
import json
import math
import re
import time
from datetime import UTC, datetime, timedelta, timezone
from urllib.parse import quote, quote_plus

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

# json.dumps with these settings writes what JSON.stringify writes for the values we produce: no spaces,
# non-ASCII kept as is, the same short escapes and lowercase \u00xx for other control characters.
_encoder = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False)
dumps = _encoder.encode


def js_float(value: float) -> float | int | None:
    """A parsed JS number ready for JSON: NaN/Infinity become null (as JSON.stringify does), integral values
    become ints so they print without ``.0`` (JS prints 167, Python 167.0)."""
    if math.isnan(value) or math.isinf(value):
        return None
    if value.is_integer() and abs(value) < 1e21:
        return int(value)
    return value


def js_number_text(value: int | float) -> str:
    """Number.prototype.toString for the values we handle (used inside WKT strings)."""
    if isinstance(value, int):
        return str(value)
    as_js = js_float(value)
    if as_js is None:
        return "NaN"
    if isinstance(as_js, int):
        return str(as_js)
    text = repr(as_js)
    if "e" in text:  # JS switches to exponent notation at other thresholds than Python
        mantissa, exp = text.split("e")
        exponent = int(exp)
        if -7 < exponent < 21:
            text = format(as_js, "f").rstrip("0").rstrip(".") if exponent < 0 else format(as_js, ".0f")
        else:
            text = f"{mantissa}e{'+' if exponent > 0 else '-'}{abs(exponent)}"
    return text


_INT_PREFIX = re.compile(r"\s*([+-]?\d+)")
_FLOAT_PREFIX = re.compile(r"\s*([+-]?(?:Infinity|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?))")


def parse_int(text: str) -> int | None:
    """JS ``parseInt(text, 10)``; NaN is None."""
    m = _INT_PREFIX.match(text)
    return int(m.group(1)) if m else None


def parse_float(text: str) -> float | None:
    """JS ``parseFloat(text)``; NaN is None."""
    m = _FLOAT_PREFIX.match(text)
    if not m:
        return None
    token = m.group(1)
    if token.endswith("Infinity"):
        return -math.inf if token.startswith("-") else math.inf
    return float(token)


# --- time -------------------------------------------------------------------------------------------------


def to_us(moment: datetime) -> int:
    """Microseconds since the epoch for an aware datetime (Central keeps microseconds in PostgreSQL)."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"timestamps must be timezone-aware (got naive {moment.isoformat()}); use UTC")
    delta = moment - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def from_us(us: int) -> datetime:
    """Aware UTC datetime for microseconds since the epoch."""
    return _EPOCH + timedelta(microseconds=us)


def iso_ms(us: int | None) -> str | None:
    """Central's JSON timestamp: UTC, milliseconds (truncated, as node-postgres does), trailing Z."""
    if us is None:
        return None
    seconds, micros = divmod(us, 1_000_000)
    t = time.gmtime(seconds)
    return "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ" % (t[0], t[1], t[2], t[3], t[4], t[5], micros // 1000)  # noqa: UP031


def http_date(epoch_seconds: float) -> str:
    """RFC 7231 IMF-fixdate, as the Date header."""
    moment = datetime.fromtimestamp(epoch_seconds, UTC)
    return moment.strftime("%a, %d %b %Y %H:%M:%S GMT")


def parse_timestamp_literal(text: str) -> int:
    """A timestamp literal as PostgreSQL would read it for a timestamptz comparison (session time zone UTC):
    a date (midnight UTC) or an ISO date-time with optional offset.

    :raises ValueError: for anything else (Central then fails with a 500, as captured).
    """
    t = text.strip()
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", t):
        return to_us(datetime.fromisoformat(t).replace(tzinfo=UTC))
    m = re.fullmatch(
        r"(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)\s*(Z|z|[+-]\d{2}(?::?\d{2})?)?", t
    )
    if not m:
        raise ValueError(f"invalid input syntax for type timestamp with time zone: {text!r}")
    date_part, time_part, zone = m.groups()
    frac = ""
    if "." in time_part:
        time_part, frac = time_part.split(".", 1)
    if time_part.count(":") == 1:
        time_part += ":00"
    micro = int((frac + "000000")[:6]) if frac else 0
    base = datetime.fromisoformat(f"{date_part}T{time_part}").replace(microsecond=micro)
    if zone in (None, "Z", "z"):
        tz = UTC
    else:
        sign = -1 if zone[0] == "-" else 1
        digits = zone[1:].replace(":", "")
        hours, minutes = int(digits[:2]), int(digits[2:4] or 0)
        tz = timezone(sign * timedelta(hours=hours, minutes=minutes))
    return to_us(base.replace(tzinfo=tz))


# --- HTTP -------------------------------------------------------------------------------------------------


def express_etag(body: bytes) -> str:
    """Express's default weak ETag (the ``etag`` package): length in hex and 27 chars of base64 SHA-1."""
    digest = base64.b64encode(hashlib.sha1(body).digest()).decode("ascii")[:27]
    return f'W/"{len(body):x}-{digest}"'


def form_urlencode(text: str) -> str:
    """application/x-www-form-urlencoded byte serializer (WHATWG URLSearchParams.toString): only
    ``*-._`` and alphanumerics stay, space becomes ``+`` (Python's quote would keep ``~``)."""
    return quote_plus(text, safe="*").replace("~", "%7E")


def encode_uri_component(text: str) -> str:
    """JS ``encodeURIComponent`` (keeps ``-_.!~*'()`` and alphanumerics)."""
    return quote(text, safe="-_.!~*'()")


def skiptoken_for(data: dict[str, object]) -> str:
    """Central's ``QueryOptions.getSkiptoken``: ``01`` + base64(JSON.stringify(data))."""
    return "01" + base64.b64encode(dumps(data).encode("utf-8")).decode("ascii")
