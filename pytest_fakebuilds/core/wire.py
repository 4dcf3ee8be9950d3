"""Transport-neutral request and response.

Every way into the fake (the ``responses`` adapter today; a real server and
the async client later) converts to and from these two types, so the
dispatch core never sees a transport's own objects.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from urllib.parse import parse_qs, urlsplit

from . import errors

JSON_CONTENT_TYPE = "application/json; charset=utf-8"


def last_value(fields: Mapping[str, list[str]], name: str) -> str | None:
    """A single-valued field of a query or form; sent more than once, the last one counts."""
    values = fields.get(name)
    return values[-1] if values else None


@dataclass(frozen=True)
class Request:
    method: str
    url: str
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""

    @cached_property
    def _split(self) -> tuple[str, str, str]:
        parts = urlsplit(self.url)
        return (parts.hostname or "", parts.path, parts.query)

    @property
    def host(self) -> str:
        return self._split[0]

    @property
    def path(self) -> str:
        return self._split[1]

    @cached_property
    def query(self) -> dict[str, list[str]]:
        return parse_qs(self._split[2], keep_blank_values=True)

    @cached_property
    def form(self) -> dict[str, list[str]]:
        """The form-encoded body; repeated keys keep every value, in order."""
        if not self.body:
            return {}
        try:
            text = self.body.decode("utf-8")
        except UnicodeDecodeError:
            raise errors.bad_request("Request body is not valid UTF-8") from None
        return parse_qs(text, keep_blank_values=True)

    def header(self, name: str) -> str | None:
        value = self.headers.get(name)  # exact, or any case for a case-insensitive mapping
        if value is not None:
            return value
        lowered = name.lower()
        for key, value in self.headers.items():
            if key.lower() == lowered:
                return value
        return None

    def basic_auth(self) -> tuple[str, str] | None:
        value = self.header("Authorization")
        if not value or value[:6].lower() != "basic ":
            return None
        try:
            decoded = base64.b64decode(value[6:].strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return None
        username, sep, password = decoded.partition(":")
        return (username, password) if sep else None


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes = b""
    headers: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, status: int, payload: object) -> Response:
        return cls(status, json.dumps(payload).encode(), {"Content-Type": JSON_CONTENT_TYPE})

    @classmethod
    def json_bytes(cls, status: int, body: bytes) -> Response:
        """A JSON answer whose body is already encoded."""
        return cls(status, body, {"Content-Type": JSON_CONTENT_TYPE})

    @classmethod
    def error(cls, error: errors.ApiError) -> Response:
        return cls(error.status, error.render(), {"Content-Type": JSON_CONTENT_TYPE})
