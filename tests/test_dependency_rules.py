"""Twilio's checks on a build's dependencies and runtime, as a twilio user meets them.

Two kinds. Dependency validation is what a test declares
(``unavailable_dependency``, ``incompatible_dependency``): the create is
refused with 400/20001 and Twilio's wording, and nothing is stored or
minted. The runtime rules are what Twilio documents (reference §7), on by
default and applied on the fake's clock's date: node24 needs
``@twilio/runtime-handler`` 2.1.2 (1.2.0 and up are upgraded to it, older
fails the build), node18 builds fail from 2025-11-10, the runtimes before it
always, and a retired runtime a build would inherit is refused with 82007.

The expected messages are written out here from the reference (§4.2:
serverless-toolkit#538 and serverless-toolkit-moved#9), never imported from
the fake.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from helpers import assert_same_next_sid, error_of, raw, refused, state_of
from twilio.base.exceptions import TwilioRestException

from pytest_fakebuilds import FakeBuilds, InvalidParameterError

HANDLER = "@twilio/runtime-handler"
HANDLER_DOCS = "https://www.twilio.com/docs/serverless/functions-assets/handler"
NODE18_RETIRED = datetime(2025, 11, 10, tzinfo=timezone.utc)
BEFORE_NODE18_RETIRED = "2025-06-01T00:00:00Z"


def unavailable(spec: str) -> str:
    """Twilio's message for a dependency that does not resolve (serverless-toolkit#538)."""
    message = f"Some dependencies could not be validated. No matching version found for {spec}."
    if spec.startswith(HANDLER + "@"):
        message += f" You can find the valid versions at {HANDLER_DOCS}"
    return message


def incompatible(name: str) -> str:
    """Twilio's message for a package the runtime cannot run (serverless-toolkit-moved#9)."""
    return (
        "Some dependencies could not be validated. "
        f"The node version for {name} package is incompatible."
    )


def deps(*pairs: tuple[str, str]) -> str:
    """``Dependencies`` as twilio-python users pass it: a JSON array, as text."""
    return json.dumps([{"name": name, "version": version} for name, version in pairs])


def create_refused(builds: Any, **kwargs: Any) -> tuple[int, int, str]:
    with pytest.raises(TwilioRestException) as caught:
        builds.create(**kwargs)
    return refused(caught.value)


def world(fake: FakeBuilds) -> dict[str, str]:
    """What the ``service`` and ``hello`` fixtures make, for a twin of the same seed."""
    service = fake.create_service(unique_name="my-app")
    hello = fake.create_function_version(service.sid, "/hello")
    return {"service": service.sid, "hello": hello.sid}


def next_function(names: dict[str, str]) -> Callable[[FakeBuilds], str]:
    """Mints the next SID of the record stream without going through any build rule."""
    return lambda fake: fake.create_function(names["service"], "next").sid


def refused_unchanged(
    fake: FakeBuilds, builds: Any, expected: tuple[int, int, str], **create: Any
) -> None:
    """The create is refused as ``expected``, and nothing a client can list changed."""
    before = state_of(fake)
    assert create_refused(builds, **create) == expected
    assert state_of(fake) == before


def assert_nothing_minted(
    fake: FakeBuilds,
    names: dict[str, str],
    twin_world: Callable[[FakeBuilds], dict[str, str]] = world,
) -> None:
    """The SID sequence is where a twin that never saw the refused requests has it."""
    assert_same_next_sid(fake, twin_world, names, next_function(names))


def names_of(service: Any, hello: Any) -> dict[str, str]:
    return {"service": service.sid, "hello": hello.sid}


def status_of(builds: Any, sid: str) -> str:
    status: str = builds(sid).build_status().fetch().status
    return status


def run_to_end(fake: FakeBuilds, builds: Any, sid: str) -> str:
    fake.advance(fake.build_duration)
    return status_of(builds, sid)


# unavailable_dependency -------------------------------------------------------------


def test_an_unavailable_package_at_any_version(
    fake_builds: FakeBuilds, builds: Any, service: Any, hello: Any
) -> None:
    fake_builds.unavailable_dependency("left-pad")
    for version in ("1.3.0", "^1.1.0"):
        refused_unchanged(
            fake_builds,
            builds,
            (400, 20001, "Unable to create record: " + unavailable(f"left-pad@{version}")),
            function_versions=[hello.sid],
            dependencies=deps(("lodash", "4.17.21"), ("left-pad", version)),
        )
    assert_nothing_minted(fake_builds, names_of(service, hello))
    fine = builds.create(function_versions=[hello.sid], dependencies=deps(("lodash", "4.17.21")))
    assert run_to_end(fake_builds, builds, fine.sid) == "completed"


def test_an_unavailable_version(
    fake_builds: FakeBuilds, builds: Any, service: Any, hello: Any
) -> None:
    fake_builds.unavailable_dependency("left-pad", "1.3.0")
    refused_unchanged(
        fake_builds,
        builds,
        (400, 20001, "Unable to create record: " + unavailable("left-pad@1.3.0")),
        function_versions=[hello.sid],
        dependencies=deps(("left-pad", "1.3.0")),
    )
    assert_nothing_minted(fake_builds, names_of(service, hello))
    other = builds.create(function_versions=[hello.sid], dependencies=deps(("left-pad", "1.2.0")))
    assert {"name": "left-pad", "version": "1.2.0"} in other.dependencies
    assert run_to_end(fake_builds, builds, other.sid) == "completed"


def test_an_unavailable_runtime_handler_says_where_the_valid_versions_are(
    fake_builds: FakeBuilds, builds: Any, service: Any, hello: Any
) -> None:
    """The very message of serverless-toolkit#538."""
    fake_builds.unavailable_dependency(HANDLER, "2.0.3")
    expected = (
        "Some dependencies could not be validated. No matching version found for "
        "@twilio/runtime-handler@2.0.3. You can find the valid versions at "
        "https://www.twilio.com/docs/serverless/functions-assets/handler"
    )
    refused_unchanged(
        fake_builds,
        builds,
        (400, 20001, "Unable to create record: " + expected),
        function_versions=[hello.sid],
        dependencies=deps((HANDLER, "2.0.3")),
    )
    assert_nothing_minted(fake_builds, names_of(service, hello))


def test_the_default_dependencies_are_validated_too(
    fake_builds: FakeBuilds, builds: Any, service: Any, hello: Any
) -> None:
    """Twilio adds ``twilio`` and the runtime handler to a build that does not name them;
    what it adds is checked like what a build names."""
    fake_builds.unavailable_dependency(HANDLER, "2.1.2")
    refused_unchanged(
        fake_builds,
        builds,
        (400, 20001, "Unable to create record: " + unavailable(f"{HANDLER}@2.1.2")),
        function_versions=[hello.sid],
    )
    fake_builds.unavailable_dependency("twilio", "5.7.0")
    refused_unchanged(
        fake_builds,
        builds,
        (400, 20001, "Unable to create record: " + unavailable("twilio@5.7.0")),
        function_versions=[hello.sid],
        dependencies=deps((HANDLER, "2.1.1")),
    )
    assert_nothing_minted(fake_builds, names_of(service, hello))


def test_the_toolkits_quoted_dependencies_are_validated(
    fake_builds: FakeBuilds, service: Any, hello: Any
) -> None:
    """@twilio-labs/serverless-api wraps the JSON array in one more pair of quotes."""
    fake_builds.unavailable_dependency(HANDLER, "2.0.3")
    fake_builds.incompatible_dependency("stripe", runtime="node20")
    path = f"/v1/Services/{service.sid}/Builds"
    cases = [
        ([("twilio", "^3.56"), (HANDLER, "2.0.3")], "node22", unavailable(f"{HANDLER}@2.0.3")),
        ([("twilio", "^3.56"), ("stripe", "^8.0.0")], "node20", incompatible("stripe")),
    ]
    for pairs, runtime, message in cases:
        quoted = '"' + json.dumps([{"name": n, "version": v} for n, v in pairs]) + '"'
        before = state_of(fake_builds)
        answer = raw(
            fake_builds,
            "POST",
            path,
            data={"Dependencies": quoted, "FunctionVersions": hello.sid, "Runtime": runtime},
        )
        assert error_of(answer) == (400, 20001, message)
        assert state_of(fake_builds) == before
    assert_nothing_minted(fake_builds, names_of(service, hello))
    quoted = '"' + deps(("twilio", "^3.56"), ("stripe", "^8.0.0")) + '"'
    answer = raw(
        fake_builds,
        "POST",
        path,
        data={"Dependencies": quoted, "FunctionVersions": hello.sid, "Runtime": "node22"},
    )
    assert answer.status_code == 201
    assert {"name": "stripe", "version": "^8.0.0"} in answer.json()["dependencies"]


def test_the_helper_refuses_alike(fake_builds: FakeBuilds, service: Any, hello: Any) -> None:
    fake_builds.unavailable_dependency("left-pad")
    fake_builds.incompatible_dependency("stripe")
    before = state_of(fake_builds)
    with pytest.raises(InvalidParameterError) as caught:
        fake_builds.create_build(service.sid, [hello], dependencies=[("left-pad", "1.3.0")])
    assert (caught.value.status, caught.value.code, str(caught.value)) == (
        400,
        20001,
        unavailable("left-pad@1.3.0"),
    )
    with pytest.raises(InvalidParameterError) as caught:
        fake_builds.create_build(service.sid, [hello], dependencies=[("stripe", "8.0.0")])
    assert str(caught.value) == incompatible("stripe")
    assert state_of(fake_builds) == before


def test_a_refused_create_does_not_use_up_a_planned_failure(
    fake_builds: FakeBuilds, builds: Any, hello: Any
) -> None:
    fake_builds.unavailable_dependency("left-pad")
    fake_builds.fail_next_build(reason="the planned one")
    with pytest.raises(TwilioRestException):
        builds.create(function_versions=[hello.sid], dependencies=deps(("left-pad", "1.3.0")))
    build = builds.create(function_versions=[hello.sid])
    assert run_to_end(fake_builds, builds, build.sid) == "failed"
    assert fake_builds.failure_reason(build.sid) == "the planned one"


# incompatible_dependency ----------------------------------------------------------


def test_a_package_incompatible_with_every_runtime(
    fake_builds: FakeBuilds, builds: Any, service: Any, hello: Any
) -> None:
    fake_builds.incompatible_dependency("stripe")
    for runtime in ("node20", "node22", "node24", None):
        refused_unchanged(
            fake_builds,
            builds,
            (400, 20001, "Unable to create record: " + incompatible("stripe")),
            function_versions=[hello.sid],
            dependencies=deps(("stripe", "8.0.0")),
            runtime=runtime,
        )
    assert_nothing_minted(fake_builds, names_of(service, hello))


def test_a_package_incompatible_with_one_runtime(
    fake_builds: FakeBuilds, builds: Any, service: Any, hello: Any
) -> None:
    fake_builds.incompatible_dependency("stripe", runtime="node20")
    with_stripe = deps(("stripe", "8.0.0"))
    refused_unchanged(
        fake_builds,
        builds,
        (400, 20001, "Unable to create record: " + incompatible("stripe")),
        function_versions=[hello.sid],
        dependencies=with_stripe,
        runtime="node20",
    )
    on_22 = builds.create(function_versions=[hello.sid], dependencies=with_stripe, runtime="node22")
    assert on_22.runtime == "node22"
    assert run_to_end(fake_builds, builds, on_22.sid) == "completed"
    without = builds.create(function_versions=[hello.sid], runtime="node20")
    assert run_to_end(fake_builds, builds, without.sid) == "completed"

    # The runtime a build inherits (node20, from the last completed build) counts too.
    def twin_world(fake: FakeBuilds) -> dict[str, str]:
        names = world(fake)
        for runtime in ("node22", "node20"):
            fake.create_build(names["service"], [names["hello"]], runtime=runtime)
            fake.advance(fake.build_duration)
        return names

    before = state_of(fake_builds)
    assert create_refused(builds, function_versions=[hello.sid], dependencies=with_stripe) == (
        400,
        20001,
        "Unable to create record: " + incompatible("stripe"),
    )
    assert state_of(fake_builds) == before
    assert_nothing_minted(fake_builds, names_of(service, hello), twin_world)


# node24 and the runtime handler ------------------------------------------------------


@pytest.mark.parametrize(
    "asked", ["1.2.0", "1.3.5", "2.0.3", "2.1.1", "^1.2.0", "~1.2.3", "^2.0.0", "~2.1.0"]
)
def test_node24_upgrades_the_runtime_handler_from_1_2_0(
    fake_builds: FakeBuilds, builds: Any, hello: Any, asked: str
) -> None:
    created = builds.create(
        function_versions=[hello.sid],
        dependencies=deps((HANDLER, asked), ("lodash", "4.17.21")),
        runtime="node24",
    )
    upgraded = [
        {"name": HANDLER, "version": "2.1.2"},
        {"name": "lodash", "version": "4.17.21"},
        {"name": "twilio", "version": "5.7.0"},
    ]
    assert created.dependencies == upgraded
    assert builds(created.sid).fetch().dependencies == upgraded
    assert run_to_end(fake_builds, builds, created.sid) == "completed"
    assert fake_builds.failure_reason(created.sid) is None


@pytest.mark.parametrize("asked", ["2.1.2", "^2.1.2", "~2.1.2", "2.2.0", "3.0.0"])
def test_node24_keeps_a_runtime_handler_of_2_1_2_or_newer(
    fake_builds: FakeBuilds, builds: Any, hello: Any, asked: str
) -> None:
    created = builds.create(
        function_versions=[hello.sid], dependencies=deps((HANDLER, asked)), runtime="node24"
    )
    assert created.dependencies[0] == {"name": HANDLER, "version": asked}
    assert run_to_end(fake_builds, builds, created.sid) == "completed"


@pytest.mark.parametrize("asked", ["1.1.9", "1.0.1", "1.0.0", "0.9.0", "^1.1.0", "~1.0.1"])
def test_node24_fails_a_build_with_a_runtime_handler_below_1_2_0(
    fake_builds: FakeBuilds, builds: Any, hello: Any, asked: str
) -> None:
    created = builds.create(
        function_versions=[hello.sid], dependencies=deps((HANDLER, asked)), runtime="node24"
    )
    assert created.status == "building"  # accepted: it fails when it ends
    assert created.dependencies[0] == {"name": HANDLER, "version": asked}
    assert run_to_end(fake_builds, builds, created.sid) == "failed"
    assert builds(created.sid).fetch().status == "failed"
    reason = fake_builds.failure_reason(created.sid)
    assert reason is not None
    assert HANDLER in reason
    assert asked in reason


def test_node24_rules_apply_to_an_inherited_node24(
    fake_builds: FakeBuilds, builds: Any, hello: Any
) -> None:
    first = builds.create(function_versions=[hello.sid], runtime="node24")
    assert run_to_end(fake_builds, builds, first.sid) == "completed"
    upgraded = builds.create(function_versions=[hello.sid], dependencies=deps((HANDLER, "1.2.0")))
    old = builds.create(function_versions=[hello.sid], dependencies=deps((HANDLER, "1.0.1")))
    assert (upgraded.runtime, old.runtime) == ("node24", "node24")
    assert upgraded.dependencies[0] == {"name": HANDLER, "version": "2.1.2"}
    fake_builds.advance(fake_builds.build_duration)
    assert (status_of(builds, upgraded.sid), status_of(builds, old.sid)) == ("completed", "failed")


def test_other_runtimes_keep_an_old_runtime_handler(
    fake_builds: FakeBuilds, builds: Any, hello: Any
) -> None:
    for runtime in ("node20", "node22"):
        for asked in ("1.0.1", "1.2.0"):
            created = builds.create(
                function_versions=[hello.sid], dependencies=deps((HANDLER, asked)), runtime=runtime
            )
            assert created.dependencies[0] == {"name": HANDLER, "version": asked}
            assert run_to_end(fake_builds, builds, created.sid) == "completed"


# Retired runtimes ----------------------------------------------------------------------


def test_node18_fails_after_2025_11_10(fake_builds: FakeBuilds, builds: Any, hello: Any) -> None:
    assert fake_builds.now() > NODE18_RETIRED  # the default start, 2026-01-01
    created = builds.create(function_versions=[hello.sid], runtime="node18")
    assert (created.status, created.runtime) == ("building", "node18")
    assert run_to_end(fake_builds, builds, created.sid) == "failed"
    reason = fake_builds.failure_reason(created.sid)
    assert reason is not None
    assert "node18" in reason


@pytest.mark.fake_builds(start=BEFORE_NODE18_RETIRED)
def test_node18_completes_before_2025_11_10(
    fake_builds: FakeBuilds, builds: Any, hello: Any
) -> None:
    created = builds.create(function_versions=[hello.sid], runtime="node18")
    assert run_to_end(fake_builds, builds, created.sid) == "completed"
    # The last instant before the date still builds.
    fake_builds.advance(NODE18_RETIRED - timedelta(seconds=1) - fake_builds.now())
    last = builds.create(function_versions=[hello.sid], runtime="node18")
    assert run_to_end(fake_builds, builds, last.sid) == "completed"
    assert fake_builds.now() > NODE18_RETIRED
    after = builds.create(function_versions=[hello.sid], runtime="node18")
    assert run_to_end(fake_builds, builds, after.sid) == "failed"


@pytest.mark.parametrize("start", [None, BEFORE_NODE18_RETIRED, "2019-01-01T00:00:00Z"])
@pytest.mark.parametrize("runtime", ["node8", "node10", "node12", "node14", "node16"])
def test_runtimes_before_node18_always_fail(runtime: str, start: str | None) -> None:
    settings = {} if start is None else {"start": start}
    with FakeBuilds(seed=3, **settings) as fake:
        service = fake.create_service(unique_name="my-app")
        hello = fake.create_function_version(service.sid, "/hello")
        builds = fake.client().serverless.v1.services(service.sid).builds
        created = builds.create(function_versions=[hello.sid], runtime=runtime)
        assert created.status == "building"
        assert run_to_end(fake, builds, created.sid) == "failed"
        reason = fake.failure_reason(created.sid)
        assert reason is not None
        assert runtime in reason


@pytest.mark.fake_builds(start=BEFORE_NODE18_RETIRED)
def test_an_inherited_node18_is_refused_once_retired(
    fake_builds: FakeBuilds, builds: Any, service: Any, hello: Any
) -> None:
    node18 = builds.create(function_versions=[hello.sid], runtime="node18")
    assert run_to_end(fake_builds, builds, node18.sid) == "completed"
    inherited = builds.create(function_versions=[hello.sid])
    assert inherited.runtime == "node18"  # before the date: inherited, and it builds
    assert run_to_end(fake_builds, builds, inherited.sid) == "completed"

    fake_builds.advance(NODE18_RETIRED + timedelta(days=1) - fake_builds.now())

    def twin_world(fake: FakeBuilds) -> dict[str, str]:
        names = world(fake)
        for _ in range(2):
            fake.create_build(names["service"], [names["hello"]], runtime="node18")
            fake.advance(fake.build_duration)
        return names

    before = state_of(fake_builds)
    status, code, message = create_refused(builds, function_versions=[hello.sid])
    assert (status, code) == (400, 82007)
    # Twilio documents 82007 as "Unsupported Runtime" but not its message.
    assert message.startswith("Unable to create record: Unsupported Runtime")
    assert "node18" in message
    assert state_of(fake_builds) == before
    assert_nothing_minted(fake_builds, names_of(service, hello), twin_world)

    # Naming a runtime is the way out.
    named = builds.create(function_versions=[hello.sid], runtime="node22")
    assert run_to_end(fake_builds, builds, named.sid) == "completed"
    assert builds.create(function_versions=[hello.sid]).runtime == "node22"


def test_an_inherited_node16_is_refused(fake_builds: FakeBuilds, builds: Any, hello: Any) -> None:
    fake_builds.runtime_rules = False
    old = builds.create(function_versions=[hello.sid], runtime="node16")
    assert run_to_end(fake_builds, builds, old.sid) == "completed"
    fake_builds.runtime_rules = True
    status, code, message = create_refused(builds, function_versions=[hello.sid])
    assert (status, code) == (400, 82007)
    assert "node16" in message


# Switching the runtime rules off ---------------------------------------------------------


def everything_the_rules_refuse(fake: FakeBuilds, builds: Any, hello: Any) -> dict[str, str]:
    """Builds each runtime rule would fail (or upgrade), by what ends up of each."""
    made = {
        "node18": builds.create(function_versions=[hello.sid], runtime="node18"),
        "node16": builds.create(function_versions=[hello.sid], runtime="node16"),
        "old handler": builds.create(
            function_versions=[hello.sid], dependencies=deps((HANDLER, "1.0.1")), runtime="node24"
        ),
        "handler 1.2.0": builds.create(
            function_versions=[hello.sid], dependencies=deps((HANDLER, "1.2.0")), runtime="node24"
        ),
    }
    fake.advance(fake.build_duration)
    ended = {name: status_of(builds, build.sid) for name, build in made.items()}
    ended["handler 1.2.0 is"] = builds(made["handler 1.2.0"].sid).fetch().dependencies[0]["version"]
    # A completed node18 build (made to complete whatever the rules say), then a build
    # that would inherit node18 after the date.
    node18 = fake.create_build(hello.service_sid, [hello], runtime="node18")
    fake.set_build_outcome(node18.sid, "completed", after=0)
    try:
        ended["inherits node18"] = builds.create(function_versions=[hello.sid]).runtime
    except TwilioRestException as exc:
        ended["inherits node18"] = str(exc.code)
    return ended


RULES_ON = {
    "node18": "failed",
    "node16": "failed",
    "old handler": "failed",
    "handler 1.2.0": "completed",
    "handler 1.2.0 is": "2.1.2",
    "inherits node18": "82007",
}
RULES_OFF = {
    "node18": "completed",
    "node16": "completed",
    "old handler": "completed",
    "handler 1.2.0": "completed",
    "handler 1.2.0 is": "1.2.0",
    "inherits node18": "node18",
}


def test_runtime_rules_are_on_by_default(fake_builds: FakeBuilds, builds: Any, hello: Any) -> None:
    assert fake_builds.runtime_rules is True
    assert everything_the_rules_refuse(fake_builds, builds, hello) == RULES_ON


@pytest.mark.fake_builds(runtime_rules=False)
def test_the_marker_turns_the_runtime_rules_off(
    fake_builds: FakeBuilds, builds: Any, hello: Any
) -> None:
    assert fake_builds.runtime_rules is False
    assert everything_the_rules_refuse(fake_builds, builds, hello) == RULES_OFF


def test_the_property_turns_the_runtime_rules_off_and_on(
    fake_builds: FakeBuilds, builds: Any, hello: Any
) -> None:
    fake_builds.runtime_rules = False
    assert everything_the_rules_refuse(fake_builds, builds, hello) == RULES_OFF
    fake_builds.runtime_rules = True
    named = builds.create(function_versions=[hello.sid], runtime="node22")
    assert run_to_end(fake_builds, builds, named.sid) == "completed"  # inherit node22 again
    assert everything_the_rules_refuse(fake_builds, builds, hello) == RULES_ON


def test_the_constructor_turns_the_runtime_rules_off() -> None:
    with FakeBuilds(seed=5, runtime_rules=False) as fake:
        service = fake.create_service(unique_name="my-app")
        hello = fake.create_function_version(service.sid, "/hello")
        builds = fake.client().serverless.v1.services(service.sid).builds
        assert fake.runtime_rules is False
        assert everything_the_rules_refuse(fake, builds, hello) == RULES_OFF


@pytest.mark.fake_builds(runtime_rules=False)
def test_dependency_validation_stays_on_without_the_runtime_rules(
    fake_builds: FakeBuilds, builds: Any, hello: Any
) -> None:
    fake_builds.unavailable_dependency("left-pad")
    fake_builds.incompatible_dependency("stripe", runtime="node16")
    assert create_refused(
        builds, function_versions=[hello.sid], dependencies=deps(("left-pad", "1.3.0"))
    ) == (400, 20001, "Unable to create record: " + unavailable("left-pad@1.3.0"))
    assert create_refused(
        builds,
        function_versions=[hello.sid],
        dependencies=deps(("stripe", "8.0.0")),
        runtime="node16",
    ) == (400, 20001, "Unable to create record: " + incompatible("stripe"))
