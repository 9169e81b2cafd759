"""Engine and session factory for SQLite (default) and PostgreSQL.

SQLite runs in WAL mode with a busy timeout, so the admin reads while the sync writes; write transactions
start with ``BEGIN IMMEDIATE`` so a read-then-write transaction waits for the lock instead of failing at once.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import ARRAY, ColumnElement, Connection, Engine, any_, bindparam, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

SQLITE_BUSY_TIMEOUT_MS = 30_000


def is_sqlite(engine_or_url: Engine | str) -> bool:
    """True when the engine (or URL) is SQLite."""
    url = engine_or_url.url if isinstance(engine_or_url, Engine) else make_url(engine_or_url)
    return url.get_backend_name() == "sqlite"


def sqlite_path(url: str) -> Path | None:
    """The database file of a SQLite URL, or None for an in-memory database or another backend."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return None
    return Path(parsed.database)


def make_engine(url: str, *, echo: bool = False) -> Engine:
    """Create the engine for a database URL, creating the folder of a SQLite file if needed."""
    if is_sqlite(url):
        path = sqlite_path(url)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, echo=echo, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})
        _configure_sqlite(engine)
        return engine
    return create_engine(url, echo=echo, pool_pre_ping=True)


def _configure_sqlite(engine: Engine) -> None:
    # pysqlite's own transaction handling emits no BEGIN; take control so every transaction is explicit
    # (SQLAlchemy docs, "Serializable isolation / Savepoints / Transactional DDL").
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: sqlite3.Connection, _record: object) -> None:
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn) -> None:  # type: ignore[no-untyped-def]
        mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """A session factory bound to the engine; sessions do not expire objects on commit."""
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def write_connection(engine: Engine) -> Iterator:
    """A connection in a write transaction (``BEGIN IMMEDIATE`` on SQLite), committed on success."""
    conn = engine.connect()
    if is_sqlite(engine):
        conn = conn.execution_options(sqlite_begin="IMMEDIATE")
    try:
        with conn.begin():
            yield conn
    finally:
        conn.close()


def as_date(value: Any) -> date | None:
    """A DATE value as a date: SQLite hands dates back as ISO text from raw and aggregate queries (PostgreSQL as
    dates); a timestamp gives its day; None stays None."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def quote_identifier(name: str) -> str:
    """A table or column name quoted for SQL text (SQLite and PostgreSQL both use double quotes)."""
    return '"' + name.replace('"', '""') + '"'


def id_in(conn: Connection, column: ColumnElement[Any], ids: Sequence[Any]) -> ColumnElement[bool]:
    """``column IN (ids)``; on PostgreSQL ``column = ANY(array)``: one parameter instead of one per id, so a batch
    of 1,000 ids is not rendered into the SQL, parsed by the driver and planned by the server for every query."""
    if conn.dialect.name == "postgresql":
        return column == any_(bindparam(None, list(ids), type_=ARRAY(column.type)))
    return column.in_(ids)


def driver_id_in(pg: bool, column: str, ids: Sequence[Any], sql_type: str = "") -> tuple[str, list[Any]]:
    """:func:`id_in` for SQL sent straight to the driver: (condition, parameters). On PostgreSQL one array
    parameter (cast to ``sql_type[]`` when given, for a non-text column), on SQLite one ``?`` per id.

    The array goes in binary (``%b``): in text, psycopg quotes and escapes every id in Python, which cost about
    3 % of a full recompute (its snapshot reads send the ids of 6,000 visits per batch)."""
    if pg:
        cast = f"::{sql_type}[]" if sql_type else ""
        return f"{column} = ANY(%b{cast})", [list(ids)]
    return f"{column} IN ({', '.join(['?'] * len(ids))})", list(ids)


def analyze_as_it_grows(
    conn: Connection, batch_number: int, tables: Iterable[str], *, every: int | None = None
) -> bool:
    """Refresh PostgreSQL's planner statistics after batches 1, 2, 4, 8, … of a bulk load, and after every
    ``every``-th batch if given (a no-op on SQLite).

    A table filled since its last ANALYZE looks empty or featureless to the planner, which then answers every
    ``id IN (…)`` lookup of the next batch with a full scan: quadratic over a first load of 50,000 KPM.
    Autovacuum analyzes late, or not at all where it is off. Doubling intervals keep the cost logarithmic; a
    fixed interval serves a load whose tables fill one after another (one that was empty at the last refresh
    is seen again soon).

    Only tables that grew by a fifth since their last ANALYZE are refreshed (file size against the size the
    statistics were taken at): a recompute that rewrites part of a full table (a new rule version) kept
    re-analyzing 360,000 assessments for nothing, about 1.5 s each time.

    :returns: whether statistics were refreshed.
    """
    if conn.dialect.name != "postgresql" or batch_number < 1:
        return False
    if batch_number & (batch_number - 1) and not (every and batch_number % every == 0):
        return False
    grown = [
        r.relname
        for r in conn.execute(
            text(
                "SELECT c.relname, c.relpages, pg_relation_size(c.oid) / current_setting('block_size')::int AS pages "
                "FROM pg_class c WHERE c.relname = ANY(:names) AND c.relkind = 'r' AND pg_table_is_visible(c.oid)"
            ),
            {"names": list(tables)},
        )
        if r.pages > 1.2 * max(r.relpages, 0) + 8
    ]
    if not grown:
        return False
    conn.exec_driver_sql("ANALYZE " + ", ".join(quote_identifier(t) for t in sorted(grown)))
    return True
