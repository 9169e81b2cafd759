"""Alembic migrations go up and down on SQLite and PostgreSQL, and the schema matches the models."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from warehouse.db import make_engine
from warehouse.migrate import current_revision, downgrade, head_revision, upgrade
from warehouse.models import Base


def test_migrations__up_down_up__schema_matches_models(db_url: str) -> None:
    """Should reach head, go back to an empty database, come up again, and leave no model/schema drift."""
    eng = make_engine(db_url)
    try:
        upgrade(eng)
        assert current_revision(eng) == head_revision()
        downgrade(eng, "base")
        assert current_revision(eng) is None
        assert set(inspect(eng).get_table_names()) <= {"alembic_version"}
        upgrade(eng)
        with eng.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
        assert diff == []
    finally:
        eng.dispose()


def test_migration_0004__existing_raw_versions_keyed_and_found(db_url: str) -> None:
    """Versions stored before 0004 get their key, so the loader finds them after the upgrade."""
    from datetime import datetime

    from sqlalchemy import text

    from warehouse.prepare import version_key

    eng = make_engine(db_url)
    try:
        upgrade(eng, "0003")
        with eng.begin() as conn:
            for i in range(7):
                conn.execute(
                    text(
                        "INSERT INTO raw_submission (source, form_id, logical_id, instance_id, payload_sha256, "
                        "payload, fetched_at) VALUES ('central', 'f', :l, :i, 'x', '{}', :t)"
                    ),
                    {"l": f"uuid:{i}", "i": f"uuid:{i}-v2", "t": datetime(2026, 11, 28)},
                )
        upgrade(eng)
        with eng.connect() as conn:
            rows = conn.execute(
                text("SELECT source, form_id, instance_id, version_key FROM raw_submission")
            ).all()
        assert len(rows) == 7
        assert all(r.version_key == version_key(r.source, r.form_id, r.instance_id) for r in rows)
        downgrade(eng, "0003")
        with eng.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM raw_submission")).scalar_one() == 7
    finally:
        downgrade(eng, "base")
        eng.dispose()
