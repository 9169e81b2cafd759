"""``forms check``: pyxform conversion plus our own rules, each message pointing at a file, sheet and row.

Rules (codes) and what they protect:

- ``XLSFORM_ERROR`` / ``XLSFORM_WARNING``: pyxform rejects the form or warns (forms must convert cleanly, for
  ODK Central and for KoboToolbox).
- ``FORM_ID_MISMATCH``: ``settings.form_id`` must equal the file name, so the published form is the file.
- ``SETTING_MISSING``, ``VERSION_FORMAT``: title, version (digits, e.g. ``2026112801``), default language and
  instance name are set.
- ``VERSION_NOT_BUMPED`` / ``VERSION_DECREASED``: the content changed since the last published version
  (``forms/published/<form_id>.json``) but the version did not increase.
- ``FIELD_REMOVED`` / ``FIELD_TYPE_CHANGED`` / ``ALIAS_INVALID``: a published field never disappears or changes
  type silently; renames are declared in ``forms/<form_id>.aliases.csv``.
- ``MAPPING_FIELD_MISSING`` / ``MAPPING_TYPE_MISMATCH`` (and ``REQUIRED_…`` for the graduation rules): every
  field the warehouse reads exists with a compatible type.
- ``CHOICE_FILE_MISSING`` / ``CHOICE_FILE_DUPLICATE`` / ``CHOICE_FILE_COLUMN``: choice files exist, have unique
  names and the columns the form filters or reads.
- ``LANGUAGE_MISSING`` / ``LANGUAGE_UNKNOWN``: every text is given in Bahasa Indonesia and English.
- ``NAME_STYLE`` / ``NAME_NOT_UNIQUE``: field names are snake_case ASCII and unique in the form (the warehouse
  names columns after them).
- ``ENTITY_PROPERTY_UNKNOWN`` / ``ENTITY_PRELOAD_UNKNOWN``: ``save_to`` and ``instance('kpm')`` lookups use
  properties declared in ``forms/entity_kpm.csv`` that this form may write.

docs/forms.md explains each message and its fix to form designers.
"""

from __future__ import annotations

import csv
import io
import logging
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from forms.aliases import Alias, aliases_path, load_aliases
from forms.build import TARGETS, FormBuildError, choice_media, content_hash, convert_workbook
from forms.catalog import DEFAULT_LANGUAGE, ENTITY_LIST, ENTITY_WRITER_OF_FORM, LANGUAGES, all_form_paths
from forms.entity import SYSTEM_COLUMNS, EntityListError, load_entity_properties
from forms.manifest import DATA_KINDS, ManifestError, load_manifest
from forms.mapping import MAPPING_TYPES, MappingError, MappingRow, load_mapping
from forms.schema import FieldInfo, form_fields
from forms.xlsform import Row, Workbook, read_workbook

log = logging.getLogger(__name__)

TRANSLATABLE = ("label", "hint", "guidance_hint", "constraint_message", "required_message")
NAME_RE = re.compile(r"^[a-z][a-z0-9_]*$")
VERSION_RE = re.compile(r"^[0-9]{1,20}$")
FROM_FILE_RE = re.compile(r"^(select_one_from_file|select_multiple_from_file)\s+(\S+)$")
LOOKUP_RE = re.compile(r"instance\(\s*'([^']+)'\s*\)/root/item\[[^\]]*\]/([A-Za-z_][\w.-]*)")
FILTER_COLUMN_RE = re.compile(r"(?<![\w${}/.'@-])([A-Za-z_][\w-]*)\s*(?:!=|<=|>=|=|<|>)")
PYXFORM_ROW_RE = re.compile(r"\[row\s*:\s*(\d+)\]")
PYXFORM_SHEET_RE = re.compile(r"'(survey|choices|settings|entities|external_choices)' sheet")


#: Every code ``forms check`` reports, with what it means (docs/forms.md explains each one with its fix).
RULE_CODES: dict[str, str] = {
    "XLSFORM_ERROR": "pyxform cannot convert the form (for Central or for the Kobo variant)",
    "XLSFORM_WARNING": "pyxform converts the form but warns",
    "FORM_ID_MISMATCH": "settings.form_id differs from the file name",
    "SETTING_MISSING": "a required setting (form_title, instance_name, default_language) is empty",
    "VERSION_FORMAT": "the version is not digits only",
    "VERSION_NOT_BUMPED": "the content changed since the published version but the version did not",
    "VERSION_DECREASED": "the version is lower than the published one",
    "MANIFEST_INVALID": "forms/published/<form_id>.json cannot be read",
    "FIELD_REMOVED": "a field of the published version is gone and no alias says why",
    "FIELD_TYPE_CHANGED": "a field of the published version changed type",
    "ALIAS_INVALID": "a line of <form_id>.aliases.csv is wrong",
    "MAPPING_FIELD_MISSING": "forms/mapping.csv names a field the form does not have",
    "MAPPING_TYPE_MISMATCH": "a mapped field's type does not fit the warehouse attribute",
    "REQUIRED_FIELD_MISSING": "the graduation rules read a field the form does not have",
    "REQUIRED_TYPE_MISMATCH": "the graduation rules read a field with another type",
    "CHOICE_FILE_MISSING": "select_one_from_file names a file that is not in forms/choices",
    "CHOICE_FILE_DUPLICATE": "a choice file has a duplicate or empty name",
    "CHOICE_FILE_COLUMN": "a choice file lacks a column the form filters on or reads",
    "LANGUAGE_MISSING": "a text is given in one language only (or without language)",
    "LANGUAGE_UNKNOWN": "a column or default_language names a language other than the two",
    "NAME_STYLE": "a field name is not snake_case ASCII",
    "NAME_NOT_UNIQUE": "a field name is used twice in the form",
    "ENTITY_PROPERTY_UNKNOWN": "save_to names an undeclared property, or one this form may not write",
    "ENTITY_PRELOAD_UNKNOWN": "instance('kpm') reads an undeclared property",
}


@dataclass(frozen=True, slots=True)
class CheckMessage:
    """One finding: where (file, sheet, row), what (code, message) and how to fix it."""

    file: str
    sheet: str
    row: int | None
    code: str
    message: str
    fix: str

    def __str__(self) -> str:
        where = self.file
        if self.sheet:
            where += f" [{self.sheet}]"
        if self.row is not None:
            where += f" row {self.row}"
        return f"{where}: {self.code}: {self.message} Fix: {self.fix}"


@dataclass(frozen=True, slots=True)
class FieldRequirement:
    """A field some other component reads (e.g. the graduation rules): form, field, mapping type, who reads it."""

    form_id: str
    field: str
    type: str
    source: str


def display_path(path: Path) -> str:
    """A path as a person would type it: relative to the working directory when inside it."""
    try:
        return os.path.relpath(path) if Path(path).resolve().is_relative_to(Path.cwd()) else str(path)
    except ValueError:
        return str(path)


@dataclass
class _Form:
    """What the rules of one form share."""

    path: Path
    workbook: Workbook
    file: str
    messages: list[CheckMessage] = field(default_factory=list)

    @property
    def form_id(self) -> str:
        return self.path.stem

    @property
    def folder(self) -> Path:
        return self.path.parent

    def add(
        self, sheet: str, row: int | None, code: str, message: str, fix: str, file: str | None = None
    ) -> None:
        self.messages.append(CheckMessage(file or self.file, sheet, row, code, message, fix))

    def sheet_name(self, key: str) -> str:
        sheet = self.workbook.sheet(key)
        return sheet.name if sheet else key

    def survey_rows(self) -> list[Row]:
        sheet = self.workbook.sheet("survey")
        return list(sheet.rows) if sheet else []

    def row_of(self, name: str) -> int | None:
        for row in self.survey_rows():
            if row.get("name") == name and not row.get("type").startswith("end"):
                return row.number
        return None


def check_forms(
    paths: list[Path] | None = None, *, required: Iterable[FieldRequirement] = ()
) -> list[CheckMessage]:
    """Check forms (default: every ``forms/*.xlsx``) and return every finding; an empty list means all is well.

    Choice files, the mapping, the entity properties, aliases and manifests are looked up beside each form
    (``choices/``, ``mapping.csv``, ``entity_kpm.csv``, ``<form_id>.aliases.csv``, ``published/``).

    :param required: fields other components read (the graduation rules), checked like mapping rows.
    """
    required = list(required)
    messages: list[CheckMessage] = []
    for path in paths if paths is not None else all_form_paths():
        messages.extend(check_form(Path(path), required=required))
    return messages


def check_form(path: Path, *, required: Iterable[FieldRequirement] = ()) -> list[CheckMessage]:
    """Check one XLSForm; see :func:`check_forms`."""
    file = display_path(path)
    try:
        workbook = read_workbook(path)
    except Exception as exc:  # openpyxl raises many types for a file that is not a workbook
        return [
            CheckMessage(
                file,
                "",
                None,
                "XLSFORM_ERROR",
                f"cannot read the workbook: {exc}.",
                "Save the form as an Excel .xlsx workbook (File > Save As > Excel Workbook).",
            )
        ]
    form = _Form(path, workbook, file)
    _check_settings(form)
    _check_names(form)
    _check_languages(form)
    _check_choice_files(form)
    _check_entities(form)
    fields, xml = _check_conversion(form)
    if fields is not None:
        _check_published(form, fields, xml)
        _check_mapping(form, fields, list(required))
    return form.messages


# --- settings ---------------------------------------------------------------------------------------------


def _check_settings(form: _Form) -> None:
    sheet = form.sheet_name("settings")
    if form.workbook.sheet("settings") is None:
        form.add(
            "settings",
            None,
            "SETTING_MISSING",
            "the workbook has no 'settings' sheet.",
            "Add a sheet named 'settings' with columns form_title, form_id, version, default_language, "
            "instance_name and fill row 2.",
        )
        return
    form_id, row = form.workbook.setting("form_id")
    if form_id != form.form_id:
        form.add(
            sheet,
            row or 2,
            "FORM_ID_MISMATCH",
            f"form_id is {form_id!r} but the file is called {form.path.name!r}.",
            f"Set form_id to {form.form_id!r} (or rename the file to '{form_id}.xlsx').",
        )
    for key, what in (
        ("form_title", "the title shown on the phone"),
        ("instance_name", "the name each filled form gets in the list of drafts"),
    ):
        value, r = form.workbook.setting(key)
        if not value:
            form.add(
                sheet, r or 2, "SETTING_MISSING", f"setting {key!r} is empty.", f"Fill in {key} ({what})."
            )
    version, r = form.workbook.setting("version")
    if not VERSION_RE.match(version):
        form.add(
            sheet,
            r or 2,
            "VERSION_FORMAT",
            f"version is {version!r}; it must be digits only so versions can be compared.",
            "Use the date and a counter, e.g. 2026112801 (28 Nov 2026, first change that day).",
        )
    language, r = form.workbook.setting("default_language")
    if language != DEFAULT_LANGUAGE:
        form.add(
            sheet,
            r or 2,
            "SETTING_MISSING" if not language else "LANGUAGE_UNKNOWN",
            f"default_language is {language!r}.",
            f"Set default_language to {DEFAULT_LANGUAGE!r}.",
        )


# --- names ------------------------------------------------------------------------------------------------


def _check_names(form: _Form) -> None:
    sheet = form.sheet_name("survey")
    seen: dict[str, int] = {}
    for row in form.survey_rows():
        type_, name = row.get("type"), row.get("name")
        if not name or type_.startswith("end"):
            continue
        if not NAME_RE.match(name):
            form.add(
                sheet,
                row.number,
                "NAME_STYLE",
                f"name {name!r} is not snake_case ASCII.",
                "Use lower-case letters, digits and '_' only, starting with a letter (e.g. 'nama_art').",
            )
        if name in seen:
            form.add(
                sheet,
                row.number,
                "NAME_NOT_UNIQUE",
                f"name {name!r} is already used on row {seen[name]}.",
                "Give this field its own name; the warehouse names its column after the field.",
            )
        else:
            seen[name] = row.number


# --- languages --------------------------------------------------------------------------------------------


def _split_header(header: str) -> tuple[str, str | None]:
    base, sep, lang = header.partition("::")
    return base.strip(), (lang.strip() if sep else None)


def _check_languages(form: _Form) -> None:
    for key in ("survey", "choices"):
        sheet = form.workbook.sheet(key)
        if sheet is None:
            continue
        by_base: dict[str, dict[str | None, str]] = {}
        for header in sheet.headers:
            base, lang = _split_header(header)
            if base in TRANSLATABLE:
                by_base.setdefault(base, {})[lang] = header
                if lang is not None and lang not in LANGUAGES:
                    form.add(
                        sheet.name,
                        1,
                        "LANGUAGE_UNKNOWN",
                        f"column {header!r} uses language {lang!r}.",
                        f"Name the languages exactly {' and '.join(repr(x) for x in LANGUAGES)}.",
                    )
        for row in sheet.rows:
            for base, headers in by_base.items():
                if headers.get(None) and row.get(headers[None]):
                    form.add(
                        sheet.name,
                        row.number,
                        "LANGUAGE_MISSING",
                        f"column {base!r} has text but no language.",
                        f"Move the text to '{base}::{LANGUAGES[0]}' and add '{base}::{LANGUAGES[1]}'.",
                    )
                filled = [lang for lang in LANGUAGES if headers.get(lang) and row.get(headers[lang])]
                if filled and len(filled) < len(LANGUAGES):
                    missing = [lang for lang in LANGUAGES if lang not in filled]
                    form.add(
                        sheet.name,
                        row.number,
                        "LANGUAGE_MISSING",
                        f"{base} is given in {filled[0]} but not in {missing[0]}.",
                        f"Fill in column '{base}::{missing[0]}' on this row.",
                    )


# --- choice files -----------------------------------------------------------------------------------------


def _csv_table(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    text = path.read_text(encoding="utf-8-sig")
    reader = csv.DictReader(io.StringIO(text))
    return list(reader.fieldnames or []), list(reader)


def _check_choice_files(form: _Form) -> None:
    """File rules; returns the bytes of the choice files found (for the content hash)."""
    sheet = form.sheet_name("survey")
    choices_dir = form.folder / "choices"
    columns: dict[str, list[str]] = {}
    entity_file = f"{ENTITY_LIST}.csv"
    for row in form.survey_rows():
        match = FROM_FILE_RE.match(row.get("type"))
        if not match:
            continue
        name = match.group(2)
        if name == entity_file:
            continue
        file = choices_dir / name
        if not file.is_file():
            form.add(
                sheet,
                row.number,
                "CHOICE_FILE_MISSING",
                f"{row.get('name')!r} chooses from {name!r} but {display_path(file)} does not exist.",
                f"Put {name} in {display_path(choices_dir)} or correct the file name in 'type'.",
            )
            continue
        if name in columns:
            continue
        header, records = _csv_table(file)
        columns[name] = header
        csv_file = display_path(file)
        if "name" not in header or "label" not in header:
            form.add(
                "",
                1,
                "CHOICE_FILE_COLUMN",
                f"{name} has no 'name' and 'label' columns.",
                "Make the first line of the file start with name,label.",
                file=csv_file,
            )
            continue
        first: dict[str, int] = {}
        for number, rec in enumerate(records, start=2):
            value = (rec.get("name") or "").strip()
            if value in first:
                form.add(
                    "",
                    number,
                    "CHOICE_FILE_DUPLICATE",
                    f"choice name {value!r} appears again (first on row {first[value]}).",
                    "Give every row a unique 'name'; fix or delete the duplicate.",
                    file=csv_file,
                )
            elif not value:
                form.add(
                    "",
                    number,
                    "CHOICE_FILE_DUPLICATE",
                    "this row has an empty 'name'.",
                    "Fill in the choice name or delete the row.",
                    file=csv_file,
                )
            else:
                first[value] = number
    # Columns used by choice_filter (of the row's own file) and by instance('<file>') lookups.
    for row in form.survey_rows():
        match = FROM_FILE_RE.match(row.get("type"))
        if match and match.group(2) in columns and row.get("choice_filter"):
            file_name = match.group(2)
            for column in FILTER_COLUMN_RE.findall(row.get("choice_filter")):
                if column not in columns[file_name] and column not in {"and", "or", "div", "mod"}:
                    form.add(
                        sheet,
                        row.number,
                        "CHOICE_FILE_COLUMN",
                        f"choice_filter uses column {column!r} which {file_name} does not have.",
                        f"Add the column to {file_name} or filter on one of: {', '.join(columns[file_name])}.",
                    )
        for cell in row.cells.values():
            for instance, column in LOOKUP_RE.findall(cell):
                file_name = f"{instance}.csv"
                if file_name in columns and column not in columns[file_name]:
                    form.add(
                        sheet,
                        row.number,
                        "CHOICE_FILE_COLUMN",
                        f"reads column {column!r} of {file_name}, which has no such column.",
                        f"Use one of: {', '.join(columns[file_name])}.",
                    )


# --- entities ---------------------------------------------------------------------------------------------


def _check_entities(form: _Form) -> None:
    sheet = form.sheet_name("survey")
    entity_csv = form.folder / "entity_kpm.csv"
    uses_entities = any(
        row.get("save_to") or f"instance('{ENTITY_LIST}')" in " ".join(row.cells.values())
        for row in form.survey_rows()
    )
    if not uses_entities:
        return
    try:
        props = load_entity_properties(entity_csv)
    except (OSError, EntityListError) as exc:
        form.add(
            "",
            None,
            "ENTITY_PROPERTY_UNKNOWN",
            f"cannot read the entity properties: {exc}.",
            "Restore forms/entity_kpm.csv (columns property,description,written_by).",
            file=display_path(entity_csv),
        )
        return
    by_name = {p.name: p for p in props}
    writer = ENTITY_WRITER_OF_FORM.get(form.form_id)
    entity_file = display_path(entity_csv)
    for row in form.survey_rows():
        target = row.get("save_to")
        if target:
            prop = by_name.get(target)
            if prop is None:
                form.add(
                    sheet,
                    row.number,
                    "ENTITY_PROPERTY_UNKNOWN",
                    f"save_to {target!r} is not a property of the {ENTITY_LIST!r} list.",
                    f"Declare it in {entity_file} (with who writes it) or use one of the declared properties.",
                )
            elif writer is None or writer not in prop.written_by:
                form.add(
                    sheet,
                    row.number,
                    "ENTITY_PROPERTY_UNKNOWN",
                    f"save_to {target!r}: this form ({writer or 'not a writer'}) may not write it "
                    f"(written by {'|'.join(prop.written_by)}).",
                    f"Remove save_to here, or add '{writer or form.form_id}' to written_by of {target!r} "
                    f"in {entity_file} after agreeing it with the sync owners.",
                )
        for cell in row.cells.values():
            for instance, column in LOOKUP_RE.findall(cell):
                if (
                    instance == ENTITY_LIST
                    and column not in by_name
                    and column not in SYSTEM_COLUMNS
                    and not column.startswith("__")
                ):
                    form.add(
                        sheet,
                        row.number,
                        "ENTITY_PRELOAD_UNKNOWN",
                        f"reads property {column!r} of the {ENTITY_LIST!r} list, which is not declared.",
                        f"Declare {column!r} in {entity_file} (so the roster push fills it) or fix the name.",
                    )


# --- conversion -------------------------------------------------------------------------------------------


def _pyxform_location(text: str) -> tuple[str, int | None]:
    row = PYXFORM_ROW_RE.search(text)
    sheet = PYXFORM_SHEET_RE.search(text)
    return (sheet.group(1) if sheet else ("survey" if row else "")), (int(row.group(1)) if row else None)


def _check_conversion(form: _Form) -> tuple[list[FieldInfo] | None, str]:
    """Convert for every target, reporting errors and warnings; returns the fields and XML of the Central form."""
    fields: list[FieldInfo] | None = None
    central_xml = ""
    seen: set[str] = set()
    for target in TARGETS:
        try:
            xml, warnings = convert_workbook(form.path, target)  # type: ignore[arg-type]
        except FormBuildError as exc:
            if exc.detail not in seen:
                seen.add(exc.detail)
                sheet, row = _pyxform_location(exc.detail)
                suffix = "" if target == "central" else f" (in the {target} variant, without entities)"
                form.add(
                    sheet,
                    row,
                    "XLSFORM_ERROR",
                    exc.detail.strip() + suffix,
                    "Correct the cell pyxform names (see https://xlsform.org for the column's rules).",
                )
            continue
        for warning in warnings:
            if warning not in seen:
                seen.add(warning)
                sheet, row = _pyxform_location(warning)
                form.add(
                    sheet,
                    row,
                    "XLSFORM_WARNING",
                    warning.strip(),
                    "Change the form so pyxform has nothing to warn about (warnings become problems on phones).",
                )
        if target == "central":
            fields, central_xml = form_fields(xml), xml
    return fields, central_xml


# --- published versions and aliases ----------------------------------------------------------------------


def _field_kind(f: FieldInfo) -> str:
    if f.select_multiple:
        return "select_multiple"
    if f.choices:
        return "select_one"
    return f.type


def _check_published(form: _Form, fields: list[FieldInfo], xml: str) -> None:
    settings = form.sheet_name("settings")
    survey = form.sheet_name("survey")
    alias_file = aliases_path(form.path)
    alias_display = display_path(alias_file)
    try:
        aliases = load_aliases(alias_file)
    except ValueError as exc:
        form.add(
            "",
            1,
            "ALIAS_INVALID",
            str(exc),
            "Use the header old_name,new_name,since_version.",
            file=alias_display,
        )
        aliases = []
    current = {f.name: f for f in fields if f.kind in DATA_KINDS}
    for alias in aliases:
        _check_alias(form, alias, current, alias_display)
    published_dir = form.folder / "published"
    try:
        manifest = load_manifest(form.form_id, published_dir)
    except ManifestError as exc:
        form.add(
            "",
            None,
            "MANIFEST_INVALID",
            str(exc),
            "Restore the manifest from git (or publish again).",
            file=display_path(published_dir / f"{form.form_id}.json"),
        )
        return
    if manifest is None:
        return
    version, vrow = form.workbook.setting("version")
    published = manifest.version
    if VERSION_RE.match(version) and VERSION_RE.match(published) and int(version) < int(published):
        form.add(
            settings,
            vrow or 2,
            "VERSION_DECREASED",
            f"version {version} is lower than the published version {published}.",
            f"Set a version above {published}, e.g. the date and a counter.",
        )
    elif (
        version == published
        and content_hash(form.path, choice_media(form.path, xml)[0]) != manifest.content_hash
    ):
        form.add(
            settings,
            vrow or 2,
            "VERSION_NOT_BUMPED",
            f"the form changed since version {published} was published ({manifest.published_at}) "
            "but the version is the same.",
            f"Increase version (e.g. to {_next_version(published)}) so phones and servers see a new form.",
        )
    renamed = {a.old_name for a in aliases}
    for old in manifest.data_fields():
        now = current.get(old.name)
        if now is None:
            if old.name not in renamed:
                form.add(
                    survey,
                    None,
                    "FIELD_REMOVED",
                    f"field {old.name!r} of published version {published} is no longer in the form.",
                    f"Put it back, or declare the rename or removal in {alias_display} "
                    f"(old_name,new_name,since_version; empty new_name = removed on purpose).",
                )
            continue
        if (now.type, now.select_multiple) != (old.type, old.select_multiple):
            form.add(
                survey,
                form.row_of(old.name),
                "FIELD_TYPE_CHANGED",
                f"field {old.name!r} was {_describe(old)} in version {published} and is now {_describe(now)}.",
                "Keep the type, or add a new field with a new name and declare the old one in "
                f"{alias_display} (the warehouse column keeps its type).",
            )


def _describe(f: FieldInfo) -> str:
    return "select_multiple" if f.select_multiple else f.type


def _next_version(version: str) -> str:
    return str(int(version) + 1) if VERSION_RE.match(version) else "2026112801"


def _check_alias(form: _Form, alias: Alias, current: dict[str, FieldInfo], file: str) -> None:
    if not alias.old_name or not NAME_RE.match(alias.old_name):
        form.add(
            "",
            alias.row,
            "ALIAS_INVALID",
            f"old_name {alias.old_name!r} is not a field name.",
            "Write the published name of the field in old_name.",
            file=file,
        )
    elif alias.old_name in current:
        form.add(
            "",
            alias.row,
            "ALIAS_INVALID",
            f"{alias.old_name!r} is still a field of the form.",
            "Delete this line, or rename the field in the form as declared.",
            file=file,
        )
    if alias.new_name and alias.new_name not in current:
        form.add(
            "",
            alias.row,
            "ALIAS_INVALID",
            f"new_name {alias.new_name!r} is not a field of the form.",
            "Write the field's current name in new_name (or leave it empty for a deliberate removal).",
            file=file,
        )
    if not VERSION_RE.match(alias.since_version):
        form.add(
            "",
            alias.row,
            "ALIAS_INVALID",
            f"since_version {alias.since_version!r} is not a version.",
            "Write the first version that uses the new name (e.g. 2026120101).",
            file=file,
        )


# --- mapping and other readers ----------------------------------------------------------------------------


def _check_mapping(form: _Form, fields: list[FieldInfo], required: list[FieldRequirement]) -> None:
    survey = form.sheet_name("survey")
    mapping_path = form.folder / "mapping.csv"
    mapping_file = display_path(mapping_path)
    rows: list[MappingRow] = []
    if mapping_path.is_file():
        try:
            rows = load_mapping(mapping_path)
        except MappingError as exc:
            form.add(
                "",
                None,
                "MAPPING_FIELD_MISSING",
                str(exc),
                "Correct the row as the message says.",
                file=mapping_file,
            )
    by_name: dict[str, FieldInfo] = {}
    for f in fields:
        by_name.setdefault(f.name, f)
    for r in rows:
        if r.form_id != form.form_id:
            continue
        f = by_name.get(r.field)
        if f is None or f.kind not in DATA_KINDS:
            form.add(
                "",
                r.row,
                "MAPPING_FIELD_MISSING",
                f"maps {r.form_id}.{r.field} to {r.target}, but {form.path.name} has no field {r.field!r}.",
                f"Add the field to {form.path.name}, or correct/delete this row (a renamed field also needs "
                f"a line in {form.form_id}.aliases.csv).",
                file=mapping_file,
            )
        elif _field_kind(f) not in MAPPING_TYPES[r.type]:
            form.add(
                survey,
                form.row_of(r.field),
                "MAPPING_TYPE_MISMATCH",
                f"field {r.field!r} is {_field_kind(f)} but {mapping_file} row {r.row} feeds it to "
                f"{r.target} as {r.type}.",
                f"Change the field's type back to a {r.type} type, or update the mapping row.",
            )
    for req in required:
        if req.form_id != form.form_id:
            continue
        f = by_name.get(req.field)
        if f is None or f.kind not in DATA_KINDS:
            form.add(
                survey,
                None,
                "REQUIRED_FIELD_MISSING",
                f"{req.source} reads field {req.field!r}, which the form does not have.",
                f"Add the field back (or update {req.source}).",
            )
        elif req.type in MAPPING_TYPES and _field_kind(f) not in MAPPING_TYPES[req.type]:
            form.add(
                survey,
                form.row_of(req.field),
                "REQUIRED_TYPE_MISMATCH",
                f"{req.source} reads {req.field!r} as {req.type} but it is {_field_kind(f)}.",
                f"Keep the field a {req.type} type (or update {req.source}).",
            )


__all__ = ["RULE_CODES", "CheckMessage", "FieldRequirement", "check_form", "check_forms", "display_path"]
