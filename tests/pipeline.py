"""A whole pipeline on a given database for tests: synthetic data -> Central simulator -> sync -> domain ->
assessments -> read models. Shared by the warehouse, graduation and admin tests that need realistic data."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine

from graduasi.cli.sync import run_once
from graduasi.demo import import_official_lists, simulator_settings
from graduasi.pipeline import AfterSync, after_sync
from graduasi.settings import Settings
from simulators.central import CentralStore, start_server
from simulators.synthetic import Dataset, generate, seed_central
from warehouse.db import make_engine
from warehouse.migrate import upgrade
from warehouse.regions import load_wilayah


@dataclass
class Synced:
    """A synced warehouse and where its data came from."""

    engine: Engine
    dataset: Dataset
    store: CentralStore
    settings: Settings
    after: AfterSync


@contextmanager
def synced_pipeline(database_url: str, folder: Path, *, kpm: int = 120, seed: int = 2019) -> Iterator[Synced]:
    """Run the pipeline once into ``database_url``; the simulator stops when the block ends."""
    store = CentralStore()
    dataset = generate(kpm, seed)
    seeded = seed_central(store, dataset)
    server = start_server(store)
    engine = make_engine(database_url)
    try:
        settings = simulator_settings(database_url, server.url, seeded)
        upgrade(engine)
        load_wilayah(engine)
        import_official_lists(engine, dataset, folder / "daftar")
        results = run_once(settings, engine, show_progress=False)
        assert all(r.status == "ok" for r in results), [(r.form_id, r.error) for r in results]
        yield Synced(engine, dataset, store, settings, after_sync(engine))
    finally:
        server.stop()
        engine.dispose()


def copy_rules(target: Path) -> Path:
    """A copy of the shipped rules folder that a test may edit."""
    from forms.rules import RULES_DIR

    shutil.copytree(RULES_DIR, target)
    return target
