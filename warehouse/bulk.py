"""Bulk writes of plain tuples on the DBAPI connection, inside the caller's SQLAlchemy transaction.

A full recompute writes hundreds of thousands of rows; SQLAlchemy's per-row parameter handling (a dict per row,
compiled per batch) costs more than the database does. Here SQLite gets one ``executemany`` per statement and
PostgreSQL ``COPY`` for inserts and one statement over ``unnest``-ed array parameters for updates and deletes
(a single round trip and plan per batch instead of one per row).

Values go through each column type's bind processor first (dates and timestamps as SQLAlchemy stores them on
SQLite, so rows written here compare equal with rows written through SQLAlchemy).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from sqlalchemy import Connection, Table

from warehouse.db import quote_identifier as _q

_NOTHING = object()


def _processors(conn: Connection, table: Table, columns: Sequence[str]) -> list[Callable[[Any], Any] | None]:
    dialect = conn.dialect
    return [table.c[c].type.dialect_impl(dialect).bind_processor(dialect) for c in columns]


def _bound(
    conn: Connection, table: Table, columns: Sequence[str], rows: Iterable[Sequence[Any]]
) -> list[Any]:
    """The rows with each value as the driver should receive it (only the columns that need processing)."""
    steps = [(i, p) for i, p in enumerate(_processors(conn, table, columns)) if p is not None]
    if not steps:
        return [tuple(r) for r in rows]
    out = []
    # the last value of each processed column and its result: a batch often repeats one object in every row
    # (the recompute's computed_at), processed once instead of per row
    last: list[tuple[Any, Any]] = [(_NOTHING, None)] * len(steps)
    for row in rows:
        values = list(row)
        for k, (i, process) in enumerate(steps):
            value = values[i]
            seen, result = last[k]
            if value is not seen:
                result = process(value)
                last[k] = (value, result)
            values[i] = result
        out.append(values)
    return out


def _array_casts(conn: Connection, table: Table, columns: Sequence[str]) -> list[str]:
    # %b: each array travels in binary; in the text format psycopg quotes and escapes every element in Python,
    # which for a batch of assessments (JSON full of quotes) took longer than the update itself
    return [f"%b::{table.c[c].type.compile(conn.dialect)}[]" for c in columns]


def _columns(rows: list[Any], n: int) -> list[list[Any]]:
    return [[r[i] for r in rows] for i in range(n)]


def _run(conn: Connection, sql: str, params: Sequence[Any], many: bool = False) -> None:
    cur = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        if many:
            cur.executemany(sql, params)
        else:
            cur.execute(sql, params)
    finally:
        cur.close()


def insert_rows(
    conn: Connection, table: Table, columns: Sequence[str], rows: Sequence[Sequence[Any]]
) -> None:
    """Append rows (no conflict handling: the caller knows they are new)."""
    if rows:
        append_rows(conn, table.name, columns, _bound(conn, table, columns, rows))


def append_rows(conn: Connection, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """Append rows whose values the driver takes as they are (``executemany`` on SQLite, ``COPY`` on
    PostgreSQL); no conflict handling: the caller knows they are new."""
    if not rows:
        return
    names = ", ".join(_q(c) for c in columns)
    if conn.dialect.name != "postgresql":
        marks = ", ".join(["?"] * len(columns))
        _run(conn, f"INSERT INTO {_q(table)} ({names}) VALUES ({marks})", rows, many=True)
        return
    cur = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        with cur.copy(f"COPY {_q(table)} ({names}) FROM STDIN") as copy:
            write = copy.write_row
            for row in rows:
                write(row)
    finally:
        cur.close()


def update_rows(
    conn: Connection, table: Table, keys: Sequence[str], columns: Sequence[str], rows: Sequence[Sequence[Any]]
) -> None:
    """Set ``columns`` of the rows matching ``keys``; each row holds the new values, then the key values."""
    if not rows:
        return
    everything = [*columns, *keys]
    bound = _bound(conn, table, everything, rows)
    name = _q(table.name)
    if conn.dialect.name != "postgresql":
        sets = ", ".join(f"{_q(c)} = ?" for c in columns)
        where = " AND ".join(f"{_q(k)} = ?" for k in keys)
        _run(conn, f"UPDATE {name} SET {sets} WHERE {where}", bound, many=True)
        return
    alias = [f"v{i}" for i in range(len(everything))]
    sets = ", ".join(f"{_q(c)} = v.{a}" for c, a in zip(columns, alias, strict=False))
    where = " AND ".join(f"{name}.{_q(k)} = v.{a}" for k, a in zip(keys, alias[len(columns) :], strict=True))
    source = f"unnest({', '.join(_array_casts(conn, table, everything))}) AS v({', '.join(alias)})"
    _run(conn, f"UPDATE {name} SET {sets} FROM {source} WHERE {where}", _columns(bound, len(everything)))


def delete_rows(conn: Connection, table: Table, keys: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """Delete the rows matching each given tuple of ``keys`` values."""
    if not rows:
        return
    bound = _bound(conn, table, keys, rows)
    name = _q(table.name)
    if conn.dialect.name != "postgresql":
        where = " AND ".join(f"{_q(k)} = ?" for k in keys)
        _run(conn, f"DELETE FROM {name} WHERE {where}", bound, many=True)
        return
    alias = [f"v{i}" for i in range(len(keys))]
    where = " AND ".join(f"{name}.{_q(k)} = v.{a}" for k, a in zip(keys, alias, strict=True))
    source = f"unnest({', '.join(_array_casts(conn, table, keys))}) AS v({', '.join(alias)})"
    _run(conn, f"DELETE FROM {name} USING {source} WHERE {where}", _columns(bound, len(keys)))
