"""The disbursement problems staff follow up: listed by year, kabupaten/kota and kind, and written as XLSX.

Each problem is a confirmation that does not match the KPM's entitlement for its year and tranche
(:mod:`warehouse.penyaluran` decides which, after each sync and when the tranche table changes). The list adds
what a follow-up needs: the KPM's name, region and pendamping, and the confirmation's dates and reported obstacle.

The XLSX is written as :mod:`warehouse.xlsx` writes spreadsheets, and every text cell a spreadsheet would run as a
formula is prefixed with ``'`` (reliability.md §4 B16): names and obstacles come from the field.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import Connection, select

from warehouse.db import as_date
from warehouse.models import Kpm, MasalahPenyaluran, Penyaluran
from warehouse.xlsx import (
    KPM_COLUMNS,
    staff_workbook,
    write_day,
    write_header,
    write_text,
    write_texts,
    write_title,
)

log = logging.getLogger(__name__)

#: Every kind of problem, in the order staff read them, with its meaning in Bahasa Indonesia.
KIND_LABELS: dict[str, str] = {
    "kurang": "Diterima kurang dari hak tahap ini",
    "lebih": "Diterima lebih dari hak tahap ini",
    "di_luar_jadwal": "Diterima di luar jadwal pembayaran tahap ini",
    "ganda": "Konfirmasi penerimaan kedua untuk tahap yang sama",
    "belum_cair": "Bantuan belum cair",
    "rekening_bermasalah": "Rekening bermasalah",
    "kpm_tidak_ditemukan": "KPM tidak ditemukan saat penyaluran",
    "tahap_tidak_dikenal": "Tahun/tahap tidak ada di tabel tahap program (forms/program/tahap.csv)",
}
_HEADER = (
    *KPM_COLUMNS,
    ("Tahun", 7),
    ("Tahap", 7),
    ("Jenis masalah", 22),
    ("Keterangan", 46),
    ("Hak (Rp)", 13),
    ("Diterima (Rp)", 13),
    ("Selisih (Rp)", 13),
    ("Tanggal terima", 14),
    ("Tanggal konfirmasi", 16),
    ("Kendala yang dilaporkan", 30),
    ("ID konfirmasi", 44),
)


@dataclass(frozen=True, slots=True)
class DisbursementProblem:
    """One problem with what its follow-up needs."""

    id_kpm: str
    nama_pengurus: str | None
    kode_kabupaten: str | None
    kode_kecamatan: str | None
    kode_desa: str | None
    pendamping_id: str | None
    tahun: int
    tahap: str
    jenis: str
    diharapkan_rp: int | None
    diterima_rp: int | None
    tanggal_terima: date | None
    tanggal_konfirmasi: date | None
    kendala: str | None
    penyaluran_id: str | None

    @property
    def selisih_rp(self) -> int | None:
        """Received minus the entitlement (negative: short); None when either is unknown."""
        if self.diharapkan_rp is None or self.diterima_rp is None:
            return None
        return self.diterima_rp - self.diharapkan_rp


#: The kinds about the amount: their differences add up to money paid short or over. (A confirmation outside the
#: pay window may also be short; its difference is counted once, under kurang.)
AMOUNT_KINDS = ("kurang", "lebih")


@dataclass(frozen=True, slots=True)
class KindCount:
    """How many problems of one kind, and for the amount kinds what they add up to against the entitlements."""

    jenis: str
    count: int
    selisih_rp: (
        int | None
    )  # the sum of the known differences (negative: paid short); None: not an amount kind


def list_problems(
    conn: Connection, *, tahun: int | None = None, kabupaten: str | None = None, jenis: str | None = None
) -> list[DisbursementProblem]:
    """The stored problems, filtered, by year, tranche, region and KPM."""
    m, k, p = MasalahPenyaluran.__table__, Kpm.__table__, Penyaluran.__table__
    query = (
        select(
            m.c.id_kpm,
            k.c.nama_pengurus,
            m.c.kode_kabupaten,
            k.c.kode_kecamatan,
            k.c.kode_desa,
            k.c.pendamping_id,
            m.c.tahun,
            m.c.tahap,
            m.c.jenis,
            m.c.diharapkan_rp,
            m.c.diterima_rp,
            p.c.tanggal_terima,
            p.c.tanggal_konfirmasi,
            p.c.kendala,
            m.c.penyaluran_id,
        )
        .select_from(m.outerjoin(k, k.c.id_kpm == m.c.id_kpm).outerjoin(p, p.c.id == m.c.penyaluran_id))
        .order_by(m.c.tahun, m.c.tahap, m.c.kode_kabupaten, m.c.id_kpm, m.c.id)
    )
    if tahun is not None:
        query = query.where(m.c.tahun == tahun)
    if kabupaten is not None:
        query = query.where(m.c.kode_kabupaten == kabupaten)
    if jenis is not None:
        query = query.where(m.c.jenis == jenis)
    return [
        DisbursementProblem(
            **{
                **r._mapping,
                "tanggal_terima": as_date(r.tanggal_terima),
                "tanggal_konfirmasi": as_date(r.tanggal_konfirmasi),
            }
        )
        for r in conn.execute(query)
    ]


def count_by_kind(problems: Iterable[DisbursementProblem]) -> list[KindCount]:
    """Problems per kind, in :data:`KIND_LABELS` order (a kind not listed there comes last)."""
    counts: dict[str, list[int]] = {}
    for p in problems:
        entry = counts.setdefault(p.jenis, [0, 0])
        entry[0] += 1
        entry[1] += p.selisih_rp or 0
    order = {kind: i for i, kind in enumerate(KIND_LABELS)}
    return [
        KindCount(kind, n, total if kind in AMOUNT_KINDS else None)
        for kind, (n, total) in sorted(counts.items(), key=lambda kv: (order.get(kv[0], len(order)), kv[0]))
    ]


def write_problems_xlsx(
    problems: Sequence[DisbursementProblem], path: Path | str, filters: str, *, now: datetime | None = None
) -> Path:
    """Write the list to ``path`` (XLSX): sheet ``ringkasan`` (what was asked, counts per kind), ``masalah``
    (one row per problem) and ``jenis`` (what each kind means)."""
    path = Path(path)
    with staff_workbook(path) as (book, fmt):
        summary = book.add_worksheet("ringkasan")
        summary.set_column(0, 0, 46)
        summary.set_column(1, 2, 16)
        row = write_title(summary, "Masalah penyaluran", [f"Filter: {filters}"], fmt, now=now)
        summary.write_row(row, 0, ("Jenis masalah", "Jumlah", "Selisih (Rp)"), fmt.bold)
        row += 1
        for kind in count_by_kind(problems):
            summary.write_string(row, 0, KIND_LABELS.get(kind.jenis, kind.jenis))
            summary.write_number(row, 1, kind.count)
            if kind.selisih_rp is not None:
                summary.write_number(row, 2, kind.selisih_rp, fmt.money)
            row += 1
        summary.write_string(row, 0, "Jumlah", fmt.bold)
        summary.write_number(row, 1, len(problems), fmt.bold)

        sheet = book.add_worksheet("masalah")
        write_header(sheet, 0, _HEADER, fmt.bold)
        sheet.freeze_panes(1, 0)
        for i, p in enumerate(problems, start=1):
            write_texts(
                sheet,
                i,
                0,
                (p.id_kpm, p.nama_pengurus, p.kode_kabupaten, p.kode_kecamatan, p.kode_desa, p.pendamping_id),
            )
            sheet.write_number(i, 6, p.tahun)
            write_text(sheet, i, 7, p.tahap)
            write_text(sheet, i, 8, p.jenis)
            write_text(sheet, i, 9, KIND_LABELS.get(p.jenis, p.jenis))
            for col, amount in ((10, p.diharapkan_rp), (11, p.diterima_rp), (12, p.selisih_rp)):
                if amount is not None:
                    sheet.write_number(i, col, amount, fmt.money)
            write_day(sheet, i, 13, p.tanggal_terima, fmt.day)
            write_day(sheet, i, 14, p.tanggal_konfirmasi, fmt.day)
            write_text(sheet, i, 15, p.kendala)
            write_text(sheet, i, 16, p.penyaluran_id)
        if problems:
            sheet.autofilter(0, 0, len(problems), len(_HEADER) - 1)

        kinds = book.add_worksheet("jenis")
        write_header(kinds, 0, (("Jenis masalah", 22), ("Artinya", 70)), fmt.bold)
        for i, (kind, label) in enumerate(KIND_LABELS.items(), start=1):
            kinds.write_string(i, 0, kind)
            kinds.write_string(i, 1, label)
    log.info("disbursement problems written: %s (%d rows)", path, len(problems))
    return path
