"""Deployments (``ZD``): a build made live on an environment, or none.

Deployments are never updated or deleted, only superseded; the newest one of
an environment decides its ``build_sid``.
"""

from __future__ import annotations

from ..core import errors, sids
from ..core.records import Deployment, Environment
from ..core.routing import Router
from ..core.wire import Response, render_date
from . import environments
from .backend import Backend
from .common import Ctx, boolean, field, found, list_answer, sid

DEPLOYMENTS = "/v1/Services/{ServiceSid}/Environments/{EnvironmentSid}/Deployments"
DEPLOYMENT = DEPLOYMENTS + "/{Sid}"


def register(router: Router[Backend]) -> None:
    router.add("POST", DEPLOYMENTS)(create_deployment)
    router.add("GET", DEPLOYMENTS)(list_deployment)
    router.add("GET", DEPLOYMENT)(fetch_deployment)


# Handlers -----------------------------------------------------------------------


def create_deployment(ctx: Ctx) -> Response:
    # An unknown environment is 404 whatever the form, as for every parent.
    environment = environments.in_path(ctx)
    # IsPlugin marks a Flex plugin deployment; Twilio does not echo it.
    boolean("IsPlugin", field(ctx, "IsPlugin"), False)
    deployment = create(ctx.backend, environment, build_sid=field(ctx, "BuildSid") or None)
    return Response.json(201, render(ctx.base_url, deployment))


def list_deployment(ctx: Ctx) -> Response:
    environment = environments.in_path(ctx)
    return list_answer(
        ctx,
        ctx.backend.store.deployments.of(environment.sid),
        key="deployments",
        list_url=ctx.base_url
        + environments.path(environment.service_sid, environment.sid)
        + "/Deployments",
        render=lambda deployment: render(ctx.base_url, deployment),
    )


def fetch_deployment(ctx: Ctx) -> Response:
    environment = environments.in_path(ctx)
    deployment = ctx.backend.store.deployments.get_under(environment.sid, ctx.params["Sid"])
    return Response.json(200, render(ctx.base_url, found(deployment, "Deployment")))


# Rules --------------------------------------------------------------------------


def create(backend: Backend, environment: Environment, *, build_sid: str | None) -> Deployment:
    """Make ``build_sid`` live on ``environment``; without one, take its build down."""
    if build_sid is not None:
        sid("BuildSid", build_sid, sids.BUILD, "Build")
    store = backend.store
    with store.atomic():
        environments.get(backend, environment.service_sid, environment.sid)  # still there
        now = backend.now()
        if build_sid is not None:
            build = store.builds.get(build_sid)
            if build is None or build.service_sid != environment.service_sid:
                raise errors.bad_request(
                    errors.UNKNOWN_BUILD.format(sid=build_sid, service_sid=environment.service_sid)
                )
            status = build.status_at(now)
            if status != "completed":
                raise errors.bad_request(
                    errors.BUILD_NOT_COMPLETED.format(sid=build_sid, status=status)
                )
        if environment.build_sid == build_sid:
            raise errors.ConflictError(errors.ALREADY_DEPLOYED)
        deployment = Deployment(
            sid=backend.mint(sids.DEPLOYMENT),
            account_sid=backend.account_sid,
            service_sid=environment.service_sid,
            environment_sid=environment.sid,
            build_sid=build_sid,
            date_created=now,
            date_updated=now,
        )
        store.deployments.add(deployment)
        environment.build_sid = build_sid
        environment.date_updated = now
        return deployment


def latest(backend: Backend, environment: Environment) -> Deployment | None:
    newest, _ = backend.store.deployments.of(environment.sid).older_than(None, 1)
    return newest[0] if newest else None


# Wire form ------------------------------------------------------------------------


def render(base_url: str, deployment: Deployment) -> dict[str, object]:
    return {
        "sid": deployment.sid,
        "account_sid": deployment.account_sid,
        "service_sid": deployment.service_sid,
        "environment_sid": deployment.environment_sid,
        "build_sid": deployment.build_sid,
        "date_created": render_date(deployment.date_created),
        "date_updated": render_date(deployment.date_updated),
        "url": f"{base_url}{environments.path(deployment.service_sid, deployment.environment_sid)}"
        f"/Deployments/{deployment.sid}",
    }
