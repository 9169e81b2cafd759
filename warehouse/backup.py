"""Backup and restore of the warehouse, verified: a copy that cannot be shown to be whole is refused.

A backup is two files: the copy itself (SQLite: a database file made with SQLite's online backup API, so the
admin and the sync may keep running; PostgreSQL: a ``pg_dump`` custom-format archive) and a manifest beside it
(``<file>.manifest.json``) with the copy's size and SHA-256 and, per table, the row count and a hash of every
row in key order, computed from the very snapshot that was copied. Restoring checks the size and hash first (a
truncated or altered copy is refused before anything is touched), restores, then recomputes every table's
count and hash and compares them with the manifest (reliability.md A37).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import sqlite3
import subprocess
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.engine import URL, make_url

from warehouse.db import is_sqlite, sqlite_path
from warehouse.db import quote_identifier as _q

log = logging.getLogger(__name__)

MANIFEST_SUFFIX = ".manifest.json"
FORMAT_VERSION = 1


class BackupError(Exception):
    """A backup or restore that cannot be trusted; the message says what is wrong and what to do."""


@dataclass(frozen=True, slots=True)
class TableDigest:
    """Row count and SHA-256 over every row (in key order) of one table."""

    rows: int
    sha256: str


@dataclass(slots=True)
class Manifest:
    """What a backup file must contain, written beside it."""

    backend: str  # sqlite | postgresql
    created_at: str
    file_name: str
    file_bytes: int
    file_sha256: str
    tables: dict[str, TableDigest] = field(default_factory=dict)
    format_version: int = FORMAT_VERSION

    @property
    def total_rows(self) -> int:
        return sum(t.rows for t in self.tables.values())

    def write(self, path: Path) -> None:
        data = asdict(self)
        _atomic_write(path, json.dumps(data, indent=2, sort_keys=True).encode("utf-8"))

    @classmethod
    def read(cls, path: Path) -> Manifest:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            tables = {name: TableDigest(**value) for name, value in data.pop("tables").items()}
            return cls(tables=tables, **data)
        except FileNotFoundError:
            raise BackupError(
                f"{path} is missing: a backup is the file plus its manifest (made by 'graduasi db backup'); "
                "without the manifest the copy cannot be verified"
            ) from None
        except (ValueError, TypeError, KeyError) as exc:
            raise BackupError(f"{path} is not a backup manifest ({exc})") from None


def manifest_path(backup_file: Path) -> Path:
    """Where the manifest of a backup file lives."""
    return backup_file.with_name(backup_file.name + MANIFEST_SUFFIX)


# --- digests --------------------------------------------------------------------------------------------------


def _canon(value: Any) -> str:
    if value is None:
        return "\x00"
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).hex()
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def digest_rows(rows: Iterable[tuple[Any, ...]]) -> TableDigest:
    """Count and hash rows (already in key order)."""
    h = hashlib.sha256()
    n = 0
    for row in rows:
        h.update("\x1f".join(_canon(v) for v in row).encode("utf-8", "surrogatepass"))
        h.update(b"\x1e")
        n += 1
    return TableDigest(n, h.hexdigest())


def _sqlite_tables(conn: sqlite3.Connection) -> dict[str, list[str]]:
    """Table -> its ordering columns (primary key, else every column)."""
    names = [
        r[0]
        for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
        )
    ]
    out = {}
    for name in names:
        info = conn.execute(f"PRAGMA table_info({_q(name)})").fetchall()
        pk = [r[1] for r in sorted(info, key=lambda r: r[5]) if r[5]]
        out[name] = pk or [r[1] for r in info]
    return out


def sqlite_digest(conn: sqlite3.Connection) -> dict[str, TableDigest]:
    """Per table of a SQLite database: row count and hash in key order."""
    out = {}
    for name, order in _sqlite_tables(conn).items():
        cursor = conn.execute(f"SELECT * FROM {_q(name)} ORDER BY {', '.join(_q(c) for c in order)}")
        out[name] = digest_rows(_iter_cursor(cursor))
    return out


def _iter_cursor(cursor: Any, size: int = 5000) -> Iterator[tuple[Any, ...]]:
    while True:
        batch = cursor.fetchmany(size)
        if not batch:
            return
        yield from batch


def pg_digest(conn: Any) -> dict[str, TableDigest]:
    """Per table of the public schema of a PostgreSQL database (a psycopg connection): count and hash."""
    tables = [
        r[0]
        for r in conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename COLLATE \"C\""
        )
    ]
    out = {}
    for name in tables:
        pk = [
            r[0]
            for r in conn.execute(
                "SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid "
                "AND a.attnum = ANY(i.indkey) WHERE i.indrelid = %s::regclass AND i.indisprimary "
                "ORDER BY array_position(i.indkey, a.attnum)",
                (_q(name),),
            )
        ]
        if not pk:
            pk = [
                r[0]
                for r in conn.execute(
                    "SELECT column_name FROM information_schema.columns WHERE table_schema = 'public' "
                    "AND table_name = %s ORDER BY ordinal_position",
                    (name,),
                )
            ]
        order = ", ".join(f'{_q(c)} COLLATE "C"' if _is_text(conn, name, c) else _q(c) for c in pk)
        with conn.cursor(name=f"digest_{abs(hash(name))}") as cursor:
            cursor.itersize = 5000
            cursor.execute(f"SELECT * FROM {_q(name)} ORDER BY {order}")
            out[name] = digest_rows(cursor)
    return out


def _is_text(conn: Any, table: str, column: str) -> bool:
    row = conn.execute(
        "SELECT data_type FROM information_schema.columns WHERE table_schema = 'public' AND table_name = %s "
        "AND column_name = %s",
        (table, column),
    ).fetchone()
    return bool(row) and row[0] in ("text", "character varying", "character")


def _compare(expected: dict[str, TableDigest], actual: dict[str, TableDigest]) -> list[str]:
    problems = []
    for name in sorted(set(expected) | set(actual)):
        want, got = expected.get(name), actual.get(name)
        if want is None:
            problems.append(f"table {name} is not in the backup")
        elif got is None:
            problems.append(f"table {name} ({want.rows} rows) is missing")
        elif want.rows != got.rows:
            problems.append(f"table {name}: {got.rows} rows, the backup had {want.rows}")
        elif want.sha256 != got.sha256:
            problems.append(f"table {name}: the rows differ from the backup (hash mismatch)")
    return problems


# --- files ----------------------------------------------------------------------------------------------------


def file_sha256(path: Path) -> str:
    """SHA-256 of a file, read in 1 MB blocks."""
    h = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(1 << 20):
            h.update(block)
    return h.hexdigest()


def _atomic_write(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    with tmp.open("wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def _fsync(path: Path) -> None:
    with path.open("rb") as fh:
        os.fsync(fh.fileno())


def verify_file(backup_file: Path) -> Manifest:
    """Check a backup file against its manifest (size and SHA-256); nothing is restored.

    :raises BackupError: when the manifest is missing or the file is shorter, longer or different.
    """
    manifest = Manifest.read(manifest_path(backup_file))
    if not backup_file.is_file():
        raise BackupError(f"{backup_file} does not exist")
    size = backup_file.stat().st_size
    if size != manifest.file_bytes:
        what = "truncated" if size < manifest.file_bytes else "longer than it was"
        raise BackupError(
            f"{backup_file} is {what}: {size:,} bytes, the backup wrote {manifest.file_bytes:,}; "
            "use another copy of the backup"
        )
    if file_sha256(backup_file) != manifest.file_sha256:
        raise BackupError(
            f"{backup_file} was altered or damaged (SHA-256 mismatch); use another copy of the backup"
        )
    return manifest


# --- backup ---------------------------------------------------------------------------------------------------


def backup(engine: Engine, target: Path) -> Manifest:
    """Copy the warehouse to ``target`` (and its manifest beside it), verified.

    :raises BackupError: when the copy cannot be made or does not check out.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    if is_sqlite(engine):
        return _backup_sqlite(engine, target)
    return _backup_pg(engine, target)


def _backup_sqlite(engine: Engine, target: Path) -> Manifest:
    source = sqlite_path(engine.url.render_as_string(hide_password=False))
    if source is None or not source.exists():
        raise BackupError(f"the SQLite database {source} does not exist (GRADUASI_DATABASE_URL)")
    tmp = target.with_name(f".{target.name}.partial")
    tmp.unlink(missing_ok=True)
    try:
        src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30)
        dst = sqlite3.connect(tmp)
        try:
            src.backup(dst, pages=4096)  # online: other connections keep reading and writing meanwhile
            dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
            ok = dst.execute("PRAGMA integrity_check").fetchone()[0]
            if ok != "ok":
                raise BackupError(f"the copy of {source} fails SQLite's integrity check: {ok}")
            tables = sqlite_digest(dst)
        finally:
            dst.close()
            src.close()
        manifest = _publish(tmp, target, "sqlite", tables)
    except sqlite3.Error as exc:
        raise BackupError(f"cannot back up {source}: {exc}") from None
    finally:
        tmp.unlink(missing_ok=True)
    log.info(
        "backup of %s: %d tables, %d rows -> %s", source, len(manifest.tables), manifest.total_rows, target
    )
    return manifest


def _publish(tmp: Path, target: Path, backend: str, tables: dict[str, TableDigest]) -> Manifest:
    """Make a finished copy durable, move it into place and write its manifest beside it."""
    _fsync(tmp)
    manifest = Manifest(
        backend=backend,
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        file_name=target.name,
        file_bytes=tmp.stat().st_size,
        file_sha256=file_sha256(tmp),
        tables=tables,
    )
    os.replace(tmp, target)
    manifest.write(manifest_path(target))
    return manifest


def _pg_env(url: URL) -> tuple[list[str], dict[str, str]]:
    """Connection arguments for the PostgreSQL client tools (the password goes in the environment only)."""
    args = []
    if url.host:
        args += ["--host", url.host]
    if url.port:
        args += ["--port", str(url.port)]
    if url.username:
        args += ["--username", url.username]
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    return args, env


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(
            f"{name} is not installed: install the PostgreSQL client tools (Debian: postgresql-client)"
        )
    return path


def _psycopg_url(url: URL) -> str:
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def _run_tool(cmd: list[str], env: dict[str, str], what: str) -> None:
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        detail = (done.stderr or done.stdout).strip().splitlines()
        raise BackupError(f"{what} failed: {' '.join(detail[-3:]) or f'exit code {done.returncode}'}")


def _backup_pg(engine: Engine, target: Path) -> Manifest:
    import psycopg

    url = make_url(engine.url.render_as_string(hide_password=False))
    args, env = _pg_env(url)
    pg_dump = _tool("pg_dump")
    tmp = target.with_name(f".{target.name}.partial")
    tmp.unlink(missing_ok=True)
    try:
        with psycopg.connect(_psycopg_url(url)) as conn:
            # one snapshot for the dump and the digests: what the manifest describes is what the file holds
            conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            snapshot = conn.execute("SELECT pg_export_snapshot()").fetchone()[0]  # type: ignore[index]
            _run_tool(
                [
                    pg_dump,
                    *args,
                    "--format=custom",
                    "--no-owner",
                    f"--snapshot={snapshot}",
                    f"--file={tmp}",
                    str(url.database),
                ],  # fmt: skip
                env,
                "pg_dump",
            )
            tables = pg_digest(conn)
            conn.rollback()
        manifest = _publish(tmp, target, "postgresql", tables)
    except psycopg.Error as exc:
        raise BackupError(f"cannot back up database {url.database}: {exc}") from None
    finally:
        tmp.unlink(missing_ok=True)
    log.info(
        "backup of %s: %d tables, %d rows -> %s",
        url.database,
        len(manifest.tables),
        manifest.total_rows,
        target,
    )
    return manifest


# --- restore --------------------------------------------------------------------------------------------------


def restore(engine: Engine, source: Path, *, replace: bool = False) -> Manifest:
    """Restore a verified backup into the warehouse, then check every table against the manifest.

    :param replace: overwrite a database that already holds tables (otherwise that is refused).
    :raises BackupError: when the backup is damaged, the target is not empty, or the result differs.
    """
    source = Path(source)
    manifest = verify_file(source)
    backend = "sqlite" if is_sqlite(engine) else "postgresql"
    if manifest.backend != backend:
        raise BackupError(
            f"{source} is a {manifest.backend} backup; GRADUASI_DATABASE_URL points at {backend}: restore it "
            f"into a {manifest.backend} database"
        )
    engine.dispose()  # no pooled connection of ours may hold the database while it is replaced
    if backend == "sqlite":
        actual = _restore_sqlite(engine, source, replace)
    else:
        actual = _restore_pg(engine, source, replace)
    problems = _compare(manifest.tables, actual)
    if problems:
        raise BackupError("the restored database differs from the backup: " + "; ".join(problems[:10]))
    log.info("restored %s: %d tables, %d rows, all verified", source, len(actual), manifest.total_rows)
    return manifest


def _restore_sqlite(engine: Engine, source: Path, replace: bool) -> dict[str, TableDigest]:
    target = sqlite_path(engine.url.render_as_string(hide_password=False))
    if target is None:
        raise BackupError("restore needs a file SQLite database in GRADUASI_DATABASE_URL")
    try:
        src = sqlite3.connect(f"file:{source}?mode=ro&immutable=1", uri=True)
        try:
            ok = src.execute("PRAGMA integrity_check").fetchone()[0]
            if ok != "ok":
                raise BackupError(f"{source} fails SQLite's integrity check: {ok}")
            target.parent.mkdir(parents=True, exist_ok=True)
            dst = sqlite3.connect(target, timeout=30)
            try:
                existing = _sqlite_tables(dst)
                if existing and not replace:
                    raise BackupError(
                        f"{target} already holds {len(existing)} tables: stop the admin and the sync, then run "
                        "the restore again with --replace to overwrite it"
                    )
                src.backup(dst)
                dst.execute("PRAGMA journal_mode=WAL")
                return sqlite_digest(dst)
            finally:
                dst.close()
        finally:
            src.close()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{source} is not a usable SQLite backup: {exc}") from None


def _restore_pg(engine: Engine, source: Path, replace: bool) -> dict[str, TableDigest]:
    import psycopg

    url = make_url(engine.url.render_as_string(hide_password=False))
    args, env = _pg_env(url)
    pg_restore = _tool("pg_restore")
    _run_tool([pg_restore, "--list", str(source)], env, f"reading {source} (pg_restore --list)")
    try:
        with psycopg.connect(_psycopg_url(url), autocommit=True) as conn:
            count = conn.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").fetchone()[0]  # type: ignore[index]
            if count and not replace:
                raise BackupError(
                    f"database {url.database} already holds {count} tables: stop the admin and the sync, then run "
                    "the restore again with --replace to overwrite it"
                )
            if count:
                conn.execute("DROP SCHEMA public CASCADE")
                conn.execute("CREATE SCHEMA public")
        _run_tool(
            [
                pg_restore,
                *args,
                "--no-owner",
                "--exit-on-error",
                "--single-transaction",
                f"--dbname={url.database}",
                str(source),
            ],  # fmt: skip
            env,
            "pg_restore",
        )
        with psycopg.connect(_psycopg_url(url)) as conn:
            conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            return pg_digest(conn)
    except psycopg.Error as exc:
        raise BackupError(f"cannot restore into database {url.database}: {exc}") from None
