"""``PageSize``/``Page``/``PageToken`` in, ``meta`` out: the one place that pages.

Order is newest first (by creation). Pages are cut by keyset, not offset:
a ``PageToken`` names the record the next (or previous) page starts after,
so records created or deleted between page reads never cause a record that
existed throughout to be skipped or served twice. ``Page`` is, as Twilio
documents it, "simply for client state": it is echoed in ``meta`` and
advanced in the next/previous URLs, but never selects records.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
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


@dataclass(frozen=True)
class Cursor:
    direction: Literal["next", "prev"]
    seq: int

    def encode(self) -> str:
        raw = json.dumps({"d": self.direction, "s": self.seq}, separators=(",", ":"))
        return "PT" + base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, token: str) -> Cursor:
        try:
            if not token.startswith("PT"):
                raise ValueError
            data = token[2:]
            raw = base64.urlsafe_b64decode(data + "=" * (-len(data) % 4))
            value = json.loads(raw)
            direction, seq = value["d"], value["s"]
            if direction not in ("next", "prev") or not isinstance(seq, int):
                raise ValueError
        except (ValueError, KeyError, TypeError, binascii.Error, UnicodeDecodeError):
            raise errors.bad_request(errors.INVALID_PAGE_TOKEN, code=21481) from None
        return cls(direction, seq)


@dataclass(frozen=True)
class PageRequest:
    size: int
    page: int
    cursor: Cursor | None

    @classmethod
    def parse(cls, query: dict[str, list[str]]) -> PageRequest:
        size = last_value(query, "PageSize")
        page = last_value(query, "Page")
        token = last_value(query, "PageToken")
        page_size = DEFAULT_PAGE_SIZE if size is None else _int(size)
        if page_size is None or not 1 <= page_size <= MAX_PAGE_SIZE:
            raise errors.bad_request(errors.INVALID_PAGE_SIZE.format(value=size))
        page_number = 0 if page is None else _int(page)
        if page_number is None or page_number < 0:
            raise errors.bad_request(errors.INVALID_PAGE.format(value=page))
        cursor = Cursor.decode(token) if token else None
        return cls(page_size, page_number, cursor)


def render_page(
    index: OrderedIndex[R],
    request: PageRequest,
    *,
    key: str,
    list_url: str,
    render: Callable[[R], dict[str, Any]],
    where: Callable[[R], bool] | None = None,
    filters: Sequence[tuple[str, str]] = (),
) -> dict[str, Any]:
    """One page of ``index`` in Twilio's list envelope, with absolute meta URLs.

    ``where`` keeps only the records a list's filters select; ``filters`` are
    those query parameters as the client sent them, repeated (encoded) before
    the paging ones in every meta URL, as Twilio's Logs list does.
    """
    cursor = request.cursor
    if cursor is None:
        records, more_older = index.older_than(None, request.size, where)
        more_newer = False
    elif cursor.direction == "next":
        records, more_older = index.older_than(cursor.seq, request.size, where)
        newest = records[0].seq if records else cursor.seq - 1
        more_newer = index.newer_than(newest, 1, where)[0] != []
    else:
        records, more_newer = index.newer_than(cursor.seq, request.size, where)
        more_older = bool(records) and index.older_than(records[-1].seq, 1, where)[0] != []

    prefix = "".join(f"{name}={quote(value, safe='')}&" for name, value in filters)

    def url(page: int, token: Cursor | None) -> str:
        query = f"?{prefix}PageSize={request.size}&Page={page}"
        if token is not None:
            query += f"&PageToken={token.encode()}"
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
