"""The in-memory ODK Central the HTTP layer serves and the tests use as oracle.

Semantics follow central-backend ``lib/model/query/submissions.js`` and the captures
(odk-central/README.md, ``_timestamp-observations.json``):

* a submission's logical id (OData ``__id``, REST ``instanceId``) is its first instanceID and never changes;
* an edit adds a version: ``edits`` +1, ``updatedAt`` = the new version's ``createdAt``, ``reviewState`` forced to
  ``edited``, ``submissionDate`` unchanged, ``meta/instanceID`` the new id, submitter stays the original;
* a review sets ``reviewState`` and ``updatedAt``; delete sets ``deletedAt``; restore clears it and keeps
  ``updatedAt``; purge removes the row for good; comments and attachment uploads move no timestamp;
* rows are ordered ``createdAt DESC, id DESC``; ``__system/formVersion`` is the version of the first def.

Each version is rendered once to OData JSON text (:mod:`.render`); the store never keeps data dict trees.
"""

from __future__ import annotations

import base64
import bisect
import gc
import hashlib
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from . import problems
from .drafts import Attachment, DraftOps, FormDraft, new_attachments
from .entities import Dataset, EntityOps
from .render import Rendered, Schema, data_from_tree, render
from .textfmt import dumps, from_us, iso_ms, to_us
from .xform import XForm, merged_fields, parse_xform

REVIEW_STATES = ("hasIssues", "edited", "rejected", "approved")


def new_token() -> str:
    """A 64-character token like Central's (48 random bytes, base64 with ``/``->``!`` and ``+``->``$``)."""
    return base64.b64encode(os.urandom(48)).decode("ascii").replace("/", "!").replace("+", "$")


@dataclass(eq=False)
class Actor:
    """A web user (``type='user'``) or an app user (``type='field_key'``)."""

    id: int
    type: str
    display_name: str
    created_us: int
    email: str | None = None
    password: str | None = field(default=None, repr=False)
    token: str | None = field(default=None, repr=False)
    project_id: int | None = None
    last_login_us: int | None = None

    @property
    def created_at(self) -> datetime:
        return from_us(self.created_us)

    def api(self) -> dict[str, Any]:
        """The actor JSON Central nests as ``submitter``/``createdBy``."""
        return {
            "id": self.id,
            "type": self.type,
            "displayName": self.display_name,
            "createdAt": iso_ms(self.created_us),
            "updatedAt": None,
            "deletedAt": None,
        }


@dataclass(eq=False)
class Session:
    token: str
    csrf: str
    actor: Actor
    created_us: int
    expires_us: int
    ended: bool = False


@dataclass(eq=False)
class Project:
    id: int
    name: str
    created_us: int
    description: str | None = None
    forms: dict[str, Form] = field(default_factory=dict)
    app_users: list[Actor] = field(default_factory=list)
    datasets: dict[str, Dataset] = field(default_factory=dict)
    actee_id: str = field(default_factory=lambda: str(uuid.uuid4()))


@dataclass(eq=False)
class FormVersion:
    xform: XForm
    published_us: int
    published_by: Actor | None
    def_id: int
    attachments: dict[str, Attachment] = field(default_factory=dict)

    @property
    def version(self) -> str:
        return self.xform.version


class Form:
    """A form with its published versions, union schema and submissions (ordered by createdAt, id)."""

    def __init__(
        self, project: Project, xform: XForm, created_us: int, by: Actor | None, lock: threading.RLock
    ) -> None:
        self.project = project
        self.lock = lock
        self.xml_form_id = xform.xml_form_id
        self.created_us = created_us
        self.updated_us: int | None = None
        self.created_by = by
        self.state = "open"
        self.versions: list[FormVersion] = []
        self.schema = Schema(())
        self.schema_gen = 0
        self.subs: list[Submission] = []
        self.by_iid: dict[str, Submission] = {}
        self.version_ids: set[str] = set()
        self.draft: FormDraft | None = None
        #: form role assignments (role id, actor id), e.g. app users allowed to download the form
        self.assignments: set[tuple[int, int]] = set()

    @property
    def current(self) -> FormVersion:
        return self.versions[-1]

    @property
    def name(self) -> str | None:
        return (self.current if self.versions else self.draft).xform.title  # type: ignore[union-attr]

    @property
    def published(self) -> bool:
        return bool(self.versions)

    def version(self, version: str) -> FormVersion | None:
        return next((v for v in self.versions if v.version == version), None)

    def newest_first(self) -> Iterator[Submission]:
        return reversed(self.subs)


class SubVersion:
    """One version (def) of a submission."""

    __slots__ = (
        "created_us",
        "deprecated_id",
        "device_id",
        "form_version",
        "instance_id",
        "instance_name",
        "rendered",
        "submitter",
        "user_agent",
    )

    def __init__(
        self,
        instance_id: str,
        created_us: int,
        submitter: Actor,
        device_id: str | None,
        user_agent: str | None,
        form_version: str,
        instance_name: str | None,
        deprecated_id: str | None,
        rendered: Rendered,
    ) -> None:
        self.instance_id = instance_id
        self.created_us = created_us
        self.submitter = submitter
        self.device_id = device_id
        self.user_agent = user_agent
        self.form_version = form_version
        self.instance_name = instance_name
        self.deprecated_id = deprecated_id
        self.rendered = rendered

    def api(self, extended: bool) -> dict[str, Any]:
        out: dict[str, Any] = {
            "submitterId": self.submitter.id,
            "createdAt": iso_ms(self.created_us),
            "instanceName": self.instance_name,
            "instanceId": self.instance_id,
            "current": True,
            "deviceId": self.device_id,
            "userAgent": self.user_agent,
        }
        if extended:
            out["submitter"] = self.submitter.api()
        return out


class Submission:
    """A logical submission: the oracle view (properties) plus what the server needs (texts, ordering key)."""

    __slots__ = (
        "_system",
        "attachments_present",
        "created_us",
        "deleted_us",
        "device_id",
        "form",
        "id",
        "iid_json",
        "instance_id",
        "key",
        "review_state",
        "seq",
        "submitter",
        "updated_us",
        "user_agent",
        "versions",
    )

    def __init__(
        self,
        sub_id: int,
        form: Form,
        instance_id: str,
        created_us: int,
        submitter: Actor,
        device_id: str | None,
        user_agent: str | None,
    ) -> None:
        self.id = sub_id
        self.form = form
        self.instance_id = instance_id
        self.iid_json = dumps(instance_id)
        self.created_us = created_us
        self.key = (created_us, sub_id)
        self.submitter = submitter
        self.device_id = device_id
        self.user_agent = user_agent
        self.updated_us: int | None = None
        self.deleted_us: int | None = None
        self.review_state: str | None = None
        self.versions: list[SubVersion] = []
        self.attachments_present = 0
        self.seq = 0
        self._system: str | None = None

    # --- oracle view ---------------------------------------------------------------------------------------
    @property
    def logical_id(self) -> str:
        return self.instance_id

    @property
    def current(self) -> SubVersion:
        return self.versions[-1]

    @property
    def current_instance_id(self) -> str:
        return self.versions[-1].instance_id

    @property
    def edits(self) -> int:
        return len(self.versions) - 1

    @property
    def submission_date(self) -> datetime:
        return from_us(self.created_us)

    @property
    def updated_at(self) -> datetime | None:
        return None if self.updated_us is None else from_us(self.updated_us)

    @property
    def deleted_at(self) -> datetime | None:
        return None if self.deleted_us is None else from_us(self.deleted_us)

    @property
    def deleted(self) -> bool:
        return self.deleted_us is not None

    @property
    def form_version(self) -> str:
        return self.versions[0].form_version

    def rendered(self) -> Rendered:
        """The current version's texts for the form's current union schema (re-rendered if it grew)."""
        return self.form_rendered(self.versions[-1])

    def form_rendered(self, version: SubVersion) -> Rendered:
        form = self.form
        rendered = version.rendered
        if rendered.gen != form.schema_gen:
            data = data_from_tree(form.schema.root, rendered.expanded_tree())
            rendered = render(
                form.schema,
                self.instance_id,
                data,
                version_id=version.instance_id,
                deprecated_id=version.deprecated_id,
            )
            rendered.gen = form.schema_gen
            version.rendered = rendered
        return rendered

    def system(self) -> dict[str, Any]:
        """``__system`` as Central builds it (lib/data/odata.js ``systemObj``), in its key order."""
        cur = self.versions[-1]
        return {
            "submissionDate": iso_ms(self.created_us),
            "updatedAt": iso_ms(self.updated_us),
            "submitterId": str(self.submitter.id),
            "submitterName": self.submitter.display_name or None,
            "attachmentsPresent": self.attachments_present,
            "attachmentsExpected": cur.rendered.attachments_expected,
            "status": None,
            "reviewState": self.review_state,
            "deviceId": self.device_id,
            "edits": len(self.versions) - 1,
            "formVersion": self.versions[0].form_version,
            "deletedAt": iso_ms(self.deleted_us),
        }

    def system_json(self) -> str:
        text = self._system
        if text is None:
            text = self._system = dumps(self.system())
        return text

    def odata(self) -> dict[str, Any]:
        """The OData root row (``$expand=*``) as a dict: what a faithful sync must end up with."""
        with self.form.lock:
            head = self.rendered().expanded_tree()
        head["__id"] = self.instance_id
        head["__system"] = self.system()
        # root-level repeat links/arrays come after __system, as Central puts them
        out: dict[str, Any] = {}
        tails = {}
        for node in self.form.schema.root.children:
            if node.kind == 2:
                for key in (f"{node.out}@odata.navigationLink", node.out):
                    if key in head:
                        tails[key] = head.pop(key)
        out.update(head)
        out.update(tails)
        return out

    def api(self, extended: bool, *, current: bool = True) -> dict[str, Any]:
        """REST ``Submission`` JSON (``GET .../submissions``), extended with submitters when asked."""
        out: dict[str, Any] = {
            "instanceId": self.instance_id,
            "submitterId": self.submitter.id,
            "deviceId": self.device_id,
            "createdAt": iso_ms(self.created_us),
            "updatedAt": iso_ms(self.updated_us),
            "reviewState": self.review_state,
            "userAgent": self.user_agent,
            "deletedAt": iso_ms(self.deleted_us),
        }
        if extended:
            out["submitter"] = self.submitter.api()
        if current:
            out["currentVersion"] = self.versions[-1].api(extended)
        return out

    def touch(self, seq: int) -> None:
        """Record a change the OData ETag must see (create, edit, review, delete, restore)."""
        self.seq = seq
        self._system = None

    def __repr__(self) -> str:
        state = "deleted" if self.deleted_us is not None else (self.review_state or "received")
        return f"Submission({self.instance_id!r}, edits={self.edits}, {state})"


@dataclass(slots=True)
class SubmitItem:
    """One submission for :meth:`CentralStore.submit_many` (same meaning as the ``submit`` arguments)."""

    data: Mapping[str, Any]
    submitter: Actor
    instance_id: str | None = None
    device_id: str | None = None
    at: datetime | None = None
    form_version: str | None = None
    user_agent: str | None = None
    attachments_present: int | None = None


class CentralStore(DraftOps, EntityOps):
    """The state of one simulated Central server.

    :param clock: returns aware UTC datetimes; the default is the real time, made strictly increasing at
        millisecond precision (as Central's ``clock_timestamp()`` effectively is). A fixed clock makes equal
        ``submissionDate``s on purpose.
    :param session_lifetime: lifetime of ``POST /v1/sessions`` tokens (Central: 24 h).
    """

    def __init__(
        self,
        *,
        clock: Callable[[], datetime] | None = None,
        session_lifetime: timedelta = timedelta(hours=24),
    ) -> None:
        self.lock = threading.RLock()
        self._clock = clock
        self._last_us = 0
        self.session_lifetime = session_lifetime
        self._next_actor = 1
        self._next_project = 1
        self._next_submission = 1
        self._next_def = 1
        self._seq = 0
        self.actors: dict[int, Actor] = {}
        self.users_by_email: dict[str, Actor] = {}
        self.app_users_by_token: dict[str, Actor] = {}
        self.projects: dict[int, Project] = {}
        self.sessions: dict[str, Session] = {}

    # --- time ----------------------------------------------------------------------------------------------
    def now_us(self) -> int:
        """The store clock in microseconds since the epoch."""
        with self.lock:
            if self._clock is not None:
                return to_us(self._clock())
            now = time.time_ns() // 1_000_000 * 1000
            if now <= self._last_us:
                now = self._last_us + 1000
            self._last_us = now
            return now

    def now(self) -> datetime:
        return from_us(self.now_us())

    def _at(self, at: datetime | None) -> int:
        return self.now_us() if at is None else to_us(at)

    def _next_seq(self) -> int:
        self._seq += 1
        return self._seq

    # --- actors and projects -------------------------------------------------------------------------------
    def _actor_id(self, actor_id: int | None) -> int:
        if actor_id is None:
            actor_id = self._next_actor
        if actor_id in self.actors:
            raise problems.uniqueness_violation("id", actor_id)
        self._next_actor = max(self._next_actor, actor_id + 1)
        return actor_id

    def add_user(
        self,
        email: str,
        password: str,
        display_name: str | None = None,
        *,
        actor_id: int | None = None,
        created_at: datetime | None = None,
    ) -> Actor:
        """Add a web user (a site administrator: it may do everything the API offers)."""
        with self.lock:
            if email in self.users_by_email:
                raise problems.uniqueness_violation(["email", "deleted"], [email, "false"])
            actor = Actor(
                self._actor_id(actor_id), "user", display_name or email, self._at(created_at), email, password
            )
            self.actors[actor.id] = actor
            self.users_by_email[email] = actor
            return actor

    def add_project(
        self,
        name: str,
        *,
        project_id: int | None = None,
        created_at: datetime | None = None,
        description: str | None = None,
    ) -> Project:
        with self.lock:
            pid = self._next_project if project_id is None else project_id
            if pid in self.projects:
                raise problems.uniqueness_violation("id", pid)
            self._next_project = max(self._next_project, pid + 1)
            project = Project(pid, name, self._at(created_at), description)
            self.projects[pid] = project
            return project

    def add_app_user(
        self,
        project_id: int,
        display_name: str,
        *,
        actor_id: int | None = None,
        created_at: datetime | None = None,
        token: str | None = None,
    ) -> Actor:
        """Add an app user (Collect credential); its ``token`` opens ``/v1/key/{token}/...``."""
        with self.lock:
            project = self.project(project_id)
            actor = Actor(
                self._actor_id(actor_id),
                "field_key",
                display_name,
                self._at(created_at),
                token=token or new_token(),
                project_id=project.id,
            )
            self.actors[actor.id] = actor
            self.app_users_by_token[actor.token] = actor  # type: ignore[index]
            project.app_users.append(actor)
            return actor

    def delete_app_user(self, project_id: int, actor_id: int) -> Actor:
        """Revoke an app user (Central soft-deletes the actor and ends its session: the token stops working)."""
        with self.lock:
            project = self.project(project_id)
            actor = next((a for a in project.app_users if a.id == actor_id), None)
            if actor is None:
                raise problems.not_found()
            project.app_users.remove(actor)
            self.app_users_by_token.pop(actor.token or "", None)
            for form in project.forms.values():
                form.assignments = {(r, a) for r, a in form.assignments if a != actor_id}
            return actor

    def project(self, project_id: int) -> Project:
        try:
            return self.projects[int(project_id)]
        except (KeyError, ValueError):
            raise problems.not_found() from None

    def form(self, project_id: int, form_id: str) -> Form:
        """A published form (404 when unknown or only a draft)."""
        form = self.project(project_id).forms.get(form_id)
        if form is None or not form.versions:
            raise problems.not_found()
        return form

    def any_form(self, project_id: int, form_id: str) -> Form:
        """A form that is published or only has a draft (404 when unknown)."""
        form = self.project(project_id).forms.get(form_id)
        if form is None or (not form.versions and form.draft is None):
            raise problems.not_found()
        return form

    def user(self, email: str) -> Actor | None:
        return self.users_by_email.get(email)

    # --- sessions ------------------------------------------------------------------------------------------
    def create_session(self, email: str, password: str) -> Session:
        """Log a web user in (``POST /v1/sessions``); wrong credentials -> 401.2."""
        with self.lock:
            actor = self.users_by_email.get(email)
            if actor is None or actor.password != password:
                raise problems.authentication_failed()
            created = self.now_us()
            session = Session(
                new_token(),
                new_token(),
                actor,
                created,
                created + int(self.session_lifetime.total_seconds() * 1e6),
            )
            self.sessions[session.token] = session
            actor.last_login_us = self.now_us()
            return session

    def session(self, token: str) -> Session | None:
        """The live session of a bearer token, or None when unknown, logged out or expired."""
        session = self.sessions.get(token)
        if session is None or session.ended or session.expires_us <= self.now_us():
            return None
        return session

    def end_session(self, token: str) -> None:
        with self.lock:
            if (session := self.sessions.get(token)) is not None:
                session.ended = True

    def expire_session(self, token: str) -> bool:
        """Force a token to be expired (as if ``expiresAt`` passed); True if it existed."""
        with self.lock:
            session = self.sessions.get(token)
            if session is None:
                return False
            session.expires_us = min(session.expires_us, self.now_us() - 1)
            return True

    def expire_all_sessions(self) -> None:
        with self.lock:
            for token in list(self.sessions):
                self.expire_session(token)

    # --- forms ---------------------------------------------------------------------------------------------
    def publish_form(
        self, project_id: int, xform_xml: str, *, at: datetime | None = None, by: Actor | None = None
    ) -> Form:
        """Publish an XForm; the same form id with a new version adds a version, the same version again is
        Central's 409.6. Datasets the form declares are created (published) with its properties, and its
        attachments named after a dataset are linked to it (lib/model/query/forms.js ``publish``)."""
        xform = parse_xform(xform_xml)
        with self.lock:
            project = self.project(project_id)
            when = self._at(at)
            by = by or self.default_user()
            form = project.forms.get(xform.xml_form_id)
            if form is None:
                form = Form(project, xform, when, by, self.lock)
                project.forms[form.xml_form_id] = form
            elif form.version(xform.version) is not None:
                raise problems.version_uniqueness(xform.xml_form_id, xform.version)
            else:
                form.updated_us = when + 1000
            previous = (
                form.versions[-1].attachments
                if form.versions
                else (form.draft.attachments if form.draft else {})
            )
            attachments = new_attachments(xform, previous, project.datasets)
            self._append_version(form, xform, when, by, attachments)
            return form

    def _new_form(self, project: Project, xform: XForm, when: int, by: Actor | None) -> Form:
        form = Form(project, xform, when, by, self.lock)
        project.forms[form.xml_form_id] = form
        return form

    def default_user(self) -> Actor | None:
        """The first web user (who publishes when nobody is named)."""
        return next((a for a in self.actors.values() if a.type == "user"), None)

    def _append_version(
        self, form: Form, xform: XForm, when: int, by: Actor | None, attachments: dict[str, Attachment]
    ) -> FormVersion:
        version = FormVersion(xform, when, by, self._next_def, attachments)
        self._next_def += 1
        form.versions.append(version)
        union = merged_fields([v.xform.fields for v in form.versions])
        if union != form.schema.fields:
            form.schema = Schema(union)
            form.schema_gen += 1
        self._publish_datasets(form, version, when)
        return version

    # --- submissions ---------------------------------------------------------------------------------------
    def _new_submission(
        self,
        form: Form,
        data: Mapping[str, Any],
        *,
        instance_id: str | None,
        submitter: Actor,
        device_id: str | None,
        created_us: int,
        form_version: str | None,
        user_agent: str | None,
        attachments_present: int | None,
    ) -> Submission:
        if submitter is None:
            raise ValueError("submit needs a submitter (an Actor from add_user/add_app_user)")
        if instance_id is None:
            meta = data.get("meta") if isinstance(data, Mapping) else None
            given = meta.get("instanceID") if isinstance(meta, Mapping) else None
            instance_id = given or f"uuid:{uuid.uuid4()}"
        if instance_id in form.by_iid or instance_id in form.version_ids:
            raise problems.uniqueness_violation(
                ["formId", "instanceId"], [str(form.xml_form_id), instance_id]
            )
        version = form.current if form_version is None else form.version(form_version)
        if version is None:
            raise problems.form_version_not_found(form_version or "")
        sub = Submission(
            self._next_submission, form, instance_id, created_us, submitter, device_id, user_agent
        )
        self._next_submission += 1
        rendered = render(form.schema, instance_id, data)
        rendered.gen = form.schema_gen
        sub.versions.append(
            SubVersion(
                instance_id,
                created_us,
                submitter,
                device_id,
                user_agent,
                version.version,
                _instance_name(data),
                None,
                rendered,
            )
        )
        expected = rendered.attachments_expected
        sub.attachments_present = (
            expected if attachments_present is None else min(attachments_present, expected)
        )
        sub.touch(self._next_seq())
        form.by_iid[instance_id] = sub
        form.version_ids.add(instance_id)
        return sub

    def submit(
        self,
        project_id: int,
        form_id: str,
        data: Mapping[str, Any],
        *,
        instance_id: str | None = None,
        submitter: Actor,
        device_id: str | None = None,
        at: datetime | None = None,
        form_version: str | None = None,
        user_agent: str | None = None,
        attachments_present: int | None = None,
    ) -> Submission:
        """Create a submission (Central's ``submission.create``).

        :param data: the instance as a nested dict keyed by field name (groups dicts, repeats lists of dicts,
            leaves values or their XML text, e.g. geopoint ``"lat lon alt acc"``, select_multiple ``"a b"``).
        :param instance_id: its instanceID (default: ``data['meta']['instanceID']`` or a new ``uuid:``).
        :param at: ``submissionDate`` (default: the store clock).
        :param form_version: a published version (default: the current one); unknown -> 404.6.
        :param attachments_present: binary files received (default: all expected ones).
        """
        with self.lock:
            form = self.form(project_id, form_id)
            sub = self._new_submission(
                form,
                data,
                instance_id=instance_id,
                submitter=submitter,
                device_id=device_id,
                created_us=self._at(at),
                form_version=form_version,
                user_agent=user_agent,
                attachments_present=attachments_present,
            )
            subs = form.subs
            if not subs or subs[-1].key < sub.key:
                subs.append(sub)
            else:
                bisect.insort(subs, sub, key=_key)
            return sub

    def submit_many(self, project_id: int, form_id: str, items: Iterable[SubmitItem]) -> None:
        """Bulk :meth:`submit` (one lock, one sort): the path the synthetic data generator uses.

        The cyclic garbage collector is paused meanwhile: the renderer allocates many short-lived dicts and
        each collection would walk every object already in the store (it halves the time of a 250,000-row seed).
        """
        paused = gc.isenabled()
        if paused:
            gc.disable()
        try:
            self._submit_many(project_id, form_id, items)
        finally:
            if paused:
                gc.enable()

    def _submit_many(self, project_id: int, form_id: str, items: Iterable[SubmitItem]) -> None:
        with self.lock:
            form = self.form(project_id, form_id)
            subs = form.subs
            ordered = True
            last = subs[-1].key if subs else (-(1 << 62), 0)
            for item in items:
                sub = self._new_submission(
                    form,
                    item.data,
                    instance_id=item.instance_id,
                    submitter=item.submitter,
                    device_id=item.device_id,
                    created_us=self._at(item.at),
                    form_version=item.form_version,
                    user_agent=item.user_agent,
                    attachments_present=item.attachments_present,
                )
                if sub.key < last:
                    ordered = False
                last = sub.key
                subs.append(sub)
            if not ordered:
                subs.sort(key=_key)

    def _sub(
        self, project_id: int, form_id: str, logical_id: str, *, deleted: bool | None = False
    ) -> Submission:
        sub = self.form(project_id, form_id).by_iid.get(logical_id)
        if sub is None or (deleted is not None and (sub.deleted_us is not None) != deleted):
            raise problems.not_found()
        return sub

    def edit(
        self,
        project_id: int,
        form_id: str,
        logical_id: str,
        data: Mapping[str, Any],
        *,
        instance_id: str | None = None,
        submitter: Actor,
        at: datetime | None = None,
        device_id: str | None = None,
        user_agent: str | None = None,
        form_version: str | None = None,
    ) -> Submission:
        """Add a version (Central's ``createVersion``): edits+1, ``updatedAt`` = the version's time, review state
        ``edited``, ``submissionDate`` and ``__id`` unchanged, ``meta/instanceID`` = the new instance id."""
        with self.lock:
            sub = self._sub(project_id, form_id, logical_id)
            form = sub.form
            new_id = instance_id or f"uuid:{uuid.uuid4()}"
            if new_id in form.version_ids or new_id in form.by_iid:
                raise problems.uniqueness_violation(["formId", "instanceId"], [str(form.xml_form_id), new_id])
            version = form.current if form_version is None else form.version(form_version)
            if version is None:
                raise problems.form_version_not_found(form_version or "")
            when = self._at(at)
            previous = sub.versions[-1]
            rendered = render(
                form.schema, sub.instance_id, data, version_id=new_id, deprecated_id=previous.instance_id
            )
            rendered.gen = form.schema_gen
            sub.versions.append(
                SubVersion(
                    new_id,
                    when,
                    submitter,
                    device_id,
                    user_agent,
                    version.version,
                    _instance_name(data),
                    previous.instance_id,
                    rendered,
                )
            )
            form.version_ids.add(new_id)
            sub.attachments_present = min(sub.attachments_present, rendered.attachments_expected)
            sub.review_state = "edited"
            sub.updated_us = when
            sub.touch(self._next_seq())
            return sub

    def review(
        self, project_id: int, form_id: str, logical_id: str, state: str | None, *, at: datetime | None = None
    ) -> Submission:
        """Set the review state (approved, hasIssues, rejected, edited, or None = received); sets ``updatedAt``."""
        if state is not None and state not in REVIEW_STATES:
            raise problems.unexpected_value("state", state, "not a recognized state name")
        with self.lock:
            sub = self._sub(project_id, form_id, logical_id)
            sub.review_state = state
            sub.updated_us = self._at(at)
            sub.touch(self._next_seq())
            return sub

    def delete(
        self, project_id: int, form_id: str, logical_id: str, *, at: datetime | None = None
    ) -> Submission:
        """Soft delete: ``deletedAt`` set, ``updatedAt`` untouched; the row leaves the default views."""
        with self.lock:
            sub = self._sub(project_id, form_id, logical_id)
            sub.deleted_us = self._at(at)
            sub.touch(self._next_seq())
            return sub

    def restore(self, project_id: int, form_id: str, logical_id: str) -> Submission:
        """Undo a soft delete; ``updatedAt`` stays as it was (null if never changed)."""
        with self.lock:
            sub = self._sub(project_id, form_id, logical_id, deleted=True)
            sub.deleted_us = None
            sub.touch(self._next_seq())
            return sub

    def purge(self, project_id: int, form_id: str, logical_id: str | None = None) -> int:
        """Remove soft-deleted submissions for good (one, or all of the form); returns how many."""
        with self.lock:
            form = self.form(project_id, form_id)
            if logical_id is not None:
                doomed = [self._sub(project_id, form_id, logical_id, deleted=True)]
            else:
                doomed = [s for s in form.subs if s.deleted_us is not None]
            gone = {id(s) for s in doomed}
            form.subs = [s for s in form.subs if id(s) not in gone]
            for sub in doomed:
                del form.by_iid[sub.instance_id]
                for version in sub.versions:
                    form.version_ids.discard(version.instance_id)
            return len(doomed)

    def attach(self, project_id: int, form_id: str, logical_id: str, count: int = 1) -> Submission:
        """Mark ``count`` more expected attachments as received (no timestamp or ETag moves, as captured)."""
        with self.lock:
            sub = self._sub(project_id, form_id, logical_id)
            expected = sub.versions[-1].rendered.attachments_expected
            sub.attachments_present = min(expected, sub.attachments_present + count)
            sub._system = None
            return sub

    # --- oracle helpers ------------------------------------------------------------------------------------
    def get(self, project_id: int, form_id: str, logical_id: str) -> Submission:
        """The submission with this logical id, deleted or not (404 Problem once purged or unknown)."""
        return self._sub(project_id, form_id, logical_id, deleted=None)

    def live_ids(self, project_id: int, form_id: str) -> list[str]:
        with self.lock:
            return [
                s.instance_id for s in self.form(project_id, form_id).newest_first() if s.deleted_us is None
            ]

    def deleted_ids(self, project_id: int, form_id: str) -> list[str]:
        with self.lock:
            return [
                s.instance_id
                for s in self.form(project_id, form_id).newest_first()
                if s.deleted_us is not None
            ]


def _key(sub: Submission) -> tuple[int, int]:
    return sub.key


def _instance_name(data: Mapping[str, Any]) -> str | None:
    meta = data.get("meta") if isinstance(data, Mapping) else None
    if isinstance(meta, Mapping):
        name = meta.get("instanceName")
        return None if name in (None, "") else str(name)
    return None


def event_digest(subs: Iterable[Submission]) -> str:
    """MD5 over the ids and change counters of the rows a data document covers: the ``eventhash`` ETag.

    The digest changes on create, edit, review, delete and restore, not on comments or attachments, and it
    depends only on the rows selected (captures: page 2 by $skiptoken and by $skip share it)."""
    h = hashlib.md5()
    h.update(",".join(f"{s.id}.{s.seq}" for s in subs).encode("ascii"))
    return h.hexdigest()
