"""App users for the pendamping and their printable ODK Collect QR sheets, against the Central simulator."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner
from sqlalchemy import Engine, select

from forms.build import build_xform
from graduasi.cli import main
from simulators.central import CentralStore, RunningServer
from sync.app_users import provision_app_users, write_qr_sheets
from sync.central_api import CentralApi
from sync.qr import decode_settings
from tests.sync.publishing_helpers import (
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    PROJECT,
    central_env,
    central_store,
    png_data_uris,
    read_qr,
    serve,
)
from warehouse.imports import import_pendamping
from warehouse.models import Pendamping
from warehouse.regions import load_wilayah

FORMS = ("kpm_registrasi", "kpm_kunjungan", "penyaluran")
ROSTER = """id,nama,kode_kabupaten,kode_kecamatan,telepon,central_app_user,aktif
PD-3601-001,Ahmad Fauzi,3601,360101,081234567801,,ya
PD-3601-002,Siti Rohmah,3601,360101,081234567802,HP Siti,ya
PD-3601-003,Dedi Kurnia,3601,360102,081234567803,,ya
PD-3601-004,Rina Marlina,3601,360102,081234567804,,tidak
PD-3672-001,Yusuf Hamdani,3672,,081234567805,,ya
"""


@pytest.fixture
def simulator() -> Iterator[tuple[CentralStore, RunningServer]]:
    store = central_store()
    for form_id in FORMS:
        store.publish_form(1, build_xform(form_id).xml)
    with serve(store) as server:
        yield store, server


@pytest.fixture
def roster_engine(sqlite_engine: Engine, tmp_path: Path) -> Engine:
    load_wilayah(sqlite_engine)
    path = tmp_path / "pendamping.csv"
    path.write_text(ROSTER, encoding="utf-8")
    import_pendamping(sqlite_engine, path, actor="uji", today=date(2019, 1, 10))
    return sqlite_engine


def test_provision__roster__one_app_user_per_active_pendamping_forms_assigned_recorded(
    simulator, roster_engine: Engine
) -> None:
    """Should create an app user per active pendamping (named central_app_user or the id), assign every
    form with the app-user role and record the ids on the pendamping rows."""
    store, server = simulator
    with CentralApi(server.url, ADMIN_EMAIL, ADMIN_PASSWORD, 1) as api:
        report = provision_app_users(api, roster_engine, FORMS, project_name=PROJECT)
    assert (report.created, report.existing, report.assignments_added) == (4, 0, 12)
    names = sorted(a.display_name for a in store.projects[1].app_users)
    assert names == ["HP Siti", "PD-3601-001", "PD-3601-003", "PD-3672-001"]
    for form_id in FORMS:
        assigned = {actor for role, actor in store.form(1, form_id).assignments if role == 2}
        assert assigned == {a.id for a in store.projects[1].app_users}
    with roster_engine.connect() as conn:
        rows = dict(conn.execute(select(Pendamping.id, Pendamping.central_app_user_id)).all())
    by_name = {a.display_name: a.id for a in store.projects[1].app_users}
    assert rows["PD-3601-002"] == by_name["HP Siti"] and rows["PD-3601-004"] is None


def test_provision__second_run__reuses_everything_and_changes_nothing(
    simulator, roster_engine: Engine
) -> None:
    """Should be idempotent by display name: no new app user, no new assignment, no write request."""
    store, server = simulator
    with CentralApi(server.url, ADMIN_EMAIL, ADMIN_PASSWORD, 1) as api:
        first = provision_app_users(api, roster_engine, FORMS, project_name=PROJECT)
        before = api.changes
        second = provision_app_users(api, roster_engine, FORMS, project_name=PROJECT)
        assert api.changes == before
    assert (second.created, second.existing, second.assignments_added, second.recorded) == (0, 4, 0, 0)
    assert [c.token for c in second.cards] == [c.token for c in first.cards]
    assert len(store.projects[1].app_users) == 4


def test_qr_sheets__one_per_kecamatan__every_code_scans_to_managed_settings_that_work(
    simulator, roster_engine: Engine, tmp_path: Path
) -> None:
    """Should write one printable sheet per kecamatan whose QR images decode (zxing) to managed Collect
    settings for that pendamping: server URL with their own token, username, project name and colour; and
    the server must accept that key."""
    store, server = simulator
    with CentralApi(server.url, ADMIN_EMAIL, ADMIN_PASSWORD, 1) as api:
        report = provision_app_users(api, roster_engine, FORMS, project_name=PROJECT, color="#0d47a1")
    sheets = write_qr_sheets(report.cards, tmp_path / "qr", project_name=PROJECT, generated=date(2026, 12, 1))
    assert [s.name for s in sheets] == [
        "qr-360101-sumur.html", "qr-360102-cimanggu.html", "qr-3672-tanpa-kecamatan.html"
    ]  # fmt: skip
    assert "<h1>Kode QR ODK Collect – Kecamatan Sumur, Kabupaten Pandeglang</h1>" in sheets[0].read_text(
        encoding="utf-8"
    )
    tokens = {a.display_name: a.token for a in store.projects[1].app_users}
    seen = {}
    for sheet in sheets:
        page = sheet.read_text(encoding="utf-8")
        assert "RAHASIA – kode QR ini adalah kata sandi." in page and "this QR code is a" in page
        assert page.startswith("<!DOCTYPE html>") and "@media print" in page
        names = re.findall(r"<h2>([^<]+)</h2>", page)
        images = png_data_uris(page)
        assert len(names) == len(images) > 0
        for name, png in zip(names, images, strict=True):
            seen[name] = decode_settings(read_qr(png))
    assert set(seen) == {"Ahmad Fauzi", "Siti Rohmah", "Dedi Kurnia", "Yusuf Hamdani"}
    siti = seen["Siti Rohmah"]
    assert siti == {
        "general": {
            "server_url": f"{server.url}/v1/key/{tokens['HP Siti']}/projects/1",
            "form_update_mode": "match_exactly",
            "autosend": "wifi_and_cellular",
            "metadata_username": "PD-3601-002",
        },
        "project": {"name": f"{PROJECT} – Siti Rohmah", "icon": "J", "color": "#0d47a1"},
        "admin": {},
    }
    for settings in seen.values():
        form_xml = requests.get(f"{settings['general']['server_url']}/forms/penyaluran.xml", timeout=10)
        assert form_xml.status_code == 200 and "<h:html" in form_xml.text


def test_forms_app_users__cli__sheets_written_and_summary(
    simulator, roster_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Should provision through the CLI (forms found on Central) and print where the sheets are."""
    _, server = simulator
    monkeypatch.chdir(tmp_path)
    url = str(roster_engine.url)
    for key, value in central_env(server, url).items():
        monkeypatch.setenv(key, value)
    result = CliRunner().invoke(
        main, ["forms", "app-users", "--out", str(tmp_path / "lembar"), "--kabupaten", "3601"]
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == (
        "3 pendamping: 3 app users created, 0 already there; 9 form assignments added "
        "(kpm_registrasi, kpm_kunjungan, penyaluran)"
    )
    assert len(list((tmp_path / "lembar").glob("qr-*.html"))) == 2
    bad = CliRunner().invoke(main, ["forms", "app-users", "--color", "green"])
    assert bad.exit_code == 2 and "#1b5e20" in bad.output
