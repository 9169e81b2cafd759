"""The graduation rules workbook: the default rule set, each checker rule (a mistake planted in a copy of the
workbook, with the exact sheet, row, column and message), versions, the vocabulary and the JSON round trip."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from forms.catalog import FORMS_DIR
from forms.mapping import MAPPING_TYPES, load_mapping
from forms.rules import (
    INDICATORS,
    OPERATORS,
    PARAMETERS,
    RULES_DIR,
    RuleMessage,
    RulesError,
    check_rules,
    load_rule_sets,
    load_rules,
    rule_fields,
    rule_indicators,
    rules_for_date,
    ruleset_from_json,
    ruleset_to_json,
    write_vocabulary,
)

DEFAULT = RULES_DIR / "graduasi_v2019.xlsx"
Mutation = Callable[[openpyxl.Workbook], None]


def planted(tmp_path: Path, mutate: Mutation, name: str = "graduasi_test.xlsx") -> Path:
    """A copy of the default workbook with one change made through openpyxl (as Excel would save it)."""
    path = tmp_path / name
    shutil.copy(DEFAULT, path)
    wb = openpyxl.load_workbook(path)
    mutate(wb)
    wb.save(path)
    return path


def setcell(sheet: str, cell: str, value: object) -> Mutation:
    def mutate(wb: openpyxl.Workbook) -> None:
        wb[sheet][cell] = value

    return mutate


def delete_row(sheet: str, row: int) -> Mutation:
    def mutate(wb: openpyxl.Workbook) -> None:
        wb[sheet].delete_rows(row)

    return mutate


def both(*mutations: Mutation) -> Mutation:
    def mutate(wb: openpyxl.Workbook) -> None:
        for m in mutations:
            m(wb)

    return mutate


def found(messages: list[RuleMessage]) -> list[tuple[str, int | None, str | None, str, str]]:
    return [(m.sheet, m.row, m.column, m.code, m.message) for m in messages]


# --- the default rule set ---------------------------------------------------------------------------------


def test_default_workbook__check__no_message() -> None:
    """Should find nothing to fix in the shipped rules (not even a warning)."""
    assert check_rules(DEFAULT) == []


def test_default_workbook__load__is_the_proposal_of_domain_6_3() -> None:
    """Should hold domain.md §6.3: 14 BPS criteria, G1-G10, must-pass G1 G3 G6, 7 of 10, 2 visits 90 days apart,
    the category bands, and be flagged as a proposal."""
    rules = load_rules(DEFAULT)
    assert rules.version == "v2019"
    assert rules.effective_from == date(2019, 1, 1)
    assert rules.proposal is True
    assert "USULAN" in rules.title_id and "PROPOSAL" in rules.title_en
    assert [c.code for c in rules.bps] == [f"BPS{i:02d}" for i in range(1, 15)]
    assert [c.code for c in rules.graduation] == [f"G{i}" for i in range(1, 11)]
    assert rules.rule.must_pass == ("G1", "G3", "G6")
    assert (rules.rule.min_score, rules.rule.confirm_visits, rules.rule.confirm_min_days) == (7, 2, 90)
    assert {c.code for c in rules.graduation if c.na_counts_as_met} == {"G6", "G7"}
    assert [(b.code, b.bps_min, b.bps_max, b.ratio_min, b.ratio_max) for b in rules.categories] == [
        ("sangat_miskin", 11, 14, 0.0, 0.8),
        ("miskin", 9, 10, 0.8, 1.0),
        ("hampir_miskin", 6, 8, 1.0, 1.2),
        ("rentan_miskin", 3, 5, 1.2, 1.5),
        ("calon_graduasi", 0, 2, 1.5, None),
    ]
    assert rules.natural_exit.code == "ALAMIAH" and rules.natural_exit.reason_code == "NATURAL_EXIT"
    assert dict(rules.parameters) == {
        "usia_sekolah_min": 7,
        "usia_sekolah_maks": 18,
        "usia_balita_maks": 4,
        "usia_anak_layak_maks": 20,
        "usia_lansia_min": 60,
    }
    lines_2019 = [p.rp for p in rules.poverty_lines if p.tahun == 2019]
    assert len(lines_2019) == 9 and 450_000 <= sum(lines_2019) / len(lines_2019) <= 550_000


def test_default_workbook__proposal_and_assumption__are_marked_for_staff() -> None:
    """Should say in the workbook itself that the rules are a proposal and the poverty lines an assumption."""
    wb = openpyxl.load_workbook(DEFAULT, read_only=True)
    first = wb["petunjuk"]["A1"].value
    lines = [r[4] for r in wb["garis_kemiskinan"].iter_rows(min_row=3, values_only=True) if r[0]]
    wb.close()
    assert first.startswith("USULAN")
    assert lines and all("[ASUMSI]" in text for text in lines)


def test_poverty_line__lookup__kabupaten_then_province_latest_year() -> None:
    """Should use the kabupaten's line of the latest year not after the date, else the province's, else none."""
    rules = load_rules(DEFAULT)
    assert rules.poverty_line("3602", 2019).rp == 460_000
    assert rules.poverty_line("3602", 2023).tahun == 2020
    assert rules.poverty_line("3699", 2019).kode_wilayah == "36"
    assert rules.poverty_line("3201", 2019) is None
    assert rules.poverty_line("3602", 2018) is None
    assert rules.poverty_line(None, 2019) is None


def test_ruleset__json_round_trip__equal() -> None:
    """Should give back an equal rule set from its JSON (what the rule_set table stores)."""
    rules = load_rules(DEFAULT)
    assert ruleset_from_json(ruleset_to_json(rules)) == rules


def test_content_sha256__resaved_workbook__unchanged(tmp_path: Path) -> None:
    """Should digest what the rules say, not how Excel stored them (a re-save keeps the digest)."""
    copy = planted(tmp_path, setcell("petunjuk", "A40", "catatan"))
    assert load_rules(copy).content_sha256 == load_rules(DEFAULT).content_sha256


def test_content_sha256__threshold_changed__changes(tmp_path: Path) -> None:
    """Should change the digest when a threshold changes."""
    copy = planted(tmp_path, setcell("kriteria_graduasi", "I5", 1.1))
    assert load_rules(copy).content_sha256 != load_rules(DEFAULT).content_sha256


# --- one test per checker rule ----------------------------------------------------------------------------

KG = "kriteria_graduasi"
KB = "kriteria_bps"

CASES: list[tuple[str, Mutation, list[tuple[str, int | None, str | None, str, str]]]] = [
    (
        "SHEET_MISSING",
        lambda wb: wb.remove(wb["parameter"]),
        [("parameter", None, None, "SHEET_MISSING", "the workbook has no sheet 'parameter'.")],
    ),
    (
        "COLUMN_MISSING",
        setcell("garis_kemiskinan", "C1", "thn"),
        [
            (
                "garis_kemiskinan",
                1,
                "tahun",
                "COLUMN_MISSING",
                "sheet 'garis_kemiskinan' has no column 'tahun' in row 1.",
            )
        ],
    ),
    (
        "VERSION_MISSING",
        setcell("versi", "B3", None),
        [("versi", 3, "nilai", "VERSION_MISSING", "the rule set has no version (kode versi).")],
    ),
    (
        "VERSION_INVALID",
        setcell("versi", "B3", "v 2019"),
        [
            (
                "versi",
                3,
                "nilai",
                "VERSION_INVALID",
                "version 'v 2019' has characters other than letters, digits, '.', '_' or '-'.",
            )
        ],
    ),
    (
        "EFFECTIVE_DATE_MISSING",
        delete_row("versi", 4),
        [
            (
                "versi",
                7,
                "nilai",
                "EFFECTIVE_DATE_MISSING",
                "the rule set has no effective date (kode berlaku_mulai).",
            )
        ],
    ),
    (
        "EFFECTIVE_DATE_INVALID",
        setcell("versi", "B4", "1 Januari 2019"),
        [("versi", 4, "nilai", "EFFECTIVE_DATE_INVALID", "berlaku_mulai '1 Januari 2019' is not a date.")],
    ),
    (
        "PROPOSAL_FLAG_INVALID",
        setcell("versi", "B5", "mungkin"),
        [("versi", 5, "nilai", "PROPOSAL_FLAG_INVALID", "usulan must be ya or tidak, not 'mungkin'.")],
    ),
    (
        "LABEL_MISSING",
        setcell(KG, "C9", None),
        [(KG, 9, "label_en", "LABEL_MISSING", "the English text (label_en) is empty.")],
    ),
    (
        "KEY_UNKNOWN",
        setcell("aturan_graduasi", "A7", "skor_maksimum"),
        [
            (
                "aturan_graduasi",
                7,
                "kode",
                "KEY_UNKNOWN",
                "kode 'skor_maksimum' is not a setting of sheet aturan_graduasi.",
            )
        ],
    ),
    (
        "PARAMETER_UNKNOWN",
        both(
            setcell("parameter", "A8", "usia_remaja"),
            setcell("parameter", "B8", 15),
            setcell("parameter", "C8", "Remaja"),
            setcell("parameter", "D8", "Teen"),
        ),
        [
            (
                "parameter",
                8,
                "kode",
                "PARAMETER_UNKNOWN",
                "parameter 'usia_remaja' is not read by any indicator.",
            )
        ],
    ),
    (
        "PARAMETER_NOT_NUMBER",
        setcell("parameter", "B5", "empat"),
        [
            (
                "parameter",
                5,
                "nilai",
                "PARAMETER_NOT_NUMBER",
                "parameter usia_balita_maks must be a whole number of years, not 'empat'.",
            )
        ],
    ),
    (
        "PARAMETER_MISSING",
        delete_row("parameter", 7),
        [("parameter", 7, "kode", "PARAMETER_MISSING", "parameter 'usia_lansia_min' is missing.")],
    ),
    (
        "PARAMETER_RANGE_INVALID",
        setcell("parameter", "B4", 6),
        [
            (
                "parameter",
                4,
                "nilai",
                "PARAMETER_RANGE_INVALID",
                "usia_sekolah_maks (6) is below usia_sekolah_min (7).",
            )
        ],
    ),
    (
        "CODE_MISSING",
        setcell(KB, "A5", None),
        [(KB, 5, "kode", "CODE_MISSING", "the kode is empty.")],
    ),
    (
        "CODE_INVALID",
        setcell(KG, "A4", "g2"),
        [(KG, 4, "kode", "CODE_INVALID", "kode 'g2' is not a valid code.")],
    ),
    (
        "CODE_DUPLICATE",
        setcell(KG, "A12", "G9"),
        [(KG, 12, "kode", "CODE_DUPLICATE", "kode 'G9' is already used in row 11.")],
    ),
    (
        "CODE_DUPLICATE reason",
        setcell(KG, "D4", "G1_FOOD_INSECURE"),
        [
            (
                KG,
                4,
                "kode_alasan",
                "CODE_DUPLICATE",
                "kode_alasan 'G1_FOOD_INSECURE' is already used in row 3.",
            )
        ],
    ),
    (
        "CONDITION_INCOMPLETE",
        setcell(KG, "K3", None),
        [(KG, 3, "operator_2", "CONDITION_INCOMPLETE", "condition 2 has no operator.")],
    ),
    (
        "INDICATOR_UNKNOWN",
        setcell(KG, "G5", "rasio_garis_kemiskinan"),
        [
            (
                KG,
                5,
                "indikator_1",
                "INDICATOR_UNKNOWN",
                "indicator 'rasio_garis_kemiskinan' is not in the vocabulary.",
            )
        ],
    ),
    (
        "OPERATOR_UNKNOWN",
        setcell(KG, "H4", "≥"),
        [(KG, 4, "operator_1", "OPERATOR_UNKNOWN", "operator '≥' is unknown.")],
    ),
    (
        "OPERATOR_NOT_ALLOWED",
        setcell(KB, "F4", ">="),
        [
            (
                KB,
                4,
                "operator_1",
                "OPERATOR_NOT_ALLOWED",
                "operator '>=' does not apply to jenis_lantai, which is of type pilihan.",
            )
        ],
    ),
    (
        "THRESHOLD_NOT_NUMBER",
        setcell(KG, "I7", "500.000"),
        [
            (
                KG,
                7,
                "ambang_1",
                "THRESHOLD_NOT_NUMBER",
                "threshold '500.000' of tabungan_aset_rp is not a number.",
            )
        ],
    ),
    (
        "THRESHOLD_NOT_YES_NO",
        setcell(KB, "G13", "tdk"),
        [
            (
                KB,
                13,
                "ambang_1",
                "THRESHOLD_NOT_YES_NO",
                "threshold 'tdk' of mampu_berobat must be ya or tidak.",
            )
        ],
    ),
    (
        "THRESHOLD_CHOICE_UNKNOWN",
        setcell(KB, "G6", "tidak_ada, umum"),
        [(KB, 6, "ambang_1", "THRESHOLD_CHOICE_UNKNOWN", "'umum' is not a code of fasilitas_bab.")],
    ),
    (
        "THRESHOLD_ONE_CODE",
        setcell(KG, "O11", "bukan_listrik, non_pln"),
        [
            (
                KG,
                11,
                "ambang_3",
                "THRESHOLD_ONE_CODE",
                "operator != compares with one code, but the threshold has 2.",
            )
        ],
    ),
    (
        "COMBINE_INVALID",
        setcell(KG, "F6", "atau"),
        [(KG, 6, "gabung", "COMBINE_INVALID", "gabung 'atau' is unknown.")],
    ),
    (
        "CRITERION_NO_CONDITION",
        both(setcell(KG, "G4", None), setcell(KG, "H4", None), setcell(KG, "I4", None)),
        [(KG, 4, "indikator_1", "CRITERION_NO_CONDITION", "the criterion has no condition.")],
    ),
    (
        "YES_NO_INVALID",
        setcell(KG, "E8", "mungkin"),
        [
            (
                KG,
                8,
                "tidak_berlaku_dianggap_terpenuhi",
                "YES_NO_INVALID",
                "tidak_berlaku_dianggap_terpenuhi must be ya or tidak, not 'mungkin'.",
            )
        ],
    ),
    (
        "SHEET_EMPTY",
        lambda wb: wb["garis_kemiskinan"].delete_rows(3, 30),
        [
            (
                "garis_kemiskinan",
                3,
                "kode_wilayah",
                "SHEET_EMPTY",
                "sheet garis_kemiskinan has no poverty line.",
            )
        ],
    ),
    (
        "CATEGORY_BOUND_NOT_NUMBER",
        setcell("kategori", "G5", "satu"),
        [
            (
                "kategori",
                5,
                "rasio_gk_min",
                "CATEGORY_BOUND_NOT_NUMBER",
                "rasio_gk_min 'satu' of hampir_miskin is not a number >= 0.",
            )
        ],
    ),
    (
        "CATEGORY_RANGE_INVALID",
        setcell("kategori", "F6", 2),
        [
            (
                "kategori",
                6,
                "skor_bps_maks",
                "CATEGORY_RANGE_INVALID",
                "skor_bps_maks 2 of rentan_miskin is below its skor_bps_min 3.",
            )
        ],
    ),
    (
        "CATEGORY_GAP skor_bps",
        setcell("kategori", "E4", 10),
        [
            (
                "kategori",
                4,
                "skor_bps_min",
                "CATEGORY_GAP",
                "no category covers skor_bps 9 (between hampir_miskin and miskin).",
            )
        ],
    ),
    (
        "CATEGORY_GAP top",
        setcell("kategori", "F3", 13),
        [
            (
                "kategori",
                3,
                "skor_bps_maks",
                "CATEGORY_GAP",
                "no category covers skor_bps 14 (there are 14 BPS criteria).",
            )
        ],
    ),
    (
        "CATEGORY_OVERLAP skor_bps",
        setcell("kategori", "F5", 9),
        [
            (
                "kategori",
                4,
                "skor_bps_min",
                "CATEGORY_OVERLAP",
                "skor_bps 9 is in both hampir_miskin and miskin.",
            )
        ],
    ),
    (
        "CATEGORY_GAP rasio_gk",
        setcell("kategori", "G5", 1.05),
        [
            (
                "kategori",
                5,
                "rasio_gk_min",
                "CATEGORY_GAP",
                "no category covers rasio_gk from 1 to below 1.05 (between miskin and hampir_miskin).",
            )
        ],
    ),
    (
        "CATEGORY_OVERLAP rasio_gk",
        setcell("kategori", "H4", 1.1),
        [
            (
                "kategori",
                5,
                "rasio_gk_min",
                "CATEGORY_OVERLAP",
                "rasio_gk from 1 to below 1.1 is in both miskin and hampir_miskin.",
            )
        ],
    ),
    (
        "CATEGORY_GAP rasio_gk top",
        setcell("kategori", "H7", 3),
        [("kategori", 7, "rasio_gk_maks", "CATEGORY_GAP", "no category covers rasio_gk of 3 or more.")],
    ),
    (
        "CATEGORY_ORDER",
        both(setcell("kategori", "A3", 2), setcell("kategori", "A4", 1)),
        [
            (
                "kategori",
                3,
                "urutan",
                "CATEGORY_ORDER",
                "sangat_miskin (urutan 2) is ranked better than miskin (urutan 1) but its ranges are not better "
                "(lower skor_bps, higher rasio_gk).",
            )
        ],
    ),
    (
        "RULE_VALUE_INVALID",
        setcell("aturan_graduasi", "B3", 11),
        [
            (
                "aturan_graduasi",
                3,
                "nilai",
                "RULE_VALUE_INVALID",
                "skor_minimum must be a whole number from 0 to 10, not '11'.",
            )
        ],
    ),
    (
        "RULE_VALUE_MISSING",
        delete_row("aturan_graduasi", 6),
        [("aturan_graduasi", 6, "nilai", "RULE_VALUE_MISSING", "konfirmasi_jarak_hari_min is missing.")],
    ),
    (
        "MUST_PASS_UNKNOWN",
        setcell("aturan_graduasi", "B4", "G1, G3, G11"),
        [
            (
                "aturan_graduasi",
                4,
                "nilai",
                "MUST_PASS_UNKNOWN",
                "must-pass criterion 'G11' is not in sheet kriteria_graduasi.",
            )
        ],
    ),
    (
        "NATURAL_EXIT_SEVERAL",
        both(
            *(
                setcell("graduasi_alamiah", f"{c}4", v)
                for c, v in zip(
                    "ABCDEFGH",
                    ["ALAMIAH2", "Dua", "Two", "NATURAL_EXIT_2", "semua", "jumlah_ibu_hamil", "=", 0],
                    strict=True,
                )
            )
        ),
        [
            (
                "graduasi_alamiah",
                4,
                "kode",
                "NATURAL_EXIT_SEVERAL",
                "sheet graduasi_alamiah has more than one rule.",
            )
        ],
    ),
    (
        "REGION_CODE_INVALID",
        setcell("garis_kemiskinan", "A4", "36.01"),
        [
            (
                "garis_kemiskinan",
                4,
                "kode_wilayah",
                "REGION_CODE_INVALID",
                "kode_wilayah '36.01' is not a kabupaten/kota code (4 digits) or province code (2 digits).",
            )
        ],
    ),
    (
        "YEAR_INVALID",
        setcell("garis_kemiskinan", "C4", 19),
        [("garis_kemiskinan", 4, "tahun", "YEAR_INVALID", "tahun '19' is not a year.")],
    ),
    (
        "POVERTY_LINE_DUPLICATE",
        setcell("garis_kemiskinan", "C13", 2019),
        [
            (
                "garis_kemiskinan",
                13,
                "kode_wilayah",
                "POVERTY_LINE_DUPLICATE",
                "kode_wilayah 3601 already has a line for 2019 in row 4.",
            )
        ],
    ),
    (
        "THRESHOLD_NOT_NUMBER poverty line",
        setcell("garis_kemiskinan", "D5", "Rp460.000"),
        [
            (
                "garis_kemiskinan",
                5,
                "garis_kemiskinan_rp",
                "THRESHOLD_NOT_NUMBER",
                "garis_kemiskinan_rp 'Rp460.000' is not a positive number.",
            )
        ],
    ),
    (
        "IMPROVEMENT_UNKNOWN",
        setcell("perbaikan_rumah", "A5", "tembok"),
        [
            (
                "perbaikan_rumah",
                5,
                "butir",
                "IMPROVEMENT_UNKNOWN",
                "butir 'tembok' is not an answer of the visit question perubahan_rumah.",
            )
        ],
    ),
    (
        "IMPROVEMENT indicator",
        setcell("perbaikan_rumah", "B3", "frek_makan_hari"),
        [
            (
                "perbaikan_rumah",
                3,
                "indikator",
                "INDICATOR_UNKNOWN",
                "indikator 'frek_makan_hari' is not a house indicator an improvement can change.",
            )
        ],
    ),
    (
        "VOCABULARY_OUTDATED",
        setcell("indikator", "A3", "luas_lantai"),
        [
            (
                "indikator",
                None,
                None,
                "VOCABULARY_OUTDATED",
                "sheet indikator does not list the indikators this version of graduasi knows.",
            )
        ],
    ),
]


@pytest.mark.parametrize(
    ("mutate", "expected"), [(m, e) for _n, m, e in CASES], ids=[n for n, _m, _e in CASES]
)
def test_check_rules__planted_mistake__reported_exactly(
    tmp_path: Path, mutate: Mutation, expected: list
) -> None:
    """Should report the planted mistake, and only it, at its sheet, Excel row and column, with the message."""
    path = planted(tmp_path, mutate)
    assert found(check_rules(path)) == expected


def test_check_rules__every_message__names_a_fix(tmp_path: Path) -> None:
    """Should give a fix with each message and the Excel column letter of the column key."""
    path = planted(tmp_path, setcell(KG, "G5", "rasio"))
    (message,) = check_rules(path)
    assert message.letter == "G"
    assert message.fix.startswith("Use a name from sheet indikator")
    assert str(message).endswith(
        "[kriteria_graduasi] row 5, column G (indikator_1): ERROR INDICATOR_UNKNOWN: indicator 'rasio' is not in "
        "the vocabulary. Fix: Use a name from sheet indikator (docs/graduation.md lists them), spelled exactly."
    )


def test_check_rules__not_a_workbook__unreadable(tmp_path: Path) -> None:
    """Should report a file Excel cannot open instead of crashing."""
    path = tmp_path / "rules.xlsx"
    path.write_text("not a workbook")
    (message,) = check_rules(path)
    assert (message.code, message.sheet, message.row) == ("RULES_UNREADABLE", "", None)


def test_check_rules__empty_folder__rules_none(tmp_path: Path) -> None:
    """Should say a folder without any workbook has no rules, rather than nothing."""
    assert [m.code for m in check_rules(tmp_path)] == ["RULES_NONE"]
    with pytest.raises(RulesError):
        load_rule_sets(tmp_path)


def test_load_rules__errors__raise_with_messages(tmp_path: Path) -> None:
    """Should refuse a workbook with errors and carry the messages."""
    path = planted(tmp_path, setcell(KG, "H4", "≥"))
    with pytest.raises(RulesError) as info:
        load_rules(path)
    assert [m.code for m in info.value.messages] == ["OPERATOR_UNKNOWN"]
    assert "kriteria_graduasi] row 4" in str(info.value)


def test_load_rules__warning_only__loads(tmp_path: Path) -> None:
    """Should load a workbook that only has warnings (an outdated vocabulary sheet)."""
    path = planted(tmp_path, lambda wb: wb.remove(wb["indikator"]))
    assert [m.severity for m in check_rules(path)] == ["warning"]
    assert load_rules(path).version == "v2019"


def test_write_vocabulary__outdated_sheet__rewritten(tmp_path: Path) -> None:
    """Should rewrite the indikator and operator sheets so the warning goes away."""
    path = planted(tmp_path, lambda wb: wb.remove(wb["indikator"]))
    write_vocabulary(path)
    assert check_rules(path) == []
    wb = openpyxl.load_workbook(path, read_only=True)
    names = [r[0] for r in wb["indikator"].iter_rows(min_row=3, values_only=True)]
    ops = [r[0] for r in wb["operator"].iter_rows(min_row=3, values_only=True)]
    wb.close()
    assert names == list(INDICATORS) and ops == list(OPERATORS)


# --- versions ---------------------------------------------------------------------------------------------


def two_versions(tmp_path: Path, version: str = "v2021", effective: date = date(2021, 1, 1)) -> Path:
    folder = tmp_path / "rules"
    folder.mkdir()
    shutil.copy(DEFAULT, folder / "graduasi_v2019.xlsx")
    planted(
        folder,
        both(
            setcell("versi", "B3", version),
            setcell("versi", "B4", effective),
            setcell("aturan_graduasi", "B3", 8),
        ),
        name="graduasi_v2021.xlsx",
    )
    return folder


def test_rule_sets__two_versions__chosen_by_date(tmp_path: Path) -> None:
    """Should pick the version in force on each date (the oldest before the first effective date)."""
    sets = load_rule_sets(two_versions(tmp_path))
    assert [r.version for r in sets] == ["v2019", "v2021"]
    assert rules_for_date(sets, date(2018, 6, 1)).version == "v2019"
    assert rules_for_date(sets, date(2020, 12, 31)).version == "v2019"
    assert rules_for_date(sets, date(2021, 1, 1)).version == "v2021"
    assert rules_for_date(sets, date(2021, 1, 1)).rule.min_score == 8
    assert check_rules(tmp_path / "rules") == []


def test_rule_sets__same_version_twice__reported(tmp_path: Path) -> None:
    """Should refuse two workbooks with one version name (assessments are keyed by it)."""
    folder = two_versions(tmp_path, version="v2019")
    assert [m.code for m in check_rules(folder)] == ["VERSION_DUPLICATE"]
    with pytest.raises(RulesError):
        load_rule_sets(folder)


def test_rule_sets__same_effective_date__reported(tmp_path: Path) -> None:
    """Should refuse two versions effective on the same day."""
    folder = two_versions(tmp_path, effective=date(2019, 1, 1))
    assert [m.code for m in check_rules(folder)] == ["EFFECTIVE_DATE_DUPLICATE"]


# --- vocabulary against the forms -------------------------------------------------------------------------


def test_rule_indicators__default__names_and_types() -> None:
    """Should list every indicator the default rules read, with its type (what forms check asks for)."""
    pairs = rule_indicators(DEFAULT)
    assert ("rasio_gk", "angka") in pairs and ("kekurangan_pangan_3bln", "ya_tidak") in pairs
    assert all(INDICATORS[name].type == kind for name, kind in pairs)
    assert len(pairs) == len(set(pairs))


def test_rule_fields__every_field__is_in_the_mapping_with_its_type() -> None:
    """Should name only form fields that forms/mapping.csv feeds to the warehouse, with the same type."""
    mapped = {(r.form_id, r.field): r.type for r in load_mapping()}
    for form_id, field, kind in rule_fields(DEFAULT):
        assert (form_id, field) in mapped, f"{form_id}.{field} is not in forms/mapping.csv"
        assert kind in MAPPING_TYPES
        assert MAPPING_TYPES[kind] & MAPPING_TYPES[mapped[(form_id, field)]], (form_id, field)


def form_choices() -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for name in ("kpm_registrasi", "kpm_kunjungan"):
        wb = openpyxl.load_workbook(FORMS_DIR / f"{name}.xlsx", read_only=True)
        for row in wb["choices"].iter_rows(min_row=2, values_only=True):
            if row[0] and row[1]:
                out.setdefault(str(row[0]), set()).add(str(row[1]))
        wb.close()
    return out


@pytest.mark.parametrize(
    ("indicator", "choice_list"),
    [
        ("jenis_lantai", "lantai"),
        ("jenis_dinding", "dinding"),
        ("jenis_atap", "atap"),
        ("fasilitas_bab", "bab"),
        ("sumber_penerangan", "penerangan"),
        ("sumber_air_minum", "air"),
        ("bahan_bakar_masak", "bbm"),
        ("beli_pakaian_setahun", "pakaian"),
        ("pekerjaan_kepala", "pekerjaan"),
        ("pendidikan_kepala", "pendidikan"),
        ("penilaian_pendamping", "siap_graduasi"),
    ],
)
def test_indicator_choices__match_the_form_choice_list(indicator: str, choice_list: str) -> None:
    """Should allow exactly the codes the form offers, so a threshold can name every answer and nothing else."""
    assert set(INDICATORS[indicator].choices) == form_choices()[choice_list]


def test_house_improvement_items__match_the_visit_question() -> None:
    """Should know every perubahan_rumah answer except tidak_ada."""
    from forms.rules import HOUSE_IMPROVEMENT_ITEMS

    assert set(HOUSE_IMPROVEMENT_ITEMS) == form_choices()["perubahan_rumah"] - {"tidak_ada"}


def test_vocabulary__every_indicator__typed_labelled_and_sourced() -> None:
    """Should give each indicator a known type, labels and meanings in both languages, and its form fields."""
    for i in INDICATORS.values():
        assert i.type in ("angka", "pilihan", "ya_tidak")
        assert i.label_id and i.label_en and i.meaning_id and i.meaning_en and i.fields
        assert bool(i.choices) == (i.type == "pilihan"), i.name
    assert set(PARAMETERS) == {
        "usia_sekolah_min",
        "usia_sekolah_maks",
        "usia_balita_maks",
        "usia_anak_layak_maks",
        "usia_lansia_min",
    }


# --- the CLI ----------------------------------------------------------------------------------------------


def test_cli_check__default_rules__exit_0() -> None:
    """Should say the shipped rules are fine, with version, date and the proposal flag."""
    from graduasi.cli import main

    result = CliRunner().invoke(main, ["graduation", "check"])
    assert result.exit_code == 0, result.output
    assert "OK — versi v2019, berlaku mulai 2019-01-01, USULAN/proposal" in result.output


def test_cli_check__planted_mistake__prints_it_and_exits_1(tmp_path: Path) -> None:
    """Should print every message with sheet, row, column and fix, and exit non-zero."""
    from graduasi.cli import main

    path = planted(tmp_path, both(setcell(KG, "H4", "≥"), setcell("kategori", "E4", 10)))
    result = CliRunner().invoke(main, ["graduation", "check", str(path)])
    assert result.exit_code == 1
    assert (
        "[kriteria_graduasi] row 4, column H (operator_1): ERROR OPERATOR_UNKNOWN: operator '≥' is unknown."
        in (result.output)
    )
    assert "[kategori] row 4, column E (skor_bps_min): ERROR CATEGORY_GAP" in result.output
    assert "2 error(s), 0 warning(s)" in result.output


def test_cli_check__warning_only__exit_0(tmp_path: Path) -> None:
    """Should print warnings but not fail on them."""
    from graduasi.cli import main

    path = planted(tmp_path, lambda wb: wb.remove(wb["indikator"]))
    result = CliRunner().invoke(main, ["graduation", "check", str(path)])
    assert result.exit_code == 0
    assert "WARNING VOCABULARY_OUTDATED" in result.output


def test_cli_vocabulary__rewrites_sheets(tmp_path: Path) -> None:
    """Should rewrite the vocabulary sheets of the given workbook."""
    from graduasi.cli import main

    path = planted(tmp_path, lambda wb: wb.remove(wb["operator"]))
    result = CliRunner().invoke(main, ["graduation", "vocabulary", str(path)])
    assert result.exit_code == 0, result.output
    assert check_rules(path) == []
