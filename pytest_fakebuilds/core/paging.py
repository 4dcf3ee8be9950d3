"""``PageSize``/``Page``/``PageToken`` in, ``meta`` out: the one place that pages.

Order is newest first (by creation). Pages are cut by keyset, not offset:
a ``PageToken`` names the record the next (or previous) page starts after,
so records created or deleted between page reads never cause a record that
existed throughout to be skipped or served twice. ``Page`` is, as Twilio
documents it, "simply for client state": it is echoed in ``meta`` and
advanced in the next/previous URLs, but never selects records.

Tokens are signed, so that the fake answers only the ones it issued, for the
list it issued them for: ``PT`` + unpadded URL-safe base64 of the direction
(``n``/``p``), the sequence number in decimal, and the first 16 bytes of an
HMAC-SHA256 over the direction, the sequence number, the list's path (without
the host) and the list's filters as its meta URLs carry them. The key is the
fake's ``page_key``, fixed by its seed, so the same calls give the same tokens
on every run and a fake made with the same seed accepts them.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any, Literal, TypeVar
from urllib.parse import quote

from . import errors
from .records import Record
from .store import OrderedIndex
from .wire import last_value

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 1000

R = TypeVar("R", bound=Record)
_INTEGER = re.compile(r"-?[0-9]{1,9}\Z")

TOKEN_PREFIX = "PT"
# Bytes of the HMAC a token carries: 128 bits, out of reach of guessing.
MAC_SIZE = 16
# Changing what is signed changes this label, so that no older token passes.
_VERSION = "fakebuilds-page-token-1"
_TOKEN = re.compile(r"PT[A-Za-z0-9_-]+\Z")
# Direction, then a sequence number written one way only (no sign, no leading zero).
_PAYLOAD = re.compile(rb"([np])(0|[1-9][0-9]{0,17})")
# Records read to learn whether there are any: one is enough.
_ANY = 1

# A filter's value as meta URLs repeat it: every reserved character encoded.
_encode = partial(quote, safe="")


@dataclass(frozen=True)
class Cursor:
    direction: Literal["next", "prev"]
    seq: int


@dataclass(frozen=True)
class PageTokens:
    """The tokens of one list, as one request names it: issues and verifies them.

    ``path`` is the list's path without the host (a regional host serves the
    same list); ``filters`` are the list's filter parameters as its meta URLs
    repeat them (name and value as sent, in the list's own order). A token
    verifies only for the same key, path and filters.
    """

    key: bytes
    path: str
    filters: tuple[tuple[str, str], ...] = ()

    def issue(self, cursor: Cursor) -> str:
        payload = cursor.direction[0].encode() + str(cursor.seq).encode()
        return TOKEN_PREFIX + _b64(payload + self._mac(cursor))

    def verify(self, token: str) -> Cursor:
        """The cursor ``token`` names, or 400/21481 when this list did not issue it."""
        cursor = self._read(token)
        if cursor is None:
            raise errors.bad_request(errors.INVALID_PAGE_TOKEN, code=21481)
        return cursor

    def _read(self, token: str) -> Cursor | None:
        if not _TOKEN.match(token):
            return None
        text = token[len(TOKEN_PREFIX) :]
        try:
            # Equivalent mutant: with the sign flipped this pads 3 where 1 is needed,
            # which Python's decoder takes alike (it forgives padding past the end).
            missing = -len(text) % 4  # pragma: no mutate
            raw = base64.urlsafe_b64decode(text + "=" * missing)
        except (binascii.Error, ValueError):
            return None
        # One spelling per token: other padding bits would decode to the same bytes.
        if _b64(raw) != text:
            return None
        payload, mac = raw[:-MAC_SIZE], raw[-MAC_SIZE:]
        found = _PAYLOAD.fullmatch(payload)
        if found is None:
            return None
        cursor = Cursor("next" if found[1] == b"n" else "prev", int(found[2]))
        return cursor if hmac.compare_digest(mac, self._mac(cursor)) else None

    def _mac(self, cursor: Cursor) -> bytes:
        signed = json.dumps(
            [_VERSION, cursor.direction, cursor.seq, self.path, [list(f) for f in self.filters]],
            # Equivalent mutants: how the signed text is spelled is the fake's own
            # (issue and verify share it; the docs promise no spelling).
            separators=(",", ":"),  # pragma: no mutate
        )
        return hmac.new(self.key, signed.encode(), hashlib.sha256).digest()[:MAC_SIZE]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


@dataclass(frozen=True)
class PageRequest:
    size: int
    page: int
    cursor: Cursor | None

    @classmethod
    def parse(cls, query: dict[str, list[str]], tokens: PageTokens) -> PageRequest:
        """The paging parameters of a list request; a ``PageToken`` that is
        present, even empty, must be one ``tokens`` issued."""
        size = last_value(query, "PageSize")
        page = last_value(query, "Page")
        token = last_value(query, "PageToken")
        page_size = DEFAULT_PAGE_SIZE if size is None else _int(size)
        if page_size is None or not 1 <= page_size <= MAX_PAGE_SIZE:
            raise errors.bad_request(errors.INVALID_PAGE_SIZE.format(value=size))
        page_number = 0 if page is None else _int(page)
        if page_number is None or page_number < 0:
            raise errors.bad_request(errors.INVALID_PAGE.format(value=page))
        cursor = None if token is None else tokens.verify(token)
        return cls(page_size, page_number, cursor)


def render_page(
    index: OrderedIndex[R],
    request: PageRequest,
    *,
    key: str,
    list_url: str,
    render: Callable[[R], dict[str, Any]],
    tokens: PageTokens,
    where: Callable[[R], bool] | None = None,
) -> dict[str, Any]:
    """One page of ``index`` in Twilio's list envelope, with absolute meta URLs.

    ``where`` keeps only the records a list's filters select; ``tokens.filters``
    are those query parameters as the client sent them, repeated (encoded)
    before the paging ones in every meta URL, as Twilio's Logs list does, and
    signed into every token.
    """
    cursor = request.cursor
    if cursor is None:
        records, more_older = index.older_than(None, request.size, where)
        more_newer = False  # pragma: no mutate (equivalent: None is as false)
    elif cursor.direction == "next":
        records, more_older = index.older_than(cursor.seq, request.size, where)
        # An empty page links nowhere, whatever lies around it.
        more_newer = bool(records) and index.newer_than(records[0].seq, _ANY, where)[0] != []
    else:
        records, more_newer = index.newer_than(cursor.seq, request.size, where)
        more_older = bool(records) and index.older_than(records[-1].seq, _ANY, where)[0] != []

    prefix = "".join(f"{name}={_encode(value)}&" for name, value in tokens.filters)

    def url(page: int, token: Cursor | None) -> str:
        query = f"?{prefix}PageSize={request.size}&Page={page}"
        if token is not None:
            query += f"&PageToken={tokens.issue(token)}"
        return list_url + query

    next_url = (
        url(request.page + 1, Cursor("next", records[-1].seq)) if records and more_older else None
    )
    previous_url = (
        url(max(request.page - 1, 0), Cursor("prev", records[0].seq))
        if records and more_newer
        else None
    )
    return {
        key: [render(record) for record in records],
        "meta": {
            "first_page_url": url(0, None),
            "key": key,
            "next_page_url": next_url,
            "page": request.page,
            "page_size": request.size,
            "previous_page_url": previous_url,
            "url": url(request.page, cursor),
        },
    }


def _int(value: str) -> int | None:
    return int(value) if _INTEGER.match(value) else None
