"""Several fakes at once: each answers its own credentials, the newest answers the
rest, and any of them can stop in any order without disturbing the others."""

from __future__ import annotations

import gc
import itertools
import threading
import weakref
from typing import Any

import pytest
import requests
from twilio.base.exceptions import TwilioRestException

from pytest_fakebuilds import FakeBuilds

# Taken at collection, when no fake is active.
ORIGINAL_GET_ADAPTER = requests.Session.get_adapter


def service_names(fake: FakeBuilds) -> list[str]:
    return [s.unique_name for s in fake.client(transport="requests").serverless.v1.services.list()]


def test_each_fake_answers_its_own_credentials() -> None:
    a = FakeBuilds(seed=1).start()
    b = FakeBuilds(seed=2).start()
    try:
        a.client(transport="requests").serverless.v1.services.create(
            unique_name="in-a", friendly_name="A"
        )
        b.client(transport="requests").serverless.v1.services.create(
            unique_name="in-b", friendly_name="B"
        )

        assert service_names(a) == ["in-a"]
        assert service_names(b) == ["in-b"]
        assert {c.request.path for c in a.calls} == {"/v1/Services"}
        assert all(c.request.basic_auth() == (a.account_sid, a.auth_token) for c in a.calls)
        assert all(c.request.basic_auth() == (b.account_sid, b.auth_token) for c in b.calls)
    finally:
        b.stop()
        a.stop()


def test_an_api_key_reaches_the_fake_that_minted_it() -> None:
    a = FakeBuilds(seed=1).start()
    b = FakeBuilds(seed=2).start()
    try:
        key = a.create_api_key()
        client = a.client(transport="requests", username=key.sid, password=key.secret)
        client.serverless.v1.services.create(unique_name="by-key", friendly_name="K")
        assert service_names(a) == ["by-key"]
        assert service_names(b) == []
    finally:
        a.stop()
        b.stop()


def test_unknown_credentials_go_to_the_newest_fake_and_get_401() -> None:
    a = FakeBuilds(seed=1).start()
    b = FakeBuilds(seed=2).start()
    try:
        stranger = a.client(transport="requests", username="AC" + "0" * 32, password="nope")
        with pytest.raises(TwilioRestException) as refused:
            stranger.serverless.v1.services("ZS" + "0" * 32).fetch()
        assert (refused.value.status, refused.value.code) == (401, 20003)
        assert len(b.calls) == 1
        assert a.calls == []
    finally:
        a.stop()
        b.stop()


@pytest.mark.parametrize("order", list(itertools.permutations(range(3))))
def test_any_stop_order_leaves_the_others_working(order: tuple[int, ...]) -> None:
    fakes = [FakeBuilds(seed=seed).start() for seed in (1, 2, 3)]
    try:
        for index, fake in enumerate(fakes):
            fake.create_service(unique_name=f"svc-{index}")
        stopped: set[int] = set()
        for index in order:
            fakes[index].stop()
            stopped.add(index)
            for other, fake in enumerate(fakes):
                if other not in stopped:
                    assert service_names(fake) == [f"svc-{other}"]
    finally:
        for fake in fakes:
            fake.stop()
    # With every fake stopped, Twilio hosts are no longer intercepted.
    assert requests.Session.get_adapter is ORIGINAL_GET_ADAPTER


def test_a_stopped_fake_is_freed_while_another_runs() -> None:
    b = FakeBuilds(seed=2)
    a = FakeBuilds(seed=1).start()
    b.start()
    try:
        a.client(transport="requests").serverless.v1.services.create(
            unique_name="in-a", friendly_name="A"
        )
        a.stop()
        gone = weakref.ref(a)
        del a
        gc.collect()
        assert gone() is None
        assert service_names(b) == []
    finally:
        b.stop()


def test_threads_reach_the_fake_whose_client_they_use() -> None:
    fakes = [FakeBuilds(seed=seed).start() for seed in (1, 2)]
    barrier = threading.Barrier(4)
    errors: list[BaseException] = []

    def work(fake: FakeBuilds, worker: int) -> None:
        try:
            client = fake.client(transport="requests")
            barrier.wait()
            for n in range(25):
                client.serverless.v1.services.create(
                    unique_name=f"w{worker}-{n}", friendly_name="x"
                )
        except BaseException as exc:  # reported below, not swallowed
            errors.append(exc)

    try:
        threads = [
            threading.Thread(target=work, args=(fakes[worker % 2], worker)) for worker in range(4)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        for index, fake in enumerate(fakes):
            names = set(service_names_all(fake))
            assert names == {f"w{w}-{n}" for w in range(index, 4, 2) for n in range(25)}
    finally:
        for fake in fakes:
            fake.stop()


def service_names_all(fake: FakeBuilds) -> list[str]:
    services: Any = fake.client(transport="requests").serverless.v1.services
    return [s.unique_name for s in services.stream(page_size=1000)]
