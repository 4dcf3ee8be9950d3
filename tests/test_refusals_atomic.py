"""Refusals decided inside the store's atomic section change nothing and mint nothing.

Checks that need no stored record (a missing parameter, a bad runtime) refuse
before the store is touched; these refuse only after looking at what the
account holds: a version of another Service, a duplicate name or key, a
Build that is not completed, a limit reached. Each one is made over HTTP
(and through the helper where there is one); afterwards everything a client
can list is as before (``state_of``, taken after the clock moved so that a
date a refusal touched would show) and the next SIDs, and a new Service's
domain digits, are the ones a twin of the same seed that never saw the
refused request mints.
"""

from __future__ import annotations

import re
from base64 import b64encode
from collections.abc import Callable
from functools import partial
from typing import Any

import pytest
from helpers import BASE, assert_same_next_sid, state_of
from twilio.base.exceptions import TwilioRestException

from pytest_fakebuilds import ApiError, FakeBuilds, Request

World = Callable[[FakeBuilds], dict[str, str]]


def world(fake: FakeBuilds, *, fillers: int = 0, environments: int = 1) -> dict[str, str]:
    """An account with something of everything a refusal can look at; ``fillers``
    more Services and ``environments`` in all for the limits."""
    app = fake.create_service(unique_name="my-app")
    other = fake.create_service(unique_name="other")
    for number in range(fillers):
        fake.create_service(unique_name=f"filler-{number}")
    dev = fake.create_environment(app.sid, domain_suffix="dev")
    for number in range(1, environments):
        fake.create_environment(app.sid, domain_suffix=f"env-{number}")
    hello = fake.create_function_version(app.sid, "/hello")
    logo = fake.create_asset_version(app.sid, "/logo.png")
    for number in range(50):  # 51 Function Versions in all
        fake.create_function_version(app.sid, f"/f{number}", function_sid=hello.function_sid)
    theirs = fake.create_function_version(other.sid, "/theirs")
    their_logo = fake.create_asset_version(other.sid, "/theirs.css")
    live = fake.create_build(app.sid, [hello], [logo])
    their_build = fake.create_build(other.sid, [theirs])
    fake.fail_next_build()
    failed = fake.create_build(app.sid, [hello])
    fake.advance(fake.build_duration)
    fake.deploy(dev, live)
    building = fake.create_build(app.sid, [hello])
    key = fake.set_variable(dev, "KEY", "one")
    fake.set_variable(dev, "OTHER", "two")
    fake.add_log(dev, "hello")
    fake.advance(1)  # a date that a refusal moved would now differ
    return {
        "app": app.sid,
        "other": other.sid,
        "dev": dev.sid,
        "hello": hello.sid,
        "hello_function": hello.function_sid,
        "logo": logo.sid,
        "theirs": theirs.sid,
        "their_logo": their_logo.sid,
        "live": live.sid,
        "their_build": their_build.sid,
        "failed": failed.sid,
        "building": building.sid,
        "key": key.sid,
    }


def core(fake: FakeBuilds, method: str, path: str, form: str = "") -> int:
    """A request straight to the core: what the twin (never started) can make too."""
    token = b64encode(f"{fake.account_sid}:{fake.auth_token}".encode()).decode()
    headers = {"Authorization": f"Basic {token}"}
    if form:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    return fake.handle(Request(method, BASE + path, headers, form.encode())).status


def mint(fake: FakeBuilds) -> str:
    """The next values of each stream: record SIDs, and a new Service's domain digits."""
    key = fake.create_api_key()
    service = fake.create_service(unique_name="next")
    return f"{key.sid} {key.secret} {service.sid} {service.domain_base}"


def mint_at_the_limit(fake: FakeBuilds) -> str:
    """As ``mint``, with room made first: the account holds 50 Services."""
    assert core(fake, "DELETE", "/v1/Services/filler-0") == 204
    return mint(fake)


def refusal(action: Callable[[], Any]) -> tuple[int, int, str]:
    """``(status, code, message)`` of a refused call, over HTTP or through a helper."""
    with pytest.raises((TwilioRestException, ApiError)) as raised:
        action()
    exc = raised.value
    if isinstance(exc, ApiError):
        return exc.status, exc.code, exc.message
    found = re.fullmatch(r"Unable to (?:create|update|delete) record: (.*)", exc.msg)
    assert found is not None, exc.msg
    return exc.status, exc.code, found.group(1)


def check_refusal(
    fake: FakeBuilds,
    action: Callable[[dict[str, str]], Any],
    expected: tuple[int, int, str] | Callable[[dict[str, str]], tuple[int, int, str]],
    *,
    build_world: World = world,
    next_values: Callable[[FakeBuilds], str] = mint,
) -> None:
    names = build_world(fake)
    before = state_of(fake)
    assert refusal(lambda: action(names)) == (
        expected if isinstance(expected, tuple) else expected(names)
    )
    assert state_of(fake) == before
    assert_same_next_sid(fake, build_world, names, next_values)


VIA = pytest.mark.parametrize("via", ["http", "helper"])


# Builds ------------------------------------------------------------------------------


@VIA
def test_a_build_with_a_function_version_of_another_service(
    fake_builds: FakeBuilds, via: str
) -> None:
    def action(names: dict[str, str]) -> Any:
        versions = [names["hello"], names["theirs"]]
        if via == "helper":
            return fake_builds.create_build(names["app"], versions)
        builds = fake_builds.client().serverless.v1.services(names["app"]).builds
        return builds.create(function_versions=versions)

    check_refusal(
        fake_builds,
        action,
        lambda names: (
            400,
            20001,
            f"Invalid FunctionVersions: Function Version {names['theirs']} "
            f"was not found in Service {names['app']}",
        ),
    )


@VIA
def test_a_build_with_an_asset_version_of_another_service(
    fake_builds: FakeBuilds, via: str
) -> None:
    def action(names: dict[str, str]) -> Any:
        assets = [names["logo"], names["their_logo"]]
        if via == "helper":
            return fake_builds.create_build(names["app"], [names["hello"]], assets)
        builds = fake_builds.client().serverless.v1.services(names["app"]).builds
        return builds.create(function_versions=[names["hello"]], asset_versions=assets)

    check_refusal(
        fake_builds,
        action,
        lambda names: (
            400,
            20001,
            f"Invalid AssetVersions: Asset Version {names['their_logo']} "
            f"was not found in Service {names['app']}",
        ),
    )


def test_a_build_of_51_function_versions(fake_builds: FakeBuilds) -> None:
    def action(names: dict[str, str]) -> Any:
        api = fake_builds.client().serverless.v1.services(names["app"])
        versions = api.functions(names["hello_function"]).function_versions.list()
        assert len(versions) == 51
        return api.builds.create(function_versions=[v.sid for v in versions])

    check_refusal(
        fake_builds,
        action,
        lambda names: (
            400,
            20001,
            "Invalid FunctionVersions: a Build may include at most 50 Function Versions",
        ),
    )


def test_deleting_the_live_build(fake_builds: FakeBuilds) -> None:
    check_refusal(
        fake_builds,
        lambda names: (
            fake_builds.client().serverless.v1.services(names["app"]).builds(names["live"]).delete()
        ),
        (409, 20409, "Cannot delete Build because it's part of an active Deployment."),
    )


def test_deleting_a_function_in_the_live_build(fake_builds: FakeBuilds) -> None:
    def action(names: dict[str, str]) -> Any:
        api = fake_builds.client().serverless.v1.services(names["app"])
        return api.functions(names["hello_function"]).delete()

    check_refusal(
        fake_builds,
        action,
        lambda names: (
            409,
            20409,
            "Cannot delete Function because one of its Versions is part of an active Deployment.",
        ),
    )


# Environments ------------------------------------------------------------------------


@VIA
@pytest.mark.parametrize(
    ("unique_name", "suffix"),
    [("staging", "dev"), ("dev-environment", "stage")],
    ids=["suffix", "unique-name"],
)
def test_a_duplicate_environment(
    fake_builds: FakeBuilds, via: str, unique_name: str, suffix: str
) -> None:
    def action(names: dict[str, str]) -> Any:
        if via == "helper":
            return fake_builds.create_environment(names["app"], unique_name, suffix)
        api = fake_builds.client().serverless.v1.services(names["app"])
        return api.environments.create(unique_name=unique_name, domain_suffix=suffix)

    check_refusal(
        fake_builds,
        action,
        (409, 20409, "Environment with this UniqueName or DomainSuffix already exists."),
    )


@VIA
def test_the_26th_environment(fake_builds: FakeBuilds, via: str) -> None:
    def action(names: dict[str, str]) -> Any:
        if via == "helper":
            return fake_builds.create_environment(names["app"], domain_suffix="one-more")
        api = fake_builds.client().serverless.v1.services(names["app"])
        return api.environments.create(unique_name="one-more", domain_suffix="one-more")

    check_refusal(
        fake_builds,
        action,
        (400, 20001, "Environments are limited to less than or equal to 25 per Service"),
        build_world=partial(world, environments=25),
    )


# Deployments -------------------------------------------------------------------------


def deploy(fake: FakeBuilds, via: str, names: dict[str, str], build: str | None) -> Any:
    if via == "helper":
        return fake.deploy(names["dev"], build)
    api = fake.client().serverless.v1.services(names["app"])
    deployments = api.environments(names["dev"]).deployments
    return deployments.create() if build is None else deployments.create(build_sid=build)


@VIA
@pytest.mark.parametrize(
    ("build", "message"),
    [
        ("building", "Invalid BuildSid: Build {building} is building; "
         "only a completed Build can be deployed"),
        ("failed", "Invalid BuildSid: Build {failed} is failed; "
         "only a completed Build can be deployed"),
        ("their_build", "Invalid BuildSid: Build {their_build} was not found in Service {app}"),
        ("unknown", "Invalid BuildSid: Build {unknown} was not found in Service {app}"),
    ],
    ids=["building", "failed", "other-service", "unknown"],
)  # fmt: skip
def test_deploying_a_build_that_cannot_be_deployed(
    fake_builds: FakeBuilds, via: str, build: str, message: str
) -> None:
    unknown = "ZB" + "0" * 32
    check_refusal(
        fake_builds,
        lambda names: deploy(fake_builds, via, names, {**names, "unknown": unknown}[build]),
        lambda names: (400, 20001, message.format(**names, unknown=unknown)),
    )


@VIA
def test_deploying_the_live_build_again(fake_builds: FakeBuilds, via: str) -> None:
    check_refusal(
        fake_builds,
        lambda names: deploy(fake_builds, via, names, names["live"]),
        (409, 20409, "Environment already has requested deployment."),
    )


# Variables ---------------------------------------------------------------------------


def variables(fake: FakeBuilds, names: dict[str, str]) -> Any:
    return fake.client().serverless.v1.services(names["app"]).environments(names["dev"]).variables


def test_a_duplicate_variable_key_on_create(fake_builds: FakeBuilds) -> None:
    check_refusal(
        fake_builds,
        lambda names: variables(fake_builds, names).create(key="OTHER", value="three"),
        (409, 20409, "Variable with this Key already exists."),
    )


def test_a_duplicate_variable_key_on_update(fake_builds: FakeBuilds) -> None:
    """Neither the key, nor the value sent with it, nor date_updated moves."""
    check_refusal(
        fake_builds,
        lambda names: variables(fake_builds, names)(names["key"]).update(key="OTHER", value="new"),
        (409, 20409, "Variable with this Key already exists."),
    )


# Services ----------------------------------------------------------------------------


@VIA
def test_a_duplicate_service_name(fake_builds: FakeBuilds, via: str) -> None:
    def action(names: dict[str, str]) -> Any:
        if via == "helper":
            return fake_builds.create_service(unique_name="other", friendly_name="Again")
        return fake_builds.client().serverless.v1.services.create(
            unique_name="other", friendly_name="Again"
        )

    check_refusal(
        fake_builds,
        action,
        (409, 20409, "Service with this UniqueName already exists."),
    )


@VIA
def test_the_51st_service(fake_builds: FakeBuilds, via: str) -> None:
    def action(names: dict[str, str]) -> Any:
        if via == "helper":
            return fake_builds.create_service(unique_name="one-more")
        return fake_builds.client().serverless.v1.services.create(
            unique_name="one-more", friendly_name="One more"
        )

    check_refusal(
        fake_builds,
        action,
        (400, 20001, "Services are limited to less than or equal to 50"),
        build_world=partial(world, fillers=48),
        next_values=mint_at_the_limit,
    )
