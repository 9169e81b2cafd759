"""Prepare a page of Central rows for the loader: everything per row that needs no database.

For each row: its identity (``__id``, ``meta/instanceID``), its system values made to fit their columns, its
verbatim payload and ``__system`` texts and the payload's hash, and its typed rows from the compiled extractor.
The loader (:mod:`warehouse.loader`) then decides, against what the warehouse holds, what to write.

Kept apart from the loader, and free of SQLAlchemy, so a page can be prepared in another process
(:mod:`sync.pageworker`) while the sync writes the previous one: on a 2-core machine the CPU work of decoding
and typing a page and the database work of storing it then overlap.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from warehouse.normalise import Extractor, Problem, clean_text, root_head

_SYSTEM_KEY = '"__system":'
_DECODER = json.JSONDecoder()

#: ``__system`` key -> (submission column, kind, max length) for the current row.
SYSTEM_COLUMNS: tuple[tuple[str, str, str, int], ...] = (
    ("submissionDate", "submission_date", "str", 40),
    ("updatedAt", "updated_at", "str", 40),
    ("deletedAt", "deleted_at", "str", 40),
    ("reviewState", "review_state", "str", 32),
    ("edits", "edits", "int", 0),
    ("submitterId", "submitter_id", "str", 64),
    ("submitterName", "submitter_name", "str", 256),
    ("deviceId", "device_id", "str", 128),
    ("attachmentsPresent", "attachments_present", "int", 0),
    ("attachmentsExpected", "attachments_expected", "int", 0),
    ("formVersion", "form_version", "str", 64),
)
SYSTEM_NAMES = tuple(c for _k, c, _t, _n in SYSTEM_COLUMNS)
MAX_ID = 128


def version_key(source: str, form_id: str, instance_id: str) -> int:
    """The 64-bit key ``raw_submission`` finds a version by (signed, so it fits a BIGINT).

    An index of 8-byte integers is a fifth the size of one of (source, form_id, instance_id) texts, so a long
    load's random inserts stay in the page cache. A lookup compares the instance id too: two versions that
    share a key are both stored and still told apart.
    """
    digest = hashlib.blake2b(f"{source}\x1f{form_id}\x1f{instance_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


# --- a prepared row is a tuple (pickled by the thousand between processes: tuples are the cheapest) ------------
#: ``__id`` (None: the row is quarantined, and the record is (None, reason, excerpt)).
LOGICAL_ID = 0
#: ``meta/instanceID``, or the ``__id`` when that is missing or unusable.
INSTANCE_ID = 1
#: Whether ``meta/instanceID`` itself was usable.
INSTANCE_OK = 2
#: (updatedAt or submissionDate, edits): which of two versions of one id in a page is newer.
RANK = 3
#: The ``submission`` values of :data:`SYSTEM_NAMES`.
SYSTEM = 4
#: The row's JSON text without ``__system``, and ``__system``'s own text.
PAYLOAD = 5
SYSTEM_TEXT = 6
#: SHA-256 of the payload text.
SHA = 7
#: The newest of submissionDate, updatedAt and deletedAt (the cursor's input).
NEWEST = 8
#: Per table of the form (in ``outs`` order), where this row's typed rows end in :attr:`PreparedPage.outs`.
ENDS = 9
#: The problems the extractor found (None when there were none).
PROBLEMS = 10
#: The class name of the exception that stopped the extractor (its typed rows were dropped), else None.
FAILED = 11


@dataclass(slots=True)
class PreparedPage:
    """A page's rows, prepared: one record per row (see the field indexes above) and every row's typed rows.

    ``outs[repeat_path]`` holds the typed rows of all records in order; a record's rows of one table are
    ``outs[rp][previous record's end : its end]``.
    """

    records: list[tuple[Any, ...]]
    outs: dict[str, list[tuple[Any, ...]]]


def _dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def split_system(row_text: str | None, row: dict[str, Any]) -> tuple[str, str]:
    """A row's verbatim text minus its ``__system`` member, and that member's text (kept apart: it changes
    without a new version).

    ``"__system":`` cannot occur inside a string value (its quotes would be escaped there), so its first
    occurrence is the member; its end is found by decoding the object that follows. Without a text, or when
    the text does not have that shape, both are encoded again from the decoded row.
    """
    if row_text is not None:
        at = row_text.find(_SYSTEM_KEY)
        if at > 0:
            start = at + len(_SYSTEM_KEY)
            while row_text[start : start + 1] in (" ", "\n", "\r", "\t"):
                start += 1
            try:
                _value, end = _DECODER.raw_decode(row_text, start)
            except json.JSONDecodeError:
                end = -1
            if end > 0:
                system = row_text[start:end]
                before, after = row_text[:at].rstrip(), row_text[end:].lstrip()
                if before.endswith(","):
                    return before[:-1] + after, system
                if after.startswith(","):
                    return before + after[1:], system
                return before + after, system
        elif "__system" not in row:
            return row_text, "null"
    data = {k: v for k, v in row.items() if k != "__system" and not k.endswith("@odata.navigationLink")}
    return _dumps(data), _dumps(row.get("__system"))


def system_values(system: Any) -> tuple[Any, ...]:
    """The ``submission`` columns of :data:`SYSTEM_NAMES` from ``__system``, made to fit their columns."""
    if system.__class__ is not dict:
        system = {}
    get = system.get
    values = (
        get("submissionDate"),
        get("updatedAt"),
        get("deletedAt"),
        get("reviewState"),
        get("edits"),
        get("submitterId"),
        get("submitterName"),
        get("deviceId"),
        get("attachmentsPresent"),
        get("attachmentsExpected"),
        get("formVersion"),
    )
    # the usual case, checked in one pass: short ASCII strings (or null) and small ints, as Central sends them
    for at in _TEXT_AT:
        v = values[at]
        if v is not None and (v.__class__ is not str or len(v) > 32 or not v.isascii() or "\x00" in v):
            return _fit_system(values)
    for at in _INT_AT:
        v = values[at]
        if v.__class__ is not int or not 0 <= v < 2**31:
            return _fit_system(values)
    return values


_TEXT_AT = tuple(i for i, (_k, _c, kind, _n) in enumerate(SYSTEM_COLUMNS) if kind == "str")
_INT_AT = tuple(i for i, (_k, _c, kind, _n) in enumerate(SYSTEM_COLUMNS) if kind == "int")


def _fit_system(values: tuple[Any, ...]) -> tuple[Any, ...]:
    out: list[Any] = []
    for value, (key, _column, kind, limit) in zip(values, SYSTEM_COLUMNS, strict=True):
        if value is None:
            out.append(0 if key == "edits" else None)
        elif kind == "int":
            if value.__class__ is not int:
                try:
                    value = int(value)
                except (TypeError, ValueError, OverflowError):
                    value = None
            out.append(value if value is None or -(2**31) <= value < 2**31 else None)
        else:
            if value.__class__ is not str:
                value = str(value)
            if len(value) > limit or not value.isascii() or "\x00" in value:
                value = clean_text(value)[:limit]
            out.append(value)
    return tuple(out)


def _version_rank(system: dict[str, Any]) -> tuple[str, int]:
    edits = system.get("edits")
    return (
        str(system.get("updatedAt") or system.get("submissionDate") or ""),
        edits if isinstance(edits, int) else 0,
    )


class RowPreparer:
    """Prepares rows one at a time into one page's records and typed rows (see :func:`prepare_rows`)."""

    def __init__(self, extractor: Extractor) -> None:
        self.records: list[tuple[Any, ...]] = []
        self.outs: dict[str, list[tuple[Any, ...]]] = {rp: [] for rp in extractor.columns}
        self._lists = list(self.outs.values())
        self._extract = extractor.extract

    def page(self) -> PreparedPage:
        """What was prepared so far, as a page."""
        return PreparedPage(self.records, self.outs)

    def add(self, row: Any, text: str | None) -> tuple[Any, ...]:
        """Prepare one decoded row (``text``: its verbatim JSON, if known); returns its record."""
        logical_id = row.get("__id") if row.__class__ is dict else None
        if logical_id.__class__ is not str or not logical_id or len(logical_id) > MAX_ID:
            excerpt = clean_text((text if text is not None else _dumps(row))[:200])
            record: tuple[Any, ...] = (None, "row without a usable __id", excerpt)
            self.records.append(record)
            return record
        system = row.get("__system")
        if system.__class__ is not dict:
            system = {}
        newest = None
        for key in ("submissionDate", "updatedAt", "deletedAt"):
            stamp = system.get(key)
            if stamp.__class__ is str and (newest is None or stamp > newest):
                newest = stamp
        meta = row.get("meta")
        instance_id = meta.get("instanceID") if meta.__class__ is dict else None
        instance_ok = instance_id.__class__ is str and 0 < len(instance_id) <= MAX_ID
        if not instance_ok:
            instance_id = logical_id
        payload, system_text = split_system(text, row)
        sha = hashlib.sha256(payload.encode("utf-8", "surrogatepass")).hexdigest()
        found: list[Problem] = []
        failed = None
        lists = self._lists
        starts = [len(out) for out in lists]
        try:
            self._extract(row, root_head(logical_id, instance_id, system), self.outs, found)
        except Exception as exc:  # never let one odd submission stop a sync (reliability.md §4)
            for out, start in zip(lists, starts, strict=True):
                del out[start:]  # drop whatever this submission had appended
            failed = type(exc).__name__
            found = [Problem("NORMALISER_ERROR", "error", "", None, f"{failed}: {exc}"[:500])]
        record = (
            logical_id,
            instance_id,
            instance_ok,
            _version_rank(system),
            system_values(system),
            payload,
            system_text,
            sha,
            newest,
            tuple([len(out) for out in lists]),
            found or None,
            failed,
        )
        self.records.append(record)
        return record


def prepare_rows(
    extractor: Extractor, rows: Sequence[Any], texts: Sequence[str] | None = None
) -> PreparedPage:
    """Prepare decoded Central rows (``texts[i]``, if given, is the verbatim text of ``rows[i]``).

    Every row with a usable ``__id`` is typed, whether or not the loader will need it: this runs where CPU is
    spare, and a row the warehouse already holds costs only the typing.
    """
    preparer = RowPreparer(extractor)
    add = preparer.add
    for index, row in enumerate(rows):
        add(row, texts[index] if texts is not None else None)
    return preparer.page()
