"""Moving up a grade (*naik grade*) between two dates, per KPM and per pendamping, from the kept assessments.

A KPM's category on a date is the category of its latest assessment on or before that date (registration or
visit), under the rule version that assessment was made with. A KPM moved up when its category on the later date
ranks above the one on the earlier date (:data:`warehouse.readmodels.CATEGORY_RANK`). The move is credited to the
pendamping who held the KPM on the date of the later assessment (``asesmen.pendamping_id``, from the caseload
history), not to whoever holds it today.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, select

from warehouse.db import as_date
from warehouse.models import Asesmen, Pendamping
from warehouse.readmodels import CATEGORY_RANK
from warehouse.xlsx import (
    staff_workbook,
    write_day,
    write_header,
    write_text,
    write_texts,
    write_title,
)

#: How a move reads (langkah > 0: up; < 0: down; 0: the same category; None: a category unknown on a date).
NAIK, TURUN, TETAP, TIDAK_DIKETAHUI = "naik", "turun", "tetap", "tidak_diketahui"


@dataclass(frozen=True, slots=True)
class CategoryMove:
    """One KPM's category on the two dates and the pendamping credited with the move."""

    id_kpm: str
    kode_kabupaten: str | None
    kategori_awal: str | None  # None: not assessed by the earlier date, or its category was left open
    tanggal_awal: date | None
    kategori_akhir: str | None
    tanggal_akhir: date
    pendamping_id: str | None  # who held the KPM on ``tanggal_akhir``

    @property
    def langkah(self) -> int | None:
        """Category ranks moved: positive up, negative down; None when either category is unknown."""
        if self.kategori_awal not in CATEGORY_RANK or self.kategori_akhir not in CATEGORY_RANK:
            return None
        return CATEGORY_RANK[self.kategori_akhir] - CATEGORY_RANK[self.kategori_awal]  # type: ignore[index]

    @property
    def arah(self) -> str:
        """naik | turun | tetap | tidak_diketahui."""
        step = self.langkah
        if step is None:
            return TIDAK_DIKETAHUI
        return NAIK if step > 0 else TURUN if step < 0 else TETAP


@dataclass(slots=True)
class PendampingMoves:
    """The moves credited to one pendamping."""

    pendamping_id: str | None
    nama: str | None
    naik: int = 0
    turun: int = 0
    tetap: int = 0
    tidak_diketahui: int = 0

    @property
    def kpm(self) -> int:
        """KPM assessed by the later date that were credited to this pendamping."""
        return self.naik + self.turun + self.tetap + self.tidak_diketahui


class BadPeriod(ValueError):
    """The two dates do not make a period; the message says how to give them."""


def category_moves(
    conn: Connection,
    dari: date,
    sampai: date,
    *,
    kabupaten: str | None = None,
    pendamping: str | None = None,
) -> list[CategoryMove]:
    """Every KPM assessed on or before ``sampai``, with its category on ``dari`` and on ``sampai``, by id.

    :param kabupaten: only KPM whose later assessment is in this kabupaten/kota.
    :param pendamping: only the moves credited to this pendamping.
    :raises BadPeriod: when ``dari`` is not before ``sampai``.
    """
    if dari >= sampai:
        raise BadPeriod(f"the period must start before it ends: {dari} is not before {sampai}")
    a = Asesmen.__table__
    query = (
        select(a.c.id_kpm, a.c.tanggal, a.c.kategori, a.c.pendamping_id, a.c.kode_kabupaten)
        .where(a.c.tanggal <= sampai)
        .order_by(a.c.id_kpm, a.c.tanggal)
    )
    out: list[CategoryMove] = []
    current: str | None = None
    before: Any = None
    last: Any = None

    def close() -> None:
        if last is None:
            return
        if kabupaten is not None and last.kode_kabupaten != kabupaten:
            return
        if pendamping is not None and last.pendamping_id != pendamping:
            return
        out.append(
            CategoryMove(
                last.id_kpm,
                last.kode_kabupaten,
                before.kategori if before is not None else None,
                as_date(before.tanggal) if before is not None else None,
                last.kategori,
                as_date(last.tanggal),
                last.pendamping_id,
            )
        )

    # one ordered pass over the assessments up to the later date: a KPM's rows arrive together, oldest first
    for row in conn.execution_options(yield_per=10_000).execute(query):
        if row.id_kpm != current:
            close()
            current, before, last = row.id_kpm, None, None
        if as_date(row.tanggal) <= dari:
            before = row
        last = row
    close()
    return out


def moves_per_pendamping(conn: Connection, moves: Iterable[CategoryMove]) -> list[PendampingMoves]:
    """The moves per credited pendamping, the most moved up first (then by id); KPM held by nobody come last."""
    names = dict(conn.execute(select(Pendamping.__table__.c.id, Pendamping.__table__.c.nama)).all())
    per: dict[str | None, PendampingMoves] = {}
    for move in moves:
        entry = per.get(move.pendamping_id)
        if entry is None:
            entry = per[move.pendamping_id] = PendampingMoves(
                move.pendamping_id, names.get(move.pendamping_id)
            )
        setattr(entry, move.arah, getattr(entry, move.arah) + 1)
    return sorted(per.values(), key=lambda p: (p.pendamping_id is None, -p.naik, p.pendamping_id or ""))


_KPM_HEADER = (
    ("ID KPM", 16),
    ("Kabupaten/kota", 14),
    ("Pendamping", 14),
    ("Kategori awal", 16),
    ("Tanggal asesmen awal", 20),
    ("Kategori akhir", 16),
    ("Tanggal asesmen akhir", 20),
    ("Langkah", 9),
    ("Arah", 16),
)
_PENDAMPING_HEADER = (
    ("Pendamping", 14),
    ("Nama", 28),
    ("KPM", 8),
    ("Naik", 8),
    ("Turun", 8),
    ("Tetap", 8),
    ("Tidak diketahui", 15),
)


def write_moves_xlsx(
    moves: Sequence[CategoryMove],
    per_pendamping: Sequence[PendampingMoves],
    path: Path | str,
    period: str,
    *,
    now: datetime | None = None,
) -> Path:
    """Write sheet ``pendamping`` (the moves credited to each) and ``kpm`` (one row per KPM) to ``path``."""
    path = Path(path)
    with staff_workbook(path) as (book, fmt):
        sheet = book.add_worksheet("pendamping")
        row = write_title(sheet, f"Naik kategori {period}", [], fmt, now=now)
        write_header(sheet, row, _PENDAMPING_HEADER, fmt.bold)
        for i, p in enumerate(per_pendamping, start=row + 1):
            write_text(sheet, i, 0, p.pendamping_id or "(tanpa pendamping)")
            write_text(sheet, i, 1, p.nama)
            for col, n in enumerate((p.kpm, p.naik, p.turun, p.tetap, p.tidak_diketahui), start=2):
                sheet.write_number(i, col, n)

        sheet = book.add_worksheet("kpm")
        write_header(sheet, 0, _KPM_HEADER, fmt.bold)
        sheet.freeze_panes(1, 0)
        for i, m in enumerate(moves, start=1):
            write_texts(sheet, i, 0, (m.id_kpm, m.kode_kabupaten, m.pendamping_id, m.kategori_awal))
            write_day(sheet, i, 4, m.tanggal_awal, fmt.day)
            write_text(sheet, i, 5, m.kategori_akhir)
            write_day(sheet, i, 6, m.tanggal_akhir, fmt.day)
            if m.langkah is not None:
                sheet.write_number(i, 7, m.langkah)
            write_text(sheet, i, 8, m.arah)
        if moves:
            sheet.autofilter(0, 0, len(moves), len(_KPM_HEADER) - 1)
    return path
