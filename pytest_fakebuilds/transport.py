"""How requests reach the active fakes, and how nothing else reaches Twilio.

One process-wide :class:`_Interception` owns every global patch the fakes
need, installs them when the first fake starts and removes them when the
last one stops, whatever the order in which fakes start and stop. The
patches come in adapters, one per way in (see :class:`Adapter`), installed
in this order and removed in the reverse one:

- requests: ``Session.get_adapter`` hands Twilio URLs to a dedicated adapter
  class, whose ``send`` one private ``RequestsMock`` patches. A test's own
  ``@responses.activate`` or ``RequestsMock``, started before or after, sits
  on ``HTTPAdapter.send`` and never sees Twilio traffic; the fake never sees
  the test's.
- the socket guard (:mod:`pytest_fakebuilds.socket_guard`):
  ``socket.getaddrinfo`` and friends refuse every ``*.twilio.com`` name, so
  a library that does not go through an adapter (``urllib``,
  ``http.client``) fails at once instead of reaching Twilio; in strict mode
  ``socket.connect`` refuses every address that is not loopback.
- aiohttp, when it is installed: see :mod:`pytest_fakebuilds.aio`. It is
  loaded only when aiohttp is: while a fake is active, an import finder
  (:mod:`pytest_fakebuilds.aio_hook`) waits for aiohttp's first import, so a
  process that never imports aiohttp never pays for it.

While several fakes are active, a request goes to the fake whose
credentials it carries (its Account SID, or one of its API keys), as two
real Twilio accounts would answer their own clients; a request with other
credentials goes to the newest fake, which refuses it with 401.
"""

from __future__ import annotations

import importlib.abc
import importlib.util
import re
import socket
import threading
import weakref
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol
from unittest import mock

import requests
import responses
from requests.adapters import HTTPAdapter

from .core.errors import FakeBuildsError
from .core.routing import host_kind
from .core.wire import Request, Response
from .socket_guard import (
    SOCKET_GUARD,
    TWILIO_HOST,
    NetworkBlockedError,
    UnmockedTwilioHostError,
    guarded_connect,
    guarded_connect_ex,
)

if TYPE_CHECKING:
    from .core.routing import Core

# scheme://[userinfo@]host[:port]...; hosts in prepared URLs are IDNA-encoded
_URL_HOST = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://(?:[^/?#@]*@)?([^/?#:\[\]]+)")
_METHODS = ("GET", "POST", "DELETE", "PUT", "PATCH", "HEAD", "OPTIONS")


@dataclass(eq=False)
class Interception:
    """One active fake, as the interception sees it."""

    core: Core[Any]
    strict: bool
    knows: Callable[[str], bool]  # is this Basic-auth user name one of the fake's?

    def start(self) -> None:
        _INTERCEPTION.push(self)

    def stop(self) -> None:
        _INTERCEPTION.pop(self)


class Adapter(Protocol):
    """One way into the fakes: its process-wide patches, installed when the
    first fake starts and removed when the last one stops."""

    def install(self) -> None: ...

    def uninstall(self) -> None: ...


class _TwilioAdapter(HTTPAdapter):
    def send(self, *args: Any, **kwargs: Any) -> requests.Response:  # pragma: no cover
        # Only ever called while the interception's RequestsMock has replaced it.
        raise FakeBuildsError("pytest-fakebuilds: Twilio adapter used with no fake active")


class _Interception:
    """The process-wide patches, and the active fakes they answer for."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._active: list[Interception] = []
        self._installed: list[Adapter] = []
        self._strict_patches: list[Any] = []
        self._adapter = _TwilioAdapter()
        # The session's own adapter -> the Twilio adapter that stands in for
        # it, with its retry policy: a user's urllib3 Retry keeps working.
        self._twins: weakref.WeakKeyDictionary[Any, _TwilioAdapter] = weakref.WeakKeyDictionary()
        self._previous_get_adapter: Any = requests.Session.get_adapter
        self._requests = _RequestsPatch(self)
        self._optional: list[Adapter] | None = None

    @property
    def active(self) -> bool:
        return bool(self._active)

    @property
    def strict(self) -> bool:
        return any(entry.strict for entry in self._active)

    def push(self, entry: Interception) -> None:
        with self._lock:
            if not self._active:
                self._install()
            self._active.append(entry)
            if entry.strict and not self._strict_patches:
                self._install_strict()

    def pop(self, entry: Interception) -> None:
        with self._lock:
            if entry not in self._active:
                return
            self._active.remove(entry)
            if not self.strict:
                while self._strict_patches:
                    self._strict_patches.pop().stop()
            if not self._active:
                self._uninstall()

    def twin_of(self, own: Any) -> _TwilioAdapter:
        retries = getattr(own, "max_retries", None)
        if retries is None or not _retries_anything(retries):
            return self._adapter
        try:
            twin = self._twins.get(own)
        except TypeError:  # not weakly referable: no twin kept
            twin = None
        if twin is None:
            twin = _TwilioAdapter(max_retries=retries)
            with suppress(TypeError):
                self._twins[own] = twin
        return twin

    def answering(self, request: Request) -> Core[Any]:
        """The core of the fake a request is for: its credentials' owner, else the newest."""
        active = self._active
        if len(active) > 1:
            credentials = request.basic_auth()
            if credentials is not None:
                for entry in reversed(active):
                    if entry.knows(credentials[0]):
                        return entry.core
        return active[-1].core

    # Installing and removing, always as a whole -----------------------------------

    def adapters(self) -> list[Adapter]:
        """Every way in, in installation order; aiohttp's only where it is installed."""
        if self._optional is None:
            optional: list[Adapter] = []
            if importlib.util.find_spec("aiohttp") is not None:
                from .aio_hook import AiohttpWhenImported

                optional.append(AiohttpWhenImported(self))
            self._optional = optional
        return [self._requests, SOCKET_GUARD, *self._optional]

    def while_installed(self, adapter: Adapter, action: Callable[[], None]) -> None:
        """Run ``action`` if ``adapter`` is installed, and with nothing installed
        or removed meanwhile (an adapter that installs itself late)."""
        with self._lock:
            if adapter in self._installed:
                action()

    def _install(self) -> None:
        installed: list[Adapter] = []
        try:
            for adapter in self.adapters():
                adapter.install()
                installed.append(adapter)
        except BaseException:
            for adapter in reversed(installed):
                adapter.uninstall()
            raise
        self._installed = installed

    def _uninstall(self) -> None:
        while self._strict_patches:
            self._strict_patches.pop().stop()
        while self._installed:
            self._installed.pop().uninstall()

    def _install_strict(self) -> None:
        targets: list[tuple[Any, str, Any]] = [(socket.socket, "connect", guarded_connect)]
        targets.append((socket.socket, "connect_ex", guarded_connect_ex))
        # requests first asks its adapter for a connection: refusing there
        # names the request itself, before any socket exists.
        for name in ("get_connection_with_tls_context", "get_connection"):
            if hasattr(HTTPAdapter, name):
                targets.append((HTTPAdapter, name, _blocked))
        for owner, name, replacement in targets:
            patcher = mock.patch.object(owner, name, replacement)
            patcher.start()
            self._strict_patches.append(patcher)

    def forget_calls(self) -> None:
        self._requests.forget_calls()


class _RequestsPatch:
    """requests' way in: ``Session.get_adapter`` and the Twilio adapter's mock."""

    def __init__(self, interception: _Interception) -> None:
        self._interception = interception
        self._mock: responses.RequestsMock | None = None
        self._routes: list[Any] = []
        self._patch: Any = None

    def install(self) -> None:
        # Whatever hook was there (another mocking library's, say) keeps
        # answering everything that is not Twilio's.
        self._interception._previous_get_adapter = requests.Session.get_adapter
        mocker = responses.RequestsMock(
            assert_all_requests_are_fired=False, target=f"{__name__}._TwilioAdapter.send"
        )
        pattern = re.compile(r"https?://.*")
        for method in _METHODS:
            mocker.add_callback(method, pattern, callback=_answer, content_type=None)
        mocker.start()
        try:
            patcher = mock.patch.object(requests.Session, "get_adapter", _get_adapter)
            patcher.start()
        except BaseException:
            mocker.stop(allow_assert=False)
            raise
        self._mock, self._routes, self._patch = mocker, mocker.registered(), patcher

    def uninstall(self) -> None:
        if self._patch is not None:
            self._patch.stop()
            self._patch = None
        if self._mock is not None:
            self._mock.stop(allow_assert=False)
            self._mock = None
        self._routes = []

    def forget_calls(self) -> None:
        # responses keeps every request and response twice (its own call
        # list and the route's), for as long as the mock lives; the fakes'
        # journals are theirs, so responses' copies go as the next request comes.
        mocker = self._mock
        if mocker is None:
            return
        mocker.calls.reset()
        for route in self._routes:
            calls = getattr(route, "calls", None)  # responses 0.25 and later
            if calls is not None:
                calls.reset()


_INTERCEPTION = _Interception()


def refusal(method: str, url: str, host: str) -> str:
    """Why a request to a Twilio host the fake does not serve was refused."""
    return (
        f"pytest-fakebuilds: {method} {url} was refused: the fake serves "
        "serverless.twilio.com, serverless-upload.twilio.com and their regional "
        f"forms, not {host}; no request to a Twilio host leaves the machine "
        "while a fake is active"
    )


def dispatch(request: Request) -> Response:
    """The answer of the active fake ``request`` is for, from its dispatch core.

    Every adapter answers through here. Raises :class:`UnmockedTwilioHostError`
    for a host the fake does not serve, or when no fake is active any more.
    The answer may carry an ``exception`` (a fault) for the adapter to raise
    in its own client's terms.
    """
    if host_kind(request.host) is None:
        raise UnmockedTwilioHostError(refusal(request.method, request.url, request.host))
    with _INTERCEPTION._lock:
        if not _INTERCEPTION.active:  # the last fake stopped while this was on its way
            raise UnmockedTwilioHostError(f"pytest-fakebuilds: {request.url}: no fake is active")
        core = _INTERCEPTION.answering(request)
    return core.handle(request)


def _answer(prepared: requests.PreparedRequest) -> tuple[int, dict[str, str], bytes]:
    _INTERCEPTION.forget_calls()
    url = prepared.url or ""
    body = prepared.body
    if isinstance(body, str):
        body = body.encode("utf-8")
    request = Request(
        method=prepared.method or "GET",
        url=url,
        # A plain dict of strings: cheap to keep in the journal, and never
        # walked by the garbage collector (requests' own mapping would be).
        headers=_plain_headers(prepared.headers),
        body=body or b"",
    )
    response = dispatch(request)
    if response.exception is not None:
        raise response.exception  # a fault: the client's transport fails
    return response.status, dict(response.headers), response.body


def _plain_headers(headers: Any) -> dict[str, str]:
    # requests' CaseInsensitiveDict keeps (name, value) pairs by lowered name;
    # read them at C speed rather than key by key through the Mapping protocol.
    store = getattr(headers, "_store", None)
    if isinstance(store, dict):
        return dict(store.values())
    return dict(headers)


def _get_adapter(session: requests.Session, url: str) -> Any:
    # Called for every request any Session sends while a fake is active.
    found = _URL_HOST.match(url)
    if found is not None and TWILIO_HOST.search(found.group(1).lower()):
        # The session's own mounted adapter, found as requests finds it, but
        # without asking any other library's hook: Twilio traffic is ours.
        lowered = url.lower()
        for prefix, own in session.adapters.items():
            if lowered.startswith(prefix.lower()):
                return _INTERCEPTION.twin_of(own)
        return _INTERCEPTION._adapter
    return _INTERCEPTION._previous_get_adapter(session, url)


def _retries_anything(retries: Any) -> bool:
    # requests' default, Retry(0, read=False), retries nothing: one shared
    # adapter serves every such session.
    return bool(getattr(retries, "total", 0)) or bool(getattr(retries, "status_forcelist", None))


def _blocked(adapter: HTTPAdapter, target: Any, *args: Any, **kw: Any) -> Any:
    # get_connection_with_tls_context (requests >= 2.32.2) takes the prepared
    # request; get_connection, before it, the URL.
    what = f"{target.method} {target.url}" if hasattr(target, "url") else str(target)
    raise NetworkBlockedError(
        f"pytest-fakebuilds strict mode: {what} would use the network; "
        "stub it with responses or turn strict mode off"
    )
