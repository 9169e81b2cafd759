"""Read queries for the admin: every SQL statement a page needs lives here, never in a view (style.md rule 4).

Ages are completed years as of an explicit date, never the wall clock (DESIGN.md §6). An age band becomes a
birth-date range in Python, so the SQL compares ``anggota.tanggal_lahir`` with two dates: no date arithmetic in
SQL, the same results on SQLite and PostgreSQL, and a predicate an index can serve.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from warehouse.models import Anggota, Kpm, SyncRun, Wilayah

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


def _in_band(band: AgeBand, as_of: date):  # type: ignore[no-untyped-def]
    after, on_or_before = band.birth_range(as_of)
    return and_(Anggota.tanggal_lahir > after, Anggota.tanggal_lahir <= on_or_before)


def dashboard_per_kabupaten(
    session: Session, as_of: date, kode_kabupaten: str | None = None
) -> list[KabupatenCounts]:
    """KPM, school-age children and toddlers per kabupaten/kota, ages as of ``as_of``.

    Every kabupaten of the ``wilayah`` table is listed (zero when it has no KPM), plus any kabupaten code
    that KPM carry but ``wilayah`` lacks, plus a row with ``kode`` None for KPM without a kabupaten.

    :param as_of: the date ages are computed on (completed years).
    :param kode_kabupaten: limit to one kabupaten (the user's scope); None = the whole province.
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
    names_stmt = select(Wilayah.kode, Wilayah.nama).where(Wilayah.tingkat == "kabupaten")
    if kode_kabupaten is not None:
        kpm_stmt = kpm_stmt.where(Kpm.kode_kabupaten == kode_kabupaten)
        member_stmt = member_stmt.where(Kpm.kode_kabupaten == kode_kabupaten)
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
