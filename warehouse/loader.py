"""Load pages of submissions into the warehouse: raw versions, current rows, typed tables, problems.

Idempotent by construction: the logical id (Central ``__id``) decides insert or update, a version is stored
once per instanceID, and typed rows of a submission are replaced whole (repeat rows are positional) whenever a
new version arrives. The caller owns the transaction, so a page and the cursor can commit together.

Fast by construction too: the typed rows come from a compiled extractor (:mod:`warehouse.normalise`), the raw
text is the server's own (no second encoding), and rows go to the database as tuples through the driver —
``executemany`` on SQLite, ``COPY`` on PostgreSQL — instead of one SQLAlchemy statement per row.
"""

from __future__ import annotations

import json
import logging
import operator
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from warehouse.bulk import append_rows
from warehouse.db import driver_id_in
from warehouse.db import quote_identifier as _q
from warehouse.formtables import FormTables
from warehouse.normalise import Extractor, Problem, clean_text, compile_extractor
from warehouse.prepare import (
    ENDS,
    FAILED,
    INSTANCE_ID,
    INSTANCE_OK,
    LOGICAL_ID,
    NEWEST,
    PAYLOAD,
    PROBLEMS,
    RANK,
    SHA,
    SYSTEM,
    SYSTEM_NAMES,
    SYSTEM_TEXT,
    PreparedPage,
    prepare_rows,
    version_key,
)

log = logging.getLogger(__name__)

CHUNK = 500
#: Ids kept in :attr:`PageResult.changed_ids` at most (the count is always exact).
MAX_CHANGED_IDS = 10_000
#: Columns whose change without a new version (review, delete, restore, attachments) updates the current row.
_COMPARED = (
    "updated_at",
    "deleted_at",
    "review_state",
    "edits",
    "attachments_present",
    "attachments_expected",
    "submitter_name",
    "device_id",
)
_COMPARED_AT = tuple(SYSTEM_NAMES.index(c) for c in _COMPARED)


@dataclass(slots=True)
class PageResult:
    """What loading one page did (the ledger: fetched = inserted + updated + unchanged + quarantined)."""

    fetched: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    quarantined: int = 0
    max_server_time: str | None = None
    changed: int = 0
    changed_ids: list[str] = field(default_factory=list)

    def add(self, other: PageResult) -> None:
        """Accumulate another page's counts (ids only up to :data:`MAX_CHANGED_IDS`)."""
        self.fetched += other.fetched
        self.inserted += other.inserted
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.quarantined += other.quarantined
        self.max_server_time = max_time(self.max_server_time, other.max_server_time)
        self.changed += other.changed
        room = MAX_CHANGED_IDS - len(self.changed_ids)
        if room > 0:
            self.changed_ids.extend(other.changed_ids[:room])

    def copy(self) -> PageResult:
        """An independent copy (the runner adds a page to a copy until its transaction commits)."""
        return PageResult(
            self.fetched,
            self.inserted,
            self.updated,
            self.unchanged,
            self.quarantined,
            self.max_server_time,
            self.changed,
            list(self.changed_ids),
        )


#: The columns of a ``change_queue`` row as the loader queues it.
CHANGE_COLUMNS = ("source", "form_id", "logical_id", "sync_run_id")


def queue_changes(conn: Connection, rows: Sequence[tuple[Any, ...]]) -> None:
    """Queue changed submissions for the domain derivation (rows of :data:`CHANGE_COLUMNS`)."""
    append_rows(conn, "change_queue", CHANGE_COLUMNS, rows)


def refresh_statistics(conn: Connection, tables: FormTables) -> None:
    """Let PostgreSQL's planner see how big the sync's tables have grown (a no-op on SQLite).

    A table created or filled since the last autovacuum looks empty to the planner, which then picks any index
    that starts with (source, form_id) for a lookup by logical id and scans the whole form. The runner calls
    this as a load grows (after pages 1, 2, 4, 8, …), so a first full load never runs blind for long.
    """
    if conn.dialect.name != "postgresql":
        return
    # only the key columns: the planner needs the table sizes and the keys' selectivity, not the payloads
    targets = ["submission (source, form_id, logical_id)", "raw_submission (version_key)"]
    targets += [
        f"{_q(t.name)} ({'_id' if rp == '' else '_submission_id'})" for rp, t in tables.sa_tables.items()
    ]
    conn.exec_driver_sql("ANALYZE " + ", ".join(targets))


def max_time(a: str | None, b: str | None) -> str | None:
    """The later of two server timestamps (ISO 8601 UTC strings of one format compare as text)."""
    if a is None:
        return b
    if b is None:
        return a
    return a if a >= b else b


def _strip_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            k: _strip_nulls(v) for k, v in value.items() if v is not None and not k.endswith("navigationLink")
        }
    if isinstance(value, list):
        return [_strip_nulls(v) for v in value]
    return value


def same_content(stored_payload: str, new_payload: str) -> bool:
    """Whether two texts of one version hold the same answers: a form version that adds fields makes Central
    render them as null in older rows, which changes the text but not the submission."""
    try:
        return _strip_nulls(json.loads(stored_payload)) == _strip_nulls(json.loads(new_payload))
    except ValueError:
        return False


@dataclass(slots=True)
class _Existing:
    instance_id: str
    sha: str
    system: tuple[Any, ...]


class _Db:
    """Bulk statements on the DBAPI connection under the caller's SQLAlchemy transaction."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.pg = conn.dialect.name == "postgresql"
        self.raw = conn.connection.driver_connection
        self.mark = "%s" if self.pg else "?"

    def in_list(self, column: str, ids: Sequence[Any], sql_type: str = "") -> tuple[str, list[Any]]:
        """``column IN (…)`` for a chunk of ids (:func:`warehouse.db.driver_id_in`)."""
        return driver_id_in(self.pg, column, ids, sql_type)

    def query(self, sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        cur = self.raw.cursor()
        try:
            cur.execute(sql, tuple(params))
            return list(cur.fetchall())
        finally:
            cur.close()

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        cur = self.raw.cursor()
        try:
            cur.execute(sql, tuple(params))
        finally:
            cur.close()

    def many(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        if not rows:
            return
        cur = self.raw.cursor()
        try:
            cur.executemany(sql, rows)
        finally:
            cur.close()

    def insert(self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        """Append rows (no conflict handling: the caller knows they are new)."""
        append_rows(self.conn, table, columns, rows)

    def delete_in(
        self, table: str, column: str, ids: Sequence[str], extra: str = "", params: Sequence[Any] = ()
    ) -> None:
        for i in range(0, len(ids), CHUNK):
            condition, values = self.in_list(_q(column), ids[i : i + CHUNK])
            self.execute(f"DELETE FROM {_q(table)} WHERE {extra}{condition}", [*params, *values])


_RAW_COLUMNS = (
    "source",
    "form_id",
    "logical_id",
    "instance_id",
    "payload_sha256",
    "payload",
    "system",
    "form_version",
    "fetched_at",
    "sync_run_id",
    "version_key",
)
_SUB_KEY = ("source", "form_id", "logical_id")
_SUB_COLUMNS = (*_SUB_KEY, "instance_id", "payload_sha256", *SYSTEM_NAMES, "first_run_id", "last_run_id")
_DQ_COLUMNS = (
    "source",
    "form_id",
    "logical_id",
    "rule",
    "severity",
    "field",
    "value",
    "kode_wilayah",
    "message",
    "sync_run_id",
    "created_at",
    "resolved_at",
)


def page_extractor(tables: FormTables, pg: bool) -> Extractor:
    """The compiled extractor that prepares this form's pages for a database (dates as text on SQLite; compiled
    once per FormTables and dialect)."""
    key = (id(tables), pg)
    cached = _EXTRACTORS.get(key)
    if cached is None or cached[0] is not tables:
        cached = (tables, compile_extractor(tables, dates_as_text=not pg))
        _EXTRACTORS[key] = cached
        while len(_EXTRACTORS) > 32:  # FormTables are rebuilt per run: forget the oldest
            del _EXTRACTORS[next(iter(_EXTRACTORS))]
    return cached[1]


_EXTRACTORS: dict[tuple[int, bool], tuple[FormTables, Extractor]] = {}


def _stamp(when: datetime, pg: bool) -> Any:
    # SQLAlchemy's SQLite DATETIME text format, so the ORM reads these back as datetimes
    return when if pg else when.strftime("%Y-%m-%d %H:%M:%S.%f")


def load_central_page(
    conn: Connection,
    tables: FormTables,
    rows: Sequence[dict[str, Any]],
    *,
    run_id: int | None,
    fetched_at: datetime,
    texts: Sequence[str] | None = None,
    changes: list[tuple[Any, ...]] | None = None,
) -> PageResult:
    """Load one page of Central OData rows (``$expand=*``) for one form, in the caller's transaction.

    :param texts: the verbatim JSON text of each row (``texts[i]`` is ``rows[i]``), stored as the raw version;
        without it the rows are encoded again.
    :param changes: see :func:`load_prepared_page`.
    """
    extractor = page_extractor(tables, conn.dialect.name == "postgresql")
    prepared = prepare_rows(extractor, rows, texts)
    return load_prepared_page(conn, tables, prepared, run_id=run_id, fetched_at=fetched_at, changes=changes)


def load_prepared_page(
    conn: Connection,
    tables: FormTables,
    page: PreparedPage,
    *,
    run_id: int | None,
    fetched_at: datetime,
    changes: list[tuple[Any, ...]] | None = None,
) -> PageResult:
    """Load one prepared page (:func:`warehouse.prepare.prepare_rows` with :func:`page_extractor`'s extractor)
    for one form, in the caller's transaction.

    :param changes: collects the page's ``change_queue`` rows (:data:`CHANGE_COLUMNS`) for the caller to write
        with :func:`queue_changes` before it commits (one write for many pages: nothing reads the queue before
        the commit); without it they are written here.
    """
    db = _Db(conn)
    pg = db.pg
    extractor = page_extractor(tables, pg)
    source, form_id = tables.source, tables.form_id
    records = page.records
    result = PageResult(fetched=len(records))
    stamp = _stamp(fetched_at, pg)

    # --- 1. one candidate per logical id; rows without a usable id are quarantined ----------------------------
    by_id: dict[str, int] = {}
    extra_versions: list[int] = []  # older versions of an id that appears twice in the page (kept raw)
    quarantined: list[tuple[str, str]] = []
    max_seen = result.max_server_time
    for index, rec in enumerate(records):
        logical_id = rec[LOGICAL_ID]
        if logical_id is None:
            quarantined.append((rec[1], rec[2]))
            continue
        newest = rec[NEWEST]
        if newest is not None and (max_seen is None or newest > max_seen):
            max_seen = newest
        seen = by_id.get(logical_id)
        if seen is None:
            by_id[logical_id] = index
            continue
        result.unchanged += 1  # the same submission twice in one page: one counts, the newer version wins
        if rec[RANK] > records[seen][RANK]:
            by_id[logical_id] = index
            extra_versions.append(seen)
        else:
            extra_versions.append(index)

    # --- 2. what the warehouse holds for these ids -----------------------------------------------------------
    existing: dict[str, _Existing] = {}
    ids = list(by_id)
    system_sql = ", ".join(SYSTEM_NAMES)
    for i in range(0, len(ids), CHUNK):
        condition, values = db.in_list("logical_id", ids[i : i + CHUNK])
        for r in db.query(
            f"SELECT logical_id, instance_id, payload_sha256, {system_sql} FROM submission "
            f"WHERE source = {db.mark} AND form_id = {db.mark} AND {condition}",
            [source, form_id, *values],
        ):
            existing[r[0]] = _Existing(r[1], r[2], tuple(r[3:]))

    # --- 3. decide per submission ------------------------------------------------------------------------------
    raw_rows: list[tuple[Any, ...]] = []
    new_subs: list[tuple[Any, ...]] = []
    data_updates: list[tuple[Any, ...]] = []
    system_updates: list[tuple[Any, ...]] = []
    sha_updates: list[tuple[Any, ...]] = []
    typed_from: list[int] = []  # the records whose typed rows are written
    replace_ids: list[str] = []
    problems: list[tuple[str | None, Problem]] = []
    changed: list[str] = []
    conflicts: list[tuple[str, tuple[Any, ...]]] = []

    for logical_id, index in by_id.items():
        rec = records[index]
        instance_id, sysvals, sha = rec[INSTANCE_ID], rec[SYSTEM], rec[SHA]
        old = existing.get(logical_id)
        if old is not None and old.instance_id == instance_id:
            if old.sha != sha:
                conflicts.append((logical_id, rec))
                continue
            if all(old.system[i] == sysvals[i] for i in _COMPARED_AT):
                result.unchanged += 1
                continue
            system_updates.append((*sysvals, run_id, source, form_id, logical_id))
            result.updated += 1
            changed.append(logical_id)
            continue
        raw_rows.append(_raw_row(source, form_id, logical_id, instance_id, rec, stamp, run_id))
        typed_from.append(index)
        found = rec[PROBLEMS]
        if rec[FAILED] is not None:
            result.quarantined += 1
            log.warning(
                "%s:%s: a submission could not be normalised (%s); kept raw", source, form_id, rec[FAILED]
            )
        elif old is None:
            result.inserted += 1
        else:
            result.updated += 1
        if found:
            problems.extend((logical_id, p) for p in found)
        if old is None:
            new_subs.append((source, form_id, logical_id, instance_id, sha, *sysvals, run_id, run_id))
        else:
            data_updates.append((instance_id, sha, *sysvals, run_id, source, form_id, logical_id))
            replace_ids.append(logical_id)
        changed.append(logical_id)

    # --- 4. the same instanceID again with other content ------------------------------------------------------
    for logical_id, rec in conflicts:
        instance_id, sysvals, sha, payload = rec[INSTANCE_ID], rec[SYSTEM], rec[SHA], rec[PAYLOAD]
        old = existing[logical_id]
        stored = _stored_versions(db, source, form_id, [instance_id], "payload").get(instance_id)
        system_changed = any(old.system[i] != sysvals[i] for i in _COMPARED_AT)
        if stored and same_content(stored[1], payload):
            # the same answers rendered with fields a newer form version added (as null): not a new version
            sha_updates.append((sha, source, form_id, logical_id))
        else:
            alias = f"{instance_id}#sha256:{sha[:16]}"[-128:]
            raw_rows.append(_raw_row(source, form_id, logical_id, alias, rec, stamp, run_id))
            problems.append(
                (
                    logical_id,
                    Problem(
                        "DUPLICATE_INSTANCE_CONFLICT",
                        "error",
                        "meta/instanceID",
                        instance_id,
                        f"the server sent version {instance_id} again with other content; the first copy stays "
                        f"current, the other is kept raw as {alias}",
                    ),
                )
            )
            if not system_changed:
                result.quarantined += 1
                continue
        if system_changed:
            system_updates.append((*sysvals, run_id, source, form_id, logical_id))
            result.updated += 1
            changed.append(logical_id)
        else:
            result.unchanged += 1

    for index in extra_versions:  # every version is kept raw, even one superseded within the page
        rec = records[index]
        if rec[INSTANCE_OK]:
            raw_rows.append(_raw_row(source, form_id, rec[LOGICAL_ID], rec[INSTANCE_ID], rec, stamp, run_id))
    result.max_server_time = max_seen
    result.quarantined += len(quarantined)

    # --- 5. write ----------------------------------------------------------------------------------------------
    if raw_rows:
        # a version of a submission new to the warehouse is new by construction (raw and current rows commit
        # together); only versions of known submissions are checked against what is stored
        fresh: dict[str, tuple[Any, ...]] = {}
        known: list[tuple[Any, ...]] = []
        for r in raw_rows:
            if r[2] in existing:
                known.append(r)
            else:
                fresh.setdefault(r[3], r)  # the same version twice in a page is stored once
        versions = [*fresh.values(), *_new_versions(db, source, form_id, known)]
        versions.sort(key=_by_version_key)  # key order: each index page is visited once per page, not per row
        db.insert("raw_submission", _RAW_COLUMNS, versions)
    new_subs.sort(key=_by_logical_id)
    db.insert("submission", _SUB_COLUMNS, new_subs)
    where = f"source = {db.mark} AND form_id = {db.mark} AND logical_id = {db.mark}"
    if data_updates:
        sets = ", ".join(
            f"{c} = {db.mark}" for c in ("instance_id", "payload_sha256", *SYSTEM_NAMES, "last_run_id")
        )
        db.many(f"UPDATE submission SET {sets} WHERE {where}", data_updates)
    if system_updates:
        sets = ", ".join(f"{c} = {db.mark}" for c in (*SYSTEM_NAMES, "last_run_id"))
        db.many(f"UPDATE submission SET {sets} WHERE {where}", system_updates)
        root = tables.sa_tables[""].name
        db.many(
            f"UPDATE {_q(root)} SET _updated_at = {db.mark}, _deleted_at = {db.mark}, _review_state = {db.mark} "
            f"WHERE _id = {db.mark}",
            [(u[1], u[2], u[3], u[-1]) for u in system_updates],
        )
    if sha_updates:
        db.many(f"UPDATE submission SET payload_sha256 = {db.mark} WHERE {where}", sha_updates)
    if replace_ids:
        for rp, table in tables.sa_tables.items():
            db.delete_in(table.name, "_id" if rp == "" else "_submission_id", replace_ids)
        db.delete_in(
            "dq_issue",
            "logical_id",
            replace_ids,
            f"source = {db.mark} AND form_id = {db.mark} AND resolved_at IS NULL AND ",
            [source, form_id],
        )
    for rp, trows in _typed_rows(page, typed_from).items():
        if trows:
            trows.sort(key=_by_row_id)
            db.insert(tables.sa_tables[rp].name, extractor.columns[rp], trows)
    for reason, excerpt in quarantined:
        problems.append((None, Problem("NORMALISER_ERROR", "error", "__id", excerpt, reason)))
    _insert_problems(db, source, form_id, problems, run_id, stamp)
    if changed:
        queued = [(source, form_id, lid, run_id) for lid in changed]
        if changes is None:
            queue_changes(conn, queued)
        else:
            changes.extend(queued)
    result.changed = len(changed)
    result.changed_ids = changed[:MAX_CHANGED_IDS]
    return result


def _raw_row(
    source: str,
    form_id: str,
    logical_id: str,
    instance_id: str,
    rec: tuple[Any, ...],
    stamp: Any,
    run_id: int | None,
) -> tuple[Any, ...]:
    return (
        source,
        form_id,
        logical_id,
        instance_id,
        rec[SHA],
        clean_text(rec[PAYLOAD]),
        rec[SYSTEM_TEXT],
        rec[SYSTEM][-1],
        stamp,
        run_id,
        version_key(source, form_id, instance_id),
    )


def _typed_rows(page: PreparedPage, chosen: list[int]) -> dict[str, list[tuple[Any, ...]]]:
    """The typed rows of the chosen records (all of them, in the usual full load, without copying)."""
    records = page.records
    if len(chosen) == len(records):
        return page.outs
    out: dict[str, list[tuple[Any, ...]]] = {rp: [] for rp in page.outs}
    lists = list(page.outs.values())
    targets = list(out.values())
    for index in chosen:
        ends = records[index][ENDS]
        previous = _previous_ends(records, index, len(lists))
        for t, (source_list, start, end) in enumerate(zip(lists, previous, ends, strict=True)):
            if end > start:
                targets[t].extend(source_list[start:end])
    return out


def _previous_ends(records: list[tuple[Any, ...]], index: int, tables: int) -> tuple[int, ...]:
    for i in range(index - 1, -1, -1):
        if records[i][LOGICAL_ID] is not None:
            return records[i][ENDS]  # type: ignore[no-any-return]
    return (0,) * tables


def _insert_problems(
    db: _Db,
    source: str,
    form_id: str,
    problems: list[tuple[str | None, Problem]],
    run_id: int | None,
    stamp: Any,
) -> None:
    """Record data-quality findings (one ``dq_issue`` row each; ``run_id`` None for a rebuild)."""
    if problems:
        db.insert(
            "dq_issue",
            _DQ_COLUMNS,
            [
                (
                    source,
                    form_id,
                    lid,
                    p.rule,
                    p.severity,
                    p.field,
                    p.value,
                    None,
                    p.message,
                    run_id,
                    stamp,
                    None,
                )
                for lid, p in problems
            ],
        )


_by_logical_id = operator.itemgetter(2)
_by_version_key = operator.itemgetter(_RAW_COLUMNS.index("version_key"))
_by_row_id = operator.itemgetter(0)


def _new_versions(
    db: _Db, source: str, form_id: str, raw_rows: list[tuple[Any, ...]]
) -> list[tuple[Any, ...]]:
    """The raw rows whose version is not stored yet (a version is kept once, whatever re-sends it)."""
    unique: dict[str, tuple[Any, ...]] = {}
    for r in raw_rows:
        unique.setdefault(r[3], r)
    for found in _stored_versions(db, source, form_id, list(unique)).values():
        unique.pop(found[0], None)
    return list(unique.values())


def _stored_versions(
    db: _Db, source: str, form_id: str, instance_ids: Sequence[str], columns: str = ""
) -> dict[str, tuple[Any, ...]]:
    """The stored versions among these instance ids: instance id -> (instance_id, *columns), found by key."""
    found: dict[str, tuple[Any, ...]] = {}
    wanted = set(instance_ids)
    keys = [version_key(source, form_id, i) for i in instance_ids]
    extra = f", {columns}" if columns else ""
    for i in range(0, len(keys), CHUNK):
        condition, values = db.in_list("version_key", keys[i : i + CHUNK], "bigint")
        for row in db.query(
            f"SELECT instance_id{extra} FROM raw_submission WHERE {condition} AND source = {db.mark} "
            f"AND form_id = {db.mark}",
            [*values, source, form_id],
        ):
            if row[0] in wanted:  # a key two versions share: the instance id tells them apart
                found[row[0]] = row
    return found


def rederive_form(
    conn: Connection,
    tables: FormTables,
    *,
    at: datetime,
    batch: int = 2000,
    normaliser_rules: Sequence[str] = (),
) -> tuple[int, int]:
    """Rebuild a form's typed tables and data-quality problems from ``raw_submission`` + ``submission`` only.

    Every current version's raw JSON goes through the same compiled extractor as a sync, with the system
    values of the current row, in the caller's transaction (so a failed rebuild leaves the old tables).

    :param normaliser_rules: the data-quality rules to replace (other problems, e.g. purges, are kept).
    :returns: (submissions re-derived, problems found).
    """
    db = _Db(conn)
    pg = db.pg
    extractor = page_extractor(tables, pg)
    source, form_id = tables.source, tables.form_id
    for table in tables.sa_tables.values():
        table.create(conn, checkfirst=True)
        db.execute(f"DELETE FROM {_q(table.name)}")
    if normaliser_rules:
        condition, values = db.in_list("rule", list(normaliser_rules))
        db.execute(
            f"DELETE FROM dq_issue WHERE source = {db.mark} AND form_id = {db.mark} AND resolved_at IS NULL "
            f"AND {condition}",
            [source, form_id, *values],
        )
    stamp = _stamp(at, pg)
    done = found_total = 0
    after = ""
    while True:
        current = db.query(
            "SELECT s.logical_id, s.instance_id, s.submission_date, s.updated_at, s.deleted_at, s.review_state, "
            f"s.form_version, s.submitter_id FROM submission s WHERE s.source = {db.mark} AND s.form_id = "
            f"{db.mark} AND s.logical_id > {db.mark} ORDER BY s.logical_id LIMIT {int(batch)}",
            [source, form_id, after],
        )
        if not current:
            break
        payloads = _stored_versions(db, source, form_id, [r[1] for r in current], "payload")
        # a current row always has its version stored (they commit together); one without is reported, not guessed
        rows = [(*r, payloads[r[1]][1]) for r in current if r[1] in payloads]
        if len(rows) < len(current):
            log.error(
                "%s:%s: no raw version stored for %s; those submissions are left out of the rebuild",
                source, form_id, ", ".join(r[0] for r in current if r[1] not in payloads),
            )  # fmt: skip
        after = current[-1][0]
        outs: dict[str, list[tuple[Any, ...]]] = {rp: [] for rp in tables.tables}
        problems: list[tuple[str | None, Problem]] = []
        for logical_id, instance_id, *system, payload in rows:
            found: list[Problem] = []
            try:
                extractor.extract(json.loads(payload), (logical_id, instance_id, *system), outs, found)
            except Exception as exc:  # as in a sync: one odd submission is flagged, never fatal
                for rp in outs:
                    outs[rp] = [t for t in outs[rp] if (t[0] if rp == "" else t[1]) != logical_id]
                found = [Problem("NORMALISER_ERROR", "error", "", None, f"{type(exc).__name__}: {exc}"[:500])]
            problems.extend((logical_id, p) for p in found)
        for rp, trows in outs.items():
            if trows:
                trows.sort(key=_by_row_id)
                db.insert(tables.sa_tables[rp].name, extractor.columns[rp], trows)
        _insert_problems(db, source, form_id, problems, None, stamp)
        done += len(rows)
        found_total += len(problems)
    return done, found_total
