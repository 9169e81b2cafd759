"""Single-value rules: NIK/KK normalisation and plausibility, masking, dates, numbers."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from warehouse.imports.values import (
    is_placeholder,
    mask_number,
    nik_birth_date,
    number_problem,
    parse_date,
    parse_flag,
    parse_int,
    parse_percent,
    strip_number,
)

TODAY = date(2020, 3, 2)


@pytest.mark.parametrize(
    ("raw", "stripped"),
    [
        ("3601024703840002", "3601024703840002"),
        (" 3601.0247 0384.0002 ", "3601024703840002"),
        (
            "3601\u00a002470384-0002",
            "360102470384-0002",
        ),  # no-break space goes, a dash stays (and is flagged)
        ("٣٦٠١", "٣٦٠١"),  # never converted
    ],
)
def test_strip_number__spaces_and_dots__only_those_removed(raw: str, stripped: str) -> None:
    assert strip_number(raw) == stripped


@pytest.mark.parametrize(
    ("number", "fragment"),
    [
        ("3601024703840002", None),
        ("360102470384000", "15 angka"),
        ("36010247038400021", "17 angka"),
        ("36010247038400O2", "karakter selain angka"),  # a letter O
        ("٣٦٠١٠٢٤٧٠٣٨٤٠٠٠٢", "bukan 0-9"),  # Arabic-Indic
        ("３６０１０２４７０３８４０００２", "bukan 0-9"),  # full-width
    ],
)
def test_number_problem__formats__explains_what_is_wrong(number: str, fragment: str | None) -> None:
    problem = number_problem(number, "NIK")
    assert (problem is None) if fragment is None else (fragment in (problem or ""))


@given(st.text(alphabet=st.characters(categories=["Nd", "Zs", "P"]), max_size=24))
def test_number_problem__any_digits_spaces_punctuation__flagged_unless_16_ascii_digits(raw: str) -> None:
    """Should accept exactly 16 ASCII digits after stripping, and explain anything else."""
    number = strip_number(raw)
    ok = len(number) == 16 and all("0" <= c <= "9" for c in number)
    assert (number_problem(number, "NIK") is None) == ok


@pytest.mark.parametrize(
    ("number", "placeholder"),
    [
        ("0000000000000000", True),
        ("9999999999999999", True),
        ("1234567890123456", True),
        ("3601010000000000", True),  # region code only
        ("3601024703840002", False),
    ],
)
def test_is_placeholder__known_fillers__detected(number: str, placeholder: bool) -> None:
    assert is_placeholder(number) is placeholder


@pytest.mark.parametrize(
    ("nik", "born"),
    [
        ("3601020703840002", date(1984, 3, 7)),  # a man: day as is
        ("3601024703840002", date(1984, 3, 7)),  # a woman: day + 40
        ("3601021502100002", date(2010, 2, 15)),
        ("3601022902000002", date(2000, 2, 29)),
        ("3601023502840002", None),  # day 35
        ("3601020013840002", None),  # month 13
        ("3601023102840002", None),  # 31 February
    ],
)
def test_nik_birth_date__ddmmyy__decoded_or_none(nik: str, born: date | None) -> None:
    assert nik_birth_date(nik, TODAY) == born


def test_mask_number__nik_and_short_values__middle_hidden() -> None:
    assert mask_number("3601024703840002") == "360102******0002"
    assert mask_number("360102470384000") == "360102*****4000"
    assert mask_number("12345") == "***45"
    assert mask_number(None) is None


@pytest.mark.parametrize(
    ("raw", "numeric", "parsed"),
    [
        ("2020-01-31", False, date(2020, 1, 31)),
        ("31/01/2020", False, date(2020, 1, 31)),
        ("31-01-2020", False, date(2020, 1, 31)),
        ("31.01.2020", False, date(2020, 1, 31)),
        ("2020-01-31 00:00:00", False, date(2020, 1, 31)),
        ("43861", True, date(2020, 1, 31)),  # an Excel serial in a number cell
        ("43861", False, None),
        ("31/02/2020", False, None),
        ("Januari 2020", False, None),
    ],
)
def test_parse_date__written_forms__day_first(raw: str, numeric: bool, parsed: date | None) -> None:
    assert parse_date(raw, numeric=numeric) == parsed


def test_parse_numbers_and_flags__accepted_forms() -> None:
    assert [parse_int(v) for v in ("5", "5.0", "-1", "1.000", "lima")] == [
        5,
        5,
        None,
        None,
        None,
    ]  # 1.000 = 1000
    assert [parse_percent(v) for v in ("85", "85,5", "85.5%", "x")] == [85.0, 85.5, 85.5, None]
    assert [parse_flag(v) for v in ("Ya", "TRUE", "tidak", "Non-aktif", "mungkin")] == [
        True,
        True,
        False,
        False,
        None,
    ]
