"""The WSGI application answering like ODK Central v2026.2 (``/v1/...``) over a :class:`CentralStore`.

Response conventions follow central-backend ``lib/http/endpoint.js`` and the captures' headers: GET/HEAD answer
``Cache-Control: private, no-cache`` and ``Vary: Accept-Encoding, Origin``, other methods ``no-store`` and
``Vary: *``; JSON bodies carry Express's weak ETag (``If-None-Match`` -> 304); OData data documents and the REST
submission list carry ``W/"eventhash:<md5>"`` and are 304 on a match; data documents are streamed (chunked).
Authentication follows ``lib/http/preprocessors.js``: app-user keys in ``/v1/key/{token}/``, Bearer sessions,
HTTP Basic only over HTTPS (or ``X-Forwarded-Proto: https``).
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from html import escape
from typing import Any
from urllib.parse import quote, unquote

from werkzeug.wrappers import Request

from . import app_entities, app_forms, problems
from .edmx import metadata_xml, service_document
from .odata import TableQuery, check_query_params, parse_query, single_record
from .problems import InternalError, Problem
from .render import SubmissionXml
from .store import Actor, CentralStore, Form, Project, event_digest
from .textfmt import dumps, express_etag, iso_ms

log = logging.getLogger(__name__)

JSON_TYPE = "application/json; charset=utf-8"
XML_TYPE = "application/xml; charset=utf-8"
ODATA_SERVICE_TYPE = "application/json; charset=utf-8; odata.metadata=minimal"

#: the verbs of a site administrator, in the order GET /users/current (extended) lists them
USER_VERBS = [
    "public_link.read", "audit.read", "role.update", "form.restore", "entity.list", "user.list", "dataset.create",
    "submission.create", "assignment.list", "project.create", "public_link.delete", "form.read", "dataset.delete",
    "user.create", "project.delete", "project.update", "actor_property.update", "user.password.invalidate",
    "submission.read", "field_key.create", "form.create", "form.delete", "form.update", "backup.run",
    "dataset.read", "session.end", "assignment.create", "form.list", "user.read", "submission.update",
    "role.create", "user.update", "role.delete", "config.read", "entity.restore", "config.set",
    "public_link.list", "field_key.update", "entity.delete", "user.delete", "submission.list",
    "submission.delete", "submission.restore", "project.read", "entity.read", "dataset.list", "dataset.update",
    "entity.create", "field_key.list", "field_key.delete", "public_link.update", "actor_property.list",
    "public_link.create", "entity.update", "assignment.delete", "analytics.read",
]  # fmt: skip
PROJECT_VERBS = sorted(USER_VERBS)

_TOKEN_FORMAT = re.compile(r"^[a-z0-9!$]{64}$", re.IGNORECASE)
_ODATA_PATH = re.compile(r"^/projects/([^/]+)/forms/([^/]+?)\.svc(/.*)?$")
_DATASET_ODATA_PATH = re.compile(r"^/projects/([^/]+)/datasets/([^/]+?)\.svc(/.*)?$")
_SINGLE = re.compile(r"^/Submissions\(([^)]*)\)(/.*)?$")


@dataclass
class Reply:
    """A response before transport: status, headers and a body (bytes, or chunks to stream)."""

    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes | Iterable[bytes] = b""


@dataclass
class Auth:
    actor: Actor | None = None
    session_token: str | None = None

    @property
    def is_user(self) -> bool:
        return self.actor is not None and self.actor.type == "user"

    @property
    def is_app_user(self) -> bool:
        return self.actor is not None and self.actor.type == "field_key"


class _Req:
    """The request facts the handlers need (raw path kept: OData keys are percent-encoded)."""

    def __init__(self, environ: dict[str, Any]) -> None:
        self.wz = Request(environ)
        self.method = environ["REQUEST_METHOD"].upper()
        raw = environ.get("REQUEST_URI") or environ.get("RAW_URI")
        if not raw:
            raw = environ.get("PATH_INFO", "")
            if environ.get("QUERY_STRING"):
                raw += "?" + environ["QUERY_STRING"]
        self.original_url = raw
        self.raw_path, _, self.query_string = raw.partition("?")
        self.query = parse_query(self.query_string)
        self.headers = self.wz.headers
        self.secure = (
            environ.get("wsgi.url_scheme") == "https" or self.headers.get("X-Forwarded-Proto") == "https"
        )

    @property
    def extended(self) -> bool:
        return (self.headers.get("X-Extended-Metadata") or "").lower() == "true"

    def body(self) -> bytes:
        return self.wz.get_data(cache=True)


class CentralApp:
    """WSGI callable. ``domain`` is what nextLink/@odata.context start with (Central's ``env.domain``)."""

    def __init__(self, store: CentralStore, domain: str = "") -> None:
        self.store = store
        self.domain = domain

    # --- WSGI ----------------------------------------------------------------------------------------------
    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        reply = self.handle(environ)
        start_response(f"{reply.status} {_REASONS.get(reply.status, 'Status')}", reply.headers)
        if isinstance(reply.body, bytes):
            return [reply.body]
        return reply.body

    def handle(self, environ: dict[str, Any]) -> Reply:
        req = _Req(environ)
        ctx = _Ctx(req)
        try:
            reply = self.dispatch(req, ctx)
        except Problem as problem:
            reply = ctx.problem(problem)
        except InternalError as exc:
            log.info("simulated internal error on %s: %s", req.raw_path, exc)
            reply = ctx.json({"message": "Internal Server Error"}, status=500)
        except Exception:
            log.exception("unexpected error serving %s %s", req.method, req.original_url)
            reply = ctx.json({"message": "Internal Server Error"}, status=500)
        if req.method == "HEAD":
            reply.body = b""
        return reply

    # --- routing -------------------------------------------------------------------------------------------
    def dispatch(self, req: _Req, ctx: _Ctx) -> Reply:
        path = req.raw_path
        if not path.startswith("/v1/") and path != "/v1":
            raise Problem(404.2, "Expected an API version (eg /v1) at the start of the request URL.")
        path = path[3:]
        key = None
        m = re.match(r"^/key/([^/]+)(/.*)$", path)
        if m:
            key, path = unquote(m.group(1)), m.group(2)
        dataset_odata = _DATASET_ODATA_PATH.match(path)
        if dataset_odata is not None and req.method in ("GET", "HEAD"):
            ctx.odata = True
            ctx.xml_errors = (dataset_odata.group(3) or "") == "/$metadata"
            app_entities.check_params(req.query)
            auth = self.authenticate(req, key)
            return app_entities.odata(self, req, ctx, auth, dataset_odata)
        odata = _ODATA_PATH.match(path)
        if odata is not None and req.method in ("GET", "HEAD"):
            ctx.odata = True
            check_query_params(req.query)
            fmt = req.query.get("$format")
            accept = fmt if fmt else req.headers.get("Accept") or ""
            wants_xml = ctx.xml_errors = (odata.group(3) or "") == "/$metadata"
            if wants_xml and _is_json_type(accept):
                raise problems.unacceptable_format(["application/xml", "atom"], accept)
            if not wants_xml and _is_xml_type(accept):
                raise problems.unacceptable_format(["application/json", "json"], accept)
            max_version = req.headers.get("OData-MaxVersion")
            if max_version is not None and _float(max_version) < 4.0:
                raise problems.not_found()
        auth = self.authenticate(req, key)
        if odata is not None and req.method in ("GET", "HEAD"):
            return self.odata(req, ctx, auth, odata)
        return self.rest(req, ctx, auth, path)

    def authenticate(self, req: _Req, key: str | None) -> Auth:
        store = self.store
        if key is not None:
            if not _TOKEN_FORMAT.match(key):
                raise problems.authentication_failed()
            actor = store.app_users_by_token.get(key)
            if actor is None:
                raise problems.insufficient_rights()
            return Auth(actor)
        header = req.headers.get("Authorization")
        if not header:
            return Auth()
        if header.startswith("Bearer "):
            token = header[7:]
            session = store.session(token)
            if session is None:
                raise problems.authentication_failed()
            return Auth(session.actor, token)
        if header.startswith("Basic "):
            if not req.secure:
                raise problems.https_only()
            try:
                plain = base64.b64decode(header[6:], validate=False).decode("utf-8")
            except (binascii.Error, UnicodeDecodeError):
                raise problems.authentication_failed() from None
            m = re.match(r"^([^:]+):(.+)$", plain, re.DOTALL)
            if m is None:
                raise problems.authentication_failed()
            user = store.user(m.group(1))
            if user is None or user.password != m.group(2):
                raise problems.authentication_failed()
            return Auth(user)
        raise problems.authentication_failed()

    # --- OData ---------------------------------------------------------------------------------------------
    def odata(self, req: _Req, ctx: _Ctx, auth: Auth, m: re.Match[str]) -> Reply:
        if auth.actor is None:
            raise problems.https_only()  # OData clients are asked for Basic credentials (capture 1470)
        form = self.store.form(_pid(m.group(1)), unquote(m.group(2)))
        if not auth.is_user:
            raise problems.insufficient_rights()
        rest = m.group(3) or ""
        schema = form.schema
        if rest in ("", "/"):
            service_path = req.raw_path
            return ctx.json(
                service_document(schema, self.domain, service_path), content_type=ODATA_SERVICE_TYPE
            )
        if rest == "/$metadata":
            return ctx.text(metadata_xml(form.xml_form_id, schema), XML_TYPE)
        single = _SINGLE.match(rest)
        if single is not None:
            subpath = f"/Submissions({single.group(1)})" + (single.group(2) or "")
            text = single_record(
                self.store, form, subpath, single.group(1), req.query, self.domain, req.original_url
            )
            return ctx.text(text, JSON_TYPE)
        table = unquote(rest[1:])
        if "/" in table or not table.startswith("Submissions"):
            raise problems.not_found()
        query = TableQuery(self.store, form, table, req.query)
        result = query.run(
            domain=self.domain,
            original_url=req.original_url,
            if_none_match=req.headers.get("If-None-Match"),
            on_digest=ctx.set_eventhash,
        )
        if result.chunks is None:
            return ctx.not_modified()
        return ctx.stream(result.chunks)

    # --- REST ----------------------------------------------------------------------------------------------
    def rest(self, req: _Req, ctx: _Ctx, auth: Auth, path: str) -> Reply:
        method = req.method
        store = self.store
        get = method in ("GET", "HEAD")
        if path == "/sessions" and method == "POST":
            return self.login(req, ctx)
        if re.fullmatch(r"/sessions/[^/]+", path) and method == "DELETE":
            token = unquote(path.rsplit("/", 1)[1])
            if token == "current":
                if auth.session_token is None:
                    raise problems.insufficient_rights() if auth.actor is None else problems.not_found()
                token = auth.session_token
            elif not auth.is_user:
                raise problems.insufficient_rights()
            if token not in store.sessions:
                raise problems.not_found()
            store.end_session(token)
            return ctx.json({"success": True})
        if path == "/users/current" and get:
            if auth.actor is None:
                raise problems.not_found()
            return ctx.json(self.user_json(auth.actor, req.extended))
        if path == "/projects" and get:
            if auth.actor is None:
                return ctx.json([])
            if not auth.is_user:
                raise problems.insufficient_rights()
            with store.lock:
                body = [
                    self.project_json(p, req) for p in sorted(store.projects.values(), key=lambda p: p.name)
                ]
            return ctx.json(body)
        if path == "/projects" and method == "POST":
            self.require_user(auth)
            body = _json_body(req)
            name = body.get("name") if isinstance(body, dict) else None
            if not isinstance(name, str) or not name:
                raise problems.missing_parameter("name")
            project = store.add_project(name, description=body.get("description"))
            # capture 0040: the new project as stored, with its actee id
            return ctx.json(
                {"id": project.id, "name": project.name, "acteeId": project.actee_id,
                 "createdAt": iso_ms(project.created_us), "updatedAt": None, "deletedAt": None, "archived": None,
                 "keyId": None, "description": project.description}
            )  # fmt: skip
        m = re.fullmatch(r"/projects/([^/]+)(/.*)?", path)
        if m is None:
            raise problems.not_found()
        project = store.project(_pid(m.group(1)))
        rest = m.group(2) or ""
        if rest == "" and get:
            self.require_user(auth)
            with store.lock:
                return ctx.json(self.project_json(project, req))
        if rest == "/forms" and get:
            self.require_user(auth)
            with store.lock:
                forms = sorted(project.forms.values(), key=lambda f: f.name or f.xml_form_id)
                # forms that only have a draft are listed too (API docs "List all Forms", since v1.2)
                return ctx.json(
                    [self.form_json(f, req.extended, None if f.versions else f.draft) for f in forms
                     if f.versions or f.draft is not None]
                )  # fmt: skip
        if rest == "/forms" and method == "POST":
            return app_forms.create_form(self, req, ctx, auth, project)
        if rest == "/app-users" or rest.startswith("/app-users/"):
            return app_forms.app_users(self, req, ctx, auth, project, rest)
        if rest == "/datasets" or rest.startswith("/datasets/"):
            return app_entities.datasets(self, req, ctx, auth, project, rest)
        m = re.fullmatch(r"/forms/([^/]+)(/.*)?", rest)
        if m is None:
            raise problems.not_found()
        form_part, sub_path = unquote(m.group(1)), m.group(2) or ""
        if form_part.endswith(".xml") and sub_path == "" and get and form_part[:-4] in project.forms:
            form = store.form(project.id, form_part[:-4])
            self.require_form_read(auth, project)
            return ctx.text(form.current.xform.xml, XML_TYPE)
        form = store.any_form(project.id, form_part)
        handled = app_forms.form_routes(self, req, ctx, auth, project, form, sub_path)
        if handled is not None:
            return handled
        if not form.versions:
            if sub_path == "" and get:  # a form that only has a draft
                self.require_form_read(auth, project)
                with store.lock:
                    out = self.form_json(form, req.extended, form.draft)
                out["publishNotes"] = None
                return ctx.json(out)
            raise problems.not_found()
        return self.form_routes(req, ctx, auth, project, form, sub_path)

    def form_routes(self, req: _Req, ctx: _Ctx, auth: Auth, project: Project, form: Form, sub: str) -> Reply:
        store = self.store
        method = req.method
        get = method in ("GET", "HEAD")
        if sub == "" and get:
            self.require_form_read(auth, project)
            with store.lock:
                out = self.form_json(form, req.extended)
            out["publishNotes"] = None
            return ctx.json(out)
        if sub == "/versions" and get:
            self.require_form_read(auth, project)
            with store.lock:
                return ctx.json([self.version_json(form, v, req.extended) for v in reversed(form.versions)])
        if sub == "/fields" and get:
            self.require_form_read(auth, project)
            odata = (req.query.get("odata") or "").lower() == "true"
            return ctx.json([f.api(odata) for f in form.current.xform.fields])
        if not sub.startswith("/submissions"):
            raise problems.not_found()
        self.require_user(auth)
        rest = sub[len("/submissions") :]
        if rest == "" and get:
            return self.submission_list(req, ctx, form)
        if rest == "" and method == "POST":
            return self.create_submission(req, ctx, auth, form)
        if rest == "/keys" and get:
            return ctx.json([])
        if rest == "/submitters" and get:
            with store.lock:
                actors = {s.submitter.id: s.submitter for s in form.subs if s.deleted_us is None}
            return ctx.json([a.api() for a in sorted(actors.values(), key=lambda a: a.display_name)])
        m = re.fullmatch(r"/([^/]+)(/restore)?", rest)
        if m is None:
            raise problems.not_found()
        instance_id = unquote(m.group(1))
        pid, fid = project.id, form.xml_form_id
        if m.group(2):
            if method != "POST":
                raise problems.not_found()
            store.restore(pid, fid, instance_id)
            return ctx.json({"success": True})
        if get:
            with store.lock:
                found = store._sub(pid, fid, instance_id)
                return ctx.json(found.api(req.extended))
        if method == "PATCH":
            body = _json_body(req)
            if isinstance(body, dict) and "reviewState" in body:
                found = store.review(pid, fid, instance_id, body["reviewState"])
            else:
                found = store._sub(pid, fid, instance_id)
            with store.lock:
                out = found.api(False, current=False)
            del out["userAgent"]
            return ctx.json(out)
        if method == "DELETE":
            store.delete(pid, fid, instance_id)
            return ctx.json({"success": True})
        if method == "PUT":
            return self.edit_submission(req, ctx, auth, form, instance_id)
        raise problems.not_found()

    # --- handlers ------------------------------------------------------------------------------------------
    def login(self, req: _Req, ctx: _Ctx) -> Reply:
        body = _json_body(req)
        if (
            not isinstance(body, dict)
            or not isinstance(body.get("email"), str)
            or not isinstance(body.get("password"), str)
        ):
            raise problems.missing_parameters(["email", "password"], body if isinstance(body, dict) else {})
        session = self.store.create_session(body["email"], body["password"])
        return ctx.json(
            {
                "token": session.token,
                "csrf": session.csrf,
                "expiresAt": iso_ms(session.expires_us),
                "createdAt": iso_ms(session.created_us),
            }
        )

    def submission_list(self, req: _Req, ctx: _Ctx, form: Form) -> Reply:
        deleted = (req.query.get("deleted") or "").lower() == "true"
        with self.store.lock:
            rows = [s for s in form.newest_first() if (s.deleted_us is not None) == deleted]
            offset = _int_param(req.query.get("offset"), "offset") or 0
            limit = _int_param(req.query.get("limit"), "limit")
            page = rows[offset : None if limit is None else offset + limit]
            digest = event_digest(page)
            ctx.set_eventhash(digest)
            inm = req.headers.get("If-None-Match")
            if inm is not None and digest in inm:
                return ctx.not_modified()
            body = [s.api(req.extended) for s in page]
        reply = ctx.json(body)
        reply.headers.append(("X-Total-Count", str(len(rows))))
        return reply

    def _parse_xml(self, req: _Req, form: Form) -> SubmissionXml:
        try:
            parsed = SubmissionXml(req.body(), form.schema)
        except Exception:
            raise Problem(
                400.1,
                f"Could not parse the given data ({len(req.body())} chars) as xml.",
                {"format": "xml", "rawLength": len(req.body())},
            ) from None
        if parsed.xml_form_id != form.xml_form_id:
            raise problems.unexpected_value(
                "form id", parsed.xml_form_id, "did not match the form ID in the URL"
            )
        if form.version(parsed.version) is None:
            raise problems.form_version_not_found(parsed.version)
        return parsed

    def create_submission(self, req: _Req, ctx: _Ctx, auth: Auth, form: Form) -> Reply:
        parsed = self._parse_xml(req, form)
        sub = self.store.submit(
            form.project.id,
            form.xml_form_id,
            parsed.data,
            instance_id=parsed.instance_id,
            submitter=auth.actor,  # type: ignore[arg-type]
            device_id=req.query.get("deviceID") or None,
            form_version=parsed.version,
            user_agent=req.headers.get("User-Agent"),
        )
        with self.store.lock:
            out = sub.api(False)
            for key in ("reviewState", "deletedAt"):
                out.pop(key)
        return ctx.json(out)

    def edit_submission(self, req: _Req, ctx: _Ctx, auth: Auth, form: Form, instance_id: str) -> Reply:
        parsed = self._parse_xml(req, form)
        if parsed.deprecated_id is None:
            raise problems.expected_deprecation()
        store = self.store
        with store.lock:
            current = store._sub(form.project.id, form.xml_form_id, instance_id)
            if current.current_instance_id != parsed.deprecated_id:
                raise problems.deprecating_old_submission(parsed.deprecated_id)
            sub = store.edit(
                form.project.id,
                form.xml_form_id,
                instance_id,
                parsed.data,
                instance_id=parsed.instance_id,
                submitter=auth.actor,  # type: ignore[arg-type]
                device_id=req.query.get("deviceID") or None,
                user_agent=req.headers.get("User-Agent"),
                form_version=parsed.version,
            )
            return ctx.json(sub.api(False))

    # --- JSON shapes ---------------------------------------------------------------------------------------
    def require_user(self, auth: Auth) -> None:
        if not auth.is_user:
            raise problems.insufficient_rights()

    def require_form_read(self, auth: Auth, project: Project) -> None:
        if auth.is_user:
            return
        if auth.is_app_user and auth.actor.project_id == project.id:  # type: ignore[union-attr]
            return
        raise problems.insufficient_rights()

    def user_json(self, actor: Actor, extended: bool) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if extended:
            out["verbs"] = list(USER_VERBS)
            out["preferences"] = {"site": {}, "projects": {}}
        if actor.type == "user":
            out["email"] = actor.email
            out["lastLoginAt"] = iso_ms(actor.last_login_us)
        out.update(actor.api())
        return out

    def project_json(self, project: Project, req: _Req) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": project.id,
            "name": project.name,
            "description": project.description,
            "archived": None,
            "keyId": None,
            "createdAt": iso_ms(project.created_us),
            "updatedAt": None,
            "deletedAt": None,
            "verbs": list(PROJECT_VERBS),
        }
        forms = [f for f in project.forms.values() if f.versions]
        datasets = sum(1 for d in project.datasets.values() if d.published)
        live = [s for f in forms for s in f.subs if s.deleted_us is None]
        last = iso_ms(max((s.created_us for s in live), default=None))
        with_forms = (req.query.get("forms") or "").lower() == "true"
        if with_forms:
            out["formList"] = [
                self.form_json(f, True) for f in sorted(forms, key=lambda f: f.name or f.xml_form_id)
            ]
        if req.extended:
            out.update({"forms": len(forms), "appUsers": len(project.app_users), "datasets": datasets,
                        "lastSubmission": last, "lastEntity": None})  # fmt: skip
        elif with_forms:
            out.update({"forms": len(forms), "lastSubmission": last})
        return out

    def form_json(self, form: Form, extended: bool, version: Any = None) -> dict[str, Any]:
        """Form JSON for its current version, or for ``version`` (a published version or the draft)."""
        v = version or form.current
        xf = v.xform
        is_draft = v is form.draft
        out: dict[str, Any] = {
            "projectId": form.project.id,
            "xmlFormId": form.xml_form_id,
            "state": form.state,
            "enketoId": None,
            "enketoOnceId": None,
            "createdAt": iso_ms(form.created_us),
            "updatedAt": iso_ms(form.updated_us),
            "webformsEnabled": True,
            "keyId": None,
            "version": xf.version,
            "hash": xf.md5,
            "sha": xf.sha1,
            "sha256": xf.sha256,
            "draftToken": v.token if is_draft else None,
            "publishedAt": iso_ms(v.published_us),
            "name": xf.title,
        }
        if extended:
            live = (
                [] if is_draft else [s for s in form.subs if s.deleted_us is None]
            )  # no draft submissions here
            out.update(
                {
                    "submissions": len(live),
                    "entityRelated": any(f.path == "/meta/entity" for f in xf.fields),
                    "reviewStates": {
                        "received": sum(1 for s in live if s.review_state is None),
                        "hasIssues": sum(1 for s in live if s.review_state == "hasIssues"),
                        "edited": sum(1 for s in live if s.review_state == "edited"),
                    },
                    "lastSubmission": iso_ms(max((s.created_us for s in live), default=None)),
                    "excelContentType": None,
                    "publicLinks": 0,
                    "createdBy": form.created_by.api() if form.created_by else None,
                }
            )
        return out

    def version_json(self, form: Form, version: Any, extended: bool) -> dict[str, Any]:
        out = self.form_json(form, False, version)
        if extended:
            out["excelContentType"] = None
            out["publishedBy"] = version.published_by.api() if version.published_by else None
        out["publishNotes"] = None
        return out


# --- response building --------------------------------------------------------------------------------------


class _Ctx:
    """Per-request response helpers (cache headers by method, ETags, 304s)."""

    def __init__(self, req: _Req) -> None:
        self.req = req
        self.odata = False
        self.xml_errors = False
        self.eventhash: str | None = None

    def set_eventhash(self, digest: str) -> None:
        self.eventhash = f'W/"eventhash:{digest}"'

    def base_headers(self) -> list[tuple[str, str]]:
        if self.req.method in ("GET", "HEAD"):
            return [("Cache-Control", "private, no-cache"), ("Vary", "Accept-Encoding, Origin")]
        return [("Cache-Control", "no-store"), ("Vary", "*")]

    def json(self, obj: Any, *, status: int = 200, content_type: str = JSON_TYPE) -> Reply:
        return self.text(dumps(obj), content_type, status=status)

    def problem(self, problem: Problem) -> Reply:
        if not self.xml_errors:
            return self.json(problem.body(), status=problem.status)
        # $metadata errors are XML (lib/formats/odata.js odataXmlError); mustache prints a details object so
        details = "" if problem.details is None else "[object Object]"
        message = escape(problem.message, quote=True).replace("&#x27;", "&#39;")
        body = (
            f'<?xml version="1.0" encoding="UTF-8"?>\n<error code="{problem.code}">\n'
            f"  <message>{message}</message>\n  <details>{details}</details>\n</error>"
        )
        return self.text(body, "text/xml; charset=utf-8", status=problem.status)

    def text(self, text: str, content_type: str, *, status: int = 200) -> Reply:
        body = text.encode("utf-8")
        headers = self.base_headers()
        if self.odata and status < 400:
            headers.append(("OData-Version", "4.0"))
        if self.eventhash is not None:
            headers.append(("ETag", self.eventhash))
            headers += [("Content-Type", content_type), ("Content-Length", str(len(body)))]
            return Reply(status, headers, body)
        etag = express_etag(body)
        inm = self.req.headers.get("If-None-Match")
        if (
            status == 200
            and self.req.method in ("GET", "HEAD")
            and inm is not None
            and _etag_matches(inm, etag)
        ):
            return Reply(304, [*headers, ("ETag", etag)], b"")
        headers += [("Content-Type", content_type), ("Content-Length", str(len(body))), ("ETag", etag)]
        return Reply(status, headers, body)

    def attachment(self, body: bytes, content_type: str, filename: str, *, etag: str | None = None) -> Reply:
        """A file download: ``Content-Disposition: attachment`` with both filename forms (capture 1340)."""
        quoted = quote(filename, safe="")
        headers = self.base_headers()
        if etag is not None:
            inm = self.req.headers.get("If-None-Match")
            if inm is not None and self.req.method in ("GET", "HEAD") and _etag_matches(inm, etag):
                return Reply(304, [*headers, ("ETag", etag)], b"")
            headers.append(("ETag", etag))
        headers += [
            ("Content-Disposition", f"attachment; filename=\"{filename}\"; filename*=UTF-8''{quoted}"),
            ("Content-Type", content_type),
        ]
        return Reply(200, headers, iter([body]))

    def stream(self, chunks: Iterator[bytes]) -> Reply:
        headers = [*self.base_headers(), ("OData-Version", "4.0")]
        if self.eventhash is not None:
            headers.append(("ETag", self.eventhash))
        headers.append(("Content-Type", JSON_TYPE))
        return Reply(200, headers, chunks)

    def not_modified(self) -> Reply:
        headers = self.base_headers()
        if self.eventhash is not None:
            headers.append(("ETag", self.eventhash))
        return Reply(304, headers, b"")


def _etag_matches(header: str, etag: str) -> bool:
    wanted = etag.removeprefix("W/")
    return any(tag.strip().removeprefix("W/") == wanted or tag.strip() == "*" for tag in header.split(","))


def _is_json_type(value: str) -> bool:
    return re.search(r"(^|,)(application/json|json)($|;|,)", value, re.IGNORECASE) is not None


def _is_xml_type(value: str) -> bool:
    return (
        re.search(r"(^|,)(application/(atom(svc)?\+)?xml|atom|xml)($|;|,)", value, re.IGNORECASE) is not None
    )


def _float(value: str) -> float:
    try:
        return float(value)
    except ValueError:
        return float("nan")


def _pid(text: str) -> int:
    if not text.isdigit():
        raise problems.not_found()
    return int(text)


def _int_param(value: str | None, name: str) -> int | None:
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        raise Problem(
            400.11,
            f"Invalid input data type: expected ({name}) to be (integer)",
            {"field": name, "expected": "integer"},
        ) from None


def _json_body(req: _Req) -> Any:
    raw = req.body()
    if not raw:
        return {}
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise Problem(
            400.1,
            f"Could not parse the given data ({len(raw)} chars) as json.",
            {"format": "json", "rawLength": len(raw)},
        ) from None


_REASONS = {
    200: "OK",
    201: "Created",
    204: "No Content",
    301: "Moved Permanently",
    304: "Not Modified",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    406: "Not Acceptable",
    409: "Conflict",
    429: "Too Many Requests",
    500: "Internal Server Error",
    501: "Not Implemented",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


def reason(status: int) -> str:
    return _REASONS.get(status, "Status")


__all__ = ["CentralApp", "Reply", "reason"]
