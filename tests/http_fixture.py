"""A real HTTP server on 127.0.0.1 for the live-client tests: scripted replies per path, requests recorded.

    with ScriptedServer() as server:
        server.script("/a.csv", Reply(500), Reply(body=b"x;y\n"))   # first a 500, then (and after) a 200
        ...server.url + "/a.csv"...
        assert len(server.requests_to("/a.csv")) == 2

A reply can be a `Reply` or a function of the `Request` returning one (to answer Range requests, 304s...).
The last reply of a script is repeated. Unscripted paths get a 404. The server binds a free port, serves
from daemon threads and stops at `__exit__`; a stalled reply waits on an event that `stop()` sets, so no
thread outlives the test.

Faults: `Reply(reset=True, send_bytes=N)` sends N body bytes then resets the connection (TCP RST);
`Reply(drip=(n, seconds))` sends the body n bytes at a time, one piece every `seconds` (a slow server).
`ScriptedServer(tls=True)` serves HTTPS with a self-signed certificate for 127.0.0.1 (`server.ca_file`: give it
to requests through REQUESTS_CA_BUNDLE).
"""

from __future__ import annotations

import contextlib
import json
import re
import socket
import ssl
import struct
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


@dataclass(frozen=True)
class Request:
    """A request as the server saw it; header names lower-cased."""

    method: str
    path: str
    headers: dict[str, str]


@dataclass(frozen=True)
class Reply:
    """What to answer. `send_bytes`: send only that many body bytes then close (Content-Length still says
    the full length: a truncated body). `delay`: wait that long before answering (a stalled server).
    `content_length=False`: no Content-Length header, the body ends when the connection closes."""

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    send_bytes: int | None = None
    delay: float = 0.0
    content_length: bool = True
    reset: bool = False
    drip: tuple[int, float] | None = None


Responder = Reply | Callable[[Request], Reply]


def ranged(
    body: bytes, etag: str = '"r1"', cut_first: int | None = None, reset: bool = False
) -> Callable[[Request], Reply]:
    """A resumable file: full requests get a 200 (cut after `cut_first` bytes the first time, by a clean close
    or with `reset` by a TCP reset); `Range: bytes=N-` requests (with a matching If-Range, if any) get a 206
    with the rest."""
    state = {"cut": cut_first}

    def respond(request: Request) -> Reply:
        headers = {"Accept-Ranges": "bytes", "ETag": etag, "Content-Type": "text/csv"}
        match = re.fullmatch(r"bytes=(\d+)-", request.headers.get("range", ""))
        if_range = request.headers.get("if-range")
        if match and (if_range is None or if_range == etag):
            start = int(match.group(1))
            headers["Content-Range"] = f"bytes {start}-{len(body) - 1}/{len(body)}"
            return Reply(206, body[start:], headers)
        cut, state["cut"] = state["cut"], None
        return Reply(200, body, headers, send_bytes=cut, reset=reset and cut is not None)

    return respond


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address) -> None:
        """A client that hangs up mid-body (size limit, timeout) is expected; anything else is reported."""
        if not isinstance(sys.exc_info()[1], ConnectionError | ssl.SSLError):
            super().handle_error(request, client_address)


class ScriptedServer:
    """The threaded server; use as a context manager."""

    def __init__(self, tls: bool = False) -> None:
        self.tls = tls
        self.ca_file: str | None = None
        self._scripts: dict[str, list[Responder]] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self.requests: list[Request] = []
        self._httpd = _QuietServer(("127.0.0.1", 0), self._handler_class())
        if tls:
            self._tmp = tempfile.TemporaryDirectory(prefix="qpv-tls-")
            cert, key = _self_signed(Path(self._tmp.name))
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(cert, key)
            self._httpd.socket = context.wrap_socket(self._httpd.socket, server_side=True)
            self.ca_file = str(cert)
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05})

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"{'https' if self.tls else 'http'}://{host}:{port}"

    def script(self, path: str, *replies: Responder) -> str:
        """Answer `path` (with its query string) with these replies in turn; returns the full URL."""
        with self._lock:
            self._scripts[path] = list(replies)
        return self.url + path

    def requests_to(self, path: str) -> list[Request]:
        with self._lock:
            return [r for r in self.requests if r.path == path]

    def _next(self, request: Request) -> Reply:
        with self._lock:
            self.requests.append(request)
            queue = self._scripts.get(request.path)
            if not queue:
                return Reply(404, b"not found")
            responder = queue.pop(0) if len(queue) > 1 else queue[0]
        return responder(request) if callable(responder) else responder

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"  # one request per connection; the server closes it

            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                request = Request("GET", self.path, {k.lower(): v for k, v in self.headers.items()})
                reply = server._next(request)
                if reply.delay and server._stop.wait(reply.delay):
                    return
                self.send_response(reply.status)
                headers = dict(reply.headers)
                if reply.content_length and reply.status != 304:
                    headers.setdefault("Content-Length", str(len(reply.body)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                body = reply.body if reply.send_bytes is None else reply.body[: reply.send_bytes]
                if reply.status != 304:
                    if reply.drip:
                        self._drip(body, *reply.drip)
                    else:
                        self.wfile.write(body)
                self.wfile.flush()
                if reply.reset:
                    # SO_LINGER 0: close() sends a TCP RST instead of a FIN (a connection reset by peer)
                    self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    self.connection.close()
                    self.close_connection = True

            def _drip(self, body: bytes, size: int, interval: float) -> None:
                for start in range(0, len(body), size):
                    self.wfile.write(body[start : start + size])
                    self.wfile.flush()
                    if server._stop.wait(interval):
                        return

            def log_message(self, format: str, *args) -> None:  # noqa: A002
                pass

        return Handler

    def start(self) -> ScriptedServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)
        if self.tls:
            self._tmp.cleanup()

    def __enter__(self) -> ScriptedServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def _self_signed(folder: Path) -> tuple[Path, Path]:
    """A throw-away certificate for 127.0.0.1 (openssl command line), valid one day."""
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True, timeout=30,
    )  # fmt: skip
    return cert, key


class _WebhookHandler(BaseHTTPRequestHandler):
    """Records the JSON body of every POST in `server.received` (a list)."""

    def do_POST(self):  # noqa: N802
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.received.append(json.loads(body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


@contextlib.contextmanager
def webhook_receiver():
    """A real HTTP server on 127.0.0.1 receiving the alerts: yields (its URL, the list of JSON payloads received)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _WebhookHandler)
    server.received = []
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/alerte", server.received
    finally:
        server.shutdown()
        server.server_close()
