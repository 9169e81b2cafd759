"""XLSForm -> XForm XML plus the media files a server needs, for ODK Central or KoboToolbox. Pure: no network.

- ``central``: the XLSForm as written; the ``kpm.csv`` list the forms choose from is the Central Entity List
  ``kpm`` (Central links it to the form), so it is not a media file.
- ``kobo``: KoboToolbox has no Entities, so the ``entities`` sheet and ``save_to`` column are dropped and
  ``kpm.csv`` becomes a media file; the build ships a placeholder with the right columns, which ``sync push``
  replaces with the pendamping's roster.

Conversions are cached by the workbook's bytes, so tests and the demo can call :func:`build_xform` often.
"""

from __future__ import annotations

import csv
import hashlib
import io
import logging
import re
import threading
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

from pyxform.errors import PyXFormError
from pyxform.xls2xform import convert

from forms.catalog import ENTITY_LIST, FORM_IDS, form_path
from forms.entity import kpm_csv_header, load_entity_properties
from forms.xlsform import read_workbook, without_entities, workbook_digest

log = logging.getLogger(__name__)

Target = Literal["central", "kobo"]
TARGETS: tuple[str, ...] = ("central", "kobo")
XFORMS_NS = "http://www.w3.org/2002/xforms"
_MEDIA_RE = re.compile(r"jr://(?:file-csv|file|images|audio|video)/([^\"'\s<>]+)")


class FormBuildError(ValueError):
    """A form cannot be built; the message names the file and what to fix."""

    def __init__(self, path: Path, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path
        self.detail = message


@dataclass(frozen=True, slots=True)
class BuiltForm:
    """One form converted for one target.

    :ivar form_id: ``settings.form_id`` (equals the file stem when ``forms check`` passes).
    :ivar version: ``settings.version``.
    :ivar xml: the XForm XML to upload.
    :ivar media: attachment file name -> bytes (choice CSVs; for Kobo also the ``kpm.csv`` placeholder).
    :ivar warnings: pyxform's conversion warnings (``forms check`` reports each as an error).
    :ivar target: ``central`` or ``kobo``.
    :ivar title: ``settings.form_title``.
    :ivar content_hash: SHA-256 of the form's content (workbook texts without the version, plus its choice
        files); equal hashes mean nothing to publish. Same for both targets.
    :ivar source: the ``.xlsx`` it was built from.
    :ivar entity_lists: Entity Lists the form reads as attachments on Central (``("kpm",)``); the publisher
        links them instead of uploading a file.
    :ivar xlsform: the workbook the XML was converted from; for ``kobo`` the variant without entities, which
        is what KoboToolbox imports (it converts XLSForms itself).
    """

    form_id: str
    version: str
    xml: str
    media: dict[str, bytes]
    warnings: list[str]
    target: str = "central"
    title: str = ""
    content_hash: str = ""
    source: Path | None = None
    entity_lists: tuple[str, ...] = field(default_factory=tuple)
    xlsform: bytes = b""


# sha256(xlsx bytes), target -> (xml, warnings)
_cache: dict[tuple[str, str], tuple[str, tuple[str, ...], bytes]] = {}
_cache_lock = threading.Lock()


def _resolve(form: str | Path) -> Path:
    if isinstance(form, Path) or str(form).endswith(".xlsx") or "/" in str(form):
        path = Path(form)
        if not path.is_file():
            raise FileNotFoundError(f"form file not found: {path}")
        return path
    return form_path(str(form))


def _convert(path: Path, data: bytes, target: str) -> tuple[str, tuple[str, ...], bytes]:
    key = (hashlib.sha256(data).hexdigest(), target)
    with _cache_lock:
        hit = _cache.get(key)
    if hit is not None:
        return hit
    source = without_entities(data) if target == "kobo" else data
    warnings: list[str] = []
    try:
        result = convert(source, warnings=warnings, form_name="data", file_type=".xlsx")
    except PyXFormError as exc:
        raise FormBuildError(path, str(exc)) from exc
    value = (result.xform, tuple(warnings), source)
    with _cache_lock:
        _cache[key] = value
    return value


def convert_workbook(path: Path, target: Target = "central") -> tuple[str, list[str]]:
    """pyxform's XForm and warnings for one workbook and target (cached by the file's bytes).

    :raises FormBuildError: pyxform rejected the form (its message names the sheet and row).
    """
    xml, warnings, _source = _convert(path, path.read_bytes(), target)
    return xml, list(warnings)


def referenced_media(xml: str) -> list[str]:
    """File names the XForm refers to (``jr://file-csv/regions.csv`` -> ``regions.csv``), in first-use order."""
    return list(dict.fromkeys(_MEDIA_RE.findall(xml)))


def _form_attrs(xml: str) -> tuple[str, str, str]:
    """(form_id, version, title) read from the XForm."""
    root = ET.fromstring(xml)
    title_el = root.find("{http://www.w3.org/1999/xhtml}head/{http://www.w3.org/1999/xhtml}title")
    instance = root.find(f".//{{{XFORMS_NS}}}model/{{{XFORMS_NS}}}instance")
    data = list(instance)[0] if instance is not None and len(instance) else None
    if data is None:
        return "", "", ""
    return data.get("id", ""), data.get("version", ""), (title_el.text or "") if title_el is not None else ""


def placeholder_kpm_csv(forms_dir: Path) -> bytes:
    """A ``kpm.csv`` with only the header (name, label, every property of ``entity_kpm.csv``)."""
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow(
        kpm_csv_header(load_entity_properties(forms_dir / "entity_kpm.csv"))
    )
    return out.getvalue().encode("utf-8")


_digests: dict[str, str] = {}


def content_hash(source: Path | bytes, media: dict[str, bytes]) -> str:
    """SHA-256 over the workbook digest (version excluded) and the choice files' bytes, by name."""
    data = source.read_bytes() if isinstance(source, Path) else source
    key = hashlib.sha256(data).hexdigest()
    digest = _digests.get(key)
    if digest is None:
        digest = _digests[key] = workbook_digest(read_workbook(data))
    h = hashlib.sha256(digest.encode())
    for name in sorted(media):
        h.update(b"\0" + name.encode() + b"\0" + hashlib.sha256(media[name]).hexdigest().encode())
    return h.hexdigest()


def choice_media(path: Path, xml: str) -> tuple[dict[str, bytes], list[str]]:
    """The choice files an XForm refers to, read from ``choices/`` beside the form, and the names not found.

    The Entity List (``kpm.csv``) is not a choice file and is left out of both.
    """
    found: dict[str, bytes] = {}
    missing: list[str] = []
    for name in referenced_media(xml):
        if name == f"{ENTITY_LIST}.csv":
            continue
        file = path.parent / "choices" / name
        if file.is_file():
            found[name] = file.read_bytes()
        else:
            missing.append(name)
    return found, missing


def build_xform(form: str | Path, target: Target = "central") -> BuiltForm:
    """Convert one XLSForm (a form id of ``forms/`` or a path to an ``.xlsx``) for ``target``.

    Choice files are looked up in the ``choices/`` folder beside the form.

    :raises FormBuildError: pyxform rejected the form, or a referenced choice file is missing.
    :raises ValueError: unknown target.
    """
    if target not in TARGETS:
        raise ValueError(f"unknown target {target!r}: use one of {', '.join(TARGETS)}")
    path = _resolve(form)
    data = path.read_bytes()
    xml, warnings, source = _convert(path, data, target)
    form_id, version, title = _form_attrs(xml)
    choices, missing = choice_media(path, xml)
    if missing:
        file = path.parent / "choices" / missing[0]
        raise FormBuildError(
            path, f"the form refers to {missing[0]!r} but {file} does not exist; add the file or fix the type"
        )
    media: dict[str, bytes] = {}
    entity_lists: list[str] = []
    for name in referenced_media(xml):
        if name == f"{ENTITY_LIST}.csv":
            if target == "kobo":
                media[name] = placeholder_kpm_csv(path.parent)
            else:
                entity_lists.append(ENTITY_LIST)
        else:
            media[name] = choices[name]
    return BuiltForm(
        form_id=form_id,
        version=version,
        xml=xml,
        media=media,
        warnings=list(warnings),
        target=target,
        title=title,
        content_hash=content_hash(data, choices),
        source=path,
        entity_lists=tuple(entity_lists),
        xlsform=source,
    )


def build_all(
    out_dir: Path, target: Target = "central", forms: list[str | Path] | None = None
) -> list[BuiltForm]:
    """Build every form (or ``forms``) and write ``<out_dir>/<target>/<form_id>/<form_id>.xml`` plus its media
    (and, for ``kobo``, ``<form_id>.xlsx``: the workbook without entities that KoboToolbox imports).

    The folder of each form is emptied first so a removed attachment does not linger.
    """
    built: list[BuiltForm] = []
    for form in forms if forms is not None else [f for f in FORM_IDS if _exists(f)]:
        result = build_xform(form, target)
        folder = out_dir / target / result.form_id
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.iterdir():
            if old.is_file():
                old.unlink()
        (folder / f"{result.form_id}.xml").write_text(result.xml, encoding="utf-8")
        if target == "kobo":  # KoboToolbox imports the XLSForm (without entities) rather than the XML
            (folder / f"{result.form_id}.xlsx").write_bytes(result.xlsform)
        for name, blob in result.media.items():
            (folder / name).write_bytes(blob)
        log.info("built %s version %s for %s in %s", result.form_id, result.version, target, folder)
        built.append(replace(result))
    return built


def _exists(form_id: str) -> bool:
    try:
        form_path(form_id)
    except KeyError:
        return False
    return True


def clear_cache() -> None:
    """Forget cached conversions (tests that rewrite a workbook in place do not need this: the key is its bytes)."""
    with _cache_lock:
        _cache.clear()
        _digests.clear()
