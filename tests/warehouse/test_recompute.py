"""Recompute: assessments follow the data and the rule versions; a threshold change rewrites exactly what it
affects, and older assessments keep the rule version they were made with."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import bindparam, func, select, text, update

from forms.rules import RuleSet, load_rule_sets, rules_for_date
from tests.pipeline import Synced, copy_rules, synced_pipeline
from warehouse import recompute as recompute_module
from warehouse.db import write_connection
from warehouse.graduation import asesmen_values, assess, build_snapshots, compile_rules, status_history
from warehouse.graduation.records import expand_details
from warehouse.models import Asesmen, Kpm, Kunjungan, RecomputeQueue
from warehouse.recompute import RESULT_COLUMNS, RuleVersionChanged, recompute

NEW_VERSION_FROM = date(2020, 7, 1)


@pytest.fixture
def synced(db_url: str, tmp_path: Path) -> Iterator[Synced]:
    with synced_pipeline(db_url, tmp_path, kpm=120) as env:
        yield env


def rows(env: Synced) -> dict[tuple[str, date], dict]:
    with env.engine.connect() as conn:
        out = {}
        for r in conn.execute(select(Asesmen.__table__)):
            day = r.tanggal if isinstance(r.tanggal, date) else date.fromisoformat(str(r.tanggal))
            out[(r.id_kpm, day)] = dict(r._mapping)
        return out


def new_rule_version(folder: Path) -> Path:
    """Save a copy of v2019 as v2020b, in force from 1 July 2020, with G2 asking 3 protein days instead of 2."""
    source = folder / "graduasi_v2019.xlsx"
    wb = openpyxl.load_workbook(source)
    versi = wb["versi"]
    for row in versi.iter_rows(min_row=3):
        if row[0].value == "versi":
            row[1].value = "v2020b"
        elif row[0].value == "berlaku_mulai":
            row[1].value = datetime(NEW_VERSION_FROM.year, NEW_VERSION_FROM.month, NEW_VERSION_FROM.day)
    criteria = wb["kriteria_graduasi"]
    header = [c.value for c in criteria[1]]
    for row in criteria.iter_rows(min_row=3):
        if row[0].value == "G2":
            row[header.index("ambang_1")].value = 3
    target = folder / "graduasi_v2020b.xlsx"
    wb.save(target)
    return target


def expected_results(env: Synced, folder: Path) -> dict[tuple[str, date], dict]:
    """What every assessment should say under the rule folder (computed here with the pure engine)."""
    rule_sets = load_rule_sets(folder)
    by_version = {r.version: r for r in rule_sets}
    out: dict[tuple[str, date], dict] = {}
    with env.engine.connect() as conn:
        per_kpm: dict[str, list] = {}
        for snap in build_snapshots(conn):
            per_kpm.setdefault(snap.id_kpm, []).append(
                (snap, assess(snap, rules_for_date(rule_sets, snap.as_of)))
            )
    for pairs in per_kpm.values():
        pairs.sort(key=lambda p: p[1].tanggal)
        for (snap, assessment), status in zip(
            pairs, status_history([p[1] for p in pairs], by_version), strict=True
        ):
            out[(assessment.id_kpm, assessment.tanggal)] = asesmen_values(assessment, status, snap)
    return out


def result_of(values: dict) -> tuple:
    return tuple(
        values[c] if c != "rasio_gk" or values[c] is None else round(float(values[c]), 6)
        for c in RESULT_COLUMNS
        if c != "pendamping_id"
    )


def test_recompute__pipeline__every_kpm_assessed_and_denormalised(synced: Synced) -> None:
    """Should assess every KPM at registration and each visit, and copy the latest result onto the KPM."""
    assert synced.after.recompute.kpm == len(synced.dataset.households)
    stored = rows(synced)
    with synced.engine.connect() as conn:
        kpm = {r.id_kpm: r for r in conn.execute(select(Kpm.__table__))}
        visits = conn.execute(
            text(
                "SELECT count(DISTINCT id_kpm || tanggal_kunjungan) FROM kunjungan "
                "WHERE kpm_ditemui IS NOT NULL"
            )
        ).scalar_one()
        queue = conn.execute(select(RecomputeQueue.id_kpm)).all()
    assert queue == []
    assert len(stored) >= len(kpm) + 0.9 * visits
    for id_kpm, row in kpm.items():
        latest = max((k for k in stored if k[0] == id_kpm), key=lambda k: k[1])
        assert (row.kategori, row.status_graduasi) == (stored[latest]["kategori"], stored[latest]["status"])
    assert {r["rule_version"] for r in stored.values()} == {"v2019"}


def test_recompute__new_rule_version__exactly_the_affected_assessments_change(
    synced: Synced, tmp_path: Path
) -> None:
    """Should rewrite only the assessments whose result the new threshold changes, all dated after it takes
    effect, and leave every other row (and its rule version) as it was."""
    before = rows(synced)
    folder = copy_rules(tmp_path / "rules")
    new_rule_version(folder)
    expected = expected_results(synced, folder)
    affected = {k for k, v in expected.items() if result_of(v) != result_of(before[k])}
    assert affected, "the planted threshold change should affect some assessments"
    assert all(day >= NEW_VERSION_FROM for (_id, day) in affected)
    result = recompute(synced.engine, all_kpm=True, rules_dir=folder)
    after = rows(synced)
    assert set(after) == set(before)
    changed = {k for k in after if after[k]["computed_at"] != before[k]["computed_at"]}
    assert changed == affected
    assert result.updated == len(affected)
    for key in affected:
        assert after[key]["rule_version"] == "v2020b"
        assert result_of(after[key]) == result_of(expected[key])
    for key in set(after) - affected:
        assert after[key]["rule_version"] == "v2019"
    # running it again changes nothing
    again = recompute(synced.engine, all_kpm=True, rules_dir=folder)
    assert (again.inserted, again.updated, again.deleted) == (0, 0, 0)


def test_recompute__new_rule_version_dropped_in__next_recompute_reassesses_from_its_date(
    synced: Synced, tmp_path: Path
) -> None:
    """Should apply a new rule version at the next plain recompute (as after a sync), reassessing every KPM from
    the date the version takes effect — the same rows as --all gives — and nothing dated before it."""
    before = rows(synced)
    folder = copy_rules(tmp_path / "rules")
    new_rule_version(folder)
    expected = expected_results(synced, folder)
    affected = {k for k, v in expected.items() if result_of(v) != result_of(before[k])}
    assert affected
    result = recompute(synced.engine, rules_dir=folder)
    after = rows(synced)
    changed = {k for k in after if after[k]["computed_at"] != before[k]["computed_at"]}
    assert changed == affected
    assert result.kpm == len(synced.dataset.households)
    dated_from = sum(1 for (_id, day) in before if day >= NEW_VERSION_FROM)
    assert result.inserted + result.updated + result.unchanged == dated_from < len(before)
    for key in affected:
        assert after[key]["rule_version"] == "v2020b"
        assert result_of(after[key]) == result_of(expected[key])
    assert recompute(synced.engine, rules_dir=folder).kpm == 0  # stored now: nothing left to apply


def test_recompute__new_oldest_rule_version__whole_histories_reassessed(
    synced: Synced, tmp_path: Path
) -> None:
    """Should reassess every date when the new version takes effect before every stored one: the oldest version
    also serves the dates before it."""
    folder = copy_rules(tmp_path / "rules")
    path = new_rule_version(folder)
    wb = openpyxl.load_workbook(path)
    for row in wb["versi"].iter_rows(min_row=3):
        if row[0].value == "berlaku_mulai":
            row[1].value = datetime(2018, 1, 1)
    wb.save(path)
    total = len(rows(synced))
    result = recompute(synced.engine, rules_dir=folder)
    assert result.inserted + result.updated + result.unchanged == total


def test_recompute__rules_edited_in_place__refused_with_the_fix(synced: Synced, tmp_path: Path) -> None:
    """Should refuse a stored version whose content changed, telling staff to save it as a new version."""
    folder = copy_rules(tmp_path / "rules")
    wb = openpyxl.load_workbook(folder / "graduasi_v2019.xlsx")
    criteria = wb["kriteria_graduasi"]
    header = [c.value for c in criteria[1]]
    for row in criteria.iter_rows(min_row=3):
        if row[0].value == "G2":
            row[header.index("ambang_1")].value = 4
    wb.save(folder / "graduasi_v2019.xlsx")
    with pytest.raises(RuleVersionChanged, match="new version"):
        recompute(synced.engine, all_kpm=True, rules_dir=folder)


def test_recompute__one_visit_changes__only_its_kpm_reassessed(synced: Synced) -> None:
    """Should, when one visit's data changes, recompute that KPM only."""
    with synced.engine.connect() as conn:
        visit = conn.execute(
            select(Kunjungan.id, Kunjungan.id_kpm)
            .where(Kunjungan.kpm_ditemui == "ya")
            .order_by(Kunjungan.id)
            .limit(1)
        ).one()
    before = rows(synced)
    with write_connection(synced.engine) as conn:
        conn.execute(
            update(Kunjungan.__table__)
            .where(Kunjungan.id == visit.id)
            .values(pendapatan_bulan_rp=50_000_000, tabungan_rp=50_000_000)
        )
        conn.execute(
            RecomputeQueue.__table__.insert().values(id_kpm=visit.id_kpm, queued_at=datetime(2021, 1, 1))
        )
    result = recompute(synced.engine)
    assert result.kpm == 1
    after = rows(synced)
    changed = {k for k in after if after[k]["computed_at"] != before.get(k, {}).get("computed_at")}
    assert changed
    assert {k[0] for k in changed} == {visit.id_kpm}


@pytest.mark.parametrize("split", ["two workers", "default for a long queue"])
def test_recompute__two_workers__same_rows_as_one(
    synced: Synced, split: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Should, split over processes by id range, write exactly what one process writes; by default a queue
    of PARALLEL_FROM KPM or more is split over the cores."""
    with write_connection(synced.engine) as conn:
        conn.execute(Asesmen.__table__.delete())
    one = recompute(synced.engine, all_kpm=True, workers=1)
    assert one.workers == 1
    first = {k: result_of(v) for k, v in rows(synced).items()}
    with write_connection(synced.engine) as conn:
        conn.execute(Asesmen.__table__.delete())
    if split == "two workers":
        two = recompute(synced.engine, all_kpm=True, workers=2, batch=20)
        assert two.workers == 2
    else:
        monkeypatch.setattr(recompute_module, "PARALLEL_FROM", one.kpm)
        monkeypatch.setattr(recompute_module.os, "cpu_count", lambda: 2)
        two = recompute(synced.engine, all_kpm=True, batch=20)
        assert two.workers == 2
    assert (two.kpm, two.inserted) == (one.kpm, one.inserted)
    assert {k: result_of(v) for k, v in rows(synced).items()} == first
    with synced.engine.connect() as conn:
        assert conn.execute(select(RecomputeQueue.id_kpm)).all() == []


def test_recompute__requeued_while_computing__stays_queued(
    synced: Synced, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Should keep a KPM queued when its data changed after the recompute read it (no lost update)."""
    import warehouse.recompute as module

    target = "3601-000001"
    original = module.plan_kpm

    def plan_then_change(conn, ids, rule_sets, now, since=None):  # type: ignore[no-untyped-def]
        planned = original(conn, ids, rule_sets, now, since)
        if target in ids:  # a sync re-queues the KPM while this batch is being computed
            with write_connection(synced.engine) as other:
                other.execute(
                    update(RecomputeQueue.__table__)
                    .where(RecomputeQueue.id_kpm == target)
                    .values(queued_at=datetime(2099, 1, 1))
                )
        return planned

    monkeypatch.setattr(module, "plan_kpm", plan_then_change)
    with write_connection(synced.engine) as conn:
        conn.execute(
            RecomputeQueue.__table__.insert(),
            [
                {"id_kpm": target, "queued_at": datetime(2021, 1, 1)},
                {"id_kpm": "3601-000002", "queued_at": datetime(2021, 1, 1)},
            ],
        )
    recompute(synced.engine)
    with synced.engine.connect() as conn:
        assert [r[0] for r in conn.execute(select(RecomputeQueue.id_kpm))] == [target]


def test_recompute__from_a_visit_date__same_as_a_full_recompute(synced: Synced) -> None:
    """Should, when a visit changes, recompute only that KPM's rows from the visit's date on, and end exactly
    where a full recompute of its whole history ends."""
    with synced.engine.connect() as conn:
        visit = conn.execute(
            select(Kunjungan.id, Kunjungan.id_kpm, Kunjungan.tanggal_kunjungan)
            .where(Kunjungan.kpm_ditemui == "ya")
            .order_by(Kunjungan.tanggal_kunjungan.desc(), Kunjungan.id)
            .offset(40)
            .limit(1)
        ).one()
    day = (
        visit.tanggal_kunjungan
        if isinstance(visit.tanggal_kunjungan, date)
        else date.fromisoformat(str(visit.tanggal_kunjungan))
    )
    before = rows(synced)
    with write_connection(synced.engine) as conn:
        conn.execute(
            update(Kunjungan.__table__)
            .where(Kunjungan.id == visit.id)
            .values(
                pendapatan_bulan_rp=60_000_000,
                tabungan_rp=60_000_000,
                frek_makan_hari=3,
                kekurangan_pangan_3bln="tidak",
                frek_protein_hewani_minggu=7,
            )
        )
        conn.execute(
            RecomputeQueue.__table__.insert().values(
                id_kpm=visit.id_kpm, queued_at=datetime(2021, 1, 1), sejak=day
            )
        )
    result = recompute(synced.engine)
    assert result.kpm == 1
    after = rows(synced)
    changed = {k for k in after if after[k]["computed_at"] != before.get(k, {}).get("computed_at")}
    assert changed, "the planted change should alter an assessment"
    assert {k[0] for k in changed} == {visit.id_kpm}
    assert all(k[1] >= day for k in changed)
    again = recompute(synced.engine, all_kpm=True)
    assert (again.inserted, again.updated, again.deleted) == (0, 0, 0)


def older_form(text: str, rules: RuleSet) -> str:
    """Stored criteria (current form) rewritten as rows stored before the outcome letters hold them."""
    details = json.loads(text)
    expanded = expand_details(details, rules)
    values = dict(zip(compile_rules(rules).meta.compared, details.pop("nilai"), strict=True))
    reasons = details.pop("alasan")
    details.pop("hasil")
    details.pop("alasan_alamiah", None)
    details["kriteria"] = [[c["kode"], c["hasil"], c.get("alasan")] for c in expanded]
    details["nilai"] = values
    details["alasan"] = reasons
    return json.dumps(details, ensure_ascii=False, separators=(",", ":"))


def test_recompute__rows_in_the_older_criteria_form__read_and_kept(synced: Synced) -> None:
    """Should read assessments stored in the older criteria form: unchanged results stay as stored (no rewrite,
    no new rule version), and a partial recompute reads the earlier rows for the confirmation window."""
    by_version = {r.version: r for r in load_rule_sets()}
    table = Asesmen.__table__
    with write_connection(synced.engine) as conn:
        old = [
            {"b_id": r.id, "text": older_form(r.kriteria_json, by_version[r.rule_version])}
            for r in conn.execute(select(table.c.id, table.c.kriteria_json, table.c.rule_version))
        ]
        conn.execute(
            update(table).where(table.c.id == bindparam("b_id")).values(kriteria_json=bindparam("text")), old
        )
    result = recompute(synced.engine, all_kpm=True)
    assert (result.inserted, result.updated, result.deleted, result.unchanged) == (0, 0, 0, len(old))
    with synced.engine.connect() as conn:
        last_visit = conn.execute(
            select(table.c.id_kpm, func.max(table.c.tanggal))
            .where(table.c.kunjungan_id.is_not(None))
            .group_by(table.c.id_kpm)
        ).all()
        expected = {k: result_of(v) for k, v in rows(synced).items()}
    with write_connection(synced.engine) as conn:
        conn.execute(
            RecomputeQueue.__table__.insert(),
            [{"id_kpm": k, "queued_at": datetime(2021, 1, 1), "sejak": day} for k, day in last_visit],
        )
    again = recompute(synced.engine)
    assert again.kpm == len(last_visit) and again.updated == again.inserted == again.deleted == 0
    assert {k: result_of(v) for k, v in rows(synced).items()} == expected


def test_recompute__all__disbursements_checked_again_only_where_a_sync_queued(
    synced: Synced, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--all after a rule change reassesses every KPM; only those a sync queued (whose disbursements may have
    changed) have their disbursements checked again."""
    from warehouse.domain import DISBURSEMENTS_ONLY, queue_kpm

    checked: list[str] = []
    real = recompute_module.check_disbursements
    monkeypatch.setattr(
        recompute_module, "check_disbursements", lambda conn, ids: (checked.extend(ids), real(conn, ids))[1]
    )
    with synced.engine.connect() as conn:
        ids = [r[0] for r in conn.execute(select(Kpm.id_kpm).order_by(Kpm.id_kpm))]
    with write_connection(synced.engine) as conn:
        queue_kpm(conn, {ids[0]: DISBURSEMENTS_ONLY, ids[1]: None}, datetime(2026, 11, 28))
    result = recompute(synced.engine, all_kpm=True, workers=1)
    assert result.kpm == len(ids)
    assert sorted(checked) == sorted(ids[:2])
    checked.clear()
    recompute(synced.engine)  # a sync's queue (nothing queued now): every queued KPM is checked, as before
    with write_connection(synced.engine) as conn:
        queue_kpm(conn, {ids[2]: None}, datetime(2026, 11, 28))
    recompute(synced.engine)
    assert checked == [ids[2]]


def test_rules_only__an_entry_requeued_by_a_sync_during_all__checked_again() -> None:
    from types import SimpleNamespace

    stamp = datetime(2026, 11, 28, 12, 0)
    rules_only = recompute_module._RulesOnly(frozenset({"c"}), stamp)  # c queued by a sync; a, b by --all
    assert not rules_only.disbursements_may_have_changed(SimpleNamespace(id_kpm="a", queued_at=stamp))
    assert not rules_only.disbursements_may_have_changed(SimpleNamespace(id_kpm="a", queued_at=str(stamp)))
    later = datetime(2026, 11, 28, 12, 1)
    assert rules_only.disbursements_may_have_changed(SimpleNamespace(id_kpm="b", queued_at=later))
    assert rules_only.disbursements_may_have_changed(SimpleNamespace(id_kpm="c", queued_at=stamp))


def test_recompute__another_one_running__refused_and_the_queue_kept_for_it(synced: Synced) -> None:
    """Two recomputes would assess the same KPM and both insert its rows: the second is refused (the one
    running drains the queue), and after a sync the refusal is only logged."""
    from graduasi.pipeline import after_sync
    from warehouse.domain import queue_kpm
    from warehouse.lock import named_lock
    from warehouse.recompute import RecomputeBusy

    with synced.engine.connect() as conn:
        first = conn.execute(select(Kpm.id_kpm).order_by(Kpm.id_kpm)).scalars().first()
    with write_connection(synced.engine) as conn:
        queue_kpm(conn, {first: None}, datetime(2026, 11, 28))
    with named_lock(synced.engine, "graduasi-recompute", "recompute", "held by this test"):
        with pytest.raises(RecomputeBusy, match="already running"):
            recompute(synced.engine)
        assert after_sync(synced.engine).recompute.kpm == 0
    with synced.engine.connect() as conn:
        assert conn.execute(select(RecomputeQueue.id_kpm)).scalars().all() == [first]
    assert recompute(synced.engine).kpm == 1


def test_recompute__latest_values_unchanged__kpm_rows_not_rewritten(
    synced: Synced, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Should leave a KPM row alone when its latest category, status and last visit stay the same (a rewrite
    leaves a dead row version behind on PostgreSQL), and still write one that changes."""
    written: list[str] = []
    real = recompute_module.update_rows

    def spy(conn, table, keys, columns, rows):  # type: ignore[no-untyped-def]
        if table.name == "kpm":
            written.extend(r[-1] for r in rows)
        return real(conn, table, keys, columns, rows)

    monkeypatch.setattr(recompute_module, "update_rows", spy)
    result = recompute(synced.engine, all_kpm=True, workers=1)
    assert result.kpm == len(synced.dataset.households) and written == []
    with write_connection(synced.engine) as conn:
        target = conn.execute(select(Kpm.id_kpm).order_by(Kpm.id_kpm).limit(1)).scalar_one()
        conn.execute(
            update(Kpm.__table__).where(Kpm.id_kpm == target).values(kategori=None, status_graduasi=None)
        )
    recompute(synced.engine, all_kpm=True, workers=1)
    assert written == [target]
    with synced.engine.connect() as conn:
        assert conn.execute(select(Kpm.status_graduasi).where(Kpm.id_kpm == target)).scalar_one() is not None


def test_recompute__plans_with_the_collector_paused_and_resumes_it(
    synced: Synced, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Should assess with Python's cyclic collector paused (it walked each batch's objects for nothing, about a
    fifth of the planning time) and leave it running afterwards, also when planning fails."""
    import gc

    import warehouse.recompute as module

    seen: list[bool] = []
    original = module.assess

    def spy(snapshot, rules):  # type: ignore[no-untyped-def]
        seen.append(gc.isenabled())
        return original(snapshot, rules)

    monkeypatch.setattr(module, "assess", spy)
    assert gc.isenabled()
    result = recompute(synced.engine, all_kpm=True, workers=1)
    assert result.kpm == 120 and seen and not any(seen)
    assert gc.isenabled()

    def broken(snapshot, rules):  # type: ignore[no-untyped-def]
        raise RuntimeError("a rule the engine cannot evaluate")

    monkeypatch.setattr(module, "assess", broken)
    with pytest.raises(RuntimeError):
        recompute(synced.engine, all_kpm=True, workers=1)
    assert gc.isenabled()
