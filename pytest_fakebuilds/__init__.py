"""pytest-fakebuilds: a faithful, in-memory fake of the Twilio Serverless Builds API.

The public surface is what ``__all__`` lists. Names are loaded on first use so
that importing the plugin costs pytest's start-up almost nothing: responses,
requests, faker and freezegun load only when a fake is first created.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = [
    "ApiKey",
    "AssetVersion",
    "Build",
    "Call",
    "FakeBuilds",
    "FakeBuildsError",
    "FakeInternalError",
    "FunctionVersion",
    "NetworkBlockedError",
    "Request",
    "Response",
    "Service",
    "UnmockedTwilioHostError",
    "__version__",
]

if TYPE_CHECKING:
    from .core.errors import FakeBuildsError, FakeInternalError
    from .core.records import ApiKey, AssetVersion, Build, FunctionVersion, Service
    from .core.routing import Call
    from .core.wire import Request, Response
    from .fake import FakeBuilds
    from .transport import NetworkBlockedError, UnmockedTwilioHostError

_WHERE = {
    "FakeBuilds": "fake",
    "FakeBuildsError": "core.errors",
    "FakeInternalError": "core.errors",
    "ApiKey": "core.records",
    "AssetVersion": "core.records",
    "Build": "core.records",
    "FunctionVersion": "core.records",
    "Service": "core.records",
    "NetworkBlockedError": "transport",
    "UnmockedTwilioHostError": "transport",
    "Call": "core.routing",
    "Request": "core.wire",
    "Response": "core.wire",
}


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib import import_module

    value = getattr(import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
