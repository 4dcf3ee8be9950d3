"""Function Versions and Asset Versions (``ZN``): immutable uploads of code.

They are created only on the upload host, ``serverless-upload.twilio.com``
(and its edge and region forms), by a multipart ``POST`` of ``Path``,
``Visibility`` and a ``Content`` file; the REST host only reads them. A
Function Version's code is served back at ``…/Content``; an Asset's is not.
"""

from __future__ import annotations

from ..core import errors, sids
from ..core.records import Visibility
from ..core.routing import Router
from ..core.wire import Response, parse_multipart, render_date
from . import functions
from .backend import Backend
from .common import Ctx, found, list_answer, version_path, visibility
from .functions import ASSETS, FUNCTIONS, C, Kind, V

# Published limits for an Asset's content, in bytes (taken as MiB).
MAX_ASSET_BYTES = 25 * 1024 * 1024
MAX_PRIVATE_ASSET_BYTES = 10 * 1024 * 1024


def register(router: Router[Backend]) -> None:
    for kind, upload, list_op, fetch_op in (
        (FUNCTIONS, create_function_version, list_function_version, fetch_function_version),
        (ASSETS, create_asset_version, list_asset_version, fetch_asset_version),
    ):
        many = f"/v1/Services/{{ServiceSid}}/{kind.segment}/{{{kind.parent_param}}}/Versions"
        router.add("POST", many, host="upload")(upload)
        router.add("GET", many)(list_op)
        router.add("GET", many + "/{Sid}")(fetch_op)
    router.add("GET", "/v1/Services/{ServiceSid}/Functions/{FunctionSid}/Versions/{Sid}/Content")(
        fetch_function_version_content
    )


# Handlers -----------------------------------------------------------------------


def create_function_version(ctx: Ctx) -> Response:
    return _upload(ctx, FUNCTIONS)


def create_asset_version(ctx: Ctx) -> Response:
    return _upload(ctx, ASSETS)


def list_function_version(ctx: Ctx) -> Response:
    return _list(ctx, FUNCTIONS)


def list_asset_version(ctx: Ctx) -> Response:
    return _list(ctx, ASSETS)


def fetch_function_version(ctx: Ctx) -> Response:
    return Response.json(200, render(ctx.base_url, FUNCTIONS, _in_path(ctx, FUNCTIONS)))


def fetch_asset_version(ctx: Ctx) -> Response:
    return Response.json(200, render(ctx.base_url, ASSETS, _in_path(ctx, ASSETS)))


def fetch_function_version_content(ctx: Ctx) -> Response:
    version = _in_path(ctx, FUNCTIONS)
    return Response.json(
        200,
        {
            "sid": version.sid,
            "account_sid": version.account_sid,
            "service_sid": version.service_sid,
            "function_sid": version.parent_sid,
            "content": version.content.decode("utf-8", errors="replace"),
            "url": _url(ctx.base_url, FUNCTIONS, version) + "/Content",
        },
    )


def _in_path(ctx: Ctx, kind: Kind[C, V]) -> V:
    params = ctx.params
    return get(ctx.backend, kind, params["ServiceSid"], params[kind.parent_param], params["Sid"])


def _upload(ctx: Ctx, kind: Kind[C, V]) -> Response:
    request = ctx.request
    parent = functions.get(
        ctx.backend, kind, ctx.params["ServiceSid"], ctx.params[kind.parent_param]
    )
    parts = parse_multipart(request.header("Content-Type"), request.body)
    content = parts.get("Content")
    if content is not None and content.filename is None:
        raise errors.bad_request(errors.CONTENT_NOT_A_FILE)
    path, seen = parts.get("Path"), parts.get("Visibility")
    version = create(
        ctx.backend,
        kind,
        parent,
        path=None if path is None else path.data.decode("utf-8", errors="replace"),
        visibility_=None if seen is None else seen.data.decode("utf-8", errors="replace"),
        content=None if content is None else content.data,
        content_type=None if content is None else content.content_type,
    )
    return Response.json(201, render(ctx.base_url, kind, version))


def _list(ctx: Ctx, kind: Kind[C, V]) -> Response:
    parent = functions.get(
        ctx.backend, kind, ctx.params["ServiceSid"], ctx.params[kind.parent_param]
    )
    return list_answer(
        ctx,
        kind.versions(ctx.backend.store).of(parent.sid),
        key=kind.versions_key,
        list_url=f"{ctx.base_url}{kind.path(parent.service_sid)}/{parent.sid}/Versions",
        render=lambda version: render(ctx.base_url, kind, version),
    )


# Rules --------------------------------------------------------------------------


def check(
    kind: Kind[C, V], *, path: str | None, visibility_: str | None, content: bytes | None
) -> tuple[str, Visibility, bytes]:
    """The checks a new Version must pass, apart from its parent's existence,
    so that a helper can make the parent only when they pass."""
    checked_path = version_path(path)
    checked_visibility = visibility(visibility_)
    if content is None:
        raise errors.bad_request(errors.MISSING_PARAMETER.format(param="Content"))
    if kind is ASSETS:
        limit = MAX_PRIVATE_ASSET_BYTES if checked_visibility == "private" else MAX_ASSET_BYTES
        if len(content) > limit:
            raise errors.TooLargeError(
                errors.TOO_LARGE.format(
                    visibility=checked_visibility.capitalize(), limit=limit, size=len(content)
                )
            )
    return checked_path, checked_visibility, content


def create(
    backend: Backend,
    kind: Kind[C, V],
    parent: C,
    *,
    path: str | None,
    visibility_: str | None,
    content: bytes | None,
    content_type: str | None = None,
) -> V:
    """A new Version of ``parent``; nothing is stored unless every check passes."""
    checked_path, checked_visibility, checked_content = check(
        kind, path=path, visibility_=visibility_, content=content
    )
    store = backend.store
    with store.atomic():
        functions.get(backend, kind, parent.service_sid, parent.sid)  # still there
        version = kind.version(
            sid=backend.mint(sids.VERSION),
            account_sid=backend.account_sid,
            service_sid=parent.service_sid,
            parent_sid=parent.sid,
            path=checked_path,
            visibility=checked_visibility,
            content=checked_content,
            content_type=content_type,
            date_created=backend.now(),
        )
        kind.versions(store).add(version)
        return version


def get(backend: Backend, kind: Kind[C, V], service_sid: str, parent_sid: str, sid: str) -> V:
    parent = functions.get(backend, kind, service_sid, parent_sid)
    return found(kind.versions(backend.store).get_under(parent.sid, sid), f"Version {sid}")


# Wire form ------------------------------------------------------------------------


def _url(base_url: str, kind: Kind[C, V], version: V) -> str:
    return f"{base_url}{kind.path(version.service_sid)}/{version.parent_sid}/Versions/{version.sid}"


def render(base_url: str, kind: Kind[C, V], version: V) -> dict[str, object]:
    url = _url(base_url, kind, version)
    body: dict[str, object] = {
        "sid": version.sid,
        "account_sid": version.account_sid,
        "service_sid": version.service_sid,
        version.parent_field: version.parent_sid,
        "path": version.path,
        "visibility": version.visibility,
        "date_created": render_date(version.date_created),
        "url": url,
    }
    if kind is FUNCTIONS:
        body["links"] = {"function_version_content": f"{url}/Content"}
    return body
