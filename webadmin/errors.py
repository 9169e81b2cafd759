"""Error pages: short, translated, never a traceback or an internal message (ASVS 13.4.2, 16.5.1)."""

from __future__ import annotations

import logging

from flask import Flask, render_template
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, MethodNotAllowed

log = logging.getLogger(__name__)

_PAGES = {
    400: (_l("Bad request"), _l("The request could not be understood. Go back and try again.")),
    403: (_l("Not allowed"), _l("Your account may not open this page.")),
    404: (_l("Page not found"), _l("There is no page at this address. Check the address or start again.")),
    405: (_l("Not allowed"), _l("This page cannot be opened this way.")),
    413: (_l("Too large"), _l("What was sent is too large.")),
    429: (_l("Too many requests"), _l("Too many requests in a short time. Wait a moment and try again.")),
    500: (
        _l("Something went wrong"),
        _l("The page could not be shown. Try again later; if it keeps happening, tell the administrator."),
    ),
}
_CSRF_PAGE = (
    _l("Form expired"),
    _l("The form has expired or was not sent from this site. Reload the page and send it again."),
)


def _page(code: int, title: object, message: object) -> ResponseReturnValue:
    # no account menu: it would query the database, which may be what failed
    page = render_template("errors/error.html", code=code, title=title, message=message, show_account=False)
    return page, code


def init_app(app: Flask) -> None:
    """Render every HTTP error and every unexpected exception with the generic error page."""

    @app.errorhandler(CSRFError)
    def _csrf_error(_exc: CSRFError) -> ResponseReturnValue:
        return _page(400, *_CSRF_PAGE)

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> ResponseReturnValue:
        code = exc.code or 500
        title, message = _PAGES.get(code, (exc.name, _PAGES[400][1] if code < 500 else _PAGES[500][1]))
        body, status = _page(code, title, message)  # type: ignore[misc]
        headers = {}
        if isinstance(exc, MethodNotAllowed) and exc.valid_methods:
            headers["Allow"] = ", ".join(exc.valid_methods)
        return body, status, headers

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> ResponseReturnValue:
        log.exception("unhandled error in a request")  # the request's database session is closed on teardown
        return _page(500, *_PAGES[500])
