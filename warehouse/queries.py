"""Read queries for the admin: every SQL statement a page needs lives here, never in a view (style.md rule 4).

The live queries (ages as of any date, sync freshness) read the registry; the dashboard's graduation part and the
pendamping table read the precomputed read models (``rm_wilayah``, ``rm_pendamping``).

Ages are completed years as of an explicit date, never the wall clock (DESIGN.md §6). An age band becomes a
birth-date range in Python, so the SQL compares ``anggota.tanggal_lahir`` with two dates: no date arithmetic in
SQL, the same results on SQLite and PostgreSQL, and a predicate an index can serve.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field, replace
from datetime import date, datetime, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Float, and_, case, cast, func, select
from sqlalchemy.orm import Session, aliased

from warehouse.db import as_date
from warehouse.models import (
    Anggota,
    Kpm,
    LahirPerKabupaten,
    RingkasanPendamping,
    RingkasanWilayah,
    SyncRun,
    Wilayah,
)

log = logging.getLogger(__name__)


def subtract_years(day: date, years: int) -> date:
    """``day`` minus ``years`` calendar years; 29 February becomes 28 February in a common year.

    With that rule, someone born on ``b`` is at least ``n`` years old on ``d`` exactly when
    ``b <= subtract_years(d, n)`` — also for birthdays and as-of dates on 29 February.
    """
    year = day.year - years
    try:
        return day.replace(year=year)
    except ValueError:  # 29 Feb into a common year
        return day.replace(year=year, day=28)


def age_on(birth: date, as_of: date) -> int:
    """Completed years of someone born on ``birth`` as of ``as_of`` (negative if born later)."""
    return as_of.year - birth.year - ((as_of.month, as_of.day) < (birth.month, birth.day))


@dataclass(frozen=True, slots=True)
class AgeBand:
    """Ages ``youngest`` to ``oldest`` inclusive, in completed years."""

    youngest: int
    oldest: int

    def birth_range(self, as_of: date) -> tuple[date, date]:
        """The births ``(after, on_or_before)`` whose age as of ``as_of`` falls in the band.

        age >= youngest  <=>  birth <= as_of - youngest years;
        age <= oldest    <=>  birth >  as_of - (oldest + 1) years.
        """
        return subtract_years(as_of, self.oldest + 1), subtract_years(as_of, self.youngest)


SCHOOL_AGE = AgeBand(7, 18)
"""School-age children: 7 to 18 years inclusive (SD to SMA)."""

TODDLER = AgeBand(0, 4)
"""Toddlers (balita): under five, 0 to 4 years inclusive."""


@dataclass(frozen=True, slots=True)
class KabupatenCounts:
    """One row of the dashboard: a kabupaten/kota (``kode`` None = KPM without a region) and its counts."""

    kode: str | None
    nama: str | None
    kpm: int
    school_age: int
    toddlers: int


def sum_counts(rows: list[KabupatenCounts]) -> KabupatenCounts:
    """The totals row over ``rows`` (kode and nama None)."""
    return KabupatenCounts(
        kode=None,
        nama=None,
        kpm=sum(r.kpm for r in rows),
        school_age=sum(r.school_age for r in rows),
        toddlers=sum(r.toddlers for r in rows),
    )


def _in_band(band: AgeBand, as_of: date, column: Any = None):  # type: ignore[no-untyped-def]
    after, on_or_before = band.birth_range(as_of)
    born = Anggota.tanggal_lahir if column is None else column
    return and_(born > after, born <= on_or_before)


def dashboard_per_kabupaten(
    session: Session, as_of: date, kode_kabupaten: str | None = None, *, precomputed: bool = False
) -> list[KabupatenCounts]:
    """KPM, school-age children and toddlers per kabupaten/kota, ages as of ``as_of``.

    Every kabupaten of the ``wilayah`` table is listed (zero when it has no KPM), plus any kabupaten code
    that KPM carry but ``wilayah`` lacks, plus a row with ``kode`` None for KPM without a kabupaten.

    :param as_of: the date ages are computed on (completed years).
    :param kode_kabupaten: limit to one kabupaten (the user's scope); None = the whole province.
    :param precomputed: count members from ``rm_lahir`` (members per kabupaten and birth date, as of the last
        read-model refresh: a range sum, ~30x faster at 50,000 KPM) instead of every current member.
    """
    kpm_stmt = select(Kpm.kode_kabupaten, func.count()).group_by(Kpm.kode_kabupaten)

    # Only a lower bound on the birth date: it drops the adults early (PostgreSQL joins half the rows), while a
    # two-sided range made SQLite fetch a quarter of anggota through ix_anggota_lahir one row at a time (about
    # 10x slower for one kabupaten of 50,000 KPM). The bands' own upper bounds leave out the not yet born.
    oldest_birth = min(SCHOOL_AGE.birth_range(as_of)[0], TODDLER.birth_range(as_of)[0])
    member_stmt = (
        select(
            Kpm.kode_kabupaten,
            func.sum(case((_in_band(SCHOOL_AGE, as_of), 1), else_=0)),
            func.sum(case((_in_band(TODDLER, as_of), 1), else_=0)),
        )
        .join(Kpm, Kpm.id_kpm == Anggota.id_kpm)
        .where(Anggota.tanggal_lahir > oldest_birth)
        .group_by(Kpm.kode_kabupaten)
    )
    if precomputed and session.execute(select(LahirPerKabupaten.id).limit(1)).first() is None:
        precomputed = False  # not refreshed since the table came (an upgraded warehouse): count live
    if precomputed:
        births = LahirPerKabupaten
        member_stmt = (
            select(
                births.kode_kabupaten,
                func.sum(case((_in_band(SCHOOL_AGE, as_of, births.tanggal_lahir), births.jumlah), else_=0)),
                func.sum(case((_in_band(TODDLER, as_of, births.tanggal_lahir), births.jumlah), else_=0)),
            )
            .where(births.tanggal_lahir > oldest_birth)
            .group_by(births.kode_kabupaten)
        )
        if kode_kabupaten is not None:
            member_stmt = member_stmt.where(births.kode_kabupaten == kode_kabupaten)
    elif kode_kabupaten is not None:
        member_stmt = member_stmt.where(Kpm.kode_kabupaten == kode_kabupaten)
    names_stmt = select(Wilayah.kode, Wilayah.nama).where(Wilayah.tingkat == "kabupaten")
    if kode_kabupaten is not None:
        kpm_stmt = kpm_stmt.where(Kpm.kode_kabupaten == kode_kabupaten)
        names_stmt = names_stmt.where(Wilayah.kode == kode_kabupaten)

    names: dict[str | None, str] = dict(session.execute(names_stmt).all())
    kpm_counts: dict[str | None, int] = dict(session.execute(kpm_stmt).all())
    members = {
        kode: (int(school or 0), int(toddlers or 0))
        for kode, school, toddlers in session.execute(member_stmt)
    }

    codes = set(names) | set(kpm_counts)
    rows = [
        KabupatenCounts(
            kode=kode,
            nama=names.get(kode),
            kpm=kpm_counts.get(kode, 0),
            school_age=members.get(kode, (0, 0))[0],
            toddlers=members.get(kode, (0, 0))[1],
        )
        for kode in codes
    ]
    # known codes in order, the row without a kabupaten last
    rows.sort(key=lambda r: (r.kode is None, r.kode or ""))
    return rows


def region_name(session: Session, kode: str) -> str | None:
    """The name of the region ``kode`` (any level), or None when ``wilayah`` does not have it."""
    return session.scalar(select(Wilayah.nama).where(Wilayah.kode == kode))


def default_as_of(session: Session, tz: str | tzinfo, now: datetime | None = None) -> date:
    """The date the data are "per": the latest ``kpm.tanggal_registrasi``, or today in ``tz`` if there is none.

    :param tz: the program's time zone (e.g. ``"Asia/Jakarta"``), used only when no KPM has a date.
    :param now: the current time (aware) when the caller has its own clock; default: the wall clock.
    """
    latest = session.scalar(select(func.max(Kpm.tanggal_registrasi)))
    if latest is not None:
        return latest
    zone = ZoneInfo(tz) if isinstance(tz, str) else tz
    return (now or datetime.now(zone)).astimezone(zone).date()


@dataclass(frozen=True, slots=True)
class FormSync:
    """The freshness of one form: when its last successful sync run finished (naive UTC), or None if never."""

    source: str
    form_id: str
    last_ok_at: datetime | None


def last_successful_syncs(session: Session) -> list[FormSync]:
    """Per form ever synced, the ``finished_at`` of its latest run with status ``ok`` (None if none succeeded)."""
    last_ok = func.max(case((SyncRun.status == "ok", SyncRun.finished_at)))
    stmt = (
        select(SyncRun.source, SyncRun.form_id, last_ok)
        .group_by(SyncRun.source, SyncRun.form_id)
        .order_by(SyncRun.form_id, SyncRun.source)
    )
    return [FormSync(source, form_id, at) for source, form_id, at in session.execute(stmt)]


# --- read models: the graduation dashboard and the pendamping table ----------------------------------------
#
# These read only the precomputed read models (warehouse/readmodels.py: rm_wilayah, rm_pendamping) and small
# lookups of region names, so a page answers in milliseconds at 50,000 KPM (docs/admin.md, "Speed").

PROVINCE_CODE = "36"

#: The welfare categories of the read models, poorest first, then the KPM without a category yet.
CATEGORY_COLUMNS: tuple[str, ...] = (
    "sangat_miskin",
    "miskin",
    "hampir_miskin",
    "rentan_miskin",
    "calon_graduasi",
    "tanpa_kategori",
)
#: The counts of a region summary (the rm_wilayah columns it reads, besides target and tranches).
SUMMARY_COUNTS: tuple[str, ...] = (
    "kpm",
    "anak_sekolah",
    "balita",
    *CATEGORY_COLUMNS,
    "naik_kategori",
    "turun_kategori",
    "layak_graduasi",
    "graduasi",
)
#: The states of a KPM's tranche in ``extra_json``: received, a problem was reported, no confirmation yet.
TRANCHE_STATES: tuple[str, ...] = ("diterima", "masalah", "belum_dikonfirmasi")


def _as_datetime(value: object) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))


@dataclass(frozen=True, slots=True)
class ReadModelDate:
    """The date the read models count "per", and when they were computed (naive UTC)."""

    per_tanggal: date
    refreshed_at: datetime


def read_model_date(session: Session) -> ReadModelDate | None:
    """The reference date and refresh time of the region read model; None before its first refresh."""
    per, refreshed = session.execute(
        select(func.max(RingkasanWilayah.per_tanggal), func.max(RingkasanWilayah.refreshed_at))
    ).one()
    if per is None or refreshed is None:
        return None
    return ReadModelDate(as_date(per), _as_datetime(refreshed))


@dataclass(frozen=True, slots=True)
class TrancheProgress:
    """One tranche over a region's KPM: confirmed received, problem reported, not confirmed yet."""

    diterima: int = 0
    masalah: int = 0
    belum_dikonfirmasi: int = 0

    def plus(self, other: TrancheProgress, sign: int = 1) -> TrancheProgress:
        """The sum (``sign`` 1) or difference (``sign`` -1) of two progress counts."""
        return TrancheProgress(*(getattr(self, s) + sign * getattr(other, s) for s in TRANCHE_STATES))


def tranche_sort_key(key: str) -> tuple[int, int, str]:
    """Orders tranche keys (``2019-1``, ``2019-2``, ``2020-sekaligus``) by year, then number, then name."""
    year, _, tahap = key.partition("-")
    return (int(year) if year.isdigit() else 0, int(tahap) if tahap.isdigit() else 99, tahap)


def parse_tranches(extra_json: str | None) -> dict[str, TrancheProgress]:
    """The ``tahap`` part of a read-model row's ``extra_json``; unreadable content counts as none (logged)."""
    if not extra_json:
        return {}
    try:
        tahap = json.loads(extra_json).get("tahap") or {}
        return {
            str(key): TrancheProgress(*(int(counts.get(s) or 0) for s in TRANCHE_STATES))
            for key, counts in tahap.items()
        }
    except (ValueError, TypeError, AttributeError):
        log.warning("read-model row with unreadable extra_json ignored: %.80s", extra_json)
        return {}


@dataclass(frozen=True, slots=True)
class RegionSummary:
    """A region's counts in ``rm_wilayah`` as of the read models' date (zeros for a region without a row).

    ``kode`` None marks the remainder: what the province counts outside its known kabupaten/kota.
    """

    kode: str | None
    nama: str | None
    kpm: int = 0
    anak_sekolah: int = 0
    balita: int = 0
    sangat_miskin: int = 0
    miskin: int = 0
    hampir_miskin: int = 0
    rentan_miskin: int = 0
    calon_graduasi: int = 0
    tanpa_kategori: int = 0
    naik_kategori: int = 0
    turun_kategori: int = 0
    layak_graduasi: int = 0
    graduasi: int = 0
    target_graduasi: int | None = None
    tahap: dict[str, TrancheProgress] = field(default_factory=dict)

    def categories(self) -> list[tuple[str, int]]:
        """(category column, KPM) in :data:`CATEGORY_COLUMNS` order."""
        return [(name, getattr(self, name)) for name in CATEGORY_COLUMNS]

    def is_empty(self) -> bool:
        """True when every count, the target and every tranche are zero."""
        return (
            not any(getattr(self, c) for c in SUMMARY_COUNTS)
            and not self.target_graduasi
            and not any(getattr(t, s) for t in self.tahap.values() for s in TRANCHE_STATES)
        )

    def combined(self, other: RegionSummary, sign: int = 1) -> RegionSummary:
        """This summary plus (``sign`` 1) or minus (``sign`` -1) ``other``, keeping this one's code and name.

        A target stays None only when neither side has one.
        """
        if self.target_graduasi is None and other.target_graduasi is None:
            target = None
        else:
            target = (self.target_graduasi or 0) + sign * (other.target_graduasi or 0)
        tahap = {
            key: self.tahap.get(key, TrancheProgress()).plus(other.tahap.get(key, TrancheProgress()), sign)
            for key in self.tahap.keys() | other.tahap.keys()
        }
        return RegionSummary(
            kode=self.kode,
            nama=self.nama,
            **{c: getattr(self, c) + sign * getattr(other, c) for c in SUMMARY_COUNTS},
            target_graduasi=target,
            tahap=tahap,
        )


def _summary_of(row: RingkasanWilayah, nama: str | None) -> RegionSummary:
    return RegionSummary(
        kode=row.kode,
        nama=row.nama or nama,
        **{c: int(getattr(row, c) or 0) for c in SUMMARY_COUNTS},
        target_graduasi=row.target_graduasi,
        tahap=parse_tranches(row.extra_json),
    )


@dataclass(frozen=True, slots=True)
class DashboardSummary:
    """The read-model part of the dashboard: one summary per kabupaten/kota, the remainder, the total."""

    per_tanggal: date
    refreshed_at: datetime
    rows: list[RegionSummary]
    other: RegionSummary | None
    total: RegionSummary
    tranches: list[str]

    def age_rows(self) -> list[KabupatenCounts]:
        """KPM, school-age children and toddlers per kabupaten as of ``per_tanggal`` (the remainder last)."""
        listed = [*self.rows, *([self.other] if self.other is not None else [])]
        return [KabupatenCounts(r.kode, r.nama, r.kpm, r.anak_sekolah, r.balita) for r in listed]


def dashboard_summary(session: Session, kode_kabupaten: str | None = None) -> DashboardSummary | None:
    """Categories, movement, graduations against target and tranche progress per kabupaten/kota.

    Reads the province and kabupaten rows of ``rm_wilayah`` and the kabupaten names of ``wilayah``. Every
    kabupaten of ``wilayah`` is listed, with zeros when the read model has no row for it (no KPM there). For the
    whole province the total is the province row and ``other`` what it counts outside the listed kabupaten (KPM
    without a kabupaten, or with a code ``wilayah`` lacks), None when that is nothing. For one kabupaten the
    total is that kabupaten and ``other`` is None.

    :param kode_kabupaten: the user's kabupaten, or None for the whole province.
    :returns: None before the read models were first computed.
    """
    when = read_model_date(session)
    if when is None:
        return None
    rm = RingkasanWilayah
    names_stmt = select(Wilayah.kode, Wilayah.nama).where(Wilayah.tingkat == "kabupaten")
    if kode_kabupaten is None:
        rows_stmt = select(rm).where((rm.tingkat == "kabupaten") | (rm.kode == PROVINCE_CODE))
    else:
        rows_stmt = select(rm).where(rm.kode == kode_kabupaten)
        names_stmt = names_stmt.where(Wilayah.kode == kode_kabupaten)
    names: dict[str, str] = {kode: nama for kode, nama in session.execute(names_stmt).all()}  # noqa: C416
    found = {r.kode: r for r in session.scalars(rows_stmt)}
    province = found.pop(PROVINCE_CODE, None) if kode_kabupaten is None else None

    codes = sorted(set(names) | set(found)) if kode_kabupaten is None else [kode_kabupaten]
    rows = [
        _summary_of(found[kode], names.get(kode)) if kode in found else RegionSummary(kode, names.get(kode))
        for kode in codes
    ]
    other: RegionSummary | None = None
    if kode_kabupaten is not None:
        total = rows[0]
    elif province is None:  # not written by refresh_read_models, which always counts the province
        total = RegionSummary(None, None)
        for row in rows:
            total = total.combined(row)
    else:
        total = _summary_of(province, None)
        rest = replace(total, kode=None, nama=None)
        for row in rows:
            rest = rest.combined(row, -1)
        if rest.target_graduasi == 0:
            rest = replace(rest, target_graduasi=None)
        other = None if rest.is_empty() else rest
    keys = {key for r in (total, *rows) for key in r.tahap}
    if kode_kabupaten is not None:  # a kabupaten without KPM still shows which tranches have opened
        keys |= set(parse_tranches(session.scalar(select(rm.extra_json).where(rm.kode == PROVINCE_CODE))))
    return DashboardSummary(
        when.per_tanggal, when.refreshed_at, rows, other, total, sorted(keys, key=tranche_sort_key)
    )


#: Rows per page of the pendamping table.
PENDAMPING_PAGE_SIZE = 50
#: Longest name/id search text taken into account (longer input is cut).
MAX_SEARCH_TEXT = 100
#: Columns whose sort is by the share of the caseload (count / KPM) rather than by the count.
SHARE_COLUMNS: tuple[str, ...] = ("dikunjungi_30", "dikunjungi_90", "data_lengkap")
_PENDAMPING_COUNTS: tuple[str, ...] = (
    "kpm",
    "anak_sekolah",
    "balita",
    "ibu_hamil",
    "lansia",
    "disabilitas_berat",
    "dikunjungi_30",
    "dikunjungi_90",
    "data_lengkap",
    "naik_kategori",
    "layak_graduasi",
    "graduasi",
)
#: The sort keys ``?sort=`` accepts (anything else sorts by region): what the pendamping table can order by.
PENDAMPING_SORTS: tuple[str, ...] = ("wilayah", "nama", "id", *_PENDAMPING_COUNTS)
DEFAULT_PENDAMPING_SORT = "wilayah"


@dataclass(frozen=True, slots=True)
class PendampingCounts:
    """A pendamping's row in ``rm_pendamping`` (or the sum over several): caseload, coverage, progress."""

    kpm: int = 0
    anak_sekolah: int = 0
    balita: int = 0
    ibu_hamil: int = 0
    lansia: int = 0
    disabilitas_berat: int = 0
    dikunjungi_30: int = 0
    dikunjungi_90: int = 0
    data_lengkap: int = 0
    naik_kategori: int = 0
    layak_graduasi: int = 0
    graduasi: int = 0
    target_graduasi: int | None = None

    def share(self, column: str) -> float | None:
        """``column`` as a share (0..1) of the caseload; None without KPM."""
        return getattr(self, column) / self.kpm if self.kpm else None


@dataclass(frozen=True, slots=True)
class PendampingRow(PendampingCounts):
    """One line of the pendamping table: who, where, and the counts."""

    pendamping_id: str = ""
    nama: str | None = None
    kode_kabupaten: str | None = None
    nama_kabupaten: str | None = None
    kode_kecamatan: str | None = None
    nama_kecamatan: str | None = None


@dataclass(frozen=True, slots=True)
class PendampingPage:
    """One page of the pendamping table, with the totals over every matching pendamping."""

    rows: list[PendampingRow]
    matching: int
    page: int
    pages: int
    page_size: int
    sort: str
    descending: bool
    totals: PendampingCounts


@dataclass(frozen=True, slots=True)
class PendampingFilter:
    """Which pendamping to list: one kabupaten (the user's scope or a choice), one kecamatan, a name/id text."""

    kode_kabupaten: str | None = None
    kode_kecamatan: str | None = None
    text: str | None = None


def _text_order(session: Session, expr):  # type: ignore[no-untyped-def]
    """Order text by code point on every backend (PostgreSQL's locale collations ignore spaces)."""
    return expr.collate("C") if session.get_bind().dialect.name == "postgresql" else expr


def _sort_columns(session: Session, sort: str) -> list[Any]:
    rm = RingkasanPendamping
    name = _text_order(session, func.coalesce(func.lower(rm.nama), ""))
    if sort == "nama":
        return [name]
    if sort == "id":
        return []  # the tie-breaker below is the id
    if sort in SHARE_COLUMNS:
        column = getattr(rm, sort)
        return [case((rm.kpm > 0, cast(column, Float) / rm.kpm), else_=-1.0), column]
    if sort in _PENDAMPING_COUNTS:
        return [getattr(rm, sort)]
    return [
        _text_order(session, func.coalesce(rm.kode_kabupaten, "")),
        _text_order(session, func.coalesce(rm.kode_kecamatan, "")),
        name,
    ]


def _pendamping_conditions(where: PendampingFilter) -> list[Any]:
    rm = RingkasanPendamping
    conditions = []
    if where.kode_kabupaten is not None:
        conditions.append(rm.kode_kabupaten == where.kode_kabupaten)
    if where.kode_kecamatan is not None:
        conditions.append(rm.kode_kecamatan == where.kode_kecamatan)
    text = (where.text or "").strip()[:MAX_SEARCH_TEXT].lower()
    if text:
        conditions.append(
            func.lower(rm.nama).contains(text, autoescape=True)
            | func.lower(rm.pendamping_id).contains(text, autoescape=True)
        )
    return conditions


def pendamping_page(
    session: Session,
    where: PendampingFilter | None = None,
    *,
    sort: str = DEFAULT_PENDAMPING_SORT,
    descending: bool = False,
    page: int = 1,
    page_size: int = PENDAMPING_PAGE_SIZE,
) -> PendampingPage:
    """One page of ``rm_pendamping``, filtered and sorted in the database.

    :param where: the filter; a user's kabupaten scope goes in ``where.kode_kabupaten``. The text matches a
        part of the name or the id, ignoring case (``%`` and ``_`` are plain characters).
    :param sort: one of :data:`PENDAMPING_SORTS`; anything else sorts by region (kabupaten, kecamatan, name).
        Visits in 30/90 days and complete data sort by their share of the caseload (pendamping without KPM
        first). Ties are broken by id, ascending, so pages never overlap.
    :param page: 1-based; a page past the last gives the last page, one below 1 the first.
    """
    rm = RingkasanPendamping
    sort = sort if sort in PENDAMPING_SORTS else DEFAULT_PENDAMPING_SORT
    conditions = _pendamping_conditions(where or PendampingFilter())

    sums = [func.coalesce(func.sum(getattr(rm, c)), 0) for c in _PENDAMPING_COUNTS]
    matching, *totals, target = session.execute(
        select(func.count(), *sums, func.sum(rm.target_graduasi)).where(*conditions)
    ).one()
    totals_row = PendampingCounts(
        *(int(v) for v in totals), target_graduasi=int(target) if target is not None else None
    )
    pages = max(1, -(-matching // page_size))
    page = min(max(page, 1), pages)

    kabupaten, kecamatan = aliased(Wilayah), aliased(Wilayah)
    order = [c.desc() if descending else c.asc() for c in _sort_columns(session, sort)]
    stmt = (
        select(rm, kabupaten.nama, kecamatan.nama)
        .outerjoin(kabupaten, kabupaten.kode == rm.kode_kabupaten)
        .outerjoin(kecamatan, kecamatan.kode == rm.kode_kecamatan)
        .where(*conditions)
        .order_by(*order, rm.pendamping_id.desc() if descending and sort == "id" else rm.pendamping_id)
        .limit(page_size)
        .offset((page - 1) * page_size)
    )
    rows = [
        PendampingRow(
            **{c: int(getattr(r, c) or 0) for c in _PENDAMPING_COUNTS},
            target_graduasi=r.target_graduasi,
            pendamping_id=r.pendamping_id,
            nama=r.nama,
            kode_kabupaten=r.kode_kabupaten,
            nama_kabupaten=nama_kab,
            kode_kecamatan=r.kode_kecamatan,
            nama_kecamatan=nama_kec,
        )
        for r, nama_kab, nama_kec in session.execute(stmt)
    ]
    return PendampingPage(rows, int(matching), page, pages, page_size, sort, descending, totals_row)


@dataclass(frozen=True, slots=True)
class RegionOption:
    """A kabupaten of the pendamping filter, with the kecamatan where its pendamping work."""

    kode: str
    nama: str | None
    kecamatan: list[tuple[str, str | None]]


def pendamping_regions(session: Session, kode_kabupaten: str | None = None) -> list[RegionOption]:
    """The kabupaten (all, or the user's one) and kecamatan that have pendamping in ``rm_pendamping``."""
    rm = RingkasanPendamping
    stmt = select(rm.kode_kabupaten, rm.kode_kecamatan).distinct().where(rm.kode_kabupaten.is_not(None))
    if kode_kabupaten is not None:
        stmt = stmt.where(rm.kode_kabupaten == kode_kabupaten)
    pairs = session.execute(stmt).all()
    codes = {kab for kab, _ in pairs} | {kec for _, kec in pairs if kec}
    names: dict[str, str] = (
        dict(session.execute(select(Wilayah.kode, Wilayah.nama).where(Wilayah.kode.in_(codes))).all())
        if codes
        else {}
    )
    by_kabupaten: dict[str, set[str]] = {}
    for kab, kec in pairs:
        by_kabupaten.setdefault(kab, set()).update([kec] if kec else [])
    return [
        RegionOption(kab, names.get(kab), [(kec, names.get(kec)) for kec in sorted(by_kabupaten[kab])])
        for kab in sorted(by_kabupaten)
    ]
