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
    from .errors import FakeBuildsError, FakeInternalError
    from .fake import FakeBuilds
    from .models import ApiKey, AssetVersion, Build, FunctionVersion, Service
    from .routing import Call
    from .transport import NetworkBlockedError, UnmockedTwilioHostError
    from .wire import Request, Response

_WHERE = {
    "FakeBuilds": "fake",
    "FakeBuildsError": "errors",
    "FakeInternalError": "errors",
    "ApiKey": "models",
    "AssetVersion": "models",
    "Build": "models",
    "FunctionVersion": "models",
    "Service": "models",
    "NetworkBlockedError": "transport",
    "UnmockedTwilioHostError": "transport",
    "Call": "routing",
    "Request": "wire",
    "Response": "wire",
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
