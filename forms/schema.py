"""The fields of a built form, read from its XForm: what Central's ``fields?odata=true`` would list.

Used by ``forms check`` (mapping and published-field rules), by the synthetic data generator (which answers to
fill) and by the publisher (the manifest of a published version).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass

from forms.build import XFORMS_NS, BuiltForm

_X = f"{{{XFORMS_NS}}}"
_H = "{http://www.w3.org/1999/xhtml}"
_JR = "{http://openrosa.org/javarosa}"
#: XForm bind types -> the type names Central reports (``fields?odata=true``).
_CENTRAL_TYPES = {
    "string": "string",
    "int": "int",
    "integer": "int",
    "decimal": "decimal",
    "date": "date",
    "dateTime": "dateTime",
    "time": "time",
    "geopoint": "geopoint",
    "geotrace": "geotrace",
    "geoshape": "geoshape",
    "binary": "binary",
    "barcode": "string",
    "boolean": "boolean",
}


@dataclass(frozen=True, slots=True)
class FieldInfo:
    """One node of the form's data, named as in Central's field list.

    :ivar path: ``/anggota/nama_art`` (from the data root, no root name).
    :ivar name: the last path step (the XLSForm ``name``).
    :ivar type: Central type: string, int, decimal, date, dateTime, time, geopoint, binary, structure, repeat.
    :ivar repeat: path of the nearest enclosing repeat (``/anggota``), ``""`` at the root.
    :ivar kind: question, calculate, note, meta, group or repeat.
    :ivar select_multiple: a ``select_multiple`` (space-separated choice names).
    :ivar choices: for a select, the id of the instance holding its choices (``ya_tidak``, ``kabupaten``...).
    :ivar relevant: the XPath of its ``relevant`` bind ('' when always relevant).
    """

    path: str
    name: str
    type: str
    repeat: str
    kind: str
    select_multiple: bool = False
    choices: str = ""
    relevant: str = ""

    @property
    def binary(self) -> bool:
        """True for attachments (photos)."""
        return self.type == "binary"


def _strip_root(nodeset: str, root: str) -> str:
    prefix = f"/{root}"
    return nodeset[len(prefix) :] if nodeset.startswith(prefix) else nodeset


def _parse(xml: str) -> tuple[ET.Element, ET.Element, ET.Element]:
    doc = ET.fromstring(xml)
    model = doc.find(f"{_H}head/{_X}model")
    body = doc.find(f"{_H}body")
    if model is None or body is None:
        raise ValueError("not an XForm: no model or body")
    instance = model.find(f"{_X}instance")
    if instance is None or not len(instance):
        raise ValueError("not an XForm: no primary instance")
    return model, body, list(instance)[0]


def form_fields(built: BuiltForm | str) -> list[FieldInfo]:
    """Every data node of a built form (or XForm text) in document order, with its type and repeat.

    Groups and repeats appear as ``structure``/``repeat`` entries before their children, like Central lists
    them. The ``meta/entity`` block that pyxform adds for Entities is left out: it is not survey data.
    """
    xml = built.xml if isinstance(built, BuiltForm) else built
    model, body, data = _parse(xml)
    root = data.tag.removeprefix(_X)
    binds: dict[str, ET.Element] = {}
    for bind in model.findall(f"{_X}bind"):
        ref = bind.get("nodeset", "")
        if "@" not in ref:
            binds[_strip_root(ref, root)] = bind
    repeats: set[str] = set()
    controls: dict[str, tuple[str, str]] = {}  # path -> (tag, itemset instance id)
    for el in body.iter():
        tag = el.tag.removeprefix(_X)
        if tag == "repeat":
            repeats.add(_strip_root(el.get("nodeset", ""), root))
        ref = el.get("ref")
        if ref and tag in {"input", "select", "select1", "upload", "trigger", "range", "rank", "odk:rank"}:
            itemset = el.find(f"{_X}itemset")
            source = ""
            if itemset is not None:
                nodeset = itemset.get("nodeset", "")
                if nodeset.startswith("instance('"):
                    source = nodeset.split("'")[1]
            controls[_strip_root(ref, root)] = (tag, source)

    fields: list[FieldInfo] = []

    def walk(element: ET.Element, parent: str, repeat: str) -> None:
        for child in element:
            name = child.tag.removeprefix(_X).split("}")[-1]
            path = f"{parent}/{name}"
            if path == "/meta/entity":
                continue
            if child.get("{http://openrosa.org/javarosa}template") is not None or path in repeats:
                if any(f.path == path for f in fields):
                    continue  # a repeat's template and its first instance share a path
                fields.append(FieldInfo(path, name, "repeat", repeat, "repeat"))
                walk(child, path, path)
                continue
            if len(child):
                fields.append(
                    FieldInfo(path, name, "structure", repeat, "meta" if path == "/meta" else "group")
                )
                walk(child, path, repeat)
                continue
            bind = binds.get(path)
            bind_type = bind.get("type", "string") if bind is not None else "string"
            control = controls.get(path)
            if path.startswith("/meta/") or (bind is not None and bind.get(f"{_JR}preload")):
                kind = "meta"
            elif control is None:
                kind = "calculate"
            elif (
                bind is not None
                and bind.get("readonly") == "true()"
                and control[0] == "input"
                and not bind.get("calculate")
            ):
                kind = "note"
            else:
                kind = "question"
            fields.append(
                FieldInfo(
                    path=path,
                    name=name,
                    type=_CENTRAL_TYPES.get(bind_type, "string"),
                    repeat=repeat,
                    kind=kind,
                    select_multiple=control is not None and control[0] == "select",
                    choices=control[1] if control else "",
                    relevant=(bind.get("relevant", "") if bind is not None else "").strip(),
                )
            )

    walk(data, "", "")
    return fields


def form_choices(built: BuiltForm | str) -> dict[str, list[str]]:
    """Choice names of every list defined inside the form (``ya_tidak`` -> ``["ya", "tidak"]``).

    Lists that come from files (``kabupaten.csv``, ``kpm.csv``) are not inside the XForm; read the media.
    """
    xml = built.xml if isinstance(built, BuiltForm) else built
    model, _body, _data = _parse(xml)
    lists: dict[str, list[str]] = {}
    for instance in model.findall(f"{_X}instance"):
        list_id = instance.get("id")
        if not list_id or instance.get("src"):
            continue
        names = [item.findtext(f"{_X}name", "") for item in instance.iter(f"{_X}item")]
        lists[list_id] = [n for n in names if n]
    return lists
