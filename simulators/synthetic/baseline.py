"""Baseline answers of a household for a drawn poverty category.

The baseline category is drawn first (domain §6.6 shares); then one of the two rules of domain §6.3 is made to
bind (income per capita in the category's band, or the BPS count in its band) and the other is drawn in the
same or a better band; answers are then generated so that exactly the chosen BPS criteria are deprived. The
category stored as ground truth is always *computed* from the generated answers (:mod:`.welfare`).
"""

from __future__ import annotations

import math
import random
from datetime import date

from .assumptions import (
    ASSET_THRESHOLD_RP,
    BASELINE_CATEGORY,
    MIN_FLOOR_PER_PERSON_M2,
    SMALL_FARM_M2,
)
from .household import USAHA, Baseline
from .people import (
    Member,
)
from .rng import Weighted, pick, ri
from .welfare import (
    BPS_BANDS,
    DEPRIVED_WORK,
    LEVELS,
    RATIO_BANDS,
)

# Distributions of the baseline answers [ASSUMPTION]s, see docs/synthetic-data.md.
_CATEGORY = Weighted({LEVELS.index(k): v for k, v in BASELINE_CATEGORY.items()})
#: How often each BPS criterion is among the deprived ones, relative (index 0 = BPS 1); BPS 12 is also forced
#: by low income. [ASSUMPTION] shaped on what is common in poor rural Banten (education, clothes, savings).
_FLAG_WEIGHT = (0.5, 0.45, 0.55, 0.5, 0.03, 0.45, 0.55, 0.5, 0.7, 0.25, 0.55, 0.7, 0.8, 0.75)
_WORK_POOR_RURAL = Weighted(
    {"buruh_tani": 40, "buruh_bangunan": 25, "nelayan": 8, "petani_kecil": 20, "tidak_bekerja_poor": 7}
)
_WORK_POOR_URBAN = Weighted(
    {"buruh_bangunan": 60, "nelayan": 10, "buruh_tani": 12, "petani_kecil": 8, "tidak_bekerja_poor": 10}
)
_WORK_OK_RURAL = Weighted(
    {"pedagang_usaha": 30, "ojek_sopir": 25, "buruh_pabrik": 13, "art_jasa": 10, "petani_besar": 14,
     "pns_karyawan_tetap": 2, "lainnya": 6}
)  # fmt: skip
_WORK_OK_URBAN = Weighted(
    {
        "pedagang_usaha": 30,
        "ojek_sopir": 25,
        "buruh_pabrik": 25,
        "art_jasa": 12,
        "pns_karyawan_tetap": 2,
        "lainnya": 6,
    }
)
# Distributions used while building a household [ASSUMPTION]s, see docs/synthetic-data.md.
_BETTER_BY = Weighted({0: 50, 1: 35, 2: 15})
_FLOOR_POOR = Weighted({"tanah": 60, "bambu": 15, "kayu_murah": 25})
_FLOOR_OK = Weighted({"semen_plester": 78, "keramik": 22})
_WALL_POOR = Weighted({"bambu_rumbia": 50, "kayu_murah": 30, "tembok_tanpa_plester": 20})
_ROOF_POOR_HOUSE = Weighted({"ijuk_rumbia": 10, "seng_asbes": 35, "genteng": 55})
_ROOF_OK_HOUSE = Weighted({"genteng": 75, "seng_asbes": 20, "beton": 5})
_TOILET_POOR = Weighted({"tidak_ada": 35, "bersama_umum": 65})
_LIGHT_OK = Weighted({"pln_meteran": 62, "pln_tanpa_meteran_menumpang": 33, "non_pln": 5})
_WATER_POOR = Weighted({"sumur_tak_terlindung": 45, "mata_air_tak_terlindung": 20, "sungai": 20, "hujan": 15})
_WATER_OK_RURAL = Weighted(
    {
        "sumur_terlindung": 40,
        "sumur_bor_pompa": 30,
        "air_kemasan_isi_ulang": 20,
        "mata_air_terlindung": 10,
    }
)
_WATER_OK_URBAN = Weighted(
    {"air_kemasan_isi_ulang": 45, "sumur_bor_pompa": 30, "ledeng": 15, "sumur_terlindung": 10}
)
_FUEL_POOR = Weighted({"kayu_arang": 85, "minyak_tanah": 15})
_FUEL_OK = Weighted({"lpg": 97, "listrik": 3})
_PROTEIN_OK = Weighted({2: 40, 3: 30, 4: 20, 5: 10})
_EDUCATION_POOR = Weighted({"tidak_sekolah": 12, "tidak_tamat_sd": 30, "sd": 58})
_EDUCATION_OK = Weighted({"smp": 65, "sma": 32, "pt": 3})
_SOURCE_OF_WORK = {
    "petani_lahan_sendiri": "pertanian_perikanan",
    "nelayan": "pertanian_perikanan",
    "buruh_tani": "upah_buruh",
    "buruh_bangunan": "upah_buruh",
    "buruh_pabrik": "upah_buruh",
    "art_jasa": "upah_buruh",
    "ojek_sopir": "usaha_sendiri",
    "pedagang_usaha": "usaha_sendiri",
    "pns_karyawan_tetap": "gaji_tetap",
    "lainnya": "lainnya",
}
_ASSET_VALUE = {
    "motor": (2_000_000, 8_000_000),
    "emas": (500_000, 3_000_000),
    "ternak": (1_000_000, 6_000_000),
    "perahu_motor": (5_000_000, 20_000_000),
    "kulkas": (1_000_000, 2_500_000),
    "tv": (400_000, 1_500_000),
    "hp": (300_000, 1_500_000),
}


def round_to(value: float, step: int) -> int:
    """``value`` rounded to a multiple of ``step`` (people report round amounts)."""
    return int(round(value / step)) * step


def income_in_band(rng: random.Random, low: float, high: float, members: int, line: int) -> int:
    """A round monthly household income whose per-capita ratio to the poverty line lies in [low, high)."""
    lo, hi = low * line * members, high * line * members
    for step in (50_000, 10_000, 1_000):
        first = math.ceil(lo / step)
        last = math.ceil(hi / step) - 1
        if first <= last and first * step > 0:
            return ri(rng, first, last) * step
    return max(int(lo) + 1, 1)


def _weighted_sample(rng: random.Random, weights: dict[int, float], k: int) -> list[int]:
    """``k`` distinct keys drawn without replacement with probability proportional to weight."""
    if k <= 0:
        return []
    keys = sorted(weights, key=lambda i: -(rng.random() ** (1.0 / weights[i])))
    return keys[:k]


def draw_baseline(
    rng: random.Random, members: list[Member], n: int, rural: bool, line: int
) -> tuple[Baseline, str, str]:
    """Baseline answers for a drawn category: (answers, head's occupation, head's education)."""
    target = _CATEGORY.draw(rng)
    income_binds = rng.random() < 0.6
    other = min(target + _BETTER_BY.draw(rng), 4)
    ratio_band, score_band = (target, other) if income_binds else (other, target)
    low, high = RATIO_BANDS[ratio_band]
    if ratio_band == 0:
        low = 0.35
    if ratio_band == 4:
        high = 2.0
    income = income_in_band(rng, low, high, n, line)
    ratio = income / n / line
    s_low, s_high = BPS_BANDS[score_band]
    score = ri(rng, max(s_low, 1 if ratio < 1.0 else 0), min(s_high, 13))

    forced = {11} if ratio < 1.0 else set()
    weights = {i: w for i, w in enumerate(_FLAG_WEIGHT) if i not in forced}
    deprived = forced | set(_weighted_sample(rng, weights, score - len(forced)))

    def d(i: int) -> bool:
        return (i - 1) in deprived

    if d(1):
        floor = int(n * rng.uniform(3.5, 7.6))
        floor = min(floor, math.ceil(MIN_FLOOR_PER_PERSON_M2 * n) - 1)
    else:
        floor = max(int(n * rng.uniform(8.3, 16.0)), math.ceil(MIN_FLOOR_PER_PERSON_M2 * n))
    floor = max(floor, 4)
    lantai = (_FLOOR_POOR if d(2) else _FLOOR_OK).draw(rng)
    dinding = _WALL_POOR.draw(rng) if d(3) else "tembok_plester"
    if d(2) or d(3):
        atap = _ROOF_POOR_HOUSE.draw(rng)
    else:
        atap = _ROOF_OK_HOUSE.draw(rng)
    bab = _TOILET_POOR.draw(rng) if d(4) else "sendiri"
    if d(5):
        penerangan = "bukan_listrik"
    else:
        penerangan = _LIGHT_OK.draw(rng)
    if d(6):
        air = _WATER_POOR.draw(rng)
    elif rural:
        air = _WATER_OK_RURAL.draw(rng)
    else:
        air = _WATER_OK_URBAN.draw(rng)
    bbm = _FUEL_POOR.draw(rng) if d(7) else _FUEL_OK.draw(rng)
    protein = (0 if rng.random() < 0.3 else 1) if d(8) else _PROTEIN_OK.draw(rng)
    pakaian = ("tidak_pernah" if rng.random() < 0.25 else "satu_stel") if d(9) else "dua_lebih"
    meals = (1 if rng.random() < 0.08 else 2) if d(10) else (4 if rng.random() < 0.05 else 3)
    can_pay = not d(11)

    # BPS 12: head's work (and land) when deprived by work; any work when income alone decides.
    if d(12) and ratio >= 1.0:
        work = (_WORK_POOR_RURAL if rural else _WORK_POOR_URBAN).draw(rng)
    elif d(12):
        pool = (
            (_WORK_POOR_RURAL if rural else _WORK_POOR_URBAN)
            if rng.random() < 0.6
            else (_WORK_OK_RURAL if rural else _WORK_OK_URBAN)
        )
        work = pool.draw(rng)
    else:
        work = (_WORK_OK_RURAL if rural else _WORK_OK_URBAN).draw(rng)
    if work == "petani_kecil":
        work, land = "petani_lahan_sendiri", round_to(rng.uniform(100, SMALL_FARM_M2 - 20), 10)
    elif work == "petani_besar":
        work, land = "petani_lahan_sendiri", round_to(rng.uniform(SMALL_FARM_M2 + 100, 5_000), 50)
    elif work == "tidak_bekerja_poor":
        work, land = ("tidak_bekerja" if ratio < 1.0 else "buruh_tani"), 0
    else:
        land = 0 if rng.random() < 0.7 else round_to(rng.uniform(20, 300), 10)
    if work in DEPRIVED_WORK and not d(12):
        raise AssertionError("a poor occupation must make BPS 12 deprived")  # guards the logic above
    head_age = members[0].age(date(2019, 1, 1))
    if d(13):
        education = _EDUCATION_POOR.draw(rng)
    else:
        education = _EDUCATION_OK.draw(rng) if head_age < 60 else "smp"

    # BPS 14: savings plus saleable assets below / above Rp500,000.
    if d(14):
        tabungan = 0 if rng.random() < 0.55 else round_to(rng.uniform(10_000, 200_000), 10_000)
        roll = rng.random()
        assets: tuple[str, ...]
        if roll < 0.45:
            assets, value = ("tidak_ada",), 0
        else:
            assets = ("hp",) if roll < 0.85 else ("tv",)
            value = round_to(rng.uniform(100_000, 280_000), 10_000)
        if tabungan + value >= ASSET_THRESHOLD_RP:
            tabungan = 0
    else:
        chosen = []
        for item, p in (("hp", 0.7), ("motor", 0.35), ("tv", 0.5), ("emas", 0.15), ("kulkas", 0.1)):
            if rng.random() < p:
                chosen.append(item)
        if rural and rng.random() < 0.2:
            chosen.append("ternak")
        if work == "nelayan" and rng.random() < 0.4:
            chosen.append("perahu_motor")
        value = sum(round_to(rng.uniform(*_ASSET_VALUE[a]), 50_000) for a in chosen)
        tabungan = round_to(rng.uniform(0, 1_000_000), 10_000) if rng.random() < 0.5 else 0
        if tabungan + value < ASSET_THRESHOLD_RP:
            chosen.append("emas")
            value += round_to(rng.uniform(*_ASSET_VALUE["emas"]), 50_000)
        order = ("motor", "emas", "ternak", "perahu_motor", "kulkas", "tv", "hp")
        assets = tuple(a for a in order if a in chosen) or ("tidak_ada",)

    others = [m.occupation for m in members[1:] if m.occupation != "tidak_bekerja"]
    usaha = work == "pedagang_usaha" or "pedagang_usaha" in others or rng.random() < 0.08
    sources = {_SOURCE_OF_WORK[w] for w in [work, *others] if w in _SOURCE_OF_WORK}
    if usaha:
        sources.add("usaha_sendiri")
    if rng.random() < 0.12 or not sources:
        sources.add("kiriman_keluarga")
    source_order = (
        "upah_buruh",
        "usaha_sendiri",
        "pertanian_perikanan",
        "gaji_tetap",
        "kiriman_keluarga",
        "lainnya",
    )
    bansos = []
    if rng.random() < 0.04:
        bansos.append("pkh")
    if rng.random() < 0.55:
        bansos.append("bpnt_sembako")
    if members[0].jkn and rng.random() < 0.8:
        bansos.append("pbi_jkn")
    if any(m.school_levels and 7 <= m.age(date(2019, 1, 1)) <= 18 for m in members) and rng.random() < 0.35:
        bansos.append("kip_pip")
    baseline = Baseline(
        luas_lantai_m2=floor,
        jenis_lantai=lantai,
        jenis_dinding=dinding,
        jenis_atap=atap,
        fasilitas_bab=bab,
        sumber_penerangan=penerangan,
        sumber_air_minum=air,
        bahan_bakar_masak=bbm,
        frek_protein_hewani_minggu=protein,
        beli_pakaian_setahun=pakaian,
        frek_makan_hari=meals,
        mampu_berobat=can_pay,
        luas_lahan_m2=land,
        sumber_pendapatan=tuple(s for s in source_order if s in sources),
        pendapatan_bulan_rp=income,
        punya_usaha=usaha,
        jenis_usaha=pick(rng, USAHA) if usaha else None,
        tabungan_rp=tabungan,
        aset_mudah_dijual=assets,
        nilai_aset_rp=value,
        penerima_bansos_lain=tuple(bansos) or ("tidak_ada",),
    )
    return baseline, work, education
