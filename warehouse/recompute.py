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
import operator
import os
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Date, DateTime, Engine, case, exists, func, literal, null, select, update

from forms.rules import RULES_DIR, RuleSet, load_rule_sets, rules_for_date, ruleset_to_json
from warehouse.bulk import delete_rows, insert_rows, update_rows
from warehouse.db import analyze_as_it_grows, as_date, id_in, write_connection
from warehouse.domain import DISBURSEMENTS_ONLY
from warehouse.gc_pause import gc_paused
from warehouse.graduation import asesmen_values, assess, build_snapshots, status_history
from warehouse.graduation.records import current_details, load_details, natural_reason
from warehouse.lock import LockBusy, named_lock
from warehouse.models import Asesmen, Kpm, Penugasan, RecomputeQueue
from warehouse.models import RuleSet as RuleSetRow
from warehouse.penyaluran import check_disbursements

log = logging.getLogger(__name__)

BATCH = 1000
#: Tables a recompute fills while it reads them by KPM id (PostgreSQL statistics). Not its inputs (kpm, penugasan,
#: kunjungan, …): the domain derivation that fills them keeps their statistics, the recompute adds no rows to them,
#: and analyzing kpm and kunjungan took two seconds each time at 50,000 KPM.
STATISTICS_TABLES = ("asesmen", "recompute_queue", "masalah_penyaluran")
#: A queue this long is split over worker processes by default (halves a full recompute on 2 cores).
PARALLEL_FROM = 5000
MAX_WORKERS = 4
#: How much of a SQLite file the recompute's reads may map into memory (address space, not RAM).
SQLITE_MMAP_BYTES = 1 << 30
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


@dataclass(frozen=True, slots=True)
class _RulesOnly:
    """What ``--all`` found queued by syncs, and when it queued every KPM: the others are queued only to be
    reassessed (none of their inputs changed)."""

    synced: frozenset[str]
    stamp: datetime

    def disbursements_may_have_changed(self, mark: Any) -> bool:
        """Whether a queue entry needs its disbursements re-checked: a sync queued it, before ``--all`` or
        since (re-queueing gives an entry a new mark)."""
        return mark.id_kpm in self.synced or _as_datetime(mark.queued_at) != self.stamp


def _as_datetime(value: Any) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))


class RecomputeBusy(Exception):
    """Another recompute holds the lock; it drains the queue, what was queued since included."""


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
    workers: int = 1  # processes that shared the work


def _utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def store_rule_sets(conn: Connection, rule_sets: Sequence[RuleSet]) -> tuple[list[str], date | None]:
    """Record every rule version; refuse a version whose content changed since it was stored.

    :returns: the versions stored now that assessments made earlier did not know, and the date from which those
        assessments may change: the earliest date one of them takes effect, or None (every date) when one takes
        effect before every version stored before, since the oldest version also serves the dates before it.
        Nothing when no version was stored yet: no assessment was made, so there is nothing to bring up to date.
    """
    table = RuleSetRow.__table__
    stored = {r.version: r for r in conn.execute(select(table))}
    new: list[RuleSet] = []
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
            new.append(rules)
        elif old.content_sha256 != rules.content_sha256:
            raise RuleVersionChanged(
                f"the rules of version {rules.version} ({Path(rules.source).name or 'workbook'}) changed after they "
                "were used for assessments: save the edited workbook as a new version (sheet 'versi': a new "
                "version name and the date it takes effect), then run graduasi graduation recompute --all"
            )
    if not stored or not new:
        return [], None
    since = min(r.effective_from for r in new)
    oldest = min(as_date(r.effective_from) or since for r in stored.values())
    return [r.version for r in new], since if since > oldest else None


def _holders(conn: Connection, ids: Sequence[str]) -> dict[str, list[tuple[date, date | None, str]]]:
    p = Penugasan.__table__
    out: dict[str, list[tuple[date, date | None, str]]] = {}
    for r in conn.execute(
        select(p.c.id_kpm, p.c.mulai, p.c.selesai, p.c.pendamping_id).where(id_in(conn, p.c.id_kpm, ids))
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
        elif column == "kriteria_json" and a is not None:
            # a row stored in the older form, or by the standard JSON encoder (2.5e-05 where orjson writes
            # 0.000025), still counts as the same result
            if a != b and (text := current_details(a)) != b and load_details(text) != load_details(b):
                return False
        elif a != b:
            return False
    return True


@dataclass(slots=True)
class _Planned:
    """The writes a batch needs, computed without holding the write lock."""

    inserts: list[dict[str, Any]]
    updates: list[tuple[int, dict[str, Any]]]
    deletes: list[int]
    latest: dict[str, dict[str, Any]]
    unchanged: int
    #: the KPM's latest values as stored (kategori, status_graduasi, tanggal_kunjungan_terakhir): rows that
    #: would not change are not rewritten (on PostgreSQL each rewrite leaves a dead row version behind)
    stored_latest: dict[str, tuple[Any, ...]]


@dataclass(frozen=True, slots=True)
class _Criterion:
    group: str
    reason: str | None


@dataclass(frozen=True, slots=True)
class StoredAssessment:
    """An assessment as stored, with what the confirmation window reads (for histories not recomputed)."""

    tanggal: date
    jenis: str
    kontak: bool
    checklist: str
    alamiah: str
    reasons: tuple[str, ...]
    rule_version: str
    criteria: tuple[_Criterion, ...]

    @classmethod
    def from_row(cls, row: Any) -> StoredAssessment:
        details = load_details(row.kriteria_json or "{}")
        natural = natural_reason(details)
        return cls(
            tanggal=as_date(row.tanggal),
            jenis=details.get("jenis", ""),
            kontak=bool(details.get("kontak")),
            checklist=details.get("checklist", ""),
            alamiah=details.get("alamiah", ""),
            reasons=tuple(details.get("alasan", ())),
            rule_version=row.rule_version,
            criteria=(_Criterion("alamiah", natural),),
        )


def plan_kpm(
    conn: Connection,
    ids: Sequence[str],
    rule_sets: Sequence[RuleSet],
    now: datetime,
    since: dict[str, date | None] | None = None,
) -> _Planned:
    """Reassess these KPM (read only) and work out which ``asesmen`` rows to insert, update or delete.

    :param since: per KPM, the date its inputs changed from (None or absent: its whole history). Assessments
        before it are kept as stored and only feed the confirmation window of the ones recomputed.
    """
    with gc_paused():  # a batch's objects all live until it is planned (see warehouse.gc_pause)
        return _plan(conn, ids, rule_sets, now, since or {})


def _plan(
    conn: Connection,
    ids: Sequence[str],
    rule_sets: Sequence[RuleSet],
    now: datetime,
    since: dict[str, date | None],
) -> _Planned:
    by_version = {r.version: r for r in rule_sets}
    kpm = Kpm.__table__
    a = Asesmen.__table__
    current = {
        r.id_kpm: r
        for r in conn.execute(
            select(kpm.c.id_kpm, kpm.c.pendamping_id, *(kpm.c[c] for c in _LATEST)).where(
                id_in(conn, kpm.c.id_kpm, ids)
            )
        )
    }
    holders = _holders(conn, ids)
    existing: dict[str, dict[date, Any]] = {}
    # what the comparison and the confirmation window read (not input_json, the largest column)
    for r in conn.execute(select(*(a.c[c] for c in _STORED_COLUMNS)).where(id_in(conn, a.c.id_kpm, ids))):
        existing.setdefault(r.id_kpm, {})[as_date(r.tanggal)] = r
    full = [i for i in ids if since.get(i) is None]
    partial = {i: d for i, d in since.items() if i in current and d is not None and d != DISBURSEMENTS_ONLY}
    cutoff: dict[str, date | None] = dict.fromkeys(full)
    per_kpm: dict[str, list[tuple[Any, Any]]] = {}
    for snapshot in build_snapshots(conn, full):
        per_kpm.setdefault(snapshot.id_kpm, []).append(
            (snapshot, assess(snapshot, rules_for_date(rule_sets, snapshot.as_of)))
        )
    if partial:
        # one query set for the batch: from the earliest change on (a KPM changed later gets a few extra rows
        # recomputed, which the comparison below leaves untouched)
        first = min(partial.values())
        cutoff.update(dict.fromkeys(partial, first))
        for snapshot in build_snapshots(conn, sorted(partial), since=first):
            rules = rules_for_date(rule_sets, snapshot.as_of)
            per_kpm.setdefault(snapshot.id_kpm, []).append((snapshot, assess(snapshot, rules)))
    plan = _Planned([], [], [], {}, 0, {k: tuple(r._mapping[c] for c in _LATEST) for k, r in current.items()})
    for id_kpm in ids:
        stored = existing.get(id_kpm, {})
        if id_kpm not in cutoff:  # disbursements only: the assessments stand
            if stored:
                last = stored[max(stored)]
                plan.latest[id_kpm] = {
                    "kategori": last.kategori,
                    "status_graduasi": last.status,
                    "tanggal_kunjungan_terakhir": _last_visit(stored),
                }
            continue
        start = cutoff[id_kpm]
        pairs = sorted(per_kpm.get(id_kpm, []), key=lambda p: p[1].tanggal)
        by_day: dict[date, tuple[Any, Any]] = {}
        for snapshot, assessment in pairs:
            by_day[assessment.tanggal] = (snapshot, assessment)  # a visit on the registration day wins
        fresh = [by_day[d] for d in sorted(by_day)]
        kept = (
            [StoredAssessment.from_row(stored[d]) for d in sorted(stored) if d < start]
            if start is not None
            else []
        )
        history: list[Any] = [*kept, *(p[1] for p in fresh)]
        rules_of = dict(by_version)
        for item in kept:
            rules_of.setdefault(item.rule_version, rules_for_date(rule_sets, item.tanggal))
        statuses = status_history(history, rules_of)[len(kept) :]
        fallback = current[id_kpm].pendamping_id if id_kpm in current else None
        produced: set[date] = set()
        periods = holders.get(id_kpm, [])
        values: dict[str, Any] | None = None
        for (snapshot, assessment), status in zip(fresh, statuses, strict=True):
            values = asesmen_values(assessment, status, snapshot)
            values["pendamping_id"] = _holder_on(periods, assessment.tanggal, fallback)
            produced.add(assessment.tanggal)
            old = stored.get(assessment.tanggal)
            if old is None:
                values["computed_at"] = now
                plan.inserts.append(values)
            elif _same(old, values) and (
                old.rule_version == values["rule_version"] or old.rule_version in by_version
            ):
                # same result: the row keeps the rule version it was made with
                plan.unchanged += 1
            else:
                values["computed_at"] = now
                plan.updates.append((old.id, values))
        latest_values = (
            None
            if values is None
            else {
                "kategori": values["kategori"],
                "status_graduasi": values["status"],
                "tanggal_kunjungan_terakhir": fresh[-1][0].tanggal_kunjungan_terakhir,
            }
        )
        plan.deletes.extend(
            old.id for day, old in stored.items() if (start is None or day >= start) and day not in produced
        )
        if latest_values is not None:
            plan.latest[id_kpm] = latest_values
        elif kept:
            last = stored[max(d for d in stored if d < start)] if start is not None else None
            if last is not None:
                plan.latest[id_kpm] = {
                    "kategori": last.kategori,
                    "status_graduasi": last.status,
                    "tanggal_kunjungan_terakhir": _last_visit({d: r for d, r in stored.items() if d < start}),
                }
    return plan


def _last_visit(rows: dict[date, Any]) -> date | None:
    visits = [d for d, r in rows.items() if r.kunjungan_id]
    return max(visits) if visits else None


#: The columns of a stored ``asesmen`` row the recompute reads back.
_STORED_COLUMNS = ("id", "id_kpm", "tanggal", "rule_version", *RESULT_COLUMNS)
#: The columns of an ``asesmen`` row as the recompute writes it.
WRITTEN_COLUMNS = ("id_kpm", "tanggal", "rule_version", "input_json", *RESULT_COLUMNS, "computed_at")
_WRITTEN = operator.itemgetter(*WRITTEN_COLUMNS)
_LATEST = ("kategori", "status_graduasi", "tanggal_kunjungan_terakhir")


def apply_plan(
    conn: Connection,
    ids: Sequence[str],
    plan: _Planned,
    result: RecomputeResult,
    disbursements: Iterable[str] | None = None,
) -> None:
    """Write a batch's planned rows, the KPM's latest result and its disbursement problems.

    :param disbursements: the KPM whose disbursements to re-check (default: all of ``ids``).
    """
    a = Asesmen.__table__
    if plan.deletes:
        delete_rows(conn, a, ("id",), [(row_id,) for row_id in plan.deletes])
    update_rows(conn, a, ("id",), WRITTEN_COLUMNS, [(*_WRITTEN(v), row_id) for row_id, v in plan.updates])
    insert_rows(conn, a, WRITTEN_COLUMNS, [_WRITTEN(v) for v in plan.inserts])
    blank = (None, None, None)
    latest, stored = plan.latest, plan.stored_latest
    changed = []
    for k in ids:
        new = tuple(latest[k][c] for c in _LATEST) if k in latest else blank
        if stored.get(k) != new:
            changed.append((*new, k))
    update_rows(conn, Kpm.__table__, ("id_kpm",), _LATEST, changed)
    check_disbursements(conn, list(ids) if disbursements is None else list(disbursements))
    result.kpm += len(ids)
    result.inserted += len(plan.inserts)
    result.updated += len(plan.updates)
    result.deleted += len(plan.deletes)
    result.unchanged += plan.unchanged


def recompute_kpm(
    conn: Connection, ids: Sequence[str], rule_sets: Sequence[RuleSet], now: datetime, result: RecomputeResult
) -> None:
    """Reassess these KPM in the caller's transaction (plan, then write)."""
    if ids:
        apply_plan(conn, ids, plan_kpm(conn, ids, rule_sets, now), result)


def _planner_settings(conn: Connection) -> None:
    """PostgreSQL planner settings for the rest of this transaction.

    - No parallel plans: the recompute's own processes keep the cores busy, and a parallel plan's helper
      processes only competed with them (a full recompute of 50,000 KPM in two processes took 24-26 s without
      them, 26-29 s with).
    - Random reads priced as cached (``random_page_cost`` 1.1, not the spinning-disk default of 4): a batch reads
      the rows of 1,000 KPM by index, and at the default the planner scanned all 536,000 attendance rows for
      each batch instead; the snapshot reads of 10,000 KPM took 2.4 s instead of 3.8 s.
    """
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("SET LOCAL max_parallel_workers_per_gather = 0")
        conn.exec_driver_sql("SET LOCAL random_page_cost = 1.1")


def _drain_batch(
    engine: Engine,
    rule_sets: Sequence[RuleSet],
    batch: int,
    after: str | None,
    until: str | None,
    number: int = 0,
    rules_only: _RulesOnly | None = None,
) -> tuple[RecomputeResult, str | None]:
    """Reassess the next queued batch (ids above ``after``, up to ``until``): compute outside the write lock,
    then write and unqueue — only entries not re-queued meanwhile — in one short transaction.

    :param number: the batch's number in this drain (1, 2, …): PostgreSQL statistics are refreshed as
        ``asesmen`` grows (batches 1, 2, 4, 8, …).
    :param rules_only: what ``--all`` queued only to be reassessed after a rule change: those KPM's
        disbursements are not re-checked, since no rule decides them (None: re-check every KPM of the batch).
    """
    result = RecomputeResult()
    queue = RecomputeQueue.__table__
    with engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            # a batch reads its inputs by index, scattered over the file: through a memory map rather than one
            # read call per page (about a fifth off those queries; the setting stays with the pooled connection)
            conn.exec_driver_sql(f"PRAGMA mmap_size={SQLITE_MMAP_BYTES}")
        if analyze_as_it_grows(conn, number, STATISTICS_TABLES):
            conn.commit()  # statistics are transactional: kept only once committed
        _planner_settings(conn)
        stmt = select(queue.c.id_kpm, queue.c.queued_at, queue.c.sejak).order_by(queue.c.id_kpm).limit(batch)
        if after is not None:
            stmt = stmt.where(queue.c.id_kpm > after)
        if until is not None:
            stmt = stmt.where(queue.c.id_kpm <= until)
        marks = list(conn.execute(stmt))
        if not marks:
            return result, None
        ids = [m.id_kpm for m in marks]
        since = {m.id_kpm: as_date(m.sejak) for m in marks}
        plan = plan_kpm(conn, ids, rule_sets, _utcnow(), since)
    checked = (
        None
        if rules_only is None
        else [m.id_kpm for m in marks if rules_only.disbursements_may_have_changed(m)]
    )
    with write_connection(engine) as conn:
        _planner_settings(conn)
        apply_plan(conn, ids, plan, result, checked)
        delete_rows(conn, queue, ("id_kpm", "queued_at"), [(m.id_kpm, m.queued_at) for m in marks])
    return result, ids[-1]


def _drain_range(
    url: str,
    rules_dir: str | None,
    batch: int,
    after: str | None,
    until: str | None,
    rules_only: _RulesOnly | None = None,
) -> RecomputeResult:
    """A worker process: drain the queue between two ids (its own engine; rules read again)."""
    from warehouse.db import make_engine  # a child process builds its own engine

    engine = make_engine(url)
    rule_sets = load_rule_sets(Path(rules_dir) if rules_dir else RULES_DIR)
    total = RecomputeResult()
    try:
        cursor = after
        number = 0
        while True:
            number += 1
            # one worker keeps the statistics fresh for all (they share the tables)
            result, last = _drain_batch(
                engine, rule_sets, batch, cursor, until, number if after is None else 0, rules_only
            )
            if last is None:
                return total
            _add(total, result)
            cursor = last
    finally:
        engine.dispose()


def _add(total: RecomputeResult, part: RecomputeResult) -> None:
    total.kpm += part.kpm
    total.inserted += part.inserted
    total.updated += part.updated
    total.deleted += part.deleted
    total.unchanged += part.unchanged


def _queue_everything(conn: Connection, now: datetime, since: date | None = None) -> None:
    """Queue every KPM for its whole history, or from ``since`` on: what :func:`queue_kpm` does for all of them
    (the earlier date wins for a KPM already queued), in two statements."""
    queue = RecomputeQueue.__table__
    kpm = Kpm.__table__
    if since is None:
        earliest: Any = null()
    else:
        day = literal(since, Date)
        earliest = case((queue.c.sejak.is_(None), null()), (queue.c.sejak <= day, queue.c.sejak), else_=day)
    conn.execute(update(queue).values(queued_at=now, sejak=earliest))
    conn.execute(
        queue.insert().from_select(
            ["id_kpm", "queued_at", "sejak"],
            select(
                kpm.c.id_kpm, literal(now, DateTime), null() if since is None else literal(since, Date)
            ).where(~exists().where(queue.c.id_kpm == kpm.c.id_kpm)),
        )
    )


def recompute(
    engine: Engine,
    *,
    all_kpm: bool = False,
    rules_dir: Path | None = None,
    batch: int = BATCH,
    workers: int | None = None,
    progress: Any = None,
) -> RecomputeResult:
    """Drain the recompute queue (or, with ``all_kpm``, reassess every KPM) and return the counts.

    One recompute runs at a time (two would assess the same KPM and both insert its rows).

    :param workers: processes sharing the queue by id range; the work is computed outside the write lock, so a
        sync or the admin can write between batches. None: every core (at most :data:`MAX_WORKERS`) once the
        queue holds at least :data:`PARALLEL_FROM` KPM (starting a process costs about a second), else one.
    :raises RecomputeBusy: when another recompute is running (it drains what is queued, this one's too).
    """
    try:
        with named_lock(
            engine, "graduasi-recompute", "recompute", "a graduation recompute is already running"
        ):
            return _recompute(engine, all_kpm, rules_dir, batch, workers, progress)
    except LockBusy as exc:
        raise RecomputeBusy(str(exc)) from None


def _recompute(
    engine: Engine,
    all_kpm: bool,
    rules_dir: Path | None,
    batch: int,
    workers: int | None,
    progress: Any,
) -> RecomputeResult:
    started = time.monotonic()
    rule_sets = load_rule_sets(rules_dir or RULES_DIR)
    result = RecomputeResult()
    queue = RecomputeQueue.__table__
    rules_only: _RulesOnly | None = None
    with write_connection(engine) as conn:
        added, effective = store_rule_sets(conn, rule_sets)
        if all_kpm or added:
            # what a sync queued may hold new disbursements; what only the rules queue needs reassessing alone
            rules_only = _RulesOnly(frozenset(r[0] for r in conn.execute(select(queue.c.id_kpm))), _utcnow())
            # a new rule version changes what is dated from its effective date on: every KPM from that date
            # (--all: every KPM's whole history, e.g. after an upgrade of graduasi itself)
            _queue_everything(conn, rules_only.stamp, None if all_kpm else effective)
            if not all_kpm:
                log.info(
                    "recompute: new rule version %s: every KPM reassessed %s",
                    ", ".join(added),
                    f"from {effective}" if effective else "over its whole history",
                )
        keys = [r[0] for r in conn.execute(select(queue.c.id_kpm).order_by(queue.c.id_kpm))]
    if workers is None:
        workers = min(os.cpu_count() or 1, MAX_WORKERS) if len(keys) >= PARALLEL_FROM else 1
    if workers > 1 and len(keys) >= 2 * batch:
        import multiprocessing

        bounds = [keys[(len(keys) * i) // workers - 1] if i else None for i in range(workers)] + [None]
        url = engine.url.render_as_string(hide_password=False)
        ranges = [(bounds[i], bounds[i + 1]) for i in range(workers)]
        with multiprocessing.get_context("spawn").Pool(workers) as pool:
            parts = pool.starmap(
                _drain_range,
                [
                    (url, str(rules_dir) if rules_dir else None, batch, lo, hi, rules_only)
                    for lo, hi in ranges
                ],
            )
        for part in parts:
            _add(result, part)
        result.workers = workers
    cursor = None
    number = 0
    bulk = (
        len(keys) >= PARALLEL_FROM
    )  # statistics matter for a long queue, and would cost a short one seconds
    while True:  # what is left (a single worker, or anything queued meanwhile)
        number += 1
        part, last = _drain_batch(engine, rule_sets, batch, cursor, None, number if bulk else 0, rules_only)
        if last is None:
            break
        _add(result, part)
        cursor = last
        if progress is not None:
            progress(part.kpm)
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
