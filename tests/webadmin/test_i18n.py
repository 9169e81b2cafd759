"""Number formats of the admin (webadmin/i18n.py): the fast path for whole numbers gives exactly Babel's result
in both languages, and shares are whole percentages."""

from __future__ import annotations

import pytest
from babel.numbers import format_decimal as babel_format_decimal
from flask import Flask

from webadmin.i18n import format_number, format_share

NUMBERS = [0, 7, -7, 999, 1000, -1234, 12_345, 999_999, 1_000_000, -50_000_000, 10**15, 2**63]


@pytest.mark.parametrize("lang", ["id", "en"])
def test_format_number__whole_numbers__same_as_babel(app: Flask, lang: str) -> None:
    with app.test_request_context(headers={"Accept-Language": lang}):
        for value in NUMBERS:
            assert format_number(value) == babel_format_decimal(value, locale=lang), value


@pytest.mark.parametrize(
    ("lang", "value", "shown"),
    [
        ("id", 1234, "1.234"),
        ("en", 1234, "1,234"),
        ("id", 1234.5, "1.234,5"),
        ("en", None, ""),
        ("id", -1234, "-1.234"),
    ],
)
def test_format_number__examples(app: Flask, lang: str, value: object, shown: str) -> None:
    with app.test_request_context(headers={"Accept-Language": lang}):
        assert format_number(value) == shown  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("value", "shown"), [(0.5, "50%"), (0.666, "67%"), (1, "100%"), (0, "0%"), (None, "")]
)
def test_format_share__whole_percentages(app: Flask, value: float | None, shown: str) -> None:
    with app.test_request_context(headers={"Accept-Language": "id"}):
        assert format_share(value) == shown
