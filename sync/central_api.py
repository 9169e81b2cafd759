"""The ODK Central REST calls that publishing, app users and the roster push make, on pyodk's session.

pyodk gives the login (``POST /v1/sessions``), the session and Central's URL quoting; its service methods do
not cover what these jobs need (a draft without publishing, attachments from memory, dataset links, entity
PATCH with ``baseVersion``, the tokens of existing app users), so the raw verbs are used, as pyodk's own
documentation suggests for the rest of the API (ecosystem.md §2). This module adds what an unattended job
needs around them: explicit timeouts, bounded retries of reads (5xx, 429, resets) and of writes Central did
not process (429, 503), one re-login when the session has expired (401), Central's problem ``code`` on every
error, and a count of requests by method (so a second, idempotent run can prove it changed nothing).
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections import Counter
from collections.abc import Callable, Mapping
from typing import Any

import requests
from pyodk._utils.session import Session
from pyodk.errors import PyODKError
from requests.adapters import HTTPAdapter

from sync.errors import AuthFailed, UpstreamHTTPError, UpstreamMalformed, UpstreamUnreachable

log = logging.getLogger(__name__)

_READS = frozenset({"GET", "HEAD"})
_READ_RETRY = frozenset({429, 500, 502, 503, 504})
_WRITE_RETRY = frozenset({429, 503})  # Central answered without acting on the request


class CentralProblem(UpstreamHTTPError):
    """Central answered with an error; ``code`` is its problem code (e.g. 409.6), ``message`` its text."""

    def __init__(self, status: int, url: str, body: Any, text: str) -> None:
        self.code = body.get("code") if isinstance(body, dict) else None
        self.message = body.get("message") if isinstance(body, dict) else text[:300]
        self.details = body.get("details") if isinstance(body, dict) else None
        super().__init__(status, url, text)
        self.transient = status in _READ_RETRY

    def __str__(self) -> str:
        code = f" {self.code}" if self.code is not None else ""
        return f"ODK Central answered HTTP {self.status}{code} to {self.url}: {self.message}"


class _Adapter(HTTPAdapter):
    """No retries of its own (this module decides) and a default timeout on every request."""

    def __init__(self, timeout: tuple[float, float]) -> None:
        self._timeout = timeout
        super().__init__(max_retries=0, pool_maxsize=4)

    def send(self, request, **kwargs):  # type: ignore[no-untyped-def]
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self._timeout
        return super().send(request, **kwargs)


class CentralApi:
    """A logged-in connection to one Central project for the length of one job.

    :param base_url: the server, e.g. ``https://central.example.org`` (``GRADUASI_CENTRAL_URL``).
    :param attempts: tries per request when retrying is safe (first try included).
    :param sleep: how to wait between tries (tests pass a no-op).
    """

    def __init__(
        self,
        base_url: str,
        email: str,
        password: str,
        project_id: int,
        *,
        timeout: tuple[float, float] = (10.0, 300.0),
        attempts: int = 4,
        backoff: float = 1.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.project_id = project_id
        self.email = email
        self.attempts = max(1, attempts)
        self.backoff = backoff
        self._sleep = sleep
        #: requests made, by method (logins are counted in ``logins`` only)
        self.requests: Counter[str] = Counter()
        self.logins = 0
        self.session = Session(
            base_url=self.base_url, api_version="v1", username=email, password=password, cache_path=None
        )
        adapter = _Adapter(timeout)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)

    # --- session --------------------------------------------------------------------------------------------
    def __enter__(self) -> CentralApi:
        self.login()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.session.close()

    def login(self) -> None:
        """Open a Central session (``POST /v1/sessions``).

        :raises AuthFailed: the credentials were refused (the message names the settings to check).
        :raises UpstreamUnreachable: the server cannot be reached.
        """
        self.session.headers.pop("Authorization", None)
        self.logins += 1
        try:
            self.session.auth.login()
        except PyODKError as exc:
            response = exc.args[1] if len(exc.args) > 1 else None
            status = getattr(response, "status_code", None)
            raise AuthFailed(
                f"ODK Central at {self.base_url} refused the login of {self.email} (HTTP {status}): check "
                "GRADUASI_CENTRAL_EMAIL and GRADUASI_CENTRAL_PASSWORD"
            ) from None
        except requests.RequestException as exc:
            raise UpstreamUnreachable(
                f"cannot reach ODK Central at {self.base_url} ({type(exc).__name__}): check GRADUASI_CENTRAL_URL"
            ) from None

    # --- requests -------------------------------------------------------------------------------------------
    def project_path(self, suffix: str = "") -> str:
        """``projects/{id}`` plus ``suffix`` (relative to ``/v1/``)."""
        return f"projects/{self.project_id}{suffix}"

    @staticmethod
    def quote(text: str) -> str:
        """A path segment quoted the way Central decodes it (pyodk's rules)."""
        return Session.urlquote(text)

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        data: bytes | str | None = None,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> requests.Response:
        """One call below ``/v1/``; a 2xx answer is returned, anything else raised as :class:`CentralProblem`.

        Reads are retried on 5xx, 429 and connection failures; writes only on 429/503 and on a connection
        refused before anything was sent. A 401 logs in again once.
        """
        method = method.upper()
        url = f"{self.base_url}/v1/{path}"
        relogged = False
        attempt = 0
        while True:
            attempt += 1
            self.requests[method] += 1
            try:
                response = self.session.request(
                    method, path, json=json, data=data, params=params, headers=dict(headers or {})
                )
            except requests.RequestException as exc:
                # a connection refused was never received; anything else may have reached the server
                refused = isinstance(exc, requests.ConnectionError) and "refused" in str(exc).lower()
                if (method in _READS or refused) and attempt < self.attempts:
                    self._wait(attempt, None)
                    continue
                raise UpstreamUnreachable(f"{method} {url}: {type(exc).__name__}: {exc}") from None
            status = response.status_code
            if status < 300:
                return response
            if status == 401 and not relogged:
                log.info("Central session refused (401): logging in again")
                self.login()
                relogged = True
                attempt -= 1
                continue
            retry = _READ_RETRY if method in _READS else _WRITE_RETRY
            if status in retry and attempt < self.attempts:
                self._wait(attempt, response.headers.get("Retry-After"))
                continue
            try:
                body = response.json()
            except ValueError:
                body = None
            raise CentralProblem(status, url, body, response.text)

    def _wait(self, attempt: int, retry_after: str | None) -> None:
        delay = self.backoff * 2 ** (attempt - 1)
        if retry_after:
            with contextlib.suppress(ValueError):
                delay = min(300.0, max(delay, float(retry_after)))
        log.info("Central did not answer usefully; retrying in %.1f s", delay)
        self._sleep(delay)

    def get_json(self, path: str, params: Mapping[str, Any] | None = None, *, extended: bool = False) -> Any:
        """GET and decode JSON (``X-Extended-Metadata`` when ``extended``)."""
        headers = {"X-Extended-Metadata": "true"} if extended else None
        return _decode(self.request("GET", path, params=params, headers=headers))

    def get_or_none(
        self, path: str, params: Mapping[str, Any] | None = None, *, extended: bool = False
    ) -> Any:
        """Like :meth:`get_json`, but None when Central answers 404."""
        try:
            return self.get_json(path, params, extended=extended)
        except CentralProblem as exc:
            if exc.status == 404:
                return None
            raise

    def post_json(self, path: str, body: Any = None, params: Mapping[str, Any] | None = None) -> Any:
        return _decode(self.request("POST", path, json=body, params=params))

    def patch_json(self, path: str, body: Any, params: Mapping[str, Any] | None = None) -> Any:
        return _decode(self.request("PATCH", path, json=body, params=params))

    @property
    def changes(self) -> int:
        """Requests that may change something on the server (every method but GET/HEAD; logins excluded)."""
        return sum(n for method, n in self.requests.items() if method not in _READS)


def _decode(response: requests.Response) -> Any:
    """The JSON of a 2xx answer; an HTML page or a cut body is :class:`~sync.errors.UpstreamMalformed`."""
    try:
        return response.json()
    except ValueError:
        kind = response.headers.get("Content-Type", "no content type")
        raise UpstreamMalformed(
            f"{response.request.method} {response.url} answered {kind}, not JSON"
        ) from None


def central_api(
    url: str | None, email: str | None, password: str | None, project: int | None, **kwargs: Any
) -> CentralApi:
    """A :class:`CentralApi` from settings values; a missing one is a :class:`~sync.errors.ConfigurationError`
    naming the environment variable."""
    from sync.errors import ConfigurationError

    missing = [
        name
        for name, value in (
            ("GRADUASI_CENTRAL_URL", url),
            ("GRADUASI_CENTRAL_EMAIL", email),
            ("GRADUASI_CENTRAL_PASSWORD", password),
            ("GRADUASI_CENTRAL_PROJECT", project),
        )
        if value in (None, "")
    ]
    if missing:
        raise ConfigurationError("set " + ", ".join(missing) + " to talk to ODK Central")
    return CentralApi(url, email, password, int(project), **kwargs)  # type: ignore[arg-type]
