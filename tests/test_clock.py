"""The fake's clock, global frozen time, sleep, and their clean removal."""

from __future__ import annotations

import asyncio
import datetime as dt
import importlib
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from time import sleep as imported_sleep
from time import time as imported_time
from typing import Any

import pytest
from freezegun import freeze_time
from freezegun.api import real_date, real_datetime, real_monotonic, real_time

from pytest_fakebuilds import FakeBuilds
from pytest_fakebuilds.core.clock import DEFAULT_START

START = datetime(2026, 1, 1, 12, 0, tzinfo=timezone.utc)
# Held in a tuple, which the fake's module scan does not look into, so this
# stays the real clock while a fake is active.
REAL_TIME = (real_time,)


def assert_real_time() -> None:
    assert dt.datetime is real_datetime
    assert dt.date is real_date
    assert time.time is real_time
    assert time.monotonic is real_monotonic
    assert abs(time.time() - real_time()) < 60


def test_default_start_is_fixed(fake_builds: FakeBuilds) -> None:
    assert fake_builds.now() == START == DEFAULT_START
    assert fake_builds.now().tzinfo is not None
    assert fake_builds.now().utcoffset() == timedelta(0)


def test_global_time_follows_the_fake(fake_builds: FakeBuilds) -> None:
    fake_builds.advance(timedelta(days=1, seconds=5))
    expected = START + timedelta(days=1, seconds=5)
    assert datetime.now(timezone.utc) == expected
    assert datetime.utcnow() == expected.replace(tzinfo=None)
    assert date.today() == expected.date()
    assert time.time() == expected.timestamp()
    assert imported_time() == expected.timestamp()  # imported before the fake started
    assert time.gmtime()[:6] == expected.timetuple()[:6]


def test_advance_accepts_seconds_and_timedelta(fake_builds: FakeBuilds) -> None:
    assert fake_builds.advance(1.5) == START + timedelta(seconds=1.5)
    assert fake_builds.advance(timedelta(minutes=1)) == START + timedelta(seconds=61.5)


@pytest.mark.parametrize("bad", [-1, timedelta(seconds=-1)])
def test_advance_never_goes_back(fake_builds: FakeBuilds, bad: Any) -> None:
    with pytest.raises(ValueError, match="forward"):
        fake_builds.advance(bad)
    assert fake_builds.now() == START


@pytest.mark.parametrize("bad", ["1", None, True])
def test_advance_rejects_non_durations(fake_builds: FakeBuilds, bad: Any) -> None:
    with pytest.raises(TypeError):
        fake_builds.advance(bad)


def test_sleep_advances_instead_of_blocking(fake_builds: FakeBuilds) -> None:
    time.sleep(3)
    imported_sleep(2)  # a reference taken at import time is patched too
    assert fake_builds.now() == START + timedelta(seconds=5)


def test_negative_sleep_is_an_error_as_usual(fake_builds: FakeBuilds) -> None:
    with pytest.raises(ValueError, match="non-negative"):
        time.sleep(-1)


def test_asyncio_sleep_does_not_hang_under_frozen_time(fake_builds: FakeBuilds) -> None:
    # It advances the frozen clock, as time.sleep does (tests/test_async_clock.py).
    async def nap() -> str:
        await asyncio.sleep(0.001)
        return "awake"

    assert asyncio.run(nap()) == "awake"
    assert fake_builds.now() == START + timedelta(milliseconds=1)


def test_uuid1_follows_the_frozen_clock(fake_builds: FakeBuilds) -> None:
    # uuid1 time: 100 ns intervals since 1582-10-15
    gregorian = datetime(1582, 10, 15, tzinfo=timezone.utc)
    stamp = gregorian + timedelta(microseconds=uuid.uuid1().time // 10)
    assert abs(stamp - START) < timedelta(seconds=1)


def test_context_manager_restores_real_time() -> None:
    with FakeBuilds(seed=1, start="2030-01-02T03:04:05Z") as fake:
        assert datetime.now(timezone.utc) == datetime(2030, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
        assert fake.active
    assert not fake.active
    assert_real_time()


def test_decorator_passes_the_fake() -> None:
    seen: list[datetime] = []

    @FakeBuilds(seed=1)
    def job(fake_builds: FakeBuilds) -> None:
        time.sleep(7)
        seen.append(fake_builds.now())

    job()
    assert seen == [START + timedelta(seconds=7)]
    assert_real_time()


def test_start_twice_is_an_error() -> None:
    fake = FakeBuilds()
    with fake, pytest.raises(RuntimeError, match="already started"):
        fake.start()
    assert_real_time()


def test_freeze_false_leaves_global_time_alone() -> None:
    with FakeBuilds(freeze=False) as fake:
        assert_real_time()
        assert time.sleep is imported_sleep
        assert fake.now() == START
        fake.advance(60)
        assert fake.now() == START + timedelta(minutes=1)
        assert not fake.freezes_time


def test_nested_fakes_the_inner_clock_governs() -> None:
    with FakeBuilds(seed=1) as outer:
        with FakeBuilds(seed=2, start="2040-01-01T00:00:00Z") as inner:
            time.sleep(1)
            assert inner.now() == datetime(2040, 1, 1, 0, 0, 1, tzinfo=timezone.utc)
            assert datetime.now(timezone.utc) == inner.now()
        assert outer.now() == START
        assert datetime.now(timezone.utc) == START
    assert_real_time()


def test_works_inside_a_users_freeze_time() -> None:
    with freeze_time("2001-01-01"):
        with FakeBuilds() as fake:
            assert datetime.now(timezone.utc) == fake.now()
        assert datetime.now() == datetime(2001, 1, 1)
    assert_real_time()


def test_tests_without_the_fake_see_real_time() -> None:
    with FakeBuilds():
        pass
    assert_real_time()
    assert time.sleep is imported_sleep


@pytest.fixture
def fresh_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    name = "fakebuilds_probe_module"
    (tmp_path / f"{name}.py").write_text(
        "from datetime import datetime\nfrom time import time, sleep\n"
        "def now():\n    return datetime.now()\n"
        "def stamp():\n    return time()\n"
        "def nap(s):\n    sleep(s)\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    yield name
    sys.modules.pop(name, None)


def test_modules_imported_while_frozen_are_restored_and_refrozen(fresh_module: str) -> None:
    with FakeBuilds() as fake:
        probe = importlib.import_module(fresh_module)
        assert probe.stamp() == START.timestamp()
        probe.nap(4)
        assert fake.now() == START + timedelta(seconds=4)
    assert probe.datetime is real_datetime
    assert probe.time is real_time
    assert abs(probe.stamp() - real_time()) < 60
    with FakeBuilds(start="2031-01-01T00:00:00Z"):
        assert probe.now() == datetime(2031, 1, 1)
    assert probe.datetime is real_datetime


def test_modules_imported_between_fakes_are_frozen(fresh_module: str) -> None:
    with FakeBuilds():
        pass
    probe = importlib.import_module(fresh_module)
    assert probe.datetime is real_datetime
    with FakeBuilds():
        assert probe.stamp() == START.timestamp()
    assert probe.time is real_time


def test_survives_freezegun_being_imported_again(monkeypatch: pytest.MonkeyPatch) -> None:
    """pytester's in-process runs drop and re-import modules between runs."""
    with FakeBuilds():
        pass
    for name in [m for m in sys.modules if m.startswith("freezegun")]:
        monkeypatch.delitem(sys.modules, name)
    importlib.import_module("freezegun.api")
    with FakeBuilds():
        assert datetime.now(timezone.utc) == START
    assert abs(time.time() - real_time()) < 60


def test_a_users_freeze_time_inside_the_fake_governs_until_it_stops() -> None:
    with FakeBuilds() as fake:
        with freeze_time("2001-02-03 04:05:06"):
            assert time.time() == datetime(2001, 2, 3, 4, 5, 6, tzinfo=timezone.utc).timestamp()
            assert time.monotonic_ns() == int(time.time() * 1e9)
        assert time.time() == fake.now().timestamp()
        assert time.time_ns() == int(fake.now().timestamp() * 1e9)
        assert time.perf_counter() == time.monotonic() == time.time()
    assert_real_time()


def test_code_run_by_threading_keeps_real_time(fake_builds: FakeBuilds) -> None:
    seen: list[float] = []
    worker = threading.Thread(target=lambda: seen.append(time.time()))
    worker.start()
    worker.join()
    assert time.time() == START.timestamp()
    assert abs(seen[0] - REAL_TIME[0]()) < 60


def test_start_accepts_any_timezone_and_keeps_utc() -> None:
    plus_two = timezone(timedelta(hours=2))
    fake = FakeBuilds(start=datetime(2030, 1, 1, 14, 0, tzinfo=plus_two), freeze=False)
    assert fake.now() == datetime(2030, 1, 1, 12, 0, tzinfo=timezone.utc)
    assert fake.now().tzinfo is timezone.utc


def test_build_duration_cannot_be_negative() -> None:
    fake = FakeBuilds(freeze=False)
    with pytest.raises(ValueError, match="negative"):
        fake.build_duration = -1
    with pytest.raises(ValueError, match="negative"):
        FakeBuilds(build_duration=timedelta(seconds=-5))
    assert fake.build_duration == timedelta(seconds=10)
