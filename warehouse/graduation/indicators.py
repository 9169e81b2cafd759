"""How each indicator of the vocabulary (:data:`forms.rules.INDICATORS`) is computed from a snapshot.

Every function returns a value, ``None`` (not known: insufficient data) or :data:`NA` (not applicable: the
household has no such member). Ages are completed years as of the snapshot's date. The meaning of each
indicator, as staff read it, is in ``INDICATORS`` (and docs/graduation.md); a test keeps the two in step.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from forms.rules import RuleSet
from warehouse.graduation.household import REGISTRASI, KpmSnapshot, Member


class _NotApplicable:
    """The household has no member the indicator is about (e.g. no school-age child)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "NA"

    def __reduce__(self) -> str:
        return "NA"


NA: Any = _NotApplicable()
_UNSET: Any = object()
UNKNOWN_STATUS = None
_SCHOOL = {"masih_sekolah": "sekolah", "belum_pernah": "tidak_sekolah", "tidak_lagi": "tidak_sekolah"}


class Context:
    """Per-snapshot working state: the computed indicator values and the member lists they share."""

    __slots__ = (
        "_children",
        "_in_house",
        "_roster",
        "_toddlers",
        "improvements",
        "params",
        "rules",
        "s",
        "values",
    )

    def __init__(
        self,
        snapshot: KpmSnapshot,
        rules: RuleSet,
        params: dict[str, float],
        improvements: dict[str, list[tuple[str, str]]],
    ) -> None:
        self.s = snapshot
        self.rules = rules
        self.params = params
        self.improvements = improvements
        self.values: dict[str, Any] = {}
        self._in_house: list[tuple[Member, int | None]] | None = None
        self._children: list[tuple[str | None, float | None]] | None = None
        self._toddlers: list[str | None] | None = None
        self._roster: set[int] | None = None

    def roster(self) -> set[int]:
        """The positions (``urutan``) of the registration's members."""
        if self._roster is None:
            self._roster = {m.urutan for m in self.s.anggota}
        return self._roster

    def value(self, name: str) -> Any:
        """The value of an indicator (computed once per snapshot)."""
        value = self.values.get(name, _UNSET)
        if value is _UNSET:
            value = self.values[name] = COMPUTE[name](self)
        return value

    # -- shared pieces --

    def in_house(self) -> list[tuple[Member, int | None]]:
        """Members living in the house on the date, with their age (None when the birth date is unknown)."""
        if self._in_house is None:
            on = self.s.as_of
            year, day = on.year, (on.month, on.day)
            out = []
            for m in self.s.anggota:
                if not m.serumah:
                    continue
                born = m.tanggal_lahir
                if born is None:
                    out.append((m, None))
                elif born <= on:  # age_on, inlined: this runs for every member of every snapshot
                    out.append((m, year - born.year - (day < (born.month, born.day))))
            self._in_house = out
        return self._in_house

    def count_aged(self, low: float, high: float | None) -> int | None:
        """Members in the house aged ``low`` to ``high`` (inclusive); None if someone's age is unknown or there
        is no roster (no registration yet)."""
        if not self.s.anggota:
            return None
        n = 0
        for _m, age in self.in_house():
            if age is None:
                return None
            if age >= low and (high is None or age <= high):
                n += 1
        return n

    def monitored(self) -> bool:
        """True when the snapshot carries the rows of a visit (else only the registration is known)."""
        s = self.s
        return s.jenis != REGISTRASI and s.tanggal_kunjungan_terakhir is not None

    def children(self) -> list[tuple[str | None, float | None]] | None:
        """(status, attendance %) per school-age child; status sekolah | tidak_sekolah | None (unknown)."""
        if self._children is not None:
            return self._children
        if not self.s.anggota:
            return None  # no roster: whether there are children is unknown
        low, high = self.params["usia_sekolah_min"], self.params["usia_sekolah_maks"]
        s = self.s
        monitored = self.monitored()
        rows = {r.urutan: r for r in s.anak if r.urutan is not None} if monitored else {}
        roster = self.roster()
        out: list[tuple[str | None, float | None]] = []
        for m, age in self.in_house():
            if age is None:
                return None
            if not low <= age <= high:
                continue
            if not monitored:
                out.append((_SCHOOL.get(m.partisipasi_sekolah or ""), None))
                continue
            row = rows.get(m.urutan)
            if row is None or row.status not in ("sekolah", "tidak_sekolah"):
                if row is not None and row.status == "tidak_serumah":
                    continue
                out.append((None, None))
            else:
                out.append((row.status, _pct(row)))
        if monitored:
            for row in s.anak:
                if row.urutan is not None and row.urutan in roster:
                    continue
                if row.status == "tidak_serumah":
                    continue
                status = row.status if row.status in ("sekolah", "tidak_sekolah") else None
                out.append((status, _pct(row)))
        self._children = out
        return out

    def toddlers(self) -> list[str | None] | None:
        """``ditimbang`` (ya | tidak | None unknown) per toddler in the house."""
        if self._toddlers is not None:
            return self._toddlers
        if not self.s.anggota:
            return None
        high = self.params["usia_balita_maks"]
        s = self.s
        monitored = self.monitored()
        rows = {r.urutan: r for r in s.balita if r.urutan is not None} if monitored else {}
        roster = self.roster()
        out: list[str | None] = []
        for m, age in self.in_house():
            if age is None:
                return None
            if age > high:
                continue
            row = rows.get(m.urutan)
            out.append(row.ditimbang if row is not None and row.ditimbang in ("ya", "tidak") else None)
        if monitored:
            for row in s.balita:
                if row.urutan is None or row.urutan not in roster:
                    out.append(row.ditimbang if row.ditimbang in ("ya", "tidak") else None)
        self._toddlers = out
        return out

    def head(self) -> Member | None:
        for m in self.s.anggota:
            if m.hubungan == "kepala":
                return m
        return None

    def house(self, name: str) -> Any:
        value = getattr(self.s, name)
        changes = self.improvements.get(name)
        if changes:
            done = self.s.perbaikan_rumah
            for item, new in changes:
                if item in done:
                    value = new
        return value


def _pct(row: Any) -> float | None:
    if row.pct_hadir is not None:
        return float(row.pct_hadir)
    if row.hadir_hari is not None and row.hari_efektif:
        return round(100 * row.hadir_hari / row.hari_efektif, 1)
    return None


def _size(c: Context) -> int | None:
    n = c.s.jumlah_anggota
    if n is None:
        n = len(c.in_house()) or None
    return n if n is None or n > 0 else None


def _per_head(c: Context, amount: float | None) -> float | None:
    n = c.value("jumlah_anggota")
    if amount is None or n is None:
        return None
    return amount / n


def _floor(c: Context) -> Any:
    return _per_head(c, c.s.luas_lantai_m2)


def _income_pc(c: Context) -> Any:
    return _per_head(c, c.s.pendapatan_bulan_rp)


_LINES: dict[tuple[int, str | None, int], tuple[RuleSet, float | None]] = {}


def _line(c: Context) -> Any:
    # the same few (kabupaten, year) pairs for every snapshot: looked up once per rule set
    key = (id(c.rules), c.s.kode_kabupaten, c.s.as_of.year)
    cached = _LINES.get(key)
    if cached is None or cached[0] is not c.rules:
        line = c.rules.poverty_line(c.s.kode_kabupaten, c.s.as_of.year)
        if len(_LINES) > 10_000:
            _LINES.clear()
        cached = _LINES[key] = (c.rules, line.rp if line is not None else None)
    return cached[1]


def _ratio(c: Context) -> Any:
    pc, line = c.value("pendapatan_per_kapita_rp"), c.value("garis_kemiskinan_rp")
    if pc is None or line is None:
        return None
    return pc / line


def _assets(c: Context) -> Any:
    s = c.s
    if s.nilai_aset_rp is not None:
        return s.nilai_aset_rp
    if s.aset_mudah_dijual is not None and s.aset_mudah_dijual <= {"tidak_ada"}:
        return 0
    return None


def _savings_assets(c: Context) -> Any:
    savings, assets = c.s.tabungan_rp, c.value("nilai_aset_rp")
    if savings is None or assets is None:
        return None
    return savings + assets


def _job(c: Context) -> Any:
    if c.s.pekerjaan_kepala is not None:
        return c.s.pekerjaan_kepala
    head = c.head()
    return head.pekerjaan_utama if head is not None else None


def _farm_land(c: Context) -> Any:
    job = c.value("pekerjaan_kepala")
    if job is None:
        return None
    if job != "petani_lahan_sendiri":
        return NA
    return c.s.luas_lahan_m2


def _education(c: Context) -> Any:
    head = c.head()
    return head.pendidikan_tertinggi if head is not None else None


def _all_jkn(c: Context) -> Any:
    members = c.in_house()
    if not members:
        return None
    unknown = False
    for m, _age in members:
        if m.punya_jkn == "tidak":
            return "tidak"
        if m.punya_jkn != "ya":
            unknown = True
    return None if unknown else "ya"


def _n_children(c: Context) -> Any:
    children = c.children()
    return None if children is None else len(children)


def _out_of_school(c: Context) -> Any:
    children = c.children()
    if children is None:
        return None
    if not children:
        return NA
    n = 0
    for status, _ in children:
        if status is None:
            return None
        n += status == "tidak_sekolah"
    return n


def _lowest_attendance(c: Context) -> Any:
    children = c.children()
    if children is None:
        return None
    if not children:
        return NA
    lowest: float | None = None
    enrolled = False
    for status, pct in children:
        if status is None:
            return None
        if status == "sekolah":
            if pct is None:
                return None
            enrolled = True
            lowest = pct if lowest is None or pct < lowest else lowest
    return lowest if enrolled else NA


def _n_toddlers(c: Context) -> Any:
    toddlers = c.toddlers()
    return None if toddlers is None else len(toddlers)


def _not_weighed(c: Context) -> Any:
    toddlers = c.toddlers()
    if toddlers is None:
        return None
    if not toddlers:
        return NA
    if any(t is None for t in toddlers):
        return None
    return sum(t == "tidak" for t in toddlers)


def _pregnant(c: Context) -> Any:
    return c.s.jumlah_hamil


def _anc(c: Context) -> Any:
    n = c.s.jumlah_hamil
    if n is None:
        return None
    if n == 0:
        return NA
    return c.s.anc_kunjungan_ke


def _eligible_children(c: Context) -> Any:
    n = c.count_aged(0, c.params["usia_anak_layak_maks"])
    if n is None:
        return None
    s = c.s
    roster = c.roster()
    if c.monitored():
        n += sum(
            1 for r in s.anak if (r.urutan is None or r.urutan not in roster) and r.status != "tidak_serumah"
        )
        unlisted_toddlers = sum(1 for r in s.balita if r.urutan is None or r.urutan not in roster)
    else:
        unlisted_toddlers = 0
    return n + max(s.jumlah_lahir, unlisted_toddlers)


def _elderly(c: Context) -> Any:
    return c.count_aged(c.params["usia_lansia_min"], None)


def _severe(c: Context) -> Any:
    if not c.s.anggota:
        return None
    n = 0
    for m, _age in c.in_house():
        if m.disabilitas is None:
            return None
        n += m.disabilitas == "berat"
    return n


def _field(name: str) -> Callable[[Context], Any]:
    def get(c: Context) -> Any:
        return getattr(c.s, name)

    return get


def _house_field(name: str) -> Callable[[Context], Any]:
    def get(c: Context) -> Any:
        return c.house(name)

    return get


#: Indicators that are the snapshot's field of the same name (the engine reads them in one call).
FIELDS = (
    "frek_protein_hewani_minggu",
    "beli_pakaian_setahun",
    "frek_makan_hari",
    "kekurangan_pangan_3bln",
    "mampu_berobat",
    "luas_lahan_m2",
    "pendapatan_bulan_rp",
    "jumlah_sumber_pendapatan",
    "punya_usaha",
    "tabungan_rp",
    "hadir_p2k2",
    "penilaian_pendamping",
)
#: Indicators that are the snapshot's house field of the same name, as changed by the improvements reported
#: since the registration (:meth:`Context.house`; the field as is when there are none).
HOUSE_FIELDS = (
    "jenis_lantai",
    "jenis_dinding",
    "jenis_atap",
    "fasilitas_bab",
    "sumber_penerangan",
    "sumber_air_minum",
    "bahan_bakar_masak",
)

#: Indicator name -> how it is computed.
COMPUTE: dict[str, Callable[[Context], Any]] = {
    "luas_lantai_per_kapita_m2": _floor,
    **{n: _house_field(n) for n in HOUSE_FIELDS},
    **{n: _field(n) for n in FIELDS},
    "semua_anggota_jkn": _all_jkn,
    "pekerjaan_kepala": _job,
    "luas_lahan_petani_m2": _farm_land,
    "pendidikan_kepala": _education,
    "pendapatan_per_kapita_rp": _income_pc,
    "garis_kemiskinan_rp": _line,
    "rasio_gk": _ratio,
    "nilai_aset_rp": _assets,
    "tabungan_aset_rp": _savings_assets,
    "jumlah_anggota": _size,
    "jumlah_anak_usia_sekolah": _n_children,
    "jumlah_anak_tidak_sekolah": _out_of_school,
    "kehadiran_anak_terendah_pct": _lowest_attendance,
    "jumlah_balita": _n_toddlers,
    "jumlah_balita_tidak_ditimbang": _not_weighed,
    "jumlah_ibu_hamil": _pregnant,
    "anc_kunjungan_ke": _anc,
    "jumlah_anak_layak": _eligible_children,
    "jumlah_lansia": _elderly,
    "jumlah_disabilitas_berat": _severe,
}
