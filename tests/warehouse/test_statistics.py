"""Planner statistics during bulk loads: refreshed after batches 1, 2, 4, 8, … on PostgreSQL only."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine, text

from warehouse.db import analyze_as_it_grows
from warehouse.models import RecomputeQueue


def _queue(engine: Engine, start: int, n: int) -> None:
    with engine.begin() as conn:
        conn.execute(
            RecomputeQueue.__table__.insert(),
            [{"id_kpm": f"3601-{i:06d}", "queued_at": datetime(2020, 1, 1)} for i in range(start, start + n)],
        )


def test_analyze_as_it_grows__powers_of_two__statistics_seen_by_the_planner(engine: Engine) -> None:
    """Should ANALYZE on batches 1, 2, 4, 8, … (and every n-th when asked) once the table grew by a fifth since
    its statistics, only on PostgreSQL, so that the planner knows the rows; a table that did not grow is left."""
    _queue(engine, 0, 2000)
    pg = engine.dialect.name == "postgresql"
    with engine.begin() as conn:
        done = [n for n in range(0, 30) if analyze_as_it_grows(conn, n, ["recompute_queue"])]
    assert done == ([1] if pg else [])  # after batch 1 the statistics are current: nothing grew since
    _queue(engine, 2000, 2000)
    with engine.begin() as conn:
        also = [n for n in range(30, 45) if analyze_as_it_grows(conn, n, ["recompute_queue"], every=10)]
        again = [n for n in range(45, 70) if analyze_as_it_grows(conn, n, ["recompute_queue"])]
    assert also == ([30] if pg else [])  # due at 30 (every 10th) and grew: analyzed; at 32 and 40: no growth
    assert again == []
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
        assert reltuples == 4000
        assert "Index" in plan, plan
