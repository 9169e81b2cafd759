"""The graduation engine: pure functions over household snapshots, with rules from the staff's workbook.

- :func:`build_snapshots` (DB -> :class:`KpmSnapshot`), :func:`assess` (snapshot + rules -> :class:`Assessment`),
  :func:`graduation_status` (assessments over time -> status), :func:`asesmen_values` (-> ``asesmen`` columns).
- The rules are read by :mod:`forms.rules` (``load_rules``, ``load_rule_sets``, ``rules_for_date``).

docs/graduation.md describes the rules, statuses and reason codes.
"""

from warehouse.graduation.engine import (
    DATA_KURANG,
    TERPENUHI,
    TIDAK_BERLAKU,
    TIDAK_TERPENUHI,
    Assessment,
    CriterionResult,
    assess,
    compile_rules,
)
from warehouse.graduation.household import (
    KUNJUNGAN,
    PER_TANGGAL,
    REGISTRASI,
    ChildRow,
    KpmSnapshot,
    Member,
    ToddlerRow,
    age_on,
    snapshot_digest,
    snapshot_to_dict,
)
from warehouse.graduation.indicators import NA
from warehouse.graduation.records import asesmen_values, assessment_details, criteria_json
from warehouse.graduation.snapshot import build_snapshots
from warehouse.graduation.status import (
    BELUM_MEMENUHI,
    GRADUASI_ALAMIAH_LAYAK,
    LAYAK_GRADUASI,
    MEMENUHI_SEKALI,
    STATUS_DATA_KURANG,
    STATUSES,
    GraduationStatus,
    graduation_status,
    status_history,
)

__all__ = [
    "BELUM_MEMENUHI",
    "DATA_KURANG",
    "GRADUASI_ALAMIAH_LAYAK",
    "KUNJUNGAN",
    "LAYAK_GRADUASI",
    "MEMENUHI_SEKALI",
    "NA",
    "PER_TANGGAL",
    "REGISTRASI",
    "STATUSES",
    "STATUS_DATA_KURANG",
    "TERPENUHI",
    "TIDAK_BERLAKU",
    "TIDAK_TERPENUHI",
    "Assessment",
    "ChildRow",
    "CriterionResult",
    "GraduationStatus",
    "KpmSnapshot",
    "Member",
    "ToddlerRow",
    "age_on",
    "asesmen_values",
    "assessment_details",
    "assess",
    "build_snapshots",
    "compile_rules",
    "criteria_json",
    "graduation_status",
    "snapshot_digest",
    "snapshot_to_dict",
    "status_history",
]
