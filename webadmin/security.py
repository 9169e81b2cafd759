"""Cookie flags, CSRF protection and the security headers of every response (reliability.md §5.1).

The session cookie is HttpOnly and SameSite=Lax; with ``cookie_secure`` (production, behind TLS) it is also
Secure and named with the ``__Host-`` prefix, which pins it to this host and path ``/``. The demo on
http://127.0.0.1 runs with ``cookie_secure`` false and a plain name, because a browser drops Secure cookies
that arrive over plain HTTP.
"""

from __future__ import annotations

from datetime import timedelta

from flask import Flask, Response, request
from flask_wtf.csrf import CSRFProtect

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'; form-action 'self'"
)
HSTS = "max-age=31536000; includeSubDomains"
SECURE_COOKIE_NAME = "__Host-graduasi"
PLAIN_COOKIE_NAME = "graduasi_session"

csrf = CSRFProtect()


def configure(app: Flask, *, cookie_secure: bool, session_lifetime: timedelta) -> None:
    """Set cookie flags, turn on CSRF for every POST and add the security headers to every response.

    :param session_lifetime: the oldest signed cookie accepted at all (the absolute session timeout).
    """
    app.config.update(
        SESSION_COOKIE_NAME=SECURE_COOKIE_NAME if cookie_secure else PLAIN_COOKIE_NAME,
        SESSION_COOKIE_SECURE=cookie_secure,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_PATH="/",
        SESSION_COOKIE_DOMAIN=None,
        PERMANENT_SESSION_LIFETIME=session_lifetime,
        # Flask-Login's remember-me cookie is never set; if it ever were, it gets the same flags
        REMEMBER_COOKIE_SECURE=cookie_secure,
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        # With "Referrer-Policy: no-referrer" browsers send no Referer, which Flask-WTF's strict HTTPS check
        # would reject; the token plus SameSite=Lax is the protection.
        WTF_CSRF_SSL_STRICT=False,
    )
    csrf.init_app(app)

    @app.after_request
    def _security_headers(response: Response) -> Response:
        headers = response.headers
        headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
        headers["X-Content-Type-Options"] = "nosniff"
        headers["Referrer-Policy"] = "no-referrer"
        headers["X-Frame-Options"] = "DENY"  # frame-ancestors for browsers too old to know CSP
        if cookie_secure:
            headers["Strict-Transport-Security"] = HSTS
        if request.endpoint != "static":
            # pages hold personal data and CSRF tokens: never keep them in a cache or the back-button store
            headers["Cache-Control"] = "no-store"
        return response
