"""One module per resource family; each registers its operations on a router."""

from __future__ import annotations

from ..core.routing import Router
from . import builds


def build_router() -> Router:
    router = Router()
    builds.register(router)
    return router
