"""The standalone server, as clients nobody here wrote meet it: the API at the
server's own URL (twilio-python with ``client.serverless.base_url``, requests,
curl), the HTTPS proxy for ``*.twilio.com`` (TLS from the run's CA; every other
destination refused without a connection being attempted), a twilio-python child
process given nothing but ``server.env``, and the ``/_fake/`` control API.
"""

from __future__ import annotations

import base64
import json
import re
import socket
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from helpers import error_of, not_found, state_of
from server_helpers import (
    DUBLIN,
    SERVERLESS,
    UPLOAD,
    auth,
    close_client,
    connect,
    multipart_upload,
    own_url_client,
    own_url_uploads_validated,
    proxied_client,
    proxied_session,
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

HELLO = b"exports.handler = (context, event, callback) => callback(null, 'hello');\n"
PAGE = b"<!doctype html><p>hi</p>\n"
DEPENDENCIES = [{"name": "twilio", "version": "^3.56"}]


@pytest.fixture(autouse=True)
def _uploads_at_the_own_url_are_spec_checked() -> Iterator[None]:
    with own_url_uploads_validated():
        yield


@pytest.fixture
def own(fake_builds_server: FakeServer) -> Iterator[Client]:
    """twilio-python at the server's own URL."""
    client = own_url_client(fake_builds_server)
    yield client
    close_client(client)


@pytest.fixture
def proxied(fake_builds_server: FakeServer) -> Iterator[Client]:
    """twilio-python at Twilio's URLs, through the server's proxy."""
    client = proxied_client(fake_builds_server)
    yield client
    close_client(client)


@pytest.fixture
def session(fake_builds_server: FakeServer) -> Iterator[requests.Session]:
    """A requests session through the proxy, trusting the run's CA."""
    with proxied_session(fake_builds_server) as made:
        yield made


def complete(server: FakeServer, client: Client, service_sid: str, build_sid: str) -> list[str]:
    """Poll the build's status as the toolkit does, a second of the fake's clock
    between reads, until it ends; return every status read."""
    seen = []
    status = client.serverless.v1.services(service_sid).builds(build_sid).build_status()
    for _ in range(3600):
        seen.append(status.fetch().status)
        if seen[-1] != "building":
            return seen
        server.fake.advance(1)
    raise AssertionError(f"the build never ended: {seen[-3:]}")


# The API at its own URL -----------------------------------------------------------


def test_the_whole_deploy_flow_at_the_servers_own_url(
    fake_builds_server: FakeServer, own: Client
) -> None:
    server = fake_builds_server
    serverless = own.serverless.v1
    service = serverless.services.create(
        unique_name="my-app", friendly_name="my-app", include_credentials=True
    )
    api = serverless.services(service.sid)
    environment = api.environments.create(unique_name="dev-environment", domain_suffix="dev")
    function = api.functions.create(friendly_name="/hello")
    asset = api.assets.create(friendly_name="/index.html")

    uploaded = multipart_upload(
        None, server.url, service.sid, function.sid, path="/hello", content=HELLO, auth=auth(server)
    )
    assert uploaded.status_code == 201, uploaded.text
    page = multipart_upload(
        None,
        server.url,
        service.sid,
        asset.sid,
        kind="Assets",
        path="/index.html",
        content=PAGE,
        auth=auth(server),
    )
    assert page.status_code == 201, page.text
    function_version, asset_version = uploaded.json()["sid"], page.json()["sid"]

    build = api.builds.create(
        function_versions=[function_version],
        asset_versions=[asset_version],
        dependencies=json.dumps(DEPENDENCIES),
        runtime="node22",
    )
    assert build.status == "building"
    seen = complete(server, own, service.sid, build.sid)
    assert seen[0] == "building"
    assert seen[-1] == "completed"

    api.environments(environment.sid).variables.create(key="GREETING", value="hi")
    deployment = api.environments(environment.sid).deployments.create(build_sid=build.sid)

    assert deployment.build_sid == build.sid
    live = api.environments(environment.sid).fetch()
    assert live.build_sid == build.sid
    assert live.domain_name == f"{service.domain_base}-dev.twil.io"
    fetched = api.builds(build.sid).fetch()
    assert [v["sid"] for v in fetched.function_versions] == [function_version]
    assert [v["sid"] for v in fetched.asset_versions] == [asset_version]
    assert {(d["name"], d["version"]) for d in fetched.dependencies} >= {("twilio", "^3.56")}
    assert [(v.key, v.value) for v in api.environments(environment.sid).variables.list()] == [
        ("GREETING", "hi")
    ]
    assert [d.sid for d in api.environments(environment.sid).deployments.list()] == [deployment.sid]
    content = (
        api.functions(function.sid)
        .function_versions(function_version)
        .function_version_content()
        .fetch()
    )
    assert content.content == HELLO.decode()
    # Every request really reached this server, at its own URL.
    assert server.fake.calls
    assert all(call.request.url.startswith(server.url + "/v1/") for call in server.fake.calls)
    server.fake.assert_called("create_deployment", times=1)


def test_absolute_urls_in_answers_name_the_servers_own_origin(
    fake_builds_server: FakeServer, own: Client
) -> None:
    server = fake_builds_server
    origin = server.url
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+", origin)
    service = own.serverless.v1.services.create(unique_name="app", friendly_name="app")
    environment = own.serverless.v1.services(service.sid).environments.create(unique_name="dev")
    function = own.serverless.v1.services(service.sid).functions.create(friendly_name="f")
    own.serverless.v1.services.create(unique_name="second", friendly_name="second")

    urls = [service.url, *service.links.values(), environment.url, *environment.links.values()]
    urls.append(function.url)
    assert all(url.startswith(origin + "/v1/Services/") for url in urls), urls

    answer = requests.get(f"{origin}/v1/Services?PageSize=1", auth=auth(server))
    meta = answer.json()["meta"]
    for key in ("url", "first_page_url", "next_page_url"):
        assert meta[key].startswith(f"{origin}/v1/Services?"), (key, meta[key])


def test_twilio_python_pages_through_the_servers_own_next_page_urls(
    fake_builds_server: FakeServer, own: Client
) -> None:
    server = fake_builds_server
    made = [server.fake.create_service(unique_name=f"app-{n}").sid for n in range(5)]

    listed = [s.sid for s in own.serverless.v1.services.list(page_size=2)]

    assert listed == made[::-1]  # newest first, across three pages
    pages = server.fake.calls.filter(operation="list_service")
    assert len(pages) == 3
    assert all(call.request.url.startswith(server.url + "/v1/Services?") for call in pages)
    assert "PageToken=" in pages[-1].request.url  # the third page came from next_page_url


def test_requests_follow_next_page_url_to_the_end(fake_builds_server: FakeServer) -> None:
    server = fake_builds_server
    made = {server.fake.create_service(unique_name=f"app-{n}").sid for n in range(3)}
    url: str | None = f"{server.url}/v1/Services?PageSize=1"
    seen = []
    with requests.Session() as client:
        client.auth = auth(server)
        while url:
            page = client.get(url).json()
            seen.extend(s["sid"] for s in page["services"])
            url = page["meta"]["next_page_url"]
            if page["meta"]["page"] > 0:
                assert page["meta"]["previous_page_url"].startswith(server.url + "/v1/")
    assert sorted(seen) == sorted(made)
    assert len(seen) == 3


@pytest.mark.parametrize("kind", ["Functions", "Assets"])
def test_uploads_at_the_servers_own_url(
    fake_builds_server: FakeServer, own: Client, kind: str
) -> None:
    server = fake_builds_server
    service = server.fake.create_service(unique_name="app")
    api = own.serverless.v1.services(service.sid)
    parent = (api.functions if kind == "Functions" else api.assets).create(friendly_name="x")

    answer = multipart_upload(
        None,
        server.url,
        service.sid,
        parent.sid,
        kind=kind,
        path="hello",
        content=HELLO,
        visibility="protected",
        auth=auth(server),
    )

    assert answer.status_code == 201, answer.text
    version = answer.json()
    assert version["path"] == "/hello"
    assert version["visibility"] == "protected"
    assert version["url"].startswith(f"{server.url}/v1/Services/{service.sid}/{kind}/")
    if kind == "Functions":
        listed = api.functions(parent.sid).function_versions.list()
        content = requests.get(version["links"]["function_version_content"], auth=auth(server))
        assert content.status_code == 200
        assert content.json()["content"] == HELLO.decode()
    else:
        listed = api.assets(parent.sid).asset_versions.list()
    assert [v.sid for v in listed] == [version["sid"]]


def test_an_upload_at_the_own_url_is_refused_by_the_same_rules(
    fake_builds_server: FakeServer,
) -> None:
    server = fake_builds_server
    service = server.fake.create_service(unique_name="app")
    function = server.fake.create_function(service.sid, "f")
    before = state_of(server.fake)

    bad = multipart_upload(
        None,
        server.url,
        service.sid,
        function.sid,
        path="/x",
        content=HELLO,
        visibility="secret",
        auth=auth(server),
    )
    unknown = f"/v1/Services/{service.sid}/Functions/ZH{'0' * 32}/Versions"
    missing = multipart_upload(
        None,
        server.url,
        service.sid,
        "ZH" + "0" * 32,
        path="/x",
        content=HELLO,
        auth=auth(server),
    )

    assert error_of(bad) == (
        400,
        20001,
        "Invalid Visibility: 'secret' is not one of public, protected, private",
    )
    assert error_of(missing) == (404, 20404, not_found(unknown))
    assert state_of(server.fake) == before


@pytest.mark.parametrize(
    "path",
    ["/", "/v1/Nope", "/v2/Services", f"/v1/Services/ZS{'0' * 32}/Builds", "/favicon.ico"],
)
def test_unknown_paths_at_the_own_url_get_twilios_404(
    fake_builds_server: FakeServer, path: str
) -> None:
    answer = requests.get(fake_builds_server.url + path, auth=auth(fake_builds_server))

    assert answer.headers["Content-Type"].startswith("application/json")
    assert error_of(answer) == (404, 20404, not_found(path))


def test_bad_credentials_get_401_and_change_nothing(fake_builds_server: FakeServer) -> None:
    server = fake_builds_server
    intruder = Client(server.fake.account_sid, "0" * 32)
    intruder.serverless.base_url = server.url
    try:
        with pytest.raises(TwilioRestException) as refused:
            intruder.serverless.v1.services.create(unique_name="app", friendly_name="app")
    finally:
        close_client(intruder)
    anonymous = requests.get(server.url + "/v1/Services")

    assert (refused.value.status, refused.value.code) == (401, 20003)
    assert error_of(anonymous) == (401, 20003, "Authenticate")
    assert state_of(server.fake) == {}


def test_the_fixture_shares_its_fake_both_ways(fake_builds_server: FakeServer, own: Client) -> None:
    server = fake_builds_server
    by_python = server.fake.create_service(unique_name="from-python")
    by_http = own.serverless.v1.services.create(unique_name="from-http", friendly_name="x")

    assert own.serverless.v1.services(by_python.sid).fetch().unique_name == "from-python"
    assert set(state_of(server.fake)) == {by_python.sid, by_http.sid}
    assert server.proxy.startswith("http://127.0.0.1:")
    assert server.env["TWILIO_ACCOUNT_SID"] == server.fake.account_sid
    assert server.env["HTTPS_PROXY"] == server.env["HTTP_PROXY"] == server.proxy


@pytest.mark.fake_builds(build_duration=5)
def test_the_marker_configures_the_server_fixtures_fake(
    fake_builds_server: FakeServer, session: requests.Session
) -> None:
    server = fake_builds_server
    created = session.post(
        f"https://{SERVERLESS}/v1/Services", data={"UniqueName": "app", "FriendlyName": "app"}
    )

    assert server.fake.build_duration.total_seconds() == 5
    # The proxy's fake answered, not another one in the test process.
    assert created.status_code == 201, created.text
    assert [call.operation for call in server.fake.calls] == ["create_service"]
    assert list(state_of(server.fake)) == [created.json()["sid"]]


@pytest.mark.fake_builds(clock_speed=0)
def test_the_marker_can_stop_the_server_fixtures_clock(fake_builds_server: FakeServer) -> None:
    server = fake_builds_server
    before = server.fake.now()
    answer = requests.get(f"{server.url}/v1/Services", auth=auth(server))

    assert answer.status_code == 200
    assert server.fake.now() == before
    assert server.fake.advance(60) - before == timedelta(seconds=60)


# The proxy ------------------------------------------------------------------------


@pytest.mark.parametrize("host", [SERVERLESS, DUBLIN, UPLOAD])
def test_connect_to_a_served_twilio_host_gives_tls_the_run_ca_vouches_for(
    fake_builds_server: FakeServer, host: str
) -> None:
    server = fake_builds_server
    with tunnel(server, host) as tls:  # verified against ca_cert, host name checked
        names = [value for kind, value in tls.getpeercert()["subjectAltName"] if kind == "DNS"]
        tls.sendall(
            f"GET /v1/Services/ZS{'0' * 32} HTTP/1.1\r\nHost: {host}\r\n"
            f"Authorization: {requests.auth._basic_auth_str(*auth(server))}\r\n\r\n".encode()
        )
        answer = read_answer(tls)

    assert host in names
    # Inside the tunnel the fake answers as that host: a 404 for an unknown
    # service on the REST hosts, and on the upload host too (no such path there).
    assert answer.status == 404
    assert twilio_error(answer.json())[:2] == (404, 20404)


def test_the_proxy_is_not_trusted_without_the_runs_ca(fake_builds_server: FakeServer) -> None:
    server = fake_builds_server
    with requests.Session() as untrusting:
        untrusting.trust_env = False
        untrusting.proxies = {"https": server.proxy}
        with pytest.raises(requests.exceptions.SSLError):
            untrusting.get(f"https://{SERVERLESS}/v1/Services", auth=auth(server), verify=True)


def test_twilio_python_through_the_proxy_stays_on_twilios_urls(
    fake_builds_server: FakeServer, proxied: Client
) -> None:
    server = fake_builds_server
    made = [
        proxied.serverless.v1.services.create(unique_name=f"app-{n}", friendly_name="x").sid
        for n in range(3)
    ]

    listed = proxied.serverless.v1.services.list(page_size=2)

    assert [s.sid for s in listed] == made[::-1]
    assert listed[0].url == f"https://{SERVERLESS}/v1/Services/{made[-1]}"
    assert all(call.request.url.startswith(f"https://{SERVERLESS}/") for call in server.fake.calls)
    assert len(server.fake.calls.filter(operation="list_service")) == 2


def test_the_dublin_region_through_the_proxy_answers_as_dublin(
    fake_builds_server: FakeServer, session: requests.Session
) -> None:
    created = session.post(
        f"https://{DUBLIN}/v1/Services", data={"UniqueName": "app", "FriendlyName": "app"}
    )

    assert created.status_code == 201, created.text
    assert created.json()["url"].startswith(f"https://{DUBLIN}/v1/Services/ZS")
    assert created.headers["X-Home-Region"] == "ie1"


@pytest.mark.parametrize(
    ("upload_host", "rest_host"),
    [(UPLOAD, SERVERLESS), ("serverless-upload.dublin.ie1.twilio.com", DUBLIN)],
)
def test_uploads_through_the_proxy_reach_the_upload_host(
    fake_builds_server: FakeServer, session: requests.Session, upload_host: str, rest_host: str
) -> None:
    server = fake_builds_server
    service = server.fake.create_service(unique_name="app")
    function = server.fake.create_function(service.sid, "f")

    answer = multipart_upload(
        session, f"https://{upload_host}", service.sid, function.sid, path="/hi", content=HELLO
    )

    assert answer.status_code == 201, answer.text
    version = answer.json()
    assert version["url"].startswith(f"https://{rest_host}/v1/Services/{service.sid}/Functions/")
    content = session.get(version["links"]["function_version_content"])
    assert content.json()["content"] == HELLO.decode()
    server.fake.assert_called("create_function_version", times=1)


def test_other_twilio_hosts_through_the_proxy_get_twilios_404(
    fake_builds_server: FakeServer, session: requests.Session
) -> None:
    path = f"/2010-04-01/Accounts/{fake_builds_server.fake.account_sid}/Messages.json"

    answer = session.get(f"https://api.twilio.com{path}")

    assert error_of(answer) == (404, 20404, f"The requested resource {path} was not found")


def test_the_control_api_is_not_served_inside_a_twilio_tunnel(
    fake_builds_server: FakeServer, session: requests.Session
) -> None:
    answer = session.get(f"https://{SERVERLESS}/_fake/api/state")

    assert error_of(answer) == (404, 20404, not_found("/_fake/api/state"))


class ConnectionLog:
    """Every name lookup and socket connect the process makes, while installed."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.lookups: list[Any] = []
        self.connects: list[Any] = []
        real_lookup, real_connect = socket.getaddrinfo, socket.socket.connect
        real_connect_ex = socket.socket.connect_ex

        def lookup(host: Any, *args: Any, **kwargs: Any) -> Any:
            self.lookups.append(host)
            return real_lookup(host, *args, **kwargs)

        def connect(sock: socket.socket, address: Any) -> None:
            self.connects.append(address)
            real_connect(sock, address)

        def connect_ex(sock: socket.socket, address: Any) -> int:
            self.connects.append(address)
            return real_connect_ex(sock, address)

        monkeypatch.setattr(socket, "getaddrinfo", lookup)
        monkeypatch.setattr(socket.socket, "connect", connect)
        monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)

    def only_to(self, server: FakeServer) -> bool:
        return set(self.lookups) <= {"127.0.0.1"} and all(
            tuple(address[:2]) == ("127.0.0.1", server.port) for address in self.connects
        )


@pytest.mark.parametrize(
    "target",
    [
        "example.com:443",
        "nottwilio.com:443",
        "serverless.twilio.com.example.net:443",
        "127.0.0.1:22",
        "[::1]:443",
    ],
)
def test_connect_anywhere_else_is_refused_with_403_and_no_connection(
    fake_builds_server: FakeServer, monkeypatch: pytest.MonkeyPatch, target: str
) -> None:
    server = fake_builds_server
    log = ConnectionLog(monkeypatch)
    host = target.rpartition(":")[0].strip("[]")

    with connect(server) as sock:
        answer = send_connect(sock, target)

    assert answer.status == 403
    assert answer.headers["content-type"].startswith("text/plain")
    sentence = answer.body.decode()
    assert host in sentence
    assert "*.twilio.com" in sentence
    assert "never opens a connection" in sentence
    assert log.connects  # the log saw the test's own connection...
    assert log.only_to(server), (log.lookups, log.connects)  # ...and nothing else


def test_absolute_form_requests_for_other_hosts_are_refused_with_403(
    fake_builds_server: FakeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = fake_builds_server
    log = ConnectionLog(monkeypatch)
    with requests.Session() as client:
        client.trust_env = False
        client.proxies = {"http": server.proxy}
        fetched = client.get("http://example.com/")
        posted = client.post("http://example.com/upload", data={"a": "b" * 1000})
        # The same connection, kept alive, still serves the fake.
        own = client.get(f"{server.url}/v1/Services", auth=auth(server))

    for answer in (fetched, posted):
        assert answer.status_code == 403
        assert "example.com" in answer.text
        assert "forwards nothing" in answer.text
    assert own.status_code == 200  # an absolute-form request for the server itself
    assert log.only_to(server), (log.lookups, log.connects)


def _read_answer(stream: Any) -> tuple[int, dict[str, str], bytes]:
    status = int(stream.readline().split()[1])
    headers: dict[str, str] = {}
    while (line := stream.readline().decode("latin-1").strip()) != "":
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return status, headers, stream.read(int(headers.get("content-length", "0")))


@pytest.mark.parametrize(
    "refused",
    [
        b"GET http://example.com/ HTTP/1.1\r\nHost: example.com\r\n\r\n",
        b"POST http://example.com/u HTTP/1.1\r\nHost: example.com\r\nContent-Length: 3\r\n\r\nabc",
    ],
    ids=["no body", "with a body"],
)
def test_a_refused_request_leaves_its_connection_serving(
    fake_builds_server: FakeServer, refused: bytes
) -> None:
    # On one connection: the refused request, then a request for the fake.
    # The second must be answered there (requests reuses kept-alive
    # connections; a silent close made its next request fail at random).
    server = fake_builds_server
    host, port = server.url.removeprefix("http://").split(":")
    token = base64.b64encode(f"{server.fake.account_sid}:{server.fake.auth_token}".encode())
    with (
        socket.create_connection((host, int(port)), timeout=10) as connection,
        connection.makefile("rb") as stream,
    ):
        connection.sendall(refused)
        status, headers, body = _read_answer(stream)
        assert status == 403, body
        assert headers.get("connection") != "close"
        connection.sendall(
            b"GET /v1/Services HTTP/1.1\r\nHost: "
            + f"{host}:{port}".encode()
            + b"\r\nAuthorization: Basic "
            + token
            + b"\r\n\r\n"
        )
        status, _, body = _read_answer(stream)
    assert status == 200, body
    assert json.loads(body)["services"] == []


def test_a_twilio_python_child_with_only_server_env_works(
    fake_builds_server: FakeServer,
) -> None:
    server = fake_builds_server
    script = f"""
import json
import requests
from twilio.rest import Client

client = Client()  # TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN from the environment
api = client.serverless.v1
service = api.services.create(unique_name="child", friendly_name="child")
environment = api.services(service.sid).environments.create(
    unique_name="dev-environment", domain_suffix="dev"
)
function = api.services(service.sid).functions.create(friendly_name="/hello")
uploaded = requests.post(
    f"https://{UPLOAD}/v1/Services/{{service.sid}}/Functions/{{function.sid}}/Versions",
    data={{"Path": "/hello", "Visibility": "public"}},
    files={{"Content": ("hello.js", {HELLO!r}, "application/javascript")}},
    auth=(client.username, client.password),
)
uploaded.raise_for_status()
build = api.services(service.sid).builds.create(function_versions=[uploaded.json()["sid"]])
status = api.services(service.sid).builds(build.sid).build_status().fetch().status
print(json.dumps({{"service": service.sid, "environment": environment.sid,
                   "version": uploaded.json()["sid"], "build": build.sid, "status": status,
                   "url": service.url}}))
"""
    done = subprocess.run(
        [sys.executable, "-c", script],
        env=server.env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert done.returncode == 0, done.stderr
    made = json.loads(done.stdout)
    assert made["status"] == "building"
    assert made["url"] == f"https://{SERVERLESS}/v1/Services/{made['service']}"
    server.fake.advance(server.fake.build_duration)
    state = state_of(server.fake)
    assert list(state) == [made["service"]]
    service = state[made["service"]]
    assert [e["sid"] for e in service["environments"]] == [made["environment"]]
    assert [v["sid"] for f in service["functions"] for v in f["versions"]] == [made["version"]]
    assert [(b["sid"], b["status"]) for b in service["builds"]] == [(made["build"], "completed")]


def test_curl_through_the_proxy(fake_builds_server: FakeServer, tmp_path: Path) -> None:
    server = fake_builds_server
    assert server.ca_cert is not None
    code = tmp_path / "hello.js"
    code.write_bytes(HELLO)
    user = ":".join(auth(server))
    base = ["curl", "-sS", "--proxy", server.proxy, "--cacert", server.ca_cert, "-u", user]

    def curl(*args: str) -> Any:
        done = subprocess.run(
            [*base, *args], capture_output=True, text=True, timeout=30, check=False
        )
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    service = curl(
        "-d", "UniqueName=curled", "-d", "FriendlyName=curled", f"https://{SERVERLESS}/v1/Services"
    )
    function = curl(
        "-d", "FriendlyName=/hello", f"https://{SERVERLESS}/v1/Services/{service['sid']}/Functions"
    )
    version = curl(
        "-F",
        "Path=/hello",
        "-F",
        "Visibility=public",
        "-F",
        f"Content=@{code};type=application/javascript",
        f"https://{UPLOAD}/v1/Services/{service['sid']}/Functions/{function['sid']}/Versions",
    )
    content = curl(version["links"]["function_version_content"])
    listed = curl(f"https://{SERVERLESS}/v1/Services")

    assert service["unique_name"] == "curled"
    assert content["content"] == HELLO.decode()
    assert [s["sid"] for s in listed["services"]] == [service["sid"]]


def test_curl_with_only_the_environment_and_at_the_own_url(fake_builds_server: FakeServer) -> None:
    server = fake_builds_server
    server.fake.create_service(unique_name="seen")
    user = ":".join(auth(server))
    env = {**server.env, "PATH": "/usr/bin:/bin"}

    proxied = subprocess.run(
        ["curl", "-sS", "-u", user, f"https://{SERVERLESS}/v1/Services/seen"],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    direct = subprocess.run(
        ["curl", "-sS", "-u", user, f"{server.url}/v1/Services/seen"],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    refused = subprocess.run(
        ["curl", "-sS", "https://example.com/"],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )

    assert proxied.returncode == 0, proxied.stderr
    assert json.loads(proxied.stdout)["url"].startswith(f"https://{SERVERLESS}/v1/Services/ZS")
    assert direct.returncode == 0, direct.stderr
    assert json.loads(direct.stdout)["url"].startswith(f"{server.url}/v1/Services/ZS")
    assert refused.returncode != 0
    assert "403" in refused.stderr


# The control API ------------------------------------------------------------------

CONTROL = [
    ("GET", "/_fake/"),
    ("GET", "/_fake/api/state"),
    ("GET", "/_fake/api/snapshot"),
    ("GET", "/_fake/api/calls"),
    ("POST", "/_fake/api/advance"),
    ("POST", "/_fake/api/fail-next-build"),
    ("POST", "/_fake/api/hang-next-build"),
    ("POST", "/_fake/api/fault"),
    ("POST", "/_fake/api/reset"),
    ("POST", "/_fake/actions/advance"),
]


def control(server: FakeServer, name: str, **fields: Any) -> Any:
    """POST ``/_fake/api/<name>`` with a JSON body, as a script would."""
    answer = requests.post(f"{server.url}/_fake/api/{name}", json=fields, auth=auth(server))
    assert answer.status_code == 200, answer.text
    return answer.json()


def fetch_state(server: FakeServer) -> Any:
    answer = requests.get(f"{server.url}/_fake/api/state", auth=auth(server))
    assert answer.status_code == 200, answer.text
    return answer.json()


@pytest.fixture
def manual() -> Iterator[FakeServer]:
    """A FakeServer whose clock moves only when told to (``FakeBuilds(freeze=False)``)."""
    with served(FakeBuilds(seed=11, freeze=False, build_duration=30)) as server:
        yield server


@pytest.mark.parametrize(("method", "path"), CONTROL)
@pytest.mark.parametrize("credentials", ["none", "wrong token", "other account"])
def test_the_control_api_needs_the_accounts_credentials(
    manual: FakeServer, method: str, path: str, credentials: str
) -> None:
    server = manual
    service = server.fake.create_service(unique_name="kept")
    version = server.fake.create_function_version(service.sid, "/hello")
    given = {
        "none": None,
        "wrong token": (server.fake.account_sid, "0" * 32),
        "other account": ("AC" + "1" * 32, server.fake.auth_token),
    }[credentials]
    before = server.fake.now()

    answer = requests.request(
        method,
        server.url + path,
        json={"seconds": 3600, "operation": "fetch_service", "status": 500},
        auth=given,
        allow_redirects=False,
    )

    assert error_of(answer)[:2] == (401, 20003)
    assert "WWW-Authenticate" in answer.headers
    # Nothing was done: the clock stands, the service stays, no fault, no outcome queued.
    assert server.fake.now() == before
    assert server.fake.faults == []
    assert list(state_of(server.fake)) == [service.sid]
    build = server.fake.create_build(service.sid, [version])
    server.fake.advance(server.fake.build_duration)
    with requests.Session() as client:
        client.auth = auth(server)
        read = client.get(f"{server.url}/v1/Services/{service.sid}/Builds/{build.sid}/Status")
    assert read.json()["status"] == "completed"


def test_control_state_describes_the_fake(fake_builds_server: FakeServer, own: Client) -> None:
    server = fake_builds_server
    service = own.serverless.v1.services.create(unique_name="app", friendly_name="app")
    environment = own.serverless.v1.services(service.sid).environments.create(
        unique_name="dev-environment", domain_suffix="dev"
    )
    version = server.fake.create_function_version(service.sid, "/hello")
    build = own.serverless.v1.services(service.sid).builds.create(function_versions=[version.sid])

    state = fetch_state(server)

    assert state["seed"] == server.fake.seed
    assert state["calls"] == len(server.fake.calls) == 3
    assert [(s["sid"], s["unique_name"]) for s in state["services"]] == [(service.sid, "app")]
    [described] = state["services"][0]["environments"]
    assert (described["sid"], described["domain_name"], described["build_sid"]) == (
        environment.sid,
        environment.domain_name,
        None,
    )
    assert [(b["sid"], b["status"]) for b in state["builds"]] == [(build.sid, "building")]
    assert state["deployments"] == 0


def test_control_snapshot_loads_into_an_equal_fake(
    fake_builds_server: FakeServer, own: Client
) -> None:
    server = fake_builds_server
    service = own.serverless.v1.services.create(unique_name="app", friendly_name="app")
    own.serverless.v1.services(service.sid).environments.create(unique_name="dev")
    server.fake.create_function_version(service.sid, "/hello")

    answer = requests.get(f"{server.url}/_fake/api/snapshot", auth=auth(server))

    assert answer.status_code == 200
    copy = FakeBuilds.from_snapshot(answer.json())
    assert state_of(copy) == state_of(server.fake)
    assert copy.create_service(unique_name="next").sid == (
        server.fake.create_service(unique_name="next").sid
    )


def test_control_calls_lists_the_newest_calls(fake_builds_server: FakeServer, own: Client) -> None:
    server = fake_builds_server
    service = own.serverless.v1.services.create(unique_name="app", friendly_name="app")
    own.serverless.v1.services(service.sid).fetch()
    own.serverless.v1.services.list()

    answer = requests.get(f"{server.url}/_fake/api/calls?limit=2", auth=auth(server))

    calls = answer.json()["calls"]
    assert [(c["operation"], c["method"], c["status"]) for c in calls] == [
        ("fetch_service", "GET", 200),
        ("list_service", "GET", 200),
    ]
    assert calls[0]["url"] == f"{server.url}/v1/Services/{service.sid}"
    assert calls[0]["params"] == {"Sid": service.sid}


def test_control_advance_moves_the_clock_and_builds_finish(manual: FakeServer) -> None:
    server = manual
    service = server.fake.create_service(unique_name="app")
    version = server.fake.create_function_version(service.sid, "/hello")
    own = own_url_client(server)
    try:
        build = own.serverless.v1.services(service.sid).builds.create(
            function_versions=[version.sid]
        )
        status = own.serverless.v1.services(service.sid).builds(build.sid).build_status()
        before = server.fake.now()

        control(server, "advance", seconds=29)
        still = status.fetch().status
        after = control(server, "advance", seconds=1)
        ended = status.fetch().status
    finally:
        close_client(own)

    assert server.fake.build_duration.total_seconds() == 30
    assert still == "building"
    assert ended == "completed"
    assert server.fake.now() - before == server.fake.build_duration
    assert after["now"] == server.fake.now().isoformat()


@pytest.mark.parametrize("encoding", ["json", "form"])
def test_control_fail_next_build_fails_the_next_build_only(
    fake_builds_server: FakeServer, own: Client, encoding: str
) -> None:
    server = fake_builds_server
    service = server.fake.create_service(unique_name="app")
    fields = {"count": "1", "reason": "npm ERR! 404 left-pad"}
    if encoding == "json":
        told = requests.post(
            f"{server.url}/_fake/api/fail-next-build", json=fields, auth=auth(server)
        )
    else:
        told = requests.post(
            f"{server.url}/_fake/api/fail-next-build", data=fields, auth=auth(server)
        )
    assert told.status_code == 200, told.text

    version = server.fake.create_function_version(service.sid, "/hello")
    builds = own.serverless.v1.services(service.sid).builds
    failed = builds.create(function_versions=[version.sid])
    completed = builds.create(function_versions=[version.sid])

    assert complete(server, own, service.sid, failed.sid)[-1] == "failed"
    assert complete(server, own, service.sid, completed.sid)[-1] == "completed"
    reasons = {b["sid"]: b["failure_reason"] for b in fetch_state(server)["builds"]}
    assert reasons == {failed.sid: "npm ERR! 404 left-pad", completed.sid: None}


def test_control_hang_next_build_keeps_it_building(
    fake_builds_server: FakeServer, own: Client
) -> None:
    server = fake_builds_server
    service = server.fake.create_service(unique_name="app")
    control(server, "hang-next-build", count=1)

    version = server.fake.create_function_version(service.sid, "/hello")
    builds = own.serverless.v1.services(service.sid).builds
    hung = builds.create(function_versions=[version.sid])
    normal = builds.create(function_versions=[version.sid])
    control(server, "advance", seconds=86400)

    assert builds(hung.sid).build_status().fetch().status == "building"
    assert builds(normal.sid).build_status().fetch().status == "completed"


def test_control_reset_goes_back_to_the_start(fake_builds_server: FakeServer, own: Client) -> None:
    server = fake_builds_server
    first = own.serverless.v1.services.create(unique_name="app", friendly_name="app")
    own.serverless.v1.services.create(unique_name="other", friendly_name="other")
    server.fake.fail_next_build()
    old = server.fake

    state = control(server, "reset")

    assert state["services"] == []
    assert state["calls"] == 0
    assert server.fake is not old  # the fixture's .fake follows the reset
    assert own.serverless.v1.services.list() == []
    again = own.serverless.v1.services.create(unique_name="app", friendly_name="app")
    assert again.sid == first.sid  # the same seed, from the same start
    version = server.fake.create_function_version(again.sid, "/hello")
    build = own.serverless.v1.services(again.sid).builds.create(function_versions=[version.sid])
    assert complete(server, own, again.sid, build.sid)[-1] == "completed"  # no queued failure


@pytest.mark.parametrize(
    ("name", "fields", "says"),
    [
        ("fault", {"operation": "fetch_nothing", "status": 500}, "fetch_nothing"),
        ("fault", {"operation": "fetch_service", "exception": "boom"}, "exception"),
        ("advance", {"seconds": "soon"}, "soon"),
    ],
)
def test_control_refuses_what_it_cannot_do_with_400(
    fake_builds_server: FakeServer, name: str, fields: dict[str, Any], says: str
) -> None:
    server = fake_builds_server
    answer = requests.post(f"{server.url}/_fake/api/{name}", json=fields, auth=auth(server))

    assert answer.status_code == 400
    assert says in answer.json()["error"]
    assert server.fake.faults == []


def test_an_unknown_control_endpoint_is_404(fake_builds_server: FakeServer) -> None:
    server = fake_builds_server
    answer = requests.post(f"{server.url}/_fake/api/explode", json={}, auth=auth(server))

    assert answer.status_code == 404
    assert "explode" in answer.json()["error"]
