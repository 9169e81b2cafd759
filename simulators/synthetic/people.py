"""Household members: the roster at registration, ages, schooling, and the changes over time.

Ages follow the relations: a mother is 16-44 at each of her children's births, a father is near her age, an
elderly parent of the head is 18+ years older than the head, grandchildren are born to a married child.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from .assumptions import ENROLMENT, SHARE_MILD_DISABILITY, SHARE_SEVERE_DISABILITY
from .rng import Weighted, pick

DAYS_PER_YEAR = 365.2425

#: School levels in the order a child goes through them (choice names of the ``jenjang`` list).
LEVELS = ("sd_mi", "smp_mts", "sma_smk_ma", "pt")
#: First "school age" (age on 1 July of the school year) of each level.
LEVEL_START = {"sd_mi": 6, "smp_mts": 12, "sma_smk_ma": 15, "pt": 18}
LEVEL_END = {"sd_mi": 11, "smp_mts": 14, "sma_smk_ma": 17, "pt": 21}
#: Highest education completed when a child stops after a level (choice names of ``pendidikan``).
EDUCATION_AFTER = {0: "tidak_sekolah", 1: "sd", 2: "smp", 3: "sma", 4: "pt"}


def age_on(birth: date, day: date) -> int:
    """Age in completed years on ``day``."""
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def months_between(start: date, end: date) -> int:
    """Completed months from ``start`` to ``end``."""
    return (end.year - start.year) * 12 + end.month - start.month - (end.day < start.day)


def school_age(birth: date, day: date) -> int:
    """Age on 1 July of the school year ``day`` falls in (the Indonesian school year starts mid-July)."""
    start_year = day.year if (day.month, day.day) >= (7, 15) else day.year - 1
    return age_on(birth, date(start_year, 7, 1))


_DAYS: dict[int, date] = {}


def shared(day: date) -> date:
    """One shared object per calendar day: the data set holds hundreds of thousands of (repeated) dates."""
    return _DAYS.setdefault(day.toordinal(), day)


def years_before(day: date, years: float) -> date:
    """The date ``years`` (fractional) before ``day``."""
    return day - timedelta(days=round(years * DAYS_PER_YEAR))


@dataclass(slots=True)
class Member:
    """One person of a KPM household (ground truth).

    ``joined`` is None for members on the roster at registration, else the day of birth or arrival; ``left`` and
    ``left_reason`` ("meninggal" or "pindah_keluar") are set when the member leaves during the period.
    """

    index: int
    name: str
    nik: str
    sex: str  # "l" or "p"
    relation: str  # choice name of the ``hubungan`` list
    birth_date: date
    education: str  # pendidikan_tertinggi for adults; children derive theirs from school
    occupation: str
    disability: str = "tidak"
    jkn: bool = False
    school_levels: int = 0  # levels entered: 0 none, 1 SD, 2 SMP, 3 SMA, 4 PT
    paud: bool = False
    dropout_age: int | None = None  # school age at which an SD pupil left
    joined: date | None = None
    left: date | None = None
    left_reason: str | None = None
    pregnancies: tuple[tuple[date, date], ...] = ()  # (known from, due/birth date)
    mother: int | None = None  # roster index of the mother when she is in the household
    growth_z: float = 0.0  # height-for-age z-score of a toddler (stunting below -2)
    school_table: tuple[tuple[str, str | None], ...] | None = field(default=None, repr=False, compare=False)

    def age(self, day: date) -> int:
        return age_on(self.birth_date, day)

    def active(self, day: date) -> bool:
        """True when the person belongs to the household on ``day``."""
        return (self.joined is None or self.joined <= day) and (self.left is None or self.left > day)

    def pregnant(self, day: date) -> tuple[date, date] | None:
        """The pregnancy (known-from, due) running on ``day``, counted from conception, or None."""
        for start, due in self.pregnancies:
            if due - timedelta(days=270) <= day < due:
                return start, due
        return None

    def school(self, day: date) -> tuple[str, str | None] | None:
        """(partisipasi_sekolah, jenjang_sekolah) on ``day`` for ages 5-21, else None.

        ``jenjang`` is the current level when still at school, the last one attended when no longer at school,
        and None for a child who never went to school.
        """
        b = self.birth_date
        y, md = day.year, (day.month, day.day)
        bmd = (b.month, b.day)
        age = y - b.year - (md < bmd)
        if age < 5 or age > 21:
            return None
        start_year = y if md >= (7, 15) else y - 1
        sage = start_year - b.year - (bmd > (7, 1))
        table = self.school_table
        if table is None:
            table = self.school_table = school_table(self.school_levels, self.paud, self.dropout_age)
        return table[min(max(sage, 0), 25)]

    def education_on(self, day: date) -> str:
        """pendidikan_tertinggi on ``day``: children's follow from their schooling."""
        if self.age(day) >= 22 or self.relation in ("kepala", "istri_suami", "orang_tua", "menantu"):
            return self.education
        status = self.school(day)
        if status is None:
            return "tidak_sekolah" if self.age(day) < 22 else self.education
        participation, level = status
        if participation == "belum_pernah" or level in (None, "paud_tk"):
            return "tidak_sekolah"
        done = LEVELS.index(level) + (1 if participation == "tidak_lagi" else 0)
        return "tidak_tamat_sd" if done == 0 else EDUCATION_AFTER[done]


_SCHOOL_TABLES: dict[tuple[int, bool, int | None], tuple[tuple[str, str | None], ...]] = {}


def school_table(levels: int, paud: bool, dropout: int | None) -> tuple[tuple[str, str | None], ...]:
    """(partisipasi, jenjang) by school age 0-25 for a school track (shared between pupils with one track)."""
    key = (levels, paud, dropout)
    table = _SCHOOL_TABLES.get(key)
    if table is None:
        table = _SCHOOL_TABLES[key] = tuple(_status_at(sage, levels, paud, dropout) for sage in range(26))
    return table


def _status_at(sage: int, levels: int, paud: bool, dropout: int | None) -> tuple[str, str | None]:
    if sage < LEVEL_START["sd_mi"]:
        return ("masih_sekolah", "paud_tk") if paud else ("belum_pernah", None)
    if levels == 0:
        return ("belum_pernah", None)
    reached = 0
    for i, level in enumerate(LEVELS[:levels], start=1):
        if sage >= LEVEL_START[level]:
            reached = i
    level = LEVELS[reached - 1]
    if reached == 1 and dropout is not None and sage >= dropout:
        return ("tidak_lagi", "sd_mi")
    if sage <= LEVEL_END[level]:
        return ("masih_sekolah", level)
    return ("tidak_lagi", level)


def first_name(name: str) -> str:
    """What the form's ``nama_depan`` calculate makes of a name: the first word without ``:|,``."""
    word = name.split(None, 1)[0] if name.strip() else ""
    return word.translate(_NAME_STRIP) if (":" in word or "|" in word or "," in word) else word


_NAME_STRIP = {ord(":"): None, ord("|"): None, ord(","): None}


# --- Distributions -----------------------------------------------------------------------------------------

_ADULT_EDUCATION = Weighted(
    {"tidak_sekolah": 8, "tidak_tamat_sd": 22, "sd": 40, "smp": 19, "sma": 10, "pt": 1}
)
_ELDER_EDUCATION = Weighted({"tidak_sekolah": 30, "tidak_tamat_sd": 35, "sd": 30, "smp": 5})
_SPOUSE_OCCUPATION_RURAL = Weighted(
    {"tidak_bekerja": 55, "buruh_tani": 18, "pedagang_usaha": 12, "art_jasa": 8, "petani_lahan_sendiri": 5,
     "lainnya": 2}
)  # fmt: skip
_SPOUSE_OCCUPATION_URBAN = Weighted(
    {"tidak_bekerja": 55, "pedagang_usaha": 20, "art_jasa": 15, "buruh_pabrik": 8, "lainnya": 2}
)
_YOUNG_ADULT_OCCUPATION = Weighted(
    {"tidak_bekerja": 35, "buruh_pabrik": 15, "buruh_bangunan": 12, "buruh_tani": 12, "art_jasa": 10,
     "pedagang_usaha": 8, "ojek_sopir": 8}
)  # fmt: skip
_HOUSEHOLD_KIND = Weighted({"couple": 82, "female_head": 13, "widower": 2, "skip": 3})


def draw_school_track(rng: random.Random) -> tuple[int, bool, int | None]:
    """(levels entered, went to PAUD/TK, SD dropout school age) for a child, matching the enrolment shares."""
    paud = rng.random() < 0.45
    if rng.random() >= 0.985:
        return 0, paud, None
    dropout = pick(rng, (9, 10, 11)) if rng.random() < 0.015 else None
    p_smp = ENROLMENT["smp_mts"] / ENROLMENT["sd_mi"]
    p_sma = ENROLMENT["sma_smk_ma"] / ENROLMENT["smp_mts"]
    if dropout is not None or rng.random() >= p_smp:
        return 1, paud, dropout
    if rng.random() >= p_sma:
        return 2, paud, None
    return (4 if rng.random() < 0.08 else 3), paud, None


@dataclass(slots=True)
class Proto:
    """A member before names and NIKs are given."""

    relation: str
    sex: str
    age_years: float
    mother: int | None = None
    kind: str = "child"  # "head", "spouse", "elder", "child", "inlaw", "grandchild", "other"


#: Relative chance of a toddler by number of own children: one-child families are rarely toddler-only
#: (the ≥90% of KPM with a school-age child, domain §6.6) [ASSUMPTION].
_TODDLER_BY_CHILDREN = {0: 0.0, 1: 0.3, 2: 1.0, 3: 1.15}


def compose(
    rng: random.Random, size: int, *, toddler_share: float, elderly: bool, rural: bool
) -> list[Proto]:
    """The roster of one household: relations, sexes and ages (in years at registration).

    The first member is the head (kepala). The mother of the children is the wife or the female head.
    """
    kind = _HOUSEHOLD_KIND.draw(rng)
    if kind == "skip" and size < 3:
        kind = "female_head"
    if kind == "skip":
        return _compose_skip_generation(rng, size, toddler=rng.random() < toddler_share)
    adults = 2 if kind == "couple" else 1
    elders = 0
    if elderly:
        elders = 2 if (rng.random() < 0.2 and size - adults >= 3) else 1
        if size - adults - elders < 1:
            elders = 0
    slots = size - adults - elders
    married_child = slots >= 4 and rng.random() < 0.12
    own = slots - 2 if married_child else slots
    toddler = rng.random() < toddler_share * _TODDLER_BY_CHILDREN[min(own, 3)]

    ages = _children_ages(
        rng, own, toddler=toddler and not married_child, oldest_min=20 if married_child else 0
    )
    oldest, youngest = (max(ages), min(ages)) if ages else (0.0, 0.0)
    # Mother's age: 16-27 at the first birth, at most 44 at the last one.
    first_birth = rng.uniform(16.5, 27.0)
    first_birth = min(first_birth, 44.0 - (oldest - youngest))
    mother_age = max(first_birth, 16.0) + oldest if ages else rng.uniform(18.0, 32.0)
    father_age = max(mother_age + rng.uniform(-1.0, 9.0), 19.0)

    roster: list[Proto] = []
    if kind == "female_head":
        roster.append(Proto("kepala", "p", mother_age, kind="head"))
        mother = 0
    elif kind == "widower":
        roster.append(Proto("kepala", "l", father_age, kind="head"))
        mother = None
    else:
        roster.append(Proto("kepala", "l", father_age, kind="head"))
        roster.append(Proto("istri_suami", "p", mother_age, kind="spouse"))
        mother = 1
    head_age = roster[0].age_years
    for i in range(elders):
        age = min(max(head_age + rng.uniform(20.0, 32.0), 60.0 + rng.uniform(0, 8)), 93.0)
        if i == 0:
            sex = "p" if rng.random() < 0.65 else "l"
        else:  # the second elder is the spouse of the first
            sex = "l" if roster[-1].sex == "p" else "p"
        roster.append(Proto("orang_tua", sex, age, kind="elder"))
    married = None
    for age in sorted(ages, reverse=True):
        relation = (
            "lainnya"
            if rng.random() < 0.02 and age > 6 and (married is not None or not married_child)
            else "anak"
        )
        if married_child and married is None:
            married = len(roster)
        roster.append(
            Proto(relation, "l" if rng.random() < 0.51 else "p", age, mother if relation == "anak" else None)
        )
    if married is not None:
        child = married
        inlaw_sex = "l" if roster[child].sex == "p" else "p"
        roster.append(Proto("menantu", inlaw_sex, roster[child].age_years + rng.uniform(-3, 4), kind="inlaw"))
        grandmother = child if roster[child].sex == "p" else len(roster) - 1
        roster.append(Proto("cucu", "l" if rng.random() < 0.51 else "p", rng.uniform(0.0, 4.99), grandmother))
    return roster


def _children_ages(rng: random.Random, count: int, *, toddler: bool, oldest_min: float) -> list[float]:
    if count <= 0:
        return []
    youngest = rng.uniform(0.0, 4.99) if toddler else rng.uniform(6.8, 13.0)
    ages = [youngest]
    for _ in range(count - 1):
        ages.append(ages[-1] + rng.uniform(2.5, 6.0))
    span = ages[-1] - ages[0]
    if span > 26.0:  # keep all births inside the mother's fertile years
        ages = [youngest + (a - youngest) * 26.0 / span for a in ages]
    if oldest_min and ages[-1] < oldest_min:
        ages[-1] = oldest_min + rng.uniform(0.0, 6.0)
    return ages


def _compose_skip_generation(rng: random.Random, size: int, *, toddler: bool) -> list[Proto]:
    """A grandmother (often with the grandfather) raising grandchildren whose parents work away."""
    head_sex = "p" if rng.random() < 0.6 else "l"
    head_age = rng.uniform(58.0, 74.0)
    roster = [Proto("kepala", head_sex, head_age, kind="head")]
    if size >= 4 and rng.random() < 0.5:
        roster.append(
            Proto(
                "istri_suami", "p" if head_sex == "l" else "l", head_age + rng.uniform(-6, 6), kind="spouse"
            )
        )
    count = size - len(roster)
    ages = _children_ages(rng, count, toddler=toddler, oldest_min=0)
    for age in sorted(ages, reverse=True):
        roster.append(Proto("cucu", "l" if rng.random() < 0.51 else "p", age, None))
    return roster


def adult_education(rng: random.Random, age: float) -> str:
    return (_ELDER_EDUCATION if age >= 55 else _ADULT_EDUCATION).draw(rng)


def adult_occupation(rng: random.Random, proto: Proto, rural: bool) -> str:
    """Occupation of a non-head member (the head's depends on the poverty profile, see household.py)."""
    if proto.kind == "elder":
        return "tidak_bekerja" if rng.random() < 0.7 else ("buruh_tani" if rural else "pedagang_usaha")
    if proto.kind == "spouse" and proto.sex == "p":
        return (_SPOUSE_OCCUPATION_RURAL if rural else _SPOUSE_OCCUPATION_URBAN).draw(rng)
    return _YOUNG_ADULT_OCCUPATION.draw(rng)


def disability_for(rng: random.Random, protos: list[Proto]) -> dict[int, str]:
    """Which members have a disability: one severe case in 3% of KPM, one mild/moderate in 6%."""
    result: dict[int, str] = {}
    if rng.random() < SHARE_SEVERE_DISABILITY:
        weights = [3.0 if p.kind == "elder" else 1.0 for p in protos]
        result[rng.choices(range(len(protos)), weights)[0]] = "berat"
    if rng.random() < SHARE_MILD_DISABILITY:
        i = rng.randrange(len(protos))
        result.setdefault(i, "ringan_sedang")
    return result
