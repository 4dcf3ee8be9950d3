"""Records the store keeps.

Records are plain mutable dataclasses compared by identity: the object a test
helper returns is the object the HTTP side later serves, so what a test holds
and what the API shows cannot disagree. Anything that changes with time (a
build's status, its ``date_updated``) is derived from the clock when read,
never stored. How a record looks on the wire lives with its family's
handlers, not here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import ClassVar, Literal, NamedTuple

Visibility = Literal["public", "protected", "private"]
VISIBILITIES: tuple[str, ...] = ("public", "protected", "private")
Outcome = Literal["completed", "failed"]


@dataclass(eq=False, kw_only=True, slots=True)
class Record:
    """What every stored resource has. ``seq`` orders creations; the store sets it."""

    sid: str
    account_sid: str
    date_created: datetime
    seq: int = field(default=0, repr=False)


@dataclass(eq=False, kw_only=True, slots=True)
class Service(Record):
    unique_name: str
    friendly_name: str
    domain_base: str
    date_updated: datetime
    include_credentials: bool = True
    ui_editable: bool = False


@dataclass(eq=False, kw_only=True, slots=True)
class Environment(Record):
    service_sid: str
    unique_name: str
    domain_suffix: str | None
    domain_name: str
    date_updated: datetime
    build_sid: str | None = None


@dataclass(eq=False, kw_only=True, slots=True)
class CodeResource(Record):
    """A Function or an Asset: the two share the ``ZH`` prefix and shape."""

    kind: ClassVar[str]
    service_sid: str
    friendly_name: str
    date_updated: datetime


@dataclass(eq=False, kw_only=True, slots=True)
class Function(CodeResource):
    kind = "Function"


@dataclass(eq=False, kw_only=True, slots=True)
class Asset(CodeResource):
    kind = "Asset"


@dataclass(eq=False, kw_only=True, slots=True)
class Version(Record):
    """An immutable upload of a Function's or an Asset's code (``ZN``)."""

    kind: ClassVar[str]
    parent_field: ClassVar[str]
    service_sid: str
    parent_sid: str
    path: str
    visibility: Visibility
    content: bytes = b""
    content_type: str | None = None


@dataclass(eq=False, kw_only=True, slots=True)
class FunctionVersion(Version):
    kind = "Function"
    parent_field = "function_sid"

    @property
    def function_sid(self) -> str:
        return self.parent_sid


@dataclass(eq=False, kw_only=True, slots=True)
class AssetVersion(Version):
    kind = "Asset"
    parent_field = "asset_sid"

    @property
    def asset_sid(self) -> str:
        return self.parent_sid


class Dependency(NamedTuple):
    """One npm package a build installs: a ``(name, version)`` tuple."""

    name: str
    version: str


@dataclass(eq=False, kw_only=True, slots=True)
class Build(Record):
    service_sid: str
    function_versions: tuple[FunctionVersion, ...]
    asset_versions: tuple[AssetVersion, ...]
    dependencies: tuple[Dependency, ...]
    runtime: str
    # When the build stops building; None while it waits for status reads
    # (``reads_left``) or hangs for ever.
    ready_at: datetime | None
    outcome: Outcome
    failure_reason: str | None = None
    reads_left: int | None = None
    # Bumped whenever how the build ends changes, so cached bodies go stale.
    revision: int = 0

    def finished(self, now: datetime) -> bool:
        return self.ready_at is not None and now >= self.ready_at

    def status_at(self, now: datetime) -> str:
        return self.outcome if self.finished(now) else "building"

    def date_updated_at(self, now: datetime) -> datetime:
        if self.ready_at is not None and now >= self.ready_at:
            return self.ready_at
        return self.date_created


@dataclass(eq=False, kw_only=True, slots=True)
class Deployment(Record):
    service_sid: str
    environment_sid: str
    build_sid: str | None
    date_updated: datetime


@dataclass(eq=False, kw_only=True, slots=True)
class Variable(Record):
    service_sid: str
    environment_sid: str
    key: str
    value: str
    date_updated: datetime


@dataclass(eq=False, kw_only=True, slots=True)
class Log(Record):
    service_sid: str
    environment_sid: str
    build_sid: str | None
    deployment_sid: str | None
    function_sid: str | None
    request_sid: str
    level: str
    message: str


@dataclass(eq=False)
class ApiKey:
    """An API Key (``SK…``) and its secret: Basic-auth credentials the fake accepts."""

    sid: str
    secret: str
    friendly_name: str
    account_sid: str
