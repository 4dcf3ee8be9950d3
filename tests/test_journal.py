"""The journal keeps what a test asks for and no more; constructor settings are
checked when the fake is made."""

from __future__ import annotations

import gc
import tracemalloc
from base64 import b64encode
from typing import Any

import pytest

from pytest_fakebuilds import FakeBuilds, Request


def list_services(fake: FakeBuilds, times: int) -> None:
    services: Any = fake.client().serverless.v1.services
    for _ in range(times):
        services.list()


def test_the_journal_keeps_the_newest_calls() -> None:
    with FakeBuilds(seed=1, journal_size=3) as fake:
        for name in ("a", "b", "c", "d", "e"):
            fake.client().serverless.v1.services.create(unique_name=name, friendly_name=name)
        kept = [call.request.form["UniqueName"] for call in fake.calls]
    assert kept == [["c"], ["d"], ["e"]]
    assert fake.journal_size == 3
    assert fake.calls_dropped == 2


def test_the_default_cap_is_ten_thousand(fake_builds: FakeBuilds) -> None:
    assert fake_builds.journal_size == 10_000
    list_services(fake_builds, 3)
    assert (len(fake_builds.calls), fake_builds.calls_dropped) == (3, 0)


def test_none_keeps_every_call() -> None:
    with FakeBuilds(seed=1, journal_size=None) as fake:
        list_services(fake, 12)
    assert fake.journal_size is None
    assert (len(fake.calls), fake.calls_dropped) == (12, 0)


def test_zero_keeps_nothing() -> None:
    with FakeBuilds(seed=1, journal_size=0) as fake:
        list_services(fake, 4)
    assert fake.calls == []
    assert fake.calls_dropped == 4


@pytest.mark.fake_builds(journal_size=2)
def test_the_marker_sets_the_cap(fake_builds: FakeBuilds) -> None:
    list_services(fake_builds, 5)
    assert len(fake_builds.calls) == 2


def test_nothing_else_keeps_requests() -> None:
    """Past the journal's cap, requests leave no memory behind (responses' own
    call lists included): memory stays flat however many requests are made."""
    with FakeBuilds(seed=1, journal_size=10) as fake:
        list_services(fake, 50)  # warm up: caches, the journal at its cap
        gc.collect()
        tracemalloc.start()
        try:
            before = tracemalloc.take_snapshot()
            list_services(fake, 400)
            gc.collect()
            after = tracemalloc.take_snapshot()
        finally:
            tracemalloc.stop()
    grown = sum(stat.size_diff for stat in after.compare_to(before, "filename"))
    assert grown < 400 * 200, f"{grown} bytes kept by 400 requests"


@pytest.mark.parametrize("size", [-1, 1.5, "10", True])
def test_a_bad_journal_size_is_refused(size: Any) -> None:
    with pytest.raises(ValueError, match="journal_size"):
        FakeBuilds(journal_size=size)


def test_an_unknown_default_runtime_is_refused() -> None:
    with pytest.raises(ValueError, match="default_runtime must be one of node8"):
        FakeBuilds(default_runtime="node99")


@pytest.mark.parametrize("dependencies", ["not json", '{"name": "x"}', '[{"name": "x"}]', [("x",)]])
def test_bad_default_dependencies_are_a_plain_value_error(dependencies: Any) -> None:
    with pytest.raises(ValueError, match=r"^default_dependencies: ") as raised:
        FakeBuilds(default_dependencies=dependencies)
    assert type(raised.value) is ValueError


def _tracked_since(before: set[int]) -> list[object]:
    # The collector lets a plain tuple go when it passes over it and finds
    # nothing it tracks inside; a tuple made while a collection ran may need
    # a second pass.
    gc.collect()
    gc.collect()
    return [thing for thing in gc.get_objects() if id(thing) not in before]


def test_calls_not_yet_read_are_not_walked_by_the_garbage_collector() -> None:
    """A long run's journal (10,000 calls by default) must not be walked by every
    full collection: an unread call leaves nothing the collector tracks."""
    with FakeBuilds(seed=1) as fake:
        list_services(fake, 5)  # first-call costs: lazily made objects
        gc.collect()
        before = {id(thing) for thing in gc.get_objects()}
        list_services(fake, 200)
        grown = _tracked_since(before)
        assert len(fake.calls) == 205
    assert len(grown) < 20, sorted({type(thing).__name__ for thing in grown})


def test_a_call_read_twice_is_the_same_object_with_every_part() -> None:
    with FakeBuilds(seed=1) as fake:
        services: Any = fake.client().serverless.v1.services
        services.create(unique_name="one", friendly_name="One & all")
        first = fake.calls[-1]
        services.list()
        again = fake.calls
    assert again[0] is first
    assert first.operation == "create_service"
    assert first.params == {}
    assert first.request.method == "POST"
    assert first.request.form == {"UniqueName": ["one"], "FriendlyName": ["One & all"]}
    assert first.request.header("authorization") is not None
    assert first.response.status == 201
    assert first.response.headers["Content-Type"] == "application/json; charset=utf-8"
    assert again[1].request.url == "https://serverless.twilio.com/v1/Services"
    assert again[1].operation == "list_service"


def test_a_stored_build_is_one_object_for_the_garbage_collector() -> None:
    """Builds made from the same versions share the tuple of them; what else a
    build holds (strings, dates, numbers) is not tracked."""
    fake = FakeBuilds(seed=1, journal_size=0)
    service = fake.create_service(unique_name="gc")
    version = fake.create_function_version(service.sid, path="/hello")
    fake.create_build(service.sid, function_versions=[version])
    gc.collect()
    before = {id(thing) for thing in gc.get_objects()}
    builds = [fake.create_build(service.sid, function_versions=[version]) for _ in range(300)]
    grown = _tracked_since(before)
    assert len(grown) <= 300 + 10, sorted({type(thing).__name__ for thing in grown})
    assert len({id(build.function_versions) for build in builds}) == 1


def test_the_journal_gives_back_the_headers_mapping_a_caller_of_handle_sent() -> None:
    from requests.structures import CaseInsensitiveDict

    fake = FakeBuilds(seed=1)
    basic = b64encode(f"{fake.account_sid}:{fake.auth_token}".encode()).decode()
    headers = CaseInsensitiveDict({"Authorization": f"Basic {basic}", "X-Trace": "abc"})
    answer = fake.handle(Request("GET", "https://serverless.twilio.com/v1/Services", headers))
    assert answer.status == 200
    call = fake.calls[-1]
    assert call.request.headers is headers
    assert call.request.headers["x-trace"] == "abc"
    assert call.response == answer
    assert call.operation == "list_service"
