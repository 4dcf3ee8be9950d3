"""The ``responses`` adapter around the dispatch core.

Why not a plain ``RequestsMock`` on ``HTTPAdapter.send``: a test's own
``@responses.activate`` or ``RequestsMock`` started after the fake would sit
on top of it and refuse every Twilio call it has no stub for. Instead,
while a fake is active, ``Session.get_adapter`` hands Twilio URLs to a
dedicated adapter class whose own ``send`` the fake's private
``RequestsMock`` patches. Twilio traffic never reaches the test's mocks, the
test's traffic never reaches the fake, and neither depends on which was
started first.
"""

from __future__ import annotations

import re
import threading
from typing import TYPE_CHECKING, Any
from unittest import mock

import requests
import responses
from requests.adapters import HTTPAdapter

from .core.errors import FakeBuildsError
from .core.routing import host_kind
from .core.wire import Request

if TYPE_CHECKING:
    from .core.routing import Core

_TWILIO_HOST = re.compile(r"(?:^|\.)twilio\.com\.?\Z")
# scheme://[userinfo@]host[:port]...; hosts in prepared URLs are IDNA-encoded
_URL_HOST = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://(?:[^/?#@]*@)?([^/?#:\[\]]+)")
_METHODS = ("GET", "POST", "DELETE", "PUT", "PATCH", "HEAD", "OPTIONS")


class UnmockedTwilioHostError(FakeBuildsError, requests.exceptions.ConnectionError):
    """A request went to a Twilio host the fake does not serve.

    Refused rather than passed through, so that no test reaches a real
    Twilio account by accident.
    """


class NetworkBlockedError(FakeBuildsError, requests.exceptions.ConnectionError):
    """Strict mode: a request to a non-Twilio host was about to use the network."""


class _TwilioAdapter(HTTPAdapter):
    def send(self, *args: Any, **kwargs: Any) -> requests.Response:  # pragma: no cover
        # Only ever called while a fake's RequestsMock has replaced it.
        raise FakeBuildsError("pytest-fakebuilds: Twilio adapter used with no fake active")


class _Routing:
    """Process-wide hooks shared by every active fake; the newest answers."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._transports: list[ResponsesTransport] = []
        self._adapter_patch: Any = None
        self._strict_patches: list[Any] = []
        self._adapter = _TwilioAdapter()
        self._previous_get_adapter: Any = requests.Session.get_adapter

    def top(self) -> ResponsesTransport | None:
        transports = self._transports
        return transports[-1] if transports else None

    def push(self, transport: ResponsesTransport) -> None:
        with self._lock:
            if self._adapter_patch is None:
                # Whatever was there (another mocking library's hook, say)
                # keeps answering everything that is not Twilio's.
                self._previous_get_adapter = requests.Session.get_adapter
                self._adapter_patch = mock.patch.object(
                    requests.Session, "get_adapter", _get_adapter
                )
                self._adapter_patch.start()
            self._transports.append(transport)
            if transport.strict and not self._strict_patches:
                for name in ("get_connection_with_tls_context", "get_connection"):
                    if hasattr(HTTPAdapter, name):
                        patcher = mock.patch.object(HTTPAdapter, name, _blocked)
                        patcher.start()
                        self._strict_patches.append(patcher)

    def pop(self, transport: ResponsesTransport) -> None:
        with self._lock:
            if transport not in self._transports:
                return
            self._transports.remove(transport)
            if not any(t.strict for t in self._transports):
                while self._strict_patches:
                    self._strict_patches.pop().stop()
            if not self._transports and self._adapter_patch is not None:
                self._adapter_patch.stop()
                self._adapter_patch = None


def _get_adapter(session: requests.Session, url: str) -> Any:
    # Called for every request any Session sends while a fake is active.
    if _ROUTING.top() is not None:
        found = _URL_HOST.match(url)
        if found is not None and _TWILIO_HOST.search(found.group(1).lower()):
            return _ROUTING._adapter
    return _ROUTING._previous_get_adapter(session, url)


def _blocked(adapter: HTTPAdapter, target: Any, *args: Any, **kw: Any) -> Any:
    # get_connection_with_tls_context (requests >= 2.32.2) takes the prepared
    # request; get_connection, before it, the URL.
    what = f"{target.method} {target.url}" if hasattr(target, "url") else str(target)
    raise NetworkBlockedError(
        f"pytest-fakebuilds strict mode: {what} would use the network; "
        "stub it with responses or turn strict mode off"
    )


_ROUTING = _Routing()


class ResponsesTransport:
    """Owns the fake's private ``RequestsMock`` and adapts requests to the core."""

    def __init__(self, core: Core[Any], *, strict: bool) -> None:
        self.core = core
        self.strict = strict
        self.mock = responses.RequestsMock(
            assert_all_requests_are_fired=False,
            target=f"{__name__}._TwilioAdapter.send",
        )
        pattern = re.compile(r"https?://.*")
        for method in _METHODS:
            self.mock.add_callback(method, pattern, callback=self._answer, content_type=None)
        self._routes = self.mock.registered()

    def start(self) -> None:
        self.mock.start()
        _ROUTING.push(self)

    def stop(self) -> None:
        _ROUTING.pop(self)
        self.mock.stop(allow_assert=False)

    def _answer(self, prepared: requests.PreparedRequest) -> tuple[int, dict[str, str], bytes]:
        # responses keeps every request and response twice (its own call list
        # and the route's), for as long as the mock lives; the fake's journal
        # is ``calls``, so responses' copies go as the next request comes.
        self.mock.calls.reset()
        for route in self._routes:
            calls = getattr(route, "calls", None)  # responses 0.25 and later
            if calls is not None:
                calls.reset()
        url = prepared.url or ""
        body = prepared.body
        if isinstance(body, str):
            body = body.encode("utf-8")
        request = Request(
            method=prepared.method or "GET",
            url=url,
            headers=prepared.headers,
            body=body or b"",
        )
        if host_kind(request.host) is None:
            raise UnmockedTwilioHostError(
                f"pytest-fakebuilds: {prepared.method} {url} was refused: the fake serves "
                "serverless.twilio.com, serverless-upload.twilio.com and their regional "
                f"forms, not {request.host}; no request to a Twilio host leaves the machine "
                "while a fake is active"
            )
        response = self.core.handle(request)
        return response.status, dict(response.headers), response.body
