"""Read models for the admin: counts per pendamping, kecamatan, kabupaten and the province, precomputed.

A plain indexed query over the member table takes about half a second at 250,000 households (DESIGN.md §8), too
slow for pages that must answer in 300 ms while a sync writes; so after every sync and recompute the counts are
computed once, as of the data's reference date, into ``rm_pendamping`` and ``rm_wilayah``. Ages are computed as
of that date (never the wall clock), by turning age bands into birth-date bounds.
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from dataclasses import dataclass, field, fields
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, and_, case, delete, func, select

from warehouse.db import as_date, write_connection
from warehouse.gc_pause import gc_paused
from warehouse.models import (
    Anggota,
    Asesmen,
    Keputusan,
    Kpm,
    Kunjungan,
    LahirPerKabupaten,
    Pendamping,
    Penyaluran,
    ProgramTahap,
    RingkasanPendamping,
    RingkasanWilayah,
    TargetPendamping,
    Wilayah,
)

log = logging.getLogger(__name__)

PROVINCE = "36"
#: The categories of the rules workbook, poorest first; ``calon_graduasi`` is the band above "rentan miskin".
CATEGORIES = ("sangat_miskin", "miskin", "hampir_miskin", "rentan_miskin", "calon_graduasi")
#: Lower is poorer: a move to a higher rank is "naik kategori" (moved up a grade).
CATEGORY_RANK = {name: rank for rank, name in enumerate(CATEGORIES)}


def years_before(day: date, years: int) -> date:
    """The same calendar day ``years`` earlier (29 February falls back to 28 February)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def birth_bounds(as_of: date, min_age: int, max_age: int) -> tuple[date, date]:
    """Birth dates (exclusive lower, inclusive upper) of people aged ``min_age``..``max_age`` on ``as_of``."""
    return years_before(as_of, max_age + 1), years_before(as_of, min_age)


@dataclass(slots=True)
class Counts:
    """The numbers of one read-model row."""

    kpm: int = 0
    anak_sekolah: int = 0
    balita: int = 0
    ibu_hamil: int = 0
    lansia: int = 0
    disabilitas_berat: int = 0
    kpm_anak_sekolah: int = 0
    kpm_balita: int = 0
    dikunjungi_30: int = 0
    dikunjungi_90: int = 0
    data_lengkap: int = 0
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
    tahap: dict[str, dict[str, int]] = field(default_factory=dict)  # "2019-1" -> {"dikonfirmasi": n, ...}

    def add(self, other: Counts) -> None:
        """Accumulate another row (targets add up when known)."""
        for f in fields(self):
            if f.name == "tahap":
                for key, sub in other.tahap.items():
                    mine = self.tahap.setdefault(key, {})
                    for k, v in sub.items():
                        mine[k] = mine.get(k, 0) + v
            elif f.name == "target_graduasi":
                if other.target_graduasi is not None:
                    self.target_graduasi = (self.target_graduasi or 0) + other.target_graduasi
            else:
                setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))

    def columns(self) -> dict[str, Any]:
        """The values as read-model columns."""
        out = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "tahap"}
        out["extra_json"] = json.dumps({"tahap": self.tahap}, sort_keys=True)
        return out


@dataclass(slots=True)
class KpmFacts:
    """What the read models need to know about one KPM as of the reference date."""

    id_kpm: str
    kode_kabupaten: str | None
    kode_kecamatan: str | None
    pendamping_id: str | None
    counts: Counts


def _member_counts(conn: Connection, as_of: date) -> dict[str, dict[str, int]]:
    a = Anggota.__table__
    school_lo, school_hi = birth_bounds(as_of, 7, 18)
    tod_lo, tod_hi = birth_bounds(as_of, 0, 4)
    _, old_hi = birth_bounds(as_of, 60, 200)

    def between(lo: date, hi: date):  # type: ignore[no-untyped-def]
        return and_(a.c.tanggal_lahir > lo, a.c.tanggal_lahir <= hi)

    stmt = select(
        a.c.id_kpm,
        func.sum(case((between(school_lo, school_hi), 1), else_=0)).label("anak_sekolah"),
        func.sum(case((between(tod_lo, tod_hi), 1), else_=0)).label("balita"),
        func.sum(case((a.c.status_hamil == "ya", 1), else_=0)).label("ibu_hamil"),
        func.sum(case((a.c.tanggal_lahir <= old_hi, 1), else_=0)).label("lansia"),
        func.sum(case((a.c.disabilitas == "berat", 1), else_=0)).label("disabilitas_berat"),
    ).group_by(a.c.id_kpm)
    return {r.id_kpm: dict(r._mapping) for r in conn.execute(stmt)}


def _latest_visits(conn: Connection, as_of: date) -> dict[str, date]:
    k = Kunjungan.__table__
    stmt = (
        select(k.c.id_kpm, func.max(k.c.tanggal_kunjungan).label("terakhir"))
        .where(k.c.tanggal_kunjungan <= as_of, k.c.id_kpm.is_not(None))
        .group_by(k.c.id_kpm)
    )
    out = {}
    for r in conn.execute(stmt):
        value = r.terakhir
        out[r.id_kpm] = as_date(value)
    return out


def _assessments(conn: Connection, as_of: date) -> dict[str, tuple[Any, Any]]:
    """(first, latest) assessment on or before ``as_of`` per KPM."""
    s = Asesmen.__table__
    ranked = (
        select(
            s.c.id_kpm,
            s.c.kategori,
            s.c.status,
            func.row_number().over(partition_by=s.c.id_kpm, order_by=s.c.tanggal.asc()).label("pertama"),
            func.row_number().over(partition_by=s.c.id_kpm, order_by=s.c.tanggal.desc()).label("terakhir"),
        )
        .where(s.c.tanggal <= as_of)
        .subquery()
    )
    out: dict[str, list[Any]] = {}
    for r in conn.execute(select(ranked).where((ranked.c.pertama == 1) | (ranked.c.terakhir == 1))):
        slot = out.setdefault(r.id_kpm, [None, None])
        if r.pertama == 1:
            slot[0] = r
        if r.terakhir == 1:
            slot[1] = r
    return {k: (v[0], v[1]) for k, v in out.items()}


def _exits(conn: Connection) -> dict[str, tuple[str, datetime]]:
    """Approved decisions (graduations and exits): KPM -> (kind, when approved)."""
    d = Keputusan.__table__
    out: dict[str, tuple[str, datetime]] = {}
    for r in conn.execute(select(d.c.id_kpm, d.c.jenis, d.c.disetujui_pada).where(d.c.status == "disetujui")):
        when = (
            r.disetujui_pada
            if isinstance(r.disetujui_pada, datetime)
            else datetime.fromisoformat(str(r.disetujui_pada))
        )
        out[r.id_kpm] = (r.jenis, when)
    return out


def _tranche_progress(conn: Connection, as_of: date) -> dict[str, dict[str, str]]:
    """Per KPM: tranche key -> received | masalah, for tranches whose window has opened by ``as_of``."""
    t = ProgramTahap.__table__
    opened = {
        (r.tahun, r.tahap)
        for r in conn.execute(select(t.c.tahun, t.c.tahap, t.c.mulai))
        if r.mulai and r.mulai <= as_of
    }
    p = Penyaluran.__table__
    out: dict[str, dict[str, str]] = defaultdict(dict)
    for r in conn.execute(
        select(p.c.id_kpm, p.c.tahun_anggaran, p.c.tahap, p.c.status_terima).where(
            p.c.tanggal_konfirmasi <= as_of
        )
    ):
        if (r.tahun_anggaran, r.tahap) not in opened or not r.id_kpm:
            continue
        key = f"{r.tahun_anggaran}-{r.tahap}"
        state = "diterima" if r.status_terima in ("diterima_penuh", "diterima_sebagian") else "masalah"
        if out[r.id_kpm].get(key) != "diterima":
            out[r.id_kpm][key] = state
    out["__opened__"] = {f"{y}-{h}": "" for (y, h) in opened}
    return out


def kpm_facts(conn: Connection, as_of: date) -> list[KpmFacts]:
    """One row of counts per active KPM, as of ``as_of``."""
    members = _member_counts(conn, as_of)
    visits = _latest_visits(conn, as_of)
    assessed = _assessments(conn, as_of)
    exits = _exits(conn)
    day_end = datetime(as_of.year, as_of.month, as_of.day) + timedelta(days=1)
    year_start = datetime(as_of.year, 1, 1)
    tranches = _tranche_progress(conn, as_of)
    opened = sorted(tranches.pop("__opened__", {}))
    k = Kpm.__table__
    facts: list[KpmFacts] = []
    for r in conn.execute(
        select(
            k.c.id_kpm,
            k.c.kode_kabupaten,
            k.c.kode_kecamatan,
            k.c.pendamping_id,
            k.c.tanggal_registrasi,
            k.c.status,
        )
    ):
        # a KPM counts as in the program on the date unless an approved decision ended it before; one that
        # graduated this year up to the date is counted, and marked graduated
        ended = exits.get(r.id_kpm)
        graduated = bool(
            ended and ended[0] == "graduasi_sejahtera_mandiri" and year_start <= ended[1] < day_end
        )
        if r.status != "aktif" and not graduated and (ended is None or ended[1] < day_end):
            continue  # left the program on or before the date (an exit approved after it still counts)
        c = Counts(kpm=1)
        m = members.get(r.id_kpm)
        if m:
            c.anak_sekolah = int(m["anak_sekolah"] or 0)
            c.balita = int(m["balita"] or 0)
            c.ibu_hamil = int(m["ibu_hamil"] or 0)
            c.lansia = int(m["lansia"] or 0)
            c.disabilitas_berat = int(m["disabilitas_berat"] or 0)
            c.kpm_anak_sekolah = int(c.anak_sekolah > 0)
            c.kpm_balita = int(c.balita > 0)
        last = visits.get(r.id_kpm)
        if last is not None:
            c.dikunjungi_30 = int((as_of - last).days < 30)
            c.dikunjungi_90 = int((as_of - last).days < 90)
        c.data_lengkap = int(r.tanggal_registrasi is not None and bool(c.dikunjungi_90))
        first, latest = assessed.get(r.id_kpm, (None, None))
        kategori = latest.kategori if latest is not None else None
        if kategori in CATEGORIES:
            setattr(c, kategori, 1)
        else:
            c.tanpa_kategori = 1
        if (
            first is not None
            and latest is not None
            and first.kategori in CATEGORY_RANK
            and kategori in CATEGORY_RANK
        ):
            move = CATEGORY_RANK[kategori] - CATEGORY_RANK[first.kategori]
            c.naik_kategori, c.turun_kategori = int(move > 0), int(move < 0)
        c.layak_graduasi = int(latest is not None and latest.status == "layak_graduasi")
        c.graduasi = int(graduated)
        got = tranches.get(r.id_kpm, {})
        for key in opened:
            state = got.get(key, "belum_dikonfirmasi")
            c.tahap[key] = {
                "diterima": int(state == "diterima"),
                "masalah": int(state == "masalah"),
                "belum_dikonfirmasi": int(state == "belum_dikonfirmasi"),
            }
        facts.append(KpmFacts(r.id_kpm, r.kode_kabupaten, r.kode_kecamatan, r.pendamping_id, c))
    return facts


def default_as_of(conn: Connection) -> date | None:
    """The data's reference date: the latest visit or registration date in the warehouse."""
    k = Kunjungan.__table__
    p = Kpm.__table__
    latest = [
        conn.execute(select(func.max(k.c.tanggal_kunjungan))).scalar(),
        conn.execute(select(func.max(p.c.tanggal_registrasi))).scalar(),
    ]
    days = [as_date(d) for d in latest if d]
    return max(days) if days else None


def refresh_births(conn: Connection) -> None:
    """Rebuild ``rm_lahir``: current members per kabupaten and birth date (one aggregate query)."""
    table = LahirPerKabupaten.__table__
    conn.execute(delete(table))
    counted = (
        select(Kpm.kode_kabupaten, Anggota.tanggal_lahir, func.count())
        .join(Kpm, Kpm.id_kpm == Anggota.id_kpm)
        .where(Anggota.tanggal_lahir.is_not(None))
        .group_by(Kpm.kode_kabupaten, Anggota.tanggal_lahir)
    )
    conn.execute(table.insert().from_select(["kode_kabupaten", "tanggal_lahir", "jumlah"], counted))


def refresh_read_models(engine: Engine, as_of: date | None = None) -> date | None:
    """Recompute ``rm_pendamping`` and ``rm_wilayah`` as of a date (default: the data's reference date)."""
    # the facts of every KPM live until they are summed: the cyclic collector only walked them (warehouse.gc_pause;
    # 4.7 s -> 4.3 s of CPU at 50,000 KPM)
    with write_connection(engine) as conn, gc_paused():
        as_of = as_of or default_as_of(conn)
        if as_of is None:
            conn.execute(delete(RingkasanPendamping.__table__))
            conn.execute(delete(RingkasanWilayah.__table__))
            refresh_births(conn)
            return None
        facts = kpm_facts(conn, as_of)
        now = datetime.now(UTC).replace(tzinfo=None)
        targets = {
            r.pendamping_id: r.target_graduasi
            for r in conn.execute(
                select(TargetPendamping.__table__).where(TargetPendamping.__table__.c.tahun == as_of.year)
            )
        }
        people = {r.id: r for r in conn.execute(select(Pendamping.__table__))}
        regions = {r.kode: r for r in conn.execute(select(Wilayah.__table__))}
        by_pendamping: dict[str, Counts] = defaultdict(Counts)
        by_region: dict[str, Counts] = defaultdict(Counts)
        for f in facts:
            if f.pendamping_id:
                by_pendamping[f.pendamping_id].add(f.counts)
            for code in (PROVINCE, f.kode_kabupaten, f.kode_kecamatan):
                if code:
                    by_region[code].add(f.counts)
        for pid in people:
            by_pendamping.setdefault(pid, Counts())
        for pid, counts in by_pendamping.items():
            counts.target_graduasi = targets.get(pid)
        for pid, target in targets.items():
            if target is None or pid not in people:
                continue
            kab = people[pid].kode_kabupaten
            for code in (PROVINCE, kab, people[pid].kode_kecamatan):
                if code:
                    by_region[code].target_graduasi = (by_region[code].target_graduasi or 0) + target
        conn.execute(delete(RingkasanPendamping.__table__))
        conn.execute(delete(RingkasanWilayah.__table__))
        rows = []
        for pid, counts in by_pendamping.items():
            person = people.get(pid)
            rows.append(
                {
                    "pendamping_id": pid,
                    "nama": person.nama if person else None,
                    "kode_kabupaten": person.kode_kabupaten if person else None,
                    "kode_kecamatan": person.kode_kecamatan if person else None,
                    **counts.columns(),
                    "per_tanggal": as_of,
                    "refreshed_at": now,
                }
            )
        if rows:
            conn.execute(RingkasanPendamping.__table__.insert(), rows)
        region_rows = []
        for code, counts in by_region.items():
            region = regions.get(code)
            region_rows.append(
                {
                    "kode": code,
                    "tingkat": region.tingkat
                    if region
                    else ("provinsi" if code == PROVINCE else "tidak_dikenal"),
                    "kode_induk": region.kode_induk if region else None,
                    "nama": region.nama if region else None,
                    **counts.columns(),
                    "per_tanggal": as_of,
                    "refreshed_at": now,
                }
            )
        if region_rows:
            conn.execute(RingkasanWilayah.__table__.insert(), region_rows)
        refresh_births(conn)
    log.info("read models refreshed as of %s: %d pendamping, %d regions", as_of, len(rows), len(region_rows))
    return as_of
