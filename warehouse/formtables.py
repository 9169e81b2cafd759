"""Typed per-form tables generated from the form schema (the union of every version's fields).

A form gets one table for its root (``f_<form>``) and one per repeat (``f_<form>__<repeat>``). Each form field
feeds one column named after the field (its path joined with ``__`` only when the name is already taken), and a
column once given is never renamed, so moving a field into or out of a group keeps its column. Fields removed
from a newer version keep their column (older rows keep their values, newer ones hold NULL = "not asked").
The assignment of columns is recorded in ``form_field`` so every run, and ``sync rebuild``, sees the same tables.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Date,
    Float,
    Index,
    MetaData,
    String,
    Table,
    Text,
    inspect,
    select,
)
from sqlalchemy.sql.type_api import TypeEngine

from warehouse.models import FormField

log = logging.getLogger(__name__)

MAX_IDENTIFIER = 60  # PostgreSQL truncates identifiers at 63 bytes
GEO_PARTS = ("lat", "lon", "alt", "acc")

#: System columns of a root table (prefixed with ``_`` so they never clash with a form field).
ROOT_SYSTEM_COLUMNS = (
    "_id",
    "_instance_id",
    "_submission_date",
    "_updated_at",
    "_deleted_at",
    "_review_state",
    "_form_version",
    "_submitter_id",
)
#: System columns of a repeat table.
REPEAT_SYSTEM_COLUMNS = ("_id", "_submission_id", "_parent_id", "_position")


@dataclass(frozen=True, slots=True)
class SourceField:
    """One field as the server describes it (Central ``fields?odata=true``, or derived from a Kobo form)."""

    path: str  # "/kepala/nama_kepala"
    name: str
    type: str  # ODK type: string, int, decimal, date, dateTime, time, geopoint, structure, repeat, binary...
    select_multiple: bool = False
    binary: bool = False

    @classmethod
    def from_central(cls, item: dict[str, Any]) -> SourceField:
        """Build from one item of Central's ``GET …/fields?odata=true``."""
        return cls(
            path=item["path"],
            name=item["name"],
            type=item["type"],
            select_multiple=bool(item.get("selectMultiple")),
            binary=bool(item.get("binary")),
        )


@dataclass(slots=True)
class ColumnSpec:
    """A typed column fed by one form field (a geopoint feeds four: ``<col>_lat/_lon/_alt/_acc``)."""

    path: str
    name: str
    type: str
    column: str
    select_multiple: bool
    relative: tuple[str, ...]  # path segments below the table's row object


@dataclass(slots=True)
class TableSpec:
    """One typed table: the root of a form or one of its repeats."""

    name: str
    repeat_path: str  # "" for the root
    relative: tuple[str, ...]  # path segments of the repeat below its parent row ("" for root)
    parent_repeat: str | None  # repeat_path of the enclosing repeat table, None when the parent is the root
    columns: list[ColumnSpec] = field(default_factory=list)


@dataclass(slots=True)
class FormTables:
    """The typed tables of a form, ready to load into."""

    source: str
    form_id: str
    tables: dict[str, TableSpec]  # by repeat_path ("" = root)
    sa_tables: dict[str, Table]

    @property
    def root(self) -> TableSpec:
        return self.tables[""]

    def children_of(self, repeat_path: str) -> list[TableSpec]:
        """The repeat tables whose rows hang directly under rows of ``repeat_path``."""
        return [
            t
            for p, t in self.tables.items()
            if p and (t.parent_repeat or "") == repeat_path and p != repeat_path
        ]


def identifier(text: str) -> str:
    """A safe lower-case SQL identifier, shortened with a hash suffix when too long."""
    ident = re.sub(r"[^0-9a-zA-Z_]", "_", text).lower().strip("_") or "x"
    if ident[0].isdigit():
        ident = "f" + ident
    if len(ident) > MAX_IDENTIFIER:
        digest = hashlib.sha1(ident.encode()).hexdigest()[:8]
        ident = ident[: MAX_IDENTIFIER - 9] + "_" + digest
    return ident


def table_name(form_id: str, repeat_path: str = "") -> str:
    """Name of the typed table for a form's root or one of its repeats (by the repeat's path)."""
    base = "f_" + identifier(form_id)
    if not repeat_path:
        return base
    return identifier(base + "__" + "__".join(repeat_path.strip("/").split("/")))


def sql_type(odk_type: str) -> TypeEngine[Any]:
    """The column type for an ODK field type."""
    if odk_type == "int":
        return BigInteger()
    if odk_type == "decimal":
        return Float()
    if odk_type == "date":
        return Date()
    if odk_type in ("dateTime", "time"):
        return String(40)
    return Text()


def _repeat_of(path: str, repeat_paths: Sequence[str]) -> str:
    """The innermost repeat containing ``path`` ("" when it sits in the root)."""
    best = ""
    for rp in repeat_paths:
        if path.startswith(rp + "/") and len(rp) > len(best):
            best = rp
    return best


def plan_columns(
    source: str,
    form_id: str,
    fields: Sequence[SourceField],
    existing: Sequence[FormField],
) -> tuple[list[FormField], list[FormField]]:
    """Assign table and column to every data field, keeping earlier assignments.

    :returns: (all field rows for the form, the rows that are new).
    """
    known = {f.path: f for f in existing}
    repeat_paths = [f.path for f in fields if f.type == "repeat"] + [
        f.repeat_path for f in existing if f.repeat_path
    ]
    taken: dict[str, set[str]] = {}
    for f in existing:
        taken.setdefault(f.table_name, set()).add(f.column_name)
    current_paths = {f.path for f in fields}
    new_rows: list[FormField] = []
    position = max((f.position for f in existing), default=0)
    for f in fields:
        if f.type in ("structure", "repeat") or f.path in known:
            continue
        rp = _repeat_of(f.path, repeat_paths)
        tname = table_name(form_id, rp)
        cols = taken.setdefault(tname, set(ROOT_SYSTEM_COLUMNS if not rp else REPEAT_SYSTEM_COLUMNS))
        column = identifier(f.name)
        if column in cols or column.startswith("_"):
            column = identifier("__".join(f.path.strip("/").split("/")))
        base, n = column, 2
        while column in cols:
            column, n = f"{base}_{n}", n + 1
        cols.add(column)
        position += 1
        row = FormField(
            source=source,
            form_id=form_id,
            path=f.path,
            name=f.name,
            type=f.type,
            repeat_path=rp,
            table_name=tname,
            column_name=column,
            select_multiple=f.select_multiple,
            position=position,
            removed=False,
        )
        new_rows.append(row)
        known[f.path] = row
    for row in known.values():
        row.removed = row.path not in current_paths
    return sorted(known.values(), key=lambda r: r.position), new_rows


def build_form_tables(source: str, form_id: str, rows: Iterable[FormField]) -> FormTables:
    """SQLAlchemy tables (and their specs) from the recorded column assignments of a form."""
    rows = list(rows)
    repeat_paths = sorted({r.repeat_path for r in rows if r.repeat_path}, key=len)
    tables: dict[str, TableSpec] = {}
    root_name = table_name(form_id)
    tables[""] = TableSpec(name=root_name, repeat_path="", relative=(), parent_repeat=None)
    for rp in repeat_paths:
        parent = _repeat_of(rp, [p for p in repeat_paths if p != rp])
        rel_base = parent.strip("/").split("/") if parent else []
        segs = rp.strip("/").split("/")
        tables[rp] = TableSpec(
            name=table_name(form_id, rp),
            repeat_path=rp,
            relative=tuple(segs[len(rel_base) :]),
            parent_repeat=parent or None,
        )
    for r in rows:
        spec = tables[r.repeat_path]
        base = spec.repeat_path.strip("/").split("/") if spec.repeat_path else []
        segs = r.path.strip("/").split("/")
        spec.columns.append(
            ColumnSpec(
                path=r.path,
                name=r.name,
                type=r.type,
                column=r.column_name,
                select_multiple=r.select_multiple,
                relative=tuple(segs[len(base) :]),
            )
        )
    metadata = MetaData()
    sa_tables: dict[str, Table] = {}
    for rp, spec in tables.items():
        cols: list[Column[Any]] = []
        if rp == "":
            cols.append(Column("_id", String(128), primary_key=True))
            cols += [Column(c, String(128)) for c in ROOT_SYSTEM_COLUMNS[1:]]
        else:
            # a repeat row is written and read only with its submission's (replaced whole, by _submission_id):
            # no key of its own, so each row costs one random-key index insert, not two (tables created before
            # keep their key; both load the same)
            cols.append(Column("_id", String(128), nullable=False))
            cols.append(Column("_submission_id", String(128), nullable=False))
            cols.append(Column("_parent_id", String(128), nullable=False))
            cols.append(Column("_position", BigInteger, nullable=False))
        for c in spec.columns:
            if c.type == "geopoint":
                cols += [Column(f"{c.column}_{part}", Float()) for part in GEO_PARTS]
            else:
                cols.append(Column(c.column, sql_type(c.type)))
        table = Table(spec.name, metadata, *cols)
        if rp:
            Index(f"ix_{spec.name}_sub"[:MAX_IDENTIFIER], table.c._submission_id)
        sa_tables[rp] = table
    return FormTables(source=source, form_id=form_id, tables=tables, sa_tables=sa_tables)


def load_form_tables(conn: Connection, source: str, form_id: str) -> FormTables | None:
    """The typed tables recorded for a form, or None if it was never synced."""
    rows = _rows_to_fields(conn, source, form_id)
    if not rows:
        return None
    return build_form_tables(source, form_id, rows)


def _rows_to_fields(conn: Connection, source: str, form_id: str) -> list[FormField]:
    table = FormField.__table__
    result = conn.execute(select(table).where(table.c.source == source, table.c.form_id == form_id))
    return [FormField(**dict(r._mapping)) for r in result]


def ensure_form_tables(
    conn: Connection, source: str, form_id: str, fields: Sequence[SourceField], run_id: int | None = None
) -> FormTables:
    """Record new fields, create missing tables and add missing columns; return the form's tables.

    Runs in the caller's transaction (DDL is transactional on both SQLite and PostgreSQL).
    """
    existing = _rows_to_fields(conn, source, form_id)
    all_rows, new_rows = plan_columns(source, form_id, fields, existing)
    table = FormField.__table__
    for row in new_rows:
        values = {c.name: getattr(row, c.name) for c in table.columns}
        values["first_seen_run"] = run_id
        conn.execute(table.insert().values(**values))
    for row in all_rows:
        if row not in new_rows:
            conn.execute(
                table.update()
                .where(table.c.source == source, table.c.form_id == form_id, table.c.path == row.path)
                .values(removed=row.removed)
            )
    tables = build_form_tables(source, form_id, all_rows)
    inspector = inspect(conn)
    for sa_table in tables.sa_tables.values():
        if not inspector.has_table(sa_table.name):
            sa_table.create(conn)
            log.info("created table %s", sa_table.name)
            continue
        present = {c["name"] for c in inspector.get_columns(sa_table.name)}
        for column in sa_table.columns:
            if column.name not in present:
                ddl_type = column.type.compile(dialect=conn.dialect)
                conn.exec_driver_sql(f'ALTER TABLE "{sa_table.name}" ADD COLUMN "{column.name}" {ddl_type}')
                log.info("added column %s.%s (%s)", sa_table.name, column.name, ddl_type)
    return tables
