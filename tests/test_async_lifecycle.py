"""async with FakeBuilds(), @FakeBuilds on coroutine functions, and the clock
rule for asyncio: under a frozen fake, asyncio.sleep advances the fake's clock."""

from __future__ import annotations

import asyncio
import inspect
import threading
from asyncio import sleep as sleep_imported_early
from datetime import datetime, timedelta, timezone

import pytest

from pytest_fakebuilds import FakeBuilds

START = datetime(2026, 1, 1, 12, 0, 0, tzinfo=timezone.utc)


# async with -------------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_async_with_starts_and_stops_the_fake() -> None:
    async with FakeBuilds(seed=1, start="2031-05-06T07:08:09Z") as fake:
        assert fake.active
        assert datetime.now(timezone.utc) == datetime(2031, 5, 6, 7, 8, 9, tzinfo=timezone.utc)
        client = fake.async_client()
        try:
            service = await client.serverless.v1.services.create_async(
                unique_name="app", friendly_name="App"
            )
        finally:
            await client.http_client.close()
        assert service.date_created == fake.now()
    assert not fake.active
    assert datetime.now(timezone.utc) != fake.now()


@pytest.mark.asyncio
async def test_async_with_stops_the_fake_when_the_block_raises() -> None:
    fake = FakeBuilds(seed=1)
    with pytest.raises(KeyError):
        async with fake:
            raise KeyError("boom")
    assert not fake.active


# The decorator on coroutine functions ----------------------------------------------------------


@pytest.mark.asyncio
async def test_a_decorated_coroutine_runs_while_the_fake_is_active() -> None:
    # The old wrapper was synchronous: it stopped the fake as soon as it had
    # made the coroutine, so the coroutine ran against no fake at all.
    fake = FakeBuilds(seed=2, start="2030-01-02T03:04:05Z")

    @fake
    async def work() -> tuple[bool, datetime, list[str]]:
        active_at_first_step = fake.active
        await asyncio.sleep(0)
        client = fake.async_client()
        try:
            await client.serverless.v1.services.create_async(unique_name="a", friendly_name="A")
            names = [s.unique_name for s in await client.serverless.v1.services.list_async()]
        finally:
            await client.http_client.close()
        return active_at_first_step and fake.active, datetime.now(timezone.utc), names

    assert inspect.iscoroutinefunction(work)
    active, now, names = await work()
    assert active
    assert now == datetime(2030, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    assert names == ["a"]
    assert not fake.active


@pytest.mark.asyncio
async def test_a_decorated_coroutine_gets_the_fake_and_keeps_its_name() -> None:
    fake = FakeBuilds(seed=3)

    @fake
    async def named_work(label: str, fake_builds: FakeBuilds) -> tuple[str, FakeBuilds, bool]:
        return label, fake_builds, fake_builds.active

    assert named_work.__name__ == "named_work"
    label, given, active = await named_work("x")  # type: ignore[call-arg]
    assert (label, given, active) == ("x", fake, True)
    assert not fake.active


@pytest.mark.asyncio
async def test_a_decorated_coroutine_that_raises_stops_the_fake() -> None:
    fake = FakeBuilds(seed=3)

    @fake
    async def failing() -> None:
        await asyncio.sleep(0)
        raise ValueError("inside")

    with pytest.raises(ValueError, match="inside"):
        await failing()
    assert not fake.active


def test_the_decorator_on_a_plain_function_stays_synchronous() -> None:
    fake = FakeBuilds(seed=3)

    @fake
    def work() -> bool:
        return fake.active

    assert not inspect.iscoroutinefunction(work)
    assert work() is True
    assert not fake.active


@pytest.mark.asyncio
@FakeBuilds(seed=9, start="2029-09-09T09:09:09Z")
async def test_decorated_async_test(fake_builds: FakeBuilds) -> None:
    # The decorator's fake, not the fixture's: the parameter receives it.
    assert fake_builds.seed == 9
    await asyncio.sleep(0)
    assert fake_builds.active
    assert datetime.now(timezone.utc) == datetime(2029, 9, 9, 9, 9, 9, tzinfo=timezone.utc)


# The clock rule ---------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_an_asyncio_sleep_poll_loop_finishes_at_once_on_the_fakes_clock(
    fake_builds: FakeBuilds,
) -> None:
    fake_builds.build_duration = timedelta(minutes=10)
    service = fake_builds.create_service(unique_name="app")
    version = fake_builds.create_function_version(service.sid, path="/hello")
    build = fake_builds.create_build(service.sid, function_versions=[version])
    started = fake_builds.now()
    client = fake_builds.async_client()
    status = client.serverless.v1.services(service.sid).builds(build.sid).build_status()

    async def poll() -> int:
        polls = 1
        while (await status.fetch_async()).status == "building":
            await asyncio.sleep(30)
            polls += 1
        return polls

    try:
        # Bounded in real time: a loop that really waited ten minutes fails here.
        polls = await asyncio.wait_for(poll(), timeout=30)
    finally:
        await client.http_client.close()
    assert polls == 21  # reads at 0, 30 s, ..., 600 s
    assert fake_builds.now() - started == timedelta(minutes=10)
    fake_builds.assert_polled(build.sid, every=30)


@pytest.mark.asyncio
async def test_asyncio_sleep_advances_by_exactly_the_delay(fake_builds: FakeBuilds) -> None:
    assert await asyncio.sleep(2.5, result="done") == "done"
    await sleep_imported_early(0.5)  # bound before the fake started: still the fake's
    await asyncio.sleep(0)
    await asyncio.sleep(-1)
    assert fake_builds.now() == START + timedelta(seconds=3)


@pytest.mark.asyncio
async def test_concurrent_sleepers_each_advance_the_clock(fake_builds: FakeBuilds) -> None:
    order: list[str] = []

    async def sleeper(name: str, delay: float) -> None:
        await asyncio.sleep(delay)
        order.append(name)

    await asyncio.gather(sleeper("long", 5), sleeper("short", 1))
    # Each coroutine's sleep moves the one clock by its own delay, as time.sleep
    # does in one thread; they wake in the order they ran, not by deadline.
    assert fake_builds.now() == START + timedelta(seconds=6)
    assert order == ["long", "short"]


@pytest.mark.asyncio
async def test_the_loops_own_time_stays_real(fake_builds: FakeBuilds) -> None:
    loop = asyncio.get_running_loop()
    before = loop.time()
    await asyncio.sleep(3600)
    assert loop.time() - before < 60  # the loop did not jump an hour
    # Timeouts run on the loop's real time: this one fires, and the clock stays.
    with pytest.raises(asyncio.TimeoutError):
        await asyncio.wait_for(asyncio.Event().wait(), timeout=0.01)
    assert fake_builds.now() == START + timedelta(hours=1)


def test_a_loop_in_another_thread_keeps_real_sleep(fake_builds: FakeBuilds) -> None:
    woke: list[bool] = []

    def worker() -> None:
        asyncio.run(asyncio.sleep(0.001))
        woke.append(True)

    thread = threading.Thread(target=worker)
    thread.start()
    thread.join(timeout=30)
    assert woke == [True]
    assert fake_builds.now() == START


def test_asyncio_sleep_is_restored_after_the_fake() -> None:
    real = asyncio.sleep
    with FakeBuilds(seed=1):
        assert asyncio.sleep is not real
    assert asyncio.sleep is real
    assert sleep_imported_early is real


@pytest.mark.asyncio
async def test_without_freeze_asyncio_sleep_is_real() -> None:
    with FakeBuilds(seed=1, freeze=False) as fake:
        await asyncio.sleep(0.001)
        assert fake.now() == START
