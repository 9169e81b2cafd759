"""The graduation engine on households built by hand: every criterion at its boundaries, the categories at every
cut-off, the checklist decision, natural exit, ages as of the date (never the clock), and the vocabulary."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from forms.rules import INDICATORS, RuleSet
from warehouse.graduation import (
    DATA_KURANG,
    NA,
    TERPENUHI,
    TIDAK_BERLAKU,
    TIDAK_TERPENUHI,
    ChildRow,
    KpmSnapshot,
    Member,
    ToddlerRow,
    assess,
)
from warehouse.graduation.indicators import COMPUTE

from .conftest import LINE, VISIT_DAY, child, household, members, poor_household

MET, NOT_MET, NOT_APPLICABLE, MISSING = TERPENUHI, TIDAK_TERPENUHI, TIDAK_BERLAKU, DATA_KURANG


def outcome(rules: RuleSet, snapshot: KpmSnapshot, code: str) -> str:
    return assess(snapshot, rules).criterion(code).outcome


def income(ratio_times_100: int, size: int = 4) -> int:
    """Household income giving exactly ratio/100 of the Rp500,000 line per person."""
    return size * LINE * ratio_times_100 // 100


def test_vocabulary__every_indicator__has_a_computation() -> None:
    """Should compute exactly the indicators of the vocabulary staff see."""
    assert set(COMPUTE) == set(INDICATORS)


def test_household__reference__meets_everything(rules: RuleSet) -> None:
    """Should find the reference household meeting G1-G10 and no BPS criterion (the tests vary it)."""
    a = assess(household(), rules)
    assert [c.outcome for c in a.criteria if c.group == "graduasi"] == [MET] * 10
    assert (a.skor_bps, a.skor_graduasi, a.checklist, a.kategori, a.alamiah) == (
        0,
        10,
        MET,
        "calon_graduasi",
        NOT_MET,
    )
    assert a.reasons == ()


def test_poor_household__reference__deprived_on_all_14(rules: RuleSet) -> None:
    """Should count all 14 BPS criteria for the poor reference household."""
    a = assess(poor_household(), rules)
    assert [c.outcome for c in a.criteria if c.group == "bps"] == [MET] * 14
    assert (a.skor_bps, a.kategori, a.kategori_bps, a.kategori_pendapatan) == (
        14,
        "sangat_miskin",
        "sangat_miskin",
        "sangat_miskin",
    )


# --- graduation criteria at their boundaries --------------------------------------------------------------

CRITERIA_CASES = [
    # G1: no food shortage and >= 2 meals
    ("G1", {"kekurangan_pangan_3bln": "ya"}, NOT_MET),
    ("G1", {"frek_makan_hari": 1}, NOT_MET),
    ("G1", {"frek_makan_hari": 2}, MET),
    ("G1", {"kekurangan_pangan_3bln": None}, MISSING),
    ("G1", {"kekurangan_pangan_3bln": None, "frek_makan_hari": 1}, NOT_MET),
    # G2: animal protein >= 2 days a week
    ("G2", {"frek_protein_hewani_minggu": 1}, NOT_MET),
    ("G2", {"frek_protein_hewani_minggu": 2}, MET),
    ("G2", {"frek_protein_hewani_minggu": None}, MISSING),
    # G3: income per capita >= poverty line
    ("G3", {"pendapatan_bulan_rp": income(100) - 1}, NOT_MET),
    ("G3", {"pendapatan_bulan_rp": income(100)}, MET),
    ("G3", {"pendapatan_bulan_rp": income(100), "jumlah_anggota": 5}, NOT_MET),
    ("G3", {"pendapatan_bulan_rp": None}, MISSING),
    ("G3", {"kode_kabupaten": "3201"}, MISSING),  # no poverty line for that region
    ("G3", {"kode_kabupaten": None}, MISSING),
    # G4: >= 2 income sources or a business
    ("G4", {"jumlah_sumber_pendapatan": 1}, NOT_MET),
    ("G4", {"jumlah_sumber_pendapatan": 1, "punya_usaha": "ya"}, MET),
    ("G4", {"jumlah_sumber_pendapatan": None, "punya_usaha": "ya"}, MET),
    ("G4", {"jumlah_sumber_pendapatan": None, "punya_usaha": "tidak"}, MISSING),
    # G5: savings + saleable assets >= Rp500,000
    ("G5", {"tabungan_rp": 499_999}, NOT_MET),
    ("G5", {"tabungan_rp": 500_000}, MET),
    ("G5", {"tabungan_rp": 300_000, "aset_mudah_dijual": frozenset({"emas"}), "nilai_aset_rp": 200_000}, MET),
    (
        "G5",
        {"tabungan_rp": 300_000, "aset_mudah_dijual": frozenset({"emas"}), "nilai_aset_rp": None},
        MISSING,
    ),
    ("G5", {"tabungan_rp": 300_000, "aset_mudah_dijual": None}, MISSING),
    # G6: every child 7-18 in school with >= 85% attendance (not applicable = met)
    ("G6", {"anak": (ChildRow(3, "sekolah", 84.9),)}, NOT_MET),
    ("G6", {"anak": (ChildRow(3, "sekolah", 85.0),)}, MET),
    ("G6", {"anak": (ChildRow(3, "sekolah", None, 17, 20),)}, MET),  # 17 of 20 days = 85%
    ("G6", {"anak": (ChildRow(3, "sekolah", None, 16, 19),)}, NOT_MET),  # 84.2%
    ("G6", {"anak": (ChildRow(3, "tidak_sekolah"),)}, NOT_MET),
    ("G6", {"anak": (ChildRow(3, "sekolah", None),)}, MISSING),
    ("G6", {"anak": ()}, MISSING),  # the pupil was not monitored at the visit
    ("G6", {"anak": (ChildRow(3, "tidak_serumah"),)}, NOT_APPLICABLE),  # moved out: no pupil left
    (
        "G6",
        {"anak": (ChildRow(3, "sekolah", 95.0), ChildRow(None, "tidak_sekolah"))},
        NOT_MET,
    ),  # not on record
    ("G6", {"anggota": members(child(4, date(2017, 6, 1))), "anak": ()}, NOT_APPLICABLE),
    # G7: every toddler weighed, pregnant women on ANC (not applicable = met)
    ("G7", {"balita": (ToddlerRow(4, "tidak"),)}, NOT_MET),
    ("G7", {"balita": (ToddlerRow(4, None),)}, MISSING),
    ("G7", {"balita": ()}, MISSING),
    ("G7", {"jumlah_hamil": 1, "anc_kunjungan_ke": 0}, NOT_MET),
    ("G7", {"jumlah_hamil": 1, "anc_kunjungan_ke": 1}, MET),
    ("G7", {"jumlah_hamil": 1, "anc_kunjungan_ke": None}, MISSING),
    ("G7", {"jumlah_hamil": None}, MISSING),
    ("G7", {"anggota": members(child(3, date(2008, 7, 1))), "balita": ()}, NOT_APPLICABLE),
    ("G7", {"balita": (ToddlerRow(4, "ya"), ToddlerRow(None, "ya"))}, MET),  # a newborn not on record
    # G8: own latrine and improved water
    ("G8", {"fasilitas_bab": "bersama_umum"}, NOT_MET),
    ("G8", {"sumber_air_minum": "hujan"}, NOT_MET),
    ("G8", {"sumber_air_minum": "sumur_terlindung"}, MET),
    ("G8", {"fasilitas_bab": "bersama_umum", "perbaikan_rumah": frozenset({"jamban"})}, MET),
    ("G8", {"fasilitas_bab": None}, MISSING),
    # G9: decent floor, wall, electricity
    ("G9", {"jenis_lantai": "tanah"}, NOT_MET),
    ("G9", {"jenis_lantai": "tanah", "perbaikan_rumah": frozenset({"lantai"})}, MET),
    ("G9", {"jenis_dinding": "tembok_tanpa_plester"}, NOT_MET),
    ("G9", {"sumber_penerangan": "bukan_listrik"}, NOT_MET),
    ("G9", {"sumber_penerangan": "non_pln"}, MET),
    ("G9", {"jenis_lantai": "tanah", "sumber_penerangan": None}, NOT_MET),
    # G10: JKN for all or can pay for treatment
    ("G10", {"mampu_berobat": "tidak"}, MET),
    (
        "G10",
        {"mampu_berobat": "tidak", "anggota": members(child(3, date(2008, 7, 1), punya_jkn="tidak"))},
        NOT_MET,
    ),
    ("G10", {"anggota": members(child(3, date(2008, 7, 1), punya_jkn="tidak"))}, MET),
    ("G10", {"mampu_berobat": None, "anggota": members(child(3, date(2008, 7, 1), punya_jkn=None))}, MISSING),
]


@pytest.mark.parametrize(("code", "changes", "expected"), CRITERIA_CASES)
def test_graduation_criterion__boundary__outcome(
    rules: RuleSet, code: str, changes: dict, expected: str
) -> None:
    """Should meet, fail, not apply or lack data exactly at the rule's boundary."""
    assert outcome(rules, household(**changes), code) == expected


@pytest.mark.parametrize(
    ("code", "reason"),
    [("G1", "G1_FOOD_INSECURE"), ("G3", "G3_INCOME_BELOW_LINE"), ("G6", "G6_SCHOOL_ATTENDANCE")],
)
def test_graduation_criterion__not_met__stable_reason_code(rules: RuleSet, code: str, reason: str) -> None:
    """Should give each failed criterion its reason code from the workbook."""
    a = assess(poor_household(anak=(ChildRow(3, "tidak_sekolah"),)), rules)
    assert a.criterion(code).reason == reason
    assert reason in a.reasons


def test_graduation_criterion__missing__data_missing_code(rules: RuleSet) -> None:
    """Should name the missing indicator and give <code>_DATA_MISSING, never a failure code."""
    a = assess(household(kekurangan_pangan_3bln=None), rules)
    g1 = a.criterion("G1")
    assert (g1.outcome, g1.reason, g1.missing) == (MISSING, "G1_DATA_MISSING", ("kekurangan_pangan_3bln",))
    assert "G1_FOOD_INSECURE" not in a.reasons


# --- BPS criteria -----------------------------------------------------------------------------------------

BPS_CASES = [
    ("BPS01", {"luas_lantai_m2": 31.96}, MET),  # 7.99 m2 per person
    ("BPS01", {"luas_lantai_m2": 32}, NOT_MET),  # 8 m2 per person
    ("BPS01", {"luas_lantai_m2": 32, "jumlah_anggota": 5}, MET),
    ("BPS02", {"jenis_lantai": "kayu_murah"}, MET),
    ("BPS02", {"jenis_lantai": "kayu_murah", "perbaikan_rumah": frozenset({"lantai"})}, NOT_MET),
    ("BPS05", {"sumber_penerangan": "pln_tanpa_meteran_menumpang"}, NOT_MET),
    ("BPS05", {"sumber_penerangan": "bukan_listrik", "perbaikan_rumah": frozenset({"listrik"})}, NOT_MET),
    ("BPS08", {"frek_protein_hewani_minggu": 1}, MET),
    ("BPS08", {"frek_protein_hewani_minggu": 2}, NOT_MET),
    ("BPS10", {"frek_makan_hari": 2}, MET),
    ("BPS12", {"pendapatan_bulan_rp": income(100) - 1}, MET),  # income below the line
    ("BPS12", {"pendapatan_bulan_rp": income(100)}, NOT_MET),
    ("BPS12", {"pekerjaan_kepala": "nelayan"}, MET),  # the visit's answer wins over the roster's
    ("BPS12", {"pekerjaan_kepala": "petani_lahan_sendiri", "luas_lahan_m2": 500}, MET),
    ("BPS12", {"pekerjaan_kepala": "petani_lahan_sendiri", "luas_lahan_m2": 501}, NOT_MET),
    ("BPS12", {"pekerjaan_kepala": "petani_lahan_sendiri", "luas_lahan_m2": None}, MISSING),
    ("BPS12", {"pekerjaan_kepala": "nelayan", "pendapatan_bulan_rp": None}, MET),  # one condition is enough
    ("BPS12", {"pendapatan_bulan_rp": None}, MISSING),
    ("BPS14", {"tabungan_rp": 499_999}, MET),
    ("BPS14", {"tabungan_rp": 500_000}, NOT_MET),
]


@pytest.mark.parametrize(("code", "changes", "expected"), BPS_CASES)
def test_bps_criterion__boundary__outcome(rules: RuleSet, code: str, changes: dict, expected: str) -> None:
    """Should count a BPS deprivation exactly at its threshold."""
    assert outcome(rules, household(**changes), code) == expected


# --- categories at every cut-off --------------------------------------------------------------------------

#: A change that makes exactly one BPS criterion met (on the reference household, income ratio 2.0).
DEPRIVE: dict[str, dict] = {
    "BPS01": {"luas_lantai_m2": 20},
    "BPS02": {"jenis_lantai": "tanah"},
    "BPS03": {"jenis_dinding": "bambu_rumbia"},
    "BPS04": {"fasilitas_bab": "tidak_ada"},
    "BPS05": {"sumber_penerangan": "bukan_listrik"},
    "BPS06": {"sumber_air_minum": "sungai"},
    "BPS07": {"bahan_bakar_masak": "kayu_arang"},
    "BPS08": {"frek_protein_hewani_minggu": 0},
    "BPS09": {"beli_pakaian_setahun": "tidak_pernah"},
    "BPS10": {"frek_makan_hari": 1},
    "BPS11": {"mampu_berobat": "tidak"},
    "BPS12": {"pekerjaan_kepala": "buruh_bangunan"},
    "BPS13": {
        "anggota": (replace(members()[0], pendidikan_tertinggi="tidak_tamat_sd"), *household().anggota[1:])
    },
    "BPS14": {"tabungan_rp": 0},
}
SCORE_CATEGORY = [
    (0, "calon_graduasi"),
    (2, "calon_graduasi"),
    (3, "rentan_miskin"),
    (5, "rentan_miskin"),
    (6, "hampir_miskin"),
    (8, "hampir_miskin"),
    (9, "miskin"),
    (10, "miskin"),
    (11, "sangat_miskin"),
    (14, "sangat_miskin"),
]


@pytest.mark.parametrize(("score", "category"), SCORE_CATEGORY)
def test_category__bps_score_cut_off__band(rules: RuleSet, score: int, category: str) -> None:
    """Should map each skor_bps at the edges of the bands (income well above the line)."""
    changes: dict = {}
    for code in list(DEPRIVE)[:score]:
        changes.update(DEPRIVE[code])
    a = assess(household(**changes), rules)
    assert (a.skor_bps, a.kategori_bps, a.kategori) == (score, category, category)


RATIO_CATEGORY = [
    (0, "sangat_miskin"),
    (79, "sangat_miskin"),
    (80, "miskin"),
    (99, "miskin"),
    (100, "hampir_miskin"),
    (119, "hampir_miskin"),
    (120, "rentan_miskin"),
    (149, "rentan_miskin"),
    (150, "calon_graduasi"),
    (400, "calon_graduasi"),
]


@pytest.mark.parametrize(("ratio", "category"), RATIO_CATEGORY)
def test_category__income_ratio_cut_off__band(rules: RuleSet, ratio: int, category: str) -> None:
    """Should map rasio_gk at the edges of the bands (minimum inclusive, maximum exclusive)."""
    a = assess(household(pendapatan_bulan_rp=income(ratio)), rules)
    assert a.rasio_gk == pytest.approx(ratio / 100)
    assert (a.kategori_pendapatan, a.kategori) == (category, category)


def test_category__just_below_cut_off__worse_band(rules: RuleSet) -> None:
    """Should keep a household one rupiah per month below 0.8 of the line in the worse band."""
    a = assess(household(pendapatan_bulan_rp=income(80) - 1), rules)
    assert a.kategori_pendapatan == "sangat_miskin"


@pytest.mark.parametrize(
    ("score", "ratio", "category"),
    [(9, 400, "miskin"), (0, 90, "miskin"), (9, 70, "sangat_miskin"), (4, 110, "hampir_miskin")],
)
def test_category__two_rules__the_worse_wins(rules: RuleSet, score: int, ratio: int, category: str) -> None:
    """Should take the worse of the BPS-count category and the income category."""
    changes: dict = {"pendapatan_bulan_rp": income(ratio)}
    for code in [c for c in DEPRIVE if c != "BPS12"][:score]:
        changes.update(DEPRIVE[code])
    assert assess(household(**changes), rules).kategori == category


def test_category__missing_bps_answer__open_unless_it_cannot_matter(rules: RuleSet) -> None:
    """Should leave the category open only when the missing answer could change it."""
    open_ = assess(household(jenis_lantai=None, jenis_dinding=None, fasilitas_bab=None), rules)
    assert (open_.skor_bps, open_.skor_bps_min, open_.skor_bps_maks, open_.kategori) == (None, 0, 3, None)
    assert "CATEGORY_DATA_MISSING" in open_.reasons
    decided = assess(household(jenis_lantai=None, pendapatan_bulan_rp=income(50)), rules)
    assert (decided.skor_bps, decided.kategori) == (None, "sangat_miskin")  # income already decides the worst


def test_category__no_poverty_line__open_and_reason(rules: RuleSet) -> None:
    """Should not guess a category without a poverty line, and say why."""
    a = assess(household(kode_kabupaten="3201"), rules)
    assert (a.rasio_gk, a.kategori_pendapatan, a.kategori) == (None, None, None)
    assert {"POVERTY_LINE_MISSING", "CATEGORY_DATA_MISSING", "G3_DATA_MISSING"} <= set(a.reasons)


# --- the checklist decision -------------------------------------------------------------------------------

FAIL = {
    "G1": {"kekurangan_pangan_3bln": "ya"},
    "G2": {"frek_protein_hewani_minggu": 0},
    "G3": {"pendapatan_bulan_rp": income(90)},
    "G4": {"jumlah_sumber_pendapatan": 1},
    "G5": {"tabungan_rp": 0},
    "G6": {"anak": (ChildRow(3, "sekolah", 50.0),)},
    "G7": {"balita": (ToddlerRow(4, "tidak"),)},
    "G8": {"sumber_air_minum": "sungai"},
    "G9": {"jenis_dinding": "bambu_rumbia"},
    "G10": {
        "mampu_berobat": "tidak",
        "anggota": members(
            child(3, date(2008, 7, 1), punya_jkn="tidak"),
            child(4, date(2017, 6, 1), partisipasi_sekolah=None),
        ),
    },
}
MISS = {
    "G2": {"frek_protein_hewani_minggu": None},
    "G3": {"pendapatan_bulan_rp": None},
    "G4": {"jumlah_sumber_pendapatan": None},
    "G8": {"sumber_air_minum": None},
}


@pytest.mark.parametrize(
    ("failed", "missing", "score", "checklist"),
    [
        ((), (), 10, MET),
        (("G2", "G4", "G5"), (), 7, MET),
        (("G2", "G4", "G5", "G8"), (), 6, NOT_MET),
        (("G1",), (), 9, NOT_MET),  # must-pass
        (("G3",), (), 9, NOT_MET),
        (("G6",), (), 9, NOT_MET),
        (("G7",), (), 9, MET),  # not a must-pass
        (("G2", "G4"), ("G8",), 7, MET),  # 7 met already: the missing one cannot change it
        (("G2", "G4", "G5"), ("G8",), 6, MISSING),  # 6 met + 1 unknown: could reach 7
        (("G4", "G5", "G8", "G9"), ("G2",), 5, NOT_MET),  # 5 met + 1 unknown: at most 6
        ((), ("G3",), 9, MISSING),  # a must-pass unknown
        (("G2", "G5", "G9"), ("G3", "G4"), 5, MISSING),
        (("G2", "G5", "G9", "G10"), ("G3", "G4"), 4, NOT_MET),  # at most 6 of 10
    ],
)
def test_checklist__must_pass_and_minimum__decided_or_open(
    rules: RuleSet, failed: tuple, missing: tuple, score: int, checklist: str
) -> None:
    """Should need G1, G3, G6 and 7 of 10, and stay open only while missing data could decide it."""
    changes: dict = {}
    for code in failed:
        changes.update(FAIL[code])
    for code in missing:
        changes.update(MISS[code])
    a = assess(household(**changes), rules)
    assert (a.skor_graduasi, a.checklist) == (score, checklist)
    assert ("SCORE_BELOW_MIN" in a.reasons) == (score < 7)


# --- natural exit and ages as of the date -----------------------------------------------------------------


def elderly_couple(**changes) -> KpmSnapshot:
    return household(
        anggota=members(child(3, date(1999, 10, 1), partisipasi_sekolah="tidak_lagi")),
        anak=(),
        balita=(),
        **changes,
    )


@pytest.mark.parametrize(
    ("on", "expected"),
    [(date(2020, 9, 30), NOT_MET), (date(2020, 10, 1), MET)],  # the youngest turns 21 on 1 October 2020
)
def test_natural_exit__youngest_turns_21__on_the_birthday(rules: RuleSet, on: date, expected: str) -> None:
    """Should exit naturally from the day the youngest child turns 21, as of the assessment date."""
    a = assess(elderly_couple(as_of=on), rules)
    assert a.alamiah == expected
    assert ("NATURAL_EXIT" in a.reasons) == (expected == MET)


def test_natural_exit__pregnancy_or_newborn__keeps_family_eligible(rules: RuleSet) -> None:
    """Should keep a family with a pregnancy, or a baby born since registration, in the program."""
    on = date(2021, 1, 1)
    assert assess(elderly_couple(as_of=on, jumlah_hamil=1, anc_kunjungan_ke=2), rules).alamiah == NOT_MET
    assert assess(elderly_couple(as_of=on, jumlah_lahir=1), rules).alamiah == NOT_MET
    assert assess(elderly_couple(as_of=on, jumlah_hamil=None), rules).alamiah == MISSING


def test_natural_exit__unknown_birth_date__insufficient(rules: RuleSet) -> None:
    """Should not exit a family whose members' ages are not known."""
    a = assess(household(anggota=members(Member(3, None, "p", "anak"))), rules)
    assert (a.alamiah, a.criterion("ALAMIAH").reason) == (MISSING, "ALAMIAH_DATA_MISSING")


@pytest.mark.parametrize(
    ("born", "on", "school_age"),
    [
        (date(2012, 10, 1), date(2019, 9, 30), False),  # 6 the day before the 7th birthday
        (date(2012, 10, 1), date(2019, 10, 1), True),  # 7 on the birthday
        (date(2000, 10, 1), date(2019, 9, 30), True),  # still 18
        (date(2000, 10, 1), date(2019, 10, 1), False),  # 19 on the birthday
        (date(2012, 2, 29), date(2019, 2, 28), False),  # leap-day child: 7 only on 1 March in a common year
        (date(2012, 2, 29), date(2019, 3, 1), True),
    ],
)
def test_ages__school_age__as_of_the_date(rules: RuleSet, born: date, on: date, school_age: bool) -> None:
    """Should decide school age (7-18) from the assessment date, so an unmonitored child makes G6 unknown."""
    snap = household(as_of=on, anggota=members(child(3, born)), anak=(), balita=())
    a = assess(snap, rules)
    assert a.criterion("G6").outcome == (MISSING if school_age else NOT_APPLICABLE)


@pytest.mark.parametrize(
    ("on", "toddler"),
    [(date(2022, 5, 31), True), (date(2022, 6, 1), False)],  # born 2017-06-01: 5 on 2022-06-01
)
def test_ages__toddler_turning_5__as_of_the_date(rules: RuleSet, on: date, toddler: bool) -> None:
    """Should stop counting a child as a toddler on the fifth birthday."""
    snap = household(
        as_of=on, anggota=members(child(4, date(2017, 6, 1), partisipasi_sekolah=None)), anak=(), balita=()
    )
    a = assess(snap, rules)
    assert a.criterion("G7").outcome == (MISSING if toddler else NOT_APPLICABLE)


def test_ages__member_born_after_the_date__not_counted(rules: RuleSet) -> None:
    """Should leave out a member born after the as-of date (a roster read for an earlier visit)."""
    snap = household(as_of=date(2017, 1, 1), anggota=members(child(4, date(2017, 6, 1))), anak=(), balita=())
    a = assess(snap, rules)
    assert a.criterion("G7").outcome == NOT_APPLICABLE


def test_assess__no_roster__member_criteria_unknown(rules: RuleSet) -> None:
    """Should not take a KPM without a registration roster for a family without children."""
    a = assess(household(anggota=(), jumlah_anggota=None, anak=(), balita=(), mampu_berobat="tidak"), rules)
    assert [a.criterion(c).outcome for c in ("G6", "G7", "G10", "ALAMIAH")] == [MISSING] * 4
    assert a.criterion("G3").outcome == MISSING  # income per capita needs the household size


def test_assess__registration_snapshot__uses_school_participation(rules: RuleSet) -> None:
    """Should read enrolment from the registration before any visit, attendance being unknown there."""
    reg = household(
        jenis="registrasi", kunjungan_id=None, tanggal_kunjungan_terakhir=None, anak=(), balita=()
    )
    a = assess(reg, rules)
    g6 = a.criterion("G6")
    assert g6.outcome == MISSING
    assert dict(g6.values) == {"jumlah_anak_tidak_sekolah": 0, "kehadiran_anak_terendah_pct": None}
    dropped = replace(reg, anggota=members(child(3, date(2008, 7, 1), partisipasi_sekolah="tidak_lagi")))
    assert assess(dropped, rules).criterion("G6").outcome == NOT_MET


def test_assess__visit_family_not_found__reason(rules: RuleSet) -> None:
    """Should mark an assessment at a visit where the family was not found."""
    a = assess(household(kpm_ditemui="pindah"), rules)
    assert (a.kontak, a.reasons[0]) == (False, "KPM_MOVED")


def test_assess__values__recorded_per_criterion(rules: RuleSet) -> None:
    """Should keep the compared values (NA for not applicable) so staff see why."""
    a = assess(household(), rules)
    assert dict(a.criterion("G7").values) == {"jumlah_balita_tidak_ditimbang": 0, "anc_kunjungan_ke": NA}
    assert a.criterion("G3").values == (("rasio_gk", 2.0),)
    assert a.sumber == ("uuid:reg-1", "uuid:visit-1")
    assert a.tanggal == VISIT_DAY and a.rule_version == "v2019"
