"""Datasets (Entity Lists) and Entities, as ODK Central keeps them.

Shapes come from the captures 1210-1340 (dataset create and metadata, entity create single and bulk, REST list,
PATCH with ``baseVersion``, versions, OData, soft delete, CSV); rules the captures do not show follow
central-backend ``lib/resources/entities.js`` and ``lib/data/entity.js`` (``extractEntity``: only ``uuid``,
``label`` and ``data`` keys, string values, declared properties only, UUID v4 ids; ``extractBulkSource``;
a PATCH without the current ``baseVersion`` is 409.15 unless ``?force=true``; PATCH data is merged into the
current version) and the API documentation (docs.getodk.org/central-api-dataset-management,
central-api-entity-management: ``approvalRequired``, ``ownerOnly``, properties added by API or by a published
form's ``entities:saveto``).

Ordering is Central's: ``createdAt DESC, id DESC`` for the REST list and OData.
"""

from __future__ import annotations

import bisect
import re
import uuid as uuidlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from . import problems
from .textfmt import iso_ms
from .xform import sanitize_odata_identifier

if TYPE_CHECKING:
    from .store import Actor, Form, FormVersion, Project

# Entity ids must be version-4 UUIDs (lib/data/entity.js ``_uuidPattern``), optionally prefixed ``uuid:``.
_UUID_V4 = re.compile(
    r"^(uuid:)?([0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12})$", re.IGNORECASE
)
_BODY_KEYS = ["label", "uuid", "data"]


def jsonb_order(data: Mapping[str, str]) -> dict[str, str]:
    """Keys in the order PostgreSQL's jsonb keeps them (shorter keys first, then bytewise), as Central's
    ``data``/``dataReceived`` come back (capture 1220: nik, label, kabupaten, jumlah_anggota)."""
    return {k: data[k] for k in sorted(data, key=lambda k: (len(k.encode("utf-8")), k.encode("utf-8")))}


def normalize_uuid(value: Any) -> str:
    """``normalizeUuid``: the lower-case UUID, 400.2 when blank, 400.11 when not a v4 UUID."""
    if value is None or (isinstance(value, str) and not value.strip()):
        raise problems.missing_parameter("uuid")
    m = _UUID_V4.match(str(value))
    if m is None:
        raise problems.invalid_parameter_type("uuid", "valid version 4 UUID")
    return m.group(2).lower()


@dataclass(eq=False)
class DatasetProperty:
    """A property of a Dataset; ``forms`` are the published forms that save to it."""

    name: str
    published_us: int | None
    forms: list[Form] = field(default_factory=list)

    def api(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "publishedAt": iso_ms(self.published_us),
            "odataName": sanitize_odata_identifier(self.name),
            "forms": [{"xmlFormId": f.xml_form_id, "name": f.name} for f in self.forms],
        }


@dataclass(eq=False)
class EntityVersion:
    """One version (def) of an entity."""

    version: int
    label: str
    data: dict[str, str]
    data_received: dict[str, str]
    base_version: int | None
    created_us: int
    creator: Actor
    user_agent: str | None

    def api(self, *, with_data: bool, current: bool, extended: bool) -> dict[str, Any]:
        out: dict[str, Any] = {
            "current": current,
            "label": self.label,
            "creatorId": self.creator.id,
            "userAgent": self.user_agent,
        }
        if with_data:
            out["data"] = jsonb_order(self.data)
        out["version"] = self.version
        out["baseVersion"] = self.base_version
        if with_data:
            out["dataReceived"] = jsonb_order(self.data_received)
        out.update(
            {
                "conflictingProperties": None,
                "createdAt": iso_ms(self.created_us),
                "branchId": None,
                "trunkVersion": None,
                "branchBaseVersion": None,
            }
        )
        if extended:
            out["creator"] = self.creator.api()
        return out


class Entity:
    """An entity with its versions (the last one is current)."""

    __slots__ = (
        "created_us",
        "creator",
        "dataset",
        "deleted_us",
        "id",
        "key",
        "updated_us",
        "uuid",
        "versions",
    )

    def __init__(self, entity_id: int, uuid: str, dataset: Dataset, creator: Actor, created_us: int) -> None:
        self.id = entity_id
        self.uuid = uuid
        self.dataset = dataset
        self.creator = creator
        self.created_us = created_us
        self.key = (created_us, entity_id)
        self.updated_us: int | None = None
        self.deleted_us: int | None = None
        self.versions: list[EntityVersion] = []

    @property
    def current(self) -> EntityVersion:
        return self.versions[-1]

    @property
    def label(self) -> str:
        return self.versions[-1].label

    @property
    def data(self) -> dict[str, str]:
        return self.versions[-1].data

    @property
    def version(self) -> int:
        return self.versions[-1].version

    def api(self, *, with_data: bool = True, extended: bool = False) -> dict[str, Any]:
        """REST entity JSON: ``currentVersion`` with ``data`` (captures 1220/1260), without it in lists
        (capture 1250); extended adds the creators."""
        out: dict[str, Any] = {
            "uuid": self.uuid,
            "creatorId": self.creator.id,
            "conflict": None,
            "createdAt": iso_ms(self.created_us),
            "updatedAt": iso_ms(self.updated_us),
            "deletedAt": iso_ms(self.deleted_us),
            "currentVersion": self.current.api(with_data=with_data, current=True, extended=extended),
        }
        if extended:
            out["creator"] = self.creator.api()
        return out

    def system(self) -> dict[str, Any]:
        """OData ``__system`` (capture 1300: no deletedAt in the default row)."""
        return {
            "createdAt": iso_ms(self.created_us),
            "creatorId": str(self.creator.id),
            "creatorName": self.creator.display_name,
            "updates": self.version - 1,
            "updatedAt": iso_ms(self.updated_us),
            "version": self.version,
            "conflict": None,
        }


class Dataset:
    """An Entity List of a project."""

    def __init__(self, name: str, project: Project, created_us: int, *, published_us: int | None) -> None:
        self.name = name
        self.project = project
        self.created_us = created_us
        self.published_us = published_us
        self.approval_required = False
        self.owner_only = False
        self.properties: list[DatasetProperty] = []
        self.by_uuid: dict[str, Entity] = {}
        self.ordered: list[Entity] = []  # by (createdAt, id)
        self.last_update_us = created_us

    @property
    def published(self) -> bool:
        return self.published_us is not None

    def find_property(self, name: str) -> DatasetProperty | None:
        return next((p for p in self.properties if p.name == name), None)

    @property
    def property_names(self) -> list[str]:
        return [p.name for p in self.properties if p.published_us is not None]

    def newest_first(self, *, deleted: bool = False) -> Iterator[Entity]:
        """Live entities (or only deleted ones), ``createdAt DESC, id DESC``."""
        for entity in reversed(self.ordered):
            if (entity.deleted_us is not None) == deleted:
                yield entity

    def insert(self, entity: Entity) -> None:
        self.by_uuid[entity.uuid] = entity
        if not self.ordered or self.ordered[-1].key < entity.key:
            self.ordered.append(entity)
        else:
            bisect.insort(self.ordered, entity, key=lambda e: e.key)

    def _forms(self, draft: bool, linked: bool) -> list[dict[str, Any]]:
        out = []
        for form in self.project.forms.values():
            definition: FormVersion | Any = (
                form.draft if draft else (form.versions[-1] if form.versions else None)
            )
            if definition is None:
                continue
            if linked:
                hit = any(a.dataset == self.name for a in definition.attachments.values())
            else:
                hit = self.name in definition.xform.datasets
            if hit:
                out.append({"xmlFormId": form.xml_form_id, "name": definition.xform.title})
        return out

    def api(self, *, extended: bool) -> dict[str, Any]:
        """``GET /projects/{id}/datasets/{name}`` (captures 1210 plain, 1240 extended)."""
        out: dict[str, Any] = {
            "name": self.name,
            "createdAt": iso_ms(self.created_us),
            "projectId": self.project.id,
            "approvalRequired": self.approval_required,
            "ownerOnly": self.owner_only,
            "deletedAt": None,
        }
        if extended:
            out.update(self._counts())
        out["lastUpdate"] = iso_ms(self.last_update_us)
        out.update(
            {
                "linkedForms": self._forms(draft=False, linked=True),
                "sourceForms": self._forms(draft=False, linked=False),
                "draftLinkedForms": self._forms(draft=True, linked=True),
                "draftSourceForms": self._forms(draft=True, linked=False),
                "properties": [p.api() for p in self.properties if p.published_us is not None],
            }
        )
        return out

    def list_api(self, *, extended: bool) -> dict[str, Any]:
        """An entry of ``GET /projects/{id}/datasets`` (API docs "Listing Datasets", plus ``ownerOnly`` of
        v2025.2; extended adds the counts)."""
        out: dict[str, Any] = {
            "name": self.name,
            "createdAt": iso_ms(self.created_us),
            "projectId": self.project.id,
            "approvalRequired": self.approval_required,
            "ownerOnly": self.owner_only,
        }
        if extended:
            out.update(self._counts())
        return out

    def _counts(self) -> dict[str, Any]:
        live = [e for e in self.ordered if e.deleted_us is None]
        return {
            "entities": len(live),
            "lastEntity": iso_ms(max((e.created_us for e in live), default=None)),
            "conflicts": 0,
        }


def _extract_entity(
    body: Any, names: list[str], existing: Entity | None
) -> tuple[str | None, str, dict[str, str]]:
    """``extractEntity``: (uuid, label, data) of a JSON entity body; data merged into ``existing``'s."""
    if not isinstance(body, Mapping):
        raise problems.invalid_entity("No entity data or label provided.")
    unexpected = [k for k in body if k not in _BODY_KEYS]
    if unexpected:
        raise problems.unexpected_attributes(_BODY_KEYS, list(body))
    uuid = None
    if existing is None:
        given = body.get("uuid")
        if given and not isinstance(given, str):
            raise problems.invalid_parameter_type("uuid", "string")
        uuid = normalize_uuid(given) if given else str(uuidlib.uuid4())
    label = body.get("label")
    if label is not None:
        if not isinstance(label, str):
            raise problems.invalid_parameter_type("label", "string")
        if not label.strip():
            raise problems.unexpected_value("label", "(empty string)", "Label cannot be blank.")
    elif existing is None:
        raise problems.missing_parameter("label")
    data_in = body.get("data")
    if data_in is None and label is None:
        raise problems.invalid_entity("No entity data or label provided.")
    data = dict(existing.data) if existing is not None else {}
    if data_in is not None:
        if not isinstance(data_in, Mapping):
            raise problems.invalid_entity("No entity data or label provided.")
        for key, value in data_in.items():
            if not isinstance(value, str):
                raise problems.invalid_parameter_type(str(key), "string")
            if key not in names:
                raise problems.invalid_entity(
                    f"You specified the dataset property [{key}] which does not exist."
                )
            data[key] = value
    return uuid, label if label is not None else existing.label, data  # type: ignore[union-attr]


class EntityOps:
    """Dataset and entity operations of :class:`~simulators.central.store.CentralStore`."""

    lock: Any

    if TYPE_CHECKING:

        def project(self, project_id: int) -> Project: ...
        def _at(self, at: datetime | None) -> int: ...

    # --- datasets -------------------------------------------------------------------------------------------
    def create_dataset(
        self, project_id: int, name: str, *, approval_required: bool = False, at: datetime | None = None
    ) -> Dataset:
        """``POST /projects/{id}/datasets``: 409.3 when it exists, 409.16 when only the case differs."""
        if not isinstance(name, str) or not name:
            raise problems.missing_parameter("name")
        with self.lock:
            project = self.project(project_id)
            existing = project.datasets.get(name)
            if existing is not None and existing.published:
                raise problems.uniqueness_violation("name,projectId", f"{name},{project.id}")
            clash = next((d for d in project.datasets.values() if d.name.lower() == name.lower()), None)
            if clash is not None and clash.name != name:
                raise problems.dataset_name_conflict(clash.name, name)
            when = self._at(at)
            dataset = existing or Dataset(name, project, when, published_us=when)
            dataset.published_us = when
            dataset.approval_required = bool(approval_required)
            dataset.last_update_us = when + 1000  # the audit entry follows the insert (capture 1210)
            project.datasets[name] = dataset
            return dataset

    def dataset(self, project_id: int, name: str) -> Dataset:
        """A published dataset of the project (404 otherwise)."""
        dataset = self.project(project_id).datasets.get(name)
        if dataset is None or not dataset.published:
            raise problems.not_found()
        return dataset

    def add_dataset_property(
        self, project_id: int, name: str, prop: str, *, at: datetime | None = None
    ) -> DatasetProperty:
        """``POST .../datasets/{name}/properties``; an existing name (any case) is 409.3."""
        if not isinstance(prop, str) or not prop:
            raise problems.missing_parameter("name")
        with self.lock:
            dataset = self.dataset(project_id, name)
            if any(p.name.lower() == prop.lower() for p in dataset.properties):
                raise problems.uniqueness_violation("name,datasetId", f"{prop},{dataset.name}")
            entry = DatasetProperty(prop, self._at(at))
            dataset.properties.append(entry)
            return entry

    def update_dataset(
        self,
        project_id: int,
        name: str,
        *,
        approval_required: bool | None = None,
        owner_only: bool | None = None,
    ) -> Dataset:
        """``PATCH .../datasets/{name}``: ``approvalRequired`` and (v2025.2) ``ownerOnly``."""
        with self.lock:
            dataset = self.dataset(project_id, name)
            if approval_required is not None:
                dataset.approval_required = bool(approval_required)
            if owner_only is not None:
                dataset.owner_only = bool(owner_only)
            return dataset

    def _publish_datasets(self, form: Form, version: FormVersion, when: int) -> None:
        """Publishing a form that declares datasets publishes them and their ``saveto`` properties, and links
        the form's own still-empty ``<dataset>.csv`` attachment (lib/model/query/forms.js ``publish``)."""
        project = form.project
        for name in version.xform.datasets:
            dataset = project.datasets.get(name)
            if dataset is None:
                dataset = Dataset(name, project, when, published_us=when)
                project.datasets[name] = dataset
            elif dataset.published_us is None:
                dataset.published_us = when
            for prop in version.xform.entity_properties:
                entry = dataset.find_property(prop)
                if entry is None:
                    entry = DatasetProperty(prop, when)
                    dataset.properties.append(entry)
                if form not in entry.forms:
                    entry.forms.append(form)
            attachment = version.attachments.get(f"{name}.csv")
            if attachment is not None and attachment.blob is None and attachment.dataset is None:
                attachment.dataset = name

    # --- entities -------------------------------------------------------------------------------------------
    def create_entities(
        self,
        project_id: int,
        name: str,
        bodies: Iterable[Mapping[str, Any]],
        *,
        creator: Actor,
        user_agent: str | None = None,
        at: datetime | None = None,
    ) -> list[Entity]:
        """Create entities (all or none): each body is ``{uuid?, label, data}`` with string values of declared
        properties; a uuid in use is 409.3, one of a deleted entity 409.19."""
        with self.lock:
            dataset = self.dataset(project_id, name)
            names = dataset.property_names
            parsed = [_extract_entity(body, names, None) for body in bodies]
            seen: set[str] = set()
            deleted: list[str] = []
            for uuid, _, _ in parsed:
                assert uuid is not None
                old = dataset.by_uuid.get(uuid)
                if old is not None and old.deleted_us is not None:
                    deleted.append(uuid)
                elif old is not None or uuid in seen:
                    raise problems.uniqueness_violation("uuid", uuid)
                seen.add(uuid)
            if deleted:
                raise problems.entity_uuid_deleted(deleted)
            when = self._at(at)
            created = []
            for uuid, label, data in parsed:
                self._entity_seq = getattr(self, "_entity_seq", 0) + 1
                entity = Entity(self._entity_seq, uuid, dataset, creator, when)  # type: ignore[arg-type]
                received = {**data, "label": label}
                entity.versions.append(
                    EntityVersion(1, label, data, received, None, when, creator, user_agent)
                )
                dataset.insert(entity)
                created.append(entity)
            dataset.last_update_us = when
            return created

    def entity(self, project_id: int, name: str, uuid: str, *, deleted: bool = False) -> Entity:
        """A live (or, with ``deleted``, a soft-deleted) entity; 404 otherwise."""
        dataset = self.dataset(project_id, name)
        entity = dataset.by_uuid.get(uuid.lower())
        if entity is None or (entity.deleted_us is not None) != deleted:
            raise problems.not_found()
        return entity

    def update_entity(
        self,
        project_id: int,
        name: str,
        uuid: str,
        body: Mapping[str, Any],
        *,
        base_version: str | None,
        force: bool = False,
        actor: Actor,
        user_agent: str | None = None,
        at: datetime | None = None,
    ) -> Entity:
        """``PATCH .../entities/{uuid}?baseVersion=N``: a new version with the data merged; a base version
        that is not the current one is 409.15 unless ``force``."""
        with self.lock:
            entity = self.entity(project_id, name, uuid)
            current = entity.version
            if base_version != str(current) and not force:
                raise problems.entity_version_conflict(
                    str(current), "undefined" if base_version is None else base_version
                )
            _, label, data = _extract_entity(body, entity.dataset.property_names, entity)
            received = {str(k): v for k, v in (body.get("data") or {}).items()}
            if body.get("label") is not None:
                received["label"] = body["label"]
            when = self._at(at)
            entity.versions.append(
                EntityVersion(current + 1, label, data, received, current, when, actor, user_agent)
            )
            entity.updated_us = when
            entity.dataset.last_update_us = when
            return entity

    def delete_entity(self, project_id: int, name: str, uuid: str, *, at: datetime | None = None) -> Entity:
        """Soft delete: ``deletedAt`` set; the entity leaves lists, OData and the form attachment."""
        with self.lock:
            entity = self.entity(project_id, name, uuid)
            entity.deleted_us = self._at(at)
            entity.dataset.last_update_us = entity.deleted_us
            return entity

    def restore_entity(self, project_id: int, name: str, uuid: str, *, at: datetime | None = None) -> Entity:
        """Undo a soft delete."""
        with self.lock:
            entity = self.entity(project_id, name, uuid, deleted=True)
            entity.deleted_us = None
            entity.dataset.last_update_us = self._at(at)
            return entity


def version_history(entity: Entity) -> list[dict[str, Any]]:
    """``GET .../entities/{uuid}/versions`` (capture 1270): every version with its diffs, oldest first."""
    out = []
    for i, v in enumerate(entity.versions):
        previous = entity.versions[i - 1] if i else None
        base = next((b for b in entity.versions if b.version == v.base_version), None)

        def changed(other: EntityVersion | None, v: EntityVersion = v) -> list[str]:
            if other is None:
                return []
            keys = list(dict.fromkeys([*other.data, *v.data]))
            diff = [k for k in keys if other.data.get(k) != v.data.get(k)]
            return (["label"] if other.label != v.label else []) + diff

        current = i == len(entity.versions) - 1
        row: dict[str, Any] = {
            "conflict": None,
            "resolved": False,
            "baseDiff": changed(base),
            "serverDiff": changed(previous),
            "lastGoodVersion": current,
            **v.api(with_data=True, current=current, extended=False),
            "source": {},
            "relevantToConflict": False,
        }
        out.append(row)
    return out
