"""Submission data -> the OData JSON Central serves, rendered once per version and kept as compact text.

The rules follow central-backend ``lib/data/odata.js`` (``submissionToOData``), which walks the submission XML
against the form's field list:

* every known field starts as ``null`` and keys follow the schema order (``generateDataFrame``); a group is a
  nested object;
* ``int`` -> ``parseInt``, ``decimal`` -> ``parseFloat``, ``geopoint`` -> GeoJSON with the accuracy in
  ``properties``, ``dateTime`` keeps the device offset (``+07`` becomes ``+07:00``), everything else (string,
  date, select_one/select_multiple, calculate, binary) is the text as submitted; empty is ``null``;
* a repeat adds ``<name>@odata.navigationLink`` to the object holding it (after its fields) and, with
  ``$expand=*``, the array of rows after the link; a repeat with no instances adds nothing;
* a repeat row's ``__id`` is the SHA-1 of ``Submissions#<root id>%%<group>#%%<repeat>#<index>...``
  (``hashId``; the index is 0-based within the enclosing instance), and rows of the ``Submissions.<repeat>``
  table carry the parent id ``__Submissions[-<path>]-id``.

A :class:`Rendered` keeps the texts the server splices ``__id``/``__system`` into, so a page is a join of
strings. Anything unusual ($select, $wkt, $expand on a repeat table) is rebuilt from the expanded text.
"""

from __future__ import annotations

import hashlib
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime
from typing import Any

from .textfmt import dumps, encode_uri_component, js_float, js_number_text, parse_float, parse_int
from .xform import Field, sanitize_odata_identifier

LEAF, GROUP, REPEAT, ROOT = 0, 1, 2, 3
GEO_TYPES = frozenset({"geopoint", "geotrace", "geoshape"})
_SPLIT_WS = re.compile(r"\s+")
_SPLIT_POINTS = re.compile(r"; ?")
_TZ_HOURS_ONLY = re.compile(r"[+-]\d\d$")
_OVERRIDDEN = {"/meta/instanceID": "instanceID", "/meta/deprecatedID": "deprecatedID"}


# --- value conversion (text as it would appear in the submission XML, then Central's typing) -------------


def to_text(value: Any) -> str | None:
    """The XML text a value would have; ``None``/empty -> ``None`` (no text event, so the field stays null)."""
    if value is None:
        return None
    if isinstance(value, str):
        return value or None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return js_number_text(value)
    if isinstance(value, datetime):
        return value.isoformat(timespec="milliseconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return " ".join(t for t in (to_text(v) for v in value) if t) or None
    return str(value)


def _conv_text(value: Any) -> Any:
    if type(value) is str:
        return value or None
    return to_text(value)


def _conv_int(value: Any) -> Any:
    if type(value) is int:
        return value
    if isinstance(value, float):
        return int(value) if js_float(value) is not None else None
    text = to_text(value)
    return None if text is None else parse_int(text)


def _conv_decimal(value: Any) -> Any:
    if type(value) is int:
        return value
    if isinstance(value, float):
        return js_float(value)
    text = to_text(value)
    if text is None:
        return None
    parsed = parse_float(text)
    return None if parsed is None else js_float(parsed)


def _num(token: str) -> float | None:
    parsed = parse_float(token)
    return None if parsed is None else js_float(parsed)


def _conv_geopoint(value: Any) -> Any:
    text = to_text(value)
    if text is None:
        return None
    parts = _SPLIT_WS.split(text)
    if len(parts) < 2:
        return None
    lat, lon = _num(parts[0]), _num(parts[1])
    if lat is None or lon is None:
        return None
    coordinates: list[Any] = [lon, lat]
    if len(parts) > 2 and (alt := _num(parts[2])) is not None:
        coordinates.append(alt)
    result: dict[str, Any] = {"type": "Point", "coordinates": coordinates}
    if len(parts) > 3 and (acc := _num(parts[3])) is not None:
        result["properties"] = {"accuracy": acc}
    return result


def _conv_geo_multi(value: Any, kind: str) -> Any:
    text = to_text(value)
    if text is None:
        return None
    point_strs = _SPLIT_POINTS.split(text)
    coordinates: list[list[Any]] = []
    accuracies: list[Any] = []
    for point in point_strs:
        parts = _SPLIT_WS.split(point)
        if len(parts) < 2:
            if len(point_strs) == 1:
                return None
            continue
        lat, lon = _num(parts[0]), _num(parts[1])
        if lat is None or lon is None:
            continue
        coords: list[Any] = [lon, lat]
        if len(parts) > 2 and (alt := _num(parts[2])) is not None:
            coords.append(alt)
        coordinates.append(coords)
        acc = _num(parts[3]) if len(parts) > 3 else None
        accuracies.append(acc or None)
    result: dict[str, Any] = (
        {"type": "LineString", "coordinates": coordinates}
        if kind == "geotrace"
        else {"type": "Polygon", "coordinates": [coordinates]}
    )
    if any(a is not None for a in accuracies):
        result["properties"] = {"accuracies": accuracies}
    return result


def _conv_datetime(value: Any) -> Any:
    text = to_text(value)
    if text is None:
        return None
    trimmed = text.strip()
    return f"{trimmed}:00" if _TZ_HOURS_ONLY.search(trimmed) else trimmed


_CONVERTERS = {
    "int": _conv_int,
    "decimal": _conv_decimal,
    "geopoint": _conv_geopoint,
    "geotrace": lambda v: _conv_geo_multi(v, "geotrace"),
    "geoshape": lambda v: _conv_geo_multi(v, "geoshape"),
    "dateTime": _conv_datetime,
}


def to_wkt(value: Any) -> Any:
    """GeoJSON value -> the WKT string ``$wkt=true`` gives (accuracy dropped)."""
    if not isinstance(value, dict):
        return value

    def point(c: list[Any]) -> str:
        return " ".join(js_number_text(x) for x in c)

    kind = value.get("type")
    coords = value.get("coordinates") or []
    if kind == "Point":
        return f"POINT ({point(coords)})"
    if kind == "LineString":
        return f"LINESTRING ({','.join(point(c) for c in coords)})"
    if kind == "Polygon":
        ring = coords[0] if coords else []
        return f"POLYGON (({','.join(point(c) for c in ring)}))"
    return value


# --- schema tree ------------------------------------------------------------------------------------------


class Node:
    """A field of the (union) schema arranged as a tree."""

    __slots__ = (
        "children",
        "conv",
        "field",
        "kind",
        "name",
        "out",
        "override",
        "parent_key",
        "parent_key_json",
        "fast",
        "plan",
        "repeat_children",
        "spath",
        "table",
    )

    def __init__(self, field: Field | None, kind: int, spath: str) -> None:
        self.field = field
        self.kind = kind
        self.name = field.name if field else ""
        self.out = sanitize_odata_identifier(field.name) if field else ""
        self.spath = spath
        self.children: list[Node] = []
        self.conv = _CONVERTERS.get(field.type, _conv_text) if field else _conv_text
        self.override = _OVERRIDDEN.get(field.path) if field else None
        self.table = ""
        self.parent_key = ""
        self.parent_key_json = ""
        # per child: (kind, raw name, output name, converter or None for text, binary, override, node)
        self.plan: list[tuple[int, str, str, Any, bool, str | None, Node | None]] = []
        # generated straight-line builder of this container's fields (see _compile), None if not applicable
        self.fast: Any = None
        self.repeat_children: list[Node] = []

    @property
    def type(self) -> str:
        return self.field.type if self.field else "root"

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return f"Node({self.spath or '/'}, {self.type})"


class Schema:
    """The field tree the renderer and the OData layer share, built from an ordered field list."""

    def __init__(self, fields: Iterable[Field]) -> None:
        self.fields = tuple(fields)
        self.root = Node(None, ROOT, "")
        self.by_spath: dict[str, Node] = {}
        self.tables: dict[str, Node] = {}
        self.has_group_repeats = False
        self.has_geo = any(f.type in GEO_TYPES for f in self.fields)
        stack: list[Node] = [self.root]
        for field in self.fields:
            while len(stack) > 1 and not field.path.startswith(stack[-1].field.path + "/"):  # type: ignore[union-attr]
                stack.pop()
            parent = stack[-1]
            kind = REPEAT if field.type == "repeat" else GROUP if field.type == "structure" else LEAF
            spath = parent.spath + "/" + sanitize_odata_identifier(field.name)
            node = Node(field, kind, spath)
            parent.children.append(node)
            self.by_spath[spath] = node
            if kind == REPEAT:
                node.table = "Submissions." + ".".join(spath[1:].split("/"))
                enclosing = next((n for n in reversed(stack[1:]) if n.kind == REPEAT), None)
                parent_parts = ["Submissions"]
                if enclosing is not None:
                    parent_parts += enclosing.spath[1:].split("/")
                node.parent_key = f"__{'-'.join(parent_parts)}-id"
                node.parent_key_json = dumps(node.parent_key)
                self.tables[node.table] = node
                if parent.kind == GROUP:
                    self.has_group_repeats = True
            if kind != LEAF:
                stack.append(node)
        for node in [self.root, *self.by_spath.values()]:
            node.plan = [
                (
                    c.kind,
                    c.name,
                    c.out,
                    None if c.conv is _conv_text else c.conv,
                    bool(c.field and c.field.binary),
                    c.override,
                    c,
                )
                for c in node.children
            ]
            node.repeat_children = [c for c in node.children if c.kind == REPEAT]
            if node.kind != GROUP:
                node.fast = _compile(node)

    def path_to(self, table: str) -> list[Node]:
        """Nodes from the root's child down to the repeat of ``table`` (groups included)."""
        node = self.tables[table]
        parts = node.spath[1:].split("/")
        return [self.by_spath["/" + "/".join(parts[: i + 1])] for i in range(len(parts))]


# --- fast path: render once per version -------------------------------------------------------------------


class Rendered:
    """Pre-serialised OData texts of one submission version (object bodies without the outer braces)."""

    __slots__ = ("attachments_expected", "gen", "head_exp", "head_plain", "tables", "tail_exp", "tail_plain")

    def __init__(self) -> None:
        self.gen = 0
        self.head_plain = ""
        self.head_exp = ""
        self.tail_plain = ""
        self.tail_exp = ""
        self.tables: dict[str, tuple[str, ...]] = {}
        self.attachments_expected = 0

    def expanded_tree(self) -> dict[str, Any]:
        """The ``$expand=*`` root object (without ``__id``/``__system``) as a dict, for the slow paths."""
        import json

        inner = ",".join(p for p in (self.head_exp, self.tail_exp) if p)
        return json.loads("{" + inner + "}")


def _sha1(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def _has_repeat_below(node: Node) -> bool:
    return any(c.kind == REPEAT or (c.kind == GROUP and _has_repeat_below(c)) for c in node.children)


def _text_or_none(value: Any) -> Any:
    if value is None:
        return None
    if type(value) is str:
        return value or None
    return to_text(value)


def _group_get(value: Any) -> Callable[[str], Any]:
    return value.get if isinstance(value, Mapping) else _NO_DATA.get


_NO_DATA: dict[str, Any] = {}


def _compile(node: Node) -> Any:
    """Generate the field builder of a root or repeat-instance container as straight-line Python.

    Rendering is the hot path of seeding (100-field forms, hundreds of thousands of versions): one dict
    literal with a converter call per field is several times faster than a generic loop. Field names only
    appear as ``repr`` string literals and converters are referenced by generated names, so form content
    cannot inject code. Containers holding a group with repeats inside use the generic loop instead.
    """
    if any(c.kind == GROUP and _has_repeat_below(c) for c in node.children):
        return None
    env: dict[str, Any] = {"_t": _text_or_none, "_g": _group_get}
    lines = ["def build(data, ov):", "    g0 = data.get"]
    binaries: list[str] = []
    counter = [0]

    def literal(container: Node, getter: str, path: str) -> str:
        items = []
        for child in container.children:
            if child.kind == REPEAT:
                continue
            key = repr(child.out)
            if child.kind == GROUP:
                counter[0] += 1
                sub = f"g{counter[0]}"
                lines.append(f"    {sub} = _g({getter}({child.name!r}))")
                items.append(f"{key}: {literal(child, sub, f'{path}[{key}]')}")
            elif child.override is not None:
                items.append(f"{key}: ov[{child.override!r}]")
            elif child.conv is _conv_text:
                # non-empty strings (the usual case) need no call at all
                items.append(f"{key}: (_v if type(_v := {getter}({child.name!r})) is str and _v else _t(_v))")
            else:
                call = f"c{len(env)}"
                env[call] = child.conv
                items.append(f"{key}: (None if (_v := {getter}({child.name!r})) is None else {call}(_v))")
            if (
                child.kind == LEAF
                and child.override is None
                and child.field is not None
                and child.field.binary
            ):
                binaries.append(f"{path}[{key}]")
        return "{" + ", ".join(items) + "}"

    body = literal(node, "g0", "d")
    lines.append(f"    d = {body}")
    count = " + ".join(f"({b} is not None)" for b in binaries) or "0"
    lines.append(f"    return d, {count}")
    exec("\n".join(lines), env)  # generated from the schema only, see the docstring
    return env["build"]


class _Renderer:
    """One rendering pass. Rows are composed as JSON text: each repeat row is serialised once and reused for
    its table row and for the expanded parent, with ``__id``/parent keys spliced in as Central orders them."""

    __slots__ = ("attachments", "overrides", "tables")

    def __init__(self, overrides: Mapping[str, str | None]) -> None:
        self.overrides = overrides
        self.tables: dict[str, list[str]] = {}
        self.attachments = 0

    def container(
        self, node: Node, data: Mapping[str, Any] | None, hprefix: str, nav: str, parent_id: str
    ) -> tuple[dict[str, Any], dict[str, Any] | None, list[tuple[Node, str, list[str]]]]:
        """Fields of a root/group/repeat instance: the plain dict, the expanded dict when it differs (a group
        holding repeats), and the repeat entries directly in this container as (node, link, row texts)."""
        if data is None:
            data = {}
        if node.fast is not None:
            plain, attachments = node.fast(data, self.overrides)
            self.attachments += attachments
            entries = []
            for child in node.repeat_children:
                instances = data.get(child.name)
                if instances:
                    if isinstance(instances, Mapping):
                        instances = [instances]
                    entries.append(self.repeat(child, instances, hprefix, nav, parent_id))
            return plain, None, entries
        plain = {}
        exp: dict[str, Any] | None = None
        entries = []
        overrides = self.overrides
        for kind, name, out, conv, binary, override, child in node.plan:
            if kind == LEAF:
                if override is not None:
                    value: Any = overrides.get(override)
                else:
                    value = data.get(name)
                    if value is not None:
                        value = (
                            (value or None)
                            if (conv is None and type(value) is str)
                            else (conv or _conv_text)(value)
                        )
                if binary and value is not None:
                    self.attachments += 1
                plain[out] = value
                if exp is not None:
                    exp[out] = value
            elif kind == GROUP:
                sub = data.get(name)
                g_plain, g_exp, g_entries = self.container(
                    child,  # type: ignore[arg-type]
                    sub if isinstance(sub, Mapping) else None,
                    f"{hprefix}%%{name}#",
                    f"{nav}/{out}",
                    parent_id,
                )
                if g_entries:
                    if g_exp is None:
                        g_exp = dict(g_plain)
                    for r_node, link, rows in g_entries:
                        g_plain[f"{r_node.out}@odata.navigationLink"] = link
                        g_exp[f"{r_node.out}@odata.navigationLink"] = link
                        g_exp[r_node.out] = [json.loads(r) for r in rows]  # rare: a repeat inside a group
                if g_exp is not None and exp is None:
                    exp = dict(plain)
                plain[out] = g_plain
                if exp is not None:
                    exp[out] = g_exp if g_exp is not None else g_plain
            else:
                instances = data.get(name)
                if not instances:
                    continue
                if isinstance(instances, Mapping):
                    instances = [instances]
                entries.append(self.repeat(child, instances, hprefix, nav, parent_id))  # type: ignore[arg-type]
        return plain, exp, entries

    def repeat(
        self, node: Node, instances: list[Any], hprefix: str, nav: str, parent_id: str
    ) -> tuple[Node, str, list[str]]:
        link = f"{nav}/{node.out}"
        table = self.tables.setdefault(node.table, [])
        parent_part = f"{node.parent_key_json}:{dumps(parent_id)}"
        exp_rows: list[str] = []
        base = f"{hprefix}%%{node.name}#"
        for index, instance in enumerate(instances):
            row_id = _sha1(f"{base}{index}")
            i_plain, i_exp, i_entries = self.container(
                node,
                instance if isinstance(instance, Mapping) else None,
                f"{base}{index}",
                f"{nav}/{node.out}('{row_id}')",
                row_id,
            )
            fields_plain = _body(i_plain)
            fields_exp = fields_plain if i_exp is None else _body(i_exp)
            id_part = f'"__id":"{row_id}"'
            if not i_entries:
                table.append(_obj(fields_plain, id_part, parent_part))
                exp_rows.append(_obj(fields_exp, id_part))
                continue
            links = [f'"{c.out}@odata.navigationLink":{dumps(c_link)}' for c, c_link, _ in i_entries]
            table.append(_obj(fields_plain, id_part, parent_part, *links))
            expanded = []
            for (c, _, c_rows), link_part in zip(i_entries, links, strict=True):
                expanded.append(link_part)
                expanded.append(f'"{c.out}":[{",".join(c_rows)}]')
            exp_rows.append(_obj(fields_exp, id_part, *expanded))
        return node, link, exp_rows


def _obj(*parts: str) -> str:
    return "{" + ",".join(p for p in parts if p) + "}"


def _body(obj: dict[str, Any]) -> str:
    return dumps(obj)[1:-1] if obj else ""


def render(
    schema: Schema,
    instance_id: str,
    data: Mapping[str, Any] | None,
    *,
    version_id: str | None = None,
    deprecated_id: str | None = None,
) -> Rendered:
    """Render one submission version.

    :param instance_id: the logical id (``__id``): it seeds the repeat row ids and navigation links.
    :param data: the instance as a nested dict keyed by (raw) field name: groups are dicts, repeats lists of
        dicts, leaves Python values or their XML text. Unknown keys are ignored, as Central ignores unknown
        XML elements.
    :param version_id: this version's own instanceID, written to ``meta/instanceID`` (default: ``instance_id``).
    """
    renderer = _Renderer({"instanceID": version_id or instance_id, "deprecatedID": deprecated_id})
    nav = f"Submissions('{encode_uri_component(instance_id)}')"
    plain, exp, entries = renderer.container(
        schema.root, data, f"Submissions#{instance_id}", nav, instance_id
    )
    out = Rendered()
    out.head_plain = _body(plain)
    out.head_exp = out.head_plain if exp is None else _body(exp)
    if entries:
        links = [f'"{node.out}@odata.navigationLink":{dumps(link)}' for node, link, _ in entries]
        out.tail_plain = ",".join(links)
        out.tail_exp = ",".join(
            f'{link_part},"{node.out}":[{",".join(rows)}]'
            for (node, _, rows), link_part in zip(entries, links, strict=True)
        )
    out.tables = {k: tuple(v) for k, v in renderer.tables.items()}
    out.attachments_expected = renderer.attachments
    return out


# --- slow paths: rebuild from the expanded tree -----------------------------------------------------------


def _back_to_text(node: Node, value: Any) -> Any:
    """Inverse of the typing for geo values (GeoJSON -> "lat lon alt acc"); other values are kept."""
    if not isinstance(value, dict) or node.type not in GEO_TYPES:
        return value
    coords = value.get("coordinates") or []
    if node.type == "geopoint":
        parts = [coords[1], coords[0], *coords[2:]] if len(coords) >= 2 else []
        acc = (value.get("properties") or {}).get("accuracy")
        if acc is not None:
            if len(parts) == 2:
                parts.append(0)
            parts.append(acc)
        return " ".join(js_number_text(p) for p in parts)
    points = coords if node.type == "geotrace" else (coords[0] if coords else [])
    accs = (value.get("properties") or {}).get("accuracies") or []
    texts = []
    for i, c in enumerate(points):
        parts = [c[1], c[0], *c[2:]]
        if i < len(accs) and accs[i] is not None:
            if len(parts) == 2:
                parts.append(0)
            parts.append(accs[i])
        texts.append(" ".join(js_number_text(p) for p in parts))
    return ";".join(texts)


def data_from_tree(node: Node, tree: Mapping[str, Any] | None) -> dict[str, Any]:
    """An OData object (root row with repeat arrays, or a repeat row) back into a ``data`` dict."""
    result: dict[str, Any] = {}
    if not tree:
        return result
    for child in node.children:
        if child.kind == LEAF:
            if child.override is None and child.out in tree:
                result[child.name] = _back_to_text(child, tree[child.out])
        elif child.kind == GROUP:
            result[child.name] = data_from_tree(child, tree.get(child.out))
        else:
            rows = tree.get(child.out)
            if rows:
                result[child.name] = [data_from_tree(child, row) for row in rows]
    return result


class Emitter:
    """Builds response objects from an expanded tree for $select / $wkt / $expand on repeat tables."""

    def __init__(self, selected: set[str] | None, expand: bool, wkt: bool) -> None:
        self.selected = selected
        self.expand = expand
        self.wkt = wkt

    def fields(self, node: Node, src: Mapping[str, Any]) -> tuple[dict[str, Any], list[tuple[Node, Any]]]:
        out: dict[str, Any] = {}
        repeats: list[tuple[Node, Any]] = []
        sel = self.selected
        for child in node.children:
            if sel is not None and child.spath not in sel:
                continue
            if child.kind == LEAF:
                value = src.get(child.out)
                if self.wkt and child.type in GEO_TYPES:
                    value = to_wkt(value)
                out[child.out] = value
            elif child.kind == GROUP:
                g_out, g_repeats = self.fields(child, src.get(child.out) or {})
                self.add_entries(g_out, g_repeats)
                out[child.out] = g_out
            else:
                link_key = f"{child.out}@odata.navigationLink"
                if link_key in src:
                    repeats.append((child, src))
        return out, repeats

    def add_entries(self, out: dict[str, Any], repeats: list[tuple[Node, Any]]) -> None:
        for child, src in repeats:
            out[f"{child.out}@odata.navigationLink"] = src[f"{child.out}@odata.navigationLink"]
            if self.expand:
                out[child.out] = [self.expanded_row(child, row) for row in src.get(child.out) or []]

    def expanded_row(self, node: Node, row: Mapping[str, Any]) -> dict[str, Any]:
        out, repeats = self.fields(node, row)
        out["__id"] = row.get("__id")
        self.add_entries(out, repeats)
        return out

    def table_rows(
        self,
        schema: Schema,
        table: str,
        tree: Mapping[str, Any],
        root_id: str,
        keep_id: bool,
        keep_parent: bool,
    ) -> list[dict[str, Any]]:
        """Rows of a repeat table for one submission, in document order, with parent ids."""
        chain = schema.path_to(table)
        target = chain[-1]
        results: list[dict[str, Any]] = []

        def walk(level: int, src: Mapping[str, Any], parent_id: str) -> None:
            node = chain[level]
            if node is target:
                for row in src.get(node.out) or []:
                    out, repeats = self.fields(node, row)
                    if keep_id:
                        out["__id"] = row.get("__id")
                    if keep_parent:
                        out[node.parent_key] = parent_id
                    self.add_entries(out, repeats)
                    results.append(out)
            elif node.kind == GROUP:
                walk(level + 1, src.get(node.out) or {}, parent_id)
            else:
                for row in src.get(node.out) or []:
                    walk(level + 1, row, row.get("__id"))

        walk(0, tree, root_id)
        return results


# --- submission XML (REST PUT/POST bodies) ----------------------------------------------------------------


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1].rsplit(":", 1)[-1]


class SubmissionXml:
    """What the store needs from a submission XML: form id/version, instance ids and the data dict."""

    def __init__(self, xml: bytes | str, schema: Schema | None = None) -> None:
        raw = xml.encode("utf-8") if isinstance(xml, str) else xml
        root = ET.fromstring(raw)
        self.xml_form_id = root.get("id") or ""
        self.version = root.get("version") or ""
        meta = next((c for c in root if _local(c.tag) == "meta"), None)

        def meta_text(name: str) -> str | None:
            if meta is None:
                return None
            el = next((c for c in meta if _local(c.tag) == name), None)
            return (el.text or "").strip() or None if el is not None else None

        self.instance_id = meta_text("instanceID")
        self.deprecated_id = meta_text("deprecatedID")
        self.instance_name = meta_text("instanceName")
        self.data = self._element(root, schema.root if schema else None)

    def _element(self, element: ET.Element, node: Node | None) -> dict[str, Any]:
        result: dict[str, Any] = {}
        children = {c.name: c for c in node.children} if node else {}
        for child in element:
            name = _local(child.tag)
            spec = children.get(name)
            if spec is not None and spec.kind == REPEAT:
                result.setdefault(name, []).append(self._element(child, spec))
            elif (spec is not None and spec.kind == GROUP) or (spec is None and len(child)):
                result[name] = self._element(child, spec)
            else:
                result[name] = child.text or ""
        return result
