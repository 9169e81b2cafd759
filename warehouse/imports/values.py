"""Checks and normalisation of single values: NIK and KK numbers, ids, region codes, dates, numbers, flags.

Rules for identity numbers follow reliability.md §4 B5-B8: only spaces and dots are stripped; a digit that is
not an ASCII 0-9 (Arabic-Indic, full-width…) is never converted, it is reported; plausibility (region, birth
date, placeholders) is a warning, never a reason to drop a row.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime, timedelta

ID_KPM_RE = re.compile(r"^36[0-9]{2}-[0-9]{6}$")
PENDAMPING_ID_RE = re.compile(r"^[^\s]{1,32}$")
PROVINCE = "36"
#: Sequences people type when they do not know the number.
_SEQUENCES = ("1234567890123456", "0123456789012345", "6543210987654321", "9876543210987654")
_EXCEL_EPOCH = date(1899, 12, 30)


def strip_number(value: str) -> str:
    """Remove spaces and dots only (``3601.0247 0384.0002`` -> ``3601024703840002``)."""
    if value.isalnum():
        return value
    return "".join(ch for ch in value if ch != "." and not ch.isspace())


def non_ascii_digits(value: str) -> bool:
    """True when the value holds a decimal digit outside ASCII 0-9 (never converted silently)."""
    return any(unicodedata.category(ch) == "Nd" and not ("0" <= ch <= "9") for ch in value)


def number_problem(number: str, what: str) -> str | None:
    """Why a stripped NIK/KK is not 16 ASCII digits, in Indonesian, or None when it is."""
    if len(number) == 16 and number.isascii() and number.isdigit():
        return None
    if non_ascii_digits(number):
        return (
            f"{what} berisi angka bukan 0-9 (mis. angka Arab atau lebar penuh); ketik ulang dengan angka 0-9"
        )
    if not number.isascii() or not number.isdigit():
        bad = sorted({ch for ch in number if not ("0" <= ch <= "9")})
        shown = " ".join(repr(ch) for ch in bad[:5])
        return f"{what} berisi karakter selain angka ({shown})"
    if len(number) != 16:
        return f"{what} berisi {len(number)} angka, seharusnya 16"
    return None


def is_placeholder(number: str) -> bool:
    """A 16-digit number that is clearly not real: one repeated digit, a counting sequence, or zeros after the
    region code (no birth date and no serial)."""
    if len(set(number)) == 1 or number in _SEQUENCES:
        return True
    return number[6:] == "0" * 10


def nik_birth_date(nik: str, today: date) -> date | None:
    """The birth date encoded in digits 7-12 (DDMMYY, day + 40 for women), or None when impossible.

    The century is the latest one that does not put the date after ``today``.
    """
    day, month, year = int(nik[6:8]), int(nik[8:10]), int(nik[10:12])
    if day > 40:
        day -= 40
    for century in (2000, 1900):
        try:
            born = date(century + year, month, day)
        except ValueError:
            return None
        if born <= today:
            return born
    return None


def mask_number(value: str | None) -> str | None:
    """Hide the middle of a NIK/KK: the first 6 and last 4 characters stay (``360102******0002``)."""
    if value is None:
        return None
    if len(value) > 10:
        return value[:6] + "*" * (len(value) - 10) + value[-4:]
    return "*" * max(len(value) - 2, 0) + value[-2:]


def region_code(value: str) -> str:
    """A region code without dots and spaces (``36.01.01.2001`` -> ``3601012001``)."""
    return strip_number(value)


def normalise_kategori(value: str) -> str:
    """``Sangat Miskin`` / ``sangat-miskin`` -> ``sangat_miskin`` (still to be checked against the list)."""
    return re.sub(r"[^a-z0-9]+", "_", value.strip().lower()).strip("_")


_TRUE = {"ya", "y", "true", "benar", "1", "aktif", "yes"}
_FALSE = {"tidak", "t", "false", "salah", "0", "nonaktif", "non_aktif", "tidak_aktif", "no"}


def parse_flag(value: str) -> bool | None:
    """``ya``/``tidak`` (and true/false, 1/0, aktif/nonaktif) as a bool; None when not recognised."""
    key = normalise_kategori(value)
    if key in _TRUE:
        return True
    if key in _FALSE:
        return False
    return None


_DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y/%m/%d", "%Y-%m-%d %H:%M:%S")


def parse_date(value: str, *, numeric: bool = False) -> date | None:
    """A date written as 2020-01-31, 31/01/2020, 31-01-2020, 31.01.2020, or an Excel serial number (when the
    cell was a number); None when it is none of these. Day-first, as written in Indonesia."""
    text = value.strip()
    if numeric and text.isdigit() and 20000 <= int(text) <= 80000:
        return _EXCEL_EPOCH + timedelta(days=int(text))
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def parse_int(value: str) -> int | None:
    """A whole number (``1.000`` and ``1,000`` as thousands are not accepted: write 1000); None if not one."""
    text = value.strip()
    if re.fullmatch(r"[0-9]+", text):
        return int(text)
    if re.fullmatch(r"[0-9]+\.0", text):  # 5.0 from a number cell; 1.000 is a thousand, so not accepted
        return int(text[:-2])
    return None


def parse_percent(value: str) -> float | None:
    """A percentage 0-100 written as ``85``, ``85.5``, ``85,5`` or ``85%``; None when not a number."""
    text = value.strip().rstrip("%").strip().replace(",", ".")
    if re.fullmatch(r"[0-9]+(\.[0-9]+)?", text):
        return float(text)
    return None
