"""Fixtures for the form tests: the ODK Web Forms test page (built with npm once) served on 127.0.0.1 and a
headless Debian chromium driven by Playwright."""

from __future__ import annotations

import fcntl
import functools
import http.server
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest

from tests.forms.webform_driver import WebForm

ROOT = Path(__file__).resolve().parents[2]
WEBFORMS_DIR = Path(__file__).resolve().parent / "webforms"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def webforms_dist() -> Path:
    """tests/forms/webforms/dist, built by scripts/webforms-build.sh (a no-op when it is up to date)."""
    lock_path = WEBFORMS_DIR / ".build.lock"
    with lock_path.open("w") as lock:  # xdist workers share the folder: build once
        fcntl.flock(lock, fcntl.LOCK_EX)
        done = subprocess.run(
            ["sh", str(ROOT / "scripts" / "webforms-build.sh")], capture_output=True, text=True, timeout=600
        )
    if done.returncode != 0:
        pytest.fail(f"scripts/webforms-build.sh failed:\n{done.stdout}\n{done.stderr}")
    return WEBFORMS_DIR / "dist"


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="session")
def webforms_url(webforms_dist: Path) -> Iterator[str]:
    """URL of the test page, served by a thread on a free loopback port."""
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(webforms_dist))
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/index.html"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="session")
def browser_context(tmp_path_factory: pytest.TempPathFactory, playwright_driver: Any) -> Iterator[object]:
    """A headless chromium with a fresh profile that may only talk to 127.0.0.1."""
    context = playwright_driver.chromium.launch_persistent_context(
        str(tmp_path_factory.mktemp("chromium-profile")),
        executable_path=CHROMIUM,
        headless=True,
        args=CHROMIUM_ARGS,
        locale="en-US",
        timezone_id="Asia/Jakarta",
    )

    def only_loopback(route, request) -> None:  # type: ignore[no-untyped-def]
        host = urlparse(request.url).hostname
        if request.url.startswith(("data:", "blob:")) or host == "127.0.0.1":
            route.continue_()
        else:
            route.abort()

    context.route("**/*", only_loopback)
    yield context
    context.close()


@pytest.fixture
def webform(browser_context, webforms_url: str) -> Iterator[WebForm]:  # type: ignore[no-untyped-def]
    """A fresh page of the Web Forms test page."""
    page = browser_context.new_page()
    page.goto(webforms_url)
    yield WebForm(page)
    page.close()
