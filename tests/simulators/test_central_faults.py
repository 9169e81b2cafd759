"""Faults on demand (reliability.md §3): HTTP errors, HTML bodies, truncation, TCP resets, delays, drips,
expiring sessions and store hooks between pages, from code and from the ``--faults`` text form."""

from __future__ import annotations

import errno
import time
from collections.abc import Iterator
from email.utils import parsedate_to_datetime

import pytest
import requests

from simulators.central import CentralStore, FaultContext, FaultPlan, RunningServer, start_server
from simulators.central import faults as f
from tests.simulators.conftest import login

ODATA = "/v1/projects/1/forms/uji.svc/Submissions"


@pytest.fixture
def plan() -> FaultPlan:
    return FaultPlan()


@pytest.fixture
def faulty(sample_store: CentralStore, plan: FaultPlan) -> Iterator[RunningServer]:
    app_user = sample_store.projects[1].app_users[0]
    for i in range(6):
        sample_store.submit(1, "uji", {"nama": f"KPM {i}"}, submitter=app_user)
    with start_server(sample_store, faults=plan) as server:
        yield server


def token(server: RunningServer) -> dict[str, str]:
    reply = requests.post(
        f"{server.url}/v1/sessions", json={"email": "staf@example.test", "password": "rahasia"}
    )
    return {"Authorization": f"Bearer {reply.json()['token']}"}


def test_fault_status__nth_odata_request__503_with_retry_after(
    faulty: RunningServer, plan: FaultPlan
) -> None:
    """Should answer only the 2nd OData request with 503 and Retry-After, and log every status."""
    plan.add(f.status(503, retry_after=7, kind="odata", nth=2))
    auth = token(faulty)
    codes = [requests.get(faulty.url + ODATA, headers=auth).status_code for _ in range(3)]
    assert codes == [200, 503, 200]
    failed = requests.get  # noqa: F841 - readability of the next assertions
    plan.add(f.status(429, retry_after="Wed, 21 Oct 2026 07:28:00 GMT", kind="odata", from_nth=1, times=1))
    reply = requests.get(faulty.url + ODATA, headers=auth)
    assert reply.status_code == 429 and reply.headers["Retry-After"] == "Wed, 21 Oct 2026 07:28:00 GMT"
    assert [r.status for r in faulty.request_log if r.kind == "odata"] == [200, 503, 200, 429]


def test_fault_html__portal_page__200_text_html(faulty: RunningServer, plan: FaultPlan) -> None:
    """Should answer 200 text/html (a captive portal) instead of JSON."""
    plan.add(f.html(kind="odata"))
    reply = requests.get(faulty.url + ODATA, headers=token(faulty))
    assert reply.status_code == 200 and reply.headers["Content-Type"].startswith("text/html")
    with pytest.raises(requests.exceptions.JSONDecodeError):
        reply.json()


def test_fault_truncate__cut_json_and_short_body(faulty: RunningServer, plan: FaultPlan) -> None:
    """Should send cut JSON with a matching Content-Length (cut), or fewer bytes than announced (short)."""
    plan.add(f.truncate("cut", kind="odata", nth=1)).add(f.truncate("short", kind="odata", nth=2))
    auth = token(faulty)
    cut = requests.get(faulty.url + ODATA, headers=auth)
    assert int(cut.headers["Content-Length"]) == len(cut.content) > 0
    with pytest.raises(requests.exceptions.JSONDecodeError):
        cut.json()
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        requests.get(faulty.url + ODATA, headers=auth)
    assert requests.get(faulty.url + ODATA, headers=auth).json()["value"]


@pytest.mark.parametrize("mode", ["before", "mid"])
def test_fault_reset__tcp_rst__connection_reset_by_peer(
    faulty: RunningServer, plan: FaultPlan, mode: str
) -> None:
    """Should abort the connection with a TCP RST (ECONNRESET on the client), before or in the middle of a body."""
    plan.add(f.reset(mode, kind="odata", nth=1))
    with pytest.raises(
        (requests.exceptions.ConnectionError, requests.exceptions.ChunkedEncodingError)
    ) as info:
        requests.get(faulty.url + ODATA, headers=token(faulty))
    assert "Connection reset by peer" in str(info.value) or f"[Errno {errno.ECONNRESET}]" in str(info.value)
    assert faulty.request_log[-1].status == (0 if mode == "before" else 200)


def test_fault_delay_and_drip__slow_answers(faulty: RunningServer, plan: FaultPlan) -> None:
    """Should make a client with a short read timeout fail (delay) and deliver a body slowly (drip)."""
    plan.add(f.delay(1.0, kind="odata", nth=1)).add(f.drip(chunk=512, interval=0.02, kind="odata", nth=2))
    auth = token(faulty)
    with pytest.raises(requests.exceptions.ReadTimeout):
        requests.get(faulty.url + ODATA, headers=auth, timeout=0.3)
    started = time.monotonic()
    dripped = requests.get(faulty.url + ODATA, headers=auth, timeout=5)
    elapsed = time.monotonic() - started
    assert dripped.json()["value"]
    assert elapsed >= 0.02 * (len(dripped.content) // 512 - 1)


def test_fault_expire_session__mid_paging__401_then_relogin_continues(
    faulty: RunningServer, plan: FaultPlan
) -> None:
    """Should kill the session on the 2nd OData request (401.2); a new login resumes at the same nextLink."""
    plan.add(f.expire_session(kind="odata", nth=2))
    http = login(faulty.url, "staf@example.test", "rahasia")
    page1 = http.get(faulty.url + ODATA + "?$top=3&$select=__id").json()
    denied = http.get(page1["@odata.nextLink"])
    assert (denied.status_code, denied.json()["code"]) == (401, 401.2)
    http = login(faulty.url, "staf@example.test", "rahasia")
    page2 = http.get(page1["@odata.nextLink"]).json()
    assert len(page1["value"]) + len(page2["value"]) == 6


def test_fault_hook__between_pages__store_changes_seen_by_next_page(faulty: RunningServer, plan: FaultPlan,
                                                                    sample_store: CentralStore) -> None:  # fmt: skip
    """Should run a hook before the 2nd page that edits an unfetched row: the page serves the new version."""
    calls: list[FaultContext] = []
    oldest = sample_store.live_ids(1, "uji")[-1]

    def edit_oldest(ctx: FaultContext) -> None:
        calls.append(ctx)
        ctx.store.edit(1, "uji", oldest, {"nama": "diubah"}, submitter=ctx.store.user("staf@example.test"))

    plan.add(f.hook(edit_oldest, kind="odata", nth=2))
    http = login(faulty.url, "staf@example.test", "rahasia")
    page1 = http.get(faulty.url + ODATA + "?$top=3").json()
    page2 = http.get(page1["@odata.nextLink"]).json()
    assert len(calls) == 1 and calls[0].n == 2 and calls[0].kind == "odata"
    assert page2["value"][-1]["__id"] == oldest and page2["value"][-1]["nama"] == "diubah"


def test_fault_date_skew__date_header_shifted(faulty: RunningServer, plan: FaultPlan) -> None:
    """Should shift the Date header by the given seconds."""
    plan.add(f.date_skew(-7200, kind="rest"))
    reply = requests.get(faulty.url + "/v1/projects", headers=token(faulty))
    skew = parsedate_to_datetime(reply.headers["Date"]).timestamp() - time.time()
    assert -7210 < skew < -7190


def test_fault_occurrence__every_from_times() -> None:
    """Should fire on every k-th match, from the n-th, at most `times` times, counting only matches."""
    plan = FaultPlan(
        [
            f.status(500, every=2),
            f.status(502, from_nth=3, times=2, path=r"Submissions"),
            f.html(method="POST"),
        ]
    )
    fired = []
    for _ in range(6):
        fired.append([r.status for r, _ in plan.fire("GET", "/v1/x.svc/Submissions", "odata")])
    assert fired == [[], [500], [502], [500, 502], [], [500]]
    assert [r.action for r, _ in plan.fire("POST", "/v1/sessions", "sessions")] == ["html"]


def test_fault_plan_parse__text_form__rules_and_errors() -> None:
    """Should parse the --faults grammar, quoted values included, and explain mistakes."""
    plan = FaultPlan.parse(
        "status=503,retry_after=7,kind=odata,nth=2; reset=mid,path=Submissions,from=3,times=1;"
        " delay=0.5,every=4 ; html ; truncate=short,fraction=0.3 ; drip=10,interval=0.1;"
        ' expire_session,kind=odata,nth=4; date_skew=-7200; status=429,retry_after="Wed, 21 Oct 2026 07:28:00 GMT"'
    )
    rules = plan.rules
    assert [r.action for r in rules] == ["status", "reset", "delay", "html", "truncate", "drip", "expire_session",
                                         "date_skew", "status"]  # fmt: skip
    assert (rules[0].status, rules[0].retry_after, rules[0].kind, rules[0].nth) == (503, "7", "odata", 2)
    assert (rules[1].mode, rules[1].path, rules[1].from_nth, rules[1].times) == ("mid", "Submissions", 3, 1)
    assert (rules[4].mode, rules[4].fraction, rules[5].chunk, rules[5].interval) == ("short", 0.3, 10, 0.1)
    assert rules[8].retry_after == "Wed, 21 Oct 2026 07:28:00 GMT"
    for bad, hint in [
        ("kind=odata", "no action"),
        ("status=503,html", "two actions"),
        ("status=503,colour=red", "unknown item"),
        ("reset=later", "'before', 'headers' or 'mid'"),
        ("html,kind=moon", "unknown request kind"),
        ('status=500,body="open', "unbalanced"),
    ]:
        with pytest.raises(ValueError, match=hint):
            FaultPlan.parse(bad)
