"""Load pages of submissions into the warehouse: raw versions, current rows, typed tables, problems.

Idempotent by construction: the logical id (Central ``__id``) decides insert or update, a version is stored
once per instanceID, and typed rows of a submission are replaced whole (repeat rows are positional) whenever a
new version arrives. The caller owns the transaction, so a page and the cursor can commit together.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, bindparam, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite

from warehouse.formtables import FormTables
from warehouse.models import ChangeQueue, DataQualityIssue, RawSubmission, Submission
from warehouse.normalise import Problem, typed_rows

log = logging.getLogger(__name__)

CHUNK = 500
#: The ``__system`` fields whose change (without a new version) updates the current row.
SYSTEM_FIELDS = (
    "updatedAt",
    "deletedAt",
    "reviewState",
    "edits",
    "attachmentsPresent",
    "attachmentsExpected",
    "submitterName",
    "deviceId",
)
_SYSTEM_COLUMNS = {
    "submissionDate": "submission_date",
    "updatedAt": "updated_at",
    "deletedAt": "deleted_at",
    "reviewState": "review_state",
    "edits": "edits",
    "submitterId": "submitter_id",
    "submitterName": "submitter_name",
    "deviceId": "device_id",
    "attachmentsPresent": "attachments_present",
    "attachmentsExpected": "attachments_expected",
    "formVersion": "form_version",
}


@dataclass(slots=True)
class PageResult:
    """What loading one page did (the ledger: fetched = inserted + updated + unchanged + quarantined)."""

    fetched: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    quarantined: int = 0
    max_server_time: str | None = None
    changed_ids: list[str] = field(default_factory=list)

    def add(self, other: PageResult) -> None:
        """Accumulate another page's counts."""
        self.fetched += other.fetched
        self.inserted += other.inserted
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.quarantined += other.quarantined
        self.max_server_time = max_time(self.max_server_time, other.max_server_time)
        self.changed_ids.extend(other.changed_ids)


def max_time(a: str | None, b: str | None) -> str | None:
    """The later of two server timestamps (ISO 8601 UTC strings of one format compare as text)."""
    if a is None:
        return b
    if b is None:
        return a
    return a if a >= b else b


def _dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def _system_values(system: dict[str, Any]) -> dict[str, Any]:
    values = {col: system.get(key) for key, col in _SYSTEM_COLUMNS.items()}
    if values["submitter_id"] is not None:
        values["submitter_id"] = str(values["submitter_id"])
    values["edits"] = int(values["edits"] or 0)
    return values


def _insert_ignore(conn: Connection, table: Any, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    if conn.dialect.name == "postgresql":
        stmt = postgresql.insert(table).on_conflict_do_nothing()
    else:
        stmt = sqlite.insert(table).on_conflict_do_nothing()
    conn.execute(stmt, rows)


def load_central_page(
    conn: Connection,
    tables: FormTables,
    rows: Sequence[dict[str, Any]],
    *,
    run_id: int | None,
    fetched_at: datetime,
) -> PageResult:
    """Load one page of Central OData rows (``$expand=*``) for one form, in the caller's transaction."""
    result = PageResult(fetched=len(rows))
    source, form_id = tables.source, tables.form_id
    sub = Submission.__table__
    by_id: dict[str, dict[str, Any]] = {}
    quarantined: list[tuple[dict[str, Any], str]] = []
    for row in rows:
        logical_id = row.get("__id") if isinstance(row, dict) else None
        if not isinstance(logical_id, str) or not logical_id:
            quarantined.append((row, "row without __id"))
            continue
        by_id[logical_id] = row  # a repeated id in one page: the later copy wins (same version)
    result.quarantined = len(quarantined)
    result.unchanged = len(rows) - len(quarantined) - len(by_id)  # an id repeated within the page

    existing: dict[str, Any] = {}
    ids = list(by_id)
    for i in range(0, len(ids), CHUNK):
        chunk = ids[i : i + CHUNK]
        for r in conn.execute(
            select(
                sub.c.logical_id,
                sub.c.instance_id,
                sub.c.updated_at,
                sub.c.deleted_at,
                sub.c.review_state,
                sub.c.edits,
                sub.c.attachments_present,
                sub.c.attachments_expected,
                sub.c.submitter_name,
                sub.c.device_id,
            ).where(sub.c.source == source, sub.c.form_id == form_id, sub.c.logical_id.in_(chunk))
        ):
            existing[r.logical_id] = r

    raw_rows: list[dict[str, Any]] = []
    new_subs: list[dict[str, Any]] = []
    data_updates: list[dict[str, Any]] = []
    system_updates: list[dict[str, Any]] = []
    typed: dict[str, list[dict[str, Any]]] = {rp: [] for rp in tables.tables}
    replace_ids: list[str] = []
    problems: list[tuple[str, Problem]] = []

    for logical_id, row in by_id.items():
        system = row.get("__system") or {}
        for key in ("submissionDate", "updatedAt", "deletedAt"):
            result.max_server_time = max_time(result.max_server_time, system.get(key))
        meta = row.get("meta")
        instance_id = (meta.get("instanceID") if isinstance(meta, dict) else None) or logical_id
        sysvals = _system_values(system)
        old = existing.get(logical_id)
        if old is not None and old.instance_id == instance_id:
            if _same_system(old, sysvals):
                result.unchanged += 1
                continue
            system_updates.append({"b_id": logical_id, **sysvals, "last_run_id": run_id})
            result.updated += 1
            result.changed_ids.append(logical_id)
            continue
        data = {k: v for k, v in row.items() if k != "__system" and not k.endswith("@odata.navigationLink")}
        payload = _dumps(data)
        sha = hashlib.sha256(payload.encode("utf-8")).hexdigest()
        raw_rows.append(
            {
                "source": source,
                "form_id": form_id,
                "logical_id": logical_id,
                "instance_id": instance_id,
                "payload_sha256": sha,
                "payload": payload,
                "system": _dumps(system),
                "form_version": system.get("formVersion"),
                "fetched_at": fetched_at,
                "sync_run_id": run_id,
            }
        )
        rows_by_table, found = typed_rows(tables, logical_id, data, system)
        for rp, trows in rows_by_table.items():
            typed[rp].extend(trows)
        problems.extend((logical_id, p) for p in found)
        common = {"instance_id": instance_id, "payload_sha256": sha, **sysvals, "last_run_id": run_id}
        if old is None:
            new_subs.append(
                {
                    "source": source,
                    "form_id": form_id,
                    "logical_id": logical_id,
                    "first_run_id": run_id,
                    **common,
                }
            )
            result.inserted += 1
        else:
            data_updates.append({"b_id": logical_id, **common})
            replace_ids.append(logical_id)
            result.updated += 1
        result.changed_ids.append(logical_id)

    _insert_ignore(conn, RawSubmission.__table__, raw_rows)
    if new_subs:
        conn.execute(sub.insert(), new_subs)
    key = and_(sub.c.source == source, sub.c.form_id == form_id, sub.c.logical_id == bindparam("b_id"))
    for batch in (data_updates, system_updates):
        if batch:
            cols = [k for k in batch[0] if k != "b_id"]
            conn.execute(update(sub).where(key).values({c: bindparam(c) for c in cols}), batch)
    # typed rows: system-only changes update the root row; new versions replace all rows of the submission
    root_table = tables.sa_tables[""]
    if system_updates:
        conn.execute(
            update(root_table)
            .where(root_table.c._id == bindparam("b_id"))
            .values(
                _updated_at=bindparam("updated_at"),
                _deleted_at=bindparam("deleted_at"),
                _review_state=bindparam("review_state"),
            ),
            [
                {
                    "b_id": u["b_id"],
                    "updated_at": u["updated_at"],
                    "deleted_at": u["deleted_at"],
                    "review_state": u["review_state"],
                }
                for u in system_updates
            ],
        )
    if replace_ids:
        _delete_typed(conn, tables, replace_ids)
        _delete_problems(conn, source, form_id, replace_ids)
    for rp, trows in typed.items():
        if trows:
            conn.execute(tables.sa_tables[rp].insert(), trows)
    _insert_problems(conn, source, form_id, problems, run_id, fetched_at)
    if result.changed_ids:
        conn.execute(
            ChangeQueue.__table__.insert(),
            [
                {"source": source, "form_id": form_id, "logical_id": lid, "sync_run_id": run_id}
                for lid in result.changed_ids
            ],
        )
    for row, reason in quarantined:
        _insert_problems(
            conn,
            source,
            form_id,
            [(None, Problem("NORMALISER_ERROR", "error", "__id", _dumps(row)[:200], reason))],
            run_id,
            fetched_at,
        )
    return result


def _same_system(old: Any, new: dict[str, Any]) -> bool:
    return (
        old.updated_at == new["updated_at"]
        and old.deleted_at == new["deleted_at"]
        and old.review_state == new["review_state"]
        and (old.edits or 0) == new["edits"]
        and old.attachments_present == new["attachments_present"]
        and old.attachments_expected == new["attachments_expected"]
        and old.submitter_name == new["submitter_name"]
        and old.device_id == new["device_id"]
    )


def _delete_typed(conn: Connection, tables: FormTables, logical_ids: list[str]) -> None:
    for i in range(0, len(logical_ids), CHUNK):
        chunk = logical_ids[i : i + CHUNK]
        for rp, table in tables.sa_tables.items():
            column = table.c._id if rp == "" else table.c._submission_id
            conn.execute(delete(table).where(column.in_(chunk)))


def _delete_problems(conn: Connection, source: str, form_id: str, logical_ids: list[str]) -> None:
    dq = DataQualityIssue.__table__
    for i in range(0, len(logical_ids), CHUNK):
        chunk = logical_ids[i : i + CHUNK]
        conn.execute(
            delete(dq).where(
                dq.c.source == source,
                dq.c.form_id == form_id,
                dq.c.logical_id.in_(chunk),
                dq.c.resolved_at.is_(None),
            )
        )


def _insert_problems(
    conn: Connection,
    source: str,
    form_id: str,
    problems: list[tuple[str | None, Problem]],
    run_id: int | None,
    at: datetime,
) -> None:
    if not problems:
        return
    conn.execute(
        DataQualityIssue.__table__.insert(),
        [
            {
                "source": source,
                "form_id": form_id,
                "logical_id": logical_id,
                "rule": p.rule,
                "severity": p.severity,
                "field": p.field,
                "value": p.value,
                "kode_wilayah": None,
                "message": p.message,
                "sync_run_id": run_id,
                "created_at": at,
                "resolved_at": None,
            }
            for logical_id, p in problems
        ],
    )
