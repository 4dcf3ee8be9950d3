"""CreateBuild as a twilio-python user sees it."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
import requests
from helpers import last_body
from twilio.base.exceptions import TwilioRestException

from pytest_fakebuilds import FakeBuilds


def test_create_returns_building_build_with_every_field(
    fake_builds: FakeBuilds, builds: Any, service: Any
) -> None:
    hello = fake_builds.create_function_version(service.sid, path="/hello")
    logo = fake_builds.create_asset_version(service.sid, path="/logo.png", visibility="protected")

    build = builds.create(
        function_versions=[hello.sid],
        asset_versions=[logo.sid],
        dependencies='[{"name": "lodash", "version": "4.17.21"}]',
        runtime="node20",
    )

    assert re.fullmatch(r"ZB[0-9a-f]{32}", build.sid)
    assert build.account_sid == fake_builds.account_sid
    assert build.service_sid == service.sid
    assert build.status == "building"
    assert build.runtime == "node20"
    assert build.date_created == fake_builds.now()
    assert build.date_updated == build.date_created
    assert (
        build.url == f"https://serverless.twilio.com/v1/Services/{service.sid}/Builds/{build.sid}"
    )
    assert build.links == {"build_status": build.url + "/Status"}
    assert build.function_versions == [
        {
            "sid": hello.sid,
            "account_sid": fake_builds.account_sid,
            "service_sid": service.sid,
            "function_sid": hello.function_sid,
            "path": "/hello",
            "visibility": "public",
            "date_created": "2026-01-01T12:00:00Z",
        }
    ]
    assert build.asset_versions == [
        {
            "sid": logo.sid,
            "account_sid": fake_builds.account_sid,
            "service_sid": service.sid,
            "asset_sid": logo.asset_sid,
            "path": "/logo.png",
            "visibility": "protected",
            "date_created": "2026-01-01T12:00:00Z",
        }
    ]
    assert build.dependencies[0] == {"name": "lodash", "version": "4.17.21"}


def test_create_answers_201_with_json(fake_builds: FakeBuilds, builds: Any, service: Any) -> None:
    hello = fake_builds.create_function_version(service.sid, path="/hello")
    builds.create(function_versions=[hello.sid])
    call = fake_builds.calls[-1]
    assert call.request.method == "POST"
    assert call.response.status == 201
    assert call.response.headers["Content-Type"] == "application/json; charset=utf-8"


def test_repeated_function_versions_keep_request_order(
    fake_builds: FakeBuilds, builds: Any, service: Any
) -> None:
    versions = [fake_builds.create_function_version(service.sid, f"/f{i}") for i in range(3)]
    build = builds.create(function_versions=[v.sid for v in reversed(versions)])
    assert [v["sid"] for v in build.function_versions] == [v.sid for v in reversed(versions)]
    assert build.asset_versions == []


def test_asset_only_build_is_accepted(fake_builds: FakeBuilds, builds: Any, service: Any) -> None:
    logo = fake_builds.create_asset_version(service.sid, "/logo.png")
    build = builds.create(asset_versions=[logo.sid])
    assert [a["sid"] for a in build.asset_versions] == [logo.sid]
    assert build.function_versions == []


@pytest.mark.parametrize(
    "raw",
    [
        '[{"name": "lodash", "version": "4.17.21"}]',
        # Twilio's Node toolkit wraps the array in one more, unescaped, pair of quotes.
        '"[{"name":"lodash","version":"4.17.21"}]"',
    ],
    ids=["plain", "toolkit-quoted"],
)
def test_dependencies_plain_or_wrapped_in_quotes(
    fake_builds: FakeBuilds, builds: Any, service: Any, raw: str
) -> None:
    hello = fake_builds.create_function_version(service.sid, "/hello")
    build = builds.create(function_versions=[hello.sid], dependencies=raw)
    assert {"name": "lodash", "version": "4.17.21"} in build.dependencies


def test_toolkit_wire_form_is_understood(fake_builds: FakeBuilds, service: Any) -> None:
    """The exact body @twilio-labs/serverless-api sends (querystring.stringify)."""
    one = fake_builds.create_function_version(service.sid, "/one")
    two = fake_builds.create_function_version(service.sid, "/two")
    asset = fake_builds.create_asset_version(service.sid, "/a.css")
    deps = (
        '"[{"name":"twilio","version":"^3.56"},'
        '{"name":"@twilio/runtime-handler","version":"1.2.1"}]"'
    )
    body = (
        "Dependencies="
        + requests.utils.quote(deps, safe="")
        + f"&FunctionVersions={one.sid}&FunctionVersions={two.sid}&AssetVersions={asset.sid}"
        + "&Runtime=node22"
    )
    answer = requests.post(
        f"https://serverless.twilio.com/v1/Services/{service.sid}/Builds",
        data=body,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        auth=(fake_builds.account_sid, fake_builds.auth_token),
    )
    assert answer.status_code == 201
    payload = answer.json()
    assert [v["sid"] for v in payload["function_versions"]] == [one.sid, two.sid]
    assert payload["dependencies"] == [
        {"name": "twilio", "version": "^3.56"},
        {"name": "@twilio/runtime-handler", "version": "1.2.1"},
    ]


def test_default_dependencies_are_added_unless_named(
    fake_builds: FakeBuilds, builds: Any, service: Any
) -> None:
    hello = fake_builds.create_function_version(service.sid, "/hello")
    bare = builds.create(function_versions=[hello.sid])
    assert bare.dependencies == [
        {"name": "twilio", "version": "5.7.0"},
        {"name": "@twilio/runtime-handler", "version": "2.1.2"},
    ]
    assert fake_builds.create_build(service.sid, [hello]).dependencies == (
        ("twilio", "5.7.0"),
        ("@twilio/runtime-handler", "2.1.2"),
    )
    pinned = builds.create(
        function_versions=[hello.sid], dependencies='[{"name": "twilio", "version": "4.0.0"}]'
    )
    assert pinned.dependencies == [
        {"name": "twilio", "version": "4.0.0"},
        {"name": "@twilio/runtime-handler", "version": "2.1.2"},
    ]


@pytest.mark.fake_builds(default_dependencies=[])
def test_default_dependencies_can_be_turned_off(
    fake_builds: FakeBuilds, builds: Any, service: Any
) -> None:
    hello = fake_builds.create_function_version(service.sid, "/hello")
    assert builds.create(function_versions=[hello.sid]).dependencies == []


@pytest.mark.parametrize(
    "runtime", ["node8", "node10", "node12", "node14", "node16", "node18", "node20", "node22"]
)
def test_every_spec_runtime_is_accepted(
    fake_builds: FakeBuilds, builds: Any, service: Any, runtime: str
) -> None:
    hello = fake_builds.create_function_version(service.sid, "/hello")
    assert builds.create(function_versions=[hello.sid], runtime=runtime).runtime == runtime


def test_node24_is_accepted(fake_builds: FakeBuilds, builds: Any, service: Any) -> None:
    from twilio.rest.serverless.v1.service.build import BuildInstance

    hello = fake_builds.create_function_version(service.sid, "/hello")
    build = builds.create(function_versions=[hello.sid], runtime=BuildInstance.Runtime.NODE24)
    assert build.runtime == "node24"


def test_runtime_defaults_to_node22_for_a_new_service(
    fake_builds: FakeBuilds, builds: Any, service: Any
) -> None:
    hello = fake_builds.create_function_version(service.sid, "/hello")
    assert builds.create(function_versions=[hello.sid]).runtime == "node22"


def test_runtime_defaults_to_last_completed_build(
    fake_builds: FakeBuilds, builds: Any, service: Any
) -> None:
    hello = fake_builds.create_function_version(service.sid, "/hello")
    builds.create(function_versions=[hello.sid], runtime="node20")
    fake_builds.advance(fake_builds.build_duration - timedelta(seconds=1))
    # Still building: nothing has completed yet, so the platform default applies.
    assert builds.create(function_versions=[hello.sid]).runtime == "node22"
    fake_builds.advance(timedelta(seconds=1))
    assert builds.create(function_versions=[hello.sid]).runtime == "node20"


def test_failed_builds_do_not_set_the_inherited_runtime(
    fake_builds: FakeBuilds, builds: Any, service: Any
) -> None:
    hello = fake_builds.create_function_version(service.sid, "/hello")
    builds.create(function_versions=[hello.sid], runtime="node20")
    fake_builds.advance(fake_builds.build_duration)
    fake_builds.fail_next_build()
    builds.create(function_versions=[hello.sid], runtime="node16")
    fake_builds.advance(fake_builds.build_duration)
    assert builds.create(function_versions=[hello.sid]).runtime == "node20"


def test_deleting_the_only_completed_build_falls_back_to_the_default(
    fake_builds: FakeBuilds, builds: Any, service: Any
) -> None:
    hello = fake_builds.create_function_version(service.sid, "/hello")
    done = builds.create(function_versions=[hello.sid], runtime="node20")
    fake_builds.advance(fake_builds.build_duration)
    assert builds.create(function_versions=[hello.sid]).runtime == "node20"  # inherited
    for build in builds.list():
        if build.sid != done.sid:
            builds(build.sid).delete()
    builds(done.sid).delete()
    assert builds.list() == []
    assert builds.create(function_versions=[hello.sid]).runtime == "node22"
    assert fake_builds.create_build(service.sid, [hello]).runtime == "node22"


def test_deleting_the_latest_completed_build_falls_back_to_the_one_before(
    fake_builds: FakeBuilds, builds: Any, service: Any
) -> None:
    hello = fake_builds.create_function_version(service.sid, "/hello")
    builds.create(function_versions=[hello.sid], runtime="node20")
    fake_builds.advance(fake_builds.build_duration)
    latest = builds.create(function_versions=[hello.sid], runtime="node24")
    # Deleted while building: it must not count once its time comes either.
    doomed = builds.create(function_versions=[hello.sid], runtime="node22")
    fake_builds.advance(fake_builds.build_duration)
    builds(doomed.sid).delete()
    assert builds.create(function_versions=[hello.sid]).runtime == "node24"
    builds(latest.sid).delete()
    assert builds.create(function_versions=[hello.sid]).runtime == "node20"


@pytest.mark.fake_builds(default_runtime="node24")
def test_default_runtime_is_configurable(
    fake_builds: FakeBuilds, builds: Any, service: Any
) -> None:
    hello = fake_builds.create_function_version(service.sid, "/hello")
    assert builds.create(function_versions=[hello.sid]).runtime == "node24"


@pytest.mark.fake_builds(uppercase_build_visibility=True)
def test_uppercase_visibility_as_in_the_openapi_examples(
    fake_builds: FakeBuilds, builds: Any, service: Any
) -> None:
    hello = fake_builds.create_function_version(service.sid, "/hello", visibility="private")
    build = builds.create(function_versions=[hello.sid])
    assert build.function_versions[0]["visibility"] == "PRIVATE"


def test_helper_records_are_what_the_api_embeds(
    fake_builds: FakeBuilds, builds: Any, service: Any
) -> None:
    hello = fake_builds.create_function_version(service.sid, "hello")
    assert hello.path == "/hello"  # Twilio prefixes the slash
    build = builds.create(function_versions=[hello.sid])
    assert build.function_versions[0]["path"] == hello.path
    assert build.function_versions[0]["function_sid"] == hello.function_sid


def test_a_second_version_of_the_same_function(
    fake_builds: FakeBuilds, builds: Any, service: Any
) -> None:
    first = fake_builds.create_function_version(service.sid, "/hello")
    second = fake_builds.create_function_version(
        service.sid, "/hello", function_sid=first.function_sid
    )
    assert second.function_sid == first.function_sid
    assert second.sid != first.sid
    assert builds.create(function_versions=[second.sid]).function_versions[0]["sid"] == second.sid


def test_raw_json_body_of_create(fake_builds: FakeBuilds, builds: Any, service: Any) -> None:
    hello = fake_builds.create_function_version(service.sid, "/hello")
    builds.create(function_versions=[hello.sid])
    body = last_body(fake_builds)
    assert list(body) == [
        "sid",
        "account_sid",
        "service_sid",
        "status",
        "asset_versions",
        "function_versions",
        "dependencies",
        "runtime",
        "date_created",
        "date_updated",
        "url",
        "links",
    ]
    assert body["date_created"] == "2026-01-01T12:00:00Z"


@pytest.mark.fake_builds(start=datetime(2030, 5, 6, 7, 8, 9, tzinfo=timezone.utc))
def test_dates_follow_the_clock(fake_builds: FakeBuilds, builds: Any, service: Any) -> None:
    hello = fake_builds.create_function_version(service.sid, "/hello")
    fake_builds.advance(timedelta(minutes=1, microseconds=700))
    build = builds.create(function_versions=[hello.sid])
    assert build.date_created == datetime(2030, 5, 6, 7, 9, 9, tzinfo=timezone.utc)


def test_rejected_create_mints_nothing(fake_builds: FakeBuilds, builds: Any, service: Any) -> None:
    """A refused request leaves the SID sequence untouched, so later SIDs don't shift."""
    hello = fake_builds.create_function_version(service.sid, "/hello")
    with pytest.raises(TwilioRestException):
        builds.create(function_versions=[hello.sid], runtime="python3")
    first = builds.create(function_versions=[hello.sid])

    twin = FakeBuilds(seed=fake_builds.seed)
    twin_service = twin.create_service(unique_name="my-app")
    twin_hello = twin.create_function_version(twin_service.sid, "/hello")
    with twin:
        twin_build = (
            twin.client()
            .serverless.v1.services(twin_service.sid)
            .builds.create(function_versions=[twin_hello.sid])
        )
    assert first.sid == twin_build.sid
