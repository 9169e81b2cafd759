"""The graduation rules workbook (``forms/rules/graduasi_<version>.xlsx``): vocabulary, parser and checker.

Staff keep the graduation rules in an Excel workbook, one workbook per rule version (docs/graduation.md). This
module is pure (openpyxl only): it reads a workbook into a frozen :class:`RuleSet`, or lists every mistake in it
as :class:`RuleMessage` (sheet, Excel row, column, what is wrong, how to fix it). The engine that applies a rule
set to a household lives in ``warehouse.graduation``; the indicators a rule may read are the vocabulary
:data:`INDICATORS`, computed there.

Sheets (row 1 = column keys, row 2 = a description for people, data from row 3):

- ``versi``: ``versi``, ``berlaku_mulai`` (effective date), ``usulan`` (proposal: ya/tidak), ``judul_id/en``.
- ``parameter``: ages that define school child, toddler, the natural-exit child, elderly.
- ``kategori``: the welfare categories, worst first, with their ``skor_bps`` and ``rasio_gk`` ranges.
- ``kriteria_bps``: the BPS deprivation criteria (one per row); ``skor_bps`` counts those met.
- ``kriteria_graduasi``: the graduation checklist (one criterion per row) with its reason code.
- ``aturan_graduasi``: minimum score, must-pass criteria, the confirmation window.
- ``graduasi_alamiah``: the natural-exit condition.
- ``garis_kemiskinan``: the poverty line per kabupaten/kota per year.
- ``perbaikan_rumah``: what a house improvement reported at a visit changes.
- ``indikator`` / ``operator``: the vocabulary, written from :data:`INDICATORS` for staff to read.

A criterion row holds up to N conditions in column groups ``indikator_k``, ``operator_k``, ``ambang_k``
(add a group to the header to allow more) combined by ``gabung``: ``semua`` (all) or ``salah_satu`` (any).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from forms.catalog import FORMS_DIR

log = logging.getLogger(__name__)

#: Folder of the rule workbooks, one per version.
RULES_DIR: Path = FORMS_DIR / "rules"

# --- vocabulary -------------------------------------------------------------------------------------------

#: Indicator types: ``angka`` (a number), ``pilihan`` (one code of a choice list), ``ya_tidak`` (yes/no).
INDICATOR_TYPES = ("angka", "pilihan", "ya_tidak")
#: Operators and the indicator types they apply to.
OPERATORS: dict[str, tuple[str, ...]] = {
    "<": ("angka",),
    "<=": ("angka",),
    ">": ("angka",),
    ">=": ("angka",),
    "=": ("angka", "pilihan", "ya_tidak"),
    "!=": ("angka", "pilihan", "ya_tidak"),
    "dalam": ("pilihan",),
    "tidak_dalam": ("pilihan",),
}
OPERATOR_MEANINGS: dict[str, tuple[str, str]] = {
    "<": ("kurang dari ambang", "less than the threshold"),
    "<=": ("kurang dari atau sama dengan ambang", "less than or equal to the threshold"),
    ">": ("lebih dari ambang", "greater than the threshold"),
    ">=": ("lebih dari atau sama dengan ambang", "greater than or equal to the threshold"),
    "=": ("sama dengan ambang", "equal to the threshold"),
    "!=": ("tidak sama dengan ambang", "not equal to the threshold"),
    "dalam": (
        "salah satu kode di ambang (pisahkan dengan koma)",
        "one of the codes in the threshold (comma-separated)",
    ),
    "tidak_dalam": (
        "bukan salah satu kode di ambang (pisahkan dengan koma)",
        "none of the codes in the threshold (comma-separated)",
    ),
}
COMBINE_ALL = "semua"
COMBINE_ANY = "salah_satu"
YES, NO = "ya", "tidak"

_LANTAI = ("tanah", "bambu", "kayu_murah", "semen_plester", "keramik", "lainnya")
_DINDING = ("bambu_rumbia", "kayu_murah", "tembok_tanpa_plester", "tembok_plester", "lainnya")
_ATAP = ("ijuk_rumbia", "seng_asbes", "genteng", "beton")
_BAB = ("tidak_ada", "bersama_umum", "sendiri")
_PENERANGAN = ("pln_meteran", "pln_tanpa_meteran_menumpang", "non_pln", "bukan_listrik")
_AIR = (
    "ledeng",
    "air_kemasan_isi_ulang",
    "sumur_bor_pompa",
    "sumur_terlindung",
    "sumur_tak_terlindung",
    "mata_air_terlindung",
    "mata_air_tak_terlindung",
    "sungai",
    "hujan",
)
_BBM = ("listrik", "lpg", "minyak_tanah", "kayu_arang", "tidak_masak")
_PAKAIAN = ("tidak_pernah", "satu_stel", "dua_lebih")
_PEKERJAAN = (
    "tidak_bekerja",
    "petani_lahan_sendiri",
    "buruh_tani",
    "nelayan",
    "buruh_bangunan",
    "buruh_pabrik",
    "pedagang_usaha",
    "ojek_sopir",
    "art_jasa",
    "pns_karyawan_tetap",
    "lainnya",
)
_PENDIDIKAN = ("tidak_sekolah", "tidak_tamat_sd", "sd", "smp", "sma", "pt")
_SIAP = ("belum", "mendekati", "siap_diusulkan")
#: Items of the visit question ``perubahan_rumah`` (house parts improved since the last visit).
HOUSE_IMPROVEMENT_ITEMS = ("lantai", "dinding", "atap", "jamban", "listrik", "air")

_R, _K = "kpm_registrasi", "kpm_kunjungan"


@dataclass(frozen=True, slots=True)
class Indicator:
    """One value of a household, as of a date, that a rule may compare with a threshold.

    ``fields`` are the form fields it is derived from, as ``(form_id, field, mapping type)`` (the types of
    ``forms/mapping.csv``), so ``forms check`` can verify they still exist.
    """

    name: str
    type: str
    label_id: str
    label_en: str
    meaning_id: str
    meaning_en: str
    fields: tuple[tuple[str, str, str], ...]
    choices: tuple[str, ...] = ()
    improvable: bool = False  # a house part that ``perbaikan_rumah`` may change


def _i(
    name: str,
    type_: str,
    label: tuple[str, str],
    meaning: tuple[str, str],
    fields: Sequence[tuple[str, str, str]],
    choices: Sequence[str] = (),
    improvable: bool = False,
) -> Indicator:
    return Indicator(
        name, type_, label[0], label[1], meaning[0], meaning[1], tuple(fields), tuple(choices), improvable
    )


_SIZE_FIELDS = (
    (_R, "jumlah_art", "int"),
    (_R, "tanggal_lahir", "date"),
    (_K, "jml_lahir", "int"),
    (_K, "jml_masuk", "int"),
    (_K, "jml_meninggal", "int"),
    (_K, "jml_pindah_keluar", "int"),
)
_INCOME_FIELDS = ((_R, "pendapatan_bulan_rp", "int"), (_K, "pendapatan_bulan_rp", "int"))
_LINE_FIELDS = ((_R, "kode_kabkota", "string"),)
_CHILD_FIELDS = (
    (_R, "tanggal_lahir", "date"),
    (_K, "anak_urutan", "string"),
    (_K, "status_anak", "select_one"),
)
_TODDLER_FIELDS = ((_R, "tanggal_lahir", "date"), (_K, "balita_urutan", "string"))
_LATEST = (
    "Nilai kunjungan terakhir (sampai tanggal penilaian); bila kosong, nilai registrasi.",
    "Value of the latest visit (up to the assessment date); if empty, the registration value.",
)


def _house(
    name: str, choices: Sequence[str], label: tuple[str, str], form_field: str | None = None
) -> Indicator:
    return _i(
        name,
        "pilihan",
        label,
        (
            "Jawaban registrasi, diganti oleh perbaikan rumah yang dilaporkan saat kunjungan (lembar perbaikan_rumah).",
            "The registration answer, replaced by house improvements reported at visits (sheet perbaikan_rumah).",
        ),
        [(_R, form_field or name, "select_one"), (_K, "perubahan_rumah", "select_multiple")],
        choices,
        improvable=True,
    )


#: The vocabulary: every indicator a rule may read, by name.
INDICATORS: dict[str, Indicator] = {
    i.name: i
    for i in (
        _i(
            "luas_lantai_per_kapita_m2",
            "angka",
            ("Luas lantai per orang (m²)", "Floor area per person (m²)"),
            (
                "Luas lantai rumah (registrasi) dibagi jumlah anggota keluarga pada tanggal penilaian.",
                "Floor area (registration) divided by the household size on the assessment date.",
            ),
            [(_R, "luas_lantai_m2", "decimal"), *_SIZE_FIELDS],
        ),
        _house("jenis_lantai", _LANTAI, ("Jenis lantai", "Floor material")),
        _house("jenis_dinding", _DINDING, ("Jenis dinding", "Wall material")),
        _house("jenis_atap", _ATAP, ("Jenis atap", "Roof material")),
        _house("fasilitas_bab", _BAB, ("Fasilitas buang air besar", "Toilet facility")),
        _house("sumber_penerangan", _PENERANGAN, ("Sumber penerangan", "Lighting source")),
        _house("sumber_air_minum", _AIR, ("Sumber air minum", "Drinking-water source")),
        _house("bahan_bakar_masak", _BBM, ("Bahan bakar memasak", "Cooking fuel")),
        _i(
            "frek_protein_hewani_minggu",
            "angka",
            ("Hari makan protein hewani per minggu", "Days with animal protein per week"),
            _LATEST,
            [(_R, "frek_protein_hewani_minggu", "int"), (_K, "frek_protein_hewani_minggu", "int")],
        ),
        _i(
            "beli_pakaian_setahun",
            "pilihan",
            ("Pakaian baru per tahun", "New clothes per year"),
            ("Jawaban registrasi.", "The registration answer."),
            [(_R, "beli_pakaian_setahun", "select_one")],
            _PAKAIAN,
        ),
        _i(
            "frek_makan_hari",
            "angka",
            ("Makan per hari", "Meals per day"),
            _LATEST,
            [(_R, "frek_makan_hari", "int"), (_K, "frek_makan_hari", "int")],
        ),
        _i(
            "kekurangan_pangan_3bln",
            "ya_tidak",
            ("Kekurangan pangan 3 bulan terakhir", "Food shortage in the last 3 months"),
            (
                "Jawaban kunjungan terakhir; tidak ditanyakan saat registrasi.",
                "Answer of the latest visit; not asked at registration.",
            ),
            [(_K, "kekurangan_pangan_3bln", "select_one")],
        ),
        _i(
            "mampu_berobat",
            "ya_tidak",
            ("Mampu membayar berobat", "Can pay for treatment"),
            ("Jawaban registrasi.", "The registration answer."),
            [(_R, "mampu_berobat", "select_one")],
        ),
        _i(
            "semua_anggota_jkn",
            "ya_tidak",
            ("Semua anggota punya JKN", "Every member has JKN"),
            (
                "ya bila setiap anggota yang masih serumah punya JKN (registrasi); tidak bila ada yang tidak.",
                "ya when every member still in the house has JKN (registration); tidak when one has not.",
            ),
            [(_R, "punya_jkn", "select_one")],
        ),
        _i(
            "pekerjaan_kepala",
            "pilihan",
            ("Pekerjaan kepala keluarga", "Occupation of the head"),
            (
                "Pekerjaan kepala keluarga menurut kunjungan terakhir; bila kosong, menurut registrasi.",
                "The head's occupation at the latest visit; if empty, at registration.",
            ),
            [
                (_R, "pekerjaan_utama", "select_one"),
                (_R, "hubungan_kk", "select_one"),
                (_K, "pekerjaan_kepala_kk", "select_one"),
            ],
            _PEKERJAAN,
        ),
        _i(
            "luas_lahan_m2",
            "angka",
            ("Luas lahan (m²)", "Land area (m²)"),
            (
                "Luas lahan pertanian yang dimiliki atau digarap (registrasi).",
                "Farm land owned or worked (registration).",
            ),
            [(_R, "luas_lahan_m2", "int")],
        ),
        _i(
            "luas_lahan_petani_m2",
            "angka",
            ("Luas lahan petani (m²)", "Land area of a farming head (m²)"),
            (
                "Luas lahan bila kepala keluarga petani di lahan sendiri; tidak berlaku untuk pekerjaan lain.",
                "Land area when the head farms own land; not applicable for any other occupation.",
            ),
            [
                (_R, "luas_lahan_m2", "int"),
                (_R, "pekerjaan_utama", "select_one"),
                (_K, "pekerjaan_kepala_kk", "select_one"),
            ],
        ),
        _i(
            "pendidikan_kepala",
            "pilihan",
            ("Pendidikan kepala keluarga", "Education of the head"),
            (
                "Pendidikan tertinggi kepala keluarga (registrasi).",
                "Highest education of the head (registration).",
            ),
            [(_R, "pendidikan_tertinggi", "select_one"), (_R, "hubungan_kk", "select_one")],
            _PENDIDIKAN,
        ),
        _i(
            "pendapatan_bulan_rp",
            "angka",
            ("Pendapatan keluarga per bulan (Rp)", "Household income per month (Rp)"),
            _LATEST,
            _INCOME_FIELDS,
        ),
        _i(
            "pendapatan_per_kapita_rp",
            "angka",
            ("Pendapatan per orang per bulan (Rp)", "Income per person per month (Rp)"),
            (
                "Pendapatan keluarga dibagi jumlah anggota pada tanggal penilaian.",
                "Household income divided by the household size on the assessment date.",
            ),
            [*_INCOME_FIELDS, *_SIZE_FIELDS],
        ),
        _i(
            "garis_kemiskinan_rp",
            "angka",
            ("Garis kemiskinan (Rp/orang/bulan)", "Poverty line (Rp/person/month)"),
            (
                "Garis kemiskinan kabupaten/kota KPM untuk tahun penilaian (lembar garis_kemiskinan).",
                "Poverty line of the KPM's kabupaten/kota for the assessment year (sheet garis_kemiskinan).",
            ),
            _LINE_FIELDS,
        ),
        _i(
            "rasio_gk",
            "angka",
            ("Rasio pendapatan per kapita terhadap garis kemiskinan", "Income per capita / poverty line"),
            (
                "Pendapatan per orang dibagi garis kemiskinan; 1,0 = tepat di garis kemiskinan.",
                "Income per person divided by the poverty line; 1.0 = exactly at the line.",
            ),
            [*_INCOME_FIELDS, *_SIZE_FIELDS, *_LINE_FIELDS],
        ),
        _i(
            "jumlah_sumber_pendapatan",
            "angka",
            ("Jumlah sumber pendapatan", "Number of income sources"),
            _LATEST,
            [(_R, "jumlah_sumber_pendapatan", "int"), (_K, "jumlah_sumber_pendapatan", "int")],
        ),
        _i(
            "punya_usaha",
            "ya_tidak",
            ("Punya usaha sendiri", "Has own business"),
            _LATEST,
            [(_R, "punya_usaha", "select_one"), (_K, "punya_usaha", "select_one")],
        ),
        _i(
            "tabungan_rp",
            "angka",
            ("Tabungan (Rp)", "Savings (Rp)"),
            _LATEST,
            [(_R, "tabungan_rp", "int"), (_K, "tabungan_rp", "int")],
        ),
        _i(
            "nilai_aset_rp",
            "angka",
            ("Nilai aset mudah dijual (Rp)", "Value of saleable assets (Rp)"),
            (
                "Nilai aset (registrasi); 0 bila aset_mudah_dijual = tidak_ada.",
                "Value of assets (registration); 0 when aset_mudah_dijual = tidak_ada.",
            ),
            [(_R, "nilai_aset_rp", "int"), (_R, "aset_mudah_dijual", "select_multiple")],
        ),
        _i(
            "tabungan_aset_rp",
            "angka",
            ("Tabungan + aset (Rp)", "Savings + assets (Rp)"),
            ("tabungan_rp + nilai_aset_rp.", "tabungan_rp + nilai_aset_rp."),
            [
                (_R, "tabungan_rp", "int"),
                (_K, "tabungan_rp", "int"),
                (_R, "nilai_aset_rp", "int"),
                (_R, "aset_mudah_dijual", "select_multiple"),
            ],
        ),
        _i(
            "jumlah_anggota",
            "angka",
            ("Jumlah anggota keluarga", "Household size"),
            (
                "Anggota saat registrasi, ditambah lahir dan masuk, dikurangi meninggal dan pindah keluar yang "
                "dilaporkan saat kunjungan sesudahnya.",
                "Members at registration, plus births and arrivals, minus deaths and departures reported at "
                "later visits.",
            ),
            _SIZE_FIELDS,
        ),
        _i(
            "jumlah_anak_usia_sekolah",
            "angka",
            ("Anak usia sekolah", "School-age children"),
            (
                "Anggota serumah berusia usia_sekolah_min sampai usia_sekolah_maks pada tanggal penilaian, "
                "ditambah anak yang dipantau saat kunjungan tetapi belum tercatat.",
                "Members in the house aged usia_sekolah_min to usia_sekolah_maks on the assessment date, plus "
                "children monitored at the visit but not on record.",
            ),
            _CHILD_FIELDS,
        ),
        _i(
            "jumlah_anak_tidak_sekolah",
            "angka",
            ("Anak usia sekolah yang tidak sekolah", "School-age children not in school"),
            (
                "Dari anak usia sekolah: yang tidak bersekolah (kunjungan terakhir; saat registrasi: partisipasi "
                "sekolah). Tidak berlaku bila tidak ada anak usia sekolah.",
                "Of the school-age children: those not in school (latest visit; at registration: school "
                "participation). Not applicable when there is no school-age child.",
            ),
            [*_CHILD_FIELDS, (_R, "partisipasi_sekolah", "select_one")],
        ),
        _i(
            "kehadiran_anak_terendah_pct",
            "angka",
            ("Kehadiran sekolah terendah (%)", "Lowest school attendance (%)"),
            (
                "Persentase kehadiran bulan lalu terendah di antara anak usia sekolah yang bersekolah "
                "(kunjungan terakhir). Tidak berlaku bila tidak ada anak yang bersekolah.",
                "Lowest attendance percentage last month among school-age children in school (latest visit). "
                "Not applicable when no child is in school.",
            ),
            [*_CHILD_FIELDS, (_K, "pct_hadir", "decimal")],
        ),
        _i(
            "jumlah_balita",
            "angka",
            ("Balita", "Toddlers"),
            (
                "Anggota serumah berusia 0 sampai usia_balita_maks pada tanggal penilaian, ditambah balita yang "
                "dipantau saat kunjungan tetapi belum tercatat.",
                "Members in the house aged 0 to usia_balita_maks on the assessment date, plus toddlers "
                "monitored at the visit but not on record.",
            ),
            _TODDLER_FIELDS,
        ),
        _i(
            "jumlah_balita_tidak_ditimbang",
            "angka",
            ("Balita yang tidak ditimbang bulan ini", "Toddlers not weighed this month"),
            (
                "Dari balita: yang tidak ditimbang di posyandu (kunjungan terakhir). Tidak berlaku bila tidak "
                "ada balita.",
                "Of the toddlers: those not weighed at the posyandu (latest visit). Not applicable when there is "
                "no toddler.",
            ),
            [*_TODDLER_FIELDS, (_K, "ditimbang_posyandu_bulan_ini", "select_one")],
        ),
        _i(
            "jumlah_ibu_hamil",
            "angka",
            ("Ibu hamil", "Pregnant women"),
            (
                "Jumlah ibu hamil menurut kunjungan terakhir; bila belum ada kunjungan, menurut registrasi.",
                "Pregnant women at the latest visit; before any visit, at registration.",
            ),
            [(_R, "status_hamil", "select_one"), (_K, "n_hamil_kunjungan", "int")],
        ),
        _i(
            "anc_kunjungan_ke",
            "angka",
            ("Pemeriksaan kehamilan (ANC)", "Antenatal check-ups (ANC)"),
            (
                "Jumlah pemeriksaan kehamilan menurut kunjungan terakhir. Tidak berlaku bila tidak ada ibu hamil.",
                "Antenatal check-ups so far at the latest visit. Not applicable when no one is pregnant.",
            ),
            [(_K, "anc_kunjungan_ke", "int"), (_K, "n_hamil_kunjungan", "int")],
        ),
        _i(
            "jumlah_anak_layak",
            "angka",
            ("Anak yang masih membuat keluarga layak", "Children that keep the family eligible"),
            (
                "Anggota serumah berusia 0 sampai usia_anak_layak_maks pada tanggal penilaian, ditambah bayi lahir "
                "dan anak yang dipantau tetapi belum tercatat.",
                "Members in the house aged 0 to usia_anak_layak_maks on the assessment date, plus babies born "
                "and children monitored but not on record.",
            ),
            [*_CHILD_FIELDS, (_K, "balita_urutan", "string"), (_K, "jml_lahir", "int")],
        ),
        _i(
            "jumlah_lansia",
            "angka",
            ("Lansia", "Elderly"),
            (
                "Anggota serumah berusia usia_lansia_min atau lebih pada tanggal penilaian.",
                "Members in the house aged usia_lansia_min or more on the assessment date.",
            ),
            [(_R, "tanggal_lahir", "date")],
        ),
        _i(
            "jumlah_disabilitas_berat",
            "angka",
            ("Anggota dengan disabilitas berat", "Members with severe disability"),
            (
                "Anggota serumah dengan disabilitas berat (registrasi).",
                "Members in the house with severe disability.",
            ),
            [(_R, "disabilitas", "select_one")],
        ),
        _i(
            "hadir_p2k2",
            "ya_tidak",
            ("Hadir P2K2 terakhir", "Attended the last P2K2 session"),
            ("Jawaban kunjungan terakhir.", "Answer of the latest visit."),
            [(_K, "hadir_p2k2", "select_one")],
        ),
        _i(
            "penilaian_pendamping",
            "pilihan",
            ("Penilaian pendamping", "Facilitator's judgement"),
            (
                "Kesiapan graduasi menurut pendamping (kunjungan terakhir).",
                "Readiness for graduation (latest visit).",
            ),
            [(_K, "penilaian_pendamping", "select_one")],
            _SIAP,
        ),
    )
}

#: Parameters the indicators read (sheet ``parameter``): name -> (label id, label en).
PARAMETERS: dict[str, tuple[str, str]] = {
    "usia_sekolah_min": ("Usia anak sekolah terendah (tahun)", "Youngest school-age child (years)"),
    "usia_sekolah_maks": ("Usia anak sekolah tertinggi (tahun)", "Oldest school-age child (years)"),
    "usia_balita_maks": ("Usia balita tertinggi (tahun)", "Oldest toddler (years)"),
    "usia_anak_layak_maks": (
        "Usia tertinggi anak yang membuat keluarga tetap layak (tahun)",
        "Oldest child that keeps the family eligible (years)",
    ),
    "usia_lansia_min": ("Usia lansia terendah (tahun)", "Youngest elderly member (years)"),
}
#: Keys of sheet ``aturan_graduasi``.
GRADUATION_RULE_KEYS = (
    "skor_minimum",
    "kriteria_wajib",
    "konfirmasi_jumlah_kunjungan",
    "konfirmasi_jarak_hari_min",
)
VERSION_KEYS = ("versi", "berlaku_mulai", "usulan", "judul_id", "judul_en")

# --- the rule set -----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Condition:
    """``indicator operator threshold``; the threshold is a float (angka), a code or a frozenset of codes."""

    indicator: str
    operator: str
    threshold: float | str | frozenset[str]


@dataclass(frozen=True, slots=True)
class Criterion:
    """A BPS criterion, a graduation criterion or the natural-exit rule: conditions combined by ``combine``."""

    code: str
    label_id: str
    label_en: str
    combine: str  # semua | salah_satu
    conditions: tuple[Condition, ...]
    reason_code: str | None = None  # graduation: the code given when the criterion is not met
    na_counts_as_met: bool = False  # graduation: "not applicable" (no such member) counts as met
    row: int = 0


@dataclass(frozen=True, slots=True)
class CategoryBand:
    """A welfare category: ``skor_bps`` from ``bps_min`` to ``bps_max`` (inclusive), ``rasio_gk`` from
    ``ratio_min`` (inclusive) to ``ratio_max`` (exclusive; ``None`` = no upper bound). ``rank`` 1 is the worst."""

    rank: int
    code: str
    label_id: str
    label_en: str
    bps_min: int
    bps_max: int
    ratio_min: float
    ratio_max: float | None


@dataclass(frozen=True, slots=True)
class PovertyLine:
    """Rupiah per person per month for a kabupaten/kota (4 digits) or the province (2 digits) in a year."""

    kode_wilayah: str
    tahun: int
    rp: float


@dataclass(frozen=True, slots=True)
class GraduationRule:
    """How the checklist decides: the minimum score, the must-pass criteria and the confirmation window."""

    min_score: int
    must_pass: tuple[str, ...]
    confirm_visits: int
    confirm_min_days: int


@dataclass(frozen=True, slots=True)
class HouseImprovement:
    """A ``perubahan_rumah`` item and the value it gives a house indicator from the visit on."""

    item: str
    indicator: str
    value: str


@dataclass(frozen=True, slots=True)
class RuleSet:
    """One version of the graduation rules, as read from its workbook."""

    version: str
    effective_from: dt.date
    proposal: bool
    title_id: str
    title_en: str
    parameters: tuple[tuple[str, float], ...]
    categories: tuple[CategoryBand, ...]  # worst first
    bps: tuple[Criterion, ...]
    graduation: tuple[Criterion, ...]
    rule: GraduationRule
    natural_exit: Criterion
    poverty_lines: tuple[PovertyLine, ...]
    improvements: tuple[HouseImprovement, ...]
    content_sha256: str = ""
    source: str = ""

    def parameter(self, name: str) -> float:
        """The value of a parameter (``KeyError`` naming the known ones when missing)."""
        for key, value in self.parameters:
            if key == name:
                return value
        raise KeyError(
            f"rule set {self.version} has no parameter {name!r} (has {[k for k, _ in self.parameters]})"
        )

    def poverty_line(self, kode_kabupaten: str | None, year: int) -> PovertyLine | None:
        """The line of the kabupaten/kota (else the province, code ``36``) of the latest year <= ``year``."""
        best: PovertyLine | None = None
        for wanted in (kode_kabupaten, (kode_kabupaten or "")[:2]):
            if not wanted:
                continue
            for line in self.poverty_lines:
                if (
                    line.kode_wilayah == wanted
                    and line.tahun <= year
                    and (best is None or line.tahun > best.tahun)
                ):
                    best = line
            if best is not None:
                return best
        return None


@dataclass(frozen=True, slots=True)
class RuleMessage:
    """One finding in a rules workbook: where (file, sheet, Excel row, column), what, and how to fix it."""

    file: str
    sheet: str
    row: int | None
    column: str | None  # the column key, e.g. "ambang_1"
    code: str
    message: str
    fix: str
    severity: str = "error"  # error | warning
    letter: str | None = None  # the Excel column letter, e.g. "G"

    def __str__(self) -> str:
        where = self.file
        if self.sheet:
            where += f" [{self.sheet}]"
        if self.row is not None:
            where += f" row {self.row}"
        if self.column:
            where += f", column {self.letter + ' ' if self.letter else ''}({self.column})"
        return f"{where}: {self.severity.upper()} {self.code}: {self.message} Fix: {self.fix}"


class RulesError(ValueError):
    """The workbook has errors; ``messages`` lists each of them."""

    def __init__(self, messages: Sequence[RuleMessage]) -> None:
        self.messages = list(messages)
        errors = [m for m in self.messages if m.severity == "error"]
        super().__init__(
            f"{len(errors)} error(s) in the graduation rules:\n" + "\n".join(str(m) for m in errors[:20])
        )


# --- reading ----------------------------------------------------------------------------------------------

HEADER_ROWS = 2  # row 1: column keys, row 2: descriptions for people
SHEETS: dict[str, tuple[str, ...]] = {
    "versi": ("kode", "nilai"),
    "parameter": ("kode", "nilai", "label_id", "label_en"),
    "kategori": (
        "urutan",
        "kode",
        "label_id",
        "label_en",
        "skor_bps_min",
        "skor_bps_maks",
        "rasio_gk_min",
        "rasio_gk_maks",
    ),
    "kriteria_bps": ("kode", "label_id", "label_en", "gabung", "indikator_1", "operator_1", "ambang_1"),
    "kriteria_graduasi": (
        "kode",
        "label_id",
        "label_en",
        "kode_alasan",
        "tidak_berlaku_dianggap_terpenuhi",
        "gabung",
        "indikator_1",
        "operator_1",
        "ambang_1",
    ),
    "aturan_graduasi": ("kode", "nilai"),
    "graduasi_alamiah": (
        "kode",
        "label_id",
        "label_en",
        "kode_alasan",
        "gabung",
        "indikator_1",
        "operator_1",
        "ambang_1",
    ),
    "garis_kemiskinan": ("kode_wilayah", "tahun", "garis_kemiskinan_rp"),
    "perbaikan_rumah": ("butir", "indikator", "nilai_baru"),
}
VOCABULARY_SHEETS = ("indikator", "operator")
CODE_RE = re.compile(r"^[A-Z][A-Z0-9_]*$")
CATEGORY_RE = re.compile(r"^[a-z][a-z0-9_]*$")
NUMBER_RE = re.compile(r"^-?[0-9]+(\.[0-9]+)?$")
THOUSANDS_RE = re.compile(r"^[0-9]{1,3}(\.[0-9]{3})+$")  # "500.000": Indonesian thousands dots, ambiguous
WILAYAH_RE = re.compile(r"^[0-9]{2}([0-9]{2})?$")
CONDITION_RE = re.compile(r"^(indikator|operator|ambang)_([1-9][0-9]?)$")


@dataclass(frozen=True, slots=True)
class _Row:
    number: int
    cells: dict[str, Any]


@dataclass
class _Sheet:
    name: str
    headers: list[str]
    rows: list[_Row]

    def letter(self, key: str) -> str | None:
        return get_column_letter(self.headers.index(key) + 1) if key in self.headers else None


def _cell(value: Any) -> Any:
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


def _read(path: Path) -> dict[str, _Sheet]:
    wb = load_workbook(path, read_only=True, data_only=True)
    try:
        sheets: dict[str, _Sheet] = {}
        for ws in wb.worksheets:
            key = ws.title.strip().lower()
            rows_iter = ws.iter_rows(values_only=True)
            first = next(rows_iter, None) or ()
            headers = [str(v).strip().lower() if v is not None else "" for v in first]
            rows: list[_Row] = []
            for number, values in enumerate(rows_iter, start=2):
                if number <= HEADER_ROWS:
                    continue
                cells = {
                    headers[i]: _cell(v) for i, v in enumerate(values) if i < len(headers) and headers[i]
                }
                if any(v is not None for v in cells.values()):
                    rows.append(_Row(number, cells))
            sheets[key] = _Sheet(ws.title, headers, rows)
        return sheets
    finally:
        wb.close()


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


def _number(value: Any) -> float | None:
    """A number from a numeric cell, or from text of digits with a dot for decimals (no thousands marks)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, str) and NUMBER_RE.match(value.strip()) and not THOUSANDS_RE.match(value.strip()):
        return float(value)
    return None


def _yes_no(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    text = _text(value).lower()
    return {YES: True, NO: False}.get(text)


def _codes(value: Any) -> list[str]:
    return [c.strip() for c in re.split(r"[,;\n]", _text(value)) if c.strip()]


class _Checker:
    """Collects messages while building a rule set from the sheets of one workbook."""

    def __init__(self, path: Path, sheets: dict[str, _Sheet]) -> None:
        self.path = path
        self.file = _display(path)
        self.sheets = sheets
        self.messages: list[RuleMessage] = []

    def add(
        self,
        sheet: str,
        row: int | None,
        column: str | None,
        code: str,
        message: str,
        fix: str,
        severity: str = "error",
    ) -> None:
        s = self.sheets.get(sheet)
        name = s.name if s else sheet
        letter = s.letter(column) if s and column else None
        self.messages.append(RuleMessage(self.file, name, row, column, code, message, fix, severity, letter))

    @property
    def has_errors(self) -> bool:
        return any(m.severity == "error" for m in self.messages)

    # -- structure --

    def sheet(self, key: str) -> _Sheet | None:
        s = self.sheets.get(key)
        if s is None:
            self.add(
                key,
                None,
                None,
                "SHEET_MISSING",
                f"the workbook has no sheet {key!r}.",
                f"Add the sheet {key!r} (copy it from forms/rules/graduasi_v2019.xlsx) or restore its name.",
            )
            return None
        missing = [c for c in SHEETS[key] if c not in s.headers]
        for column in missing:
            self.add(
                key,
                1,
                column,
                "COLUMN_MISSING",
                f"sheet {s.name!r} has no column {column!r} in row 1.",
                f"Put the key {column!r} in row 1 of a column (row 1 holds the column keys; do not rename them).",
            )
        return None if missing else s

    def label(
        self, key: str, row: _Row, columns: tuple[str, ...] = ("label_id", "label_en")
    ) -> tuple[str, str]:
        out = []
        for column in columns:
            text = _text(row.cells.get(column))
            if not text:
                lang = "Bahasa Indonesia" if column.endswith("_id") else "English"
                self.add(
                    key,
                    row.number,
                    column,
                    "LABEL_MISSING",
                    f"the {lang} text ({column}) is empty.",
                    f"Write the {lang} text in column {column}: staff read it in the admin.",
                )
            out.append(text)
        return out[0], out[1]

    def code(self, key: str, row: _Row, column: str, seen: dict[str, int], pattern: re.Pattern[str]) -> str:
        text = _text(row.cells.get(column))
        if not text:
            self.add(
                key,
                row.number,
                column,
                "CODE_MISSING",
                f"the {column} is empty.",
                f"Give the row a {column}.",
            )
        elif not pattern.match(text):
            style = "CAPITALS, digits and _" if pattern is CODE_RE else "lowercase letters, digits and _"
            self.add(
                key,
                row.number,
                column,
                "CODE_INVALID",
                f"{column} {text!r} is not a valid code.",
                f"Use {style} only, starting with a letter (e.g. {'G11' if pattern is CODE_RE else 'miskin'}).",
            )
        elif text in seen:
            self.add(
                key,
                row.number,
                column,
                "CODE_DUPLICATE",
                f"{column} {text!r} is already used in row {seen[text]}.",
                "Give every row its own code (or delete the duplicate row).",
            )
        else:
            seen[text] = row.number
        return text

    def key_values(self, key: str) -> dict[str, tuple[Any, int]]:
        s = self.sheet(key)
        if s is None:
            return {}
        out: dict[str, tuple[Any, int]] = {}
        for row in s.rows:
            name = _text(row.cells.get("kode"))
            if not name:
                continue
            if name in out:
                self.add(
                    key,
                    row.number,
                    "kode",
                    "CODE_DUPLICATE",
                    f"kode {name!r} is already given in row {out[name][1]}.",
                    "Keep one row per kode; delete the other.",
                )
                continue
            out[name] = (row.cells.get("nilai"), row.number)
        return out

    # -- sheets --

    def version(self) -> tuple[str, dt.date | None, bool, str, str]:
        values = self.key_values("versi")
        if "versi" not in self.sheets:
            return "", None, True, "", ""
        last_row = max((r for _v, r in values.values()), default=HEADER_ROWS)

        def get(name: str) -> tuple[Any, int | None]:
            if name in values:
                return values[name]
            return None, None

        version, row = get("versi")
        version_text = _text(version)
        if not version_text:
            self.add(
                "versi",
                row or last_row + 1,
                "nilai",
                "VERSION_MISSING",
                "the rule set has no version (kode versi).",
                "Put a row kode=versi with a short name in nilai, e.g. v2019 (each assessment records it).",
            )
        elif not re.match(r"^[A-Za-z0-9._-]{1,64}$", version_text):
            self.add(
                "versi",
                row,
                "nilai",
                "VERSION_INVALID",
                f"version {version_text!r} has characters other than letters, digits, '.', '_' or '-'.",
                "Use a short name such as v2019 or v2021.1 (at most 64 characters).",
            )
        effective, row = get("berlaku_mulai")
        effective_date: dt.date | None = None
        if effective is None:
            self.add(
                "versi",
                row or last_row + 1,
                "nilai",
                "EFFECTIVE_DATE_MISSING",
                "the rule set has no effective date (kode berlaku_mulai).",
                "Put a row kode=berlaku_mulai with the first day the rules apply, e.g. 2019-01-01.",
            )
        else:
            effective_date = _date(effective)
            if effective_date is None:
                self.add(
                    "versi",
                    row,
                    "nilai",
                    "EFFECTIVE_DATE_INVALID",
                    f"berlaku_mulai {_text(effective)!r} is not a date.",
                    "Type the date as YYYY-MM-DD (e.g. 2019-01-01) or enter it as an Excel date.",
                )
        proposal_value, row = get("usulan")
        proposal = _yes_no(proposal_value)
        if proposal is None:
            self.add(
                "versi",
                row or last_row + 1,
                "nilai",
                "PROPOSAL_FLAG_INVALID",
                f"usulan must be ya or tidak, not {_text(proposal_value)!r}.",
                "Write ya while the program has not confirmed these rules, tidak once it has.",
            )
            proposal = True
        titles = []
        for name in ("judul_id", "judul_en"):
            value, row = get(name)
            if not _text(value):
                lang = "Bahasa Indonesia" if name.endswith("_id") else "English"
                self.add(
                    "versi",
                    row or last_row + 1,
                    "nilai",
                    "LABEL_MISSING",
                    f"the {lang} title ({name}) is empty.",
                    f"Put a row kode={name} with the title of this rule set in {lang}.",
                )
            titles.append(_text(value))
        for name, (_value, row) in values.items():
            if name not in VERSION_KEYS:
                self.add(
                    "versi",
                    row,
                    "kode",
                    "KEY_UNKNOWN",
                    f"kode {name!r} is not a setting of sheet versi.",
                    f"Use one of {', '.join(VERSION_KEYS)} (or delete the row).",
                    severity="warning",
                )
        return version_text, effective_date, proposal, titles[0], titles[1]

    def parameters(self) -> dict[str, float]:
        s = self.sheet("parameter")
        if s is None:
            return {}
        out: dict[str, float] = {}
        seen: dict[str, int] = {}
        for row in s.rows:
            name = self.code("parameter", row, "kode", seen, CATEGORY_RE)
            self.label("parameter", row)
            if not name:
                continue
            if name not in PARAMETERS:
                self.add(
                    "parameter",
                    row.number,
                    "kode",
                    "PARAMETER_UNKNOWN",
                    f"parameter {name!r} is not read by any indicator.",
                    f"Use one of {', '.join(PARAMETERS)} (or delete the row).",
                    severity="warning",
                )
            value = _number(row.cells.get("nilai"))
            if value is None or value < 0 or not value.is_integer():
                self.add(
                    "parameter",
                    row.number,
                    "nilai",
                    "PARAMETER_NOT_NUMBER",
                    f"parameter {name} must be a whole number of years, not {_text(row.cells.get('nilai'))!r}.",
                    "Type a whole number (e.g. 7) in a cell formatted as a number.",
                )
                continue
            out[name] = value
        for name in PARAMETERS:
            if name not in seen:
                self.add(
                    "parameter",
                    (s.rows[-1].number + 1) if s.rows else HEADER_ROWS + 1,
                    "kode",
                    "PARAMETER_MISSING",
                    f"parameter {name!r} is missing.",
                    f"Add a row kode={name} with its value ({PARAMETERS[name][0]}).",
                )
        for low, high in (("usia_sekolah_min", "usia_sekolah_maks"),):
            if low in out and high in out and out[low] > out[high]:
                self.add(
                    "parameter",
                    seen[high],
                    "nilai",
                    "PARAMETER_RANGE_INVALID",
                    f"{high} ({out[high]:g}) is below {low} ({out[low]:g}).",
                    f"Make {high} at least {low}.",
                )
        return out

    def conditions(self, key: str, s: _Sheet, row: _Row) -> tuple[Condition, ...]:
        groups = sorted({int(m.group(2)) for h in s.headers if (m := CONDITION_RE.match(h))})
        before = len(self.messages)
        out: list[Condition] = []
        for k in groups:
            ik, ok, ak = f"indikator_{k}", f"operator_{k}", f"ambang_{k}"
            name, op, raw = _text(row.cells.get(ik)), _text(row.cells.get(ok)), row.cells.get(ak)
            if not name and not op and raw is None:
                continue
            if not name or not op or raw is None:
                empty = ik if not name else ok if not op else ak
                self.add(
                    key,
                    row.number,
                    empty,
                    "CONDITION_INCOMPLETE",
                    f"condition {k} has no {empty.rsplit('_', 1)[0]}.",
                    f"Fill {ik}, {ok} and {ak} together, or empty all three.",
                )
                continue
            indicator = INDICATORS.get(name)
            if indicator is None:
                self.add(
                    key,
                    row.number,
                    ik,
                    "INDICATOR_UNKNOWN",
                    f"indicator {name!r} is not in the vocabulary.",
                    "Use a name from sheet indikator (docs/graduation.md lists them), spelled exactly.",
                )
                continue
            if op not in OPERATORS:
                self.add(
                    key,
                    row.number,
                    ok,
                    "OPERATOR_UNKNOWN",
                    f"operator {op!r} is unknown.",
                    f"Use one of {' '.join(OPERATORS)} (sheet operator explains them).",
                )
                continue
            if indicator.type not in OPERATORS[op]:
                allowed = [o for o, types in OPERATORS.items() if indicator.type in types]
                self.add(
                    key,
                    row.number,
                    ok,
                    "OPERATOR_NOT_ALLOWED",
                    f"operator {op!r} does not apply to {name}, which is of type {indicator.type}.",
                    f"Use one of {' '.join(allowed)} for a {indicator.type} indicator.",
                )
                continue
            threshold = self.threshold(key, row, ak, indicator, op, raw)
            if threshold is not None:
                out.append(Condition(name, op, threshold))
        if not out and len(self.messages) == before:
            self.add(
                key,
                row.number,
                "indikator_1",
                "CRITERION_NO_CONDITION",
                "the criterion has no condition.",
                "Fill indikator_1, operator_1 and ambang_1 (and more groups if needed).",
            )
        return tuple(out)

    def threshold(
        self, key: str, row: _Row, column: str, indicator: Indicator, op: str, raw: Any
    ) -> float | str | frozenset[str] | None:
        if indicator.type == "angka":
            value = _number(raw)
            if value is None:
                self.add(
                    key,
                    row.number,
                    column,
                    "THRESHOLD_NOT_NUMBER",
                    f"threshold {_text(raw)!r} of {indicator.name} is not a number.",
                    "Type digits only, with a dot for decimals and no thousands separator (e.g. 500000 or 0.8).",
                )
            return value
        if indicator.type == "ya_tidak":
            text = _text(raw).lower()
            if text not in (YES, NO):
                self.add(
                    key,
                    row.number,
                    column,
                    "THRESHOLD_NOT_YES_NO",
                    f"threshold {_text(raw)!r} of {indicator.name} must be ya or tidak.",
                    "Write ya or tidak.",
                )
                return None
            return text
        codes = _codes(raw)
        unknown = [c for c in codes if c not in indicator.choices]
        if unknown or not codes:
            self.add(
                key,
                row.number,
                column,
                "THRESHOLD_CHOICE_UNKNOWN",
                f"{', '.join(repr(c) for c in unknown) or 'the threshold'} is not a code of {indicator.name}.",
                f"Use codes from: {', '.join(indicator.choices)}.",
            )
            return None
        if op in ("=", "!="):
            if len(codes) > 1:
                self.add(
                    key,
                    row.number,
                    column,
                    "THRESHOLD_ONE_CODE",
                    f"operator {op} compares with one code, but the threshold has {len(codes)}.",
                    "Use operator dalam (or tidak_dalam) for a list of codes, or keep one code.",
                )
                return None
            return codes[0]
        return frozenset(codes)

    def combine(self, key: str, row: _Row) -> str:
        text = _text(row.cells.get("gabung")).lower() or COMBINE_ALL
        if text not in (COMBINE_ALL, COMBINE_ANY):
            self.add(
                key,
                row.number,
                "gabung",
                "COMBINE_INVALID",
                f"gabung {text!r} is unknown.",
                "Write semua (every condition must hold) or salah_satu (one condition is enough).",
            )
            return COMBINE_ALL
        return text

    def criteria(self, key: str, seen: dict[str, int]) -> tuple[Criterion, ...]:
        s = self.sheet(key)
        if s is None:
            return ()
        out = []
        reasons: dict[str, int] = {}
        for row in s.rows:
            code = self.code(key, row, "kode", seen, CODE_RE)
            label_id, label_en = self.label(key, row)
            reason: str | None = None
            if "kode_alasan" in s.headers:
                reason = self.code(key, row, "kode_alasan", reasons, CODE_RE) or None
            na_met = False
            if key == "kriteria_graduasi":
                flag = _yes_no(row.cells.get("tidak_berlaku_dianggap_terpenuhi"))
                if flag is None:
                    self.add(
                        key,
                        row.number,
                        "tidak_berlaku_dianggap_terpenuhi",
                        "YES_NO_INVALID",
                        f"tidak_berlaku_dianggap_terpenuhi must be ya or tidak, not "
                        f"{_text(row.cells.get('tidak_berlaku_dianggap_terpenuhi'))!r}.",
                        "Write ya when a family without such a member counts as meeting the criterion, else tidak.",
                    )
                na_met = bool(flag)
            combine = self.combine(key, row)
            conditions = self.conditions(key, s, row)
            out.append(Criterion(code, label_id, label_en, combine, conditions, reason, na_met, row.number))
        if not out:
            self.add(
                key,
                HEADER_ROWS + 1,
                "kode",
                "SHEET_EMPTY",
                f"sheet {s.name!r} has no rows.",
                "Add the criteria from row 3 on.",
            )
        return tuple(out)

    def categories(self, n_bps: int) -> tuple[CategoryBand, ...]:
        key = "kategori"
        s = self.sheet(key)
        if s is None:
            return ()
        bands: list[CategoryBand] = []
        seen: dict[str, int] = {}
        ranks: dict[str, int] = {}
        for row in s.rows:
            code = self.code(key, row, "kode", seen, CATEGORY_RE)
            label_id, label_en = self.label(key, row)
            numbers: dict[str, float | None] = {}
            ok = True
            for column in ("urutan", "skor_bps_min", "skor_bps_maks", "rasio_gk_min", "rasio_gk_maks"):
                raw = row.cells.get(column)
                if column == "rasio_gk_maks" and raw is None:
                    numbers[column] = None
                    continue
                value = _number(raw)
                whole = column in ("urutan", "skor_bps_min", "skor_bps_maks")
                if value is None or value < 0 or (whole and not value.is_integer()):
                    kind = "a whole number" if whole else "a number"
                    self.add(
                        key,
                        row.number,
                        column,
                        "CATEGORY_BOUND_NOT_NUMBER",
                        f"{column} {_text(raw)!r} of {code or 'this category'} is not {kind} >= 0.",
                        f"Type {kind} (rasio_gk_maks may stay empty for the best category: no upper bound).",
                    )
                    ok = False
                numbers[column] = value
            if not ok:
                continue
            rank = int(numbers["urutan"] or 0)
            if str(rank) in ranks:
                self.add(
                    key,
                    row.number,
                    "urutan",
                    "CODE_DUPLICATE",
                    f"urutan {rank} is already used in row {ranks[str(rank)]}.",
                    "Number the categories 1 (worst) upward, each once.",
                )
            ranks[str(rank)] = row.number
            bps_min, bps_max = int(numbers["skor_bps_min"] or 0), int(numbers["skor_bps_maks"] or 0)
            ratio_min, ratio_max = float(numbers["rasio_gk_min"] or 0.0), numbers["rasio_gk_maks"]
            if bps_min > bps_max:
                self.add(
                    key,
                    row.number,
                    "skor_bps_maks",
                    "CATEGORY_RANGE_INVALID",
                    f"skor_bps_maks {bps_max} of {code} is below its skor_bps_min {bps_min}.",
                    "Make skor_bps_maks at least skor_bps_min.",
                )
                continue
            if ratio_max is not None and ratio_max <= ratio_min:
                self.add(
                    key,
                    row.number,
                    "rasio_gk_maks",
                    "CATEGORY_RANGE_INVALID",
                    f"rasio_gk_maks {ratio_max:g} of {code} is not above its rasio_gk_min {ratio_min:g}.",
                    "Make rasio_gk_maks greater than rasio_gk_min (the maximum itself is excluded).",
                )
                continue
            bands.append(CategoryBand(rank, code, label_id, label_en, bps_min, bps_max, ratio_min, ratio_max))
        bands.sort(key=lambda b: b.rank)
        row_of = {b.code: seen.get(b.code, 0) for b in bands}
        if len(bands) < len(s.rows):
            return ()  # a row is unusable (reported above); coverage messages would only repeat it
        if not bands:
            if not s.rows:
                self.add(
                    key,
                    HEADER_ROWS + 1,
                    "kode",
                    "SHEET_EMPTY",
                    "sheet kategori has no rows.",
                    "Add the categories, worst first, from row 3 on.",
                )
            return ()
        # skor_bps: the ranges cover 0..n_bps once each.
        expected = 0
        previous: CategoryBand | None = None
        for b in sorted(bands, key=lambda b: (b.bps_min, b.bps_max)):
            if b.bps_min > expected:
                self.add(
                    key,
                    row_of[b.code],
                    "skor_bps_min",
                    "CATEGORY_GAP",
                    f"no category covers skor_bps {_span(expected, b.bps_min - 1)}"
                    f"{f' (between {previous.code} and {b.code})' if previous else f' (below {b.code})'}.",
                    f"Lower skor_bps_min of {b.code} to {expected}"
                    f"{f' or raise skor_bps_maks of {previous.code} to {b.bps_min - 1}' if previous else ''}.",
                )
            elif b.bps_min < expected and previous is not None:
                self.add(
                    key,
                    row_of[b.code],
                    "skor_bps_min",
                    "CATEGORY_OVERLAP",
                    f"skor_bps {_span(b.bps_min, min(expected - 1, b.bps_max))} is in both {previous.code} and "
                    f"{b.code}.",
                    f"Set skor_bps_min of {b.code} to {expected}, or lower skor_bps_maks of {previous.code}.",
                )
            expected = max(expected, b.bps_max + 1)
            previous = b
        if expected - 1 < n_bps and previous is not None:
            top = max(bands, key=lambda b: b.bps_max)
            self.add(
                key,
                row_of[top.code],
                "skor_bps_maks",
                "CATEGORY_GAP",
                f"no category covers skor_bps {_span(expected, n_bps)} (there are {n_bps} BPS criteria).",
                f"Raise skor_bps_maks of {top.code} to {n_bps}.",
            )
        elif expected - 1 > n_bps:
            top = max(bands, key=lambda b: b.bps_max)
            self.add(
                key,
                row_of[top.code],
                "skor_bps_maks",
                "CATEGORY_RANGE_INVALID",
                f"skor_bps_maks {top.bps_max} of {top.code} is above the number of BPS criteria ({n_bps}).",
                f"Lower it to {n_bps} (or add the missing criteria to sheet kriteria_bps).",
            )
        # rasio_gk: [0, inf) covered once each.
        ordered = sorted(bands, key=lambda b: b.ratio_min)
        if ordered[0].ratio_min > 0:
            self.add(
                key,
                row_of[ordered[0].code],
                "rasio_gk_min",
                "CATEGORY_GAP",
                f"no category covers rasio_gk below {ordered[0].ratio_min:g}.",
                f"Set rasio_gk_min of {ordered[0].code} to 0.",
            )
        for a, b in zip(ordered, ordered[1:], strict=False):
            if a.ratio_max is None:
                self.add(
                    key,
                    row_of[a.code],
                    "rasio_gk_maks",
                    "CATEGORY_OVERLAP",
                    f"{a.code} has no rasio_gk_maks (no upper bound) but {b.code} starts at {b.ratio_min:g}.",
                    f"Set rasio_gk_maks of {a.code} to {b.ratio_min:g}; only the best category has no maximum.",
                )
            elif b.ratio_min > a.ratio_max:
                self.add(
                    key,
                    row_of[b.code],
                    "rasio_gk_min",
                    "CATEGORY_GAP",
                    f"no category covers rasio_gk from {a.ratio_max:g} to below {b.ratio_min:g} (between "
                    f"{a.code} and {b.code}).",
                    f"Set rasio_gk_min of {b.code} to {a.ratio_max:g} (the maximum of {a.code}).",
                )
            elif b.ratio_min < a.ratio_max:
                self.add(
                    key,
                    row_of[b.code],
                    "rasio_gk_min",
                    "CATEGORY_OVERLAP",
                    f"rasio_gk from {b.ratio_min:g} to below {a.ratio_max:g} is in both {a.code} and {b.code}.",
                    f"Set rasio_gk_min of {b.code} to {a.ratio_max:g} (the maximum of {a.code}).",
                )
        if ordered[-1].ratio_max is not None:
            self.add(
                key,
                row_of[ordered[-1].code],
                "rasio_gk_maks",
                "CATEGORY_GAP",
                f"no category covers rasio_gk of {ordered[-1].ratio_max:g} or more.",
                f"Leave rasio_gk_maks of {ordered[-1].code} empty (no upper bound).",
            )
        # A worse category (lower urutan) must sit at higher skor_bps and lower rasio_gk.
        for a, b in zip(bands, bands[1:], strict=False):
            if a.bps_min < b.bps_min or a.ratio_min > b.ratio_min:
                self.add(
                    key,
                    row_of[b.code],
                    "urutan",
                    "CATEGORY_ORDER",
                    f"{b.code} (urutan {b.rank}) is ranked better than {a.code} (urutan {a.rank}) but its ranges "
                    "are not better (lower skor_bps, higher rasio_gk).",
                    "List categories worst first: urutan 1 = most BPS criteria met and lowest rasio_gk.",
                )
        return tuple(bands)

    def graduation_rule(self, graduation: Sequence[Criterion]) -> GraduationRule:
        values = self.key_values("aturan_graduasi")
        known = {c.code for c in graduation}
        last_row = max((r for _v, r in values.values()), default=HEADER_ROWS)

        def whole(name: str, low: int, high: int | None, fix: str) -> int:
            raw, row = values.get(name, (None, None))
            value = _number(raw)
            if value is None or not value.is_integer() or value < low or (high is not None and value > high):
                bound = f"{low} to {high}" if high is not None else f"{low} or more"
                self.add(
                    "aturan_graduasi",
                    row or last_row + 1,
                    "nilai",
                    "RULE_VALUE_INVALID" if row else "RULE_VALUE_MISSING",
                    f"{name} must be a whole number from {bound}, not {_text(raw)!r}."
                    if row
                    else f"{name} is missing.",
                    fix,
                )
                return low
            return int(value)

        min_score = whole(
            "skor_minimum",
            0,
            len(graduation),
            f"Type the number of criteria that must be met (at most {len(graduation)}, the number of criteria).",
        )
        visits = whole(
            "konfirmasi_jumlah_kunjungan",
            1,
            None,
            "Type how many most recent visits must all meet the checklist (e.g. 2).",
        )
        days = whole(
            "konfirmasi_jarak_hari_min",
            0,
            None,
            "Type the minimum days between the first and the last of those visits (e.g. 90).",
        )
        raw, row = values.get("kriteria_wajib", (None, None))
        must = _codes(raw)
        if row is None:
            self.add(
                "aturan_graduasi",
                last_row + 1,
                "nilai",
                "RULE_VALUE_MISSING",
                "kriteria_wajib is missing.",
                "Add a row kode=kriteria_wajib listing the must-pass criteria (e.g. G1, G3, G6) or leave nilai empty.",
            )
        for code in must:
            if code not in known:
                self.add(
                    "aturan_graduasi",
                    row,
                    "nilai",
                    "MUST_PASS_UNKNOWN",
                    f"must-pass criterion {code!r} is not in sheet kriteria_graduasi.",
                    f"Use codes from sheet kriteria_graduasi ({', '.join(sorted(known))}), separated by commas.",
                )
        for name, (_v, r) in values.items():
            if name not in GRADUATION_RULE_KEYS:
                self.add(
                    "aturan_graduasi",
                    r,
                    "kode",
                    "KEY_UNKNOWN",
                    f"kode {name!r} is not a setting of sheet aturan_graduasi.",
                    f"Use one of {', '.join(GRADUATION_RULE_KEYS)} (or delete the row).",
                    severity="warning",
                )
        return GraduationRule(min_score, tuple(dict.fromkeys(must)), visits, days)

    def natural_exit(self, seen: dict[str, int]) -> Criterion | None:
        rows = self.criteria("graduasi_alamiah", seen)
        if len(rows) > 1:
            self.add(
                "graduasi_alamiah",
                rows[1].row,
                "kode",
                "NATURAL_EXIT_SEVERAL",
                "sheet graduasi_alamiah has more than one rule.",
                "Keep one row; put every condition in its column groups (indikator_2, ...).",
            )
        return rows[0] if rows else None

    def poverty_lines(self) -> tuple[PovertyLine, ...]:
        key = "garis_kemiskinan"
        s = self.sheet(key)
        if s is None:
            return ()
        out: list[PovertyLine] = []
        seen: dict[tuple[str, int], int] = {}
        for row in s.rows:
            kode = _text(row.cells.get("kode_wilayah"))
            year = _number(row.cells.get("tahun"))
            rp = _number(row.cells.get("garis_kemiskinan_rp"))
            bad = False
            if not WILAYAH_RE.match(kode):
                self.add(
                    key,
                    row.number,
                    "kode_wilayah",
                    "REGION_CODE_INVALID",
                    f"kode_wilayah {kode!r} is not a kabupaten/kota code (4 digits) or province code (2 digits).",
                    "Type the Kemendagri code without dots, e.g. 3601 (or 36 for a province-wide line).",
                )
                bad = True
            if year is None or not year.is_integer() or not 2000 <= year <= 2100:
                self.add(
                    key,
                    row.number,
                    "tahun",
                    "YEAR_INVALID",
                    f"tahun {_text(row.cells.get('tahun'))!r} is not a year.",
                    "Type the year as four digits, e.g. 2019.",
                )
                bad = True
            if rp is None or rp <= 0:
                self.add(
                    key,
                    row.number,
                    "garis_kemiskinan_rp",
                    "THRESHOLD_NOT_NUMBER",
                    f"garis_kemiskinan_rp {_text(row.cells.get('garis_kemiskinan_rp'))!r} is not a positive number.",
                    "Type rupiah per person per month as digits only, e.g. 500000.",
                )
                bad = True
            if bad:
                continue
            k = (kode, int(year or 0))
            if k in seen:
                self.add(
                    key,
                    row.number,
                    "kode_wilayah",
                    "POVERTY_LINE_DUPLICATE",
                    f"kode_wilayah {kode} already has a line for {k[1]} in row {seen[k]}.",
                    "Keep one line per region and year; delete the other row.",
                )
                continue
            seen[k] = row.number
            out.append(PovertyLine(kode, k[1], float(rp or 0)))
        if not out and not any(m.sheet == s.name for m in self.messages):
            self.add(
                key,
                HEADER_ROWS + 1,
                "kode_wilayah",
                "SHEET_EMPTY",
                "sheet garis_kemiskinan has no poverty line.",
                "Add at least one line (a province-wide line has kode_wilayah 36).",
            )
        return tuple(out)

    def improvements(self) -> tuple[HouseImprovement, ...]:
        key = "perbaikan_rumah"
        s = self.sheet(key)
        if s is None:
            return ()
        out: list[HouseImprovement] = []
        seen: dict[str, int] = {}
        for row in s.rows:
            item = _text(row.cells.get("butir"))
            if item not in HOUSE_IMPROVEMENT_ITEMS:
                self.add(
                    key,
                    row.number,
                    "butir",
                    "IMPROVEMENT_UNKNOWN",
                    f"butir {item!r} is not an answer of the visit question perubahan_rumah.",
                    f"Use one of {', '.join(HOUSE_IMPROVEMENT_ITEMS)}.",
                )
                continue
            if item in seen:
                self.add(
                    key,
                    row.number,
                    "butir",
                    "CODE_DUPLICATE",
                    f"butir {item!r} is already given in row {seen[item]}.",
                    "Keep one row per butir.",
                )
                continue
            seen[item] = row.number
            name = _text(row.cells.get("indikator"))
            indicator = INDICATORS.get(name)
            if indicator is None or not indicator.improvable:
                houses = [i.name for i in INDICATORS.values() if i.improvable]
                self.add(
                    key,
                    row.number,
                    "indikator",
                    "INDICATOR_UNKNOWN",
                    f"indikator {name!r} is not a house indicator an improvement can change.",
                    f"Use one of {', '.join(houses)}.",
                )
                continue
            value = _text(row.cells.get("nilai_baru"))
            if value not in indicator.choices:
                self.add(
                    key,
                    row.number,
                    "nilai_baru",
                    "THRESHOLD_CHOICE_UNKNOWN",
                    f"nilai_baru {value!r} is not a code of {name}.",
                    f"Use one of {', '.join(indicator.choices)}.",
                )
                continue
            out.append(HouseImprovement(item, name, value))
        return tuple(out)

    def vocabulary(self) -> None:
        wanted = {
            "indikator": ("nama", "tipe", {(i.name, i.type) for i in INDICATORS.values()}),
            "operator": ("kode", "berlaku_untuk", {(o, ", ".join(t)) for o, t in OPERATORS.items()}),
        }
        for key, (first, second, pairs) in wanted.items():
            s = self.sheets.get(key)
            if s is None:
                what = f"the workbook has no sheet {key} (the list staff choose from)."
            elif {(_text(r.cells.get(first)), _text(r.cells.get(second))) for r in s.rows} != pairs:
                what = f"sheet {key} does not list the {key}s this version of graduasi knows."
            else:
                continue
            self.add(
                key,
                None,
                None,
                "VOCABULARY_OUTDATED",
                what,
                "Run: graduasi graduation vocabulary FILE.xlsx (it rewrites the sheets indikator and operator).",
                severity="warning",
            )


def _span(a: int, b: int) -> str:
    return str(a) if a == b else f"{a}-{b}"


def _date(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(_text(value))
    except ValueError:
        return None


def _display(path: Path) -> str:
    try:
        return str(Path(path).resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _parse(path: Path) -> tuple[RuleSet | None, list[RuleMessage]]:
    path = Path(path)
    try:
        sheets = _read(path)
    except Exception as exc:  # openpyxl raises many types for a file that is not a workbook
        return None, [
            RuleMessage(
                _display(path),
                "",
                None,
                None,
                "RULES_UNREADABLE",
                f"cannot read the workbook: {exc}.",
                "Save the rules as an Excel .xlsx workbook (File > Save As > Excel Workbook).",
            )
        ]
    c = _Checker(path, sheets)
    version, effective, proposal, title_id, title_en = c.version()
    parameters = c.parameters()
    codes: dict[str, int] = {}
    bps = c.criteria("kriteria_bps", codes)
    graduation = c.criteria("kriteria_graduasi", codes)
    rule = c.graduation_rule(graduation)
    natural = c.natural_exit(codes)
    categories = c.categories(len(bps))
    lines = c.poverty_lines()
    improvements = c.improvements()
    c.vocabulary()
    if c.has_errors or effective is None or natural is None:
        return None, c.messages
    rules = RuleSet(
        version=version,
        effective_from=effective,
        proposal=proposal,
        title_id=title_id,
        title_en=title_en,
        parameters=tuple(sorted(parameters.items())),
        categories=categories,
        bps=bps,
        graduation=graduation,
        rule=rule,
        natural_exit=natural,
        poverty_lines=lines,
        improvements=improvements,
        source=_display(path),
    )
    digest = hashlib.sha256(_canonical(rules).encode()).hexdigest()
    return replace(rules, content_sha256=digest), c.messages


# --- public API -------------------------------------------------------------------------------------------


def check_rules(path: Path | str) -> list[RuleMessage]:
    """Every finding in a rules workbook (errors and warnings); an empty list means all is well.

    A folder is checked workbook by workbook (``*.xlsx``), plus across versions (two workbooks with the same
    version or the same effective date).
    """
    path = Path(path)
    if path.is_dir():
        messages: list[RuleMessage] = []
        loaded: list[RuleSet] = []
        if not rule_paths(path):
            return [_no_rules(path)]
        for p in rule_paths(path):
            rules, found = _parse(p)
            messages.extend(found)
            if rules is not None:
                loaded.append(rules)
        messages.extend(_check_versions(loaded))
        return messages
    return _parse(path)[1]


def _check_versions(loaded: Sequence[RuleSet]) -> list[RuleMessage]:
    messages = []
    versions: dict[str, RuleSet] = {}
    dates: dict[dt.date, RuleSet] = {}
    for rules in sorted(loaded, key=lambda r: r.source):
        if rules.version in versions:
            messages.append(
                RuleMessage(
                    rules.source,
                    "versi",
                    None,
                    "nilai",
                    "VERSION_DUPLICATE",
                    f"version {rules.version!r} is also the version of {versions[rules.version].source}.",
                    "Give each workbook its own version (assessments are keyed by it).",
                )
            )
        versions.setdefault(rules.version, rules)
        if rules.effective_from in dates:
            messages.append(
                RuleMessage(
                    rules.source,
                    "versi",
                    None,
                    "nilai",
                    "EFFECTIVE_DATE_DUPLICATE",
                    f"berlaku_mulai {rules.effective_from} is also the date of {dates[rules.effective_from].source}.",
                    "Give each version its own effective date, or remove the older workbook.",
                )
            )
        dates.setdefault(rules.effective_from, rules)
    return messages


def load_rules(path: Path | str) -> RuleSet:
    """Read one rules workbook.

    :raises RulesError: the workbook has errors (``.messages`` lists them with sheet, row and fix).
    """
    rules, messages = _parse(Path(path))
    if rules is None:
        raise RulesError(messages)
    for m in messages:
        log.warning("%s", m)
    return rules


def rule_paths(folder: Path | str | None = None) -> list[Path]:
    """The rule workbooks in a folder (default :data:`RULES_DIR`), Excel lock files excluded, sorted."""
    folder = Path(folder) if folder is not None else RULES_DIR
    return sorted(p for p in folder.glob("*.xlsx") if not p.name.startswith(("~$", ".")))


def load_rule_sets(folder: Path | str | None = None) -> list[RuleSet]:
    """Every version in a folder, oldest effective date first.

    :raises RulesError: a workbook has errors, or two share a version or an effective date.
    """
    loaded = [load_rules(p) for p in rule_paths(folder)]
    problems = _check_versions(loaded)
    if problems:
        raise RulesError(problems)
    if not loaded:
        raise RulesError([_no_rules(Path(folder or RULES_DIR))])
    return sorted(loaded, key=lambda r: r.effective_from)


def _no_rules(folder: Path) -> RuleMessage:
    return RuleMessage(
        _display(folder),
        "",
        None,
        None,
        "RULES_NONE",
        "the folder holds no rules workbook (*.xlsx).",
        "Put graduasi_<version>.xlsx there (copy forms/rules/graduasi_v2019.xlsx; see docs/graduation.md).",
    )


def rules_for_date(rule_sets: Sequence[RuleSet], on: dt.date) -> RuleSet:
    """The version in force on a date: the latest ``effective_from`` on or before it.

    A date before every version uses the oldest version (so a registration made before the first rules still
    gets an assessment; it records that version).
    """
    if not rule_sets:
        raise ValueError("no rule set given")
    ordered = sorted(rule_sets, key=lambda r: r.effective_from)
    chosen = ordered[0]
    for rules in ordered:
        if rules.effective_from <= on:
            chosen = rules
    return chosen


def rule_indicators(path: Path | str) -> list[tuple[str, str]]:
    """The indicators a rules workbook reads, as sorted ``(name, type)`` pairs (for ``forms check``).

    Includes ``rasio_gk`` (the category's income rule) and the house indicators improvements change.

    :raises RulesError: the workbook has errors.
    """
    rules = load_rules(path)
    return sorted({(n, INDICATORS[n].type) for n in indicators_of(rules)})


def indicators_of(rules: RuleSet) -> set[str]:
    """The names of every indicator a rule set reads."""
    names = {"rasio_gk"}
    for criterion in (*rules.bps, *rules.graduation, rules.natural_exit):
        names.update(c.indicator for c in criterion.conditions)
    names.update(i.indicator for i in rules.improvements)
    return names


def rule_fields(path: Path | str) -> list[tuple[str, str, str]]:
    """The form fields behind the indicators a rules workbook reads: sorted ``(form_id, field, mapping type)``.

    ``forms check`` turns each into a requirement on the form (the field exists with a compatible type).
    """
    rules = load_rules(path)
    return sorted({f for n in indicators_of(rules) for f in INDICATORS[n].fields})


# --- JSON (the rule_set table keeps each version) ---------------------------------------------------------


def _threshold_json(t: float | str | frozenset[str]) -> Any:
    return sorted(t) if isinstance(t, frozenset) else t


def _criterion_json(c: Criterion) -> dict[str, Any]:
    return {
        "code": c.code,
        "label_id": c.label_id,
        "label_en": c.label_en,
        "combine": c.combine,
        "conditions": [[x.indicator, x.operator, _threshold_json(x.threshold)] for x in c.conditions],
        "reason_code": c.reason_code,
        "na_counts_as_met": c.na_counts_as_met,
        "row": c.row,
    }


def ruleset_to_dict(rules: RuleSet) -> dict[str, Any]:
    """A JSON-ready dict of a rule set (see :func:`ruleset_from_dict`)."""
    return {
        "version": rules.version,
        "effective_from": rules.effective_from.isoformat(),
        "proposal": rules.proposal,
        "title_id": rules.title_id,
        "title_en": rules.title_en,
        "parameters": [[k, v] for k, v in rules.parameters],
        "categories": [
            [b.rank, b.code, b.label_id, b.label_en, b.bps_min, b.bps_max, b.ratio_min, b.ratio_max]
            for b in rules.categories
        ],
        "bps": [_criterion_json(c) for c in rules.bps],
        "graduation": [_criterion_json(c) for c in rules.graduation],
        "rule": [
            rules.rule.min_score,
            list(rules.rule.must_pass),
            rules.rule.confirm_visits,
            rules.rule.confirm_min_days,
        ],
        "natural_exit": _criterion_json(rules.natural_exit),
        "poverty_lines": [[p.kode_wilayah, p.tahun, p.rp] for p in rules.poverty_lines],
        "improvements": [[i.item, i.indicator, i.value] for i in rules.improvements],
        "content_sha256": rules.content_sha256,
        "source": rules.source,
    }


def _canonical(rules: RuleSet) -> str:
    data = ruleset_to_dict(rules)
    data.pop("content_sha256")
    data.pop("source")
    for group in ("bps", "graduation"):
        for c in data[group]:
            c.pop("row")
    data["natural_exit"].pop("row")
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def _criterion_from(d: dict[str, Any]) -> Criterion:
    conditions = []
    for indicator, op, t in d["conditions"]:
        threshold: float | str | frozenset[str]
        if isinstance(t, list):
            threshold = frozenset(t)
        elif isinstance(t, int | float):
            threshold = float(t)
        else:
            threshold = t
        conditions.append(Condition(indicator, op, threshold))
    return Criterion(
        d["code"],
        d["label_id"],
        d["label_en"],
        d["combine"],
        tuple(conditions),
        d.get("reason_code"),
        bool(d.get("na_counts_as_met")),
        int(d.get("row", 0)),
    )


def ruleset_from_dict(data: dict[str, Any]) -> RuleSet:
    """The inverse of :func:`ruleset_to_dict`."""
    min_score, must, visits, days = data["rule"]
    return RuleSet(
        version=data["version"],
        effective_from=dt.date.fromisoformat(data["effective_from"]),
        proposal=bool(data["proposal"]),
        title_id=data["title_id"],
        title_en=data["title_en"],
        parameters=tuple((k, float(v)) for k, v in data["parameters"]),
        categories=tuple(
            CategoryBand(int(r), c, li, le, int(a), int(b), float(x), None if y is None else float(y))
            for r, c, li, le, a, b, x, y in data["categories"]
        ),
        bps=tuple(_criterion_from(c) for c in data["bps"]),
        graduation=tuple(_criterion_from(c) for c in data["graduation"]),
        rule=GraduationRule(int(min_score), tuple(must), int(visits), int(days)),
        natural_exit=_criterion_from(data["natural_exit"]),
        poverty_lines=tuple(PovertyLine(k, int(y), float(rp)) for k, y, rp in data["poverty_lines"]),
        improvements=tuple(HouseImprovement(a, b, c) for a, b, c in data["improvements"]),
        content_sha256=data.get("content_sha256", ""),
        source=data.get("source", ""),
    )


def ruleset_to_json(rules: RuleSet) -> str:
    """The rule set as JSON text (for ``rule_set.rules_json``)."""
    return json.dumps(ruleset_to_dict(rules), ensure_ascii=False, sort_keys=True)


def ruleset_from_json(text: str) -> RuleSet:
    """A rule set from :func:`ruleset_to_json` text."""
    return ruleset_from_dict(json.loads(text))


# --- the vocabulary sheets --------------------------------------------------------------------------------


@dataclass
class VocabularySheet:
    """Rows of a vocabulary sheet: column keys, descriptions (row 2) and values."""

    title: str
    keys: list[str]
    descriptions: list[str]
    rows: list[list[str]] = field(default_factory=list)


def vocabulary_sheets() -> list[VocabularySheet]:
    """The ``indikator`` and ``operator`` sheets as written into a workbook (from :data:`INDICATORS`)."""
    indicators = VocabularySheet(
        "indikator",
        ["nama", "tipe", "pilihan", "label_id", "label_en", "arti_id", "arti_en", "sumber_data"],
        [
            "Nama indikator (tulis persis di kolom indikator_k) / Indicator name",
            "Tipe / Type",
            "Kode yang boleh dipakai / Allowed codes",
            "Label (Bahasa Indonesia)",
            "Label (English)",
            "Arti (Bahasa Indonesia)",
            "Meaning (English)",
            "Pertanyaan formulir / Form questions",
        ],
    )
    for i in INDICATORS.values():
        indicators.rows.append(
            [
                i.name,
                i.type,
                ", ".join(i.choices) if i.choices else ("ya, tidak" if i.type == "ya_tidak" else ""),
                i.label_id,
                i.label_en,
                i.meaning_id,
                i.meaning_en,
                ", ".join(f"{f}.{n}" for f, n, _t in i.fields),
            ]
        )
    operators = VocabularySheet(
        "operator",
        ["kode", "berlaku_untuk", "arti_id", "arti_en"],
        ["Operator", "Untuk tipe / For types", "Arti (Bahasa Indonesia)", "Meaning (English)"],
    )
    for op, types in OPERATORS.items():
        operators.rows.append([op, ", ".join(types), *OPERATOR_MEANINGS[op]])
    return [indicators, operators]


def write_vocabulary(path: Path | str) -> None:
    """(Re)write the ``indikator`` and ``operator`` sheets of a rules workbook from :data:`INDICATORS`."""
    from openpyxl.styles import Font, PatternFill

    wb = load_workbook(path)
    try:
        for sheet in vocabulary_sheets():
            if sheet.title in wb.sheetnames:
                index = wb.sheetnames.index(sheet.title)
                del wb[sheet.title]
                ws = wb.create_sheet(sheet.title, index)
            else:
                ws = wb.create_sheet(sheet.title)
            ws.append(sheet.keys)
            ws.append(sheet.descriptions)
            for row in sheet.rows:
                ws.append(row)
            bold = Font(bold=True)
            grey = Font(italic=True, color="555555")
            fill = PatternFill("solid", fgColor="DDDDDD")
            for cell in ws[1]:
                cell.font = bold
                cell.fill = fill
            for cell in ws[2]:
                cell.font = grey
            ws.freeze_panes = "B3"
            for letter, width in zip("ABCDEFGH", (30, 10, 40, 36, 36, 60, 60, 50), strict=False):
                ws.column_dimensions[letter].width = width
            ws.sheet_properties.tabColor = "999999"
        wb.save(path)
    finally:
        wb.close()


__all__ = [
    "COMBINE_ALL",
    "COMBINE_ANY",
    "INDICATORS",
    "INDICATOR_TYPES",
    "OPERATORS",
    "PARAMETERS",
    "RULES_DIR",
    "CategoryBand",
    "Condition",
    "Criterion",
    "GraduationRule",
    "HouseImprovement",
    "Indicator",
    "PovertyLine",
    "RuleMessage",
    "RuleSet",
    "RulesError",
    "check_rules",
    "indicators_of",
    "load_rule_sets",
    "load_rules",
    "rule_fields",
    "rule_indicators",
    "rule_paths",
    "rules_for_date",
    "ruleset_from_dict",
    "ruleset_from_json",
    "ruleset_to_dict",
    "ruleset_to_json",
    "vocabulary_sheets",
    "write_vocabulary",
]
