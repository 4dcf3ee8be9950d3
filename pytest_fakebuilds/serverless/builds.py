"""Build and Build Status: the five operations of the Builds API.

Handlers are named after twilio-oai's operationIds. Each parses what the
wire carries, asks the backend, and renders; no business rule lives here.
"""

from __future__ import annotations

from ..core.paging import PageRequest, render_page
from ..core.records import Build
from ..core.routing import Context, Router
from ..core.wire import Response, last_value

BUILDS = "/v1/Services/{ServiceSid}/Builds"
BUILD = BUILDS + "/{Sid}"
BUILD_STATUS = BUILD + "/Status"


def register(router: Router) -> None:
    router.add("POST", BUILDS)(create_build)
    router.add("GET", BUILDS)(list_build)
    router.add("GET", BUILD)(fetch_build)
    router.add("DELETE", BUILD)(delete_build)
    router.add("GET", BUILD_STATUS)(fetch_build_status)


def _render(ctx: Context, build: Build) -> dict[str, object]:
    return build.to_json(
        ctx.base_url,
        ctx.backend.clock.now(),
        upper_visibility=ctx.backend.settings.uppercase_build_visibility,
    )


def _answer(ctx: Context, status: int, build: Build) -> Response:
    body = build.to_json_bytes(
        ctx.base_url,
        ctx.backend.clock.now(),
        upper_visibility=ctx.backend.settings.uppercase_build_visibility,
    )
    return Response.json_bytes(status, body)


def create_build(ctx: Context) -> Response:
    backend, form = ctx.backend, ctx.request.form
    service = backend.service_or_404(ctx.params["ServiceSid"], ctx.request.path)
    build = backend.create_build(
        service,
        function_version_sids=form.get("FunctionVersions", []),
        asset_version_sids=form.get("AssetVersions", []),
        dependencies=last_value(form, "Dependencies"),
        runtime=last_value(form, "Runtime"),
    )
    return _answer(ctx, 201, build)


def list_build(ctx: Context) -> Response:
    backend = ctx.backend
    service = backend.service_or_404(ctx.params["ServiceSid"], ctx.request.path)
    page = PageRequest.parse(ctx.request.query)
    with backend.store.atomic():
        body = render_page(
            backend.store.builds_of(service.sid),
            page,
            key="builds",
            list_url=f"{ctx.base_url}/v1/Services/{service.sid}/Builds",
            render=lambda build: _render(ctx, build),
        )
    return Response.json(200, body)


def fetch_build(ctx: Context) -> Response:
    build = ctx.backend.build_or_404(ctx.params["ServiceSid"], ctx.params["Sid"], ctx.request.path)
    return _answer(ctx, 200, build)


def delete_build(ctx: Context) -> Response:
    backend = ctx.backend
    with backend.store.atomic():
        build = backend.build_or_404(ctx.params["ServiceSid"], ctx.params["Sid"], ctx.request.path)
        backend.delete_build(build)
    return Response(204)


def fetch_build_status(ctx: Context) -> Response:
    build = ctx.backend.build_or_404(ctx.params["ServiceSid"], ctx.params["Sid"], ctx.request.path)
    return Response.json(200, build.status_json(ctx.base_url, ctx.backend.clock.now()))
