"""The KPM roster pushed from the warehouse to Central's ``kpm`` Entity List (the simulator over loopback HTTP),
on SQLite and PostgreSQL: what is pushed, only what changed, never deletions, never NIK or KK numbers."""

from __future__ import annotations

import csv
import io
import math
import uuid
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, insert, update

from forms.entity import entity_uuid, load_entity_properties
from graduasi.cli.push import push as push_cmd
from simulators.central import CentralStore, FaultPlan, RunningServer, faults, start_server
from simulators.synthetic import generate
from sync.central_api import CentralApi, CentralProblem
from sync.push import INACTIVE_PREFIX, age_on, first_name, iter_roster, push_roster, roster_csv
from tests.sync.publishing_helpers import ADMIN_EMAIL, ADMIN_PASSWORD, central_env, central_store
from warehouse.db import write_connection
from warehouse.imports import import_kpm, import_pendamping
from warehouse.models import Anggota, Asesmen, Kpm, Kunjungan
from warehouse.regions import load_wilayah

AS_OF = date(2020, 12, 31)
N_KPM = 30


def _csv(path: Path, rows: list[dict]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


@pytest.fixture(scope="module")
def dataset():  # type: ignore[no-untyped-def]
    return generate(kpm=N_KPM, seed=2019)


def load_roster(engine: Engine, dataset, folder: Path) -> list[str]:  # type: ignore[no-untyped-def]
    """The official lists of the synthetic data set imported, and one KPM registered with known members."""
    load_wilayah(engine)
    import_pendamping(
        engine, _csv(folder / "p.csv", dataset.pendamping_rows()), actor="uji", today=date(2019, 1, 10)
    )
    import_kpm(
        engine, _csv(folder / "k.csv", dataset.official_kpm_rows()), actor="uji", today=date(2019, 1, 10)
    )
    ids = sorted(row["id_kpm"] for row in dataset.official_kpm_rows())
    first = ids[0]
    k, a = Kpm.__table__, Anggota.__table__
    with write_connection(engine) as conn:
        conn.execute(
            update(k).where(k.c.id_kpm == first).values(
                tanggal_registrasi=date(2019, 2, 1), jumlah_anggota=5, bank_penyalur="bjb", skor_bps_perangkat=9,
                kategori="miskin", status_graduasi="aktif", tanggal_kunjungan_terakhir=date(2020, 10, 5),
            )
        )  # fmt: skip
        members = [
            (1, "Siti Aminah", date(1985, 3, 4), "ya", "tidak", "3601014403850001"),
            (2, "Budi  Santoso", date(1983, 1, 1), None, "tidak", "3601010101830002"),
            (3, "Ani:Putri, S", date(2008, 6, 15), None, None, "3601015506080003"),
            (4, "Rudi", date(2017, 1, 10), None, None, None),
            (5, "Mbah Sarinah", date(1950, 12, 31), "tidak", "berat", None),
        ]
        conn.execute(insert(a), [
            {"id_kpm": first, "urutan": u, "nama": n, "tanggal_lahir": b, "status_hamil": h, "disabilitas": d,
             "nik": nik}
            for u, n, b, h, d, nik in members
        ])  # fmt: skip
        conn.execute(insert(Asesmen.__table__).values(
            id_kpm=first, tanggal=date(2020, 10, 5), rule_version="v2019", skor_bps=7, status="aktif",
            kriteria_json="{}", computed_at=datetime(2020, 10, 6),
        ))  # fmt: skip
        conn.execute(insert(Kunjungan.__table__), [
            {"id": "uuid:k1", "id_kpm": first, "tanggal_kunjungan": date(2020, 6, 1), "penilaian_pendamping": "belum"},
            {"id": "uuid:k2", "id_kpm": first, "tanggal_kunjungan": date(2020, 10, 5),
             "penilaian_pendamping": "mendekati"},
        ])  # fmt: skip
    return ids


@pytest.fixture
def simulator() -> Iterator[tuple[CentralStore, RunningServer]]:
    store = central_store()
    with start_server(store) as server:
        yield store, server


def connect(server: RunningServer) -> CentralApi:
    return CentralApi(server.url, ADMIN_EMAIL, ADMIN_PASSWORD, 1)


EXPECTED_FIRST = {
    "tanggal_registrasi": "2019-02-01",
    "bank_penyalur": "bjb",
    "jumlah_art": "5",
    "ringkasan_anggota": "Siti 35, Budi 37, AniPutri 12, Rudi 3, Mbah 70",
    "anak_sekolah": "3:AniPutri",
    "balita": "4:Rudi",
    "ibu_hamil": "1:Siti",
    "lansia": "5:Mbah",
    "n_anak_sekolah": "1",
    "n_balita": "1",
    "n_hamil": "1",
    "n_lansia": "1",
    "n_disabilitas_berat": "1",
    "skor_bps": "7",
    "kategori": "miskin",
    "status_graduasi": "aktif",
    "tanggal_kunjungan_terakhir": "2020-10-05",
    "penilaian_terakhir": "mendekati",
}


def test_push__first_then_again__creates_every_active_kpm_then_sends_no_change(
    engine: Engine, simulator, dataset, tmp_path: Path
) -> None:
    """Should create the kpm Entity List with its properties and one entity per official KPM (roster
    properties, members as of the push date, no NIK/KK), then find nothing to change."""
    store, server = simulator
    ids = load_roster(engine, dataset, tmp_path)
    with connect(server) as api:
        report = push_roster(api, engine, as_of=AS_OF)
        assert (report.list_created, report.created, report.updated, report.active) == (True, N_KPM, 0, N_KPM)
        before = api.changes
        again = push_roster(api, engine, as_of=AS_OF)
        assert api.changes == before
    assert (again.created, again.updated, again.unchanged, again.on_central) == (0, 0, N_KPM, N_KPM)
    assert set(again.requests) == {"GET"}
    kpm = store.dataset(1, "kpm")
    assert sorted(e.uuid for e in kpm.newest_first()) == sorted(entity_uuid(i) for i in ids)
    first = kpm.by_uuid[entity_uuid(ids[0])]
    official = {row["id_kpm"]: row for row in dataset.official_kpm_rows()}[ids[0]]
    assert first.label == f"{ids[0]} {official['nama_pengurus']}"
    assert [kpm.by_uuid[entity_uuid(i)].data["id_kpm"] for i in ids] == ids  # what the forms' id_kpm reads
    assert {key: first.data[key] for key in EXPECTED_FIRST} == EXPECTED_FIRST
    assert first.data["kode_desa"] == official["kode_desa"] and first.data["nama_desa"]
    other = kpm.by_uuid[entity_uuid(ids[1])]
    assert other.data["ringkasan_anggota"] == "" and other.data["n_balita"] == ""  # not registered yet
    secrets = {r["nik_pengurus"] for r in dataset.official_kpm_rows()} | {
        r["no_kk"] for r in dataset.official_kpm_rows()
    }
    secrets |= {"3601014403850001", "3601010101830002", "3601015506080003"}
    pushed = " ".join(f"{e.label} {' '.join(e.data.values())}" for e in kpm.newest_first())
    assert not any(s in pushed for s in secrets if s)


def test_push__warehouse_changed__patches_only_the_changed_properties(
    sqlite_engine: Engine, simulator, dataset, tmp_path: Path
) -> None:
    """Should update only the entities whose values differ, with baseVersion, sending only those values."""
    store, server = simulator
    ids = load_roster(sqlite_engine, dataset, tmp_path)
    with connect(server) as api:
        push_roster(api, sqlite_engine, as_of=AS_OF)
        k = Kpm.__table__
        with write_connection(sqlite_engine) as conn:
            conn.execute(update(k).where(k.c.id_kpm == ids[5]).values(kategori="hampir_miskin"))
        before = dict(api.requests)
        report = push_roster(api, sqlite_engine, as_of=AS_OF)
        assert api.requests["PATCH"] - before.get("PATCH", 0) == 1 and api.requests["POST"] == before["POST"]
        # a year later the toddler is five: the roster follows the push date
        later = push_roster(api, sqlite_engine, as_of=date(2022, 1, 10))
    assert (report.updated, report.unchanged) == (1, N_KPM - 1)
    entity = store.dataset(1, "kpm").by_uuid[entity_uuid(ids[5])]
    assert entity.current.data_received == {"kategori": "hampir_miskin"}
    assert (entity.version, entity.data["kategori"]) == (2, "hampir_miskin")
    assert later.updated == 1
    first = store.dataset(1, "kpm").by_uuid[entity_uuid(ids[0])]
    assert (first.data["balita"], first.data["n_balita"]) == ("", "0")
    assert set(first.current.data_received) == {"ringkasan_anggota", "balita", "n_balita"}


def test_push__list_pushed_before_id_kpm_existed__adds_the_property_and_fills_it(
    sqlite_engine: Engine, simulator, dataset, tmp_path: Path
) -> None:
    """Should add the id_kpm property to a list pushed without it and patch every entity with only its KPM id
    (same entity ids as before)."""
    store, server = simulator
    ids = load_roster(sqlite_engine, dataset, tmp_path)
    older = [p for p in load_entity_properties() if p.name != "id_kpm"]
    with connect(server) as api:
        first = push_roster(api, sqlite_engine, as_of=AS_OF, properties=older)
        assert first.created == N_KPM
        assert "id_kpm" not in store.dataset(1, "kpm").by_uuid[entity_uuid(ids[0])].data
        report = push_roster(api, sqlite_engine, as_of=AS_OF)
    assert (report.properties_added, report.created, report.updated) == (["id_kpm"], 0, N_KPM)
    kpm = store.dataset(1, "kpm")
    for id_kpm in ids:
        entity = kpm.by_uuid[entity_uuid(id_kpm)]
        assert entity.current.data_received == {"id_kpm": id_kpm}
        assert entity.version == 2


def test_push__kpm_no_longer_active__reported_never_deleted_marked_on_request(
    engine: Engine, simulator, dataset, tmp_path: Path
) -> None:
    """Should leave the entity of a KPM that left the program, report it, and only with mark_inactive label
    it [NONAKTIF] with its status, once."""
    store, server = simulator
    ids = load_roster(engine, dataset, tmp_path)
    k = Kpm.__table__
    with connect(server) as api:
        push_roster(api, engine, as_of=AS_OF)
        with write_connection(engine) as conn:
            conn.execute(update(k).where(k.c.id_kpm == ids[2]).values(status="keluar_pindah"))
        report = push_roster(api, engine, as_of=AS_OF)
        assert (report.inactive, report.marked, report.updated, report.active) == ([ids[2]], 0, 0, N_KPM - 1)
        marked = push_roster(api, engine, as_of=AS_OF, mark_inactive=True)
        before = api.changes
        third = push_roster(api, engine, as_of=AS_OF, mark_inactive=True)
        assert api.changes == before
    assert (marked.marked, third.marked, third.inactive) == (1, 0, [ids[2]])
    entity = store.dataset(1, "kpm").by_uuid[entity_uuid(ids[2])]
    assert entity.deleted_us is None
    assert (
        entity.label.startswith(INACTIVE_PREFIX + ids[2])
        and entity.data["status_graduasi"] == "keluar_pindah"
    )


def test_push__phone_wrote_a_visit__empty_warehouse_value_does_not_overwrite_it(
    sqlite_engine: Engine, simulator, dataset, tmp_path: Path
) -> None:
    """Should keep a value a form wrote on the phone while the warehouse has none yet (not synced)."""
    store, server = simulator
    ids = load_roster(sqlite_engine, dataset, tmp_path)
    with connect(server) as api:
        push_roster(api, sqlite_engine, as_of=AS_OF)
        admin = store.user(ADMIN_EMAIL)
        store.update_entity(1, "kpm", entity_uuid(ids[3]), {"data": {"tanggal_kunjungan_terakhir": "2021-01-05",
                            "penilaian_terakhir": "mendekati"}}, base_version="1", actor=admin)  # fmt: skip
        before = api.changes
        report = push_roster(api, sqlite_engine, as_of=AS_OF)
        assert api.changes == before
    assert (report.kept_phone_values, report.updated) == (2, 0)
    assert (
        store.dataset(1, "kpm").by_uuid[entity_uuid(ids[3])].data["tanggal_kunjungan_terakhir"]
        == "2021-01-05"
    )


def test_push__entity_deleted_on_central__reported_then_restored_on_request(
    sqlite_engine: Engine, simulator, dataset, tmp_path: Path
) -> None:
    """Should not recreate an entity someone deleted on Central (Central refuses that uuid), report it, and
    restore it with restore_deleted; entities of no known KPM are left alone."""
    store, server = simulator
    ids = load_roster(sqlite_engine, dataset, tmp_path)
    stranger = str(uuid.uuid4())
    with connect(server) as api:
        push_roster(api, sqlite_engine, as_of=AS_OF)
        store.delete_entity(1, "kpm", entity_uuid(ids[4]))
        store.create_entities(1, "kpm", [{"uuid": stranger, "label": "dibuat di Central"}],
                              creator=store.user(ADMIN_EMAIL))  # fmt: skip
        report = push_roster(api, sqlite_engine, as_of=AS_OF)
        assert (report.deleted_on_central, report.created, report.unknown) == ([ids[4]], 0, [stranger])
        restored = push_roster(api, sqlite_engine, as_of=AS_OF, restore_deleted=True)
    assert restored.restored == 1
    assert store.dataset(1, "kpm").by_uuid[entity_uuid(ids[4])].deleted_us is None
    assert store.dataset(1, "kpm").by_uuid[stranger].label == "dibuat di Central"


def test_push__chunks_and_dry_run__bulk_requests_of_chunk_size_and_nothing_written_when_dry(
    sqlite_engine: Engine, simulator, dataset, tmp_path: Path
) -> None:
    """Should count without writing in a dry run, then create in ceil(n/chunk) bulk requests."""
    store, server = simulator
    load_roster(sqlite_engine, dataset, tmp_path)
    with connect(server) as api:
        dry = push_roster(api, sqlite_engine, as_of=AS_OF, dry_run=True)
        assert (dry.list_created, dry.created, api.changes) == (True, N_KPM, 0)
        assert not store.projects[1].datasets
        report = push_roster(api, sqlite_engine, as_of=AS_OF, chunk_size=7)
    bulk = [
        r for r in server.request_log if r.method == "POST" and r.target.endswith("/datasets/kpm/entities")
    ]
    assert len(bulk) == math.ceil(N_KPM / 7) and report.created == N_KPM


def test_push__phone_updates_between_read_and_patch__409_15_then_patched_on_the_new_version(
    sqlite_engine: Engine, dataset, tmp_path: Path
) -> None:
    """Should re-read an entity a phone changed after the page was read (409.15) and patch its new version."""
    ids = load_roster(sqlite_engine, dataset, tmp_path)
    store = central_store()
    target = entity_uuid(ids[6])

    def phone_edit(ctx: faults.FaultContext) -> None:
        ctx.store.update_entity(1, "kpm", target, {"data": {"penilaian_terakhir": "siap_diusulkan"}},
                                base_version="1", actor=ctx.store.user(ADMIN_EMAIL))  # fmt: skip

    plan = FaultPlan([faults.hook(phone_edit, method="PATCH", path=target, nth=1)])
    with start_server(store, faults=plan) as server, connect(server) as api:
        push_roster(api, sqlite_engine, as_of=AS_OF)
        k = Kpm.__table__
        with write_connection(sqlite_engine) as conn:
            conn.execute(update(k).where(k.c.id_kpm == ids[6]).values(kategori="rentan_miskin"))
        report = push_roster(api, sqlite_engine, as_of=AS_OF)
        statuses = [r.status for r in server.request_log if r.method == "PATCH"]
    assert report.updated == 1 and statuses == [409, 200]
    entity = store.dataset(1, "kpm").by_uuid[target]
    assert (entity.version, entity.data["kategori"], entity.data["penilaian_terakhir"]) == (
        3, "rentan_miskin", "siap_diusulkan",
    )  # fmt: skip


def test_roster_csv__kobo_media_file__header_of_entity_kpm_and_kpm_id_as_name(
    sqlite_engine: Engine, dataset, tmp_path: Path
) -> None:
    """Should render the roster as kpm.csv for the Kobo forms: name = id_kpm = KPM id, every declared property."""
    ids = load_roster(sqlite_engine, dataset, tmp_path)
    rows = list(csv.DictReader(io.StringIO(roster_csv(sqlite_engine, as_of=AS_OF).decode("utf-8"))))
    assert [r["name"] for r in rows] == ids == [r["id_kpm"] for r in rows]
    assert rows[0]["ringkasan_anggota"] == EXPECTED_FIRST["ringkasan_anggota"]
    assert list(rows[0])[:4] == ["name", "label", "id_kpm", "nama_pengurus"]
    assert next(iter_roster(sqlite_engine, as_of=AS_OF, ids=[ids[0]])).data["skor_bps"] == "7"


def test_sync_push_cli__summary_dry_run_and_kobo_csv(
    sqlite_engine: Engine, simulator, dataset, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Should push through the command, say what it did, and write the Kobo kpm.csv on request."""
    _, server = simulator
    load_roster(sqlite_engine, dataset, tmp_path)
    monkeypatch.chdir(tmp_path)
    for key, value in central_env(server, str(sqlite_engine.url)).items():
        monkeypatch.setenv(key, value)
    run = CliRunner().invoke
    dry = run(push_cmd, ["--as-of", "2020-12-31", "--dry-run", "--no-progress"])
    assert dry.exit_code == 0, dry.output
    assert (
        f"dry run: push as of 2020-12-31: {N_KPM} active KPM, 0 entities on Central; {N_KPM} would be created"
        in dry.stdout
    )
    done = run(push_cmd, ["--as-of", "2020-12-31", "--no-progress"])
    assert f"{N_KPM} created; 0 updated; 0 unchanged" in done.stdout
    again = run(push_cmd, ["--as-of", "2020-12-31", "--no-progress"])
    assert f"0 created; 0 updated; {N_KPM} unchanged" in again.stdout
    kobo = run(push_cmd, ["--as-of", "2020-12-31", "--kobo-csv", str(tmp_path / "kobo" / "kpm.csv")])
    assert kobo.exit_code == 0 and (tmp_path / "kobo" / "kpm.csv").read_text(encoding="utf-8").startswith(
        "name,label,"
    )
    monkeypatch.delenv("GRADUASI_CENTRAL_PROJECT")
    missing = run(push_cmd, ["--no-progress"])
    assert missing.exit_code == 1 and "set GRADUASI_CENTRAL_PROJECT" in missing.output


def test_entity_uuid_first_name_age__helpers() -> None:
    """Should derive a stable version-4 UUID per KPM, the form's first name and the birthday-rule age."""
    one = entity_uuid("3601-000001")
    assert one == entity_uuid("3601-000001") != entity_uuid("3601-000002")
    assert uuid.UUID(one).version == 4 and uuid.UUID(one).variant == uuid.RFC_4122
    assert (first_name("  Ani:Putri, S "), first_name(None), first_name("Siti|Aisyah")) == (
        "AniPutri",
        "",
        "SitiAisyah",
    )
    assert (age_on(date(2017, 1, 10), date(2022, 1, 9)), age_on(date(2017, 1, 10), date(2022, 1, 10))) == (
        4,
        5,
    )
    assert age_on(None, date(2022, 1, 1)) is None


def test_central_api__reads_retried_writes_not_and_an_expired_session_logs_in_again() -> None:
    """Should retry a GET that got 503, not a POST that got 500 (it may have been applied), and log in again
    once when the session expires."""
    store = central_store()
    plan = FaultPlan([
        faults.status(503, method="GET", path="/datasets$", nth=1),
        faults.status(500, method="POST", path="/datasets$", nth=1),
        faults.expire_session(method="GET", path="/app-users", nth=1),
    ])  # fmt: skip
    with start_server(store, faults=plan) as server:
        api = CentralApi(server.url, ADMIN_EMAIL, ADMIN_PASSWORD, 1, sleep=lambda seconds: None)
        with api:
            assert api.get_json(api.project_path("/datasets")) == []
            with pytest.raises(CentralProblem) as failed:
                api.post_json(api.project_path("/datasets"), {"name": "kpm"})
            assert failed.value.status == 500 and not store.projects[1].datasets
            assert api.get_json(api.project_path("/app-users")) == []
            assert api.logins == 2
        statuses = [(r.method, r.status) for r in server.request_log if "/datasets" in r.target]
    assert statuses == [("GET", 503), ("GET", 200), ("POST", 500)]
