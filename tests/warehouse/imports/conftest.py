"""Fixtures of the import tests: a migrated database (SQLite and PostgreSQL) with the regions loaded, and one
that also holds the planted list's pendamping roster and earlier KPM."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine

from tests.warehouse.imports import planted
from tests.warehouse.imports.support import write_csv
from warehouse.imports import import_kpm, import_pendamping
from warehouse.regions import load_wilayah


@pytest.fixture
def wh(engine: Engine) -> Engine:
    """The migrated warehouse (both backends) with the Banten regions loaded."""
    load_wilayah(engine)
    return engine


@pytest.fixture
def seeded(wh: Engine, tmp_path: Path) -> Engine:
    """The warehouse with the planted roster and the KPM stored before the planted list."""
    folder = tmp_path / "seed"
    folder.mkdir()
    roster = write_csv(folder / "pendamping.csv", planted.PENDAMPING_HEADER, planted.PENDAMPING)
    import_pendamping(wh, roster, actor="test", today=planted.TODAY)
    earlier = write_csv(folder / "earlier.csv", planted.HEADER, planted.EARLIER)
    import_kpm(wh, earlier, actor="test", today=planted.TODAY)
    return wh
