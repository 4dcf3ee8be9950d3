"""The route table and the dispatch core: one function from request to response.

Routes are data: a method, a path template with ``{Name}`` placeholders and a
handler named after the API operation. :meth:`Core.handle` authenticates,
finds the route, calls the handler and renders any Twilio error, and it is
the only thing a transport calls.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from . import errors, sids
from .sids import SidMinter
from .wire import Request, Response

if TYPE_CHECKING:
    from ..serverless.backend import Backend

Handler = Callable[["Context"], Response]

# serverless.twilio.com and its regional and edge forms, as twilio-python's
# get_hostname produces them: serverless[.edge][.region].twilio.com
SERVERLESS_HOST = re.compile(r"^serverless(?:\.[a-z0-9-]+){0,2}\.twilio\.com$")
PUBLIC_BASE_URL = "https://serverless.twilio.com"


@dataclass(frozen=True)
class Context:
    """What a handler gets: the request, its path parameters and the backend."""

    request: Request
    params: dict[str, str]
    backend: Backend
    base_url: str


@dataclass(frozen=True)
class Call:
    """One request the fake answered, and its answer, in arrival order."""

    request: Request
    response: Response


@dataclass(frozen=True)
class Route:
    method: str
    template: str
    handler: Handler
    pattern: re.Pattern[str] = field(init=False, compare=False)

    def __post_init__(self) -> None:
        regex = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", self.template)
        object.__setattr__(self, "pattern", re.compile(f"^{regex}$"))


class Router:
    def __init__(self) -> None:
        self._routes: list[Route] = []

    def add(self, method: str, template: str) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            self._routes.append(Route(method, template, handler))
            return handler

        return register

    def match(self, method: str, path: str) -> tuple[Handler, dict[str, str]]:
        path_matched = False
        for route in self._routes:
            found = route.pattern.match(path)
            if found is None:
                continue
            if route.method == method:
                return route.handler, found.groupdict()
            path_matched = True
        raise errors.method_not_allowed() if path_matched else errors.not_found(path)


class Core:
    """Answers any request to the serverless host; never raises."""

    def __init__(self, router: Router, backend: Backend, request_ids: SidMinter) -> None:
        self.router = router
        self.backend = backend
        # A stream of its own, so that how many requests a test makes never
        # shifts the SIDs of the records it creates.
        self._request_ids = request_ids
        self._lock = threading.Lock()
        self.internal_errors: list[BaseException] = []
        self.calls: list[Call] = []

    def handle(self, request: Request) -> Response:
        answer = self._answer(request)
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
            )
            self.calls.append(Call(request, response))
        return response

    def _answer(self, request: Request) -> Response:
        try:
            credentials = request.basic_auth()
            if credentials is None or not self.backend.authenticate(*credentials):
                return _unauthorized()
            handler, params = self.router.match(request.method, request.path)
            base_url = f"https://{request.host}" if request.host else PUBLIC_BASE_URL
            return handler(Context(request, params, self.backend, base_url))
        except errors.ApiError as error:
            return Response.error(error)
        except Exception as exc:
            # The client gets Twilio's 500; the test gets the traceback at
            # teardown, so a bug in the fake can never pass for an API answer.
            with self._lock:
                self.internal_errors.append(exc)
            return Response.error(errors.internal_error())


def _platform_headers(host: str) -> dict[str, str]:
    """Headers every real Serverless answer carries (captured in 2020)."""
    labels = host.split(".")
    region = labels[-3] if len(labels) in (4, 5) else "us1"
    return {
        "Access-Control-Allow-Origin": "*",
        "Access-Control-Allow-Methods": "GET, POST, DELETE, OPTIONS",
        "Access-Control-Expose-Headers": "ETag",
        "Access-Control-Allow-Credentials": "true",
        "Strict-Transport-Security": "max-age=31536000",
        "X-Home-Region": region,
        "X-API-Domain": host or "serverless.twilio.com",
    }


def _unauthorized() -> Response:
    response = Response.error(errors.unauthenticated())
    headers = dict(response.headers)
    headers["WWW-Authenticate"] = 'Basic realm="Twilio API"'
    return Response(response.status, response.body, headers)
