"""The page worker: pages prepared in a second process load exactly as pages prepared in the sync's own, and
the sync goes on (slower, never wrong) when that process fails."""

from __future__ import annotations

import io
import logging
import pickle
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, text

from simulators.central import faults as f
from sync import pageworker
from sync.errors import UpstreamMalformed
from sync.pageworker import Answer, PageWorker, serve
from tests.sync.conftest import FORM_ID, Env, assert_invariants, run_sync, seed
from warehouse.formtables import SourceField, ensure_form_tables
from warehouse.loader import page_extractor
from warehouse.migrate import upgrade

# what a sync writes, without what differs between two runs (run ids, fetch times)
SNAPSHOT = {
    "submission": "SELECT logical_id, instance_id, payload_sha256, submission_date, updated_at, deleted_at, "
    "review_state, edits FROM submission ORDER BY logical_id",
    "raw_submission": "SELECT logical_id, instance_id, payload_sha256, payload, system FROM raw_submission "
    "ORDER BY instance_id",
    "f_uji_rt": "SELECT * FROM f_uji_rt ORDER BY _id",
    "f_uji_rt__anggota": "SELECT * FROM f_uji_rt__anggota ORDER BY _id",
    "dq_issue": "SELECT logical_id, rule, field, value FROM dq_issue ORDER BY logical_id, rule, field",
}


def _snapshot(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    with engine.connect() as conn:
        return {name: [tuple(r) for r in conn.execute(text(sql))] for name, sql in SNAPSHOT.items()}


def _sqlite(tmp_path: Any, name: str) -> Engine:
    engine = create_engine(f"sqlite:///{tmp_path / name}")
    upgrade(engine)
    return engine


class _Spy:
    """Records the page workers a sync starts (and what they prepared)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.workers: list[PageWorker] = []
        original = PageWorker.start

        def start(worker: PageWorker) -> None:
            self.workers.append(worker)
            original(worker)

        monkeypatch.setattr(PageWorker, "start", start)


def test_sync__pages_prepared_in_the_worker__same_warehouse_as_prepared_here(
    central: Env, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = seed(central, 40)
    central.edit(ids[3])
    central.store.delete(central.project_id, FORM_ID, ids[5])
    central.store.submit(
        central.project_id, FORM_ID, {"id_kpm": "x", "anggota": "not a list"}, submitter=central.submitter
    )
    spy = _Spy(monkeypatch)
    here, there = _sqlite(tmp_path, "here.db"), _sqlite(tmp_path, "there.db")

    assert run_sync(here, central, offload_from=10**9).status == "ok"
    assert not spy.workers
    result = run_sync(there, central, offload_from=0)

    assert result.status == "ok"
    assert [w.pages_elsewhere for w in spy.workers] == [result.pages - 1]  # every page after the first
    assert _snapshot(here) == _snapshot(there)
    assert_invariants(central, there)


def test_sync__worker_killed_mid_sweep__rest_prepared_here_nothing_lost(
    engine: Engine, central: Env, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    seed(central, 50)
    spy = _Spy(monkeypatch)

    def kill_after_page_3(number: int, conn: Any) -> None:
        if number == 3:
            proc = spy.workers[0]._proc
            assert proc is not None
            proc.kill()
            proc.wait()

    with caplog.at_level(logging.WARNING, logger="sync.pageworker"):
        result = run_sync(engine, central, offload_from=0, page_hook=kill_after_page_3)

    assert result.status == "ok" and result.inserted == 50
    assert "the page worker stopped" in caplog.text
    assert 0 < spy.workers[0].pages_elsewhere < result.pages - 1
    assert_invariants(central, engine)


def test_sync__cut_body_while_offloaded__asked_again_exact(engine: Engine, central: Env) -> None:
    seed(central, 40)
    central.faults.add(f.truncate("cut", fraction=0.5, kind="odata", path="skiptoken", nth=3))

    result = run_sync(engine, central, offload_from=0)

    assert central.faults.rules[0].fired == 1
    assert result.status == "ok" and result.inserted == 40
    assert_invariants(central, engine)


def test_sync__offloaded__each_page_requested_once_though_fetched_early(engine: Engine, central: Env) -> None:
    seed(central, 60)

    result = run_sync(engine, central, offload_from=0)

    assert result.status == "ok" and result.pages == 9
    pages = [r.target for r in central.server.request_log if "skiptoken" in r.target]
    assert len(pages) == len(set(pages)) == 8
    assert_invariants(central, engine)


def test_sync__short_sweep__no_worker_started(
    engine: Engine, central: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed(central, 20)
    spy = _Spy(monkeypatch)

    assert run_sync(engine, central, offload_from=1000).status == "ok"
    assert spy.workers == []


# --- the worker on its own ----------------------------------------------------------------------------------------


@pytest.fixture
def extractor(sqlite_engine: Engine) -> Any:
    fields = [
        SourceField("/id_kpm", "id_kpm", "string", False, False),
        SourceField("/anggota", "anggota", "repeat", False, False),
        SourceField("/anggota/nama_art", "nama_art", "string", False, False),
    ]
    with sqlite_engine.begin() as conn:
        tables = ensure_form_tables(conn, "central", "uji_rt", fields)
    return page_extractor(tables, pg=False)


PAGE = (
    b'{"@odata.context":"x","value":[{"__id":"uuid:a","id_kpm":"1","anggota":[{"nama_art":"A"}],'
    b'"__system":{"submissionDate":"2019-02-01T01:00:00.000Z","edits":0}},'
    b'{"__id":"uuid:b","id_kpm":"2","anggota":[],"__system":{"submissionDate":"2019-02-02T01:00:00.000Z"}}],'
    b'"@odata.nextLink":"next"}'
)


def test_worker__prepares_a_page_like_this_process(extractor: Any) -> None:
    here = pageworker.prepare_document(extractor, PAGE)
    with PageWorker(extractor) as worker:
        worker.start()
        there = worker.parse(PAGE)
        again = worker.parse(worker.submit(PAGE))

    assert there.prepared.records == here.prepared.records == again.prepared.records
    assert there.prepared.outs == here.prepared.outs
    assert there.members == {"@odata.context": "x", "@odata.nextLink": "next"}
    assert len(there.rows) == 2 and worker.pages_elsewhere == 2
    assert pageworker.largest_peak_kib > 0


def test_worker__cut_page__malformed_wherever_it_is_decoded(extractor: Any) -> None:
    with PageWorker(extractor) as worker:
        with pytest.raises(UpstreamMalformed):
            worker.parse(PAGE[:-20])
        worker.start()
        with pytest.raises(UpstreamMalformed):
            worker.parse(PAGE[:-20])
        assert worker.parse(PAGE).prepared is not None  # the worker is still there after a bad page
        assert worker.offloaded


def test_worker__failed_on_a_page__prepared_here_with_a_warning(
    extractor: Any, caplog: pytest.LogCaptureFixture
) -> None:
    failed = pickle.dumps(("error", "MemoryError: "))
    with PageWorker(extractor) as worker, caplog.at_level(logging.WARNING, logger="sync.pageworker"):
        worker.start()
        worker._ask = lambda raw: failed  # type: ignore[method-assign]
        doc = worker.parse(PAGE)
        with pytest.raises(UpstreamMalformed, match="could not prepare"):  # the client asks again
            worker.parse(Answer(failed, None))

    assert doc.prepared is not None and len(doc.prepared.records) == 2
    assert "failed on a page" in caplog.text


def test_worker__ends_when_its_input_closes(extractor: Any) -> None:
    worker = PageWorker(extractor)
    worker.start()
    proc = worker._proc
    assert proc is not None and proc.stdin is not None

    proc.stdin.close()  # what the kernel does for a sync killed with -9

    assert proc.wait(10) == 0
    worker.close()


def test_serve__page_before_extractor__error_reply() -> None:
    stdin, stdout = io.BytesIO(), io.BytesIO()
    pageworker._write_frame(stdin, pickle.dumps(("page", PAGE)))
    stdin.seek(0)

    serve(stdin, stdout)

    stdout.seek(0)
    reply = pickle.loads(pageworker._read_frame(stdout))
    assert reply[0] == "error" and "no extractor" in reply[1]
