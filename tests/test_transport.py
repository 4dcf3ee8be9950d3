"""Interception: regional hosts, other Twilio hosts, pass-through, strict mode, coexistence."""

from __future__ import annotations

import http.server
import re
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests
import responses

from pytest_fakebuilds import FakeBuilds, NetworkBlockedError, UnmockedTwilioHostError
from pytest_fakebuilds.core.routing import host_kind
from pytest_fakebuilds.socket_guard import TWILIO_HOST


@pytest.mark.parametrize(
    ("kwargs", "host"),
    [
        ({}, "serverless.twilio.com"),
        ({"region": "ie1"}, "serverless.ie1.twilio.com"),
        ({"region": "au1"}, "serverless.au1.twilio.com"),
        ({"edge": "sydney"}, "serverless.sydney.us1.twilio.com"),
        ({"edge": "dublin", "region": "ie1"}, "serverless.dublin.ie1.twilio.com"),
    ],
)
def test_every_host_form_twilio_python_produces(
    fake_builds: FakeBuilds, hello: Any, kwargs: dict[str, str], host: str
) -> None:
    builds = (
        fake_builds.client(transport="requests", **kwargs)
        .serverless.v1.services(hello.service_sid)
        .builds
    )
    build = builds.create(function_versions=[hello.sid])
    assert build.url.startswith(f"https://{host}/v1/Services/")
    assert builds(build.sid).build_status().fetch().status == "building"
    assert {call.request.host for call in fake_builds.calls} == {host}


def test_region_from_the_environment(
    fake_builds: FakeBuilds, hello: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TWILIO_REGION", "ie1")
    monkeypatch.setenv("TWILIO_EDGE", "dublin")
    builds = (
        fake_builds.client(transport="requests").serverless.v1.services(hello.service_sid).builds
    )
    assert builds.create(function_versions=[hello.sid]).status == "building"
    assert fake_builds.calls[-1].request.host == "serverless.dublin.ie1.twilio.com"


@pytest.mark.parametrize(
    "url",
    [
        "https://api.twilio.com/2010-04-01/Accounts.json",
        "https://serverless-upload.twilio.com./v1/Services",
        "https://serverless-upload.a.b.c.twilio.com/v1/Services/ZS0/Functions/ZH0/Versions",
        "https://studio.ie1.twilio.com/v2/Flows",
        "https://twilio.com/",
        "https://serverless.twilio.com./v1/Services",
        "https://API.Twilio.COM/2010-04-01/Accounts.json",
    ],
)
def test_other_twilio_hosts_are_refused_naming_the_host(fake_builds: FakeBuilds, url: str) -> None:
    host = url.split("/")[2].lower()
    with pytest.raises(UnmockedTwilioHostError, match=host.replace(".", r"\.")):
        requests.get(url)
    assert fake_builds.calls == []


def test_other_twilio_products_through_the_client_are_refused(fake_builds: FakeBuilds) -> None:
    with pytest.raises(UnmockedTwilioHostError, match=r"api\.twilio\.com"):
        fake_builds.client(transport="requests").api.v2010.accounts.list()


@pytest.mark.parametrize(
    ("host", "twilio", "kind"),
    [
        ("serverless.twilio.com", True, "api"),
        ("serverless.ie1.twilio.com", True, "api"),
        ("serverless.dublin.ie1.twilio.com", True, "api"),
        ("serverless.a.b.c.twilio.com", True, None),
        ("serverless-upload.twilio.com", True, "upload"),
        ("serverless-upload.ie1.twilio.com", True, "upload"),
        ("serverless-upload.dublin.ie1.twilio.com", True, "upload"),
        ("serverless-upload.a.b.c.twilio.com", True, None),
        ("api.twilio.com", True, None),
        ("twilio.com", True, None),
        ("serverless.twilio.com.", True, None),  # a fully qualified name is still Twilio
        ("nottwilio.com", False, None),
        ("twilio.com.example.org", False, None),
    ],
)
def test_host_classification(host: str, twilio: bool, kind: str | None) -> None:
    assert bool(TWILIO_HOST.search(host)) is twilio
    assert host_kind(host) == kind


class _Hello(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b"real network"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def local_server() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Hello)
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def test_other_hosts_pass_through_by_default(fake_builds: FakeBuilds, local_server: str) -> None:
    assert requests.get(local_server, timeout=10).text == "real network"
    assert fake_builds.calls == []


@pytest.mark.fake_builds(strict=True)
def test_strict_mode_blocks_other_hosts(fake_builds: FakeBuilds, local_server: str) -> None:
    with pytest.raises(NetworkBlockedError, match=r"127\.0\.0\.1"):
        requests.get(local_server, timeout=10)


@pytest.mark.fake_builds(strict=True)
@responses.activate
def test_strict_mode_lets_responses_stubs_answer(fake_builds: FakeBuilds, hello: Any) -> None:
    responses.get("https://example.com/ping", body="pong")
    assert requests.get("https://example.com/ping").text == "pong"
    builds = (
        fake_builds.client(transport="requests").serverless.v1.services(hello.service_sid).builds
    )
    assert builds.create(function_versions=[hello.sid]).status == "building"


def test_strict_mode_ends_with_the_fake(local_server: str) -> None:
    with FakeBuilds(strict=True, freeze=False), pytest.raises(NetworkBlockedError):
        requests.get(local_server, timeout=10)
    assert requests.get(local_server, timeout=10).text == "real network"


@responses.activate
def test_coexists_with_responses_activate(fake_builds: FakeBuilds, hello: Any) -> None:
    responses.get("https://example.com/api", json={"ok": True})
    builds = (
        fake_builds.client(transport="requests").serverless.v1.services(hello.service_sid).builds
    )
    build = builds.create(function_versions=[hello.sid])
    assert requests.get("https://example.com/api").json() == {"ok": True}
    assert builds(build.sid).fetch().sid == build.sid
    assert len(responses.calls) == 1  # the test's mock never saw Twilio traffic


def test_coexists_with_a_requests_mock_started_inside(fake_builds: FakeBuilds, hello: Any) -> None:
    builds = (
        fake_builds.client(transport="requests").serverless.v1.services(hello.service_sid).builds
    )
    with responses.RequestsMock() as mock:
        mock.post("https://hooks.example.com/deployed", status=202)
        build = builds.create(function_versions=[hello.sid])
        assert requests.post("https://hooks.example.com/deployed").status_code == 202
        assert builds(build.sid).fetch().status == "building"


def test_coexists_with_a_requests_mock_started_first(local_server: str) -> None:
    with responses.RequestsMock() as mock:
        mock.get("https://example.com/first", body="stub")
        with FakeBuilds(seed=3) as fake:
            service = fake.create_service(unique_name="svc")
            hello = fake.create_function_version(service.sid, "/hello")
            builds = fake.client(transport="requests").serverless.v1.services(service.sid).builds
            assert builds.create(function_versions=[hello.sid]).status == "building"
            assert requests.get("https://example.com/first").text == "stub"
        # The fake is gone; the test's mock still answers, and still refuses the rest.
        assert requests.get("https://example.com/first").text == "stub"
        with pytest.raises(requests.ConnectionError):
            requests.get("https://serverless.twilio.com/v1/Services")


def test_nothing_is_intercepted_after_the_fake_stops(local_server: str) -> None:
    original = requests.Session.get_adapter
    with FakeBuilds(freeze=False):
        assert requests.Session.get_adapter is not original
    assert requests.Session.get_adapter is original
    assert requests.get(local_server, timeout=10).text == "real network"


def test_concurrent_creates_from_threads(fake_builds: FakeBuilds, hello: Any) -> None:
    builds = (
        fake_builds.client(transport="requests").serverless.v1.services(hello.service_sid).builds
    )

    def create(_: int) -> str:
        sid: str = builds.create(function_versions=[hello.sid]).sid
        return sid

    with ThreadPoolExecutor(max_workers=8) as pool:
        made = list(pool.map(create, range(40)))
    assert len(set(made)) == 40
    assert {b.sid for b in builds.list()} == set(made)


def test_core_is_transport_neutral(fake_builds: FakeBuilds, hello: Any) -> None:
    """The same answer without any HTTP library: what a server mode will wrap."""
    from base64 import b64encode

    from pytest_fakebuilds import Request

    token = b64encode(f"{fake_builds.account_sid}:{fake_builds.auth_token}".encode()).decode()
    response = fake_builds.handle(
        Request(
            "POST",
            f"https://serverless.twilio.com/v1/Services/{hello.service_sid}/Builds",
            {"Authorization": f"Basic {token}"},
            f"FunctionVersions={hello.sid}".encode(),
        )
    )
    assert response.status == 201
    assert b'"status": "building"' in response.body


def test_answers_carry_twilio_platform_headers(fake_builds: FakeBuilds, service: Any) -> None:
    url = f"https://serverless.dublin.ie1.twilio.com/v1/Services/{service.sid}/Builds"
    auth = (fake_builds.account_sid, fake_builds.auth_token)
    first, second = requests.get(url, auth=auth), requests.get(url, auth=("AC", "x"))
    for answer in (first, second):
        assert answer.headers["Twilio-Request-Id"].startswith("RQ")
        assert len(answer.headers["Twilio-Request-Id"]) == 34
        assert answer.headers["X-Home-Region"] == "ie1"
        assert answer.headers["X-API-Domain"] == "serverless.dublin.ie1.twilio.com"
        assert answer.headers["Access-Control-Allow-Origin"] == "*"
    assert first.headers["Twilio-Request-Id"] != second.headers["Twilio-Request-Id"]


def platform_headers(host: str, region: str) -> dict[str, str]:
    """What every real Serverless answer carries (captured from serverless.twilio.com)."""
    return {
        "Access-Control-Allow-Origin": "*",
        "Access-Control-Allow-Methods": "GET, POST, DELETE, OPTIONS",
        "Access-Control-Expose-Headers": "ETag",
        "Access-Control-Allow-Credentials": "true",
        "Strict-Transport-Security": "max-age=31536000",
        "X-Home-Region": region,
        "X-API-Domain": host,
    }


# One test walks every host in turn: an answer for one host must never carry
# another's values, whatever was asked before.
HOSTS = [
    ("serverless.twilio.com", "us1"),
    ("serverless.ie1.twilio.com", "ie1"),
    ("serverless.dublin.ie1.twilio.com", "ie1"),
    ("serverless.sydney.au1.twilio.com", "au1"),
    ("serverless.au1.twilio.com", "au1"),
    ("serverless.us1.twilio.com", "us1"),
    ("serverless-upload.twilio.com", "us1"),
    ("serverless-upload.ie1.twilio.com", "ie1"),
    ("serverless-upload.dublin.ie1.twilio.com", "ie1"),
]


def test_platform_header_values_for_every_host(fake_builds: FakeBuilds, service: Any) -> None:
    auth = (fake_builds.account_sid, fake_builds.auth_token)
    for host, region in HOSTS:
        expected = platform_headers(host, region)
        path = f"/v1/Services/{service.sid}"
        if host.startswith("serverless-upload."):
            path += "/Functions/ZH" + "0" * 32 + "/Versions"
        answers = [
            requests.get(f"https://{host}{path}", auth=auth),  # 200, or 404 on the upload host
            requests.get(f"https://{host}{path}", auth=("AC" + "0" * 32, "x")),  # 401
            requests.post(f"https://{host}/v1/Services/ZS" + "0" * 32, auth=auth),  # 404 or 405
        ]
        for answer in answers:
            shown = {name: answer.headers.get(name) for name in expected}
            assert shown == expected, (host, answer.status_code)
            assert answer.headers["Content-Type"] == "application/json; charset=utf-8"
            assert re.fullmatch(r"RQ[0-9a-f]{32}", answer.headers["Twilio-Request-Id"])
        assert answers[1].status_code == 401


def test_platform_headers_are_all_the_core_adds(fake_builds: FakeBuilds, service: Any) -> None:
    """Transport-neutral: the core's answer holds these headers and no others, a 204 too."""
    from base64 import b64encode

    from pytest_fakebuilds import Request

    token = b64encode(f"{fake_builds.account_sid}:{fake_builds.auth_token}".encode()).decode()
    auth = {"Authorization": f"Basic {token}"}
    for number, (host, region) in enumerate(HOSTS[:3]):
        listing = fake_builds.handle(Request("GET", f"https://{host}/v1/Services", auth))
        other = fake_builds.create_service(unique_name=f"gone-{number}")
        url = f"https://{host}/v1/Services/{other.sid}"
        gone = fake_builds.handle(Request("DELETE", url, auth))
        assert (listing.status, gone.status) == (200, 204)
        for answer, content in ((listing, True), (gone, False)):
            headers = dict(answer.headers)
            assert re.fullmatch(r"RQ[0-9a-f]{32}", headers.pop("Twilio-Request-Id"))
            expected = platform_headers(host, region)
            if content:
                expected["Content-Type"] = "application/json; charset=utf-8"
            assert headers == expected


def test_request_ids_are_deterministic() -> None:
    def ids() -> list[str]:
        with FakeBuilds(seed=11, freeze=False):
            url = "https://serverless.twilio.com/v1/Services"
            return [requests.get(url).headers["Twilio-Request-Id"] for _ in range(3)]

    assert ids() == ids()


def test_a_get_adapter_hook_installed_before_the_fake_keeps_working(
    monkeypatch: pytest.MonkeyPatch, local_server: str
) -> None:
    """Libraries such as requests-mock route through Session.get_adapter too."""
    seen: list[str] = []
    original = requests.Session.get_adapter

    def hook(session: requests.Session, url: str) -> Any:
        seen.append(url)
        return original(session, url)

    monkeypatch.setattr(requests.Session, "get_adapter", hook)
    with FakeBuilds(freeze=False):
        assert requests.get(local_server, timeout=10).text == "real network"
        with pytest.raises(UnmockedTwilioHostError):
            requests.get("https://api.twilio.com/")
    assert seen == [local_server]
    assert requests.Session.get_adapter is hook
