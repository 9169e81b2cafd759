"""Build :class:`KpmSnapshot` objects from the domain tables (kpm, anggota, kunjungan, pantau_anak, pantau_balita).

One snapshot per KPM per visit date, one at the registration date (the baseline), and optionally one at each
extra as-of date. KPM are read in chunks with one query per table per chunk (no query per KPM), so memory stays
flat; about 40 µs of CPU per snapshot on SQLite (50,000 KPM with 8 visits each: 450,000 snapshots).

How values combine (docs/graduation.md, "Snapshots"):

- Every answer is an observation dated by its submission (``tanggal_registrasi``, ``tanggal_kunjungan``); a
  snapshot takes, per field, the latest non-empty observation on or before its date (visit values win for income,
  food, savings, work, pregnancy); when none is dated on or before it, the registration's answer is used.
- House answers come from the registration. A visit's ``perubahan_rumah`` (lantai, dinding, atap, jamban,
  listrik, air) is kept in ``perbaikan_rumah`` from that visit on; the rules workbook (sheet perbaikan_rumah)
  says which house value each improvement gives. A later registration (re-registration) replaces them.
- Household size: the registration roster plus births and arrivals minus deaths and departures counted at
  visits after the registration. A child reported ``tidak_serumah`` at a visit leaves the house from then on.
- Attendance and weighing rows: those of the latest visit at which the family was met, after the registration.
- The domain tables keep only the latest registration of a KPM, so a visit dated before it is read against
  that registration (members born after the visit date are left out).
"""

from __future__ import annotations

import logging
import operator
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace
from datetime import date
from typing import Any

from sqlalchemy import Connection, select
from sqlalchemy.orm import Session

from warehouse.db import driver_id_in
from warehouse.graduation.household import (
    KUNJUNGAN,
    PER_TANGGAL,
    REGISTRASI,
    ChildRow,
    KpmSnapshot,
    Member,
    ToddlerRow,
)
from warehouse.models import Anggota, Kpm, Kunjungan

log = logging.getLogger(__name__)

CHUNK = 1000
_KPM = Kpm.__table__
_ANGGOTA = Anggota.__table__
_KUNJUNGAN = Kunjungan.__table__

_HOUSE = (
    "luas_lantai_m2",
    "jenis_lantai",
    "jenis_dinding",
    "jenis_atap",
    "fasilitas_bab",
    "sumber_penerangan",
    "sumber_air_minum",
    "bahan_bakar_masak",
    "beli_pakaian_setahun",
    "mampu_berobat",
    "luas_lahan_m2",
    "nilai_aset_rp",
)
#: Fields observed at registration and at visits: snapshot field -> (kpm column, kunjungan column).
_OBSERVED: dict[str, tuple[str | None, str]] = {
    "pendapatan_bulan_rp": ("pendapatan_bulan_rp", "pendapatan_bulan_rp"),
    "tabungan_rp": ("tabungan_rp", "tabungan_rp"),
    "jumlah_sumber_pendapatan": ("jumlah_sumber_pendapatan", "jumlah_sumber_pendapatan"),
    "punya_usaha": ("punya_usaha", "punya_usaha"),
    "frek_makan_hari": ("frek_makan_hari", "frek_makan_hari"),
    "frek_protein_hewani_minggu": ("frek_protein_hewani_minggu", "frek_protein_hewani_minggu"),
    "kekurangan_pangan_3bln": (None, "kekurangan_pangan_3bln"),
    "pekerjaan_kepala": (None, "pekerjaan_kepala_kk"),
    "jumlah_hamil": (None, "n_hamil"),
    "anc_kunjungan_ke": (None, "anc_kunjungan_ke"),
    "hadir_p2k2": (None, "hadir_p2k2"),
    "penilaian_pendamping": (None, "penilaian_pendamping"),
}
_KPM_COLUMNS = (
    "id_kpm",
    "kode_kabupaten",
    "tanggal_registrasi",
    "registrasi_logical_id",
    "jumlah_anggota",
    "aset_mudah_dijual",
    *_HOUSE,
    *(k for k, _v in _OBSERVED.values() if k),
)
_ANGGOTA_COLUMNS = (
    "id_kpm",
    "urutan",
    "tanggal_lahir",
    "jenis_kelamin",
    "hubungan",
    "status_hamil",
    "partisipasi_sekolah",
    "pendidikan_tertinggi",
    "pekerjaan_utama",
    "disabilitas",
    "punya_jkn",
)
_KUNJUNGAN_COLUMNS = (
    "id",
    "id_kpm",
    "tanggal_kunjungan",
    "kpm_ditemui",
    "jml_lahir",
    "jml_meninggal",
    "jml_pindah_keluar",
    "jml_masuk",
    "perubahan_rumah",
    *(v for _k, v in _OBSERVED.values()),
)


def _connection(db: Session | Connection) -> Connection:
    return db.connection() if isinstance(db, Session) else db


def _words(text: str | None) -> list[str]:
    return text.replace(",", " ").split() if text else []


def _int(text: Any) -> int | None:
    """A member position (``urutan``, stored as text); None when empty or not a number."""
    # the usual case first: this runs for every member and child
    if text.__class__ is str and text.isdigit():
        return int(text)
    if not text:
        return None
    if text.__class__ is int:
        return text
    text = str(text).strip()
    return int(text) if text.isdigit() else None


def _chunks(conn: Connection, id_kpm: Iterable[str] | None, size: int) -> Iterator[list[str]]:
    if id_kpm is not None:
        ids = list(dict.fromkeys(id_kpm))
        for i in range(0, len(ids), size):
            yield ids[i : i + size]
        return
    last: str | None = None
    while True:
        q = select(_KPM.c.id_kpm).order_by(_KPM.c.id_kpm).limit(size)
        if last is not None:
            q = q.where(_KPM.c.id_kpm > last)
        ids = list(conn.execute(q).scalars())
        if not ids:
            return
        yield ids
        last = ids[-1]


def build_snapshots(
    db: Session | Connection,
    id_kpm: Iterable[str] | None = None,
    *,
    as_of_dates: Iterable[date] = (),
    until: date | None = None,
    since: date | None = None,
    history: bool = True,
    chunk_size: int = CHUNK,
) -> Iterator[KpmSnapshot]:
    """Snapshots of KPM from the domain tables, KPM by KPM (in ``id_kpm`` order when reading all), oldest first.

    :param id_kpm: the KPM to build (default: every KPM, read in keyset-paged chunks).
    :param as_of_dates: extra dates to build a snapshot at for every KPM (e.g. the end of a year).
    :param until: ignore visits after this date and build nothing later (default: no limit).
    :param since: build only snapshots dated on or after this day (earlier visits are still read for the
        values they carry forward): an incremental recompute after a visit dated ``since`` changed.
    :param history: build the registration and visit snapshots (False: only ``as_of_dates``).
    """
    conn = _connection(db)
    extra = sorted({d for d in as_of_dates if until is None or d <= until})
    for ids in _chunks(conn, id_kpm, chunk_size):
        yield from _build_chunk(conn, ids, extra, until, since, history)


#: Snapshot fields observed at registration and visits, and their kpm / kunjungan columns (positional).
_OBS_FIELDS = tuple(_OBSERVED)
_OBS_KPM = tuple(k for k, _v in _OBSERVED.values())
_OBS_VISIT = tuple(v for _k, v in _OBSERVED.values())
_K = {c: i for i, c in enumerate(_KPM_COLUMNS)}
_V = {c: i for i, c in enumerate(_KUNJUNGAN_COLUMNS)}
_V_OBS = tuple(_V[c] for c in _OBS_VISIT)
_PICK_OBSERVED = operator.itemgetter(*_V_OBS)  # a visit row -> its observations, in _OBS_FIELDS order
# positions in a kunjungan row
_ID, _DAY, _MET = _V["id"], _V["tanggal_kunjungan"], _V["kpm_ditemui"]
_BORN, _DIED, _LEFT, _CAME, _HOUSE_CHANGES = (
    _V["jml_lahir"],
    _V["jml_meninggal"],
    _V["jml_pindah_keluar"],
    _V["jml_masuk"],
    _V["perubahan_rumah"],
)


def _rows(
    conn: Connection,
    sql: str,
    column: str,
    ids: Sequence[str],
    params: Sequence[Any] = (),
    day: int | None = None,
) -> list[Any]:
    """Rows of ``sql`` (``{ids}`` marks where ``column`` is matched with the ids) as tuples from the driver.

    Read without SQLAlchemy's per-row result processing: these queries return about 25 rows per KPM, a million
    and more in a full recompute. The one date column (position ``day``) comes back from SQLite as ISO text and
    is turned into a date here, which is all the processing these columns need.
    """
    pg = conn.dialect.name == "postgresql"
    mark = "%s" if pg else "?"
    condition, values = driver_id_in(pg, column, ids)
    cur = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        cur.execute(sql.format(ids=condition, mark=mark), (*values, *params))
        rows = cur.fetchall()
    finally:
        cur.close()
    if day is not None and not pg:
        iso = date.fromisoformat
        rows = [
            r if r[day] is None else (*r[:day], iso(r[day]), *r[day + 1 :])  # type: ignore[arg-type]
            for r in rows
        ]
    return rows


def _select(table: Any, columns: Sequence[str]) -> str:
    return f"SELECT {', '.join(f'{table.name}.{c}' for c in columns)} FROM {table.name}"


_KPM_SQL = _select(_KPM, _KPM_COLUMNS) + " WHERE {ids}"
_ANGGOTA_SQL = _select(_ANGGOTA, _ANGGOTA_COLUMNS) + " WHERE {ids} ORDER BY anggota.id_kpm, anggota.urutan"
_KUNJUNGAN_SQL = (
    _select(_KUNJUNGAN, _KUNJUNGAN_COLUMNS)
    + " WHERE {ids} AND kunjungan.tanggal_kunjungan IS NOT NULL{until}"
    + " ORDER BY kunjungan.id_kpm, kunjungan.tanggal_kunjungan, kunjungan.id"
)
# by the ids of the visits already read (not joined with kunjungan again: that read every visit row a second time)
_ANAK_SQL = (
    "SELECT a.kunjungan_id, a.urutan, a.status, a.pct_hadir, a.hadir_hari, a.hari_efektif FROM pantau_anak a "
    "WHERE {ids} ORDER BY a.kunjungan_id, a.baris"
)
_BALITA_SQL = "SELECT b.kunjungan_id, b.urutan, b.ditimbang FROM pantau_balita b WHERE {ids} ORDER BY b.kunjungan_id, b.baris"
#: Visit ids per query of their attendance and weighing rows (SQLite allows 32,766 parameters).
VISITS_PER_QUERY = 10_000


def _build_chunk(
    conn: Connection,
    ids: list[str],
    extra: Sequence[date],
    until: date | None,
    since: date | None,
    history: bool,
) -> Iterator[KpmSnapshot]:
    kpm_rows = {r[0]: r for r in _rows(conn, _KPM_SQL, "kpm.id_kpm", ids, day=_K["tanggal_registrasi"])}
    members: dict[str, list[Member]] = {}
    born = _ANGGOTA_COLUMNS.index("tanggal_lahir")
    for r in _rows(conn, _ANGGOTA_SQL, "anggota.id_kpm", ids, day=born):
        members.setdefault(r[0], []).append(Member(*r[1:]))  # _ANGGOTA_COLUMNS[1:] follow Member's fields
    if until is None:
        visit_sql, visit_params = _KUNJUNGAN_SQL.replace("{until}", ""), ()
    else:
        bound = until if conn.dialect.name == "postgresql" else until.isoformat()
        visit_sql, visit_params = (
            _KUNJUNGAN_SQL.replace("{until}", " AND kunjungan.tanggal_kunjungan <= {mark}"),
            (bound,),
        )
    visits: dict[str, list[Any]] = {}
    by_kpm = _V["id_kpm"]
    for r in _rows(conn, visit_sql, "kunjungan.id_kpm", ids, visit_params, day=_DAY):
        visits.setdefault(r[by_kpm], []).append(r)
    children: dict[str, list[ChildRow]] = {}
    toddlers: dict[str, list[ToddlerRow]] = {}
    visit_ids = [v[_ID] for rows in visits.values() for v in rows]
    for i in range(0, len(visit_ids), VISITS_PER_QUERY):
        some = visit_ids[i : i + VISITS_PER_QUERY]
        for kid, urutan, status, pct, present, days in _rows(conn, _ANAK_SQL, "a.kunjungan_id", some):
            children.setdefault(kid, []).append(ChildRow(_int(urutan), status, pct, present, days))
        for kid, urutan, weighed in _rows(conn, _BALITA_SQL, "b.kunjungan_id", some):
            toddlers.setdefault(kid, []).append(ToddlerRow(_int(urutan), weighed))
    for key in ids:
        kpm = kpm_rows.get(key)
        if kpm is None:
            continue
        yield from _timeline(
            kpm, members.get(key, []), visits.get(key, []), children, toddlers, extra, until, since, history
        )


def _timeline(
    kpm: Any,
    roster: list[Member],
    visits: list[Any],
    children: dict[str, list[ChildRow]],
    toddlers: dict[str, list[ToddlerRow]],
    extra: Sequence[date],
    until: date | None,
    since: date | None,
    history: bool,
) -> Iterator[KpmSnapshot]:
    reg_date: date | None = kpm[_K["tanggal_registrasi"]]
    reg_in_range = reg_date is not None and (until is None or reg_date <= until)

    # The dates to build, with the visits of each date.
    by_date: dict[date, list[Any]] = {}
    for v in visits:
        by_date.setdefault(v[_DAY], []).append(v)
    points: dict[date, str] = {}
    if history:
        if reg_in_range and reg_date is not None:
            points[reg_date] = REGISTRASI
        for d in by_date:
            points[d] = KUNJUNGAN
    for d in extra:
        points.setdefault(d, PER_TANGGAL)
    if since is not None:
        points = {d: k for d, k in points.items() if d >= since}
    if not points:
        return

    head = next((m for m in roster if m.hubungan == "kepala"), None)
    # The registration as an observation (positional, in _OBS_FIELDS order).
    reg_obs = [kpm[_K[c]] if c else None for c in _OBS_KPM]
    reg_obs[_OBS_FIELDS.index("pekerjaan_kepala")] = head.pekerjaan_utama if head is not None else None
    if roster:
        reg_obs[_OBS_FIELDS.index("jumlah_hamil")] = sum(1 for m in roster if m.status_hamil == "ya")
    base_size = len(roster) or (kpm[_K["jumlah_anggota"]] or None)
    assets_text = kpm[_K["aset_mudah_dijual"]]
    reg_id = kpm[_K["registrasi_logical_id"]]
    base: dict[str, Any] = {f: kpm[_K[f]] for f in _HOUSE}
    base.update(
        id_kpm=kpm[0],
        kode_kabupaten=kpm[_K["kode_kabupaten"]],
        tanggal_registrasi=reg_date,
        aset_mudah_dijual=frozenset(_words(assets_text)) if assets_text is not None else None,
    )

    current: list[Any] = [None] * len(_OBS_FIELDS)
    observed_reg = False
    size_delta = born = 0
    improvements: set[str] = set()
    departed: set[int] = set()
    last_contact: Any = None
    used: list[str] = [reg_id] if reg_id else []
    members_cache: dict[frozenset[int], tuple[Member, ...]] = {frozenset(): tuple(roster)}
    events = [(v[_DAY], 1, v) for v in visits]
    if reg_in_range:
        events.append((reg_date, 0, None))
        events.sort(key=lambda e: (e[0], e[1]))
    i, n_events = 0, len(events)
    for d in sorted(points):
        while i < n_events and events[i][0] <= d:
            when, kind, v = events[i]
            i += 1
            if kind == 0:
                for j, value in enumerate(reg_obs):
                    if value is not None:
                        current[j] = value
                observed_reg = True
                continue
            used.append(v[_ID])
            observed = _PICK_OBSERVED(v)
            if None in observed:  # an unanswered question keeps the earlier answer
                current = [o if o is not None else c for o, c in zip(observed, current, strict=True)]
            else:
                current = list(observed)
            if reg_date is None or when > reg_date:
                lahir = v[_BORN] or 0
                size_delta += lahir + (v[_CAME] or 0) - (v[_DIED] or 0) - (v[_LEFT] or 0)
                born += lahir
                if v[_HOUSE_CHANGES]:
                    improvements.update(w for w in _words(v[_HOUSE_CHANGES]) if w != "tidak_ada")
                for row in children.get(v[_ID], ()):
                    if row.status == "tidak_serumah" and row.urutan is not None:
                        departed.add(row.urutan)
            if v[_MET] in (None, "ya") and (reg_date is None or when >= reg_date):
                last_contact = v
        kind = points[d]
        visit = None
        if kind == KUNJUNGAN:
            same_day = by_date[d]
            visit = next((x for x in reversed(same_day) if x[_MET] in (None, "ya")), same_day[-1])
        values = (
            current
            if observed_reg
            else [c if c is not None else r for c, r in zip(current, reg_obs, strict=True)]
        )
        after_reg = reg_date is None or d >= reg_date
        if after_reg:
            size = None if base_size is None else max(1, base_size + size_delta)
            gone = frozenset(departed)
        else:
            size = sum(1 for m in roster if m.tanggal_lahir is None or m.tanggal_lahir <= d) or None
            gone = frozenset()
        people = members_cache.get(gone)
        if people is None:
            people = tuple(m if m.urutan not in gone else replace(m, serumah=False) for m in roster)
            members_cache[gone] = people
        contact = last_contact if kind != REGISTRASI else None
        kw = dict(base)
        kw.update(zip(_OBS_FIELDS, values, strict=True))
        yield KpmSnapshot(
            as_of=d,
            jenis=kind,
            kunjungan_id=visit[_ID] if visit is not None else None,
            kpm_ditemui=visit[_MET] if visit is not None else None,
            tanggal_kunjungan_terakhir=contact[_DAY] if contact is not None else None,
            jumlah_anggota=size,
            anggota=people,
            perbaikan_rumah=frozenset(improvements) if after_reg else frozenset(),
            jumlah_lahir=born if after_reg else 0,
            anak=tuple(children.get(contact[_ID], ())) if contact is not None else (),
            balita=tuple(toddlers.get(contact[_ID], ())) if contact is not None else (),
            sumber=tuple(used),
            **kw,
        )
