"""Templates for the import files: the documented header, one example row, and instructions in Bahasa Indonesia.

Identity numbers, ids and codes are formatted as text in the template so Excel keeps leading zeros and all 16
digits of a NIK. The example rows fit together: the pendamping template's pendamping holds the KPM template's
KPM, so importing the three templates in order (pendamping, kpm, targets) is clean.
"""

from __future__ import annotations

from pathlib import Path

import xlsxwriter

from warehouse.imports.columns import (
    KPM_COLUMNS,
    PENDAMPING_COLUMNS,
    PENUGASAN_COLUMNS,
    TARGET_COLUMNS,
    ColumnSpec,
)

KINDS = ("kpm", "pendamping", "targets")

_SHEETS: dict[str, list[tuple[str, tuple[ColumnSpec, ...]]]] = {
    "kpm": [("kpm", KPM_COLUMNS)],
    "pendamping": [("pendamping", PENDAMPING_COLUMNS), ("penugasan", PENUGASAN_COLUMNS)],
    "targets": [("target", TARGET_COLUMNS)],
}

_TITLES = {
    "kpm": "Petunjuk pengisian daftar KPM resmi",
    "pendamping": "Petunjuk pengisian daftar pendamping dan penugasan KPM",
    "targets": "Petunjuk pengisian target pendamping",
}

_COMMON_STEPS = (
    "Baris 1 berisi judul kolom; jangan diubah. Isi data mulai baris 2, satu baris per data.",
    "Hapus baris contoh (baris 2) sebelum mengimpor, kecuali memang data sebenarnya.",
    "Kolom ID, NIK, KK, kode wilayah dan telepon sudah berformat Teks agar angka 0 di depan dan digit ke-16 "
    "NIK tidak hilang. Saat menempel dari file lain, pakai Tempel Khusus > Nilai.",
    "Sel kosong tidak menghapus data yang sudah tersimpan. Data yang tidak ada di file tidak dihapus; "
    "keluarnya KPM dicatat lewat keputusan di admin.",
    "File boleh juga disimpan sebagai CSV UTF-8 dengan judul kolom yang sama (pemisah koma atau titik koma).",
    "Setiap impor menulis laporan validasi (NAMA_FILE.laporan.xlsx) yang menyebut setiap baris yang ditolak "
    "atau mencurigakan, alasannya, dan cara memperbaikinya. Impor ulang file yang sama tidak mengubah apa pun.",
)

_KIND_STEPS = {
    "kpm": (
        "Perintah: graduasi import kpm NAMA_FILE.xlsx",
        "Baris ditolak hanya jika ID KPM kosong, salah format, atau muncul dua kali dengan isi berbeda. "
        "Masalah lain (NIK ganda, kode wilayah tidak dikenal, pendamping tidak dikenal) tetap disimpan "
        "dengan peringatan.",
        "Jika pendamping_id berubah, penugasan lama ditutup sehari sebelum tanggal impor dan penugasan baru dibuka.",
    ),
    "pendamping": (
        "Perintah: graduasi import pendamping NAMA_FILE.xlsx",
        "Sheet 'pendamping' berisi daftar pendamping; sheet 'penugasan' (boleh dihapus jika tidak dipakai) "
        "berisi KPM yang dipegang setiap pendamping mulai tanggal tertentu.",
        "Riwayat penugasan tidak ditulis ulang: tanggal mulai harus setelah penugasan yang sedang berlaku.",
        "Impor daftar pendamping sebelum daftar KPM agar pendamping_id di daftar KPM dikenali.",
    ),
    "targets": (
        "Perintah: graduasi import targets NAMA_FILE.xlsx",
        "Satu baris per pendamping per tahun; impor ulang dengan angka baru mengganti target tahun itu.",
    ),
}


def write_template(kind: str, path: Path | str) -> Path:
    """Write the import template of ``kind`` (``kpm``, ``pendamping`` or ``targets``) to ``path``.

    :raises ValueError: for an unknown kind.
    """
    if kind not in _SHEETS:
        raise ValueError(f"jenis templat {kind!r} tidak dikenal; pilih salah satu: {', '.join(KINDS)}")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    book = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False, "strings_to_urls": False})
    try:
        header = book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
        as_text = book.add_format({"num_format": "@"})
        bold = book.add_format({"bold": True})
        wrap = book.add_format({"text_wrap": True, "valign": "top"})
        for name, columns in _SHEETS[kind]:
            sheet = book.add_worksheet(name)
            for col, spec in enumerate(columns):
                width = max(len(spec.name), len(spec.example)) + 4
                sheet.set_column(col, col, width, as_text if spec.text_format else None)
                sheet.write_string(0, col, spec.name, header)
                if spec.example:
                    sheet.write_string(1, col, spec.example, as_text if spec.text_format else None)
            sheet.freeze_panes(1, 0)
        _instructions(book.add_worksheet("petunjuk"), kind, bold, wrap)
    finally:
        book.close()
    return path


def _instructions(sheet, kind: str, bold, wrap) -> None:  # type: ignore[no-untyped-def]
    sheet.set_column(0, 0, 30)
    sheet.set_column(1, 1, 8)
    sheet.set_column(2, 2, 80)
    sheet.set_column(3, 3, 20)
    sheet.set_column(4, 4, 40)
    sheet.write_string(0, 0, _TITLES[kind], bold)
    row = 2
    for i, step in enumerate(_COMMON_STEPS + _KIND_STEPS[kind], start=1):
        sheet.write_string(row, 0, f"{i}.")
        sheet.merge_range(row, 1, row, 4, step, wrap)
        sheet.set_row(row, 30)
        row += 1
    for name, columns in _SHEETS[kind]:
        row += 1
        sheet.write_string(row, 0, f"Kolom sheet '{name}'", bold)
        row += 1
        for col, label in enumerate(("Kolom", "Wajib", "Keterangan", "Contoh", "Judul lain yang diterima")):
            sheet.write_string(row, col, label, bold)
        for spec in columns:
            row += 1
            sheet.write_string(row, 0, spec.name)
            sheet.write_string(row, 1, "ya" if spec.required else "tidak")
            sheet.write_string(row, 2, spec.description, wrap)
            sheet.write_string(row, 3, spec.example)
            sheet.write_string(row, 4, ", ".join(spec.aliases))
