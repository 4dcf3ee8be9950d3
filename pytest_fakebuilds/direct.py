"""The direct transport: twilio-python answered by one fake's core, no HTTP library between.

:class:`DirectHttpClient` is a ``twilio.http.HttpClient``, the interface
twilio-python's own test helpers implement. ``FakeBuilds.client()`` hands one
to every ``twilio.rest.Client`` it makes: each call goes straight to the
dispatch core of the fake that made the client, without ``requests``,
``responses`` or the process-wide interception.

What the core sees is what it sees through ``requests``, byte for byte: the
URL with its query encoded by requests' rules (a key per list item, ``+`` for
spaces, ``None`` left out), the form body likewise, and the headers a
``TwilioHttpClient`` session sends (requests' defaults merged with twilio's,
``Content-Length``, ``Authorization: Basic`` from ``auth``), in the same
order. The answer comes back as ``TwilioHttpClient`` gives it: a
``twilio.http.response.Response`` whose text is decoded as requests decodes
it and whose headers are a case-insensitive mapping; ``_test_only_last_request``
and ``_test_only_last_response`` (also readable as ``last_request`` and
``last_response``), ``timeout`` checks and the ``logger`` lines are
twilio's own.

Requests to hosts the fake does not serve go through a ``TwilioHttpClient``
on ``requests``, exactly as the requests transport would send them: another
Twilio host is refused with :class:`UnmockedTwilioHostError`, any other host
is left to ``requests`` (and to a test's own ``responses`` stubs). A client
whose fake is not active refuses every request with
:class:`FakeNotActiveError`, so that it can never reach a real account.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode, urlsplit

from requests.models import PreparedRequest, RequestEncodingMixin
from requests.utils import default_headers, get_encoding_from_headers
from twilio.http import HttpClient
from twilio.http.request import Request as TwilioRequest
from twilio.http.response import Response as TwilioResponse

from .core.errors import FakeNotActiveError
from .core.routing import host_kind
from .core.wire import JSON_CONTENT_TYPE, Request

__all__ = [
    "DirectHttpClient",
    "FakeNotActiveError",
    "ResponseHeaders",
    "encode_params",
    "prepare_url",
]

if TYPE_CHECKING:
    from twilio.http.http_client import TwilioHttpClient

    from .fake import FakeBuilds

_logger = logging.getLogger("twilio.http_client")  # TwilioHttpClient's logger

# What a requests Session sends unless told otherwise (User-Agent,
# Accept-Encoding, Accept, Connection), in its order.
_SESSION_HEADERS: tuple[tuple[str, str], ...] = tuple(default_headers().items())
_TWILIO_HOST = re.compile(r"(?:^|\.)twilio\.com\.?\Z")  # as the interception tells them
_JSON_TYPES = ("application/json", "application/scim+json")

# A URL requests would send unchanged: https or http, a lower-case host
# without port, a path with no percent sign and no dot segment, and a query
# whose escapes are upper-case and stand for characters requests keeps
# escaped. Anything else is prepared by requests itself.
_PLAIN_URL = re.compile(
    r"https?://([a-z0-9-]+(?:\.[a-z0-9-]+)*)"
    r"(?:/(?!\.)[A-Za-z0-9_~.-]*)+"
    r"(?:\?(?:[A-Za-z0-9_.~=&+-]"
    r"|%(?:[01][0-9A-F]|2[0-9A-CF]|3[A-F]|40|5[B-E]|60|7[B-DF]|[89A-F][0-9A-F]))+)?"
)


def encode_params(data: Any) -> Any:
    """Query or form fields encoded as ``requests`` encodes them.

    A mapping's values may be scalars or iterables: one ``key=value`` per
    item, ``None`` left out, ``+`` for spaces, UTF-8. Anything else (text,
    bytes, a file, pairs) goes to requests' own encoder.
    """
    if not isinstance(data, Mapping):
        return _requests_encode(data)
    pairs: list[tuple[Any, Any]] = []
    for key, values in data.items():
        if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
            values = (values,)
        for value in values:
            if value is not None:
                pairs.append((key, value))
    return urlencode(pairs, doseq=True)


def prepare_url(url: str, params: Any = None) -> str:
    """The URL ``requests`` would send for ``url`` and query ``params``."""
    return _prepare(url, params)[0]


def _prepare(url: str, params: Any) -> tuple[str, str]:
    """The URL requests would send, and its host name."""
    plain = _PLAIN_URL.fullmatch(url)
    if plain is None:
        prepared = PreparedRequest()
        prepared.prepare_url(url, params)
        url = prepared.url or url
        return url, urlsplit(url).hostname or ""
    if params:
        encoded = encode_params(params)
        if encoded:
            url = f"{url}&{encoded}" if "?" in url else f"{url}?{encoded}"
    return url, plain.group(1)


def basic_auth(username: str | bytes, password: str | bytes) -> str:
    """requests' ``Authorization`` value for Basic auth (text is Latin-1, as there)."""
    from base64 import b64encode

    user = username.encode("latin1") if isinstance(username, str) else username
    secret = password.encode("latin1") if isinstance(password, str) else password
    return "Basic " + b64encode(b":".join((user, secret))).strip().decode("ascii")


class DirectHttpClient(HttpClient):  # type: ignore[misc]  # twilio is untyped
    """A ``twilio.http.HttpClient`` answered by ``fake``'s core, in process.

    ``timeout`` and ``logger`` mean what they mean to ``TwilioHttpClient``
    (the fake never waits, so a timeout is only checked, never reached).
    """

    def __init__(
        self,
        fake: FakeBuilds,
        *,
        timeout: float | None = None,
        logger: logging.Logger = _logger,
    ) -> None:
        super().__init__(logger, False, timeout)
        self.fake = fake
        self._core = fake._core
        self._fallback: TwilioHttpClient | None = None
        # Merged headers by twilio's headers (the same few on every call),
        # and Authorization values by credentials.
        self._headers: dict[tuple[tuple[str, str], ...], tuple[dict[str, str], dict[str, str]]]
        self._headers = {}
        self._auth: dict[tuple[Any, Any], str] = {}

    @property
    def last_request(self) -> TwilioRequest | None:
        """The last request as twilio describes it (``_test_only_last_request``)."""
        return self._test_only_last_request

    @property
    def last_response(self) -> TwilioResponse | None:
        """The last answer (``_test_only_last_response``); None while one failed."""
        return self._test_only_last_response

    def request(
        self,
        method: str,
        uri: str,
        params: dict[str, object] | None = None,
        data: dict[str, object] | None = None,
        headers: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        timeout: float | None = None,
        allow_redirects: bool = False,
    ) -> TwilioResponse:
        if timeout is None:
            timeout = self.timeout
        elif timeout <= 0:
            raise ValueError(timeout)
        url, host = _prepare(uri, params)
        kind = host_kind(host)
        if kind is None and _TWILIO_HOST.search(host) is None:
            # Not Twilio's: wherever requests would take it (a server's
            # own URL, a test's responses stub), fake active or not.
            return self._through_requests(
                method, uri, params, data, headers, auth, timeout, allow_redirects
            )
        if not self.fake.active:
            raise FakeNotActiveError(
                f"pytest-fakebuilds: {method.upper()} {url} was refused: this client answers "
                f"from {self.fake!r}, which is not active (stopped, or not started yet); "
                "make the client's calls while the fake is active"
            )
        if kind is None:
            # Another Twilio host: the interception refuses it, as it refuses
            # the requests transport's.
            return self._through_requests(
                method, uri, params, data, headers, auth, timeout, allow_redirects
            )

        method = method.upper()
        kwargs: dict[str, Any] = {
            "method": method,
            "url": uri,
            "params": params,
            "headers": headers,
            "auth": auth,
        }
        as_json = headers is not None and headers.get("Content-Type") in _JSON_TYPES
        kwargs["json" if as_json else "data"] = data
        logging_on = self.logger.isEnabledFor(logging.INFO)
        if logging_on:
            self.log_request(kwargs)
        self._test_only_last_response = None
        self._test_only_last_request = TwilioRequest(**kwargs)

        wire_headers, names = self._merged(headers)
        body: bytes | None
        content_type: str | None = None
        if as_json:
            if data is None:
                body = None
            else:
                text = _requests_json().dumps(data, allow_nan=False)
                body = text if isinstance(text, bytes) else text.encode("utf-8")
                content_type = "application/json"
        elif data:
            encoded = encode_params(data)
            body = encoded.encode("utf-8") if isinstance(encoded, str) else encoded
            if isinstance(data, Mapping):
                content_type = "application/x-www-form-urlencoded"
        else:
            body = None
        if body is not None:
            if body:
                _put(wire_headers, names, "Content-Length", str(len(body)))
        elif method != "GET" and method != "HEAD" and "content-length" not in names:
            _put(wire_headers, names, "Content-Length", "0")
        if content_type is not None and "content-type" not in names:
            _put(wire_headers, names, "Content-Type", content_type)
        if auth is not None:
            value = self._auth.get(auth)
            if value is None:
                value = self._auth[auth] = basic_auth(*auth)
            _put(wire_headers, names, "Authorization", value)

        answer = self._core.handle(Request(method, url, wire_headers, body or b""))
        if answer.exception is not None:
            raise answer.exception  # a fault: the transport fails, as requests would
        answer_headers = ResponseHeaders(answer.headers)
        response = TwilioResponse(answer.status, _text(answer.body, answer_headers), answer_headers)
        if logging_on:
            self.log_response(answer.status, response)  # it reads the headers only
        self._test_only_last_response = response
        return response

    def _merged(self, headers: dict[str, str] | None) -> tuple[dict[str, str], dict[str, str]]:
        """requests' Session headers merged with twilio's, as a prepared request
        holds them, and their names by lower case (copies: the caller adds to them)."""
        key = tuple(headers.items()) if headers else ()
        entry: tuple[dict[str, str], dict[str, str]] | None = self._headers.get(key)
        if entry is None:
            merged: dict[str, Any] = {}
            names: dict[str, str] = {}
            for name, value in (*_SESSION_HEADERS, *key):
                _put(merged, names, name, value)
            for name in [name for name, value in merged.items() if value is None]:
                del merged[name], names[name.lower()]
            entry = (merged, names)
            if len(self._headers) < 32:
                self._headers[key] = entry
        return dict(entry[0]), dict(entry[1])

    def _through_requests(
        self,
        method: str,
        uri: str,
        params: dict[str, object] | None,
        data: dict[str, object] | None,
        headers: dict[str, str] | None,
        auth: tuple[str, str] | None,
        timeout: float | None,
        allow_redirects: bool,
    ) -> TwilioResponse:
        # Hosts the fake does not serve: sent as the requests transport sends
        # them, so they meet the same refusal (or the same test stub).
        fallback = self._fallback
        if fallback is None:
            from twilio.http.http_client import TwilioHttpClient

            fallback = self._fallback = TwilioHttpClient(timeout=self.timeout, logger=self.logger)
        fallback.logger = self.logger
        self._test_only_last_response = None
        try:
            return fallback.request(
                method,
                uri,
                params=params,
                data=data,
                headers=headers,
                auth=auth,
                timeout=timeout,
                allow_redirects=allow_redirects,
            )
        finally:
            self._test_only_last_request = fallback._test_only_last_request
            self._test_only_last_response = fallback._test_only_last_response


class ResponseHeaders(dict[str, str]):
    """An answer's headers: a plain dict (``dict(headers)``, as twilio-python
    makes of them, is a plain copy) whose look-ups ignore case, as those of
    requests' ``CaseInsensitiveDict`` do."""

    def _actual(self, name: object) -> str | None:
        if isinstance(name, str):
            lowered = name.lower()
            for key in self:
                if key.lower() == lowered:
                    return key
        return None

    def __getitem__(self, name: str) -> str:
        try:
            return dict.__getitem__(self, name)
        except KeyError:
            key = self._actual(name)
            if key is None:
                raise
            return dict.__getitem__(self, key)

    def get(self, name: str, default: Any = None) -> Any:
        value = dict.get(self, name)
        if value is not None:
            return value
        key = self._actual(name)
        return default if key is None else dict.__getitem__(self, key)

    def __contains__(self, name: object) -> bool:
        return dict.__contains__(self, name) or self._actual(name) is not None


def _put(headers: dict[str, Any], names: dict[str, str], name: str, value: Any) -> None:
    """Set a header as requests' CaseInsensitiveDict does: a name already there
    in any case keeps its place and takes this spelling. ``names`` maps lower
    case to the spelling in ``headers``."""
    lowered = name.lower()
    existing = names.get(lowered)
    if existing is None or existing == name:
        headers[name] = value
    else:
        items = [(name, value) if key == existing else (key, v) for key, v in headers.items()]
        headers.clear()
        headers.update(items)
    names[lowered] = name


def _text(body: bytes, headers: Mapping[str, str]) -> str:
    """``requests.Response.text`` for this body and these headers."""
    if not body:
        return ""
    if headers.get("Content-Type") == JSON_CONTENT_TYPE:
        return body.decode("utf-8", "replace")
    # Anything else (a fault's raw body, say) is decoded by requests itself:
    # the declared charset, else its guess.
    from requests.models import Response as RequestsResponse

    response = RequestsResponse()
    response._content = body
    response.encoding = get_encoding_from_headers(headers)
    return response.text


def _requests_encode(data: Any) -> Any:
    return getattr(RequestEncodingMixin, "_encode_params")(data)  # noqa: B009


def _requests_json() -> Any:
    import requests.compat

    return getattr(requests.compat, "json")  # noqa: B009  # simplejson when installed, as there
