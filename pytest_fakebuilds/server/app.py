"""The HTTP server: the fake's API at its own URL, an HTTPS proxy for Twilio's
hosts, and the ``/_fake/`` control endpoints, all on one port.

- A request in origin form (``GET /v1/Services``) is the API at the server's
  own URL; a multipart ``POST`` to ``…/Versions`` there is an upload, as the
  REST API has no other POST on those paths.
- ``CONNECT serverless.twilio.com:443`` (or any ``*.twilio.com`` host) is
  answered by terminating TLS with a certificate from the run's own CA and
  serving the requests inside the tunnel as if they had reached that host;
  the fake answers Twilio's 404 for Twilio hosts it does not serve.
- Nothing is ever forwarded: ``CONNECT`` to any other host, and any
  absolute-form request for another host, get 403 and a sentence saying why.
"""

from __future__ import annotations

import socket
import ssl
import sys
import threading
from collections.abc import Callable
from contextlib import suppress
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from ..core.wire import Request, Response

if TYPE_CHECKING:
    from ..fake import FakeBuilds
    from .tls import Authority

# Larger than the upload host's 25 MiB Asset limit, so that limit answers
# its own 413; anything larger is refused before it is read.
MAX_BODY = 64 * 1024 * 1024
# An idle keep-alive connection, or a handshake that never finishes, gives
# up its thread after this long.
IDLE_TIMEOUT = 30.0


def is_twilio_host(host: str) -> bool:
    host = host.lower().rstrip(".")
    return host == "twilio.com" or host.endswith(".twilio.com")


class FakeServer:
    """A fake served over HTTP, on ``127.0.0.1`` and a free port by default.

    ``url`` is the API's own URL, ``proxy`` the proxy to give clients that
    cannot be pointed elsewhere, ``ca_cert`` the CA file they must trust and
    ``env`` the environment a child process needs. ``fake`` is the
    :class:`FakeBuilds` behind it (a new one after a reset).
    """

    def __init__(
        self,
        fake: FakeBuilds,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        allow_remote: bool = False,
        proxy: bool = True,
    ) -> None:
        if not allow_remote and not _is_loopback(host):
            raise ValueError(
                f"binding {host} would serve other machines; pass allow_remote=True "
                "(--allow-remote) to do it anyway"
            )
        self.fake = fake
        self.host = host
        self._wanted_port = port
        self._proxy_enabled = proxy
        self.authority: Authority | None = None
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None
        self._fake_lock = threading.Lock()
        self.on_reset: Callable[[FakeBuilds], None] | None = None
        # What /_fake/api/reset goes back to.
        self._initial = fake.snapshot()

    # Lifecycle --------------------------------------------------------------------

    def start(self) -> FakeServer:
        if self._httpd is not None:
            raise RuntimeError("this FakeServer is already started")
        if self._proxy_enabled:
            from .tls import Authority

            self.authority = Authority()
        httpd = _Server((self.host, self._wanted_port), _Handler)
        httpd.app = self
        self._httpd = httpd
        self._thread = threading.Thread(
            target=httpd.serve_forever,
            kwargs={"poll_interval": 0.1},
            name="fakebuilds-server",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        httpd, self._httpd = self._httpd, None
        if httpd is not None:
            httpd.shutdown()
            httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        if self.authority is not None:
            self.authority.close()
            self.authority = None

    def __enter__(self) -> FakeServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # What clients need ---------------------------------------------------------------

    @property
    def port(self) -> int:
        if self._httpd is None:
            raise RuntimeError("the server is not started")
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        """The API at the server's own URL: ``http://127.0.0.1:PORT`` (not
        ``localhost``: Node tries ``::1`` first)."""
        return f"http://{_url_host(self.host)}:{self.port}"

    @property
    def proxy(self) -> str:
        return self.url

    @property
    def ca_cert(self) -> str | None:
        return str(self.authority.ca_cert) if self.authority is not None else None

    @property
    def env(self) -> dict[str, str]:
        """What a child process needs: the proxy, the CA, the credentials."""
        env = {
            "TWILIO_ACCOUNT_SID": self.fake.account_sid,
            "TWILIO_AUTH_TOKEN": self.fake.auth_token,
        }
        if self.authority is not None:
            ca = str(self.authority.ca_cert)
            env.update(
                {
                    # Node's toolkit reads only HTTP_PROXY, though it speaks HTTPS.
                    "HTTP_PROXY": self.proxy,
                    "HTTPS_PROXY": self.proxy,
                    "REQUESTS_CA_BUNDLE": ca,
                    "SSL_CERT_FILE": ca,
                    "NODE_EXTRA_CA_CERTS": ca,
                    "CURL_CA_BUNDLE": ca,
                }
            )
        return env

    def client(self, **kwargs: Any) -> Any:
        """A ``twilio.rest.Client`` with the fake's credentials, pointed at the
        server's own URL (nothing in this process is intercepted), on twilio's
        own ``TwilioHttpClient`` unless ``http_client=`` or ``transport=`` says otherwise."""
        if kwargs.get("http_client") is None:
            kwargs.setdefault("transport", "requests")
        client = self.fake.client(**kwargs)
        client.serverless.base_url = self.url
        return client

    def describe(self) -> dict[str, Any]:
        """The facts ``serve --json`` prints."""
        return {
            "url": self.url,
            "proxy": self.proxy if self.authority is not None else None,
            "account_sid": self.fake.account_sid,
            "auth_token": self.fake.auth_token,
            "ca_cert": self.ca_cert,
            "env": self.env,
            "dashboard": f"{self.url}/_fake/",
            "seed": self.fake.seed,
        }

    def fresh(self) -> FakeBuilds:
        """A fake in the state this server started in."""
        from ..fake import FakeBuilds

        speed = getattr(self.fake._clock, "speed", None)
        return FakeBuilds.from_snapshot(self._initial, freeze=False, clock_speed=speed)

    def reset(self, fake: FakeBuilds) -> None:
        with self._fake_lock:
            self.fake = fake
        if self.on_reset is not None:
            self.on_reset(fake)

    def own(self, host: str, port: int | None) -> bool:
        """Whether ``host:port`` names this server (an absolute-form request to it)."""
        if self._httpd is None or port != self.port:
            return False
        return host in ("127.0.0.1", "localhost", "::1", self.host)


class _Server(ThreadingHTTPServer):
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


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # A request line the stdlib would take for HTTP/0.9 still gets an answer
    # with a status line, as every client today expects.
    default_request_version = "HTTP/1.1"
    server_version = "pytest-fakebuilds"
    sys_version = ""
    timeout = IDLE_TIMEOUT
    server: _Server
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
        handler = type("_Tunnel", (_Handler,), {"tunnel_host": host.lower()})
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
            url = f"http://{self.headers.get('Host') or _url_host(app.host)}{target}"
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
        with app._fake_lock:
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


def _url_host(host: str) -> str:
    if host in ("", "0.0.0.0"):
        return "127.0.0.1"
    if host == "::":
        return "[::1]"
    return f"[{host}]" if ":" in host else host


def _is_loopback(host: str) -> bool:
    return host in ("127.0.0.1", "localhost", "::1") or host.startswith("127.")
