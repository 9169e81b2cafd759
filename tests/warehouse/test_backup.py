"""A37: backup and restore round-trip with identical counts and hashes; a truncated or altered backup is refused."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, text

from graduasi.cli import main
from tests.conftest import create_pg_database, drop_pg_database
from warehouse.backup import BackupError, backup, manifest_path, restore, verify_file
from warehouse.db import make_engine, write_connection
from warehouse.migrate import upgrade

pytestmark = pytest.mark.timeout(120)


def fill(engine: Engine) -> None:
    """Some rows with awkward values: text with quotes and emoji, NULLs, dates, floats."""
    with write_connection(engine) as conn:
        conn.execute(
            text(
                "INSERT INTO wilayah (kode, tingkat, nama, kode_induk) VALUES "
                "('36', 'provinsi', 'Banten', NULL), ('36.01', 'kabupaten', 'Pandeglang ''Kab'' 🌸', '36')"
            )
        )
        for i, name in enumerate(["Siti", None]):
            conn.execute(
                text(
                    "INSERT INTO submission (source, form_id, logical_id, instance_id, payload_sha256, edits, "
                    "submission_date, review_state) VALUES ('central', 'f', :i, :i, 'x', 0, :d, :r)"
                ),
                {"i": f"uuid:{i}", "d": "2019-02-01T01:00:00.000Z", "r": name},
            )
        conn.execute(
            text(
                "INSERT INTO sync_run (source, form_id, started_at, status, fetched, inserted, updated, unchanged, "
                "quarantined, requests) VALUES ('central', 'f', '2019-02-01 01:00:00.000000', 'ok', 2, 2, 0, 0, 0, 3)"
            )
        )
        conn.execute(
            text(
                "INSERT INTO sync_state (source, form_id, cursor, etag) VALUES ('central', 'f', "
                "'2019-02-01T01:00:00.000Z', 'W/\"x\"')"
            )
        )


@pytest.fixture
def second_url(db_url: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    """An empty database of the same backend to restore into."""
    if db_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'restored.db'}"
        return
    url = create_pg_database()
    try:
        yield url
    finally:
        drop_pg_database(url)


def test_backup_restore__round_trip__identical_counts_and_hashes(
    engine: Engine, second_url: str, tmp_path: Path
) -> None:
    """Should restore every table with the same row counts and row hashes as the manifest."""
    fill(engine)
    target = tmp_path / "cadangan.bak"
    manifest = backup(engine, target)
    assert manifest.tables["submission"].rows == 2 and manifest.tables["wilayah"].rows == 2
    assert manifest_path(target).exists() and verify_file(target).file_sha256 == manifest.file_sha256
    restored = make_engine(second_url)
    try:
        again = restore(restored, target)
        assert again.tables == manifest.tables
        with restored.connect() as conn:
            assert conn.execute(text("SELECT nama FROM wilayah WHERE kode = '36.01'")).scalar_one() == (
                "Pandeglang 'Kab' 🌸"
            )
        upgrade(restored)  # the restored schema is at the newest revision already
    finally:
        restored.dispose()


def test_restore__truncated_backup__refused_before_anything_changes(
    engine: Engine, second_url: str, tmp_path: Path
) -> None:
    """A backup cut short (like an aborted stream) is detected and nothing is restored."""
    fill(engine)
    target = tmp_path / "cadangan.bak"
    backup(engine, target)
    size = target.stat().st_size
    with target.open("r+b") as fh:
        fh.truncate(size // 2)
    restored = make_engine(second_url)
    try:
        with pytest.raises(BackupError, match="truncated"):
            restore(restored, target)
        with restored.connect() as conn:
            tables = conn.dialect.get_table_names(conn)
        assert tables == []
    finally:
        restored.dispose()


def test_restore__altered_backup_or_no_manifest__refused(engine: Engine, tmp_path: Path) -> None:
    fill(engine)
    target = tmp_path / "cadangan.bak"
    backup(engine, target)
    with target.open("r+b") as fh:
        fh.seek(target.stat().st_size // 2)
        fh.write(b"\x00\x01\x02")
    with pytest.raises(BackupError, match="altered or damaged"):
        verify_file(target)
    os.remove(manifest_path(target))
    with pytest.raises(BackupError, match="manifest"):
        verify_file(target)


def test_restore__into_a_database_with_tables__needs_replace(engine: Engine, tmp_path: Path) -> None:
    """Restoring over a live warehouse needs --replace; with it, the backup's state comes back exactly."""
    fill(engine)
    target = tmp_path / "cadangan.bak"
    manifest = backup(engine, target)
    with write_connection(engine) as conn:
        conn.execute(text("DELETE FROM submission"))
    with pytest.raises(BackupError, match="--replace"):
        restore(engine, target)
    assert restore(engine, target, replace=True).tables == manifest.tables
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM submission")).scalar_one() == 2


def test_db_backup_restore_cli__truncated__non_zero_exit_clear_message(
    engine: Engine, db_url: str, second_url: str, tmp_path: Path
) -> None:
    """`graduasi db backup` / `db verify` / `db restore`: exit 0 on a good copy, 1 and a message on a cut one."""
    fill(engine)
    engine.dispose()
    target = tmp_path / "cli.bak"
    runner = CliRunner()
    made = runner.invoke(main, ["db", "backup", str(target)], env={"GRADUASI_DATABASE_URL": db_url})
    assert made.exit_code == 0, made.output
    assert "backup written" in made.output
    ok = runner.invoke(main, ["db", "verify", str(target)], env={"GRADUASI_DATABASE_URL": db_url})
    assert ok.exit_code == 0 and "intact" in ok.output
    with target.open("r+b") as fh:
        fh.truncate(target.stat().st_size - 100)
    cut = runner.invoke(main, ["db", "restore", str(target)], env={"GRADUASI_DATABASE_URL": second_url})
    assert cut.exit_code == 1
    assert "truncated" in cut.output
