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
