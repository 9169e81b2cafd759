"""The pendamping table (``/pendamping``): one row per pendamping from the read model — caseload composition,
visit coverage, data completeness, KPM moved up, graduations against target — sorted, filtered and paged on the
server, so it works without JavaScript. Kabupaten-scoped users see their kabupaten's pendamping only."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from flask import Blueprint, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from warehouse.queries import (
    DEFAULT_PENDAMPING_SORT,
    MAX_SEARCH_TEXT,
    PENDAMPING_SORTS,
    PendampingFilter,
    pendamping_page,
    pendamping_regions,
    read_model_date,
)
from webadmin.access import scope_kabupaten
from webadmin.db import get_session

bp = Blueprint("pendamping", __name__)

_MAX_CODE = 16  # region codes are at most 16 characters (wilayah.kode)
_MAX_PAGE = 1_000_000

TEXT_SORTS = frozenset({"wilayah", "nama", "id"})
"""Columns whose first click sorts A→Z; every other (a number) sorts largest first."""

COLUMN_LABELS = {
    "nama": _l("Pendamping"),
    "id": _l("ID"),
    "wilayah": _l("Kabupaten/kota · kecamatan"),
    "kpm": _l("KPM"),
    "anak_sekolah": _l("School-age children (7–18)"),
    "balita": _l("Toddlers (0–4)"),
    "ibu_hamil": _l("Pregnant women"),
    "lansia": _l("Elderly (60+)"),
    "disabilitas_berat": _l("Severe disability"),
    "dikunjungi_30": _l("Visited in 30 days"),
    "dikunjungi_90": _l("Visited in 90 days"),
    "data_lengkap": _l("Data complete"),
    "naik_kategori": _l("Moved up a category"),
    "graduasi": _l("Graduated this year / target"),
    "layak_graduasi": _l("Eligible to graduate"),
}
"""The table's columns in order, by their sort key."""


@dataclass(frozen=True, slots=True)
class TableArgs:
    """What the query string asks for, checked: sort, direction, page and filters."""

    sort: str = DEFAULT_PENDAMPING_SORT
    descending: bool = False
    page: int = 1
    kabupaten: str | None = None
    kecamatan: str | None = None
    text: str = ""

    def query(self, **changes: object) -> dict[str, str]:
        """The query-string arguments for a link to this table with ``changes`` (defaults left out)."""
        values = {
            "sort": self.sort,
            "desc": self.descending,
            "page": self.page,
            "kab": self.kabupaten,
            "kec": self.kecamatan,
            "q": self.text,
        }
        values.update(changes)
        args: dict[str, str] = {}
        if values["sort"] != DEFAULT_PENDAMPING_SORT:
            args["sort"] = str(values["sort"])
        if values["desc"]:
            args["desc"] = "1"
        if values["page"] not in (1, None):
            args["page"] = str(values["page"])
        for key in ("kab", "kec", "q"):
            if values[key]:
                args[key] = str(values[key])
        return args


def _code(raw: str | None) -> str | None:
    text = (raw or "").strip()
    return text if text and len(text) <= _MAX_CODE and text.isalnum() else None


def parse_table_args(args: Mapping[str, str], scope: str | None) -> TableArgs:
    """Read ``sort``, ``desc``, ``page``, ``kab``, ``kec`` and ``q``; anything unusable falls back to its default.

    :param scope: the user's kabupaten; it replaces whatever ``kab`` asks for.
    """
    sort = args.get("sort", DEFAULT_PENDAMPING_SORT)
    page_text = (args.get("page") or "").strip()
    page = int(page_text) if page_text.isdigit() and len(page_text) <= 7 else 1
    return TableArgs(
        sort=sort if sort in PENDAMPING_SORTS else DEFAULT_PENDAMPING_SORT,
        descending=args.get("desc") in ("1", "true", "ya"),
        page=min(max(page, 1), _MAX_PAGE),
        kabupaten=scope if scope is not None else _code(args.get("kab")),
        kecamatan=_code(args.get("kec")),
        text=(args.get("q") or "").strip()[:MAX_SEARCH_TEXT],
    )


def page_numbers(page: int, pages: int, around: int = 2) -> list[int | None]:
    """The page links to show: the first, the last and ``around`` either side of ``page``; None = a gap."""
    shown = sorted({1, pages, *range(max(1, page - around), min(pages, page + around) + 1)})
    out: list[int | None] = []
    for number in shown:
        if out and number - (out[-1] or 0) > 1:
            out.append(None)
        out.append(number)
    return out


@bp.get("/pendamping")
def index() -> str:
    """The pendamping table for the logged-in user's scope."""
    db = get_session()
    scope = scope_kabupaten(current_user)
    table = parse_table_args(request.args, scope)
    result = pendamping_page(
        db,
        PendampingFilter(table.kabupaten, table.kecamatan, table.text or None),
        sort=table.sort,
        descending=table.descending,
        page=table.page,
    )
    table = TableArgs(
        result.sort, result.descending, result.page, table.kabupaten, table.kecamatan, table.text
    )
    regions = pendamping_regions(db, scope)

    def link(**changes: object) -> str:
        return url_for("pendamping.index", **table.query(**changes))

    def sort_link(column: str) -> str:
        if column == table.sort:
            return link(sort=column, desc=not table.descending, page=1)
        return link(sort=column, desc=column not in TEXT_SORTS, page=1)

    return render_template(
        "pendamping/index.html",
        result=result,
        table=table,
        scoped=scope is not None,
        regions=regions,
        when=read_model_date(db),
        columns=COLUMN_LABELS,
        link=link,
        sort_link=sort_link,
        page_numbers=page_numbers(result.page, result.pages),
        first_shown=(result.page - 1) * result.page_size + 1 if result.matching else 0,
        last_shown=(result.page - 1) * result.page_size + len(result.rows),
        max_search=MAX_SEARCH_TEXT,
    )
