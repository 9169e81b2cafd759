"""OData data documents: ``Submissions``, repeat tables and single records, with Central's paging rules.

Ported from central-backend ``lib/formats/odata.js`` (``rowStreamToOData``, ``singleRowToOData``,
``filterFields``), ``lib/util/odata.js`` (footer, ``nextUrlFor``), ``lib/util/db.js``
(``QueryOptions.fromODataRequest``, ``parseSkiptoken``) and ``lib/model/query/submissions.js`` (cursor join,
``countByFormId``). Notable behaviours kept on purpose:

* the Submissions table is paged by the database: ``$top``/``$skip``, or the ``$skiptoken`` cursor
  ``(createdAt, id) < (createdAt, id) of the token's instanceId`` (deleted-but-not-purged anchors still work; a
  purged anchor gives an empty page); a nextLink appears whenever rows remain after the page - for ``$skip``
  that count ignores the skipped rows, as Central's does;
* repeat tables read every matching submission and page their rows in memory with a ``{"repeatId"}`` token;
* ``$orderby`` with a ``$skiptoken`` is 501.1, yet ``$orderby`` with ``$top`` still emits a nextLink;
* ``$top=-1`` is a database error (500).
"""

from __future__ import annotations

import base64
import bisect
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, unquote

from . import problems
from .odata_filter import compile_filter, compile_orderby, sort_rows
from .problems import InternalError
from .render import GROUP, REPEAT, Emitter, Node, Rendered, Schema
from .store import CentralStore, Form, Submission, event_digest
from .textfmt import dumps, form_urlencode, skiptoken_for

SYSTEM_FIELDS = (
    "submissionDate",
    "updatedAt",
    "submitterId",
    "submitterName",
    "attachmentsPresent",
    "attachmentsExpected",
    "status",
    "reviewState",
    "deviceId",
    "edits",
    "formVersion",
    "deletedAt",
)
_SYSTEM_SELECTABLE = {"__system", *(f"__system/{f}" for f in SYSTEM_FIELDS)}
SUPPORTED_PARAMS = ("$format", "$count", "$skip", "$top", "$filter", "$wkt", "$expand", "$select", "$skiptoken",
                    "$orderby", "$search")  # fmt: skip
_ROW_CHUNK = 256


def is_true(value: str | None) -> bool:
    return value is not None and value.lower() == "true"


def js_parse_int(value: str | None) -> int | None:
    """``parseInt(x, 10)``: None for NaN."""
    if value is None:
        return None
    m = re.match(r"\s*([+-]?\d+)", value)
    return int(m.group(1)) if m else None


def parse_skiptoken(token: str) -> dict[str, Any]:
    """``QueryOptions.parseSkiptoken``: ``01`` + base64(JSON object), else 400.35."""
    if not token.startswith("01"):
        raise problems.invalid_skiptoken()
    raw = re.sub(r"[^A-Za-z0-9+/=_-]", "", token[2:]).replace("-", "+").replace("_", "/")
    raw = raw.rstrip("=")
    try:
        parsed = json.loads(base64.b64decode(raw + "=" * (-len(raw) % 4)).decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        raise problems.invalid_skiptoken() from None
    if parsed is None:
        raise InternalError("null $skiptoken")
    if not isinstance(parsed, (dict, list)):
        raise problems.invalid_skiptoken()
    return parsed if isinstance(parsed, dict) else {}


def service_root(path: str) -> str:
    m = re.search(r"\.svc/", path, re.IGNORECASE)
    if m is None:
        raise problems.not_found()
    return path[: m.start() + 4]


def next_url(original_url: str, token_data: dict[str, Any]) -> str:
    """``urlWithQueryParams(originalUrl, {$skip: null, $skiptoken: ...})``, serialised like URLSearchParams."""
    path, _, query = original_url.partition("?")
    params = parse_qsl(query, keep_blank_values=True)
    token = skiptoken_for(token_data)
    out: list[tuple[str, str]] = []
    replaced = False
    for key, value in params:
        if key == "$skip":
            continue
        if key == "$skiptoken":
            if replaced:
                continue
            value, replaced = token, True
        out.append((key, value))
    if not replaced:
        out.append(("$skiptoken", token))
    return path + "?" + "&".join(f"{form_urlencode(k)}={form_urlencode(v)}" for k, v in out)


def footer(domain: str, root: str, table: str, next_link: str | None, count: int | None) -> str:
    text = f'"@odata.context":"{domain}{root}/$metadata#{table}"'
    if next_link is not None:
        text += f',"@odata.nextLink":"{domain}{next_link}"'
    if count is not None:
        text += f',"@odata.count":{count}'
    return text + "}"


# --- $select ------------------------------------------------------------------------------------------------


@dataclass
class Selection:
    """Outcome of ``$select``: the form fields to keep (None = all) and which ``__`` properties were asked."""

    fields: set[str] | None
    metadata: set[str] | None  # None when no $select (or $select=*): keep everything

    def keeps(self, name: str) -> bool:
        return self.metadata is None or name in self.metadata


def select_fields(schema: Schema, select: str | None, table: str) -> Selection:
    """Central's ``filterFields``: validate ``$select`` and include the parents/children it implies."""
    if not select or select == "*":
        return Selection(None, None)
    props = [p.strip() for p in select.split(",")]
    metadata = {p for p in props if p.startswith("__")}
    chosen: set[str] = set()
    path = ""
    id_keys = {"__id"}
    if table != "Submissions":
        segments = table.removeprefix("Submissions.").split(".")
        parent_key = "__Submissions"
        for i, segment in enumerate(segments):
            path += f"/{segment}"
            node = schema.by_spath.get(path)
            if node is None:
                raise problems.not_found()
            chosen.add(node.spath)
            if node.kind == REPEAT and i < len(segments) - 1:
                parent_key = "__Submissions" + path.replace("/", "-")
        id_keys.add(parent_key + "-id")
    for prop in props:
        if prop in id_keys or (table == "Submissions" and prop in _SYSTEM_SELECTABLE):
            continue
        node = schema.by_spath.get(f"{path}/{prop}")
        if node is None:
            raise problems.property_not_found(prop)
        chosen.add(node.spath)
        parent_path = node.spath.rsplit("/", 1)[0]
        while parent_path and parent_path not in chosen:
            parent = schema.by_spath[parent_path]
            if parent.kind == REPEAT:
                raise problems.unsupported_select_field(prop)
            chosen.add(parent_path)
            parent_path = parent_path.rsplit("/", 1)[0]
        if node.kind == GROUP:
            _add_children(node, chosen)
    return Selection(chosen, metadata)


def _add_children(node: Node, chosen: set[str]) -> None:
    for child in node.children:
        chosen.add(child.spath)
        if child.kind == GROUP:
            _add_children(child, chosen)


# --- row texts ----------------------------------------------------------------------------------------------


def _join_body(*parts: str) -> str:
    return "{" + ",".join(p for p in parts if p) + "}"


def _system_subset(sub: Submission, selection: Selection) -> str | None:
    if selection.metadata is None or "__system" in selection.metadata:
        return None  # the whole object
    keys = [f for f in SYSTEM_FIELDS if f"__system/{f}" in selection.metadata]
    if not keys:
        return ""
    system = sub.system()
    return dumps({k: system[k] for k in keys})


@dataclass
class Snapshot:
    """What a page needs of one submission, captured under the store lock."""

    sub: Submission
    rendered: Rendered
    system: str


class RootRows:
    """Produces root-table row texts for a query (fast string splicing, slow rebuild for $select/$wkt)."""

    def __init__(self, schema: Schema, selection: Selection, expand: bool, wkt: bool) -> None:
        self.schema = schema
        self.selection = selection
        self.expand = expand
        self.wkt = wkt and schema.has_geo
        self.no_form_fields = selection.fields is not None and not any(
            p for p in selection.fields if p in schema.by_spath
        )
        self.keep_id = selection.keeps("__id")

    def text(self, snap: Snapshot) -> str:
        sel = self.selection
        id_part = f'"__id":{snap.sub.iid_json}' if self.keep_id else ""
        subset = _system_subset(snap.sub, sel)
        system_part = (
            f'"__system":{snap.system}' if subset is None else (f'"__system":{subset}' if subset else "")
        )
        r = snap.rendered
        if sel.fields is None and not self.wkt:
            if self.expand:
                return _join_body(r.head_exp, id_part, system_part, r.tail_exp)
            return _join_body(r.head_plain, id_part, system_part, r.tail_plain)
        if self.no_form_fields:
            return _join_body(id_part, system_part)
        return dumps(self.row_dict(snap, id_part != "", subset))

    def row_dict(self, snap: Snapshot, keep_id: bool, subset: str | None) -> dict[str, Any]:
        emitter = Emitter(self.selection.fields, self.expand, self.wkt)
        out, repeats = emitter.fields(self.schema.root, snap.rendered.expanded_tree())
        if keep_id:
            out["__id"] = snap.sub.instance_id
        if subset is None:
            out["__system"] = json.loads(snap.system)
        elif subset:
            out["__system"] = json.loads(subset)
        emitter.add_entries(out, repeats)
        return out


class SubRows:
    """Row texts of one repeat table for one submission, each with its own ``__id``."""

    def __init__(self, schema: Schema, table: str, selection: Selection, expand: bool, wkt: bool) -> None:
        self.schema = schema
        self.table = table
        self.selection = selection
        self.expand = expand
        self.wkt = wkt and schema.has_geo
        self.parent_key = schema.tables[table].parent_key
        self.fast = selection.metadata is None and selection.fields is None and not expand and not self.wkt

    def rows(self, snap: Snapshot) -> list[tuple[str, str]]:
        if self.fast:
            return [(_row_id(t), t) for t in snap.rendered.tables.get(self.table, ())]
        emitter = Emitter(self.selection.fields, self.expand, self.wkt)
        dicts = emitter.table_rows(
            self.schema,
            self.table,
            snap.rendered.expanded_tree(),
            snap.sub.instance_id,
            keep_id=True,
            keep_parent=True,
        )
        out = []
        for row in dicts:
            row_id = row.get("__id")
            if not self.selection.keeps("__id"):
                row.pop("__id", None)
            if not self.selection.keeps(self.parent_key):
                row.pop(self.parent_key, None)
            out.append((row_id, dumps(row)))
        return out


def _sub_key(sub: Submission) -> tuple[int, int]:
    return sub.key


def _row_id(text: str) -> str:
    i = text.find('"__id":"')
    return text[i + 8 : i + 48]


# --- the table endpoint -------------------------------------------------------------------------------------


@dataclass
class TableResult:
    """A data document ready to send: the eventhash digest and the body chunks."""

    digest: str
    chunks: Iterator[bytes] | None  # None when If-None-Match matched (304)


def parse_query(query_string: str) -> dict[str, str]:
    """Express-like query parsing: first value of each key, ``+`` is a space."""
    out: dict[str, str] = {}
    for key, value in parse_qsl(query_string, keep_blank_values=True):
        out.setdefault(key, value)
    return out


class TableQuery:
    """``GET .../forms/{id}.svc/{table}`` for one request."""

    def __init__(self, store: CentralStore, form: Form, table: str, query: dict[str, str]) -> None:
        self.store = store
        self.form = form
        self.table = table
        self.query = query
        self.is_sub = table != "Submissions"
        self.skiptoken: dict[str, Any] | None = None
        token = query.get("$skiptoken")
        if not self.is_sub and token is not None:
            self.skiptoken = parse_skiptoken(token)
        self.orderby = query.get("$orderby")
        if self.orderby is not None and self.skiptoken is not None:
            raise problems.not_implemented("using $orderby and $skiptoken together")
        self.predicate, self.include_deleted = compile_filter(
            query.get("$filter"), subtable=self.is_sub, now_us=store.now_us
        )
        self.order = compile_orderby(self.orderby) if self.orderby is not None else None
        self.count = is_true(query.get("$count"))
        self.limit: int | None = None
        self.offset: int | None = None
        if not self.is_sub:
            if "$top" in query:
                self.limit = self._db_int(query["$top"], "LIMIT")
            if self.skiptoken is None and "$skip" in query:
                self.offset = self._db_int(query["$skip"], "OFFSET")
        self.has_paging = self.limit is not None or self.offset is not None or self.skiptoken is not None

    @staticmethod
    def _db_int(raw: str, clause: str) -> int:
        value = js_parse_int(raw)
        if value is None:
            raise problems.invalid_data_type("NaN", "type bigint")
        if value < 0:
            raise InternalError(f"{clause} must not be negative")
        return value

    def _accepts(self) -> Callable[[Submission], bool]:
        pred = self.predicate
        if self.include_deleted:
            return (lambda s: True) if pred is None else pred
        if pred is None:
            return lambda s: s.deleted_us is None
        return lambda s: s.deleted_us is None and pred(s)

    def _matches(self) -> list[Submission]:
        accept = self._accepts()
        rows = [s for s in self.form.newest_first() if accept(s)]
        if self.order is not None:
            rows = sort_rows(rows, self.order)
        return rows

    def _page(self) -> tuple[list[Submission], bool, int | None]:
        """The Submissions page: (rows, whether Central would emit a nextLink, total for $count).

        Central counts the rows left after the cursor (or all matching rows when paging by $skip) and emits a
        nextLink when some remain after the page. Without $orderby the rows are walked newest first from the
        cursor and the walk stops one match past the page, so a page costs O(page) unless $count asks for the
        total."""
        if self.order is not None:
            matches = self._matches()
            start = self.offset or 0
            end = None if self.limit is None else start + self.limit
            page = matches[start:end]
            return (
                page,
                self.has_paging and len(matches) - len(page) > 0,
                len(matches) if self.count else None,
            )
        accept = self._accepts()
        subs = self.form.subs
        if self.skiptoken is not None:
            anchor = self.form.by_iid.get(self.skiptoken.get("instanceId"))  # type: ignore[arg-type]
            i = -1 if anchor is None else bisect.bisect_left(subs, anchor.key, key=_sub_key) - 1
        else:
            i = len(subs) - 1
        to_skip = self.offset or 0
        skipped = 0
        limit = self.limit
        page: list[Submission] = []
        more = False
        while i >= 0:
            s = subs[i]
            i -= 1
            if not accept(s):
                continue
            if skipped < to_skip:
                skipped += 1
                continue
            if limit is not None and len(page) >= limit:
                more = True
                break
            page.append(s)
        total = sum(1 for s in subs if accept(s)) if self.count else None
        return page, self.has_paging and (more or skipped > 0), total

    def run(
        self, *, domain: str, original_url: str, if_none_match: str | None, on_digest: Callable[[str], None]
    ) -> TableResult:
        """Select the rows, compute the ETag, then validate ``$select``/the table and build the document.

        :param on_digest: told the digest before later validation errors, so their responses keep the ETag.
        """
        with self.store.lock:
            total: int | None = None
            more = False
            if self.is_sub:
                scoped = self._matches()
            else:
                scoped, more, total = self._page()
            digest = event_digest(scoped)
            on_digest(digest)
            if if_none_match is not None and digest in if_none_match:
                return TableResult(digest, None)
            snaps = [Snapshot(s, s.rendered(), "" if self.is_sub else s.system_json()) for s in scoped]
            schema = self.form.schema
        selection = select_fields(schema, self.query.get("$select"), self.table)
        if self.is_sub and self.table not in schema.tables:
            raise problems.not_found()
        expand = self.query.get("$expand") == "*"
        wkt = is_true(self.query.get("$wkt"))
        root = service_root(original_url.partition("?")[0])
        if self.is_sub:
            return TableResult(
                digest, self._sub_document(snaps, schema, selection, expand, wkt, domain, root, original_url)
            )
        next_link = None
        if more:
            last = snaps[-1].sub.instance_id if snaps else None
            next_link = next_url(original_url, {"instanceId": last})
        foot = footer(domain, root, self.table, next_link, total)
        return TableResult(digest, self._root_chunks(snaps, RootRows(schema, selection, expand, wkt), foot))

    @staticmethod
    def _root_chunks(snaps: list[Snapshot], rows: RootRows, foot: str) -> Iterator[bytes]:
        if not snaps:
            yield ('{"value":[],' + foot).encode("utf-8")
            return
        for i in range(0, len(snaps), _ROW_CHUNK):
            body = ",".join(rows.text(s) for s in snaps[i : i + _ROW_CHUNK])
            yield (('{"value":[' if i == 0 else ",") + body).encode("utf-8")
        yield ("]," + foot).encode("utf-8")

    def _sub_document(
        self,
        snaps: list[Snapshot],
        schema: Schema,
        selection: Selection,
        expand: bool,
        wkt: bool,
        domain: str,
        root: str,
        original_url: str,
    ) -> Iterator[bytes]:
        query = self.query
        top = js_parse_int(query.get("$top"))
        do_limit = float("inf") if top is None else max(0, top)
        token = query.get("$skiptoken")
        skiptoken = parse_skiptoken(token) if token is not None else None
        do_offset = 0 if skiptoken is not None else max(0, js_parse_int(query.get("$skip")) or 0)
        producer = SubRows(schema, self.table, selection, expand, wkt)
        added = counted = remaining = 0
        cursor_ok = skiptoken is None
        wanted = None if skiptoken is None else skiptoken.get("repeatId")
        last_id: str | None = None
        out: list[str] = []
        marker = None if wanted is None else f'"__id":"{wanted}"'
        for snap in snaps:
            if producer.fast:
                # whole submissions before the cursor, inside $skip or after a full page need no row work
                texts = snap.rendered.tables.get(self.table, ())
                n = len(texts)
                if not cursor_ok:
                    if marker is None or not any(marker in t for t in texts):
                        if added == do_limit:
                            remaining += n
                        counted += n
                        continue
                elif added == do_limit:
                    remaining += n
                    counted += n
                    continue
                elif counted + n <= do_offset:
                    counted += n
                    continue
            for row_id, text in producer.rows(snap):
                if added == do_limit:
                    remaining += 1
                if added < do_limit and counted >= do_offset and cursor_ok:
                    out.append(text)
                    last_id = row_id
                    added += 1
                if not cursor_ok and wanted is not None and wanted == row_id:
                    cursor_ok = True
                counted += 1
        if not cursor_ok:
            raise problems.repeat_id_not_found()
        next_link = next_url(original_url, {"repeatId": last_id}) if remaining > 0 else None
        foot = footer(domain, root, self.table, next_link, counted if self.count else None)
        return _chunks(out, foot)


def _chunks(rows: list[str], foot: str) -> Iterator[bytes]:
    if not rows:
        yield ('{"value":[],' + foot).encode("utf-8")
        return
    for i in range(0, len(rows), _ROW_CHUNK * 4):
        yield (('{"value":[' if i == 0 else ",") + ",".join(rows[i : i + _ROW_CHUNK * 4])).encode("utf-8")
    yield ("]," + foot).encode("utf-8")


# --- single record ------------------------------------------------------------------------------------------

_UUID_KEY = re.compile(r"^'((?:uuid:)?[a-z0-9-]+)'$", re.IGNORECASE)
_CONTEXT_PART = re.compile(r"^([^(]+)\('((?:uuid:)?[a-z0-9-]+)'\)$", re.IGNORECASE)


def table_from_path(subpath: str) -> tuple[str, list[tuple[str, str | None]]]:
    """``extractPathContext``: ``/Submissions('x')/outer('h')/inner`` -> table name and (name, id) pairs."""
    context: list[tuple[str, str | None]] = []
    for part in subpath.split("/")[1:]:
        decoded = unquote(part)
        m = _CONTEXT_PART.match(decoded)
        context.append((m.group(1), m.group(2)) if m else (decoded, None))
    return ".".join(name for name, _ in context), context


def single_record(
    store: CentralStore,
    form: Form,
    subpath: str,
    key: str,
    query: dict[str, str],
    domain: str,
    original_url: str,
) -> str:
    """``GET .../Submissions('id')[/repeat...]`` -> the JSON text (sent with Content-Length and Express ETag)."""
    table, context = table_from_path(subpath)
    with store.lock:
        schema = form.schema
    selection = select_fields(schema, query.get("$select"), table)
    m = _UUID_KEY.match(unquote(key))
    if m is None:
        raise problems.not_found()
    with store.lock:
        sub = form.by_iid.get(m.group(1))
        if sub is None or sub.deleted_us is not None:
            raise problems.not_found()
        snap = Snapshot(sub, sub.rendered(), sub.system_json())
    if table != "Submissions" and table not in schema.tables:
        raise problems.not_found()
    if table == "Submissions" and any(ident is not None for _, ident in context[1:]):
        raise problems.not_found()
    expand = query.get("$expand") == "*"
    wkt = is_true(query.get("$wkt"))
    filter_idx = max(i for i, (_, ident) in enumerate(context) if ident is not None)
    filter_field = f"__{'-'.join(name for name, _ in context[: filter_idx + 1])}-id"
    if table == "Submissions":
        rows_producer = RootRows(schema, selection, expand, wkt)
        rows: list[dict[str, Any]] = [json.loads(rows_producer.text(snap))]
    else:
        emitter = Emitter(selection.fields, expand, wkt and schema.has_geo)
        rows = emitter.table_rows(schema, table, snap.rendered.expanded_tree(), sub.instance_id, True, True)
        if filter_idx > 0:
            wanted = context[filter_idx][1]
            rows = [r for r in rows if r.get(filter_field) == wanted]
    count = len(rows)
    top = js_parse_int(query.get("$top"))
    limit = float("inf") if top is None else max(0, top)
    token = query.get("$skiptoken")
    offset = 0
    if token is not None:
        repeat_id = parse_skiptoken(token).get("repeatId")
        if not repeat_id:
            raise problems.invalid_skiptoken()
        offset = next((i + 1 for i, r in enumerate(rows) if r.get("__id") == repeat_id), 0)
        if offset == 0:
            raise problems.repeat_id_not_found()
    else:
        offset = max(0, js_parse_int(query.get("$skip")) or 0)
    end = None if limit == float("inf") else offset + int(limit)
    pared = rows[offset:end]
    next_link = None
    if pared and count - (offset + limit) > 0:
        data = (
            {"instanceId": sub.instance_id} if table == "Submissions" else {"repeatId": pared[-1].get("__id")}
        )
        next_link = next_url(original_url, data)
    if selection.metadata is not None:
        for row in pared:
            if filter_field not in selection.metadata:
                row.pop(filter_field, None)
            if "__id" not in selection.metadata:
                row.pop("__id", None)
    root = service_root(original_url.partition("?")[0])
    shown_count = count if (is_true(query.get("$count")) and count) else None
    return '{"value":' + dumps(pared) + "," + footer(domain, root, table, next_link, shown_count)


def check_query_params(query: dict[str, str]) -> None:
    """The OData preprocessor's protocol checks (lib/http/endpoint.js ``odataPreprocessor``)."""
    for key in query:
        if key not in SUPPORTED_PARAMS:
            raise problems.not_implemented(key)
    expand = query.get("$expand")
    if expand and expand != "*":
        raise problems.unsupported_expand(expand)
    if expand and query.get("$select"):
        raise problems.unsupported_select_expand()
