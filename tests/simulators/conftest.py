"""Fixtures for the simulator tests: the captured data set, small forms written as XLSForm markdown, running
servers on loopback and logged-in HTTP sessions."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests
from pyxform.xls2xform import convert

from simulators.central import CentralStore, RunningServer, start_server
from simulators.central.replay import REPLAY_ADMIN_PASSWORD, load_capture_dataset

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "odk-central"
CAPTURE_DOMAIN = "http://127.0.0.1:8383"
ADMIN_EMAIL = "admin@example.test"
FORM = "survei_rumah_tangga"
T0 = datetime(2026, 11, 28, 1, 0, tzinfo=UTC)

# A form with everything the renderer must handle: groups, a repeat in a group, nested repeats,
# select_multiple, geopoint, image, calculate, date/dateTime.
SAMPLE_MD = """
| survey  |                         |               |               |                   |
|         | type                    | name          | label         | calculation       |
|         | start                   | start         |               |                   |
|         | date                    | tanggal       | Tanggal       |                   |
|         | text                    | nama          | Nama          |                   |
|         | integer                 | umur          | Umur          |                   |
|         | decimal                 | berat         | Berat         |                   |
|         | select_multiple bantuan | bantuan       | Bantuan       |                   |
|         | select_one yt           | sekolah       | Sekolah?      |                   |
|         | geopoint                | lokasi        | Lokasi        |                   |
|         | image                   | foto          | Foto          |                   |
|         | calculate               | dua_kali      |               | ${umur} * 2       |
|         | begin_group             | rumah         | Rumah         |                   |
|         | text                    | alamat        | Alamat        |                   |
|         | begin_repeat            | kamar         | Kamar         |                   |
|         | text                    | nama_kamar    | Nama kamar    |                   |
|         | end_repeat              |               |               |                   |
|         | end_group               |               |               |                   |
|         | begin_repeat            | anggota       | Anggota       |                   |
|         | text                    | nama_anggota  | Nama anggota  |                   |
|         | integer                 | umur_anggota  | Umur anggota  |                   |
|         | begin_repeat            | pendidikan    | Pendidikan    |                   |
|         | text                    | jenjang       | Jenjang       |                   |
|         | end_repeat              |               |               |                   |
|         | end_repeat              |               |               |                   |
| choices |                         |               |               |                   |
|         | list_name               | name          | label         |                   |
|         | bantuan                 | pkh           | PKH           |                   |
|         | bantuan                 | bpnt          | BPNT          |                   |
|         | yt                      | ya            | Ya            |                   |
|         | yt                      | tidak         | Tidak         |                   |
| settings |                        |               |               |                   |
|          | form_id                | version       |               |                   |
|          | uji                    | 1             |               |                   |
"""

ENTITY_MD = """
| survey   |           |          |         |            |             |
|          | type      | name     | label   | save_to    | calculation |
|          | calculate | kpm_id   |         |            | 'KPM-1'     |
|          | text      | nama     | Nama    | nama_kepala |            |
|          | integer   | umur     | Umur    |            |             |
| entities |           |          |         |            |             |
|          | list_name | label    | entity_id |          |             |
|          | kpm       | ${nama}  | ${kpm_id} |          |             |
| settings |           |          |         |            |             |
|          | form_id   | version  |         |            |             |
|          | kpm_update | 1       |         |            |             |
"""


@functools.cache
def xform(markdown: str) -> str:
    """XForm XML from an XLSForm written as a markdown table (pyxform, as forms/ builds them)."""
    return convert(xlsform=markdown, file_type=".md").xform


class Clock:
    """A settable clock for the store: returns ``now`` and moves it by ``step`` on each call."""

    def __init__(self, start: datetime = T0, step: timedelta = timedelta(milliseconds=1)) -> None:
        self.now = start
        self.step = step

    def __call__(self) -> datetime:
        current = self.now
        self.now = current + self.step
        return current


def login(url: str, email: str, password: str) -> requests.Session:
    """A requests session with the Bearer token of ``POST /v1/sessions``."""
    session = requests.Session()
    reply = session.post(f"{url}/v1/sessions", json={"email": email, "password": password}, timeout=10)
    reply.raise_for_status()
    session.headers["Authorization"] = f"Bearer {reply.json()['token']}"
    return session


@pytest.fixture
def sample_store() -> CentralStore:
    """A store with the sample form published in project 1, a web user and an app user."""
    store = CentralStore(clock=Clock())
    admin = store.add_user("staf@example.test", "rahasia", "Staf Dinsos")
    store.add_project("Uji")
    store.add_app_user(1, "Pendamping 01")
    store.publish_form(1, xform(SAMPLE_MD), by=admin)
    return store


@pytest.fixture
def sample_server(sample_store: CentralStore) -> Iterator[RunningServer]:
    with start_server(sample_store) as server:
        yield server


@pytest.fixture
def sample_http(sample_server: RunningServer) -> requests.Session:
    return login(sample_server.url, "staf@example.test", "rahasia")


@pytest.fixture
def replay_store() -> CentralStore:
    return load_capture_dataset(FIXTURES)


@pytest.fixture
def replay_server(replay_store: CentralStore) -> Iterator[RunningServer]:
    with start_server(replay_store, domain=CAPTURE_DOMAIN) as server:
        yield server


@pytest.fixture
def replay_http(replay_server: RunningServer) -> requests.Session:
    return login(replay_server.url, ADMIN_EMAIL, REPLAY_ADMIN_PASSWORD)
