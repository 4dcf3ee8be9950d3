"""Functions and Assets (``ZH``): named containers of uploaded Versions.

The two share a prefix, a shape and every rule, so one set of rules serves
both, told apart by a :class:`Kind`; each operation still has its own
handler, named after its operationId.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from ..core import errors, sids
from ..core.records import (
    Asset,
    AssetVersion,
    CodeResource,
    Function,
    FunctionVersion,
    Service,
    Version,
)
from ..core.routing import Router
from ..core.store import Store, Table
from ..core.wire import Response, render_date
from . import environments, services
from .backend import Backend
from .common import Ctx, field, found, list_answer, max_length, required

MAX_FRIENDLY_NAME = 255

C = TypeVar("C", bound=CodeResource)
V = TypeVar("V", bound=Version)


@dataclass(frozen=True)
class Kind(Generic[C, V]):
    """Functions or Assets, with their Versions: what tells the two apart."""

    record: type[C]
    version: type[V]
    segment: str  # in paths: Functions, Assets
    key: str  # the list key: functions, assets
    versions_key: str  # the versions' list key and link name: function_versions, ...
    parent_param: str  # the parent's placeholder in the Versions paths: FunctionSid, ...
    table: Callable[[Store], Table[C]]
    versions: Callable[[Store], Table[V]]

    def path(self, service_sid: str) -> str:
        return f"/v1/Services/{service_sid}/{self.segment}"


FUNCTIONS: Kind[Function, FunctionVersion] = Kind(
    Function,
    FunctionVersion,
    "Functions",
    "functions",
    "function_versions",
    "FunctionSid",
    lambda store: store.functions,
    lambda store: store.function_versions,
)
ASSETS: Kind[Asset, AssetVersion] = Kind(
    Asset,
    AssetVersion,
    "Assets",
    "assets",
    "asset_versions",
    "AssetSid",
    lambda store: store.assets,
    lambda store: store.asset_versions,
)


def register(router: Router[Backend]) -> None:
    for kind, create_op, list_op, fetch_op, update_op, delete_op in (
        (
            FUNCTIONS,
            create_function,
            list_function,
            fetch_function,
            update_function,
            delete_function,
        ),
        (ASSETS, create_asset, list_asset, fetch_asset, update_asset, delete_asset),
    ):
        many = f"/v1/Services/{{ServiceSid}}/{kind.segment}"
        one = many + "/{Sid}"
        router.add("POST", many)(create_op)
        router.add("GET", many)(list_op)
        router.add("GET", one)(fetch_op)
        router.add("POST", one)(update_op)
        router.add("DELETE", one)(delete_op)


# Handlers -----------------------------------------------------------------------


def create_function(ctx: Ctx) -> Response:
    return _create(ctx, FUNCTIONS)


def create_asset(ctx: Ctx) -> Response:
    return _create(ctx, ASSETS)


def list_function(ctx: Ctx) -> Response:
    return _list(ctx, FUNCTIONS)


def list_asset(ctx: Ctx) -> Response:
    return _list(ctx, ASSETS)


def fetch_function(ctx: Ctx) -> Response:
    return _fetch(ctx, FUNCTIONS)


def fetch_asset(ctx: Ctx) -> Response:
    return _fetch(ctx, ASSETS)


def update_function(ctx: Ctx) -> Response:
    return _update(ctx, FUNCTIONS)


def update_asset(ctx: Ctx) -> Response:
    return _update(ctx, ASSETS)


def delete_function(ctx: Ctx) -> Response:
    return _delete(ctx, FUNCTIONS)


def delete_asset(ctx: Ctx) -> Response:
    return _delete(ctx, ASSETS)


def _create(ctx: Ctx, kind: Kind[C, V]) -> Response:
    service = services.in_path(ctx)
    resource = create(ctx.backend, kind, service, friendly_name=field(ctx, "FriendlyName"))
    return Response.json(201, render(ctx.base_url, kind, resource))


def _list(ctx: Ctx, kind: Kind[C, V]) -> Response:
    service = services.in_path(ctx)
    return list_answer(
        ctx,
        kind.table(ctx.backend.store).of(service.sid),
        key=kind.key,
        list_url=ctx.base_url + kind.path(service.sid),
        render=lambda resource: render(ctx.base_url, kind, resource),
    )


def _fetch(ctx: Ctx, kind: Kind[C, V]) -> Response:
    resource = get(ctx.backend, kind, ctx.params["ServiceSid"], ctx.params["Sid"])
    return Response.json(200, render(ctx.base_url, kind, resource))


def _update(ctx: Ctx, kind: Kind[C, V]) -> Response:
    with ctx.backend.store.atomic():
        resource = get(ctx.backend, kind, ctx.params["ServiceSid"], ctx.params["Sid"])
        update(ctx.backend, resource, friendly_name=field(ctx, "FriendlyName"))
        return Response.json(200, render(ctx.base_url, kind, resource))


def _delete(ctx: Ctx, kind: Kind[C, V]) -> Response:
    with ctx.backend.store.atomic():
        delete(
            ctx.backend, kind, get(ctx.backend, kind, ctx.params["ServiceSid"], ctx.params["Sid"])
        )
    return Response(204)


# Rules --------------------------------------------------------------------------


def create(backend: Backend, kind: Kind[C, V], service: Service, *, friendly_name: str | None) -> C:
    name = max_length("FriendlyName", required("FriendlyName", friendly_name), MAX_FRIENDLY_NAME)
    with backend.store.atomic():
        services.get(backend, service.sid)  # still there
        now = backend.now()
        resource = kind.record(
            sid=backend.mint(sids.FUNCTION),
            account_sid=backend.account_sid,
            service_sid=service.sid,
            friendly_name=name,
            date_created=now,
            date_updated=now,
        )
        kind.table(backend.store).add(resource)
        return resource


def get(backend: Backend, kind: Kind[C, V], service_sid: str, sid: str) -> C:
    service = services.get(backend, service_sid)
    return found(kind.table(backend.store).get_under(service.sid, sid), f"{kind.record.kind} {sid}")


def update(backend: Backend, resource: CodeResource, *, friendly_name: str | None) -> None:
    name = max_length("FriendlyName", required("FriendlyName", friendly_name), MAX_FRIENDLY_NAME)
    with backend.store.atomic():
        resource.friendly_name = name
        resource.date_updated = backend.now()


def delete(backend: Backend, kind: Kind[C, V], resource: C) -> None:
    """Refused while one of its versions is in a build live on an environment."""
    store = backend.store
    with store.atomic():
        for build_sid in environments.live_build_sids(backend, resource.service_sid):
            build = store.builds.get(build_sid)
            if build is not None and any(
                version.parent_sid == resource.sid
                for version in (*build.function_versions, *build.asset_versions)
            ):
                raise errors.ConflictError(errors.RESOURCE_IN_USE.format(kind=kind.record.kind))
        kind.versions(store).clear(resource.sid)
        kind.table(store).remove(resource)


# Wire form ------------------------------------------------------------------------


def render(base_url: str, kind: Kind[C, V], resource: C) -> dict[str, object]:
    url = f"{base_url}{kind.path(resource.service_sid)}/{resource.sid}"
    return {
        "sid": resource.sid,
        "account_sid": resource.account_sid,
        "service_sid": resource.service_sid,
        "friendly_name": resource.friendly_name,
        "date_created": render_date(resource.date_created),
        "date_updated": render_date(resource.date_updated),
        "url": url,
        "links": {kind.versions_key: f"{url}/Versions"},
    }
