"""The dispatch core as a fresh process meets it: the route table, the platform headers.

The route table is built once per process and the platform headers are
remembered per host, so most tests only ever see what an earlier test built.
These tests rebuild both (``build_router``'s cache cleared, an empty header
memo), so that what they check is the code that builds them, not a leftover;
mutation testing (docs/performance.md) found that nothing else did.
"""

from __future__ import annotations

import json
import os
import re
from base64 import b64encode
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from pytest_fakebuilds import FakeBuilds, Request
from pytest_fakebuilds.core import routing
from pytest_fakebuilds.serverless import build_router

# Every operation of the fake, by method, host and path template as Twilio
# documents them (docs/coverage.md): written out here, not read from the fake.
OPERATIONS = [
    ("POST", "api", "/v1/Services", "create_service"),
    ("GET", "api", "/v1/Services", "list_service"),
    ("GET", "api", "/v1/Services/{Sid}", "fetch_service"),
    ("POST", "api", "/v1/Services/{Sid}", "update_service"),
    ("DELETE", "api", "/v1/Services/{Sid}", "delete_service"),
    ("POST", "api", "/v1/Services/{ServiceSid}/Environments", "create_environment"),
    ("GET", "api", "/v1/Services/{ServiceSid}/Environments", "list_environment"),
    ("GET", "api", "/v1/Services/{ServiceSid}/Environments/{Sid}", "fetch_environment"),
    ("DELETE", "api", "/v1/Services/{ServiceSid}/Environments/{Sid}", "delete_environment"),
    ("POST", "api", "/v1/Services/{ServiceSid}/Functions", "create_function"),
    ("GET", "api", "/v1/Services/{ServiceSid}/Functions", "list_function"),
    ("GET", "api", "/v1/Services/{ServiceSid}/Functions/{Sid}", "fetch_function"),
    ("POST", "api", "/v1/Services/{ServiceSid}/Functions/{Sid}", "update_function"),
    ("DELETE", "api", "/v1/Services/{ServiceSid}/Functions/{Sid}", "delete_function"),
    ("POST", "api", "/v1/Services/{ServiceSid}/Assets", "create_asset"),
    ("GET", "api", "/v1/Services/{ServiceSid}/Assets", "list_asset"),
    ("GET", "api", "/v1/Services/{ServiceSid}/Assets/{Sid}", "fetch_asset"),
    ("POST", "api", "/v1/Services/{ServiceSid}/Assets/{Sid}", "update_asset"),
    ("DELETE", "api", "/v1/Services/{ServiceSid}/Assets/{Sid}", "delete_asset"),
    (
        "GET",
        "api",
        "/v1/Services/{ServiceSid}/Functions/{FunctionSid}/Versions",
        "list_function_version",
    ),
    (
        "GET",
        "api",
        "/v1/Services/{ServiceSid}/Functions/{FunctionSid}/Versions/{Sid}",
        "fetch_function_version",
    ),
    (
        "GET",
        "api",
        "/v1/Services/{ServiceSid}/Functions/{FunctionSid}/Versions/{Sid}/Content",
        "fetch_function_version_content",
    ),
    (
        "POST",
        "upload",
        "/v1/Services/{ServiceSid}/Functions/{FunctionSid}/Versions",
        "create_function_version",
    ),
    ("GET", "api", "/v1/Services/{ServiceSid}/Assets/{AssetSid}/Versions", "list_asset_version"),
    (
        "GET",
        "api",
        "/v1/Services/{ServiceSid}/Assets/{AssetSid}/Versions/{Sid}",
        "fetch_asset_version",
    ),
    (
        "POST",
        "upload",
        "/v1/Services/{ServiceSid}/Assets/{AssetSid}/Versions",
        "create_asset_version",
    ),
    ("POST", "api", "/v1/Services/{ServiceSid}/Builds", "create_build"),
    ("GET", "api", "/v1/Services/{ServiceSid}/Builds", "list_build"),
    ("GET", "api", "/v1/Services/{ServiceSid}/Builds/{Sid}", "fetch_build"),
    ("DELETE", "api", "/v1/Services/{ServiceSid}/Builds/{Sid}", "delete_build"),
    ("GET", "api", "/v1/Services/{ServiceSid}/Builds/{Sid}/Status", "fetch_build_status"),
    (
        "POST",
        "api",
        "/v1/Services/{ServiceSid}/Environments/{EnvironmentSid}/Deployments",
        "create_deployment",
    ),
    (
        "GET",
        "api",
        "/v1/Services/{ServiceSid}/Environments/{EnvironmentSid}/Deployments",
        "list_deployment",
    ),
    (
        "GET",
        "api",
        "/v1/Services/{ServiceSid}/Environments/{EnvironmentSid}/Deployments/{Sid}",
        "fetch_deployment",
    ),
    (
        "POST",
        "api",
        "/v1/Services/{ServiceSid}/Environments/{EnvironmentSid}/Variables",
        "create_variable",
    ),
    (
        "GET",
        "api",
        "/v1/Services/{ServiceSid}/Environments/{EnvironmentSid}/Variables",
        "list_variable",
    ),
    (
        "GET",
        "api",
        "/v1/Services/{ServiceSid}/Environments/{EnvironmentSid}/Variables/{Sid}",
        "fetch_variable",
    ),
    (
        "POST",
        "api",
        "/v1/Services/{ServiceSid}/Environments/{EnvironmentSid}/Variables/{Sid}",
        "update_variable",
    ),
    (
        "DELETE",
        "api",
        "/v1/Services/{ServiceSid}/Environments/{EnvironmentSid}/Variables/{Sid}",
        "delete_variable",
    ),
    ("GET", "api", "/v1/Services/{ServiceSid}/Environments/{EnvironmentSid}/Logs", "list_log"),
    (
        "GET",
        "api",
        "/v1/Services/{ServiceSid}/Environments/{EnvironmentSid}/Logs/{Sid}",
        "fetch_log",
    ),
]
HOSTS = {"api": "https://serverless.twilio.com", "upload": "https://serverless-upload.twilio.com"}


@pytest.fixture
def fresh_fake() -> Iterator[FakeBuilds]:
    """A started fake whose route table is built for it, as a process's first fake's is."""
    build_router.cache_clear()
    try:
        with FakeBuilds(seed=5) as fake:
            yield fake
    finally:
        build_router.cache_clear()  # the next fake gets a table of its own making too


def send(fake: FakeBuilds, method: str, url: str, *, auth: bool = True) -> Any:
    headers = {}
    if auth:
        token = b64encode(f"{fake.account_sid}:{fake.auth_token}".encode()).decode()
        headers["Authorization"] = f"Basic {token}"
    return fake.handle(Request(method, url, headers))


def concrete(template: str) -> tuple[str, dict[str, str]]:
    """``template`` with a distinct made-up value in each placeholder, and those values."""
    params: dict[str, str] = {}

    def fill(found: re.Match[str]) -> str:
        params[found[1]] = f"X{len(params)}{found[1].lower()}"
        return params[found[1]]

    return re.sub(r"\{(\w+)\}", fill, template), params


def test_a_fresh_route_table_sends_every_operation_to_its_handler(
    fresh_fake: FakeBuilds,
) -> None:
    """Each request reaches the operation it names, with its path parameters by name;
    the SIDs name nothing, so each is that operation's 400 or 404 (the account's list
    of Services is the one 200), never a 405."""
    for method, host, template, operation in OPERATIONS:
        path, params = concrete(template)
        answer = send(fresh_fake, method, HOSTS[host] + path)
        call = fresh_fake.calls[-1]
        assert (call.operation, call.params) == (operation, params), template
        expected = (200,) if operation == "list_service" else (400, 404)
        assert answer.status in expected, (operation, answer.status, answer.body)
    served = sorted(
        (route.method, route.host, route.template, route.operation)
        for route in build_router().routes
    )
    assert served == sorted(OPERATIONS)


@pytest.mark.parametrize(
    ("method", "host", "path", "status", "code"),
    [
        # A known path with a method it does not serve: 405 on the REST host...
        ("PUT", "api", "/v1/Services", 405, 20004),
        ("DELETE", "api", "/v1/Services/ZS0/Builds/ZB0/Status", 405, 20004),
        ("POST", "api", "/v1/Services/ZS0/Functions/ZH0/Versions", 405, 20004),
        # ...but the upload host serves its two POSTs and nothing else: 404.
        ("GET", "upload", "/v1/Services/ZS0/Functions/ZH0/Versions", 404, 20404),
        ("GET", "upload", "/v1/Services", 404, 20404),
        # No such path anywhere: 404, at any depth, on either host.
        ("GET", "api", "/v1/Services/ZS0/Nothing", 404, 20404),
        ("GET", "api", "/v1/Services/ZS0/Functions/ZH0/Versions/ZN0/Content/More", 404, 20404),
        ("GET", "api", "/v1/Services/ZS0/Builds/ZB0/Status/", 404, 20404),
        ("GET", "api", "/v1/Services/", 404, 20404),
        ("POST", "upload", "/v1/Services/ZS0/Builds", 404, 20404),
    ],
)
def test_a_fresh_route_table_refuses_what_it_does_not_serve(
    fresh_fake: FakeBuilds, method: str, host: str, path: str, status: int, code: int
) -> None:
    answer = send(fresh_fake, method, HOSTS[host] + path)
    assert answer.status == status
    body = answer.body.decode()
    assert f'"code": {code}' in body, body
    assert fresh_fake.calls[-1].operation is None


# What every real Serverless answer carries (captured from serverless.twilio.com),
# by host asked: only Twilio's regional hosts name another region.
PLATFORM = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "GET, POST, DELETE, OPTIONS",
    "Access-Control-Expose-Headers": "ETag",
    "Access-Control-Allow-Credentials": "true",
    "Strict-Transport-Security": "max-age=31536000",
}
HOST_REGIONS = [
    ("https://serverless.twilio.com", "serverless.twilio.com", "us1"),
    ("https://serverless.ie1.twilio.com", "serverless.ie1.twilio.com", "ie1"),
    ("https://serverless.dublin.ie1.twilio.com", "serverless.dublin.ie1.twilio.com", "ie1"),
    ("https://serverless.sydney.au1.twilio.com", "serverless.sydney.au1.twilio.com", "au1"),
    ("https://serverless-upload.twilio.com", "serverless-upload.twilio.com", "us1"),
    # A server's own URL: four labels, but not a Twilio host, so no region of its own.
    ("http://127.0.0.1:8080", "127.0.0.1", "us1"),
    ("http://fake.example.com:8080", "fake.example.com", "us1"),
    ("http://localhost:9", "localhost", "us1"),
]


@pytest.fixture
def fresh_headers(monkeypatch: pytest.MonkeyPatch) -> None:
    """The platform headers worked out afresh for each host, as a new process does."""
    monkeypatch.setattr(routing, "_PLATFORM_HEADERS", {})


@pytest.mark.usefixtures("fresh_headers")
@pytest.mark.parametrize(("base", "domain", "region"), HOST_REGIONS)
def test_platform_headers_name_the_host_and_its_region_exactly(
    fake_builds: FakeBuilds, base: str, domain: str, region: str
) -> None:
    """Names spelled as Twilio spells them (the journal keeps them as sent), values exact,
    on a success, a refusal and a 401 alike, and a request id each."""
    answers = [
        send(fake_builds, "GET", f"{base}/v1/Services"),
        send(fake_builds, "GET", f"{base}/v1/Services/ZS0"),
        send(fake_builds, "GET", f"{base}/v1/Services", auth=False),
    ]
    if "upload" in base:
        assert [a.status for a in answers] == [404, 404, 401]
    else:
        assert [a.status for a in answers] == [200, 404, 401]
    for answer in answers:
        headers = dict(answer.headers)
        assert re.fullmatch(r"RQ[0-9a-f]{32}", headers.pop("Twilio-Request-Id"))
        assert headers.pop("Content-Type") == "application/json; charset=utf-8"
        headers.pop("WWW-Authenticate", None)
        assert headers == {**PLATFORM, "X-Home-Region": region, "X-API-Domain": domain}
    assert answers[2].headers["WWW-Authenticate"] == 'Basic realm="Twilio API"'
    if "upload" not in base:  # the answer's URLs name the origin asked, as it was asked
        assert (
            json.loads(answers[0].body)["meta"]["url"] == f"{base}/v1/Services?PageSize=50&Page=0"
        )
    ids = [a.headers["Twilio-Request-Id"] for a in answers]
    assert len(set(ids)) == 3


@pytest.mark.usefixtures("fresh_headers")
def test_a_request_without_a_host_names_twilios_public_domain(fake_builds: FakeBuilds) -> None:
    """A request the core gets with a bare path (no scheme or host) is the REST API's."""
    answer = send(fake_builds, "GET", "/v1/Services")
    assert answer.status == 200
    assert answer.headers["X-API-Domain"] == "serverless.twilio.com"
    assert answer.headers["X-Home-Region"] == "us1"
    assert b'"url": "https://serverless.twilio.com/v1/Services?PageSize=50&Page=0"' in answer.body


@pytest.mark.parametrize(
    ("upload_host", "rest_host"),
    [
        ("serverless-upload.twilio.com", "serverless.twilio.com"),
        ("serverless-upload.ie1.twilio.com", "serverless.ie1.twilio.com"),
        ("serverless-upload.dublin.ie1.twilio.com", "serverless.dublin.ie1.twilio.com"),
    ],
)
def test_an_uploads_answer_names_the_rest_host_of_its_edge_and_region(
    fake_builds: FakeBuilds, upload_host: str, rest_host: str
) -> None:
    service = fake_builds.create_service(unique_name="my-app")
    function = fake_builds.create_function(service.sid, "hello")
    answer = requests.post(
        f"https://{upload_host}/v1/Services/{service.sid}/Functions/{function.sid}/Versions",
        auth=(fake_builds.account_sid, fake_builds.auth_token),
        data={"Path": "/hello", "Visibility": "public"},
        files={"Content": ("hello.js", b"exports.handler = () => {};", "application/javascript")},
    )
    assert answer.status_code == 201, answer.text
    version = answer.json()
    assert version["url"] == (
        f"https://{rest_host}/v1/Services/{service.sid}/Functions/{function.sid}"
        f"/Versions/{version['sid']}"
    )
    assert answer.headers["X-API-Domain"] == upload_host


@pytest.mark.parametrize(
    ("method", "url", "operation", "params"),
    [
        ("GET", "https://serverless.twilio.com/v1/Services", "list_service", {}),
        ("GET", "https://serverless.twilio.com/v1/Services/ZS1", "fetch_service", {"Sid": "ZS1"}),
        (
            "DELETE",
            "https://serverless.twilio.com/v1/Services/ZS1/Builds/ZB2",
            "delete_build",
            {"ServiceSid": "ZS1", "Sid": "ZB2"},
        ),
        # The upload host serves only its POSTs: a GET there names no operation.
        ("GET", "https://serverless-upload.twilio.com/v1/Services", None, {}),
        ("GET", "https://serverless.twilio.com/v1/Nothing/Here", None, {}),
        ("PUT", "https://serverless.twilio.com/v1/Services", None, {}),
    ],
)
def test_a_refused_login_is_journalled_with_the_operation_it_was_for(
    fake_builds: FakeBuilds, method: str, url: str, operation: str | None, params: dict[str, str]
) -> None:
    answer = send(fake_builds, method, url, auth=False)
    assert answer.status == 401
    call = fake_builds.calls[-1]
    assert (call.operation, call.params) == (operation, params)
    assert call.time == fake_builds.now()


@pytest.mark.parametrize(
    ("form", "kind"),
    [
        ("serverless.{}.twilio.com", "api"),
        ("serverless.edge.{}.twilio.com", "api"),
        ("serverless-upload.{}.twilio.com", "upload"),
        ("serverless-upload.{}.edge.twilio.com", "upload"),
        ("serverless.{}.example.com", None),
        ("api.{}.twilio.com", None),
    ],
)
def test_a_host_asked_about_for_the_first_time_is_classified(form: str, kind: str | None) -> None:
    # host_kind remembers the hosts it was asked about; a label naming this
    # process makes a host no earlier call in it can have asked about.
    host = form.format(f"p{os.getpid()}")
    assert routing.host_kind(host) == kind
    assert routing.host_kind(host) == kind  # from memory
