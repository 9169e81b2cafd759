"""``graduasi forms check`` and ``graduasi forms build``."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from forms.catalog import form_path
from graduasi.cli import main
from tests.forms.helpers import copy_forms, form_version, set_cell


def test_forms_check__shipped_forms__ok() -> None:
    result = CliRunner().invoke(main, ["forms", "check"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "3 form(s) OK"


def test_forms_check__planted_mistake__one_line_per_problem_and_exit_1(tmp_path: Path) -> None:
    form = copy_forms(tmp_path) / "penyaluran.xlsx"
    set_cell(form, "settings", 2, "form_id", "salur")
    result = CliRunner().invoke(main, ["forms", "check", str(form)])
    assert result.exit_code == 1
    assert (
        f"{form} [settings] row 2: FORM_ID_MISMATCH: form_id is 'salur' but the file is called 'penyaluran.xlsx'. "
        "Fix: Set form_id to 'penyaluran' (or rename the file to 'salur.xlsx')."
    ) in result.output.splitlines()
    assert "1 problem(s) in 1 form(s); docs/forms.md explains each code." in result.output


def test_forms_build__kobo__writes_each_form_folder(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["forms", "build", "--target", "kobo", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    for form_id in ("kpm_registrasi", "kpm_kunjungan", "penyaluran"):
        assert (tmp_path / "kobo" / form_id / f"{form_id}.xml").is_file()
        assert (tmp_path / "kobo" / form_id / "kpm.csv").is_file()
    assert f"kpm_registrasi {form_version(form_path('kpm_registrasi'))} ->" in result.output


def test_forms_build__unknown_target__usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["forms", "build", "--target", "odk", "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert "'odk' is not one of 'central', 'kobo'" in result.output
