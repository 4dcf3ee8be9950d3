"""Deployments: a completed build made live on an environment, or none at all.

Deployments are created, listed and fetched, never updated or deleted; the
newest one of an environment decides its ``build_sid``, and a build live on
any environment cannot be deleted.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from helpers import (
    BASE,
    UNKNOWN_BUILD,
    UNKNOWN_ENVIRONMENT,
    assert_same_next_sid,
    completed_build,
    error_of,
    last_body,
    not_found,
    page_refused,
    raw,
    refused,
    state_of,
)
from twilio.base.exceptions import TwilioException, TwilioRestException

from pytest_fakebuilds import (
    Build,
    ConflictError,
    FakeBuilds,
    InvalidParameterError,
    NotFoundError,
)

FIELDS = {
    "sid",
    "account_sid",
    "service_sid",
    "environment_sid",
    "build_sid",
    "date_created",
    "date_updated",
    "url",
}
BUILD_IN_USE = "Cannot delete Build because it's part of an active Deployment."
ALREADY_DEPLOYED = "Environment already has requested deployment."


@pytest.fixture
def build(fake_builds: FakeBuilds, service: Any, hello: Any) -> Build:
    """A completed build of ``service``, not live anywhere."""
    return completed_build(fake_builds, service.sid, hello)


@pytest.fixture
def other_build(fake_builds: FakeBuilds, service: Any, hello: Any) -> Build:
    """A second completed build of ``service``."""
    return completed_build(fake_builds, service.sid, hello)


@pytest.fixture
def deployments(api: Any, environment: Any) -> Any:
    return api.environments(environment.sid).deployments


# Create ---------------------------------------------------------------------------


def test_create_answers_201_with_every_field_and_makes_the_build_live(
    fake_builds: FakeBuilds, api: Any, service: Any, environment: Any, build: Build
) -> None:
    fake_builds.advance(timedelta(hours=1))
    answer = api.environments(environment.sid).deployments.create_with_http_info(
        build_sid=build.sid
    )
    assert answer.status_code == 201
    body = last_body(fake_builds)
    assert set(body) == FIELDS  # in particular no is_plugin
    deployment = answer.data
    assert deployment.sid.startswith("ZD")
    assert len(deployment.sid) == 34
    assert deployment.sid == body["sid"]
    assert deployment.account_sid == fake_builds.account_sid
    assert deployment.service_sid == service.sid
    assert deployment.environment_sid == environment.sid
    assert deployment.build_sid == build.sid
    assert deployment.date_created == fake_builds.now()
    assert deployment.date_updated == fake_builds.now()
    assert deployment.url == (
        f"{BASE}/v1/Services/{service.sid}/Environments/{environment.sid}"
        f"/Deployments/{deployment.sid}"
    )

    live = api.environments(environment.sid).fetch()
    assert live.build_sid == build.sid
    assert live.date_updated == fake_builds.now()
    assert live.date_created == environment.date_created < fake_builds.now()


def test_is_plugin_is_sent_accepted_and_not_echoed(
    fake_builds: FakeBuilds, api: Any, deployments: Any, environment: Any, build: Build
) -> None:
    deployment = deployments.create(build_sid=build.sid, is_plugin=True)
    sent = parse_qs(fake_builds.calls[-1].request.body.decode())
    assert sent == {"BuildSid": [build.sid], "IsPlugin": ["true"]}
    assert fake_builds.calls[-1].response.status == 201
    assert "is_plugin" not in last_body(fake_builds)
    assert deployment.build_sid == build.sid
    assert api.environments(environment.sid).fetch().build_sid == build.sid


@pytest.mark.parametrize("flag", ["TRUE", "false", "False"])
def test_is_plugin_takes_booleans_in_any_case(
    fake_builds: FakeBuilds, service: Any, environment: Any, build: Build, flag: str
) -> None:
    answer = raw(
        fake_builds,
        "POST",
        f"/v1/Services/{service.sid}/Environments/{environment.sid}/Deployments",
        data={"BuildSid": build.sid, "IsPlugin": flag},
    )
    assert answer.status_code == 201
    assert answer.json()["build_sid"] == build.sid
    assert set(answer.json()) == FIELDS


@pytest.mark.parametrize("flag", ["yes", "1", ""])
def test_is_plugin_that_is_not_a_boolean_is_refused(
    fake_builds: FakeBuilds, service: Any, environment: Any, build: Build, flag: str
) -> None:
    before = state_of(fake_builds)
    answer = raw(
        fake_builds,
        "POST",
        f"/v1/Services/{service.sid}/Environments/{environment.sid}/Deployments",
        data={"BuildSid": build.sid, "IsPlugin": flag},
    )
    assert error_of(answer) == (
        400,
        20001,
        f"Invalid IsPlugin: '{flag}' is not a boolean (true or false)",
    )
    assert state_of(fake_builds) == before


def test_deployment_without_a_build_takes_the_build_down(
    fake_builds: FakeBuilds,
    api: Any,
    builds: Any,
    deployments: Any,
    environment: Any,
    build: Build,
) -> None:
    first = deployments.create(build_sid=build.sid)
    fake_builds.advance(timedelta(minutes=5))
    answer = deployments.create_with_http_info()
    assert answer.status_code == 201
    assert fake_builds.calls[-1].request.body in (b"", None)
    empty = answer.data
    assert empty.sid != first.sid
    assert empty.build_sid is None
    assert last_body(fake_builds)["build_sid"] is None
    assert empty.date_created == fake_builds.now()
    now_live = api.environments(environment.sid).fetch()
    assert now_live.build_sid is None
    assert now_live.date_updated == fake_builds.now()
    # The build is no longer live, so it can go.
    assert builds(build.sid).delete() is True


def test_a_build_goes_live_exactly_when_it_completes(
    fake_builds: FakeBuilds, service: Any, hello: Any, deployments: Any
) -> None:
    build = fake_builds.create_build(service.sid, [hello])
    fake_builds.advance(fake_builds.build_duration - timedelta(microseconds=1))
    with pytest.raises(TwilioRestException) as early:
        deployments.create(build_sid=build.sid)
    assert refused(early.value) == (
        400,
        20001,
        f"Unable to create record: Invalid BuildSid: Build {build.sid} is building; "
        "only a completed Build can be deployed",
    )
    fake_builds.advance(timedelta(microseconds=1))
    assert deployments.create(build_sid=build.sid).build_sid == build.sid


def test_redeploying_a_build_that_is_no_longer_live_is_allowed(
    api: Any, deployments: Any, environment: Any, build: Build, other_build: Build
) -> None:
    deployments.create(build_sid=build.sid)
    deployments.create(build_sid=other_build.sid)
    again = deployments.create(build_sid=build.sid)
    assert again.build_sid == build.sid
    assert api.environments(environment.sid).fetch().build_sid == build.sid


def test_the_same_build_may_be_live_on_two_environments(
    api: Any, environment: Any, stage: Any, build: Build
) -> None:
    api.environments(environment.sid).deployments.create(build_sid=build.sid)
    api.environments(stage.sid).deployments.create(build_sid=build.sid)
    assert api.environments(environment.sid).fetch().build_sid == build.sid
    assert api.environments(stage.sid).fetch().build_sid == build.sid


# Refusals ---------------------------------------------------------------------------


def world(fake: FakeBuilds) -> dict[str, str]:
    """The same records, with the same SIDs, in any fake of the same seed."""
    service = fake.create_service(unique_name="my-app")
    other = fake.create_service(unique_name="other-app")
    hello = fake.create_function_version(service.sid, "/hello")
    other_hello = fake.create_function_version(other.sid, "/hello")
    dev = fake.create_environment(service.sid, domain_suffix="dev")
    stage = fake.create_environment(service.sid, domain_suffix="stage")
    other_env = fake.create_environment(other.sid, domain_suffix="dev")
    live = fake.create_build(service.sid, [hello])
    other_build = fake.create_build(other.sid, [other_hello])
    fake.fail_next_build()
    failed = fake.create_build(service.sid, [hello])
    fake.advance(fake.build_duration)
    building = fake.create_build(service.sid, [hello])
    fake.deploy(dev, live)
    fake.set_variable(dev, "GREETING", "hello")
    fake.add_log(dev, "hello ran")
    return {
        "service": service.sid,
        "function": hello.function_sid,
        "dev": dev.sid,
        "stage": stage.sid,
        "other_env": other_env.sid,
        "live": live.sid,
        "other_build": other_build.sid,
        "failed": failed.sid,
        "building": building.sid,
    }


NOT_COMPLETED = "Invalid BuildSid: Build {sid} is {status}; only a completed Build can be deployed"
NOT_FOUND = "Invalid BuildSid: Build {sid} was not found in Service {service}"

# (environment, BuildSid or None, status, code, message); {names} come from world().
REFUSALS: dict[str, tuple[str, str | None, int, int, str]] = {
    "building": (
        "{dev}",
        "{building}",
        400,
        20001,
        NOT_COMPLETED.format(sid="{building}", status="building"),
    ),
    "failed": (
        "{dev}",
        "{failed}",
        400,
        20001,
        NOT_COMPLETED.format(sid="{failed}", status="failed"),
    ),
    "unknown": (
        "{dev}",
        UNKNOWN_BUILD,
        400,
        20001,
        NOT_FOUND.format(sid=UNKNOWN_BUILD, service="{service}"),
    ),
    "other-service": (
        "{dev}",
        "{other_build}",
        400,
        20001,
        NOT_FOUND.format(sid="{other_build}", service="{service}"),
    ),
    "malformed": (
        "{dev}",
        "not-a-build",
        400,
        20001,
        "Invalid BuildSid: 'not-a-build' is not a valid Build SID",
    ),
    "short": ("{dev}", "ZB123", 400, 20001, "Invalid BuildSid: 'ZB123' is not a valid Build SID"),
    "quoted": (
        "{dev}",
        'it\'s "x"',
        400,
        20001,
        "Invalid BuildSid: 'it's \"x\"' is not a valid Build SID",
    ),
    "function-sid": (
        "{stage}",
        "{function}",
        400,
        20001,
        "Invalid BuildSid: '{function}' is not a valid Build SID",
    ),
    "already-live": ("{dev}", "{live}", 409, 20409, ALREADY_DEPLOYED),
    "empty-where-none-is-live": ("{stage}", None, 409, 20409, ALREADY_DEPLOYED),
    "unknown-environment": (
        UNKNOWN_ENVIRONMENT,
        "{live}",
        404,
        20404,
        "The requested resource /Services/{service}/Environments/"
        f"{UNKNOWN_ENVIRONMENT}/Deployments was not found",
    ),
    "other-service-environment": (
        "{other_env}",
        "{live}",
        404,
        20404,
        "The requested resource /Services/{service}/Environments/{other_env}/Deployments"
        " was not found",
    ),
}


@pytest.mark.parametrize("case", REFUSALS)
def test_refused_deployment_answers_exactly_and_leaves_no_trace(
    fake_builds: FakeBuilds, case: str
) -> None:
    names = world(fake_builds)
    where, build_sid, status, code, message = REFUSALS[case]
    environment_sid = where.format(**names)
    api = fake_builds.client().serverless.v1.services(names["service"])
    deployments = api.environments(environment_sid).deployments
    before = state_of(fake_builds)

    sent = {} if build_sid is None else {"build_sid": build_sid.format(**names)}
    with pytest.raises(TwilioRestException) as raised:
        deployments.create(**sent)

    assert refused(raised.value) == (
        status,
        code,
        "Unable to create record: " + message.format(**names),
    )
    assert state_of(fake_builds) == before
    # The SID sequence did not move: the next deployment gets the SID a twin
    # that never saw the refused request gives it.
    assert_same_next_sid(
        fake_builds, world, names, lambda fake: fake.deploy(names["stage"], names["live"]).sid
    )


def test_a_deleted_build_cannot_be_deployed(
    fake_builds: FakeBuilds, builds: Any, deployments: Any, service: Any, build: Build
) -> None:
    builds(build.sid).delete()
    before = state_of(fake_builds)
    with pytest.raises(TwilioRestException) as raised:
        deployments.create(build_sid=build.sid)
    assert refused(raised.value) == (
        400,
        20001,
        f"Unable to create record: Invalid BuildSid: Build {build.sid} was not found "
        f"in Service {service.sid}",
    )
    assert state_of(fake_builds) == before


def test_an_empty_deployment_twice_is_refused_the_second_time(
    fake_builds: FakeBuilds, deployments: Any, build: Build
) -> None:
    deployments.create(build_sid=build.sid)
    deployments.create()
    before = state_of(fake_builds)
    with pytest.raises(TwilioRestException) as raised:
        deployments.create()
    assert refused(raised.value) == (409, 20409, f"Unable to create record: {ALREADY_DEPLOYED}")
    assert state_of(fake_builds) == before


def test_a_deleted_environment_takes_no_deployment(
    fake_builds: FakeBuilds, api: Any, service: Any, stage: Any, build: Build
) -> None:
    api.environments(stage.sid).delete()
    before = state_of(fake_builds)
    with pytest.raises(TwilioRestException) as raised:
        api.environments(stage.sid).deployments.create(build_sid=build.sid)
    assert refused(raised.value) == (
        404,
        20404,
        f"Unable to create record: The requested resource /Services/{service.sid}"
        f"/Environments/{stage.sid}/Deployments was not found",
    )
    assert state_of(fake_builds) == before


# The deploy() helper -------------------------------------------------------------------


def test_deploy_helper_returns_what_the_api_serves(
    fake_builds: FakeBuilds, api: Any, environment: Any, build: Build
) -> None:
    deployment = fake_builds.deploy(environment, build)
    fetched = api.environments(environment.sid).deployments(deployment.sid).fetch()
    assert (fetched.sid, fetched.build_sid, fetched.date_created, fetched.date_updated) == (
        deployment.sid,
        build.sid,
        deployment.date_created,
        deployment.date_updated,
    )
    assert api.environments(environment.sid).fetch().build_sid == build.sid
    down = fake_builds.deploy(environment.sid)
    assert down.build_sid is None
    assert api.environments(environment.sid).fetch().build_sid is None


def test_deploy_helper_refuses_as_the_api_does(
    fake_builds: FakeBuilds, service: Any, hello: Any, environment: Any, build: Build
) -> None:
    building = fake_builds.create_build(service.sid, [hello])
    fake_builds.deploy(environment, build)
    before = state_of(fake_builds)

    with pytest.raises(InvalidParameterError) as not_ready:
        fake_builds.deploy(environment, building)
    assert isinstance(not_ready.value, ValueError)
    assert (not_ready.value.status, not_ready.value.code, not_ready.value.message) == (
        400,
        20001,
        f"Invalid BuildSid: Build {building.sid} is building; only a completed Build can be "
        "deployed",
    )
    with pytest.raises(InvalidParameterError, match="is not a valid Build SID"):
        fake_builds.deploy(environment, "nope")
    with pytest.raises(ConflictError) as conflict:
        fake_builds.deploy(environment, build.sid)
    assert isinstance(conflict.value, ValueError)
    assert (conflict.value.status, conflict.value.code, conflict.value.message) == (
        409,
        20409,
        ALREADY_DEPLOYED,
    )
    with pytest.raises(NotFoundError) as missing:
        fake_builds.deploy(UNKNOWN_ENVIRONMENT, build)
    assert isinstance(missing.value, LookupError)
    assert state_of(fake_builds) == before


# List and fetch -----------------------------------------------------------------------


def test_list_is_newest_first_across_pages(
    fake_builds: FakeBuilds,
    deployments: Any,
    service: Any,
    environment: Any,
    build: Build,
    other_build: Build,
) -> None:
    plan = [build.sid, other_build.sid, None, build.sid, other_build.sid]
    made = []
    for build_sid in plan:
        fake_builds.advance(1)
        made.append(deployments.create(build_sid=build_sid) if build_sid else deployments.create())
    before = len(fake_builds.calls)
    listed = deployments.list(page_size=2)
    assert [d.sid for d in listed] == [d.sid for d in made][::-1]
    assert [d.build_sid for d in listed] == plan[::-1]
    assert [d.date_created for d in listed] == sorted((d.date_created for d in made), reverse=True)
    pages = fake_builds.calls[before:]
    assert len(pages) == 3
    list_url = f"{BASE}/v1/Services/{service.sid}/Environments/{environment.sid}/Deployments"
    first = json.loads(pages[0].response.body)
    assert first["meta"]["key"] == "deployments"
    assert first["meta"]["first_page_url"] == f"{list_url}?PageSize=2&Page=0"
    assert first["meta"]["next_page_url"].startswith(f"{list_url}?PageSize=2&Page=1&PageToken=")
    last = json.loads(pages[-1].response.body)
    assert last["meta"]["next_page_url"] is None
    assert [d["sid"] for d in last["deployments"]] == [made[0].sid]


def test_list_holds_only_the_environments_own_deployments(
    api: Any, environment: Any, stage: Any, build: Build, other_build: Build
) -> None:
    dev_one = api.environments(environment.sid).deployments.create(build_sid=build.sid)
    stage_one = api.environments(stage.sid).deployments.create(build_sid=other_build.sid)
    assert [d.sid for d in api.environments(environment.sid).deployments.list()] == [dev_one.sid]
    assert [d.sid for d in api.environments(stage.sid).deployments.list()] == [stage_one.sid]


def test_empty_list(fake_builds: FakeBuilds, service: Any, environment: Any) -> None:
    url = f"{BASE}/v1/Services/{service.sid}/Environments/{environment.sid}/Deployments"
    answer = raw(fake_builds, "GET", url[len(BASE) :])
    assert answer.status_code == 200
    assert answer.json() == {
        "deployments": [],
        "meta": {
            "first_page_url": f"{url}?PageSize=50&Page=0",
            "key": "deployments",
            "next_page_url": None,
            "page": 0,
            "page_size": 50,
            "previous_page_url": None,
            "url": f"{url}?PageSize=50&Page=0",
        },
    }


def test_list_of_an_unknown_environment_fails(api: Any, service: Any) -> None:
    with pytest.raises(TwilioException) as refused_list:
        api.environments(UNKNOWN_ENVIRONMENT).deployments.list()
    path = f"/v1/Services/{service.sid}/Environments/{UNKNOWN_ENVIRONMENT}/Deployments"
    assert page_refused(refused_list.value) == (404, 20404, not_found(path))


def test_fetch_matches_create(fake_builds: FakeBuilds, deployments: Any, build: Build) -> None:
    created = deployments.create(build_sid=build.sid)
    created_body = last_body(fake_builds)
    fetched = deployments(created.sid).fetch()
    assert fake_builds.calls[-1].response.status == 200
    assert last_body(fake_builds) == created_body
    assert fetched.sid == created.sid
    assert fetched.build_sid == build.sid
    assert fetched.url == created.url


def test_fetch_through_another_environment_is_404(
    fake_builds: FakeBuilds, api: Any, service: Any, environment: Any, stage: Any, build: Build
) -> None:
    deployment = api.environments(environment.sid).deployments.create(build_sid=build.sid)
    with pytest.raises(TwilioRestException) as raised:
        api.environments(stage.sid).deployments(deployment.sid).fetch()
    assert refused(raised.value) == (
        404,
        20404,
        f"Unable to fetch record: The requested resource /Services/{service.sid}"
        f"/Environments/{stage.sid}/Deployments/{deployment.sid} was not found",
    )


def test_fetch_through_another_service_is_404(
    fake_builds: FakeBuilds, client: Any, environment: Any, build: Build
) -> None:
    other = fake_builds.create_service(unique_name="other-app")
    deployment = fake_builds.deploy(environment, build)
    with pytest.raises(TwilioRestException) as raised:
        client.serverless.v1.services(other.sid).environments(environment.sid).deployments(
            deployment.sid
        ).fetch()
    assert (raised.value.status, raised.value.code) == (404, 20404)


@pytest.mark.parametrize("sid", ["ZD" + "0" * 32, "nonsense"])
def test_fetch_of_an_unknown_deployment_is_404(
    deployments: Any, service: Any, environment: Any, sid: str
) -> None:
    with pytest.raises(TwilioRestException) as raised:
        deployments(sid).fetch()
    assert refused(raised.value) == (
        404,
        20404,
        f"Unable to fetch record: The requested resource /Services/{service.sid}"
        f"/Environments/{environment.sid}/Deployments/{sid} was not found",
    )


def test_a_unique_name_in_the_path_is_404(
    fake_builds: FakeBuilds, service: Any, environment: Any, build: Build
) -> None:
    fake_builds.deploy(environment, build)
    path = f"/v1/Services/my-app/Environments/{environment.sid}/Deployments"
    assert error_of(raw(fake_builds, "GET", path)) == (
        404,
        20404,
        f"The requested resource {path[3:]} was not found",
    )


@pytest.mark.parametrize("method", ["POST", "DELETE"])
def test_deployments_are_never_updated_or_deleted(
    fake_builds: FakeBuilds,
    service: Any,
    environment: Any,
    deployments: Any,
    build: Build,
    method: str,
) -> None:
    deployment = deployments.create(build_sid=build.sid)
    before = state_of(fake_builds)
    answer = raw(
        fake_builds,
        method,
        f"/v1/Services/{service.sid}/Environments/{environment.sid}/Deployments/{deployment.sid}",
        data={"BuildSid": build.sid},
    )
    assert error_of(answer) == (405, 20004, "Method not allowed")
    assert state_of(fake_builds) == before


# The live build ------------------------------------------------------------------------


def assert_locked(fake: FakeBuilds, builds: Any, build_sid: str) -> None:
    before = state_of(fake)
    with pytest.raises(TwilioRestException) as raised:
        builds(build_sid).delete()
    assert refused(raised.value) == (409, 20409, f"Unable to delete record: {BUILD_IN_USE}")
    assert state_of(fake) == before


def assert_deletable(builds: Any, build_sid: str) -> None:
    assert builds(build_sid).delete() is True
    with pytest.raises(TwilioRestException) as gone:
        builds(build_sid).fetch()
    assert gone.value.status == 404


def test_a_live_build_cannot_be_deleted(
    fake_builds: FakeBuilds, builds: Any, deployments: Any, build: Build
) -> None:
    deployments.create(build_sid=build.sid)
    assert_locked(fake_builds, builds, build.sid)
    assert builds(build.sid).fetch().status == "completed"


def test_deploying_another_build_frees_the_old_one(
    fake_builds: FakeBuilds, builds: Any, deployments: Any, build: Build, other_build: Build
) -> None:
    deployments.create(build_sid=build.sid)
    deployments.create(build_sid=other_build.sid)
    assert_locked(fake_builds, builds, other_build.sid)
    assert_deletable(builds, build.sid)


def test_an_empty_deployment_frees_the_build(
    fake_builds: FakeBuilds, builds: Any, deployments: Any, build: Build
) -> None:
    deployments.create(build_sid=build.sid)
    assert_locked(fake_builds, builds, build.sid)
    deployments.create()
    assert_deletable(builds, build.sid)


def test_deleting_the_environment_frees_the_build(
    fake_builds: FakeBuilds, api: Any, builds: Any, environment: Any, build: Build
) -> None:
    api.environments(environment.sid).deployments.create(build_sid=build.sid)
    assert_locked(fake_builds, builds, build.sid)
    assert api.environments(environment.sid).delete() is True
    assert_deletable(builds, build.sid)


def test_a_build_live_on_two_environments_stays_locked_until_both_release_it(
    fake_builds: FakeBuilds,
    api: Any,
    builds: Any,
    environment: Any,
    stage: Any,
    build: Build,
    other_build: Build,
) -> None:
    api.environments(environment.sid).deployments.create(build_sid=build.sid)
    api.environments(stage.sid).deployments.create(build_sid=build.sid)
    api.environments(environment.sid).deployments.create(build_sid=other_build.sid)
    assert_locked(fake_builds, builds, build.sid)  # still live on stage
    api.environments(stage.sid).deployments.create()
    assert_locked(fake_builds, builds, other_build.sid)  # live on dev
    assert_deletable(builds, build.sid)


def test_a_refused_deployment_does_not_free_the_build(
    fake_builds: FakeBuilds, builds: Any, deployments: Any, service: Any, hello: Any, build: Build
) -> None:
    deployments.create(build_sid=build.sid)
    building = fake_builds.create_build(service.sid, [hello])
    with pytest.raises(TwilioRestException):
        deployments.create(build_sid=building.sid)
    assert_locked(fake_builds, builds, build.sid)


def test_a_build_in_another_service_with_the_same_versions_is_unaffected(
    fake_builds: FakeBuilds, client: Any, deployments: Any, build: Build
) -> None:
    deployments.create(build_sid=build.sid)
    other = fake_builds.create_service(unique_name="other-app")
    other_hello = fake_builds.create_function_version(other.sid, "/hello")
    spare = completed_build(fake_builds, other.sid, other_hello)
    other_builds = client.serverless.v1.services(other.sid).builds
    assert_deletable(other_builds, spare.sid)


def test_page_urls_carry_no_filters(
    fake_builds: FakeBuilds, deployments: Any, build: Build, other_build: Build
) -> None:
    deployments.create(build_sid=build.sid)
    deployments.create(build_sid=other_build.sid)
    page = deployments.page(page_size=1)
    query = parse_qs(urlsplit(page._payload["meta"]["next_page_url"]).query)
    assert set(query) == {"PageSize", "Page", "PageToken"}


@pytest.mark.parametrize(
    "form",
    [{"BuildSid": "nope"}, {"IsPlugin": "maybe"}, {}],
    ids=["bad-build-sid", "bad-is-plugin", "nothing"],
)
def test_an_unknown_environment_is_404_whatever_the_form(
    fake_builds: FakeBuilds, service: Any, form: dict[str, str]
) -> None:
    path = f"/v1/Services/{service.sid}/Environments/{UNKNOWN_ENVIRONMENT}/Deployments"
    before = state_of(fake_builds)
    assert error_of(raw(fake_builds, "POST", path, data=form)) == (
        404,
        20404,
        f"The requested resource {path[3:]} was not found",
    )
    assert state_of(fake_builds) == before
