"""``graduation_status(history, rules)``: a household's graduation status from its assessments over time.

- ``graduasi_alamiah_layak``: the latest assessment meets the natural-exit rule (no eligible member remains).
- ``layak_graduasi``: the checklist is met on the most recent visits (``konfirmasi_jumlah_kunjungan``, default 2)
  with at least ``konfirmasi_jarak_hari_min`` days (default 90) from the first to the last of them. Eligible only:
  it becomes a graduation through a recorded decision (``keputusan``), never by itself.
- ``memenuhi_sekali``: the checklist is met on the latest contact, not yet confirmed.
- ``belum_memenuhi``: the checklist is not met on the latest contact.
- ``data_kurang``: data are missing where they could change the outcome, or the family was never met.

Only contacts count for the checklist: the registration and visits where the family was found; a visit where it
was not found (not at home, moved, died) leaves the status as it was. Confirmation counts visits only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from forms.rules import RuleSet
from warehouse.graduation.engine import DATA_KURANG, TERPENUHI, TIDAK_TERPENUHI, Assessment
from warehouse.graduation.household import KUNJUNGAN

BELUM_MEMENUHI = "belum_memenuhi"
MEMENUHI_SEKALI = "memenuhi_sekali"
LAYAK_GRADUASI = "layak_graduasi"
GRADUASI_ALAMIAH_LAYAK = "graduasi_alamiah_layak"
STATUS_DATA_KURANG = "data_kurang"
STATUSES = (BELUM_MEMENUHI, STATUS_DATA_KURANG, MEMENUHI_SEKALI, LAYAK_GRADUASI, GRADUASI_ALAMIAH_LAYAK)
#: Order of the checklist statuses, for "never lower" comparisons (natural exit stands apart).
STATUS_RANK = {BELUM_MEMENUHI: 0, STATUS_DATA_KURANG: 1, MEMENUHI_SEKALI: 2, LAYAK_GRADUASI: 3}

#: Reason codes of the status beside those of the assessments.
NO_CONTACT = "NO_CONTACT"
NOT_CONFIRMED_YET = "NOT_CONFIRMED_YET"
CONFIRM_GAP_TOO_SHORT = "CONFIRM_GAP_TOO_SHORT"
CONFIRMED = "CONFIRMED"


@dataclass(slots=True)  # not frozen: built per assessment (see KpmSnapshot); never changed once built
class GraduationStatus:
    """A status as of ``tanggal`` (the latest assessment considered), why, and the assessments it rests on."""

    status: str
    tanggal: date | None
    reasons: tuple[str, ...]
    basis: tuple[date, ...]  # dates of the assessments the status rests on, oldest first
    rule_version: str | None


def graduation_status(history: Sequence[Assessment], rules: RuleSet) -> GraduationStatus:
    """The status of one household given all its assessments up to a date (any order).

    :param rules: the rule set whose confirmation window applies (normally that of the latest assessment).
    """
    ordered = sorted(history, key=lambda a: a.tanggal)
    if not ordered:
        return GraduationStatus(STATUS_DATA_KURANG, None, (NO_CONTACT,), (), None)
    contacts = [a for a in ordered if a.kontak]
    return _status(
        ordered[-1], contacts[-1] if contacts else None, [a for a in contacts if a.jenis == KUNJUNGAN], rules
    )


def _status(
    latest: Assessment, last: Assessment | None, visits: Sequence[Assessment], rules: RuleSet
) -> GraduationStatus:
    """The status from the latest assessment, the latest contact and the visits that were contacts (oldest
    first)."""
    if latest.alamiah == TERPENUHI:
        natural = next((c.reason for c in latest.criteria if c.group == "alamiah"), None)
        return GraduationStatus(
            GRADUASI_ALAMIAH_LAYAK,
            latest.tanggal,
            (natural,) if natural else (),
            (latest.tanggal,),
            latest.rule_version,
        )
    if last is None:
        return GraduationStatus(STATUS_DATA_KURANG, latest.tanggal, (NO_CONTACT, *latest.reasons), (), None)
    if last.checklist == TIDAK_TERPENUHI:
        return GraduationStatus(
            BELUM_MEMENUHI, latest.tanggal, last.reasons, (last.tanggal,), last.rule_version
        )
    if last.checklist == DATA_KURANG:
        return GraduationStatus(
            STATUS_DATA_KURANG, latest.tanggal, last.reasons, (last.tanggal,), last.rule_version
        )
    need, min_days = rules.rule.confirm_visits, rules.rule.confirm_min_days
    window = visits[-need:] if last.jenis == KUNJUNGAN else []
    if len(window) == need and all(a.checklist == TERPENUHI for a in window):
        span = (window[-1].tanggal - window[0].tanggal).days
        basis = tuple(a.tanggal for a in window)
        if span >= min_days:
            return GraduationStatus(LAYAK_GRADUASI, latest.tanggal, (CONFIRMED,), basis, last.rule_version)
        return GraduationStatus(
            MEMENUHI_SEKALI, latest.tanggal, (CONFIRM_GAP_TOO_SHORT,), basis, last.rule_version
        )
    return GraduationStatus(
        MEMENUHI_SEKALI, latest.tanggal, (NOT_CONFIRMED_YET,), (last.tanggal,), last.rule_version
    )


def status_history(history: Sequence[Assessment], rules_of: dict[str, RuleSet]) -> list[GraduationStatus]:
    """The status after each assessment, oldest first (the status stored with each ``asesmen`` row): what
    :func:`graduation_status` gives for each prefix of the history, in one pass.

    :param rules_of: rule sets by version; each status uses the version of the assessment it is computed at.
    """
    out = []
    last: Assessment | None = None
    visits: list[Assessment] = []
    for a in sorted(history, key=lambda a: a.tanggal):
        if a.kontak:
            last = a
            if a.jenis == KUNJUNGAN:
                visits.append(a)
        out.append(_status(a, last, visits, rules_of[a.rule_version]))
    return out
