"""The synced data set arrives exactly in the domain tables, on SQLite and PostgreSQL: every generated household
and registration member, every live visit and disbursement confirmation; nothing unmatched or flagged."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from tests.pipeline import Synced, synced_pipeline
from warehouse.domain import rebuild_domain
from warehouse.models import Anggota, Kpm, Kunjungan, Penyaluran


@pytest.fixture
def synced(db_url: str, tmp_path: Path) -> Iterator[Synced]:
    with synced_pipeline(db_url, tmp_path, kpm=80) as env:
        yield env


def _day(value: object) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def domain_state(env: Synced) -> dict[str, object]:
    with env.engine.connect() as conn:
        return {
            "kpm": {
                r.id_kpm: (r.nama_pengurus, r.kode_desa, r.jumlah_anggota)
                for r in conn.execute(select(Kpm.__table__))
            },
            "anggota": {
                (r.id_kpm, r.urutan): (r.nama, _day(r.tanggal_lahir), r.jenis_kelamin, r.hubungan)
                for r in conn.execute(select(Anggota.__table__))
            },
            "kunjungan": conn.execute(select(func.count()).select_from(Kunjungan)).scalar_one(),
            "penyaluran": conn.execute(select(func.count()).select_from(Penyaluran)).scalar_one(),
        }


def test_domain__synced_data_set__exactly_the_generated_households_and_members(synced: Synced) -> None:
    """Should hold one KPM per generated household and exactly its registration roster, nothing flagged."""
    state = domain_state(synced)
    households = synced.dataset.households
    assert set(state["kpm"]) == {h.id_kpm for h in households}  # type: ignore[arg-type]
    expected_members = {
        (h.id_kpm, i + 1): (m.name, m.birth_date, m.sex, m.relation)
        for h in households
        for i, m in enumerate(h.members[: h.registered])
    }
    assert state["anggota"] == expected_members
    for h in households:
        assert state["kpm"][h.id_kpm][2] == h.registered  # type: ignore[index]
    with synced.engine.connect() as conn:
        assert conn.execute(text("SELECT rule, count(*) FROM dq_issue GROUP BY rule")).all() == []
        live_visits = conn.execute(
            text("SELECT count(*) FROM submission WHERE form_id = 'kpm_kunjungan' AND deleted_at IS NULL")
        ).scalar_one()
        live_payments = conn.execute(
            text("SELECT count(*) FROM submission WHERE form_id = 'penyaluran' AND deleted_at IS NULL")
        ).scalar_one()
    assert state["kunjungan"] == live_visits
    assert state["penyaluran"] == live_payments
    upstream_visits = len(synced.store.live_ids(synced.settings.central_project, "kpm_kunjungan"))
    assert live_visits == upstream_visits


def test_domain__rebuild__same_rows_as_the_incremental_derivation(synced: Synced) -> None:
    """Should re-derive, from the typed tables alone, exactly what the sync's incremental derivation wrote."""
    before = domain_state(synced)
    rebuild_domain(synced.engine)
    assert domain_state(synced) == before
