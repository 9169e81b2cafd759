"""Serving the admin with werkzeug's threaded server: in the foreground (development, the demo) or in a
background thread (tests, the demo's own orchestration). Production runs under gunicorn (docs/admin.md)."""

from __future__ import annotations

import logging
import threading
from types import TracebackType

from flask import Flask
from werkzeug.serving import BaseWSGIServer, make_server

log = logging.getLogger(__name__)


def serve(app: Flask, host: str = "127.0.0.1", port: int = 5000) -> None:
    """Serve ``app`` on ``host:port`` until interrupted (Ctrl+C), one thread per request."""
    server = make_server(host, port, app, threaded=True)
    log.info("admin listening on http://%s:%d/", host, server.port)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        log.info("admin stopped")
    finally:
        server.server_close()


class ServerThread:
    """``app`` served by a threaded werkzeug server in a background thread; port 0 picks a free port.

    Use as a context manager, or call :meth:`start` and :meth:`stop`.
    """

    def __init__(self, app: Flask, host: str = "127.0.0.1", port: int = 0) -> None:
        self._server: BaseWSGIServer = make_server(host, port, app, threaded=True)
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="webadmin-server", daemon=True
        )

    @property
    def port(self) -> int:
        """The port the server listens on."""
        return self._server.port

    @property
    def url(self) -> str:
        """The base URL, e.g. ``http://127.0.0.1:41234``."""
        return f"http://{self._server.host}:{self._server.port}"

    def start(self) -> ServerThread:
        """Start serving in the background; returns self."""
        self._thread.start()
        log.info("admin listening on %s/", self.url)
        return self

    def stop(self) -> None:
        """Stop serving and release the port."""
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)

    def __enter__(self) -> ServerThread:
        return self.start()

    def __exit__(
        self, _type: type[BaseException] | None, _exc: BaseException | None, _tb: TracebackType | None
    ) -> None:
        self.stop()
