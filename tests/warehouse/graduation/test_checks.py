"""The generated criteria function (warehouse.graduation.checks) against a plain, obviously correct evaluation:
random criteria (every operator, one to three conditions, all/any, must-pass, not-applicable-counts) over random
values (unknown, not applicable, numbers on and around the thresholds, codes), and the default rule set."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from forms.rules import COMBINE_ALL, COMBINE_ANY, OPERATORS, Condition, Criterion, load_rule_sets
from warehouse.graduation.checks import compile_checks
from warehouse.graduation.indicators import NA

NAMES = ("a", "b", "c", "d")
CODES = ("x", "y", "z")


def _holds(value: Any, operator: str, threshold: Any) -> bool:
    if operator == "<":
        return value < threshold
    if operator == "<=":
        return value <= threshold
    if operator == ">":
        return value > threshold
    if operator == ">=":
        return value >= threshold
    if operator == "=":
        return value == threshold
    if operator == "!=":
        return value != threshold
    if operator == "dalam":
        return value in threshold
    return value not in threshold


def _outcome(criterion: Criterion, values: dict[str, Any]) -> str:
    """T met, F not met, N not applicable, D insufficient data: the engine's three-valued rule, spelled out."""
    known = []
    unknown = False
    for c in criterion.conditions:
        v = values[c.indicator]
        if v is None:
            unknown = True
        elif v is not NA:
            known.append(_holds(v, c.operator, c.threshold))
    if criterion.combine == COMBINE_ANY:
        if any(known):
            return "T"
    elif not all(known):
        return "F"
    if unknown:
        return "D"
    return "N" if not known else "T" if criterion.combine == COMBINE_ALL else "F"


def _reference(
    bps: list[Criterion], graduation: list[tuple[Criterion, bool]], natural: Criterion, values: dict
):
    letters = [_outcome(c, values) for c in bps]
    bm, bu = letters.count("T"), letters.count("D")
    gm = gu = 0
    mf = mu = False
    reasons = []
    for c, must in graduation:
        o = _outcome(c, values)
        letters.append(o)
        if o == "T" or (o == "N" and c.na_counts_as_met):
            gm += 1
        elif o == "D":
            gu += 1
            mu = mu or must
            reasons.append(f"{c.code}_DATA_MISSING")
        else:
            mf = mf or must
            if c.reason_code:
                reasons.append(c.reason_code)
    last = _outcome(natural, values)
    letters.append("F" if last == "N" else last)
    return "".join(letters), bm, bu, gm, gu, mf, mu, reasons


NUMERIC = [op for op, types in OPERATORS.items() if "angka" in types]
CHOICE = ["=", "!=", "dalam", "tidak_dalam"]


@st.composite
def conditions(draw: Any, numeric: dict[str, bool]) -> Condition:
    name = draw(st.sampled_from(NAMES))
    if numeric[name]:
        return Condition(name, draw(st.sampled_from(NUMERIC)), float(draw(st.integers(0, 4))))
    op = draw(st.sampled_from(CHOICE))
    if op in ("dalam", "tidak_dalam"):
        return Condition(name, op, frozenset(draw(st.sets(st.sampled_from(CODES), min_size=1))))
    return Condition(name, op, draw(st.sampled_from(CODES)))


@st.composite
def criteria(draw: Any, code: str, numeric: dict[str, bool]) -> Criterion:
    return Criterion(
        code=code,
        label_id=code,
        label_en=code,
        combine=draw(st.sampled_from([COMBINE_ALL, COMBINE_ANY])),
        conditions=tuple(draw(st.lists(conditions(numeric), min_size=1, max_size=3))),
        reason_code=draw(st.sampled_from([None, f"{code}_NOT_MET"])),
        na_counts_as_met=draw(st.booleans()),
    )


@st.composite
def cases(draw: Any) -> tuple[Any, ...]:
    numeric = {n: draw(st.booleans()) for n in NAMES}
    bps = [draw(criteria(f"B{i}", numeric)) for i in range(draw(st.integers(0, 4)))]
    graduation = [
        (draw(criteria(f"G{i}", numeric)), draw(st.booleans())) for i in range(draw(st.integers(0, 4)))
    ]
    natural = draw(criteria("A1", numeric))
    values = {
        n: draw(
            st.one_of(
                st.none(),
                st.just(NA),
                st.integers(-1, 5).map(float) if numeric[n] else st.sampled_from(CODES),
            )
        )
        for n in NAMES
    }
    return bps, graduation, natural, values


@settings(max_examples=400, deadline=None)
@given(cases())
def test_generated_function_matches_plain_evaluation(case: tuple[Any, ...]) -> None:
    bps, graduation, natural, values = case
    evaluate = compile_checks(bps, graduation, natural, NA)
    assert evaluate(values) == _reference(bps, graduation, natural, values)


def test_default_rules_on_random_values() -> None:
    import random

    rng = random.Random(5)
    for rules in load_rule_sets():
        must = set(rules.rule.must_pass)
        graduation = [(c, c.code in must) for c in rules.graduation]
        evaluate = compile_checks(rules.bps, graduation, rules.natural_exit, NA)
        names = {
            x.indicator: x for c in (*rules.bps, *rules.graduation, rules.natural_exit) for x in c.conditions
        }
        for _ in range(2000):
            values = {}
            for name, condition in names.items():
                pick = rng.random()
                if pick < 0.1:
                    values[name] = None
                elif pick < 0.2:
                    values[name] = NA
                elif isinstance(condition.threshold, float):
                    values[name] = condition.threshold + rng.choice((-1.0, -0.5, 0.0, 0.5, 1.0))
                elif isinstance(condition.threshold, frozenset):
                    values[name] = rng.choice([*sorted(condition.threshold), "lain"])
                else:
                    values[name] = rng.choice([condition.threshold, "lain"])
            assert evaluate(values) == _reference(rules.bps, graduation, rules.natural_exit, values)


def test_workbook_text_never_becomes_code() -> None:
    """Codes and thresholds are bound as constants: a code that looks like Python stays a string."""
    odd = "x'); import os; ('"
    natural = Criterion("A1", "a", "a", COMBINE_ALL, (Condition("a", "=", odd),), reason_code=odd)
    grad = Criterion(
        "G1", "g", "g", COMBINE_ALL, (Condition("a", "dalam", frozenset({odd})),), reason_code=odd
    )
    evaluate = compile_checks([], [(grad, True)], natural, NA)
    assert evaluate({"a": odd}) == ("TT", 0, 0, 1, 0, False, False, [])
    assert evaluate({"a": "other"}) == ("FF", 0, 0, 0, 0, True, False, [odd])
