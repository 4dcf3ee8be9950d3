"""The journal as a test reads it: each call's operation, parameters and time,
``calls.filter`` and ``calls.last``, and the assertion helpers, whose failures
list what was actually received and whose own frames stay out of the traceback.
"""

from __future__ import annotations

import re
import textwrap
import time
from datetime import datetime, timedelta
from typing import Any

import pytest
import requests
from helpers import UPLOAD, raw, upload
from openapi import spec

from pytest_fakebuilds import Call, FakeBuilds


def snake(operation_id: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", operation_id).lower()


def spec_routes() -> list[tuple[str, re.Pattern[str], str]]:
    """(method, path pattern with the spec's parameter names, operation) for every
    operation of Twilio's description, and the two uploads (a POST on the upload
    host to the path the description lists the versions at)."""
    found = []
    for template, item in spec()["paths"].items():
        pattern = re.compile("^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", template) + "$")
        for method, operation in item.items():
            if isinstance(operation, dict) and "operationId" in operation:
                found.append((method.upper(), pattern, snake(operation["operationId"])))
                if method == "get" and operation["operationId"] in (
                    "ListFunctionVersion",
                    "ListAssetVersion",
                ):
                    upload_op = operation["operationId"].replace("List", "Create")
                    found.append(("UPLOAD", pattern, snake(upload_op)))
    return found


def expected_of(call: Call) -> tuple[str, dict[str, str]]:
    """What the description says the call is: its operation and path parameters."""
    request = call.request
    method = "UPLOAD" if request.host.startswith("serverless-upload") else request.method
    for route_method, pattern, operation in spec_routes():
        found = pattern.match(request.path)
        if route_method == method and found is not None:
            return operation, found.groupdict()
    raise AssertionError(f"{request.method} {request.url} is no operation of the description")


def every_operation(fake: FakeBuilds) -> None:
    """One call of each of the 41 operations the fake serves, as users make them."""
    client = fake.client()
    services = client.serverless.v1.services
    service = services.create(unique_name="my-app", friendly_name="My app")
    services.list()
    api = services(service.sid)
    api.fetch()
    api.update(friendly_name="Renamed")

    environment = api.environments.create(unique_name="dev-environment", domain_suffix="dev")
    api.environments.list()
    api.environments(environment.sid).fetch()

    function = api.functions.create(friendly_name="/hello")
    api.functions.list()
    api.functions(function.sid).fetch()
    api.functions(function.sid).update(friendly_name="/hello")
    asset = api.assets.create(friendly_name="/logo.png")
    api.assets.list()
    api.assets(asset.sid).fetch()
    api.assets(asset.sid).update(friendly_name="/logo.png")

    version = upload(fake, service.sid, function.sid).json()
    asset_version = upload(
        fake,
        service.sid,
        asset.sid,
        kind="Assets",
        path="/logo.png",
        content=b"\x89PNG",
        filename="logo",
        content_type="image/png",
    ).json()
    api.functions(function.sid).function_versions.list()
    function_version = api.functions(function.sid).function_versions(version["sid"])
    function_version.fetch()
    function_version.function_version_content().fetch()
    api.assets(asset.sid).asset_versions.list()
    api.assets(asset.sid).asset_versions(asset_version["sid"]).fetch()

    build = api.builds.create(
        function_versions=[version["sid"]], asset_versions=[asset_version["sid"]]
    )
    api.builds.list()
    api.builds(build.sid).fetch()
    api.builds(build.sid).build_status().fetch()
    fake.advance(fake.build_duration)

    deployments = api.environments(environment.sid).deployments
    deployment = deployments.create(build_sid=build.sid)
    deployments.list()
    deployments(deployment.sid).fetch()

    variables = api.environments(environment.sid).variables
    variable = variables.create(key="API_KEY", value="one")
    variables.list()
    variables(variable.sid).fetch()
    variables(variable.sid).update(value="two")
    variables(variable.sid).delete()

    log = fake.add_log(environment.sid, "hello")
    api.environments(environment.sid).logs.list()
    api.environments(environment.sid).logs(log.sid).fetch()

    spare = api.builds.create(function_versions=[version["sid"]])
    api.builds(spare.sid).delete()
    api.functions(api.functions.create(friendly_name="/bye").sid).delete()
    api.assets(api.assets.create(friendly_name="/old.css").sid).delete()
    stage = api.environments.create(unique_name="stage-environment", domain_suffix="stage")
    api.environments(stage.sid).delete()
    services(services.create(unique_name="other", friendly_name="Other").sid).delete()


# Operation, params, time -----------------------------------------------------------------


def test_every_call_is_named_as_the_description_names_it(fake_builds: FakeBuilds) -> None:
    every_operation(fake_builds)
    calls = fake_builds.calls
    seen = set()
    for call in calls:
        operation, params = expected_of(call)
        assert (call.operation, call.params) == (operation, params), call.request.url
        seen.add(call.operation)
    assert len(seen) == 41  # every operation was made, and named


def test_params_by_the_spec_names(
    fake_builds: FakeBuilds, api: Any, environment: Any, hello: Any
) -> None:
    build = api.builds.create(function_versions=[hello.sid])
    api.builds(build.sid).build_status().fetch()
    api.environments(environment.sid).variables.create(key="K", value="v")
    api.functions(hello.function_sid).function_versions(hello.sid).fetch()
    upload(fake_builds, build.service_sid, hello.function_sid)
    assert [(call.operation, call.params) for call in fake_builds.calls] == [
        ("create_build", {"ServiceSid": build.service_sid}),
        ("fetch_build_status", {"ServiceSid": build.service_sid, "Sid": build.sid}),
        (
            "create_variable",
            {"ServiceSid": build.service_sid, "EnvironmentSid": environment.sid},
        ),
        (
            "fetch_function_version",
            {"ServiceSid": build.service_sid, "FunctionSid": hello.function_sid, "Sid": hello.sid},
        ),
        (
            "create_function_version",
            {"ServiceSid": build.service_sid, "FunctionSid": hello.function_sid},
        ),
    ]


def test_a_service_fetched_by_unique_name_has_the_name_as_sid(
    fake_builds: FakeBuilds, client: Any, service: Any
) -> None:
    client.serverless.v1.services("my-app").fetch()
    assert fake_builds.calls.last is not None
    assert fake_builds.calls.last.params == {"Sid": "my-app"}


def test_time_is_the_clock_at_arrival_and_moves_with_advance_sleep_and_latency(
    fake_builds: FakeBuilds, api: Any
) -> None:
    start = fake_builds.now()
    api.fetch()
    fake_builds.advance(5)
    api.fetch()
    time.sleep(2)  # the fake's clock, not the wall's
    api.fetch()
    fake_builds.fault("fetch_service", latency=30)
    api.fetch()  # arrives at +7, answered at +37
    api.fetch()
    offsets = [(call.time - start).total_seconds() for call in fake_builds.calls]
    assert offsets == [0, 5, 7, 7, 37]
    assert all(isinstance(call.time, datetime) for call in fake_builds.calls)
    assert fake_builds.calls[0].time is not None
    assert fake_builds.calls[0].time.tzinfo is not None


def test_time_follows_a_start_of_your_own() -> None:
    with FakeBuilds(seed=1, start="2030-06-01T09:00:00Z") as fake:
        fake.client().serverless.v1.services.list()
    assert fake.calls.last is not None
    assert fake.calls.last.time == fake.now()
    assert f"{fake.calls.last.time:%Y-%m-%d %H:%M}" == "2030-06-01 09:00"


# Unrouted calls ---------------------------------------------------------------------------


def test_unrouted_calls_have_no_operation(fake_builds: FakeBuilds, service: Any) -> None:
    unknown = raw(fake_builds, "GET", "/v1/Nope")
    not_allowed = raw(fake_builds, "POST", f"/v1/Services/{service.sid}/Functions/x/Versions")
    upload_host = raw(fake_builds, "GET", "/v1/Services", host=UPLOAD)
    assert [unknown.status_code, not_allowed.status_code, upload_host.status_code] == [
        404,
        405,
        404,
    ]
    assert [(call.operation, call.params) for call in fake_builds.calls] == [(None, {})] * 3


def test_a_call_with_bad_credentials_still_names_its_operation(
    fake_builds: FakeBuilds, service: Any
) -> None:
    """The journal records what the client sent: a create_build refused for its
    credentials is still a create_build (a route matched its path), so that
    ``calls.filter(operation="create_build")`` finds it when a test asks why no
    build was made."""
    answer = raw(
        fake_builds,
        "POST",
        f"/v1/Services/{service.sid}/Builds",
        auth=(fake_builds.account_sid, "wrong"),
        data={"FunctionVersions": "ZN" + "0" * 32},
    )
    assert answer.status_code == 401
    call = fake_builds.calls.last
    assert call is not None
    assert (call.operation, call.params) == ("create_build", {"ServiceSid": service.sid})


# filter and last -----------------------------------------------------------------------


@pytest.fixture
def two_builds(fake_builds: FakeBuilds, builds: Any, hello: Any) -> tuple[Any, Any]:
    one = builds.create(function_versions=[hello.sid])
    other = builds.create(function_versions=[hello.sid])
    for build in (one, other, one):
        builds(build.sid).build_status().fetch()
    builds(one.sid).fetch()
    builds.list()
    return one, other


def test_filter_by_operation(fake_builds: FakeBuilds, two_builds: tuple[Any, Any]) -> None:
    one, other = two_builds
    reads = fake_builds.calls.filter(operation="fetch_build_status")
    assert [call.params["Sid"] for call in reads] == [one.sid, other.sid, one.sid]
    assert fake_builds.calls.filter(operation="delete_build") == []


def test_filter_by_method_in_any_case(fake_builds: FakeBuilds, two_builds: tuple[Any, Any]) -> None:
    posts = fake_builds.calls.filter(method="post")
    assert [call.operation for call in posts] == ["create_build", "create_build"]
    assert fake_builds.calls.filter(method="POST") == posts
    assert len(fake_builds.calls.filter(method="GET")) == 5


def test_filter_by_sid_matches_any_path_parameter(
    fake_builds: FakeBuilds, two_builds: tuple[Any, Any], service: Any
) -> None:
    one, other = two_builds
    about_one = fake_builds.calls.filter(sid=one.sid)
    assert [call.operation for call in about_one] == [
        "fetch_build_status",
        "fetch_build_status",
        "fetch_build",
    ]
    assert len(fake_builds.calls.filter(sid=other.sid)) == 1
    # The service's SID is a path parameter of every call here.
    assert fake_builds.calls.filter(sid=service.sid) == fake_builds.calls


def test_filters_combine_and_chain(fake_builds: FakeBuilds, two_builds: tuple[Any, Any]) -> None:
    one, _ = two_builds
    both = fake_builds.calls.filter(operation="fetch_build_status", sid=one.sid, method="GET")
    chained = fake_builds.calls.filter(sid=one.sid).filter(operation="fetch_build_status")
    assert both == chained
    assert len(both) == 2
    assert chained.last is both[-1]


def test_last_is_the_newest_call(fake_builds: FakeBuilds, client: Any) -> None:
    assert fake_builds.calls.last is None
    assert fake_builds.calls.filter(operation="list_service").last is None
    client.serverless.v1.services.list()
    client.serverless.v1.services.create(unique_name="app", friendly_name="App")
    last = fake_builds.calls.last
    assert last is not None
    assert (last.operation, last.response.status) == ("create_service", 201)
    assert fake_builds.calls.filter(method="GET").last is fake_builds.calls[0]


def test_an_exception_fault_is_in_the_journal(fake_builds: FakeBuilds, api: Any) -> None:
    fake_builds.fault("fetch_service", exception=requests.ConnectTimeout)
    with pytest.raises(requests.ConnectTimeout):
        api.fetch()
    last = fake_builds.calls.last
    assert last is not None
    assert last.operation == "fetch_service"
    assert isinstance(last.response.exception, requests.ConnectTimeout)


# assert_called and assert_not_called ---------------------------------------------------


def test_assert_called_passes(fake_builds: FakeBuilds, builds: Any, hello: Any) -> None:
    builds.create(function_versions=[hello.sid])
    builds.create(function_versions=[hello.sid])
    fake_builds.assert_called("create_build")
    fake_builds.assert_called("create_build", times=2)
    fake_builds.assert_not_called("delete_build")


def test_a_faulted_call_was_still_called(fake_builds: FakeBuilds, builds: Any, hello: Any) -> None:
    fake_builds.fault("create_build", status=429)
    with pytest.raises(Exception, match="Too many requests"):
        builds.create(function_versions=[hello.sid])
    fake_builds.assert_called("create_build", times=1)


def test_assert_called_lists_the_calls_received(
    fake_builds: FakeBuilds, builds: Any, hello: Any, service: Any
) -> None:
    build = builds.create(function_versions=[hello.sid])
    fake_builds.advance(3)
    builds(build.sid).build_status().fetch()
    raw(fake_builds, "GET", "/v1/Nope")

    with pytest.raises(AssertionError) as raised:
        fake_builds.assert_called("create_build", times=2)
    message = str(raised.value)
    head, *received = message.splitlines()
    assert "create_build" in head
    assert re.search(r"\b2\b", head)  # what was wanted
    assert re.search(r"\b1\b", head)  # what happened
    assert len(received) == 3  # one line per call received, oldest first
    for line, method, path, status in zip(
        received,
        ["POST", "GET", "GET"],
        [
            f"/v1/Services/{service.sid}/Builds",
            f"/v1/Services/{service.sid}/Builds/{build.sid}/Status",
            "/v1/Nope",
        ],
        ["201", "200", "404"],
        strict=True,
    ):
        assert f"{method} {path}" in line
        assert re.search(rf"\b{status}\b", line), line
    assert "create_build" in received[0]
    assert "fetch_build_status" in received[1]
    # Each line shows the fake's clock at arrival.
    assert f"{fake_builds.now():%H:%M:%S}" in received[1]


def test_assert_called_on_an_empty_journal(fake_builds: FakeBuilds) -> None:
    with pytest.raises(AssertionError, match="no calls"):
        fake_builds.assert_called("create_build")


def test_assert_called_once_but_called_twice(
    fake_builds: FakeBuilds, builds: Any, hello: Any
) -> None:
    builds.create(function_versions=[hello.sid])
    builds.create(function_versions=[hello.sid])
    with pytest.raises(AssertionError, match=r"called 2 time") as raised:
        fake_builds.assert_called("create_build", times=1)
    assert str(raised.value).count("create_build: POST") == 2


def test_assert_not_called_lists_its_calls(
    fake_builds: FakeBuilds, builds: Any, hello: Any, api: Any
) -> None:
    api.fetch()
    build = builds.create(function_versions=[hello.sid])
    builds(build.sid).delete()
    with pytest.raises(AssertionError) as raised:
        fake_builds.assert_not_called("delete_build")
    message = str(raised.value)
    assert "delete_build" in message.splitlines()[0]
    assert f"DELETE /v1/Services/{build.service_sid}/Builds/{build.sid}" in message
    assert "204" in message
    assert "fetch_service" not in message  # only the calls it was about


def test_assert_not_called_refuses_an_unknown_operation(fake_builds: FakeBuilds) -> None:
    """A typo must not make an assertion that can never fail: "create_biuld" was
    never called because it does not exist. fault() refuses unknown names; the
    assertions must too."""
    with pytest.raises(ValueError, match="create_build"):
        fake_builds.assert_not_called("create_biuld")


# assert_polled --------------------------------------------------------------------------


def poll(status: Any, every: float, until: tuple[str, ...] = ("completed", "failed")) -> list[str]:
    seen = [status.fetch().status]
    while seen[-1] not in until:
        time.sleep(every)
        seen.append(status.fetch().status)
    return seen


def test_assert_polled_passes_for_a_loop_that_polls_once_a_second(
    fake_builds: FakeBuilds, builds: Any, hello: Any
) -> None:
    build = builds.create(function_versions=[hello.sid])
    poll(builds(build.sid).build_status(), every=1)
    fake_builds.assert_polled(build.sid)
    fake_builds.assert_polled(build.sid, every=1)
    fake_builds.assert_polled(build.sid, every=timedelta(seconds=1))


def test_reading_the_build_itself_counts_as_polling(
    fake_builds: FakeBuilds, builds: Any, hello: Any
) -> None:
    build = builds.create(function_versions=[hello.sid])
    seen = [builds(build.sid).fetch().status]
    while seen[-1] == "building":
        time.sleep(2)
        seen.append(builds(build.sid).fetch().status)
    fake_builds.assert_polled(build.sid, every=2)


def test_other_builds_polls_do_not_count(fake_builds: FakeBuilds, builds: Any, hello: Any) -> None:
    """Two builds polled in one loop: each is read once a second, though the loop
    makes two reads a second."""
    one = builds.create(function_versions=[hello.sid])
    other = builds.create(function_versions=[hello.sid])
    pending = {one.sid, other.sid}
    while pending:
        for sid in sorted(pending):
            if builds(sid).build_status().fetch().status != "building":
                pending.discard(sid)
        time.sleep(1)
    fake_builds.assert_polled(one.sid)
    fake_builds.assert_polled(other.sid)


def test_polling_too_fast_fails_with_the_reads(
    fake_builds: FakeBuilds, builds: Any, hello: Any, api: Any
) -> None:
    build = builds.create(function_versions=[hello.sid])
    api.fetch()
    poll(builds(build.sid).build_status(), every=0.5)
    with pytest.raises(AssertionError) as raised:
        fake_builds.assert_polled(build.sid, every=1)
    message = str(raised.value)
    assert build.sid in message.splitlines()[0]
    assert "0.5 s" in message.splitlines()[0]
    reads = [line for line in message.splitlines()[1:] if "/Status" in line]
    assert len(reads) == 21  # 10 s of building, read every half second
    assert "fetch_service" not in message


def test_polling_after_a_terminal_status_fails(
    fake_builds: FakeBuilds, builds: Any, hello: Any
) -> None:
    build = builds.create(function_versions=[hello.sid])
    status = builds(build.sid).build_status()
    poll(status, every=1)
    time.sleep(1)
    status.fetch()  # once more, after completed
    with pytest.raises(AssertionError, match="completed") as raised:
        fake_builds.assert_polled(build.sid)
    assert build.sid in str(raised.value)


def test_a_failed_build_polled_again_names_its_failure_reason(
    fake_builds: FakeBuilds, builds: Any, hello: Any
) -> None:
    """The reason a build failed never shows on the wire, as on Twilio; it shows in
    the Python API and in assertion messages."""
    fake_builds.fail_next_build(reason="npm ERR! 404 left-pad@9.9.9 not found")
    build = builds.create(function_versions=[hello.sid])
    status = builds(build.sid).build_status()
    assert poll(status, every=1)[-1] == "failed"
    time.sleep(1)
    status.fetch()
    with pytest.raises(AssertionError) as raised:
        fake_builds.assert_polled(build.sid)
    assert "failed" in str(raised.value)
    assert "npm ERR! 404 left-pad@9.9.9 not found" in str(raised.value)


def test_a_build_never_polled(fake_builds: FakeBuilds, builds: Any, hello: Any) -> None:
    build = builds.create(function_versions=[hello.sid])
    with pytest.raises(AssertionError, match="never polled") as raised:
        fake_builds.assert_polled(build.sid)
    assert f"POST /v1/Services/{build.service_sid}/Builds" in str(raised.value)


# Dropped calls ----------------------------------------------------------------------------


def test_failure_messages_say_when_calls_were_dropped() -> None:
    with FakeBuilds(seed=1, journal_size=2) as fake:
        services = fake.client().serverless.v1.services
        for _ in range(5):
            services.list()
        with pytest.raises(AssertionError) as called:
            fake.assert_called("create_service")
        with pytest.raises(AssertionError) as not_called:
            fake.assert_not_called("list_service")
    assert fake.calls_dropped == 3
    for message in (str(called.value), str(not_called.value)):
        assert re.search(r"\b3\b[^\n]*dropped", message), message
        assert message.count("list_service: GET") == 2  # only what is kept


def test_no_dropped_calls_no_mention(fake_builds: FakeBuilds, client: Any) -> None:
    client.serverless.v1.services.list()
    with pytest.raises(AssertionError) as raised:
        fake_builds.assert_called("create_service")
    assert "dropped" not in str(raised.value)


def test_assert_polled_says_when_calls_were_dropped() -> None:
    with FakeBuilds(seed=1, journal_size=3) as fake:
        service = fake.create_service(unique_name="my-app")
        hello = fake.create_function_version(service.sid, "/hello")
        builds = fake.client().serverless.v1.services(service.sid).builds
        build = builds.create(function_versions=[hello.sid])
        poll(builds(build.sid).build_status(), every=0.5)
        with pytest.raises(AssertionError) as raised:
            fake.assert_polled(build.sid)
    assert re.search(rf"\b{fake.calls_dropped}\b[^\n]*dropped", str(raised.value))


# journal_size ------------------------------------------------------------------------------


def test_lowering_journal_size_keeps_the_newest_calls(fake_builds: FakeBuilds) -> None:
    services = fake_builds.client().serverless.v1.services
    for name in ("a", "b", "c", "d", "e"):
        services.create(unique_name=name, friendly_name=name)
    fake_builds.journal_size = 2
    assert fake_builds.journal_size == 2
    assert [call.request.form["UniqueName"] for call in fake_builds.calls] == [["d"], ["e"]]
    assert fake_builds.calls_dropped == 3
    services.create(unique_name="f", friendly_name="f")
    assert [call.request.form["UniqueName"] for call in fake_builds.calls] == [["e"], ["f"]]
    assert fake_builds.calls_dropped == 4


def test_raising_journal_size_keeps_more_from_now_on() -> None:
    with FakeBuilds(seed=1, journal_size=1) as fake:
        services = fake.client().serverless.v1.services
        services.list()
        services.list()
        fake.journal_size = None
        for _ in range(5):
            services.list()
        assert fake.journal_size is None
        assert (len(fake.calls), fake.calls_dropped) == (6, 1)
        fake.journal_size = 100
        assert (len(fake.calls), fake.journal_size) == (6, 100)


@pytest.mark.parametrize("size", [-1, 2.5, "10", True])
def test_a_bad_journal_size_is_refused_and_changes_nothing(
    fake_builds: FakeBuilds, client: Any, size: Any
) -> None:
    client.serverless.v1.services.list()
    with pytest.raises(ValueError, match="journal_size"):
        fake_builds.journal_size = size
    assert fake_builds.journal_size == 10_000
    assert len(fake_builds.calls) == 1


# Hidden frames ------------------------------------------------------------------------------

HIDDEN = """
import time


def make_build(fake_builds):
    service = fake_builds.create_service(unique_name="my-app")
    hello = fake_builds.create_function_version(service.sid, "/hello")
    builds = fake_builds.client().serverless.v1.services(service.sid).builds
    return builds, builds.create(function_versions=[hello.sid])


def test_called(fake_builds):
    make_build(fake_builds)
    fake_builds.assert_called("delete_build")  # LINE called


def test_not_called(fake_builds):
    make_build(fake_builds)
    fake_builds.assert_not_called("create_build")  # LINE not_called


def test_polled(fake_builds):
    builds, build = make_build(fake_builds)
    for _ in range(3):
        builds(build.sid).build_status().fetch()
    fake_builds.assert_polled(build.sid)  # LINE polled
"""


def test_the_assertions_hide_their_own_frames(pytester: pytest.Pytester) -> None:
    source = textwrap.dedent(HIDDEN).strip() + "\n"
    lines = {
        found.group(1): number
        for number, text in enumerate(source.splitlines(), start=1)
        if (found := re.search(r"# LINE (\w+)", text))
    }
    pytester.makepyfile(test_hidden=source)
    result = pytester.runpytest_subprocess("-p", "no:randomly", "--tb=long")
    result.assert_outcomes(failed=3)
    output = result.stdout.str()
    # Each failure's last traceback entry is the test's own line...
    for name, line in lines.items():
        assert f"test_hidden.py:{line}: AssertionError" in output, (name, output)
    # ... and no frame of the package is shown.
    assert "pytest_fakebuilds/" not in output
    assert "journal.py" not in output
    assert "controls.py" not in output
    result.stdout.fnmatch_lines(['*>*fake_builds.assert_called("delete_build")*'])
