"""XForm XML -> the field list ODK Central derives from it (paths, types, order), and the union of versions.

Follows central-backend ``lib/data/schema.js`` (``getFormFields`` / ``_recurseFormFields``): walk the primary
instance depth first; a node listed as a ``<repeat nodeset>`` in the body is a ``repeat`` (its ``jr:template``
duplicate is skipped), a node matched by a ``<bind>`` that has a ``type`` gets that type, any other node with
children is a ``structure``, an empty ``meta/entity`` is a ``structure`` and everything else is ``unknown``.
Binary fields and ``<select>`` (select_multiple) fields are flagged. Namespace prefixes are dropped from paths.
"""

from __future__ import annotations

import hashlib
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, replace

_LEADING = re.compile(r"^([^a-z_])", re.IGNORECASE)
_ILLEGAL = re.compile(r"([^a-z0-9_]+)", re.IGNORECASE)


def sanitize_odata_identifier(name: str) -> str:
    """Central's ``sanitizeOdataIdentifier`` (lib/util/util.js): ``_`` before a leading illegal character and
    every run of illegal characters replaced by ``_``."""
    return _ILLEGAL.sub("_", _LEADING.sub(r"_\1", name))


def _local(tag: str) -> str:
    """Element or attribute name without its namespace ({uri}name or prefix:name)."""
    if tag.startswith("{"):
        tag = tag.rsplit("}", 1)[1]
    return tag.rsplit(":", 1)[-1]


def _strip_path(path: str) -> str:
    return "/".join(part.rsplit(":", 1)[-1] for part in path.split("/"))


class XFormError(ValueError):
    """The XML is not an XForm Central would accept (no instance, no form id ...)."""


@dataclass(frozen=True, slots=True)
class Field:
    """One form field as Central stores it in ``form_fields``."""

    name: str
    path: str
    type: str
    order: int
    binary: bool | None = None
    select_multiple: bool | None = None

    @property
    def is_structural(self) -> bool:
        return self.type in ("structure", "repeat")

    def api(self, odata: bool = False) -> dict[str, object]:
        """The JSON of ``GET .../fields`` (``?odata=true`` sanitises names and path segments)."""
        if odata:
            name = sanitize_odata_identifier(self.name)
            path = "/".join(sanitize_odata_identifier(p) if p else p for p in self.path.split("/"))
        else:
            name, path = self.name, self.path
        return {
            "path": path,
            "name": name,
            "type": self.type,
            "binary": self.binary,
            "selectMultiple": self.select_multiple,
        }


@dataclass(frozen=True, slots=True)
class XForm:
    """What the simulator needs from one uploaded form version."""

    xml: str
    xml_form_id: str
    version: str
    title: str | None
    fields: tuple[Field, ...]
    md5: str
    sha1: str
    sha256: str
    #: expected form attachments ``(name, type)`` sorted by name (``expectedFormAttachments``)
    attachments: tuple[tuple[str, str], ...] = ()
    #: datasets the form creates or updates (``<meta><entity dataset=...>``)
    datasets: tuple[str, ...] = ()
    #: the entity properties its binds save to (``entities:saveto``), in form order
    entity_properties: tuple[str, ...] = ()


# jr:// media references and the attachment type Central gives each (lib/data/schema.js
# ``expectedFormAttachments``: images -> image, audio -> audio, video -> video, file/file-csv -> file)
_MEDIA_REF = re.compile(r"jr://(images|audio|video|file-csv|file)/([^\"'<>\s]+)")
_MEDIA_TYPES = {"images": "image", "audio": "audio", "video": "video", "file": "file", "file-csv": "file"}
_SAVETO = "{http://www.opendatakit.org/xforms/entities}saveto"


def expected_attachments(xml: str) -> tuple[tuple[str, str], ...]:
    """``(name, type)`` of every file the XForm refers to, sorted by name as Central lists them."""
    found: dict[str, str] = {}
    for kind, name in _MEDIA_REF.findall(xml):
        found.setdefault(name, _MEDIA_TYPES[kind])
    return tuple(sorted(found.items()))


def parse_xform(xml: str) -> XForm:
    """Parse an XForm (as produced by pyxform) into its id, version, title and Central field list.

    :raises XFormError: when the XML has no ``h:head/model/instance`` or the instance root has no ``id``.
    """
    try:
        root = ET.fromstring(xml.encode("utf-8"))
    except ET.ParseError as exc:
        raise XFormError(f"could not parse the form XML: {exc}") from exc
    head = next((c for c in root if _local(c.tag) == "head"), None)
    body = next((c for c in root if _local(c.tag) == "body"), None)
    model = None if head is None else next((c for c in head if _local(c.tag) == "model"), None)
    instance = None if model is None else next((c for c in model if _local(c.tag) == "instance"), None)
    data = None if instance is None else next(iter(instance), None)
    if data is None:
        raise XFormError("the form XML has no <h:head><model><instance> with a data element")
    form_id = data.get("id")
    if not form_id:
        raise XFormError("the primary instance element has no id attribute (the form id)")
    title_el = next((c for c in head if _local(c.tag) == "title"), None) if head is not None else None
    envelope = _local(data.tag)

    binds: dict[str, str] = {}
    for el in model:
        if _local(el.tag) == "bind" and el.get("type") is not None and el.get("nodeset"):
            nodeset = el.get("nodeset", "")
            absolute = nodeset if nodeset.startswith("/") else f"/{envelope}/{nodeset}"
            binds.setdefault(_strip_path(absolute), el.get("type") or "unknown")
    repeats: set[str] = set()
    selects: set[str] = set()
    if body is not None:
        for el in body.iter():
            name = _local(el.tag)
            if name == "repeat" and el.get("nodeset"):
                repeats.add(_strip_path(el.get("nodeset", "")))
            elif name == "select":
                ref = el.get("nodeset") or el.get("ref")
                if ref:
                    selects.add(_strip_path(ref))

    fields: list[Field] = []

    def walk(node: ET.Element, base: str) -> None:
        seen_repeats: set[str] = set()
        for child in node:
            name = _local(child.tag)
            path = f"{base}/{name}"
            binding_path = f"/{envelope}{path}"
            has_children = len(child) > 0
            if binding_path in repeats:
                if binding_path in seen_repeats:
                    continue
                seen_repeats.add(binding_path)
                ftype = "repeat"
            elif binding_path in binds:
                ftype = binds[binding_path]
            elif has_children or (name == "entity" and "/meta/entity" in path):
                ftype = "structure"
            else:
                ftype = "unknown"
            binary = True if (ftype == "binary" or path == "/meta/audit") else None
            select_multiple = True if binding_path in selects else None
            fields.append(Field(name, path, ftype, len(fields), binary, select_multiple))
            if ftype in ("repeat", "structure") and has_children:
                walk(child, path)

    walk(data, "")
    datasets: list[str] = []
    for el in data.iter():
        if _local(el.tag) == "entity" and el.get("dataset"):
            datasets.append(el.get("dataset", ""))
    saveto = [el.get(_SAVETO, "") for el in model if _local(el.tag) == "bind" and el.get(_SAVETO)]
    raw = xml.encode("utf-8")
    return XForm(
        xml=xml,
        xml_form_id=form_id,
        version=data.get("version") or "",
        title=title_el.text if title_el is not None else None,
        fields=tuple(fields),
        md5=hashlib.md5(raw).hexdigest(),
        sha1=hashlib.sha1(raw).hexdigest(),
        sha256=hashlib.sha256(raw).hexdigest(),
        attachments=expected_attachments(xml),
        datasets=tuple(dict.fromkeys(datasets)),
        entity_properties=tuple(dict.fromkeys(saveto)),
    )


def _merge(older: list[Field], newer: list[Field]) -> list[Field]:
    """Central's ``merge(as, bs)`` (lib/data/schema.js): keep the newer version's fields and revive each field
    only the older one has, inserted after the last field of its parent's subtree."""
    result = list(newer)
    paths = {f.path for f in newer}
    idx = 0
    while idx < len(older):
        field = older[idx]
        if field.path in paths:
            idx += 1
            continue
        prefix = field.path[: field.path.rfind("/")]
        insert = len(result) - 1
        while insert >= 0 and not result[insert].path.startswith(prefix):
            insert -= 1
        end = idx + 1
        subtree = field.path + "/"
        while end < len(older) and older[end].path.startswith(subtree):
            end += 1
        result[insert + 1 : insert + 1] = older[idx:end]
        paths.update(f.path for f in older[idx:end])
        idx = end
    return [replace(f, order=i) for i, f in enumerate(result)]


def merged_fields(versions_oldest_first: list[tuple[Field, ...]]) -> tuple[Field, ...]:
    """The union schema over the published versions (``getMergedFields``), as OData exposes it: the newest
    version's fields in its order, plus fields only older versions had (a field added in v2 sits at its v2
    position, as the captured $metadata after v2 shows)."""
    if not versions_oldest_first:
        return ()
    acc = list(versions_oldest_first[0])
    for newer in versions_oldest_first[1:]:
        acc = _merge(acc, list(newer))
    return tuple(replace(f, order=i) for i, f in enumerate(acc))
