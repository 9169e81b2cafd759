"""Where the KPM live and who visits them: KPM per kabupaten/kecamatan/desa, the 330 pendamping and their
caseloads, registration days and tranche pay days."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta

from . import names
from .allocation import kpm_per_kabupaten, largest_remainder, pendamping_per_kabupaten
from .assumptions import (
    DESA_WEIGHT_RANGE,
    KAB_BOX,
    KECAMATAN_WEIGHT_RANGE,
    KELURAHAN_WEIGHT_IN_KABUPATEN,
    REGISTRATION_END,
    REGISTRATION_START,
    TRANCHES,
)
from .household import Slot
from .regions import Kabupaten
from .rng import DISBURSEMENT, PENDAMPING, REGIONS, SCHEDULE, mix, pick, ri, stream

_ALNUM = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


@dataclass(slots=True)
class PendampingRow:
    """One facilitator of the roster.

    :ivar id: ``PD-3601-001``; also the Central app user's display name, which ODK Collect reports as
        ``username`` and the forms copy into ``pendamping_id``.
    :ivar kecamatan: the kecamatan holding most of the caseload; ``kecamatan_list`` all of them.
    """

    id: str
    nama: str
    jenis_kelamin: str
    kabupaten: str
    kecamatan: str
    kecamatan_list: tuple[str, ...]
    app_user: str
    device_id: str
    kpm_count: int
    telepon: str


@dataclass(slots=True)
class Plan:
    pendamping: list[PendampingRow]
    slots: list[Slot]
    pay_days: dict[tuple[str, int, str], date]


def _center(code: str, box: tuple[float, float, float, float], spread: float | None = None,
            around: tuple[float, float] | None = None) -> tuple[float, float]:  # fmt: skip
    """A fixed pseudo-random point for a region code, inside ``box`` (seed-independent geography)."""
    rng = stream(REGIONS, int(code))
    lat_min, lat_max, lon_min, lon_max = box
    if around is None or spread is None:
        return (rng.uniform(lat_min + 0.1 * (lat_max - lat_min), lat_max - 0.1 * (lat_max - lat_min)),
                rng.uniform(lon_min + 0.1 * (lon_max - lon_min), lon_max - 0.1 * (lon_max - lon_min)))  # fmt: skip
    lat = min(max(around[0] + rng.uniform(-spread, spread), lat_min), lat_max)
    lon = min(max(around[1] + rng.uniform(-spread, spread), lon_min), lon_max)
    return lat, lon


def _working_days(start: date, end: date) -> list[date]:
    days = []
    day = start
    while day <= end:
        if day.weekday() != 6:
            days.append(day)
        day += timedelta(days=1)
    return days


def plan(seed: int, kpm: int, regions: tuple[Kabupaten, ...]) -> Plan:
    """Allocate ``kpm`` households to desa and pendamping, deterministically from ``seed``."""
    per_kab = kpm_per_kabupaten(kpm)
    pendamping_counts = pendamping_per_kabupaten()
    by_code = {k.code: k for k in regions}
    missing = set(per_kab) - set(by_code)
    if missing:
        raise ValueError(f"the region lists lack kabupaten/kota {', '.join(sorted(missing))}")

    pendamping: list[PendampingRow] = []
    slots: list[Slot] = []
    for kab_code in sorted(per_kab):
        kab = by_code[kab_code]
        box = KAB_BOX[kab_code]
        kec_weights = []
        for kec in kab.kecamatan:
            desa_weight = sum(
                KELURAHAN_WEIGHT_IN_KABUPATEN if (d.is_kelurahan and not kab.is_kota) else 1.0
                for d in kec.desa
            )
            kec_weights.append(
                stream(seed, REGIONS, int(kec.code)).uniform(*KECAMATAN_WEIGHT_RANGE) * math.sqrt(desa_weight)
            )
        kec_counts = largest_remainder(per_kab[kab_code], kec_weights)
        ordered: list[
            tuple[str, str, str, bool, tuple[float, float]]
        ] = []  # (kec, kec name, desa, kelurahan, center)
        for kec, count in zip(kab.kecamatan, kec_counts, strict=True):
            if count == 0:
                continue
            kec_center = _center(kec.code, box)
            weights = []
            for d in kec.desa:
                w = stream(seed, REGIONS, int(d.code)).uniform(*DESA_WEIGHT_RANGE)
                if d.is_kelurahan and not kab.is_kota:
                    w *= KELURAHAN_WEIGHT_IN_KABUPATEN
                weights.append(w)
            for d, n in zip(kec.desa, largest_remainder(count, weights), strict=True):
                center = _center(d.code, box, 0.03, kec_center)
                ordered.extend([(kec.code, kec.name, d.code, d.is_kelurahan, center)] * n)

        # Pendamping of this kabupaten take contiguous, nearly equal slices of the ordered list.
        n_pendamping = pendamping_counts[kab_code]
        sizes = largest_remainder(len(ordered), [1.0] * n_pendamping)
        cumulative = _cumulative_kecamatan(kab, kec_weights)
        position = 0
        for j, size in enumerate(sizes, start=1):
            number = len(pendamping)
            prng = stream(seed, PENDAMPING, number)
            pid = f"PD-{kab_code}-{j:03d}"
            sex = "p" if prng.random() < 0.5 else "l"
            nama = names.person_name(prng, sex, ri(prng, 1985, 1996))
            device = "collect:" + "".join(pick(prng, _ALNUM) for _ in range(16))
            phone = (
                "08"
                + pick(prng, ("12", "13", "21", "52", "57", "77", "78", "95"))
                + f"{ri(prng, 0, 99_999_999):08d}"
            )
            caseload = ordered[position : position + size]
            if caseload:
                kec_list = tuple(dict.fromkeys(c[0] for c in caseload))
                main = max(kec_list, key=lambda k: sum(1 for c in caseload if c[0] == k))
            else:
                main = cumulative((j - 0.5) / n_pendamping)
                kec_list = (main,)
            pendamping.append(
                PendampingRow(pid, nama, sex, kab_code, main, kec_list, pid, device, size, phone)
            )
            days = _working_days(
                REGISTRATION_START + timedelta(days=ri(prng, 0, 10)),
                REGISTRATION_END - timedelta(days=ri(prng, 0, 6)),
            )
            for i, (kec_code, kec_name, desa_code, kelurahan, center) in enumerate(caseload):
                index = len(slots)
                day = days[min(len(days) - 1, (i * len(days)) // max(size, 1))]
                slots.append(
                    Slot(
                        index=index,
                        id_kpm=f"{kab_code}-{position + i + 1:06d}",
                        kabupaten=kab_code,
                        kecamatan=kec_code,
                        kecamatan_name=kec_name,
                        desa=desa_code,
                        is_kelurahan=kelurahan,
                        pendamping_id=pid,
                        registered_on=day,
                        desa_center=center,
                    )
                )
            position += size

    pay_days: dict[tuple[str, int, str], date] = {}
    for kab in regions:
        for t, (year, tahap, _amount, first, last) in enumerate(TRANCHES):
            krng = stream(seed, DISBURSEMENT, int(kab.code), t)
            base = first + timedelta(days=ri(krng, 0, max(0, (last - first).days - 10)))
            for kec in kab.kecamatan:
                offset = mix(seed, SCHEDULE, int(kec.code), t) % 8
                pay = min(base + timedelta(days=offset), last)
                pay_days[(kec.code, year, tahap)] = pay + timedelta(days=1) if pay.weekday() == 6 else pay
    return Plan(pendamping, slots, pay_days)


def _cumulative_kecamatan(kab: Kabupaten, weights: list[float]):  # type: ignore[no-untyped-def]
    """A function mapping a share in [0, 1) to the kecamatan at that point of the cumulative weights."""
    total = sum(weights)

    def at(share: float) -> str:
        acc = 0.0
        for kec, w in zip(kab.kecamatan, weights, strict=True):
            acc += w / total
            if share < acc:
                return kec.code
        return kab.kecamatan[-1].code

    return at
