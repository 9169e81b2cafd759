"""The dashboard page: role scoping, Indonesian and English number and date formats, the as-of date (default,
chosen, invalid), and data freshness (webadmin/dashboard.py over warehouse/queries.py)."""

from __future__ import annotations

import html
import re
from datetime import UTC, date, datetime

import pytest
from flask.testing import FlaskClient
from sqlalchemy import Engine, insert, update

from tests.webadmin.support import (
    KABUPATEN,
    MovableClock,
    add_user,
    csrf_token,
    login,
    post_with_token,
    seed_kpm,
    seed_regions,
)
from warehouse.db import session_factory
from warehouse.models import AdminUser, Kpm, SyncRun

_ROW = re.compile(
    r'<th scope="row">([^<]*)</th>\s*<td class="num">([^<]*)</td>\s*<td class="num">([^<]*)</td>\s*'
    r'<td class="num">([^<]*)</td>'
)


def table(page: str) -> dict[str, tuple[str, str, str]]:
    """The dashboard table as {row heading: (KPM, school-age, toddlers)} with the numbers as shown."""
    return {
        html.unescape(name): (kpm, school, toddlers) for name, kpm, school, toddlers in _ROW.findall(page)
    }


@pytest.fixture
def seeded(sqlite_engine: Engine) -> Engine:
    """Three kabupaten with KPM whose members' ages as of 31 Dec 2020 are known.

    Pandeglang: 2 KPM, school-age 2 (ages 7 and 18), toddlers 2 (ages 0 and 4), plus ages 5, 19 and 40.
    Lebak: 1 KPM with one toddler (age 2) and one school child (age 12). Kota Serang: none.
    """
    seed_regions(sqlite_engine)
    seed_kpm(sqlite_engine, "PDG-1", "3601", [date(2013, 12, 31), date(2020, 12, 31), date(1980, 5, 1)])
    seed_kpm(sqlite_engine, "PDG-2", "3601", [date(2002, 1, 1), date(2016, 1, 1), date(2015, 12, 31)])
    seed_kpm(sqlite_engine, "PDG-3", "3601", [date(2001, 12, 31), None], registered=date(2020, 6, 1))
    seed_kpm(
        sqlite_engine, "LBK-1", "3602", [date(2018, 7, 1), date(2008, 3, 3)], registered=date(2019, 2, 1)
    )
    return sqlite_engine


def test_dashboard__province_admin__every_kabupaten_and_totals(client: FlaskClient, seeded: Engine) -> None:
    add_user(seeded, "prov")
    login(client, "prov")
    page = client.get("/").text
    assert table(page) == {
        "Kabupaten Pandeglang": ("3", "2", "2"),
        "Kabupaten Lebak": ("1", "1", "1"),
        "Kota Serang": ("0", "0", "0"),
        "Jumlah": ("4", "3", "3"),
    }
    assert "Umur dihitung per 31 Des 2020" in page
    assert "Dasbor provinsi" in page


@pytest.mark.parametrize(
    ("role", "kode", "visible"),
    [
        ("kabupaten_operator", "3601", "Kabupaten Pandeglang"),
        ("viewer", "3602", "Kabupaten Lebak"),
    ],
)
def test_dashboard__kabupaten_scoped_user__own_kabupaten_only(
    client: FlaskClient, seeded: Engine, role: str, kode: str, visible: str
) -> None:
    """Should show a scoped user their kabupaten alone, totals included, and no other region's name."""
    add_user(seeded, "scoped", role=role, kode_kabupaten=kode)
    login(client, "scoped")
    page = client.get("/").text
    rows = table(page)
    assert set(rows) == {visible, "Jumlah"}
    assert rows["Jumlah"] == rows[visible]
    for other in set(KABUPATEN.values()) - {visible}:
        assert other not in page
    assert f"Dasbor {visible}" in page


def test_dashboard__province_viewer__whole_province(client: FlaskClient, seeded: Engine) -> None:
    add_user(seeded, "view", role="viewer")
    login(client, "view")
    assert table(client.get("/").text)["Jumlah"] == ("4", "3", "3")


def test_dashboard__kpm_without_kabupaten__own_row_for_the_province_only(
    client: FlaskClient, seeded: Engine
) -> None:
    seed_kpm(seeded, "X-1", None, [date(2010, 1, 1)])
    add_user(seeded, "prov")
    add_user(seeded, "op", role="kabupaten_operator", kode_kabupaten="3601")
    login(client, "prov")
    rows = table(client.get("/").text)
    assert rows["Tanpa kabupaten"] == ("1", "1", "0")
    assert rows["Jumlah"] == ("5", "4", "3")
    post_with_token(client, "/logout", {})
    login(client, "op")
    assert "Tanpa kabupaten" not in table(client.get("/").text)


def test_dashboard__thousands__indonesian_then_english_grouping(
    client: FlaskClient, sqlite_engine: Engine
) -> None:
    seed_regions(sqlite_engine)
    with session_factory(sqlite_engine)() as db:
        db.execute(
            insert(Kpm),
            [
                {"id_kpm": f"K{i:05d}", "kode_kabupaten": "3601", "tanggal_registrasi": date(2020, 12, 31)}
                for i in range(1234)
            ],
        )
        db.commit()
    add_user(sqlite_engine, "prov")
    login(client, "prov")
    assert table(client.get("/").text)["Kabupaten Pandeglang"][0] == "1.234"
    post_with_token(client, "/bahasa", {"lang": "en", "next": "/"})
    page = client.get("/").text
    assert table(page)["Kabupaten Pandeglang"][0] == "1,234"
    assert "Ages as of 31 Dec 2020" in page
    assert table(page)["Total"][0] == "1,234"


def test_dashboard__chosen_date__ages_recomputed(client: FlaskClient, seeded: Engine) -> None:
    add_user(seeded, "prov")
    login(client, "prov")
    page = client.get("/?per=2014-01-01").text
    assert "Umur dihitung per 1 Jan 2014" in page
    assert 'value="2014-01-01"' in page
    assert "Kembali ke tanggal bawaan, 31 Des 2020" in page
    # as of 1 Jan 2014: the child born 31 Dec 2013 is a toddler (0), those of 2001/2002 are 12, the ones born
    # in 2015 and later are not born yet, and Lebak's child of 2008 is 5 (neither band)
    assert table(page) == {
        "Kabupaten Pandeglang": ("3", "2", "1"),
        "Kabupaten Lebak": ("1", "0", "0"),
        "Kota Serang": ("0", "0", "0"),
        "Jumlah": ("4", "2", "1"),
    }


@pytest.mark.parametrize(
    "bad", ["31-12-2020", "2020-02-30", "1800-01-01", "kemarin", "20201231", "2020-W01-1"]
)
def test_dashboard__invalid_date__indonesian_message_and_default(
    client: FlaskClient, seeded: Engine, bad: str
) -> None:
    add_user(seeded, "prov")
    login(client, "prov")
    response = client.get("/", query_string={"per": bad})
    assert response.status_code == 200
    page = html.unescape(response.text)
    assert f"“{bad}” bukan tanggal yang valid" in page
    assert "Gunakan bentuk TTTT-BB-HH" in page
    assert "Umur dihitung per 31 Des 2020" in page
    assert table(response.text)["Jumlah"] == ("4", "3", "3")


def test_dashboard__empty_date__default_without_message(client: FlaskClient, seeded: Engine) -> None:
    add_user(seeded, "prov")
    login(client, "prov")
    page = client.get("/?per=").text
    assert "bukan tanggal yang valid" not in page
    assert "Umur dihitung per 31 Des 2020" in page


def test_dashboard__no_kpm__default_is_today_in_wib(
    client: FlaskClient, sqlite_engine: Engine, clock: MovableClock
) -> None:
    """Should take today's date in Asia/Jakarta: 20:00 UTC on 28 Nov is already 29 Nov in WIB."""
    clock.current = datetime(2026, 11, 28, 20, 0, tzinfo=UTC)
    add_user(sqlite_engine, "prov")
    login(client, "prov")
    page = client.get("/").text
    assert "Umur dihitung per 29 Nov 2026" in page
    assert "Belum ada data KPM." in page
    assert table(page) == {"Jumlah": ("0", "0", "0")}


def test_dashboard__sync_runs__last_success_per_form_in_wib(
    client: FlaskClient, sqlite_engine: Engine
) -> None:
    with session_factory(sqlite_engine)() as db:
        for form_id, status, finished in [
            ("kpm_registrasi", "ok", datetime(2026, 11, 27, 23, 0)),
            ("kpm_registrasi", "ok", datetime(2026, 11, 28, 3, 15)),
            ("kpm_registrasi", "failed", datetime(2026, 11, 28, 4, 0)),
            ("kpm_kunjungan", "failed", datetime(2026, 11, 28, 4, 0)),
        ]:
            db.add(
                SyncRun(
                    source="central",
                    form_id=form_id,
                    status=status,
                    started_at=finished,
                    finished_at=finished,
                )
            )
        db.commit()
    add_user(sqlite_engine, "prov")
    login(client, "prov")
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", client.get("/").text))
    assert "Sinkronisasi terakhir: kpm_kunjungan belum pernah · kpm_registrasi 28 Nov 2026 10.15 WIB" in text


def test_dashboard__no_sync_yet__never(client: FlaskClient, sqlite_engine: Engine) -> None:
    add_user(sqlite_engine, "prov")
    login(client, "prov")
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", client.get("/").text))
    assert "Sinkronisasi terakhir: belum pernah" in text


def test_dashboard__accept_language_english__english_page(client: FlaskClient, seeded: Engine) -> None:
    add_user(seeded, "prov")
    login(client, "prov")
    page = client.get("/", headers={"Accept-Language": "en-US,en;q=0.9"}).text
    assert '<html lang="en">' in page
    assert "Ages as of 31 Dec 2020" in page
    assert "Province dashboard" in page
    indonesian = client.get("/", headers={"Accept-Language": "id-ID,id;q=0.9,en;q=0.5"}).text
    assert "Umur dihitung per 31 Des 2020" in indonesian


def test_dashboard__language_choice__beats_accept_language_and_survives_login(
    client: FlaskClient, seeded: Engine
) -> None:
    add_user(seeded, "prov")
    english = {"Accept-Language": "en"}
    client.get("/login", headers=english)
    token = csrf_token(client)
    response = client.post(
        "/bahasa", data={"csrf_token": token, "lang": "id", "next": "/login"}, headers=english
    )
    assert response.headers["Location"] == "/login"
    assert "Nama pengguna" in client.get("/login", headers=english).text
    login(client, "prov")
    assert "Umur dihitung per" in client.get("/", headers=english).text


def test_language_switch__foreign_next__stays_on_site(client: FlaskClient) -> None:
    token = csrf_token(client)
    response = client.post(
        "/bahasa", data={"csrf_token": token, "lang": "en", "next": "https://evil.example/"}
    )
    assert response.headers["Location"] == "/"


@pytest.mark.parametrize(("role", "kode"), [("kabupaten_operator", None), ("superuser", "3601")])
def test_dashboard__inconsistent_account__403_not_the_province(
    client: FlaskClient, seeded: Engine, role: str, kode: str | None
) -> None:
    """Should deny an account edited into a state create_user refuses, rather than show it everything."""
    add_user(seeded, "odd", role="viewer")
    with session_factory(seeded)() as db:
        db.execute(update(AdminUser).values(role=role, kode_kabupaten=kode))
        db.commit()
    login(client, "odd")
    response = client.get("/")
    assert response.status_code == 403
    assert "Kabupaten Pandeglang" not in response.text
    assert "Tidak diizinkan" in response.text
