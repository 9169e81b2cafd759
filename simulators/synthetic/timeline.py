"""What happens to a household after registration: births, deaths, moves, exits, house improvements, the visit
days, the tranche confirmations and the registration mistakes that get corrected."""

from __future__ import annotations

import random
from datetime import date, timedelta

from . import names
from .assumptions import (
    AS_OF,
    FIRST_VISIT_NOT_BEFORE,
    LAST_VISIT_DAY,
    PANDEMIC_SLOWDOWN,
    RECEIPT_FULL,
    RECEIPT_PARTIAL,
    SHARE_EDITED_REGISTRATIONS,
    TRANCHES,
    VISIT_GAP_DAYS,
)
from .baseline import round_to
from .household import Correction, Counters, Disbursement, Household, nik
from .people import (
    Member,
    Proto,
    adult_education,
    adult_occupation,
    age_on,
    draw_school_track,
    shared,
    years_before,
)
from .rng import Weighted, normal, pick, ri

_RECEIPT_PROBLEM = Weighted({"belum_cair": 40, "rekening_bermasalah": 40, "kpm_tidak_ditemukan": 20})
_HOW_RECEIVED = Weighted({"atm": 55, "kolektif_pendamping": 35, "teller": 10})
_HOW_RECEIVED_LATER = Weighted({"atm": 50, "teller": 50})
_ACCOUNT_PROBLEM = Weighted({"kartu_hilang": 40, "pin_lupa": 30, "nama_beda_nik": 30})
_CORRECTED_FIELD = Weighted(
    {"nama_pengurus": 40, "tanggal_lahir": 25, "no_rekening": 20, "luas_lantai_m2": 15}
)


def add_years(day: date, years: int) -> date:
    """The same calendar day ``years`` later (29 February becomes 1 March)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return date(day.year + years, 3, 1)


def _working_day(day: date) -> date:
    """Visits and registrations happen Monday to Saturday."""
    return day + timedelta(days=1) if day.weekday() == 6 else day


def plan_changes(rng: random.Random, h: Household, counters: Counters) -> None:
    """Births, new pregnancies, deaths, moves, arrivals, house improvements, business starts, exits."""
    reg = h.registered_on
    span_days = (AS_OF - reg).days

    def when(rate_per_year: float, start: date = reg) -> date | None:
        """First event of a Poisson process with ``rate_per_year`` after ``start``, if before AS_OF."""
        if rate_per_year <= 0:
            return None
        wait = rng.expovariate(rate_per_year) * 365.2425
        day = start + timedelta(days=int(wait))
        return day if day < AS_OF else None

    newborns: list[tuple[int, date]] = []
    for i, m in enumerate(list(h.members)):
        if m.pregnancies:
            _known, due = m.pregnancies[0]
            birth = due + timedelta(days=ri(rng, -14, 10))
            if birth < AS_OF:
                newborns.append((i, max(birth, reg + timedelta(days=1))))
                m.pregnancies = ((m.pregnancies[0][0], newborns[-1][1]), *m.pregnancies[1:])
            continue
        if m.sex == "p" and m.relation in ("istri_suami", "menantu") and 18 <= m.age(reg) <= 41:
            own = [c.birth_date for c in h.members if c.mother == i]
            start = max([reg, *(b + timedelta(days=365) for b in own)])
            conception = when(0.07 * (1.3 if h.trajectory != "naik" else 1.0), start)
            if conception is not None:
                due = conception + timedelta(days=270)
                m.pregnancies += ((conception + timedelta(days=60), due),)
                if due < AS_OF:
                    newborns.append((i, due))
    for mother, birth in newborns:
        mum = h.members[mother]
        sex = "l" if rng.random() < 0.51 else "p"
        relation = "anak" if mum.relation in ("istri_suami", "kepala") else "cucu"
        h.members.append(
            Member(
                index=len(h.members),
                name=names.person_name(rng, sex, birth.year),
                nik=nik(h.kecamatan, birth, sex, counters.next(counters.nik, h.kecamatan)),
                sex=sex,
                relation=relation,
                birth_date=birth,
                education="tidak_sekolah",
                occupation="tidak_bekerja",
                jkn=mum.jkn,
                school_levels=draw_school_track(rng)[0],
                joined=birth,
                mother=mother,
                growth_z=normal(rng, -0.9, 1.1),
            )
        )
    for m in h.members[: h.registered]:
        if m.index in (0, h.pengurus):
            continue  # the head and the recipient leave only with the whole family (exit below)
        if m.age(reg) >= 60:
            died = when(0.04)
            if died is not None:
                m.left, m.left_reason = died, "meninggal"
        elif m.relation in ("anak", "lainnya") and m.age(AS_OF) >= 19 and m.index != h.pengurus:
            moved = when(0.06, max(reg, add_years(m.birth_date, 19)))
            if moved is not None:
                m.left, m.left_reason = moved, "pindah_keluar"
    arrival = when(0.015)
    if arrival is not None:
        child = rng.random() < 0.5
        age = rng.uniform(7, 12) if child else rng.uniform(20, 60)
        sex = "l" if rng.random() < 0.5 else "p"
        birth = years_before(arrival, age)
        levels, paud, dropout = draw_school_track(rng)
        h.members.append(
            Member(
                index=len(h.members),
                name=names.person_name(rng, sex, birth.year),
                nik=nik(h.kecamatan, birth, sex, counters.next(counters.nik, h.kecamatan)),
                sex=sex,
                relation="cucu" if child else "lainnya",
                birth_date=birth,
                education="tidak_sekolah" if child else adult_education(rng, age),
                occupation="tidak_bekerja"
                if child
                else adult_occupation(rng, Proto("lainnya", sex, age), h.rural),
                jkn=h.head.jkn,
                school_levels=max(levels, 1) if child else levels,
                paud=paud,
                dropout_age=dropout,
                joined=arrival,
            )
        )

    # The household leaves the programme: moves away or the recipient dies [ASSUMPTION: 0.5% and 0.2%/year].
    moved = when(0.005)
    died = when(0.002)
    if moved is not None and (died is None or moved <= died):
        h.exit = (moved, "pindah")
    elif died is not None:
        h.exit = (died, "meninggal")
        pengurus = h.members[h.pengurus]
        pengurus.left, pengurus.left_reason = died, "meninggal"

    # House improvements, new business, extra income source.
    b = h.baseline
    options = []
    if b.jenis_lantai in ("tanah", "bambu", "kayu_murah"):
        options.append("lantai")
    if b.jenis_dinding != "tembok_plester":
        options.append("dinding")
    if b.jenis_atap in ("ijuk_rumbia", "seng_asbes"):
        options.append("atap")
    if b.fasilitas_bab != "sendiri":
        options.append("jamban")
    if b.sumber_penerangan != "pln_meteran":
        options.append("listrik")
    if b.sumber_air_minum in ("sumur_tak_terlindung", "mata_air_tak_terlindung", "sungai", "hujan"):
        options.append("air")
    if h.trajectory == "naik":
        count = min(len(options), pick(rng, (1, 2, 2, 3, 3, 4)))
    elif h.trajectory == "stabil":
        count = min(len(options), 1 if rng.random() < 0.12 else 0)
    else:
        count = 0
    improvements = []
    for item in rng.sample(options, count):
        day = reg + timedelta(days=ri(rng, 45, max(46, span_days - 20)))
        improvements.append((day, item))
    h.improvements = tuple(sorted(improvements))
    if h.trajectory == "naik":
        if not b.punya_usaha and rng.random() < 0.35:
            h.business_from = reg + timedelta(days=ri(rng, 90, max(91, span_days - 30)))
        if rng.random() < 0.45:
            h.extra_source_from = reg + timedelta(days=ri(rng, 60, max(61, span_days - 30)))


def plan_visits(rng: random.Random, h: Household) -> None:
    """Visit days: about a quarter apart, the first one about a quarter after registration."""
    day = h.registered_on + timedelta(days=ri(rng, 75, 100))
    if day < FIRST_VISIT_NOT_BEFORE:
        day = FIRST_VISIT_NOT_BEFORE + timedelta(days=ri(rng, 0, 20))
    slow_start, slow_end = PANDEMIC_SLOWDOWN
    visits: list[date] = []
    absent: set[int] = set()
    while True:
        if slow_start <= day <= slow_end and rng.random() < 0.5:
            day += timedelta(days=ri(rng, 5, 30))
        day = _working_day(day)
        if day > LAST_VISIT_DAY:
            break
        if rng.random() < 0.04:  # a visit that did not happen
            day += timedelta(days=ri(rng, *VISIT_GAP_DAYS))
            continue
        visits.append(shared(day))
        if h.exit is not None and day >= h.exit[0]:
            break  # this visit finds the family gone
        if rng.random() < 0.05:
            absent.add(len(visits) - 1)
        day += timedelta(days=ri(rng, *VISIT_GAP_DAYS))
    h.visit_dates = tuple(visits)
    h.absent = sum(1 << i for i in absent if h.exit is None or visits[i] < h.exit[0])


def plan_disbursements(rng: random.Random, h: Household, pay_days: dict[tuple[str, int, str], date]) -> None:
    """Tranche confirmations (domain §6.6: 95% full, 2% partial, 3% problems) and follow-ups of problems."""
    out: list[Disbursement] = []
    for year, tahap, amount, _first, _last in TRANCHES:
        pay = pay_days[(h.kecamatan, year, tahap)]
        gone = h.exit is not None and h.exit[0] <= pay
        roll = rng.random()
        if gone:
            status = "kpm_tidak_ditemukan"
        elif roll < RECEIPT_FULL:
            status = "diterima_penuh"
        elif roll < RECEIPT_FULL + RECEIPT_PARTIAL:
            status = "diterima_sebagian"
        else:
            status = _RECEIPT_PROBLEM.draw(rng)
        cara = _HOW_RECEIVED.draw(rng)
        if status in ("diterima_penuh", "diterima_sebagian"):
            received = pay + timedelta(
                days=ri(rng, 0, 2) if cara == "kolektif_pendamping" else ri(rng, 0, 10)
            )
            late = rng.random() < 0.15
            confirmed = received + timedelta(days=ri(rng, 15, 40) if late else ri(rng, 0, 14))
            got = amount if status == "diterima_penuh" else round_to(rng.uniform(0.5, 0.9) * amount, 50_000)
        else:
            received, got, cara = None, None, None
            confirmed = pay + timedelta(days=ri(rng, 3, 20))
        confirmed = min(confirmed, LAST_VISIT_DAY)
        if received is not None and received > confirmed:
            received = confirmed
        kendala, lainnya = _kendala(rng, status, h)
        out.append(
            Disbursement(year, tahap, amount, status, got, received, confirmed, cara, kendala, lainnya, 0)
        )
        if status in ("belum_cair", "rekening_bermasalah") and rng.random() < 0.7:
            received2 = confirmed + timedelta(days=ri(rng, 10, 40))
            confirmed2 = received2 + timedelta(days=ri(rng, 0, 7))
            if confirmed2 <= LAST_VISIT_DAY:
                cara2 = _HOW_RECEIVED_LATER.draw(rng)
                out.append(
                    Disbursement(
                        year,
                        tahap,
                        amount,
                        "diterima_penuh",
                        amount,
                        received2,
                        confirmed2,
                        cara2,
                        ("tidak_ada",),
                        None,
                        1,
                    )
                )
    h.disbursements = tuple(out)


def _kendala(rng: random.Random, status: str, h: Household) -> tuple[tuple[str, ...], str | None]:
    if status == "diterima_penuh":
        roll = rng.random()
        if roll < 0.92:
            return ("tidak_ada",), None
        return (("jarak_jauh",) if roll < 0.97 else ("pin_lupa",)), None
    if status == "diterima_sebagian":
        return ("lainnya",), "sebagian dana belum masuk ke rekening"
    if status == "belum_cair":
        return ("saldo_kosong",), None
    if status == "rekening_bermasalah":
        return (_ACCOUNT_PROBLEM.draw(rng),), None
    reason = (
        "KPM meninggal dunia" if h.exit is not None and h.exit[1] == "meninggal" else "KPM pindah domisili"
    )
    return ("lainnya",), reason


def plan_correction(rng: random.Random, h: Household) -> None:
    """About 2% of registrations carry a wrong value that an edit corrects later."""
    if rng.random() >= SHARE_EDITED_REGISTRATIONS:
        return
    kind = _CORRECTED_FIELD.draw(rng)
    days = ri(rng, 3, 60)
    if kind == "nama_pengurus":
        h.correction = Correction(kind, names.misspell(rng, h.nama_pengurus), h.pengurus, days)
    elif kind == "tanggal_lahir":
        wrong_birth = _mistyped_birth(rng, h)
        if wrong_birth is None:
            h.correction = Correction("nama_pengurus", names.misspell(rng, h.nama_pengurus), h.pengurus, days)
        else:
            h.correction = Correction(kind, wrong_birth[1], wrong_birth[0], days)
    elif kind == "no_rekening":
        digits = list(h.no_rekening)
        j = rng.randrange(1, len(digits))
        digits[j] = str((int(digits[j]) + ri(rng, 1, 9)) % 10)
        h.correction = Correction(kind, "".join(digits), None, days)
    else:
        floor = h.baseline.luas_lantai_m2
        h.correction = Correction(kind, floor * 10 if floor * 10 <= 1000 else floor + 100, None, days)


def _mistyped_birth(rng: random.Random, h: Household) -> tuple[int, date] | None:
    """(member, a wrong birth date with the same age at registration) — so every answer stays valid."""
    reg = h.registered_on
    for i in rng.sample(range(h.registered), h.registered):
        birth = h.members[i].birth_date
        candidates = []  # (month, day): day and month swapped, or the month off by one
        if birth.day <= 12 and birth.day != birth.month:
            candidates.append((birth.day, birth.month))
        candidates += [(birth.month + s, birth.day) for s in (1, -1) if 1 <= birth.month + s <= 12]
        for month, day in candidates:
            try:
                wrong = date(birth.year, month, day)
            except ValueError:
                continue
            if wrong <= reg and age_on(wrong, reg) == age_on(birth, reg):
                return i, wrong
    return None
