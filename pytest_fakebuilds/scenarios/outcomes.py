"""How each build ends, when, and why.

When a build is created the planner decides its outcome (``completed`` or
``failed``, with a reason the wire never shows) and how it progresses: after
a duration on the fake's clock, after a number of status reads, or never
(a hanging build). In order, the first that applies wins:

1. the queue of ``fail_next_build``/``hang_next_build``;
2. ``fail_builds(when)`` rules, oldest first;
3. the runtime rules (``dependencies.RuntimeRules``), when they fail a build;
4. ``completed``.

Progression is per service when one was set, else the fake's default.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from ..core.records import Build, Outcome


@dataclass(frozen=True)
class Progression:
    """A build ends ``after`` a duration on the clock, or after ``after_reads``
    status reads (the first ``after_reads`` reads still see ``building``)."""

    after: timedelta | None = None
    after_reads: int | None = None

    def __post_init__(self) -> None:
        if (self.after is None) == (self.after_reads is None):
            raise ValueError("give exactly one of after= and after_reads=")
        if self.after is not None and self.after < timedelta(0):
            raise ValueError("after cannot be negative")
        if self.after_reads is not None and self.after_reads < 0:
            raise ValueError("after_reads cannot be negative")

    def to_json(self) -> dict[str, Any]:
        if self.after is not None:
            return {"after": self.after.total_seconds()}
        return {"after_reads": self.after_reads}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Progression:
        if "after" in data:
            return cls(after=timedelta(seconds=data["after"]))
        return cls(after_reads=int(data["after_reads"]))


@dataclass(eq=False)
class Rule:
    """A ``fail_builds`` rule; ``remove()`` ends it."""

    when: Callable[[Build], bool]
    reason: str | None
    matched: int = 0
    _owner: Outcomes | None = field(default=None, repr=False)

    def remove(self) -> None:
        if self._owner is not None:
            self._owner.remove_rule(self)


Pending = tuple[Literal["failed", "hang"], "str | None"]


@dataclass
class Plan:
    outcome: Outcome
    reason: str | None
    ready_at: datetime | None
    reads_left: int | None


DEFAULT_FAILURE = "the build failed (pytest-fakebuilds: fail_next_build)"
RULE_FAILURE = "the build failed (pytest-fakebuilds: a fail_builds rule matched)"


class Outcomes:
    """The outcome rules of one fake."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.pending: deque[Pending] = deque()
        self.rules: list[Rule] = []
        self.by_service: dict[str, Progression] = {}
        self.default: Progression | None = None  # None: the fake's build_duration
        self._last_later: tuple[datetime, timedelta, datetime] | None = None

    def fail_next(self, count: int, reason: str | None) -> None:
        _positive(count)
        with self._lock:
            self.pending.extend([("failed", reason)] * count)

    def hang_next(self, count: int) -> None:
        _positive(count)
        with self._lock:
            self.pending.extend([("hang", None)] * count)

    def add_rule(self, when: Callable[[Build], bool], reason: str | None) -> Rule:
        if not callable(when):
            raise TypeError("when must be a callable taking the Build")
        rule = Rule(when, reason, _owner=self)
        with self._lock:
            self.rules.append(rule)
        return rule

    def remove_rule(self, rule: Rule) -> None:
        with self._lock:
            if rule in self.rules:
                self.rules.remove(rule)

    def plan(
        self,
        build: Build,
        *,
        now: datetime,
        build_duration: timedelta,
        runtime_failure: str | None,
    ) -> Plan:
        """The outcome of a build being created (all its other fields set)."""
        with self._lock:
            queued = self.pending.popleft() if self.pending else None
            rules = list(self.rules)
        progression = self.by_service.get(build.service_sid, self.default)
        if queued is not None and queued[0] == "hang":
            return Plan("completed", None, None, None)
        if queued is not None:
            outcome: Outcome = "failed"
            reason = queued[1] or DEFAULT_FAILURE
        else:
            outcome, reason = "completed", None
            for rule in rules:
                if rule.when(build):
                    rule.matched += 1
                    outcome, reason = "failed", rule.reason or RULE_FAILURE
                    break
            else:
                if runtime_failure is not None:
                    outcome, reason = "failed", runtime_failure
        if progression is None:
            return Plan(outcome, reason, self._later(now, build_duration), None)
        if progression.after is not None:
            return Plan(outcome, reason, self._later(now, progression.after), None)
        return Plan(outcome, reason, None, progression.after_reads)

    def _later(self, now: datetime, delta: timedelta) -> datetime:
        # Builds created at one instant (time stands still in most tests)
        # share the instant they end at: one object fewer per stored build
        # for the garbage collector to visit.
        with self._lock:
            last = self._last_later
            if last is not None and last[0] is now and last[1] == delta:
                return last[2]
            later = now + delta
            self._last_later = (now, delta, later)
            return later


def _positive(count: int) -> None:
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise ValueError("count must be at least 1")
