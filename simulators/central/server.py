"""The HTTP transport: a threaded HTTP/1.1 server (keep-alive, chunked responses) running the WSGI app, with
the connection-level faults a WSGI server cannot produce (TCP reset via SO_LINGER 0, short bodies, slow drip).

``start_server(store)`` returns a :class:`RunningServer` (context manager) with ``url``, ``stop()`` and a
``request_log`` of what was served.
"""

from __future__ import annotations

import contextlib
import io
import logging
import socket
import struct
import sys
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote

from .app import CentralApp, Reply, reason
from .faults import Fault, FaultContext, FaultPlan, request_kind
from .store import CentralStore
from .textfmt import http_date

log = logging.getLogger(__name__)

_DEFAULT_HTML = (
    "<!DOCTYPE html><html><head><title>Login required</title></head>"
    "<body><h1>Please sign in to the network</h1></body></html>"
)


@dataclass(frozen=True)
class RequestRecord:
    """One served request: ``status`` is 0 when the connection was reset before a status line."""

    method: str
    target: str
    status: int
    time: float
    kind: str = "rest"


class _Reset(Exception):
    pass


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server
    timeout = 120

    def setup(self) -> None:
        super().setup()
        # responses go out as several writes (headers, chunks, terminator): without NODELAY, Nagle holds the
        # small last segment until the client's delayed ACK (~40 ms per request)
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def handle_one_request(self) -> None:
        # a reset must escape before BaseHTTPRequestHandler flushes the (then closed) response stream
        try:
            super().handle_one_request()
        except _Reset:
            self._reset()

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s - %s", self.address_string(), format % args)

    def do_GET(self) -> None:
        self._serve()

    do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_GET

    # --- one request -----------------------------------------------------------------------------------------
    def _serve(self) -> None:
        srv = self.server
        target = self.path
        kind = request_kind(target)
        body = self._read_body()
        fired = srv.faults.fire(self.command, target, kind) if srv.faults else []
        response_fault: Fault | None = None
        hook_failed = False
        skew = 0.0
        try:
            for rule, n in fired:
                if rule.action == "hook" and rule.callback is not None:
                    try:
                        rule.callback(
                            FaultContext(self.command, target, kind, dict(self.headers), n, srv.store)
                        )
                    except Exception:
                        log.exception("fault hook %r failed on %s %s", rule.callback, self.command, target)
                        hook_failed = True
                elif rule.action == "expire_session":
                    auth = self.headers.get("Authorization") or ""
                    if auth.startswith("Bearer "):
                        srv.store.expire_session(auth[7:])
                elif rule.action == "delay":
                    time.sleep(rule.seconds)
                elif rule.action == "date_skew":
                    skew += rule.seconds
                elif response_fault is None:
                    response_fault = rule
            if (
                response_fault is not None
                and response_fault.action == "reset"
                and response_fault.mode == "before"
            ):
                srv.record(self.command, target, 0, kind)
                raise _Reset()
            if hook_failed:
                reply = _fault_reply(Fault("status", status=500), self.command)
            elif response_fault is not None and response_fault.action in ("status", "html"):
                reply = _fault_reply(response_fault, self.command)
            else:
                reply = srv.app.handle(self._environ(body))
            # logged before sending, so the log is in the order the client saw the answers
            srv.record(self.command, target, reply.status, kind)
            self._send(reply, response_fault, skew)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def _read_body(self) -> bytes:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            parts = []
            while True:
                size = int(self.rfile.readline().split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    return b"".join(parts)
                parts.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _environ(self, body: bytes) -> dict[str, Any]:
        path, _, query = self.path.partition("?")
        environ: dict[str, Any] = {
            "REQUEST_METHOD": self.command,
            "SCRIPT_NAME": "",
            "PATH_INFO": unquote(path).encode("utf-8").decode("latin-1"),
            "QUERY_STRING": query,
            "REQUEST_URI": self.path,
            "SERVER_NAME": self.server.server_address[0],
            "SERVER_PORT": str(self.server.server_address[1]),
            "SERVER_PROTOCOL": self.request_version,
            "REMOTE_ADDR": self.client_address[0],
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(body),
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": True,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
            "CONTENT_LENGTH": str(len(body)),
        }
        for key, value in self.headers.items():
            name = key.upper().replace("-", "_")
            if name == "CONTENT_TYPE":
                environ["CONTENT_TYPE"] = value
            elif name not in (
                "CONTENT_LENGTH",
                "TRANSFER_ENCODING",
            ):  # the body is already read and de-chunked
                environ.setdefault(f"HTTP_{name}", value)
        return environ

    def _send(self, reply: Reply, fault: Fault | None, skew: float) -> None:
        head_only = self.command == "HEAD"
        no_body = head_only or reply.status in (204, 304) or reply.status < 200
        headers = list(reply.headers)
        if not any(k.lower() == "date" for k, _ in headers):
            headers.append(("Date", http_date(time.time() + skew)))
        keep_alive = (
            self.headers.get("Connection") or ""
        ).lower() != "close" and self.request_version == "HTTP/1.1"
        action = fault.action if fault is not None else None
        body_iter: Iterable[bytes] = [reply.body] if isinstance(reply.body, bytes) else reply.body
        has_length = any(k.lower() == "content-length" for k, _ in headers)
        if action in ("truncate", "reset", "drip"):
            whole = b"".join(body_iter)
            keep_alive = False
            if action == "truncate":
                cut = whole[: int(len(whole) * fault.fraction)]  # type: ignore[union-attr]
                headers = [
                    (k, v) for k, v in headers if k.lower() not in ("content-length", "transfer-encoding")
                ]
                declared = len(cut) if fault.mode == "cut" else len(whole)  # type: ignore[union-attr]
                headers.append(("Content-Length", str(declared)))
                self._head(reply.status, headers, keep_alive)
                if not no_body:
                    self.connection.sendall(cut)
                self.close_connection = True
                return
            if action == "reset":
                headers = [
                    (k, v) for k, v in headers if k.lower() not in ("content-length", "transfer-encoding")
                ]
                headers.append(("Content-Length", str(len(whole))))
                self._head(reply.status, headers, keep_alive)
                if fault.mode == "mid" and not no_body:  # type: ignore[union-attr]
                    self.connection.sendall(whole[: int(len(whole) * fault.fraction)])  # type: ignore[union-attr]
                raise _Reset()
            # drip
            headers = [(k, v) for k, v in headers if k.lower() not in ("content-length", "transfer-encoding")]
            headers.append(("Content-Length", str(len(whole))))
            self._head(reply.status, headers, keep_alive)
            if not no_body:
                step = max(1, fault.chunk)  # type: ignore[union-attr]
                for i in range(0, len(whole), step):
                    self.connection.sendall(whole[i : i + step])
                    if i + step < len(whole):
                        time.sleep(fault.interval)  # type: ignore[union-attr]
            self.close_connection = True
            return
        if no_body:
            for _ in body_iter:
                pass
            self._head(reply.status, headers, keep_alive)
        elif has_length:
            self._head(reply.status, headers, keep_alive, first=b"".join(body_iter))
        else:
            headers.append(("Transfer-Encoding", "chunked"))
            self._head(reply.status, headers, keep_alive)
            pending = b""
            for chunk in body_iter:
                if chunk:
                    if pending:
                        self.connection.sendall(pending)
                    pending = b"%x\r\n%s\r\n" % (len(chunk), chunk)
            self.connection.sendall(pending + b"0\r\n\r\n")
        self.close_connection = not keep_alive

    def _head(
        self, status: int, headers: list[tuple[str, str]], keep_alive: bool, first: bytes = b""
    ) -> None:
        lines = [f"HTTP/1.1 {status} {reason(status)}"]
        lines += [f"{k}: {v}" for k, v in headers]
        lines.append("Connection: keep-alive" if keep_alive else "Connection: close")
        if keep_alive:
            lines.append("Keep-Alive: timeout=5")
        self.connection.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + first)

    def _reset(self) -> None:
        """Abort the connection: with SO_LINGER {on, 0} the close sends a TCP RST instead of a FIN."""
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            # the socket closes for real only once the request's file objects let go of it
            for stream in (self.rfile, self.wfile):
                with contextlib.suppress(OSError):
                    stream.close()
            self.connection.close()


def _fault_reply(fault: Fault, method: str) -> Reply:
    get = method in ("GET", "HEAD")
    headers = [
        ("Cache-Control", "private, no-cache" if get else "no-store"),
        ("Vary", "Accept-Encoding, Origin" if get else "*"),
    ]
    if fault.action == "html":
        body = (fault.body or _DEFAULT_HTML).encode("utf-8")
        headers += [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(body)))]
        return Reply(200, headers, body)
    code = fault.status or 500
    if fault.body is not None:
        body = fault.body.encode("utf-8")
        ctype = fault.content_type or ("text/html; charset=utf-8" if fault.body.lstrip().startswith("<")
                                       else "application/json; charset=utf-8")  # fmt: skip
    else:
        message = "Internal Server Error" if code == 500 else reason(code)
        body = f'{{"message":"{message}"}}'.encode()
        ctype = fault.content_type or "application/json; charset=utf-8"
    if fault.retry_after is not None:
        headers.append(("Retry-After", fault.retry_after))
    headers += [("Content-Type", ctype), ("Content-Length", str(len(body)))]
    return Reply(code, headers, body)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True

    def __init__(self, addr: tuple[str, int], store: CentralStore, faults: FaultPlan | None) -> None:
        super().__init__(addr, _Handler)
        self.store = store
        self.faults = faults
        self.app = CentralApp(store)
        self.request_log: list[RequestRecord] = []
        self._log_lock = threading.Lock()
        self._connections: set[socket.socket] = set()

    def record(self, method: str, target: str, status: int, kind: str) -> None:
        with self._log_lock:
            self.request_log.append(RequestRecord(method, target, status, time.time(), kind))

    def process_request(self, request: Any, client_address: Any) -> None:
        self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        self._connections.discard(request)
        super().shutdown_request(request)

    def close_all(self) -> None:
        for conn in list(self._connections):
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)


class RunningServer:
    """A simulator listening on a loopback port; stop it with :meth:`stop` or a ``with`` block."""

    def __init__(self, server: _Server, domain: str | None) -> None:
        self._server = server
        host, port = server.server_address[:2]
        self.host = str(host)
        self.port = int(port)
        self.url = f"http://{self.host}:{self.port}"
        self.domain = domain or self.url
        server.app.domain = self.domain
        self.store = server.store
        self.faults = server.faults
        self.app = server.app
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"central-sim:{self.port}",
            daemon=True,
        )
        self._thread.start()

    @property
    def request_log(self) -> list[RequestRecord]:
        return self._server.request_log

    def stop(self) -> None:
        self._server.shutdown()
        self._server.close_all()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> RunningServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"RunningServer({self.url})"


def start_server(
    store: CentralStore,
    host: str = "127.0.0.1",
    port: int = 0,
    faults: FaultPlan | None = None,
    domain: str | None = None,
) -> RunningServer:
    """Serve ``store`` on ``host:port`` (0 = a free port) in a background thread.

    :param faults: rules applied to incoming requests (see :mod:`simulators.central.faults`).
    :param domain: what ``@odata.nextLink``/``@odata.context`` start with (Central's configured domain);
        default the server's own URL.
    """
    return RunningServer(_Server((host, port), store, faults), domain)
