"""The translation catalogs: every string of the code and templates is in them, every one has Indonesian, the
placeholders survive translation, and each committed .mo is exactly its .po compiled (webadmin/translations)."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po

import webadmin

WEBADMIN = Path(webadmin.__file__).parent
TRANSLATIONS = WEBADMIN / "translations"
LOCALES = ["id", "en"]
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None}
_PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


def load_po(locale: str) -> Catalog:
    with open(TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po", "rb") as f:
        return read_po(f)


def load_mo(locale: str) -> Catalog:
    with open(TRANSLATIONS / locale / "LC_MESSAGES" / "messages.mo", "rb") as f:
        return read_mo(f)


def source_msgids() -> set[str]:
    """The msgids in webadmin's code and templates, extracted the way babel.cfg says (what pybabel does)."""
    with open(WEBADMIN / "babel.cfg", encoding="utf-8") as f:
        method_map, options_map = parse_mapping_cfg(f)
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(WEBADMIN), method_map, options_map, keywords=KEYWORDS
    ):
        found.add(message[0] if isinstance(message, tuple) else message)
    return found


def msgid(message) -> str:  # type: ignore[no-untyped-def]
    return message.id[0] if isinstance(message.id, tuple) else message.id


def test_source__every_string__in_both_catalogs_and_nothing_stale() -> None:
    """Should have run `pybabel extract/update` after the last change to a user-visible string."""
    in_source = source_msgids()
    assert len(in_source) > 30
    for locale in LOCALES:
        in_catalog = {msgid(m) for m in load_po(locale) if m.id}
        assert in_source - in_catalog == set(), (
            f"{locale}: missing, run pybabel extract + update (docs/admin.md)"
        )
        assert in_catalog - in_source == set(), f"{locale}: strings no longer used, run pybabel update"


def test_indonesian__every_msgid__translated_with_the_same_placeholders() -> None:
    problems = []
    for message in load_po("id"):
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if not all(strings) or message.fuzzy:
            problems.append(f"untranslated or fuzzy: {msgid(message)!r}")
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        wanted = set(_PLACEHOLDER.findall(ids[0]))
        for text in strings:
            if set(_PLACEHOLDER.findall(text)) != wanted:
                problems.append(f"placeholders differ: {msgid(message)!r} -> {text!r}")
    assert problems == []


@pytest.mark.parametrize("locale", LOCALES)
def test_mo__committed__is_its_po_compiled(locale: str) -> None:
    """Should fail when a .po was edited without `pybabel compile` (the .mo is what the app reads)."""
    compiled = io.BytesIO()
    write_mo(compiled, load_po(locale))  # what `pybabel compile` writes
    compiled.seek(0)
    assert _messages(load_mo(locale)) == _messages(read_mo(compiled)), "run pybabel compile (docs/admin.md)"


def _messages(catalog: Catalog) -> dict[tuple, tuple[str, ...]]:
    def flat(value: object) -> tuple[str, ...]:
        return tuple(value) if isinstance(value, list | tuple) else (str(value),)

    return {(flat(m.id), m.context): flat(m.string) for m in catalog if m.id}
