"""Which code sees the fake's clock: the thread that started the fake, threads
that opt in, and nothing else; the ignore list matches whole module names."""

from __future__ import annotations

import threading
import time
import types
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from typing import Any

import freezegun
import pytest

import pytest_fakebuilds.core.global_time as clock_module
from pytest_fakebuilds import FakeBuilds
from pytest_fakebuilds.core.clock import DEFAULT_START

FROZEN = DEFAULT_START.timestamp()


@pytest.fixture
def real_sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Records the real sleeps the fake lets through, instead of sleeping."""
    slept: list[float] = []
    monkeypatch.setattr(clock_module, "_real_sleep", slept.append)
    return slept


def deep(levels: int, action: Callable[[], Any]) -> Any:
    """``action`` called ``levels`` frames below here."""
    return action() if levels == 0 else deep(levels - 1, action)


def in_worker(action: Callable[[], Any]) -> Any:
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(action).result()


def test_the_starting_thread_sees_the_fake_clock(
    fake_builds: FakeBuilds, real_sleeps: list[float]
) -> None:
    assert time.time() == FROZEN
    assert datetime.now(timezone.utc) == DEFAULT_START
    deep(4, lambda: time.sleep(30))
    assert fake_builds.now().timestamp() == FROZEN + 30
    assert real_sleeps == []


@pytest.mark.parametrize("levels", [0, 2, 4, 8])
def test_a_worker_thread_keeps_real_time_at_any_depth(
    fake_builds: FakeBuilds, real_sleeps: list[float], levels: int
) -> None:
    before = time.time()
    seen = in_worker(lambda: deep(levels, time.time))
    assert seen != FROZEN
    assert abs(seen - datetime.now().timestamp()) > 3600  # a real date, not 2026-01-01
    assert before == FROZEN

    in_worker(lambda: deep(levels, lambda: time.sleep(30)))
    assert real_sleeps == [30]
    assert fake_builds.now() == DEFAULT_START


def test_a_worker_reads_real_datetimes(fake_builds: FakeBuilds) -> None:
    seen = in_worker(lambda: datetime.now(timezone.utc))
    assert seen != DEFAULT_START
    assert in_worker(lambda: time.gmtime()) != time.gmtime()


def test_a_worker_can_follow_the_clock(fake_builds: FakeBuilds, real_sleeps: list[float]) -> None:
    def follow() -> tuple[float, datetime]:
        with fake_builds.follow_clock():
            deep(3, lambda: time.sleep(30))
            return time.time(), datetime.now(timezone.utc)

    stamp, now = in_worker(follow)
    assert stamp == FROZEN + 30
    assert now == fake_builds.now()
    assert real_sleeps == []
    # Outside the block the same worker thread is back on real time.
    assert in_worker(time.time) != fake_builds.now().timestamp()


@pytest.mark.fake_builds(all_threads=True)
def test_all_threads_when_asked(fake_builds: FakeBuilds, real_sleeps: list[float]) -> None:
    assert in_worker(time.time) == FROZEN
    in_worker(lambda: time.sleep(5))
    assert fake_builds.now().timestamp() == FROZEN + 5
    assert real_sleeps == []


def test_a_fake_started_in_another_thread_leaves_this_one_alone(
    fake_builds: FakeBuilds,
) -> None:
    other = FakeBuilds(seed=2, start="2030-01-01T00:00:00Z")
    started = threading.Event()
    finish = threading.Event()
    seen: list[float] = []

    def run() -> None:
        with other:
            seen.append(time.time())
            started.set()
            finish.wait()

    thread = threading.Thread(target=run)
    thread.start()
    try:
        assert started.wait(timeout=10)
        assert time.time() == FROZEN  # this thread still follows fake_builds
        assert seen == [datetime(2030, 1, 1, tzinfo=timezone.utc).timestamp()]
    finally:
        finish.set()
        thread.join()


def test_nested_fakes_in_one_thread_the_newest_governs(fake_builds: FakeBuilds) -> None:
    with FakeBuilds(seed=2, start="2030-01-01T00:00:00Z"):
        assert datetime.now(timezone.utc) == datetime(2030, 1, 1, tzinfo=timezone.utc)
    assert time.time() == FROZEN


# The ignore list ----------------------------------------------------------------


def module_named(name: str) -> Any:
    """A module whose functions read and sleep on the clock from ``name``."""
    module = types.ModuleType(name)
    exec(
        "import time\n"
        "def now():\n    return time.time()\n"
        "def nap(seconds):\n    time.sleep(seconds)\n",
        module.__dict__,
    )
    return module


@pytest.mark.parametrize("name", ["github_deploy", "queue_worker", "threadingx", "selenium2"])
def test_names_that_merely_start_like_ignored_modules_are_frozen(
    fake_builds: FakeBuilds, real_sleeps: list[float], name: str
) -> None:
    module = module_named(name)
    assert module.now() == FROZEN
    module.nap(1)
    assert fake_builds.now().timestamp() == FROZEN + 1
    assert real_sleeps == []


@pytest.mark.parametrize("name", ["gi", "gi.repository", "queue", "selenium.webdriver"])
def test_ignored_modules_and_their_submodules_keep_real_time(
    fake_builds: FakeBuilds, real_sleeps: list[float], name: str
) -> None:
    module = module_named(name)
    assert module.now() != FROZEN
    module.nap(1)
    assert real_sleeps == [1]
    assert fake_builds.now() == DEFAULT_START


def test_configure_after_a_first_fake_takes_effect_at_the_next(
    real_sleeps: list[float],
) -> None:
    with FakeBuilds(seed=1):
        assert module_named("my_realtime_lib.poll").now() == FROZEN
    original = list(freezegun.config.settings.default_ignore_list)
    freezegun.configure(extend_ignore_list=["my_realtime_lib"])
    try:
        with FakeBuilds(seed=1):
            assert module_named("my_realtime_lib.poll").now() != FROZEN
            assert module_named("my_realtime_libx").now() == FROZEN
    finally:
        freezegun.configure(default_ignore_list=original)
    with FakeBuilds(seed=1):
        assert module_named("my_realtime_lib.poll").now() == FROZEN


# In a tuple: the fake patches module attributes that hold the real sleep.
_SLEEP_AT_IMPORT = (time.sleep,)


def test_a_fake_leaves_the_real_sleep_in_place_whatever_sleep_it_passes_to(
    real_sleeps: list[float],
) -> None:
    # real_sleeps replaces the sleep the fake passes ignored callers to; the
    # fake must still restore time.sleep itself, even when this is the first
    # fake of the process (once, it restored the replacement instead).
    with FakeBuilds(seed=1):
        assert time.sleep is not _SLEEP_AT_IMPORT[0]
    assert time.sleep is _SLEEP_AT_IMPORT[0]
