"""The route table and the dispatch core: one function from request to response.

Routes are data: a host (the REST API or the upload host), a method, a path
template with ``{Name}`` placeholders, and a handler named after the API
operation. :meth:`Core.handle` authenticates, finds the route, calls the
handler and renders any Twilio error, and it is the only thing a transport
calls.
"""

from __future__ import annotations

import re
import threading
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from itertools import chain
from typing import Generic, Literal, Protocol, TypeVar

from . import errors, sids
from .sids import SidMinter
from .wire import Request, Response

Host = Literal["api", "upload"]

# serverless.twilio.com and its regional and edge forms, as twilio-python's
# get_hostname produces them: serverless[.edge][.region].twilio.com; and the
# upload host in the same forms, as Twilio's Node toolkit produces them.
SERVERLESS_HOST = re.compile(r"^serverless(?:\.[a-z0-9-]+){0,2}\.twilio\.com$")
UPLOAD_HOST = re.compile(r"^serverless-upload(?:\.[a-z0-9-]+){0,2}\.twilio\.com$")
PUBLIC_BASE_URL = "https://serverless.twilio.com"
# How many calls a fake's journal keeps unless told otherwise.
DEFAULT_JOURNAL_SIZE = 10_000


class Authenticator(Protocol):
    def authenticate(self, username: str, password: str) -> bool: ...


S = TypeVar("S", bound=Authenticator)


@dataclass(frozen=True)
class Context(Generic[S]):
    """What a handler gets: the request, its path parameters and the backend.

    ``base_url`` is the REST host the answer's URLs name: the host asked, or
    for an upload the REST host of the same edge and region, since Twilio's
    Version URLs always point at the REST API.
    """

    request: Request
    params: dict[str, str]
    backend: S
    base_url: str


Handler = Callable[[Context[S]], Response]


@dataclass(frozen=True, slots=True)
class Call:
    """One request the fake answered, and its answer, in arrival order.

    ``operation`` is the route's operation (None when no route matched),
    ``params`` its path parameters by the spec's names, ``time`` the fake's
    clock when the request arrived.
    """

    request: Request
    response: Response
    operation: str | None = None
    params: dict[str, str] = field(default_factory=dict)
    time: datetime | None = None


# A call as the journal keeps it until it is read: one plain tuple of
# strings, bytes, numbers, a date and flat tuples of strings (names and
# values, in turn). The garbage collector stops tracking such a tuple once
# it has passed over it (a young collection does), where a Call with its
# Request and Response would be three objects walked by every full
# collection for as long as the journal holds them (10,000 calls by
# default). No dicts and no nested tuples: a tuple holding a dict is never
# let go, and one holding tuples only once the collector has let those go.
_Pairs = tuple[str, ...]
_Entry = tuple[
    str,
    str,
    "_Pairs | Mapping[str, str]",
    bytes,
    int,
    bytes,
    _Pairs,
    "BaseException | None",
    "str | None",
    _Pairs,
    "datetime | None",
]


def _flat(mapping: Mapping[str, str]) -> _Pairs:
    return tuple(chain.from_iterable(mapping.items()))


def _dict(flat: _Pairs) -> dict[str, str]:
    # Equivalent mutants on strict: _flat only makes tuples of even length.
    return dict(zip(flat[::2], flat[1::2], strict=True))  # pragma: no mutate


def _kept_headers(headers: Mapping[str, str]) -> _Pairs | Mapping[str, str]:
    # A plain dict (what every transport makes) is kept flat; any other
    # mapping a caller of handle() passed (a case-insensitive one, say) is
    # kept as it is, so that the journal gives back what was sent.
    return _flat(headers) if type(headers) is dict else headers


def _given_headers(kept: _Pairs | Mapping[str, str]) -> Mapping[str, str]:
    return _dict(kept) if isinstance(kept, tuple) else kept


def _call(entry: _Entry) -> Call:
    method, url, headers, body, status, answer, answer_headers, exception = entry[:8]
    operation, params, arrived = entry[8:]
    return Call(
        Request(method, url, _given_headers(headers), body),
        Response(status, answer, _dict(answer_headers), exception),
        operation,
        _dict(params),
        arrived,
    )


# Called after routing, before the handler: the first answer wins, and the
# handler never runs (scenarios' faults register here).
Hook = Callable[[Request, str, dict[str, str]], "Response | None"]


@dataclass(frozen=True)
class Route(Generic[S]):
    host: Host
    method: str
    template: str
    handler: Handler[S]
    pattern: re.Pattern[str] = field(init=False, compare=False)

    def __post_init__(self) -> None:
        regex = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", self.template)
        object.__setattr__(self, "pattern", re.compile(f"^{regex}$"))

    @property
    def operation(self) -> str:
        """The twilio-oai operationId in snake_case: the handler's name."""
        return self.handler.__name__


class Router(Generic[S]):
    def __init__(self) -> None:
        self._routes: list[Route[S]] = []
        # Routes by (number of path segments, family segment): a request is
        # matched against the two or three routes that could fit, not all.
        self._buckets: dict[tuple[int, str], list[Route[S]]] = {}

    @property
    def routes(self) -> tuple[Route[S], ...]:
        return tuple(self._routes)

    def add(
        self, method: str, template: str, *, host: Host = "api"
    ) -> Callable[[Handler[S]], Handler[S]]:
        def register(handler: Handler[S]) -> Handler[S]:
            route = Route(host, method, template, handler)
            self._routes.append(route)
            self._buckets.setdefault(_bucket(template), []).append(route)
            return handler

        return register

    def match(self, host: Host | None, method: str, path: str) -> tuple[Route[S], dict[str, str]]:
        """The route for a request; ``host`` None (a server's own URL) serves both hosts."""
        path_matched = False  # pragma: no mutate (equivalent: None is as false)
        for route in self._buckets.get(_bucket(path), ()):
            if host is not None and route.host != host:
                continue
            found = route.pattern.match(path)
            if found is None:
                continue
            if route.method == method:
                return route, found.groupdict()
            path_matched = True
        # The upload host serves its two POSTs and nothing else: any other
        # request there is an unknown resource, not a wrong method.
        if path_matched and host != "upload":
            raise errors.MethodNotAllowedError()
        raise errors.NotFoundError()


def _bucket(path: str) -> tuple[int, str]:
    # Equivalent mutants: buckets only narrow the search, and any key that the
    # templates and the paths they match share finds the same routes.
    parts = path.split("/", 5)  # pragma: no mutate
    return path.count("/"), parts[4] if len(parts) > 4 else ""  # pragma: no mutate


def host_kind(host: str) -> Host | None:
    """Which Twilio host a request went to; None for any other (a server's own)."""
    # Asked three times per request, of a handful of hosts: remembered.
    # Equivalent mutants on the memo's lines: a miss works the answer out again.
    try:
        return _HOST_KINDS[host]  # pragma: no mutate
    except KeyError:
        pass
    kind: Host | None = None
    if SERVERLESS_HOST.match(host):
        kind = "api"
    elif UPLOAD_HOST.match(host):
        kind = "upload"
    if len(_HOST_KINDS) < 64:  # pragma: no mutate
        _HOST_KINDS[host] = kind  # pragma: no mutate
    return kind


_HOST_KINDS: dict[str, Host | None] = {}


def rest_base_url(request: Request) -> str:
    """Where the answer's URLs point: the REST host of the Twilio host asked (an
    upload's answer names the REST API), or the server's own URL as the
    client addressed it, so that clients following links stay on the fake."""
    host = request.host
    if not host:
        return PUBLIC_BASE_URL
    kind = host_kind(host)
    if kind is None:
        return request.origin
    if kind == "upload":
        host = "serverless" + host[len("serverless-upload") :]
    return f"https://{host}"


class Core(Generic[S]):
    """Answers any request to the serverless hosts; never raises."""

    def __init__(
        self,
        router: Router[S],
        backend: S,
        request_ids: SidMinter,
        journal_size: int | None = DEFAULT_JOURNAL_SIZE,
        now: Callable[[], datetime] | None = None,
    ) -> None:
        self.router = router
        self.backend = backend
        self.now = now
        self.hooks: list[Hook] = []
        # A stream of its own, so that how many requests a test makes never
        # shifts the SIDs of the records it creates.
        self._request_ids = request_ids
        self._lock = threading.Lock()
        self.internal_errors: list[BaseException] = []
        # The journal keeps the newest ``journal_size`` calls (all, when None):
        # a long run must not hold every request it ever made. Read it with
        # journal(): a call not yet read is kept as an _Entry (see there).
        self.calls: deque[Call | _Entry] = deque(maxlen=journal_size)
        self.calls_seen = 0
        self._good_auth: set[str] = set()

    def handle(self, request: Request) -> Response:
        # Equivalent mutants: every fake gives its core a clock.
        arrived = self.now() if self.now is not None else None  # pragma: no mutate
        answer, operation, params = self._answer(request)
        with self._lock:
            request_id = self._request_ids.mint(sids.REQUEST)
            response = Response(
                answer.status,
                answer.body,
                {
                    **answer.headers,
                    **_platform_headers(request.host),
                    "Twilio-Request-Id": request_id,
                },
                answer.exception,
            )
            self.calls.append(
                (
                    request.method,
                    request.url,
                    _kept_headers(request.headers),
                    request.body,
                    response.status,
                    response.body,
                    _flat(response.headers),
                    response.exception,
                    operation,
                    _flat(params),
                    arrived,
                )
            )
            self.calls_seen += 1
        return response

    def journal(self) -> list[Call]:
        """The calls the journal holds, oldest first; the same Call objects on every read."""
        with self._lock:
            calls = self.calls
            # Calls are made once, when first read; entries not yet read are
            # always the newest ones.
            if calls and isinstance(calls[-1], tuple):
                made = [_call(entry) if isinstance(entry, tuple) else entry for entry in calls]
                calls.clear()
                calls.extend(made)
                return made
            return list(calls)  # type: ignore[arg-type]

    def _authenticated(self, request: Request) -> bool:
        # A client sends the same Authorization header on every request, and
        # credentials that were good stay good (nothing revokes a key), so
        # only good headers are remembered (never None); a bounded few. Equivalent
        # mutants: the memo only saves work (without it every header is checked in
        # full, with the same verdict), so the lines that fill it are not mutated.
        header = request.header("Authorization")  # pragma: no mutate
        if header in self._good_auth:
            return True
        credentials = request.basic_auth()
        if credentials is None or not self.backend.authenticate(*credentials):
            return False
        if header is not None and len(self._good_auth) < 16:  # pragma: no mutate
            self._good_auth.add(header)  # pragma: no mutate
        return True

    def _answer(self, request: Request) -> tuple[Response, str | None, dict[str, str]]:
        operation: str | None = None
        params: dict[str, str] = {}
        try:
            kind = host_kind(request.host)
            if not self._authenticated(request):
                # Refused before the path is looked at, as Twilio does; the
                # journal still names what the call was for, when it can.
                try:
                    route, params = self.router.match(kind, request.method, request.path)
                    operation = route.operation
                except errors.ApiError:
                    pass
                # Equivalent mutant: a 401's message names no path.
                return _unauthorized(request.path), operation, params  # pragma: no mutate
            route, params = self.router.match(kind, request.method, request.path)
            operation = route.operation
            for hook in self.hooks:
                faulted = hook(request, operation, params)
                if faulted is not None:
                    return faulted, operation, params
            context = Context(request, params, self.backend, rest_base_url(request))
            return route.handler(context), operation, params
        except errors.ApiError as error:
            return Response.error(error, request.path), operation, params
        except Exception as exc:
            # The client gets Twilio's 500; the test gets the traceback at
            # teardown, so a bug in the fake can never pass for an API answer.
            with self._lock:
                self.internal_errors.append(exc)
            # Equivalent mutant: a 500's message names no path.
            answer = Response.error(errors.InternalServerError(), request.path)  # pragma: no mutate
            return answer, operation, params


def _platform_headers(host: str) -> dict[str, str]:
    """Headers every real Serverless answer carries (captured in 2020)."""
    # Equivalent mutants on the memo's two lines (a miss, or None stored): the
    # headers are then worked out again, the same.
    headers = _PLATFORM_HEADERS.get(host)  # pragma: no mutate
    if headers is None:
        labels = host.split(".")
        twilio = host.endswith(".twilio.com")
        region = labels[-3] if twilio and len(labels) in (4, 5) else "us1"
        headers = {
            "Access-Control-Allow-Origin": "*",
            "Access-Control-Allow-Methods": "GET, POST, DELETE, OPTIONS",
            "Access-Control-Expose-Headers": "ETag",
            "Access-Control-Allow-Credentials": "true",
            "Strict-Transport-Security": "max-age=31536000",
            "X-Home-Region": region,
            "X-API-Domain": host or "serverless.twilio.com",
        }
        # Hosts are few; never grow without bound. Equivalent mutants: any bound,
        # or none, gives the same headers.
        if len(_PLATFORM_HEADERS) < 64:  # pragma: no mutate
            _PLATFORM_HEADERS[host] = headers  # pragma: no mutate
    return headers


_PLATFORM_HEADERS: dict[str, dict[str, str]] = {}


def _unauthorized(path: str) -> Response:
    # Equivalent mutants: a 401's message names no path.
    response = Response.error(errors.UnauthenticatedError(), path)  # pragma: no mutate
    headers = dict(response.headers)
    headers["WWW-Authenticate"] = 'Basic realm="Twilio API"'
    return Response(response.status, response.body, headers)
