"""The Central client alone: Retry-After, the page loop guard, the probe."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from sync.central import CentralClient, RetryPolicy, retry_after_seconds
from sync.errors import PaginationLoop
from tests.sync.conftest import FORM_ID, Env, seed

pytestmark = pytest.mark.timeout(30)


def test_retry_after__seconds_and_http_date__read() -> None:
    now = datetime(2026, 11, 28, 3, 0, tzinfo=UTC)
    assert retry_after_seconds("7") == 7.0
    assert (
        retry_after_seconds(format_datetime(now + timedelta(seconds=30), usegmt=True), now=now.timestamp())
        == 30
    )
    assert retry_after_seconds("soon") is None and retry_after_seconds(None) is None


class _SamePage(BaseHTTPRequestHandler):
    """A broken server whose nextLink always points back at the same page."""

    def do_GET(self) -> None:
        if self.path.startswith("/v1/users/current"):
            body = b"{}"
        else:
            body = json.dumps(
                {
                    "value": [{"__id": "a"}],
                    "@odata.nextLink": "http://x/v1/projects/1/forms/f.svc/Submissions?$skiptoken=01e30=",
                }
            ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        body = b'{"token":"t"}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def same_page_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _SamePage)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("prefetch", [False, True])
def test_pages__next_link_to_the_same_page__pagination_loop_after_two_requests(
    same_page_server: str, prefetch: bool
) -> None:
    """F6d: a nextLink already followed stops the sweep (requests = distinct pages + 1 at most)."""
    with CentralClient(
        same_page_server, "a@b.c", "x", 1, policy=RetryPolicy(attempts=1), prefetch=prefetch
    ) as client:
        before = client.requests
        with pytest.raises(PaginationLoop):
            for _page in client.pages("f", {"$top": 1}):
                pass
        assert client.requests - before <= 3


def test_id_list__then_if_none_match__304_in_one_request_and_changes_to_deleted_rows_seen(
    central: Env,
) -> None:
    """The probe: every id with its deletion state and an ETag; then one conditional request that costs nothing,
    until anything changes — a deleted row restored and deleted again included."""
    ids = seed(central, 12)
    central.store.delete(central.project_id, FORM_ID, ids[0])
    with central.client() as client:
        reply = client.id_list(FORM_ID, None)
        assert sorted(reply.body.live_ids()) == sorted(ids[1:]) and reply.body.deleted_ids() == [ids[0]]
        etag = reply.headers["ETag"]
        before = client.requests
        again = client.id_list(FORM_ID, etag)
        assert again.status == 304 and client.requests - before == 1
        central.store.restore(central.project_id, FORM_ID, ids[0])
        central.store.delete(central.project_id, FORM_ID, ids[0])
        assert client.id_list(FORM_ID, etag).status == 200


def test_id_list__deferred__answers_on_headers_and_the_list_arrives_meanwhile(central: Env) -> None:
    """The probe returns once its headers are in; the ids, dripped slowly, arrive in a thread of their own."""
    from simulators.central import faults as f

    ids = seed(central, 30)
    central.faults.add(f.drip(chunk=256, interval=0.02, kind="odata", path="select"))
    with central.client() as client:
        started = time.monotonic()
        reply = client.id_list(FORM_ID, None, deferred=True)
        answered = time.monotonic() - started
        listing = reply.body.result()
        finished = time.monotonic() - started
    assert reply.status == 200 and reply.headers["ETag"]
    assert sorted(listing.live_ids()) == sorted(ids) and listing.deleted_count == 0
    # the body is several kB at 256 bytes per 20 ms: the headers came well before it
    assert answered < finished / 3, (answered, finished)


def test_id_list__deferred_past_its_memory_share__ids_kept_in_a_file(
    central: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A large form's ids wait for the reconciliation on disk, not in the sync's memory."""
    import sync.central

    monkeypatch.setattr(sync.central, "ID_LIST_IN_MEMORY", 200)
    ids = seed(central, 30)
    central.store.delete(central.project_id, FORM_ID, ids[0])
    with central.client() as client:
        listing = client.id_list(FORM_ID, None, deferred=True).body.result()
    assert listing.live._rolled  # a temporary file now
    assert sorted(listing.live_ids()) == sorted(ids[1:]) and listing.deleted_ids() == [ids[0]]
    assert (listing.live_count, listing.deleted_count) == (29, 1)


def test_id_list__deferred_304__no_body_to_read(central: Env) -> None:
    seed(central, 5)
    with central.client() as client:
        etag = client.id_list(FORM_ID, None).headers["ETag"]
        again = client.id_list(FORM_ID, etag, deferred=True)
    assert again.status == 304 and again.body is None


def test_pages__count_asked_on_the_first_page_only(central: Env) -> None:
    """Central counts the rows after the cursor on every page that asks: only the first page asks."""
    seed(central, 25)
    with central.client() as client:
        pages = list(client.pages(FORM_ID, {"$top": 10, "$count": "true"}))
    assert [len(p.rows) for p in pages] == [10, 10, 5]
    assert pages[0].count == 25 and [p.count for p in pages[1:]] == [None, None]
    targets = [r.target for r in central.server.request_log if ".svc/Submissions" in r.target]
    assert "%24count=true" in targets[0] or "$count=true" in targets[0]
    assert all("count" not in t and "skiptoken" in t for t in targets[1:]), targets


def test_without_count__other_parameters_kept_byte_for_byte() -> None:
    from sync.central import _without_count

    link = "projects/1/forms/f.svc/Submissions?%24top=10&%24count=true&%24skiptoken=01e%2Bx%3D%3D&%24expand=*"
    assert (
        _without_count(link)
        == "projects/1/forms/f.svc/Submissions?%24top=10&%24skiptoken=01e%2Bx%3D%3D&%24expand=*"
    )
    assert _without_count("a?$count=true") == "a"
    assert _without_count("a?$top=1") == "a?$top=1" and _without_count("a") == "a"
