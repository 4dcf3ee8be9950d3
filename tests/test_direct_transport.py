"""The direct transport: ``fake_builds.client()`` answered by its fake's core, no requests.

The fake must not be able to tell the two transports apart: the same calls
through ``client()`` and ``client(transport="requests")`` leave identical
journals (method, URL, body, headers in order, operation, parameters, time)
and give the user identical answers, errors, exceptions and log lines.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import quote

import conftest
import pytest
import requests
import responses
from helpers import upload
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient

from pytest_fakebuilds import FakeBuilds, UnmockedTwilioHostError
from pytest_fakebuilds.core.errors import FakeNotActiveError
from pytest_fakebuilds.direct import DirectHttpClient, ResponseHeaders, encode_params, prepare_url

TRANSPORTS = ("direct", "requests")


def _journal(fake: FakeBuilds) -> list[tuple[Any, ...]]:
    entries = []
    for call in fake.calls:
        headers = list(call.request.headers.items())
        body = call.request.body
        found = re.search(r"boundary=(\w+)", call.request.header("Content-Type") or "")
        if found is not None:  # an upload (requests on both sides): its boundary is random
            boundary = found.group(1)
            headers = [(name, value.replace(boundary, "B")) for name, value in headers]
            body = body.replace(boundary.encode(), b"B")
        entries.append(
            (
                call.request.method,
                call.request.url,
                headers,
                body,
                call.operation,
                call.params,
                call.time,
                call.response.status,
                call.response.body,
                dict(call.response.headers),
                repr(call.response.exception),
            )
        )
    return entries


def _both(
    scenario: Callable[[FakeBuilds, Any], Any], **client_kwargs: Any
) -> tuple[tuple[Any, list[tuple[Any, ...]]], tuple[Any, list[tuple[Any, ...]]]]:
    """Run ``scenario(fake, client)`` on twin fakes, one per transport."""
    results = []
    for transport in TRANSPORTS:
        with FakeBuilds(seed=11) as fake:
            client = fake.client(transport=transport, **client_kwargs)
            outcome = scenario(fake, client)
            results.append((outcome, _journal(fake)))
    return results[0], results[1]


def _lenient(request: Any, response: Any) -> None:
    """The suite checks every body against the spec; a raw fault body is none of its."""
    if not response.body.startswith(b"<html>"):
        CHECK(request, response)


CHECK = conftest.assert_valid


def _error(call: Callable[[], Any]) -> tuple[str, str]:
    try:
        call()
    except Exception as exc:  # whatever it is, both transports must raise the same
        return type(exc).__qualname__, str(exc)
    raise AssertionError("nothing was raised")


def _everything(fake: FakeBuilds, client: Any) -> list[Any]:
    """Every kind of request twilio-python makes to the Serverless API."""
    seen: list[Any] = []
    services = client.serverless.v1.services
    service = services.create(
        unique_name="my-app", friendly_name="Spaces & symbols + ünïcode ☃", include_credentials=True
    )
    seen.append(client.http_client._test_only_last_response.status_code)
    services.create(unique_name="other", friendly_name="x", ui_editable=False)
    seen.append([s.sid for s in services.list(page_size=1)])  # paging via next_page_url
    seen.append(services("my-app").fetch().friendly_name)
    seen.append(services(service.sid).update(friendly_name="a b", include_credentials=False).sid)
    api = services(service.sid)
    environment = api.environments.create(unique_name="dev env", domain_suffix="dev")
    function = api.functions.create(friendly_name="hello")
    first = upload(fake, service.sid, function.sid, path="/hello")
    second = upload(fake, service.sid, function.sid, path="/bye bye")
    versions = [first.json()["sid"], second.json()["sid"]]
    dependencies = '[{"name": "lodash", "version": "4.17.21"}]'
    build = api.builds.create(
        function_versions=versions, dependencies=dependencies, runtime="node22"
    )
    seen.append(api.builds(build.sid).build_status().fetch().status)
    time.sleep(fake.build_duration.total_seconds())
    seen.append(api.builds(build.sid).fetch().status)
    env = api.environments(environment.sid)
    seen.append(env.deployments.create(build_sid=build.sid).sid)
    seen.append(env.deployments.create().sid)  # an empty POST body
    variable = env.variables.create(key="GREETING", value="héllo wörld+1&x=y")
    seen.append(env.variables(variable.sid).update(value="").value)
    fake.add_log(environment.sid, "hi", function_sid=function.sid)
    start = fake.now() - timedelta(hours=2)
    seen.append(
        len(
            env.logs.list(
                function_sid=function.sid, start_date=start, end_date=fake.now(), page_size=5
            )
        )
    )
    seen.append(len(api.functions(function.sid).function_versions.list(limit=1)))
    seen.append(_error(lambda: services("ZS" + "0" * 32).fetch()))
    seen.append(_error(lambda: services.create(unique_name="-bad-", friendly_name="x")))
    seen.append(_error(lambda: api.builds.list(page_size=5000)))
    seen.append(_error(lambda: services("my app/../x").fetch()))
    seen.append(env.variables(variable.sid).delete())
    odd = {"A": [1, None, "x y"], "B": True}
    seen.append(client.request("GET", build.url, params=odd).status_code)
    return seen


def test_the_fake_sees_the_same_requests_through_both_transports() -> None:
    (direct, direct_calls), (via_requests, requests_calls) = _both(_everything)
    assert direct == via_requests
    assert len(direct_calls) == len(requests_calls) > 20
    for mine, theirs in zip(direct_calls, requests_calls, strict=True):
        assert mine == theirs


@pytest.mark.parametrize(
    ("kwargs", "host"),
    [
        ({"region": "ie1"}, "serverless.ie1.twilio.com"),
        ({"edge": "sydney"}, "serverless.sydney.us1.twilio.com"),
        ({"edge": "dublin", "region": "ie1"}, "serverless.dublin.ie1.twilio.com"),
    ],
)
def test_regional_hosts_are_sent_the_same(kwargs: dict[str, str], host: str) -> None:
    def scenario(fake: FakeBuilds, client: Any) -> Any:
        service = client.serverless.v1.services.create(unique_name="x", friendly_name="y")
        return service.url, [s.url for s in client.serverless.v1.services.list()]

    (direct, direct_calls), (via_requests, requests_calls) = _both(scenario, **kwargs)
    assert direct == via_requests
    assert direct_calls == requests_calls
    assert direct_calls[0][1] == f"https://{host}/v1/Services"
    assert direct[0].startswith(f"https://{host}/v1/Services/ZS")


def test_the_user_sees_the_same_answer_objects() -> None:
    def scenario(fake: FakeBuilds, client: Any) -> Any:
        client.serverless.v1.services.create(unique_name="x", friendly_name="y")
        response = client.http_client._test_only_last_response
        request = client.http_client._test_only_last_request
        assert response.headers["content-type"] == response.headers["Content-Type"]
        assert "x-home-region" in response.headers
        return (
            response.status_code,
            response.text,
            dict(response.headers),
            response.ok,
            str(request),
            request.url,
            request.data,
            request.headers,
        )

    (direct, _), (via_requests, _) = _both(scenario)
    assert direct == via_requests
    assert direct[0] == 201


def test_log_lines_are_twilio_s_own(caplog: pytest.LogCaptureFixture) -> None:
    lines = []
    for transport in TRANSPORTS:
        caplog.clear()
        with caplog.at_level(logging.INFO, logger="twilio.http_client"), FakeBuilds(seed=3) as fake:
            fake.client(transport=transport).serverless.v1.services.list(page_size=2)
        lines.append([record.getMessage() for record in caplog.records])
    assert lines[0] == lines[1]
    assert "-- BEGIN Twilio API Request --" in lines[0]
    assert any(line.startswith("Response Status Code: 200") for line in lines[0])


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_a_smoke_run_through_each_transport(transport: str) -> None:
    with FakeBuilds(seed=5) as fake:
        client = fake.client(transport=transport)
        services = client.serverless.v1.services
        service = services.create(unique_name="smoke", friendly_name="Smoke")
        api = services(service.sid)
        function = api.functions.create(friendly_name="hello")
        version = upload(fake, service.sid, function.sid).json()["sid"]
        build = api.builds.create(function_versions=[version])
        polls = 0
        while api.builds(build.sid).build_status().fetch().status == "building":
            polls += 1
            time.sleep(1)  # the fake's clock
        assert api.builds(build.sid).fetch().status == "completed"
        assert polls == int(fake.build_duration.total_seconds())
        environment = api.environments.create(unique_name="production")
        api.environments(environment.sid).deployments.create(build_sid=build.sid)
        assert api.environments(environment.sid).fetch().build_sid == build.sid
        for number in range(3):
            api.functions.create(friendly_name=f"f{number}")
        assert len(api.functions.list(page_size=2)) == 4
        assert [call.request.query.get("Page") for call in fake.calls.filter("list_function")] == [
            None,
            ["1"],
        ]
        with pytest.raises(TwilioRestException) as caught:
            api.builds("ZB" + "0" * 32).fetch()
        assert (caught.value.status, caught.value.code) == (404, 20404)
        with pytest.raises(TwilioException, match="Unable to fetch page"):
            api.builds.list(page_size=5000)
        fake.assert_called("create_build", times=1)


# Which fake answers -------------------------------------------------------------


def test_a_client_of_a_fake_that_is_not_active_refuses_clearly() -> None:
    fake = FakeBuilds(seed=1)
    client = fake.client()
    with pytest.raises(FakeNotActiveError, match="which is not active") as caught:
        client.serverless.v1.services.list()
    assert "GET https://serverless.twilio.com/v1/Services was refused" in str(caught.value)
    assert repr(fake) in str(caught.value)
    assert isinstance(caught.value, RuntimeError)
    with fake:
        assert client.serverless.v1.services.list() == []
    with pytest.raises(FakeNotActiveError):
        client.serverless.v1.services.create(unique_name="late", friendly_name="x")
    assert len(fake.calls) == 1
    with fake:
        assert client.serverless.v1.services.list() == []  # nothing was created


def test_a_stopped_fake_s_client_does_not_reach_another_active_fake() -> None:
    first = FakeBuilds(seed=1)
    client = first.client()
    with FakeBuilds(seed=2) as second:
        with pytest.raises(FakeNotActiveError):
            client.serverless.v1.services.list()
        assert len(second.calls) == 0


def test_nested_fakes_each_client_talks_to_its_own_fake() -> None:
    with FakeBuilds(seed=1) as outer, FakeBuilds(seed=2) as inner:
        outer_client, inner_client = outer.client(), inner.client()
        outer_client.serverless.v1.services.create(unique_name="outer", friendly_name="x")
        inner_client.serverless.v1.services.create(unique_name="inner", friendly_name="x")
        assert [s.unique_name for s in outer_client.serverless.v1.services.list()] == ["outer"]
        assert [s.unique_name for s in inner_client.serverless.v1.services.list()] == ["inner"]
        assert [call.operation for call in outer.calls] == ["create_service", "list_service"]
        assert [call.operation for call in inner.calls] == ["create_service", "list_service"]


def test_the_direct_client_does_not_route_by_credentials() -> None:
    """Bound to its fake: another fake's credentials get this fake's 401, where the
    requests transport would route them to the fake they belong to."""
    with FakeBuilds(seed=1) as outer, FakeBuilds(seed=2) as inner:
        foreign = {"username": outer.account_sid, "password": outer.auth_token}
        with pytest.raises(TwilioException) as caught:
            inner.client(**foreign).serverless.v1.services.list()
        assert "Unable to fetch page" in str(caught.value)
        assert [call.response.status for call in inner.calls] == [401]
        assert len(outer.calls) == 0
        assert inner.client(transport="requests", **foreign).serverless.v1.services.list() == []
        assert [call.operation for call in outer.calls] == ["list_service"]


def test_twilio_hosts_the_fake_does_not_serve_are_refused_as_through_requests() -> None:
    def scenario(fake: FakeBuilds, client: Any) -> Any:
        return _error(lambda: client.api.v2010.accounts(fake.account_sid).fetch())

    (direct, direct_calls), (via_requests, _) = _both(scenario)
    assert direct == via_requests
    assert direct[0] == UnmockedTwilioHostError.__qualname__
    assert "not api.twilio.com" in direct[1]
    assert direct_calls == []


def test_twilio_hosts_are_refused_while_the_fake_is_not_active() -> None:
    client = FakeBuilds(seed=1).client()
    with pytest.raises(FakeNotActiveError, match=r"api\.twilio\.com"):
        client.api.v2010.accounts("AC" + "0" * 32).fetch()


@responses.activate
def test_other_hosts_go_wherever_requests_takes_them() -> None:
    """Not Twilio's: left to requests (here a test's own stub), fake active or not."""
    responses.add(responses.GET, "https://example.test/thing", json={"ok": True})
    fake = FakeBuilds(seed=1)
    client = fake.client()
    answer = client.request("GET", "https://example.test/thing")
    assert (answer.status_code, answer.text) == (200, '{"ok": true}')
    assert client.http_client._test_only_last_response is answer
    with fake:
        assert client.request("GET", "https://example.test/thing").status_code == 200
    assert len(responses.calls) == 2
    assert len(fake.calls) == 0


# Faults, as the requests transport meets them ---------------------------------------


@pytest.mark.parametrize(
    "exception", [requests.ConnectionError, requests.ReadTimeout, requests.ConnectionError("x")]
)
def test_exception_faults_raise_the_same_exception(exception: Any) -> None:
    def scenario(fake: FakeBuilds, client: Any) -> Any:
        fake.fault("list_service", exception=exception)
        kind, message = _error(client.serverless.v1.services.list)
        assert client.http_client._test_only_last_response is None
        return kind, message, client.serverless.v1.services.list()

    (direct, direct_calls), (via_requests, requests_calls) = _both(scenario)
    assert direct == via_requests
    assert direct_calls == requests_calls
    assert direct[0] == getattr(exception, "__qualname__", type(exception).__qualname__)


def test_an_exception_instance_is_the_one_raised() -> None:
    error = requests.ReadTimeout("slow")
    with FakeBuilds(seed=1) as fake:
        fake.fault("list_service", exception=error)
        with pytest.raises(requests.ReadTimeout) as caught:
            fake.client().serverless.v1.services.list()
        assert caught.value is error
        assert fake.calls.last.response.exception is error


def test_status_faults_latency_and_retry_after_are_the_same(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(conftest, "assert_valid", _lenient)

    def scenario(fake: FakeBuilds, client: Any) -> Any:
        before = fake.now()
        fake.fault("create_service", status=429, retry_after=7)
        fake.fault("list_service", latency=3)
        fake.fault("fetch_service", status=503, body=b"<html>caf\xe9 down</html>", times=None)
        refused = _error(
            lambda: client.serverless.v1.services.create(unique_name="a", friendly_name="b")
        )
        last = client.http_client._test_only_last_response
        listed = client.serverless.v1.services.list()
        down = _error(lambda: client.serverless.v1.services("ZS" + "1" * 32).fetch())
        text = client.http_client._test_only_last_response.text
        return refused, last.headers["retry-after"], listed, fake.now() - before, down, text

    (direct, direct_calls), (via_requests, requests_calls) = _both(scenario)
    assert direct == via_requests
    assert direct_calls == requests_calls
    assert direct[1] == "7"
    assert direct[3] == timedelta(seconds=3)
    assert direct[5] == "<html>caf\ufffd down</html>"  # as requests decodes it


# twilio's HttpClient contract -----------------------------------------------------


def test_timeouts_are_checked_as_twilio_checks_them() -> None:
    fake = FakeBuilds(seed=1)
    with pytest.raises(ValueError, match=r"^0$"):
        DirectHttpClient(fake, timeout=0)
    with pytest.raises(ValueError, match=r"^0$"):
        TwilioHttpClient(timeout=0)
    http = DirectHttpClient(fake, timeout=5)
    assert http.timeout == 5
    with fake:
        client = fake.client(http_client=http)
        assert client.serverless.v1.services.list() == []
        url = "https://serverless.twilio.com/v1/Services"
        with pytest.raises(ValueError, match=r"^-1$"):
            client.request("GET", url, timeout=-1)
        assert client.request("GET", url, timeout=0.5).status_code == 200


def test_last_request_and_last_response() -> None:
    with FakeBuilds(seed=1) as fake:
        client = fake.client()
        http = client.http_client
        assert http.last_request is None
        assert http.last_response is None
        client.serverless.v1.services.create(unique_name="x", friendly_name="y")
        assert http.last_response is http._test_only_last_response
        assert http.last_response.status_code == 201
        assert http.last_request.method == "POST"
        assert http.last_request.data == {"UniqueName": "x", "FriendlyName": "y"}


def test_client_arguments() -> None:
    fake = FakeBuilds(seed=1)
    assert isinstance(fake.client().http_client, DirectHttpClient)
    assert isinstance(fake.client(transport="direct").http_client, DirectHttpClient)
    assert type(fake.client(transport="requests").http_client) is TwilioHttpClient
    mine = TwilioHttpClient()
    assert fake.client(http_client=mine).http_client is mine
    with pytest.raises(TypeError, match="not both"):
        fake.client(http_client=mine, transport="direct")
    with pytest.raises(ValueError, match="'direct' or 'requests'"):
        fake.client(transport="urllib")


def test_response_headers_ignore_case_and_copy_as_a_dict() -> None:
    headers = ResponseHeaders({"Content-Type": "a", "Retry-After": "1"})
    assert headers["content-type"] == headers.get("CONTENT-TYPE") == "a"
    assert "retry-after" in headers
    assert "Nope" not in headers
    assert headers.get("nope", "dflt") == "dflt"
    with pytest.raises(KeyError):
        headers["nope"]
    assert dict(headers) == {"Content-Type": "a", "Retry-After": "1"}
    assert type(dict(headers)) is dict


# Encoding: requests' own rules ------------------------------------------------------

URLS = [
    "https://serverless.twilio.com/v1/Services",
    "https://serverless.twilio.com/v1/Services?PageSize=2&Page=1&PageToken=PAZS0",
    "https://serverless.twilio.com/v1/Services/my app/Environments",
    "https://serverless.twilio.com/v1/Services/ünï/Builds",
    "https://serverless.twilio.com/v1/Services/a%2fb/x",
    "https://serverless.twilio.com/v1/Services/a%41b",
    "https://serverless.twilio.com/v1/Services/../x/./y",
    "https://serverless.twilio.com/v1/Services/.hidden",
    "https://serverless.twilio.com/v1/Logs?StartDate=2026-01-01T00%3A00%3A00Z&x=%7e",
    "https://serverless.twilio.com/v1/Logs?StartDate=2026-01-01T00%3a00%3a00Z",
    "https://serverless.twilio.com/v1/Logs?q=a b",
    "https://serverless.twilio.com/v1/Logs?",
    "https://serverless.twilio.com/v1/Logs#frag",
    "https://SERVERLESS.Twilio.com/v1/Services",
    "HTTPS://serverless.twilio.com/v1/Services",
    "https://serverless.twilio.com",
    "https://serverless.twilio.com:443/v1/Services",
    "http://127.0.0.1:8080/v1/Services",
    "https://user:pw@serverless.twilio.com/v1/Services",
    "https://serverless.twilio.com/v1/a;b=c/d@e!$'()*+,",
    "https://serverless.twilio.com/v1/%7Etilde",
]
PARAMS: list[Any] = [
    None,
    {},
    {"PageSize": 50},
    {"A": "x y", "B": "+&=?/", "C": "ünï ☃", "D": ""},
    {"FunctionVersions": ["ZN1", "ZN2"], "Empty": [], "Gone": None, "Some": [None, "v"]},
    {"Flag": True, "Num": 1.5, "Bytes": b"b y", "Tuple": ("a", "b"), "Set": "~-._"},
    {"Nested": {"k": "v"}, "Gen": range(2)},
    [("A", "1"), ("A", "2")],
    "raw=1&x",
    {1: "int key", b"K": "bytes key"},
]


@pytest.mark.parametrize("url", URLS)
@pytest.mark.parametrize("params", PARAMS, ids=lambda p: type(p).__name__ + str(len(p or "")))
def test_urls_are_prepared_as_requests_prepares_them(url: str, params: Any) -> None:
    expected = requests.Request("GET", url, params=params).prepare().url
    assert prepare_url(url, params) == expected


@pytest.mark.parametrize("data", [p for p in PARAMS if p])
def test_form_bodies_are_encoded_as_requests_encodes_them(data: Any) -> None:
    expected = requests.Request("POST", "https://x.test/", data=data).prepare().body
    assert encode_params(data) == expected


def test_dates_and_text_survive_the_round_trip() -> None:
    moment = datetime(2026, 1, 1, 0, 0, tzinfo=timezone.utc)
    with FakeBuilds(seed=1, start=moment + timedelta(hours=1)) as fake:
        client = fake.client()
        service = client.serverless.v1.services.create(unique_name="a", friendly_name="é + &")
        env = client.serverless.v1.services(service.sid).environments.create(unique_name="e")
        logs = client.serverless.v1.services(service.sid).environments(env.sid).logs
        logs.list(start_date=moment)
        assert f"StartDate={quote('2026-01-01T00:00:00Z', safe='')}" in fake.calls.last.request.url
        assert fake.calls.last.request.query["StartDate"] == ["2026-01-01T00:00:00Z"]
        assert client.serverless.v1.services(service.sid).fetch().friendly_name == "é + &"
