"""The store's bookkeeping, seen from outside: which build a new one inherits its
runtime from after deletes, outcome changes and a restore; bodies that follow a
changed build; records that come back from a snapshot in their places; error
objects as a test meets them. Mutation testing (docs/performance.md) found each
of these unchecked.
"""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest
import requests

from pytest_fakebuilds import (
    ApiKey,
    ConflictError,
    FakeBuilds,
    InvalidParameterError,
    NotFoundError,
)

BASE = "https://serverless.twilio.com"


def runtime_of_next(fake: FakeBuilds, service: Any, hello: Any) -> str:
    """The runtime a build that names none gets: the last completed build's, else the default."""
    return str(fake.create_build(service.sid, [hello]).runtime)


@pytest.fixture
def app(fake_builds: FakeBuilds) -> tuple[Any, Any]:
    service = fake_builds.create_service(unique_name="my-app")
    return service, fake_builds.create_function_version(service.sid, path="/hello")


def test_deleting_the_only_completed_build_stops_passing_its_runtime_on(
    fake_builds: FakeBuilds, app: tuple[Any, Any]
) -> None:
    service, hello = app
    only = fake_builds.create_build(service.sid, [hello], runtime="node20")
    fake_builds.advance(fake_builds.build_duration)
    api = fake_builds.client().serverless.v1.services(service.sid)
    assert api.builds(only.sid).fetch().status == "completed"
    assert api.builds(only.sid).delete()
    assert runtime_of_next(fake_builds, service, hello) == "node22"


def test_deleting_a_failed_build_keeps_the_completed_one_it_sorts_beside(
    fake_builds: FakeBuilds, app: tuple[Any, Any]
) -> None:
    """A failed build ends at the same instant as a completed one made just after it:
    deleting it must not take the completed build out of the inheritance."""
    service, hello = app
    fake_builds.fail_next_build()
    failed = fake_builds.create_build(service.sid, [hello], runtime="node18")
    completed = fake_builds.create_build(service.sid, [hello], runtime="node20")
    fake_builds.advance(fake_builds.build_duration)
    api = fake_builds.client().serverless.v1.services(service.sid)
    assert (api.builds(failed.sid).fetch().status, api.builds(completed.sid).fetch().status) == (
        "failed",
        "completed",
    )
    assert api.builds(failed.sid).delete()
    assert runtime_of_next(fake_builds, service, hello) == "node20"


def test_a_failed_build_is_deleted_from_a_service_that_never_completed_one(
    fake_builds: FakeBuilds, app: tuple[Any, Any]
) -> None:
    service, hello = app
    fake_builds.fail_next_build()
    failed = fake_builds.create_build(service.sid, [hello], runtime="node20")
    fake_builds.advance(fake_builds.build_duration)
    api = fake_builds.client().serverless.v1.services(service.sid)
    assert api.builds(failed.sid).fetch().status == "failed"
    assert api.builds(failed.sid).delete()
    assert api.builds.list() == []
    assert runtime_of_next(fake_builds, service, hello) == "node22"


def test_a_failed_build_ending_after_the_completed_ones_is_deleted_cleanly(
    fake_builds: FakeBuilds, app: tuple[Any, Any]
) -> None:
    service, hello = app
    fake_builds.create_build(service.sid, [hello], runtime="node20")
    fake_builds.advance(fake_builds.build_duration)
    fake_builds.fail_next_build()
    failed = fake_builds.create_build(service.sid, [hello], runtime="node18")
    fake_builds.advance(fake_builds.build_duration)
    api = fake_builds.client().serverless.v1.services(service.sid)
    assert api.builds(failed.sid).delete()
    assert runtime_of_next(fake_builds, service, hello) == "node20"


def test_a_build_whose_outcome_is_changed_is_served_and_inherited_as_changed(
    fake_builds: FakeBuilds, app: tuple[Any, Any]
) -> None:
    """Each change shows at the next read (no body cached from before it), and a build
    set to complete later passes its runtime on once it has, not before."""
    service, hello = app
    fake_builds.hang_next_build()
    build = fake_builds.create_build(service.sid, [hello], runtime="node20")
    api = fake_builds.client().serverless.v1.services(service.sid)
    assert api.builds(build.sid).fetch().status == "building"
    fake_builds.set_build_outcome(build.sid, "failed", after=60)
    assert api.builds(build.sid).fetch().status == "building"
    fake_builds.set_build_outcome(build.sid, "completed", after=30)
    assert api.builds(build.sid).fetch().status == "building"
    assert runtime_of_next(fake_builds, service, hello) == "node22"
    fake_builds.advance(30)
    assert api.builds(build.sid).fetch().status == "completed"
    assert api.builds(build.sid).fetch().date_updated == fake_builds.now().replace(microsecond=0)
    assert runtime_of_next(fake_builds, service, hello) == "node20"


def test_restored_records_keep_their_places_and_new_ones_come_after(
    fake_builds: FakeBuilds, app: tuple[Any, Any]
) -> None:
    service, hello = app
    environment = fake_builds.create_environment(service.sid, domain_suffix="dev")
    old = fake_builds.create_build(service.sid, [hello], runtime="node20")
    fake_builds.advance(fake_builds.build_duration)
    fake_builds.deploy(environment.sid, old.sid)
    fake_builds.create_build(service.sid, [hello], runtime="node24")  # still building
    saved = fake_builds.snapshot()
    with FakeBuilds.from_snapshot(saved) as twin:
        api = twin.client().serverless.v1.services(service.sid)
        before = [b.sid for b in api.builds.list()]
        assert len(before) == 2
        assert before[1] == old.sid
        assert api.environments(environment.sid).fetch().build_sid == old.sid
        with pytest.raises(ConflictError):
            twin.create_service(unique_name="my-app")
        # The restored completed build passes its runtime on (the other is building),
        # and the new build lists as the newest, the restored ones in their order.
        assert runtime_of_next(twin, service, hello) == "node20"
        assert [b.sid for b in api.builds.list(page_size=1)][1:] == before
    with FakeBuilds.from_snapshot(saved) as twin:
        # The restored building build passes its runtime on once it has completed.
        twin.advance(twin.build_duration)
        assert runtime_of_next(twin, service, hello) == "node24"


def test_helpers_raise_errors_that_name_what_was_not_found(fake_builds: FakeBuilds) -> None:
    missing = "ZS" + "0" * 32
    with pytest.raises(NotFoundError) as raised:
        fake_builds.create_environment(missing)
    assert str(raised.value) == f"Service {missing} was not found"
    assert raised.value.message == f"Service {missing} was not found"
    assert repr(raised.value) == f"NotFoundError(404, 20404, 'Service {missing} was not found')"
    with pytest.raises(InvalidParameterError) as bad:
        fake_builds.create_service(unique_name="-bad")
    assert repr(bad.value).startswith('InvalidParameterError(400, 20001, "Invalid UniqueName:')


def test_an_api_key_belongs_to_the_account_and_authenticates(fake_builds: FakeBuilds) -> None:
    key = fake_builds.create_api_key("ci key")
    assert isinstance(key, ApiKey)
    assert (key.friendly_name, key.account_sid) == ("ci key", fake_builds.account_sid)
    assert key.sid.startswith("SK")
    url = f"{BASE}/v1/Services"
    assert requests.get(url, auth=(key.sid, key.secret)).status_code == 200
    assert requests.get(url, auth=(key.sid, key.secret + "x")).status_code == 401


def test_check_then_write_holds_under_threads(fake_builds: FakeBuilds) -> None:
    """Many threads create the same unique name at once: exactly one wins, the others
    get 409, and the account holds one Service; the SID sequence moved once."""
    start = threading.Barrier(8)
    outcomes: list[str] = []
    lock = threading.Lock()

    def create() -> None:
        start.wait()
        try:
            fake_builds.create_service(unique_name="contested")
            result = "created"
        except ConflictError:
            result = "conflict"
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=create) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["conflict"] * 7 + ["created"]
    assert [s.unique_name for s in fake_builds.client().serverless.v1.services.list()] == [
        "contested"
    ]
    twin = FakeBuilds(seed=fake_builds.seed)
    twin.create_service(unique_name="contested")
    assert fake_builds.create_service().sid == twin.create_service().sid


def test_a_deleted_functions_versions_cannot_be_built(
    fake_builds: FakeBuilds, app: tuple[Any, Any]
) -> None:
    service, hello = app
    api = fake_builds.client().serverless.v1.services(service.sid)
    assert api.functions(hello.function_sid).delete()
    with pytest.raises(InvalidParameterError) as refused:
        fake_builds.create_build(service.sid, [hello.sid])
    assert str(refused.value) == (
        f"Invalid FunctionVersions: Function Version {hello.sid} "
        f"was not found in Service {service.sid}"
    )


def test_nothing_of_a_deleted_service_is_left_behind(
    fake_builds: FakeBuilds, app: tuple[Any, Any]
) -> None:
    """Its environments, their deployments, variables and logs, its functions and
    their versions all go: a snapshot of the account names none of them."""
    service, hello = app
    environment = fake_builds.create_environment(service.sid, domain_suffix="dev")
    build = fake_builds.create_build(service.sid, [hello])
    fake_builds.advance(fake_builds.build_duration)
    fake_builds.deploy(environment.sid, build.sid)
    fake_builds.set_variable(environment.sid, "KEY", "value")
    fake_builds.add_log(environment.sid, "hello")
    asset = fake_builds.create_asset_version(service.sid, "/style.css", content="body {}")
    kept = fake_builds.create_service(unique_name="kept")
    fake_builds.client().serverless.v1.services(service.sid).delete()
    saved = json.dumps(fake_builds.snapshot())
    for sid in (service.sid, environment.sid, build.sid, hello.sid, asset.sid):
        assert sid not in saved
    assert kept.sid in saved


def test_a_fake_without_runtime_rules_builds_a_retired_runtime() -> None:
    """runtime_rules=False reaches the rules the fake applies: node16 completes."""

    def node16_build_status(fake: FakeBuilds) -> str:
        with fake:
            service = fake.create_service(unique_name="old-app")
            hello = fake.create_function_version(service.sid, path="/hello")
            build = fake.create_build(service.sid, [hello], runtime="node16")
            fake.advance(fake.build_duration)
            api = fake.client().serverless.v1.services(service.sid)
            return str(api.builds(build.sid).fetch().status)

    assert node16_build_status(FakeBuilds(seed=3, runtime_rules=False)) == "completed"
    assert node16_build_status(FakeBuilds(seed=3)) == "failed"
