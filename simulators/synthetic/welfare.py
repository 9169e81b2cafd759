"""The scoring the ground truth is computed with: BPS 14 deprivation flags, category, graduation checklist.

This follows domain §6.3 (the proposed default rule set). The generator records, for every registration and
visit, the category and checklist that these functions give for the generated answers, so a warehouse that
implements the same rules must arrive at the same results. docs/synthetic-data.md lists each rule.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .assumptions import ASSET_THRESHOLD_RP, MIN_FLOOR_PER_PERSON_M2, SMALL_FARM_M2

#: Categories from worst to best; index 4 is above rentan miskin ("candidate for the graduation check").
LEVELS = ("sangat_miskin", "miskin", "hampir_miskin", "rentan_miskin", "calon_graduasi")
#: Lower bounds of the BPS-count rule: >= 11 sangat miskin, 9-10 miskin, 6-8 hampir, 3-5 rentan, <= 2 above.
BPS_BANDS = ((11, 14), (9, 10), (6, 8), (3, 5), (0, 2))
#: Bounds of the income rule on income per capita / poverty line: < 0.8, < 1.0, < 1.2, < 1.5, >= 1.5.
RATIO_BANDS = ((0.0, 0.8), (0.8, 1.0), (1.0, 1.2), (1.2, 1.5), (1.5, 3.0))

DEPRIVED_FLOOR = frozenset({"tanah", "bambu", "kayu_murah"})  # BPS 2
DEPRIVED_WALL = frozenset({"bambu_rumbia", "kayu_murah", "tembok_tanpa_plester"})  # BPS 3
DEPRIVED_TOILET = frozenset({"tidak_ada", "bersama_umum"})  # BPS 4
DEPRIVED_LIGHT = frozenset({"bukan_listrik"})  # BPS 5: "not electricity"
DEPRIVED_WATER = frozenset({"sumur_tak_terlindung", "mata_air_tak_terlindung", "sungai", "hujan"})  # BPS 6
DEPRIVED_FUEL = frozenset({"kayu_arang", "minyak_tanah"})  # BPS 7
DEPRIVED_CLOTHES = frozenset({"tidak_pernah", "satu_stel"})  # BPS 9
#: Head's work that is poor by itself (BPS 12): farm or construction labour, fishing (a small farm counts too,
#: see :func:`bps_flags`); any other work (or none) is deprived only through income.
DEPRIVED_WORK = frozenset({"buruh_tani", "nelayan", "buruh_bangunan"})
DEPRIVED_EDUCATION = frozenset({"tidak_sekolah", "tidak_tamat_sd", "sd"})  # BPS 13


@dataclass(slots=True)
class Welfare:
    """The answers the scoring needs, at one point in time (registration or a visit)."""

    members: int
    floor_m2: float
    lantai: str
    dinding: str
    bab: str
    penerangan: str
    air: str
    bbm: str
    protein_days: int
    pakaian: str
    meals: int
    can_pay_treatment: bool
    head_occupation: str
    land_m2: int
    income_rp: int
    poverty_line_rp: int
    head_education: str
    savings_rp: int
    assets_rp: int

    @property
    def income_ratio(self) -> float:
        """Income per capita divided by the poverty line."""
        return self.income_rp / self.members / self.poverty_line_rp


def bps_flags(w: Welfare) -> tuple[bool, ...]:
    """The 14 BPS criteria as deprived (True) / not deprived, domain §2.1 with the §6.3 adjustments."""
    work = w.head_occupation in DEPRIVED_WORK or (
        w.head_occupation == "petani_lahan_sendiri" and w.land_m2 <= SMALL_FARM_M2
    )
    return (
        w.floor_m2 / w.members < MIN_FLOOR_PER_PERSON_M2,
        w.lantai in DEPRIVED_FLOOR,
        w.dinding in DEPRIVED_WALL,
        w.bab in DEPRIVED_TOILET,
        w.penerangan in DEPRIVED_LIGHT,
        w.air in DEPRIVED_WATER,
        w.bbm in DEPRIVED_FUEL,
        w.protein_days <= 1,
        w.pakaian in DEPRIVED_CLOTHES,
        w.meals <= 2,
        not w.can_pay_treatment,
        work or w.income_ratio < 1.0,
        w.head_education in DEPRIVED_EDUCATION,
        w.savings_rp + w.assets_rp < ASSET_THRESHOLD_RP,
    )


def level_from_score(score: int) -> int:
    """Category index from the BPS count alone (bands of :data:`BPS_BANDS`)."""
    if score >= 11:
        return 0
    if score >= 9:
        return 1
    if score >= 6:
        return 2
    return 3 if score >= 3 else 4


def level_from_ratio(ratio: float) -> int:
    """Category index from income per capita / poverty line alone (bands of :data:`RATIO_BANDS`)."""
    if ratio < 0.8:
        return 0
    if ratio < 1.0:
        return 1
    if ratio < 1.2:
        return 2
    return 3 if ratio < 1.5 else 4


def category_level(w: Welfare) -> tuple[int, int]:
    """(category index, BPS score): the worse of the two rules (domain §6.3, step 2)."""
    score = sum(bps_flags(w))
    return min(level_from_score(score), level_from_ratio(w.income_ratio)), score


@dataclass(slots=True)
class Checklist:
    """The ten graduation criteria G1-G10 of domain §6.3 (True = met)."""

    met: tuple[bool, ...]

    @property
    def total(self) -> int:
        return sum(self.met)

    @property
    def passes(self) -> bool:
        """Must-pass gates G1, G3 and G6 met and at least 7 of 10."""
        return self.met[0] and self.met[2] and self.met[5] and self.total >= 7


def assess(
    w: Welfare,
    food_shortage: bool,
    income_sources: int,
    has_business: bool,
    children_ok: bool,
    health_ok: bool,
    all_jkn: bool,
) -> tuple[int, int, Checklist]:
    """(category index, BPS score, checklist) of one visit, the BPS flags computed once.

    :param children_ok: every child 7-18 enrolled and attending >= 85% (True when there is none).
    :param health_ok: every toddler weighed this month and every pregnant woman seen at antenatal care.
    """
    flags = bps_flags(w)
    score = sum(flags)
    ratio = w.income_ratio
    level = min(level_from_score(score), level_from_ratio(ratio))
    met = (
        not food_shortage and w.meals >= 2,
        w.protein_days >= 2,
        ratio >= 1.0,
        income_sources >= 2 or has_business,
        not flags[13],
        children_ok,
        health_ok,
        not flags[3] and not flags[5],
        not flags[1] and not flags[2] and not flags[4],
        all_jkn or w.can_pay_treatment,
    )
    return level, score, Checklist(met)


def checklist(
    w: Welfare,
    *,
    food_shortage: bool,
    income_sources: int,
    has_business: bool,
    children_ok: Sequence[bool],
    toddlers_weighed: Sequence[bool],
    pregnant_anc: Sequence[bool],
    all_jkn: bool,
) -> Checklist:
    """G1-G10 for one visit. G6/G7 count as met when the household has no such member (domain §6.3)."""
    health_ok = all(toddlers_weighed) and all(pregnant_anc)
    return assess(w, food_shortage, income_sources, has_business, all(children_ok), health_ok, all_jkn)[2]


def phone_bps_flags(h: Any, floor_m2: float) -> tuple[bool, ...]:
    """``bps01``..``bps14`` as the registration form computes them on the phone (its own simplified rules:
    electricity only "bukan_listrik", household income < Rp600,000, land < 500 m²)."""
    b = h.baseline
    head = h.head
    return (
        math.floor(floor_m2 / h.registered * 10 + 0.5) / 10 < 8,  # luas_per_kapita: round(x, 1)
        b.jenis_lantai in ("tanah", "bambu", "kayu_murah"),
        b.jenis_dinding in ("bambu_rumbia", "kayu_murah", "tembok_tanpa_plester"),
        b.fasilitas_bab in ("tidak_ada", "bersama_umum"),
        b.sumber_penerangan == "bukan_listrik",
        b.sumber_air_minum in ("sumur_tak_terlindung", "mata_air_tak_terlindung", "sungai", "hujan"),
        b.bahan_bakar_masak in ("kayu_arang", "minyak_tanah"),
        b.frek_protein_hewani_minggu <= 1,
        b.beli_pakaian_setahun in ("tidak_pernah", "satu_stel"),
        b.frek_makan_hari <= 2,
        not b.mampu_berobat,
        head.occupation in ("buruh_tani", "nelayan", "buruh_bangunan")
        or (head.occupation == "petani_lahan_sendiri" and b.luas_lahan_m2 < 500)
        or b.pendapatan_bulan_rp < 600_000,
        head.education in ("tidak_sekolah", "tidak_tamat_sd", "sd"),
        b.tabungan_rp + b.nilai_aset_rp < 500_000,
    )
