"""aiohttp's way in: twilio-python's ``AsyncTwilioHttpClient`` and plain aiohttp.

While a fake is active, two patches answer Twilio traffic over aiohttp:

- ``ClientSession.request`` and its verbs (``get``, ``post``...) send a
  request to a Twilio host through aiohttp's own ``ClientSession._request``,
  as it was when this module was imported. A mock that patches ``_request``
  (aioresponses does), started before or after the fake, keeps answering
  everything else and never sees Twilio traffic, as on the requests side.
- ``TCPConnector._create_connection`` gives a request to a serverless host a
  connection in memory instead of a socket: aiohttp writes the request to it
  exactly as it would to the network, the fake's dispatch core answers, and
  aiohttp parses the answer into its own ``ClientResponse``. Every request and
  response goes through aiohttp's real code (multipart bodies, headers,
  timeouts, ``raise_for_status``). Other Twilio hosts are refused with
  :class:`AsyncUnmockedTwilioHostError` before any connection is opened; other
  hosts go to the connector's own code.

The socket guard stays underneath: a Twilio name never resolves while a fake
is active, whatever the way in.
"""

from __future__ import annotations

import asyncio
import functools
from http import HTTPStatus
from typing import Any
from unittest import mock

import aiohttp
import requests
from aiohttp.client import ClientSession, _RequestContextManager
from yarl import URL

from .core.routing import host_kind
from .core.wire import Request, Response
from .socket_guard import UnmockedTwilioHostError, is_twilio_name
from .transport import dispatch, refusal

__all__ = [
    "AiohttpPatch",
    "AsyncUnmockedTwilioHostError",
    "aiohttp_exception",
    "async_http_client",
]


class AsyncUnmockedTwilioHostError(UnmockedTwilioHostError, aiohttp.ClientConnectionError):
    """Over aiohttp, a request went to a Twilio host the fake does not serve.

    An ``aiohttp.ClientConnectionError``, as an unreachable host would be, and a
    :class:`~pytest_fakebuilds.UnmockedTwilioHostError`, as on the requests side.
    No connection was opened.
    """


# aiohttp's own request method, before any mock patched it: the fake's
# traffic goes through it, past a test's own aiohttp mocks.
_REQUEST: Any = ClientSession.__dict__["_request"]

# The verbs of ClientSession that send a request, with their methods.
_VERBS = {
    "get": "GET",
    "options": "OPTIONS",
    "head": "HEAD",
    "post": "POST",
    "put": "PUT",
    "patch": "PATCH",
    "delete": "DELETE",
}


class AiohttpPatch:
    """The adapter the interception registry installs while a fake is active."""

    def __init__(self) -> None:
        self._patches: list[Any] = []

    def install(self) -> None:
        targets: list[tuple[Any, str, Any]] = [
            (ClientSession, "request", _patched_request(ClientSession.request))
        ]
        for name, method in _VERBS.items():
            verb = _patched_verb(getattr(ClientSession, name), method)
            targets.append((ClientSession, name, verb))
        connector = aiohttp.TCPConnector
        targets.append(
            (connector, "_create_connection", _patched_connect(connector._create_connection))
        )
        try:
            for owner, name, replacement in targets:
                patcher = mock.patch.object(owner, name, replacement)
                patcher.start()
                self._patches.append(patcher)
        except BaseException:
            self.uninstall()
            raise

    def uninstall(self) -> None:
        while self._patches:
            self._patches.pop().stop()


def _is_twilio_url(session: ClientSession, url: Any) -> bool:
    try:
        built = session._build_url(url) if hasattr(session, "_build_url") else URL(url)
    except (ValueError, TypeError):
        return False  # aiohttp itself says what is wrong with it
    return is_twilio_name(built.raw_host or "")


def _patched_request(previous: Any) -> Any:
    def request(self: ClientSession, method: str, url: Any, **kwargs: Any) -> Any:
        if _is_twilio_url(self, url):
            return _RequestContextManager(_REQUEST(self, method, url, **kwargs))
        return previous(self, method, url, **kwargs)

    request.__doc__ = previous.__doc__
    return request


def _patched_verb(previous: Any, method: str) -> Any:
    def verb(self: ClientSession, url: Any, **kwargs: Any) -> Any:
        if _is_twilio_url(self, url):
            return _RequestContextManager(_REQUEST(self, method, url, **kwargs))
        return previous(self, url, **kwargs)

    verb.__doc__ = previous.__doc__
    return verb


def _patched_connect(previous: Any) -> Any:
    async def _create_connection(
        self: aiohttp.TCPConnector, req: Any, traces: Any, timeout: Any
    ) -> Any:
        url: URL = req.url
        host = url.raw_host or ""
        if not is_twilio_name(host):
            return await previous(self, req, traces, timeout)
        if host_kind(host) is None:
            raise AsyncUnmockedTwilioHostError(refusal(req.method, str(url), host))
        protocol = self._factory()
        protocol.connection_made(_Exchange(self._loop, protocol, url))
        return protocol

    return _create_connection


def aiohttp_exception(exception: BaseException) -> BaseException:
    """A fault's exception as aiohttp would raise it.

    A ``requests`` exception becomes its aiohttp counterpart (a timeout an
    ``aiohttp.ServerTimeoutError``, which is an ``asyncio.TimeoutError``; a
    connection error an ``aiohttp.ClientConnectionError``), with the original
    as its ``__cause__``; any other exception is raised as it is.
    """
    if not isinstance(exception, requests.RequestException):
        return exception
    message = str(exception)
    mapped: BaseException
    if isinstance(exception, requests.exceptions.ConnectTimeout):
        mapped = getattr(aiohttp, "ConnectionTimeoutError", aiohttp.ServerTimeoutError)(message)
    elif isinstance(exception, requests.exceptions.Timeout):
        mapped = getattr(aiohttp, "SocketTimeoutError", aiohttp.ServerTimeoutError)(message)
    elif isinstance(exception, requests.exceptions.ConnectionError):
        # Not ClientOSError or ServerDisconnectedError: aiohttp would quietly
        # send an idempotent request again after those.
        mapped = aiohttp.ClientConnectionError(message)
    elif isinstance(
        exception,
        (requests.exceptions.ChunkedEncodingError, requests.exceptions.ContentDecodingError),
    ):
        mapped = aiohttp.ClientPayloadError(message)
    else:
        mapped = aiohttp.ClientError(message)
    mapped.__cause__ = exception
    return mapped


class _Exchange(asyncio.Transport):
    """A connection in memory: takes the bytes aiohttp writes, hands each whole
    request to the fake, and feeds the answer's bytes to aiohttp's protocol.

    One request per connection: the protocol is told to close after the
    answer, so no pooled connection outlives the fake.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop, protocol: Any, url: URL) -> None:
        super().__init__()
        self._loop = loop
        self._protocol = protocol
        self._origin = str(url.origin())
        self._peer = (url.raw_host or "", url.port or 443)
        self._buffer = bytearray()
        self._head: tuple[str, str, dict[str, str]] | None = None
        self._closing = False

    # asyncio.Transport, as much of it as aiohttp uses -----------------------------

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if self._closing:
            return
        self._buffer += data
        self._advance()

    def writelines(self, list_of_data: Any) -> None:
        for data in list_of_data:
            self.write(data)

    def is_closing(self) -> bool:
        return self._closing

    def close(self) -> None:
        if not self._closing:
            self._closing = True
            self._loop.call_soon(self._protocol.connection_lost, None)

    def abort(self) -> None:
        self.close()

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"peername": self._peer, "sockname": ("127.0.0.1", 0)}.get(name, default)

    def get_write_buffer_size(self) -> int:
        return 0

    def get_write_buffer_limits(self) -> tuple[int, int]:
        return (0, 0)

    def set_write_buffer_limits(self, high: int | None = None, low: int | None = None) -> None:
        pass

    def can_write_eof(self) -> bool:
        return False

    def is_reading(self) -> bool:
        return not self._closing

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass

    # HTTP/1.1 in memory --------------------------------------------------------

    def _advance(self) -> None:
        if self._head is None:
            end = self._buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            lines = bytes(self._buffer[:end]).decode("latin-1").split("\r\n")
            del self._buffer[: end + 4]
            method, target, _version = lines[0].split(" ", 2)
            headers: dict[str, str] = {}
            for line in lines[1:]:
                name, _, value = line.partition(":")
                name, value = name.strip(), value.strip()
                headers[name] = f"{headers[name]}, {value}" if name in headers else value
            self._head = (method, target, headers)
            if _header(headers, "Expect").lower() == "100-continue":
                self._loop.call_soon(self._feed, b"HTTP/1.1 100 Continue\r\n\r\n")
        body = self._body(self._head[2])
        if body is None:
            return
        method, target, headers = self._head
        self._head = None
        url = target if "://" in target else self._origin + target
        self._respond(Request(method=method, url=url, headers=headers, body=body))

    def _body(self, headers: dict[str, str]) -> bytes | None:
        """The whole body once it has all arrived (and is taken), else None."""
        buffer = self._buffer
        if "chunked" in _header(headers, "Transfer-Encoding").lower():
            chunks: list[bytes] = []
            at = 0
            while True:
                line_end = buffer.find(b"\r\n", at)
                if line_end < 0:
                    return None
                size = int(bytes(buffer[at:line_end]).split(b";")[0].strip() or b"0", 16)
                at = line_end + 2
                if size == 0:
                    trailer_end = buffer.find(b"\r\n", at)
                    while trailer_end > at:  # trailers, until an empty line
                        at = trailer_end + 2
                        trailer_end = buffer.find(b"\r\n", at)
                    if trailer_end < 0:
                        return None
                    del buffer[: trailer_end + 2]
                    return b"".join(chunks)
                if len(buffer) < at + size + 2:
                    return None
                chunks.append(bytes(buffer[at : at + size]))
                at += size + 2
        length = int(_header(headers, "Content-Length") or 0)
        if len(buffer) < length:
            return None
        body = bytes(buffer[:length])
        del buffer[:length]
        return body

    def _respond(self, request: Request) -> None:
        try:
            response = dispatch(request)
        except UnmockedTwilioHostError as exc:  # the last fake stopped meanwhile
            self._fail(AsyncUnmockedTwilioHostError(str(exc)))
            return
        if response.exception is not None:
            self._fail(aiohttp_exception(response.exception))
            return
        force_close = getattr(self._protocol, "force_close", None)
        if force_close is not None:
            force_close()
        self._loop.call_soon(self._feed, _serialize(request, response))

    def _feed(self, data: bytes) -> None:
        if not self._closing:
            self._protocol.data_received(data)

    def _fail(self, exception: BaseException) -> None:
        def fail() -> None:
            if not self._closing:
                self._protocol.set_exception(exception)

        self._loop.call_soon(fail)


def _header(headers: dict[str, str], name: str) -> str:
    lowered = name.lower()
    for key, value in headers.items():
        if key.lower() == lowered:
            return value
    return ""


def _serialize(request: Request, response: Response) -> bytes:
    try:
        reason = HTTPStatus(response.status).phrase
    except ValueError:
        reason = "Unknown"
    body = response.body
    lines = [f"HTTP/1.1 {response.status} {reason}"]
    has_length = False
    for name, value in response.headers.items():
        has_length = has_length or name.lower() == "content-length"
        lines.append(f"{name}: {value}")
    if not has_length and response.status != 204 and not 100 <= response.status < 200:
        lines.append(f"Content-Length: {len(body)}")
    head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    if request.method == "HEAD" or response.status in (204, 304):
        return head
    return head + body


def async_http_client(**kwargs: Any) -> Any:
    """twilio-python's ``AsyncTwilioHttpClient``, sending Basic auth as a header.

    twilio-python (9.13) hands aiohttp a ``BasicAuth`` object as ``auth=``,
    both deprecated since aiohttp 3.14; this subclass sends the same
    ``Authorization`` header itself, so the request on the wire is the same
    and no warning is raised. ``kwargs`` go to ``AsyncTwilioHttpClient``.
    """
    return _async_http_client_class()(**kwargs)


@functools.cache
def _async_http_client_class() -> Any:
    from twilio.http.async_http_client import AsyncTwilioHttpClient

    from .direct import basic_auth

    class HeaderAuthAsyncTwilioHttpClient(AsyncTwilioHttpClient):  # type: ignore[misc]
        async def request(
            self,
            method: str,
            url: str,
            params: dict[str, object] | None = None,
            data: dict[str, object] | None = None,
            headers: dict[str, str] | None = None,
            auth: tuple[str, str] | None = None,
            timeout: float | None = None,
            allow_redirects: bool = False,
        ) -> Any:
            if auth is not None:
                headers = {**(headers or {}), "Authorization": basic_auth(*auth)}
            return await super().request(
                method, url, params, data, headers, None, timeout, allow_redirects
            )

    return HeaderAuthAsyncTwilioHttpClient
