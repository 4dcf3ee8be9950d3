"""Records the Python helpers make: the Path boundary, and the dates they carry.

The helpers go through the same rules as the HTTP side; these tests pin the
exact limits (a 255-character Path, counted with the slash Twilio adds) and
that every record is dated at the fake's clock when it was made, not at the
clock's start or at its parent's creation.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from helpers import raw, unchanged

from pytest_fakebuilds import FakeBuilds, InvalidParameterError

TOO_LONG = "Invalid Path: must be at most 255 characters"


def create_version(fake: FakeBuilds, kind: str, service_sid: str, path: str) -> Any:
    if kind == "function":
        return fake.create_function_version(service_sid, path)
    return fake.create_asset_version(service_sid, path)


# The 255-character Path ------------------------------------------------------------


@pytest.mark.parametrize("kind", ["function", "asset"])
@pytest.mark.parametrize(
    "path", ["/" + "p" * 254, "p" * 254, "/" + "é" * 254], ids=["slash", "no-slash", "unicode"]
)
def test_a_path_of_255_characters_with_its_slash_is_accepted(
    fake_builds: FakeBuilds, service: Any, kind: str, path: str
) -> None:
    version = create_version(fake_builds, kind, service.sid, path)
    stored = path if path.startswith("/") else "/" + path
    assert len(version.path) == 255
    assert version.path == stored


@pytest.mark.parametrize("kind", ["function", "asset"])
@pytest.mark.parametrize(
    "path", ["/" + "p" * 255, "p" * 255, "/" + "é" * 255], ids=["slash", "no-slash", "unicode"]
)
def test_a_path_of_256_characters_with_its_slash_is_refused(
    fake_builds: FakeBuilds, service: Any, kind: str, path: str
) -> None:
    with unchanged(fake_builds), pytest.raises(InvalidParameterError) as raised:
        create_version(fake_builds, kind, service.sid, path)
    assert (raised.value.status, raised.value.code, raised.value.message) == (400, 20001, TOO_LONG)
    assert str(raised.value) == TOO_LONG


@pytest.mark.parametrize("kind", ["function", "asset"])
def test_a_long_path_into_an_existing_parent_is_refused_too(
    fake_builds: FakeBuilds, service: Any, kind: str
) -> None:
    if kind == "function":
        parent = fake_builds.create_function(service.sid, "hello")
        make: Any = fake_builds.create_function_version
        key = "function_sid"
    else:
        parent = fake_builds.create_asset(service.sid, "logo")
        make = fake_builds.create_asset_version
        key = "asset_sid"
    with unchanged(fake_builds), pytest.raises(InvalidParameterError, match=f"^{TOO_LONG}$"):
        make(service.sid, "p" * 255, **{key: parent})
    assert len(make(service.sid, "p" * 254, **{key: parent}).path) == 255


# Dates -----------------------------------------------------------------------------


def served(fake: FakeBuilds, path: str) -> dict[str, Any]:
    answer = raw(fake, "GET", path)
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def on_the_wire(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def test_helper_records_are_dated_at_the_clock_when_made(fake_builds: FakeBuilds) -> None:
    """Each round of helpers runs after an advance, so a date taken from the clock's
    start, from a parent, or from a previous round cannot pass."""
    function = asset = environment = None
    for round_ in range(2):
        fake_builds.advance(timedelta(hours=5, seconds=7, microseconds=123_457))
        now = fake_builds.now()
        service = fake_builds.create_service(unique_name=f"app-{round_}")
        made: list[Any] = [service]
        if function is None or asset is None or environment is None:
            # The parents of the second round's records are from the first round.
            function = fake_builds.create_function(service.sid, "hello")
            asset = fake_builds.create_asset(service.sid, "logo")
            environment = fake_builds.create_environment(service.sid, domain_suffix="dev")
            made += [function, asset, environment]
        home = function.service_sid
        function_version = fake_builds.create_function_version(
            home, "/hello", function_sid=function
        )
        asset_version = fake_builds.create_asset_version(home, "/logo.png", asset_sid=asset)
        build = fake_builds.create_build(home, [function_version], [asset_version])
        made += [function_version, asset_version, build]
        variable = fake_builds.set_variable(environment, f"KEY_{round_}", "value")
        log = fake_builds.add_log(environment, "hello")
        made += [variable, log]
        for record in made:
            assert record.date_created == now, record
            if hasattr(record, "date_updated"):
                assert record.date_updated == now, record

        # What the API serves for them: the same instants, to the second.
        wire = on_the_wire(now)
        service_path = f"/v1/Services/{service.sid}"
        assert served(fake_builds, service_path)["date_created"] == wire
        build_body = served(fake_builds, f"/v1/Services/{home}/Builds/{build.sid}")
        assert (build_body["date_created"], build_body["date_updated"]) == (wire, wire)
        assert build_body["function_versions"][0]["date_created"] == wire
        version_path = (
            f"/v1/Services/{home}/Functions/{function.sid}/Versions/{function_version.sid}"
        )
        assert served(fake_builds, version_path)["date_created"] == wire
        env_path = f"/v1/Services/{home}/Environments/{environment.sid}"
        variable_body = served(fake_builds, f"{env_path}/Variables/{variable.sid}")
        assert (variable_body["date_created"], variable_body["date_updated"]) == (wire, wire)


def test_helper_updates_move_date_updated_only(fake_builds: FakeBuilds, service: Any) -> None:
    environment = fake_builds.create_environment(service.sid, domain_suffix="dev")
    variable = fake_builds.set_variable(environment, "KEY", "one")
    hello = fake_builds.create_function_version(service.sid, "/hello")
    build = fake_builds.create_build(service.sid, [hello])
    created = fake_builds.now()

    fake_builds.advance(timedelta(minutes=3, microseconds=5))
    later = fake_builds.now()
    updated = fake_builds.set_variable(environment, "KEY", "two")
    assert updated is variable
    assert (variable.date_created, variable.date_updated) == (created, later)

    fake_builds.advance(timedelta(minutes=4))
    deployed_at = fake_builds.now()
    deployment = fake_builds.deploy(environment, build)
    assert (deployment.date_created, deployment.date_updated) == (deployed_at, deployed_at)
    assert (environment.date_created, environment.date_updated) == (created, deployed_at)
    body = raw(fake_builds, "GET", f"/v1/Services/{service.sid}/Environments/{environment.sid}")
    assert body.json()["date_updated"] == on_the_wire(deployed_at)


def test_a_log_dated_by_the_caller_keeps_that_date(fake_builds: FakeBuilds, service: Any) -> None:
    environment = fake_builds.create_environment(service.sid, domain_suffix="dev")
    fake_builds.advance(timedelta(days=2))
    earlier = fake_builds.now() - timedelta(hours=30, microseconds=1)
    assert fake_builds.add_log(environment, "old", date_created=earlier).date_created == earlier
    assert fake_builds.add_log(environment, "new").date_created == fake_builds.now()
