"""The KPM roster on the phones: the warehouse's official KPM list pushed to Central's ``kpm`` Entity List.

What is pushed (DESIGN.md §5, forms/entity_kpm.csv, docs/forms.md §2): every property whose ``written_by`` names
``roster_push``, computed from ``kpm`` + ``anggota`` (+ the region name, the latest assessment and visit) for
the KPM on the official list whose ``status`` is ``aktif`` - never NIK or KK numbers. Ages and the counts that
depend on them use the forms' bands (school age 7-18, toddler 0-4, elderly 60+) as of the push date. Lists of
members are space-separated ``urutan:first_name`` tokens, the first name cleaned as the form's ``nama_depan``
calculate does. Properties of a KPM that has no registration yet are empty.

Identity. Central requires entity ids to be version-4 UUIDs (central-backend ``lib/data/entity.js``
``normalizeUuid``), so a KPM's entity id is a UUID derived from its id (:func:`forms.entity.entity_uuid`: the
same KPM gets the same entity on every push and on every server), its label starts with the KPM id
(``3601-000123 Siti Aminah``), which is what the pendamping types to find a household, and the property
``id_kpm`` holds the KPM id, which the forms copy into their ``id_kpm`` field.

How it pushes. The Entity List (and any missing property) is created first. The live entities are read page
by page through OData; each page is compared with the warehouse rows of the same KPM, and only entities that
differ are updated, each with ``PATCH ...?baseVersion=<its version>`` carrying only the properties that
differ. A property the forms may also write (``registration``/``visit``) for which the warehouse has no value
yet (NULL, or member lists before any registration) never overwrites the phone's value: the submission that
set it may simply not have been synced yet; a value the warehouse knows, even an empty list, does. KPM missing
on Central are created with bulk requests of ``chunk_size`` entities. Nothing is ever deleted: entities of
KPM no longer active are reported (and, with ``mark_inactive``, labelled ``[NONAKTIF]`` with their status in
``status_graduasi``); entities deleted on Central by hand are reported, or restored with ``restore_deleted``.
A second push with no change in the warehouse sends only GET requests.

Kobo has no Entities: :func:`roster_csv` renders the same roster as the ``kpm.csv`` media file of the forms.
"""

from __future__ import annotations

import csv
import io
import logging
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import Engine, select
from tqdm import tqdm

from forms.catalog import ENTITY_LIST
from forms.entity import EntityProperty, entity_uuid, kpm_csv_header, load_entity_properties
from sync.central_api import CentralApi, CentralProblem
from sync.entity_list import ensure_entity_list
from warehouse.models import Anggota, Asesmen, Kpm, Kunjungan, Wilayah

log = logging.getLogger(__name__)

#: label prefix of entities whose KPM is no longer active (``mark_inactive``)
INACTIVE_PREFIX = "[NONAKTIF] "
_NAME_STRIP = str.maketrans("", "", ":|,")
_SQL_CHUNK = 500


def first_name(name: str | None) -> str:
    """The form's ``nama_depan``: the first word of the name without ``:``, ``|`` or ``,``."""
    words = (name or "").split()
    return words[0].translate(_NAME_STRIP) if words else ""


def age_on(birth: date | None, day: date) -> int | None:
    """Completed years on ``day`` (the form's ``umur_tahun``: birthday rule on month and day)."""
    if birth is None:
        return None
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def roster_properties(properties: list[EntityProperty] | None = None) -> list[str]:
    """The properties the roster push fills (``written_by`` names ``roster_push``), in declared order."""
    props = properties if properties is not None else load_entity_properties()
    return [p.name for p in props if "roster_push" in p.written_by]


def co_written_properties(properties: list[EntityProperty] | None = None) -> set[str]:
    """Roster properties a form may also write (their phone value wins over an empty warehouse value)."""
    props = properties if properties is not None else load_entity_properties()
    return {p.name for p in props if "roster_push" in p.written_by and len(p.written_by) > 1}


@dataclass(slots=True)
class RosterRow:
    """One KPM as the phones should see it; ``unknown`` names the properties the warehouse has no value for
    yet (NULL, or a member list before any registration), as opposed to a known empty list."""

    id_kpm: str
    label: str
    data: dict[str, str]
    unknown: frozenset[str] = frozenset()

    @property
    def uuid(self) -> str:
        return entity_uuid(self.id_kpm)

    def entity(self) -> dict[str, Any]:
        return {"uuid": self.uuid, "label": self.label, "data": dict(self.data)}


def _text(value: Any) -> str | None:
    """A property value as text; None when the warehouse has no value."""
    if value is None:
        return None
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def active_kpm_ids(engine: Engine) -> list[str]:
    """Ids of the KPM on the official list whose status is ``aktif``, sorted."""
    k = Kpm.__table__
    query = (
        select(k.c.id_kpm).where(k.c.dalam_daftar_resmi.is_(True), k.c.status == "aktif").order_by(k.c.id_kpm)
    )
    with engine.connect() as conn:
        return list(conn.scalars(query))


def iter_roster(
    engine: Engine,
    *,
    as_of: date,
    ids: Iterable[str] | None = None,
    properties: list[str] | None = None,
) -> Iterator[RosterRow]:
    """The roster rows of ``ids`` (default: every active KPM), computed from the warehouse in chunks.

    :param as_of: the date ages are computed on (the push date; never the wall clock here).
    :param properties: which properties to fill (default: the ``roster_push`` ones).
    """
    wanted = properties if properties is not None else roster_properties()
    id_list = list(ids) if ids is not None else active_kpm_ids(engine)
    with engine.connect() as conn:
        for start in range(0, len(id_list), _SQL_CHUNK):
            chunk = id_list[start : start + _SQL_CHUNK]
            yield from _roster_chunk(conn, chunk, as_of, wanted)


def _roster_chunk(conn: Any, chunk: list[str], as_of: date, wanted: list[str]) -> Iterator[RosterRow]:
    k, a, w = Kpm.__table__, Anggota.__table__, Wilayah.__table__
    s, v = Asesmen.__table__, Kunjungan.__table__
    members: dict[str, list[Any]] = {}
    for row in conn.execute(
        select(a.c.id_kpm, a.c.urutan, a.c.nama, a.c.tanggal_lahir, a.c.status_hamil, a.c.disabilitas)
        .where(a.c.id_kpm.in_(chunk))
        .order_by(a.c.id_kpm, a.c.urutan)
    ):
        members.setdefault(row.id_kpm, []).append(row)
    scores: dict[str, Any] = {}
    for row in conn.execute(
        select(s.c.id_kpm, s.c.skor_bps)
        .where(s.c.id_kpm.in_(chunk), s.c.skor_bps.is_not(None))
        .order_by(s.c.id_kpm, s.c.tanggal, s.c.id)
    ):
        scores[row.id_kpm] = row.skor_bps  # the latest assessment wins
    assessments: dict[str, Any] = {}
    for row in conn.execute(
        select(v.c.id_kpm, v.c.penilaian_pendamping)
        .where(v.c.id_kpm.in_(chunk), v.c.penilaian_pendamping.is_not(None))
        .order_by(v.c.id_kpm, v.c.tanggal_kunjungan.asc().nulls_first(), v.c.id)
    ):
        assessments[row.id_kpm] = row.penilaian_pendamping
    query = (
        select(
            k.c.id_kpm, k.c.nama_pengurus, k.c.pendamping_id, k.c.kode_kabupaten, k.c.kode_kecamatan,
            k.c.kode_desa, w.c.nama.label("nama_desa"), k.c.bank_penyalur, k.c.tanggal_registrasi,
            k.c.jumlah_anggota, k.c.skor_bps_perangkat, k.c.kategori, k.c.status_graduasi,
            k.c.tanggal_kunjungan_terakhir,
        )
        .outerjoin(w, w.c.kode == k.c.kode_desa)
        .where(k.c.id_kpm.in_(chunk))
        .order_by(k.c.id_kpm)
    )  # fmt: skip
    for kpm in conn.execute(query):
        data = _roster_data(kpm, members.get(kpm.id_kpm, []), scores.get(kpm.id_kpm),
                            assessments.get(kpm.id_kpm), as_of)  # fmt: skip
        label = f"{kpm.id_kpm} {kpm.nama_pengurus or ''}".strip()
        unknown = frozenset(p for p in wanted if data.get(p) is None)
        yield RosterRow(kpm.id_kpm, label, {p: data.get(p) or "" for p in wanted}, unknown)


def _roster_data(
    kpm: Any, members: list[Any], score: Any, assessment: Any, as_of: date
) -> dict[str, str | None]:
    data: dict[str, str | None] = {
        "id_kpm": _text(kpm.id_kpm),
        "nama_pengurus": _text(kpm.nama_pengurus),
        "pendamping_id": _text(kpm.pendamping_id),
        "kode_kabkota": _text(kpm.kode_kabupaten),
        "kode_kecamatan": _text(kpm.kode_kecamatan),
        "kode_desa": _text(kpm.kode_desa),
        "nama_desa": _text(kpm.nama_desa),
        "bank_penyalur": _text(kpm.bank_penyalur),
        "tanggal_registrasi": _text(kpm.tanggal_registrasi),
        "kategori": _text(kpm.kategori),
        "status_graduasi": _text(kpm.status_graduasi),
        "tanggal_kunjungan_terakhir": _text(kpm.tanggal_kunjungan_terakhir),
        "penilaian_terakhir": _text(assessment),
    }
    registered = kpm.tanggal_registrasi is not None or bool(members)
    if not registered:
        return data
    summary: list[str] = []
    lists: dict[str, list[str]] = {"anak_sekolah": [], "balita": [], "ibu_hamil": [], "lansia": []}
    disabled = 0
    for m in members:
        name = first_name(m.nama)
        age = age_on(m.tanggal_lahir, as_of)
        if name:
            summary.append(name if age is None else f"{name} {age}")
        token = f"{m.urutan}:{name}"
        if age is not None and 7 <= age <= 18:
            lists["anak_sekolah"].append(token)
        if age is not None and 0 <= age <= 4:
            lists["balita"].append(token)
        if age is not None and age >= 60:
            lists["lansia"].append(token)
        if (m.status_hamil or "") == "ya":
            lists["ibu_hamil"].append(token)
        if (m.disabilitas or "") == "berat":
            disabled += 1
    count = kpm.jumlah_anggota if kpm.tanggal_registrasi is not None and kpm.jumlah_anggota else len(members)
    data.update(
        {
            "jumlah_art": str(count),
            "ringkasan_anggota": ", ".join(summary),
            **{key: " ".join(tokens) for key, tokens in lists.items()},
            "n_anak_sekolah": str(len(lists["anak_sekolah"])),
            "n_balita": str(len(lists["balita"])),
            "n_hamil": str(len(lists["ibu_hamil"])),
            "n_lansia": str(len(lists["lansia"])),
            "n_disabilitas_berat": str(disabled),
            "skor_bps": _text(score if score is not None else kpm.skor_bps_perangkat),
        }
    )
    return data


def roster_csv(engine: Engine, *, as_of: date) -> bytes:
    """The roster as the ``kpm.csv`` media file of the Kobo forms (``select_one_from_file``): ``name`` is the
    KPM id (Kobo has no UUID rule), then ``label`` and every property of ``forms/entity_kpm.csv`` (``id_kpm``
    too, so the forms' ``id_kpm`` calculate reads the same column on both servers)."""
    header = kpm_csv_header()
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    for row in iter_roster(engine, as_of=as_of, properties=header[2:]):
        writer.writerow([row.id_kpm, row.label, *(row.data[p] for p in header[2:])])
    return out.getvalue().encode("utf-8")


# --- the push -----------------------------------------------------------------------------------------------


@dataclass
class PushReport:
    """What a push found and did (``requests``: requests sent, by method)."""

    dataset: str
    as_of: date
    dry_run: bool = False
    list_created: bool = False
    properties_added: list[str] = field(default_factory=list)
    active: int = 0
    on_central: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    kept_phone_values: int = 0
    inactive: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    marked: int = 0
    deleted_on_central: list[str] = field(default_factory=list)
    restored: int = 0
    requests: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    def summary(self) -> str:
        would = "would be " if self.dry_run else ""
        parts = [
            f"{self.active} active KPM, {self.on_central} entities on Central",
            f"{self.created} {would}created",
            f"{self.updated} {would}updated",
            f"{self.unchanged} unchanged",
        ]
        if self.inactive:
            parts.append(
                f"{len(self.inactive)} no longer active" + (f" ({self.marked} marked)" if self.marked else "")
            )
        if self.unknown:
            parts.append(f"{len(self.unknown)} unknown entities")
        if self.deleted_on_central:
            restored = f" ({self.restored} restored)" if self.restored else ""
            parts.append(f"{len(self.deleted_on_central)} deleted on Central{restored}")
        return "; ".join(parts)


class _Progress:
    """A tqdm bar on a terminal and a log line every few seconds elsewhere (cron, systemd)."""

    def __init__(self, desc: str, total: int, enabled: bool, log_every: float = 10.0) -> None:
        self.desc = desc
        self.total = total
        self.done = 0
        self.enabled = enabled
        self._tty = enabled and sys.stderr.isatty()
        self._bar = tqdm(total=total, desc=desc, unit=" KPM", disable=not self._tty, file=sys.stderr)
        self._every = log_every
        self._last = time.monotonic()

    def update(self, n: int) -> None:
        self.done += n
        self._bar.update(n)
        now = time.monotonic()
        if self.enabled and not self._tty and now - self._last >= self._every:
            self._last = now
            log.info("%s: %d/%d", self.desc, self.done, self.total)

    def close(self) -> None:
        self._bar.close()


def _relative(url: str) -> str:
    """A path below /v1/ for a Central URL (nextLinks start with Central's configured domain)."""
    parts = urlsplit(url)
    path = parts.path
    if "/v1/" in path:
        path = path[path.index("/v1/") + 4 :]
    return path.lstrip("/") + (f"?{parts.query}" if parts.query else "")


def _pages(api: CentralApi, path: str, params: dict[str, str]) -> Iterator[list[dict[str, Any]]]:
    body = api.get_json(path, params)
    while True:
        yield body.get("value", [])
        link = body.get("@odata.nextLink")
        if not link:
            return
        body = api.get_json(_relative(link))


def push_roster(
    api: CentralApi,
    engine: Engine,
    *,
    as_of: date,
    dataset: str = ENTITY_LIST,
    page_size: int = 5000,
    chunk_size: int = 5000,
    mark_inactive: bool = False,
    restore_deleted: bool = False,
    dry_run: bool = False,
    progress: bool = False,
    properties: list[EntityProperty] | None = None,
    clock: Callable[[], float] = time.perf_counter,
) -> PushReport:
    """Push the roster to the Entity List ``dataset`` (see the module docstring).

    :param as_of: the push date (ages and counts are computed on it).
    :param page_size: entities read per OData page.
    :param chunk_size: entities per bulk create request.
    :param mark_inactive: label entities of KPM no longer active ``[NONAKTIF]`` (never deletes).
    :param restore_deleted: restore entities of active KPM that someone deleted on Central.
    :param dry_run: only count what would change (GET requests only).
    :param progress: show a progress bar / log lines.
    """
    started = clock()
    before = dict(api.requests)
    declared = properties if properties is not None else load_entity_properties()
    report = PushReport(dataset, as_of, dry_run)
    state = ensure_entity_list(api, dataset, [p.name for p in declared], dry_run=dry_run)
    report.list_created, report.properties_added = state.created, state.added
    push = _Push(api, engine, dataset, report, declared, as_of, dry_run=dry_run)
    bar = _Progress(f"push {dataset}", report.active, progress)
    try:
        if not state.created:
            entities = f"{push.base}.svc/Entities"
            deleted_filter = {"$filter": "__system/deletedAt ne null", "$select": "__id"}
            deleted = {row["__id"] for page in _pages(api, entities, deleted_filter) for row in page}
            for page in _pages(api, entities, {"$top": str(page_size)}):
                report.on_central += len(page)
                bar.update(push.reconcile(page, mark_inactive=mark_inactive))
        else:
            deleted = set()
        missing = [i for i in push.active if i not in push.seen]
        gone = [i for i in missing if entity_uuid(i) in deleted]
        if gone:
            report.deleted_on_central = gone
            if restore_deleted and not dry_run:
                bar.update(push.restore(gone))
            missing = [i for i in missing if entity_uuid(i) not in deleted]
        batch: list[dict[str, Any]] = []
        for row in iter_roster(engine, as_of=as_of, ids=missing, properties=push.roster_props):
            batch.append(row.entity())
            if len(batch) >= chunk_size:
                bar.update(push.create(batch))
                batch = []
        if batch:
            bar.update(push.create(batch))
    finally:
        bar.close()
    report.requests = {m: n - before.get(m, 0) for m, n in api.requests.items() if n - before.get(m, 0)}
    report.seconds = clock() - started
    log.info("push %s: %s (%.1f s)", dataset, report.summary(), report.seconds)
    return report


class _Push:
    """What one push run knows: the warehouse's KPM (active ones, status of all, entity id -> KPM id), the
    properties to fill, and the KPM already found on Central."""

    def __init__(
        self,
        api: CentralApi,
        engine: Engine,
        dataset: str,
        report: PushReport,
        declared: list[EntityProperty],
        as_of: date,
        *,
        dry_run: bool,
    ) -> None:
        self.api = api
        self.engine = engine
        self.report = report
        self.as_of = as_of
        self.dry_run = dry_run
        self.base = api.project_path(f"/datasets/{api.quote(dataset)}")
        self.roster_props = roster_properties(declared)
        self.co_written = co_written_properties(declared)
        self.active = active_kpm_ids(engine)
        self.active_set = set(self.active)
        report.active = len(self.active)
        k = Kpm.__table__
        with engine.connect() as conn:
            rows = conn.execute(select(k.c.id_kpm, k.c.status, k.c.dalam_daftar_resmi))
            self.status_of = {row.id_kpm: (row.status, bool(row.dalam_daftar_resmi)) for row in rows}
        self.id_of = {entity_uuid(i): i for i in self.status_of}
        self.seen: set[str] = set()

    def reconcile(self, page: list[dict[str, Any]], *, mark_inactive: bool) -> int:
        """Compare one page of Central entities with the warehouse and patch the differences; returns the
        number of active KPM the page held."""
        report = self.report
        remote: dict[str, dict[str, Any]] = {}
        for row in page:
            id_kpm = self.id_of.get(row["__id"])
            if id_kpm is None:
                report.unknown.append(row["__id"])
            elif id_kpm not in self.active_set:
                report.inactive.append(id_kpm)
                if mark_inactive:
                    self.mark(row, id_kpm)
            elif id_kpm not in self.seen:
                self.seen.add(id_kpm)
                remote[id_kpm] = row
        if not remote:
            return 0
        for wanted in iter_roster(
            self.engine, as_of=self.as_of, ids=sorted(remote), properties=self.roster_props
        ):
            row = remote[wanted.id_kpm]
            label, diff, kept = _difference(wanted, row, self.co_written)
            report.kept_phone_values += kept
            if label is None and not diff:
                report.unchanged += 1
                continue
            report.updated += 1
            if not self.dry_run:
                self.patch(wanted, row, label, diff)
        return len(remote)

    def patch(self, wanted: RosterRow, row: dict[str, Any], label: str | None, diff: dict[str, str]) -> None:
        """PATCH with the version read; if a phone changed the entity meanwhile (409.15), compare again with
        its newest version and patch that."""
        path = f"{self.base}/entities/{wanted.uuid}"
        body: dict[str, Any] = {"data": diff, **({"label": label} if label is not None else {})}
        try:
            self.api.patch_json(path, body, params={"baseVersion": str(row["__system"]["version"])})
        except CentralProblem as exc:
            if exc.code != 409.15:
                raise
            fresh = self.entity_row(wanted.uuid)
            label, diff, _ = _difference(wanted, fresh, self.co_written)
            if label is None and not diff:
                return
            again: dict[str, Any] = {"data": diff, **({"label": label} if label is not None else {})}
            self.api.patch_json(path, again, params={"baseVersion": str(fresh["__system"]["version"])})

    def mark(self, row: dict[str, Any], id_kpm: str) -> None:
        """Label an entity of a KPM no longer active, once (idempotent)."""
        kpm_status, official = self.status_of[id_kpm]
        marker = (
            kpm_status if kpm_status != "aktif" else ("tidak_terdaftar" if not official else "tidak_aktif")
        )
        label = row.get("label") or id_kpm
        if label.startswith(INACTIVE_PREFIX) and row.get("status_graduasi") == marker:
            return
        self.report.marked += 1
        if self.dry_run:
            return
        new_label = label if label.startswith(INACTIVE_PREFIX) else INACTIVE_PREFIX + label
        self.api.patch_json(
            f"{self.base}/entities/{row['__id']}",
            {"label": new_label, "data": {"status_graduasi": marker}},
            params={"baseVersion": str(row["__system"]["version"])},
        )

    def restore(self, ids: list[str]) -> int:
        """Restore the entities of active KPM deleted on Central, then bring them up to date."""
        for id_kpm in ids:
            self.api.post_json(f"{self.base}/entities/{entity_uuid(id_kpm)}/restore")
            self.report.restored += 1
        return self.reconcile([self.entity_row(entity_uuid(i)) for i in ids], mark_inactive=False)

    def entity_row(self, uuid: str) -> dict[str, Any]:
        """One entity in the shape of an OData row (label, ``__system.version``, properties)."""
        current = self.api.get_json(f"{self.base}/entities/{uuid}")["currentVersion"]
        return {"__id": uuid, "label": current["label"], "__system": {"version": current["version"]},
                **current["data"]}  # fmt: skip

    def create(self, batch: list[dict[str, Any]]) -> int:
        """One bulk create request (``source`` names the push)."""
        if not self.dry_run:
            source = {"name": f"graduasi sync push {self.as_of.isoformat()}", "size": len(batch)}
            self.api.post_json(f"{self.base}/entities", {"entities": batch, "source": source})
        self.report.created += len(batch)
        return len(batch)


def _difference(
    wanted: RosterRow, row: dict[str, Any], co_written: set[str]
) -> tuple[str | None, dict[str, str], int]:
    """(new label or None, the properties that differ, how many phone values were kept)."""
    diff: dict[str, str] = {}
    kept = 0
    for prop, value in wanted.data.items():
        current = row.get(prop)
        current = "" if current is None else str(current)
        if value == current:
            continue
        if value == "" and prop in wanted.unknown and prop in co_written:
            kept += 1  # the phone knows something the warehouse has not synced yet
            continue
        diff[prop] = value
    label = wanted.label if wanted.label != row.get("label") else None
    return label, diff, kept
