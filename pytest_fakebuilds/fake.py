"""FakeBuilds: one fake Twilio Serverless account, its clock and its transport."""

from __future__ import annotations

import functools
import inspect
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar

from .clients import ClientFactories
from .controls import ScenarioControls, check_journal_size
from .core.clock import DEFAULT_START, to_timedelta, to_utc
from .core.errors import FakeInternalError
from .core.global_time import FrozenClock, make_clock
from .core.records import ApiKey, Dependency
from .core.routing import DEFAULT_JOURNAL_SIZE, Core
from .core.sids import SidMinter, substream
from .core.store import Store
from .core.wire import Request, Response
from .helpers import RecordHelpers
from .scenarios.dependencies import DependencyRules
from .scenarios.faults import Faults
from .scenarios.outcomes import Outcomes
from .serverless import build_router, builds
from .serverless.backend import Backend, Settings

if TYPE_CHECKING:
    from .transport import Interception

F = TypeVar("F", bound=Callable[..., Any])


class FakeBuilds(RecordHelpers, ScenarioControls, ClientFactories):
    """A fake Twilio Serverless account answering the Serverless API.

    Use it as the ``fake_builds`` fixture, as a context manager or as a
    decorator. While it is active, every ``requests`` and ``aiohttp`` call to
    ``serverless.twilio.com`` and ``serverless-upload.twilio.com`` (and their
    regional and edge forms) is answered
    from its in-memory store, other Twilio hosts are refused, and, unless
    ``freeze=False``, global time is frozen at :meth:`now`.

    :param seed: seeds SIDs and credentials; the same seed and the same calls
        give the same SIDs on every run.
    :param build_duration: how long a new build stays ``building`` (a
        ``timedelta`` or seconds).
    :param start: the clock's starting instant (aware, naive UTC, or ISO text).
    :param freeze: freeze global time at the fake's clock and turn
        ``time.sleep`` into :meth:`advance`; ``False`` leaves global time alone
        (for suites using time-machine) and the fake keeps its own clock.
    :param strict: also refuse real network access to non-Twilio hosts
        (requests a test stubs with ``responses`` still answer).
    :param default_runtime: the runtime of a build that names none, when the
        service has no completed build to inherit one from.
    :param default_dependencies: what Twilio adds to every build that does not
        name them, as JSON text or ``(name, version)`` pairs.
    :param uppercase_build_visibility: render ``visibility`` of versions
        embedded in builds as ``PUBLIC`` (as the OpenAPI examples show) rather
        than ``public`` (as Twilio's own tooling reads it).
    :param journal_size: how many calls :attr:`calls` keeps, the newest
        (10,000 by default; ``None`` keeps every one).
    :param runtime_rules: apply Twilio's documented runtime rules on the fake's
        clock's date (node24 needs ``@twilio/runtime-handler`` 2.1.2; retired
        runtimes fail or, inherited, are refused with 82007).
    :param clock_speed: with ``freeze=False``, a clock that runs by itself:
        this many fake seconds per real second (1 is real time), plus
        :meth:`advance`; None (the default) is a clock that moves only when
        told to. The standalone server uses one.
    :param all_threads: with ``freeze``, every thread sees the fake's clock
        and sleeps on it; by default only the thread that started the fake
        does, and the threads that enter :meth:`follow_clock`.
    """

    def __init__(
        self,
        *,
        seed: int = 0,
        build_duration: timedelta | float = timedelta(seconds=10),
        start: datetime | str = DEFAULT_START,
        freeze: bool = True,
        strict: bool = False,
        default_runtime: str | None = None,
        default_dependencies: str | Iterable[tuple[str, str]] | None = None,
        uppercase_build_visibility: bool = False,
        journal_size: int | None = DEFAULT_JOURNAL_SIZE,
        all_threads: bool = False,
        runtime_rules: bool = True,
        clock_speed: float | None = None,
    ) -> None:
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise TypeError(f"seed must be an int, got {seed!r}")
        check_journal_size(journal_size)
        self.seed = seed
        self.strict = strict
        settings = Settings(uppercase_build_visibility=uppercase_build_visibility)
        if default_runtime is not None:
            if default_runtime not in builds.RUNTIMES:
                raise ValueError(
                    f"default_runtime must be one of {', '.join(builds.RUNTIMES)}, "
                    f"got {default_runtime!r}"
                )
            settings.default_runtime = default_runtime
        if default_dependencies is not None:
            try:
                settings.default_dependencies = _dependencies(default_dependencies)
            except (ValueError, TypeError) as exc:
                raise ValueError(f"default_dependencies: {exc}") from None
        self._settings = settings
        self.build_duration = to_timedelta(build_duration)
        self._clock = make_clock(
            to_utc(start), freeze=freeze, all_threads=all_threads, speed=clock_speed
        )
        self._store = Store()
        self._backend = Backend(
            self._store,
            self._clock,
            SidMinter(seed),
            settings,
            domains=SidMinter(substream(seed, "domains")),
            outcomes=Outcomes(),
            dependency_rules=DependencyRules(runtime_rules=runtime_rules),
        )
        self._core = Core(
            build_router(),
            self._backend,
            SidMinter(substream(seed, "request-ids")),
            journal_size=journal_size,
            now=self._clock.now,
        )
        self._faults = Faults(
            {route.operation for route in self._core.router.routes},
            self._clock.advance,
            substream(seed, "faults"),
        )
        self._core.hooks.append(self._faults.before)
        self._transport: Interception | None = None

    # Credentials ----------------------------------------------------------------

    @property
    def account_sid(self) -> str:
        """The Account SID (``AC…``) the fake accepts as a Basic-auth user name."""
        return self._backend.account_sid

    @property
    def auth_token(self) -> str:
        """The Auth Token that goes with :attr:`account_sid`."""
        return self._backend.auth_token

    def create_api_key(self, friendly_name: str = "pytest-fakebuilds") -> ApiKey:
        """Mint an API Key (``SK…`` and secret) that authenticates like the account."""
        return self._backend.create_api_key(friendly_name)

    # Time ----------------------------------------------------------------------

    @property
    def build_duration(self) -> timedelta:
        """How long a build created from now on stays ``building``.

        Each build keeps the duration in force when it was created.
        """
        return self._settings.build_duration

    @build_duration.setter
    def build_duration(self, value: timedelta | float) -> None:
        duration = to_timedelta(value)
        if duration < timedelta(0):
            raise ValueError("build_duration cannot be negative")
        self._settings.build_duration = duration

    @property
    def freezes_time(self) -> bool:
        """Whether global time follows this fake's clock while it is active."""
        return self._clock.freezes_global_time

    def now(self) -> datetime:
        """The fake's current time, timezone-aware UTC."""
        return self._clock.now()

    @contextmanager
    def follow_clock(self) -> Iterator[None]:
        """Within this block, the calling thread sees the fake's clock too.

        Only the thread that started the fake sees frozen time and sleeps on
        the fake's clock; code in a worker thread (a ``ThreadPoolExecutor``
        task, say) keeps real time unless it runs inside this block. Nothing
        changes for a fake made with ``freeze=False``.
        """
        clock = self._clock
        if not isinstance(clock, FrozenClock):
            yield
            return
        ident = threading.get_ident()
        clock.follow(ident)
        try:
            yield
        finally:
            clock.unfollow(ident)

    def advance(self, delta: timedelta | float) -> datetime:
        """Move the clock forward by ``delta`` (a timedelta or seconds); returns :meth:`now`."""
        return self._clock.advance(delta)

    # The transport-neutral core ------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        """The whole fake as plain JSON-able data with a ``version`` key: every
        record, the clock, the seed and SID streams, pending outcomes and the
        rules and faults that can be saved (what cannot is listed under
        ``unsaved``). :meth:`from_snapshot` makes a fake in exactly that state."""
        from . import snapshot

        return snapshot.take(self)

    @classmethod
    def from_snapshot(cls, data: dict[str, Any], **options: Any) -> FakeBuilds:
        """A new, stopped fake in the state ``data`` (from :meth:`snapshot`) holds:
        after it, the same calls give the same answers and SIDs as the original
        would. ``options`` override the saved ones (``freeze``, ``strict``...)."""
        from . import snapshot

        return snapshot.restore(cls, data, dict(options))

    def handle(self, request: Request) -> Response:
        """Answer one request to the serverless host, as any transport would."""
        return self._core.handle(request)

    # Lifecycle --------------------------------------------------------------------

    @property
    def active(self) -> bool:
        return self._transport is not None

    def start(self) -> FakeBuilds:
        """Start intercepting (and freezing time, unless ``freeze=False``)."""
        if self._transport is not None:
            raise RuntimeError("this FakeBuilds is already started")
        from .transport import Interception

        transport = Interception(self._core, self.strict, self._knows)
        self._clock.activate()
        try:
            transport.start()
        except BaseException:
            self._clock.deactivate()
            raise
        self._transport = transport
        return self

    def stop(self) -> None:
        """Stop intercepting and restore time; raise if the fake failed meanwhile."""
        transport, self._transport = self._transport, None
        if transport is not None:
            try:
                transport.stop()
            finally:
                self._clock.deactivate()
        self.check()

    def _knows(self, username: str) -> bool:
        return username == self._backend.account_sid or username in self._store.api_keys

    def check(self) -> None:
        """Raise :class:`FakeInternalError` if the fake answered any request with a 500."""
        failures = self._core.internal_errors
        if failures:
            first = failures[0]
            self._core.internal_errors = []
            raise FakeInternalError(
                f"pytest-fakebuilds failed while answering {len(failures)} request(s) "
                f"and served Twilio's 500 instead; first failure: {first!r}"
            ) from first

    def __enter__(self) -> FakeBuilds:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    async def __aenter__(self) -> FakeBuilds:
        return self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __call__(self, func: F) -> F:
        """Decorate a function so it runs with this fake active.

        A parameter named ``fake_builds`` receives the fake. On a coroutine
        function (``async def``), the wrapper is a coroutine function too, and
        the fake is active while the coroutine runs, from its first step to
        its last (started in the event loop's thread, so that thread sees the
        fake's clock).
        """
        wants_fake = "fake_builds" in inspect.signature(func).parameters

        if inspect.iscoroutinefunction(func):

            @functools.wraps(func)
            async def coroutine_wrapper(*args: Any, **kwargs: Any) -> Any:
                if wants_fake:
                    kwargs["fake_builds"] = self
                async with self:
                    return await func(*args, **kwargs)

            return coroutine_wrapper  # type: ignore[return-value]

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if wants_fake:
                kwargs["fake_builds"] = self
            with self:
                return func(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    def __repr__(self) -> str:
        return f"<FakeBuilds seed={self.seed} now={self.now().isoformat()}>"


def _dependencies(value: str | Iterable[tuple[str, str]]) -> tuple[Dependency, ...]:
    if isinstance(value, str):
        return builds.parse_dependencies(value)
    return tuple(Dependency(name, version) for name, version in value)
