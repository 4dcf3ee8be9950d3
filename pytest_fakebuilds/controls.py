"""A fake's scenario controls and its journal: what a test makes go wrong, and
what it can check went on. The rules themselves live in ``scenarios``."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from .core.clock import to_timedelta
from .core.errors import NotFoundError
from .core.records import Build
from .core.routing import Call, Core
from .core.store import Store
from .scenarios import journal
from .scenarios.faults import Fault, Faults, as_seconds
from .scenarios.journal import CallList
from .scenarios.outcomes import Progression, Rule
from .serverless import builds
from .serverless.backend import Backend


class ScenarioControls:
    """Mixed into :class:`FakeBuilds`; documented there."""

    _backend: Backend
    _store: Store
    _core: Core[Backend]
    _faults: Faults

    # Build outcomes ---------------------------------------------------------------

    def fail_next_build(self, count: int = 1, reason: str | None = None) -> None:
        """The next ``count`` builds created end ``failed`` instead of ``completed``.

        ``reason`` is what :meth:`failure_reason` reports; the wire never shows
        one, as Twilio's does not.
        """
        self._backend.outcomes.fail_next(count, reason)

    def hang_next_build(self, count: int = 1) -> None:
        """The next ``count`` builds created stay ``building`` for ever."""
        self._backend.outcomes.hang_next(count)

    def fail_builds(self, when: Callable[[Build], bool], reason: str | None = None) -> Rule:
        """From now on, every build created for which ``when(build)`` is true ends
        ``failed``. ``build`` is the :class:`Build` about to be stored (its
        ``service_sid``, ``runtime``, ``dependencies`` as ``(name, version)``
        tuples with the defaults, ``function_versions``, ``asset_versions``).
        Returns the rule; ``rule.remove()`` ends it."""
        return self._backend.outcomes.add_rule(when, reason)

    def failure_reason(self, build_sid: str) -> str | None:
        """Why a failed build failed; None for one that completed, or that has
        not ended yet (even one that will fail)."""
        build = self._store.builds.get(build_sid)
        if build is None:
            raise NotFoundError(f"Build {build_sid}")
        failed = build.outcome == "failed" and build.finished(self._backend.now())
        return build.failure_reason if failed else None

    def set_build_outcome(
        self,
        build_sid: str,
        outcome: str | None = None,
        *,
        reason: str | None = None,
        after: timedelta | float | None = None,
        after_reads: int | None = None,
        hang: bool = False,
    ) -> None:
        """Decide again how a build that is still building ends: its ``outcome``
        (``"completed"`` or ``"failed"``, with ``reason``), and when: ``after``
        a duration from now on the clock, after ``after_reads`` more status
        reads, or never (``hang=True``)."""
        if outcome not in (None, "completed", "failed"):
            raise ValueError("outcome must be 'completed' or 'failed'")
        if sum(x is not None and x is not False for x in (after, after_reads, hang or None)) > 1:
            raise ValueError("give at most one of after=, after_reads= and hang=True")
        if after_reads is not None and after_reads < 0:
            raise ValueError("after_reads cannot be negative")
        delay = None if after is None else to_timedelta(after)
        if delay is not None and delay < timedelta(0):
            raise ValueError("after cannot be negative")
        build = self._store.builds.get(build_sid)
        if build is None:
            raise NotFoundError(f"Build {build_sid}")
        builds.change_outcome(
            self._backend,
            build,
            outcome=outcome,  # type: ignore[arg-type]
            reason=reason,
            after=delay,
            after_reads=after_reads,
            hang=hang,
        )

    def progress_builds(
        self,
        *,
        after: timedelta | float | None = None,
        after_reads: int | None = None,
        service_sid: str | None = None,
    ) -> None:
        """How builds created from now on end: ``after`` a duration on the clock,
        or after ``after_reads`` status reads (the first that many reads see
        ``building``), for every service or only ``service_sid``. With neither,
        it goes back to :attr:`build_duration` (for that service: the default)."""
        outcomes = self._backend.outcomes
        if after is None and after_reads is None:
            progression = None
        else:
            progression = Progression(
                after=None if after is None else to_timedelta(after), after_reads=after_reads
            )
        if service_sid is None:
            outcomes.default = progression
        elif progression is None:
            outcomes.by_service.pop(service_sid, None)
        else:
            outcomes.by_service[service_sid] = progression

    # Dependencies ---------------------------------------------------------------------

    def unavailable_dependency(self, name: str, version: str | None = None) -> None:
        """A build naming this package (this version, or any when None) is refused
        at create with 400/20001 ``Some dependencies could not be validated. No
        matching version found for NAME@VERSION.``"""
        self._backend.dependency_rules.add_unavailable(name, version)

    def incompatible_dependency(self, name: str, runtime: str | None = None) -> None:
        """A build naming this package on ``runtime`` (any when None) is refused at
        create with 400/20001 ``… The node version for NAME package is incompatible.``"""
        self._backend.dependency_rules.add_incompatible(name, runtime)

    @property
    def runtime_rules(self) -> bool:
        """Whether Twilio's documented runtime rules apply (node24's runtime
        handler, retired runtimes) on the fake's clock's date."""
        return self._backend.dependency_rules.runtime_rules

    @runtime_rules.setter
    def runtime_rules(self, value: bool) -> None:
        self._backend.dependency_rules.runtime_rules = bool(value)

    # Faults ------------------------------------------------------------------------

    def fault(
        self,
        operation: str,
        *,
        status: int | None = None,
        code: int | None = None,
        message: str | None = None,
        exception: BaseException | type[BaseException] | None = None,
        latency: timedelta | float | None = None,
        retry_after: timedelta | float | None = None,
        body: bytes | str | None = None,
        times: int | None = 1,
        nth: int | None = None,
        sid: str | None = None,
        probability: float | None = None,
    ) -> Fault:
        """Make ``operation`` (an operationId in snake_case, e.g. ``fetch_build_status``)
        misbehave: for the next ``times`` calls (every call when None), or only its
        ``nth`` call, or each call with a seeded ``probability``; only calls about
        ``sid`` when given.

        The call gets a Twilio error (``status``, ``code``, ``message``; 429
        defaults to 20429 ``Too many requests``, ``retry_after`` sets
        ``Retry-After``), or a raw ``body`` (``status`` default 200: a truncated
        or non-JSON answer), or raises ``exception`` in the client (a requests
        exception class or instance), or first moves the fake's clock by
        ``latency`` seconds and then goes through. A faulted call never changes
        the store. Returns the fault; ``.remove()`` ends it, ``.hits`` counts it.
        """
        return self._faults.add(
            operation,
            status=status,
            code=code,
            message=message,
            exception=exception,
            latency=as_seconds(latency),
            retry_after=as_seconds(retry_after),
            body=body.encode() if isinstance(body, str) else body,
            times=times if nth is None and probability is None else None,
            nth=nth,
            sid=sid,
            probability=probability,
        )

    @property
    def faults(self) -> list[Fault]:
        """The faults configured and not removed, oldest first."""
        return list(self._faults.active)

    # The journal ------------------------------------------------------------------

    @property
    def calls(self) -> CallList:
        """The calls the fake answered, oldest first: the newest ``journal_size``
        of them (10,000 unless configured). ``.filter(operation=, method=, sid=)``
        and ``.last`` look in; ``.dropped`` says how many older calls were let go."""
        found = CallList(self._core.journal())
        found.dropped = self.calls_dropped
        return found

    @property
    def journal_size(self) -> int | None:
        """How many calls :attr:`calls` keeps; ``None`` keeps all. Settable: the
        newest calls stay."""
        return self._core.calls.maxlen

    @journal_size.setter
    def journal_size(self, size: int | None) -> None:
        from collections import deque

        check_journal_size(size)
        core = self._core
        core.calls = deque(core.calls, maxlen=size)

    @property
    def calls_dropped(self) -> int:
        """How many calls the journal no longer holds because it was full."""
        return self._core.calls_seen - len(self._core.calls)

    def assert_called(self, operation: str, times: int | None = None) -> None:
        """Passes when ``operation`` was called (exactly ``times`` times when given);
        otherwise an ``AssertionError`` listing the calls received."""
        __tracebackhide__ = True
        self._known(operation)
        journal.assert_called(self.calls, operation, times)

    def assert_not_called(self, operation: str) -> None:
        """Passes when ``operation`` was never called; otherwise lists its calls."""
        __tracebackhide__ = True
        self._known(operation)
        journal.assert_not_called(self.calls, operation)

    def assert_polled(self, build_sid: str, every: timedelta | float = 1.0) -> None:
        """Passes when the build's status was read no faster than once per
        ``every`` seconds on the fake's clock, and not read again once it read
        ``completed`` or ``failed``; otherwise lists the reads."""
        __tracebackhide__ = True
        journal.assert_polled(self.calls, build_sid, as_seconds(every) or 0.0, self.failure_reason)

    def _known(self, operation: str) -> None:
        # A misspelt operation would make assert_not_called pass for ever.
        if operation not in self._faults.operations:
            known = ", ".join(sorted(self._faults.operations))
            raise ValueError(f"no operation {operation!r}; the fake serves: {known}")


def check_journal_size(size: Any) -> None:
    if size is not None and (isinstance(size, bool) or not isinstance(size, int) or size < 0):
        raise ValueError(f"journal_size must be a non-negative int or None, got {size!r}")


__all__ = ["Call", "ScenarioControls"]
