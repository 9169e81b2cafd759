"""The generated data set: determinism, identifiers, NIK structure, fixed dates and the event stream."""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
import subprocess
import sys
from collections import Counter
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from simulators.synthetic import Dataset, Delete, Edit, Review, Submit, generate
from simulators.synthetic.assumptions import (
    AS_OF,
    LAST_VISIT_DAY,
    REGISTRATION_END,
    REGISTRATION_START,
    TRANCHES,
)

ROOT = Path(__file__).resolve().parents[2]
ID_KPM = re.compile(r"^36[0-9]{2}-[0-9]{6}$")
SIXTEEN_DIGITS = re.compile(r"^[1-9][0-9]{15}$")
ISO_LOCAL = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}\+07:00$")


@functools.cache
def dataset(kpm: int = 300, seed: int = 2019) -> Dataset:
    return generate(kpm, seed)


def fingerprint(ds: Dataset) -> str:
    """A digest of every event (with its data) and of the rosters."""
    h = hashlib.sha256()
    for event in ds.events():
        h.update(repr(event).encode())
    h.update(json.dumps(ds.official_kpm_rows(), sort_keys=True).encode())
    h.update(json.dumps(ds.pendamping_rows(), sort_keys=True).encode())
    return h.hexdigest()


def test_generate__same_seed__identical_output() -> None:
    """Should produce byte-identical events and rosters from the same (kpm, seed), in a fresh generation."""
    assert fingerprint(generate(120, 5)) == fingerprint(generate(120, 5))


def test_generate__other_process_and_hash_seed__identical_output() -> None:
    """Should not depend on Python's per-process string hashing (set order) or anything else of the process."""
    code = (
        "from tests.simulators.test_synthetic_generate import fingerprint; "
        "from simulators.synthetic import generate; print(fingerprint(generate(120, 5)))"
    )
    outputs = set()
    for hash_seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        done = subprocess.run(
            [sys.executable, "-c", code],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
        )
        outputs.add(done.stdout.strip())
    assert outputs == {fingerprint(generate(120, 5))}


def test_generate__different_seed__different_output() -> None:
    assert fingerprint(generate(120, 5)) != fingerprint(generate(120, 6))


def test_generate__bad_size__raises_clear_error() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        generate(0)


def test_households__ids_and_numbers__have_the_program_formats() -> None:
    """Should give every KPM an id ``36KK-NNNNNN`` of its kabupaten, a 16-digit KK and unique 16-digit NIKs."""
    ds = dataset()
    ids = [h.id_kpm for h in ds.households]
    assert len(set(ids)) == len(ids)
    niks = []
    for h in ds.households:
        assert ID_KPM.match(h.id_kpm) and h.id_kpm[:4] == h.kabupaten
        assert SIXTEEN_DIGITS.match(h.no_kk) and h.no_kk.startswith(h.kecamatan)
        assert h.desa.startswith(h.kecamatan) and h.kecamatan.startswith(h.kabupaten)
        niks += [m.nik for m in h.members]
    assert len(set(niks)) == len(niks), "NIKs must be unique"


def test_members__nik__encodes_kecamatan_birth_date_and_sex() -> None:
    """Should build each NIK from the kecamatan code, DDMMYY of birth (day + 40 for women) and a serial."""
    for h in dataset().households:
        for m in h.members:
            assert SIXTEEN_DIGITS.match(m.nik)
            assert m.nik[:6] == h.kecamatan
            day = int(m.nik[6:8]) - (40 if m.sex == "p" else 0)
            assert (day, int(m.nik[8:10]), int(m.nik[10:12])) == (
                m.birth_date.day,
                m.birth_date.month,
                m.birth_date.year % 100,
            )
            assert 1 <= int(m.nik[12:]) <= 9999


def test_members__ages__fit_the_relations() -> None:
    """Should keep mothers 15-49 at every birth of their children, and heads adult."""
    for h in dataset().households:
        reg = h.registered_on
        assert h.members[0].relation == "kepala" and h.members[0].age(reg) >= 17
        for m in h.members:
            if m.mother is not None:
                mother = h.members[m.mother]
                age_at_birth = mother.age(m.birth_date)
                assert 15 <= age_at_birth <= 49, (h.id_kpm, mother.name, age_at_birth)
            assert m.birth_date <= (m.joined or reg)


def test_dates__registrations_visits_and_tranches__stay_in_their_fixed_windows() -> None:
    """Should register Jan-Apr 2019, visit from Apr 2019 to Dec 2020 about quarterly, confirm tranches after
    their pay windows open, and never go past the data set's as-of date."""
    ds = dataset()
    assert ds.as_of == AS_OF == date(2020, 12, 31)
    first_pay = {(year, tahap): first for year, tahap, _amount, first, _last in TRANCHES}
    for h in ds.households:
        assert REGISTRATION_START <= h.registered_on <= REGISTRATION_END
        assert h.registered_on.weekday() != 6
        previous = h.registered_on
        for day in h.visit_dates:
            assert date(2019, 4, 1) <= day <= LAST_VISIT_DAY
            assert (day - previous).days >= 60
            previous = day
        for d in h.disbursements:
            assert first_pay[(d.year, d.tahap)] <= d.confirmed_on <= LAST_VISIT_DAY
            if d.received_on is not None:
                assert first_pay[(d.year, d.tahap)] <= d.received_on <= d.confirmed_on
    visits_per_kpm = sum(len(h.visit_dates) for h in ds.households) / len(ds.households)
    assert 5.0 <= visits_per_kpm <= 7.5, "about quarterly from Apr 2019 to Dec 2020"


def test_events__stream__is_chronological_and_consistent() -> None:
    """Should yield events in time order, each edit/review/delete after the submission it acts on, with
    device times in +07:00 and server times in UTC before the end of the as-of day."""
    ds = dataset()
    end = datetime(2020, 12, 31, 17, 0, tzinfo=UTC)
    last = datetime(2019, 1, 1, tzinfo=UTC)
    submitted: dict[str, datetime] = {}
    deleted: set[str] = set()
    pendamping = {p.id for p in ds.pendamping}
    for event in ds.events():
        assert event.at.tzinfo is UTC
        assert last <= event.at < end
        last = event.at
        if isinstance(event, Submit):
            assert event.instance_id.startswith("uuid:") and event.instance_id not in submitted
            assert event.submitter_key in pendamping
            assert ISO_LOCAL.match(event.data["start"]) and ISO_LOCAL.match(event.data["end"])
            assert event.data["start"] < event.data["end"]
            assert event.data["username"] == event.data["pendamping_id"] == event.submitter_key
            submitted[event.instance_id] = event.at
        else:
            assert event.logical_id in submitted and submitted[event.logical_id] < event.at
            assert event.logical_id not in deleted
            if isinstance(event, Delete):
                deleted.add(event.logical_id)


def test_events__server_activity__edits_reviews_and_deletions_in_expected_shares() -> None:
    """Should edit about 2% of registrations, review about 10/1/0.5% as approved/hasIssues/rejected and delete
    only duplicates of visits."""
    ds = dataset(2000, 11)
    kinds: Counter[str] = Counter()
    reviews: Counter[str] = Counter()
    submissions: Counter[str] = Counter()
    duplicates = 0
    seen_visits: dict[tuple[str, str], str] = {}
    deleted = []
    for event in ds.events():
        kinds[type(event).__name__] += 1
        if isinstance(event, Submit):
            submissions[event.form_id] += 1
            if event.form_id == "kpm_kunjungan":
                key = (event.data["id_kpm"], event.data["tanggal_kunjungan"])
                if key in seen_visits:
                    duplicates += 1
                seen_visits[key] = event.instance_id
        elif isinstance(event, Review):
            reviews[event.state] += 1
        elif isinstance(event, Edit):
            assert event.form_id == "kpm_registrasi"
        elif isinstance(event, Delete):
            deleted.append(event)
    assert 0.01 <= kinds["Edit"] / submissions["kpm_registrasi"] <= 0.035
    total = sum(submissions.values())
    assert 0.085 <= reviews["approved"] / total <= 0.115
    assert 0.004 <= reviews["hasIssues"] / total <= 0.017
    assert 0.001 <= reviews["rejected"] / total <= 0.01
    assert duplicates >= 1 and len(deleted) <= duplicates
    assert all(d.form_id == "kpm_kunjungan" for d in deleted)


def test_official_rows__one_per_household__match_the_ground_truth() -> None:
    """Should list every KPM once, in the KPM import's columns, with the codes, recipient and pendamping of the
    ground truth."""
    ds = dataset()
    rows = ds.official_kpm_rows()
    assert len(rows) == len(ds.households)
    for row, h in zip(rows, ds.households, strict=True):
        assert row["id_kpm"] == h.id_kpm and row["nik_pengurus"] == h.members[h.pengurus].nik
        assert (row["kode_kabupaten"], row["kode_kecamatan"], row["kode_desa"]) == (
            h.kabupaten,
            h.kecamatan,
            h.desa,
        )
        assert row["pendamping_id"] == h.pendamping_id and row["tahun_masuk"] == 2019
        assert row["kategori_awal"] in ("sangat_miskin", "miskin", "hampir_miskin", "rentan_miskin")


def test_pendamping_rows__roster__has_ids_names_regions_and_app_users() -> None:
    """Should give 330 pendamping with unique ids that are also the Central app-user names the forms accept."""
    ds = dataset()
    rows = ds.pendamping_rows()
    assert len(rows) == 330
    assert len({r["id"] for r in rows}) == 330
    for r in rows:
        assert re.match(r"^[A-Za-z0-9._-]{2,32}$", r["central_app_user"]), (
            "the forms' pendamping_id constraint"
        )
        assert r["central_app_user"] == r["id"] and r["aktif"] == "ya"
        assert r["kode_kecamatan"].startswith(r["kode_kabupaten"]) and len(r["nama"]) >= 3
        assert re.match(r"^08[0-9]{10}$", r["telepon"])
    assert sum(p.kpm_count for p in ds.pendamping) == 300
