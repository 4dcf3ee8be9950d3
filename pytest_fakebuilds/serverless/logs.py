"""Logs (``NO``): what an environment's running functions wrote.

Only running functions make log lines, and the fake runs none, so a test adds
them through :meth:`FakeBuilds.add_log`; the API serves them with Twilio's
filters (``FunctionSid``, ``StartDate``, ``EndDate``; by default the last day
on the fake's clock).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from ..core import sids
from ..core.records import Environment, Log
from ..core.routing import Router
from ..core.wire import Response, last_value, render_date
from . import deployments, environments, functions
from .backend import Backend
from .common import Ctx, date_time, found, list_answer, sid

LOGS = "/v1/Services/{ServiceSid}/Environments/{EnvironmentSid}/Logs"
LOG = LOGS + "/{Sid}"

DEFAULT_WINDOW = timedelta(days=1)


def register(router: Router[Backend]) -> None:
    router.add("GET", LOGS)(list_log)
    router.add("GET", LOG)(fetch_log)


# Handlers -----------------------------------------------------------------------


def list_log(ctx: Ctx) -> Response:
    query = ctx.request.query
    raw_function = last_value(query, "FunctionSid")
    raw_start = last_value(query, "StartDate")
    raw_end = last_value(query, "EndDate")
    # An unknown environment is 404 whatever the filters, as for every parent.
    environment = environments.in_path(ctx)
    function_sid = (
        sid("FunctionSid", raw_function, sids.FUNCTION, "Function") if raw_function else None
    )
    now = ctx.backend.now()
    start = date_time("StartDate", raw_start) if raw_start else now - DEFAULT_WINDOW
    end = date_time("EndDate", raw_end) if raw_end else now

    def selected(log: Log) -> bool:
        return start <= log.date_created <= end and (
            function_sid is None or log.function_sid == function_sid
        )

    filters = [
        (name, value)
        for name, value in (
            ("StartDate", raw_start),
            ("EndDate", raw_end),
            ("FunctionSid", raw_function),
        )
        if value
    ]
    return list_answer(
        ctx,
        ctx.backend.store.logs.of(environment.sid),
        key="logs",
        list_url=ctx.base_url
        + environments.path(environment.service_sid, environment.sid)
        + "/Logs",
        render=lambda log: render(ctx.base_url, log),
        where=selected,
        filters=filters,
    )


def fetch_log(ctx: Ctx) -> Response:
    environment = environments.in_path(ctx)
    log = ctx.backend.store.logs.get_under(environment.sid, ctx.params["Sid"])
    return Response.json(200, render(ctx.base_url, found(log, "Log")))


# Rules --------------------------------------------------------------------------


def create(
    backend: Backend,
    environment: Environment,
    *,
    message: str,
    level: str = "info",
    function_sid: str | None = None,
    date_created: datetime | None = None,
) -> Log:
    """A log line as a running function of ``environment`` would have written it:
    under the environment's live build and latest deployment, at the clock's now
    unless told otherwise (never in the future)."""
    store = backend.store
    with store.atomic():
        environments.get(backend, environment.service_sid, environment.sid)  # still there
        if function_sid is not None:
            functions.get(backend, functions.FUNCTIONS, environment.service_sid, function_sid)
        now = backend.now()
        when = now if date_created is None else date_created
        if when > now:
            raise ValueError("a log line cannot be dated after the fake's clock")
        deployment = deployments.latest(backend, environment)
        log = Log(
            sid=backend.mint(sids.LOG),
            account_sid=backend.account_sid,
            service_sid=environment.service_sid,
            environment_sid=environment.sid,
            build_sid=environment.build_sid,
            deployment_sid=deployment.sid if deployment is not None else None,
            function_sid=function_sid,
            request_sid=backend.mint(sids.REQUEST),
            level=level,
            message=message,
            date_created=when,
        )
        store.logs.add(log)
        return log


# Wire form ------------------------------------------------------------------------


def render(base_url: str, log: Log) -> dict[str, object]:
    return {
        "sid": log.sid,
        "account_sid": log.account_sid,
        "service_sid": log.service_sid,
        "environment_sid": log.environment_sid,
        "build_sid": log.build_sid,
        "deployment_sid": log.deployment_sid,
        "function_sid": log.function_sid,
        "request_sid": log.request_sid,
        "level": log.level,
        "message": log.message,
        "date_created": render_date(log.date_created),
        "url": f"{base_url}{environments.path(log.service_sid, log.environment_sid)}"
        f"/Logs/{log.sid}",
    }
