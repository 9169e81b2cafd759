"""Manifests of published form versions (``forms/published/<form_id>.json``).

The publisher (sync/) writes one after each successful publish with :func:`write_manifest`; ``forms check`` reads
it to make sure the version moves whenever the content changes and that no published field disappears silently.

Format (JSON, UTF-8)::

    {
      "form_id": "kpm_registrasi",
      "version": "2026112801",
      "published_at": "2026-11-28T03:00:00+00:00",
      "content_hash": "<sha256 of the workbook texts without the version, plus the choice files>",
      "target": "central",
      "media": {"kabupaten.csv": "<sha256>", ...},
      "fields": [{"path": "/anggota/nama_art", "name": "nama_art", "type": "string",
                  "repeat": "/anggota", "kind": "question", "select_multiple": false}, ...]
    }
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from forms.build import BuiltForm
from forms.catalog import PUBLISHED_DIR
from forms.schema import FieldInfo, form_fields

#: Field kinds that carry data (a removed note or group loses nothing).
DATA_KINDS = frozenset({"question", "calculate", "repeat"})


@dataclass(frozen=True, slots=True)
class Manifest:
    """A published version of a form as recorded in ``forms/published/<form_id>.json``."""

    form_id: str
    version: str
    published_at: str
    content_hash: str
    target: str
    media: dict[str, str]
    fields: list[FieldInfo]
    path: Path | None = None

    def data_fields(self) -> list[FieldInfo]:
        """Fields that hold answers (questions, calculates, repeats)."""
        return [f for f in self.fields if f.kind in DATA_KINDS]


def manifest_for(built: BuiltForm, published_at: datetime | None = None) -> dict:
    """The manifest document of a built form, ready to be written as JSON.

    :param published_at: when the publish happened (default: now, UTC); pass it explicitly in tests.
    """
    when = (published_at or datetime.now(UTC)).isoformat(timespec="seconds")
    return {
        "form_id": built.form_id,
        "version": built.version,
        "published_at": when,
        "content_hash": built.content_hash,
        "target": built.target,
        "media": {
            name: hashlib.sha256(blob).hexdigest()
            for name, blob in sorted(built.media.items())
            if name != "kpm.csv"  # the roster placeholder changes with every push, not with the form
        },
        "fields": [
            {
                "path": f.path,
                "name": f.name,
                "type": f.type,
                "repeat": f.repeat,
                "kind": f.kind,
                "select_multiple": f.select_multiple,
            }
            for f in form_fields(built)
        ],
    }


def write_manifest(
    built: BuiltForm, published_at: datetime | None = None, published_dir: Path | None = None
) -> Path:
    """Write ``<published_dir>/<form_id>.json`` for a form that was just published; returns its path."""
    folder = published_dir or PUBLISHED_DIR
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{built.form_id}.json"
    text = json.dumps(manifest_for(built, published_at), ensure_ascii=False, indent=2) + "\n"
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
    return path


class ManifestError(ValueError):
    """A manifest file cannot be read; the message names the file and the fix."""


def load_manifest(form_id: str, published_dir: Path | None = None) -> Manifest | None:
    """The manifest of the last published version of ``form_id``, or None when it was never published."""
    path = (published_dir or PUBLISHED_DIR) / f"{form_id}.json"
    if not path.is_file():
        return None
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        fields = [
            FieldInfo(
                path=f["path"],
                name=f["name"],
                type=f["type"],
                repeat=f.get("repeat", ""),
                kind=f.get("kind", "question"),
                select_multiple=bool(f.get("select_multiple", False)),
            )
            for f in doc["fields"]
        ]
        return Manifest(
            form_id=doc["form_id"],
            version=str(doc["version"]),
            published_at=doc.get("published_at", ""),
            content_hash=doc["content_hash"],
            target=doc.get("target", "central"),
            media=dict(doc.get("media", {})),
            fields=fields,
            path=path,
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise ManifestError(
            f"{path}: not a valid manifest ({exc}); restore it from git or publish again"
        ) from exc


def field_dicts(fields: list[FieldInfo]) -> list[dict]:
    """Plain dicts of fields (for JSON)."""
    return [asdict(f) for f in fields]
