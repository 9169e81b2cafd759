"""Helpers of the admin tests: settings and clock objects, users, seeded KPM and read-model rows, and logging
in through the real login form (token from the page, then POST), as a browser does."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from html.parser import HTMLParser
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import Engine, insert
from werkzeug.test import TestResponse

from warehouse.db import session_factory
from warehouse.models import AdminUser, Anggota, Kpm, RingkasanPendamping, RingkasanWilayah, Wilayah
from webadmin.auth import create_user

PASSWORD = "kopi tubruk di serang"


@dataclass
class AdminTestSettings:
    """The four settings the admin reads (the shape of graduasi.settings.Settings, without its env reading)."""

    database_url: str
    secret_key: str | None = "test-secret-key-not-for-production"
    timezone: str = "Asia/Jakarta"
    cookie_secure: bool = False


class MovableClock:
    """A clock for the app that stands still until the test moves it."""

    def __init__(self, start: datetime = datetime(2026, 11, 28, 3, 0, tzinfo=UTC)) -> None:
        self.current = start

    def __call__(self) -> datetime:
        return self.current

    def advance(self, **delta: float) -> None:
        self.current += timedelta(**delta)


def add_user(
    engine: Engine,
    username: str,
    role: str = "province_admin",
    kode_kabupaten: str | None = None,
    password: str = PASSWORD,
    full_name: str | None = None,
) -> int:
    """Create a user through webadmin.auth.create_user and commit; returns its id."""
    with session_factory(engine)() as db:
        user = create_user(db, username, password, role, kode_kabupaten=kode_kabupaten, full_name=full_name)
        db.commit()
        return user.id


def get_user(engine: Engine, username: str) -> AdminUser:
    with session_factory(engine)() as db:
        user = db.query(AdminUser).filter_by(username=username).one()
        db.expunge(user)
        return user


_TOKEN = re.compile(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"')


def csrf_token(client: FlaskClient, path: str = "/login", base_url: str = "http://localhost") -> str:
    """The CSRF token from the form of ``path`` (as a browser would read it)."""
    page = client.get(path, base_url=base_url)
    match = _TOKEN.search(page.text)
    assert match, f"no CSRF token on {path}: {page.status_code}"
    return match.group(1)


def login(
    client: FlaskClient, username: str, password: str = PASSWORD, ip: str = "127.0.0.1", next_url: str = ""
) -> TestResponse:
    """Submit the login form the way a browser does (token from the page, then POST)."""
    path = "/login" + (f"?next={next_url}" if next_url else "")
    token = csrf_token(client, path)
    return client.post(
        path,
        data={"csrf_token": token, "username": username, "password": password},
        environ_overrides={"REMOTE_ADDR": ip},
    )


def post_with_token(client: FlaskClient, path: str, data: dict[str, str], page: str = "/") -> TestResponse:
    """POST ``data`` to ``path`` with the CSRF token shown on ``page``."""
    return client.post(path, data={"csrf_token": csrf_token(client, page), **data})


KABUPATEN = {
    "3601": "Kabupaten Pandeglang",
    "3602": "Kabupaten Lebak",
    "3673": "Kota Serang",
}


def seed_regions(engine: Engine) -> None:
    """The province and three of its kabupaten/kota in ``wilayah``."""
    with session_factory(engine)() as db:
        db.add(Wilayah(kode="36", tingkat="provinsi", nama="Banten", kode_induk=None))
        for kode, nama in KABUPATEN.items():
            db.add(Wilayah(kode=kode, tingkat="kabupaten", nama=nama, kode_induk="36"))
        db.commit()


def seed_kpm(
    engine: Engine,
    id_kpm: str,
    kode_kabupaten: str | None,
    births: Iterable[date | None] = (),
    registered: date | None = date(2020, 12, 31),
) -> None:
    """One KPM with members born on ``births`` (None = unknown birth date)."""
    with session_factory(engine)() as db:
        db.add(Kpm(id_kpm=id_kpm, kode_kabupaten=kode_kabupaten, tanggal_registrasi=registered))
        db.flush()
        for urutan, born in enumerate(births, start=1):
            db.add(Anggota(id_kpm=id_kpm, urutan=urutan, tanggal_lahir=born))
        db.commit()


# --- read models ------------------------------------------------------------------------------------------

RM_DATE = date(2020, 12, 26)
"""The ``per_tanggal`` of the read-model rows the tests insert."""
RM_REFRESHED = datetime(2026, 11, 28, 3, 15)
"""Their ``refreshed_at`` (naive UTC): 28 Nov 2026 10.15 WIB."""

RM_COUNT_COLUMNS = (
    "kpm",
    "anak_sekolah",
    "balita",
    "ibu_hamil",
    "lansia",
    "disabilitas_berat",
    "kpm_anak_sekolah",
    "kpm_balita",
    "dikunjungi_30",
    "dikunjungi_90",
    "data_lengkap",
    "sangat_miskin",
    "miskin",
    "hampir_miskin",
    "rentan_miskin",
    "calon_graduasi",
    "tanpa_kategori",
    "naik_kategori",
    "turun_kategori",
    "layak_graduasi",
    "graduasi",
)


def rm_row(tahap: dict[str, dict[str, int]] | None = None, **values: Any) -> dict[str, Any]:
    """A read-model row: every count 0 unless given, no target, ``tahap`` as extra_json, the test dates."""
    row: dict[str, Any] = dict.fromkeys(RM_COUNT_COLUMNS, 0)
    row.update(
        target_graduasi=None,
        extra_json=json.dumps({"tahap": tahap or {}}),
        per_tanggal=RM_DATE,
        refreshed_at=RM_REFRESHED,
    )
    row.update(values)
    return row


def seed_rm_wilayah(engine: Engine, rows: Iterable[dict[str, Any]]) -> None:
    """Insert ``rm_wilayah`` rows (built with :func:`rm_row`, plus kode, tingkat, kode_induk, nama)."""
    with session_factory(engine)() as db:
        db.execute(insert(RingkasanWilayah), list(rows))
        db.commit()


def seed_rm_pendamping(engine: Engine, rows: Iterable[dict[str, Any]]) -> None:
    """Insert ``rm_pendamping`` rows (built with :func:`rm_row`, plus pendamping_id, nama and region codes)."""
    rows = list(rows)
    if rows:
        with session_factory(engine)() as db:
            db.execute(insert(RingkasanPendamping), rows)
            db.commit()


#: Pendamping rows per kabupaten of :func:`seed_pendamping_table`: two pages for the province.
PER_KABUPATEN = {"3601": 61, "3602": 12, "3673": 2}


def seed_pendamping_table(engine: Engine, **province: Any) -> None:
    """Regions, 75 pendamping read-model rows (61 in Pandeglang over two kecamatan, 12 in Lebak, 2 in Kota
    Serang with large caseloads) and a province row with the counts ``province``; the first pendamping is Ade
    Rahmawati with 3 of 5 graduated."""
    seed_regions(engine)
    with session_factory(engine)() as db:
        db.add_all(
            [
                Wilayah(kode="360101", tingkat="kecamatan", nama="Sumur", kode_induk="3601"),
                Wilayah(kode="360102", tingkat="kecamatan", nama="Cimanggu", kode_induk="3601"),
                Wilayah(kode="360201", tingkat="kecamatan", nama="Malingping", kode_induk="3602"),
            ]
        )
        db.commit()
    rows = []
    for kab, n in PER_KABUPATEN.items():
        for i in range(1, n + 1):
            kec = {"3601": "360101" if i % 2 else "360102", "3602": "360201"}.get(kab)
            rows.append(
                rm_row(
                    pendamping_id=f"PD-{kab}-{i:03d}",
                    nama=f"Pendamping {kab} {i:03d}",
                    kode_kabupaten=kab,
                    kode_kecamatan=kec,
                    kpm=100 + i if kab != "3673" else 1500 + i,
                    anak_sekolah=2 * i,
                    balita=i % 7,
                    ibu_hamil=i % 3,
                    lansia=i % 5,
                    disabilitas_berat=i % 2,
                    dikunjungi_30=i,
                    dikunjungi_90=2 * i,
                    data_lengkap=i,
                    naik_kategori=i % 11,
                    graduasi=i % 4,
                    target_graduasi=5 if i % 3 else None,
                    layak_graduasi=i % 6,
                )
            )
    rows[0].update(nama="Ade Rahmawati", kpm=250, dikunjungi_30=125, dikunjungi_90=200, data_lengkap=165)
    rows[0].update(graduasi=3, target_graduasi=5)
    seed_rm_pendamping(engine, rows)
    seed_rm_wilayah(
        engine, [rm_row(kode="36", tingkat="provinsi", kode_induk=None, nama="Banten", **province)]
    )


# --- reading pages ----------------------------------------------------------------------------------------


class _TableReader(HTMLParser):
    """The text of every cell of one table (by id), row by row; nested markup flattened to its text."""

    def __init__(self, table_id: str) -> None:
        super().__init__()
        self.table_id = table_id
        self.rows: list[list[str]] = []
        self.sections: list[str] = []  # thead, tbody or tfoot of each row
        self._section = "tbody"
        self.depth = 0  # > 0 inside the wanted table
        self._row: list[str] | None = None
        self._cell: list[str] | None = None
        self.found = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            if self.depth or dict(attrs).get("id") == self.table_id:
                self.depth += 1
                self.found = True
        elif not self.depth:
            return
        elif tag in ("thead", "tbody", "tfoot"):
            self._section = tag
        elif tag == "tr":
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if not self.depth:
            return
        if tag == "table":
            self.depth -= 1
        elif tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.rows.append(self._row)
            self.sections.append(self._section)
            self._row = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def table_rows(
    page: str, table_id: str, sections: Iterable[str] = ("thead", "tbody", "tfoot")
) -> list[list[str]]:
    """The rows of the table ``id=table_id`` in ``sections``, each as the texts of its cells."""
    reader = _TableReader(table_id)
    reader.feed(page)
    assert reader.found, f"no table with id {table_id!r} on the page"
    wanted = set(sections)
    return [row for row, section in zip(reader.rows, reader.sections, strict=True) if section in wanted]


def table_by_heading(page: str, table_id: str) -> dict[str, list[str]]:
    """The body and footer rows of a table keyed by their heading cell: {heading: [the other cells]}."""
    rows = table_rows(page, table_id, ("tbody", "tfoot"))
    by_heading = {row[0]: row[1:] for row in rows}
    assert len(by_heading) == len(rows), f"two rows of {table_id!r} have the same heading"
    return by_heading
