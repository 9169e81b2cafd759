"""Where the forms and their choice files live, and which forms the program has."""

from __future__ import annotations

from pathlib import Path

#: The folder holding the XLSForm sources (``<form_id>.xlsx``), mapping, aliases and manifests.
FORMS_DIR: Path = Path(__file__).resolve().parent
#: Choice lists referenced by ``select_one_from_file`` (regions); published as form attachments.
CHOICES_DIR: Path = FORMS_DIR / "choices"
#: Manifests of the last published version of each form (``<form_id>.json``), written by the publisher.
PUBLISHED_DIR: Path = FORMS_DIR / "published"
#: The field mapping: which form field feeds which warehouse attribute.
MAPPING_PATH: Path = FORMS_DIR / "mapping.csv"
#: The properties of the ``kpm`` Entity List (who writes each one).
ENTITY_KPM_PATH: Path = FORMS_DIR / "entity_kpm.csv"

FORM_IDS: tuple[str, ...] = ("kpm_registrasi", "kpm_kunjungan", "penyaluran")
#: The Central Entity List (and Kobo media file ``kpm.csv``) that every form chooses the KPM from.
ENTITY_LIST = "kpm"
#: Language labels used in the XLSForm column headers (``label::Bahasa Indonesia (id)``).
LANGUAGES: tuple[str, ...] = ("Bahasa Indonesia (id)", "English (en)")
DEFAULT_LANGUAGE = LANGUAGES[0]


def form_path(form_id: str, forms_dir: Path | None = None) -> Path:
    """Path of the XLSForm source of ``form_id`` (``forms/<form_id>.xlsx``).

    :raises KeyError: when no such file exists, naming the forms that do.
    """
    folder = forms_dir or FORMS_DIR
    path = folder / f"{form_id}.xlsx"
    if not path.is_file():
        known = ", ".join(sorted(p.stem for p in folder.glob("*.xlsx"))) or "none"
        raise KeyError(f"no form {form_id!r} in {folder} (forms there: {known})")
    return path


def all_form_paths(forms_dir: Path | None = None) -> list[Path]:
    """Every XLSForm source in the forms folder (``*.xlsx``, Excel lock files ``~$…`` excluded), sorted."""
    folder = forms_dir or FORMS_DIR
    return sorted(p for p in folder.glob("*.xlsx") if not p.name.startswith(("~$", ".")))


#: Which writer of ``entity_kpm.csv`` each form is (a form may only ``save_to`` properties it may write).
ENTITY_WRITER_OF_FORM: dict[str, str] = {"kpm_registrasi": "registration", "kpm_kunjungan": "visit"}
