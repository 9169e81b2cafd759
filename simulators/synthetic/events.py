"""What happens on the server, in time order: submissions, edits, reviews and deletions.

Times: a form is filled on the visit day between 08:00 and 16:00 WIB (device ``start``/``end`` carry +07:00);
it reaches the server later that day for most, one to three days later for some (no signal), up to ten days for
a few; server times (``at``) are UTC. Staff review and delete during office hours.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from .assumptions import (
    AS_OF,
    SHARE_APPROVED,
    SHARE_DUPLICATE_VISITS,
    SHARE_HAS_ISSUES,
    SHARE_REJECTED,
    WIB_OFFSET_HOURS,
)
from .rng import SERVER, mix

FORM_REGISTRATION = "kpm_registrasi"
FORM_VISIT = "kpm_kunjungan"
FORM_DISBURSEMENT = "penyaluran"

# Schedule kinds (the order breaks ties of equal times).
REG, EDIT, VISIT, DUP, SALUR, REVIEW, DELETE = 1, 2, 3, 4, 5, 6, 7
FORM_OF_KIND = {
    REG: FORM_REGISTRATION,
    EDIT: FORM_REGISTRATION,
    VISIT: FORM_VISIT,
    DUP: FORM_VISIT,
    SALUR: FORM_DISBURSEMENT,
}

EPOCH_UTC = datetime(2019, 1, 1, tzinfo=UTC)


@dataclass(slots=True)
class Submit:
    """A new submission from an app user (``submitter_key`` = pendamping id)."""

    form_id: str
    data: dict[str, Any]
    instance_id: str
    submitter_key: str
    at: datetime
    device_id: str | None


@dataclass(slots=True)
class Edit:
    """A new version of a submission (``logical_id`` = its first instanceID)."""

    form_id: str
    logical_id: str
    data: dict[str, Any]
    instance_id: str
    submitter_key: str
    at: datetime
    device_id: str | None = None


@dataclass(slots=True)
class Review:
    """A review state set by Dinsos staff (approved, hasIssues, rejected)."""

    form_id: str
    logical_id: str
    state: str
    at: datetime


@dataclass(slots=True)
class Delete:
    """A soft deletion by staff (here: duplicates sent twice by mistake)."""

    form_id: str
    logical_id: str
    at: datetime


#: One thing that happens on the server. Events are plain (not frozen) dataclasses because hundreds of
#: thousands are made per data set; treat them as read-only.
Event = Submit | Edit | Review | Delete


@dataclass(slots=True)
class Times:
    """One filled form: device start/end (ms of the local day) and the server time (ms since 2019-01-01 UTC)."""

    day: date
    start_ms: int
    end_ms: int
    at_ms: int

    @property
    def at(self) -> datetime:
        return EPOCH_UTC + timedelta(milliseconds=self.at_ms)

    @property
    def start(self) -> str:
        """Device ``start`` as Collect writes it: ``2019-04-12T09:31:07.123+07:00``."""
        return f"{self.day.isoformat()}T{clock(self.start_ms)}+07:00"

    @property
    def end(self) -> str:
        return f"{self.day.isoformat()}T{clock(self.end_ms)}+07:00"


_DAY_MS = 86_400_000
_WIB_MS = WIB_OFFSET_HOURS * 3_600_000
_EPOCH_ORDINAL = date(2019, 1, 1).toordinal()
END_MS = (AS_OF.toordinal() + 1 - _EPOCH_ORDINAL) * _DAY_MS - 1 - _WIB_MS  # 23:59:59.999 WIB on AS_OF


def clock(ms_of_day: int) -> str:
    """``HH:MM:SS.mmm`` of a time of day given in milliseconds."""
    s, ms = divmod(ms_of_day, 1000)
    m, s = divmod(s, 60)
    return f"{m // 60:02d}:{m % 60:02d}:{s:02d}.{ms:03d}"


def event_hash(seed: int, hh: int, kind: int, k: int) -> int:
    """The one 64-bit hash everything about submission (``kind``, ``k``) of household ``hh`` is drawn from:
    its times, instanceID, review state and whether it was sent twice."""
    return mix(seed, SERVER, hh, kind, k)


def _remix(h: int, salt: int) -> int:
    """A further independent-looking 64-bit value from ``h`` (splitmix64 finaliser)."""
    h = ((h ^ (h >> 31)) + salt * 0x9E3779B97F4A7C15) & _MASK
    h = ((h ^ (h >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    h = ((h ^ (h >> 27)) * 0x94D049BB133111EB) & _MASK
    return h ^ (h >> 31)


_MASK = (1 << 64) - 1


def form_times(h: int, day: date, minutes: tuple[int, int]) -> Times:
    """When a form with event hash ``h`` was filled on ``day`` and when the server got it."""
    start = 8 * 3_600_000 + (h % 480) * 60_000 + ((h >> 12) % 60) * 1000 + (h >> 18) % 1000
    low, high = minutes
    end = start + (low * 60 + (h >> 28) % ((high - low) * 60 + 1)) * 1000
    day_ms = (day.toordinal() - _EPOCH_ORDINAL) * _DAY_MS  # local midnight, as if UTC
    klass = (h >> 40) % 100
    wait = (h >> 47) % 10_000
    if klass < 70:  # the same day, minutes to hours later (or next morning when that is past 22:00)
        at = end + (5 + wait % 240) * 60_000 + ((h >> 20) % 60) * 1000
        if at >= 22 * 3_600_000:
            at = _DAY_MS + 6 * 3_600_000 + 1_800_000 + (wait % 120) * 60_000
    elif klass < 95:  # one to three days later, when there is signal
        at = (1 + wait % 3) * _DAY_MS + 7 * 3_600_000 + ((h >> 30) % 840) * 60_000
    else:  # four to ten days later
        at = (4 + wait % 7) * _DAY_MS + 7 * 3_600_000 + ((h >> 30) % 840) * 60_000
    at += (h >> 56) % 1000
    at = min(max(day_ms + at - _WIB_MS, day_ms + end + 30_000 - _WIB_MS), END_MS)
    return Times(day, start, end, at)


def office_time(h: int, after_ms: int, days: tuple[int, int]) -> int | None:
    """A staff action (drawn from hash ``h``) during office hours (09:00-16:00 WIB) ``days`` after
    ``after_ms``; None if that is past AS_OF."""
    h = _remix(h, 7)
    local = after_ms + _WIB_MS
    low, high = days
    day_start = (local // _DAY_MS + low + h % (high - low + 1)) * _DAY_MS
    moment = day_start + 9 * 3_600_000 + (h >> 16) % (7 * 3_600_000)
    if moment <= local:
        moment = local + 1_800_000
    utc = moment - _WIB_MS
    return None if utc > END_MS else utc


def review_state(h: int) -> str | None:
    """The review state staff give the submission with event hash ``h``, or None (most are never reviewed)."""
    roll = _remix(h, 1) % 100_000 / 100_000
    if roll < SHARE_APPROVED:
        return "approved"
    if roll < SHARE_APPROVED + SHARE_HAS_ISSUES:
        return "hasIssues"
    if roll < SHARE_APPROVED + SHARE_HAS_ISSUES + SHARE_REJECTED:
        return "rejected"
    return None


def duplicated(h: int) -> bool:
    """True for the few visits (event hash ``h``) that were sent twice, with a second instanceID."""
    return _remix(h, 2) % 100_000 < SHARE_DUPLICATE_VISITS * 100_000


def instance_id(h: int) -> str:
    """The deterministic ``uuid:`` instanceID (a version-4 UUID) of the submission or version with hash ``h``."""
    x = f"{_remix(h, 3):016x}{_remix(h, 4):016x}"
    return f"uuid:{x[:8]}-{x[8:12]}-4{x[13:16]}-{'89ab'[int(x[16], 16) & 3]}{x[17:20]}-{x[20:]}"


def pack(at_ms: int, hh: int, kind: int, k: int) -> int:
    """One sortable integer per scheduled event: time, then household, kind and number break ties."""
    return (at_ms << 40) | (hh << 16) | (kind << 8) | k


def unpack(key: int) -> tuple[int, int, int, int]:
    return key >> 40, (key >> 16) & 0xFFFFFF, (key >> 8) & 0xFF, key & 0xFF


def target_code(kind: int, k: int) -> int:
    """The byte that names the submission a review or deletion acts on."""
    return (kind << 5) | k


def iter_sorted(keys: list[int]) -> Iterator[tuple[int, int, int, int]]:
    keys.sort()
    for key in keys:
        yield unpack(key)
