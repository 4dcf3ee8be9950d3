"""Global time that follows a fake's clock: the FrozenClock and its patch.

A :class:`FrozenClock` is a ManualClock that, while active, also freezes
global time (``datetime``, ``time.time``, ``time.monotonic``...) at its
instant with freezegun's fakes (and faster ones of its own for the hot clock
reads) and turns ``time.sleep`` into ``advance``, and ``asyncio.sleep`` into
``advance`` plus one turn of the event loop (whose own time stays real).

Why not ``freezegun.freeze_time(...).start()`` per test: its start scans every
attribute of every loaded module for references to the real time functions,
about 10 ms with the ~600 modules of a typical suite, on every start.
:class:`_GlobalPatch` does the same patching with freezegun's own fake
objects and stacks, but remembers which module attributes it patched, so that
later activations re-apply that list and scan only modules imported since.
Between activations everything is restored, so tests that do not use the fake
see real, unpatched time.
"""

from __future__ import annotations

import asyncio
import sys
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from importlib import import_module
from threading import get_ident
from types import ModuleType
from typing import Any

from .clock import ManualClock, RealtimeClock
from .real_time_rule import BASE_IGNORE, IgnoreMemo, ignored_caller, normalised

# Modules whose own references to the time functions are never patched: the
# test runner's timing and I/O, the fake itself, and freezegun.
_SCAN_SKIP: tuple[str, ...] = (
    "_pytest",
    "pytest_fakebuilds",
    "pluggy",
    "execnet",
    "xdist",
    "freezegun",
)
# The real sleep, as the module found it; _real_sleep is what a passing-through
# sleep calls, and stays replaceable on its own.
_ORIGINAL_SLEEP = time.sleep
_ORIGINAL_ASYNCIO_SLEEP = asyncio.sleep
_real_sleep = _ORIGINAL_SLEEP
_real_monotonic_at_import = time.monotonic


def real_monotonic() -> float:
    """The real monotonic clock, even while a fake freezes time in this process."""
    if _GLOBAL._api is not None:
        return _GLOBAL._api.real_monotonic()  # type: ignore[no-any-return]
    return _real_monotonic_at_import()


class FrozenClock(ManualClock):
    """A ManualClock that global time and ``time.sleep`` follow while active,
    in the thread that activated it and the threads that follow it.

    Other threads keep real time and really sleep: a worker thread's timeout
    or back-off behaves as in production, and a predictable rule beats
    guessing from the call stack which code "belongs" to the test.
    """

    freezes_global_time = True

    def __init__(self, start: datetime, *, all_threads: bool = False) -> None:
        super().__init__(start)
        self.all_threads = all_threads
        # Thread idents that follow this clock, with how many times each
        # entered (a thread may follow from nested scopes).
        self._threads: dict[int, int] = {}

    def follows(self, ident: int) -> bool:
        return self.all_threads or ident in self._threads

    def follow(self, ident: int) -> None:
        with self._lock:
            self._threads[ident] = self._threads.get(ident, 0) + 1

    def unfollow(self, ident: int) -> None:
        with self._lock:
            count = self._threads.get(ident, 0) - 1
            if count > 0:
                self._threads[ident] = count
            else:
                self._threads.pop(ident, None)

    def activate(self) -> None:
        self.follow(threading.get_ident())
        _GLOBAL.push(self)

    def deactivate(self) -> None:
        _GLOBAL.pop(self)
        with self._lock:
            self._threads.clear()

    def __call__(self) -> datetime:
        # freezegun's fakes (datetime.now(), date.today(), time.gmtime()...)
        # ask the factory on top of its stack; it answers for the calling
        # thread: the newest clock that thread follows, or real time.
        clock = _GLOBAL.clock_for_this_thread()
        if clock is None:
            return _GLOBAL.real_utcnow()
        return clock._now.replace(tzinfo=None)


def _fake_sleep(seconds: float) -> None:
    clock = _GLOBAL.clock_for_this_thread()
    if clock is None or ignored_caller(_GLOBAL.ignore_memo):
        _real_sleep(seconds)
        return
    if seconds < 0:
        raise ValueError("sleep length must be non-negative")
    clock.advance(seconds)


async def _fake_asyncio_sleep(delay: float, result: Any = None) -> Any:
    """``asyncio.sleep`` under a frozen clock: advance it by ``delay``, then
    yield to the event loop once, as ``asyncio.sleep(0)`` does.

    The loop's own time stays real (``loop.time()``, ``call_later``, timeouts),
    so nothing the loop waits for is skipped and the loop never hangs; only
    the coroutine that sleeps skips its wait, as ``time.sleep`` does.
    """
    clock = _GLOBAL.clock_for_this_thread()
    if clock is None or delay <= 0 or ignored_caller(_GLOBAL.ignore_memo):
        return await _ORIGINAL_ASYNCIO_SLEEP(delay, result)
    clock.advance(delay)
    return await _ORIGINAL_ASYNCIO_SLEEP(0, result)


def _fast_fake(api: Any, name: str) -> Callable[[], Any]:
    """A faster stand-in for freezegun's ``fake_<name>`` (time, monotonic, ...).

    freezegun's own converts the frozen datetime and walks five frames on
    every call, and requests reads the clock six times per request. This one
    reads the timestamp the clock keeps and remembers which module names are
    ignored; when a freeze_time of the test's own sits on top of the fake,
    it hands over to freezegun's function, which then governs.
    """
    real = getattr(api, f"real_{name}")
    slow = getattr(api, f"fake_{name}")
    factories = api.freeze_factories
    nanoseconds = name.endswith("_ns")

    def fake() -> Any:
        if not factories:
            return real()
        top = factories[-1]
        if top.__class__ is not FrozenClock:
            return slow()
        clock = top if top.follows(get_ident()) else _GLOBAL.clock_for_this_thread()
        if clock is None or ignored_caller(_GLOBAL.ignore_memo):
            return real()
        stamp: float = clock._timestamp
        return int(stamp * 1_000_000_000) if nanoseconds else stamp

    fake.__name__ = fake.__qualname__ = f"fake_{name}"
    return fake


def _should_use_real_time() -> bool:
    # Frame 0 is this function, 1 freezegun's fake, 2 its caller.
    api = _GLOBAL._api
    factories = api.freeze_factories
    if not factories:
        return True
    if factories[-1].__class__ is FrozenClock:
        return _GLOBAL.clock_for_this_thread() is None or ignored_caller(_GLOBAL.ignore_memo, 3)
    # A freeze_time of the test's own governs, by freezegun's own rule.
    ignore = api.ignore_lists[-1] if api.ignore_lists else ()
    if not ignore:
        return False
    frame = sys._getframe(2)
    for _ in range(api.call_stack_inspection_limit):
        name = frame.f_globals.get("__name__")
        if name and name.startswith(ignore):
            return True
        back = frame.f_back
        if back is None:
            break
        frame = back
    return False


def _real_loop_time(loop: object) -> float:
    return _GLOBAL.real_monotonic()


class _GlobalPatch:
    """Applies and removes the global time patch, caching the module scan."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._clocks: list[FrozenClock] = []
        self._owned = False
        self._reals: dict[int, Any] = {}
        self._fakes: dict[int, Any] = {}
        self._module_patches: list[tuple[ModuleType, str, Any, Any]] = []
        self._scanned: dict[str, int] = {}
        self._core: list[tuple[Any, str, Any, Any]] = []
        self._uuid_saved: dict[str, Any] = {}
        self.ignore_memo: IgnoreMemo = (BASE_IGNORE, {})
        self._loop_time: tuple[Any, Any] | None = None
        self.real_monotonic: Callable[[], float] = time.monotonic
        self._should_use_real_time: Callable[[], bool] = bool
        self._api: Any = None
        self._snapshot: dict[str, Any] = {}

    def top(self) -> FrozenClock | None:
        clocks = self._clocks
        return clocks[-1] if clocks else None

    def clock_for_this_thread(self) -> FrozenClock | None:
        """The newest active clock the calling thread follows, if any."""
        ident = get_ident()
        for clock in reversed(self._clocks):
            if clock.follows(ident):
                return clock
        return None

    def real_utcnow(self) -> datetime:
        return self._api.real_datetime.now(timezone.utc).replace(tzinfo=None)  # type: ignore[no-any-return]

    def push(self, clock: FrozenClock) -> None:
        with self._lock:
            if self._api is None:
                self._prepare(import_module("freezegun.api"))
            self._read_ignore_list()
            # The stacks of the module whose fakes were installed, even if
            # freezegun has since been re-imported (pytester drops modules).
            # They are typed for freezegun's own factories; ours is any
            # callable returning naive UTC, which is all freezegun calls on it.
            api = self._api
            self._clocks.append(clock)
            own = not api.freeze_factories
            api.freeze_factories.append(clock)
            api.tz_offsets.append(timedelta(0))
            api.ignore_lists.append(self.ignore_memo[0])
            api.tick_flags.append(False)
            if own:
                self._apply(api)
                self._owned = True

    def pop(self, clock: FrozenClock) -> None:
        with self._lock:
            api = self._api
            if api is None or clock not in self._clocks:
                return
            self._clocks.remove(clock)
            for index in range(len(api.freeze_factories) - 1, -1, -1):
                if api.freeze_factories[index] is clock:
                    del api.freeze_factories[index]
                    del api.tz_offsets[index]
                    del api.ignore_lists[index]
                    del api.tick_flags[index]
                    break
            if self._owned and not api.freeze_factories:
                self._restore(api)
                self._owned = False

    def _prepare(self, api: Any) -> None:
        import datetime as datetime_module

        self._api = api
        self.real_monotonic = api.real_monotonic

        pairs: list[tuple[Any, str, Any, Any]] = [
            (datetime_module, "datetime", api.real_datetime, api.FakeDatetime),
            (datetime_module, "date", api.real_date, api.FakeDate),
            (time, "time", api.real_time, _fast_fake(api, "time")),
            (time, "monotonic", api.real_monotonic, _fast_fake(api, "monotonic")),
            (time, "perf_counter", api.real_perf_counter, _fast_fake(api, "perf_counter")),
            (time, "localtime", api.real_localtime, api.fake_localtime),
            (time, "gmtime", api.real_gmtime, api.fake_gmtime),
            (time, "strftime", api.real_strftime, api.fake_strftime),
            (time, "sleep", _ORIGINAL_SLEEP, _fake_sleep),
            (asyncio, "sleep", _ORIGINAL_ASYNCIO_SLEEP, _fake_asyncio_sleep),
        ]
        for name in ("time_ns", "monotonic_ns", "perf_counter_ns"):
            if hasattr(api, f"fake_{name}"):
                pairs.append((time, name, getattr(api, f"real_{name}"), _fast_fake(api, name)))
        self._core = pairs
        self._reals = {id(fake): real for _, _, real, fake in pairs}
        self._fakes = {id(real): fake for _, _, real, fake in pairs}

    def _read_ignore_list(self) -> None:
        # Read at every activation, so freezegun.configure(extend_ignore_list=...)
        # takes effect from the next fake on, whenever it is called.
        from freezegun import config

        ignore = normalised((*config.settings.default_ignore_list, *BASE_IGNORE))
        if ignore != self.ignore_memo[0]:
            self.ignore_memo = (ignore, {})

    def _apply(self, api: Any) -> None:
        import copyreg
        import uuid

        for owner, name, _real, fake in self._core:
            setattr(owner, name, fake)
        # freezegun's own fakes (localtime, gmtime, strftime) ask it whether
        # to use real time; under one of our clocks, our rule answers.
        self._should_use_real_time = api._should_use_real_time
        api._should_use_real_time = _should_use_real_time
        copyreg.dispatch_table[api.real_datetime] = api.pickle_fake_datetime
        copyreg.dispatch_table[api.real_date] = api.pickle_fake_date
        # uuid1() must not read the real clock through the C library either.
        self._uuid_saved = {
            name: getattr(uuid, name)
            for name in (getattr(api, "uuid_generate_time_attr", None), "_UuidCreate")
            if name and hasattr(uuid, name)
        }
        for name in self._uuid_saved:
            setattr(uuid, name, None)
        uuid._last_timestamp = None  # type: ignore[attr-defined]

        for module, name, real, fake in self._module_patches:
            if module.__dict__.get(name) is real:
                setattr(module, name, fake)
        self._scan_new(self._fakes)
        # asyncio's loops schedule on time.monotonic(): left frozen, every
        # asyncio.sleep() would wait forever (freezegun's real_asyncio).
        base_events = sys.modules.get("asyncio.base_events")
        if base_events is not None:
            loop = base_events.BaseEventLoop
            self._loop_time = (loop, loop.__dict__["time"])
            loop.time = _real_loop_time

    def _restore(self, api: Any) -> None:
        import copyreg
        import uuid

        # Modules imported while time was frozen hold fakes; patch them back
        # and remember them for the next activation.
        self._scan_new(self._reals)
        for module, name, real, fake in self._module_patches:
            if module.__dict__.get(name) is fake:
                setattr(module, name, real)
        for owner, name, real, _fake in self._core:
            setattr(owner, name, real)
        api._should_use_real_time = self._should_use_real_time
        if self._loop_time is not None:
            loop, original = self._loop_time
            loop.time = original
            self._loop_time = None
        copyreg.dispatch_table.pop(api.real_datetime, None)
        copyreg.dispatch_table.pop(api.real_date, None)
        for name, value in self._uuid_saved.items():
            setattr(uuid, name, value)
        uuid._last_timestamp = None  # type: ignore[attr-defined]

    def _scan_new(self, mapping: dict[int, Any]) -> None:
        """Scan modules not seen before, recording and applying patch points."""
        modules = sys.modules
        if modules == self._snapshot:  # compared in C: the common case costs ~5 µs
            return
        for name, module in list(modules.items()):
            if module is None or self._scanned.get(name) == id(module):
                continue
            self._scanned[name] = id(module)
            if (
                not isinstance(module, ModuleType)
                or name.startswith(_SCAN_SKIP)
                or name in ("time", "datetime", __name__)
            ):
                continue
            try:
                items = list(vars(module).items())
            except TypeError:
                continue
            for attr, value in items:
                replacement = mapping.get(id(value))
                if replacement is None:
                    continue
                if mapping is self._fakes:
                    real, fake = value, replacement
                else:
                    real, fake = replacement, value
                self._module_patches.append((module, attr, real, fake))
                setattr(module, attr, replacement)
        self._snapshot = dict(modules)


_GLOBAL = _GlobalPatch()


def make_clock(
    start: datetime,
    *,
    freeze: bool,
    all_threads: bool = False,
    speed: float | None = None,
) -> ManualClock:
    if speed is not None:
        if freeze:
            raise ValueError("a running clock (clock_speed) needs freeze=False")
        return RealtimeClock(start, speed=speed, monotonic=real_monotonic)
    return FrozenClock(start, all_threads=all_threads) if freeze else ManualClock(start)
