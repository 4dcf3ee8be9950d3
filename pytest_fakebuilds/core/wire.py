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
from datetime import datetime
from typing import Any, NamedTuple
from urllib.parse import parse_qs, urlsplit

from . import errors

JSON_CONTENT_TYPE = "application/json; charset=utf-8"


def render_date(value: datetime) -> str:
    """Twilio's date form: seconds precision and a literal Z.

    twilio-python parses no other form and silently keeps anything else as a
    raw string. Formatted by hand: strftime goes through time.strftime,
    which frozen time makes slow.
    """
    return (
        f"{value.year:04d}-{value.month:02d}-{value.day:02d}"
        f"T{value.hour:02d}:{value.minute:02d}:{value.second:02d}Z"
    )


def last_value(fields: Mapping[str, list[str]], name: str) -> str | None:
    """A single-valued field of a query or form; sent more than once, the last one counts."""
    values = fields.get(name)
    return values[-1] if values else None


class Part(NamedTuple):
    """One part of a multipart/form-data body."""

    name: str
    data: bytes
    filename: str | None = None
    content_type: str | None = None


def parse_multipart(content_type: str | None, body: bytes) -> dict[str, Part]:
    """The parts of a multipart/form-data body, by name; the last of a name counts.

    Parsed by the ``multipart`` package's push parser, which keeps everything
    in memory (no spooling to disk) and stops at the first malformed byte.
    """
    import multipart

    kind, options = multipart.parse_options_header(content_type or "")
    boundary = options.get("boundary")
    if kind != "multipart/form-data" or not boundary:
        raise errors.bad_request(errors.NOT_MULTIPART)
    segment_type = multipart.MultipartSegment
    parts: dict[str, Part] = {}
    try:
        parser = multipart.PushMultipartParser(boundary, content_length=len(body))
        segment: Any = None
        chunks: list[bytes] = []
        for event in parser.parse(body):
            if event is None:
                data = bytes(chunks[0]) if len(chunks) == 1 else b"".join(chunks)
                parts[segment.name] = Part(
                    segment.name, data, segment.filename, segment.content_type
                )
            elif event.__class__ is segment_type:
                segment, chunks = event, []
            else:
                chunks.append(event)
        parser.close()  # raises unless the body ended with the closing boundary
    except multipart.MultipartError as exc:
        raise errors.bad_request(errors.BAD_MULTIPART.format(reason=exc)) from None
    return parts


@dataclass(frozen=True, slots=True)
class Request:
    method: str
    url: str
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""
    # Worked out on first use (slots rather than cached_property: no
    # per-request __dict__).
    _split: tuple[str, str, str, str] | None = field(
        default=None, init=False, repr=False, compare=False
    )
    _query: dict[str, list[str]] | None = field(default=None, init=False, repr=False, compare=False)
    _form: dict[str, list[str]] | None = field(default=None, init=False, repr=False, compare=False)

    def _parts(self) -> tuple[str, str, str, str]:
        split = self._split
        if split is None:
            parts = urlsplit(self.url)
            split = (
                parts.hostname or "",
                parts.path,
                parts.query,
                f"{parts.scheme}://{parts.netloc}",
            )
            object.__setattr__(self, "_split", split)
        return split

    @property
    def host(self) -> str:
        return self._parts()[0]

    @property
    def path(self) -> str:
        return self._parts()[1]

    @property
    def origin(self) -> str:
        """``scheme://host[:port]`` as the client addressed it."""
        return self._parts()[3]

    @property
    def query(self) -> dict[str, list[str]]:
        query = self._query
        if query is None:
            query = parse_qs(self._parts()[2], keep_blank_values=True)
            object.__setattr__(self, "_query", query)
        return query

    @property
    def form(self) -> dict[str, list[str]]:
        """The form-encoded body; repeated keys keep every value, in order."""
        form = self._form
        if form is None:
            if not self.body:
                form = {}
            else:
                try:
                    text = self.body.decode("utf-8")
                except UnicodeDecodeError:
                    raise errors.bad_request("Request body is not valid UTF-8") from None
                form = parse_qs(text, keep_blank_values=True)
            object.__setattr__(self, "_form", form)
        return form

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


@dataclass(frozen=True, slots=True)
class Response:
    """An answer. ``exception``, when set, is no answer at all: the client's
    transport raises it instead (a connection error, a timeout)."""

    status: int
    body: bytes = b""
    headers: Mapping[str, str] = field(default_factory=dict)
    exception: BaseException | None = None

    @classmethod
    def json(cls, status: int, payload: object) -> Response:
        return cls(status, json.dumps(payload).encode(), {"Content-Type": JSON_CONTENT_TYPE})

    @classmethod
    def json_bytes(cls, status: int, body: bytes) -> Response:
        """A JSON answer whose body is already encoded."""
        return cls(status, body, {"Content-Type": JSON_CONTENT_TYPE})

    @classmethod
    def error(cls, error: errors.ApiError, path: str) -> Response:
        """Twilio's error body for ``error`` raised while answering a request to ``path``."""
        return cls(error.status, error.render(path), {"Content-Type": JSON_CONTENT_TYPE})
