"""FakeBuilds: one fake Twilio Serverless account, its clock and its transport."""

from __future__ import annotations

import functools
import inspect
import json
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar

from .core import clock as clock_module
from .core.clock import DEFAULT_START, to_timedelta, to_utc
from .core.errors import FakeInternalError, NotFoundError
from .core.records import (
    ApiKey,
    Asset,
    AssetVersion,
    Build,
    CodeResource,
    Dependency,
    Deployment,
    Environment,
    Function,
    FunctionVersion,
    Log,
    Record,
    Service,
    Variable,
)
from .core.routing import DEFAULT_JOURNAL_SIZE, Call, Core
from .core.sids import SidMinter, substream
from .core.store import Store
from .core.wire import Request, Response
from .serverless import (
    build_router,
    builds,
    deployments,
    environments,
    functions,
    logs,
    services,
    variables,
    versions,
)
from .serverless.backend import Backend, Settings

if TYPE_CHECKING:
    from twilio.rest import Client

    from .transport import Interception

F = TypeVar("F", bound=Callable[..., Any])


class FakeBuilds:
    """A fake Twilio Serverless account answering the Serverless API.

    Use it as the ``fake_builds`` fixture, as a context manager or as a
    decorator. While it is active, every ``requests`` call to
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
    ) -> None:
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise TypeError(f"seed must be an int, got {seed!r}")
        if journal_size is not None and (
            isinstance(journal_size, bool) or not isinstance(journal_size, int) or journal_size < 0
        ):
            raise ValueError(
                f"journal_size must be a non-negative int or None, got {journal_size!r}"
            )
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
        self._clock = clock_module.make_clock(to_utc(start), freeze=freeze, all_threads=all_threads)
        self._store = Store()
        self._backend = Backend(
            self._store,
            self._clock,
            SidMinter(seed),
            settings,
            domains=SidMinter(substream(seed, "domains")),
        )
        self._core = Core(
            build_router(),
            self._backend,
            SidMinter(substream(seed, "request-ids")),
            journal_size=journal_size,
        )
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

    def client(self, **kwargs: Any) -> Client:
        """A ``twilio.rest.Client`` with the fake's credentials.

        ``kwargs`` go to the Client (``region=``, ``edge=``, ...);
        ``username``/``password`` override the credentials, e.g. with an API key.
        """
        try:
            from twilio.rest import Client
        except ImportError as exc:  # pragma: no cover - depends on the install
            raise ImportError(
                "FakeBuilds.client() needs the twilio package: "
                "pip install 'pytest-fakebuilds[twilio]'"
            ) from exc
        username = kwargs.pop("username", self.account_sid)
        password = kwargs.pop("password", self.auth_token)
        kwargs.setdefault("account_sid", self.account_sid)
        return Client(username, password, **kwargs)

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
        if not isinstance(clock, clock_module.FrozenClock):
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

    # Outcomes -------------------------------------------------------------------

    def fail_next_build(self, count: int = 1) -> None:
        """Make the next ``count`` builds created end ``failed`` instead of ``completed``."""
        if count < 1:
            raise ValueError("count must be at least 1")
        self._settings.pending_outcomes.extend(["failed"] * count)

    # Records ---------------------------------------------------------------------
    #
    # Every helper goes through the same rules as the HTTP side and raises what
    # the API would answer as a Python exception: an InvalidParameterError or
    # ConflictError (both ValueErrors) or a NotFoundError (a LookupError).

    def create_service(
        self,
        unique_name: str | None = None,
        friendly_name: str | None = None,
        *,
        include_credentials: bool = True,
        ui_editable: bool = False,
    ) -> Service:
        """Add a Service (``ZS…``); without a name, the first free ``service-N``."""
        backend = self._backend
        with self._store.atomic():
            name = unique_name if unique_name is not None else services.free_unique_name(backend)
            return services.create(
                backend,
                unique_name=name,
                friendly_name=friendly_name or name,
                include_credentials=include_credentials,
                ui_editable=ui_editable,
            )

    def create_environment(
        self,
        service_sid: str | Service,
        unique_name: str | None = None,
        domain_suffix: str | None = None,
    ) -> Environment:
        """Add an Environment (``ZE…``). Without a name it is named as Twilio's
        deploy toolkit names it: ``{domain_suffix}-environment``, or ``production``."""
        if unique_name is None:
            unique_name = f"{domain_suffix}-environment" if domain_suffix else "production"
        return environments.create(
            self._backend,
            services.get(self._backend, _sid(service_sid)),
            unique_name=unique_name,
            domain_suffix=domain_suffix,
        )

    def create_function(self, service_sid: str | Service, friendly_name: str) -> Function:
        """Add a Function (``ZH…``) with no versions yet."""
        service = services.get(self._backend, _sid(service_sid))
        return functions.create(
            self._backend, functions.FUNCTIONS, service, friendly_name=friendly_name
        )

    def create_asset(self, service_sid: str | Service, friendly_name: str) -> Asset:
        """Add an Asset (``ZH…``) with no versions yet."""
        service = services.get(self._backend, _sid(service_sid))
        return functions.create(
            self._backend, functions.ASSETS, service, friendly_name=friendly_name
        )

    def create_function_version(
        self,
        service_sid: str | Service,
        path: str,
        visibility: str = "public",
        content: str | bytes = (
            "exports.handler = (context, event, callback) => callback(null, {});\n"
        ),
        *,
        function_sid: str | Function | None = None,
    ) -> FunctionVersion:
        """Upload a Function Version (``ZN…``), as the upload host would.

        Into ``function_sid``, or else into a new Function (``ZH…``) named after
        the path, as Twilio's deploy toolkit names them.
        """
        return self._upload(
            functions.FUNCTIONS, service_sid, path, visibility, content, function_sid
        )

    def create_asset_version(
        self,
        service_sid: str | Service,
        path: str,
        visibility: str = "public",
        content: str | bytes = b"",
        *,
        asset_sid: str | Asset | None = None,
    ) -> AssetVersion:
        """Upload an Asset Version (``ZN…``); into ``asset_sid``, or a new Asset (``ZH…``)."""
        return self._upload(functions.ASSETS, service_sid, path, visibility, content, asset_sid)

    def _upload(
        self,
        kind: functions.Kind[functions.C, functions.V],
        service: str | Service,
        path: str,
        visibility: str,
        content: str | bytes,
        parent: str | CodeResource | None,
    ) -> functions.V:
        data = content.encode("utf-8") if isinstance(content, str) else content
        backend = self._backend
        checked_path, _, _ = versions.check(kind, path=path, visibility_=visibility, content=data)
        with self._store.atomic():
            if parent is None:
                found = services.get(backend, _sid(service))
                into = functions.create(backend, kind, found, friendly_name=checked_path)
            else:
                into = functions.get(backend, kind, _sid(service), _sid(parent))
            return versions.create(
                backend, kind, into, path=path, visibility_=visibility, content=data
            )

    def create_build(
        self,
        service_sid: str | Service,
        function_versions: Iterable[str | FunctionVersion] = (),
        asset_versions: Iterable[str | AssetVersion] = (),
        *,
        dependencies: str | Iterable[tuple[str, str]] | None = None,
        runtime: str | None = None,
    ) -> Build:
        """Create a Build (``ZB…``) of these versions, as ``POST …/Builds`` would."""
        if dependencies is not None and not isinstance(dependencies, str):
            dependencies = json.dumps([{"name": n, "version": v} for n, v in dependencies])
        return builds.create(
            self._backend,
            services.get(self._backend, _sid(service_sid)),
            function_version_sids=[_sid(v) for v in function_versions],
            asset_version_sids=[_sid(v) for v in asset_versions],
            dependencies=dependencies,
            runtime=runtime,
        )

    def deploy(
        self, environment_sid: str | Environment, build_sid: str | Build | None = None
    ) -> Deployment:
        """Make a completed build live on an environment (a Deployment, ``ZD…``);
        without a build, take the environment's live build down."""
        environment = self._environment(environment_sid)
        return deployments.create(
            self._backend, environment, build_sid=None if build_sid is None else _sid(build_sid)
        )

    def set_variable(self, environment_sid: str | Environment, key: str, value: str) -> Variable:
        """Set an environment's Variable (``ZV…``): update the one with ``key``, or create it."""
        backend = self._backend
        environment = self._environment(environment_sid)
        with self._store.atomic():
            existing = variables.by_key(backend, environment, key)
            if existing is not None:
                return variables.update(backend, existing, value=value)
            return variables.create(backend, environment, key=key, value=value)

    def add_log(
        self,
        environment_sid: str | Environment,
        message: str,
        *,
        level: str = "info",
        function_sid: str | Function | None = None,
        date_created: datetime | str | None = None,
    ) -> Log:
        """Add a log line (``NO…``) to an environment, as one of its functions would write it.

        It records the environment's live build and latest deployment;
        ``date_created`` (default: now on the fake's clock) may not be later than now.
        """
        return logs.create(
            self._backend,
            self._environment(environment_sid),
            message=message,
            level=level,
            function_sid=None if function_sid is None else _sid(function_sid),
            date_created=None if date_created is None else to_utc(date_created),
        )

    def _environment(self, environment: str | Environment) -> Environment:
        sid = _sid(environment)
        found = self._store.environments.get(sid)
        if found is None:
            raise NotFoundError(f"Environment {sid}")
        return environments.get(self._backend, found.service_sid, sid)

    # The transport-neutral core ------------------------------------------------------

    @property
    def calls(self) -> list[Call]:
        """The requests the fake answered, with their responses, oldest first:
        the newest ``journal_size`` of them (10,000 unless configured)."""
        return list(self._core.calls)

    @property
    def journal_size(self) -> int | None:
        """How many calls :attr:`calls` keeps; ``None`` keeps all."""
        return self._core.calls.maxlen

    @property
    def calls_dropped(self) -> int:
        """How many calls the journal no longer holds because it was full."""
        return self._core.calls_seen - len(self._core.calls)

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

    def __call__(self, func: F) -> F:
        """Decorate a function so it runs with this fake active.

        A parameter named ``fake_builds`` receives the fake.
        """
        wants_fake = "fake_builds" in inspect.signature(func).parameters

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


def _sid(value: str | Record) -> str:
    return value if isinstance(value, str) else value.sid
