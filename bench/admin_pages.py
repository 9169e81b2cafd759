"""Response times of the admin's pages for a logged-in user, against a running admin (the demo, or
``graduasi admin serve``): median and p95 of sequential requests per page.

    .venv/bin/graduasi demo --kpm 50000 --port 5055        # prints "login: demo PASSWORD"
    .venv/bin/python bench/admin_pages.py http://127.0.0.1:5055 demo PASSWORD

Not part of ``make test``; a busy machine gives upper bounds.
"""

from __future__ import annotations

import argparse
import re
import statistics
import time

import requests

PAGES = (
    "/",
    "/?per=2020-06-30",  # ages on another date than the read models'
    "/pendamping",
    "/pendamping?sort=naik&desc=1",
    "/pendamping?kab=3601&page=2",
)


def log_in(base: str, user: str, password: str) -> requests.Session:
    """A session logged in through the login form (with its CSRF token)."""
    session = requests.Session()
    form = session.get(f"{base}/login", timeout=30).text
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', form
    )
    if token is None:
        raise SystemExit("no CSRF token on the login page")
    answer = session.post(
        f"{base}/login",
        data={"csrf_token": token.group(1), "username": user, "password": password},
        timeout=30,
    )
    if answer.url.rstrip("/").endswith("/login"):
        raise SystemExit(
            "login refused: check the user and password (and GRADUASI_COOKIE_SECURE=false over http)"
        )
    return session


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("base", help="the admin's address, e.g. http://127.0.0.1:5055")
    parser.add_argument("user")
    parser.add_argument("password")
    parser.add_argument("--requests", type=int, default=20, help="requests per page")
    args = parser.parse_args()
    session = log_in(args.base.rstrip("/"), args.user, args.password)
    for path in PAGES:
        times = []
        for _ in range(args.requests):
            started = time.perf_counter()
            answer = session.get(args.base.rstrip("/") + path, timeout=60)
            times.append((time.perf_counter() - started) * 1000)
            answer.raise_for_status()
        times.sort()
        p95 = times[max(0, round(0.95 * len(times)) - 1)]
        print(f"{path:36s} median {statistics.median(times):6.0f} ms   p95 {p95:6.0f} ms")


if __name__ == "__main__":
    main()
