"""The standalone server under faults, abuse and load.

Faults scripted through ``/_fake/api/fault`` reach real clients as Twilio errors
or as dropped connections; clients that speak nonsense, hang up mid-request,
never finish a TLS handshake or announce a huge body cost only their own
connection, and everyone else keeps being served; sixteen clients at once
through the proxy lose nothing; the run's CA is private to the run.
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import stat
import struct
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from helpers import error_of, state_of
from server_helpers import (
    SERVERLESS,
    UPLOAD,
    auth,
    basic_auth_header,
    close_client,
    connect,
    multipart_upload,
    own_url_client,
    proxied_client,
    proxied_session,
    read_all,
    read_answer,
    send_connect,
    served,
    tunnel,
    twilio_error,
)
from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client

from pytest_fakebuilds import FakeBuilds
from pytest_fakebuilds.server import FakeServer

MiB = 1024 * 1024
OVER_THE_LIMIT = 100 * MiB  # the server reads at most 64 MiB of any body


@pytest.fixture
def server() -> Iterator[FakeServer]:
    """A served fake whose clock moves only when told to."""
    with served(FakeBuilds(seed=5, freeze=False, build_duration=10)) as made:
        yield made


@pytest.fixture(params=["own URL", "proxy"])
def client(request: pytest.FixtureRequest, server: FakeServer) -> Iterator[Client]:
    """twilio-python at the server's own URL, or through its proxy."""
    made = own_url_client(server) if request.param == "own URL" else proxied_client(server)
    yield made
    close_client(made)


def control(server: FakeServer, name: str, **fields: Any) -> Any:
    answer = requests.post(f"{server.url}/_fake/api/{name}", json=fields, auth=auth(server))
    assert answer.status_code == 200, answer.text
    return answer.json()


def still_serving(server: FakeServer) -> None:
    """Fresh clients, at the own URL and through a new TLS tunnel, are answered."""
    direct = requests.get(f"{server.url}/v1/Services", auth=auth(server), timeout=5)
    assert direct.status_code == 200, direct.text
    with proxied_session(server) as session:
        proxied = session.get(f"https://{SERVERLESS}/v1/Services", timeout=5)
    assert proxied.status_code == 200, proxied.text


# Faults through the control API --------------------------------------------------


def test_a_429_fault_on_build_status_reaches_the_client_then_clears(
    server: FakeServer, client: Client
) -> None:
    service = server.fake.create_service(unique_name="app")
    version = server.fake.create_function_version(service.sid, "/hello")
    build = server.fake.create_build(service.sid, [version])
    control(server, "fault", operation="fetch_build_status", status=429, retry_after=3, times=2)
    status = client.serverless.v1.services(service.sid).builds(build.sid).build_status()

    refusals = []
    for _ in range(2):
        with pytest.raises(TwilioRestException) as refused:
            status.fetch()
        refusals.append((refused.value.status, refused.value.code))
    read = status.fetch()

    assert refusals == [(429, 20429), (429, 20429)]
    assert read.status == "building"
    assert [c.response.status for c in server.fake.calls.filter("fetch_build_status")] == [
        429,
        429,
        200,
    ]


def test_a_429_fault_carries_retry_after_on_the_wire(server: FakeServer) -> None:
    service = server.fake.create_service(unique_name="app")
    version = server.fake.create_function_version(service.sid, "/hello")
    build = server.fake.create_build(service.sid, [version])
    control(server, "fault", operation="fetch_build_status", status=429, retry_after=3)

    with proxied_session(server) as session:
        answer = session.get(
            f"https://{SERVERLESS}/v1/Services/{service.sid}/Builds/{build.sid}/Status"
        )

    assert error_of(answer)[:2] == (429, 20429)
    assert answer.headers["Retry-After"] == "3"


def test_a_connection_fault_drops_the_connection_and_creates_nothing(
    server: FakeServer, client: Client
) -> None:
    control(server, "fault", operation="create_service", exception="connection")
    services = client.serverless.v1.services

    with pytest.raises(requests.exceptions.ConnectionError):
        services.create(unique_name="dropped", friendly_name="dropped")
    made = services.create(unique_name="kept", friendly_name="kept")

    assert [s.sid for s in services.list()] == [made.sid]
    calls = server.fake.calls.filter("create_service")
    assert calls[0].response.exception is not None
    assert calls[1].response.status == 201


def test_a_fault_given_as_a_form_is_the_same_fault(server: FakeServer, client: Client) -> None:
    service = server.fake.create_service(unique_name="app")
    told = requests.post(
        f"{server.url}/_fake/api/fault",
        data={"operation": "fetch_service", "status": "503", "code": "20503", "message": "down"},
        auth=auth(server),
    )
    assert told.status_code == 200, told.text

    with pytest.raises(TwilioRestException) as refused:
        client.serverless.v1.services(service.sid).fetch()

    assert (refused.value.status, refused.value.code) == (503, 20503)
    assert "down" in refused.value.msg
    assert client.serverless.v1.services(service.sid).fetch().sid == service.sid


# Abuse: each costs only its own connection ------------------------------------------

MALFORMED = {
    "one word": b"GARBAGE\r\n\r\n",
    "TLS to the plain port": b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + bytes(40),
    "an HTTP/2 preface": b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
    "a space in the path": b"GET /v1/Services?FriendlyName=my app HTTP/1.1\r\nHost: x\r\n\r\n",
    "HTTP/9.9": b"GET /v1/Services HTTP/9.9\r\nHost: x\r\n\r\n",
    "a header without a colon": b"GET /v1/Services HTTP/1.1\r\nHost x\r\n\r\n",
    "too many headers": b"GET /v1/Services HTTP/1.1\r\n" + b"X-A: b\r\n" * 200 + b"\r\n",
    "a 70 kB request line": b"GET /" + b"a" * 70_000 + b" HTTP/1.1\r\n\r\n",
    "bad Content-Length": b"POST /v1/Services HTTP/1.1\r\nContent-Length: lots\r\n\r\n",
    "negative Content-Length": b"POST /v1/Services HTTP/1.1\r\nContent-Length: -5\r\n\r\n",
    "bad chunk size": b"POST /v1/Services HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
    "CONNECT without a port": b"CONNECT serverless.twilio.com HTTP/1.1\r\n\r\n",
}


@pytest.mark.parametrize("request_bytes", list(MALFORMED.values()), ids=list(MALFORMED))
def test_malformed_requests_cost_only_their_connection(
    server: FakeServer, request_bytes: bytes
) -> None:
    with connect(server) as sock:
        sock.sendall(request_bytes)
        with contextlib.suppress(OSError):  # the server may have answered and closed already
            sock.shutdown(socket.SHUT_WR)
        answer = read_all(sock)  # the server answers something and closes, never hangs

    assert answer
    still_serving(server)
    assert state_of(server.fake) == {}


@pytest.mark.parametrize(
    "request_bytes",
    [MALFORMED[name] for name in ("one word", "a space in the path", "an HTTP/2 preface")],
    ids=["one word", "a space in the path", "an HTTP/2 preface"],
)
def test_a_malformed_request_line_gets_an_http_status_line(
    server: FakeServer, request_bytes: bytes
) -> None:
    """A hand-written client that gets its request line wrong (a space left in a
    query string) must be told so in HTTP: an answer without a status line reads
    as a broken server ("Received HTTP/0.9 when not allowed", BadStatusLine)."""
    with connect(server) as sock:
        sock.sendall(request_bytes)
        answer = read_all(sock)

    assert answer.split(b"\r\n", 1)[0].startswith((b"HTTP/1.1 4", b"HTTP/1.1 5", b"HTTP/1.0 4")), (
        answer[:120]
    )


def test_a_connection_dropped_mid_body_keeps_others_served(server: FakeServer) -> None:
    body = b"UniqueName=half&FriendlyName=half"
    with connect(server) as sock:
        sock.sendall(
            b"POST /v1/Services HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            + f"Authorization: {basic_auth_header(server)}\r\n".encode()
            + b"Content-Type: application/x-www-form-urlencoded\r\n"
            + f"Content-Length: {len(body) + 1000}\r\n\r\n".encode()
            + body
        )
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    # closed with a reset, mid-body

    still_serving(server)


def test_half_a_request_body_is_never_acted_upon(server: FakeServer) -> None:
    """The client announced 1000 more bytes than it sent, then hung up: the
    server has not received the request, and must not create what the part it
    did receive happens to describe."""
    body = b"UniqueName=half&FriendlyName=half&IncludeCredentials=true"
    with connect(server) as sock:
        sock.sendall(
            b"POST /v1/Services HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            + f"Authorization: {basic_auth_header(server)}\r\n".encode()
            + b"Content-Type: application/x-www-form-urlencoded\r\n"
            + f"Content-Length: {len(body) + 1000}\r\n\r\n".encode()
            + body
        )
        sock.shutdown(socket.SHUT_WR)  # end of input, mid-body
        read_all(sock)  # whatever the server does, it has done it once this returns

    assert state_of(server.fake) == {}
    assert server.fake.calls.filter("create_service") == []


def test_a_tls_handshake_that_never_finishes_keeps_others_served(server: FakeServer) -> None:
    with connect(server) as stalled:
        assert send_connect(stalled, f"{SERVERLESS}:443").status == 200
        # ... and never a ClientHello. Meanwhile, everyone else:
        still_serving(server)
        with tunnel(server, UPLOAD) as tls:
            assert tls.version() is not None
        with connect(server) as second_stall:
            assert send_connect(second_stall, f"{UPLOAD}:443").status == 200
            still_serving(server)


def test_a_client_that_sends_nothing_keeps_others_served(server: FakeServer) -> None:
    with connect(server), connect(server):
        still_serving(server)


def test_a_tunnel_that_speaks_plain_http_instead_of_tls_keeps_others_served(
    server: FakeServer,
) -> None:
    with connect(server) as sock:
        assert send_connect(sock, f"{SERVERLESS}:443").status == 200
        sock.sendall(b"GET /v1/Services HTTP/1.1\r\nHost: serverless.twilio.com\r\n\r\n")
        # The handshake fails and the server closes the tunnel, maybe before
        # this end's shutdown (which then finds the connection reset).
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_WR)
        read_all(sock)

    still_serving(server)


def head_for(target: str, host: str, length_header: str) -> bytes:
    return (
        f"POST {target} HTTP/1.1\r\nHost: {host}\r\n"
        "Content-Type: multipart/form-data; boundary=x\r\n"
        f"{length_header}\r\n\r\n"
    ).encode()


def assert_too_large(answer: Any) -> None:
    assert answer.status == 413
    status, code, message = twilio_error(answer.json())
    assert (status, code) == (413, 20413)
    assert message.startswith("Request Entity Too Large")


@pytest.mark.parametrize(
    "length_header",
    [f"Content-Length: {OVER_THE_LIMIT}", "Transfer-Encoding: chunked\r\n\r\n6400000"],
    ids=["Content-Length", "a chunk"],
)
def test_a_huge_body_at_the_own_url_is_413_without_being_read(
    server: FakeServer, length_header: str
) -> None:
    service = server.fake.create_service(unique_name="app")
    function = server.fake.create_function(service.sid, "f")
    target = f"/v1/Services/{service.sid}/Functions/{function.sid}/Versions"
    head = head_for(target, "127.0.0.1", length_header)
    if "chunked" in length_header:  # the chunk size line follows the blank line
        head = head.removesuffix(b"\r\n\r\n") + b"\r\n"

    with connect(server) as sock:
        sock.sendall(head)  # and not one byte of the body: the answer must come anyway
        answer = read_answer(sock)

    assert_too_large(answer)
    assert answer.headers.get("connection") == "close"
    still_serving(server)


def test_a_huge_upload_through_the_proxy_is_413_without_being_read(server: FakeServer) -> None:
    service = server.fake.create_service(unique_name="app")
    function = server.fake.create_function(service.sid, "f")
    target = f"/v1/Services/{service.sid}/Functions/{function.sid}/Versions"

    with tunnel(server, UPLOAD) as tls:
        tls.sendall(head_for(target, UPLOAD, f"Content-Length: {OVER_THE_LIMIT}"))
        answer = read_answer(tls)

    assert_too_large(answer)
    assert server.fake.calls == []  # refused before the fake saw anything
    still_serving(server)


def test_an_asset_over_twilios_limit_gets_twilios_413(server: FakeServer) -> None:
    """Under the server's own cap, Twilio's 25 MiB Asset limit answers for itself."""
    service = server.fake.create_service(unique_name="app")
    asset = server.fake.create_asset(service.sid, "big")
    content = b"x" * (25 * MiB + 1)

    with proxied_session(server) as session:
        answer = multipart_upload(
            session,
            f"https://{UPLOAD}",
            service.sid,
            asset.sid,
            kind="Assets",
            path="/big.bin",
            content=content,
        )

    assert error_of(answer) == (
        413,
        20413,
        "Request Entity Too Large: Public Assets are limited to 26214400 bytes, "
        f"the Content was {len(content)} bytes",
    )
    still_serving(server)


# Load -------------------------------------------------------------------------------

CLIENTS = 16
REQUESTS_EACH = 100
ROUNDS = 19  # blocks of five requests after the three first creates; two more at the end


def a_client_at_work(server: FakeServer, number: int, made: dict[str, list[str]]) -> int:
    """One client's 100 mixed requests through the proxy; returns how many it sent."""
    twilio = proxied_client(server)
    sent = 0
    try:
        with proxied_session(server) as uploads:
            api = twilio.serverless.v1
            service = api.services.create(unique_name=f"load-{number}", friendly_name="load")
            environment = api.services(service.sid).environments.create(unique_name="dev")
            function = api.services(service.sid).functions.create(friendly_name="/f")
            sent += 3
            made["services"].append(service.sid)
            made["environments"].append(environment.sid)
            made["functions"].append(function.sid)
            versions = []
            for round_ in range(ROUNDS):
                uploaded = multipart_upload(
                    uploads,
                    f"https://{UPLOAD}",
                    service.sid,
                    function.sid,
                    path=f"/f{round_}",
                    content=f"// {number}.{round_}\n".encode(),
                )
                assert uploaded.status_code == 201, uploaded.text
                versions.append(uploaded.json()["sid"])
                variable = (
                    api.services(service.sid)
                    .environments(environment.sid)
                    .variables.create(key=f"K{round_}", value=str(number))
                )
                made["variables"].append(variable.sid)
                assert api.services(service.sid).functions(function.sid).fetch().sid
                api.services(service.sid).environments.page(page_size=5)
                api.services.page(page_size=5)
                sent += 5
            made["versions"].extend(versions)
            build = api.services(service.sid).builds.create(function_versions=versions)
            made["builds"].append(build.sid)
            status = api.services(service.sid).builds(build.sid).build_status().fetch()
            assert status.status == "building"
            sent += 2
    finally:
        close_client(twilio)
    return sent


def test_sixteen_clients_through_the_proxy_lose_nothing(server: FakeServer) -> None:
    made: dict[str, list[str]] = {
        kind: []
        for kind in ("services", "environments", "functions", "versions", "variables", "builds")
    }
    errors: list[BaseException] = []
    counts: list[int] = []
    lock = threading.Lock()

    def work(number: int) -> None:
        try:
            sent = a_client_at_work(server, number, made)
            with lock:
                counts.append(sent)
        except BaseException as error:
            with lock:
                errors.append(error)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)

    assert errors == []
    assert counts == [REQUESTS_EACH] * CLIENTS
    # The journal saw exactly the requests sent, each answered with a success.
    calls = server.fake.calls
    assert len(calls) == CLIENTS * REQUESTS_EACH
    assert all(call.response.status in (200, 201) for call in calls)
    described = requests.get(f"{server.url}/_fake/api/state", auth=auth(server)).json()
    assert described["calls"] == CLIENTS * REQUESTS_EACH
    # Every create is there afterwards.
    state = state_of(server.fake)
    assert sorted(state) == sorted(made["services"])
    seen: dict[str, set[str]] = {kind: set() for kind in made}
    seen["services"] = set(state)
    for service in state.values():
        for environment in service["environments"]:
            seen["environments"].add(environment["sid"])
            seen["variables"].update(v["sid"] for v in environment["variables"])
        for function in service["functions"]:
            seen["functions"].add(function["sid"])
            seen["versions"].update(v["sid"] for v in function["versions"])
        seen["builds"].update(b["sid"] for b in service["builds"])
    for kind, sids in made.items():
        assert seen[kind] == set(sids), kind
        assert len(set(sids)) == len(sids), f"duplicate {kind} SIDs"
    assert len(made["versions"]) == len(made["variables"]) == CLIENTS * ROUNDS


# Security ---------------------------------------------------------------------------


def test_the_ca_is_private_to_the_run_and_gone_after_it() -> None:
    with served(FakeBuilds(seed=5, freeze=False)) as server:
        assert server.ca_cert is not None
        ca = Path(server.ca_cert)
        directory = ca.parent
        pem = ca.read_text()
        mode = stat.S_IMODE(directory.stat().st_mode)
        with served(FakeBuilds(seed=5, freeze=False)) as other:
            assert other.ca_cert is not None
            other_pem = Path(other.ca_cert).read_text()

    assert mode == 0o700
    assert "BEGIN CERTIFICATE" in pem
    assert "PRIVATE KEY" not in pem  # clients get the certificate, never the key
    assert other_pem != pem  # a CA per run, not one shared
    assert not directory.exists()


def test_a_server_stopped_leaves_nothing_listening() -> None:
    with served(FakeBuilds(seed=5, freeze=False)) as server:
        port = server.port
        still_serving(server)

    with pytest.raises(ConnectionRefusedError), socket.create_connection(("127.0.0.1", port)):
        pass


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.0.2.10"])
def test_binding_beyond_loopback_needs_allow_remote(host: str) -> None:
    with pytest.raises(ValueError, match="allow_remote"):
        FakeServer(FakeBuilds(seed=5, freeze=False), host=host)


def test_the_proxy_verifies_against_the_ca_and_nothing_else(server: FakeServer) -> None:
    raw = connect(server)
    try:
        assert send_connect(raw, f"{SERVERLESS}:443").status == 200
        system = ssl.create_default_context()  # the machine's trust store
        with pytest.raises(ssl.SSLCertVerificationError):
            system.wrap_socket(raw, server_hostname=SERVERLESS)
    finally:
        raw.close()
    still_serving(server)


def test_control_requests_are_not_journalled_as_api_calls(server: FakeServer) -> None:
    control(server, "advance", seconds=1)
    requests.get(f"{server.url}/_fake/api/state", auth=auth(server))
    requests.get(f"{server.url}/_fake/api/state")  # a 401

    assert server.fake.calls == []
