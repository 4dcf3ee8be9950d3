"""The Serverless v1 API, one module per resource family.

Each family module reads the same way: its routes, its handlers (named after
twilio-oai's operationIds), its rules (which helpers call too), and its wire
form. Families import only the families they stand on (environments need
services; deployments need builds and environments), never the other way.
"""

from __future__ import annotations

from functools import cache

from ..core.routing import Router
from . import (
    builds,
    deployments,
    environments,
    functions,
    logs,
    services,
    variables,
    versions,
)
from .backend import Backend


@cache
def build_router() -> Router[Backend]:
    """The route table: built once per process and shared by every fake, since
    routes are data and handlers keep no state (compiling ~40 patterns per
    fake would cost a fixture a fifth of a millisecond)."""
    router: Router[Backend] = Router()
    for family in (
        services,
        environments,
        functions,
        versions,
        builds,
        deployments,
        variables,
        logs,
    ):
        family.register(router)
    return router
