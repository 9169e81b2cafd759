"""The documented columns of each import file: canonical name, accepted header aliases, and how to fill them.

Header matching ignores case, spaces and punctuation (``NIK``, ``Nik Pengurus``, ``nik_pengurus`` all match).
The descriptions here feed the template's instruction sheet and docs/imports.md, so they are in Bahasa Indonesia.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


def header_key(text: str) -> str:
    """A header reduced to lowercase letters, digits and single underscores (``" NIK  Pengurus"`` -> ``nik_pengurus``)."""
    return re.sub(r"[^a-z0-9]+", "_", text.strip().lower()).strip("_")


@dataclass(frozen=True, slots=True)
class ColumnSpec:
    """One documented column.

    :param required: an empty cell is reported (``KOLOM_WAJIB_KOSONG``); a key column that is empty rejects
        the row.
    :param key: the column identifies the record (the upsert key).
    :param text_format: the template formats the column as text in Excel (identity numbers, codes, phones).
    """

    name: str
    description: str
    example: str
    aliases: tuple[str, ...] = ()
    required: bool = False
    key: bool = False
    text_format: bool = False

    def matches(self, header: str) -> bool:
        """True when a file's header names this column."""
        key = header_key(header)
        return key == self.name or key in self.aliases


KATEGORI = ("sangat_miskin", "miskin", "hampir_miskin", "rentan_miskin")

KPM_COLUMNS: tuple[ColumnSpec, ...] = (
    ColumnSpec(
        "id_kpm",
        "ID KPM dari Dinas Sosial: kode kabupaten/kota 4 angka, tanda minus, 6 angka. Wajib dan unik.",
        "3601-000001",
        ("idkpm", "kode_kpm", "nomor_kpm", "no_kpm"),
        required=True,
        key=True,
        text_format=True,
    ),
    ColumnSpec(
        "no_kk",
        "Nomor Kartu Keluarga, 16 angka.",
        "3601011203150001",
        ("kk", "nokk", "nomor_kk", "no_kartu_keluarga", "nomor_kartu_keluarga"),
        required=True,
        text_format=True,
    ),
    ColumnSpec(
        "nik_pengurus",
        "NIK pengurus (penerima bantuan, biasanya ibu), 16 angka.",
        "3601014503850001",
        ("nik", "nik_penerima", "nikpengurus"),
        required=True,
        text_format=True,
    ),
    ColumnSpec(
        "nama_pengurus",
        "Nama pengurus sesuai KTP.",
        "Siti Aminah",
        ("nama", "nama_penerima"),
        required=True,
    ),
    ColumnSpec(
        "kode_kabupaten",
        "Kode kabupaten/kota Kemendagri, 4 angka (3601 = Pandeglang). Titik boleh (36.01).",
        "3601",
        ("kode_kabkota", "kode_kab", "kode_kab_kota", "kode_kabupaten_kota", "kabupaten_kode"),
        required=True,
        text_format=True,
    ),
    ColumnSpec(
        "kode_kecamatan",
        "Kode kecamatan Kemendagri, 6 angka (360101).",
        "360101",
        ("kode_kec", "kecamatan_kode"),
        required=True,
        text_format=True,
    ),
    ColumnSpec(
        "kode_desa",
        "Kode desa/kelurahan Kemendagri, 10 angka (3601012001).",
        "3601012001",
        ("kode_kelurahan", "kode_desa_kelurahan", "kode_desa_kel", "desa_kode"),
        required=True,
        text_format=True,
    ),
    ColumnSpec("alamat", "Alamat (kampung, RT/RW).", "Kp. Sumberjaya RT 001/002", ("alamat_rumah",)),
    ColumnSpec(
        "pendamping_id",
        "ID pendamping yang memegang KPM ini (dari daftar pendamping). Sel kosong = penugasan tidak diubah.",
        "PD-3601-001",
        ("id_pendamping", "kode_pendamping", "pendamping"),
        required=True,
        text_format=True,
    ),
    ColumnSpec(
        "kategori_awal",
        "Kategori kemiskinan saat masuk: sangat_miskin, miskin, hampir_miskin atau rentan_miskin.",
        "sangat_miskin",
        ("kategori", "kategori_kemiskinan", "kategori_kesejahteraan"),
        required=True,
    ),
    ColumnSpec("tahun_masuk", "Tahun KPM masuk program, 4 angka.", "2019", ("tahun_kepesertaan",)),
    ColumnSpec(
        "id_dtks",
        "ID keluarga di DTKS/DTSEN, jika ada (boleh kosong).",
        "",
        ("dtks", "iddtks", "id_dtsen"),
        text_format=True,
    ),
)

PENDAMPING_COLUMNS: tuple[ColumnSpec, ...] = (
    ColumnSpec(
        "id",
        "ID pendamping, unik, tanpa spasi (paling banyak 32 karakter). Wajib.",
        "PD-3601-001",
        ("pendamping_id", "id_pendamping", "kode_pendamping"),
        required=True,
        key=True,
        text_format=True,
    ),
    ColumnSpec("nama", "Nama lengkap pendamping. Wajib.", "Ahmad Fauzi", ("nama_pendamping",), required=True),
    ColumnSpec(
        "kode_kabupaten",
        "Kode kabupaten/kota tempat bertugas, 4 angka.",
        "3601",
        ("kode_kabkota", "kode_kab", "kode_kab_kota"),
        required=True,
        text_format=True,
    ),
    ColumnSpec(
        "kode_kecamatan",
        "Kode kecamatan tempat bertugas, 6 angka.",
        "360101",
        ("kode_kec",),
        text_format=True,
    ),
    ColumnSpec(
        "telepon",
        "Nomor telepon/HP (awali dengan 0 atau +62).",
        "081234567890",
        ("hp", "no_hp", "nomor_hp", "no_telepon", "nomor_telepon", "telp"),
        text_format=True,
    ),
    ColumnSpec(
        "central_app_user",
        "Nama pengguna aplikasi (app user) di ODK Central, jika sudah dibuat.",
        "PD-3601-001",
        ("app_user", "pengguna_central"),
    ),
    ColumnSpec(
        "kobo_username", "Nama pengguna KoboToolbox, jika memakai Kobo.", "", ("kobo", "username_kobo")
    ),
    ColumnSpec(
        "aktif",
        "ya atau tidak (kosong = ya untuk pendamping baru, tidak diubah untuk yang sudah ada).",
        "ya",
        ("status_aktif",),
    ),
)

PENUGASAN_COLUMNS: tuple[ColumnSpec, ...] = (
    ColumnSpec(
        "id_kpm", "ID KPM yang ditugaskan. Wajib.", "3601-000001", ("idkpm",), required=True, key=True
    ),
    ColumnSpec(
        "pendamping_id",
        "ID pendamping yang memegang KPM mulai tanggal itu. Wajib.",
        "PD-3601-001",
        ("id_pendamping", "kode_pendamping", "pendamping"),
        required=True,
        text_format=True,
    ),
    ColumnSpec(
        "mulai",
        "Tanggal mulai memegang KPM (2020-01-31 atau 31/01/2020). Kosong = tanggal impor.",
        "2020-01-01",
        ("tanggal_mulai", "mulai_tanggal", "tmt"),
        required=True,
    ),
)

TARGET_COLUMNS: tuple[ColumnSpec, ...] = (
    ColumnSpec(
        "pendamping_id",
        "ID pendamping. Wajib.",
        "PD-3601-001",
        ("id_pendamping", "kode_pendamping", "id"),
        required=True,
        key=True,
        text_format=True,
    ),
    ColumnSpec("tahun", "Tahun target, 4 angka. Wajib.", "2020", ("tahun_target",), required=True, key=True),
    ColumnSpec(
        "target_graduasi",
        "Jumlah KPM yang ditargetkan graduasi pada tahun itu (bilangan bulat).",
        "5",
        ("graduasi",),
    ),
    ColumnSpec(
        "target_naik_kategori",
        "Jumlah KPM yang ditargetkan naik kategori pada tahun itu (bilangan bulat).",
        "20",
        ("naik_kategori",),
    ),
    ColumnSpec(
        "target_cakupan_kunjungan_pct",
        "Target persen KPM yang dikunjungi dalam 90 hari, 0 sampai 100.",
        "90",
        ("target_cakupan_kunjungan", "target_kunjungan_pct", "cakupan_kunjungan_pct"),
    ),
)
