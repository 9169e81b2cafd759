"""What an import found: reason codes with their Indonesian wording, one issue per problem, and the result.

Codes are stable (the report, the docs and staff refer to them); messages say what is wrong with this row and
``perbaikan`` says what to change in the file. A row is *ditolak* (not stored) only when it cannot be stored
at all; everything else is stored with *peringatan* (warnings). *info* is for file-level notes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from pathlib import Path


class Severity(StrEnum):
    """How bad an issue is: the row is not stored, stored with a warning, or a note about the file."""

    DITOLAK = "ditolak"
    PERINGATAN = "peringatan"
    INFO = "info"


@dataclass(frozen=True, slots=True)
class CodeInfo:
    """A reason code's meaning (``judul``) and the usual way to fix it (``perbaikan``), in Bahasa Indonesia."""

    judul: str
    perbaikan: str


#: Every reason code an import can report. Keep the keys stable: staff and the docs refer to them.
CODES: dict[str, CodeInfo] = {
    "ID_KPM_FORMAT": CodeInfo(
        "ID KPM tidak sesuai format 36KK-NNNNNN",
        "Tulis ID KPM seperti 3601-000123 (kode kabupaten/kota, tanda minus, enam angka).",
    ),
    "ID_KPM_DUPLIKAT": CodeInfo(
        "ID KPM muncul lebih dari sekali di file",
        "Satu ID KPM hanya boleh satu baris. Hapus baris ganda atau perbaiki ID-nya.",
    ),
    "ID_KPM_WILAYAH_BEDA": CodeInfo(
        "Awalan ID KPM tidak sama dengan kode kabupaten/kota",
        "Periksa ID KPM dan kode_kabupaten; empat angka pertama ID biasanya kode kabupaten/kota.",
    ),
    "KOLOM_WAJIB_KOSONG": CodeInfo(
        "Kolom wajib kosong",
        "Isi kolom tersebut. Sel kosong tidak menghapus nilai yang sudah tersimpan.",
    ),
    "KOLOM_TIDAK_ADA": CodeInfo(
        "Kolom wajib tidak ada di file",
        "Tambahkan kolom itu (lihat templat). Nilai yang sudah tersimpan tidak diubah.",
    ),
    "KOLOM_TIDAK_DIKENAL": CodeInfo(
        "Kolom tidak dikenal, diabaikan",
        "Tidak perlu tindakan jika kolom itu memang tidak dipakai; jika dipakai, ganti judulnya (lihat templat).",
    ),
    "NILAI_TERLALU_PANJANG": CodeInfo(
        "Nilai terlalu panjang, tidak disimpan",
        "Perpendek isinya; nilai lama (jika ada) dipertahankan.",
    ),
    "SEL_ANGKA": CodeInfo(
        "Sel berformat angka di Excel",
        "Format kolom sebagai Teks lalu ketik ulang: Excel hanya menyimpan 15 digit dan membuang nol di depan.",
    ),
    "NIK_FORMAT": CodeInfo(
        "NIK bukan 16 angka",
        "Tulis NIK 16 angka 0-9 sesuai KTP/KK, tanpa huruf. Spasi dan titik boleh, akan dibuang.",
    ),
    "NIK_PLACEHOLDER": CodeInfo(
        "NIK berupa isian sementara (mis. 0000…, 123456789…, satu angka berulang)",
        "Ganti dengan NIK asli dari KTP/KK atau Dukcapil.",
    ),
    "NIK_WILAYAH_BEDA": CodeInfo(
        "Kode wilayah di NIK tidak cocok dengan Banten",
        "Periksa NIK dengan KTP/KK; bisa benar jika penduduk pindahan dari provinsi lain.",
    ),
    "NIK_TANGGAL_LAHIR": CodeInfo(
        "Tanggal lahir di NIK (digit 7-12) tidak mungkin",
        "Periksa NIK dengan KTP/KK: digit 7-12 adalah tanggal lahir DDMMYY (tanggal + 40 untuk perempuan).",
    ),
    "NIK_DUPLIKAT": CodeInfo(
        "NIK sama dengan KPM lain",
        "Periksa apakah keduanya keluarga yang sama; data tidak digabung otomatis. Perbaiki NIK yang salah.",
    ),
    "KK_FORMAT": CodeInfo(
        "Nomor KK bukan 16 angka atau isian sementara",
        "Tulis nomor Kartu Keluarga 16 angka 0-9 sesuai KK.",
    ),
    "KK_DUPLIKAT": CodeInfo(
        "Nomor KK sama dengan KPM lain",
        "Boleh jika satu KK memang dipecah menjadi dua KPM; jika tidak, perbaiki nomor KK.",
    ),
    "KODE_WILAYAH_TIDAK_DIKENAL": CodeInfo(
        "Kode wilayah tidak dikenal",
        "Pakai kode Kemendagri: kabupaten 4 angka (3601), kecamatan 6 angka (360101), desa 10 angka.",
    ),
    "WILAYAH_TIDAK_KONSISTEN": CodeInfo(
        "Kode desa/kecamatan tidak berada di kecamatan/kabupaten yang ditulis",
        "Samakan kode_kabupaten, kode_kecamatan dan kode_desa (desa harus di dalam kecamatannya).",
    ),
    "WILAYAH_DILENGKAPI": CodeInfo(
        "Kode wilayah kosong, dilengkapi dari kode di bawahnya",
        "Isi kode tersebut di file agar jelas; nilai yang dilengkapi sudah disimpan.",
    ),
    "PENDAMPING_TIDAK_DIKENAL": CodeInfo(
        "Pendamping tidak ada di daftar pendamping",
        "Impor daftar pendamping yang memuat ID ini, atau perbaiki ID pendamping.",
    ),
    "PENDAMPING_TIDAK_AKTIF": CodeInfo(
        "Pendamping berstatus tidak aktif",
        "Tugaskan KPM ke pendamping yang aktif, atau aktifkan kembali pendamping di daftar pendamping.",
    ),
    "PENDAMPING_DUPLIKAT": CodeInfo(
        "ID pendamping muncul lebih dari sekali di file",
        "Satu pendamping hanya boleh satu baris. Hapus baris ganda atau perbaiki ID-nya.",
    ),
    "ID_PENDAMPING_FORMAT": CodeInfo(
        "ID pendamping tidak bisa dipakai",
        "Tulis ID pendamping tanpa spasi, paling banyak 32 karakter, mis. PD-3601-001.",
    ),
    "KPM_TIDAK_DIKENAL": CodeInfo(
        "KPM tidak ada di gudang data",
        "Impor daftar KPM resmi dulu, atau perbaiki ID KPM.",
    ),
    "PENUGASAN_DUPLIKAT": CodeInfo(
        "Penugasan KPM yang sama dengan tanggal mulai yang sama muncul lebih dari sekali",
        "Sisakan satu baris untuk setiap KPM dan tanggal mulai.",
    ),
    "PENUGASAN_BERTENTANGAN": CodeInfo(
        "Tanggal mulai penugasan tidak setelah penugasan yang sedang berlaku",
        "Riwayat penugasan tidak ditulis ulang. Pakai tanggal mulai setelah penugasan yang berlaku.",
    ),
    "PENUGASAN_DIKOREKSI": CodeInfo(
        "Penugasan pada tanggal yang sama diganti",
        "Tidak perlu tindakan jika memang koreksi; penugasan yang salah hari itu diganti pendamping baru.",
    ),
    "TANGGAL_TIDAK_VALID": CodeInfo(
        "Tanggal atau tahun tidak valid",
        "Tulis tanggal sebagai 2020-01-31 atau 31/01/2020, dan tahun sebagai 4 angka yang masuk akal.",
    ),
    "ANGKA_TIDAK_VALID": CodeInfo(
        "Angka tidak valid",
        "Tulis bilangan bulat 0 atau lebih (persen: 0 sampai 100, tanpa tanda %).",
    ),
    "TARGET_DUPLIKAT": CodeInfo(
        "Target pendamping dan tahun yang sama muncul lebih dari sekali",
        "Sisakan satu baris untuk setiap pendamping dan tahun.",
    ),
    "KATEGORI_TIDAK_DIKENAL": CodeInfo(
        "Kategori kemiskinan tidak dikenal",
        "Pakai salah satu: sangat_miskin, miskin, hampir_miskin, rentan_miskin.",
    ),
    "NILAI_TIDAK_DIKENAL": CodeInfo(
        "Nilai tidak dikenal",
        "Pakai salah satu nilai yang tertulis di petunjuk templat.",
    ),
    "FILE_BUKAN_UTF8": CodeInfo(
        "File CSV bukan UTF-8, dibaca sebagai Windows-1252",
        "Periksa huruf khusus pada nama; simpan sebagai 'CSV UTF-8' di Excel bila bisa.",
    ),
    "TIDAK_ADA_DI_DAFTAR_BARU": CodeInfo(
        "Tersimpan dari daftar sebelumnya tetapi tidak ada di file ini",
        "Tidak dihapus. Jika KPM/pendamping memang keluar, catat keputusan keluarnya di admin.",
    ),
}


@dataclass(frozen=True, slots=True)
class Issue:
    """One problem: where (sheet, Excel row, column), what (code, message) and how to fix it.

    ``row`` is the row number as Excel shows it (the header is row 1), or None for a file-level note or a
    record already in the warehouse. ``value`` is already masked when it is a NIK or KK number.
    """

    code: str
    severity: Severity
    message: str
    row: int | None = None
    key: str | None = None
    column: str | None = None
    value: str | None = None
    sheet: str | None = None

    @property
    def fix(self) -> str:
        """What to change in the file (the code's usual fix)."""
        return CODES[self.code].perbaikan


@dataclass(slots=True)
class ImportResult:
    """What an import read, stored and found. Row counts are about data rows (the header is not counted)."""

    kind: str  # kpm | pendamping | targets
    path: Path
    actor: str
    today: date
    sheets: list[str] = field(default_factory=list)
    rows_read: int = 0
    rows_rejected: int = 0
    rows_with_warnings: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    assignments_opened: int = 0
    assignments_closed: int = 0
    missing_from_list: int = 0
    ignored_columns: list[str] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    stored_keys: list[str] = field(default_factory=list)

    @property
    def rows_accepted(self) -> int:
        """Rows stored (with or without warnings)."""
        return self.rows_read - self.rows_rejected

    @property
    def imported(self) -> bool:
        """True when at least one row was stored (or there was nothing to reject)."""
        return self.rows_read > 0 and self.rows_accepted > 0

    def counts_by_code(self) -> dict[str, int]:
        """How many issues each code has, most frequent first."""
        counts: dict[str, int] = {}
        for issue in self.issues:
            counts[issue.code] = counts.get(issue.code, 0) + 1
        return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))

    def summary(self) -> dict[str, object]:
        """The counts as a plain dict (for the audit log and the report's summary sheet)."""
        return {
            "jenis": self.kind,
            "file": self.path.name,
            "sheet": ", ".join(self.sheets),
            "baris_dibaca": self.rows_read,
            "baris_diterima": self.rows_accepted,
            "baris_dengan_peringatan": self.rows_with_warnings,
            "baris_ditolak": self.rows_rejected,
            "baru": self.inserted,
            "diperbarui": self.updated,
            "tidak_berubah": self.unchanged,
            "penugasan_dibuka": self.assignments_opened,
            "penugasan_ditutup": self.assignments_closed,
            "tidak_ada_di_daftar_baru": self.missing_from_list,
        }


class ImportFileError(Exception):
    """The file cannot be imported at all (unreadable, no data rows, a key column missing).

    The message names the file and, where it applies, the sheet, row and column, and what to fix.
    """


class EmptySheetError(ImportFileError):
    """The sheet (or CSV file) holds no data row: blank, or a header with nothing under it."""
