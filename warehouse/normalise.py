"""Turn one submission (a Central OData row, repeats expanded) into typed rows, flagging what does not fit.

Never raises on bad data: a value that does not fit its column becomes NULL plus a data-quality problem naming
the field and the value; the raw JSON keeps the original (reliability.md §4).

The hot path is compiled: :func:`compile_extractor` writes, once per form schema, one Python function that
walks a row's groups and repeats and yields a tuple per typed row, with a fast check per column type (a string
that fits, an integer in range, a finite float) and a call into the slow converters below only for values that
need converting or flagging. :func:`typed_rows` is the same thing with dicts, for callers that want names.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from warehouse.formtables import ColumnSpec, FormTables

MAX_TEXT = 10_000
#: Columns typed String(40) (ODK dateTime and time): PostgreSQL refuses longer values, so they are cut.
MAX_SHORT_TEXT = 40
MIN_INT, MAX_INT = -(2**63), 2**63 - 1
_DATE_RE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})")
_SURROGATE = re.compile("[\ud800-\udfff]")
_EMPTY: dict[str, Any] = {}


@dataclass(slots=True)
class Problem:
    """A data-quality problem found while normalising (becomes a ``dq_issue`` row)."""

    rule: str
    severity: str
    field: str
    value: str | None
    message: str


#: Rules this module emits (``sync rebuild`` replaces exactly these).
NORMALISER_RULES = (
    "TYPE_MISMATCH",
    "GPS_UNPARSEABLE",
    "VALUE_TOO_LONG",
    "ENCODING_REPAIRED",
    "NORMALISER_ERROR",
)


def _excerpt(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    text = clean_text(text)
    return text if len(text) <= 200 else text[:197] + "..."


def clean_text(text: str) -> str:
    """``text`` without NUL and lone surrogates (PostgreSQL refuses both; SQLite's driver refuses the latter)."""
    if "\x00" in text:
        text = text.replace("\x00", "")
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            text = _SURROGATE.sub("\ufffd", text)
    return text


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
        result = value
    elif isinstance(value, float):
        if not value.is_integer():
            raise ValueError("not a whole number")
        result = int(value)
    elif isinstance(value, str):
        text = value.strip()
        if not re.fullmatch(r"[+-]?\d+", text):
            raise ValueError("not a whole number")
        result = int(text)
    else:
        raise ValueError(type(value).__name__)
    if not MIN_INT <= result <= MAX_INT:
        raise ValueError("out of the 64-bit range")
    return result


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
        if not isinstance(coords, list) or len(coords) < 2:
            raise ValueError("no coordinates")
        lon, lat = _finite(coords[0]), _finite(coords[1])
        alt = _finite(coords[2]) if len(coords) > 2 and coords[2] is not None else None
        props = value.get("properties")
        acc = props.get("accuracy") if isinstance(props, dict) else None
        return lat, lon, alt, _finite(acc) if acc is not None else None
    if isinstance(value, str):
        text = value.strip()
        m = re.fullmatch(r"POINT\s*\(\s*([-\d.eE+]+)\s+([-\d.eE+]+)(?:\s+([-\d.eE+]+))?\s*\)", text)
        if m:
            alt = _finite(m.group(3)) if m.group(3) else None
            return _finite(m.group(2)), _finite(m.group(1)), alt, None
        parts = text.split()
        if 2 <= len(parts) <= 4:
            nums: list[float | None] = [_finite(p) for p in parts]
            nums += [None] * (4 - len(nums))
            return nums[0], nums[1], nums[2], nums[3]
    raise ValueError("not a geopoint")


def _finite(value: Any) -> float:
    if isinstance(value, bool):
        raise ValueError("boolean")
    result = float(value)
    if result != result or result in (float("inf"), float("-inf")):
        raise ValueError("not finite")
    return result


# --- slow paths of the compiled extractor: convert, or NULL plus a problem -----------------------------------


def _text(value: Any, path: str, limit: int, problems: list[Problem]) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    repaired = clean_text(text)
    if repaired != text:
        problems.append(Problem("ENCODING_REPAIRED", "info", path, None, "NUL or invalid characters removed"))
        text = repaired
    if len(text) > limit:
        problems.append(
            Problem("VALUE_TOO_LONG", "warning", path, _excerpt(text), f"cut to {limit} characters")
        )
        text = text[:limit]
    return text


def _mismatch(value: Any, path: str, kind: str, exc: Exception, problems: list[Problem]) -> None:
    problems.append(Problem("TYPE_MISMATCH", "error", path, _excerpt(value), f"expected {kind}: {exc}"))


def _int(value: Any, path: str, problems: list[Problem]) -> int | None:
    try:
        return to_int(value)
    except (ValueError, TypeError, OverflowError) as exc:
        _mismatch(value, path, "int", exc, problems)
        return None


def _float(value: Any, path: str, problems: list[Problem]) -> float | None:
    try:
        return to_float(value)
    except (ValueError, TypeError, OverflowError) as exc:
        _mismatch(value, path, "decimal", exc, problems)
        return None


def _date_text(value: Any, path: str, problems: list[Problem]) -> str | None:
    """A checked date as ``YYYY-MM-DD`` text (what SQLite stores for a DATE column)."""
    try:
        return to_date(value).isoformat()
    except (ValueError, TypeError, OverflowError) as exc:
        _mismatch(value, path, "date", exc, problems)
        return None


def _date_value(value: Any, path: str, problems: list[Problem]) -> date | None:
    try:
        return to_date(value)
    except (ValueError, TypeError, OverflowError) as exc:
        _mismatch(value, path, "date", exc, problems)
        return None


_NO_POINT = (None, None, None, None)


_NUMBER = (int, float)


def _geo(value: Any, path: str, problems: list[Problem]) -> tuple[Any, Any, Any, Any]:
    if value is None:
        return _NO_POINT
    if value.__class__ is dict:  # Central's GeoJSON, checked without a call per number
        coords = value.get("coordinates")
        if coords.__class__ is list and 2 <= len(coords) <= 3:
            lon, lat = coords[0], coords[1]
            alt = coords[2] if len(coords) == 3 else None
            props = value.get("properties")
            acc = props.get("accuracy") if props.__class__ is dict else None
            if (
                lon.__class__ in _NUMBER
                and lat.__class__ in _NUMBER
                and (alt is None or alt.__class__ in _NUMBER)
                and (acc is None or acc.__class__ in _NUMBER)
                and lon - lon == 0
                and lat - lat == 0
                and (alt is None or alt - alt == 0)
                and (acc is None or acc - acc == 0)
            ):
                return (
                    float(lat),
                    float(lon),
                    None if alt is None else float(alt),
                    None if acc is None else float(acc),
                )
    try:
        return to_geopoint(value)
    except (ValueError, TypeError, OverflowError):
        problems.append(
            Problem("GPS_UNPARSEABLE", "warning", path, _excerpt(value), "geopoint not understood")
        )
        return _NO_POINT


def _repeat_not_list(value: Any, path: str, problems: list[Problem]) -> None:
    problems.append(Problem("TYPE_MISMATCH", "error", path, _excerpt(value), "expected a repeat (list)"))


MAX_ROW_ID = 128


def child_row_id(parent_id: str, repeat_name: str, position: int) -> str:
    """The id of a repeat row: its parent's id, the repeat and its position, like Central's CSV ``KEY``
    (``uuid:…/anggota[2]/pendidikan[1]``). Positional and stable across re-loads, since a new version replaces
    every child row anyway; it starts with the submission's own id, so the rows of one submission sit side by
    side in the table's primary-key index (a load touches one index page per submission, not one per member).
    An id longer than the column becomes the submission id plus a hash of the path.
    """
    rid = f"{parent_id}/{repeat_name}[{position}]"
    return rid if len(rid) <= MAX_ROW_ID else long_row_id(rid)


def long_row_id(rid: str) -> str:
    """A bounded id for a deeply nested repeat row (the submission id, then a hash of the whole path)."""
    root = rid.split("/", 1)[0] if rid.startswith("uuid:") else rid[:40]
    return f"{root[:80]}#{hashlib.sha1(rid.encode()).hexdigest()}"


_DATE_TEXTS: dict[str, str] = {}
_DATE_VALUES: dict[str, date] = {}
_DATE_CACHE = 200_000


def _date_text_cached(value: Any, path: str, problems: list[Problem]) -> str | None:
    result = _date_text(value, path, problems)
    if result is not None and isinstance(value, str):
        if len(_DATE_TEXTS) >= _DATE_CACHE:
            _DATE_TEXTS.clear()
        _DATE_TEXTS[value] = result
    return result


def _date_value_cached(value: Any, path: str, problems: list[Problem]) -> date | None:
    result = _date_value(value, path, problems)
    if result is not None and isinstance(value, str):
        if len(_DATE_VALUES) >= _DATE_CACHE:
            _DATE_VALUES.clear()
        _DATE_VALUES[value] = result
    return result


# --- the compiled extractor ------------------------------------------------------------------------------------


@dataclass(slots=True)
class Extractor:
    """Typed-row builder of one form schema.

    ``extract(row, head, outs, problems)`` appends one tuple to ``outs[repeat_path]`` per typed row: the root
    row is ``head`` (the values of :data:`ROOT_SYSTEM_COLUMNS`) followed by the data columns; repeat rows are
    ``(_id, _submission_id, _parent_id, _position, …)``. ``columns[repeat_path]`` names the tuple's columns.
    """

    columns: dict[str, list[str]]
    extract: Callable[
        [dict[str, Any], tuple[Any, ...], dict[str, list[tuple[Any, ...]]], list[Problem]], None
    ]
    source: str
    consts: dict[str, Any]
    form_id: str

    def __reduce__(self) -> tuple[Any, ...]:
        # the generated source travels, not the function: the page worker process compiles it again
        return (_rebuild_extractor, (self.columns, self.source, self.consts, self.form_id))


def _namespace(consts: dict[str, Any]) -> dict[str, Any]:
    """What the generated code refers to: the converters of this module and the form's constants."""
    return {
        "EMPTY": _EMPTY,
        "MIN_INT": MIN_INT,
        "MAX_INT": MAX_INT,
        "GEO": _geo,
        "NO_POINT": _NO_POINT,
        "INT": _int,
        "FLOAT": _float,
        "DATE": _date_value_cached,
        "DATE_TEXT": _date_text_cached,
        "DATE_TEXTS": _DATE_TEXTS,
        "DATE_VALUES": _DATE_VALUES,
        "TEXT": _text,
        "NOT_LIST": _repeat_not_list,
        "LONG_ID": long_row_id,
        **consts,
    }


def _rebuild_extractor(
    columns: dict[str, list[str]], source: str, consts: dict[str, Any], form_id: str
) -> Extractor:
    namespace = _namespace(consts)
    exec(compile(source, f"<typed rows of {form_id}>", "exec"), namespace)  # our own generated code
    return Extractor(columns, namespace["extract"], source, consts, form_id)


def _column_names(specs: list[ColumnSpec]) -> list[str]:
    from warehouse.formtables import GEO_PARTS

    names: list[str] = []
    for c in specs:
        if c.type == "geopoint":
            names += [f"{c.column}_{part}" for part in GEO_PARTS]
        else:
            names.append(c.column)
    return names


class _Writer:
    def __init__(self) -> None:
        self.lines: list[str] = []
        self.consts: dict[str, Any] = {}
        self._n = 0

    def var(self, prefix: str = "v") -> str:
        self._n += 1
        return f"{prefix}{self._n}"

    def const(self, value: Any) -> str:
        name = f"K{len(self.consts)}"
        self.consts[name] = value
        return name

    def emit(self, indent: int, line: str) -> None:
        self.lines.append("    " * indent + line)


def _emit_columns(
    w: _Writer, indent: int, obj: str, specs: list[ColumnSpec], dates_as_text: bool
) -> list[str]:
    """Emit the code reading each column of ``specs`` from the dict ``obj``; returns the value expressions."""
    from warehouse.formtables import GEO_PARTS

    groups: dict[tuple[str, ...], str] = {(): obj}

    def holder(segs: tuple[str, ...]) -> str:
        if segs in groups:
            return groups[segs]
        parent = holder(segs[:-1])
        name = w.var("g")
        w.emit(indent, f"{name} = {parent}.get({segs[-1]!r})")
        w.emit(indent, f"if {name}.__class__ is not dict: {name} = EMPTY")
        groups[segs] = name
        return name

    values: list[str] = []
    for spec in specs:
        parent = holder(tuple(spec.relative[:-1]))
        key = spec.relative[-1]
        path = w.const(spec.path)
        v = w.var()
        w.emit(indent, f"{v} = {parent}.get({key!r})")
        if spec.type == "geopoint":
            names = [w.var() for _ in GEO_PARTS]
            w.emit(indent, f"{', '.join(names)} = GEO({v}, {path}, P) if {v} is not None else NO_POINT")
            values += names
            continue
        if spec.type == "int":
            w.emit(
                indent, f"if {v} is not None and ({v}.__class__ is not int or not MIN_INT <= {v} <= MAX_INT):"
            )
            w.emit(indent + 1, f"{v} = INT({v}, {path}, P)")
        elif spec.type == "decimal":
            # a whole number in range is stored as is (the REAL/float column converts it)
            w.emit(
                indent,
                f"if {v} is not None and ({v}.__class__ is not float or {v} - {v} != 0.0) "
                f"and ({v}.__class__ is not int or not MIN_INT <= {v} <= MAX_INT):",
            )
            w.emit(indent + 1, f"{v} = FLOAT({v}, {path}, P)")
        elif spec.type == "date":
            known, convert = ("DATE_TEXTS", "DATE_TEXT") if dates_as_text else ("DATE_VALUES", "DATE")
            w.emit(indent, f"if {v} is not None:")
            w.emit(
                indent + 1,
                f"{v} = ({known}.get({v}) if {v}.__class__ is str else None) or {convert}({v}, {path}, P)",
            )
        else:
            limit = MAX_SHORT_TEXT if spec.type in ("dateTime", "time") else MAX_TEXT
            w.emit(
                indent,
                f"if {v} is not None and ({v}.__class__ is not str or len({v}) > {limit} "
                f'or not {v}.isascii() or "\\x00" in {v}):',
            )
            w.emit(indent + 1, f"{v} = TEXT({v}, {path}, {limit}, P)")
        values.append(v)
    return values


def _tuple(values: list[str]) -> str:
    return "(" + "".join(f"{v}, " for v in values) + ")"


def _emit_children(
    w: _Writer,
    tables: FormTables,
    indent: int,
    parent_repeat: str,
    obj: str,
    parent_id: str,
    dates_as_text: bool,
) -> None:
    for spec in tables.children_of(parent_repeat):
        holder = obj
        for seg in spec.relative[:-1]:
            nxt = w.var("g")
            w.emit(indent, f"{nxt} = {holder}.get({seg!r})")
            w.emit(indent, f"if {nxt}.__class__ is not dict: {nxt} = EMPTY")
            holder = nxt
        items, pos, item, rid = w.var("items"), w.var("pos"), w.var("item"), w.var("rid")
        rpath = w.const(spec.repeat_path)
        out = w.var("out")
        w.emit(indent, f"{items} = {holder}.get({spec.relative[-1]!r})")
        w.emit(indent, f"if {items} is not None:")
        w.emit(indent + 1, f"if {items}.__class__ is not list:")
        w.emit(indent + 2, f"NOT_LIST({items}, {rpath}, P)")
        w.emit(indent + 1, "else:")
        body = indent + 2
        w.emit(body, f"{out} = outs[{rpath}]")
        w.emit(body, f"{pos} = 0")
        w.emit(body, f"for {item} in {items}:")
        w.emit(body + 1, f"{pos} += 1")
        w.emit(body + 1, f"if {item}.__class__ is not dict: continue")
        name = "/".join(spec.relative)
        w.emit(body + 1, f'{rid} = f"{{{parent_id}}}/{name}[{{{pos}}}]"')
        w.emit(body + 1, f"if len({rid}) > {MAX_ROW_ID}: {rid} = LONG_ID({rid})")
        values = _emit_columns(w, body + 1, item, spec.columns, dates_as_text)
        w.emit(body + 1, f"{out}.append({_tuple([rid, 'sub_id', parent_id, pos, *values])})")
        _emit_children(w, tables, body + 1, spec.repeat_path, item, rid, dates_as_text)


def compile_extractor(tables: FormTables, *, dates_as_text: bool = False) -> Extractor:
    """Compile the typed-row builder of a form.

    :param dates_as_text: give DATE values as checked ``YYYY-MM-DD`` text (SQLite's storage) instead of
        :class:`datetime.date` objects.
    """
    from warehouse.formtables import REPEAT_SYSTEM_COLUMNS, ROOT_SYSTEM_COLUMNS

    w = _Writer()
    w.emit(0, "def extract(row, head, outs, P):")
    w.emit(1, "sub_id = head[0]")
    values = _emit_columns(w, 1, "row", tables.root.columns, dates_as_text)
    w.emit(1, f"outs[''].append(head + {_tuple(values)})")
    _emit_children(w, tables, 1, "", "row", "sub_id", dates_as_text)
    source = "\n".join(w.lines) + "\n"
    columns = {
        rp: (list(ROOT_SYSTEM_COLUMNS) if rp == "" else list(REPEAT_SYSTEM_COLUMNS))
        + _column_names(spec.columns)
        for rp, spec in tables.tables.items()
    }
    return _rebuild_extractor(columns, source, w.consts, tables.form_id)


def root_head(logical_id: str, instance_id: str | None, system: dict[str, Any]) -> tuple[Any, ...]:
    """The system columns of a root row (:data:`ROOT_SYSTEM_COLUMNS`) from ``__system``."""
    submitter = system.get("submitterId")
    return (
        logical_id,
        instance_id,
        system.get("submissionDate"),
        system.get("updatedAt"),
        system.get("deletedAt"),
        system.get("reviewState"),
        system.get("formVersion"),
        None if submitter is None else str(submitter),
    )


def typed_rows(
    tables: FormTables, logical_id: str, row: dict[str, Any], system: dict[str, Any]
) -> tuple[dict[str, list[dict[str, Any]]], list[Problem]]:
    """Typed rows for every table of the form from one submission, as dicts.

    :returns: rows by repeat path ("" = root table) and the problems found.
    """
    extractor = compile_extractor(tables)
    meta = row.get("meta")
    instance_id = meta.get("instanceID") if isinstance(meta, dict) else None
    outs: dict[str, list[tuple[Any, ...]]] = {rp: [] for rp in tables.tables}
    problems: list[Problem] = []
    extractor.extract(row, root_head(logical_id, instance_id, system), outs, problems)
    named = {
        rp: [dict(zip(extractor.columns[rp], t, strict=True)) for t in rows] for rp, rows in outs.items()
    }
    return named, problems
