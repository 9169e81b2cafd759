"""The application factory: ``create_app(settings)`` builds the admin from a settings object, without
importing the composition root (DESIGN.md §3)."""

from __future__ import annotations

import logging
import secrets
from typing import Protocol

from flask import Flask
from sqlalchemy import Engine
from werkzeug.middleware.proxy_fix import ProxyFix

from warehouse.db import make_engine
from webadmin import access, auth, dashboard, db, errors, i18n, pendamping, security

log = logging.getLogger(__name__)


class _Secret(Protocol):
    def get_secret_value(self) -> str: ...


class AdminSettings(Protocol):
    """What the admin needs from the settings (``graduasi.settings.Settings`` satisfies it)."""

    @property
    def database_url(self) -> str: ...

    @property
    def secret_key(self) -> _Secret | str | None: ...

    @property
    def timezone(self) -> str: ...

    @property
    def cookie_secure(self) -> bool: ...


def _secret_key(settings: AdminSettings) -> str:
    value = settings.secret_key
    if value is None:
        log.warning(
            "GRADUASI_SECRET_KEY is not set: using a random key for this process only. Sessions end when it "
            "restarts, and several workers (gunicorn) would reject each other's cookies; set "
            "GRADUASI_SECRET_KEY in production"
        )
        return secrets.token_hex(32)
    key = value if isinstance(value, str) else value.get_secret_value()
    if not key:
        raise ValueError("GRADUASI_SECRET_KEY is empty: set it to a long random string or leave it unset")
    return key


def create_app(
    settings: AdminSettings,
    *,
    engine: Engine | None = None,
    clock: db.Clock | None = None,
    proxy_hops: int = 0,
) -> Flask:
    """Build the admin.

    :param settings: database URL, secret key, time zone and cookie policy (:class:`AdminSettings`).
    :param engine: an existing engine on the warehouse (tests, the demo); else one is made from
        ``settings.database_url``. The schema must be migrated already.
    :param clock: returns "now" as an aware UTC datetime (tests move time with it); default: the wall clock.
    :param proxy_hops: how many reverse proxies (e.g. nginx) sit in front; their ``X-Forwarded-*`` headers are
        then trusted for the client IP and scheme. 0 when the app faces clients directly.
    """
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=_secret_key(settings),
        GRADUASI_TIMEZONE=settings.timezone,
        MAX_CONTENT_LENGTH=1024 * 1024,
        TEMPLATES_AUTO_RELOAD=False,
    )
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    if proxy_hops:
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=proxy_hops, x_proto=proxy_hops, x_host=proxy_hops
        )

    db.init_app(app, engine if engine is not None else make_engine(settings.database_url), clock)
    security.configure(app, cookie_secure=settings.cookie_secure, session_lifetime=auth.ABSOLUTE_TIMEOUT)
    i18n.init_app(app, settings.timezone)
    auth.init_app(app)
    access.init_app(app)
    errors.init_app(app)
    app.register_blueprint(dashboard.bp)
    app.register_blueprint(pendamping.bp)
    return app
