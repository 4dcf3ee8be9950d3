"""Helpers for the standalone server's tests (test_server*.py).

Clients as users build them against a served fake: twilio-python pointed at the
server's own URL or going through its proxy, ``requests`` sessions through the
proxy, raw sockets for what no polite client sends, and ``serve`` as a child
process whose first line is read with a deadline. Every socket, session and child
is closed or killed by the code that made it: the suite turns ResourceWarnings
into errors, and no test may leave a process behind.
"""

from __future__ import annotations

import json
import os
import select
import signal
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import requests
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from pytest_fakebuilds import FakeBuilds
from pytest_fakebuilds.server import FakeServer

# How long a child gets to print its first line, or to exit once told to.
CHILD_DEADLINE = 5.0
# How long a socket read waits for an answer the server should give at once.
SOCKET_TIMEOUT = 5.0

SERVERLESS = "serverless.twilio.com"
UPLOAD = "serverless-upload.twilio.com"
DUBLIN = "serverless.dublin.ie1.twilio.com"

# The CLI, as a user runs it: ``python -m pytest_fakebuilds``.
CLI = [sys.executable, "-m", "pytest_fakebuilds"]


def auth(server: FakeServer) -> tuple[str, str]:
    return (server.fake.account_sid, server.fake.auth_token)


def own_url_client(server: FakeServer) -> Client:
    """twilio-python pointed at the server's own URL, as the guide tells users to."""
    client = Client(server.fake.account_sid, server.fake.auth_token)
    client.serverless.base_url = server.url
    return client


def proxied_client(server: FakeServer) -> Client:
    """twilio-python left at Twilio's URLs, reaching the fake through its proxy.

    The environment of this machine names a CA bundle of its own
    (``REQUESTS_CA_BUNDLE``), which requests would prefer to the session's
    ``verify``: the session ignores the environment, as a client configured
    explicitly does.
    """
    http = TwilioHttpClient(proxy={"https": server.proxy, "http": server.proxy})
    assert http.session is not None
    http.session.trust_env = False
    http.session.verify = server.ca_cert
    return Client(server.fake.account_sid, server.fake.auth_token, http_client=http)


def close_client(client: Client) -> None:
    session = getattr(client.http_client, "session", None)
    if session is not None:
        session.close()


def proxied_session(server: FakeServer) -> requests.Session:
    """A requests session that reaches ``https://*.twilio.com`` through the proxy."""
    session = requests.Session()
    session.trust_env = False
    session.proxies = {"https": server.proxy, "http": server.proxy}
    session.verify = server.ca_cert
    session.auth = auth(server)
    return session


def multipart_upload(
    session: requests.Session | None,
    base: str,
    service_sid: str,
    parent_sid: str,
    *,
    path: str,
    content: bytes,
    kind: str = "Functions",
    visibility: str = "public",
    **kwargs: Any,
) -> requests.Response:
    """A Version upload as Twilio's Node toolkit sends it (Path, Visibility, Content)."""
    send = session.post if session is not None else requests.post
    return send(
        f"{base}/v1/Services/{service_sid}/{kind}/{parent_sid}/Versions",
        data={"Path": path, "Visibility": visibility},
        files={"Content": (path.strip("/") or "file", content, "application/javascript")},
        **kwargs,
    )


def twilio_error(body: dict[str, Any]) -> tuple[int, int, str]:
    """``(status, code, message)`` of a Twilio error body, checking its shape."""
    assert body["more_info"] == f"https://www.twilio.com/docs/errors/{body['code']}"
    return body["status"], body["code"], body["message"]


@contextmanager
def own_url_uploads_validated() -> Iterator[None]:
    """Let the suite's spec check (conftest) know uploads at the server's own URL.

    ``tests/openapi.py`` recognises an upload by its host
    (``serverless-upload…``); at ``http://127.0.0.1:PORT`` a multipart ``POST
    …/Versions`` is the upload too, and its 201 must be checked against the same
    Version schema rather than refused as an unknown operation.
    """
    import openapi

    original = openapi.operation_for

    def operation_for(method: str, path: str, host: str = "") -> dict[str, Any] | None:
        if method == "POST" and not host.endswith("twilio.com"):
            upload = openapi._upload_operation(path)
            if upload is not None:
                return upload
        return original(method, path, host)

    openapi.operation_for = operation_for
    try:
        yield
    finally:
        openapi.operation_for = original


# Raw sockets ----------------------------------------------------------------------


@dataclass
class Answer:
    """An HTTP answer as read off a socket."""

    status_line: str
    headers: dict[str, str]
    body: bytes

    @property
    def status(self) -> int:
        return int(self.status_line.split()[1])

    def json(self) -> Any:
        return json.loads(self.body)


def connect(server: FakeServer) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=SOCKET_TIMEOUT)
    sock.settimeout(SOCKET_TIMEOUT)
    return sock


def read_answer(sock: socket.socket | ssl.SSLSocket, *, to_connect: bool = False) -> Answer:
    """One HTTP answer: the head, then Content-Length bytes of body (or up to EOF;
    none at all for a CONNECT's 2xx, after which the tunnel begins)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise AssertionError(f"the connection closed before a whole head: {data!r}")
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("iso-8859-1").split("\r\n")
    headers = {}
    for line in lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    if to_connect and status_line.split()[1].startswith("2"):
        assert body == b"", body
    elif "content-length" in headers:
        wanted = int(headers["content-length"])
        while len(body) < wanted:
            chunk = sock.recv(65536)
            if not chunk:
                break
            body += chunk
    else:
        while chunk := sock.recv(65536):
            body += chunk
    return Answer(status_line, headers, body)


def read_all(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection (a reset, when
    it closes with our bytes unread, ends it too)."""
    data = b""
    try:
        while chunk := sock.recv(65536):
            data += chunk
    except ConnectionResetError:
        pass
    return data


def send_connect(sock: socket.socket, target: str) -> Answer:
    sock.sendall(f"CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n\r\n".encode())
    return read_answer(sock, to_connect=True)


@contextmanager
def tunnel(server: FakeServer, host: str, port: int = 443) -> Iterator[ssl.SSLSocket]:
    """A TLS connection to ``host`` through the proxy, verified against the run's CA."""
    raw = connect(server)
    try:
        answer = send_connect(raw, f"{host}:{port}")
        assert answer.status == 200, answer
        context = ssl.create_default_context(cafile=server.ca_cert)
        with context.wrap_socket(raw, server_hostname=host) as tls:
            yield tls
    finally:
        raw.close()


def basic_auth_header(server: FakeServer) -> str:
    return requests.auth._basic_auth_str(*auth(server))


def listening_addresses(port: int) -> set[str]:
    """The local addresses a socket listens on at ``port`` (Linux' /proc/net/tcp*)."""
    found: set[str] = set()
    for table, width in (("/proc/net/tcp", 8), ("/proc/net/tcp6", 32)):
        try:
            with open(table, encoding="ascii") as rows:
                next(rows)
                for row in rows:
                    fields = row.split()
                    address, _, hex_port = fields[1].partition(":")
                    if int(hex_port, 16) == port and fields[3] == "0A":  # LISTEN
                        found.add(_address(address, width))
        except FileNotFoundError:
            continue
    return found


def _address(hex_address: str, width: int) -> str:
    raw = bytes.fromhex(hex_address)
    if width == 8:
        return socket.inet_ntop(socket.AF_INET, raw[::-1])
    # /proc prints IPv6 as four little-endian 32-bit words
    words = b"".join(raw[i : i + 4][::-1] for i in range(0, 16, 4))
    return socket.inet_ntop(socket.AF_INET6, words)


# In-process servers --------------------------------------------------------------


@contextmanager
def served(fake: FakeBuilds, **options: Any) -> Iterator[FakeServer]:
    """A FakeServer on ``fake`` for the block; the fake must not have served a 500."""
    server = FakeServer(fake, **options).start()
    try:
        yield server
    finally:
        server.stop()
        server.fake.check()


# ``serve`` as a child process ------------------------------------------------------


@dataclass
class Child:
    """A running ``serve``; ``facts`` is its JSON line."""

    process: subprocess.Popen[bytes]
    facts: dict[str, Any]
    rest: bytes = b""  # stdout read past the first line
    stderr: bytes = field(default=b"")

    @property
    def url(self) -> str:
        return str(self.facts["url"])

    @property
    def auth(self) -> tuple[str, str]:
        return (self.facts["account_sid"], self.facts["auth_token"])

    def stop(self, sig: int = signal.SIGTERM) -> tuple[int, bytes, bytes]:
        """Send ``sig`` and wait for the exit: ``(status, rest of stdout, stderr)``."""
        self.process.send_signal(sig)
        out, err = self.process.communicate(timeout=CHILD_DEADLINE)
        self.stderr = err
        return self.process.returncode, self.rest + out, err


def first_line(process: subprocess.Popen[bytes], deadline: float) -> tuple[bytes, bytes]:
    """The first line ``process`` prints (and whatever came after it), polling the
    pipe until ``deadline`` (``time.monotonic``)."""
    assert process.stdout is not None
    fd = process.stdout.fileno()
    data = b""
    while b"\n" not in data:
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError(f"no line within the deadline; got {data!r}")
        ready, _, _ = select.select([fd], [], [], left)
        if not ready:
            continue
        chunk = os.read(fd, 65536)
        if not chunk:
            process.wait(timeout=CHILD_DEADLINE)
            stderr = process.stderr.read() if process.stderr is not None else b""
            raise AssertionError(
                f"the child exited ({process.returncode}) before a line; "
                f"stdout {data!r}, stderr {stderr.decode(errors='replace')}"
            )
        data += chunk
    line, _, rest = data.partition(b"\n")
    return line, rest


@contextmanager
def serve(*options: str, json_line: bool = True) -> Iterator[Child]:
    """``python -m pytest_fakebuilds serve [--json] OPTIONS``, killed at the end if
    the test did not stop it. Without ``json_line``, ``facts`` is ``{"line": ...}``."""
    process = subprocess.Popen(
        [*CLI, "serve", *(["--json"] if json_line else []), *options],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        line, rest = first_line(process, time.monotonic() + CHILD_DEADLINE)
        facts = json.loads(line) if json_line else {"line": line.decode()}
        yield Child(process, facts, rest)
    finally:
        kill(process)


def kill(process: subprocess.Popen[bytes]) -> None:
    """Make sure ``process`` is gone and its pipes closed."""
    if process.poll() is None:
        process.kill()
    try:
        process.communicate(timeout=CHILD_DEADLINE)
    except ValueError:  # the test already read the pipes to the end
        process.wait(timeout=CHILD_DEADLINE)
