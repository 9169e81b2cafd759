"""Admin response times with many users at once while a sync writes (DESIGN.md §8: every admin page under
300 ms at p95 with 50,000 KPM, 20 concurrent users, while a sync writes).

Against the warehouse ``bench/graduation.py`` builds (50,000 KPM, assessed, read models refreshed):

- the admin runs in a process of its own, as ``graduasi admin serve`` runs it (werkzeug, one thread per
  request; one Python process, the harshest case: under gunicorn several workers share the load);
- ``--users`` simulated staff log in and request the admin's pages in a loop, pausing between requests for a
  think time drawn uniformly from half to one and a half times ``--think`` seconds;
- a writer process pulls a trickle of new submissions (``--rate`` a second) from a Central simulator into the
  same warehouse with graduasi's own sync, every ``--every`` seconds. It uses the simulator's load-test forms,
  so the graduation data the pages show stay as they are.

Prints p50, p95 and p99 per page and overall, the errors, and what the writer wrote::

    .venv/bin/python bench/graduation.py --kpm 50000              # builds the warehouses once (cached)
    .venv/bin/python bench/admin_load.py --backends sqlite,postgres --users 20 --seconds 60

Not part of ``make test``. The load generator shares the machine's cores with the admin and the writer, so the
numbers are upper bounds.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import random
import secrets
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
TARGET_P95_MS = 300.0
WRITER_HOUSEHOLDS = 200


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_for(url: str, seconds: float = 60.0) -> None:
    import requests

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if requests.get(url, timeout=2).status_code < 500:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"the admin did not answer at {url} within {seconds:.0f} s")


def start_admin(db_url: str, env: dict[str, str]) -> tuple[subprocess.Popen[bytes], str, str, str]:
    """A staff account (new each run) and the admin serving ``db_url``: (process, base URL, user, password)."""
    user, password = f"bench{os.getpid()}x{secrets.token_hex(3)}", secrets.token_urlsafe(12)
    cli = [sys.executable, "-m", "graduasi"]
    subprocess.run(
        [*cli, "admin", "create-user", user, "--role", "province_admin", "--password-stdin"],
        input=f"{password}\n".encode(),
        env=env,
        check=True,
        capture_output=True,
    )
    port = _free_port()
    proc = subprocess.Popen(
        [*cli, "admin", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    _wait_for(f"{base}/login")
    return proc, base, user, password


def write_trickle(db_url: str, rate: float, every: float, seconds: float, ready: Any) -> dict[str, Any]:
    """The writer: a Central simulator gaining ``rate`` visits a second, synced into the warehouse every
    ``every`` seconds with graduasi's sync, for ``seconds``. Returns what it wrote and how long each sync took."""
    from sqlalchemy import delete

    from simulators.central import CentralStore, start_server
    from simulators.central.loadgen import REGISTRATION_ID, VISIT_ID, seed_loadtest, submit_visits
    from sync.central import CentralClient
    from sync.runner import sync_central_form
    from warehouse.db import make_engine, write_connection
    from warehouse.models import SyncState

    store = CentralStore()
    project_id, _admin = seed_loadtest(store, WRITER_HOUSEHOLDS)
    server = start_server(store)
    engine = make_engine(db_url)
    runs: list[tuple[float, int]] = []
    try:
        with write_connection(engine) as conn:  # a new simulator each run: start the load-test forms afresh
            conn.execute(
                delete(SyncState.__table__).where(SyncState.form_id.in_([REGISTRATION_ID, VISIT_ID]))
            )
        with CentralClient(server.url, "loadtest@example.test", "loadtest", project_id) as client:
            for form_id in (REGISTRATION_ID, VISIT_ID):
                first = sync_central_form(engine, client, form_id, show_progress=False)
                if first.status != "ok":
                    raise SystemExit(f"writer: the first sync of {form_id} failed: {first.error}")
            ready.set()
            deadline = time.monotonic() + seconds
            number = 0
            while time.monotonic() < deadline:
                number += 1
                submit_visits(
                    store, project_id, max(1, round(rate * every)), households=WRITER_HOUSEHOLDS, seed=number
                )
                started = time.monotonic()
                result = sync_central_form(engine, client, VISIT_ID, show_progress=False)
                took = time.monotonic() - started
                if result.status != "ok":
                    raise SystemExit(f"writer: sync {number} failed: {result.error_class}: {result.error}")
                runs.append((took, result.fetched))
                time.sleep(max(0.0, every - took))
    finally:
        server.stop()
        engine.dispose()
    return {
        "syncs": len(runs),
        "fetched": sum(n for _t, n in runs),
        "slowest_sync_s": max((t for t, _n in runs), default=0.0),
    }


def _writer_main(db_url: str, rate: float, every: float, seconds: float, ready: Any, out: Any) -> None:
    try:
        out.put(write_trickle(db_url, rate, every, seconds, ready))
    except BaseException as exc:  # the parent prints it
        ready.set()
        out.put({"error": f"{type(exc).__name__}: {exc}"})


def run_users(base: str, user: str, password: str, users: int, think: float, seconds: float) -> list[Any]:
    """``users`` threads requesting the admin's pages for ``seconds``, once every one has logged in (a login
    hashes a password on purpose slowly, and is not what is measured): (page, ms, status) per request."""
    from bench.admin_pages import PAGES, log_in

    sessions = [log_in(base, user, password) for _ in range(users)]
    results: list[tuple[str, float, int]] = []
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def one(number: int) -> None:
        rng = random.Random(number)
        session = sessions[number]
        time.sleep(rng.uniform(0, think))  # users do not all start at the same instant
        while time.monotonic() < deadline:
            path = rng.choice(PAGES)
            started = time.perf_counter()
            try:
                status = session.get(base + path, timeout=60).status_code
            except Exception:  # a refused or dropped connection counts as an error
                status = 0
            elapsed = (time.perf_counter() - started) * 1000
            with lock:
                results.append((path, elapsed, status))
            time.sleep(rng.uniform(0.5 * think, 1.5 * think))

    threads = [threading.Thread(target=one, args=(i,)) for i in range(users)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def _percentile(sorted_ms: list[float], share: float) -> float:
    return sorted_ms[max(0, round(share * len(sorted_ms)) - 1)] if sorted_ms else 0.0


def report(results: list[Any]) -> tuple[float, int]:
    """Print p50/p95/p99 per page and overall; returns (overall p95, errors)."""
    by_page: dict[str, list[float]] = {}
    errors = 0
    for path, ms, status in results:
        by_page.setdefault(path, []).append(ms)
        errors += not 200 <= status < 400
    everything = sorted(ms for _p, ms, _s in results)
    for path, times in [*sorted(by_page.items()), ("all pages", everything)]:
        times = sorted(times)
        print(
            f"  {path:32s} {len(times):5d} requests   p50 {_percentile(times, 0.5):5.0f} ms   "
            f"p95 {_percentile(times, 0.95):5.0f} ms   p99 {_percentile(times, 0.99):5.0f} ms"
        )
    return _percentile(everything, 0.95), errors


def main() -> int:
    sys.path.insert(0, str(ROOT))
    from bench.graduation import database_url

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kpm", type=int, default=50_000, help="the bench/graduation.py warehouse to use")
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--think", type=float, default=1.0, help="mean seconds between a user's requests")
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--rate", type=float, default=10.0, help="new submissions a second for the writer")
    parser.add_argument("--every", type=float, default=5.0, help="seconds between the writer's syncs")
    args = parser.parse_args()
    print(
        f"bench/admin_load.py: {args.users} users, think time ~{args.think:g} s, {args.seconds:g} s; "
        f"a sync of {args.rate:g} submissions/s every {args.every:g} s; 2 cores, load average "
        f"{os.getloadavg()[0]:.1f}"
    )
    for backend in args.backends.split(","):
        db_url, missing = database_url(backend, args.kpm, rebuild=False)
        if missing:
            raise SystemExit(
                f"no {backend} warehouse at {args.kpm} KPM: run bench/graduation.py --kpm {args.kpm}"
            )
        env = {
            **os.environ,
            "GRADUASI_DATABASE_URL": db_url,
            "GRADUASI_COOKIE_SECURE": "false",
            "PYTHONPATH": str(ROOT),
        }
        admin, base, user, password = start_admin(db_url, env)
        context = multiprocessing.get_context("spawn")
        ready, out = context.Event(), context.Queue()
        writer = context.Process(
            target=_writer_main, args=(db_url, args.rate, args.every, args.seconds, ready, out)
        )
        try:
            writer.start()
            ready.wait(300)
            results = run_users(base, user, password, args.users, args.think, args.seconds)
            wrote = out.get(timeout=args.seconds + 300)
            writer.join(60)
        finally:
            admin.terminate()
            admin.wait(30)
            if writer.is_alive():
                writer.terminate()
        print(f"\n{backend}:")
        p95, errors = report(results)
        verdict = "met" if p95 <= TARGET_P95_MS and not errors else "NOT met"
        print(f"  errors: {errors}; target p95 <= {TARGET_P95_MS:.0f} ms: {verdict}")
        if "error" in wrote:
            print(f"  writer FAILED: {wrote['error']}")
        else:
            print(
                f"  writer: {wrote['syncs']} syncs fetching {wrote['fetched']:,} submissions (new ones and the "
                f"overlap each run re-reads), the slowest {wrote['slowest_sync_s']:.2f} s"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
