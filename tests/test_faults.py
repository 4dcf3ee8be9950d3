"""Faults on the wire, as a user's code meets them through the real twilio client.

``fault(operation, ...)`` answers a call with a Twilio error, a raw body or a
``requests`` exception raised in the client, or charges latency to the fake's
clock, for the next ``times`` calls, only the ``nth``, only calls about one
SID, or at random from the seed. A faulted call never reaches the store.

The second half drives a small retry-and-poll loop written the way users write
them (a twilio HTTP client that retries 429 honouring ``Retry-After``, and a
``/Status`` poll once a second with a ``time.monotonic()`` timeout) through
429 bursts, a read timeout and a build that never finishes.
"""

from __future__ import annotations

import json
import re
import sys
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
import requests
from helpers import (
    assert_same_next_sid,
    error_of,
    page_refused,
    raw,
    refused,
    state_of,
    upload,
)
from requests.adapters import HTTPAdapter
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from urllib3.util.retry import Retry

from pytest_fakebuilds import FakeBuilds

# Every operation the fake serves: the twilio-oai operationIds in snake_case, and
# the two uploads.
OPERATIONS = {
    "create_asset",
    "create_asset_version",
    "create_build",
    "create_deployment",
    "create_environment",
    "create_function",
    "create_function_version",
    "create_service",
    "create_variable",
    "delete_asset",
    "delete_build",
    "delete_environment",
    "delete_function",
    "delete_service",
    "delete_variable",
    "fetch_asset",
    "fetch_asset_version",
    "fetch_build",
    "fetch_build_status",
    "fetch_deployment",
    "fetch_environment",
    "fetch_function",
    "fetch_function_version",
    "fetch_function_version_content",
    "fetch_log",
    "fetch_service",
    "fetch_variable",
    "list_asset",
    "list_asset_version",
    "list_build",
    "list_deployment",
    "list_environment",
    "list_function",
    "list_function_version",
    "list_log",
    "list_service",
    "list_variable",
    "update_asset",
    "update_function",
    "update_service",
    "update_variable",
}


def outcomes(call: Callable[[], Any], times: int) -> list[Any]:
    """What ``times`` calls gave: the HTTP status of a refusal, else "ok"."""
    seen: list[Any] = []
    for _ in range(times):
        try:
            call()
        except TwilioRestException as exc:
            seen.append(exc.status)
        else:
            seen.append("ok")
    return seen


# A Twilio error instead of the answer ----------------------------------------------


def test_a_fault_answers_the_next_times_calls_then_the_api_answers(
    fake_builds: FakeBuilds, api: Any
) -> None:
    fault = fake_builds.fault("fetch_service", status=503, times=2)
    assert outcomes(api.fetch, 4) == [503, 503, "ok", "ok"]
    assert fault.hits == 2
    assert [call.response.status for call in fake_builds.calls] == [503, 503, 200, 200]


def test_times_none_faults_every_call_until_removed(fake_builds: FakeBuilds, api: Any) -> None:
    fault = fake_builds.fault("fetch_service", status=500, times=None)
    assert outcomes(api.fetch, 3) == [500, 500, 500]
    fault.remove()
    assert outcomes(api.fetch, 2) == ["ok", "ok"]
    assert fault.hits == 3


def test_nth_faults_only_that_call(fake_builds: FakeBuilds, api: Any) -> None:
    fault = fake_builds.fault("fetch_service", status=500, nth=3)
    assert outcomes(api.fetch, 5) == ["ok", "ok", 500, "ok", "ok"]
    assert fault.hits == 1


def test_other_operations_are_not_faulted(
    fake_builds: FakeBuilds, api: Any, client: Any, service: Any
) -> None:
    fault = fake_builds.fault("fetch_service", status=500, times=None)
    assert [found.sid for found in client.serverless.v1.services.list()] == [service.sid]
    assert api.update(friendly_name="renamed").friendly_name == "renamed"
    assert fault.hits == 0
    assert outcomes(api.fetch, 1) == [500]


def test_a_sid_scoped_fault_is_about_that_sid_only(
    fake_builds: FakeBuilds, builds: Any, hello: Any
) -> None:
    one = builds.create(function_versions=[hello.sid])
    other = builds.create(function_versions=[hello.sid])
    fault = fake_builds.fault("fetch_build_status", status=500, times=2, sid=one.sid)

    status_of_other = builds(other.sid).build_status().fetch
    status_of_one = builds(one.sid).build_status().fetch
    # Calls about another build neither fail nor use up the fault.
    assert outcomes(status_of_other, 3) == ["ok", "ok", "ok"]
    assert outcomes(status_of_one, 3) == [500, 500, "ok"]
    assert fault.hits == 2
    faulted = [call for call in fake_builds.calls if call.response.status == 500]
    assert {call.params["Sid"] for call in faulted} == {one.sid}


def test_nth_counts_only_the_calls_about_the_sid(
    fake_builds: FakeBuilds, builds: Any, hello: Any
) -> None:
    one = builds.create(function_versions=[hello.sid])
    other = builds.create(function_versions=[hello.sid])
    fake_builds.fault("fetch_build", status=500, nth=2, sid=one.sid)
    seen = []
    for sid in (other.sid, one.sid, other.sid, one.sid, one.sid):
        seen.extend(outcomes(builds(sid).fetch, 1))
    assert seen == ["ok", "ok", "ok", 500, "ok"]


def test_a_service_scoped_fault_reaches_every_call_under_that_service(
    fake_builds: FakeBuilds, client: Any, builds: Any, hello: Any, service: Any
) -> None:
    build = builds.create(function_versions=[hello.sid])
    elsewhere = fake_builds.create_service(unique_name="elsewhere")
    fake_builds.fault("list_build", status=503, times=None, sid=service.sid)

    with pytest.raises(TwilioException) as raised:
        builds.list()
    assert page_refused(raised.value)[:2] == (503, 20503)
    assert client.serverless.v1.services(elsewhere.sid).builds.list() == []
    assert builds(build.sid).fetch().sid == build.sid  # another operation


def test_429_defaults_to_20429_too_many_requests(
    fake_builds: FakeBuilds, builds: Any, hello: Any
) -> None:
    fake_builds.fault("create_build", status=429)
    with pytest.raises(TwilioRestException) as raised:
        builds.create(function_versions=[hello.sid])
    assert refused(raised.value) == (429, 20429, "Unable to create record: Too many requests")
    answer = fake_builds.calls.last
    assert answer is not None
    assert "Retry-After" not in answer.response.headers  # only when asked for


def test_retry_after_sets_the_header(fake_builds: FakeBuilds, service: Any) -> None:
    fake_builds.fault("fetch_service", status=429, retry_after=7)
    answer = raw(fake_builds, "GET", f"/v1/Services/{service.sid}")
    assert error_of(answer) == (429, 20429, "Too many requests")
    assert answer.headers["Retry-After"] == "7"
    assert answer.headers["Content-Type"].startswith("application/json")


def test_retry_after_takes_a_timedelta(fake_builds: FakeBuilds, service: Any) -> None:
    fake_builds.fault("fetch_service", status=429, retry_after=timedelta(minutes=2))
    answer = raw(fake_builds, "GET", f"/v1/Services/{service.sid}")
    assert answer.headers["Retry-After"] == "120"


def test_retry_after_is_whole_seconds_as_http_requires(
    fake_builds: FakeBuilds, service: Any
) -> None:
    """Retry-After is delay-seconds, digits only (RFC 9110 §10.2.3): what Twilio sends
    and what clients parse. urllib3, for one, refuses "2.5" as an invalid header, and
    ``int(response.headers["Retry-After"])`` in a user's loop raises on it."""
    fake_builds.fault("fetch_service", status=429, retry_after=2.5)
    answer = raw(fake_builds, "GET", f"/v1/Services/{service.sid}")
    header = answer.headers["Retry-After"]
    assert re.fullmatch(r"\d+", header), header
    assert int(header) >= 2.5  # never shorter than asked: rounded up
    assert Retry().parse_retry_after(header) == int(header)


def test_custom_code_and_message(fake_builds: FakeBuilds, client: Any) -> None:
    message = "Services are limited to less than or equal to 50"
    fake_builds.fault("create_service", status=400, code=20001, message=message)
    with pytest.raises(TwilioRestException) as raised:
        client.serverless.v1.services.create(unique_name="app", friendly_name="app")
    assert refused(raised.value) == (
        400,
        20001,
        "Unable to create record: Services are limited to less than or equal to 50",
    )


def test_a_custom_message_keeps_the_status_default_code(fake_builds: FakeBuilds, api: Any) -> None:
    fake_builds.fault("fetch_service", status=429, message="Too many concurrent requests")
    with pytest.raises(TwilioRestException) as raised:
        api.fetch()
    assert refused(raised.value) == (
        429,
        20429,
        "Unable to fetch record: Too many concurrent requests",
    )


@pytest.mark.parametrize(("status", "code"), [(500, 20500), (502, 20502), (503, 20503)])
def test_a_5xx(fake_builds: FakeBuilds, service: Any, api: Any, status: int, code: int) -> None:
    fake_builds.fault("fetch_service", status=status)
    with pytest.raises(TwilioRestException) as raised:
        api.fetch()
    assert (raised.value.status, raised.value.code) == (status, code)
    assert raised.value.msg.startswith("Unable to fetch record: ")
    # The same answer over plain HTTP is Twilio's error body.
    fake_builds.fault("fetch_service", status=status)
    answer = raw(fake_builds, "GET", f"/v1/Services/{service.sid}")
    assert error_of(answer)[:2] == (status, code)
    assert error_of(answer)[2] == raised.value.msg.removeprefix("Unable to fetch record: ")


def test_an_error_status_is_required(fake_builds: FakeBuilds) -> None:
    with pytest.raises(ValueError, match="400 to 599"):
        fake_builds.fault("fetch_service", status=302)
    with pytest.raises(ValueError, match="needs status, exception, latency or body"):
        fake_builds.fault("fetch_service")
    assert fake_builds.faults == []


# A raw body: non-JSON or cut short --------------------------------------------------

RAW_BODIES = (
    b"<html><body><h1>502 Bad Gateway</h1></body></html>",
    b'{"sid": "ZB',
    b"",
)


@pytest.fixture
def raw_bodies(monkeypatch: pytest.MonkeyPatch) -> None:
    """The suite checks every body the fake serves against the spec (conftest); a
    ``body=`` fault serves what the spec forbids on purpose, so those bodies, and
    only those, are let through."""
    conftest = sys.modules["conftest"]
    check = conftest.assert_valid

    def lenient(request: Any, response: Any) -> None:
        __tracebackhide__ = True
        if response.body not in RAW_BODIES:
            check(request, response)

    monkeypatch.setattr(conftest, "assert_valid", lenient)


@pytest.mark.usefixtures("raw_bodies")
@pytest.mark.parametrize("body", RAW_BODIES, ids=["html", "truncated-json", "empty"])
def test_a_raw_body_with_200_breaks_twilio_python_parsing(
    fake_builds: FakeBuilds, builds: Any, hello: Any, body: bytes
) -> None:
    """twilio-python accepts any status below 400 on a fetch and parses the body as
    JSON: what the user sees is the ``json.JSONDecodeError`` (a ``ValueError``)."""
    build = builds.create(function_versions=[hello.sid])
    fault = fake_builds.fault("fetch_build", body=body)
    with pytest.raises(json.JSONDecodeError):
        builds(build.sid).fetch()
    assert fault.hits == 1
    answer = fake_builds.calls.last
    assert answer is not None
    assert (answer.response.status, answer.response.body) == (200, body)
    assert builds(build.sid).fetch().sid == build.sid  # the next call is fine


@pytest.mark.usefixtures("raw_bodies")
def test_a_raw_body_over_plain_http(fake_builds: FakeBuilds, service: Any) -> None:
    fake_builds.fault("fetch_service", body=RAW_BODIES[1].decode())  # text is taken too
    answer = raw(fake_builds, "GET", f"/v1/Services/{service.sid}")
    assert (answer.status_code, answer.content) == (200, RAW_BODIES[1])
    with pytest.raises(ValueError, match=r"Expecting|Unterminated"):
        answer.json()


@pytest.mark.usefixtures("raw_bodies")
def test_a_raw_body_on_a_create_creates_nothing(
    fake_builds: FakeBuilds, builds: Any, hello: Any
) -> None:
    """The client cannot tell whether the build was made; the fake did not make it."""
    before = state_of(fake_builds)
    fake_builds.fault("create_build", body=RAW_BODIES[1])
    with pytest.raises(json.JSONDecodeError):
        builds.create(function_versions=[hello.sid])
    assert state_of(fake_builds) == before


@pytest.mark.usefixtures("raw_bodies")
def test_a_5xx_with_an_html_body(fake_builds: FakeBuilds, api: Any) -> None:
    """A proxy's error page: twilio-python keeps the status, and with no JSON to read
    the code is the status and the message only the prefix."""
    fake_builds.fault("fetch_service", status=502, body=RAW_BODIES[0])
    with pytest.raises(TwilioRestException) as raised:
        api.fetch()
    assert refused(raised.value) == (502, 502, "Unable to fetch record")


@pytest.mark.usefixtures("raw_bodies")
def test_a_truncated_page_breaks_the_listing(fake_builds: FakeBuilds, builds: Any) -> None:
    fake_builds.fault("list_build", body=b'{"builds": [{"sid": "ZB')
    with pytest.raises(json.JSONDecodeError):
        builds.list()


# A requests exception raised in the client ------------------------------------------


@pytest.mark.parametrize("kind", [requests.ConnectionError, requests.ReadTimeout])
def test_an_exception_class_is_raised_in_the_client(
    fake_builds: FakeBuilds, builds: Any, hello: Any, kind: type[Exception]
) -> None:
    build = builds.create(function_versions=[hello.sid])
    fault = fake_builds.fault("fetch_build_status", exception=kind)
    with pytest.raises(kind) as raised:
        builds(build.sid).build_status().fetch()
    assert type(raised.value) is kind
    assert fault.hits == 1

    call = fake_builds.calls.last
    assert call is not None
    assert call.operation == "fetch_build_status"
    assert call.params == {"ServiceSid": build.service_sid, "Sid": build.sid}
    assert call.response.exception is raised.value
    # Only the one call: the next read gets the build's status.
    assert builds(build.sid).build_status().fetch().status == "building"


@pytest.mark.parametrize(
    "error",
    [
        requests.ConnectionError("Connection aborted: RemoteDisconnected"),
        requests.ReadTimeout("Read timed out. (read timeout=15)"),
    ],
    ids=["ConnectionError", "ReadTimeout"],
)
def test_an_exception_instance_is_raised_as_given(
    fake_builds: FakeBuilds, api: Any, error: Exception
) -> None:
    fake_builds.fault("fetch_service", exception=error, times=2)
    for _ in range(2):
        with pytest.raises(type(error)) as raised:
            api.fetch()
        assert raised.value is error
        assert fake_builds.calls.last is not None
        assert fake_builds.calls.last.response.exception is error
    assert api.fetch().sid == fake_builds.calls.last.params["Sid"]


def test_a_connection_error_on_create_creates_nothing(
    fake_builds: FakeBuilds, builds: Any, hello: Any
) -> None:
    before = state_of(fake_builds)
    fake_builds.fault("create_build", exception=requests.ConnectionError)
    with pytest.raises(requests.ConnectionError):
        builds.create(function_versions=[hello.sid])
    assert state_of(fake_builds) == before
    fake_builds.assert_called("create_build", times=1)


# Latency on the fake's clock --------------------------------------------------------


def test_latency_moves_the_clock_and_the_call_goes_through(
    fake_builds: FakeBuilds, builds: Any, hello: Any
) -> None:
    build = builds.create(function_versions=[hello.sid])
    before = fake_builds.now()
    fault = fake_builds.fault("fetch_build", latency=4)

    assert builds(build.sid).fetch().status == "building"
    assert fake_builds.now() - before == timedelta(seconds=4)
    assert fault.hits == 1
    # Spent: the next call costs nothing.
    builds(build.sid).fetch()
    assert fake_builds.now() - before == timedelta(seconds=4)
    times = [call.time for call in fake_builds.calls.filter(operation="fetch_build")]
    assert times == [before, before + timedelta(seconds=4)]


def test_latency_is_charged_to_every_clock_reader(
    fake_builds: FakeBuilds, builds: Any, hello: Any
) -> None:
    """time.monotonic() in the code under test sees the latency, as it would see a
    slow answer."""
    build = builds.create(function_versions=[hello.sid])
    fake_builds.fault("fetch_build_status", latency=timedelta(seconds=30))
    started = time.monotonic()
    # The build (10 s) finished while the answer was on its way.
    assert builds(build.sid).build_status().fetch().status == "completed"
    assert time.monotonic() - started == pytest.approx(30)


def test_latency_and_an_error_together(fake_builds: FakeBuilds, api: Any) -> None:
    """A gateway timeout: the client waits, then gets a 504."""
    before = fake_builds.now()
    fake_builds.fault("fetch_service", status=504, latency=60)
    with pytest.raises(TwilioRestException) as raised:
        api.fetch()
    assert raised.value.status == 504
    assert fake_builds.now() - before == timedelta(seconds=60)


def test_negative_latency_is_refused(fake_builds: FakeBuilds) -> None:
    with pytest.raises(ValueError, match="latency"):
        fake_builds.fault("fetch_service", latency=-1)


# Seeded probability -----------------------------------------------------------------


def faulted_calls(seed: int, *, interleave: bool = False, calls: int = 40) -> list[int]:
    """Which of ``calls`` service fetches a p=0.3 fault answered, in a fresh fake."""
    with FakeBuilds(seed=seed) as fake:
        service = fake.create_service(unique_name="my-app")
        client = fake.client()
        fetch = client.serverless.v1.services(service.sid).fetch
        fault = fake.fault("fetch_service", status=503, probability=0.3)
        hit = []
        for index in range(calls):
            if interleave:  # other traffic, which no fault matches
                client.serverless.v1.services.list()
                fake.create_function(service.sid, f"/f{index}")
            try:
                fetch()
            except TwilioRestException as exc:
                hit.append(index if exc.status == 503 else -1)
        assert fault.hits == len(hit)
    return hit


def test_probability_is_reproducible_from_the_seed() -> None:
    first = faulted_calls(seed=11)
    assert 0 < len(first) < 40
    assert faulted_calls(seed=11) == first


def test_another_seed_faults_other_calls() -> None:
    assert faulted_calls(seed=11) != faulted_calls(seed=12)


def test_other_traffic_does_not_shift_the_sequence() -> None:
    """Adding unrelated calls to the code under test does not reshuffle which
    calls fail: only calls the fault matches draw from its stream."""
    assert faulted_calls(seed=11, interleave=True) == faulted_calls(seed=11)


@pytest.mark.parametrize(("probability", "expected"), [(0.0, 0), (1.0, 5)])
def test_probability_bounds(
    fake_builds: FakeBuilds, api: Any, probability: float, expected: int
) -> None:
    fault = fake_builds.fault("fetch_service", status=500, probability=probability)
    outcomes(api.fetch, 5)
    assert fault.hits == expected


@pytest.mark.parametrize("probability", [-0.1, 1.5])
def test_probability_out_of_range_is_refused(fake_builds: FakeBuilds, probability: float) -> None:
    with pytest.raises(ValueError, match="probability"):
        fake_builds.fault("fetch_service", status=500, probability=probability)


# Handles: hits, remove, the list ----------------------------------------------------


def test_hits_count_and_remove_stops_a_fault(fake_builds: FakeBuilds, api: Any) -> None:
    fault = fake_builds.fault("fetch_service", status=500, times=10)
    assert fake_builds.faults == [fault]
    assert outcomes(api.fetch, 3) == [500, 500, 500]
    assert fault.hits == 3

    fault.remove()
    assert fake_builds.faults == []
    assert outcomes(api.fetch, 2) == ["ok", "ok"]
    assert fault.hits == 3
    fault.remove()  # twice is harmless


def test_stacked_faults_answer_in_turn(fake_builds: FakeBuilds, api: Any) -> None:
    """Two faults on one operation: a burst of 503s, then a 429. Each counts the calls
    it answered, and a fault that did not answer a call is not used up by it."""
    outage = fake_builds.fault("fetch_service", status=503, times=2)
    throttle = fake_builds.fault("fetch_service", status=429, times=1)
    assert outcomes(api.fetch, 4) == [503, 503, 429, "ok"]
    assert (outage.hits, throttle.hits) == (2, 1)


def test_unknown_operation_lists_the_operations(fake_builds: FakeBuilds) -> None:
    with pytest.raises(ValueError, match="CreateBuild") as raised:
        fake_builds.fault("CreateBuild", status=500)
    message = str(raised.value)
    listed = set(re.findall(r"\b[a-z]+(?:_[a-z]+)+\b", message))
    assert listed == OPERATIONS
    assert fake_builds.faults == []


@pytest.mark.parametrize("operation", sorted(OPERATIONS))
def test_every_operation_can_be_faulted(fake_builds: FakeBuilds, operation: str) -> None:
    fault = fake_builds.fault(operation, status=500)
    assert fake_builds.faults == [fault]


# A faulted create creates nothing ---------------------------------------------------


def world(fake: FakeBuilds) -> dict[str, str]:
    service = fake.create_service(unique_name="my-app")
    hello = fake.create_function_version(service.sid, "/hello")
    environment = fake.create_environment(service.sid, domain_suffix="dev")
    build = fake.create_build(service.sid, [hello])
    fake.advance(fake.build_duration)
    return {
        "service": service.sid,
        "hello": hello.sid,
        "function": hello.function_sid,
        "environment": environment.sid,
        "build": build.sid,
    }


# operation -> (the user's call, given the fake and the names; a helper minting the
# same kind of record, for the SID sequence)
CREATES: dict[str, tuple[Callable[..., Any], Callable[..., Any]]] = {
    "create_service": (
        lambda fake, names: fake.client().serverless.v1.services.create(
            unique_name="other", friendly_name="other"
        ),
        lambda fake, names: fake.create_service(unique_name="other").sid,
    ),
    "create_environment": (
        lambda fake, names: (
            fake.client()
            .serverless.v1.services(names["service"])
            .environments.create(unique_name="stage-environment", domain_suffix="stage")
        ),
        lambda fake, names: fake.create_environment(names["service"], domain_suffix="stage").sid,
    ),
    "create_function": (
        lambda fake, names: (
            fake.client()
            .serverless.v1.services(names["service"])
            .functions.create(friendly_name="/other")
        ),
        lambda fake, names: fake.create_function(names["service"], "/other").sid,
    ),
    "create_build": (
        lambda fake, names: (
            fake.client()
            .serverless.v1.services(names["service"])
            .builds.create(function_versions=[names["hello"]])
        ),
        lambda fake, names: fake.create_build(names["service"], [names["hello"]]).sid,
    ),
    "create_deployment": (
        lambda fake, names: (
            fake.client()
            .serverless.v1.services(names["service"])
            .environments(names["environment"])
            .deployments.create(build_sid=names["build"])
        ),
        lambda fake, names: fake.deploy(names["environment"], names["build"]).sid,
    ),
    "create_variable": (
        lambda fake, names: (
            fake.client()
            .serverless.v1.services(names["service"])
            .environments(names["environment"])
            .variables.create(key="API_KEY", value="secret")
        ),
        lambda fake, names: fake.set_variable(names["environment"], "API_KEY", "secret").sid,
    ),
    "create_function_version": (
        lambda fake, names: upload_or_raise(fake, names),
        lambda fake, names: (
            fake.create_function_version(
                names["service"], "/other", function_sid=names["function"]
            ).sid
        ),
    ),
}


def upload_or_raise(fake: FakeBuilds, names: dict[str, str]) -> None:
    answer = upload(fake, names["service"], names["function"], path="/other")
    if answer.status_code >= 400:
        raise TwilioRestException(answer.status_code, answer.url)


@pytest.mark.parametrize("operation", sorted(CREATES))
@pytest.mark.parametrize(
    "effect",
    [{"status": 429}, {"status": 503}, {"exception": requests.ConnectionError}],
    ids=["429", "503", "ConnectionError"],
)
def test_a_faulted_create_creates_nothing(
    fake_builds: FakeBuilds, operation: str, effect: dict[str, Any]
) -> None:
    names = world(fake_builds)
    create, mint = CREATES[operation]
    before = state_of(fake_builds)
    fault = fake_builds.fault(operation, **effect)

    with pytest.raises((TwilioRestException, requests.ConnectionError)):
        create(fake_builds, names)

    assert fault.hits == 1
    assert state_of(fake_builds) == before
    assert_same_next_sid(fake_builds, world, names, lambda fake: mint(fake, names))


def test_the_create_after_a_faulted_one_succeeds(fake_builds: FakeBuilds) -> None:
    names = world(fake_builds)
    create, _ = CREATES["create_build"]
    fake_builds.fault("create_build", status=429)
    with pytest.raises(TwilioRestException):
        create(fake_builds, names)
    build = create(fake_builds, names)
    assert build.status == "building"
    assert [b["sid"] for b in state_of(fake_builds)[names["service"]]["builds"]] == [
        build.sid,
        names["build"],
    ]


# Uploads -----------------------------------------------------------------------------


def test_a_429_on_an_upload(fake_builds: FakeBuilds, service: Any, hello: Any) -> None:
    before = state_of(fake_builds)
    fault = fake_builds.fault("create_function_version", status=429, retry_after=3)
    answer = upload(fake_builds, service.sid, hello.function_sid, path="/again")
    assert error_of(answer) == (429, 20429, "Too many requests")
    assert answer.headers["Retry-After"] == "3"
    assert state_of(fake_builds) == before
    assert fault.hits == 1

    again = upload(fake_builds, service.sid, hello.function_sid, path="/again")
    assert again.status_code == 201
    assert again.json()["path"] == "/again"


@pytest.mark.parametrize("kind", [requests.ConnectionError, requests.ReadTimeout])
def test_an_exception_on_an_upload(
    fake_builds: FakeBuilds, service: Any, hello: Any, kind: type[Exception]
) -> None:
    before = state_of(fake_builds)
    fake_builds.fault("create_function_version", exception=kind)
    with pytest.raises(kind):
        upload(fake_builds, service.sid, hello.function_sid, path="/again")
    call = fake_builds.calls.last
    assert call is not None
    assert call.operation == "create_function_version"
    assert isinstance(call.response.exception, kind)
    assert state_of(fake_builds) == before


def test_an_asset_upload_fault_scoped_to_one_asset(
    fake_builds: FakeBuilds, service: Any, hello: Any
) -> None:
    logo = fake_builds.create_asset(service.sid, "/logo.png")
    style = fake_builds.create_asset(service.sid, "/style.css")
    fake_builds.fault("create_asset_version", status=503, times=None, sid=logo.sid)

    refused_upload = upload(fake_builds, service.sid, logo.sid, kind="Assets", path="/logo.png")
    fine = upload(fake_builds, service.sid, style.sid, kind="Assets", path="/style.css")
    function_upload = upload(fake_builds, service.sid, hello.function_sid, path="/hi")

    assert error_of(refused_upload)[:2] == (503, 20503)
    assert (fine.status_code, function_upload.status_code) == (201, 201)


# Paging -------------------------------------------------------------------------------


@pytest.fixture
def five_builds(fake_builds: FakeBuilds, service: Any, hello: Any) -> list[str]:
    """Five builds, newest first (as the list serves them)."""
    made = [fake_builds.create_build(service.sid, [hello]).sid for _ in range(5)]
    return made[::-1]


def test_an_error_on_the_second_page(
    fake_builds: FakeBuilds, builds: Any, five_builds: list[str]
) -> None:
    fake_builds.fault("list_build", status=500, nth=2)
    with pytest.raises(TwilioException) as raised:
        builds.list(page_size=2)
    assert page_refused(raised.value)[:2] == (500, 20500)
    pages = fake_builds.calls.filter(operation="list_build")
    assert len(pages) == 2
    assert pages[1].request.query["Page"] == ["1"]
    # Listed again, every page answers.
    assert [build.sid for build in builds.list(page_size=2)] == five_builds


def test_the_first_page_arrives_before_the_second_fails(
    fake_builds: FakeBuilds, builds: Any, five_builds: list[str]
) -> None:
    fake_builds.fault("list_build", exception=requests.ReadTimeout, nth=2)
    stream = builds.stream(page_size=2)
    assert [next(stream).sid, next(stream).sid] == five_builds[:2]
    with pytest.raises(requests.ReadTimeout):
        next(stream)


def test_a_429_on_the_third_page(
    fake_builds: FakeBuilds, builds: Any, five_builds: list[str]
) -> None:
    fake_builds.fault("list_build", status=429, retry_after=1, nth=3)
    with pytest.raises(TwilioException) as raised:
        builds.list(page_size=2)
    assert page_refused(raised.value) == (429, 20429, "Too many requests")
    message, response = raised.value.args
    assert message == "Unable to fetch page"
    assert response.headers["Retry-After"] == "1"


# A retry-and-poll loop, written the way users write them -----------------------------


class RetryingHttpClient(TwilioHttpClient):
    """A twilio HTTP client that retries 429s after the answer's Retry-After.

    twilio-python's exceptions carry no headers, so this is where a user honours
    Retry-After: a custom HTTP client, as Twilio documents them.
    """

    def __init__(self, attempts: int = 5) -> None:
        super().__init__()
        self.attempts = attempts

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        for attempt in range(1, self.attempts + 1):
            response = super().request(method, url, *args, **kwargs)
            if response.status_code != 429 or attempt == self.attempts:
                return response
            time.sleep(float(response.headers.get("Retry-After", 2**attempt)))
        raise AssertionError("unreachable")


def wait_for_build(api: Any, build_sid: str, *, timeout: float = 300.0) -> str:
    """Poll the build's status once a second until it is done, or time out."""
    status = api.builds(build_sid).build_status()
    deadline = time.monotonic() + timeout
    while True:
        try:
            current = status.fetch().status
        except requests.Timeout:
            current = "unknown"  # a slow answer: ask again at the next tick
        if current in ("completed", "failed"):
            return str(current)
        if time.monotonic() >= deadline:
            raise TimeoutError(f"build {build_sid} still {current} after {timeout:g} s")
        time.sleep(1)


def deploy(client: Any, service_sid: str, versions: list[str], *, timeout: float = 300.0) -> Any:
    """Create a build and wait for it: (build SID, final status)."""
    api = client.serverless.v1.services(service_sid)
    build = api.builds.create(function_versions=versions)
    return build.sid, wait_for_build(api, build.sid, timeout=timeout)


@pytest.fixture
def retrying(fake_builds: FakeBuilds) -> Any:
    return fake_builds.client(http_client=RetryingHttpClient())


def test_the_loop_without_faults(
    fake_builds: FakeBuilds, retrying: Any, service: Any, hello: Any
) -> None:
    build_sid, status = deploy(retrying, service.sid, [hello.sid])
    assert status == "completed"
    fake_builds.assert_called("create_build", times=1)
    fake_builds.assert_polled(build_sid, every=1)
    # 10 s of building, read once a second: t = 0 .. 10.
    assert len(fake_builds.calls.filter(operation="fetch_build_status")) == 11


def test_the_loop_rides_out_a_429_burst_honouring_retry_after(
    fake_builds: FakeBuilds, retrying: Any, service: Any, hello: Any
) -> None:
    started = fake_builds.now()
    burst = fake_builds.fault("create_build", status=429, retry_after=2, times=3)

    build_sid, status = deploy(retrying, service.sid, [hello.sid])

    assert status == "completed"
    assert burst.hits == 3
    creates = fake_builds.calls.filter(operation="create_build")
    assert [call.response.status for call in creates] == [429, 429, 429, 201]
    # Each retry waited the Retry-After the answer gave, on the fake's clock.
    assert [call.time - started for call in creates] == [
        timedelta(seconds=seconds) for seconds in (0, 2, 4, 6)
    ]
    fake_builds.assert_polled(build_sid, every=1)
    # One build, not four, made when the fourth attempt went through.
    (build,) = state_of(fake_builds)[service.sid]["builds"]
    assert build["sid"] == build_sid
    assert build["date_created"] == f"{started + timedelta(seconds=6):%Y-%m-%dT%H:%M:%SZ}"


def test_a_burst_longer_than_the_retries_reaches_the_caller(
    fake_builds: FakeBuilds, retrying: Any, service: Any, hello: Any
) -> None:
    started = fake_builds.now()
    fake_builds.fault("create_build", status=429, retry_after=2, times=None)
    with pytest.raises(TwilioRestException) as raised:
        deploy(retrying, service.sid, [hello.sid])
    assert refused(raised.value) == (429, 20429, "Unable to create record: Too many requests")
    fake_builds.assert_called("create_build", times=5)
    fake_builds.assert_not_called("fetch_build_status")
    assert fake_builds.now() - started == timedelta(seconds=8)  # four waits of 2 s
    assert state_of(fake_builds)[service.sid]["builds"] == []


def test_the_loop_rides_out_429s_while_polling(
    fake_builds: FakeBuilds, retrying: Any, service: Any, hello: Any
) -> None:
    fake_builds.fault("fetch_build_status", status=429, retry_after=1, times=3)
    build_sid, status = deploy(retrying, service.sid, [hello.sid])
    assert status == "completed"
    reads = fake_builds.calls.filter(operation="fetch_build_status")
    assert [call.response.status for call in reads[:4]] == [429, 429, 429, 200]
    fake_builds.assert_polled(build_sid, every=1)


def test_the_loop_survives_a_read_timeout_on_one_poll(
    fake_builds: FakeBuilds, retrying: Any, service: Any, hello: Any
) -> None:
    timeout = fake_builds.fault("fetch_build_status", exception=requests.ReadTimeout, nth=3)
    build_sid, status = deploy(retrying, service.sid, [hello.sid])

    assert status == "completed"
    assert timeout.hits == 1
    reads = fake_builds.calls.filter(operation="fetch_build_status")
    assert len(reads) == 11  # the timed-out read took the place of one poll
    assert [call.response.exception is not None for call in reads].count(True) == 1
    assert isinstance(reads[2].response.exception, requests.ReadTimeout)
    fake_builds.assert_polled(build_sid, every=1)


def test_a_timed_out_poll_costs_its_timeout_on_the_clock(
    fake_builds: FakeBuilds, retrying: Any, service: Any, hello: Any
) -> None:
    """A read timeout is realistic with the time it took: latency plus the exception."""
    fake_builds.fault("fetch_build_status", exception=requests.ReadTimeout, latency=15, nth=3)
    _, status = deploy(retrying, service.sid, [hello.sid])
    assert status == "completed"
    reads = fake_builds.calls.filter(operation="fetch_build_status")
    # t = 0, 1, 2 (times out at 17), then 18: done.
    assert [(call.time - reads[0].time).total_seconds() for call in reads] == [0, 1, 2, 18]


@pytest.mark.parametrize("timeout", [5, 30])
def test_a_hanging_build_times_out_after_exactly_n_polls(
    fake_builds: FakeBuilds, retrying: Any, service: Any, hello: Any, timeout: int
) -> None:
    fake_builds.hang_next_build()
    started = fake_builds.now()
    with pytest.raises(TimeoutError, match=f"still building after {timeout} s"):
        deploy(retrying, service.sid, [hello.sid], timeout=timeout)
    reads = fake_builds.calls.filter(operation="fetch_build_status")
    assert len(reads) == timeout + 1  # t = 0 .. timeout
    assert fake_builds.now() - started == timedelta(seconds=timeout)
    assert {json.loads(call.response.body)["status"] for call in reads} == {"building"}


def test_the_loop_reports_a_failed_build(
    fake_builds: FakeBuilds, retrying: Any, service: Any, hello: Any
) -> None:
    fake_builds.fail_next_build(reason="npm ERR! 404 left-pad@9.9.9 not found")
    build_sid, status = deploy(retrying, service.sid, [hello.sid])
    assert status == "failed"
    assert fake_builds.failure_reason(build_sid) == "npm ERR! 404 left-pad@9.9.9 not found"
    fake_builds.assert_polled(build_sid, every=1)


def test_a_retrying_requests_adapter_is_not_bypassed(
    fake_builds: FakeBuilds, service: Any, hello: Any
) -> None:
    """The other way users retry: urllib3's ``Retry`` mounted on the client's session
    (``status_forcelist=[429]``), as Twilio's own blog shows for twilio-python. Against
    Twilio, and against plain ``responses`` stubs, the 429s are retried; under the
    fake the adapter the user mounted must still be the one that sends."""
    http = TwilioHttpClient()
    http.session = requests.Session()
    retry = Retry(total=5, status_forcelist=[429], allowed_methods=None, backoff_factor=0)
    http.session.mount("https://", HTTPAdapter(max_retries=retry))
    client = fake_builds.client(http_client=http)
    fake_builds.fault("create_build", status=429, retry_after=3, times=2)

    build = client.serverless.v1.services(service.sid).builds.create(function_versions=[hello.sid])

    assert build.status == "building"
    fake_builds.assert_called("create_build", times=3)
