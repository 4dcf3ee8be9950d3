"""Services (``ZS``): the container of everything a deploy makes.

Routes, then handlers named after twilio-oai's operationIds, then the
rules, which helpers call too.
"""

from __future__ import annotations

from ..core import errors, sids
from ..core.records import Service
from ..core.routing import Router
from ..core.wire import Response, render_date
from .backend import Backend
from .common import Ctx, boolean, field, label, list_answer, max_length, required

SERVICES = "/v1/Services"
SERVICE = SERVICES + "/{Sid}"

# The live API's limit (dev-phone issues #178 and #220, 2024 and 2026).
MAX_SERVICES = 50
MAX_UNIQUE_NAME = 50
MAX_FRIENDLY_NAME = 255


def register(router: Router[Backend]) -> None:
    router.add("POST", SERVICES)(create_service)
    router.add("GET", SERVICES)(list_service)
    router.add("GET", SERVICE)(fetch_service)
    router.add("POST", SERVICE)(update_service)
    router.add("DELETE", SERVICE)(delete_service)


# Handlers -----------------------------------------------------------------------


def create_service(ctx: Ctx) -> Response:
    service = create(
        ctx.backend,
        unique_name=field(ctx, "UniqueName"),
        friendly_name=field(ctx, "FriendlyName"),
        include_credentials=boolean("IncludeCredentials", field(ctx, "IncludeCredentials"), True),
        ui_editable=boolean("UiEditable", field(ctx, "UiEditable"), False),
    )
    return Response.json(201, render(ctx.base_url, service))


def list_service(ctx: Ctx) -> Response:
    backend = ctx.backend
    return list_answer(
        ctx,
        backend.store.services.of(backend.account_sid),
        key="services",
        list_url=f"{ctx.base_url}{SERVICES}",
        render=lambda service: render(ctx.base_url, service),
    )


def fetch_service(ctx: Ctx) -> Response:
    return Response.json(200, render(ctx.base_url, find(ctx.backend, ctx.params["Sid"])))


def update_service(ctx: Ctx) -> Response:
    raw_credentials = field(ctx, "IncludeCredentials")
    raw_editable = field(ctx, "UiEditable")
    with ctx.backend.store.atomic():
        service = find(ctx.backend, ctx.params["Sid"])
        update(
            ctx.backend,
            service,
            friendly_name=field(ctx, "FriendlyName"),
            include_credentials=(
                None
                if raw_credentials is None
                else boolean("IncludeCredentials", raw_credentials, True)
            ),
            ui_editable=None
            if raw_editable is None
            else boolean("UiEditable", raw_editable, False),
        )
        return Response.json(200, render(ctx.base_url, service))


def delete_service(ctx: Ctx) -> Response:
    with ctx.backend.store.atomic():
        delete(ctx.backend, find(ctx.backend, ctx.params["Sid"]))
    return Response(204)


# Rules --------------------------------------------------------------------------


def create(
    backend: Backend,
    *,
    unique_name: str | None,
    friendly_name: str | None,
    include_credentials: bool = True,
    ui_editable: bool = False,
) -> Service:
    name = label("UniqueName", required("UniqueName", unique_name), MAX_UNIQUE_NAME)
    friendly = max_length(
        "FriendlyName", required("FriendlyName", friendly_name), MAX_FRIENDLY_NAME
    )
    store = backend.store
    with store.atomic():
        if len(store.services) >= MAX_SERVICES:
            raise errors.bad_request(errors.SERVICE_LIMIT.format(limit=MAX_SERVICES))
        if by_unique_name(backend, name) is not None:
            raise errors.ConflictError(errors.SERVICE_EXISTS)
        now = backend.now()
        service = Service(
            sid=backend.mint(sids.SERVICE),
            account_sid=backend.account_sid,
            unique_name=name,
            friendly_name=friendly,
            include_credentials=include_credentials,
            ui_editable=ui_editable,
            domain_base=f"{name}-{backend.domains.digits(4)}",
            date_created=now,
            date_updated=now,
        )
        store.services.add(service)
        return service


def free_unique_name(backend: Backend, stem: str = "service") -> str:
    """The first of ``stem-1``, ``stem-2``, … no Service has; hold the store's lock
    from this call through the create, or another thread may take it."""
    number = len(backend.store.services) + 1
    while by_unique_name(backend, f"{stem}-{number}") is not None:
        number += 1
    return f"{stem}-{number}"


def by_unique_name(backend: Backend, unique_name: str) -> Service | None:
    for service in backend.store.services:
        if service.unique_name == unique_name:
            return service
    return None


def get(backend: Backend, sid: str) -> Service:
    """The Service a sub-resource path names: by SID only."""
    service = backend.store.services.get(sid)
    if service is None:
        raise errors.NotFoundError(f"Service {sid}")
    return service


def in_path(ctx: Ctx) -> Service:
    """The Service a nested path names (``/v1/Services/{ServiceSid}/…``)."""
    return get(ctx.backend, ctx.params["ServiceSid"])


def find(backend: Backend, sid_or_unique_name: str) -> Service:
    """The Service ``/v1/Services/{Sid}`` names: by SID or by unique name."""
    service = backend.store.services.get(sid_or_unique_name)
    if service is None and not sids.is_sid(sid_or_unique_name, sids.SERVICE):
        service = by_unique_name(backend, sid_or_unique_name)
    if service is None:
        raise errors.NotFoundError(f"Service {sid_or_unique_name}")
    return service


def update(
    backend: Backend,
    service: Service,
    *,
    friendly_name: str | None = None,
    include_credentials: bool | None = None,
    ui_editable: bool | None = None,
) -> Service:
    if friendly_name is not None:
        max_length("FriendlyName", required("FriendlyName", friendly_name), MAX_FRIENDLY_NAME)
    with backend.store.atomic():
        if friendly_name is not None:
            service.friendly_name = friendly_name
        if include_credentials is not None:
            service.include_credentials = include_credentials
        if ui_editable is not None:
            service.ui_editable = ui_editable
        service.date_updated = backend.now()
        return service


def delete(backend: Backend, service: Service) -> None:
    """Deletes the Service and everything in it (see docs/behaviour.md)."""
    store = backend.store
    with store.atomic():
        for environment in store.environments.of(service.sid):
            store.deployments.clear(environment.sid)
            store.variables.clear(environment.sid)
            store.logs.clear(environment.sid)
        store.environments.clear(service.sid)
        for function in store.functions.of(service.sid):
            store.function_versions.clear(function.sid)
        store.functions.clear(service.sid)
        for asset in store.assets.of(service.sid):
            store.asset_versions.clear(asset.sid)
        store.assets.clear(service.sid)
        store.builds.clear(service.sid)
        store.services.remove(service)


# Wire form ------------------------------------------------------------------------


def render(base_url: str, service: Service) -> dict[str, object]:
    url = f"{base_url}{SERVICES}/{service.sid}"
    return {
        "sid": service.sid,
        "account_sid": service.account_sid,
        "friendly_name": service.friendly_name,
        "unique_name": service.unique_name,
        "include_credentials": service.include_credentials,
        "ui_editable": service.ui_editable,
        "domain_base": service.domain_base,
        "date_created": render_date(service.date_created),
        "date_updated": render_date(service.date_updated),
        "url": url,
        "links": {
            "environments": f"{url}/Environments",
            "functions": f"{url}/Functions",
            "assets": f"{url}/Assets",
            "builds": f"{url}/Builds",
        },
    }
