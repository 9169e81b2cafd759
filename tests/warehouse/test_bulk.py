"""Bulk writes: values go through each column type's bind processor exactly as SQLAlchemy would send them."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, select

from warehouse.bulk import _bound, insert_rows
from warehouse.models import Asesmen
from warehouse.recompute import WRITTEN_COLUMNS


def _row(i: int, now: datetime) -> tuple:
    values = {
        "id_kpm": f"K{i:04d}",
        "tanggal": date(2019, 1, 1) + timedelta(days=i % 3),
        "rule_version": "v2019",
        "rasio_gk": None if i % 4 == 0 else 0.5 + i,
        "status": "data_kurang",
        "kriteria_json": "{}",
        "computed_at": now if i % 5 else datetime(2020, 1, 2, 3, 4, 5, 6),  # one object repeated, and others
    }
    return tuple(values.get(c) for c in WRITTEN_COLUMNS)


def test_bound__repeated_objects__same_as_processing_every_value(tmp_path: Path) -> None:
    """Should give, row by row, what the column's bind processor gives for each value, whether a value object
    repeats from the previous row or not; rows read back equal the rows written."""
    engine = create_engine(f"sqlite:///{tmp_path / 'bulk.db'}")
    Asesmen.__table__.create(engine)
    now = datetime(2026, 11, 28, 14, 0, 0, 123456)
    rows = [_row(i, now) for i in range(40)]
    with engine.begin() as conn:
        table = Asesmen.__table__
        processors = [
            table.c[c].type.dialect_impl(conn.dialect).bind_processor(conn.dialect) for c in WRITTEN_COLUMNS
        ]
        expected = [[p(v) if p else v for p, v in zip(processors, row, strict=True)] for row in rows]
        assert _bound(conn, table, WRITTEN_COLUMNS, rows) == expected
        insert_rows(conn, table, WRITTEN_COLUMNS, rows)
    with engine.connect() as conn:
        got = [
            tuple(r)
            for r in conn.execute(
                select(*(Asesmen.__table__.c[c] for c in WRITTEN_COLUMNS)).order_by("id_kpm")
            )
        ]
    assert got == rows
