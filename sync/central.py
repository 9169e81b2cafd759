"""ODK Central through pyodk: one fresh client per run, paging by ``@odata.nextLink``, bounded retries.

pyodk gives the session, login and URL handling; this module adds what a long unattended sync needs and pyodk
leaves to its callers (ecosystem.md §2): following ``nextLink`` pages, retrying 429/5xx/timeouts/resets/cut
bodies with backoff inside a budget (honouring ``Retry-After``), one re-login when a session expires mid-run
(Central answers 401.2 for expired and bad tokens alike), and refusing HTML or malformed bodies.
"""

from __future__ import annotations

import email.utils
import logging
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import requests
from pyodk._utils.config import CentralConfig, Config
from pyodk._utils.session import Session
from pyodk.client import Client
from pyodk.errors import PyODKError
from requests.adapters import HTTPAdapter

from sync.errors import (
    AuthFailed,
    FormNotFound,
    PaginationLoop,
    UpstreamHTTPError,
    UpstreamMalformed,
    UpstreamNotJSON,
    UpstreamUnreachable,
)

log = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
TRANSIENT_EXCEPTIONS = (
    requests.ConnectionError,
    requests.Timeout,
    requests.exceptions.ChunkedEncodingError,
    requests.exceptions.ContentDecodingError,
)


@dataclass(slots=True)
class RetryPolicy:
    """How hard to try: attempts per request, backoff, the ``Retry-After`` cap and a per-run sleep budget."""

    attempts: int = 5
    base_delay: float = 1.0
    max_delay: float = 60.0
    retry_after_cap: float = 300.0
    budget_seconds: float = 900.0
    jitter: float = 0.25
    malformed_attempts: int = 2  # a cut or non-JSON body is retried once, then the run fails


@dataclass(slots=True)
class Page:
    """One page of an OData table."""

    rows: list[dict[str, Any]]
    next_link: str | None
    etag: str | None
    count: int | None = None


@dataclass(slots=True)
class Reply:
    """A decoded answer: status, JSON body (None for 304) and headers."""

    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)


class _Session(Session):
    """pyodk's session with our adapter on http and https: timeouts, and no retries of its own."""

    def __init__(self, *args: Any, timeout: tuple[float, float], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        adapter = _TimeoutAdapter(timeout, max_retries=0, pool_maxsize=4)
        self.mount("http://", adapter)
        self.mount("https://", adapter)


class _TimeoutAdapter(HTTPAdapter):
    def __init__(self, timeout: tuple[float, float], **kwargs: Any) -> None:
        self._timeout = timeout
        super().__init__(**kwargs)

    def send(self, request, **kwargs):  # type: ignore[no-untyped-def]
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self._timeout
        return super().send(request, **kwargs)


def _retry_after_seconds(value: str | None) -> float | None:
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _central_code(body: Any) -> Any:
    return body.get("code") if isinstance(body, dict) else None


class CentralClient:
    """A connection to one ODK Central project for the length of one sync run."""

    def __init__(
        self,
        base_url: str,
        email: str,
        password: str,
        project_id: int,
        *,
        policy: RetryPolicy | None = None,
        timeout: tuple[float, float] = (10.0, 120.0),
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.project_id = project_id
        self.policy = policy or RetryPolicy()
        self._sleep = sleep
        self._rng = rng or random.Random()
        self._slept = 0.0
        self.requests = 0
        self.logins = 0
        config = Config(
            central=CentralConfig(
                base_url=self.base_url, username=email, password=password, default_project_id=project_id
            )
        )
        session = _Session(
            base_url=self.base_url,
            api_version="v1",
            username=email,
            password=password,
            cache_path=None,
            timeout=timeout,
        )
        self.client = Client(config=config, session=session, project_id=project_id)
        self._email = email

    # --- session ------------------------------------------------------------------------------------------

    def __enter__(self) -> CentralClient:
        self.login()
        return self

    def __exit__(self, *exc: object) -> None:
        self.client.close()

    def login(self) -> None:
        """Start a new Central session (POST /v1/sessions), retrying transient failures."""
        session = self.client.session
        session.headers.pop("Authorization", None)
        attempt = 0
        while True:
            attempt += 1
            self.requests += 1
            self.logins += 1
            try:
                session.auth.login()
                return
            except PyODKError as exc:
                response = exc.args[1] if len(exc.args) > 1 else None
                status = getattr(response, "status_code", None)
                if status in (400, 401, 403):
                    raise AuthFailed(
                        f"Central refused the login of {self._email} (HTTP {status}): check "
                        "GRADUASI_CENTRAL_EMAIL and GRADUASI_CENTRAL_PASSWORD"
                    ) from None
                if status not in RETRY_STATUSES or attempt >= self.policy.attempts:
                    raise UpstreamHTTPError(status or 0, f"{self.base_url}/v1/sessions", str(exc)) from None
                self._backoff(attempt, response.headers.get("Retry-After") if response is not None else None)
            except TRANSIENT_EXCEPTIONS as exc:
                if attempt >= self.policy.attempts:
                    raise UpstreamUnreachable(f"cannot reach {self.base_url}: {exc}") from None
                self._backoff(attempt, None)

    # --- requests -----------------------------------------------------------------------------------------

    def _backoff(self, attempt: int, retry_after: str | None) -> None:
        delay = _retry_after_seconds(retry_after)
        if delay is None:
            delay = min(self.policy.max_delay, self.policy.base_delay * 2 ** (attempt - 1))
            delay *= 1 + self.policy.jitter * self._rng.random()
        elif delay > self.policy.retry_after_cap:
            raise UpstreamUnreachable(
                f"server asked to wait {delay:.0f} s (Retry-After), more than the cap of "
                f"{self.policy.retry_after_cap:.0f} s"
            )
        if self._slept + delay > self.policy.budget_seconds:
            raise UpstreamUnreachable(f"retry budget of {self.policy.budget_seconds:.0f} s spent")
        self._slept += delay
        log.info("retrying in %.1f s (attempt %d)", delay, attempt + 1)
        self._sleep(delay)

    def relative(self, url: str) -> str:
        """A path below /v1/ for a Central URL (a nextLink carries Central's own domain, maybe a proxy's)."""
        parts = urlsplit(url)
        path = parts.path
        marker = "/v1/"
        if marker in path:
            path = path[path.index(marker) + len(marker) :]
        return path.lstrip("/") + (f"?{parts.query}" if parts.query else "")

    def get(self, path: str, params: dict[str, Any] | None = None, *, etag: str | None = None) -> Reply:
        """GET a JSON resource below /v1/, with retries, one re-login on 401 and body checks."""
        headers = {"If-None-Match": etag} if etag else {}
        attempt = malformed = 0
        relogged = False
        url = f"{self.base_url}/v1/{path}"
        while True:
            attempt += 1
            self.requests += 1
            try:
                response = self.client.session.get(path, params=params, headers=headers)
                status = response.status_code
                if status == 304:
                    return Reply(304, None, dict(response.headers))
                if status == 401:
                    if relogged:
                        raise AuthFailed(
                            "Central refused a fresh session: check the account's access to project "
                            f"{self.project_id} (GRADUASI_CENTRAL_EMAIL)"
                        )
                    log.info("session refused (401), logging in again")
                    self.login()
                    relogged = True
                    attempt -= 1
                    continue
                if status in RETRY_STATUSES:
                    if attempt >= self.policy.attempts:
                        raise UpstreamHTTPError(status, url, response.text)
                    self._backoff(attempt, response.headers.get("Retry-After"))
                    continue
                if status >= 400:
                    body = _safe_json(response)
                    if status == 404:
                        raise FormNotFound(
                            f"{url} does not exist on Central (code {_central_code(body)}): check the form id "
                            "in GRADUASI_FORMS and GRADUASI_CENTRAL_PROJECT"
                        )
                    error = UpstreamHTTPError(status, url, response.text)
                    error.transient = False
                    raise error
                content_type = response.headers.get("Content-Type", "")
                if "json" not in content_type:
                    raise UpstreamNotJSON(f"{url} answered {content_type or 'no content type'}, not JSON")
                try:
                    body = response.json()
                except ValueError as exc:
                    raise UpstreamMalformed(
                        f"{url} answered a JSON document that does not parse: {exc}"
                    ) from None
                return Reply(status, body, dict(response.headers))
            except (UpstreamNotJSON, UpstreamMalformed):
                malformed += 1
                if malformed >= self.policy.malformed_attempts or attempt >= self.policy.attempts:
                    raise
                self._backoff(attempt, None)
            except TRANSIENT_EXCEPTIONS as exc:
                if attempt >= self.policy.attempts:
                    raise UpstreamUnreachable(f"{url}: {type(exc).__name__}: {exc}") from None
                self._backoff(attempt, None)

    # --- Central resources --------------------------------------------------------------------------------

    def form_fields(self, form_id: str) -> list[dict[str, Any]]:
        """The current version's schema (``fields?odata=true``): path, name, type, selectMultiple, binary."""
        reply = self.get(f"projects/{self.project_id}/forms/{self._quote(form_id)}/fields", {"odata": "true"})
        if not isinstance(reply.body, list):
            raise UpstreamMalformed(f"fields of {form_id}: expected a list")
        return reply.body

    def live_ids(self, form_id: str, etag: str | None) -> Reply:
        """Every live submission id, conditional on the ETag of the last complete run.

        The ETag of an OData document covers exactly the rows it selects (captures 0610/0620/1490/1600), so
        only the whole id list tells whether anything in the form changed: 304 = nothing (one cheap request);
        200 = the ids, which the runner also reconciles against the warehouse (restores, purges, late rows).
        """
        return self.get(
            f"projects/{self.project_id}/forms/{self._quote(form_id)}.svc/Submissions",
            {"$select": "__id"},
            etag=etag,
        )

    def rows_by_id(self, form_id: str, ids: list[str], *, batch: int = 40) -> Iterator[dict[str, Any]]:
        """The rows (repeats expanded, deleted ones included) of the given submission ids."""
        for i in range(0, len(ids), batch):
            chunk = ids[i : i + batch]
            wanted = " or ".join(f"__id eq '{_odata_string(x)}'" for x in chunk)
            params = {
                "$expand": "*",
                "$filter": f"({wanted}) and (__system/deletedAt eq null or __system/deletedAt ne null)",
            }
            for page in self.pages(form_id, params):
                yield from page.rows

    def pages(self, form_id: str, params: dict[str, Any], table: str = "Submissions") -> Iterator[Page]:
        """Every page of an OData table, following ``@odata.nextLink`` (never ``$skip``)."""
        path = f"projects/{self.project_id}/forms/{self._quote(form_id)}.svc/{table}"
        reply = self.get(path, params)
        seen: set[str] = set()
        while True:
            page = self._page(reply, path)
            yield page
            if page.next_link is None:
                return
            if page.next_link in seen:
                raise PaginationLoop(f"{path}: the server sent the same next page twice ({page.next_link})")
            seen.add(page.next_link)
            reply = self.get(self.relative(page.next_link))

    def _page(self, reply: Reply, path: str) -> Page:
        body = reply.body
        if not isinstance(body, dict) or not isinstance(body.get("value"), list):
            raise UpstreamMalformed(f"{path}: expected an OData document with a 'value' list")
        count = body.get("@odata.count")
        return Page(
            rows=body["value"],
            next_link=body.get("@odata.nextLink"),
            etag=reply.headers.get("ETag"),
            count=count if isinstance(count, int) else None,
        )

    @staticmethod
    def _quote(text: str) -> str:
        return Session.urlquote(text)


def _odata_string(text: str) -> str:
    return text.replace("'", "''")


def _safe_json(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None
