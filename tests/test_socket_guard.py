"""No library reaches a Twilio host while a fake is active, and strict mode keeps
every connection on this machine; the guard sits at the socket level."""

from __future__ import annotations

import asyncio
import http.client
import http.server
import socket
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest

from pytest_fakebuilds import FakeBuilds, NetworkBlockedError, UnmockedTwilioHostError

REAL = (socket.getaddrinfo, socket.gethostbyname, socket.socket.connect)


@pytest.mark.parametrize(
    "host", ["serverless.twilio.com", "api.twilio.com", "API.Twilio.COM", "twilio.com."]
)
def test_name_lookups_of_twilio_hosts_fail_at_once(fake_builds: FakeBuilds, host: str) -> None:
    with pytest.raises(UnmockedTwilioHostError, match="tried to look up"):
        socket.getaddrinfo(host, 443)
    with pytest.raises(UnmockedTwilioHostError):
        socket.gethostbyname(host)


def test_other_names_still_resolve(fake_builds: FakeBuilds) -> None:
    assert socket.getaddrinfo("localhost", 80)


def test_urllib_is_refused_naming_its_call(fake_builds: FakeBuilds) -> None:
    with pytest.raises(urllib.error.URLError) as refused:
        urllib.request.urlopen("https://api.twilio.com/2010-04-01/Accounts.json", timeout=5)
    reason = refused.value.reason
    assert isinstance(reason, UnmockedTwilioHostError)
    assert "urllib.request.urlopen tried to look up api.twilio.com" in str(reason)


def test_http_client_is_refused(fake_builds: FakeBuilds) -> None:
    connection = http.client.HTTPSConnection("serverless.twilio.com", timeout=5)
    with pytest.raises(UnmockedTwilioHostError, match=r"tried to look up serverless\.twilio\.com"):
        connection.request("GET", "/v1/Services")


def test_asyncio_streams_are_refused(fake_builds: FakeBuilds) -> None:
    # aiohttp has an adapter of its own (tests/test_async_*.py); a bare asyncio
    # connection meets the guard, in the loop's resolver thread.
    async def connect() -> None:
        await asyncio.open_connection("serverless.twilio.com", 443)

    with pytest.raises(UnmockedTwilioHostError, match=r"tried to look up serverless\.twilio\.com"):
        asyncio.run(connect())


def test_the_guard_goes_with_the_last_fake() -> None:
    fake = FakeBuilds(seed=1).start()
    assert socket.getaddrinfo is not REAL[0]
    fake.stop()
    assert (socket.getaddrinfo, socket.gethostbyname, socket.socket.connect) == REAL


@pytest.fixture
def local_server() -> Iterator[str]:
    class Hello(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"hello")

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Hello)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.fake_builds(strict=True)
def test_strict_mode_allows_loopback(fake_builds: FakeBuilds, local_server: str) -> None:
    with urllib.request.urlopen(local_server, timeout=5) as answer:
        assert answer.read() == b"hello"


@pytest.mark.fake_builds(strict=True)
def test_strict_mode_refuses_other_connections(fake_builds: FakeBuilds) -> None:
    with pytest.raises(urllib.error.URLError) as refused:
        urllib.request.urlopen("http://192.0.2.1/", timeout=5)  # TEST-NET-1: never routed
    reason = refused.value.reason
    assert isinstance(reason, NetworkBlockedError)
    assert "urllib.request.urlopen tried to connect to ('192.0.2.1', 80)" in str(reason)


@pytest.mark.fake_builds(strict=False)
def test_without_strict_mode_connections_are_not_guarded(fake_builds: FakeBuilds) -> None:
    assert socket.socket.connect is REAL[2]
