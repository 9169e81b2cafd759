"""Turn an assessment and its status into the columns of an ``asesmen`` row (JSON for the details)."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from forms.rules import RuleSet
from warehouse.graduation.engine import Assessment, CriterionResult
from warehouse.graduation.household import KpmSnapshot
from warehouse.graduation.indicators import NA
from warehouse.graduation.status import GraduationStatus


def _value(value: Any) -> Any:
    if value is NA:
        return "tidak_berlaku"
    if isinstance(value, float):
        return round(value, 6)
    return value


def criterion_to_dict(result: CriterionResult) -> dict[str, Any]:
    """One criterion as stored in ``asesmen.kriteria_json``."""
    out: dict[str, Any] = {
        "kode": result.code,
        "kelompok": result.group,
        "hasil": result.outcome,
        "nilai": {name: _value(v) for name, v in result.values},
    }
    if result.reason:
        out["alasan"] = result.reason
    if result.must_pass:
        out["wajib"] = True
    if result.group == "graduasi":
        out["dihitung"] = result.counts_as_met
    if result.missing:
        out["data_kurang"] = list(result.missing)
    return out


def _plain_value(v: Any) -> Any:
    return "tidak_berlaku" if v is NA else round(v, 6) if type(v) is float else v


def _reason(m: Any, i: int, outcome: str) -> str | None:
    group = m.groups[i]
    if group == "graduasi":
        counted = outcome == "terpenuhi" or (outcome == "tidak_berlaku" and m.na_counts[i])
        if counted:
            return None
        return m.missing_codes[i] if outcome == "data_kurang" else m.reason_codes[i]
    if group == "alamiah":
        return (
            m.reason_codes[i]
            if outcome == "terpenuhi"
            else m.missing_codes[i]
            if outcome == "data_kurang"
            else None
        )
    return None


def assessment_details(assessment: Assessment) -> dict[str, Any]:
    """What ``asesmen.kriteria_json`` holds, compactly: both category rules, the score bounds, the checklist, the
    natural exit, one ``[code, outcome, reason code]`` per criterion in the rule set's order, and the value of every
    indicator the criteria compared (``nilai``). Which indicators, group and must-pass flag belong to a criterion
    is in the stored rule version; :func:`expand_details` puts them back together for a reader."""
    m, values = assessment.meta, assessment.indicator_values
    used: dict[str, Any] = {}
    for names in m.indicators:
        for name in names:
            if name not in used:
                used[name] = _plain_value(values[name])
    return {
        "kategori": assessment.kategori,
        "kategori_bps": assessment.kategori_bps,
        "kategori_pendapatan": assessment.kategori_pendapatan,
        "skor_bps_min": assessment.skor_bps_min,
        "skor_bps_maks": assessment.skor_bps_maks,
        "garis_kemiskinan_rp": assessment.garis_kemiskinan_rp,
        "checklist": assessment.checklist,
        "alamiah": assessment.alamiah,
        "kontak": assessment.kontak,
        "jenis": assessment.jenis,
        "kriteria": [
            [m.codes[i], outcome, _reason(m, i, outcome)] for i, outcome in enumerate(assessment.outcomes)
        ],
        "nilai": used,
        "alasan": list(assessment.reasons),
    }


def expand_details(details: dict[str, Any], rules: RuleSet) -> list[dict[str, Any]]:
    """One readable dict per criterion (as :func:`criterion_to_dict` gives) from stored details and the rule
    version they were made with: code, group, outcome, compared values, reason, must-pass, counted, missing data."""
    by_code = {
        c.code: (group, c)
        for group, items in (
            ("bps", rules.bps),
            ("graduasi", rules.graduation),
            ("alamiah", (rules.natural_exit,)),
        )
        for c in items
    }
    values = details.get("nilai", {})
    out = []
    for code, outcome, reason in details.get("kriteria", ()):
        group, criterion = by_code[code]
        names = [cond.indicator for cond in criterion.conditions]
        item: dict[str, Any] = {
            "kode": code,
            "kelompok": group,
            "hasil": outcome,
            "nilai": {n: values.get(n) for n in names},
        }
        if reason:
            item["alasan"] = reason
        if code in rules.rule.must_pass:
            item["wajib"] = True
        if group == "graduasi":
            item["dihitung"] = outcome == "terpenuhi" or (
                outcome == "tidak_berlaku" and criterion.na_counts_as_met
            )
        missing = [n for n in names if values.get(n) is None]
        if missing:
            item["data_kurang"] = missing
        out.append(item)
    return out


def criteria_json(assessment: Assessment) -> str:
    """``asesmen.kriteria_json``: :func:`assessment_details` as compact JSON."""
    return json.dumps(assessment_details(assessment), ensure_ascii=False, separators=(",", ":"))


def asesmen_values(
    assessment: Assessment, status: GraduationStatus, snapshot: KpmSnapshot | None = None
) -> dict[str, Any]:
    """The columns of an ``asesmen`` row except ``id``, ``pendamping_id`` and ``computed_at`` (the caller's).

    ``alasan`` holds the status reasons then the assessment's, space separated, without repeats.
    """
    reasons = list(dict.fromkeys((*status.reasons, *assessment.reasons)))
    values: dict[str, Any] = {
        "id_kpm": assessment.id_kpm,
        "tanggal": assessment.tanggal,
        "kunjungan_id": assessment.kunjungan_id,
        "rule_version": assessment.rule_version,
        "kategori": assessment.kategori,
        "skor_bps": assessment.skor_bps,
        "rasio_gk": None if assessment.rasio_gk is None else round(assessment.rasio_gk, 6),
        "skor_graduasi": assessment.skor_graduasi,
        "status": status.status,
        "alasan": " ".join(reasons) or None,
        "kriteria_json": criteria_json(assessment),
        "input_json": None,
        "input_sha256": None,
        "kode_kabupaten": None,
    }
    if snapshot is not None:
        # the submissions it used (their every version is kept raw), not a copy of their values: an assessment
        # row stays small at 50,000 KPM x 8 visits; input_sha256 still changes with any input
        values["input_json"] = json.dumps(
            {"sumber": list(snapshot.sumber), "jenis": snapshot.jenis},
            ensure_ascii=False,
            separators=(",", ":"),
        )
        values["input_sha256"] = hashlib.sha256(
            "|".join((snapshot.jenis, *snapshot.sumber)).encode()
        ).hexdigest()
        values["kode_kabupaten"] = snapshot.kode_kabupaten
    return values
