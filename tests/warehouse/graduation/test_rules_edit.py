"""Editing a threshold in a copy of the workbook changes exactly the assessments it should, and nothing else."""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import openpyxl
import pytest

from forms.rules import RuleSet, load_rules
from warehouse.graduation import NA, Assessment, ChildRow, KpmSnapshot, assess

from .conftest import DEFAULT_RULES, household, random_household

POPULATION = 3000


@pytest.fixture(scope="module")
def population() -> list[KpmSnapshot]:
    rng = random.Random(20191015)
    return [random_household(rng, i, missing=0.02) for i in range(POPULATION)]


def edited(tmp_path: Path, **cells: object) -> RuleSet:
    """The default rules with cells changed, as staff would in Excel: ``sheet__CELL=value``."""
    path = tmp_path / "graduasi_edit.xlsx"
    shutil.copy(DEFAULT_RULES, path)
    wb = openpyxl.load_workbook(path)
    for key, value in cells.items():
        sheet, cell = key.split("__")
        wb[sheet][cell] = value
    wb.save(path)
    return load_rules(path)


def value_of(a: Assessment, code: str, indicator: str) -> object:
    return dict(a.criterion(code).values)[indicator]


def differing(a: Assessment, b: Assessment) -> set[str]:
    return {x.code for x, y in zip(a.criteria, b.criteria, strict=True) if x != y}


def test_edit__g3_threshold_1_1__changes_only_g3_between_1_0_and_1_1(
    tmp_path: Path, rules: RuleSet, population: list[KpmSnapshot]
) -> None:
    """Should move G3 (and the scores it feeds) only for households with 1.0 <= rasio_gk < 1.1."""
    stricter = edited(tmp_path, kriteria_graduasi__I5=1.1)
    changed = 0
    for s in population:
        a, b = assess(s, rules), assess(s, stricter)
        ratio = a.rasio_gk
        in_band = ratio is not None and 1.0 <= ratio < 1.1
        assert differing(a, b) == ({"G3"} if in_band else set()), (s.id_kpm, ratio)
        if in_band:
            changed += 1
            assert (a.criterion("G3").outcome, b.criterion("G3").outcome) == ("terpenuhi", "tidak_terpenuhi")
            assert b.skor_graduasi == a.skor_graduasi - 1
        else:
            assert (a.skor_graduasi, a.checklist, a.kategori) == (b.skor_graduasi, b.checklist, b.kategori)
    assert changed > 20  # the population does reach the band


def test_edit__floor_area_threshold__changes_only_bps01_and_its_category(
    tmp_path: Path, rules: RuleSet, population: list[KpmSnapshot]
) -> None:
    """Should count BPS01 for 8 <= m2 per person < 9 once the threshold is 9, touching nothing else."""
    stricter = edited(tmp_path, kriteria_bps__G3=9)
    changed = 0
    for s in population:
        a, b = assess(s, rules), assess(s, stricter)
        area = value_of(a, "BPS01", "luas_lantai_per_kapita_m2")
        in_band = isinstance(area, float) and 8 <= area < 9
        assert differing(a, b) == ({"BPS01"} if in_band else set())
        if in_band:
            changed += 1
            assert b.skor_bps_min == a.skor_bps_min + 1
        else:
            assert (a.skor_bps, a.kategori) == (b.skor_bps, b.kategori)
    assert changed > 20


def test_edit__minimum_score_8__changes_only_checklists_scoring_7(
    tmp_path: Path, rules: RuleSet, population: list[KpmSnapshot]
) -> None:
    """Should turn the checklist of households at exactly 7 met (or open at 7) and leave every criterion alone."""
    stricter = edited(tmp_path, aturan_graduasi__B3=8)
    changed = 0
    for s in population:
        a, b = assess(s, rules), assess(s, stricter)
        assert a.criteria == b.criteria
        if a.checklist != b.checklist:
            changed += 1
            unknown = sum(1 for c in a.criteria if c.group == "graduasi" and c.outcome == "data_kurang")
            assert 7 in (a.skor_graduasi, a.skor_graduasi + unknown)
    assert changed > 0


def test_edit__must_pass_removed__g6_failure_no_longer_blocks(tmp_path: Path, rules: RuleSet) -> None:
    """Should let a household failing only G6 meet the checklist once G6 is no longer a must-pass."""
    snap = household(anak=(ChildRow(3, "sekolah", 60.0),))
    relaxed = edited(tmp_path, aturan_graduasi__B4="G1, G3")
    assert (assess(snap, rules).checklist, assess(snap, relaxed).checklist) == (
        "tidak_terpenuhi",
        "terpenuhi",
    )
    assert value_of(assess(snap, rules), "G7", "anc_kunjungan_ke") is NA
