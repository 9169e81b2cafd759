"""Check a submission (nested dict) against a built XForm: the rules ODK Collect enforces before it sends one.

Checks: every field exists in the form; relevance (no value for an irrelevant question, groups included);
``required``; ``constraint``; choices (including ``choice_filter`` itemsets and CSV/Entity list choices); value
types (int, decimal, date, dateTime, geopoint); and that every ``calculate`` holds the value the form computes.
Used by the tests to catch drift between the forms and the generator.
"""

from __future__ import annotations

import csv
import io
import math
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from .xpath import Context, Node, XPathError, evaluate, parse_date, to_bool, to_number, to_string

_X = "{http://www.w3.org/2002/xforms}"
_H = "{http://www.w3.org/1999/xhtml}"
_JR = "{http://openrosa.org/javarosa}"
_INT_RE = re.compile(r"^-?\d+$")
_DATETIME_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?(Z|[+-]\d{2}:\d{2})$")


@dataclass(slots=True)
class Bind:
    type: str = "string"
    relevant: str = ""
    required: str = ""
    constraint: str = ""
    calculate: str = ""
    readonly: str = ""
    preload: str = ""


@dataclass(slots=True)
class Control:
    tag: str  # input, select1, select, upload
    itemset: str = ""  # nodeset of the itemset, '' for inline items
    value_ref: str = "name"
    items: tuple[str, ...] = ()


@dataclass(slots=True)
class FormModel:
    """What the checker needs from an XForm: skeleton, binds, controls, repeats and secondary instances."""

    root: str
    skeleton: ET.Element
    binds: dict[str, Bind] = field(default_factory=dict)
    controls: dict[str, Control] = field(default_factory=dict)
    repeats: set[str] = field(default_factory=set)
    instances: dict[str, Node] = field(default_factory=dict)
    external: dict[str, str] = field(default_factory=dict)  # instance id -> file name

    @classmethod
    def from_xml(cls, xml: str, media: Mapping[str, bytes] | None = None) -> FormModel:
        doc = ET.fromstring(xml)
        model = doc.find(f"{_H}head/{_X}model")
        body = doc.find(f"{_H}body")
        if model is None or body is None:
            raise ValueError("not an XForm: no model or body")
        primary = model.find(f"{_X}instance")
        if primary is None or not len(primary):
            raise ValueError("not an XForm: no primary instance")
        skeleton = list(primary)[0]
        form = cls(root=skeleton.tag.removeprefix(_X), skeleton=skeleton)
        for inst in model.findall(f"{_X}instance")[1:]:
            inst_id = inst.get("id", "")
            src = inst.get("src")
            if src:
                form.external[inst_id] = src.rsplit("/", 1)[-1]
                data = (media or {}).get(form.external[inst_id])
                if data is not None:
                    form.instances[inst_id] = csv_instance(data)
            elif len(inst):
                form.instances[inst_id] = _document(_element_to_node(list(inst)[0]))
        for b in model.findall(f"{_X}bind"):
            ref = b.get("nodeset", "")
            if "@" in ref:
                continue
            form.binds[ref] = Bind(
                type=b.get("type", "string"),
                relevant=b.get("relevant", ""),
                required=b.get("required", ""),
                constraint=b.get("constraint", ""),
                calculate=b.get("calculate", ""),
                readonly=b.get("readonly", ""),
                preload=b.get(f"{_JR}preload", ""),
            )
        for el in body.iter():
            tag = el.tag.removeprefix(_X)
            if tag == "repeat":
                form.repeats.add(el.get("nodeset", ""))
            ref = el.get("ref")
            if not ref or tag not in ("input", "select1", "select", "upload", "range", "trigger"):
                continue
            control = Control(tag)
            itemset = el.find(f"{_X}itemset")
            if itemset is not None:
                control.itemset = itemset.get("nodeset", "")
                value = itemset.find(f"{_X}value")
                control.value_ref = value.get("ref", "name") if value is not None else "name"
            else:
                control.items = tuple(i.findtext(f"{_X}value", "") for i in el.findall(f"{_X}item"))
            form.controls[ref] = control
        return form

    def instance_tree(self, data: Mapping[str, Any]) -> tuple[Node, Node]:
        """(document node, data root node) for ``data`` laid over the form's skeleton."""
        doc = Node("#document")
        root = doc.add(Node(self.root))
        problems: list[str] = []
        self._fill(root, self.skeleton, data, f"/{self.root}", problems)
        if problems:
            raise KeyError("; ".join(problems))
        return doc, root

    def _fill(
        self, node: Node, skeleton: ET.Element, data: Mapping[str, Any], path: str, problems: list[str]
    ) -> None:
        known: set[str] = set()
        for child in skeleton:
            name = child.tag.removeprefix(_X).split("}")[-1]
            child_path = f"{path}/{name}"
            if child.get(f"{_JR}template") is not None:
                continue
            if name in known:
                continue  # the first instance of a repeat shares the template's path
            known.add(name)
            value = data.get(name)
            if child_path in self.repeats:
                rows = value or []
                if not isinstance(rows, list):
                    problems.append(f"{child_path}: a repeat needs a list")
                    continue
                template = next(
                    (c for c in skeleton if c.tag == child.tag and c.get(f"{_JR}template") is not None), child
                )
                for row in rows:
                    rep = node.add(Node(name))
                    self._fill(rep, template, row, child_path, problems)
                continue
            if len(child):
                if name == "meta":
                    node.add(Node(name))
                    continue
                group = node.add(Node(name))
                self._fill(group, child, value or {}, child_path, problems)
                continue
            node.add(Node(name, "" if value is None else format_value(value)))
        for name in data:
            if name not in known:
                problems.append(f"{path}/{name}: not a field of the form")


def format_value(value: Any) -> str:
    """A leaf value as the text Collect would write into the submission XML."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value == int(value) else repr(value)
    return str(value)


def _document(root: Node) -> Node:
    """The instance's document node: ``instance('x')`` selects it, ``/root/item`` walks down from it."""
    doc = Node("#document")
    doc.add(root)
    return doc


def csv_instance(data: bytes) -> Node:
    """A ``root/item`` instance from CSV bytes (what Collect makes of a ``select_one_from_file`` CSV)."""
    root = Node("root")
    reader = csv.DictReader(io.StringIO(data.decode("utf-8-sig")))
    for rec in reader:
        item = root.add(Node("item"))
        for key, value in rec.items():
            item.add(Node(key, value or ""))
    return _document(root)


def rows_instance(rows: Iterable[Mapping[str, Any]]) -> Node:
    """A ``root/item`` instance from dict rows (an Entity List as the phone sees it)."""
    root = Node("root")
    for rec in rows:
        item = root.add(Node("item"))
        for key, value in rec.items():
            item.add(Node(key, "" if value is None else format_value(value)))
    return _document(root)


def _element_to_node(el: ET.Element) -> Node:
    node = Node(el.tag.removeprefix(_X), (el.text or "").strip() if not len(el) else "")
    for child in el:
        node.add(_element_to_node(child))
    return node


def _walk(node: Node, path: str) -> Iterable[tuple[Node, str]]:
    for child in node.children:
        child_path = f"{path}/{child.name}"
        yield child, child_path
        yield from _walk(child, child_path)


def _store(value: Any, bind_type: str) -> str:
    """The text a calculate result is stored as for its bind type."""
    if isinstance(value, list):
        value = to_string(value)
    if bind_type in ("int", "integer"):
        if isinstance(value, str) and value == "":
            return ""
        n = to_number(value)
        return "" if math.isnan(n) or math.isinf(n) else str(math.trunc(n))
    if bind_type == "decimal":
        if isinstance(value, str) and value == "":
            return ""
        n = to_number(value)
        return "" if math.isnan(n) or math.isinf(n) else to_string(n)
    if isinstance(value, bool) and bind_type == "boolean":
        return "true" if value else "false"
    return to_string(value)


def _same(a: str, b: str, bind_type: str) -> bool:
    if a == b:
        return True
    if bind_type in ("decimal", "int", "integer") and a and b:
        try:
            return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-9)
        except ValueError:
            return False
    return False


def check_submission(
    form: FormModel,
    data: Mapping[str, Any],
    *,
    today: date,
    entity_rows: Iterable[Mapping[str, Any]] | None = None,
) -> list[str]:
    """Problems of one submission against the form ([] when Collect would accept it as is).

    :param today: the device's date when the form was finalised (``today()`` in constraints).
    :param entity_rows: the rows of the Entity List (``kpm``) the phone held; needed for forms that read it.
    """
    instances = dict(form.instances)
    if entity_rows is not None:
        for inst_id, file in form.external.items():
            if file == "kpm.csv":
                instances[inst_id] = rows_instance(entity_rows)
    try:
        doc, root = form.instance_tree(data)
    except KeyError as exc:
        return [str(exc.args[0])]
    problems: list[str] = []
    nodes = list(_walk(root, f"/{form.root}"))

    def ctx(node: Node) -> Context:
        return Context(node, doc, instances, today)

    # Calculates, in document order, repeated until nothing changes (forward references settle).
    given = {id(n): n.value for n, p in nodes if form.binds.get(p, Bind()).calculate}
    for _ in range(6):
        changed = False
        for node, path in nodes:
            bind = form.binds.get(path)
            if bind is None or not bind.calculate or path.startswith(f"/{form.root}/meta/"):
                continue
            try:
                value = _store(evaluate(bind.calculate, ctx(node)), bind.type)
            except XPathError as exc:
                problems.append(f"{path}: cannot evaluate calculate: {exc}")
                continue
            if value != node.value:
                node.value = value
                changed = True
        if not changed:
            break
    for node, path in nodes:
        bind = form.binds.get(path)
        is_calculate = bind is not None and bind.calculate and not path.startswith(f"/{form.root}/meta/")
        if is_calculate and not _same(given[id(node)], node.value, bind.type):  # type: ignore[union-attr]
            problems.append(
                f"{node.path()}: calculate gives {node.value!r}, submission has {given[id(node)]!r}"
            )

    relevant_cache: dict[int, bool] = {}

    def relevant(node: Node, path: str) -> bool:
        key = id(node)
        if key in relevant_cache:
            return relevant_cache[key]
        result = True
        if node.parent is not None and node.parent is not root:
            result = relevant(node.parent, path.rsplit("/", 1)[0])
        bind = form.binds.get(path)
        if result and bind is not None and bind.relevant:
            result = to_bool(evaluate(bind.relevant, ctx(node)))
        relevant_cache[key] = result
        return result

    for node, path in nodes:
        bind = form.binds.get(path) or Bind()
        if node.children or path in form.repeats:
            continue
        if path.startswith(f"/{form.root}/meta"):
            continue
        where = node.path()
        value = node.value
        is_relevant = relevant(node, path)
        control = form.controls.get(path)
        if bind.calculate:
            continue
        if not is_relevant:
            if value != "":
                problems.append(f"{where}: has {value!r} but is not relevant")
            continue
        if bind.readonly and control is not None and control.tag == "input" and not bind.calculate:
            if value != "":
                problems.append(f"{where}: a note must stay empty")
            continue
        if value == "":
            if bind.required and to_bool(evaluate(bind.required, ctx(node))):
                problems.append(f"{where}: required but empty")
            continue
        type_problem = _type_problem(value, bind.type)
        if type_problem:
            problems.append(f"{where}: {type_problem}")
            continue
        if control is not None and control.tag in ("select1", "select"):
            allowed = _choices(control, node, ctx)
            picked = value.split() if control.tag == "select" else [value]
            wrong = [v for v in picked if v not in allowed]
            if wrong:
                problems.append(f"{where}: {' '.join(wrong)!r} is not a choice of the list")
        if bind.constraint:
            try:
                ok = to_bool(evaluate(bind.constraint, ctx(node)))
            except XPathError as exc:
                problems.append(f"{where}: cannot evaluate constraint: {exc}")
                continue
            if not ok:
                problems.append(f"{where}: {value!r} breaks the constraint {bind.constraint}")
    return problems


def _choices(control: Control, node: Node, ctx: Any) -> set[str]:
    if not control.itemset:
        return set(control.items)
    items = evaluate(control.itemset, ctx(node))
    if not isinstance(items, list):
        return set()
    names = set()
    for item in items:
        value = item.child(control.value_ref)
        if value is not None:
            names.add(value.string())
    return names


def _type_problem(value: str, bind_type: str) -> str:
    if bind_type in ("int", "integer"):
        return "" if _INT_RE.match(value) else f"{value!r} is not an integer"
    if bind_type == "decimal":
        try:
            return "" if math.isfinite(float(value)) else f"{value!r} is not a decimal"
        except ValueError:
            return f"{value!r} is not a decimal"
    if bind_type == "date":
        return "" if len(value) == 10 and parse_date(value) is not None else f"{value!r} is not a date"
    if bind_type == "dateTime":
        return "" if _DATETIME_RE.match(value) else f"{value!r} is not a dateTime with an offset"
    if bind_type == "geopoint":
        parts = value.split()
        try:
            nums = [float(p) for p in parts]
        except ValueError:
            return f"{value!r} is not a geopoint"
        if len(nums) not in (2, 3, 4) or not (-90 <= nums[0] <= 90 and -180 <= nums[1] <= 180):
            return f"{value!r} is not a geopoint"
    return ""
