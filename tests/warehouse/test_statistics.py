"""Planner statistics during bulk loads: refreshed after batches 1, 2, 4, 8, … on PostgreSQL only."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine, text

from warehouse.db import analyze_as_it_grows
from warehouse.models import RecomputeQueue


def test_analyze_as_it_grows__powers_of_two__statistics_seen_by_the_planner(engine: Engine) -> None:
    """Should ANALYZE on batches 1, 2, 4, 8 only, and only on PostgreSQL, so that the planner knows the rows."""
    with engine.begin() as conn:
        conn.execute(
            RecomputeQueue.__table__.insert(),
            [{"id_kpm": f"3601-{i:06d}", "queued_at": datetime(2020, 1, 1)} for i in range(2000)],
        )
    pg = engine.dialect.name == "postgresql"
    with engine.begin() as conn:
        done = [n for n in range(0, 30) if analyze_as_it_grows(conn, n, ["recompute_queue"])]
        also = [n for n in range(0, 30) if analyze_as_it_grows(conn, n, ["recompute_queue"], every=10)]
    assert done == ([1, 2, 4, 8, 16] if pg else [])
    assert also == ([1, 2, 4, 8, 10, 16, 20] if pg else [])
    if pg:
        with engine.connect() as conn:
            reltuples = conn.execute(
                text("SELECT reltuples FROM pg_class WHERE relname = 'recompute_queue'")
            ).scalar_one()
            plan = " ".join(
                r[0]
                for r in conn.execute(
                    text(
                        "EXPLAIN SELECT * FROM recompute_queue WHERE id_kpm IN ('3601-000001', '3601-000002')"
                    )
                )
            )
        assert reltuples == 2000
        assert "Index" in plan, plan
