"""Recompute graduation assessments for the KPM whose inputs changed, then refresh what depends on them.

The domain derivation queues every KPM it touches (``recompute_queue``). Draining the queue rebuilds, per KPM,
its snapshots (registration and each visit), assesses each with the rule version in force on that date, applies
the confirmation window, and writes the ``asesmen`` rows — only those whose result changed, so a rule change
rewrites exactly the assessments it affects and every other row keeps the rule version it was made with. The
latest assessment is copied onto the KPM (category, status, last visit), disbursements are re-checked, and the
queue entries are removed in the same transaction.

Rule versions are immutable once stored: a workbook whose content changed under an existing version is refused
with a message telling staff to give it a new version and effective date.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, delete, func, select, update

from forms.rules import RULES_DIR, RuleSet, load_rule_sets, rules_for_date, ruleset_to_json
from warehouse.db import write_connection
from warehouse.graduation import asesmen_values, assess, build_snapshots, status_history
from warehouse.models import Asesmen, Kpm, Penugasan, RecomputeQueue
from warehouse.models import RuleSet as RuleSetRow
from warehouse.penyaluran import check_disbursements

log = logging.getLogger(__name__)

BATCH = 1000
#: Columns that make up an assessment's result (a row is rewritten only when one of them differs).
RESULT_COLUMNS = (
    "kunjungan_id",
    "kategori",
    "skor_bps",
    "rasio_gk",
    "skor_graduasi",
    "status",
    "alasan",
    "kriteria_json",
    "input_sha256",
    "kode_kabupaten",
    "pendamping_id",
)


class RuleVersionChanged(ValueError):
    """A stored rule version was edited in place; its assessments would lose their meaning."""


@dataclass(slots=True)
class RecomputeResult:
    """What a recompute did."""

    kpm: int = 0
    inserted: int = 0
    updated: int = 0
    deleted: int = 0
    unchanged: int = 0
    seconds: float = 0.0


def _utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def store_rule_sets(conn: Connection, rule_sets: Sequence[RuleSet]) -> None:
    """Record every rule version; refuse a version whose content changed since it was stored."""
    table = RuleSetRow.__table__
    stored = {r.version: r for r in conn.execute(select(table))}
    for rules in rule_sets:
        old = stored.get(rules.version)
        if old is None:
            conn.execute(
                table.insert().values(
                    version=rules.version,
                    effective_from=rules.effective_from,
                    content_sha256=rules.content_sha256,
                    rules_json=ruleset_to_json(rules),
                    proposal=rules.proposal,
                    loaded_at=_utcnow(),
                )
            )
        elif old.content_sha256 != rules.content_sha256:
            raise RuleVersionChanged(
                f"the rules of version {rules.version} ({Path(rules.source).name or 'workbook'}) changed after they "
                "were used for assessments: save the edited workbook as a new version (sheet 'versi': a new "
                "version name and the date it takes effect), then run graduasi graduation recompute --all"
            )


def _holders(conn: Connection, ids: Sequence[str]) -> dict[str, list[tuple[date, date | None, str]]]:
    p = Penugasan.__table__
    out: dict[str, list[tuple[date, date | None, str]]] = {}
    for r in conn.execute(
        select(p.c.id_kpm, p.c.mulai, p.c.selesai, p.c.pendamping_id).where(p.c.id_kpm.in_(ids))
    ):
        out.setdefault(r.id_kpm, []).append((r.mulai, r.selesai, r.pendamping_id))
    return out


def _holder_on(periods: list[tuple[date, date | None, str]], day: date, fallback: str | None) -> str | None:
    """The pendamping who held the KPM on a day (caseload history), else the current one."""
    best = None
    for start, end, pid in periods:
        if start <= day and (end is None or day <= end) and (best is None or start >= best[0]):
            best = (start, pid)
    return best[1] if best else fallback


def _same(old: Any, new: dict[str, Any]) -> bool:
    for column in RESULT_COLUMNS:
        a, b = getattr(old, column), new.get(column)
        if column == "rasio_gk" and a is not None and b is not None:
            if abs(float(a) - float(b)) > 1e-9:
                return False
        elif a != b:
            return False
    return True


def recompute_kpm(
    conn: Connection, ids: Sequence[str], rule_sets: Sequence[RuleSet], now: datetime, result: RecomputeResult
) -> None:
    """Reassess these KPM in the caller's transaction and copy the latest result onto each KPM."""
    if not ids:
        return
    by_version = {r.version: r for r in rule_sets}
    kpm = Kpm.__table__
    a = Asesmen.__table__
    current = {
        r.id_kpm: r
        for r in conn.execute(select(kpm.c.id_kpm, kpm.c.pendamping_id).where(kpm.c.id_kpm.in_(ids)))
    }
    holders = _holders(conn, ids)
    existing: dict[tuple[str, date], Any] = {}
    for r in conn.execute(select(a).where(a.c.id_kpm.in_(ids))):
        day = r.tanggal if isinstance(r.tanggal, date) else date.fromisoformat(str(r.tanggal))
        existing[(r.id_kpm, day)] = r
    per_kpm: dict[str, list[tuple[Any, Any]]] = {}
    for snapshot in build_snapshots(conn, list(ids)):
        rules = rules_for_date(rule_sets, snapshot.as_of)
        per_kpm.setdefault(snapshot.id_kpm, []).append((snapshot, assess(snapshot, rules)))
    inserts: list[dict[str, Any]] = []
    latest: dict[str, dict[str, Any]] = {}
    seen: set[tuple[str, date]] = set()
    for id_kpm, pairs in per_kpm.items():
        pairs.sort(key=lambda p: p[1].tanggal)
        statuses = status_history([p[1] for p in pairs], by_version)
        fallback = current[id_kpm].pendamping_id if id_kpm in current else None
        by_day: dict[date, tuple[Any, Any, Any]] = {}
        for (snapshot, assessment), status in zip(pairs, statuses, strict=True):
            by_day[assessment.tanggal] = (
                snapshot,
                assessment,
                status,
            )  # a visit on the registration day wins
        for snapshot, assessment, status in by_day.values():
            values = asesmen_values(assessment, status, snapshot)
            values["pendamping_id"] = _holder_on(holders.get(id_kpm, []), assessment.tanggal, fallback)
            key = (id_kpm, assessment.tanggal)
            seen.add(key)
            old = existing.get(key)
            if old is None:
                inserts.append({**values, "computed_at": now})
                result.inserted += 1
            elif (
                old.rule_version != values["rule_version"]
                and old.rule_version in by_version
                and _same(old, values)
            ):
                # the newer rule version gives the same result: the row keeps the version it was made with
                result.unchanged += 1
            elif _same(old, values) and old.rule_version == values["rule_version"]:
                result.unchanged += 1
            else:
                conn.execute(update(a).where(a.c.id == old.id).values(**values, computed_at=now))
                result.updated += 1
            latest[id_kpm] = {
                "kategori": values["kategori"],
                "status_graduasi": values["status"],
                "tanggal_kunjungan_terakhir": snapshot.tanggal_kunjungan_terakhir,
            }
    stale = [old.id for key, old in existing.items() if key not in seen]
    if stale:
        conn.execute(delete(a).where(a.c.id.in_(stale)))
        result.deleted += len(stale)
    if inserts:
        conn.execute(a.insert(), inserts)
    for id_kpm in ids:
        values = latest.get(
            id_kpm, {"kategori": None, "status_graduasi": None, "tanggal_kunjungan_terakhir": None}
        )
        conn.execute(update(kpm).where(kpm.c.id_kpm == id_kpm).values(**values))
    check_disbursements(conn, ids)
    result.kpm += len(ids)


def recompute(
    engine: Engine,
    *,
    all_kpm: bool = False,
    rules_dir: Path | None = None,
    batch: int = BATCH,
    progress: Any = None,
) -> RecomputeResult:
    """Drain the recompute queue (or, with ``all_kpm``, reassess every KPM) and return the counts."""
    started = time.monotonic()
    rule_sets = load_rule_sets(rules_dir or RULES_DIR)
    result = RecomputeResult()
    queue = RecomputeQueue.__table__
    with write_connection(engine) as conn:
        store_rule_sets(conn, rule_sets)
        if all_kpm:
            present = {r[0] for r in conn.execute(select(queue.c.id_kpm))}
            now = _utcnow()
            fresh = [
                {"id_kpm": r[0], "queued_at": now}
                for r in conn.execute(select(Kpm.__table__.c.id_kpm))
                if r[0] not in present
            ]
            if fresh:
                conn.execute(queue.insert(), fresh)
    while True:
        with write_connection(engine) as conn:
            ids = [r[0] for r in conn.execute(select(queue.c.id_kpm).order_by(queue.c.id_kpm).limit(batch))]
            if not ids:
                break
            recompute_kpm(conn, ids, rule_sets, _utcnow(), result)
            conn.execute(delete(queue).where(queue.c.id_kpm.in_(ids)))
        if progress is not None:
            progress(len(ids))
    result.seconds = time.monotonic() - started
    log.info(
        "recompute: %d KPM, %d assessments new, %d changed, %d removed, %d unchanged in %.1f s",
        result.kpm,
        result.inserted,
        result.updated,
        result.deleted,
        result.unchanged,
        result.seconds,
    )
    return result


def queued(engine: Engine) -> int:
    """How many KPM wait for a recompute."""
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(RecomputeQueue.__table__)).scalar_one()


def latest_assessments(conn: Connection, ids: Iterable[str]) -> dict[str, Any]:
    """The newest assessment of each KPM (for views and tests)."""
    a = Asesmen.__table__
    out: dict[str, Any] = {}
    for r in conn.execute(select(a).where(a.c.id_kpm.in_(list(ids))).order_by(a.c.id_kpm, a.c.tanggal)):
        out[r.id_kpm] = r
    return out
