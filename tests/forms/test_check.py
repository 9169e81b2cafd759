"""One test per ``forms check`` rule: plant the mistake in a copy of forms/ and expect the exact message."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from forms.build import build_xform
from forms.check import CheckMessage, FieldRequirement, check_forms
from forms.manifest import write_manifest
from tests.forms.helpers import copy_forms, form_version, rename_header, row_of, set_cell, set_field

PUBLISHED_AT = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)


@pytest.fixture
def forms_dir(tmp_path: Path) -> Path:
    return copy_forms(tmp_path)


def only(messages: list[CheckMessage], code: str) -> CheckMessage:
    """The single message with ``code`` (fails listing everything found otherwise)."""
    hits = [m for m in messages if m.code == code]
    assert len(hits) == 1, "\n".join(str(m) for m in messages)
    return hits[0]


def publish(form: Path) -> tuple[str, str]:
    """Record the form as published (what sync's publisher does after a successful publish); returns the
    published version and the next one."""
    write_manifest(build_xform(form), PUBLISHED_AT, form.parent / "published")
    version = form_version(form)
    return version, str(int(version) + 1)


def test_check__copied_forms__no_messages(forms_dir: Path) -> None:
    """Should find nothing wrong in the forms as shipped (so every planted mistake below is the only one)."""
    assert check_forms(sorted(forms_dir.glob("*.xlsx"))) == []


def test_check__unknown_choice_list__xlsform_error(forms_dir: Path) -> None:
    form = forms_dir / "penyaluran.xlsx"
    row = set_field(form, "tahap", "type", "select_one tahapan")
    m = only(check_forms([form]), "XLSFORM_ERROR")
    assert (m.file, m.sheet, m.row) == (str(form), "survey", row)
    assert m.message == f"[row : {row}] List name not in choices sheet: tahapan"


def test_check__image_without_max_pixels__xlsform_warning(forms_dir: Path) -> None:
    form = forms_dir / "penyaluran.xlsx"
    row = set_field(form, "bukti", "parameters", None)
    m = only(check_forms([form]), "XLSFORM_WARNING")
    assert (m.file, m.sheet, m.row) == (str(form), "survey", row)
    assert m.message.startswith(f"[row : {row}] Use the max-pixels parameter")


def test_check__form_id_differs_from_file__form_id_mismatch(forms_dir: Path) -> None:
    form = forms_dir / "penyaluran.xlsx"
    set_cell(form, "settings", 2, "form_id", "salur")
    m = only(check_forms([form]), "FORM_ID_MISMATCH")
    assert (m.file, m.sheet, m.row) == (str(form), "settings", 2)
    assert m.message == "form_id is 'salur' but the file is called 'penyaluran.xlsx'."
    assert m.fix == "Set form_id to 'penyaluran' (or rename the file to 'salur.xlsx')."


def test_check__empty_instance_name__setting_missing(forms_dir: Path) -> None:
    form = forms_dir / "penyaluran.xlsx"
    set_cell(form, "settings", 2, "instance_name", None)
    m = only(check_forms([form]), "SETTING_MISSING")
    assert (m.file, m.sheet, m.row) == (str(form), "settings", 2)
    assert m.message == "setting 'instance_name' is empty."


def test_check__version_with_letters__version_format(forms_dir: Path) -> None:
    form = forms_dir / "penyaluran.xlsx"
    set_cell(form, "settings", 2, "version", "v2")
    m = only(check_forms([form]), "VERSION_FORMAT")
    assert (m.file, m.sheet, m.row) == (str(form), "settings", 2)
    assert m.message == "version is 'v2'; it must be digits only so versions can be compared."


def test_check__content_changed_same_version__version_not_bumped(forms_dir: Path) -> None:
    form = forms_dir / "penyaluran.xlsx"
    published, following = publish(form)
    set_field(form, "tahap", "label::English (en)", "Payment tranche")
    m = only(check_forms([form]), "VERSION_NOT_BUMPED")
    assert (m.file, m.sheet, m.row) == (str(form), "settings", 2)
    assert m.message == (
        f"the form changed since version {published} was published (2026-11-01T08:00:00+00:00) "
        "but the version is the same."
    )
    assert m.fix.startswith(f"Increase version (e.g. to {following})")


def test_check__choice_file_changed_same_version__version_not_bumped(forms_dir: Path) -> None:
    """Should count a changed region file as a content change (it is published as an attachment)."""
    form = forms_dir / "kpm_registrasi.xlsx"
    publish(form)
    with (forms_dir / "choices" / "kabupaten.csv").open("a", encoding="utf-8") as fh:
        fh.write("3699,Kabupaten Contoh,36.99\n")
    assert only(check_forms([form]), "VERSION_NOT_BUMPED").row == 2


def test_check__unchanged_published_form__no_messages(forms_dir: Path) -> None:
    form = forms_dir / "penyaluran.xlsx"
    publish(form)
    set_cell(form, "settings", 1, "form_title", "form_title")  # rewriting the same text is no change
    assert check_forms([form]) == []


def test_check__version_below_published__version_decreased(forms_dir: Path) -> None:
    form = forms_dir / "penyaluran.xlsx"
    published, _ = publish(form)
    set_cell(form, "settings", 2, "version", "2026110101")
    m = only(check_forms([form]), "VERSION_DECREASED")
    assert (m.file, m.sheet, m.row) == (str(form), "settings", 2)
    assert m.message == f"version 2026110101 is lower than the published version {published}."


def test_check__published_field_renamed_without_alias__field_removed(forms_dir: Path) -> None:
    form = forms_dir / "penyaluran.xlsx"
    published, following = publish(form)
    set_field(form, "catatan_penyaluran", "name", "catatan_salur")
    set_cell(form, "settings", 2, "version", following)
    m = only(check_forms([form]), "FIELD_REMOVED")
    assert (m.file, m.sheet, m.row) == (str(form), "survey", None)
    assert (
        m.message == f"field 'catatan_penyaluran' of published version {published} is no longer in the form."
    )
    assert "penyaluran.aliases.csv" in m.fix


def test_check__rename_declared_in_aliases__accepted(forms_dir: Path) -> None:
    form = forms_dir / "penyaluran.xlsx"
    _, following = publish(form)
    set_field(form, "catatan_penyaluran", "name", "catatan_salur")
    set_cell(form, "settings", 2, "version", following)
    (forms_dir / "penyaluran.aliases.csv").write_text(
        f"old_name,new_name,since_version\ncatatan_penyaluran,catatan_salur,{following}\n", encoding="utf-8"
    )
    assert check_forms([form]) == []


def test_check__alias_to_missing_field__alias_invalid(forms_dir: Path) -> None:
    form = forms_dir / "penyaluran.xlsx"
    aliases = forms_dir / "penyaluran.aliases.csv"
    aliases.write_text(
        "old_name,new_name,since_version\ncatatan_lama,catatan_baru,2026112802\n", encoding="utf-8"
    )
    m = only(check_forms([form]), "ALIAS_INVALID")
    assert (m.file, m.sheet, m.row) == (str(aliases), "", 2)
    assert m.message == "new_name 'catatan_baru' is not a field of the form."


def test_check__published_field_changes_type__field_type_changed(forms_dir: Path) -> None:
    form = forms_dir / "kpm_registrasi.xlsx"
    published, following = publish(form)
    row = set_field(form, "rt", "type", "integer")
    set_field(form, "rt", "constraint", ". >= 0")
    set_cell(form, "settings", 2, "version", following)
    m = only(check_forms([form]), "FIELD_TYPE_CHANGED")
    assert (m.file, m.sheet, m.row) == (str(form), "survey", row)
    assert m.message == f"field 'rt' was string in version {published} and is now int."


def test_check__mapping_names_unknown_field__mapping_field_missing(forms_dir: Path) -> None:
    form = forms_dir / "penyaluran.xlsx"
    mapping = forms_dir / "mapping.csv"
    with mapping.open("a", encoding="utf-8") as fh:
        fh.write("penyaluran,nomor_struk,penyaluran.nomor_struk,string,\n")
    row = sum(1 for _ in mapping.open(encoding="utf-8"))
    m = only(check_forms([form]), "MAPPING_FIELD_MISSING")
    assert (m.file, m.sheet, m.row) == (str(mapping), "", row)
    assert m.message == (
        "maps penyaluran.nomor_struk to penyaluran.nomor_struk, but penyaluran.xlsx has no field 'nomor_struk'."
    )


def test_check__mapped_field_changes_type__mapping_type_mismatch(forms_dir: Path) -> None:
    form = forms_dir / "penyaluran.xlsx"
    row = set_field(form, "tanggal_terima", "type", "text")
    set_field(form, "tanggal_terima", "constraint", None)
    set_field(form, "tanggal_terima", "constraint_message::Bahasa Indonesia (id)", None)
    set_field(form, "tanggal_terima", "constraint_message::English (en)", None)
    mapping = forms_dir / "mapping.csv"
    mapping_row = next(
        n
        for n, rec in enumerate(csv.DictReader(mapping.open(encoding="utf-8")), start=2)
        if rec["form_id"] == "penyaluran" and rec["field"] == "tanggal_terima"
    )
    m = only(check_forms([form]), "MAPPING_TYPE_MISMATCH")
    assert (m.file, m.sheet, m.row) == (str(form), "survey", row)
    assert m.message == (
        f"field 'tanggal_terima' is string but {mapping} row {mapping_row} feeds it to "
        "penyaluran.tanggal_terima as date."
    )


def test_check__rules_read_missing_field__required_field_missing(forms_dir: Path) -> None:
    form = forms_dir / "penyaluran.xlsx"
    need = FieldRequirement("penyaluran", "jumlah_kali_terima", "int", "rules/graduasi.xlsx G5")
    m = only(check_forms([form], required=[need]), "REQUIRED_FIELD_MISSING")
    assert (m.file, m.sheet, m.row) == (str(form), "survey", None)
    assert (
        m.message == "rules/graduasi.xlsx G5 reads field 'jumlah_kali_terima', which the form does not have."
    )


def test_check__rules_read_wrong_type__required_type_mismatch(forms_dir: Path) -> None:
    form = forms_dir / "penyaluran.xlsx"
    need = FieldRequirement("penyaluran", "tahap", "int", "rules/graduasi.xlsx T1")
    m = only(check_forms([form], required=[need]), "REQUIRED_TYPE_MISMATCH")
    assert (m.file, m.sheet, m.row) == (str(form), "survey", row_of(form, "survey", "name", "tahap"))
    assert m.message == "rules/graduasi.xlsx T1 reads 'tahap' as int but it is select_one."


def test_check__choice_file_absent__choice_file_missing(forms_dir: Path) -> None:
    form = forms_dir / "kpm_registrasi.xlsx"
    (forms_dir / "choices" / "desa.csv").rename(forms_dir / "choices" / "kelurahan.csv")
    row = row_of(form, "survey", "name", "kode_desa")
    messages = check_forms([form])
    m = only(messages, "CHOICE_FILE_MISSING")
    assert (m.file, m.sheet, m.row) == (str(form), "survey", row)
    assert (
        m.message
        == f"'kode_desa' chooses from 'desa.csv' but {forms_dir / 'choices' / 'desa.csv'} does not exist."
    )


def test_check__duplicate_choice_name__choice_file_duplicate(forms_dir: Path) -> None:
    form = forms_dir / "kpm_registrasi.xlsx"
    kab = forms_dir / "choices" / "kabupaten.csv"
    with kab.open("a", encoding="utf-8") as fh:
        fh.write("3601,Kabupaten Pandeglang (lama),36.01\n")
    rows = sum(1 for _ in kab.open(encoding="utf-8"))
    m = only(check_forms([form]), "CHOICE_FILE_DUPLICATE")
    assert (m.file, m.sheet, m.row) == (str(kab), "", rows)
    assert m.message == "choice name '3601' appears again (first on row 2)."


def test_check__filter_on_missing_column__choice_file_column(forms_dir: Path) -> None:
    form = forms_dir / "kpm_registrasi.xlsx"
    row = set_field(form, "kode_kecamatan", "choice_filter", "provinsi=${kode_kabkota}")
    m = only(check_forms([form]), "CHOICE_FILE_COLUMN")
    assert (m.file, m.sheet, m.row) == (str(form), "survey", row)
    assert m.message == "choice_filter uses column 'provinsi' which kecamatan.csv does not have."


def test_check__english_label_missing__language_missing(forms_dir: Path) -> None:
    form = forms_dir / "penyaluran.xlsx"
    row = set_field(form, "cara_terima", "label::English (en)", None)
    m = only(check_forms([form]), "LANGUAGE_MISSING")
    assert (m.file, m.sheet, m.row) == (str(form), "survey", row)
    assert m.message == "label is given in Bahasa Indonesia (id) but not in English (en)."
    assert m.fix == "Fill in column 'label::English (en)' on this row."


def test_check__choice_label_missing__language_missing(forms_dir: Path) -> None:
    form = forms_dir / "penyaluran.xlsx"
    row = row_of(form, "choices", "name", "teller")
    set_cell(form, "choices", row, "label::Bahasa Indonesia (id)", None)
    m = only(check_forms([form]), "LANGUAGE_MISSING")
    assert (m.file, m.sheet, m.row) == (str(form), "choices", row)
    assert m.message == "label is given in English (en) but not in Bahasa Indonesia (id)."


def test_check__language_misnamed__language_unknown(forms_dir: Path) -> None:
    form = forms_dir / "penyaluran.xlsx"
    rename_header(form, "survey", "hint::English (en)", "hint::Inggris")
    messages = check_forms([form])
    m = only(messages, "LANGUAGE_UNKNOWN")
    assert (m.file, m.sheet, m.row) == (str(form), "survey", 1)
    assert m.message == "column 'hint::Inggris' uses language 'Inggris'."


def test_check__camel_case_name__name_style(forms_dir: Path) -> None:
    form = forms_dir / "penyaluran.xlsx"
    row = set_field(form, "catatan_penyaluran", "name", "CatatanPenyaluran")
    m = only(check_forms([form]), "NAME_STYLE")
    assert (m.file, m.sheet, m.row) == (str(form), "survey", row)
    assert m.message == "name 'CatatanPenyaluran' is not snake_case ASCII."


def test_check__name_used_twice__name_not_unique(forms_dir: Path) -> None:
    form = forms_dir / "penyaluran.xlsx"
    first = row_of(form, "survey", "name", "kendala_lainnya")
    row = set_field(form, "catatan_penyaluran", "name", "kendala_lainnya")
    m = only(check_forms([form]), "NAME_NOT_UNIQUE")
    assert (m.file, m.sheet, m.row) == (str(form), "survey", row)
    assert m.message == f"name 'kendala_lainnya' is already used on row {first}."


def test_check__save_to_undeclared_property__entity_property_unknown(forms_dir: Path) -> None:
    form = forms_dir / "kpm_registrasi.xlsx"
    row = set_field(form, "nik_pengurus", "save_to", "nik")
    m = only(check_forms([form]), "ENTITY_PROPERTY_UNKNOWN")
    assert (m.file, m.sheet, m.row) == (str(form), "survey", row)
    assert m.message == "save_to 'nik' is not a property of the 'kpm' list."


def test_check__visit_writes_roster_property__entity_property_unknown(forms_dir: Path) -> None:
    form = forms_dir / "kpm_kunjungan.xlsx"
    row = set_field(form, "catatan", "save_to", "kategori")
    m = only(check_forms([form]), "ENTITY_PROPERTY_UNKNOWN")
    assert (m.file, m.sheet, m.row) == (str(form), "survey", row)
    assert m.message == "save_to 'kategori': this form (visit) may not write it (written by roster_push)."


def test_check__lookup_of_undeclared_property__entity_preload_unknown(forms_dir: Path) -> None:
    form = forms_dir / "kpm_kunjungan.xlsx"
    row = set_field(form, "pre_skor_bps", "calculation", "instance('kpm')/root/item[name=${kpm}]/no_kk")
    m = only(check_forms([form]), "ENTITY_PRELOAD_UNKNOWN")
    assert (m.file, m.sheet, m.row) == (str(form), "survey", row)
    assert m.message == "reads property 'no_kk' of the 'kpm' list, which is not declared."


def test_check_message__str__one_line_with_location_and_fix() -> None:
    m = CheckMessage(
        "forms/penyaluran.xlsx", "survey", 7, "NAME_STYLE", "name 'X' is not snake_case ASCII.", "Use x."
    )
    assert (
        str(m)
        == "forms/penyaluran.xlsx [survey] row 7: NAME_STYLE: name 'X' is not snake_case ASCII. Fix: Use x."
    )
    assert "\n" not in str(m)


def test_check__manifest_written__lists_published_fields(forms_dir: Path) -> None:
    """Should write the manifest format the rules read (guards the publisher's contract)."""
    form = forms_dir / "penyaluran.xlsx"
    published, _ = publish(form)
    doc = json.loads((forms_dir / "published" / "penyaluran.json").read_text(encoding="utf-8"))
    assert doc["form_id"] == "penyaluran" and doc["version"] == published
    assert doc["published_at"] == "2026-11-01T08:00:00+00:00"
    assert {
        "path": "/tahap",
        "name": "tahap",
        "type": "string",
        "repeat": "",
        "kind": "question",
        "select_multiple": False,
    } in doc["fields"]


def test_check__unreadable_manifest__manifest_invalid(forms_dir: Path) -> None:
    form = forms_dir / "penyaluran.xlsx"
    manifest = forms_dir / "published" / "penyaluran.json"
    manifest.write_text("{not json", encoding="utf-8")
    m = only(check_forms([form]), "MANIFEST_INVALID")
    assert (m.file, m.sheet, m.row) == (str(manifest), "", None)
    assert m.message.startswith(f"{manifest}: not a valid manifest")
