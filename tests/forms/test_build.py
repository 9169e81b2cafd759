"""Building the XLSForms into XForms for ODK Central and KoboToolbox."""

from __future__ import annotations

import csv
import io
import os
import shutil
from pathlib import Path

import pytest
from openpyxl import load_workbook
from pyxform.xls2xform import convert

from forms.build import BuiltForm, FormBuildError, build_all, build_xform, referenced_media
from forms.catalog import CHOICES_DIR, FORM_IDS, form_path
from forms.entity import load_entity_properties
from tests.forms.helpers import copy_forms, set_field


@pytest.mark.parametrize("form_id", FORM_IDS)
@pytest.mark.parametrize("target", ["central", "kobo"])
def test_build_xform__every_form_and_target__converts_without_warnings(form_id: str, target: str) -> None:
    built = build_xform(form_id, target)  # type: ignore[arg-type]
    assert built.warnings == []
    assert (built.form_id, built.target) == (form_id, target)
    assert built.version.isdigit() and len(built.version) == 10
    assert built.xml.startswith("<?xml") and f'id="{form_id}"' in built.xml
    assert built.title


@pytest.mark.parametrize("form_id", ["kpm_registrasi", "kpm_kunjungan"])
def test_build_xform__central__updates_kpm_entity_and_links_the_list(form_id: str) -> None:
    built = build_xform(form_id, "central")
    assert '<entity dataset="kpm" update="1"' in built.xml
    assert "entities:saveto=" in built.xml
    assert built.entity_lists == ("kpm",)
    assert "kpm.csv" not in built.media  # Central attaches the Entity List itself


@pytest.mark.parametrize("form_id", FORM_IDS)
def test_build_xform__kobo__no_entities_and_kpm_csv_placeholder(form_id: str) -> None:
    built = build_xform(form_id, "kobo")
    assert "entities:saveto" not in built.xml and "<entity " not in built.xml
    assert built.entity_lists == ()
    header = next(csv.reader(io.StringIO(built.media["kpm.csv"].decode("utf-8"))))
    assert header[:2] == ["name", "label"]
    assert header[2:] == [p.name for p in load_entity_properties()]
    assert "jr://file-csv/kpm.csv" in built.xml
    workbook = load_workbook(io.BytesIO(built.xlsform))
    assert "entities" not in [ws.title.lower() for ws in workbook.worksheets]
    assert not [
        c.value for row in workbook["survey"].iter_rows() for c in row if c.value and c.value == "save_to"
    ]


def test_build_xform__registration__ships_region_choice_files() -> None:
    built = build_xform("kpm_registrasi")
    assert sorted(built.media) == ["desa.csv", "kabupaten.csv", "kecamatan.csv"]
    assert built.media["desa.csv"] == (CHOICES_DIR / "desa.csv").read_bytes()
    assert referenced_media(built.xml) == ["kpm.csv", "kabupaten.csv", "kecamatan.csv", "desa.csv"]


def test_build_xform__path_or_form_id__same_result() -> None:
    by_id = build_xform("penyaluran")
    by_path = build_xform(form_path("penyaluran"))
    assert by_id.xml == by_path.xml and by_id.content_hash == by_path.content_hash


def test_build_xform__targets__same_content_hash() -> None:
    """Should hash the content, not the target variant (one version covers both servers)."""
    assert (
        build_xform("kpm_kunjungan", "central").content_hash
        == build_xform("kpm_kunjungan", "kobo").content_hash
    )


def test_build_xform__returned_media__not_shared_between_calls() -> None:
    first = build_xform("kpm_registrasi")
    first.media.clear()
    assert "desa.csv" in build_xform("kpm_registrasi").media


def test_build_xform__unknown_target__value_error() -> None:
    with pytest.raises(ValueError, match="unknown target 'odk'"):
        build_xform("penyaluran", "odk")  # type: ignore[arg-type]


def test_build_xform__unknown_form__key_error_lists_forms() -> None:
    with pytest.raises(KeyError, match="kpm_registrasi"):
        build_xform("kpm_tidak_ada")


def test_build_xform__pyxform_rejects__form_build_error_names_file(tmp_path: Path) -> None:
    forms_dir = copy_forms(tmp_path)
    form = forms_dir / "penyaluran.xlsx"
    set_field(form, "tahap", "type", "select_one tahapan")
    with pytest.raises(
        FormBuildError, match=r"penyaluran.xlsx: \[row : \d+\] List name not in choices sheet"
    ):
        build_xform(form)


def test_build_xform__choice_file_missing__form_build_error(tmp_path: Path) -> None:
    forms_dir = copy_forms(tmp_path)
    (forms_dir / "choices" / "desa.csv").unlink()
    with pytest.raises(FormBuildError, match="refers to 'desa.csv'"):
        build_xform(forms_dir / "kpm_registrasi.xlsx")


def test_build_xform__label_changed__content_hash_changes(tmp_path: Path) -> None:
    forms_dir = copy_forms(tmp_path)
    form = forms_dir / "penyaluran.xlsx"
    before = build_xform(form)
    set_field(form, "tahap", "label::English (en)", "Payment tranche")
    after = build_xform(form)
    assert isinstance(after, BuiltForm)
    assert before.content_hash != after.content_hash
    assert "Payment tranche" in after.xml


@pytest.mark.parametrize("target", ["central", "kobo"])
def test_build_all__writes_xml_and_media_per_form(tmp_path: Path, target: str) -> None:
    built = build_all(tmp_path, target)  # type: ignore[arg-type]
    assert [b.form_id for b in built] == list(FORM_IDS)
    folder = tmp_path / target / "kpm_registrasi"
    assert (folder / "kpm_registrasi.xml").read_text(encoding="utf-8") == built[0].xml
    expected = {"kpm_registrasi.xml", "kabupaten.csv", "kecamatan.csv", "desa.csv"}
    if target == "kobo":
        expected |= {"kpm.csv", "kpm_registrasi.xlsx"}
    assert {p.name for p in folder.iterdir()} == expected


def test_build_all__stale_file_in_folder__removed(tmp_path: Path) -> None:
    stale = tmp_path / "central" / "penyaluran" / "old.csv"
    stale.parent.mkdir(parents=True)
    stale.write_text("name,label\n", encoding="utf-8")
    build_all(tmp_path, "central", ["penyaluran"])
    assert not stale.exists()


@pytest.mark.skipif(  # under CI=true it runs, and fails without Java: make test installs it
    shutil.which("java") is None and os.environ.get("CI", "").lower() != "true",
    reason="ODK Validate needs Java (apt-get install default-jre-headless)",
)
@pytest.mark.parametrize("form_id", FORM_IDS)
def test_build__odk_validate__javarosa_accepts_the_form(form_id: str) -> None:
    """Should pass ODK Validate, i.e. JavaRosa (ODK Collect's form engine) parses every expression."""
    result = convert(str(form_path(form_id)), validate=True)
    assert result.xform == build_xform(form_id).xml
