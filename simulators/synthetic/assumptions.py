"""Every number the synthetic Banten data set is built from, in one place, with where it comes from.

Sources are sections of /work/shared/domain.md (cited as "domain §x"). Numbers without a published source are
marked ``[ASSUMPTION]``: they shape the synthetic data only and must never be shown in the app as facts.
docs/synthetic-data.md explains each of them.
"""

from __future__ import annotations

from datetime import date

# --- Fixed dates (no wall clock anywhere) -------------------------------------------------------------------

#: Reference date of the data set: ages and date-dependent counts of the ground truth are stated as of it.
AS_OF = date(2020, 12, 31)
#: Baseline registrations (kpm_registrasi) happen on working days in this window.
REGISTRATION_START = date(2019, 1, 7)
REGISTRATION_END = date(2019, 4, 30)
#: Monitoring visits (kpm_kunjungan): the first one about a quarter after registration, never before this day.
FIRST_VISIT_NOT_BEFORE = date(2019, 4, 1)
#: No visit after this day (so every submission reaches the server by AS_OF).
LAST_VISIT_DAY = date(2020, 12, 26)
#: Days between two visits of one KPM ("about quarterly", domain §6.2 form B) [ASSUMPTION].
VISIT_GAP_DAYS = (80, 110)
#: Large-scale social restrictions (PSBB) of spring 2020: half of the visits due then slip by up to 30 days.
PANDEMIC_SLOWDOWN = (date(2020, 4, 1), date(2020, 5, 31))
#: Income shock of the pandemic: share of KPM hit, factor on income, months it lasts [ASSUMPTION].
PANDEMIC_SHOCK_START = date(2020, 4, 1)
PANDEMIC_SHOCK_END = date(2020, 9, 30)
PANDEMIC_SHOCK_SHARE = 0.35
PANDEMIC_SHOCK_FACTOR = 0.8

#: Western Indonesian Time: device times carry +07:00, server times are UTC.
WIB_OFFSET_HOURS = 7

# --- Regions and volumes (domain §1.1, §4.1) ----------------------------------------------------------------

#: KPM per kabupaten/kota in 2019 (Republika 2019, domain §1.1); sums to 50,000.
KPM_2019: dict[str, int] = {
    "3601": 12_687,  # Kab. Pandeglang
    "3602": 11_397,  # Kab. Lebak
    "3603": 3_050,  # Kab. Tangerang
    "3604": 11_501,  # Kab. Serang
    "3671": 2_936,  # Kota Tangerang
    "3672": 1_905,  # Kota Cilegon
    "3673": 5_522,  # Kota Serang
    "3674": 1_002,  # Kota Tangerang Selatan
}
#: 330 pendamping province-wide, 59 of them in Pandeglang (the October 2019 article, domain §1.1, §6.6).
PENDAMPING_TOTAL = 330
PENDAMPING_FIXED: dict[str, int] = {"3601": 59}

#: Relative KPM weight of a kelurahan (urban, code 1xxx) against a desa (2xxx) inside a kabupaten
#: ("rural share higher in Pandeglang/Lebak/Kab. Serang", domain §6.6) [ASSUMPTION].
KELURAHAN_WEIGHT_IN_KABUPATEN = 0.5
#: Spread of the KPM weight of kecamatan and desa: weight = uniform(low, high) [ASSUMPTION].
KECAMATAN_WEIGHT_RANGE = (0.4, 1.6)
DESA_WEIGHT_RANGE = (0.3, 1.7)

#: Approximate land boxes of each kabupaten/kota (lat_min, lat_max, lon_min, lon_max) used to place synthetic
#: homes; coordinates are not real addresses and not checked against desa boundaries [ASSUMPTION].
KAB_BOX: dict[str, tuple[float, float, float, float]] = {
    "3601": (-6.85, -6.25, 105.70, 106.05),
    "3602": (-6.95, -6.35, 106.00, 106.45),
    "3603": (-6.33, -6.05, 106.38, 106.68),
    "3604": (-6.28, -6.02, 105.98, 106.40),
    "3671": (-6.24, -6.14, 106.57, 106.71),
    "3672": (-6.07, -5.94, 105.99, 106.09),
    "3673": (-6.17, -6.05, 106.11, 106.24),
    "3674": (-6.36, -6.24, 106.65, 106.77),
}

#: Bank that pays Jamsosratu per kabupaten/kota in 2019 (domain §1.1: Bank Banten for the Serang, Tangerang
#: and Cilegon areas, bank bjb for Lebak and Pandeglang); 2020 keeps the 2019 channel [ASSUMPTION].
BANK_BY_KAB: dict[str, str] = {
    "3601": "bjb",
    "3602": "bjb",
    "3603": "bank_banten",
    "3604": "bank_banten",
    "3671": "bank_banten",
    "3672": "bank_banten",
    "3673": "bank_banten",
    "3674": "bank_banten",
}

#: Kecamatan struck by the Sunda Strait tsunami of 22 December 2018 (Pandeglang coast); their KPM report
#: "bencana" more often in 2019 [ASSUMPTION on the rate].
TSUNAMI_KECAMATAN = frozenset({"360101", "360105", "360106", "360109", "360112", "360128", "360129"})

# --- Poverty line (domain §4.3) -----------------------------------------------------------------------------

#: Poverty line (garis kemiskinan, Rp per capita per month) per kabupaten/kota and year. The Banten 2019 line was
#: not found; ≈Rp500,000 is assumed (domain §4.3) and spread by kabupaten/kota the way the 2021 lines differ
#: (rural south lower, the Tangerang cities higher); 2020 = 2019 + 4% [ASSUMPTION].
POVERTY_LINE_RP: dict[tuple[str, int], int] = {}
_GK_2019 = {
    "3601": 470_000,
    "3602": 460_000,
    "3603": 510_000,
    "3604": 480_000,
    "3671": 560_000,
    "3672": 530_000,
    "3673": 500_000,
    "3674": 580_000,
}
for _kab, _line in _GK_2019.items():
    POVERTY_LINE_RP[(_kab, 2019)] = _line
    POVERTY_LINE_RP[(_kab, 2020)] = round(_line * 1.04 / 1000) * 1000

#: Savings + saleable assets below this are a deprivation (BPS #14, kept as published, domain §6.3).
ASSET_THRESHOLD_RP = 500_000
#: Land up to this many m² makes a farming head "petani gurem" (BPS #12, domain §2.1).
SMALL_FARM_M2 = 500
#: Floor area per person below this is a deprivation (BPS #1, domain §2.1).
MIN_FLOOR_PER_PERSON_M2 = 8

# --- Households (domain §6.6) -------------------------------------------------------------------------------

#: Household size distribution: P(2)=3%, 3=12%, 4=24%, 5=26%, 6=17%, 7=10%, 8+=8% (domain §6.6; the 8+ share is
#: split 8:5%, 9:2%, 10:1% [ASSUMPTION]). Note: this shape has a mean of ≈5.1, slightly above the 4.9 the same
#: table quotes; the shape is followed.
HOUSEHOLD_SIZE: dict[int, float] = {2: 3, 3: 12, 4: 24, 5: 26, 6: 17, 7: 10, 8: 5, 9: 2, 10: 1}
#: Shares of KPM at baseline (domain §6.6, all [ASSUMPTION] there).
SHARE_PREGNANT = 0.06
SHARE_TODDLER = 0.40
SHARE_ELDERLY = 0.22
SHARE_SEVERE_DISABILITY = 0.03
SHARE_MILD_DISABILITY = 0.06  # [ASSUMPTION] one member with a mild/moderate disability
SCHOOL_AGE_MEAN = 1.8  # children 7-18 per KPM (target)
SHARE_WITH_SCHOOL_AGE = 0.90
#: Enrolment of school-age children by level (domain §6.6).
ENROLMENT = {"sd_mi": 0.97, "smp_mts": 0.88, "sma_smk_ma": 0.65}
#: Share of enrolled child-months with attendance >= 85% (domain §6.6).
ATTENDANCE_GOOD_SHARE = 0.80
#: Baseline category targets (domain §6.6); the category actually recorded is computed from the answers.
BASELINE_CATEGORY: dict[str, float] = {
    "sangat_miskin": 0.45,
    "miskin": 0.35,
    "hampir_miskin": 0.15,
    "rentan_miskin": 0.05,
}
#: Trajectories over the whole period (Jan 2019 - Dec 2020), chosen so that the yearly moves match domain §6.6
#: (up one category 15-25%/yr, down 5-10%/yr, graduate 3-8%/yr from year 2) [ASSUMPTION].
TRAJECTORY: dict[str, float] = {"naik": 0.30, "turun": 0.10, "stabil": 0.60}
#: Shares of "naik" and "stabil" families that become ready to graduate during the period (the rest keep at
#: least one must-pass criterion of domain §6.3 unmet at every visit) [ASSUMPTION].
READY_SHARE_NAIK = 0.45
READY_SHARE_STABIL = 0.10

# --- Disbursements (domain §1.1, §6.6) ----------------------------------------------------------------------

#: (tahun_anggaran, tahap, amount Rp, first pay day, last pay day). 2019: two tranches (Republika 2019);
#: 2020: one tranche of Rp1,250,000 (domain §1.1). The pay windows are [ASSUMPTION].
TRANCHES: tuple[tuple[int, str, int, date, date], ...] = (
    (2019, "1", 1_000_000, date(2019, 4, 15), date(2019, 5, 24)),
    (2019, "2", 750_000, date(2019, 9, 9), date(2019, 10, 25)),
    (2020, "sekaligus", 1_250_000, date(2020, 6, 15), date(2020, 7, 31)),
)
#: Tranche receipt: 95% full, 2% partial, 3% problems (domain §6.6).
RECEIPT_FULL = 0.95
RECEIPT_PARTIAL = 0.02

# --- Server-side activity ------------------------------------------------------------------------------------

#: Share of registrations corrected later by a new version (edit) [ASSUMPTION, brief].
SHARE_EDITED_REGISTRATIONS = 0.02
#: Review states set by Dinsos staff on submissions of every form [ASSUMPTION, brief].
SHARE_APPROVED = 0.10
SHARE_HAS_ISSUES = 0.01
SHARE_REJECTED = 0.005
#: Share of visits sent twice by mistake (a second instanceID); staff delete the duplicate [ASSUMPTION].
SHARE_DUPLICATE_VISITS = 0.001
