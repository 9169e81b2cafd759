"""``assess(snapshot, rules)``: the category and graduation checklist of one household as of one date.

Pure: no database, no clock. Each criterion is *terpenuhi* (met), *tidak_terpenuhi* (not met), *tidak_berlaku*
(not applicable: no such member) or *data_kurang* (insufficient data). Missing data never counts as "not met":
an outcome is decided only when the missing values could not change it (three-valued logic), otherwise it is
*data_kurang*.

- ``skor_bps``: the number of BPS criteria met; ``kategori``: the worse of the category by ``skor_bps`` and
  the category by ``rasio_gk`` (income per capita / poverty line), both read from the rules' bands.
- ``skor_graduasi``: graduation criteria met (not applicable counts as met where the rules say so); the checklist
  is met when every must-pass criterion is met and ``skor_graduasi`` reaches the minimum.
- ``alamiah``: the natural-exit rule (no eligible member remains).

For speed (50,000 households in a few seconds) a rule set is compiled once: its criteria become one generated
function (:mod:`warehouse.graduation.checks`), every indicator the rules read is computed once per household, and
the per-criterion results are built only when someone reads :attr:`Assessment.criteria`.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from forms.rules import CategoryBand, RuleSet, indicators_of
from warehouse.graduation.checks import MET, MISSING, NOT_APPLICABLE, NOT_MET, CheckResult, compile_checks
from warehouse.graduation.household import KUNJUNGAN, KpmSnapshot
from warehouse.graduation.indicators import COMPUTE, FIELDS, HOUSE_FIELDS, NA, Context

TERPENUHI = "terpenuhi"
TIDAK_TERPENUHI = "tidak_terpenuhi"
TIDAK_BERLAKU = "tidak_berlaku"
DATA_KURANG = "data_kurang"
OUTCOMES = (TERPENUHI, TIDAK_TERPENUHI, TIDAK_BERLAKU, DATA_KURANG)
#: One letter per outcome, as stored (``asesmen.kriteria_json``, ``hasil``).
LETTER = {TERPENUHI: MET, TIDAK_TERPENUHI: NOT_MET, TIDAK_BERLAKU: NOT_APPLICABLE, DATA_KURANG: MISSING}
OUTCOME = {letter: outcome for outcome, letter in LETTER.items()}

#: Reason codes the engine adds beside the rules' own (``kode_alasan`` of each criterion).
SCORE_BELOW_MIN = "SCORE_BELOW_MIN"
POVERTY_LINE_MISSING = "POVERTY_LINE_MISSING"
CATEGORY_DATA_MISSING = "CATEGORY_DATA_MISSING"
KPM_NOT_MET = "KPM_NOT_MET"
KPM_MOVED = "KPM_MOVED"
KPM_DIED = "KPM_DIED"
_NOT_MET_REASON = {"tidak_ada_di_rumah": KPM_NOT_MET, "pindah": KPM_MOVED, "meninggal": KPM_DIED}
BPS, GRADUASI, ALAMIAH = "bps", "graduasi", "alamiah"


def missing_reason(code: str) -> str:
    """The reason code of a criterion that lacks data, e.g. ``G6_DATA_MISSING``."""
    return f"{code}_DATA_MISSING"


@dataclass(frozen=True, slots=True)
class CriterionResult:
    """The outcome of one criterion for one household, with the indicator values it compared."""

    code: str
    group: str  # bps | graduasi | alamiah
    outcome: str  # terpenuhi | tidak_terpenuhi | tidak_berlaku | data_kurang
    indicators: tuple[str, ...]  # the indicator of each condition
    observed: tuple[Any, ...]  # the value of each; None = unknown, NA = not applicable
    reason: str | None = None  # graduation/natural exit: the reason code when not met or lacking data
    must_pass: bool = False
    counts_as_met: bool = False  # graduation: counted in skor_graduasi

    @property
    def values(self) -> tuple[tuple[str, Any], ...]:
        """(indicator, value) per condition."""
        return tuple(zip(self.indicators, self.observed, strict=True))

    @property
    def missing(self) -> tuple[str, ...]:
        """The indicators without data."""
        return tuple(
            name for name, value in zip(self.indicators, self.observed, strict=True) if value is None
        )


def counts_as_met(group: str, outcome: str, na_counts: bool) -> bool:
    """Whether a criterion's outcome counts in ``skor_graduasi`` (graduation criteria only)."""
    return group == GRADUASI and (outcome == TERPENUHI or (outcome == TIDAK_BERLAKU and na_counts))


def criterion_reason(
    group: str, outcome: str, na_counts: bool, reason_code: str | None, missing_code: str
) -> str | None:
    """The reason code a criterion's outcome gives: a graduation criterion not counted gives its own code (or its
    missing-data code), the natural exit gives its code when met; a BPS criterion gives none."""
    if group == GRADUASI and not counts_as_met(group, outcome, na_counts):
        return missing_code if outcome == DATA_KURANG else reason_code
    if group == ALAMIAH:
        return reason_code if outcome == TERPENUHI else missing_code if outcome == DATA_KURANG else None
    return None


@dataclass(frozen=True, slots=True)
class _Meta:
    """What a compiled rule set knows of each criterion, in order: BPS, graduation, natural exit."""

    codes: tuple[str, ...]
    groups: tuple[str, ...]
    indicators: tuple[tuple[str, ...], ...]
    reason_codes: tuple[str | None, ...]
    missing_codes: tuple[str, ...]
    must: tuple[bool, ...]
    na_counts: tuple[bool, ...]
    index: dict[str, int]
    #: every indicator the criteria compare, in order of first use (the order of the stored values)
    compared: tuple[str, ...]
    #: values -> the value of each of ``compared``, in order (a sequence)
    pick_compared: Callable[[dict[str, Any]], Sequence[Any]]
    #: per criterion, the reason code of each outcome (None: no reason; counted or not a checklist criterion)
    reason_of: tuple[dict[str, str | None], ...]


@dataclass(slots=True)  # not frozen: built per snapshot (see KpmSnapshot); never changed once built
class Assessment:
    """Category, scores, checklist and natural exit of one household as of one date, under one rule version."""

    id_kpm: str
    tanggal: date
    jenis: str  # registrasi | kunjungan | per_tanggal
    kunjungan_id: str | None
    kontak: bool  # the family was met (a registration, or a visit where it was found)
    rule_version: str
    kategori: str | None  # None when missing data leaves it open
    kategori_bps: str | None
    kategori_pendapatan: str | None
    skor_bps: int | None  # None when a BPS criterion lacks data (then see skor_bps_min/maks)
    skor_bps_min: int
    skor_bps_maks: int
    rasio_gk: float | None
    garis_kemiskinan_rp: float | None
    skor_graduasi: int
    checklist: str  # terpenuhi | tidak_terpenuhi | data_kurang
    alamiah: str  # terpenuhi | tidak_terpenuhi | data_kurang
    hasil: str  # one outcome letter (:data:`LETTER`) per criterion, in the order of :attr:`criteria`
    indicator_values: dict[str, Any]  # every indicator computed for this household
    reasons: tuple[str, ...]
    sumber: tuple[str, ...]
    meta: _Meta = field(compare=False, repr=False)

    @property
    def outcomes(self) -> tuple[str, ...]:
        """The outcome of each criterion, in the order of :attr:`criteria`."""
        return tuple(OUTCOME[x] for x in self.hasil)

    @property
    def criteria(self) -> tuple[CriterionResult, ...]:
        """One result per criterion: the BPS criteria, the graduation checklist, then the natural exit."""
        m, values = self.meta, self.indicator_values
        out = []
        for i, outcome in enumerate(self.outcomes):
            names = m.indicators[i]
            group = m.groups[i]
            out.append(
                CriterionResult(
                    m.codes[i],
                    group,
                    outcome,
                    names,
                    tuple(values[n] for n in names),
                    m.reason_of[i][outcome],
                    m.must[i],
                    counts_as_met(group, outcome, m.na_counts[i]),
                )
            )
        return tuple(out)

    def criterion(self, code: str) -> CriterionResult:
        """The result of one criterion by code (``KeyError`` when the rules have no such code)."""
        return self.criteria[self.meta.index[code]]


@dataclass(frozen=True, slots=True)
class _Compiled:
    rules: RuleSet
    params: dict[str, float]
    improvements: dict[str, list[tuple[str, str]]]
    fields: tuple[tuple[str, ...], Callable[[KpmSnapshot], tuple[Any, ...]]]  # snapshot fields, read at once
    house: tuple[tuple[str, ...], Callable[[KpmSnapshot], tuple[Any, ...]]]  # house fields (no improvements)
    improvable: tuple[str, ...]  # the house fields among them that an improvement may change
    needed: tuple[tuple[str, Callable[[Context], Any]], ...]  # every other indicator, in a stable order
    evaluate: Callable[[dict[str, Any]], CheckResult]  # every criterion (see warehouse.graduation.checks)
    meta: _Meta
    bands: tuple[CategoryBand, ...]
    band_of_score: tuple[int, ...]
    min_score: int


_CACHE: dict[int, _Compiled] = {}


def _picker(names: tuple[str, ...]) -> Callable[[dict[str, Any]], Sequence[Any]]:
    """A function giving the values of these keys of a dict, in order (one C-level call)."""
    if len(names) == 1:
        one = operator.itemgetter(names[0])
        return lambda values: (one(values),)
    return operator.itemgetter(*names) if names else lambda _values: ()


def _reader(names: tuple[str, ...]) -> tuple[tuple[str, ...], Callable[[KpmSnapshot], tuple[Any, ...]]]:
    """The names and a function reading those snapshot fields as a tuple (one C-level call)."""
    if len(names) > 1:
        return names, operator.attrgetter(*names)
    if names:
        one = operator.attrgetter(names[0])
        return names, lambda s: (one(s),)
    return names, lambda _s: ()


def compile_rules(rules: RuleSet) -> _Compiled:
    """Prepare a rule set for fast repeated use (done once per rule set object, then cached)."""
    cached = _CACHE.get(id(rules))
    if cached is not None and cached.rules is rules:
        return cached
    criteria = [*rules.bps, *rules.graduation, rules.natural_exit]
    groups = [BPS] * len(rules.bps) + [GRADUASI] * len(rules.graduation) + [ALAMIAH]
    for crit in criteria:
        for cond in crit.conditions:
            if cond.indicator not in COMPUTE:
                raise ValueError(
                    f"rule set {rules.version}: {crit.code} reads unknown indicator {cond.indicator}"
                )
    must = frozenset(rules.rule.must_pass)
    compared = tuple(dict.fromkeys(x.indicator for c in criteria for x in c.conditions))
    meta = _Meta(
        codes=tuple(c.code for c in criteria),
        groups=tuple(groups),
        indicators=tuple(tuple(x.indicator for x in c.conditions) for c in criteria),
        reason_codes=tuple(c.reason_code for c in criteria),
        missing_codes=tuple(missing_reason(c.code) for c in criteria),
        must=tuple(c.code in must for c in criteria),
        na_counts=tuple(c.na_counts_as_met for c in criteria),
        index={c.code: i for i, c in enumerate(criteria)},
        compared=compared,
        pick_compared=_picker(compared),
        reason_of=tuple(
            {
                outcome: criterion_reason(
                    group, outcome, c.na_counts_as_met, c.reason_code, missing_reason(c.code)
                )
                for outcome in OUTCOMES
            }
            for c, group in zip(criteria, groups, strict=True)
        ),
    )
    bands = tuple(sorted(rules.categories, key=lambda b: b.rank))
    top = max((b.bps_max for b in bands), default=0)
    band_of_score = tuple(
        next((i for i, b in enumerate(bands) if b.bps_min <= score <= b.bps_max), len(bands) - 1)
        for score in range(max(top, len(rules.bps)) + 1)
    )
    needed = sorted(indicators_of(rules) | {"garis_kemiskinan_rp"})
    improvements: dict[str, list[tuple[str, str]]] = {}
    for imp in rules.improvements:
        improvements.setdefault(imp.indicator, []).append((imp.item, imp.value))
    compiled = _Compiled(
        rules=rules,
        params=dict(rules.parameters),
        improvements=improvements,
        fields=_reader(tuple(n for n in needed if n in FIELDS)),
        house=_reader(tuple(n for n in needed if n in HOUSE_FIELDS)),
        improvable=tuple(n for n in needed if n in HOUSE_FIELDS and n in improvements),
        needed=tuple((n, COMPUTE[n]) for n in needed if n not in FIELDS and n not in HOUSE_FIELDS),
        evaluate=compile_checks(
            rules.bps, [(c, c.code in must) for c in rules.graduation], rules.natural_exit, NA
        ),
        meta=meta,
        bands=bands,
        band_of_score=band_of_score,
        min_score=rules.rule.min_score,
    )
    if len(_CACHE) > 64:
        _CACHE.clear()
    _CACHE[id(rules)] = compiled
    return compiled


def _band_of_ratio(bands: tuple[CategoryBand, ...], ratio: float) -> int:
    for i, b in enumerate(bands):
        if ratio >= b.ratio_min and (b.ratio_max is None or ratio < b.ratio_max):
            return i
    return 0 if ratio < bands[0].ratio_min else len(bands) - 1


def checklist_outcome(met: int, unknown: int, must_failed: bool, must_unknown: bool, min_score: int) -> str:
    """The checklist from its counts: met when every must-pass criterion is met and ``met >= min_score``; not met
    when a must-pass criterion fails or even every unknown criterion could not bring it to the minimum; else open.
    """
    if must_failed or met + unknown < min_score:
        return TIDAK_TERPENUHI
    if not must_unknown and met >= min_score:
        return TERPENUHI
    return DATA_KURANG


def assess(snapshot: KpmSnapshot, rules: RuleSet) -> Assessment:
    """Assess one household as of ``snapshot.as_of`` under ``rules`` (see the module docstring)."""
    c = compile_rules(rules)
    ctx = Context(snapshot, rules, c.params, c.improvements)
    values = ctx.values
    names, read = c.fields
    values.update(zip(names, read(snapshot), strict=True))
    names, read = c.house
    values.update(zip(names, read(snapshot), strict=True))
    if snapshot.perbaikan_rumah:
        for name in c.improvable:
            values[name] = ctx.house(name)
    for name, compute in c.needed:
        if name not in values:
            values[name] = compute(ctx)

    # Every criterion, three-valued: "semua" = all conditions, "salah_satu" = any; not applicable ones drop out.
    hasil, score_min, unknown_bps, met, unknown, must_failed, must_unknown, checklist_reasons = c.evaluate(
        values
    )

    reasons: list[str] = []
    if snapshot.jenis == KUNJUNGAN and not snapshot.kontak:
        reasons.append(_NOT_MET_REASON.get(snapshot.kpm_ditemui or "", KPM_NOT_MET))

    # BPS count and categories (index 0 = the worst category).
    score_max = score_min + unknown_bps
    bands, of_score = c.bands, c.band_of_score
    last = len(of_score) - 1
    bps_worst, bps_best = of_score[min(score_max, last)], of_score[min(score_min, last)]
    ratio = values.get("rasio_gk")
    line = values.get("garis_kemiskinan_rp")
    ratio_band: int | None = None
    if ratio is None or ratio is NA:
        ratio = None
        worst, best = 0, bps_best
    else:
        ratio_band = _band_of_ratio(bands, ratio)
        worst, best = min(bps_worst, ratio_band), min(bps_best, ratio_band)
    kategori = bands[worst].code if worst == best else None
    if line is None:
        reasons.append(POVERTY_LINE_MISSING)
    if kategori is None:
        reasons.append(CATEGORY_DATA_MISSING)

    # Graduation checklist.
    reasons.extend(checklist_reasons)
    checklist = checklist_outcome(met, unknown, must_failed, must_unknown, c.min_score)
    if met < c.min_score:
        reasons.append(SCORE_BELOW_MIN)

    # Natural exit ("not applicable" cannot happen with the default rule; the compiled checks count it as not met).
    alamiah = OUTCOME[hasil[-1]]
    if alamiah == TERPENUHI and c.meta.reason_codes[-1]:
        reasons.append(c.meta.reason_codes[-1])

    return Assessment(
        id_kpm=snapshot.id_kpm,
        tanggal=snapshot.as_of,
        jenis=snapshot.jenis,
        kunjungan_id=snapshot.kunjungan_id,
        kontak=snapshot.kontak,
        rule_version=rules.version,
        kategori=kategori,
        kategori_bps=bands[bps_worst].code if bps_worst == bps_best else None,
        kategori_pendapatan=bands[ratio_band].code if ratio_band is not None else None,
        skor_bps=score_min if unknown_bps == 0 else None,
        skor_bps_min=score_min,
        skor_bps_maks=score_max,
        rasio_gk=ratio,
        garis_kemiskinan_rp=line,
        skor_graduasi=met,
        checklist=checklist,
        alamiah=alamiah,
        hasil=hasil,
        indicator_values=values,
        reasons=tuple(reasons),
        sumber=snapshot.sumber,
        meta=c.meta,
    )
