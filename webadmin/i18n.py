"""Languages and formats: Bahasa Indonesia by default, English available (Flask-Babel 4).

The language is the one the user picked (kept in the session), else the browser's Accept-Language, else
Indonesian. Numbers and dates follow the language's conventions (``1.234``, ``31 Des 2020`` in Indonesian);
times are shown in the program's time zone with its Indonesian abbreviation (WIB, WITA, WIT).
"""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache
from pathlib import Path

from babel import Locale
from babel.dates import format_datetime as babel_format_datetime
from babel.numbers import get_group_symbol, get_minus_sign_symbol
from flask import Blueprint, Flask, g, redirect, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import (
    Babel,
    format_date,
    format_datetime,
    format_decimal,
    format_percent,
    get_locale,
    get_timezone,
)

from webadmin.urls import safe_next

LOCALES: tuple[str, ...] = ("id", "en")
DEFAULT_LOCALE = "id"
TRANSLATIONS_DIR = Path(__file__).with_name("translations")

DATE_FORMAT = "d MMM y"
_TIME_FORMATS = {"id": "HH.mm", "en": "HH:mm"}

LANGUAGE_NAMES = {"id": "Bahasa Indonesia", "en": "English"}
"""Each language in its own words (the switch shows them untranslated, so anyone can find their own)."""


def select_locale() -> str:
    """The language of this request: the session's choice, else Accept-Language, else Indonesian."""
    chosen = session.get("lang")
    if chosen in LOCALES:
        return chosen
    return request.accept_languages.best_match(LOCALES, default=DEFAULT_LOCALE) or DEFAULT_LOCALE


_GROUPING = "graduasi_int_grouping"
_UNSET = object()


@lru_cache(maxsize=16)
def _int_grouping(locale: str) -> str | None:
    """The thousands separator of ``locale`` when it groups integers by threes (Babel's pattern), else None."""
    parsed = Locale.parse(locale)
    pattern = parsed.decimal_formats.get(None)
    if pattern is None or pattern.grouping != (3, 3) or get_minus_sign_symbol(parsed) != "-":
        return None
    return get_group_symbol(parsed)


def format_number(value: int | float | None) -> str:
    """A number with the language's grouping (``1.234`` in Indonesian); empty for None.

    Whole numbers take a fast path with the same result as Babel's (a table page formats a thousand of them).
    """
    if value is None:
        return ""
    if isinstance(value, int) and not isinstance(value, bool):
        # looked up once per request: the locale lookup costs more than the formatting itself
        separator = g.get(_GROUPING, _UNSET)
        if separator is _UNSET:
            separator = g.setdefault(_GROUPING, _int_grouping(str(get_locale() or DEFAULT_LOCALE)))
        if separator is not None:
            return f"{value:,}".replace(",", separator)
    return format_decimal(value)


def format_share(value: float | None) -> str:
    """A share (0..1) as a whole percentage in the language's style (``45%``); empty for None."""
    return "" if value is None else format_percent(value, "#,##0%")


def format_day(value: date | None) -> str:
    """A date such as ``31 Des 2020`` (Indonesian) or ``31 Dec 2020`` (English); empty for None."""
    return "" if value is None else format_date(value, DATE_FORMAT)


def format_moment(value: datetime | None) -> str:
    """A naive-UTC timestamp in the program's time zone, e.g. ``28 Nov 2026 10.15 WIB``; empty for None."""
    if value is None:
        return ""
    locale = str(get_locale() or DEFAULT_LOCALE)
    text = format_datetime(value, f"{DATE_FORMAT} {_TIME_FORMATS.get(locale, 'HH:mm')}")
    # the zone's Indonesian abbreviation (WIB/WITA/WIT) reads the same in both languages
    zone = babel_format_datetime(value, "z", tzinfo=get_timezone(), locale="id")
    return f"{text} {zone}"


bp = Blueprint("i18n", __name__)


@bp.post("/bahasa")
def set_language() -> ResponseReturnValue:
    """Remember the language picked in the header and go back to the page it was picked on."""
    lang = request.form.get("lang")
    if lang in LOCALES:
        session["lang"] = lang
    return redirect(safe_next(request.form.get("next"), url_for("dashboard.index")))


def init_app(app: Flask, timezone: str) -> None:
    """Configure Flask-Babel, the template filters and the language switch on ``app``."""
    app.config["BABEL_DEFAULT_LOCALE"] = DEFAULT_LOCALE
    app.config["BABEL_DEFAULT_TIMEZONE"] = timezone
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(TRANSLATIONS_DIR)
    Babel(app, locale_selector=select_locale)
    app.jinja_env.filters["number"] = format_number
    app.jinja_env.filters["percent"] = format_share
    app.jinja_env.filters["day"] = format_day
    app.jinja_env.filters["moment"] = format_moment
    app.jinja_env.globals["LANGUAGE_NAMES"] = LANGUAGE_NAMES
    app.jinja_env.globals["current_locale"] = lambda: str(get_locale() or DEFAULT_LOCALE)
    app.register_blueprint(bp)
