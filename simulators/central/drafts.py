"""Form drafts, form attachments and form assignments, as ODK Central keeps them.

Semantics follow central-backend ``lib/model/query/forms.js`` (``createNew``, ``createVersion``, ``publish``,
``checkFieldDowncast``, ``checkStructuralChange``), ``lib/model/query/form-attachments.js`` (which attachments a
new definition expects, what it carries over from the previous one, when a Dataset is linked) and the API
documentation (docs.getodk.org/central-api-form-management: "Creating a new Form", "Draft Form", "Publishing a
Draft Form", "Linking a Dataset to a Draft Form Attachment", "Form Assignments"):

* ``POST /projects/{id}/forms`` creates a form holding only a draft (``?publish=true`` publishes it at once,
  ``publishedAt`` = ``createdAt``, ``updatedAt`` null, capture 0050);
* ``POST .../draft`` replaces the draft (a new draft token each time); the draft's attachments carry over the
  blob or Dataset link of the previous definition's attachment of the same name and type, otherwise a ``file``
  attachment named ``<dataset>.csv`` is linked to that published Dataset;
* changing a published field's type is 400.17 unless the new type is ``string``; dropping published fields is a
  warning (400.16) unless ``?ignoreWarnings=true``;
* publishing a version that the form already had is 409.6 (``versionUniquenessViolation``), raised at publish
  time, not when the draft is created; ``?version=`` rewrites the draft's version first.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from . import problems
from .problems import Problem
from .textfmt import iso_ms
from .xform import XForm, XFormError, parse_xform

if TYPE_CHECKING:
    from .entities import Dataset
    from .store import Actor, Form, FormVersion, Project

#: Role ids by system name (central-backend migrations ``20181212-01-add-roles.js``; pyodk relies on app-user = 2).
ROLE_IDS = {"admin": 1, "app-user": 2, "manager": 3, "viewer": 4, "formfill": 5, "pub-link": 6}
_VERSION_ATTR = re.compile(r'(<instance>\s*<[^>\s]+[^>]*?\sversion=")([^"]*)(")', re.DOTALL)


@dataclass(eq=False)
class Attachment:
    """One expected form attachment: an uploaded blob, a linked Dataset, or nothing yet."""

    name: str
    type: str
    blob: bytes | None = None
    dataset: str | None = None
    updated_us: int | None = None

    @property
    def md5(self) -> str | None:
        return None if self.blob is None else hashlib.md5(self.blob).hexdigest()

    def api(self) -> dict[str, Any]:
        """``GET .../attachments`` entry (``hash`` since v2024.3: the blob's MD5)."""
        return {
            "name": self.name,
            "type": self.type,
            "exists": self.blob is not None or self.dataset is not None,
            "blobExists": self.blob is not None,
            "datasetExists": self.dataset is not None,
            "hash": self.md5,
            "updatedAt": iso_ms(self.updated_us),
        }


@dataclass(eq=False)
class FormDraft:
    """The draft definition of a form (at most one per form)."""

    xform: XForm
    created_us: int
    by: Actor | None
    def_id: int
    token: str
    attachments: dict[str, Attachment] = field(default_factory=dict)
    # a draft has never been published: form_json treats it like a FormVersion with these unset
    published_us: int | None = None
    published_by: Actor | None = None

    @property
    def version(self) -> str:
        return self.xform.version


def new_attachments(
    xform: XForm, previous: Mapping[str, Attachment], datasets: Mapping[str, Dataset]
) -> dict[str, Attachment]:
    """The attachments of a new definition: carried over by name and type, else linked to a same-named published
    Dataset when the slot is a ``file`` without a blob (form-attachments.js ``createVersion``)."""
    out: dict[str, Attachment] = {}
    for name, kind in xform.attachments:
        extant = previous.get(name)
        if extant is not None and extant.type != kind:
            extant = None
        blob = extant.blob if extant is not None else None
        dataset: str | None = None
        if extant is not None and extant.dataset is not None:
            dataset = extant.dataset
        elif blob is None and kind == "file" and name.endswith(".csv"):
            match = datasets.get(name[: -len(".csv")])
            if match is not None and match.published:
                dataset = match.name
        out[name] = Attachment(name, kind, blob, dataset, extant.updated_us if extant is not None else None)
    return out


def parse_upload(xml: bytes | str) -> XForm:
    """An uploaded XForm, or Central's 400 for a body that is not one."""
    text = xml.decode("utf-8") if isinstance(xml, bytes) else xml
    try:
        return parse_xform(text)
    except XFormError:
        if "<" not in text:
            raise Problem(
                400.1,
                f"Could not parse the given data ({len(text)} chars) as xml.",
                {"format": "xml", "rawLength": len(text)},
            ) from None
        raise problems.missing_parameter("formId") from None


def with_version(xml: str, version: str) -> str:
    """The XForm with its primary instance's ``version`` attribute set (``?version=`` on publish)."""
    replaced, n = _VERSION_ATTR.subn(lambda m: m.group(1) + version + m.group(3), xml, count=1)
    if n:
        return replaced
    return re.sub(r"(<instance>\s*<[^>\s/]+)", lambda m: f'{m.group(1)} version="{version}"', xml, count=1)


def role_id(text: str) -> int:
    """A role named by id or system name (``app-user``); 404 when unknown."""
    if text.isdigit() and int(text) in ROLE_IDS.values():
        return int(text)
    if text in ROLE_IDS:
        return ROLE_IDS[text]
    raise problems.not_found()


class DraftOps:
    """Draft, attachment and assignment operations of :class:`~simulators.central.store.CentralStore`."""

    # provided by CentralStore
    lock: Any
    actors: dict[int, Actor]
    _next_def: int

    if TYPE_CHECKING:

        def project(self, project_id: int) -> Project: ...
        def any_form(self, project_id: int, form_id: str) -> Form: ...
        def default_user(self) -> Actor | None: ...
        def now_us(self) -> int: ...
        def _at(self, at: datetime | None) -> int: ...
        def _new_form(self, project: Project, xform: XForm, when: int, by: Actor | None) -> Form: ...
        def _append_version(
            self, form: Form, xform: XForm, when: int, by: Actor | None, attachments: dict[str, Attachment]
        ) -> FormVersion: ...

    # --- forms and drafts -----------------------------------------------------------------------------------
    def create_form(
        self,
        project_id: int,
        xml: bytes | str,
        *,
        publish: bool = False,
        by: Actor | None = None,
        at: datetime | None = None,
    ) -> Form:
        """``POST /projects/{id}/forms``: a new form with a draft (published at once with ``publish``);
        an existing form id is 409.3."""
        from .store import new_token

        xform = parse_upload(xml)
        with self.lock:
            project = self.project(project_id)
            if xform.xml_form_id in project.forms:
                raise problems.uniqueness_violation(
                    "xmlFormId,projectId", f"{xform.xml_form_id},{project.id}"
                )
            when = self._at(at)
            by = by or self.default_user()
            form = self._new_form(project, xform, when, by)
            form.draft = FormDraft(
                xform, when, by, self._take_def_id(), new_token(),
                new_attachments(xform, {}, project.datasets),
            )  # fmt: skip
            if publish:
                self.publish_draft(project.id, form.xml_form_id, concurrent_with_create=True)
            return form

    def create_draft(
        self,
        project_id: int,
        form_id: str,
        xml: bytes | str | None = None,
        *,
        ignore_warnings: bool = False,
        by: Actor | None = None,
        at: datetime | None = None,
    ) -> FormDraft:
        """``POST .../forms/{id}/draft``: a new draft from ``xml``, or from the published definition when None."""
        from .store import new_token

        with self.lock:
            form = self.any_form(project_id, form_id)
            base = form.draft if form.draft is not None else form.versions[-1]
            if xml is None or (isinstance(xml, (bytes, str)) and not xml.strip()):
                xform = (form.versions[-1] if form.versions else base).xform
            else:
                xform = parse_upload(xml)
                if xform.xml_form_id != form.xml_form_id:
                    raise problems.unexpected_value(
                        "xmlFormId", xform.xml_form_id, "does not match the form you are updating"
                    )
            if form.versions:
                _check_field_types(form, xform)
                if not ignore_warnings:
                    _check_structure(form.versions[-1].xform, xform)
            when = self._at(at)
            previous = base.attachments
            draft = FormDraft(
                xform,
                when,
                by or self.default_user(),
                self._take_def_id(),
                new_token(),
                new_attachments(xform, previous, form.project.datasets),
            )
            form.draft = draft
            form.updated_us = when
            return draft

    def delete_draft(self, project_id: int, form_id: str) -> None:
        """``DELETE .../draft``: 409.7 when the form was never published (delete the form instead)."""
        with self.lock:
            form = self.any_form(project_id, form_id)
            if form.draft is None:
                raise problems.not_found()
            if not form.versions:
                raise problems.no_published_version()
            form.draft = None

    def publish_draft(
        self,
        project_id: int,
        form_id: str,
        *,
        version: str | None = None,
        by: Actor | None = None,
        at: datetime | None = None,
        concurrent_with_create: bool = False,
    ) -> FormVersion:
        """``POST .../draft/publish[?version=]``: the draft becomes the current version; 409.6 when the form
        already had that version."""
        with self.lock:
            form = self.any_form(project_id, form_id)
            draft = form.draft
            if draft is None:
                raise problems.not_found()
            xform = draft.xform
            if version is not None and version != xform.version:
                xform = parse_xform(with_version(xform.xml, version))
            if form.version(xform.version) is not None:
                raise problems.version_uniqueness(form.xml_form_id, xform.version)
            when = form.created_us if concurrent_with_create else self._at(at)
            published = self._append_version(form, xform, when, by or draft.by, draft.attachments)
            form.draft = None
            if not concurrent_with_create:
                form.updated_us = when + 1000
            return published

    def _take_def_id(self) -> int:
        def_id = self._next_def
        self._next_def += 1
        return def_id

    # --- attachments ----------------------------------------------------------------------------------------
    def _draft_attachment(self, project_id: int, form_id: str, name: str) -> tuple[Form, Attachment]:
        form = self.any_form(project_id, form_id)
        if form.draft is None:
            raise problems.not_found()
        attachment = form.draft.attachments.get(name)
        if attachment is None:
            raise problems.not_found()
        return form, attachment

    def upload_draft_attachment(
        self, project_id: int, form_id: str, name: str, data: bytes, *, at: datetime | None = None
    ) -> Attachment:
        """``POST .../draft/attachments/{name}``: store the file (an expected name only; else 404)."""
        with self.lock:
            _, attachment = self._draft_attachment(project_id, form_id, name)
            attachment.blob = bytes(data)
            attachment.dataset = None
            attachment.updated_us = self._at(at)
            return attachment

    def link_draft_attachment(
        self, project_id: int, form_id: str, name: str, link: bool, *, at: datetime | None = None
    ) -> Attachment:
        """``PATCH .../draft/attachments/{name}`` ``{"dataset": true|false}``: link the Dataset named like the
        file (404 when there is none, 400.26 for a non-file slot); linking removes an uploaded file."""
        with self.lock:
            form, attachment = self._draft_attachment(project_id, form_id, name)
            if link:
                dataset = form.project.datasets.get(re.sub(r"\.csv$", "", name, flags=re.IGNORECASE))
                if dataset is None or not dataset.published:
                    raise problems.not_found()
                if attachment.type != "file":
                    raise problems.dataset_link_not_allowed()
                attachment.dataset = dataset.name
                attachment.blob = None
            else:
                attachment.dataset = None
            attachment.updated_us = self._at(at)
            return attachment

    def clear_draft_attachment(self, project_id: int, form_id: str, name: str) -> Attachment:
        """``DELETE .../draft/attachments/{name}``: forget the file or unlink the Dataset."""
        with self.lock:
            _, attachment = self._draft_attachment(project_id, form_id, name)
            attachment.blob = None
            attachment.dataset = None
            attachment.updated_us = self.now_us()
            return attachment

    # --- assignments ----------------------------------------------------------------------------------------
    def assign_form(self, project_id: int, form_id: str, role: str, actor_id: int) -> None:
        """``POST .../forms/{id}/assignments/{role}/{actorId}``; assigning twice is 409.3."""
        with self.lock:
            form = self.any_form(project_id, form_id)
            rid = role_id(role)
            if actor_id not in self.actors:
                raise problems.not_found()
            if (rid, actor_id) in form.assignments:
                raise problems.uniqueness_violation(
                    "actorId,roleId,acteeId", f"{actor_id},{rid},{form.xml_form_id}"
                )
            form.assignments.add((rid, actor_id))

    def unassign_form(self, project_id: int, form_id: str, role: str, actor_id: int) -> None:
        """``DELETE .../forms/{id}/assignments/{role}/{actorId}``; 404 when not assigned."""
        with self.lock:
            form = self.any_form(project_id, form_id)
            key = (role_id(role), actor_id)
            if key not in form.assignments:
                raise problems.not_found()
            form.assignments.discard(key)


def _check_field_types(form: Form, xform: XForm) -> None:
    """``checkFieldDowncast``: a field of any published version may change type only to ``string``."""
    known = {f.path: f for f in form.schema.fields}
    for new in xform.fields:
        old = known.get(new.path)
        if old is not None and old.type != new.type and new.type != "string":
            raise problems.field_type_conflict(old.path, old.type)


def _check_structure(previous: XForm, xform: XForm) -> None:
    """``checkStructuralChange``: fields of the published version missing from the new one are a warning."""
    paths = {f.path for f in xform.fields}
    removed = [f.name for f in previous.fields if f.path not in paths]
    if removed:
        raise problems.form_warnings(
            {"xlsFormWarnings": [], "workflowWarnings": [{"type": "structureChanged", "details": removed}]}
        )
