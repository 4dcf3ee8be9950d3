"""The journal as a test reads it: filters and assertions over the calls.

Assertion helpers hide their own frames (``__tracebackhide__``) and, when
they fail, list what was actually received, oldest first, so the failure
says what happened rather than only what did not.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from itertools import pairwise
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..core.routing import Call

# Answers that end a build's polling: once read, a poller should stop.
TERMINAL = frozenset({"completed", "failed"})
STATUS_READS = frozenset({"fetch_build_status", "fetch_build"})


class CallList(list["Call"]):
    """The calls a fake answered, oldest first, with a few ways to look in."""

    dropped: int = 0

    def filter(
        self, operation: str | None = None, method: str | None = None, sid: str | None = None
    ) -> CallList:
        """The calls of ``operation``, with ``method``, about ``sid`` (any path parameter)."""
        found = CallList(
            call
            for call in self
            if (operation is None or call.operation == operation)
            and (method is None or call.request.method == method.upper())
            and (sid is None or sid in call.params.values())
        )
        found.dropped = self.dropped
        return found

    @property
    def last(self) -> Call | None:
        """The newest call, or None when there is none."""
        return self[-1] if self else None


def describe(calls: Iterable[Call], dropped: int = 0) -> str:
    lines = [_line(call) for call in calls]
    if dropped:
        lines.insert(0, f"({dropped} older calls were dropped: the journal was full)")
    if not lines:
        return "no calls at all"
    return "\n".join(lines)


def _line(call: Call) -> str:
    response = call.response
    answer = (
        f"raised {type(response.exception).__name__}"
        if response.exception is not None
        else str(response.status)
    )
    return (
        f"  {_clock(call.time)} {call.operation or '(no route)'}: "
        f"{call.request.method} {call.request.path} -> {answer}"
    )


def _clock(value: datetime | None) -> str:
    return value.strftime("%H:%M:%S.%f")[:-3] if value is not None else "--:--:--"


def assert_called(calls: CallList, operation: str, times: int | None = None) -> None:
    __tracebackhide__ = True
    made = calls.filter(operation=operation)
    if times is None and made:
        return
    if times is not None and len(made) == times:
        return
    wanted = "at least once" if times is None else f"{times} time(s)"
    raise AssertionError(
        f"expected {operation} to be called {wanted}, it was called {len(made)} time(s); "
        f"calls received:\n{describe(calls, calls.dropped)}"
    )


def assert_not_called(calls: CallList, operation: str) -> None:
    __tracebackhide__ = True
    made = calls.filter(operation=operation)
    if made:
        raise AssertionError(
            f"expected {operation} not to be called, it was called {len(made)} time(s):\n"
            f"{describe(made, calls.dropped)}"
        )


def assert_polled(
    calls: CallList,
    build_sid: str,
    every: float = 1.0,
    reason_of: Callable[[str], str | None] | None = None,
) -> None:
    """The build's status was read no faster than once per ``every`` seconds on
    the fake's clock, and not read again once it was terminal."""
    __tracebackhide__ = True
    reads = CallList(
        call
        for call in calls.filter(sid=build_sid)
        if call.operation in STATUS_READS and call.response.exception is None
    )
    if not reads:
        raise AssertionError(
            f"build {build_sid} was never polled; calls received:\n{describe(calls, calls.dropped)}"
        )
    for before, after in pairwise(reads):
        if before.time is None or after.time is None:
            continue
        gap = (after.time - before.time).total_seconds()
        if gap < every:
            raise AssertionError(
                f"build {build_sid} was polled {gap:g} s apart on the fake's clock, "
                f"faster than once per {every:g} s:\n{describe(reads, calls.dropped)}"
            )
    for index, call in enumerate(reads):
        status = _status_of(call)
        if status in TERMINAL and index != len(reads) - 1:
            reason = reason_of(build_sid) if reason_of is not None else None
            why = f" ({reason})" if status == "failed" and reason else ""
            raise AssertionError(
                f"build {build_sid} was polled again after it read {status!r}{why}:\n"
                f"{describe(reads, calls.dropped)}"
            )


def _status_of(call: Call) -> str | None:
    import json

    if call.response.status != 200:
        return None
    try:
        status = json.loads(call.response.body).get("status")
    except ValueError:
        return None
    return status if isinstance(status, str) else None
