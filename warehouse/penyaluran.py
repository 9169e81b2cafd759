"""Disbursement checks: each confirmation compared with the KPM's entitlement for that year and tranche.

The tranches of each program year live in ``forms/program/tahap.csv`` (amount and pay window), loaded into
``program_tahap``. A confirmation that received less or more than the entitlement, outside the pay window, twice
for the same tranche, for an unknown tranche, or that reports no payment becomes a ``masalah_penyaluran`` row
(KPM, year, tranche, expected, received, kind) for staff to follow up.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, delete, select

from forms.catalog import FORMS_DIR
from warehouse.db import id_in, write_connection
from warehouse.models import Kpm, MasalahPenyaluran, Penyaluran, ProgramTahap

TAHAP_CSV = FORMS_DIR / "program" / "tahap.csv"
CHUNK = 500
#: Receipt statuses of the penyaluran form that mean no money reached the KPM.
NOT_RECEIVED = ("belum_cair", "rekening_bermasalah", "kpm_tidak_ditemukan")


class ProgramConfigError(ValueError):
    """``tahap.csv`` has a row that cannot be used; the message names the row and the fix."""


@dataclass(frozen=True, slots=True)
class Tahap:
    """One tranche: amount per KPM and pay window (either end may be unknown)."""

    tahun: int
    tahap: str
    nominal_rp: int
    mulai: date | None
    selesai: date | None
    keterangan: str | None = None


def read_tahap(path: Path = TAHAP_CSV) -> list[Tahap]:
    """Read the tranche table, with errors naming the row (header = row 1) and the fix."""
    out: list[Tahap] = []
    seen: set[tuple[int, str]] = set()
    with path.open(encoding="utf-8", newline="") as handle:
        for number, row in enumerate(csv.DictReader(handle), start=2):
            try:
                tahun = int(row["tahun"])
                nominal = int(row["nominal_rp"])
                mulai = date.fromisoformat(row["mulai"]) if row.get("mulai") else None
                selesai = date.fromisoformat(row["selesai"]) if row.get("selesai") else None
            except (KeyError, TypeError, ValueError) as exc:
                raise ProgramConfigError(
                    f"{path.name} row {number}: {exc}; tahun and nominal_rp are whole numbers, "
                    "mulai/selesai are dates like 2019-04-15 or empty"
                ) from None
            tahap = (row.get("tahap") or "").strip()
            if tahap not in ("1", "2", "3", "sekaligus"):
                raise ProgramConfigError(
                    f"{path.name} row {number}: tahap {tahap!r} must be 1, 2, 3 or sekaligus"
                )
            if (tahun, tahap) in seen:
                raise ProgramConfigError(
                    f"{path.name} row {number}: tahun {tahun} tahap {tahap} appears twice"
                )
            if mulai and selesai and selesai < mulai:
                raise ProgramConfigError(f"{path.name} row {number}: selesai is before mulai")
            seen.add((tahun, tahap))
            out.append(Tahap(tahun, tahap, nominal, mulai, selesai, row.get("keterangan") or None))
    return out


def load_program_tahap(engine: Engine, path: Path = TAHAP_CSV) -> int:
    """Replace ``program_tahap`` with the tranche table; returns the number of tranches.

    When the tranches changed, every KPM's disbursements are checked again against them, in the same
    transaction (a graduation recompute does not: no rule decides an entitlement).
    """
    rows = read_tahap(path)
    table = ProgramTahap.__table__
    with write_connection(engine) as conn:
        before = tranche_table(conn)
        conn.execute(delete(table))
        if rows:
            conn.execute(
                table.insert(),
                [
                    {
                        "tahun": t.tahun,
                        "tahap": t.tahap,
                        "nominal_rp": t.nominal_rp,
                        "mulai": t.mulai,
                        "selesai": t.selesai,
                        "keterangan": t.keterangan,
                    }
                    for t in rows
                ],
            )
        if tranche_table(conn) != before:
            p = Penyaluran.__table__
            check_disbursements(conn, [r[0] for r in conn.execute(select(p.c.id_kpm).distinct()) if r[0]])
    return len(rows)


def tranche_table(conn: Connection) -> dict[tuple[int, str], Tahap]:
    """The configured tranches by (year, tranche)."""
    return {
        (r.tahun, r.tahap): Tahap(r.tahun, r.tahap, r.nominal_rp, r.mulai, r.selesai, r.keterangan)
        for r in conn.execute(select(ProgramTahap.__table__))
    }


def find_problems(
    confirmations: Sequence[dict[str, Any]], tranches: dict[tuple[int, str], Tahap]
) -> list[dict[str, Any]]:
    """Mismatches of one KPM's confirmations against the tranches (pure; rows as dicts of ``penyaluran``)."""
    problems: list[dict[str, Any]] = []
    by_tranche: dict[tuple[int, str], list[dict[str, Any]]] = {}
    for c in confirmations:
        if c.get("tahun_anggaran") is None or not c.get("tahap"):
            continue
        by_tranche.setdefault((int(c["tahun_anggaran"]), str(c["tahap"])), []).append(c)
    for key, rows in sorted(by_tranche.items()):
        tahun, tahap = key
        expected = tranches.get(key)
        # a later confirmation of the same tranche supersedes an earlier one (e.g. "belum cair", then paid);
        # two that both report money received are a duplicate
        rows = sorted(
            rows,
            key=lambda r: (
                str(r.get("tanggal_konfirmasi") or ""),
                str(r.get("tanggal_terima") or ""),
                r["id"],
            ),
        )
        problem = _Collector(problems, tahun, tahap)
        if expected is None:
            for row in rows:
                problem("tahap_tidak_dikenal", row)
            continue
        received_rows = [r for r in rows if r.get("status_terima") not in NOT_RECEIVED]
        for extra in received_rows[1:]:
            problem("ganda", extra, expected.nominal_rp)
        row = received_rows[0] if received_rows else rows[-1]
        status = row.get("status_terima")
        if status in NOT_RECEIVED:
            problem(str(status), row, expected.nominal_rp)
            continue
        received = row.get("nominal_diterima_rp")
        if received is not None and received < expected.nominal_rp:
            problem("kurang", row, expected.nominal_rp)
        elif received is not None and received > expected.nominal_rp:
            problem("lebih", row, expected.nominal_rp)
        paid = row.get("tanggal_terima")
        if paid is not None and (
            (expected.mulai is not None and paid < expected.mulai)
            or (expected.selesai is not None and paid > expected.selesai)
        ):
            problem("di_luar_jadwal", row, expected.nominal_rp)
    return problems


@dataclass(slots=True)
class _Collector:
    """Appends problems of one (year, tranche)."""

    problems: list[dict[str, Any]]
    tahun: int
    tahap: str

    def __call__(self, kind: str, row: dict[str, Any], expected_rp: int | None = None) -> None:
        self.problems.append(
            {
                "tahun": self.tahun,
                "tahap": self.tahap,
                "diharapkan_rp": expected_rp,
                "diterima_rp": row.get("nominal_diterima_rp"),
                "jenis": kind,
                "penyaluran_id": row["id"],
            }
        )


def check_disbursements(conn: Connection, id_kpm: Sequence[str]) -> int:
    """Recompute the disbursement problems of these KPM in the caller's transaction; returns how many."""
    if not id_kpm:
        return 0
    tranches = tranche_table(conn)
    p = Penyaluran.__table__
    m = MasalahPenyaluran.__table__
    kpm = Kpm.__table__
    total = 0
    keys = sorted(set(id_kpm))
    for i in range(0, len(keys), CHUNK):
        chunk = keys[i : i + CHUNK]
        conn.execute(delete(m).where(id_in(conn, m.c.id_kpm, chunk)))
        regions = dict(
            conn.execute(
                select(kpm.c.id_kpm, kpm.c.kode_kabupaten).where(id_in(conn, kpm.c.id_kpm, chunk))
            ).all()
        )
        by_kpm: dict[str, list[dict[str, Any]]] = {}
        for r in conn.execute(select(p).where(id_in(conn, p.c.id_kpm, chunk))):
            by_kpm.setdefault(r.id_kpm, []).append(dict(r._mapping))
        rows = []
        for key, confirmations in by_kpm.items():
            for prob in find_problems(confirmations, tranches):
                rows.append({"id_kpm": key, "kode_kabupaten": regions.get(key), **prob})
        if rows:
            conn.execute(m.insert(), rows)
        total += len(rows)
    return total
