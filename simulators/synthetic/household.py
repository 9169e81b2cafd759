"""Ground truth of one KPM household: the answers at registration, members, what happens later.

The objects are built by :mod:`.build`; :func:`derive` precomputes what every visit reads.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from forms.entity import entity_uuid

from .assumptions import POVERTY_LINE_RP
from .people import Member, first_name
from .welfare import Welfare, phone_bps_flags

#: Small businesses a family may run (``jenis_usaha``).
USAHA = (
    "warung sembako", "jualan gorengan", "sayur keliling", "warung kopi", "jahit pakaian", "ternak ayam",
    "kue basah", "pulsa dan token listrik", "tambal ban", "jualan es", "keripik singkong",
)  # fmt: skip


@dataclass(slots=True)
class Baseline:
    """The registration answers that are not about members (field names of kpm_registrasi)."""

    luas_lantai_m2: int
    jenis_lantai: str
    jenis_dinding: str
    jenis_atap: str
    fasilitas_bab: str
    sumber_penerangan: str
    sumber_air_minum: str
    bahan_bakar_masak: str
    frek_protein_hewani_minggu: int
    beli_pakaian_setahun: str
    frek_makan_hari: int
    mampu_berobat: bool
    luas_lahan_m2: int
    sumber_pendapatan: tuple[str, ...]
    pendapatan_bulan_rp: int
    punya_usaha: bool
    jenis_usaha: str | None
    tabungan_rp: int
    aset_mudah_dijual: tuple[str, ...]
    nilai_aset_rp: int
    penerima_bansos_lain: tuple[str, ...]


@dataclass(slots=True)
class Disbursement:
    """One confirmation of a tranche (a KPM with a problem may get a second, later one)."""

    year: int
    tahap: str
    entitlement_rp: int
    status: str  # choice of ``status_salur``
    received_rp: int | None
    received_on: date | None
    confirmed_on: date
    cara_terima: str | None
    kendala: tuple[str, ...]
    kendala_lainnya: str | None
    sequence: int  # 0 for the first confirmation of the tranche, 1 for the follow-up


@dataclass(slots=True)
class Correction:
    """A registration sent with one wrong value and corrected by an edit ``days_after`` days later."""

    field: str  # nama_pengurus, tanggal_lahir, no_rekening or luas_lantai_m2
    wrong: object
    member: int | None
    days_after: int


@dataclass(slots=True)
class Household:
    """Ground truth of one KPM.

    ``members`` holds the registration roster first (``urutan`` = position + 1, ``registered`` of them), then
    members born or arrived later. Dates are fixed; nothing depends on the wall clock.
    """

    index: int
    id_kpm: str
    kabupaten: str
    kecamatan: str
    desa: str
    rural: bool
    pendamping_id: str
    no_kk: str
    id_dtks: str | None
    alamat: str
    rt: str
    rw: str
    location: tuple[float, float, float, float]
    bank: str
    no_rekening: str
    registered_on: date
    members: list[Member]
    registered: int
    pengurus: int
    baseline: Baseline
    category: str
    bps_score: int
    trajectory: str
    growth: float
    diligence: float
    shocked: bool
    savings_per_month: int
    ready_from: date | None = None  # from this day the family can meet the graduation checklist
    improvements: tuple[tuple[date, str], ...] = ()
    business_from: date | None = None
    extra_source_from: date | None = None
    visit_dates: tuple[date, ...] = ()
    exit: tuple[date, str] | None = None
    disbursements: tuple[Disbursement, ...] = ()
    correction: Correction | None = None
    absent: int = 0  # bit k set: nobody was at home at visit k
    seed: int = 0
    # Derived once after planning (see _finish), so visits need not search the roster each time.
    entity_name: str = ""  # the KPM's entity id in Central's kpm list (forms.entity.entity_uuid of id_kpm)
    timeline: tuple[tuple[date, str, int], ...] = ()
    pregnancies: tuple[tuple[int, date, date], ...] = ()
    roster_changes: bool = False
    summary: str = ""
    phone_bps: int = 0
    severe: int = 0
    income_ratio0: float = 0.0
    roster: tuple[
        tuple[int, str, int, int, date | None], ...
    ] = ()  # urutan, first name, birth year, MMDD, left
    workers: int = 0  # registered members other than the head who work
    all_jkn: bool = False  # every registered member has JKN
    lines: tuple[int, int] = (0, 0)  # poverty line 2019, 2020

    @property
    def nama_pengurus(self) -> str:
        return self.members[self.pengurus].name

    @property
    def nik_pengurus(self) -> str:
        return self.members[self.pengurus].nik

    @property
    def head(self) -> Member:
        return self.members[0]

    def active_members(self, day: date) -> list[Member]:
        """Members of the household on ``day`` (born, arrived, not dead or moved away)."""
        return [m for m in self.members if m.active(day)]

    def poverty_line(self, year: int) -> int:
        return POVERTY_LINE_RP[(self.kabupaten, min(max(year, 2019), 2020))]

    def welfare_at_registration(self) -> Welfare:
        b = self.baseline
        head = self.head
        return Welfare(
            members=self.registered,
            floor_m2=b.luas_lantai_m2,
            lantai=b.jenis_lantai,
            dinding=b.jenis_dinding,
            bab=b.fasilitas_bab,
            penerangan=b.sumber_penerangan,
            air=b.sumber_air_minum,
            bbm=b.bahan_bakar_masak,
            protein_days=b.frek_protein_hewani_minggu,
            pakaian=b.beli_pakaian_setahun,
            meals=b.frek_makan_hari,
            can_pay_treatment=b.mampu_berobat,
            head_occupation=head.occupation,
            land_m2=b.luas_lahan_m2,
            income_rp=b.pendapatan_bulan_rp,
            poverty_line_rp=self.poverty_line(self.registered_on.year),
            head_education=head.education,
            savings_rp=b.tabungan_rp,
            assets_rp=b.nilai_aset_rp,
        )


@dataclass(slots=True)
class Slot:
    """Where a household sits before it is generated: region, id, pendamping, registration day."""

    index: int
    id_kpm: str
    kabupaten: str
    kecamatan: str
    kecamatan_name: str
    desa: str
    is_kelurahan: bool
    pendamping_id: str
    registered_on: date
    desa_center: tuple[float, float]


@dataclass(slots=True)
class Counters:
    """Sequence numbers that make NIK, KK and DTKS numbers unique within a kecamatan or desa."""

    nik: dict[str, int] = field(default_factory=dict)
    kk: dict[str, int] = field(default_factory=dict)
    dtks: dict[str, int] = field(default_factory=dict)

    def next(self, table: dict[str, int], key: str) -> int:
        value = table.get(key, 0) + 1
        table[key] = value
        return value


def nik(kecamatan: str, birth: date, sex: str, serial: int) -> str:
    """A NIK: 6-digit kecamatan code, DDMMYY of birth (day + 40 for women), 4-digit serial (never 0000)."""
    day = birth.day + (40 if sex == "p" else 0)
    return f"{kecamatan}{day:02d}{birth.month:02d}{birth.year % 100:02d}{(serial - 1) % 9999 + 1:04d}"


def derive(h: Household) -> None:
    """Precompute what every visit reads: membership events, pregnancies, the registration summary."""
    h.entity_name = entity_uuid(h.id_kpm)
    events: list[tuple[date, str, int]] = []
    for m in h.members:
        if m.joined is not None:
            events.append((m.joined, "lahir" if m.mother is not None else "masuk", m.index))
        if m.left is not None and m.left_reason is not None:
            events.append((m.left, m.left_reason, m.index))
    h.roster_changes = bool(events)
    pregnancies = []
    for m in h.members:
        for known, due in m.pregnancies:
            pregnancies.append((m.index, known, due))
            if known > h.registered_on:
                events.append((known, "hamil", m.index))
    h.timeline = tuple(sorted(events))
    h.pregnancies = tuple(pregnancies)
    reg = h.registered_on
    roster = h.members[: h.registered]
    h.roster = tuple(
        (
            m.index + 1,
            first_name(m.name),
            m.birth_date.year,
            m.birth_date.month * 100 + m.birth_date.day,
            m.left,
        )
        for m in roster
    )
    h.summary = ", ".join(f"{r[1]} {m.age(reg)}" for r, m in zip(h.roster, roster, strict=True))
    h.phone_bps = sum(phone_bps_flags(h, h.baseline.luas_lantai_m2))
    h.severe = sum(1 for m in h.members[: h.registered] if m.disability == "berat")
    h.income_ratio0 = h.baseline.pendapatan_bulan_rp / h.registered / h.poverty_line(reg.year)
    h.workers = sum(1 for m in h.members[1 : h.registered] if m.occupation != "tidak_bekerja")
    h.lines = (h.poverty_line(2019), h.poverty_line(2020))
    h.all_jkn = all(m.jkn for m in h.members[: h.registered])
