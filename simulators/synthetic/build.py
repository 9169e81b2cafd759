"""Build one household from its own random stream: roster, baseline, trajectory, then its timeline."""

from __future__ import annotations

import random
from datetime import date, timedelta

from . import names
from .assumptions import (
    BANK_BY_KAB,
    HOUSEHOLD_SIZE,
    PANDEMIC_SHOCK_SHARE,
    POVERTY_LINE_RP,
    READY_SHARE_NAIK,
    READY_SHARE_STABIL,
    SHARE_ELDERLY,
    SHARE_PREGNANT,
    SHARE_TODDLER,
    TRAJECTORY,
)
from .baseline import draw_baseline, round_to
from .household import Counters, Household, Slot, derive, nik
from .people import (
    Member,
    Proto,
    adult_education,
    adult_occupation,
    compose,
    disability_for,
    draw_school_track,
    shared,
    years_before,
)
from .rng import Weighted, normal, pick, ri
from .timeline import plan_changes, plan_correction, plan_visits
from .welfare import (
    LEVELS,
    Welfare,
    category_level,
)

_SIZE = Weighted(HOUSEHOLD_SIZE)
_TRAJECTORY = Weighted(TRAJECTORY)
_DILIGENCE = Weighted({0.95: 55, 0.7: 30, 0.45: 15})
_DILIGENCE_NAIK = Weighted({0.95: 75, 0.7: 20, 0.45: 5})


def build_household(seed: int, slot: Slot, rng: random.Random, counters: Counters) -> Household:
    """Generate the household of ``slot`` from ``rng`` (a stream of its own) and the shared counters."""
    rural = not slot.is_kelurahan
    reg = slot.registered_on
    size = _SIZE.draw(rng)
    pregnant_wanted = rng.random() < SHARE_PREGNANT * 1.6  # not every family has a woman who can be
    while True:
        protos = compose(
            rng,
            size,
            toddler_share=SHARE_TODDLER,
            elderly=rng.random() < SHARE_ELDERLY * 1.05,
            rural=rural,
        )
        pregnant = _pick_pregnant(rng, protos) if pregnant_wanted else None
        if pregnant is not None or any(p.age_years < 20.5 and p.kind != "head" for p in protos):
            break  # Jamsosratu takes only families with a pregnant woman or a child under 21

    members = _make_members(rng, protos, reg, slot.kecamatan, counters, rural)
    if pregnant is not None:
        woman = members[pregnant]
        ga_days = ri(rng, 30, 250)
        due = reg + timedelta(days=270 - ga_days)
        woman.pregnancies = ((reg - timedelta(days=max(ga_days - 60, 0)), due),)
    pengurus = next((i for i, m in enumerate(members) if m.relation == "istri_suami" and m.sex == "p"), None)
    if pengurus is None:
        pengurus = 0
    registered = len(members)

    line = POVERTY_LINE_RP[(slot.kabupaten, reg.year)]
    baseline, head_work, head_edu = draw_baseline(rng, members, registered, rural, line)
    members[0].occupation = head_work
    members[0].education = head_edu
    welfare = Welfare(
        members=registered,
        floor_m2=baseline.luas_lantai_m2,
        lantai=baseline.jenis_lantai,
        dinding=baseline.jenis_dinding,
        bab=baseline.fasilitas_bab,
        penerangan=baseline.sumber_penerangan,
        air=baseline.sumber_air_minum,
        bbm=baseline.bahan_bakar_masak,
        protein_days=baseline.frek_protein_hewani_minggu,
        pakaian=baseline.beli_pakaian_setahun,
        meals=baseline.frek_makan_hari,
        can_pay_treatment=baseline.mampu_berobat,
        head_occupation=head_work,
        land_m2=baseline.luas_lahan_m2,
        income_rp=baseline.pendapatan_bulan_rp,
        poverty_line_rp=line,
        head_education=head_edu,
        savings_rp=baseline.tabungan_rp,
        assets_rp=baseline.nilai_aset_rp,
    )
    level, score = category_level(welfare)

    kk_issue = date(ri(rng, 2008, 2018), ri(rng, 1, 12), ri(rng, 1, 28))
    no_kk = nik(slot.kecamatan, kk_issue, "l", counters.next(counters.kk, slot.kecamatan))
    id_dtks = f"{slot.desa}{counters.next(counters.dtks, slot.desa):06d}" if rng.random() < 0.7 else None
    if rural:
        alamat = f"Kp. {names.kampung_name(rng)}"
    else:
        alamat = f"Jl. {names.street_name(rng)} Gg. {ri(rng, 1, 12)} No. {ri(rng, 1, 80)}"
    lat = slot.desa_center[0] + rng.uniform(-0.006, 0.006)
    lon = slot.desa_center[1] + rng.uniform(-0.006, 0.006)
    location = (round(lat, 6), round(lon, 6), round(rng.uniform(5, 250), 1), round(rng.uniform(3, 15), 1))
    bank = BANK_BY_KAB[slot.kabupaten]
    digits = 13 if bank == "bjb" else 10
    no_rekening = str(ri(rng, 1, 9)) + "".join(str(ri(rng, 0, 9)) for _ in range(digits - 1))

    trajectory = _TRAJECTORY.draw(rng)
    if trajectory == "naik":
        growth = rng.uniform(0.2, 0.5)
        diligence = _DILIGENCE_NAIK.draw(rng)
        shocked = rng.random() < PANDEMIC_SHOCK_SHARE * 0.7
        savings = round_to(rng.uniform(25_000, 100_000), 5_000)
    elif trajectory == "turun":
        growth = -rng.uniform(0.12, 0.3)
        diligence = _DILIGENCE.draw(rng)
        shocked = rng.random() < min(PANDEMIC_SHOCK_SHARE * 1.7, 1.0)
        savings = -round_to(rng.uniform(10_000, 40_000), 5_000)
    else:
        growth = normal(rng, 0.0, 0.04)
        diligence = _DILIGENCE.draw(rng)
        shocked = rng.random() < PANDEMIC_SHOCK_SHARE
        savings = round_to(rng.uniform(0, 15_000), 5_000)
    # Graduation readiness [ASSUMPTION, calibrated to "graduate 3-8%/yr from year 2", domain §6.6]: before this
    # day at least one must-pass criterion fails at every visit.
    ready_from = None
    if trajectory == "naik" and rng.random() < READY_SHARE_NAIK:
        ready_from = reg + timedelta(days=ri(rng, 270, 560))
    elif trajectory == "stabil" and rng.random() < READY_SHARE_STABIL:
        ready_from = reg + timedelta(days=ri(rng, 240, 560))

    household = Household(
        index=slot.index,
        id_kpm=slot.id_kpm,
        kabupaten=slot.kabupaten,
        kecamatan=slot.kecamatan,
        desa=slot.desa,
        rural=rural,
        pendamping_id=slot.pendamping_id,
        no_kk=no_kk,
        id_dtks=id_dtks,
        alamat=alamat,
        rt=f"{ri(rng, 1, 8):03d}",
        rw=f"{ri(rng, 1, 12):03d}",
        location=location,
        bank=bank,
        no_rekening=no_rekening,
        registered_on=reg,
        members=members,
        registered=registered,
        pengurus=pengurus,
        baseline=baseline,
        category=LEVELS[level],
        bps_score=score,
        trajectory=trajectory,
        growth=growth,
        diligence=diligence,
        shocked=shocked,
        savings_per_month=savings,
        ready_from=ready_from,
        seed=seed,
    )
    plan_changes(rng, household, counters)
    plan_visits(rng, household)
    plan_correction(rng, household)
    derive(household)
    return household


def _pick_pregnant(rng: random.Random, protos: list[Proto]) -> int | None:
    """A married woman aged 17-43 whose youngest child is at least 9 months old, or None."""
    candidates = []
    for i, p in enumerate(protos):
        if p.sex != "p" or not 17 <= p.age_years <= 43 or p.relation not in ("istri_suami", "menantu"):
            continue
        own = [c.age_years for c in protos if c.mother == i]
        if not own or min(own) >= 0.75:
            candidates.append(i)
    return pick(rng, candidates) if candidates else None


def _make_members(
    rng: random.Random, protos: list[Proto], reg: date, kecamatan: str, counters: Counters, rural: bool
) -> list[Member]:
    """Members with names, birth dates, NIKs and the attributes of the registration roster (KK order)."""
    order = {"kepala": 0, "istri_suami": 1, "anak": 2, "menantu": 3, "cucu": 4, "orang_tua": 5, "lainnya": 6}
    ranked = sorted(range(len(protos)), key=lambda i: (order[protos[i].relation], -protos[i].age_years))
    position = {old: new for new, old in enumerate(ranked)}
    disability = disability_for(rng, protos)
    jkn_household = rng.random() < 0.7
    members: list[Member] = []
    for new, old in enumerate(ranked):
        p = protos[old]
        birth = years_before(reg, p.age_years)
        if p.age_years >= 1:
            birth = birth - timedelta(days=ri(rng, 0, 20))
        if birth > reg:
            birth = reg
        serial = counters.next(counters.nik, kecamatan)
        levels, paud, dropout = draw_school_track(rng)
        adult = p.age_years >= 18 and p.relation != "anak" or p.age_years >= 25
        education = adult_education(rng, p.age_years) if adult or p.age_years >= 22 else "tidak_sekolah"
        if p.relation == "anak" and 18 <= p.age_years < 25:
            education = ("sd", "smp", "sma", "sma", "pt")[min(levels, 4)] if levels else "tidak_sekolah"
        if p.age_years < 10:
            occupation = "tidak_bekerja"
        elif p.relation in ("anak", "cucu", "lainnya") and p.age_years < 19:
            occupation = "tidak_bekerja" if rng.random() < 0.9 else "buruh_tani"
        else:
            occupation = adult_occupation(rng, p, rural)
        jkn = jkn_household if rng.random() > 0.05 else not jkn_household
        birth = shared(birth)
        members.append(
            Member(
                index=new,
                name=names.person_name(rng, p.sex, birth.year),
                nik=nik(kecamatan, birth, p.sex, serial),
                sex=p.sex,
                relation=p.relation,
                birth_date=birth,
                education=education,
                occupation=occupation,
                disability=disability.get(old, "tidak"),
                jkn=jkn,
                school_levels=levels,
                paud=paud,
                dropout_age=dropout,
                mother=position[p.mother] if p.mother is not None else None,
                growth_z=normal(rng, -1.0, 1.1),
            )
        )
    return members
