"""HTTP answers for publishing: creating forms, drafts, form attachments, form assignments and app users.

Shapes: captures 0050 (form created and published), 0060 (app user), 0070 (assignment), 1110-1130 (draft,
draft detail, publish). Where nothing was captured they follow the API documentation
(docs.getodk.org/central-api-form-management: "Creating a new Form", "Draft Form", "Listing expected Draft Form
Attachments", "Uploading a Draft Form Attachment" (v2025.1: answers the updated attachment), "Linking a
Dataset to a Draft Form Attachment", "Publishing a Draft Form", "Form Assignments";
central-api-accounts-and-users "App Users": the list carries each ``token``, newest first) and
central-backend ``lib/model/query/field-keys.js`` (list order).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from . import problems
from .app_entities import attachment_csv
from .drafts import Attachment, role_id
from .odata import is_true

if TYPE_CHECKING:
    from .app import Auth, CentralApp, Reply, _Ctx, _Req
    from .store import Actor, Form, Project

_XLS_TYPES = ("spreadsheetml", "ms-excel")


def create_form(app: CentralApp, req: _Req, ctx: _Ctx, auth: Auth, project: Project) -> Reply:
    """``POST /projects/{id}/forms[?publish=true]``: XForm XML only (no XLSForm converter here: 501.3)."""
    app.require_user(auth)
    if any(t in (req.headers.get("Content-Type") or "") for t in _XLS_TYPES):
        raise problems.xlsform_not_configured()
    publish = is_true(req.query.get("publish"))
    form = app.store.create_form(project.id, req.body(), publish=publish, by=auth.actor)
    with app.store.lock:
        version = form.versions[-1] if form.versions else form.draft
        return ctx.json(app.form_json(form, False, version))


def form_routes(
    app: CentralApp, req: _Req, ctx: _Ctx, auth: Auth, project: Project, form: Form, sub: str
) -> Reply | None:
    """Routes below ``/forms/{id}`` about drafts, attachments and assignments; None when not one of them."""
    store = app.store
    method = req.method
    get = method in ("GET", "HEAD")
    pid, fid = project.id, form.xml_form_id
    if sub == "/draft":
        app.require_user(auth)
        if get:
            with store.lock:
                if form.draft is None:
                    raise problems.not_found()
                out = app.form_json(form, req.extended, form.draft)
            out["publishNotes"] = None
            return ctx.json(out)
        if method == "POST":
            store.create_draft(
                pid, fid, req.body() or None, ignore_warnings=is_true(req.query.get("ignoreWarnings")),
                by=auth.actor,
            )  # fmt: skip
            return ctx.json({"success": True})
        if method == "DELETE":
            store.delete_draft(pid, fid)
            return ctx.json({"success": True})
        raise problems.not_found()
    if sub == "/draft.xml" and get:
        app.require_user(auth)
        if form.draft is None:
            raise problems.not_found()
        from .app import XML_TYPE

        return ctx.text(form.draft.xform.xml, XML_TYPE)
    if sub == "/draft/fields" and get:
        app.require_user(auth)
        if form.draft is None:
            raise problems.not_found()
        odata = (req.query.get("odata") or "").lower() == "true"
        return ctx.json([f.api(odata) for f in form.draft.xform.fields])
    if sub == "/draft/publish" and method == "POST":
        app.require_user(auth)
        store.publish_draft(pid, fid, version=req.query.get("version"), by=auth.actor)
        return ctx.json({"success": True})
    m = re.fullmatch(r"/(draft/)?attachments(?:/([^/]+))?", sub)
    if m is not None:
        return _attachments(app, req, ctx, auth, project, form, draft=bool(m.group(1)), name=m.group(2))
    m = re.fullmatch(r"/assignments(?:/([^/]+))?(?:/([^/]+))?", sub)
    if m is not None:
        return _assignments(app, req, ctx, auth, form, m.group(1), m.group(2))
    return None


def _attachments(
    app: CentralApp, req: _Req, ctx: _Ctx, auth: Auth, project: Project, form: Form, *, draft: bool,
    name: str | None,
) -> Reply:  # fmt: skip
    store = app.store
    method = req.method
    get = method in ("GET", "HEAD")
    pid, fid = project.id, form.xml_form_id
    if name is None:
        if not get:
            raise problems.not_found()
        app.require_user(auth)
        definition = form.draft if draft else (form.versions[-1] if form.versions else None)
        if definition is None:
            raise problems.not_found()
        with store.lock:
            return ctx.json([a.api() for a in sorted(definition.attachments.values(), key=lambda a: a.name)])
    name = unquote(name)
    if get:
        # published attachments are what Collect downloads: app users of the project may read them
        if draft:
            app.require_user(auth)
        else:
            app.require_form_read(auth, project)
        definition = form.draft if draft else (form.versions[-1] if form.versions else None)
        attachment = definition.attachments.get(name) if definition is not None else None
        if attachment is None:
            raise problems.not_found()
        return _download(app, ctx, auth, project, attachment)
    app.require_user(auth)
    if not draft:
        raise problems.not_found()
    if method == "POST":
        attachment = store.upload_draft_attachment(pid, fid, name, req.body())
        with store.lock:
            return ctx.json(attachment.api())
    if method == "PATCH":
        body = _body(req)
        if "dataset" not in body:
            raise problems.missing_parameter("dataset")
        store.link_draft_attachment(pid, fid, name, bool(body["dataset"]))
        return ctx.json({"success": True})
    if method == "DELETE":
        store.clear_draft_attachment(pid, fid, name)
        return ctx.json({"success": True})
    raise problems.not_found()


def _download(app: CentralApp, ctx: _Ctx, auth: Auth, project: Project, attachment: Attachment) -> Reply:
    if attachment.dataset is not None:
        dataset = app.store.dataset(project.id, attachment.dataset)
        owner = auth.actor.id if (dataset.owner_only and auth.is_app_user) else None  # type: ignore[union-attr]
        with app.store.lock:
            body = attachment_csv(dataset, owner_id=owner)
        return ctx.attachment(body, "text/csv; charset=utf-8", attachment.name)
    if attachment.blob is None:
        raise problems.not_found()
    kind = "text/csv; charset=utf-8" if attachment.name.endswith(".csv") else "application/octet-stream"
    return ctx.attachment(attachment.blob, kind, attachment.name, etag=f'"{attachment.md5}"')


def _assignments(
    app: CentralApp, req: _Req, ctx: _Ctx, auth: Auth, form: Form, role: str | None, actor: str | None
) -> Reply:
    app.require_user(auth)
    store = app.store
    method = req.method
    pid, fid = form.project.id, form.xml_form_id
    if role is None:
        if method not in ("GET", "HEAD"):
            raise problems.not_found()
        with store.lock:
            rows = sorted(form.assignments, key=lambda ra: (ra[1], ra[0]))
        return ctx.json([{"actorId": a, "roleId": r} for r, a in rows])
    if actor is None:
        if method not in ("GET", "HEAD"):
            raise problems.not_found()
        rid = role_id(role)
        with store.lock:
            actors = [store.actors[a] for r, a in sorted(form.assignments) if r == rid and a in store.actors]
            return ctx.json([a.api() for a in actors])
    if not actor.isdigit():
        raise problems.not_found()
    if method == "POST":
        store.assign_form(pid, fid, role, int(actor))
        return ctx.json({"success": True})
    if method == "DELETE":
        store.unassign_form(pid, fid, role, int(actor))
        return ctx.json({"success": True})
    raise problems.not_found()


def app_users(app: CentralApp, req: _Req, ctx: _Ctx, auth: Auth, project: Project, rest: str) -> Reply:
    """``/projects/{id}/app-users[/{actorId}]``."""
    app.require_user(auth)
    store = app.store
    method = req.method
    get = method in ("GET", "HEAD")
    if rest == "/app-users":
        if get:
            with store.lock:
                users = sorted(project.app_users, key=lambda a: (a.created_us, a.id), reverse=True)
                return ctx.json([field_key_json(a, extended=req.extended, creator=store.default_user())
                                 for a in users])  # fmt: skip
        if method == "POST":
            body = _body(req)
            name = body.get("displayName")
            if not isinstance(name, str) or not name.strip():
                raise problems.missing_parameter("displayName")
            actor = store.add_app_user(project.id, name)
            from .store import new_token

            with store.lock:
                out = field_key_json(actor, extended=False)
            out["csrf"] = new_token()
            out["expiresAt"] = "9999-12-31T23:59:59.000Z"
            return ctx.json(out)
        raise problems.not_found()
    m = re.fullmatch(r"/app-users/(\d+)", rest)
    if m is None:
        raise problems.not_found()
    actor_id = int(m.group(1))
    if get:
        with store.lock:
            actor = next((a for a in project.app_users if a.id == actor_id), None)
            if actor is None:
                raise problems.not_found()
            return ctx.json(field_key_json(actor, extended=req.extended, creator=store.default_user()))
    if method == "DELETE":
        store.delete_app_user(project.id, actor_id)
        return ctx.json({"success": True})
    raise problems.not_found()


def field_key_json(actor: Actor, *, extended: bool, creator: Actor | None = None) -> dict[str, Any]:
    """An app user as the API lists it (capture 0060 without the session's csrf/expiresAt)."""
    out: dict[str, Any] = {"projectId": actor.project_id, **actor.api(), "token": actor.token}
    if extended:
        out["createdBy"] = creator.api() if creator is not None else None
        out["lastUsed"] = None
    return out


def _body(req: _Req) -> dict[str, Any]:
    from .app import _json_body

    body = _json_body(req)
    if not isinstance(body, dict):
        raise problems.missing_parameter("body")
    return body
