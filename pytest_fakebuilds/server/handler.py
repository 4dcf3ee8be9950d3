"""One connection to the server: the request handler, and the server class it runs in.

What a request is for (the API at the server's own URL, a TLS tunnel to a
Twilio host, a control endpoint) is decided here, request by request;
:mod:`pytest_fakebuilds.server.app` owns the server's life and the fake it
answers from.
"""

from __future__ import annotations

import socket
import ssl
import sys
from contextlib import suppress
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from ..core.wire import Request, Response

if TYPE_CHECKING:
    from .app import FakeServer

# Larger than the upload host's 25 MiB Asset limit, so that limit answers
# its own 413; anything larger is refused before it is read.
MAX_BODY = 64 * 1024 * 1024
# An idle keep-alive connection, or a handshake that never finishes, gives
# up its thread after this long.
IDLE_TIMEOUT = 30.0


def is_twilio_host(host: str) -> bool:
    host = host.lower().rstrip(".")
    return host == "twilio.com" or host.endswith(".twilio.com")


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    app: FakeServer

    def get_request(self) -> tuple[socket.socket, Any]:
        connection, address = super().get_request()
        # Without it, Nagle's algorithm holds small answers back ~40 ms.
        connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return connection, address

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that drops its connection, or speaks nonsense, costs its own
        # thread and nothing else; say nothing on stderr for it.
        error = sys.exc_info()[1]
        if isinstance(error, OSError | ssl.SSLError | ValueError):
            return
        super().handle_error(request, client_address)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # A request line the stdlib would take for HTTP/0.9 still gets an answer
    # with a status line, as every client today expects.
    default_request_version = "HTTP/1.1"
    server_version = "pytest-fakebuilds"
    sys_version = ""
    timeout = IDLE_TIMEOUT
    server: Server
    # Set on the handler of a TLS tunnel: the Twilio host the client asked for.
    tunnel_host: str | None = None

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the journal and the dashboard say what happened

    # The proxy ----------------------------------------------------------------------

    def do_CONNECT(self) -> None:
        app = self.server.app
        host, _, port = self.path.rpartition(":")
        host = host.strip("[]")
        if not host or not port.isdigit():
            self._plain(400, "CONNECT needs host:port\n")
            return
        if app.authority is None or not is_twilio_host(host):
            self._plain(
                403,
                f"pytest-fakebuilds: refusing CONNECT to {host}: this proxy answers "
                "*.twilio.com itself and never opens a connection anywhere else\n",
            )
            return
        self.send_response(200, "Connection established")
        self.end_headers()
        self.wfile.flush()
        context = app.authority.context_for(host.lower())
        try:
            tunnel = context.wrap_socket(self.connection, server_side=True)
        except (OSError, ssl.SSLError):
            self.close_connection = True
            return
        handler = type("_Tunnel", (Handler,), {"tunnel_host": host.lower()})
        try:
            handler(tunnel, self.client_address, self.server)
        finally:
            self.close_connection = True
            with suppress(OSError):
                tunnel.close()

    # Everything else -----------------------------------------------------------------

    def do_GET(self) -> None:
        self._serve()

    do_POST = do_DELETE = do_PUT = do_PATCH = do_HEAD = do_OPTIONS = do_GET

    def _serve(self) -> None:
        app = self.server.app
        target = self.path
        if self.tunnel_host is not None:
            url = f"https://{self.tunnel_host}{_origin_form(target)}"
        elif target.startswith("/"):
            url = f"http://{self.headers.get('Host') or url_host(app.host)}{target}"
        else:
            parts = urlsplit(target)
            if not app.own(parts.hostname or "", parts.port):
                self._discard_body()
                self._plain(
                    403,
                    f"pytest-fakebuilds: refusing {self.command} {target}: this proxy "
                    "forwards nothing; it answers *.twilio.com over CONNECT only\n",
                )
                return
            url = target
        body = self._read_body()
        if body is None:
            return
        request = Request(self.command, url, dict(self.headers.items()), body)
        if self.tunnel_host is None and request.path.startswith("/_fake"):
            from . import control

            self._answer(control.answer(app, request))
            return
        with app.fake_lock:
            fake = app.fake
        response = fake.handle(request)
        if response.exception is not None:
            # A fault that raises in the client: no answer at all.
            self.close_connection = True
            with suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        self._answer(response)

    def _read_body(self) -> bytes | None:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            return self._read_chunked()
        raw = self.headers.get("Content-Length")
        if raw is None:
            return b""
        try:
            length = int(raw)
        except ValueError:
            self._plain(400, "bad Content-Length\n")
            return None
        if length < 0:
            self._plain(400, "bad Content-Length\n")
            return None
        if length > MAX_BODY:
            self._too_large()
            return None
        body = self.rfile.read(length)
        if len(body) != length:  # the client hung up mid-body: act on nothing
            self.close_connection = True
            return None
        return body

    def _read_chunked(self) -> bytes | None:
        chunks: list[bytes] = []
        total = 0
        while True:
            line = self.rfile.readline(65537)
            try:
                size = int(line.split(b";", 1)[0].strip(), 16)
            except ValueError:
                self._plain(400, "bad chunked body\n")
                return None
            if size == 0:
                while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                    pass
                return b"".join(chunks)
            total += size
            if total > MAX_BODY:
                self._too_large()
                return None
            chunks.append(self.rfile.read(size))
            self.rfile.readline(3)

    def _discard_body(self) -> None:
        # Read past the body of a refused request so the connection can serve
        # the next one; a body that cannot be skipped safely ends it instead.
        raw = self.headers.get("Content-Length")
        chunked = "chunked" in (self.headers.get("Transfer-Encoding") or "").lower()
        if raw is None and not chunked:
            return  # no body
        if not chunked and raw is not None and raw.isdigit() and int(raw) <= MAX_BODY:
            self.rfile.read(int(raw))
        else:
            self.close_connection = True

    def _too_large(self) -> None:
        self.close_connection = True
        body = {
            "code": 20413,
            "message": f"Request Entity Too Large: this server reads at most {MAX_BODY} bytes",
            "more_info": "https://www.twilio.com/docs/errors/20413",
            "status": 413,
        }
        self._answer(Response.json(413, body))

    def _answer(self, response: Response) -> None:
        self.send_response(response.status)
        for name, value in response.headers.items():
            if name.lower() not in ("content-length", "connection", "transfer-encoding"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD" and response.body:
            self.wfile.write(response.body)

    def _plain(self, status: int, text: str) -> None:
        body = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)


def _origin_form(target: str) -> str:
    if target.startswith("/"):
        return target
    parts = urlsplit(target)
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


def url_host(host: str) -> str:
    if host in ("", "0.0.0.0"):
        return "127.0.0.1"
    if host == "::":
        return "[::1]"
    return f"[{host}]" if ":" in host else host
