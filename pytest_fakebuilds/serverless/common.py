"""What every family shares: checks on parameter values, and the shape of a list answer.

The checks take Python values and the API's parameter name, so a rule
refuses a bad value the same way whether it came from a form or a helper.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from typing import Any, TypeVar
from urllib.parse import urlsplit

from ..core import errors, sids
from ..core.paging import PageRequest, PageTokens, render_page
from ..core.records import VISIBILITIES, Record, Visibility
from ..core.routing import Context
from ..core.store import OrderedIndex
from ..core.wire import Response, last_value
from .backend import Backend

Ctx = Context[Backend]
R = TypeVar("R", bound=Record)

# A DNS label: what a Service's unique name and an Environment's domain
# suffix become in ``domain_name``.
_LABEL = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\Z")
_DATE_TIME = re.compile(
    r"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{3}|\.\d{6})?)([Zz]|[+-]\d{2}:\d{2})?\Z"
)


# Checks on values ---------------------------------------------------------------


def required(param: str, value: str | None) -> str:
    if value is None or value == "":
        raise errors.bad_request(errors.MISSING_PARAMETER.format(param=param))
    return value


def max_length(param: str, value: str, limit: int) -> str:
    if len(value) > limit:
        raise errors.bad_request(
            errors.TOO_LONG.format(param=param, limit=limit, unit="characters")
        )
    return value


def max_bytes(param: str, value: str, limit: int) -> str:
    if len(value.encode("utf-8")) > limit:
        raise errors.bad_request(errors.TOO_LONG.format(param=param, limit=limit, unit="bytes"))
    return value


def label(param: str, value: str, limit: int) -> str:
    """A value that becomes part of a host name: letters, digits, inner hyphens."""
    max_length(param, value, limit)
    if not _LABEL.match(value):
        raise errors.bad_request(errors.INVALID_NAME.format(param=param, value=value))
    return value


def boolean(param: str, raw: str | None, default: bool) -> bool:
    """``true``/``false`` as twilio-python and the Node toolkit send them."""
    if raw is None:
        return default
    lowered = raw.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    raise errors.bad_request(errors.NOT_A_BOOLEAN.format(param=param, value=raw))


def visibility(value: str | None) -> Visibility:
    value = required("Visibility", value)
    if value not in VISIBILITIES:
        raise errors.bad_request(errors.INVALID_VISIBILITY.format(value=value))
    return value  # type: ignore[return-value]


def version_path(value: str | None) -> str:
    """Twilio adds a missing leading ``/`` and keeps paths up to 255 characters
    (counted with the slash, so that what is stored is within the limit)."""
    value = required("Path", value)
    return max_length("Path", value if value.startswith("/") else "/" + value, 255)


def sid(param: str, value: str, prefix: str, kind: str) -> str:
    if not sids.is_sid(value, prefix):
        raise errors.bad_request(errors.INVALID_SID.format(param=param, value=value, kind=kind))
    return value


def date_time(param: str, raw: str) -> datetime:
    """An ISO 8601 instant as twilio-python (``…Z``) or Node (``….000Z``) sends it.

    Only the full date-time form is taken, so that every Python version reads
    the same values; one whose UTC form falls outside years 1 to 9999 is as
    bad as any other.
    """
    found = _DATE_TIME.match(raw)
    try:
        if found is None:
            raise ValueError(raw)
        text, zone = found.group(1), found.group(2)
        value = datetime.fromisoformat(text + ("+00:00" if zone in (None, "Z", "z") else zone))
        return value.astimezone(timezone.utc)
    except (ValueError, OverflowError):
        raise errors.bad_request(errors.INVALID_DATE.format(param=param, value=raw)) from None


# Handlers' shared steps -------------------------------------------------------------


def found(record: R | None, what: str) -> R:
    """``record``, or the 404 of the thing a path named."""
    if record is None:
        raise errors.NotFoundError(what)
    return record


def field(ctx: Ctx, name: str) -> str | None:
    """A form field of the request; sent more than once, the last one counts."""
    return last_value(ctx.request.form, name)


def list_answer(
    ctx: Ctx,
    index: OrderedIndex[R],
    *,
    key: str,
    list_url: str,
    render: Callable[[R], dict[str, Any]],
    where: Callable[[R], bool] | None = None,
    filters: Sequence[tuple[str, str]] = (),
) -> Response:
    """A page of ``index``; its tokens are signed with the fake's ``page_key``
    for this list's path and ``filters``, and only such tokens are taken back."""
    tokens = PageTokens(ctx.backend.page_key, urlsplit(list_url).path, tuple(filters))
    page = PageRequest.parse(ctx.request.query, tokens)
    with ctx.backend.store.atomic():
        body = render_page(
            index,
            page,
            key=key,
            list_url=list_url,
            render=render,
            tokens=tokens,
            where=where,
        )
    return Response.json(200, body)
