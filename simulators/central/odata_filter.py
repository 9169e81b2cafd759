"""``$filter`` and ``$orderby`` as Central runs them.

The grammar and tree shape follow odata-v4-parser's ``boolCommonExpr`` (which central-backend uses): a ``not``
takes the whole boolean chain after it, ``and``/``or`` are parsed right-recursively and an ``and`` whose right
side is an ``or`` is rotated so that ``and`` binds tighter. A parse that stops early is a 400.18 "Unexpected
character at N". Evaluation follows ``lib/data/odata-filter.js``: only ``__system/{submissionDate, updatedAt,
submitterId, reviewState, deletedAt}`` (plus ``$root/Submissions/...`` forms and ``__id``) may appear, any other
field is 501.5; ``eq``/``ne`` are null-safe (``IS NOT DISTINCT FROM``), comparisons with null are unknown and
``and``/``or``/``not`` use SQL's three-valued logic; year/month/day/hour/minute/second/now are supported, other
functions and arithmetic are 501.4. Literals are typed by the column they meet, as PostgreSQL does for an
untyped parameter: a timestamp column against a non-timestamp literal is a 500 (captured), an integer column
against a non-integer is 400.11.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from . import problems
from .problems import InternalError
from .textfmt import from_us, parse_timestamp_literal

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?")
_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}(?![T\d])")
_GUID = re.compile(r"[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}")
_COMPARISONS = ("eq", "ne", "lt", "le", "gt", "ge", "has")
_ARITHMETIC = ("add", "sub", "mul", "div", "mod")
_NODE_TYPES = {
    "eq": "EqualsExpression",
    "ne": "NotEqualsExpression",
    "lt": "LesserThanExpression",
    "le": "LesserOrEqualsExpression",
    "gt": "GreaterThanExpression",
    "ge": "GreaterOrEqualsExpression",
    "has": "HasExpression",
    "add": "AddExpression",
    "sub": "SubExpression",
    "mul": "MulExpression",
    "div": "DivExpression",
    "mod": "ModExpression",
}
_METHODS = {
    # name: (min args, max args); year..second and now are supported by Central, the rest parse but are 501.4
    "year": (1, 1),
    "month": (1, 1),
    "day": (1, 1),
    "hour": (1, 1),
    "minute": (1, 1),
    "second": (1, 1),
    "now": (0, 0),
    "contains": (2, 2),
    "startswith": (2, 2),
    "endswith": (2, 2),
    "length": (1, 1),
    "indexof": (2, 2),
    "substring": (2, 3),
    "tolower": (1, 1),
    "toupper": (1, 1),
    "trim": (1, 1),
    "concat": (2, 2),
    "date": (1, 1),
    "time": (1, 1),
    "round": (1, 1),
    "floor": (1, 1),
    "ceiling": (1, 1),
    "fractionalseconds": (1, 1),
    "totalseconds": (1, 1),
    "totaloffsetminutes": (1, 1),
    "mindatetime": (0, 0),
    "maxdatetime": (0, 0),
}
_SUPPORTED_METHODS = {"year", "month", "day", "hour", "minute", "second", "now"}


@dataclass
class Expr:
    """A parsed expression node: ``type`` uses odata-v4-parser's names (they show in 501.4 messages)."""

    type: str
    pos: int
    end: int
    raw: str
    value: Any = None
    left: Expr | None = None
    right: Expr | None = None
    args: list[Expr] | None = None


class _Parser:
    def __init__(self, text: str) -> None:
        self.s = text

    def rws(self, i: int) -> int:
        j = i
        while j < len(self.s) and self.s[j] in " \t":
            j += 1
        return j

    def keyword(self, i: int, word: str) -> int | None:
        """``RWS word RWS`` starting at i; returns the index after the trailing RWS."""
        j = self.rws(i)
        if j == i or not self.s.startswith(word, j):
            return None
        k = self.rws(j + len(word))
        return None if k == j + len(word) else k

    def node(self, type_: str, pos: int, end: int, **kw: Any) -> Expr:
        return Expr(type_, pos, end, self.s[pos:end], **kw)

    # boolCommonExpr
    def bool_common(self, i: int) -> Expr | None:
        tok = self.not_expr(i)
        if tok is None:
            tok = self.common(i)
            if tok is not None:
                for op in _COMPARISONS:
                    k = self.keyword(tok.end, op)
                    if k is None:
                        continue
                    right = self.common(k)
                    if right is None:
                        continue
                    tok = self.node(_NODE_TYPES[op], tok.pos, right.end, left=tok, right=right, value=op)
                    break
        if tok is None:
            tok = self.bool_paren(i)
        if tok is None:
            return None
        for op, type_ in (("and", "AndExpression"), ("or", "OrExpression")):
            k = self.keyword(tok.end, op)
            if k is None:
                continue
            right = self.bool_common(k)
            if right is None:
                continue
            if type_ == "AndExpression" and right.type == "OrExpression":
                assert right.left is not None and right.right is not None
                left = self.node("AndExpression", tok.pos, right.left.end, left=tok, right=right.left)
                return self.node("OrExpression", tok.pos, right.end, left=left, right=right.right)
            return self.node(type_, tok.pos, right.end, left=tok, right=right)
        return tok

    def not_expr(self, i: int) -> Expr | None:
        if not self.s.startswith("not", i):
            return None
        k = self.rws(i + 3)
        if k == i + 3:
            return None
        inner = self.bool_common(k)
        return None if inner is None else self.node("NotExpression", i, inner.end, left=inner)

    def bool_paren(self, i: int) -> Expr | None:
        if i >= len(self.s) or self.s[i] != "(":
            return None
        inner = self.bool_common(self.rws(i + 1))
        if inner is None:
            return None
        k = self.rws(inner.end)
        if k >= len(self.s) or self.s[k] != ")":
            return None
        return self.node("BoolParenExpression", i, k + 1, left=inner)

    # commonExpr
    def common(self, i: int) -> Expr | None:
        tok = (
            self.literal(i)
            or self.root_expr(i)
            or self.method(i)
            or self.member(i)
            or self.negate(i)
            or self.paren(i)
        )
        if tok is None:
            return None
        for op in _ARITHMETIC:
            k = self.keyword(tok.end, op)
            if k is None:
                continue
            right = self.common(k)
            if right is not None:
                return self.node(_NODE_TYPES[op], tok.pos, right.end, left=tok, right=right)
        return tok

    def literal(self, i: int) -> Expr | None:
        s = self.s
        for word, value in (("null", None), ("true", True), ("false", False)):
            if s.startswith(word, i) and not _ident_char(s, i + len(word)):
                return self.node(
                    "Literal", i, i + len(word), value=("null", value) if value is None else ("bool", value)
                )
        for kind, pattern in (("guid", _GUID), ("datetime", _DATETIME), ("date", _DATE), ("number", _NUMBER)):
            m = pattern.match(s, i)
            if m and not _ident_char(s, m.end()):
                return self.node("Literal", i, m.end(), value=(kind, m.group(0)))
        if i < len(s) and s[i] == "'":
            j = i + 1
            chars = []
            while j < len(s):
                if s[j] == "'":
                    if j + 1 < len(s) and s[j + 1] == "'":
                        chars.append("'")
                        j += 2
                        continue
                    return self.node("Literal", i, j + 1, value=("string", "".join(chars)))
                chars.append(s[j])
                j += 1
        return None

    def path(self, i: int) -> int | None:
        m = _IDENT.match(self.s, i)
        if not m:
            return None
        end = m.end()
        while end < len(self.s) and self.s[end] == "/":
            nxt = _IDENT.match(self.s, end + 1)
            if not nxt:
                break
            end = nxt.end()
        return end

    def root_expr(self, i: int) -> Expr | None:
        if not self.s.startswith("$root/", i):
            return None
        end = self.path(i + 6)
        return None if end is None else self.node("RootExpression", i, end)

    def member(self, i: int) -> Expr | None:
        end = self.path(i)
        return None if end is None else self.node("FirstMemberExpression", i, end)

    def method(self, i: int) -> Expr | None:
        m = _IDENT.match(self.s, i)
        if not m or m.group(0) not in _METHODS or m.end() >= len(self.s) or self.s[m.end()] != "(":
            return None
        lo, hi = _METHODS[m.group(0)]
        j = self.rws(m.end() + 1)
        args: list[Expr] = []
        while len(args) < hi:
            arg = self.common(j)
            if arg is None:
                break
            args.append(arg)
            j = self.rws(arg.end)
            if j < len(self.s) and self.s[j] == ",":
                j = self.rws(j + 1)
            else:
                break
        if len(args) < lo:
            return None
        j = self.rws(j)
        if j >= len(self.s) or self.s[j] != ")":
            return None
        return self.node("MethodCallExpression", i, j + 1, value=m.group(0), args=args)

    def negate(self, i: int) -> Expr | None:
        if i >= len(self.s) or self.s[i] != "-":
            return None
        inner = self.common(self.rws(i + 1))
        return None if inner is None else self.node("NegateExpression", i, inner.end, left=inner)

    def paren(self, i: int) -> Expr | None:
        if i >= len(self.s) or self.s[i] != "(":
            return None
        inner = self.common(self.rws(i + 1))
        if inner is None:
            return None
        k = self.rws(inner.end)
        if k >= len(self.s) or self.s[k] != ")":
            return None
        return Expr(inner.type, inner.pos, k + 1, inner.raw, inner.value, inner.left, inner.right, inner.args)


def _ident_char(s: str, i: int) -> bool:
    return i < len(s) and (s[i].isalnum() or s[i] == "_")


def parse_filter(text: str) -> Expr:
    """Parse a ``$filter``; a parse that does not reach the end is Central's 400.18."""
    if text == "":
        raise InternalError("empty $filter")  # Central crashes on an empty filter
    tree = _Parser(text).bool_common(0)
    if tree is None:
        raise problems.unparseable_odata("Unexpected character at 0")
    if tree.end != len(text):
        raise problems.unparseable_odata(f"Unexpected character at {tree.end}")
    return tree


# --- columns ----------------------------------------------------------------------------------------------

_SYSTEM_COLUMNS = {
    "__system/submissionDate": "submissionDate",
    "__system/updatedAt": "updatedAt",
    "__system/submitterId": "submitterId",
    "__system/reviewState": "reviewState",
    "__system/deletedAt": "deletedAt",
    "__id": "__id",
}
ROOT_COLUMNS = {**_SYSTEM_COLUMNS, **{f"$root/Submissions/{k}": v for k, v in _SYSTEM_COLUMNS.items()}}
SUBTABLE_COLUMNS = {f"$root/Submissions/{k}": v for k, v in _SYSTEM_COLUMNS.items()}
# The Entities OData document filters on these (lib/data/entity.js ``odataToColumnMap``).
ENTITY_COLUMNS = {
    "__id": "e:__id",
    "__system/createdAt": "e:createdAt",
    "__system/updatedAt": "e:updatedAt",
    "__system/deletedAt": "e:deletedAt",
    "__system/creatorId": "e:creatorId",
    "__system/conflict": "e:conflict",
}
_TIMESTAMPS = {"submissionDate", "updatedAt", "deletedAt"}
_GETTERS: dict[str, Callable[[Any], Any]] = {
    "submissionDate": lambda s: s.created_us,
    "updatedAt": lambda s: s.updated_us,
    "deletedAt": lambda s: s.deleted_us,
    "submitterId": lambda s: s.submitter.id,
    "reviewState": lambda s: s.review_state,
    "__id": lambda s: s.instance_id,
    "e:__id": lambda e: e.uuid,
    "e:createdAt": lambda e: e.created_us,
    "e:updatedAt": lambda e: e.updated_us,
    "e:deletedAt": lambda e: e.deleted_us,
    "e:creatorId": lambda e: e.creator.id,
    "e:conflict": lambda e: None,
}
_COLUMN_KIND = {
    "submissionDate": "ts",
    "updatedAt": "ts",
    "deletedAt": "ts",
    "submitterId": "int",
    "reviewState": "text",
    "__id": "text",
    "e:__id": "text",
    "e:createdAt": "ts",
    "e:updatedAt": "ts",
    "e:deletedAt": "ts",
    "e:creatorId": "int",
    "e:conflict": "text",
}


def mentions_deleted_at(tree: Expr) -> bool:
    """Central's ``odataExcludeDeleted``: deleted rows show only when the filter names ``deletedAt``."""
    if tree.type in ("FirstMemberExpression", "RootExpression"):
        return tree.raw in ("__system/deletedAt", "$root/Submissions/__system/deletedAt")
    return any(mentions_deleted_at(n) for n in (tree.left, tree.right, *(tree.args or ())) if n is not None)


# A compiled operand: (static kind, function of a submission). Kinds: ts (µs), int, text, num, lit (an untyped
# literal), null.
Operand = tuple[str, Callable[[Any], Any]]


class _Compiler:
    def __init__(self, columns: dict[str, str], now_us: Callable[[], int]) -> None:
        self.columns = columns
        self.now_us = now_us

    def bool(self, e: Expr) -> Callable[[Any], bool | None]:
        t = e.type
        if t == "BoolParenExpression":
            return self.bool(e.left)  # type: ignore[arg-type]
        if t == "NotExpression":
            inner = self.bool(e.left)  # type: ignore[arg-type]

            def neg(s: Any) -> bool | None:
                v = inner(s)
                return None if v is None else not v

            return neg
        if t in ("AndExpression", "OrExpression"):
            left, right = self.bool(e.left), self.bool(e.right)  # type: ignore[arg-type]
            if t == "AndExpression":

                def conj(s: Any) -> bool | None:
                    a = left(s)
                    if a is False:
                        return False
                    b = right(s)
                    if b is False:
                        return False
                    return None if a is None or b is None else True

                return conj

            def disj(s: Any) -> bool | None:
                a = left(s)
                if a is True:
                    return True
                b = right(s)
                if b is True:
                    return True
                return None if a is None or b is None else False

            return disj
        if t in _ORDERING or t in ("EqualsExpression", "NotEqualsExpression"):
            return self.comparison(e)
        if t in ("FirstMemberExpression", "RootExpression", "Literal", "MethodCallExpression"):
            _, fn = self.operand(e)
            return lambda s: None if (v := fn(s)) is None else bool(v)
        raise problems.unsupported_odata_expression(e.pos, t, e.raw)

    def operand(self, e: Expr) -> Operand:
        t = e.type
        if t in ("FirstMemberExpression", "RootExpression"):
            column = self.columns.get(e.raw)
            if column is None:
                raise problems.unsupported_odata_field(e.raw, e.pos)
            return _COLUMN_KIND[column], _GETTERS[column]
        if t == "Literal":
            lit_kind, value = e.value
            if lit_kind == "null":
                return "null", lambda s: None
            raw = value if lit_kind == "string" else e.raw
            return "lit", lambda s: raw
        if t == "MethodCallExpression":
            name = e.value
            if name not in _SUPPORTED_METHODS:
                raise problems.unsupported_odata_expression(e.pos, t, e.raw)
            if name == "now":
                return "ts", lambda s: self.now_us()
            kind, inner = self.operand(e.args[0])  # type: ignore[index]
            if kind == "lit":
                constant = _timestamp(inner(None))
                inner = lambda s: constant  # noqa: E731
            elif kind not in ("ts", "null"):
                raise InternalError(f"function {name} does not exist for {kind}")

            def extract(s: Any) -> Any:
                value = inner(s)
                if value is None:
                    return None
                moment = from_us(value)
                if name == "second":
                    return moment.second + moment.microsecond / 1e6
                return getattr(moment, name)

            return "num", extract
        raise problems.unsupported_odata_expression(e.pos, t, e.raw)

    def comparison(self, e: Expr) -> Callable[[Any], bool | None]:
        lk, left = self.operand(e.left)  # type: ignore[arg-type]
        rk, right = self.operand(e.right)  # type: ignore[arg-type]
        # a literal meeting a typed operand is cast once, up front, as PostgreSQL binds a parameter
        if lk == "lit" and rk not in ("lit", "null"):
            const = _as(rk, left(None))
            left, lk = (lambda s: const), rk
        elif rk == "lit" and lk not in ("lit", "null"):
            const = _as(lk, right(None))
            right, rk = (lambda s: const), lk
        mixed_text = lk != rk and "text" in (lk, rk)
        op = e.type

        if op in ("EqualsExpression", "NotEqualsExpression"):
            want = op == "EqualsExpression"

            def equality(s: Any) -> bool:
                a, b = left(s), right(s)
                if a is None or b is None:
                    return (a is None and b is None) == want
                if mixed_text:
                    a, b = str(a), str(b)
                return (a == b) == want

            return equality
        compare = _ORDERING[op]

        def ordering(s: Any) -> bool | None:
            a, b = left(s), right(s)
            if a is None or b is None:
                return None
            if mixed_text:
                a, b = str(a), str(b)
            return compare(a, b)

        return ordering


_ORDERING: dict[str, Callable[[Any, Any], bool]] = {
    "LesserThanExpression": lambda a, b: a < b,
    "LesserOrEqualsExpression": lambda a, b: a <= b,
    "GreaterThanExpression": lambda a, b: a > b,
    "GreaterOrEqualsExpression": lambda a, b: a >= b,
}


def _timestamp(raw: str) -> int:
    try:
        return parse_timestamp_literal(raw)
    except ValueError as exc:
        raise InternalError(str(exc)) from exc


def _as(kind: str, raw: Any) -> Any:
    """An untyped literal cast to a column type the way PostgreSQL casts a parameter."""
    if kind == "ts":
        return _timestamp(str(raw))
    if kind == "int":
        text = str(raw).strip()
        if not re.fullmatch(r"[+-]?\d+", text):
            raise problems.invalid_data_type(str(raw), "type integer")
        return int(text)
    if kind == "num":
        try:
            return float(str(raw))
        except ValueError:
            raise problems.invalid_data_type(str(raw), "type numeric") from None
    return str(raw)


def compile_filter(
    text: str | None, *, subtable: bool, now_us: Callable[[], int]
) -> tuple[Callable[[Any], bool] | None, bool]:
    """Compile a ``$filter`` for one table.

    :returns: ``(predicate, include_deleted)``: the predicate is None without a filter; deleted rows are in
        scope only when the filter mentions ``deletedAt``.
    """
    if text is None:
        return None, False
    tree = parse_filter(text)
    compiler = _Compiler(SUBTABLE_COLUMNS if subtable else ROOT_COLUMNS, now_us)
    predicate = compiler.bool(tree)
    return (lambda s: predicate(s) is True), mentions_deleted_at(tree)


def compile_entity_filter(
    text: str | None, *, now_us: Callable[[], int]
) -> tuple[Callable[[Any], bool] | None, bool]:
    """``$filter`` on the Entities OData document (same rules, entity columns)."""
    if text is None:
        return None, False
    tree = parse_filter(text)
    predicate = _Compiler(ENTITY_COLUMNS, now_us).bool(tree)
    return (lambda e: predicate(e) is True), mentions_deleted_at(tree)


def compile_orderby(
    text: str, columns: dict[str, str] | None = None
) -> list[tuple[Callable[[Any], Any], bool]]:
    """``$orderby`` clauses as (getter, descending); unknown column or direction -> 501.5 (no position)."""
    clauses = []
    known = ROOT_COLUMNS if columns is None else columns
    for clause in text.split(","):
        parts = clause.strip().split()
        column = known.get(parts[0] if parts else "")
        if column is None:
            raise problems.unsupported_odata_field(parts[0] if parts else "")
        direction = parts[1] if len(parts) > 1 else "asc"
        if direction.lower() not in ("asc", "desc"):
            raise problems.unsupported_odata_field(direction)
        clauses.append((_GETTERS[column], direction.lower() == "desc"))
    return clauses


def sort_rows(rows: list[Any], clauses: list[tuple[Callable[[Any], Any], bool]]) -> list[Any]:
    """ORDER BY each clause (ASC NULLS FIRST / DESC NULLS LAST), then id in the first clause's direction."""
    result = sorted(rows, key=lambda s: s.id, reverse=clauses[0][1])
    for getter, desc in reversed(clauses):
        if desc:
            result.sort(
                key=lambda s, g=getter: (g(s) is not None, g(s) if g(s) is not None else 0), reverse=True
            )
        else:
            result.sort(key=lambda s, g=getter: (g(s) is not None, g(s) if g(s) is not None else 0))
    return result
