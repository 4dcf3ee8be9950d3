"""The clocks a fake reads.

:class:`ManualClock` is the fake's own notion of time and nothing else: it
serves the dates and drives build status, and moves only when told to.
:class:`RealtimeClock` runs by itself, for a fake that serves other
processes. The clock that also freezes the process's global time,
``FrozenClock``, lives with the machinery that does it, in
:mod:`pytest_fakebuilds.core.global_time`, and so does ``make_clock``, which
picks one of the three for a fake.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone

DEFAULT_START = datetime(2026, 1, 1, 12, 0, 0, tzinfo=timezone.utc)
# The real monotonic clock as this module found it; make_clock (in
# global_time) hands a running clock the one that stays real while a fake
# freezes time.
_MONOTONIC_AT_IMPORT = time.monotonic


def to_utc(value: datetime | str) -> datetime:
    """Accept an aware or naive (taken as UTC) datetime, or an ISO string."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


def to_timedelta(value: timedelta | float) -> timedelta:
    if isinstance(value, timedelta):
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"expected a timedelta or a number of seconds, got {value!r}")
    return timedelta(seconds=value)


class ManualClock:
    """The fake's own time; it moves only when told to."""

    freezes_global_time = False

    def __init__(self, start: datetime) -> None:
        self._lock = threading.Lock()
        self._now = to_utc(start)
        self._timestamp = self._now.timestamp()

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta | float) -> datetime:
        step = to_timedelta(delta)
        if step < timedelta(0):
            raise ValueError("the clock only moves forward")
        with self._lock:
            self._now = self._now + step
            self._timestamp = self._now.timestamp()
            return self._now

    def activate(self) -> None:
        """Nothing global to do: this clock touches no global state."""

    def deactivate(self) -> None:
        """Nothing global to undo."""

    def __call__(self) -> datetime:
        # freezegun's stack calls the factory on top for the frozen instant,
        # naive UTC, so the clock itself can sit on that stack.
        return self._now.replace(tzinfo=None)


class RealtimeClock(ManualClock):
    """The fake's own time, running: ``speed`` seconds of fake time per real
    second (1 by default), plus whatever :meth:`advance` added.

    For a fake that serves other processes: a server cannot freeze the
    process's time, so its clock moves by itself, read from the real monotonic
    clock (``monotonic``) whatever a test in the same process has frozen.
    """

    def __init__(
        self,
        start: datetime,
        *,
        speed: float = 1.0,
        monotonic: Callable[[], float] = _MONOTONIC_AT_IMPORT,
    ) -> None:
        if speed < 0:
            raise ValueError("clock speed cannot be negative")
        super().__init__(start)
        self.speed = speed
        self._monotonic = monotonic
        self._base = self._now
        self._started = monotonic()
        self._offset = 0.0

    def now(self) -> datetime:
        elapsed = (self._monotonic() - self._started) * self.speed + self._offset
        return self._base + timedelta(seconds=elapsed)

    def advance(self, delta: timedelta | float) -> datetime:
        step = to_timedelta(delta)
        if step < timedelta(0):
            raise ValueError("the clock only moves forward")
        with self._lock:
            self._offset += step.total_seconds()
        return self.now()

    def __call__(self) -> datetime:
        return self.now().replace(tzinfo=None)
