"""docs/forms.md keeps up with the forms: every field and every check code is explained."""

from __future__ import annotations

from pathlib import Path

import pytest

from forms.build import build_xform
from forms.catalog import FORM_IDS
from forms.check import RULE_CODES
from forms.entity import load_entity_properties
from forms.schema import form_fields

DOC = Path(__file__).resolve().parents[2] / "docs" / "forms.md"


@pytest.mark.parametrize("form_id", FORM_IDS)
def test_forms_doc__lists_every_field(form_id: str) -> None:
    text = DOC.read_text(encoding="utf-8")
    section = text.split(f"#### `{form_id}`", 1)[1].split("####", 1)[0]
    missing = [
        f.path
        for f in form_fields(build_xform(form_id))
        if f.kind not in ("note", "group") and not f.path.startswith("/meta") and f"`{f.path}`" not in section
    ]
    assert not missing, f"add to docs/forms.md ({form_id}): {missing}"


def test_forms_doc__explains_every_check_code() -> None:
    text = DOC.read_text(encoding="utf-8")
    assert [c for c in RULE_CODES if f"| `{c}` |" not in text] == []


def test_forms_doc__lists_every_entity_property() -> None:
    text = DOC.read_text(encoding="utf-8")
    assert [p.name for p in load_entity_properties() if f"| `{p.name}` |" not in text] == []
