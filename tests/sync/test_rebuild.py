"""``sync rebuild``: the typed tables re-derived from raw equal those of a fresh sync, with no network."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, text

from sync.lock import LockBusy, form_lock
from sync.rebuild import rebuild, synced_forms
from tests.sync.conftest import FORM_ID, T0, Env, run_sync, seed

pytestmark = pytest.mark.timeout(60)


def snapshot(engine: Engine) -> dict[str, Any]:
    with engine.connect() as conn:
        root = sorted(tuple(r) for r in conn.execute(text("SELECT * FROM f_uji_rt")))
        members = sorted(tuple(r) for r in conn.execute(text("SELECT * FROM f_uji_rt__anggota")))
        problems = sorted(
            tuple(r) for r in conn.execute(text("SELECT logical_id, rule, field, value FROM dq_issue"))
        )
    return {"root": root, "members": members, "problems": problems}


def test_rebuild__after_edits_reviews_deletes__same_typed_tables_as_the_sync(
    engine: Engine, central: Env
) -> None:
    """Should reproduce every typed row (current versions, review and delete states) and every problem."""
    ids = seed(central, 20)
    central.store.submit(
        central.project_id,
        FORM_ID,
        {"id_kpm": "x", "tanggal_registrasi": "kemarin", "anggota": [{"umur_tahun": "tua"}]},
        submitter=central.submitter,
        at=T0 + timedelta(hours=1),
    )
    run_sync(engine, central)
    central.edit(ids[1], at=T0 + timedelta(days=1), members=4)
    central.store.review(central.project_id, FORM_ID, ids[2], "approved", at=T0 + timedelta(days=1))
    central.store.delete(central.project_id, FORM_ID, ids[3], at=T0 + timedelta(days=1))
    assert run_sync(engine, central).status == "ok"
    synced = snapshot(engine)
    assert any(p[1] == "TYPE_MISMATCH" for p in synced["problems"])
    with engine.begin() as conn:  # damage the derived tables
        conn.execute(text("DELETE FROM f_uji_rt__anggota WHERE _position = 1"))
        conn.execute(text("UPDATE f_uji_rt SET nama_pengurus = 'rusak'"))
        conn.execute(text("DELETE FROM dq_issue"))
    central.server.stop()  # no network from here on
    result = rebuild(engine)
    assert result.forms == {f"central:{FORM_ID}": (21, len(synced["problems"]))}
    assert snapshot(engine) == synced


def test_rebuild__while_a_sync_holds_the_form__refused(engine: Engine, central: Env) -> None:
    """Should not interleave with a running sync of the same form."""
    seed(central, 3)
    run_sync(engine, central)
    assert synced_forms(engine) == [("central", FORM_ID)]
    with form_lock(engine, "central", FORM_ID), pytest.raises(LockBusy):
        rebuild(engine)
