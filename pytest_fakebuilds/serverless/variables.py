"""Variables (``ZV``): an environment's key-value settings, read by its functions."""

from __future__ import annotations

from ..core import errors, sids
from ..core.records import Environment, Variable
from ..core.routing import Router
from ..core.wire import Response, render_date
from . import environments
from .backend import Backend
from .common import Ctx, field, found, list_answer, max_bytes, max_length, required

VARIABLES = "/v1/Services/{ServiceSid}/Environments/{EnvironmentSid}/Variables"
VARIABLE = VARIABLES + "/{Sid}"

MAX_KEY = 128
MAX_VALUE_BYTES = 450


def register(router: Router[Backend]) -> None:
    router.add("POST", VARIABLES)(create_variable)
    router.add("GET", VARIABLES)(list_variable)
    router.add("GET", VARIABLE)(fetch_variable)
    router.add("POST", VARIABLE)(update_variable)
    router.add("DELETE", VARIABLE)(delete_variable)


# Handlers -----------------------------------------------------------------------


def create_variable(ctx: Ctx) -> Response:
    environment = environments.in_path(ctx)
    variable = create(ctx.backend, environment, key=field(ctx, "Key"), value=field(ctx, "Value"))
    return Response.json(201, render(ctx.base_url, variable))


def list_variable(ctx: Ctx) -> Response:
    environment = environments.in_path(ctx)
    return list_answer(
        ctx,
        ctx.backend.store.variables.of(environment.sid),
        key="variables",
        list_url=ctx.base_url
        + environments.path(environment.service_sid, environment.sid)
        + "/Variables",
        render=lambda variable: render(ctx.base_url, variable),
    )


def fetch_variable(ctx: Ctx) -> Response:
    return Response.json(200, render(ctx.base_url, _get(ctx)))


def update_variable(ctx: Ctx) -> Response:
    with ctx.backend.store.atomic():
        variable = _get(ctx)
        update(ctx.backend, variable, key=field(ctx, "Key"), value=field(ctx, "Value"))
        return Response.json(200, render(ctx.base_url, variable))


def delete_variable(ctx: Ctx) -> Response:
    with ctx.backend.store.atomic():
        ctx.backend.store.variables.remove(_get(ctx))
    return Response(204)


def _get(ctx: Ctx) -> Variable:
    return get(
        ctx.backend, ctx.params["ServiceSid"], ctx.params["EnvironmentSid"], ctx.params["Sid"]
    )


# Rules --------------------------------------------------------------------------


def create(
    backend: Backend, environment: Environment, *, key: str | None, value: str | None
) -> Variable:
    checked_key = max_length("Key", required("Key", key), MAX_KEY)
    if value is None:
        raise errors.bad_request(errors.MISSING_PARAMETER.format(param="Value"))
    checked_value = max_bytes("Value", value, MAX_VALUE_BYTES)
    store = backend.store
    with store.atomic():
        environments.get(backend, environment.service_sid, environment.sid)  # still there
        if by_key(backend, environment, checked_key) is not None:
            raise errors.ConflictError(errors.VARIABLE_EXISTS)
        now = backend.now()
        variable = Variable(
            sid=backend.mint(sids.VARIABLE),
            account_sid=backend.account_sid,
            service_sid=environment.service_sid,
            environment_sid=environment.sid,
            key=checked_key,
            value=checked_value,
            date_created=now,
            date_updated=now,
        )
        store.variables.add(variable)
        return variable


def get(backend: Backend, service_sid: str, environment_sid: str, sid: str) -> Variable:
    environment = environments.get(backend, service_sid, environment_sid)
    return found(backend.store.variables.get_under(environment.sid, sid), f"Variable {sid}")


def by_key(backend: Backend, environment: Environment, key: str) -> Variable | None:
    for variable in backend.store.variables.of(environment.sid):
        if variable.key == key:
            return variable
    return None


def update(
    backend: Backend, variable: Variable, *, key: str | None = None, value: str | None = None
) -> Variable:
    if key is not None:
        max_length("Key", required("Key", key), MAX_KEY)
    if value is not None:
        max_bytes("Value", value, MAX_VALUE_BYTES)
    with backend.store.atomic():
        if key is not None and key != variable.key:
            environment = environments.get(backend, variable.service_sid, variable.environment_sid)
            if by_key(backend, environment, key) is not None:
                raise errors.ConflictError(errors.VARIABLE_EXISTS)
            variable.key = key
        if value is not None:
            variable.value = value
        variable.date_updated = backend.now()
        return variable


# Wire form ------------------------------------------------------------------------


def render(base_url: str, variable: Variable) -> dict[str, object]:
    return {
        "sid": variable.sid,
        "account_sid": variable.account_sid,
        "service_sid": variable.service_sid,
        "environment_sid": variable.environment_sid,
        "key": variable.key,
        "value": variable.value,
        "date_created": render_date(variable.date_created),
        "date_updated": render_date(variable.date_updated),
        "url": f"{base_url}{environments.path(variable.service_sid, variable.environment_sid)}"
        f"/Variables/{variable.sid}",
    }
