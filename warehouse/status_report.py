"""Each KPM's graduation status with the reasons behind it, in words staff read: listed, counted, written as XLSX.

The category and status are those of the KPM's latest assessment (the recompute copies them onto ``kpm``). The
reasons are that assessment's codes (``asesmen.alasan``: the status's, then the assessment's), each explained from
the rule version the assessment was made with (a graduation criterion not met, or lacking data, by its name in the
rules workbook) or from the engine's own codes (:data:`ENGINE_REASONS`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import Connection, and_, func, select

from forms.rules import RuleSet, ruleset_from_json
from warehouse.db import as_date
from warehouse.graduation.engine import (
    CATEGORY_DATA_MISSING,
    DATA_KURANG,
    KPM_DIED,
    KPM_MOVED,
    KPM_NOT_MET,
    POVERTY_LINE_MISSING,
    SCORE_BELOW_MIN,
    TERPENUHI,
    TIDAK_BERLAKU,
    TIDAK_TERPENUHI,
    compile_rules,
)
from warehouse.graduation.status import (
    BELUM_MEMENUHI,
    CONFIRM_GAP_TOO_SHORT,
    CONFIRMED,
    GRADUASI_ALAMIAH_LAYAK,
    LAYAK_GRADUASI,
    MEMENUHI_SEKALI,
    NO_CONTACT,
    NOT_CONFIRMED_YET,
    STATUS_DATA_KURANG,
)
from warehouse.models import Asesmen, Kpm
from warehouse.models import RuleSet as RuleSetRow
from warehouse.xlsx import (
    KPM_COLUMNS,
    staff_workbook,
    write_day,
    write_header,
    write_text,
    write_texts,
    write_title,
)

#: The statuses, in the order staff read them, in Bahasa Indonesia.
STATUS_LABELS: dict[str, str] = {
    LAYAK_GRADUASI: "Layak graduasi: usulkan lewat keputusan",
    GRADUASI_ALAMIAH_LAYAK: "Layak graduasi alamiah: tidak ada lagi anggota yang memenuhi syarat",
    MEMENUHI_SEKALI: "Memenuhi sekali: menunggu kunjungan berikutnya",
    BELUM_MEMENUHI: "Belum memenuhi syarat graduasi",
    STATUS_DATA_KURANG: "Data kurang untuk menilai",
}
#: The codes the engine and the status add beside the rules' own, in Bahasa Indonesia.
ENGINE_REASONS: dict[str, str] = {
    SCORE_BELOW_MIN: "Jumlah kriteria graduasi yang terpenuhi di bawah skor minimum",
    POVERTY_LINE_MISSING: "Garis kemiskinan untuk kabupaten/kota dan tahun ini belum ada",
    CATEGORY_DATA_MISSING: "Jawaban yang kurang membuat kategori belum dapat ditentukan",
    KPM_NOT_MET: "KPM tidak ada di rumah saat kunjungan",
    KPM_MOVED: "KPM pindah",
    KPM_DIED: "KPM meninggal",
    NOT_CONFIRMED_YET: "Terpenuhi sekali, menunggu konfirmasi pada kunjungan berikutnya",
    CONFIRM_GAP_TOO_SHORT: "Terpenuhi, tetapi jarak antar-kunjungan kurang dari syarat konfirmasi",
    CONFIRMED: "Terpenuhi dan terkonfirmasi pada kunjungan-kunjungan terakhir",
    NO_CONTACT: "Belum pernah ditemui",
}
_UNASSESSED = "belum_dinilai"
#: How a criterion's reason reads by the outcome that gave it (a graduation criterion that does not apply and is
#: not counted as met gives the same code as one not met).
_OUTCOME_WORDS = {
    TERPENUHI: "{}",
    TIDAK_TERPENUHI: "Tidak terpenuhi: {}",
    TIDAK_BERLAKU: "Tidak terpenuhi: {}",
    DATA_KURANG: "Data kurang: {}",
}


@dataclass(frozen=True, slots=True)
class KpmStatus:
    """A KPM's latest category and status with the codes of the reasons."""

    id_kpm: str
    nama_pengurus: str | None
    kode_kabupaten: str | None
    kode_kecamatan: str | None
    kode_desa: str | None
    pendamping_id: str | None
    kategori: str | None
    status: str | None  # None: not assessed yet
    tanggal_asesmen: date | None
    tanggal_kunjungan_terakhir: date | None
    skor_bps: int | None
    skor_graduasi: int | None
    rule_version: str | None
    alasan: tuple[str, ...]


class ReasonBook:
    """The meaning of every reason code, per rule version (read from the stored versions)."""

    def __init__(self, rule_sets: Iterable[RuleSet]) -> None:
        self._by_version: dict[str, dict[str, str]] = {}
        for rules in rule_sets:
            # which code each outcome of each criterion gives is the engine's to say (its compiled rule set)
            meta = compile_rules(rules).meta
            criteria = (*rules.bps, *rules.graduation, rules.natural_exit)
            texts: dict[str, str] = {}
            for criterion, codes in zip(criteria, meta.reason_of, strict=True):
                for outcome, code in codes.items():
                    if code:
                        texts[code] = _OUTCOME_WORDS[outcome].format(criterion.label_id)
            self._by_version[rules.version] = texts

    @classmethod
    def stored(cls, conn: Connection) -> ReasonBook:
        """The meanings under every rule version the assessments were made with."""
        table = RuleSetRow.__table__
        return cls(ruleset_from_json(r.rules_json) for r in conn.execute(select(table.c.rules_json)))

    def text(self, code: str, version: str | None) -> str:
        """What ``code`` means under ``version`` (the code itself when nothing explains it)."""
        found = ENGINE_REASONS.get(code) or self._by_version.get(version or "", {}).get(code)
        if found is None:  # a version not stored (or none): any version that knows the code
            found = next((t[code] for t in self._by_version.values() if code in t), None)
        return found or code


def list_statuses(
    conn: Connection,
    *,
    kabupaten: str | None = None,
    pendamping: str | None = None,
    status: str | None = None,
) -> list[KpmStatus]:
    """Every KPM (filtered by region, current pendamping or status; ``belum_dinilai`` for the KPM not assessed
    yet) with its latest assessment, by kabupaten/kota, pendamping and id."""
    k, a = Kpm.__table__, Asesmen.__table__
    latest = select(a.c.id_kpm, func.max(a.c.tanggal).label("tanggal")).group_by(a.c.id_kpm).subquery()
    query = (
        select(
            k.c.id_kpm,
            k.c.nama_pengurus,
            k.c.kode_kabupaten,
            k.c.kode_kecamatan,
            k.c.kode_desa,
            k.c.pendamping_id,
            k.c.kategori,
            k.c.status_graduasi,
            a.c.tanggal,
            k.c.tanggal_kunjungan_terakhir,
            a.c.skor_bps,
            a.c.skor_graduasi,
            a.c.rule_version,
            a.c.alasan,
        )
        .select_from(
            k.outerjoin(latest, latest.c.id_kpm == k.c.id_kpm).outerjoin(
                a, and_(a.c.id_kpm == latest.c.id_kpm, a.c.tanggal == latest.c.tanggal)
            )
        )
        .order_by(k.c.kode_kabupaten, k.c.pendamping_id, k.c.id_kpm)
    )
    if kabupaten is not None:
        query = query.where(k.c.kode_kabupaten == kabupaten)
    if pendamping is not None:
        query = query.where(k.c.pendamping_id == pendamping)
    if status == _UNASSESSED:
        query = query.where(k.c.status_graduasi.is_(None))
    elif status is not None:
        query = query.where(k.c.status_graduasi == status)
    return [
        KpmStatus(
            r.id_kpm,
            r.nama_pengurus,
            r.kode_kabupaten,
            r.kode_kecamatan,
            r.kode_desa,
            r.pendamping_id,
            r.kategori,
            r.status_graduasi,
            as_date(r.tanggal),
            as_date(r.tanggal_kunjungan_terakhir),
            r.skor_bps,
            r.skor_graduasi,
            r.rule_version,
            tuple((r.alasan or "").split()),
        )
        for r in conn.execute(query)
    ]


def count_by_status(statuses: Iterable[KpmStatus]) -> list[tuple[str, int]]:
    """(status, KPM) in :data:`STATUS_LABELS` order, then any other, then ``belum_dinilai``."""
    counts = Counter(s.status or _UNASSESSED for s in statuses)
    order = {name: i for i, name in enumerate(STATUS_LABELS)}
    order[_UNASSESSED] = len(order) + 1
    return sorted(counts.items(), key=lambda kv: (order.get(kv[0], len(STATUS_LABELS)), kv[0]))


_HEADER = (
    *KPM_COLUMNS,
    ("Kategori", 16),
    ("Status", 22),
    ("Arti status", 44),
    ("Tanggal asesmen", 15),
    ("Kunjungan terakhir", 17),
    ("Skor BPS", 9),
    ("Skor graduasi", 13),
    ("Versi aturan", 12),
    ("Kode alasan", 40),
    ("Alasan", 90),
)


def write_status_xlsx(
    statuses: Sequence[KpmStatus],
    reasons: ReasonBook,
    path: Path | str,
    filters: str,
    *,
    now: datetime | None = None,
) -> Path:
    """Write sheet ``ringkasan`` (KPM per status), ``kpm`` (one row per KPM with its reasons in words) and
    ``alasan`` (every code listed, with its meaning) to ``path``."""
    path = Path(path)
    with staff_workbook(path) as (book, fmt):
        summary = book.add_worksheet("ringkasan")
        summary.set_column(0, 0, 60)
        summary.set_column(1, 1, 10)
        row = write_title(summary, "Status graduasi KPM", [f"Filter: {filters}"], fmt, now=now)
        write_header(summary, row, (("Status", 60), ("KPM", 10)), fmt.bold)
        row += 1
        for name, n in count_by_status(statuses):
            summary.write_string(
                row, 0, STATUS_LABELS.get(name, "Belum dinilai" if name == _UNASSESSED else name)
            )
            summary.write_number(row, 1, n)
            row += 1
        summary.write_string(row, 0, "Jumlah", fmt.bold)
        summary.write_number(row, 1, len(statuses), fmt.bold)

        sheet = book.add_worksheet("kpm")
        write_header(sheet, 0, _HEADER, fmt.bold)
        sheet.freeze_panes(1, 1)
        seen: dict[tuple[str, str | None], str] = {}
        for i, s in enumerate(statuses, start=1):
            write_texts(
                sheet,
                i,
                0,
                (s.id_kpm, s.nama_pengurus, s.kode_kabupaten, s.kode_kecamatan, s.kode_desa, s.pendamping_id),
            )
            write_text(sheet, i, 6, s.kategori)
            write_text(sheet, i, 7, s.status or _UNASSESSED)
            write_text(
                sheet, i, 8, STATUS_LABELS.get(s.status or "", "Belum dinilai" if s.status is None else "")
            )
            write_day(sheet, i, 9, s.tanggal_asesmen, fmt.day)
            write_day(sheet, i, 10, s.tanggal_kunjungan_terakhir, fmt.day)
            for col, score in ((11, s.skor_bps), (12, s.skor_graduasi)):
                if score is not None:
                    sheet.write_number(i, col, score)
            write_text(sheet, i, 13, s.rule_version)
            write_text(sheet, i, 14, " ".join(s.alasan))
            words = []
            for code in s.alasan:
                key = (code, s.rule_version)
                if key not in seen:
                    seen[key] = reasons.text(code, s.rule_version)
                words.append(seen[key])
            write_text(sheet, i, 15, "; ".join(words))
        if statuses:
            sheet.autofilter(0, 0, len(statuses), len(_HEADER) - 1)

        codes = book.add_worksheet("alasan")
        write_header(codes, 0, (("Kode alasan", 30), ("Versi aturan", 12), ("Artinya", 90)), fmt.bold)
        for i, ((code, version), text) in enumerate(
            sorted(seen.items(), key=lambda kv: (kv[0][0], kv[0][1] or "")), 1
        ):
            write_text(codes, i, 0, code)
            write_text(codes, i, 1, version)
            write_text(codes, i, 2, text)
    return path
