"""Fixtures for the graduation engine tests: the default rules and households built by hand."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

import pytest

from forms.rules import RULES_DIR, RuleSet, load_rules
from warehouse.graduation import ChildRow, KpmSnapshot, Member, ToddlerRow

DEFAULT_RULES = RULES_DIR / "graduasi_v2019.xlsx"
VISIT_DAY = date(2019, 10, 1)
#: Kota Serang: its 2019 poverty line is Rp500,000 in the default rules, which keeps ratios exact.
KAB = "3673"
LINE = 500_000


@pytest.fixture(scope="session")
def rules() -> RuleSet:
    """The shipped (proposed) rule set."""
    return load_rules(DEFAULT_RULES)


def members(*extra: Member) -> tuple[Member, ...]:
    """Two adults (head and spouse, JKN, no disability) plus the given members."""
    base = (
        Member(1, date(1980, 5, 1), "l", "kepala", "tidak", None, "sma", "pns_karyawan_tetap", "tidak", "ya"),
        Member(2, date(1984, 3, 9), "p", "istri_suami", "tidak", None, "smp", "tidak_bekerja", "tidak", "ya"),
    )
    return base + extra


def child(urutan: int, born: date, **kw: Any) -> Member:
    """A child member (JKN, no disability, in school)."""
    values = {
        "jenis_kelamin": "l",
        "hubungan": "anak",
        "partisipasi_sekolah": "masih_sekolah",
        "disabilitas": "tidak",
        "punya_jkn": "ya",
    }
    values.update(kw)
    return Member(urutan, born, **values)


def household(**changes: Any) -> KpmSnapshot:
    """A family of 4 (two adults, a pupil of 11 at 90% attendance, a weighed toddler of 2) that meets every
    graduation criterion and no BPS criterion, at a visit on 1 October 2019; ``changes`` replace fields."""
    base = KpmSnapshot(
        id_kpm="3673-000001",
        as_of=VISIT_DAY,
        jenis="kunjungan",
        kunjungan_id="uuid:visit-1",
        kpm_ditemui="ya",
        kode_kabupaten=KAB,
        tanggal_registrasi=date(2019, 2, 1),
        tanggal_kunjungan_terakhir=VISIT_DAY,
        jumlah_anggota=4,
        anggota=members(child(3, date(2008, 7, 1)), child(4, date(2017, 6, 1), partisipasi_sekolah=None)),
        luas_lantai_m2=48,
        jenis_lantai="keramik",
        jenis_dinding="tembok_plester",
        jenis_atap="genteng",
        fasilitas_bab="sendiri",
        sumber_penerangan="pln_meteran",
        sumber_air_minum="ledeng",
        bahan_bakar_masak="lpg",
        frek_protein_hewani_minggu=4,
        frek_makan_hari=3,
        kekurangan_pangan_3bln="tidak",
        beli_pakaian_setahun="dua_lebih",
        mampu_berobat="ya",
        luas_lahan_m2=0,
        pendapatan_bulan_rp=4 * LINE * 2,  # ratio 2.0
        jumlah_sumber_pendapatan=2,
        punya_usaha="tidak",
        tabungan_rp=1_000_000,
        aset_mudah_dijual=frozenset({"tidak_ada"}),
        nilai_aset_rp=None,
        jumlah_hamil=0,
        anc_kunjungan_ke=None,
        anak=(ChildRow(3, "sekolah", 90.0),),
        balita=(ToddlerRow(4, "ya"),),
        sumber=("uuid:reg-1", "uuid:visit-1"),
    )
    return replace(base, **changes)


def poor_household(**changes: Any) -> KpmSnapshot:
    """The same family deprived on all 14 BPS criteria (income at 0.5 of the line)."""
    anggota = (
        Member(1, date(1980, 5, 1), "l", "kepala", "tidak", None, "sd", "buruh_tani", "tidak", "tidak"),
        *household().anggota[1:],
    )
    values: dict[str, Any] = {
        "anggota": anggota,
        "luas_lantai_m2": 20,
        "jenis_lantai": "tanah",
        "jenis_dinding": "bambu_rumbia",
        "fasilitas_bab": "tidak_ada",
        "sumber_penerangan": "bukan_listrik",
        "sumber_air_minum": "sungai",
        "bahan_bakar_masak": "kayu_arang",
        "frek_protein_hewani_minggu": 1,
        "frek_makan_hari": 2,
        "kekurangan_pangan_3bln": "ya",
        "beli_pakaian_setahun": "satu_stel",
        "mampu_berobat": "tidak",
        "pendapatan_bulan_rp": 4 * LINE // 2,
        "jumlah_sumber_pendapatan": 1,
        "tabungan_rp": 0,
    }
    values.update(changes)
    return household(**values)


_CHOICES = {
    "jenis_lantai": ("tanah", "bambu", "kayu_murah", "semen_plester", "keramik", "lainnya"),
    "jenis_dinding": ("bambu_rumbia", "kayu_murah", "tembok_tanpa_plester", "tembok_plester", "lainnya"),
    "jenis_atap": ("ijuk_rumbia", "seng_asbes", "genteng", "beton"),
    "fasilitas_bab": ("tidak_ada", "bersama_umum", "sendiri"),
    "sumber_penerangan": ("pln_meteran", "pln_tanpa_meteran_menumpang", "non_pln", "bukan_listrik"),
    "sumber_air_minum": (
        "ledeng",
        "sumur_bor_pompa",
        "sumur_terlindung",
        "sumur_tak_terlindung",
        "sungai",
        "hujan",
    ),
    "bahan_bakar_masak": ("listrik", "lpg", "minyak_tanah", "kayu_arang"),
    "beli_pakaian_setahun": ("tidak_pernah", "satu_stel", "dua_lebih"),
    "mampu_berobat": ("ya", "tidak"),
    "kekurangan_pangan_3bln": ("ya", "tidak"),
    "punya_usaha": ("ya", "tidak"),
}
_KABUPATEN = ("3601", "3602", "3603", "3604", "3671", "3672", "3673", "3674")
_JOBS = (
    "buruh_tani",
    "nelayan",
    "petani_lahan_sendiri",
    "pedagang_usaha",
    "pns_karyawan_tetap",
    "buruh_pabrik",
)
_SCHOOLING = ("tidak_sekolah", "tidak_tamat_sd", "sd", "smp", "sma")


def random_household(rng: random.Random, index: int = 0, missing: float = 0.03) -> KpmSnapshot:
    """A varied household at a visit (every answer random; a few left unknown), for properties and timing."""

    def maybe(value: Any) -> Any:
        return None if rng.random() < missing else value

    on = date(2019, 1, 1) + timedelta(days=rng.randrange(0, 730))
    head = Member(
        1,
        date(rng.randrange(1960, 1995), rng.randrange(1, 13), rng.randrange(1, 29)),
        "l",
        "kepala",
        "tidak",
        None,
        rng.choice(_SCHOOLING),
        rng.choice(_JOBS),
        "tidak",
        maybe(rng.choice(("ya", "tidak"))),
    )
    people = [
        head,
        Member(
            2,
            date(rng.randrange(1965, 2000), 6, 15),
            "p",
            "istri_suami",
            "tidak",
            None,
            "sd",
            "tidak_bekerja",
            "tidak",
            "ya",
        ),
    ]
    anak, balita = [], []
    for urutan in range(3, 3 + rng.randrange(0, 5)):
        born = on - timedelta(days=rng.randrange(0, 22 * 365))
        people.append(
            Member(urutan, maybe(born), "p", "anak", None, "masih_sekolah", None, None, "tidak", "ya")
        )
        if rng.random() < 0.9:
            status = rng.choice(("sekolah", "sekolah", "sekolah", "tidak_sekolah", "tidak_serumah"))
            anak.append(ChildRow(urutan, status, maybe(float(rng.randrange(50, 101)))))
            balita.append(ToddlerRow(urutan, maybe(rng.choice(("ya", "ya", "tidak")))))
    size = len(people) + rng.randrange(0, 2)
    pregnant = maybe(rng.choice((0, 0, 0, 1)))
    values: dict[str, Any] = {k: maybe(rng.choice(v)) for k, v in _CHOICES.items()}
    return KpmSnapshot(
        id_kpm=f"{rng.choice(_KABUPATEN)}-{index:06d}",
        as_of=on,
        kunjungan_id=f"uuid:{index}",
        kpm_ditemui=rng.choice(("ya",) * 9 + ("tidak_ada_di_rumah",)),
        kode_kabupaten=rng.choice(_KABUPATEN),
        tanggal_registrasi=on - timedelta(days=rng.randrange(30, 400)),
        tanggal_kunjungan_terakhir=on,
        jumlah_anggota=size,
        anggota=tuple(people),
        luas_lantai_m2=maybe(float(rng.randrange(12, 90))),
        frek_protein_hewani_minggu=maybe(rng.randrange(0, 8)),
        frek_makan_hari=maybe(rng.randrange(1, 5)),
        luas_lahan_m2=maybe(float(rng.randrange(0, 2000))),
        pendapatan_bulan_rp=maybe(float(rng.randrange(100, 1500) * 5_000)),
        jumlah_sumber_pendapatan=maybe(rng.randrange(0, 4)),
        tabungan_rp=maybe(float(rng.randrange(0, 200) * 10_000)),
        aset_mudah_dijual=frozenset({"tidak_ada"}) if rng.random() < 0.6 else frozenset({"motor"}),
        nilai_aset_rp=None if rng.random() < 0.6 else float(rng.randrange(0, 100) * 50_000),
        jumlah_hamil=pregnant,
        anc_kunjungan_ke=maybe(rng.randrange(0, 5)) if pregnant else None,
        jumlah_lahir=rng.choice((0, 0, 0, 1)),
        perbaikan_rumah=frozenset(
            rng.sample(("lantai", "dinding", "atap", "jamban", "listrik", "air"), rng.randrange(0, 3))
        ),
        anak=tuple(anak),
        balita=tuple(balita),
        sumber=(f"uuid:reg-{index}", f"uuid:{index}"),
        **values,
    )
