"""`graduasi sync run` is the whole pass a cron job runs: pull, domain, reassessment and read models."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import func, select, update

from graduasi.cli import main
from graduasi.demo import import_official_lists
from simulators.central import CentralStore, start_server
from simulators.synthetic import generate, seed_central
from warehouse.db import make_engine
from warehouse.migrate import upgrade
from warehouse.models import Asesmen, Kpm, RingkasanPendamping, RuleSet, SyncRun
from warehouse.regions import load_wilayah


def test_sync_run_cli__fresh_warehouse__kpm_assessed_and_read_models_filled(tmp_path: Path) -> None:
    """A single CLI pass leaves every registered KPM assessed and the pendamping read model filled; a second
    pass changes nothing."""
    dataset = generate(60, 2019)
    store = CentralStore()
    seeded = seed_central(store, dataset)
    server = start_server(store)
    url = f"sqlite:///{tmp_path / 'w.db'}"
    engine = make_engine(url)
    try:
        upgrade(engine)
        load_wilayah(engine)
        import_official_lists(engine, dataset, tmp_path / "daftar")
        env = {
            "GRADUASI_DATABASE_URL": url,
            "GRADUASI_CENTRAL_URL": server.url,
            "GRADUASI_CENTRAL_EMAIL": seeded.admin_email,
            "GRADUASI_CENTRAL_PASSWORD": seeded.admin_password,
            "GRADUASI_CENTRAL_PROJECT": str(seeded.project_id),
        }
        first = CliRunner().invoke(main, ["sync", "run"], env=env, catch_exceptions=False)
        assert first.exit_code == 0, first.output
        with engine.connect() as conn:
            registered = conn.execute(
                select(func.count()).select_from(Kpm).where(Kpm.registrasi_logical_id.is_not(None))
            ).scalar_one()
            assessed = conn.execute(select(func.count(func.distinct(Asesmen.id_kpm)))).scalar_one()
            assessments = conn.execute(select(func.count()).select_from(Asesmen)).scalar_one()
            pendamping_rows = conn.execute(select(func.count()).select_from(RingkasanPendamping)).scalar_one()
        assert registered > 0 and assessed == registered
        assert pendamping_rows > 0
        second = CliRunner().invoke(main, ["sync", "run"], env=env, catch_exceptions=False)
        assert second.exit_code == 0, second.output
        with engine.connect() as conn:
            assert conn.execute(select(func.count()).select_from(Asesmen)).scalar_one() == assessments
            runs = conn.execute(select(SyncRun.status, SyncRun.inserted).order_by(SyncRun.id)).all()
        assert all(status == "ok" for status, _ in runs) and len(runs) == 6
        assert [inserted for _, inserted in runs[3:]] == [0, 0, 0]

        # staff edit the stored rule version in place: the pass still stores what it pulled, then says loudly
        # that the assessments were not updated and exits 1
        with engine.begin() as conn:
            original = conn.execute(select(RuleSet.version, RuleSet.content_sha256)).all()
            conn.execute(update(RuleSet).values(content_sha256="edited-elsewhere"))
        third = CliRunner().invoke(main, ["sync", "run"], env=env, catch_exceptions=False)
        assert third.exit_code == 1, third.output
        assert "The submissions are in the warehouse, but the assessments" in third.output
        assert "graduasi graduation recompute" in third.output
        with engine.connect() as conn:
            assert conn.execute(select(func.count()).select_from(SyncRun)).scalar_one() == 9
        with engine.begin() as conn:
            for version, sha in original:
                conn.execute(update(RuleSet).where(RuleSet.version == version).values(content_sha256=sha))
        fixed = CliRunner().invoke(main, ["sync", "run"], env=env, catch_exceptions=False)
        assert fixed.exit_code == 0, fixed.output
    finally:
        server.stop()
        engine.dispose()
