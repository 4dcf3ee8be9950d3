"""``create_service()`` without a name: a free name, whoever took the others, from any thread."""

from __future__ import annotations

import sys
import threading
from base64 import b64encode
from collections.abc import Iterator
from typing import Any

import pytest
from helpers import BASE

from pytest_fakebuilds import FakeBuilds, Request

THREADS = 8
CALLS = 500
# Each thread keeps its newest few Services, so that the account stays under its
# limit of 50 while names are taken and freed all the time.
KEPT = 5


def test_a_nameless_service_never_takes_a_name_a_user_gave(
    fake_builds: FakeBuilds, client: Any
) -> None:
    # The user's names are exactly the ones a count of Services would pick.
    given = ["service-2", "service-3", "service-5"]
    for name in given:
        client.serverless.v1.services.create(unique_name=name, friendly_name=name)
    made = [fake_builds.create_service().unique_name for _ in range(3)]
    assert len(set(made)) == 3
    assert not set(made) & set(given)
    listed = [s.unique_name for s in client.serverless.v1.services.list()]
    assert sorted(listed) == sorted(given + made)


def test_a_nameless_service_after_a_delete_takes_a_free_name(
    fake_builds: FakeBuilds, client: Any
) -> None:
    first, second = (fake_builds.create_service() for _ in range(2))
    client.serverless.v1.services(first.sid).delete()
    # One Service left: "service-2" by count, which ``second`` holds.
    third = fake_builds.create_service()
    assert third.unique_name not in (second.unique_name,)
    listed = {s.unique_name for s in client.serverless.v1.services.list()}
    assert listed == {second.unique_name, third.unique_name}


@pytest.fixture
def busy_interpreter() -> Iterator[None]:
    """Threads switch as often as the interpreter lets them, so races show."""
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        yield
    finally:
        sys.setswitchinterval(interval)


def _delete(fake: FakeBuilds, sid: str) -> int:
    token = b64encode(f"{fake.account_sid}:{fake.auth_token}".encode()).decode()
    request = Request("DELETE", f"{BASE}/v1/Services/{sid}", {"Authorization": f"Basic {token}"})
    return fake.handle(request).status


@pytest.mark.usefixtures("busy_interpreter")
def test_nameless_services_from_eight_threads_all_succeed_with_free_names() -> None:
    fake = FakeBuilds(seed=6)
    start = threading.Barrier(THREADS)
    made: list[list[tuple[str, str]]] = [[] for _ in range(THREADS)]
    failures: list[BaseException] = []

    def work(slot: int) -> None:
        mine = made[slot]
        try:
            start.wait()
            for _ in range(CALLS):
                service = fake.create_service()
                mine.append((service.sid, service.unique_name))
                if len(mine) > KEPT:
                    assert _delete(fake, mine[-KEPT - 1][0]) == 204
        except BaseException as exc:
            failures.append(exc)

    workers = [threading.Thread(target=work, args=(slot,)) for slot in range(THREADS)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()

    assert failures == []
    every = [pair for mine in made for pair in mine]
    assert len(every) == THREADS * CALLS
    assert len({sid for sid, _ in every}) == THREADS * CALLS
    assert all(name.startswith("service-") for _, name in every)
    # What is left is each thread's newest few, under distinct names.
    kept = {pair for mine in made for pair in mine[-KEPT:]}
    assert len({name for _, name in kept}) == THREADS * KEPT
    with fake:
        listed = fake.client().serverless.v1.services.list()
    assert {(s.sid, s.unique_name) for s in listed} == kept
