"""HTTP answers for Datasets and Entities: REST (``/projects/{id}/datasets/...``), the CSV download and the
Entities OData service, shaped like captures 1210-1340.

Rules not captured follow central-backend ``lib/resources/entities.js`` (bulk vs single create, ``source``,
``baseVersion``/``force``), ``lib/data/entity.js`` (``streamEntityCsv``: ``__id,label,<properties>,__createdAt,
...``; ``selectFields`` and ``extractSelectedProperties`` for ``$select``; ``streamEntityOdata``: ``nextLink``
when rows remain after a ``$top`` page, cursor ``{"uuid"}``) and the API documentation (docs.getodk.org
central-api-dataset-management, central-api-entity-management, central-api-odata-endpoints "OData Dataset
Service"). The data document carries no ETag (Central's dataset OData ETags came after v2026.2's captures).
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from . import problems
from .edmx import PRIMARY_ANNOTATIONS_HEAD, PRIMARY_ANNOTATIONS_TAIL
from .entities import Dataset, Entity, version_history
from .odata import footer, is_true, js_parse_int, next_url, parse_skiptoken, service_root
from .odata_filter import ENTITY_COLUMNS, compile_entity_filter, compile_orderby, sort_rows
from .problems import InternalError
from .textfmt import dumps, iso_ms
from .xform import sanitize_odata_identifier

if TYPE_CHECKING:
    from .app import Auth, CentralApp, Reply, _Ctx, _Req
    from .store import Project

ENTITY_ODATA_PARAMS = ("$format", "$count", "$skip", "$top", "$filter", "$select", "$skiptoken", "$orderby")
_ROWS_PER_CHUNK = 500


def datasets(app: CentralApp, req: _Req, ctx: _Ctx, auth: Auth, project: Project, rest: str) -> Reply:
    """Everything below ``/projects/{id}/datasets``."""
    app.require_user(auth)
    store = app.store
    method = req.method
    get = method in ("GET", "HEAD")
    if rest == "/datasets":
        if get:
            with store.lock:
                found = sorted((d for d in project.datasets.values() if d.published), key=lambda d: d.name)
                return ctx.json([d.list_api(extended=req.extended) for d in found])
        if method == "POST":
            body = _body(req)
            dataset = store.create_dataset(
                project.id, body.get("name"), approval_required=bool(body.get("approvalRequired", False))
            )
            with store.lock:
                return ctx.json(dataset.api(extended=False))
        raise problems.not_found()
    m = re.fullmatch(r"/datasets/([^/]+?)(\.csv)?(/.*)?", rest)
    if m is None:
        raise problems.not_found()
    name, sub = unquote(m.group(1)), m.group(3) or ""
    if m.group(2):  # /datasets/{name}.csv is not a route; entities.csv is below
        raise problems.not_found()
    if sub == "":
        if get:
            dataset = store.dataset(project.id, name)
            with store.lock:
                return ctx.json(dataset.api(extended=req.extended))
        if method == "PATCH":
            body = _body(req)
            dataset = store.update_dataset(
                project.id,
                name,
                approval_required=body.get("approvalRequired"),
                owner_only=body.get("ownerOnly"),
            )
            with store.lock:
                return ctx.json(dataset.api(extended=False))
        raise problems.not_found()
    if sub == "/properties" and method == "POST":
        store.add_dataset_property(project.id, name, _body(req).get("name"))
        return ctx.json({"success": True})
    if sub == "/entities.csv" and get:
        dataset = store.dataset(project.id, name)
        return ctx.attachment(entities_csv(dataset), "text/csv; charset=utf-8", f"{dataset.name}.csv",
                              etag=csv_etag(dataset))  # fmt: skip
    if sub == "/entities":
        if get:
            dataset = store.dataset(project.id, name)
            deleted = is_true(req.query.get("deleted"))
            with store.lock:
                rows = [
                    e.api(with_data=False, extended=req.extended)
                    for e in dataset.newest_first(deleted=deleted)
                ]
            return ctx.json(rows)
        if method == "POST":
            return _create(app, req, ctx, auth, project, name)
        raise problems.not_found()
    m = re.fullmatch(r"/entities/([^/]+)(/restore|/versions)?", sub)
    if m is None:
        raise problems.not_found()
    uuid, action = unquote(m.group(1)), m.group(2)
    if action == "/restore":
        if method != "POST":
            raise problems.not_found()
        store.restore_entity(project.id, name, uuid)
        return ctx.json({"success": True})
    if action == "/versions":
        if not get:
            raise problems.not_found()
        entity = store.entity(project.id, name, uuid)
        with store.lock:
            return ctx.json(version_history(entity))
    if get:
        entity = store.entity(project.id, name, uuid)
        with store.lock:
            return ctx.json(entity.api(with_data=True, extended=req.extended))
    if method == "PATCH":
        entity = store.update_entity(
            project.id,
            name,
            uuid,
            _body(req),
            base_version=req.query.get("baseVersion"),
            force=is_true(req.query.get("force")),
            actor=auth.actor,  # type: ignore[arg-type]
            user_agent=req.headers.get("User-Agent"),
        )
        with store.lock:
            return ctx.json(entity.api(with_data=True, extended=False))
    if method == "DELETE":
        store.delete_entity(project.id, name, uuid)
        return ctx.json({"success": True})
    raise problems.not_found()


def _create(app: CentralApp, req: _Req, ctx: _Ctx, auth: Auth, project: Project, name: str) -> Reply:
    body = _body(req)
    store = app.store
    agent = req.headers.get("User-Agent")
    if "entities" not in body or body.get("entities") is None:
        entity = store.create_entities(project.id, name, [body], creator=auth.actor, user_agent=agent)[0]  # type: ignore[arg-type]
        with store.lock:
            return ctx.json(entity.api(with_data=True, extended=req.extended))
    items = body["entities"]
    if not isinstance(items, list):
        raise problems.unexpected_attributes(["entities: [...]"], ["not an array"])
    if not items:
        raise problems.unexpected_attributes(["entities: [...]"], ["empty array"])
    source = body.get("source")
    if not source:
        raise problems.missing_parameter("source")
    if not isinstance(source, dict) or not source.get("name"):
        raise problems.missing_parameter("source.name")
    if not isinstance(source["name"], str):
        raise problems.invalid_parameter_type("name", "string")
    store.create_entities(project.id, name, items, creator=auth.actor, user_agent=agent)  # type: ignore[arg-type]
    return ctx.json({"success": True})


def _body(req: _Req) -> dict[str, Any]:
    from .app import _json_body

    body = _json_body(req)
    if not isinstance(body, dict):
        raise problems.unexpected_attributes(["label", "uuid", "data"], ["not an object"])
    return body


# --- CSV ----------------------------------------------------------------------------------------------------


def entities_csv(dataset: Dataset) -> bytes:
    """``GET .../entities.csv`` (capture 1340): live entities newest first, dataset properties, system columns."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    props = dataset.property_names
    writer.writerow(["__id", "label", *props, "__createdAt", "__creatorId", "__creatorName", "__updates",
                     "__updatedAt", "__version"])  # fmt: skip
    for e in dataset.newest_first():
        writer.writerow([e.uuid, e.label, *(e.data.get(p, "") for p in props), iso_ms(e.created_us),
                         e.creator.id, e.creator.display_name, e.version - 1, iso_ms(e.updated_us) or "",
                         e.version])  # fmt: skip
    return out.getvalue().encode("utf-8")


def attachment_csv(dataset: Dataset, *, owner_id: int | None = None) -> bytes:
    """The Dataset as a form attachment, what Collect downloads (``streamEntityCsvAttachment``:
    ``name,label,__version,<properties>``); with ``owner_id`` only that actor's entities (``ownerOnly``)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    props = dataset.property_names
    writer.writerow(["name", "label", "__version", *props])
    for e in dataset.newest_first():
        if owner_id is not None and e.creator.id != owner_id:
            continue
        writer.writerow([e.uuid, e.label, e.version, *(e.data.get(p, "") for p in props)])
    return out.getvalue().encode("utf-8")


def csv_etag(dataset: Dataset) -> str:
    """A strong ETag that changes with the Dataset's last update (Central hashes the update timestamp)."""
    return '"' + hashlib.md5((iso_ms(dataset.last_update_us) or "").encode()).hexdigest() + '"'


# --- OData ----------------------------------------------------------------------------------------------------


def check_params(query: dict[str, str]) -> None:
    for key in query:
        if key not in ENTITY_ODATA_PARAMS:
            raise problems.not_implemented(key)


def odata(app: CentralApp, req: _Req, ctx: _Ctx, auth: Auth, m: re.Match[str]) -> Reply:
    """``GET /projects/{id}/datasets/{name}.svc[/$metadata|/Entities]``."""
    from .app import ODATA_SERVICE_TYPE, XML_TYPE, _pid

    if auth.actor is None:
        raise problems.https_only()
    app.require_user(auth)
    dataset = app.store.dataset(_pid(m.group(1)), unquote(m.group(2)))
    rest = m.group(3) or ""
    if rest in ("", "/"):
        doc = {
            "@odata.context": f"{app.domain}{req.raw_path.rstrip('/')}/$metadata",
            "value": [{"name": "Entities", "kind": "EntitySet", "url": "Entities"}],
        }
        return ctx.json(doc, content_type=ODATA_SERVICE_TYPE)
    if rest == "/$metadata":
        return ctx.text(metadata_xml(dataset), XML_TYPE)
    if rest != "/Entities":
        raise problems.not_found()
    query = EntityQuery(app.store, dataset, req.query)
    return ctx.stream(query.chunks(app.domain, req.original_url))


class EntityQuery:
    """One request for the Entities data document."""

    def __init__(self, store: Any, dataset: Dataset, query: dict[str, str]) -> None:
        self.store = store
        self.dataset = dataset
        self.query = query
        token = query.get("$skiptoken")
        self.skiptoken = parse_skiptoken(token) if token is not None else None
        orderby = query.get("$orderby")
        if orderby is not None and self.skiptoken is not None:
            raise problems.not_implemented("using $orderby and $skiptoken together")
        self.order = compile_orderby(orderby, ENTITY_COLUMNS) if orderby is not None else None
        self.predicate, self.include_deleted = compile_entity_filter(
            query.get("$filter"), now_us=store.now_us
        )
        self.limit = _db_int(query["$top"], "LIMIT") if "$top" in query else None
        self.offset = (
            _db_int(query["$skip"], "OFFSET") if "$skip" in query and self.skiptoken is None else None
        )
        self.count = is_true(query.get("$count"))
        self.selected = _selected(query.get("$select"), dataset)

    def _accept(self, e: Entity) -> bool:
        if e.deleted_us is not None and not self.include_deleted:
            return False
        return self.predicate is None or self.predicate(e)

    def chunks(self, domain: str, original_url: str) -> Iterator[bytes]:
        with self.store.lock:
            matching = [e for e in reversed(self.dataset.ordered) if self._accept(e)]
            if self.order is not None:
                matching = sort_rows(matching, self.order)
            total = len(matching)
            rest = matching
            if self.skiptoken is not None:
                anchor = self.dataset.by_uuid.get(str(self.skiptoken.get("uuid")))
                rest = [] if anchor is None else [e for e in matching if e.key < anchor.key]
            start = self.offset or 0
            page = rest[start : None if self.limit is None else start + self.limit]
            remaining = (len(rest) - len(page) - start) if self.limit is not None else 0
            props = self.dataset.property_names
            rows = [dumps(_select_fields(e, props, self.selected)) for e in page]
        next_link = None
        if remaining > 0 and page:
            next_link = next_url(original_url, {"uuid": page[-1].uuid})
        root = service_root(original_url.partition("?")[0])
        foot = footer(domain, root, "Entities", next_link, total if self.count else None)
        if not rows:
            yield ('{"value":[],' + foot).encode("utf-8")
            return
        for i in range(0, len(rows), _ROWS_PER_CHUNK):
            head = '{"value":[' if i == 0 else ","
            yield (head + ",".join(rows[i : i + _ROWS_PER_CHUNK])).encode("utf-8")
        yield ("]," + foot).encode("utf-8")


def _db_int(raw: str, clause: str) -> int:
    value = js_parse_int(raw)
    if value is None:
        raise problems.invalid_data_type("NaN", "type bigint")
    if value < 0:
        raise InternalError(f"{clause} must not be negative")
    return value


def _selected(select: str | None, dataset: Dataset) -> list[str] | None:
    """``extractSelectedProperties``: None for all; unknown names are 400.23."""
    if not select or select == "*":
        return None
    chosen = [p.strip() for p in select.split(",")]
    known = set(dataset.property_names)
    for p in chosen:
        if p not in ("__id", "__system") and p not in ENTITY_COLUMNS and p not in known:
            raise problems.property_not_found(p)
    return chosen


def _select_fields(e: Entity, props: list[str], selected: list[str] | None) -> dict[str, Any]:
    """``selectFields``: __id, label, __system (or the chosen system fields), then the properties ('' when
    the entity has no value)."""
    out: dict[str, Any] = {}
    if selected is None or "__id" in selected:
        out["__id"] = e.uuid
    if selected is None or "label" in selected:
        out["label"] = e.label
    if selected is None or "__system" in selected:
        out["__system"] = e.system()
    else:
        full = {**e.system(), "deletedAt": iso_ms(e.deleted_us)}
        sub = {p.split("/", 1)[1]: full[p.split("/", 1)[1]] for p in selected if p.startswith("__system/")}
        if sub:
            out["__system"] = sub
    data = e.data
    for p in props:
        if selected is None or p in selected:
            out[sanitize_odata_identifier(p)] = data.get(p, "")
    return out


_METADATA_HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<edmx:Edmx xmlns:edmx="http://docs.oasis-open.org/odata/ns/edmx" Version="4.0">
  <edmx:DataServices>
    <Schema xmlns="http://docs.oasis-open.org/odata/ns/edm" Namespace="org.opendatakit.entity">
      <ComplexType Name="metadata">
        <Property Name="createdAt" Type="Edm.DateTimeOffset"/>
        <Property Name="creatorId" Type="Edm.String"/>
        <Property Name="creatorName" Type="Edm.String"/>{pad8}
        <Property Name="updates" Type="Edm.Int64"/>
        <Property Name="updatedAt" Type="Edm.DateTimeOffset"/>
        <Property Name="deletedAt" Type="Edm.DateTimeOffset"/>
        <Property Name="version" Type="Edm.Int64"/>
        <Property Name="conflict" Type="Edm.String"/>
      </ComplexType>
    </Schema>
    <Schema xmlns="http://docs.oasis-open.org/odata/ns/edm" Namespace="org.opendatakit.user.{name}">{pad4}
      <EntityType Name="Entities">
        <Key><PropertyRef Name="__id"/></Key>
        <Property Name="__id" Type="Edm.String"/>
        <Property Name="__system" Type="org.opendatakit.entity.metadata"/>
        <Property Name="label" Type="Edm.String"/>
"""
_METADATA_MIDDLE = (
    """      </EntityType>{pad4}
      <EntityContainer Name="{name}">{pad6}
        <EntitySet Name="Entities" EntityType="org.opendatakit.user.{name}.Entities">{pad10}
"""
    + PRIMARY_ANNOTATIONS_HEAD
)

_METADATA_TAIL = (
    PRIMARY_ANNOTATIONS_TAIL
    + """          <Annotation Term="Org.OData.Capabilities.V1.SearchRestrictions">
            <Record>
              <PropertyValue Property="Searchable" Bool="true" />
              <PropertyValue Property="UnsupportedExpressions">
              <Collection>
                <EnumMember>Org.OData.Capabilities.V1.SearchExpressions/And</EnumMember>
                <EnumMember>Org.OData.Capabilities.V1.SearchExpressions/Not</EnumMember>
                <EnumMember>Org.OData.Capabilities.V1.SearchExpressions/Group</EnumMember>
              </Collection>
            </PropertyValue>
            </Record>
          </Annotation>
        </EntitySet>
      </EntityContainer>
    </Schema>
  </edmx:DataServices>
</edmx:Edmx>"""
)


def metadata_xml(dataset: Dataset) -> str:
    """The Entities ``$metadata`` as Central's template renders it, trailing blanks included (capture 1290)."""
    pads = {"pad4": " " * 4, "pad6": " " * 6, "pad8": " " * 8, "pad10": " " * 10}
    names = [sanitize_odata_identifier(p) for p in dataset.property_names]
    text = _METADATA_HEAD.format(name=dataset.name, **pads)
    text += "".join(f'        <Property Name="{n}" Type="Edm.String"/>\n' for n in names)
    text += _METADATA_MIDDLE.format(name=dataset.name, **pads)
    text += "".join(f"                  <PropertyPath>{n}</PropertyPath>\n" for n in names)
    return text + _METADATA_TAIL
