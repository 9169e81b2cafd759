"""A rule set's criteria compiled to one Python function, :func:`compile_checks`.

A full recompute evaluates 25 criteria for each of about 360,000 assessments. Walking them generically (a loop
over (indicator, test) pairs, then loops counting the outcomes) cost about as much as computing the indicators;
one generated function per rule set — straight-line code, each comparison inline, the counters updated where the
outcome is decided — does the same work in a fraction of the time.

Nothing from the workbook becomes source text: indicator names, thresholds and reason codes are bound as
constants (``n3``, ``k3``, ``r3``) in the function's namespace, and the text is assembled only from fixed
fragments and numbers. The outcome rules are those of :mod:`warehouse.graduation.engine` (three-valued: missing
data never counts as "not met"), and a test compares the generated function with a plain evaluation of every
criterion.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from forms.rules import COMBINE_ANY, Condition, Criterion

#: One letter per outcome (as stored in ``kriteria_json``): met, not met, not applicable, insufficient data.
MET, NOT_MET, NOT_APPLICABLE, MISSING = "T", "F", "N", "D"

#: ``value <operator> threshold`` as an expression over ``{x}`` (the value) and ``{k}`` (the threshold); the
#: threshold is the left operand, as ``operator.gt(threshold, value)`` would have it.
_EXPRESSIONS = {
    "<": "{k} > {x}",
    "<=": "{k} >= {x}",
    ">": "{k} < {x}",
    ">=": "{k} <= {x}",
    "=": "{k} == {x}",
    "!=": "{k} != {x}",
    "dalam": "{x} in {k}",
    "tidak_dalam": "{x} not in {k}",
}

#: What the compiled function returns: the outcome letters of every criterion in order, the BPS criteria met and
#: unknown, the graduation criteria counted as met and unknown, whether a must-pass criterion failed or lacks
#: data, and the graduation reason codes in criterion order.
CheckResult = tuple[str, int, int, int, int, bool, bool, list[str]]


def _threshold(condition: Condition) -> Any:
    if condition.operator in ("dalam", "tidak_dalam"):
        return frozenset(condition.threshold)
    return condition.threshold


def compile_checks(
    bps: Sequence[Criterion],
    graduation: Sequence[tuple[Criterion, bool]],
    natural_exit: Criterion,
    not_applicable: Any,
) -> Callable[[dict[str, Any]], CheckResult]:
    """One function ``values -> CheckResult`` for these criteria (``graduation``: each with its must-pass flag).

    ``values`` maps every indicator the criteria read to its value: ``None`` unknown, ``not_applicable`` (the
    engine's NA marker) when the household has no such member. A natural exit that is not applicable counts as
    not met.
    """
    namespace: dict[str, Any] = {"NA": not_applicable}
    T, F, N, D = (repr(letter) for letter in (MET, NOT_MET, NOT_APPLICABLE, MISSING))  # as source literals
    lines = ["def evaluate(values):", "    bm = bu = gm = gu = 0", "    mf = mu = False", "    reasons = []"]
    local: dict[str, str] = {}  # indicator -> local variable

    def value_of(indicator: str) -> str:
        name = local.get(indicator)
        if name is None:
            name = local[indicator] = f"x{len(local)}"
            namespace[f"n{name}"] = indicator
            lines.append(f"    {name} = values[n{name}]")
        return name

    def constant(prefix: str, value: Any) -> str:
        name = f"{prefix}{len(namespace)}"
        namespace[name] = value
        return name

    def outcome(i: int, criterion: Criterion) -> None:
        """``o{i}`` = the criterion's outcome letter."""
        conditions = [
            (value_of(c.indicator), _EXPRESSIONS[c.operator], constant("k", _threshold(c)))
            for c in criterion.conditions
        ]
        if len(conditions) == 1:
            x, expression, k = conditions[0]
            lines.extend(
                [
                    f"    if {x} is None: o{i} = {D}",
                    f"    elif {x} is NA: o{i} = {N}",
                    f"    elif {expression.format(x=x, k=k)}: o{i} = {T}",
                    f"    else: o{i} = {F}",
                ]
            )
            return
        # several conditions: an unknown one decides nothing when a known one already does; not applicable
        # ones drop out, and a criterion with only those is not applicable
        lines.append("    met = unmet = unknown = applicable = False")
        for x, expression, k in conditions:
            lines.extend(
                [
                    f"    if {x} is None: unknown = True",
                    f"    elif {x} is not NA:",
                    "        applicable = True",
                    f"        if {expression.format(x=x, k=k)}: met = True",
                    "        else: unmet = True",
                ]
            )
        if criterion.combine == COMBINE_ANY:
            lines.append(
                f"    o{i} = {T} if met else {D} if unknown else {F} if applicable else {N}",
            )
        else:
            lines.append(f"    o{i} = {F} if unmet else {D} if unknown else {T} if applicable else {N}")

    n = 0
    for criterion in bps:
        outcome(n, criterion)
        lines.extend([f"    if o{n} == {T}: bm += 1", f"    elif o{n} == {D}: bu += 1"])
        n += 1
    for criterion, must in graduation:
        outcome(n, criterion)
        missing = constant("r", f"{criterion.code}_DATA_MISSING")
        not_counted = ["mf = True"] if must else []
        if criterion.reason_code:
            not_counted.append(f"reasons.append({constant('r', criterion.reason_code)})")
        na_branch = ["gm += 1"] if criterion.na_counts_as_met else not_counted
        lines.append(f"    if o{n} == {T}: gm += 1")
        lines.append(
            f"    elif o{n} == {D}: gu += 1; reasons.append({missing})" + ("; mu = True" if must else "")
        )
        if na_branch:
            lines.append(f"    elif o{n} == {N}: {'; '.join(na_branch)}")
        else:
            lines.append(f"    elif o{n} == {N}: pass")
        if not_counted:
            lines.append(f"    else: {'; '.join(not_counted)}")
        n += 1
    outcome(n, natural_exit)
    lines.append(f"    if o{n} == {N}: o{n} = {F}")
    letters = ", ".join(f"o{i}" for i in range(n + 1))
    lines.append(f"    return ''.join(({letters},)), bm, bu, gm, gu, mf, mu, reasons")
    exec(
        compile("\n".join(lines), "<graduation rules>", "exec"), namespace
    )  # the text is ours alone: see the module docstring
    return namespace["evaluate"]  # type: ignore[no-any-return]
