"""The data set: ground truth (pendamping, households, visits) and the server event stream built from it."""

from __future__ import annotations

import gc
import logging
import random
import time
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

from .assumptions import AS_OF, KPM_2019
from .build import build_household
from .caseload import PendampingRow, plan
from .events import (
    DELETE,
    DUP,
    EDIT,
    END_MS,
    EPOCH_UTC,
    FORM_DISBURSEMENT,
    FORM_OF_KIND,
    FORM_REGISTRATION,
    FORM_VISIT,
    REG,
    REVIEW,
    SALUR,
    VISIT,
    Delete,
    Edit,
    Event,
    Review,
    Submit,
    clock,
    duplicated,
    event_hash,
    form_times,
    instance_id,
    iter_sorted,
    office_time,
    pack,
    review_state,
    target_code,
)
from .household import Counters, Household
from .layout import Layouts
from .regions import Kabupaten, load_regions
from .rng import DISBURSEMENT, HOUSEHOLD, mix, reseed
from .submissions import (
    DeviceTimes,
    RegionNames,
    penyaluran_data,
    registration_data,
    visit_data,
)
from .timeline import plan_disbursements
from .visits import Carry, Visit, entity_view, make_visit, start_carry

log = logging.getLogger(__name__)

#: Minutes it takes to fill each form (low, high).
FILL_MINUTES = {REG: (20, 55), VISIT: (10, 35), SALUR: (2, 8)}


class Dataset:
    """A generated data set. Build it with :func:`generate`.

    :ivar seed: the seed it was generated from.
    :ivar as_of: its reference date (2020-12-31): ages and date-dependent counts are stated as of a date.
    :ivar pendamping: the 330 facilitators.
    :ivar households: the KPM, ground truth (members with birth dates, relations, schooling ...).
    """

    def __init__(
        self,
        seed: int,
        regions: tuple[Kabupaten, ...],
        pendamping: list[PendampingRow],
        households: list[Household],
    ) -> None:
        self.seed = seed
        self.as_of: date = AS_OF
        self.regions = regions
        self.pendamping = pendamping
        self.households = households
        self.region_names = RegionNames(
            desa={d.code: d.name for kab in regions for kec in kab.kecamatan for d in kec.desa},
            kecamatan={kec.code: kec.name for kab in regions for kec in kab.kecamatan},
        )
        self._pendamping_by_id = {p.id: p for p in pendamping}
        self.layouts = Layouts()

    @property
    def kpm(self) -> int:
        return len(self.households)

    # --- rosters -------------------------------------------------------------------------------------------
    def official_kpm_rows(self) -> list[dict[str, Any]]:
        """The official beneficiary list (what Dinsos hands over), one dict per KPM, in the columns of the KPM
        import (``warehouse/imports/columns.py``): the warehouse's source of KPM ids."""
        return [
            {
                "id_kpm": h.id_kpm,
                "no_kk": h.no_kk,
                "nik_pengurus": h.nik_pengurus,
                "nama_pengurus": h.nama_pengurus,
                "kode_kabupaten": h.kabupaten,
                "kode_kecamatan": h.kecamatan,
                "kode_desa": h.desa,
                "alamat": f"{h.alamat} RT {h.rt}/RW {h.rw}",
                "pendamping_id": h.pendamping_id,
                "kategori_awal": h.category,
                "tahun_masuk": 2019,
                "id_dtks": h.id_dtks,
            }
            for h in self.households
        ]

    def pendamping_rows(self) -> list[dict[str, Any]]:
        """The pendamping roster, one dict per facilitator, in the columns of the pendamping import."""
        return [
            {
                "id": p.id,
                "nama": p.nama,
                "kode_kabupaten": p.kabupaten,
                "kode_kecamatan": p.kecamatan,
                "telepon": p.telepon,
                "central_app_user": p.app_user,
                "aktif": "ya",
            }
            for p in self.pendamping
        ]

    # --- ground truth over time ----------------------------------------------------------------------------
    def visits(self, household: Household) -> list[Visit]:
        """Every monitoring visit of ``household`` with its answers and assessed ground truth, in order."""
        carry = start_carry(household)
        rng = random.Random()
        out = []
        for k in range(len(household.visit_dates)):
            visit, carry = make_visit(household, k, carry, rng)
            out.append(visit)
        return out

    def entity_row(self, household: Household, visit: int | None = None) -> dict[str, str]:
        """The ``kpm`` Entity List row the pendamping's phone held: before the registration (``visit=None``,
        what the roster push knows from the official list) or when filling visit number ``visit``."""
        desa = self.region_names.desa[household.desa]
        if visit is not None:
            return self.visits(household)[visit].entity.row(desa)
        row = entity_view(household, household.registered_on, start_carry(household)).row(desa)
        for key in ("ringkasan_anggota", "anak_sekolah", "balita", "ibu_hamil", "lansia", "skor_bps"):
            row[key] = ""
        for key in ("tanggal_registrasi", "jumlah_art", "n_anak_sekolah", "n_balita", "n_hamil", "n_lansia"):
            row[key] = ""
        row["n_disabilitas_berat"] = ""
        return row

    # --- the server's story --------------------------------------------------------------------------------
    def _device(self, h: Household, eh: int, kind: int, day: date) -> DeviceTimes:
        t = form_times(eh, day, FILL_MINUTES[kind])
        p = self._pendamping_by_id[h.pendamping_id]
        iso = day.isoformat()
        return DeviceTimes(
            f"{iso}T{clock(t.start_ms)}+07:00", f"{iso}T{clock(t.end_ms)}+07:00", p.device_id, p.app_user
        )

    def schedule(self) -> list[int]:
        """Packed (time, household, kind, number) keys of every event, unsorted."""
        seed = self.seed
        keys: list[int] = []
        append = keys.append
        minutes_reg, minutes_visit, minutes_salur = (
            FILL_MINUTES[REG],
            FILL_MINUTES[VISIT],
            FILL_MINUTES[SALUR],
        )
        for h in self.households:
            i = h.index
            eh = event_hash(seed, i, REG, 0)
            reg_at = form_times(eh, h.registered_on, minutes_reg).at_ms
            append(pack(reg_at, i, REG, 0))
            last_change = reg_at
            if h.correction is not None:
                days = h.correction.days_after
                edit_at = office_time(event_hash(seed, i, EDIT, 0), reg_at, (days, days))
                if edit_at is not None:
                    append(pack(edit_at, i, EDIT, 0))
                    last_change = edit_at
            self._schedule_review(keys, eh, i, REG, 0, last_change)
            for k, day in enumerate(h.visit_dates):
                eh = event_hash(seed, i, VISIT, k)
                at = form_times(eh, day, minutes_visit).at_ms
                append(pack(at, i, VISIT, k))
                self._schedule_review(keys, eh, i, VISIT, k, at)
                if duplicated(eh):
                    dup_at = min(at + 60_000 * (1 + eh % 30), END_MS)
                    append(pack(dup_at, i, DUP, k))
                    gone = office_time(event_hash(seed, i, DUP, k), dup_at, (1, 10))
                    if gone is not None:
                        append(pack(gone, i, DELETE, target_code(DUP, k)))
            for k, d in enumerate(h.disbursements):
                eh = event_hash(seed, i, SALUR, k)
                at = form_times(eh, d.confirmed_on, minutes_salur).at_ms
                append(pack(at, i, SALUR, k))
                self._schedule_review(keys, eh, i, SALUR, k, at)
        return keys

    @staticmethod
    def _schedule_review(keys: list[int], eh: int, i: int, kind: int, k: int, after: int) -> None:
        if review_state(eh) is None:
            return
        at = office_time(eh, after, (1, 30))
        if at is not None:
            keys.append(pack(at, i, REVIEW, target_code(kind, k)))

    def events(self) -> Iterator[Event]:
        """Every server event in time order (``at`` never decreases). Data is built lazily, one event at a time."""
        seed = self.seed
        households = self.households
        regions = self.region_names
        carries: dict[int, Carry] = {}
        duplicates: dict[tuple[int, int], dict[str, Any]] = {}
        rng = random.Random()
        shape = self.layouts.shape
        for at_ms, i, kind, k in iter_sorted(self.schedule()):
            h = households[i]
            at = EPOCH_UTC + timedelta(milliseconds=at_ms)
            who = h.pendamping_id
            if kind == VISIT:
                carry = carries.pop(i, None) or start_carry(h)
                visit, carry = make_visit(h, k, carry, rng)
                if k + 1 < len(h.visit_dates):
                    carries[i] = carry
                eh = event_hash(seed, i, VISIT, k)
                times = self._device(h, eh, VISIT, visit.day)
                data = shape(FORM_VISIT, visit_data(h, visit, times, regions))
                if duplicated(eh):
                    duplicates[(i, k)] = data
                yield Submit(FORM_VISIT, data, instance_id(eh), who, at, times.device_id)
            elif kind == SALUR:
                d = h.disbursements[k]
                eh = event_hash(seed, i, SALUR, k)
                times = self._device(h, eh, SALUR, d.confirmed_on)
                data = shape(FORM_DISBURSEMENT, penyaluran_data(h, d, times, regions))
                yield Submit(FORM_DISBURSEMENT, data, instance_id(eh), who, at, times.device_id)
            elif kind == REVIEW:
                target_kind, target_k = k >> 5, k & 31
                eh = event_hash(seed, i, target_kind, target_k)
                state = review_state(eh) or "approved"
                yield Review(FORM_OF_KIND[target_kind], instance_id(eh), state, at)
            elif kind == REG:
                eh = event_hash(seed, i, REG, 0)
                times = self._device(h, eh, REG, h.registered_on)
                data = registration_data(h, times, regions, correction=h.correction)
                yield Submit(
                    FORM_REGISTRATION,
                    shape(FORM_REGISTRATION, data),
                    instance_id(eh),
                    who,
                    at,
                    times.device_id,
                )
            elif kind == EDIT:
                eh = event_hash(seed, i, REG, 0)
                times = self._device(h, eh, REG, h.registered_on)
                data = shape(FORM_REGISTRATION, registration_data(h, times, regions))
                new_id = instance_id(event_hash(seed, i, EDIT, 0))
                yield Edit(FORM_REGISTRATION, instance_id(eh), data, new_id, who, at, times.device_id)
            elif kind == DUP:
                data = duplicates.pop((i, k))
                dup_id = instance_id(event_hash(seed, i, DUP, k))
                yield Submit(FORM_VISIT, data, dup_id, who, at, self._pendamping_by_id[who].device_id)
            elif kind == DELETE:
                target_kind, target_k = k >> 5, k & 31
                yield Delete(
                    FORM_OF_KIND[target_kind], instance_id(event_hash(seed, i, target_kind, target_k)), at
                )


def generate(kpm: int = 5000, seed: int = 2019) -> Dataset:
    """Generate the synthetic Banten data set: ``kpm`` households (2019 kabupaten shares), 330 pendamping.

    Deterministic: the same (kpm, seed) gives the same data set; no wall clock is read.

    :param kpm: number of KPM households (the 2019 programme had 50,000).
    :param seed: any integer.
    """
    if kpm < 1:
        raise ValueError(f"kpm must be at least 1, got {kpm}")
    started = time.perf_counter()
    regions = load_regions()
    caseload = plan(seed, kpm, regions)
    counters = Counters()
    rng = random.Random()
    households = []
    # Building creates no reference cycles, but the growing heap would make the cyclic collector rescan it
    # again and again (a quarter of the time at 50,000 KPM); it is switched off for the build only.
    collecting = gc.isenabled()
    gc.disable()
    try:
        for slot in caseload.slots:
            reseed(rng, mix(seed, HOUSEHOLD, slot.index))
            households.append(build_household(seed, slot, rng, counters))
        for h in households:
            reseed(rng, mix(seed, DISBURSEMENT, h.index))
            plan_disbursements(rng, h, caseload.pay_days)
    finally:
        if collecting:
            gc.enable()
    log.info(
        "generated %d KPM (%s) and %d pendamping in %.1f s",
        len(households),
        "2019 shares" if kpm == sum(KPM_2019.values()) else "scaled 2019 shares",
        len(caseload.pendamping),
        time.perf_counter() - started,
    )
    return Dataset(seed, regions, caseload.pendamping, households)
