"""Environments (``ZE``): where a build goes live, under its own domain."""

from __future__ import annotations

from ..core import errors, sids
from ..core.records import Environment, Service
from ..core.routing import Router
from ..core.wire import Response, render_date
from . import services
from .backend import Backend
from .common import Ctx, field, found, label, list_answer, max_length, required

ENVIRONMENTS = "/v1/Services/{ServiceSid}/Environments"
ENVIRONMENT = ENVIRONMENTS + "/{Sid}"

MAX_UNIQUE_NAME = 100
MAX_DOMAIN_SUFFIX = 16
# Published: 25 environments per service.
MAX_ENVIRONMENTS = 25


def register(router: Router[Backend]) -> None:
    router.add("POST", ENVIRONMENTS)(create_environment)
    router.add("GET", ENVIRONMENTS)(list_environment)
    router.add("GET", ENVIRONMENT)(fetch_environment)
    router.add("DELETE", ENVIRONMENT)(delete_environment)


# Handlers -----------------------------------------------------------------------


def create_environment(ctx: Ctx) -> Response:
    service = services.in_path(ctx)
    environment = create(
        ctx.backend,
        service,
        unique_name=field(ctx, "UniqueName"),
        domain_suffix=field(ctx, "DomainSuffix"),
    )
    return Response.json(201, render(ctx.base_url, environment))


def list_environment(ctx: Ctx) -> Response:
    service = services.in_path(ctx)
    return list_answer(
        ctx,
        ctx.backend.store.environments.of(service.sid),
        key="environments",
        list_url=f"{ctx.base_url}/v1/Services/{service.sid}/Environments",
        render=lambda environment: render(ctx.base_url, environment),
    )


def fetch_environment(ctx: Ctx) -> Response:
    environment = get(ctx.backend, ctx.params["ServiceSid"], ctx.params["Sid"])
    return Response.json(200, render(ctx.base_url, environment))


def delete_environment(ctx: Ctx) -> Response:
    with ctx.backend.store.atomic():
        delete(ctx.backend, get(ctx.backend, ctx.params["ServiceSid"], ctx.params["Sid"]))
    return Response(204)


# Rules --------------------------------------------------------------------------


def create(
    backend: Backend, service: Service, *, unique_name: str | None, domain_suffix: str | None
) -> Environment:
    name = max_length("UniqueName", required("UniqueName", unique_name), MAX_UNIQUE_NAME)
    suffix = label("DomainSuffix", domain_suffix, MAX_DOMAIN_SUFFIX) if domain_suffix else None
    store = backend.store
    with store.atomic():
        services.get(backend, service.sid)  # still there
        siblings = store.environments.of(service.sid)
        if len(siblings) >= MAX_ENVIRONMENTS:
            raise errors.bad_request(errors.ENVIRONMENT_LIMIT.format(limit=MAX_ENVIRONMENTS))
        if any(
            other.unique_name == name or (suffix is not None and other.domain_suffix == suffix)
            for other in siblings
        ):
            raise errors.ConflictError(errors.ENVIRONMENT_EXISTS)
        now = backend.now()
        environment = Environment(
            sid=backend.mint(sids.ENVIRONMENT),
            account_sid=backend.account_sid,
            service_sid=service.sid,
            unique_name=name,
            domain_suffix=suffix,
            # The service's domain base, then the suffix: "thanos-3432-dev.twil.io".
            domain_name=f"{service.domain_base}{'-' + suffix if suffix else ''}.twil.io",
            date_created=now,
            date_updated=now,
        )
        store.environments.add(environment)
        return environment


def get(backend: Backend, service_sid: str, sid: str) -> Environment:
    service = services.get(backend, service_sid)
    return found(backend.store.environments.get_under(service.sid, sid), f"Environment {sid}")


def in_path(ctx: Ctx) -> Environment:
    """The Environment a nested path names (``…/Environments/{EnvironmentSid}/…``)."""
    return get(ctx.backend, ctx.params["ServiceSid"], ctx.params["EnvironmentSid"])


def delete(backend: Backend, environment: Environment) -> None:
    """Deleting an environment ends its deployment, which frees its build."""
    store = backend.store
    with store.atomic():
        store.deployments.clear(environment.sid)
        store.variables.clear(environment.sid)
        store.logs.clear(environment.sid)
        store.environments.remove(environment)


def live_build_sids(backend: Backend, service_sid: str) -> set[str]:
    """The builds live on any environment of the service."""
    return {
        environment.build_sid
        for environment in backend.store.environments.of(service_sid)
        if environment.build_sid is not None
    }


# Wire form ------------------------------------------------------------------------


def path(service_sid: str, environment_sid: str) -> str:
    """An environment's path, under which its deployments, variables and logs live."""
    return f"/v1/Services/{service_sid}/Environments/{environment_sid}"


def render(base_url: str, environment: Environment) -> dict[str, object]:
    url = base_url + path(environment.service_sid, environment.sid)
    return {
        "sid": environment.sid,
        "account_sid": environment.account_sid,
        "service_sid": environment.service_sid,
        "build_sid": environment.build_sid,
        "unique_name": environment.unique_name,
        "domain_suffix": environment.domain_suffix,
        "domain_name": environment.domain_name,
        "date_created": render_date(environment.date_created),
        "date_updated": render_date(environment.date_updated),
        "url": url,
        "links": {
            "variables": f"{url}/Variables",
            "deployments": f"{url}/Deployments",
            "logs": f"{url}/Logs",
        },
    }
