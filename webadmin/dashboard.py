"""The province dashboard (``/``): KPM, school-age children and toddlers per kabupaten/kota, ages as of a
stated date, and how fresh the data are. Kabupaten-scoped users see their kabupaten only."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from flask import Blueprint, current_app, render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from warehouse.queries import (
    SCHOOL_AGE,
    TODDLER,
    dashboard_per_kabupaten,
    default_as_of,
    last_successful_syncs,
    sum_counts,
)
from webadmin.access import scope_kabupaten
from webadmin.db import get_session, now
from webadmin.i18n import format_day

bp = Blueprint("dashboard", __name__)

EARLIEST_AS_OF = date(1900, 1, 1)
LATEST_AS_OF = date(2100, 12, 31)
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True, slots=True)
class AsOf:
    """The date ages are computed on, the default it falls back to, and the problem with the asked one."""

    day: date
    default: date
    error: str | None = None

    @property
    def is_default(self) -> bool:
        return self.day == self.default


def parse_as_of(raw: str | None, default: date) -> AsOf:
    """Read ``?per=YYYY-MM-DD``; an empty value means the default, a bad one the default plus a message."""
    if raw is None or not raw.strip():
        return AsOf(default, default)
    text = raw.strip()
    try:
        if not _ISO_DATE.fullmatch(text):
            raise ValueError(text)
        day = date.fromisoformat(text)
        if not EARLIEST_AS_OF <= day <= LATEST_AS_OF:
            raise ValueError(text)
    except ValueError:
        shown = text if len(text) <= 40 else text[:40] + "…"
        error = _(
            "“%(value)s” is not a valid date. Use the form YYYY-MM-DD between 1900 and 2100, for example "
            "2020-12-31. Ages are computed as of the default date, %(default)s.",
            value=shown,
            default=format_day(default),
        )
        return AsOf(default, default, error)
    return AsOf(day, default)


@bp.get("/")
def index() -> str:
    """The dashboard for the logged-in user's scope."""
    db = get_session()
    kode_kabupaten = scope_kabupaten(current_user)
    default = default_as_of(db, current_app.config["GRADUASI_TIMEZONE"], now())
    as_of = parse_as_of(request.args.get("per"), default)
    rows = dashboard_per_kabupaten(db, as_of.day, kode_kabupaten)
    return render_template(
        "dashboard/index.html",
        as_of=as_of,
        rows=rows,
        totals=sum_counts(rows),
        scoped=kode_kabupaten is not None,
        syncs=last_successful_syncs(db),
        school_age=SCHOOL_AGE,
        toddler=TODDLER,
    )
