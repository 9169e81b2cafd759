"""The properties of the ``kpm`` Entity List (``forms/entity_kpm.csv``) and who writes each one.

The roster push (sync) owns the list and writes most properties from the warehouse; the registration form
updates the baseline properties and the visit form the visit properties (through ``save_to``). Properties never
hold NIK or KK numbers (DESIGN.md §5).

Identity: ODK Central accepts only version-4 UUIDs as entity ids (central-backend ``lib/data/entity.js``), so
on Central an entity's ``name`` (what the forms' ``kpm`` select stores) is :func:`entity_uuid` of the KPM id,
and the KPM id itself is the property ``id_kpm`` (which the forms copy into their ``id_kpm`` calculate). On
Kobo the ``kpm.csv`` media file has no such rule and its ``name`` is the KPM id.
"""

from __future__ import annotations

import csv
import hashlib
import uuid
from dataclasses import dataclass
from pathlib import Path

from forms.catalog import ENTITY_KPM_PATH

#: Who may write a property (the ``written_by`` column holds one or more, joined with ``|``).
WRITERS = ("roster_push", "registration", "visit")
#: Columns every entity list row has besides the properties (Central adds ``__version`` itself).
SYSTEM_COLUMNS = ("name", "label")


@dataclass(frozen=True, slots=True)
class EntityProperty:
    """One property of the ``kpm`` list: name, meaning, writers and the CSV row it is declared on."""

    name: str
    description: str
    written_by: tuple[str, ...]
    row: int


def entity_uuid(id_kpm: str) -> str:
    """The entity id (``name``) of a KPM in the Central ``kpm`` list: a version-4 UUID derived from the KPM id.

    Stable and reproducible: the same KPM gets the same entity on every push and every server, and anyone
    holding the KPM ids can map an entity id back to its KPM.
    """
    digest = hashlib.sha256(f"graduasi:kpm:{id_kpm}".encode()).digest()
    return str(uuid.UUID(bytes=digest[:16], version=4))


class EntityListError(ValueError):
    """``entity_kpm.csv`` is malformed; the message names the row and the fix."""


def load_entity_properties(path: Path | None = None) -> list[EntityProperty]:
    """Read ``entity_kpm.csv`` (columns ``property,description,written_by``).

    :raises EntityListError: on a missing column, an unknown writer or a duplicate property.
    """
    path = path or ENTITY_KPM_PATH
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        missing = {"property", "description", "written_by"} - set(reader.fieldnames or ())
        if missing:
            raise EntityListError(f"{path}: missing column(s) {', '.join(sorted(missing))}")
        props: list[EntityProperty] = []
        seen: set[str] = set()
        for number, rec in enumerate(reader, start=2):
            name = (rec["property"] or "").strip()
            if not name:
                continue
            writers = tuple(w.strip() for w in (rec["written_by"] or "").split("|") if w.strip())
            unknown = [w for w in writers if w not in WRITERS]
            if unknown or not writers:
                raise EntityListError(
                    f"{path}: row {number}: written_by {rec['written_by']!r} must be one or more of "
                    f"{', '.join(WRITERS)} joined with '|'"
                )
            if name in seen:
                raise EntityListError(f"{path}: row {number}: property {name!r} is declared twice")
            seen.add(name)
            props.append(EntityProperty(name, (rec["description"] or "").strip(), writers, number))
        return props


def kpm_csv_header(properties: list[EntityProperty] | None = None) -> list[str]:
    """Columns of a ``kpm.csv`` media file (Kobo) or of the Entity List: ``name``, ``label``, every property."""
    props = properties if properties is not None else load_entity_properties()
    return [*SYSTEM_COLUMNS, *(p.name for p in props)]
