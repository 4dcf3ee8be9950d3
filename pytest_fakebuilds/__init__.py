"""pytest-fakebuilds: a faithful, in-memory fake of the Twilio Serverless API.

The public surface is what ``__all__`` lists. Names are loaded on first use so
that importing the plugin costs pytest's start-up almost nothing: responses,
requests, faker and freezegun load only when a fake is first created.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = [
    "ApiError",
    "ApiKey",
    "Asset",
    "AssetVersion",
    "Build",
    "Call",
    "CallList",
    "ConflictError",
    "Dependency",
    "Deployment",
    "DirectHttpClient",
    "Environment",
    "FakeBuilds",
    "FakeBuildsError",
    "FakeInternalError",
    "FakeNotActiveError",
    "Fault",
    "Function",
    "FunctionVersion",
    "InvalidParameterError",
    "Log",
    "NetworkBlockedError",
    "NotFoundError",
    "Request",
    "Response",
    "Rule",
    "Service",
    "SnapshotError",
    "TooLargeError",
    "UnmockedTwilioHostError",
    "Variable",
    "__version__",
]

if TYPE_CHECKING:
    from .core.errors import (
        ApiError,
        ConflictError,
        FakeBuildsError,
        FakeInternalError,
        FakeNotActiveError,
        InvalidParameterError,
        NotFoundError,
        TooLargeError,
    )
    from .core.records import (
        ApiKey,
        Asset,
        AssetVersion,
        Build,
        Dependency,
        Deployment,
        Environment,
        Function,
        FunctionVersion,
        Log,
        Service,
        Variable,
    )
    from .core.routing import Call
    from .core.wire import Request, Response
    from .direct import DirectHttpClient
    from .fake import FakeBuilds
    from .scenarios.faults import Fault
    from .scenarios.journal import CallList
    from .scenarios.outcomes import Rule
    from .snapshot import SnapshotError
    from .socket_guard import NetworkBlockedError, UnmockedTwilioHostError

_WHERE = {
    "FakeBuilds": "fake",
    **dict.fromkeys(
        (
            "ApiError",
            "ConflictError",
            "FakeBuildsError",
            "FakeInternalError",
            "FakeNotActiveError",
            "InvalidParameterError",
            "NotFoundError",
            "TooLargeError",
        ),
        "core.errors",
    ),
    **dict.fromkeys(
        (
            "ApiKey",
            "Asset",
            "AssetVersion",
            "Build",
            "Dependency",
            "Deployment",
            "Environment",
            "Function",
            "FunctionVersion",
            "Log",
            "Service",
            "Variable",
        ),
        "core.records",
    ),
    "Fault": "scenarios.faults",
    "CallList": "scenarios.journal",
    "Rule": "scenarios.outcomes",
    "SnapshotError": "snapshot",
    "NetworkBlockedError": "socket_guard",
    "UnmockedTwilioHostError": "socket_guard",
    "Call": "core.routing",
    "DirectHttpClient": "direct",
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
