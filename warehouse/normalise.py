"""Turn one submission (a Central OData row, repeats expanded) into typed rows, flagging what does not fit.

Never raises on bad data: a value that does not fit its column becomes NULL plus a data-quality problem naming
the field and the value; the raw JSON keeps the original (reliability.md §4).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from warehouse.formtables import ColumnSpec, FormTables, TableSpec

MAX_TEXT = 10_000
_DATE_RE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})")


@dataclass(slots=True)
class Problem:
    """A data-quality problem found while normalising (becomes a ``dq_issue`` row)."""

    rule: str
    severity: str
    field: str
    value: str | None
    message: str


def _excerpt(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 200 else text[:197] + "..."


def _dig(obj: Any, segs: tuple[str, ...]) -> Any:
    for seg in segs:
        if not isinstance(obj, dict):
            return None
        obj = obj.get(seg)
    return obj


def to_int(value: Any) -> int | None:
    """An integer field's value, from a JSON number or (Kobo) a string; ValueError when it is not one."""
    if isinstance(value, bool):
        raise ValueError("boolean")
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if value.is_integer():
            return int(value)
        raise ValueError("not a whole number")
    if isinstance(value, str):
        text = value.strip()
        if re.fullmatch(r"[+-]?\d+", text):
            return int(text)
        raise ValueError("not a whole number")
    raise ValueError(type(value).__name__)


def to_float(value: Any) -> float | None:
    """A decimal field's value; ValueError when it is not a finite number."""
    if isinstance(value, bool):
        raise ValueError("boolean")
    if isinstance(value, int | float):
        result = float(value)
    elif isinstance(value, str) and re.fullmatch(r"\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*", value):
        result = float(value)
    else:
        raise ValueError("not a number")
    if result != result or result in (float("inf"), float("-inf")):
        raise ValueError("not finite")
    return result


def to_date(value: Any) -> date:
    """A date field's value from ``YYYY-MM-DD`` (a longer ISO timestamp is cut to its date)."""
    if not isinstance(value, str):
        raise ValueError("not a date")
    m = _DATE_RE.match(value)
    if not m:
        raise ValueError("not a date")
    return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))


def to_geopoint(value: Any) -> tuple[float | None, float | None, float | None, float | None]:
    """(lat, lon, alt, accuracy) from GeoJSON, WKT ``POINT (lon lat alt)`` or ODK's ``lat lon alt acc``."""
    if isinstance(value, dict):
        coords = value.get("coordinates") or []
        if len(coords) < 2:
            raise ValueError("no coordinates")
        lon, lat = float(coords[0]), float(coords[1])
        alt = float(coords[2]) if len(coords) > 2 and coords[2] is not None else None
        acc = (value.get("properties") or {}).get("accuracy")
        return lat, lon, alt, float(acc) if acc is not None else None
    if isinstance(value, str):
        text = value.strip()
        m = re.fullmatch(r"POINT\s*\(\s*([-\d.eE+]+)\s+([-\d.eE+]+)(?:\s+([-\d.eE+]+))?\s*\)", text)
        if m:
            return float(m.group(2)), float(m.group(1)), float(m.group(3)) if m.group(3) else None, None
        parts = text.split()
        if 2 <= len(parts) <= 4:
            nums = [float(p) for p in parts]
            nums += [None] * (4 - len(nums))  # type: ignore[list-item]
            return nums[0], nums[1], nums[2], nums[3]
    raise ValueError("not a geopoint")


def convert(spec: ColumnSpec, value: Any, out: dict[str, Any], problems: list[Problem]) -> None:
    """Put the typed value(s) of one field into ``out``; record a problem instead of raising."""
    col = spec.column
    if spec.type == "geopoint":
        parts = (None, None, None, None)
        if value is not None:
            try:
                parts = to_geopoint(value)
            except (ValueError, TypeError):
                problems.append(
                    Problem(
                        "GPS_UNPARSEABLE", "warning", spec.path, _excerpt(value), "geopoint not understood"
                    )
                )
        out[f"{col}_lat"], out[f"{col}_lon"], out[f"{col}_alt"], out[f"{col}_acc"] = parts
        return
    if value is None:
        out[col] = None
        return
    try:
        if spec.type == "int":
            out[col] = to_int(value)
        elif spec.type == "decimal":
            out[col] = to_float(value)
        elif spec.type == "date":
            out[col] = to_date(value)
        else:
            text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
            if "\x00" in text:
                text = text.replace("\x00", "")
                problems.append(Problem("ENCODING_REPAIRED", "info", spec.path, None, "NUL removed"))
            if len(text) > MAX_TEXT:
                problems.append(
                    Problem(
                        "VALUE_TOO_LONG",
                        "warning",
                        spec.path,
                        _excerpt(text),
                        f"cut to {MAX_TEXT} characters",
                    )
                )
                text = text[:MAX_TEXT]
            out[col] = text
    except (ValueError, TypeError, OverflowError) as exc:
        out[col] = None
        problems.append(
            Problem("TYPE_MISMATCH", "error", spec.path, _excerpt(value), f"expected {spec.type}: {exc}")
        )


def child_row_id(parent_id: str, repeat_path: str, position: int) -> str:
    """A stable id for a repeat row that came without one (positional, like Central's own)."""
    return hashlib.sha1(f"{parent_id}%%{repeat_path}#{position}".encode()).hexdigest()


def typed_rows(
    tables: FormTables, logical_id: str, row: dict[str, Any], system: dict[str, Any]
) -> tuple[dict[str, list[dict[str, Any]]], list[Problem]]:
    """Typed rows for every table of the form from one submission.

    :returns: rows by repeat path ("" = root table) and the problems found.
    """
    problems: list[Problem] = []
    out: dict[str, list[dict[str, Any]]] = {rp: [] for rp in tables.tables}
    root: dict[str, Any] = {
        "_id": logical_id,
        "_instance_id": (row.get("meta") or {}).get("instanceID")
        if isinstance(row.get("meta"), dict)
        else None,
        "_submission_date": system.get("submissionDate"),
        "_updated_at": system.get("updatedAt"),
        "_deleted_at": system.get("deletedAt"),
        "_review_state": system.get("reviewState"),
        "_form_version": system.get("formVersion"),
        "_submitter_id": None if system.get("submitterId") is None else str(system.get("submitterId")),
    }
    for spec in tables.root.columns:
        convert(spec, _dig(row, spec.relative), root, problems)
    out[""].append(root)
    _children(tables, "", row, logical_id, logical_id, out, problems)
    return out, problems


def _children(
    tables: FormTables,
    parent_repeat: str,
    parent_obj: dict[str, Any],
    parent_id: str,
    submission_id: str,
    out: dict[str, list[dict[str, Any]]],
    problems: list[Problem],
) -> None:
    for spec in tables.children_of(parent_repeat):
        items = _dig(parent_obj, spec.relative)
        if items is None:
            continue
        if not isinstance(items, list):
            problems.append(
                Problem(
                    "TYPE_MISMATCH", "error", spec.repeat_path, _excerpt(items), "expected a repeat (list)"
                )
            )
            continue
        for position, item in enumerate(items, start=1):
            if not isinstance(item, dict):
                continue
            # Our own positional id (not the server's row id): unique whatever the upstream sends, and
            # stable across re-loads, since a new version replaces every child row anyway.
            rid = child_row_id(parent_id, spec.repeat_path, position)
            child = _child_row(spec, item, rid, submission_id, parent_id, position, problems)
            out[spec.repeat_path].append(child)
            _children(tables, spec.repeat_path, item, rid, submission_id, out, problems)


def _child_row(
    spec: TableSpec,
    item: dict[str, Any],
    rid: str,
    submission_id: str,
    parent_id: str,
    position: int,
    problems: list[Problem],
) -> dict[str, Any]:
    child: dict[str, Any] = {
        "_id": rid,
        "_submission_id": submission_id,
        "_parent_id": parent_id,
        "_position": position,
    }
    for col in spec.columns:
        convert(col, _dig(item, col.relative), child, problems)
    return child
