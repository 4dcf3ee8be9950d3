"""What must not leave the machine while a fake is active, refused at the socket.

The last line of defence under every adapter: ``socket.getaddrinfo`` and
friends refuse every ``*.twilio.com`` name, so a library that does not go
through an adapter (``urllib``, ``http.client``) fails at once, naming the
call that tried, instead of reaching Twilio; in strict mode
``socket.connect`` refuses every address that is not loopback
(pytest-socket is the model).
"""

from __future__ import annotations

import re
import socket
import sys
from typing import Any
from unittest import mock

import requests

from .core.errors import FakeBuildsError

TWILIO_HOST = re.compile(r"(?:^|\.)twilio\.com\.?\Z")


class UnmockedTwilioHostError(FakeBuildsError, requests.exceptions.ConnectionError):
    """A request went to a Twilio host the fake does not serve.

    Refused rather than passed through, so that no test reaches a real
    Twilio account by accident. It is an ``OSError`` too, so libraries that
    meet it at the socket level report it as their own connection error.
    """


class NetworkBlockedError(FakeBuildsError, requests.exceptions.ConnectionError):
    """Strict mode: a request to a non-Twilio host was about to use the network."""


class SocketGuard:
    """The backstop: no ``*.twilio.com`` name resolves while a fake is active."""

    def __init__(self) -> None:
        self._patches: list[Any] = []

    def install(self) -> None:
        for name, replacement in (
            ("getaddrinfo", _guarded_getaddrinfo),
            ("gethostbyname", _guarded_gethostbyname),
            ("gethostbyname_ex", _guarded_gethostbyname_ex),
        ):
            patcher = mock.patch.object(socket, name, replacement)
            patcher.start()
            self._patches.append(patcher)

    def uninstall(self) -> None:
        while self._patches:
            self._patches.pop().stop()


SOCKET_GUARD = SocketGuard()


_real_getaddrinfo = socket.getaddrinfo
_real_gethostbyname = socket.gethostbyname
_real_gethostbyname_ex = socket.gethostbyname_ex
_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex

# Modules that only carry a call down to the socket: the library call a
# refusal names is the outermost frame of the first package above them.
_PLUMBING = (
    "socket",
    "ssl",
    "selectors",
    "threading",
    "concurrent",
    "asyncio",
    "http",
    "urllib3",
    "aiohttp.connector",
    "aiohttp.resolver",
    "aiohappyeyeballs",
    "pytest_fakebuilds.transport",
    "pytest_fakebuilds.socket_guard",
)


def is_twilio_name(host: object) -> bool:
    """Whether ``host`` (text or bytes) is ``twilio.com`` or a name under it."""
    return _is_twilio_name(host)


def _is_twilio_name(host: object) -> bool:
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    return isinstance(host, str) and TWILIO_HOST.search(host.lower()) is not None


def _library_call() -> str:
    """The library call that led here, e.g. ``urllib.request.urlopen``."""
    frame = sys._getframe(2)
    package: str | None = None
    outermost: str | None = None
    while frame is not None:
        name = frame.f_globals.get("__name__") or "?"
        plumbing = any(name == p or name.startswith(p + ".") for p in _PLUMBING)
        if package is None:
            if not plumbing:
                package = name.split(".")[0]
                outermost = f"{name}.{frame.f_code.co_name}"
        elif name.split(".")[0] == package:
            outermost = f"{name}.{frame.f_code.co_name}"
        elif not plumbing:
            break
        frame = frame.f_back  # type: ignore[assignment]
    return outermost or "a call in a worker thread (an asynchronous name lookup)"


def _refuse_name(host: object) -> UnmockedTwilioHostError:
    return UnmockedTwilioHostError(
        f"pytest-fakebuilds: {_library_call()} tried to look up {host!s} while a fake is "
        "active; only requests and aiohttp (and twilio's clients on them) reach the fake, "
        "and no connection to a Twilio host leaves the machine"
    )


def _guarded_getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
    if _is_twilio_name(host):
        raise _refuse_name(host)
    return _real_getaddrinfo(host, *args, **kwargs)


def _guarded_gethostbyname(host: str) -> str:
    if _is_twilio_name(host):
        raise _refuse_name(host)
    return _real_gethostbyname(host)


def _guarded_gethostbyname_ex(host: str) -> tuple[str, list[str], list[str]]:
    if _is_twilio_name(host):
        raise _refuse_name(host)
    return _real_gethostbyname_ex(host)


def _is_loopback(sock: socket.socket, address: Any) -> bool:
    if sock.family == getattr(socket, "AF_UNIX", None):
        return True
    host = address[0] if isinstance(address, tuple) and address else address
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    if not isinstance(host, str):
        return False
    return host == "localhost" or host.startswith("127.") or host in ("::1", "0:0:0:0:0:0:0:1")


def _refuse_connect(address: Any) -> NetworkBlockedError:
    return NetworkBlockedError(
        f"pytest-fakebuilds strict mode: {_library_call()} tried to connect to {address!r}; "
        "only loopback connections are allowed while a strict fake is active"
    )


def guarded_connect(self: socket.socket, address: Any) -> None:
    if not _is_loopback(self, address):
        raise _refuse_connect(address)
    _real_connect(self, address)


def guarded_connect_ex(self: socket.socket, address: Any) -> int:
    if not _is_loopback(self, address):
        raise _refuse_connect(address)
    return _real_connect_ex(self, address)
