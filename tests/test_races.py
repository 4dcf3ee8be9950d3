"""Check-then-write under threads: the store's lock makes each one atomic.

Many threads wait at a barrier and then make the same conflicting request at
once: exactly one of them wins, every other one gets the refusal the API
gives one request at a time, and the account holds exactly what the winners
made. No thread sleeps. To make an unguarded check-then-write show, the
interpreter switches threads as often as it can while they run, and every
SID minted (which happens between a create's check and its write) gives the
other threads their turn, as a preemption there would; each race is run
``ROUNDS`` times. With the store's lock made per caller, nearly every round
has two winners.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from helpers import completed_build, refused
from twilio.base.exceptions import TwilioRestException

from pytest_fakebuilds import ApiError, FakeBuilds
from pytest_fakebuilds.core.sids import SidMinter

THREADS = 16
ROUNDS = 10
_yield = getattr(os, "sched_yield", lambda: None)
TIMEOUT = 60  # seconds a barrier or a join may wait before the test fails


@pytest.fixture(autouse=True)
def _preempted_at_every_mint(monkeypatch: pytest.MonkeyPatch) -> None:
    mint = SidMinter.mint

    def yielding(self: SidMinter, prefix: str) -> str:
        sid = mint(self, prefix)
        _yield()  # releases the GIL: another thread may run here
        return sid

    monkeypatch.setattr(SidMinter, "mint", yielding)


@contextmanager
def switching_often() -> Iterator[None]:
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        yield
    finally:
        sys.setswitchinterval(interval)


def race(count: int, action: Callable[[int], Any]) -> list[Any]:
    """Run ``action(0)`` … ``action(count - 1)`` in as many threads, released together;
    each one's result, or the exception it raised."""
    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count

    def run(index: int) -> None:
        barrier.wait(TIMEOUT)
        try:
            results[index] = action(index)
        except BaseException as exc:  # reported to the test, whatever it is
            results[index] = exc

    threads = [threading.Thread(target=run, args=(index,)) for index in range(count)]
    with switching_often():
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(TIMEOUT)
    assert not any(thread.is_alive() for thread in threads)
    return results


def split(results: list[Any]) -> tuple[list[Any], list[BaseException]]:
    won = [result for result in results if not isinstance(result, BaseException)]
    lost = [result for result in results if isinstance(result, BaseException)]
    return won, lost


def outcome(error: BaseException) -> tuple[int, int, str]:
    if isinstance(error, TwilioRestException):
        return refused(error)
    assert isinstance(error, ApiError), repr(error)
    return error.status, error.code, error.message


# Services ------------------------------------------------------------------------


def test_one_unique_name_from_many_threads_over_http(fake_builds: FakeBuilds) -> None:
    clients = [fake_builds.client() for _ in range(THREADS)]
    winners = []
    for round_ in range(ROUNDS):
        won, lost = split(
            race(
                THREADS,
                lambda index, round_=round_: clients[index].serverless.v1.services.create(
                    unique_name=f"app-{round_}", friendly_name=f"attempt {index}"
                ),
            )
        )
        assert len(won) == 1, f"round {round_}: {len(won)} services named app-{round_}"
        assert {outcome(error) for error in lost} == {
            (409, 20409, "Unable to create record: Service with this UniqueName already exists.")
        }
        winners.append((won[0].sid, f"app-{round_}"))
    listed = clients[0].serverless.v1.services.list()
    assert [(s.sid, s.unique_name) for s in listed] == winners[::-1]


def test_one_unique_name_from_many_threads_through_the_helper(fake_builds: FakeBuilds) -> None:
    winners = []
    for round_ in range(ROUNDS):
        won, lost = split(
            race(
                THREADS,
                lambda index, round_=round_: fake_builds.create_service(
                    unique_name=f"app-{round_}"
                ),
            )
        )
        assert len(won) == 1, f"round {round_}: {len(won)} services named app-{round_}"
        assert {outcome(error) for error in lost} == {
            (409, 20409, "Service with this UniqueName already exists.")
        }
        winners.append(won[0].sid)
    listed = fake_builds.client().serverless.v1.services.list()
    assert [s.sid for s in listed] == winners[::-1]


def test_unnamed_services_from_many_threads_all_get_a_name_of_their_own(
    fake_builds: FakeBuilds,
) -> None:
    fake_builds.create_service(unique_name="service-3")  # a name a user gave
    names: list[str] = []
    for _ in range(3):  # 48 more Services: just under the limit of 50
        won, lost = split(race(THREADS, lambda index: fake_builds.create_service()))
        assert lost == []
        names += [service.unique_name for service in won]
    assert len(set(names)) == len(names) == 3 * THREADS
    assert "service-3" not in names
    listed = fake_builds.client().serverless.v1.services.list()
    assert sorted(s.unique_name for s in listed) == sorted([*names, "service-3"])


def test_the_service_limit_holds_under_a_race(fake_builds: FakeBuilds) -> None:
    for number in range(45):
        fake_builds.create_service(unique_name=f"existing-{number}")
    clients = [fake_builds.client() for _ in range(THREADS)]
    services = clients[0].serverless.v1.services
    for round_ in range(ROUNDS):
        won, lost = split(
            race(
                THREADS,
                lambda index, round_=round_: clients[index].serverless.v1.services.create(
                    unique_name=f"racer-{round_}-{index}", friendly_name="racer"
                ),
            )
        )
        assert len(won) == 5, f"round {round_}: {len(won)} of 5 places taken"
        assert {outcome(error) for error in lost} == {
            (
                400,
                20001,
                "Unable to create record: Services are limited to less than or equal to 50",
            )
        }
        listed = services.list()
        assert len(listed) == 50
        assert {s.sid for s in listed} >= {service.sid for service in won}
        for service in won:  # back to 45 for the next round
            services(service.sid).delete()


# Inside a Service ------------------------------------------------------------------


def test_one_domain_suffix_from_many_threads(fake_builds: FakeBuilds, service: Any) -> None:
    apis = [fake_builds.client().serverless.v1.services(service.sid) for _ in range(THREADS)]
    winners = []
    for round_ in range(ROUNDS):
        won, lost = split(
            race(
                THREADS,
                lambda index, round_=round_: apis[index].environments.create(
                    unique_name=f"env-{round_}-{index}", domain_suffix=f"dev-{round_}"
                ),
            )
        )
        assert len(won) == 1, f"round {round_}: {len(won)} environments with suffix dev-{round_}"
        assert {outcome(error) for error in lost} == {
            (
                409,
                20409,
                "Unable to create record: "
                "Environment with this UniqueName or DomainSuffix already exists.",
            )
        }
        winners.append(won[0].sid)
    assert [e.sid for e in apis[0].environments.list()] == winners[::-1]


def test_one_variable_key_from_many_threads(
    fake_builds: FakeBuilds, service: Any, environment: Any
) -> None:
    lists = [
        fake_builds.client()
        .serverless.v1.services(service.sid)
        .environments(environment.sid)
        .variables
        for _ in range(THREADS)
    ]
    winners = []
    for round_ in range(ROUNDS):
        won, lost = split(
            race(
                THREADS,
                lambda index, round_=round_: lists[index].create(
                    key=f"KEY_{round_}", value=f"value {index}"
                ),
            )
        )
        assert len(won) == 1, f"round {round_}: {len(won)} variables KEY_{round_}"
        assert {outcome(error) for error in lost} == {
            (409, 20409, "Unable to create record: Variable with this Key already exists.")
        }
        winners.append((won[0].sid, won[0].value))
    assert [(v.sid, v.value) for v in lists[0].list()] == winners[::-1]


@pytest.mark.parametrize("via", ["http", "helper"])
def test_one_deployment_of_a_build_from_many_threads(
    fake_builds: FakeBuilds, service: Any, environment: Any, hello: Any, via: str
) -> None:
    lists = [
        fake_builds.client()
        .serverless.v1.services(service.sid)
        .environments(environment.sid)
        .deployments
        for _ in range(THREADS)
    ]
    prefix = "Unable to create record: " if via == "http" else ""
    winners = []
    for round_ in range(ROUNDS):
        build = completed_build(fake_builds, service.sid, hello)

        def deploy(index: int, build: Any = build) -> Any:
            if via == "helper":
                return fake_builds.deploy(environment, build)
            return lists[index].create(build_sid=build.sid)

        won, lost = split(race(THREADS, deploy))
        assert len(won) == 1, f"round {round_}: {len(won)} deployments of one build"
        assert {outcome(error) for error in lost} == {
            (409, 20409, prefix + "Environment already has requested deployment.")
        }
        winners.append(won[0].sid)
    assert [d.sid for d in lists[0].list()] == winners[::-1]
