"""The sync against the Central simulator over loopback HTTP: exact, idempotent, incremental.

A small household form written as a markdown XLSForm keeps these tests independent of the product forms;
the synthetic Banten data set is synced once at the end, as the demo does.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

import pytest
from sqlalchemy import Engine, select, text

from sync.central import CentralClient, RetryPolicy
from sync.runner import sync_central_form
from tests.sync.conftest import EMAIL, FORM_ID, T0, Env, household
from warehouse.models import Submission, SyncRun, SyncState


def submit(env: Env, i: int, *, at: datetime, members: int = 3) -> None:
    env.store.submit(env.project_id, FORM_ID, household(i, members), submitter=env.submitter, at=at)


def sync(engine: Engine, env: Env, page_size: int = 7):  # type: ignore[no-untyped-def]
    with env.client() as client:
        return sync_central_form(engine, client, FORM_ID, page_size=page_size, show_progress=False)


def typed_counts(engine: Engine) -> tuple[int, int]:
    with engine.connect() as conn:
        roots = conn.execute(text("SELECT count(*) FROM f_uji_rt WHERE _deleted_at IS NULL")).scalar_one()
        members = conn.execute(text("SELECT count(*) FROM f_uji_rt__anggota")).scalar_one()
    return roots, members


def test_sync__fresh_then_again__exact_then_nothing_inserted(engine: Engine, central: Env) -> None:
    """Should load every submission and member exactly once, then insert nothing on a second run."""
    rng = random.Random(7)
    sizes = [rng.randint(1, 6) for _ in range(40)]
    for i, size in enumerate(sizes):
        submit(central, i, at=T0 + timedelta(minutes=i), members=size)
    first = sync(engine, central)
    assert first.status == "ok", first.error
    assert (first.fetched, first.inserted, first.updated) == (40, 40, 0)
    assert typed_counts(engine) == (40, sum(sizes))
    with engine.connect() as conn:
        member = conn.execute(
            text(
                "SELECT m.nama_art, m.tanggal_lahir, m.umur_tahun FROM f_uji_rt__anggota m JOIN f_uji_rt r "
                "ON r._id = m._submission_id WHERE r.id_kpm = '3601-000005' AND m._position = 1"
            )
        ).one()
        assert member[0] == "Anggota 5.0"
        assert str(member[1]) == "1980-01-15"
        assert member[2] == 39
    second = sync(engine, central)
    assert second.status == "ok", second.error
    assert (second.inserted, second.updated) == (0, 0)
    assert second.requests <= 3  # schema, then one conditional probe answered 304
    assert typed_counts(engine) == (40, sum(sizes))
    with engine.connect() as conn:
        runs = conn.execute(select(SyncRun.status, SyncRun.fetched, SyncRun.inserted)).all()
        assert [tuple(r) for r in runs] == [("ok", 40, 40), ("ok", 0, 0)]


def test_sync__submissions_after_a_sync__arrive_next_run(engine: Engine, central: Env) -> None:
    """Should pick up what was submitted, edited or reviewed after the last run, and only that."""
    for i in range(10):
        submit(central, i, at=T0 + timedelta(minutes=i))
    assert sync(engine, central).inserted == 10
    later = T0 + timedelta(days=1)
    for i in range(10, 15):
        submit(central, i, at=later + timedelta(seconds=i))
    with engine.connect() as conn:
        first_id = conn.execute(text("SELECT _id FROM f_uji_rt WHERE id_kpm = '3601-000003'")).scalar_one()
    edited = household(3, 2)
    edited["nama_pengurus"] = "Nama Baru"
    central.store.edit(
        central.project_id,
        FORM_ID,
        first_id,
        edited,
        submitter=central.submitter,
        at=later + timedelta(minutes=1),
    )
    result = sync(engine, central)
    assert result.status == "ok", result.error
    assert (result.inserted, result.updated) == (5, 1)
    assert typed_counts(engine) == (15, 14 * 3 + 2)
    with engine.connect() as conn:
        name = conn.execute(
            text("SELECT nama_pengurus FROM f_uji_rt WHERE _id = :i"), {"i": first_id}
        ).scalar_one()
        assert name == "Nama Baru"
        sub = conn.execute(
            select(Submission.edits, Submission.review_state).where(Submission.logical_id == first_id)
        ).one()
        assert tuple(sub) == (1, "edited")
        raw_versions = conn.execute(
            text("SELECT count(*) FROM raw_submission WHERE logical_id = :i"), {"i": first_id}
        ).scalar_one()
        assert raw_versions == 2


def test_sync__250_equal_submission_dates_across_page_boundary__all_there(
    engine: Engine, central: Env
) -> None:
    """Should load all 250 submissions sharing one submissionDate, pages of 100 cutting through them."""
    same = T0 + timedelta(hours=5)
    for i in range(250):
        submit(central, i, at=same, members=1)
    result = sync(engine, central, page_size=100)
    assert result.status == "ok", result.error
    assert result.inserted == 250
    assert typed_counts(engine) == (250, 250)
    # more with the same timestamp after the cursor reached it: the overlap window still sees them
    for i in range(250, 260):
        submit(central, i, at=same, members=1)
    again = sync(engine, central, page_size=100)
    assert again.inserted == 10
    assert typed_counts(engine) == (260, 260)


def test_sync__cursor_commits_with_the_last_page(engine: Engine, central: Env) -> None:
    """Should leave the cursor untouched when a sweep dies before its last page, and lose nothing after."""
    for i in range(30):
        submit(central, i, at=T0 + timedelta(minutes=i))

    def crash_on_page_3(number: int, _conn: object) -> None:
        if number == 3:
            raise RuntimeError("simulated crash before the commit of page 3")

    with central.client() as client:
        failed = sync_central_form(
            engine, client, FORM_ID, page_size=7, show_progress=False, page_hook=crash_on_page_3
        )
    assert failed.status == "failed"
    with engine.connect() as conn:
        cursor = conn.execute(select(SyncState.cursor)).scalar_one_or_none()
        assert cursor is None
        assert conn.execute(text("SELECT count(*) FROM f_uji_rt")).scalar_one() == 14  # pages 1 and 2
        status = conn.execute(select(SyncRun.status, SyncRun.error_class)).one()
        assert tuple(status) == ("failed", "RuntimeError")
    result = sync(engine, central)
    assert result.status == "ok"
    assert (result.inserted, result.unchanged) == (16, 14)
    assert typed_counts(engine)[0] == 30


def test_sync__deleted_upstream__marked_not_removed(engine: Engine, central: Env) -> None:
    """Should set deleted_at on a submission deleted in Central and keep its rows."""
    for i in range(5):
        submit(central, i, at=T0 + timedelta(minutes=i))
    sync(engine, central)
    with engine.connect() as conn:
        victim = conn.execute(text("SELECT _id FROM f_uji_rt WHERE id_kpm = '3601-000002'")).scalar_one()
    central.store.delete(central.project_id, FORM_ID, victim, at=T0 + timedelta(days=2))
    result = sync(engine, central)
    assert result.updated == 1
    with engine.connect() as conn:
        deleted_at = conn.execute(
            select(Submission.deleted_at).where(Submission.logical_id == victim)
        ).scalar_one()
        assert deleted_at is not None
        assert conn.execute(text("SELECT count(*) FROM f_uji_rt")).scalar_one() == 5
    assert typed_counts(engine)[0] == 4


def test_sync__wrong_password__fails_loudly(engine: Engine, central: Env) -> None:
    """Should fail with AuthFailed naming the settings to check, after at most one login attempt."""
    from sync.errors import AuthFailed

    client = CentralClient(central.url, EMAIL, "salah", central.project_id, policy=RetryPolicy(attempts=2))
    with pytest.raises(AuthFailed, match="GRADUASI_CENTRAL_PASSWORD"):
        client.login()
    assert client.logins == 1
