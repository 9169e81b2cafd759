"""A small XPath 1.0 evaluator with the ODK XForms functions our forms use.

It evaluates the ``relevant``, ``constraint``, ``calculate`` and itemset expressions of a built XForm against a
submission, so generated data can be checked against the forms (see :mod:`.formcheck`). It follows XPath 1.0
for types and comparisons and JavaRosa for the ODK functions (dates compare as day numbers, ``regex`` searches,
``position(..)`` is the 1-based index of a repeat instance). Not a full engine: no axes beyond child, parent,
self, attribute and descendant-or-self (``//``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

EPOCH = date(1970, 1, 1)
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}")
_DATETIME_RE = re.compile(r"^(\d{4}-\d{2}-\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(Z|[+-]\d{2}:\d{2})?$")


class XPathError(ValueError):
    """An expression cannot be parsed or uses something this evaluator does not support."""


@dataclass(eq=False, slots=True)
class Node:
    """An element (or attribute) of an XML instance: leaf text in ``value``, element children in ``children``."""

    name: str
    value: str = ""
    children: list[Node] = field(default_factory=list)
    parent: Node | None = None
    attrs: dict[str, Node] = field(default_factory=dict)
    lookup: dict[str, dict[str, list[Node]]] | None = field(default=None, repr=False)  # see _filter

    def add(self, child: Node) -> Node:
        child.parent = self
        self.children.append(child)
        return child

    def string(self) -> str:
        if not self.children:
            return self.value
        return "".join(c.string() for c in self.children)

    def child(self, name: str) -> Node | None:
        return next((c for c in self.children if c.name == name), None)

    def path(self) -> str:
        steps = []
        node: Node | None = self
        while node is not None and node.parent is not None:
            steps.append(node.name)
            node = node.parent
        return "/" + "/".join(reversed(steps))


# --- Tokenizer ----------------------------------------------------------------------------------------------

_TOKEN_RE = re.compile(
    r"""\s*(?:
        (?P<num>\d+(?:\.\d*)?|\.\d+)
      | (?P<str>"[^"]*"|'[^']*')
      | (?P<op>//|::|!=|<=|>=|\.\.|[/\[\]()@,|+\-=<>*.$])
      | (?P<name>[A-Za-z_][\w.\-]*(?::[A-Za-z_*][\w.\-]*)?)
    )""",
    re.VERBOSE,
)
_OPERATOR_NAMES = {"and", "or", "div", "mod"}
_OPERATORS = {"and", "or", "div", "mod", "*", "/", "//", "|", "+", "-", "=", "!=", "<", "<=", ">", ">="}


def tokenize(text: str) -> list[tuple[str, str]]:
    """(kind, text) tokens; ``*`` and the names and/or/div/mod become operators where XPath says so."""
    tokens: list[tuple[str, str]] = []
    pos = 0
    text = text.rstrip()
    while pos < len(text):
        m = _TOKEN_RE.match(text, pos)
        if not m or m.end() == pos:
            raise XPathError(f"cannot read {text[pos:]!r} in {text!r}")
        pos = m.end()
        kind = m.lastgroup or ""
        value = m.group(kind)
        prev = tokens[-1] if tokens else None
        operator_position = prev is not None and not (
            prev[0] == "op" and prev[1] in {"@", "::", "(", "[", ","} or prev[0] == "oper"
        )
        if kind == "op" and value == "*":
            kind = "oper" if operator_position else "name"
        elif kind == "name" and value in _OPERATOR_NAMES and operator_position:
            kind = "oper"
        elif kind == "op" and value in _OPERATORS:
            kind = "oper"
        tokens.append((kind, value))
    return tokens


# --- Parser (recursive descent to nested tuples) -----------------------------------------------------------


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.i = 0

    def peek(self, offset: int = 0) -> tuple[str, str] | None:
        j = self.i + offset
        return self.tokens[j] if j < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        tok = self.peek()
        if tok is None:
            raise XPathError(f"unexpected end of {self.text!r}")
        self.i += 1
        return tok

    def accept(self, value: str) -> bool:
        tok = self.peek()
        if tok is not None and tok[1] == value and tok[0] in ("op", "oper"):
            self.i += 1
            return True
        return False

    def expect(self, value: str) -> None:
        if not self.accept(value):
            raise XPathError(f"expected {value!r} at token {self.i} of {self.text!r}")

    def parse(self) -> tuple:
        expr = self.binary(0)
        if self.peek() is not None:
            raise XPathError(f"unexpected {self.peek()[1]!r} in {self.text!r}")  # type: ignore[index]
        return expr

    _LEVELS = (("or",), ("and",), ("=", "!="), ("<", "<=", ">", ">="), ("+", "-"), ("*", "div", "mod"))

    def binary(self, level: int) -> tuple:
        if level == len(self._LEVELS):
            return self.unary()
        left = self.binary(level + 1)
        while True:
            tok = self.peek()
            if tok is None or tok[0] != "oper" or tok[1] not in self._LEVELS[level]:
                return left
            self.i += 1
            left = ("bin", tok[1], left, self.binary(level + 1))

    def unary(self) -> tuple:
        if self.accept("-"):
            return ("neg", self.unary())
        left = self.path()
        while self.accept("|"):
            left = ("union", left, self.path())
        return left

    def path(self) -> tuple:
        tok = self.peek()
        if tok is None:
            raise XPathError(f"unexpected end of {self.text!r}")
        if tok[1] in ("/", "//") and tok[0] == "oper":
            self.i += 1
            steps: list[tuple] = [] if tok[1] == "/" else [("step", "descendant-or-self", "*", [])]
            nxt = self.peek()
            if nxt is not None and (nxt[0] == "name" or nxt[1] in (".", "..", "@")):
                steps += self.steps()
            return ("path", ("root",), steps)
        if self._starts_filter(tok):
            primary = self.primary()
            preds = []
            while self.accept("["):
                preds.append(self.binary(0))
                self.expect("]")
            expr: tuple = ("filter", primary, preds) if preds else primary
            nxt = self.peek()
            if nxt is not None and nxt[0] == "oper" and nxt[1] in ("/", "//"):
                return ("path", expr, self.steps(leading=True))
            return expr
        return ("path", ("context",), self.steps())

    def _starts_filter(self, tok: tuple[str, str]) -> bool:
        if tok[0] in ("num", "str") or tok[1] in ("(", "$"):
            return True
        nxt = self.peek(1)
        return tok[0] == "name" and nxt is not None and nxt[1] == "(" and tok[1] not in ("node", "text")

    def steps(self, leading: bool = False) -> list[tuple]:
        steps: list[tuple] = []
        first = not leading
        while True:
            if not first:
                tok = self.peek()
                if tok is None or tok[0] != "oper" or tok[1] not in ("/", "//"):
                    return steps
                self.i += 1
                if tok[1] == "//":
                    steps.append(("step", "descendant-or-self", "*", []))
            first = False
            steps.append(self.step())

    def step(self) -> tuple:
        if self.accept("."):
            return ("step", "self", "*", [])
        if self.accept(".."):
            return ("step", "parent", "*", [])
        axis = "child"
        if self.accept("@"):
            axis = "attribute"
        kind, name = self.take()
        if kind != "name":
            raise XPathError(f"expected a name, got {name!r} in {self.text!r}")
        if self.accept("::"):
            axis = name
            kind, name = self.take()
        if name in ("node", "text") and self.accept("("):
            self.expect(")")
            name = "*" if name == "node" else "#text"
        preds = []
        while self.accept("["):
            preds.append(self.binary(0))
            self.expect("]")
        return ("step", axis, name, preds)

    def primary(self) -> tuple:
        kind, value = self.take()
        if kind == "num":
            return ("lit", float(value))
        if kind == "str":
            return ("lit", value[1:-1])
        if value == "(":
            expr = self.binary(0)
            self.expect(")")
            return expr
        if value == "$":
            raise XPathError(f"variables are not supported: {self.text!r}")
        self.expect("(")
        args: list[tuple] = []
        if not self.accept(")"):
            while True:
                args.append(self.binary(0))
                if self.accept(")"):
                    break
                self.expect(",")
        return ("call", value, args)


_PARSED: dict[str, tuple] = {}


def parse(text: str) -> tuple:
    """The syntax tree of an expression (cached)."""
    tree = _PARSED.get(text)
    if tree is None:
        tree = _PARSED[text] = _Parser(text).parse()
    return tree


# --- Values -------------------------------------------------------------------------------------------------

Value = list | str | float | bool | date


def to_string(v: Value) -> str:
    if isinstance(v, list):
        return v[0].string() if v else ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        if math.isnan(v):
            return "NaN"
        if math.isinf(v):
            return "Infinity" if v > 0 else "-Infinity"
        return str(int(v)) if v == int(v) else repr(v)
    if isinstance(v, datetime):
        return v.isoformat()
    if isinstance(v, date):
        return v.isoformat()
    return v


def _string_number(s: str) -> float:
    s = s.strip()
    if not s:
        return math.nan
    if _DATE_RE.match(s):
        d = parse_date(s)
        return math.nan if d is None else float((d - EPOCH).days)
    try:
        return float(s)
    except ValueError:
        return math.nan


def to_number(v: Value) -> float:
    if isinstance(v, list):
        return _string_number(to_string(v))
    if isinstance(v, bool):
        return 1.0 if v else 0.0
    if isinstance(v, float):
        return v
    if isinstance(v, datetime):
        return (v.replace(tzinfo=None) - datetime(1970, 1, 1)).total_seconds() / 86400
    if isinstance(v, date):
        return float((v - EPOCH).days)
    return _string_number(v)


def to_bool(v: Value) -> bool:
    if isinstance(v, list):
        return bool(v)
    if isinstance(v, bool):
        return v
    if isinstance(v, float):
        return not (v == 0 or math.isnan(v))
    if isinstance(v, date):
        return True
    return len(v) > 0


def parse_date(s: str) -> date | None:
    """A date from ``YYYY-MM-DD`` (a dateTime's date part counts), or None."""
    try:
        return date.fromisoformat(s.strip()[:10])
    except ValueError:
        return None


def _compare(op: str, a: Value, b: Value) -> bool:
    if isinstance(a, list) and isinstance(b, list):
        return any(_compare(op, x.string(), y.string()) for x in a for y in b)
    if isinstance(a, list):
        if isinstance(b, bool):
            return _compare(op, bool(a), b)
        if isinstance(b, float | date):
            return any(_compare(op, _string_number(x.string()), b) for x in a)
        return any(_compare(op, x.string(), b) for x in a)
    if isinstance(b, list):
        if isinstance(a, bool):
            return _compare(op, a, bool(b))
        if isinstance(a, float | date):
            return any(_compare(op, a, _string_number(y.string())) for y in b)
        return any(_compare(op, a, y.string()) for y in b)
    if op in ("=", "!="):
        if isinstance(a, bool) or isinstance(b, bool):
            equal = to_bool(a) == to_bool(b)
        elif isinstance(a, float | date) or isinstance(b, float | date):
            equal = to_number(a) == to_number(b)
        else:
            equal = a == b
        return equal if op == "=" else not equal
    x, y = to_number(a), to_number(b)
    return {"<": x < y, "<=": x <= y, ">": x > y, ">=": x >= y}[op]


# --- Evaluation ---------------------------------------------------------------------------------------------


@dataclass(slots=True)
class Context:
    """Where an expression is evaluated: the context node, the document root, secondary instances, "now"."""

    node: Node
    root: Node
    instances: dict[str, Node]
    today: date
    current: Node | None = None
    position: int = 1
    size: int = 1


def evaluate(expr: str | tuple, ctx: Context) -> Value:
    """Evaluate an expression (text or parsed tree) in ``ctx``."""
    tree = parse(expr) if isinstance(expr, str) else expr
    if ctx.current is None:
        ctx.current = ctx.node
    return _eval(tree, ctx)


def _eval(t: tuple, ctx: Context) -> Value:
    kind = t[0]
    if kind == "lit":
        return t[1]
    if kind == "path":
        base = t[1]
        if base[0] == "root":
            nodes = [ctx.root]
        elif base[0] == "context":
            nodes = [ctx.node]
        else:
            value = _eval(base, ctx)
            if not isinstance(value, list):
                raise XPathError("a path step follows something that is not a node-set")
            nodes = value
        for step in t[2]:
            nodes = _step(nodes, step, ctx)
        return nodes
    if kind == "filter":
        value = _eval(t[1], ctx)
        if not isinstance(value, list):
            raise XPathError("a predicate follows something that is not a node-set")
        for pred in t[2]:
            value = _filter(value, pred, ctx)
        return value
    if kind == "bin":
        op = t[1]
        if op == "or":
            return to_bool(_eval(t[2], ctx)) or to_bool(_eval(t[3], ctx))
        if op == "and":
            return to_bool(_eval(t[2], ctx)) and to_bool(_eval(t[3], ctx))
        a, b = _eval(t[2], ctx), _eval(t[3], ctx)
        if op in ("=", "!=", "<", "<=", ">", ">="):
            return _compare(op, a, b)
        x, y = to_number(a), to_number(b)
        if op == "+":
            return x + y
        if op == "-":
            return x - y
        if op == "*":
            return x * y
        if op == "div":
            if y == 0:
                return math.nan if x == 0 or math.isnan(x) else math.copysign(math.inf, x)
            return x / y
        if op == "mod":
            return math.fmod(x, y) if y else math.nan
        raise XPathError(f"unknown operator {op}")
    if kind == "neg":
        return -to_number(_eval(t[1], ctx))
    if kind == "union":
        a, b = _eval(t[1], ctx), _eval(t[2], ctx)
        if not isinstance(a, list) or not isinstance(b, list):
            raise XPathError("| needs node-sets")
        return a + [n for n in b if all(n is not m for m in a)]
    if kind == "call":
        return _call(t[1], t[2], ctx)
    raise XPathError(f"cannot evaluate {t!r}")


def _step(nodes: list[Node], step: tuple, ctx: Context) -> list[Node]:
    _, axis, name, preds = step
    out: list[Node] = []
    for node in nodes:
        if axis == "child":
            found = [c for c in node.children if name == "*" or c.name == name]
        elif axis == "self":
            found = [node]
        elif axis == "parent":
            found = [node.parent] if node.parent is not None else []
        elif axis == "attribute":
            found = [a for n, a in node.attrs.items() if name in ("*", n)]
        elif axis == "descendant-or-self":
            found = []
            stack = [node]
            while stack:
                n = stack.pop()
                found.append(n)
                stack.extend(reversed(n.children))
        else:
            raise XPathError(f"axis {axis} is not supported")
        for pred in preds:
            found = _filter(found, pred, ctx)
        for n in found:
            if all(n is not m for m in out):
                out.append(n)
    return out


def _context_free(t: tuple) -> bool:
    """True when an expression's value does not depend on the context node (a literal or absolute path)."""
    if t[0] == "lit":
        return True
    if t[0] == "path":
        return t[1][0] == "root" or (t[1][0] == "call" and t[1][1] == "instance")
    return False


def _filter(nodes: list[Node], pred: tuple, ctx: Context) -> list[Node]:
    # Fast path for lookups such as item[name = /data/kode_desa] over long CSV lists.
    if (
        len(nodes) > 8
        and pred[0] == "bin"
        and pred[1] == "="
        and pred[2][0] == "path"
        and pred[2][1] == ("context",)
        and len(pred[2][2]) == 1
        and pred[2][2][0][1] == "child"
        and not pred[2][2][0][3]
        and _context_free(pred[3])
    ):
        name = pred[2][2][0][2]
        wanted = _eval(pred[3], ctx)
        parent = nodes[0].parent
        if isinstance(wanted, str | list) and parent is not None and len(nodes) == len(parent.children):
            # An index over the items' child values, kept on the (static) list's parent node.
            if parent.lookup is None:
                parent.lookup = {}
            index = parent.lookup.get(name)
            if index is None:
                index = parent.lookup[name] = {}
                for n in parent.children:
                    for c in n.children:
                        if c.name == name:
                            index.setdefault(c.string(), []).append(n)
            values = [n.string() for n in wanted] if isinstance(wanted, list) else [wanted]
            found: list[Node] = []
            for value in values:
                for n in index.get(value, ()):
                    if all(n is not m for m in found):
                        found.append(n)
            return sorted(found, key=parent.children.index) if len(values) > 1 else found
    kept = []
    size = len(nodes)
    for i, node in enumerate(nodes, start=1):
        sub = Context(node, ctx.root, ctx.instances, ctx.today, ctx.current, i, size)
        value = _eval(pred, sub)
        if isinstance(value, float) and not isinstance(value, bool):
            if value == i:
                kept.append(node)
        elif to_bool(value):
            kept.append(node)
    return kept


def _format_date(value: Value, fmt: str) -> str:
    s = to_string(value)
    if not s:
        return ""
    d = parse_date(s)
    if d is None:
        n = to_number(value)
        if math.isnan(n):
            return ""
        d = EPOCH + timedelta(days=int(n))
    m = _DATETIME_RE.match(s)
    hh, mm, ss = (int(m.group(2)), int(m.group(3)), int(m.group(4))) if m else (0, 0, 0)
    parts = {
        "Y": f"{d.year:04d}",
        "y": f"{d.year % 100:02d}",
        "m": f"{d.month:02d}",
        "n": str(d.month),
        "d": f"{d.day:02d}",
        "e": str(d.day),
        "H": f"{hh:02d}",
        "h": str(hh),
        "M": f"{mm:02d}",
        "S": f"{ss:02d}",
        "b": d.strftime("%b"),
        "a": d.strftime("%a"),
    }
    return re.sub(r"%(.)", lambda mt: parts.get(mt.group(1), mt.group(0)), fmt)


def _round(x: float, digits: int = 0) -> float:
    if math.isnan(x) or math.isinf(x):
        return x
    factor = 10.0**digits
    return math.floor(x * factor + 0.5) / factor


def _nodes(value: Value) -> list[Node]:
    if not isinstance(value, list):
        raise XPathError("a node-set is needed here")
    return value


def _call(name: str, arg_trees: Sequence[tuple], ctx: Context) -> Value:
    if name == "if":
        cond, a, b = arg_trees
        return _eval(a, ctx) if to_bool(_eval(cond, ctx)) else _eval(b, ctx)
    if name == "current":
        return [ctx.current or ctx.node]
    if name == "instance":
        key = to_string(_eval(arg_trees[0], ctx))
        inst = ctx.instances.get(key)
        if inst is None:
            raise XPathError(f"instance {key!r} is not loaded")
        return [inst]
    if name == "position":
        if not arg_trees:
            return float(ctx.position)
        nodes = _nodes(_eval(arg_trees[0], ctx))
        if not nodes:
            return math.nan
        node = nodes[0]
        siblings = [c for c in node.parent.children if c.name == node.name] if node.parent else [node]
        return float(next(i for i, c in enumerate(siblings, start=1) if c is node))
    if name == "last":
        return float(ctx.size)
    args = [_eval(a, ctx) for a in arg_trees]
    fn = _FUNCTIONS.get(name)
    if fn is None:
        raise XPathError(f"function {name}() is not supported")
    return fn(ctx, args)


def _selected(args: list[Value]) -> bool:
    return to_string(args[1]).strip() in to_string(args[0]).split()


def _join(args: list[Value]) -> str:
    sep = to_string(args[0])
    items: list[str] = []
    for a in args[1:]:
        if isinstance(a, list):
            items.extend(n.string() for n in a)
        else:
            items.append(to_string(a))
    return sep.join(items)


def _sum(args: list[Value]) -> float:
    return float(sum(_string_number(n.string()) for n in _nodes(args[0])))


def _substring(args: list[Value]) -> str:
    s = to_string(args[0])
    start = _round(to_number(args[1]))
    if len(args) > 2:
        end = start + _round(to_number(args[2]))
        return "".join(ch for i, ch in enumerate(s, start=1) if start <= i < end)
    return "".join(ch for i, ch in enumerate(s, start=1) if i >= start)


def _translate(args: list[Value]) -> str:
    s, src, dst = (to_string(a) for a in args)
    table: dict[int, int | None] = {}
    for i, ch in enumerate(src):
        table.setdefault(ord(ch), ord(dst[i]) if i < len(dst) else None)
    return s.translate(table)


def _coalesce(args: list[Value]) -> Value:
    first = to_string(args[0])
    return first if first else to_string(args[1])


def _date(args: list[Value]) -> Value:
    v = args[0]
    if isinstance(v, date):
        return v
    if isinstance(v, float):
        return EPOCH + timedelta(days=int(v))
    d = parse_date(to_string(v))
    return d if d is not None else ""


_FUNCTIONS: dict[str, Callable[[Context, list[Value]], Value]] = {
    "true": lambda c, a: True,
    "false": lambda c, a: False,
    "not": lambda c, a: not to_bool(a[0]),
    "boolean": lambda c, a: to_bool(a[0]),
    "boolean-from-string": lambda c, a: to_string(a[0]) in ("true", "1"),
    "number": lambda c, a: to_number(a[0]),
    "string": lambda c, a: to_string(a[0] if a else [c.node]),
    "int": lambda c, a: float(math.trunc(to_number(a[0]))) if math.isfinite(to_number(a[0])) else math.nan,
    "round": lambda c, a: _round(to_number(a[0]), int(to_number(a[1])) if len(a) > 1 else 0),
    "floor": lambda c, a: float(math.floor(to_number(a[0]))),
    "ceiling": lambda c, a: float(math.ceil(to_number(a[0]))),
    "abs": lambda c, a: abs(to_number(a[0])),
    "pow": lambda c, a: to_number(a[0]) ** to_number(a[1]),
    "count": lambda c, a: float(len(_nodes(a[0]))),
    "sum": lambda c, a: _sum(a),
    "max": lambda c, a: max(
        (to_number(x) for v in a for x in (v if isinstance(v, list) else [v])), default=math.nan
    ),
    "min": lambda c, a: min(
        (to_number(x) for v in a for x in (v if isinstance(v, list) else [v])), default=math.nan
    ),
    "concat": lambda c, a: "".join(to_string(x) for x in a),
    "join": lambda c, a: _join(a),
    "normalize-space": lambda c, a: " ".join(to_string(a[0] if a else [c.node]).split()),
    "string-length": lambda c, a: float(len(to_string(a[0] if a else [c.node]))),
    "contains": lambda c, a: to_string(a[1]) in to_string(a[0]),
    "starts-with": lambda c, a: to_string(a[0]).startswith(to_string(a[1])),
    "ends-with": lambda c, a: to_string(a[0]).endswith(to_string(a[1])),
    "substring": lambda c, a: _substring(a),
    "substring-before": lambda c, a: (
        to_string(a[0]).partition(to_string(a[1]))[0] if to_string(a[1]) in to_string(a[0]) else ""
    ),
    "substring-after": lambda c, a: to_string(a[0]).partition(to_string(a[1]))[2],
    "translate": lambda c, a: _translate(a),
    "regex": lambda c, a: re.search(to_string(a[1]), to_string(a[0])) is not None,
    "selected": lambda c, a: _selected(a),
    "count-selected": lambda c, a: float(len(to_string(a[0]).split())),
    "selected-at": lambda c, a: (to_string(a[0]).split() + [""] * 1000)[int(to_number(a[1]))],
    "coalesce": lambda c, a: _coalesce(a),
    "today": lambda c, a: c.today,
    "now": lambda c, a: datetime(c.today.year, c.today.month, c.today.day, 12),
    "date": lambda c, a: _date(a),
    "decimal-date-time": lambda c, a: to_number(a[0]),
    "format-date": lambda c, a: _format_date(a[0], to_string(a[1])),
    "format-date-time": lambda c, a: _format_date(a[0], to_string(a[1])),
    "once": lambda c, a: to_string([c.node]) or to_string(a[0]),
}
