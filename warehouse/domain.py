"""Carry synced submissions into the domain tables, following the field mapping kept in forms/mapping.csv.

- ``kpm_registrasi`` -> the KPM's baseline columns (upserted by ``id_kpm``) and its members (``anggota``);
- ``kpm_kunjungan`` -> ``kunjungan`` with ``pantau_anak`` and ``pantau_balita``;
- ``penyaluran`` -> ``penyaluran``.

The sync queues the logical ids it changed (``change_queue``, in the same transaction as the data); this module
drains the queue in batches, each batch re-deriving what it touches in one transaction together with the removal
of its queue entries and the queueing of the KPM whose assessments must be recomputed, so a crash leaves the
work queued, never half done. A submission naming an unknown KPM or pendamping is kept and flagged, never
dropped. ``rebuild_domain`` re-derives everything from the typed tables.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Connection, Engine, Table, bindparam, delete, func, select, text, update

from forms.mapping import load_mapping
from warehouse.db import analyze_as_it_grows, as_date, write_connection
from warehouse.db import quote_identifier as _q
from warehouse.formtables import table_name
from warehouse.models import (
    Anggota,
    ChangeQueue,
    DataQualityIssue,
    FormField,
    Kpm,
    Kunjungan,
    PantauAnak,
    PantauBalita,
    Pendamping,
    Penyaluran,
    RecomputeQueue,
)

log = logging.getLogger(__name__)

REGISTRATION_FORM = "kpm_registrasi"
VISIT_FORM = "kpm_kunjungan"
DISBURSEMENT_FORM = "penyaluran"
CHUNK = 500

#: Domain table per mapping target name, and what fills it.
DOMAIN_TABLES: dict[str, Table] = {
    "kpm": Kpm.__table__,
    "anggota": Anggota.__table__,
    "kunjungan": Kunjungan.__table__,
    "pantau_anak": PantauAnak.__table__,
    "pantau_balita": PantauBalita.__table__,
    "penyaluran": Penyaluran.__table__,
}
#: Attributes the domain computes itself (positions, keys) and never takes from the mapping.
OWN_COLUMNS = {
    "id",
    "id_kpm_fk",
    "baris",
    "kunjungan_id",
    "source",
    "registrasi_logical_id",
    "jumlah_anggota",
}
#: Baseline columns of ``kpm`` that the registration owns (the official list owns the identity columns).
REGISTRATION_OWNED = {
    "tanggal_registrasi",
    "registrasi_logical_id",
    "jumlah_anggota",
    "lokasi_rumah_lat",
    "lokasi_rumah_lon",
    "bank_penyalur",
    "luas_lantai_m2",
    "jenis_lantai",
    "jenis_dinding",
    "jenis_atap",
    "fasilitas_bab",
    "sumber_penerangan",
    "sumber_air_minum",
    "bahan_bakar_masak",
    "frek_protein_hewani_minggu",
    "beli_pakaian_setahun",
    "frek_makan_hari",
    "mampu_berobat",
    "luas_lahan_m2",
    "pendapatan_bulan_rp",
    "sumber_pendapatan",
    "jumlah_sumber_pendapatan",
    "punya_usaha",
    "tabungan_rp",
    "aset_mudah_dijual",
    "nilai_aset_rp",
    "penerima_bansos_lain",
    "skor_bps_perangkat",
}
#: Identity columns a registration fills only for a KPM not on the official list.
IDENTITY_FROM_REGISTRATION = {
    "no_kk",
    "nik_pengurus",
    "nama_pengurus",
    "kode_kabupaten",
    "kode_kecamatan",
    "kode_desa",
    "pendamping_id",
    "id_dtks",
}


def _utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


@dataclass(slots=True)
class TargetMap:
    """How one domain table is filled from one form: domain column -> typed column, and from which table."""

    target: str
    typed_table: str  # f_<form> or f_<form>__<repeat>
    columns: dict[str, str] = field(default_factory=dict)  # domain column -> typed column

    @property
    def is_repeat(self) -> bool:
        return "__" in self.typed_table


def form_targets(conn: Connection, source: str, form_id: str) -> dict[str, TargetMap]:
    """The domain tables a form feeds, resolved against the form's recorded typed columns."""
    ff = FormField.__table__
    recorded = list(
        conn.execute(
            select(ff.c.name, ff.c.table_name, ff.c.column_name, ff.c.type).where(
                ff.c.source == source, ff.c.form_id == form_id
            )
        )
    )
    by_name: dict[str, list[Any]] = {}
    for r in recorded:
        by_name.setdefault(r.name, []).append(r)
    targets: dict[str, TargetMap] = {}
    for row in load_mapping():
        if row.form_id != form_id or row.table not in DOMAIN_TABLES:
            continue
        domain = DOMAIN_TABLES[row.table]
        candidates = by_name.get(row.field, [])
        if not candidates:
            continue  # not synced yet (or not in this version): nothing to copy
        tm = targets.get(row.table)
        choice = candidates[0]
        if tm is not None:
            choice = next((c for c in candidates if c.table_name == tm.typed_table), None)
            if choice is None:
                log.warning(
                    "mapping %s -> %s.%s: field is in another repeat; ignored",
                    row.field,
                    row.table,
                    row.attribute,
                )
                continue
        else:
            tm = targets[row.table] = TargetMap(row.table, choice.table_name)
        if choice.type == "geopoint":
            for part in ("lat", "lon"):
                if f"{row.attribute}_{part}" in domain.c:
                    tm.columns[f"{row.attribute}_{part}"] = f"{choice.column_name}_{part}"
            continue
        if row.attribute in OWN_COLUMNS or row.attribute not in domain.c:
            continue
        tm.columns[row.attribute] = choice.column_name
    return targets


def _select_in(
    conn: Connection, table: str, columns: Sequence[str], key: str, values: Sequence[Any], extra: str = ""
) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    cols = ", ".join(_q(c) for c in dict.fromkeys(columns))
    for i in range(0, len(values), CHUNK):
        chunk = list(values[i : i + CHUNK])
        params = {f"p{j}": v for j, v in enumerate(chunk)}
        marks = ", ".join(f":p{j}" for j in range(len(chunk)))
        sql = f"SELECT {cols} FROM {_q(table)} WHERE {_q(key)} IN ({marks}) {extra}"
        rows.extend(dict(r._mapping) for r in conn.execute(text(sql), params))
    return rows


_CONVERTERS: dict[str, dict[str, tuple[type, int | None]]] = {}


def _converters(table: Table) -> dict[str, tuple[type, int | None]]:
    """Per column: the Python type it holds and its maximum length (computed once per table)."""
    found = _CONVERTERS.get(table.name)
    if found is None:
        found = {}
        for col in table.c:
            try:
                python_type = col.type.python_type
            except NotImplementedError:
                python_type = str
            found[col.name] = (python_type, getattr(col.type, "length", None))
        _CONVERTERS[table.name] = found
    return found


def _coerce(table: Table, values: dict[str, Any]) -> dict[str, Any]:
    """Fit typed values to the domain column types (ints from text, text from numbers, dates from text)."""
    kinds = _converters(table)
    out = {}
    for name, value in values.items():
        if value is None:
            out[name] = None
            continue
        python_type, length = kinds[name]
        if type(value) is not python_type:
            try:
                if python_type is date:
                    value = date.fromisoformat(str(value)[:10])
                elif python_type is int:
                    value = int(float(value))
                elif python_type is float:
                    value = float(value)
                elif python_type is str:
                    value = str(value)
            except (TypeError, ValueError):
                value = None
        if length and python_type is str and value is not None and len(value) > length:
            value = value[:length]
        out[name] = value
    return out


class Deriver:
    """Derives domain rows for one batch of changed submissions inside one transaction."""

    def __init__(self, conn: Connection, now: datetime) -> None:
        self.conn = conn
        self.now = now
        #: KPM touched -> reassess from this date (None: the whole history; DISBURSEMENTS_ONLY: none)
        self.affected_kpm: dict[str, date | None] = {}
        self.problems: list[dict[str, Any]] = []
        self._known_kpm: dict[str, str | None] | None = None
        self._known_pendamping: set[str] | None = None

    # --- lookups ------------------------------------------------------------------------------------------

    def kpm_region(self, ids: Iterable[str]) -> dict[str, str | None]:
        """Kabupaten of known KPM among ``ids``."""
        wanted = [i for i in set(ids) if i]
        kpm = Kpm.__table__
        found: dict[str, str | None] = {}
        for i in range(0, len(wanted), CHUNK):
            for r in self.conn.execute(
                select(kpm.c.id_kpm, kpm.c.kode_kabupaten).where(kpm.c.id_kpm.in_(wanted[i : i + CHUNK]))
            ):
                found[r.id_kpm] = r.kode_kabupaten
        return found

    def known_pendamping(self) -> set[str]:
        if self._known_pendamping is None:
            self._known_pendamping = {r[0] for r in self.conn.execute(select(Pendamping.__table__.c.id))}
        return self._known_pendamping

    def flag(
        self,
        source: str,
        form_id: str,
        logical_id: str,
        rule: str,
        field_name: str,
        value: Any,
        message: str,
        kode_wilayah: str | None = None,
        severity: str = "warning",
    ) -> None:
        self.problems.append(
            {
                "source": source,
                "form_id": form_id,
                "logical_id": logical_id,
                "rule": rule,
                "severity": severity,
                "field": field_name,
                "value": None if value is None else str(value)[:200],
                "kode_wilayah": kode_wilayah,
                "message": message,
                "sync_run_id": None,
                "created_at": self.now,
                "resolved_at": None,
            }
        )

    def check_pendamping(
        self,
        source: str,
        form_id: str,
        logical_id: str,
        pendamping_id: str | None,
        kode_kabupaten: str | None,
    ) -> None:
        if pendamping_id and pendamping_id not in self.known_pendamping():
            self.flag(
                source,
                form_id,
                logical_id,
                "PENDAMPING_TIDAK_DIKENAL",
                "pendamping_id",
                pendamping_id,
                "pendamping is not in the roster: import the roster (graduasi import pendamping)",
                kode_kabupaten,
            )

    def _clear_domain_problems(self, source: str, form_id: str, ids: Sequence[str]) -> None:
        dq = DataQualityIssue.__table__
        for i in range(0, len(ids), CHUNK):
            self.conn.execute(
                delete(dq).where(
                    dq.c.source == source,
                    dq.c.form_id == form_id,
                    dq.c.logical_id.in_(ids[i : i + CHUNK]),
                    dq.c.rule.in_(["KPM_TIDAK_DIKENAL", "PENDAMPING_TIDAK_DIKENAL", "KPM_TIDAK_DI_DAFTAR"]),
                    dq.c.resolved_at.is_(None),
                )
            )

    # --- registrations -> kpm, anggota ----------------------------------------------------------------------

    def registrations(self, source: str, ids: Sequence[str]) -> None:
        targets = form_targets(self.conn, source, REGISTRATION_FORM)
        kt = targets.get("kpm")
        if kt is None or "id_kpm" not in kt.columns:
            return
        self._clear_domain_problems(source, REGISTRATION_FORM, ids)
        root, id_col = kt.typed_table, kt.columns["id_kpm"]
        kpm = Kpm.__table__
        touched: set[str] = {
            r[id_col] for r in _select_in(self.conn, root, [id_col], "_id", ids) if r[id_col]
        }
        for i in range(0, len(ids), CHUNK):
            touched.update(
                r[0]
                for r in self.conn.execute(
                    select(kpm.c.id_kpm).where(kpm.c.registrasi_logical_id.in_(ids[i : i + CHUNK]))
                )
            )
        if not touched:
            return
        keys = sorted(touched)
        wanted = ["_id", "_submission_date", *kt.columns.values()]
        best: dict[str, dict[str, Any]] = {}
        for r in _select_in(self.conn, root, wanted, id_col, keys, "AND _deleted_at IS NULL"):
            values = {dom: r[typed] for dom, typed in kt.columns.items()}
            rank = (str(values.get("tanggal_registrasi") or ""), r["_submission_date"] or "", r["_id"])
            if values["id_kpm"] not in best or rank > best[values["id_kpm"]]["_rank"]:
                best[values["id_kpm"]] = {"_rank": rank, "_id": r["_id"], **values}
        existing = {
            r.id_kpm: r
            for i in range(0, len(keys), CHUNK)
            for r in self.conn.execute(
                select(kpm.c.id_kpm, kpm.c.dalam_daftar_resmi, kpm.c.kode_kabupaten).where(
                    kpm.c.id_kpm.in_(keys[i : i + CHUNK])
                )
            )
        }
        anggota = Anggota.__table__
        for i in range(0, len(keys), CHUNK):
            self.conn.execute(delete(anggota).where(anggota.c.id_kpm.in_(keys[i : i + CHUNK])))
        members = self._members(targets.get("anggota"), [b["_id"] for b in best.values()])
        baseline_cols = [c for c in kt.columns if c in REGISTRATION_OWNED]
        blank = {c: None for c in REGISTRATION_OWNED if c in kpm.c and c != "jumlah_anggota"}
        updates: list[dict[str, Any]] = []
        member_rows: list[dict[str, Any]] = []
        for key in keys:
            b = best.get(key)
            old = existing.get(key)
            if b is None:
                # no live registration left: an official KPM keeps its identity, loses its baseline
                if old is not None and old.dalam_daftar_resmi:
                    self.conn.execute(
                        update(kpm).where(kpm.c.id_kpm == key).values(**blank, jumlah_anggota=0)
                    )
                elif old is not None:
                    self.conn.execute(delete(kpm).where(kpm.c.id_kpm == key))
                self.touch(key, None)
                continue
            people = members.get(b["_id"], [])
            values = {c: b.get(c) for c in baseline_cols}
            values.update(registrasi_logical_id=b["_id"], jumlah_anggota=len(people))
            if old is None:
                identity = {c: b.get(c) for c in IDENTITY_FROM_REGISTRATION if c in kt.columns}
                row = _coerce(kpm, {**identity, **values})
                self.conn.execute(
                    kpm.insert().values(id_kpm=key, dalam_daftar_resmi=False, status="aktif", **row)
                )
                self.flag(
                    source,
                    REGISTRATION_FORM,
                    b["_id"],
                    "KPM_TIDAK_DI_DAFTAR",
                    "id_kpm",
                    key,
                    "the KPM of this registration is not on the official list (import it, or correct the id)",
                    b.get("kode_kabupaten"),
                )
                kab = b.get("kode_kabupaten")
            else:
                updates.append({"b_key": key, **_coerce(kpm, values)})
                kab = old.kode_kabupaten
            self.check_pendamping(source, REGISTRATION_FORM, b["_id"], b.get("pendamping_id"), kab)
            member_rows.extend(_coerce(anggota, {**p, "id_kpm": key}) for p in people)
            self.touch(key, None)
        if updates:
            columns = [c for c in updates[0] if c != "b_key"]
            self.conn.execute(
                update(kpm)
                .where(kpm.c.id_kpm == bindparam("b_key"))
                .values({c: bindparam(c) for c in columns}),
                updates,
            )
        if member_rows:
            self.conn.execute(anggota.insert(), member_rows)

    def _members(self, tm: TargetMap | None, submission_ids: list[str]) -> dict[str, list[dict[str, Any]]]:
        if tm is None or not submission_ids:
            return {}
        cols = {c: t for c, t in tm.columns.items() if c != "urutan"}
        out: dict[str, list[dict[str, Any]]] = {}
        for r in _select_in(
            self.conn,
            tm.typed_table,
            ["_submission_id", "_position", *cols.values()],
            "_submission_id",
            submission_ids,
            "ORDER BY _submission_id, _position",
        ):
            out.setdefault(r["_submission_id"], []).append(
                {dom: r[typed] for dom, typed in cols.items()} | {"urutan": r["_position"]}
            )
        return out

    # --- visits and disbursements ---------------------------------------------------------------------------

    def events(self, source: str, form_id: str, ids: Sequence[str]) -> None:
        """Visits (with their child and toddler rows) or disbursements: replace the rows of these submissions."""
        targets = form_targets(self.conn, source, form_id)
        main_name = "kunjungan" if form_id == VISIT_FORM else "penyaluran"
        tm = targets.get(main_name)
        if tm is None:
            return
        self._clear_domain_problems(source, form_id, ids)
        main = DOMAIN_TABLES[main_name]
        children = [(name, targets[name]) for name in ("pantau_anak", "pantau_balita") if name in targets]
        day_column = main.c.tanggal_kunjungan if main_name == "kunjungan" else None
        old_rows: list[tuple[str, Any]] = []
        for i in range(0, len(ids), CHUNK):
            chunk = ids[i : i + CHUNK]
            old_rows.extend(
                (r[0], r[1])
                for r in self.conn.execute(
                    select(main.c.id_kpm, day_column if day_column is not None else main.c.id_kpm).where(
                        main.c.id.in_(chunk)
                    )
                )
                if r[0]
            )
            for name, _tm in children:
                child = DOMAIN_TABLES[name]
                self.conn.execute(delete(child).where(child.c.kunjungan_id.in_(chunk)))
            self.conn.execute(delete(main).where(main.c.id.in_(chunk)))
        rows = _select_in(
            self.conn, tm.typed_table, ["_id", *tm.columns.values()], "_id", ids, "AND _deleted_at IS NULL"
        )
        live = [r["_id"] for r in rows]
        new_rows = [
            _coerce(main, {dom: r[typed] for dom, typed in tm.columns.items()})
            | {"id": r["_id"], "source": source}
            for r in rows
        ]
        regions = self.kpm_region(r.get("id_kpm") for r in new_rows)
        for r in new_rows:
            if r.get("id_kpm") not in regions:
                self.flag(
                    source,
                    form_id,
                    r["id"],
                    "KPM_TIDAK_DIKENAL",
                    "id_kpm",
                    r.get("id_kpm"),
                    "no KPM with this id: check the id or import the official list",
                )
            self.check_pendamping(
                source, form_id, r["id"], r.get("pendamping_id"), regions.get(r.get("id_kpm") or "")
            )
        if new_rows:
            self.conn.execute(main.insert(), new_rows)
        for name, ctm in children:
            child = DOMAIN_TABLES[name]
            child_rows = [
                _coerce(child, {dom: r[typed] for dom, typed in ctm.columns.items()})
                | {"kunjungan_id": r["_submission_id"], "baris": r["_position"]}
                for r in _select_in(
                    self.conn,
                    ctm.typed_table,
                    ["_submission_id", "_position", *ctm.columns.values()],
                    "_submission_id",
                    live,
                )
            ]
            if child_rows:
                self.conn.execute(child.insert(), child_rows)
        if main_name == "kunjungan":
            # a visit changes the assessments from its date on (the old date, if it moved)
            for id_kpm, day in old_rows:
                self.touch(id_kpm, as_date(day))
            for r in new_rows:
                if r.get("id_kpm"):
                    self.touch(r["id_kpm"], r.get("tanggal_kunjungan"))
        else:
            for id_kpm, _ in old_rows:
                self.touch(id_kpm, DISBURSEMENTS_ONLY)
            for r in new_rows:
                if r.get("id_kpm"):
                    self.touch(r["id_kpm"], DISBURSEMENTS_ONLY)

    def touch(self, id_kpm: str, since: date | None) -> None:
        """Queue a KPM for recompute from ``since`` (None = its whole history), keeping the earliest date."""
        if id_kpm in self.affected_kpm:
            self.affected_kpm[id_kpm] = merge_since(self.affected_kpm[id_kpm], since)
        else:
            self.affected_kpm[id_kpm] = since

    # --- finishing ------------------------------------------------------------------------------------------

    def finish(self) -> None:
        """Write the problems found and queue the touched KPM for recompute."""
        if self.problems:
            self.conn.execute(DataQualityIssue.__table__.insert(), self.problems)
        if self.affected_kpm:
            queue_kpm(self.conn, self.affected_kpm, self.now)


#: ``sejak`` of a queued KPM whose assessments need nothing, only its disbursements re-checked.
DISBURSEMENTS_ONLY = date(9999, 12, 31)


def merge_since(a: date | None, b: date | None) -> date | None:
    """The earlier of two "reassess from" dates, None (everything) winning."""
    if a is None or b is None:
        return None
    return min(a, b)


def queue_kpm(conn: Connection, since: dict[str, date | None], now: datetime) -> None:
    """Queue KPM for the recompute, merging with what is queued already (earliest date wins); a KPM already
    queued gets a new mark, so a recompute that read it before this change keeps it queued."""
    queue = RecomputeQueue.__table__
    keys = sorted(since)
    present: dict[str, date | None] = {}
    for i in range(0, len(keys), CHUNK):
        for r in conn.execute(
            select(queue.c.id_kpm, queue.c.sejak).where(queue.c.id_kpm.in_(keys[i : i + CHUNK]))
        ):
            present[r.id_kpm] = as_date(r.sejak)
    fresh = [{"id_kpm": k, "queued_at": now, "sejak": since[k]} for k in keys if k not in present]
    if fresh:
        conn.execute(queue.insert(), fresh)
    again = [
        {"b_key": k, "queued_at": now, "sejak": merge_since(present[k], since[k])}
        for k in keys
        if k in present
    ]
    if again:
        conn.execute(
            update(queue)
            .where(queue.c.id_kpm == bindparam("b_key"))
            .values(queued_at=bindparam("queued_at"), sejak=bindparam("sejak")),
            again,
        )


def _derive(conn: Connection, entries: Sequence[Any], now: datetime) -> Deriver:
    deriver = Deriver(conn, now)
    groups: dict[tuple[str, str], list[str]] = {}
    for e in entries:
        groups.setdefault((e.source, e.form_id), []).append(e.logical_id)
    # registrations first: visits and disbursements look up the KPM they name
    for (source, form_id), ids in sorted(groups.items(), key=lambda kv: kv[0][1] != REGISTRATION_FORM):
        ids = list(dict.fromkeys(ids))
        if form_id == REGISTRATION_FORM:
            deriver.registrations(source, ids)
        elif form_id in (VISIT_FORM, DISBURSEMENT_FORM):
            deriver.events(source, form_id, ids)
    deriver.finish()
    return deriver


#: What the derivation looks rows up in by id, as a first load fills them (PostgreSQL statistics).
STATISTICS_TABLES = (
    "change_queue",
    "kpm",
    "anggota",
    "kunjungan",
    "pantau_anak",
    "pantau_balita",
    "penyaluran",
    "penugasan",
    "recompute_queue",
    "dq_issue",
)


def apply_changes(engine: Engine, *, batch: int = 5000) -> int:
    """Drain the change queue into the domain tables; returns the number of queue entries handled."""
    queue = ChangeQueue.__table__
    handled = 0
    number = 0
    while True:
        number += 1
        with write_connection(engine) as conn:
            entries = conn.execute(
                select(queue.c.id, queue.c.source, queue.c.form_id, queue.c.logical_id)
                .order_by(queue.c.id)
                .limit(batch)
            ).all()
            if not entries:
                return handled
            if (
                len(entries) == batch
            ):  # a bulk load (a first sync, a backfill), not the few rows of a usual pass
                analyze_as_it_grows(conn, number, STATISTICS_TABLES, every=8)
            deriver = _derive(conn, entries, _utcnow())
            conn.execute(delete(queue).where(queue.c.id <= entries[-1].id))
            handled += len(entries)
            log.info("domain: %d changes applied, %d KPM touched", len(entries), len(deriver.affected_kpm))


def rebuild_domain(engine: Engine) -> int:
    """Re-derive every domain row from the typed tables (after ``sync rebuild`` or a mapping change).

    The official list's identity columns survive; registration baselines, members, visits and disbursements
    are rebuilt. Returns the number of submissions carried.
    """
    ff = FormField.__table__
    with write_connection(engine) as conn:
        forms = list(conn.execute(select(ff.c.source, ff.c.form_id).distinct()))
        for name in ("pantau_anak", "pantau_balita", "kunjungan", "penyaluran", "anggota"):
            conn.execute(delete(DOMAIN_TABLES[name]))
        kpm = Kpm.__table__
        conn.execute(delete(kpm).where(kpm.c.dalam_daftar_resmi.is_(False)))
        blank = {c: None for c in REGISTRATION_OWNED if c in kpm.c and c != "jumlah_anggota"}
        conn.execute(update(kpm).values(**blank, jumlah_anggota=0))
        dq = DataQualityIssue.__table__
        conn.execute(
            delete(dq).where(
                dq.c.rule.in_(["KPM_TIDAK_DIKENAL", "PENDAMPING_TIDAK_DIKENAL", "KPM_TIDAK_DI_DAFTAR"])
            )
        )
        total = 0
        entries = []
        for source, form_id in forms:
            if form_id not in (REGISTRATION_FORM, VISIT_FORM, DISBURSEMENT_FORM):
                continue
            root = table_name(form_id)
            for (logical_id,) in conn.execute(text(f"SELECT _id FROM {_q(root)}")):
                entries.append(_Entry(source, form_id, logical_id))
        _derive(conn, entries, _utcnow())
        total += len(entries)
        conn.execute(delete(ChangeQueue.__table__))
    return total


@dataclass(frozen=True, slots=True)
class _Entry:
    source: str
    form_id: str
    logical_id: str


def queued_changes(engine: Engine) -> int:
    """How many synced changes still wait to be carried into the domain tables."""
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(ChangeQueue.__table__)).scalar_one()
