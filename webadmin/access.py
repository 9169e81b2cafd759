"""Roles, their data scope, and the default-deny gate: every endpoint needs a logged-in user unless it is
listed in :data:`PUBLIC_ENDPOINTS` (DESIGN.md §7, reliability.md §5.1 "Authorization")."""

from __future__ import annotations

from typing import Protocol

from flask import Flask, abort, current_app, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from warehouse.queries import region_name
from webadmin.db import get_session

PROVINCE_ADMIN = "province_admin"
KABUPATEN_OPERATOR = "kabupaten_operator"
VIEWER = "viewer"
ROLES: tuple[str, ...] = (PROVINCE_ADMIN, KABUPATEN_OPERATOR, VIEWER)

ROLE_LABELS = {
    PROVINCE_ADMIN: _l("Province admin"),
    KABUPATEN_OPERATOR: _l("Kabupaten operator"),
    VIEWER: _l("Viewer"),
}

PUBLIC_ENDPOINTS: frozenset[str] = frozenset({"auth.login", "i18n.set_language", "static"})
"""Endpoints reachable without logging in; everything else is denied to anonymous users."""


class ScopedUser(Protocol):
    """What scoping needs to know of a user."""

    @property
    def role(self) -> str: ...

    @property
    def kode_kabupaten(self) -> str | None: ...


def scope_kabupaten(user: ScopedUser) -> str | None:
    """The one kabupaten ``user`` may see, or None for the whole province.

    A province admin sees the province; a viewer one kabupaten or, without one, the province; a kabupaten
    operator their kabupaten. An account that fits none of these (an operator without a kabupaten, an unknown
    role, e.g. after a hand edit of ``admin_user``) sees nothing: 403, never the province by accident.
    """
    if user.role == PROVINCE_ADMIN:
        return None
    if user.role == VIEWER or (user.role == KABUPATEN_OPERATOR and user.kode_kabupaten):
        return user.kode_kabupaten
    abort(403)


def role_label(role: str) -> str:
    """The role's name in the current language."""
    label = ROLE_LABELS.get(role)
    return str(label) if label is not None else role


def region_label(kode: str) -> str:
    """The name of region ``kode`` for display, or the code itself when ``wilayah`` lacks it."""
    return region_name(get_session(), kode) or kode


def init_app(app: Flask) -> None:
    """Install the default-deny gate and the template helpers that describe the user's role and scope."""
    app.jinja_env.globals.update(role_label=role_label, region_name=region_label)

    @app.before_request
    def _require_login():  # type: ignore[no-untyped-def]
        if request.endpoint is None or request.endpoint in PUBLIC_ENDPOINTS:
            return None  # unknown URLs fall through to the 404 page
        if current_user.is_authenticated:
            return None
        return current_app.login_manager.unauthorized()  # type: ignore[attr-defined]
