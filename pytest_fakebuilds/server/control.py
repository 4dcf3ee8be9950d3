"""``/_fake/``: steer the served fake from any client, with the account's credentials.

JSON endpoints under ``/_fake/api/`` (a JSON or form body for a POST):

- ``GET state``: the clock and a summary of the records;
- ``GET snapshot``: the whole fake, as ``FakeBuilds.snapshot()``;
- ``GET calls?limit=N``: the newest calls of the journal;
- ``POST advance`` ``{"seconds": N}``: move the clock;
- ``POST fail-next-build`` ``{"count": N, "reason": "..."}``;
- ``POST hang-next-build`` ``{"count": N}``;
- ``POST fault`` ``{"operation": ..., "status": ..., "times": ..., ...}``, as
  ``FakeBuilds.fault``; ``"exception": "connection"`` drops the connection;
- ``POST reset``: back to the state the server started in.

``GET /_fake/`` is the dashboard; its buttons post forms to
``/_fake/actions/...`` and come back to the page.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from ..core import errors
from ..core.wire import Request, Response

if TYPE_CHECKING:
    from .app import FakeServer

JSON_TYPE = "application/json; charset=utf-8"


class UnknownEndpoint(LookupError):
    """No control endpoint by that name (404, not a bad request)."""


def answer(app: FakeServer, request: Request) -> Response:
    credentials = request.basic_auth()
    fake = app.fake
    if credentials is None or not fake._backend.authenticate(*credentials):
        return Response(
            401,
            errors.UnauthenticatedError().render(request.path),
            {"Content-Type": JSON_TYPE, "WWW-Authenticate": 'Basic realm="pytest-fakebuilds"'},
        )
    path = request.path.rstrip("/")
    try:
        if path in ("/_fake", "/_fake/dashboard") and request.method == "GET":
            from .dashboard import page

            return Response(200, page(app).encode(), {"Content-Type": "text/html; charset=utf-8"})
        if path.startswith("/_fake/actions/") and request.method == "POST":
            _act(app, path.removeprefix("/_fake/actions/"), _fields(request))
            return Response(303, b"", {"Location": "/_fake/"})
        if path.startswith("/_fake/api/"):
            return _api(app, request, path.removeprefix("/_fake/api/"))
    except UnknownEndpoint as exc:
        return _json(404, {"error": str(exc)})
    except (ValueError, TypeError, LookupError) as exc:
        return _json(400, {"error": str(exc)})
    return _json(404, {"error": f"no control endpoint {request.method} {request.path}"})


def _api(app: FakeServer, request: Request, name: str) -> Response:
    fake = app.fake
    if request.method == "GET":
        if name == "state":
            return _json(200, state(app))
        if name == "snapshot":
            return _json(200, fake.snapshot())
        if name == "calls":
            from ..snapshot import journal

            limit = int(request.query.get("limit", ["100"])[-1])
            return _json(200, {"calls": journal(fake.calls[-limit:] if limit else [])})
    if request.method == "POST":
        _act(app, name, _fields(request))
        return _json(200, state(app))
    return _json(404, {"error": f"no control endpoint {request.method} {request.path}"})


def _act(app: FakeServer, name: str, fields: dict[str, Any]) -> None:
    fake = app.fake
    if name == "advance":
        fake.advance(float(fields.get("seconds", 0)))
    elif name == "fail-next-build":
        fake.fail_next_build(int(fields.get("count", 1)), fields.get("reason") or None)
    elif name == "hang-next-build":
        fake.hang_next_build(int(fields.get("count", 1)))
    elif name == "fault":
        fake.fault(**_fault_options(fields))
    elif name == "reset":
        app.reset(app.fresh())
    else:
        raise UnknownEndpoint(f"no control endpoint POST /_fake/.../{name}")


def _fault_options(fields: dict[str, Any]) -> dict[str, Any]:
    import requests

    options: dict[str, Any] = {"operation": str(fields["operation"])}
    for key in ("status", "code", "times", "nth"):
        if fields.get(key) not in (None, ""):
            options[key] = int(fields[key])
    for key in ("latency", "retry_after", "probability"):
        if fields.get(key) not in (None, ""):
            options[key] = float(fields[key])
    for key in ("message", "sid", "body"):
        if fields.get(key) not in (None, ""):
            options[key] = str(fields[key])
    if "times" in fields and fields["times"] in (None, "none"):
        options["times"] = None
    exception = fields.get("exception")
    if exception:
        kinds = {"connection": requests.ConnectionError, "timeout": requests.ReadTimeout}
        if exception not in kinds:
            raise ValueError(f"exception must be one of {', '.join(kinds)}")
        options["exception"] = kinds[exception]
    return options


def state(app: FakeServer) -> dict[str, Any]:
    fake = app.fake
    store = fake._store
    now = fake.now()
    return {
        "now": now.isoformat(),
        "seed": fake.seed,
        "build_duration": fake.build_duration.total_seconds(),
        "calls": len(fake.calls) + fake.calls_dropped,
        "services": [
            {
                "sid": service.sid,
                "unique_name": service.unique_name,
                "environments": [
                    {
                        "sid": env.sid,
                        "unique_name": env.unique_name,
                        "domain_name": env.domain_name,
                        "build_sid": env.build_sid,
                    }
                    for env in store.environments.of(service.sid)
                ],
            }
            for service in store.services
        ],
        "builds": [
            {
                "sid": build.sid,
                "service_sid": build.service_sid,
                "status": build.status_at(now),
                "runtime": build.runtime,
                "failure_reason": fake.failure_reason(build.sid),
                "date_created": build.date_created.isoformat(),
            }
            for build in store.builds
        ],
        "deployments": len(store.deployments),
    }


def _fields(request: Request) -> dict[str, Any]:
    if not request.body:
        return {}
    content_type = (request.header("Content-Type") or "").lower()
    if content_type.startswith("application/json"):
        data = json.loads(request.body)
        if not isinstance(data, dict):
            raise ValueError("a JSON object is expected")
        return data
    return dict(parse_qsl(request.body.decode("utf-8"), keep_blank_values=True))


def _json(status: int, value: object) -> Response:
    return Response(status, json.dumps(value).encode(), {"Content-Type": JSON_TYPE})
