"""Monitoring visits: what the pendamping finds and records at each visit, and the ground truth behind it.

Each visit is drawn from its own stream (seed, household, visit number) and from a few values carried over from
the previous visit (what the phone's Entity row showed, the category and checklist of the last contact), so a
household's visits can be replayed in order at any time with the same result.

How a household moves (domain §6.6 yearly transitions, [ASSUMPTION] on the mechanics): income per capita
follows ``baseline ratio x exp(growth x years)`` with a trajectory-specific growth (naik > 0, turun < 0,
stabil ~ 0), a pandemic shock in 2020 for some, and visit noise; savings accumulate or drain; houses get the
improvements planned for them; food and attendance follow income and the household's diligence.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from .assumptions import (
    PANDEMIC_SHOCK_END,
    PANDEMIC_SHOCK_FACTOR,
    PANDEMIC_SHOCK_START,
    TSUNAMI_KECAMATAN,
)
from .household import USAHA, Household
from .people import Member, months_between
from .rng import VISIT, Weighted, mix, normal, reseed, ri
from .welfare import LEVELS, Checklist, Welfare, assess

#: perubahan_rumah item -> the answer the house has after the improvement.
IMPROVED = {
    "lantai": ("jenis_lantai", "semen_plester"),
    "dinding": ("jenis_dinding", "tembok_plester"),
    "atap": ("jenis_atap", "genteng"),
    "jamban": ("fasilitas_bab", "sendiri"),
    "listrik": ("sumber_penerangan", "pln_meteran"),
    "air": ("sumber_air_minum", "sumur_bor_pompa"),
}
_LOST_JOB_WORK = frozenset({"buruh_pabrik", "ojek_sopir", "art_jasa", "buruh_bangunan", "pedagang_usaha"})
_MODULES = (
    "pengasuhan_pendidikan",
    "keuangan_usaha",
    "kesehatan_gizi",
    "perlindungan_anak",
    "kesejahteraan_sosial",
    "stunting",
)
_NEVER_SCHOOLED = Weighted({"biaya": 50, "jarak_jauh": 30, "lainnya": 20})
_LEFT_SCHOOL = Weighted({"biaya": 45, "jarak_jauh": 10, "lainnya": 10})
_LEFT_SCHOOL_14 = Weighted({"biaya": 45, "jarak_jauh": 10, "lainnya": 10, "bekerja": 30})
_LEFT_SCHOOL_GIRL_16 = Weighted({"biaya": 45, "jarak_jauh": 10, "lainnya": 10, "bekerja": 30, "menikah": 10})
_IMMUNISATION: dict[float, Weighted[str]] = {}


def _immunisation(diligence: float) -> Weighted[str]:
    """Immunisation on schedule is likelier in diligent households."""
    found = _IMMUNISATION.get(diligence)
    if found is None:
        found = _IMMUNISATION[diligence] = Weighted({"ya": 60 + 30 * diligence, "tidak": 12, "tidak_tahu": 8})
    return found


_VERIFICATION = Weighted({"guru_wali": 30, "buku_absen": 45, "laporan_ortu": 25})
_NOTES = (
    "KPM kooperatif, rumah bersih.",
    "Anak-anak rajin sekolah.",
    "Ibu mulai ikut arisan dan menabung.",
    "Penghasilan suami tidak menentu.",
    "Perlu pendampingan usaha.",
    "Balita rutin ke posyandu.",
    "KPM mengeluh harga kebutuhan naik.",
    "Rumah sedang diperbaiki.",
)
#: WHO-like medians of weight (kg) and length/height (cm) by month of age for boys; girls slightly less.
_WEIGHT = ((0, 3.3), (6, 7.9), (12, 9.6), (24, 12.2), (36, 14.3), (48, 16.3), (60, 18.3))
_HEIGHT = ((0, 49.9), (6, 67.6), (12, 75.7), (24, 87.1), (36, 96.1), (48, 103.3), (60, 110.0))


def _segments(table: tuple[tuple[int, float], ...]) -> tuple[tuple[int, int, float, float], ...]:
    return tuple(
        (m0, m1, v0, (v1 - v0) / (m1 - m0)) for (m0, v0), (m1, v1) in zip(table, table[1:], strict=False)
    )


_WEIGHT_SEGMENTS = _segments(_WEIGHT)
_HEIGHT_SEGMENTS = _segments(_HEIGHT)


def _interpolate(segments: tuple[tuple[int, int, float, float], ...], months: int) -> float:
    for m0, m1, v0, slope in segments:
        if months <= m1:
            return v0 + slope * (months - m0)
    m0, m1, v0, slope = segments[-1]
    return v0 + slope * (m1 - m0)


@dataclass(slots=True)
class ChildRow:
    """A row of the ``pantau_anak`` repeat."""

    member: Member
    urutan: int | None  # registration position (None for a child not on the roster)
    name: str  # the roster's first name, or the full name typed for a new child
    in_school: bool
    status: str = "sekolah"  # status_anak: sekolah, tidak_sekolah, tidak_serumah (left the household)
    hari_efektif: int | None = None
    hadir_hari: int | None = None
    pct: float | None = None  # pct_hadir: round(100 * hadir / efektif, 1), half up as in XForms
    verification: str | None = None
    reason: str | None = None


@dataclass(slots=True)
class ToddlerRow:
    """A row of the ``pantau_balita`` repeat."""

    member: Member
    urutan: int | None
    name: str
    weighed: bool
    weight_kg: float | None
    height_cm: float | None
    immunised: str


@dataclass(slots=True)
class EntityView:
    """The ``kpm`` Entity row the phone held when the form was filled (what the ``pre_*`` fields read).

    Sync push is assumed to refresh it daily from a warehouse that holds the registration and the previous
    visits: member lists (urutan:first name) from the registration roster with ages as of the visit day,
    pregnancies, category and graduation status as of the last contact [ASSUMPTION].
    """

    household: Household
    children: list[tuple[int, str]]  # (urutan, first name) of the anak_sekolah list
    toddlers: list[tuple[int, str]]
    elderly: list[tuple[int, str]]
    pregnant: list[tuple[int, str]]
    n_hamil: int
    kategori: str
    status_graduasi: str
    last_visit: str
    penilaian: str

    @property
    def n_lansia(self) -> int:
        return len(self.elderly)

    def row(self, nama_desa: str) -> dict[str, str]:
        """The Entity List row (``name``, ``label`` and every property) as the phone's ``kpm.csv`` has it on
        Central: ``name`` is the entity UUID, the KPM id is the property ``id_kpm``."""
        h = self.household
        return {
            "name": h.entity_name,
            "label": f"{h.id_kpm} {h.nama_pengurus}",
            "id_kpm": h.id_kpm,
            "nama_pengurus": h.nama_pengurus,
            "pendamping_id": h.pendamping_id,
            "kode_kabkota": h.kabupaten,
            "kode_kecamatan": h.kecamatan,
            "kode_desa": h.desa,
            "nama_desa": nama_desa,
            "bank_penyalur": h.bank,
            "tanggal_registrasi": h.registered_on.isoformat(),
            "jumlah_art": str(h.registered),
            "ringkasan_anggota": h.summary,
            "anak_sekolah": _tokens(self.children),
            "balita": _tokens(self.toddlers),
            "ibu_hamil": _tokens(self.pregnant),
            "lansia": _tokens(self.elderly),
            "n_anak_sekolah": str(len(self.children)),
            "n_balita": str(len(self.toddlers)),
            "n_hamil": str(self.n_hamil),
            "n_lansia": str(len(self.elderly)),
            "n_disabilitas_berat": str(h.severe),
            "skor_bps": str(h.phone_bps),
            "kategori": self.kategori,
            "status_graduasi": self.status_graduasi,
            "tanggal_kunjungan_terakhir": self.last_visit,
            "penilaian_terakhir": self.penilaian,
        }


def _tokens(items: list[tuple[int, str]]) -> str:
    return " ".join(f"{u}:{n}" for u, n in items)


@dataclass(slots=True)
class Carry:
    """What one visit hands to the next: the last contact's state as the warehouse would know it."""

    last_contact: date
    last_visit: date | None
    level: int
    passes: list[tuple[date, bool]] = field(default_factory=list)
    pregnant_members: tuple[int, ...] = ()
    penilaian: str | None = None


@dataclass(slots=True)
class Visit:
    """One monitoring visit: the answers of kpm_kunjungan and the ground truth assessed from them."""

    index: int
    day: date
    met: str  # kpm_ditemui
    entity: EntityView
    location: tuple[float, float, float, float] | None = None
    # the answers below stay empty when the family was not met
    changes: tuple[str, ...] = ()
    counts: dict[str, int] = field(default_factory=dict)
    change_note: str | None = None
    children: list[ChildRow] = field(default_factory=list)
    toddlers: list[ToddlerRow] = field(default_factory=list)
    still_pregnant: str | None = None
    n_hamil: int = 0
    anc: int | None = None
    birth_at_facility: str | None = None
    elderly_checked: str | None = None
    disability_service: str | None = None
    p2k2: str | None = None
    module: str | None = None
    head_work: str | None = None
    workers: int | None = None
    sources: tuple[str, ...] = ()
    income: int | None = None
    savings: int | None = None
    business: bool | None = None
    business_kind: str | None = None
    aid_use: tuple[str, ...] = ()
    meals: int | None = None
    protein: int | None = None
    food_shortage: bool | None = None
    house_changes: tuple[str, ...] = ()
    problems: tuple[str, ...] = ()
    referrals: tuple[str, ...] = ()
    penilaian: str | None = None
    note: str | None = None
    # ground truth
    welfare: Welfare | None = None
    level: int | None = None
    bps_score: int | None = None
    checklist: Checklist | None = None
    eligible: bool = (
        False  # layak_graduasi: checklist passed on this and the previous visit >= 90 days before
    )

    @property
    def category(self) -> str | None:
        return LEVELS[self.level] if self.level is not None else None


def start_carry(h: Household) -> Carry:
    level = LEVELS.index(h.category)
    reg = h.registered_on
    pregnant = tuple(i for i, _known, due in h.pregnancies if due - _GESTATION <= reg < due)
    return Carry(last_contact=reg, last_visit=None, level=level, pregnant_members=pregnant)


_GESTATION = timedelta(days=270)


def house_on(h: Household, day: date) -> dict[str, str]:
    """The dwelling answers on ``day``: baseline plus the improvements made by then."""
    b = h.baseline
    house = {
        "jenis_lantai": b.jenis_lantai,
        "jenis_dinding": b.jenis_dinding,
        "jenis_atap": b.jenis_atap,
        "fasilitas_bab": b.fasilitas_bab,
        "sumber_penerangan": b.sumber_penerangan,
        "sumber_air_minum": b.sumber_air_minum,
    }
    for when, item in h.improvements:
        if when <= day:
            key, value = IMPROVED[item]
            house[key] = value
    return house


def entity_view(h: Household, day: date, carry: Carry) -> EntityView:
    """The Entity row of the KPM as the phone saw it on ``day`` (see :class:`EntityView`)."""
    children: list[tuple[int, str]] = []
    toddlers: list[tuple[int, str]] = []
    elderly: list[tuple[int, str]] = []
    y, md = day.year, day.month * 100 + day.day
    last = carry.last_contact
    for urutan, name, birth_year, birth_md, left in h.roster:
        if left is not None and left <= last:
            continue
        age = y - birth_year - (md < birth_md)
        if 7 <= age <= 18:
            children.append((urutan, name))
        elif age <= 4:
            toddlers.append((urutan, name))
        elif age >= 60:
            elderly.append((urutan, name))
    roster = h.roster
    pregnant = [roster[i][:2] for i in carry.pregnant_members if i < h.registered]
    return EntityView(
        h,
        children,
        toddlers,
        elderly,
        pregnant,
        len(carry.pregnant_members),
        LEVELS[min(carry.level, 3)],
        "layak_graduasi" if _eligible(carry.passes) else "aktif",
        carry.last_visit.isoformat() if carry.last_visit else "",
        carry.penilaian or "",
    )


def _eligible(passes: list[tuple[date, bool]]) -> bool:
    """Met on the two most recent visits, at least 90 days apart (domain §6.3)."""
    if len(passes) < 2:
        return False
    (d1, p1), (d2, p2) = passes[-2], passes[-1]
    return p1 and p2 and (d2 - d1).days >= 90


_ORDER_SOURCES = (
    "upah_buruh",
    "usaha_sendiri",
    "pertanian_perikanan",
    "gaji_tetap",
    "kiriman_keluarga",
    "lainnya",
)
_ORDER_PROBLEMS = ("anak_putus_sekolah", "sakit_kronis", "kdrt", "utang", "kehilangan_kerja", "bencana")
_ORDER_REFERRALS = ("puskesmas", "sekolah_pip", "dukcapil", "bpjs", "uep", "lainnya")
_REFERRAL_FOR = {
    "anak_putus_sekolah": ("sekolah_pip",),
    "sakit_kronis": ("puskesmas", "bpjs"),
    "kdrt": ("lainnya",),
    "utang": ("uep",),
    "kehilangan_kerja": ("uep",),
    "bencana": ("lainnya",),
}
_CHANGE_CODES = (
    ("lahir", "lahir"),
    ("meninggal", "meninggal"),
    ("pindah_keluar", "pindah_keluar"),
    ("masuk", "masuk"),
)
_CHANGE_WORDS = {
    "lahir": "kelahiran anak",
    "meninggal": "anggota meninggal dunia",
    "pindah_keluar": "anggota pindah bekerja/menikah",
    "masuk": "anggota keluarga baru ikut tinggal",
    "hamil_baru": "ibu hamil lagi",
}


def make_visit(h: Household, k: int, carry: Carry, rng: random.Random) -> tuple[Visit, Carry]:
    """Visit ``k`` of household ``h`` given what the previous contact left (``carry``)."""
    reseed(rng, mix(h.seed, VISIT, h.index, k))
    rand = rng.random
    day = h.visit_dates[k]
    entity = entity_view(h, day, carry)
    if h.exit is not None and day >= h.exit[0]:
        met = h.exit[1]
    elif (h.absent >> k) & 1:
        met = "tidak_ada_di_rumah"
    else:
        met = "ya"
    loc = h.location
    location = None
    if rand() > 0.03:
        location = (
            round(loc[0] + (rand() - 0.5) * 0.0008, 6),
            round(loc[1] + (rand() - 0.5) * 0.0008, 6),
            round(loc[2] + (rand() - 0.5) * 6, 1),
            round(3 + rand() * 17, 1),
        )
    visit = Visit(k, day, met, entity, location)
    new_carry = Carry(
        carry.last_contact, day, carry.level, carry.passes[-1:], carry.pregnant_members, carry.penilaian
    )
    if met != "ya":
        visit.note = _absence_note(met) if rand() < 0.7 else None
        return visit, new_carry

    last = carry.last_contact
    ready = h.ready_from is not None and day >= h.ready_from
    members = h.members
    if h.roster_changes:
        active = [m for m in members if m.active(day)]
    else:
        active = members[: h.registered]
    n_active = len(active)

    # Membership changes since the last contact.
    counts: dict[str, int] = {}
    new_pregnancy = False
    born = 0
    if h.timeline:
        for when, code, i in h.timeline:
            if last < when <= day:
                if code == "hamil":
                    due = next(d for j, kn, d in h.pregnancies if j == i and kn == when)
                    if day < due:
                        new_pregnancy = True
                else:
                    counts[code] = counts.get(code, 0) + 1
        born = counts.get("lahir", 0)
    changes = [code for code, _ in _CHANGE_CODES if code in counts]
    if new_pregnancy:
        changes.append("hamil_baru")
    visit.changes = tuple(changes) or ("tidak_ada",)
    visit.counts = counts
    if changes and rand() < 0.5:
        visit.change_note = "Ada " + ", ".join(_CHANGE_WORDS[c] for c in changes) + "."

    # Children 7-18: the Entity list first (row k <-> token k), then children not on the roster.
    attend = max(h.diligence, 0.97) if ready else h.diligence
    for urutan, name in entity.children:
        visit.children.append(_child_row(rng, h, members[urutan - 1], urutan, name, day, attend))
    for urutan, name in entity.toddlers:
        visit.toddlers.append(_toddler_row(rng, h, members[urutan - 1], urutan, name, day))
    if len(members) > h.registered:
        listed = {u for u, _ in entity.children}
        for m in members[h.registered :]:
            if not m.active(day):
                continue
            age = m.age(day)
            if 7 <= age <= 18 and (m.index + 1) not in listed:
                visit.children.append(_child_row(rng, h, m, None, m.name, day, attend))
            elif 0 <= age <= 4:
                visit.toddlers.append(_toddler_row(rng, h, m, None, m.name, day))

    # Pregnancy and health services.
    pregnant_now = (
        [i for i, _kn, due in h.pregnancies if due - _GESTATION <= day < due] if h.pregnancies else []
    )
    if entity.n_hamil > 0:
        visit.still_pregnant = "ya" if all(i in pregnant_now for i in carry.pregnant_members) else "tidak"
    visit.n_hamil = (0 if visit.still_pregnant == "tidak" else entity.n_hamil) + (1 if new_pregnancy else 0)
    if visit.n_hamil > 0:
        if pregnant_now:
            i = pregnant_now[0]
            due = next(d for j, _kn, d in h.pregnancies if j == i and d - _GESTATION <= day < d)
            months = (day - (due - _GESTATION)).days / 30.4
            visit.anc = max(0, min(9, round(months * 0.5 * (0.6 + 0.4 * h.diligence) + normal(rng, 0, 0.6))))
        else:
            visit.anc = ri(rng, 1, 4)
    if born:
        visit.birth_at_facility = "ya" if rand() < 0.85 else "tidak"
    if entity.elderly:
        visit.elderly_checked = "ya" if rand() < 0.45 + 0.2 * h.diligence else "tidak"
    if h.severe:
        visit.disability_service = "ya" if rand() < 0.5 else "tidak"
    visit.p2k2 = "ya" if rand() < 0.5 + 0.35 * h.diligence else "tidak"
    if visit.p2k2 == "ya":
        visit.module = _MODULES[(day.year * 12 + day.month + int(h.kabupaten)) % len(_MODULES)]

    # Economy.
    b = h.baseline
    trajectory = h.trajectory
    shock_now = (
        h.shocked and day >= PANDEMIC_SHOCK_START and (day <= PANDEMIC_SHOCK_END or trajectory == "turun")
    )
    head = members[0]
    head_work = head.occupation
    lost_job = shock_now and trajectory == "turun" and head_work in _LOST_JOB_WORK
    if lost_job:
        head_work = "tidak_bekerja"
    visit.head_work = head_work
    if h.roster_changes:
        workers = sum(1 for m in active if m.index and m.occupation != "tidak_bekerja")
        head_here = head.left is None or head.left > day
    else:
        workers, head_here = h.workers, True
    visit.workers = workers + (head_work != "tidak_bekerja" and head_here)
    years = (day - h.registered_on).days / 365.2425
    ratio = h.income_ratio0 * math.exp(h.growth * years + normal(rng, 0.0, 0.06))
    if shock_now:
        ratio *= PANDEMIC_SHOCK_FACTOR
    line = h.lines[day.year > 2019]
    visit.income = max(50_000, int(round(ratio * line * h.registered / 50_000)) * 50_000)
    months = (day.year - h.registered_on.year) * 12 + day.month - h.registered_on.month
    savings = b.tabungan_rp + h.savings_per_month * months + ri(rng, -2, 2) * 10_000
    visit.savings = max(0, int(round(savings / 10_000)) * 10_000)
    business = b.punya_usaha or (h.business_from is not None and h.business_from <= day)
    if business and lost_job and rand() < 0.4:
        business = False
    visit.business = business
    if business:
        visit.business_kind = b.jenis_usaha or USAHA[h.index % len(USAHA)]
    extra = h.extra_source_from is not None and h.extra_source_from <= day
    if not (lost_job or extra or (business and not b.punya_usaha)):
        visit.sources = b.sumber_pendapatan
    else:
        sources = set(b.sumber_pendapatan)
        sources.discard("tidak_ada")
        if business:
            sources.add("usaha_sendiri")
        if extra:
            sources.add("kiriman_keluarga" if "upah_buruh" in sources else "upah_buruh")
        if lost_job:
            sources.discard("upah_buruh")
            sources.discard("gaji_tetap")
            if not sources:
                sources.add("kiriman_keluarga")
        visit.sources = tuple(s for s in _ORDER_SOURCES if s in sources)

    # Food security follows income relative to the baseline and the poverty line.
    lift = math.log(max(ratio, 0.01) / h.income_ratio0)
    visit.protein = max(0, min(7, b.frek_protein_hewani_minggu + round(2.5 * lift + normal(rng, 0, 0.6))))
    meals = b.frek_makan_hari
    if meals <= 2 and lift > 0.15 and rand() < 0.7:
        meals = 3
    elif meals >= 3 and lift < -0.15 and rand() < 0.5:
        meals = 2
    visit.meals = meals
    per_capita = visit.income / n_active / line
    if per_capita < 0.6:
        shortage_p = 0.45
    elif per_capita < 0.8:
        shortage_p = 0.3
    elif per_capita < 1.0:
        shortage_p = 0.2
    elif per_capita < 1.2:
        shortage_p = 0.1
    else:
        shortage_p = 0.04
    visit.food_shortage = meals <= 1 or rand() < (shortage_p * 0.3 if ready else shortage_p)

    if h.improvements:
        house = house_on(h, day)
        visit.house_changes = tuple(item for when, item in h.improvements if last < when <= day) or (
            "tidak_ada",
        )
        floor_kind, wall, toilet, light, water = (
            house["jenis_lantai"],
            house["jenis_dinding"],
            house["fasilitas_bab"],
            house["sumber_penerangan"],
            house["sumber_air_minum"],
        )
    else:
        visit.house_changes = ("tidak_ada",)
        floor_kind, wall, toilet, light, water = (
            b.jenis_lantai,
            b.jenis_dinding,
            b.fasilitas_bab,
            b.sumber_penerangan,
            b.sumber_air_minum,
        )

    uses = []
    if rand() < 0.9:
        uses.append("pangan")
    if visit.children and rand() < 0.65:
        uses.append("biaya_sekolah")
    if rand() < 0.2:
        uses.append("kesehatan")
    if (business or h.trajectory == "naik") and rand() < 0.3:
        uses.append("modal_usaha")
    if rand() < (0.3 if h.trajectory == "naik" else 0.08):
        uses.append("tabungan")
    if rand() < (0.25 if h.trajectory == "turun" else 0.12):
        uses.append("bayar_utang")
    if rand() < 0.04:
        uses.append("rokok_lainnya")
    visit.aid_use = tuple(uses) or ("pangan",)

    problems = set()
    for row in visit.children:
        if row.reason is not None and (row.member.school(last) or ("",))[0] == "masih_sekolah":
            problems.add("anak_putus_sekolah")
    if (h.severe and rand() < 0.1) or rand() < 0.03:
        problems.add("sakit_kronis")
    if rand() < 0.003:
        problems.add("kdrt")
    if rand() < (0.15 if h.trajectory == "turun" else 0.05):
        problems.add("utang")
    if lost_job and (last < PANDEMIC_SHOCK_START or rand() < 0.3):
        problems.add("kehilangan_kerja")
    if (h.kecamatan in TSUNAMI_KECAMATAN and day.year == 2019 and rand() < 0.3) or rand() < 0.01:
        problems.add("bencana")
    visit.problems = tuple(p for p in _ORDER_PROBLEMS if p in problems) or ("tidak_ada",)
    if problems or born:
        referrals = set()
        for p in visit.problems:
            if p == "tidak_ada":
                continue
            options = _REFERRAL_FOR[p]
            referrals.update(options[: 1 + (rand() < 0.4)])
        if born and rand() < 0.5:
            referrals.add("dukcapil")
        visit.referrals = tuple(r for r in _ORDER_REFERRALS if r in referrals)

    # Ground truth: category and graduation checklist from these answers.
    welfare = Welfare(  # positional: members, floor, lantai, dinding, bab, penerangan, air, bbm, protein,
        # pakaian, meals, can pay, head work, land, income, line, head education, savings, assets
        n_active,
        b.luas_lantai_m2,
        floor_kind,
        wall,
        toilet,
        light,
        water,
        b.bahan_bakar_masak,
        visit.protein,
        b.beli_pakaian_setahun,
        meals,
        b.mampu_berobat,
        head_work,
        b.luas_lahan_m2,
        visit.income,
        line,
        members[0].education,
        visit.savings,
        b.nilai_aset_rp,
    )
    children = visit.children
    children_ok = all(row.in_school and row.pct >= 85 for row in children if row.status != "tidak_serumah")  # type: ignore[operator]
    health_ok = all(row.weighed for row in visit.toddlers) and (visit.n_hamil == 0 or (visit.anc or 0) >= 1)
    all_jkn = h.all_jkn if not h.roster_changes else all(m.jkn for m in active)
    n_sources = len(visit.sources)
    level, score, checks = assess(
        welfare, visit.food_shortage, n_sources, business, children_ok, health_ok, all_jkn
    )
    if checks.passes and not ready:
        # Not ready yet: one must-pass criterion fails after all (an absent child, or a lean month).
        pupils = [row for row in children if row.in_school]
        if pupils and rand() < 0.5:
            row = pupils[int(rand() * len(pupils))]
            effective = row.hari_efektif or 20
            row.hadir_hari = max(0, math.ceil(0.85 * effective) - 1 - ri(rng, 0, 3))
            row.pct = math.floor(100 * row.hadir_hari / effective * 10 + 0.5) / 10
            children_ok = False
        else:
            visit.food_shortage = True
        level, score, checks = assess(
            welfare, visit.food_shortage, n_sources, business, children_ok, health_ok, all_jkn
        )
    visit.welfare, visit.level, visit.bps_score, visit.checklist = welfare, level, score, checks
    new_carry.passes.append((day, checks.passes))
    visit.eligible = _eligible(new_carry.passes)
    if visit.eligible or (checks.passes and rand() < 0.3):
        visit.penilaian = "siap_diusulkan"
    elif checks.passes or checks.total >= 6:
        visit.penilaian = "mendekati"
    else:
        visit.penilaian = "belum"
    if rand() < 0.15:
        visit.note = _NOTES[int(rand() * len(_NOTES))]
    new_carry.last_contact = day
    new_carry.level = level
    new_carry.penilaian = visit.penilaian
    new_carry.pregnant_members = tuple(pregnant_now)
    return visit, new_carry


def _child_row(
    rng: random.Random, h: Household, member: Member, urutan: int | None, name: str, day: date, attend: float
) -> ChildRow:
    status = member.school(day)
    living = member.active(day)
    in_school = status is not None and status[0] == "masih_sekolah" and living
    row = ChildRow(member, urutan, name, in_school, "sekolah" if in_school else "tidak_sekolah")
    if not living:
        row.status = "tidak_serumah"
    elif in_school:
        effective = ri(rng, 18, 24)
        if rng.random() < attend:
            present = ri(rng, math.ceil(0.85 * effective), effective)
        else:
            present = ri(rng, math.ceil(0.5 * effective), math.ceil(0.85 * effective) - 1)
        row.hari_efektif, row.hadir_hari = effective, present
        row.pct = math.floor(100 * present / effective * 10 + 0.5) / 10
        row.verification = _VERIFICATION.draw(rng)
    else:
        if member.disability == "berat":
            row.reason = "disabilitas_sakit"
        elif status is not None and status[0] == "belum_pernah":
            row.reason = _NEVER_SCHOOLED.draw(rng)
        else:
            age = member.age(day)
            if age >= 16 and member.sex == "p":
                row.reason = _LEFT_SCHOOL_GIRL_16.draw(rng)
            else:
                row.reason = (_LEFT_SCHOOL_14 if age >= 14 else _LEFT_SCHOOL).draw(rng)
    return row


def _toddler_row(
    rng: random.Random, h: Household, member: Member, urutan: int | None, name: str, day: date
) -> ToddlerRow:
    weighed = rng.random() < 0.55 + 0.4 * (h.diligence - 0.45) / 0.5
    weight = height = None
    if weighed:
        months = max(0, months_between(member.birth_date, day))
        sex_factor = 1.0 if member.sex == "l" else 0.96
        z = member.growth_z
        height = _interpolate(_HEIGHT_SEGMENTS, months) * sex_factor * (1 + 0.035 * z) + normal(rng, 0, 0.4)
        weight = _interpolate(_WEIGHT_SEGMENTS, months) * sex_factor * (1 + 0.09 * z) + normal(rng, 0, 0.15)
        weight = round(min(max(weight, 1.5), 35.0), 1)
        height = round(min(max(height, 40.0), 125.0), 1)
    immunised = _immunisation(h.diligence).draw(rng)
    return ToddlerRow(member, urutan, name, weighed, weight, height, immunised)


def _absence_note(met: str) -> str:
    return {
        "tidak_ada_di_rumah": "KPM sedang bekerja di luar, akan dikunjungi ulang.",
        "pindah": "KPM sudah pindah domisili menurut tetangga.",
        "meninggal": "Pengurus KPM meninggal dunia.",
    }[met]
