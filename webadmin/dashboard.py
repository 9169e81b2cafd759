"""The province dashboard (``/``): KPM, school-age children and toddlers per kabupaten/kota with ages as of a
stated date; KPM by welfare category, movement since the baseline, graduations against target and tranche
disbursement progress from the read models; and how fresh the data are. Kabupaten-scoped users see their
kabupaten only."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from flask import Blueprint, current_app, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from warehouse.queries import (
    SCHOOL_AGE,
    TODDLER,
    RegionSummary,
    dashboard_per_kabupaten,
    dashboard_summary,
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

CATEGORY_LABELS = {
    "sangat_miskin": _l("Very poor"),
    "miskin": _l("Poor"),
    "hampir_miskin": _l("Near poor"),
    "rentan_miskin": _l("Vulnerable"),
    "calon_graduasi": _l("Graduation candidate"),
    "tanpa_kategori": _l("Not assessed"),
}
"""The read models' category columns, poorest first, and "not assessed" (no category yet)."""

BAR_WIDTH = 1000
"""Width of the category bar in SVG user units (it scales to the page; a segment's x and width use these)."""


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


@dataclass(frozen=True, slots=True)
class BarSegment:
    """One category's part of the category bar: where it starts and how wide it is, in SVG user units."""

    category: str
    label: str
    count: int
    share: float
    x: float
    width: float


def category_bar(summary: RegionSummary, width: int = BAR_WIDTH) -> list[BarSegment]:
    """The segments of a stacked bar of ``summary``'s KPM by category (empty categories left out).

    Segments follow :data:`CATEGORY_LABELS` order, start where the previous one ends and together fill
    ``width`` exactly; the bar is empty when no KPM are counted.
    """
    counted = summary.categories()
    total = sum(n for _, n in counted)
    segments: list[BarSegment] = []
    if total <= 0:
        return segments
    before = 0
    for category, count in counted:
        if count <= 0:
            continue
        x = round(width * before / total, 2)
        end = round(width * (before + count) / total, 2)
        segments.append(
            BarSegment(category, str(CATEGORY_LABELS[category]), count, count / total, x, round(end - x, 2))
        )
        before += count
    return segments


def tranche_label(key: str) -> str:
    """A tranche key of the read models (``2019-1``, ``2020-sekaligus``) in words."""
    year, _sep, tahap = key.partition("-")
    if tahap.isdigit():
        return _("Tranche %(number)s, %(year)s", number=tahap, year=year)
    if tahap == "sekaligus":
        return _("%(year)s, single payment", year=year)
    return key


@bp.get("/")
def index() -> str:
    """The dashboard for the logged-in user's scope."""
    db = get_session()
    kode_kabupaten = scope_kabupaten(current_user)
    summary = dashboard_summary(db, kode_kabupaten)
    if summary is not None:
        default = summary.per_tanggal
    else:
        default = default_as_of(db, current_app.config["GRADUASI_TIMEZONE"], now())
    as_of = parse_as_of(request.args.get("per"), default)
    # On the read models' own date their counts are the answer; another date is counted live.
    ages_from_summary = summary is not None and as_of.day == summary.per_tanggal
    if summary is not None and ages_from_summary:
        rows = summary.age_rows()
    else:
        # with read models, members come from their birth-date table (as of the last refresh, like the rest)
        rows = dashboard_per_kabupaten(db, as_of.day, kode_kabupaten, precomputed=summary is not None)
    return render_template(
        "dashboard/index.html",
        as_of=as_of,
        rows=rows,
        totals=sum_counts(rows),
        ages_from_summary=ages_from_summary,
        scoped=kode_kabupaten is not None,
        syncs=last_successful_syncs(db),
        school_age=SCHOOL_AGE,
        toddler=TODDLER,
        summary=summary,
        bar=category_bar(summary.total) if summary is not None else [],
        bar_width=BAR_WIDTH,
        category_labels=CATEGORY_LABELS,
        tranche_label=tranche_label,
    )
