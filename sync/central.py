"""ODK Central through pyodk: one fresh client per run, paging by ``@odata.nextLink``, bounded retries.

pyodk gives the session, login and URL handling; this module adds what a long unattended sync needs and pyodk
leaves to its callers (ecosystem.md §2): following ``nextLink`` pages (fetching the next page while the caller
loads the current one), retrying 5xx/timeouts/resets/cut bodies with backoff inside a budget, waiting out 429
as long as ``Retry-After`` asks (capped), one re-login when a session expires mid-run (Central answers 401.2
for expired and bad tokens alike), and refusing HTML or malformed bodies before anything is loaded.
"""

from __future__ import annotations

import contextlib
import email.utils
import json
import logging
import random
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import IO, Any, Protocol
from urllib.parse import unquote, urlsplit

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
from sync.odata import IdListScanner, ParsedDocument, parse_document, parse_id_list, peek_next_link

log = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({500, 502, 503, 504})
#: An OData filter matching every row, deleted ones too (they appear only when the filter names deletedAt).
ALL_ROWS = "__system/deletedAt eq null or __system/deletedAt ne null"
TRANSIENT_EXCEPTIONS = (
    requests.ConnectionError,
    requests.Timeout,
    requests.exceptions.ChunkedEncodingError,
    requests.exceptions.ContentDecodingError,
)


@dataclass(slots=True)
class RetryPolicy:
    """How hard to try.

    :param attempts: tries per request for 5xx, timeouts, resets and cut bodies (first try included).
    :param rate_limited_attempts: 429 answers waited out per request; they are not failures, but bounded.
    :param retry_after_cap: a ``Retry-After`` longer than this fails the run at once instead of hanging.
    :param budget_seconds: total time a run may spend sleeping between tries.
    :param malformed_attempts: tries for a 200 whose body is cut, not JSON or of the wrong shape.
    """

    attempts: int = 5
    base_delay: float = 1.0
    max_delay: float = 60.0
    retry_after_cap: float = 300.0
    budget_seconds: float = 900.0
    jitter: float = 0.25
    malformed_attempts: int = 2
    rate_limited_attempts: int = 30


@dataclass(slots=True)
class Page:
    """One page of an OData table: decoded rows, their verbatim texts, and the link to the next page."""

    rows: list[dict[str, Any]]
    next_link: str | None
    etag: str | None
    count: int | None = None
    texts: list[str] | None = None
    date: str | None = None  # the server's Date header
    prepared: Any = (
        None  # the rows prepared for the loader (a warehouse.prepare.PreparedPage), if a parser did
    )


class PageParser(Protocol):
    """Turns a page's bytes into a document (e.g. :class:`sync.pageworker.PageWorker`)."""

    @property
    def offloaded(self) -> bool:
        """Whether pages are decoded in another process (then :meth:`submit` may be called)."""

    def submit(self, raw: bytes) -> Any:
        """Hand a page to the other process and wait for its answer, left for :meth:`parse` to open (called in
        the prefetch thread, which must hold the GIL as little as possible)."""

    def parse(self, raw: Any) -> ParsedDocument:
        """Decode a page (its bytes, or what :meth:`submit` returned); raises :class:`UpstreamMalformed` for a
        body that is not a whole document."""


@dataclass(slots=True)
class Reply:
    """A decoded answer: status, body (None for 304) and headers."""

    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)


#: Bytes read at a time from a body decoded as it arrives.
BODY_CHUNK = 1 << 20


class BodyReader:
    """A response body read and decoded, as it arrives, in a thread of its own while the caller goes on.

    :meth:`result` returns the decoded body or raises what reading or decoding raised: a cut body or a reset
    as :class:`UpstreamUnreachable`, a body that does not decode as :class:`UpstreamMalformed`.
    """

    def __init__(
        self, response: requests.Response, parse: Callable[[Iterator[bytes]], Any], url: str
    ) -> None:
        self._response = response
        self._parse = parse
        self._url = url
        self._future: Future[Any] = Future()
        threading.Thread(target=self._read, name="central-body", daemon=True).start()

    def _read(self) -> None:
        try:
            try:
                decoded = self._parse(self._response.iter_content(BODY_CHUNK))
            finally:
                self._response.close()
            self._future.set_result(decoded)
        except UpstreamMalformed as exc:
            self._future.set_exception(UpstreamMalformed(f"{self._url}: {exc}"))
        except TRANSIENT_EXCEPTIONS as exc:
            self._future.set_exception(UpstreamUnreachable(f"{self._url}: {type(exc).__name__}: {exc}"))
        except BaseException as exc:  # handed to the caller, whatever it is
            self._future.set_exception(exc)

    def result(self) -> Any:
        """The decoded body (waits for the read to finish)."""
        return self._future.result()

    def close(self) -> None:
        """Stop reading (a caller that no longer wants the body); result() then raises or returns as it ended."""
        self._response.close()


class _Cancelled(Exception):
    """A prefetch no longer wanted stops retrying."""


class _Session(Session):
    """pyodk's session with our adapter on http and https: timeouts, and no retries of its own."""

    def __init__(self, *args: Any, timeout: tuple[float, float], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        adapter = _TimeoutAdapter(timeout, max_retries=0, pool_maxsize=6)
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


def retry_after_seconds(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header: delta-seconds or an HTTP-date (None if absent/bad)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def _central_code(body: Any) -> Any:
    return body.get("code") if isinstance(body, dict) else None


def _json(content: bytes) -> Any:
    try:
        return json.loads(content)
    except (ValueError, UnicodeDecodeError) as exc:
        raise UpstreamMalformed(f"the JSON document does not parse: {exc}") from None


def _raw_bytes(content: bytes) -> bytes:
    return content


def _parse_page(raw: bytes) -> ParsedDocument:
    """A page of an OData table: a ``value`` list and, if any, a string ``@odata.nextLink``."""
    return _checked_page(parse_document(raw))


def _checked_page(doc: ParsedDocument) -> ParsedDocument:
    if not doc.has_value:
        raise UpstreamMalformed("expected an OData document with a 'value' list")
    link = doc.members.get("@odata.nextLink")
    if link is not None and not isinstance(link, str):
        raise UpstreamMalformed("@odata.nextLink is not a string")
    return doc


@dataclass(slots=True)
class IdList:
    """The ids of a form, live and deleted: newline-joined UTF-8, as bytes or in a file (a large form's list is
    kept on disk while the sweep runs, so the sync's memory does not grow with the form)."""

    live: bytes | IO[bytes]
    deleted: bytes | IO[bytes]
    live_count: int
    deleted_count: int

    def live_ids(self) -> list[str]:
        return list(split_ids(self.live))

    def deleted_ids(self) -> list[str]:
        return list(split_ids(self.deleted))


def split_ids(ids: bytes | IO[bytes]) -> Iterator[str]:
    """The ids of one side of an :class:`IdList`, one by one."""
    if isinstance(ids, bytes):
        lines: Iterable[bytes] = ids.split(b"\n")
    else:
        ids.seek(0)
        lines = ids
    for line in lines:
        line = line.rstrip(b"\n")
        if line:
            yield line.decode("utf-8")


#: Bytes of ids an id list keeps in memory before it moves to a temporary file.
ID_LIST_IN_MEMORY = 1 << 20


def _scan_id_list(chunks: Iterator[bytes]) -> IdList:
    """An id list decoded as it arrives (the document itself is never held, and the ids go to temporary
    files once they pass :data:`ID_LIST_IN_MEMORY`)."""
    live = tempfile.SpooledTemporaryFile(ID_LIST_IN_MEMORY)  # noqa: SIM115  # lives as long as the IdList
    deleted = tempfile.SpooledTemporaryFile(ID_LIST_IN_MEMORY)  # noqa: SIM115
    scanner = IdListScanner(live, deleted)  # type: ignore[arg-type]
    for chunk in chunks:
        scanner.feed(chunk)
    counts = scanner.finish()
    if counts is None:
        live.close()
        deleted.close()
        raise UpstreamMalformed("not a plain id list (cut, or a layout to decode in full)")
    return IdList(live, deleted, *counts)  # type: ignore[arg-type]


def _parse_id_list(raw: bytes) -> IdList:
    fast = parse_id_list(raw)
    if fast is not None:
        return IdList(*fast)
    doc = parse_document(raw, keep_texts=False, on_row=_id_and_state)
    if not doc.has_value:
        raise UpstreamMalformed("the id list is not an OData document with a 'value' list")
    live = [i for i, deleted in doc.rows if isinstance(i, str) and not deleted]
    gone = [i for i, deleted in doc.rows if isinstance(i, str) and deleted]
    return IdList("\n".join(live).encode(), "\n".join(gone).encode(), len(live), len(gone))


def _id_and_state(row: Any) -> tuple[Any, bool]:
    if not isinstance(row, dict):
        return None, False
    system = row.get("__system")
    return row.get("__id"), isinstance(system, dict) and system.get("deletedAt") is not None


class CentralClient:
    """A connection to one ODK Central project for the length of one sync run.

    :param sleep: how to wait between tries (tests pass a fake clock so ``Retry-After`` costs no time).
    :param prefetch: fetch the next page in a background thread while the caller loads the current one.
    """

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
        prefetch: bool = True,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.project_id = project_id
        self.policy = policy or RetryPolicy()
        self.prefetch = prefetch
        self._sleep = sleep
        self._rng = rng or random.Random()
        self._cancel = threading.Event()
        self.slept = 0.0
        self.requests = 0
        self.logins = 0
        self.retries = 0
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
        self.close()

    def close(self) -> None:
        """Close the HTTP connections (the Central session simply expires)."""
        self.client.close()

    def login(self) -> None:
        """Start a new Central session (POST /v1/sessions), retrying transient failures.

        :raises AuthFailed: when Central refuses the credentials (never retried: no lockout feeding).
        """
        session = self.client.session
        session.headers.pop("Authorization", None)
        attempt = limited = 0
        while True:
            attempt += 1
            self.requests += 1
            self.logins += 1
            try:
                session.auth.login()
                return
            except ValueError:  # a 200 that is not JSON: a captive portal or a proxy's page
                if attempt >= self.policy.malformed_attempts:
                    raise UpstreamNotJSON(
                        f"{self.base_url}/v1/sessions answered something that is not JSON: check "
                        "GRADUASI_CENTRAL_URL and any proxy in between"
                    ) from None
                self._backoff(attempt, None)
            except PyODKError as exc:
                response = exc.args[1] if len(exc.args) > 1 else None
                status = getattr(response, "status_code", None)
                if status in (400, 401, 403):
                    raise AuthFailed(
                        f"Central refused the login of {self._email} (HTTP {status}): check "
                        "GRADUASI_CENTRAL_EMAIL and GRADUASI_CENTRAL_PASSWORD"
                    ) from None
                headers = response.headers if response is not None else {}
                if status == 429:
                    limited += 1
                    if limited > self.policy.rate_limited_attempts:
                        raise UpstreamHTTPError(
                            429, f"{self.base_url}/v1/sessions", "still rate limited"
                        ) from None
                    attempt -= 1
                    self._backoff(limited, headers.get("Retry-After"), rate_limited=True)
                    continue
                if status not in RETRY_STATUSES or attempt >= self.policy.attempts:
                    raise UpstreamHTTPError(status or 0, f"{self.base_url}/v1/sessions", "") from None
                self._backoff(attempt, headers.get("Retry-After"))
            except TRANSIENT_EXCEPTIONS as exc:
                if attempt >= self.policy.attempts:
                    raise UpstreamUnreachable(f"cannot reach {self.base_url}: {type(exc).__name__}") from None
                self._backoff(attempt, None)

    # --- requests -----------------------------------------------------------------------------------------

    def _backoff(self, attempt: int, retry_after: str | None, *, rate_limited: bool = False) -> None:
        delay = retry_after_seconds(retry_after)
        if delay is None:
            delay = min(self.policy.max_delay, self.policy.base_delay * 2 ** (attempt - 1))
            delay *= 1 + self.policy.jitter * self._rng.random()
        elif delay > self.policy.retry_after_cap:
            raise UpstreamUnreachable(
                f"server asked to wait {delay:.0f} s (Retry-After), more than the cap of "
                f"{self.policy.retry_after_cap:.0f} s"
            )
        if self.slept + delay > self.policy.budget_seconds:
            raise UpstreamUnreachable(
                f"retry budget of {self.policy.budget_seconds:.0f} s spent ({self.retries} retries)"
            )
        if self._cancel.is_set():
            raise _Cancelled()
        self.slept += delay
        self.retries += 1
        log.info("%s; retrying in %.1f s", "rate limited (429)" if rate_limited else "retry", delay)
        self._sleep(delay)

    def relative(self, url: str) -> str:
        """A path below /v1/ for a Central URL (a nextLink carries Central's own domain, maybe a proxy's)."""
        parts = urlsplit(url)
        path = parts.path
        marker = "/v1/"
        if marker in path:
            path = path[path.index(marker) + len(marker) :]
        return path.lstrip("/") + (f"?{parts.query}" if parts.query else "")

    def get(
        self,
        path: str,
        params: dict[str, Any] | None = None,
        *,
        etag: str | None = None,
        parse: Callable[[bytes], Any] = _json,
        malformed: int = 0,
        deferred: bool = False,
    ) -> Reply:
        """GET a JSON resource below /v1/, with retries, one re-login on 401 and body checks.

        :param parse: decodes the body; raising :class:`UpstreamMalformed` counts as a bad body (retried once).
        :param malformed: bad bodies already received for this resource (a caller that decoded it itself).
        :param deferred: return as soon as a 200's headers arrive, with a :class:`BodyReader` as the body: it
            reads and decodes in a thread of its own (``parse`` then takes the body's chunks as they arrive), and
            a failure there is the caller's to handle (the request is not sent again).
        """
        headers = {"If-None-Match": etag} if etag else {}
        attempt = limited = 0
        relogged = False
        url = f"{self.base_url}/v1/{path}"
        while True:
            attempt += 1
            self.requests += 1
            try:
                response = self.client.session.get(path, params=params, headers=headers, stream=deferred)
                status = response.status_code
                if deferred and status != 200:
                    response.content  # noqa: B018  # read the (small) answer: the connection goes back to the pool
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
                if status == 429:
                    limited += 1
                    if limited > self.policy.rate_limited_attempts:
                        raise UpstreamHTTPError(429, url, "still rate limited after waiting")
                    attempt -= 1  # waiting for a rate limit is not a failed try
                    self._backoff(limited, response.headers.get("Retry-After"), rate_limited=True)
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
                if deferred:
                    return Reply(status, BodyReader(response, parse, url), dict(response.headers))
                try:
                    body = parse(response.content)
                except UpstreamMalformed as exc:
                    raise UpstreamMalformed(f"{url}: {exc}") from None
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

    def _svc(self, form_id: str, table: str = "Submissions") -> str:
        return f"projects/{self.project_id}/forms/{self._quote(form_id)}.svc/{table}"

    def form_fields(self, form_id: str) -> list[dict[str, Any]]:
        """The current version's schema (``fields?odata=true``): path, name, type, selectMultiple, binary."""
        reply = self.get(f"projects/{self.project_id}/forms/{self._quote(form_id)}/fields", {"odata": "true"})
        if not isinstance(reply.body, list):
            raise UpstreamMalformed(f"fields of {form_id}: expected a list")
        return reply.body

    def id_list(self, form_id: str, etag: str | None, *, deferred: bool = False) -> Reply:
        """Every submission id with its deletion state, conditional on the ETag of the last complete run.

        The ETag of an OData document covers exactly the rows it selects (captures 0610/0620/1490/1600), so
        only the whole list tells whether anything in the form changed — and only a list that includes deleted
        rows sees a change to one (restored, reviewed, deleted again). 304 = nothing changed (one cheap
        request); 200 = the ids (``body`` is an :class:`IdList`), which the runner reconciles against the
        warehouse. The list is read straight from the bytes, never as one dict per row.

        :param deferred: the body is a :class:`BodyReader` (see :meth:`get`): a large form's list arrives while
            the caller pages through the changes.
        """
        return self.get(
            self._svc(form_id),
            {"$filter": ALL_ROWS, "$select": "__id,__system/deletedAt"},
            etag=etag,
            parse=_scan_id_list if deferred else _parse_id_list,
            deferred=deferred,
        )

    def rows_by_id(self, form_id: str, ids: list[str], *, batch: int = 40) -> Iterator[Page]:
        """Pages of the rows (repeats expanded, deleted ones included) of the given submission ids."""
        for i in range(0, len(ids), batch):
            chunk = ids[i : i + batch]
            wanted = " or ".join(f"__id eq '{_odata_string(x)}'" for x in chunk)
            params = {
                "$expand": "*",
                "$filter": f"({wanted}) and (__system/deletedAt eq null or __system/deletedAt ne null)",
            }
            yield from self.pages(form_id, params, prefetch=False)

    def pages(
        self,
        form_id: str,
        params: dict[str, Any],
        table: str = "Submissions",
        *,
        prefetch: bool | None = None,
        parser: PageParser | None = None,
    ) -> Iterator[Page]:
        """Every page of an OData table, following ``@odata.nextLink`` (never ``$skip``).

        With prefetch the next page's bytes are requested as soon as a page arrives, by a thread that only
        waits on the network, so the server works while the caller loads; the caller decodes — unless the
        parser decodes in another process, then the thread hands the bytes over and waits for the document.
        (Decoding in that thread would hold the GIL against the caller's database writes, which release and
        retake it per row.) An error on that page surfaces when the caller asks for it, exactly as without
        prefetch.

        :param parser: decodes pages (default: :func:`sync.odata.parse_document`, rows not prepared).
        """
        path = self._svc(form_id, table)
        seen: set[str] = set()
        parse_page = _parse_page if parser is None else lambda raw: _checked_page(parser.parse(raw))

        def fetch(target: str, query: dict[str, Any] | None, malformed: int = 0) -> Page:
            return self._page(self.get(target, query, parse=parse_page, malformed=malformed), path)

        # with an offloaded parser, the page after next is requested from the link read off the raw bytes
        # (peek_next_link) while the parser works: fetching and decoding overlap as well as decoding and loading
        early: list[tuple[str, Future[Reply]]] = []

        def raw_page(target: str) -> Reply:
            return self.get(target, None, parse=_raw_bytes)

        def ahead(target: str, fetched: Future[Reply] | None) -> Reply:
            reply = fetched.result() if fetched is not None else raw_page(target)
            if parser is not None and parser.offloaded:
                link = peek_next_link(reply.body)
                if link is not None and not self._cancel.is_set():
                    guess = _without_count(self.relative(link))
                    early.append((guess, pool.submit(raw_page, guess)))
                reply.body = parser.submit(reply.body)
            return reply

        def decode(reply: Reply, target: str) -> Page:
            try:
                reply.body = parse_page(reply.body)
            except UpstreamMalformed as exc:
                log.info("%s: %s; asking again", path, exc)
                return fetch(target, None, malformed=1)
            return self._page(reply, path)

        def follow(page: Page) -> str | None:
            link = page.next_link
            if link is None:
                return None
            if link in seen:
                raise PaginationLoop(f"{path}: the server sent the same next page twice ({link})")
            seen.add(link)
            return _without_count(self.relative(link))

        if not (self.prefetch if prefetch is None else prefetch):
            page = fetch(path, params)
            while True:
                yield page
                target = follow(page)
                if target is None:
                    return
                page = None  # type: ignore[assignment]
                page = fetch(target, None)

        pool = ThreadPoolExecutor(2, thread_name_prefix="central-prefetch")
        pending: Future[Reply] | None = None
        self._cancel.clear()
        try:
            page = fetch(path, params)
            while True:
                target = follow(page)
                if target is not None:
                    fetched = None
                    while early:  # at most one; a wrong guess is left to finish, unused
                        guess, future = early.pop()
                        if guess == target:
                            fetched = future
                    pending = pool.submit(ahead, target, fetched)
                yield page
                if target is None or pending is None:
                    return
                page = None  # type: ignore[assignment]  # the caller is done with it: free it before the next
                reply = pending.result()
                pending = None
                page = decode(reply, target)
                del reply
        finally:
            if pending is not None or early:
                # the caller stopped early: stop retrying, wait for what is in flight
                self._cancel.set()
                for future in [*([pending] if pending is not None else []), *(f for _g, f in early)]:
                    with contextlib.suppress(BaseException):  # its outcome no longer matters
                        future.result()
                self._cancel.clear()
            pool.shutdown(wait=True)

    def _page(self, reply: Reply, path: str) -> Page:
        doc: ParsedDocument = reply.body
        count = doc.members.get("@odata.count")
        return Page(
            rows=doc.rows,
            next_link=doc.members.get("@odata.nextLink"),
            etag=reply.headers.get("ETag"),
            count=count if isinstance(count, int) and not isinstance(count, bool) else None,
            texts=doc.texts,
            date=reply.headers.get("Date"),
            prepared=doc.prepared,
        )

    @staticmethod
    def _quote(text: str) -> str:
        return Session.urlquote(text)


def _without_count(target: str) -> str:
    """A next-page target without ``$count``: the first page's count is all the sync reads (the progress bar's
    total, whether to start the page worker), and a server that counts on every page pays a scan of the rows
    after the cursor per page — quadratic over a long sweep. Other parameters are kept byte for byte."""
    path, sep, query = target.partition("?")
    if not sep:
        return target
    kept = [part for part in query.split("&") if unquote(part.partition("=")[0]) != "$count"]
    return path + ("?" + "&".join(kept) if kept else "")


def _odata_string(text: str) -> str:
    return text.replace("'", "''")


def _safe_json(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None
