"""Helpers of the admin tests: settings and clock objects, users, seeded KPM, and logging in through the real
login form (token from the page, then POST), as a browser does."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from flask.testing import FlaskClient
from sqlalchemy import Engine
from werkzeug.test import TestResponse

from warehouse.db import session_factory
from warehouse.models import AdminUser, Anggota, Kpm, Wilayah
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
