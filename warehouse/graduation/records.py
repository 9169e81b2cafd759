"""Turn an assessment and its status into the columns of an ``asesmen`` row (JSON for the details)."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import orjson

from forms.rules import RuleSet
from warehouse.graduation.engine import (
    LETTER,
    OUTCOME,
    Assessment,
    CriterionResult,
    compile_rules,
    counts_as_met,
)
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


_FLOAT = float


def _not_applicable(value: Any) -> str:
    if value is NA:
        return "tidak_berlaku"
    raise TypeError(f"cannot store {type(value).__name__} in an assessment's JSON")


def _encode(obj: Any) -> str:
    """Compact JSON, as ``json.dumps(obj, ensure_ascii=False, separators=(",", ":"))`` gives for these values
    (orjson: a full recompute encodes two documents per assessment, and the standard encoder took a sixth of its
    time); the marker of "not applicable" is written as ``tidak_berlaku``. A value orjson refuses (an integer past
    64 bits, say) goes through the standard encoder."""
    try:
        return orjson.dumps(obj, default=_not_applicable).decode()
    except orjson.JSONEncodeError:
        return json.dumps(obj, default=_not_applicable, ensure_ascii=False, separators=(",", ":"))


def load_details(text: str) -> dict[str, Any]:
    """Stored criteria (``asesmen.kriteria_json``) as a dict: orjson (a partial recompute reads every kept row),
    the standard parser for what orjson refuses (a NaN the standard encoder once wrote)."""
    try:
        return orjson.loads(text)  # type: ignore[no-any-return]
    except orjson.JSONDecodeError:
        return json.loads(text)  # type: ignore[no-any-return]


def _plain_values(values: dict[str, Any], pick: Any) -> list[Any]:
    out = list(pick(values))
    for i, v in enumerate(out):
        if v.__class__ is _FLOAT:
            out[i] = round(v, 6)
    return out


def assessment_details(assessment: Assessment) -> dict[str, Any]:
    """What ``asesmen.kriteria_json`` holds, compactly: both category rules, the score bounds, the checklist, the
    natural exit, one outcome letter per criterion in the rule set's order (``hasil``: T met, F not met,
    N not applicable, D insufficient data), the value of every indicator the criteria compared in the order the
    rule set first compares them (``nilai``), the assessment's reason codes and the natural exit's (when it
    has one). Codes, groups, indicators, must-pass flags and per-criterion reason codes follow from the stored
    rule version; :func:`expand_details` puts them back together for a reader."""
    m = assessment.meta
    details: dict[str, Any] = {
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
        "hasil": assessment.hasil,
        "nilai": _plain_values(assessment.indicator_values, m.pick_compared),
        "alasan": list(assessment.reasons),
    }
    natural = m.reason_of[-1][assessment.alamiah]
    if natural:
        details["alasan_alamiah"] = natural
    return details


def current_details(text: str) -> str:
    """Stored criteria in the current compact form: older rows (``kriteria``: ``[code, outcome, reason]`` per
    criterion, ``nilai`` by name) are rewritten, the current form is returned as is. The result equals what
    :func:`criteria_json` gives for the same assessment, so an old row with an unchanged result compares equal."""
    if '"kriteria":' not in text:
        return text
    details = load_details(text)
    entries = details.pop("kriteria", None)
    if not isinstance(entries, list):
        return text
    natural = natural_reason({"kriteria": entries})
    values = details.pop("nilai", {})
    reasons = details.pop("alasan", [])
    details["hasil"] = "".join([LETTER[outcome] for _code, outcome, _reason in entries])
    details["nilai"] = list(values.values())
    details["alasan"] = reasons
    if natural:
        details["alasan_alamiah"] = natural
    return _encode(details)


def natural_reason(details: dict[str, Any]) -> str | None:
    """The natural exit's reason code from stored details (either form)."""
    if "hasil" in details:
        return details.get("alasan_alamiah")
    entries = details.get("kriteria") or []
    return entries[-1][2] if entries else None


def expand_details(details: dict[str, Any], rules: RuleSet) -> list[dict[str, Any]]:
    """One readable dict per criterion (as :func:`criterion_to_dict` gives) from stored details and the rule
    version they were made with: code, group, outcome, compared values, reason, must-pass, counted, missing data.
    Reads the current compact form and the older one (a ``[code, outcome, reason]`` list, values by name)."""
    meta = compile_rules(rules).meta
    if "hasil" in details:
        entries = [
            (code, outcome, meta.reason_of[i][outcome])
            for i, (code, outcome) in enumerate(
                zip(meta.codes, (OUTCOME[x] for x in details["hasil"]), strict=True)
            )
        ]
        values = dict(zip(meta.compared, details.get("nilai", ()), strict=True))
    else:
        entries = details.get("kriteria", ())
        values = details.get("nilai", {})
    out = []
    for code, outcome, reason in entries:
        i = meta.index[code]
        group, names = meta.groups[i], meta.indicators[i]
        item: dict[str, Any] = {
            "kode": code,
            "kelompok": group,
            "hasil": outcome,
            "nilai": {n: values.get(n) for n in names},
        }
        if reason:
            item["alasan"] = reason
        if meta.must[i]:
            item["wajib"] = True
        if group == "graduasi":
            item["dihitung"] = counts_as_met(group, outcome, meta.na_counts[i])
        missing = [n for n in names if values.get(n) is None]
        if missing:
            item["data_kurang"] = missing
        out.append(item)
    return out


def criteria_json(assessment: Assessment) -> str:
    """``asesmen.kriteria_json``: :func:`assessment_details` as compact JSON."""
    return _encode(assessment_details(assessment))


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
        values["input_json"] = _encode({"sumber": list(snapshot.sumber), "jenis": snapshot.jenis})
        values["input_sha256"] = hashlib.sha256(
            "|".join((snapshot.jenis, *snapshot.sumber)).encode()
        ).hexdigest()
        values["kode_kabupaten"] = snapshot.kode_kabupaten
    return values
