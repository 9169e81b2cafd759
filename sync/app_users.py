"""One ODK Central app user per active pendamping, the forms assigned, and printable QR sheets per kecamatan.

App users are matched by display name, so running this again creates nothing new: the display name is the
pendamping's ``central_app_user`` from the roster import, or else the pendamping id (a name that never
changes; a renamed person keeps their phone). Each app user gets the app-user role (id 2) on every form
given; assignments already there are left alone. The app user's id and display name are recorded on the
pendamping row of the warehouse.

Each pendamping's ODK Collect code is *managed* (the phone mirrors exactly the assigned forms and sends
finalised forms by itself), carries the project name and colour, and sets ``metadata_username`` to the
pendamping id so the forms' ``pendamping_id`` fills itself (see sync/qr.py). The sheets are plain HTML, one per
kecamatan, to print from any browser; the code is a password and the sheet says so.
"""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select, update
from sqlalchemy.orm import aliased

from sync.central_api import CentralApi
from sync.qr import app_user_settings, encode_settings, png_data_uri
from warehouse.db import write_connection
from warehouse.models import Pendamping, Wilayah

log = logging.getLogger(__name__)

APP_USER_ROLE = "app-user"  # role id 2


@dataclass
class PendampingRow:
    """An active pendamping and the names of their region."""

    id: str
    nama: str
    kode_kabupaten: str | None
    nama_kabupaten: str | None
    kode_kecamatan: str | None
    nama_kecamatan: str | None
    central_app_user: str | None
    central_app_user_id: int | None

    @property
    def display_name(self) -> str:
        return (self.central_app_user or "").strip() or self.id


@dataclass
class AppUserCard:
    """One pendamping's access: the app user and the Collect settings of their QR code."""

    pendamping: PendampingRow
    app_user_id: int
    display_name: str
    token: str
    created: bool
    settings: dict[str, Any]
    payload: str


@dataclass
class AppUserReport:
    """What :func:`provision_app_users` did."""

    cards: list[AppUserCard] = field(default_factory=list)
    created: int = 0
    existing: int = 0
    assignments_added: int = 0
    recorded: int = 0
    duplicates: list[str] = field(default_factory=list)


def load_pendamping(engine: Engine, *, kabupaten: str | None = None) -> list[PendampingRow]:
    """Active pendamping (``aktif``), ordered by kabupaten, kecamatan and id, with their region names."""
    p = Pendamping.__table__
    kab = aliased(Wilayah)
    kec = aliased(Wilayah)
    query = (
        select(
            p.c.id, p.c.nama, p.c.kode_kabupaten, kab.nama, p.c.kode_kecamatan, kec.nama, p.c.central_app_user,
            p.c.central_app_user_id,
        )
        .outerjoin(kab, kab.kode == p.c.kode_kabupaten)
        .outerjoin(kec, kec.kode == p.c.kode_kecamatan)
        .where(p.c.aktif.is_(True))
        .order_by(p.c.kode_kabupaten, p.c.kode_kecamatan, p.c.id)
    )  # fmt: skip
    if kabupaten:
        query = query.where(p.c.kode_kabupaten == kabupaten)
    with engine.connect() as conn:
        return [PendampingRow(*row) for row in conn.execute(query)]


def provision_app_users(
    api: CentralApi,
    engine: Engine,
    forms: Iterable[str],
    *,
    project_name: str,
    color: str = "#1b5e20",
    kabupaten: str | None = None,
    record: bool = True,
) -> AppUserReport:
    """Create the missing app users, assign ``forms`` to every one, and build each QR code's settings.

    :param forms: form ids to assign (they must exist on Central: publish first).
    :param project_name: the project name Collect shows (the pendamping's name is added).
    :param color: Collect project colour ``#rrggbb``.
    :param kabupaten: only the pendamping of this kabupaten code.
    :param record: write the app user id and display name onto the pendamping rows.
    """
    report = AppUserReport()
    rows = load_pendamping(engine, kabupaten=kabupaten)
    listing = api.get_json(api.project_path("/app-users"))  # newest first
    by_name: dict[str, dict[str, Any]] = {}
    for user in listing:
        if user.get("token") is None:  # revoked: Central lists it without a token
            continue
        name = user["displayName"]
        if name in by_name:
            report.duplicates.append(name)
            continue
        by_name[name] = user
    if report.duplicates:
        log.warning(
            "several app users share a display name (the newest is used): %s", ", ".join(report.duplicates)
        )
    icon = (project_name.strip()[:1] or "J").upper()
    for row in rows:
        user = by_name.get(row.display_name)
        created = user is None
        if user is None:
            user = api.post_json(api.project_path("/app-users"), {"displayName": row.display_name})
            by_name[row.display_name] = user
            report.created += 1
        else:
            report.existing += 1
        settings = app_user_settings(
            api.base_url, api.project_id, user["token"], project_name=f"{project_name} – {row.nama}",
            color=color, icon=icon, username=row.id,
        )  # fmt: skip
        report.cards.append(
            AppUserCard(
                row, user["id"], row.display_name, user["token"], created, settings, encode_settings(settings)
            )
        )
    ids = {card.app_user_id for card in report.cards}
    for form_id in forms:
        base = api.project_path(f"/forms/{api.quote(form_id)}/assignments/{APP_USER_ROLE}")
        have = {actor["id"] for actor in api.get_json(base)}
        for actor_id in sorted(ids - have):
            api.post_json(f"{base}/{actor_id}")
            report.assignments_added += 1
    if record:
        report.recorded = _record(engine, report.cards)
    log.info(
        "app users: %d created, %d already there, %d form assignments added",
        report.created, report.existing, report.assignments_added,
    )  # fmt: skip
    return report


def _record(engine: Engine, cards: list[AppUserCard]) -> int:
    p = Pendamping.__table__
    changed = [
        c for c in cards
        if (c.pendamping.central_app_user_id, c.pendamping.central_app_user) != (c.app_user_id, c.display_name)
    ]  # fmt: skip
    if not changed:
        return 0
    with write_connection(engine) as conn:
        for card in changed:
            conn.execute(
                update(p)
                .where(p.c.id == card.pendamping.id)
                .values(central_app_user=card.display_name, central_app_user_id=card.app_user_id)
            )
    return len(changed)


# --- printable sheets ---------------------------------------------------------------------------------------

_CSS = """
body { font-family: "DejaVu Sans", Arial, sans-serif; margin: 1.2cm; color: #111; }
h1 { font-size: 1.3em; margin: 0 0 .3em; }
.warn { border: 2px solid #b71c1c; padding: .5em .8em; margin: .6em 0 1em; }
.cards { display: flex; flex-wrap: wrap; gap: .8cm; }
.card { width: 8cm; border: 1px solid #888; padding: .4cm; break-inside: avoid; page-break-inside: avoid; }
.card h2 { font-size: 1.05em; margin: 0 0 .2em; }
.card p { margin: .15em 0; font-size: .9em; }
.card img { display: block; width: 6cm; height: 6cm; margin: .3cm auto; image-rendering: pixelated; }
.how { font-size: .8em; color: #333; }
footer { margin-top: 1em; font-size: .8em; color: #555; }
@media print { body { margin: .8cm; } .card { border-color: #000; } }
"""


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "lainnya"


def sheet_groups(cards: list[AppUserCard]) -> dict[str, list[AppUserCard]]:
    """Cards by sheet file name: ``qr-<kode kecamatan>-<nama>.html`` (no kecamatan: by kabupaten)."""
    groups: dict[str, list[AppUserCard]] = {}
    for card in cards:
        p = card.pendamping
        if p.kode_kecamatan:
            name = f"qr-{p.kode_kecamatan}-{_slug(p.nama_kecamatan or '')}.html"
        else:
            name = f"qr-{p.kode_kabupaten or 'lainnya'}-tanpa-kecamatan.html"
        groups.setdefault(name, []).append(card)
    return groups


def write_qr_sheets(
    cards: list[AppUserCard], out_dir: Path, *, project_name: str, generated: date
) -> list[Path]:
    """Write one printable HTML sheet per kecamatan into ``out_dir``; returns the files written.

    :param generated: the date printed on the sheets.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for file_name, group in sorted(sheet_groups(cards).items()):
        path = out_dir / file_name
        path.write_text(_sheet(group, project_name, generated), encoding="utf-8")
        written.append(path)
    return written


def _sheet(cards: list[AppUserCard], project_name: str, generated: date) -> str:
    first = cards[0].pendamping
    where = (
        f"Kecamatan {first.nama_kecamatan or first.kode_kecamatan}" if first.kode_kecamatan
        else "Pendamping tanpa kecamatan"
    )  # fmt: skip
    kab = first.nama_kabupaten or first.kode_kabupaten or ""
    e = html.escape
    parts = [
        "<!DOCTYPE html>",
        '<html lang="id">',
        "<head>",
        '<meta charset="utf-8">',
        f"<title>Kode QR ODK Collect – {e(where)}</title>",
        f"<style>{_CSS}</style>",
        "</head>",
        "<body>",
        f"<h1>Kode QR ODK Collect – {e(where)}{', ' + e(kab) if kab else ''}</h1>",
        f"<p>{e(project_name)} · {len(cards)} pendamping</p>",
        '<p class="warn"><strong>RAHASIA – kode QR ini adalah kata sandi.</strong> Siapa pun yang memindainya '
        "dapat mengirim data atas nama pendamping tersebut. Serahkan langsung kepada pendampingnya, jangan "
        "difoto atau dibagikan, dan musnahkan lembar ini setelah dipindai. Kode yang bocor dicabut dengan "
        "menghapus pengguna aplikasi (app user) di ODK Central.<br><em>CONFIDENTIAL – this QR code is a "
        "password: whoever scans it can send data as this facilitator. Hand it over in person, do not "
        "photograph or share it, and destroy the sheet once scanned.</em></p>",
        '<div class="cards">',
    ]
    for card in cards:
        p = card.pendamping
        kec = p.nama_kecamatan or p.kode_kecamatan or "–"
        parts += [
            '<section class="card">',
            f"<h2>{e(p.nama)}</h2>",
            f"<p>ID pendamping: <strong>{e(p.id)}</strong></p>",
            f"<p>Kecamatan: {e(kec)}</p>",
            f"<p>Pengguna aplikasi (app user): {e(card.display_name)}</p>",
            f'<img alt="Kode QR ODK Collect untuk {e(p.nama)}" src="{png_data_uri(card.payload)}">',
            '<p class="how">ODK Collect › Konfigurasi dengan kode QR › Pindai. '
            "<em>ODK Collect › Configure with QR code › Scan.</em></p>",
            "</section>",
        ]
    parts += [
        "</div>",
        f"<footer>Dibuat / generated {generated.isoformat()} oleh <code>graduasi forms app-users</code>.</footer>",
        "</body>",
        "</html>",
    ]
    return "\n".join(parts) + "\n"
