"""Records the store keeps, and their Twilio JSON.

Records are plain mutable dataclasses compared by identity: the object a test
helper returns is the object the HTTP side later serves, so what a test holds
and what the API shows cannot disagree. Anything that changes with time (a
build's status, its ``date_updated``) is derived from the clock when read,
never stored.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

Json = dict[str, Any]
Visibility = Literal["public", "protected", "private"]
VISIBILITIES: tuple[str, ...] = ("public", "protected", "private")
Outcome = Literal["completed", "failed"]

# Twilio serves seconds precision with a literal Z; twilio-python parses no
# other form and silently keeps anything else as a raw string.
DATE_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def render_date(value: datetime) -> str:
    # Equivalent to strftime(DATE_FORMAT); formatted by hand because strftime
    # goes through time.strftime, which frozen time makes slow.
    return (
        f"{value.year:04d}-{value.month:02d}-{value.day:02d}"
        f"T{value.hour:02d}:{value.minute:02d}:{value.second:02d}Z"
    )


@dataclass(eq=False)
class Service:
    sid: str
    account_sid: str
    unique_name: str
    friendly_name: str
    date_created: datetime
    include_credentials: bool = True
    ui_editable: bool = False
    date_updated: datetime | None = None


@dataclass(eq=False)
class Function:
    """A Function or an Asset: the two share the ``ZH`` prefix and shape."""

    sid: str
    account_sid: str
    service_sid: str
    friendly_name: str
    kind: Literal["function", "asset"]
    date_created: datetime


@dataclass(eq=False)
class FunctionVersion:
    sid: str
    account_sid: str
    service_sid: str
    function_sid: str
    path: str
    visibility: Visibility
    date_created: datetime
    content: str = ""

    kind = "Function"
    parent_field = "function_sid"

    def embedded_json(self, *, upper_visibility: bool) -> Json:
        return _embedded(self, self.parent_field, self.function_sid, upper_visibility)


@dataclass(eq=False)
class AssetVersion:
    sid: str
    account_sid: str
    service_sid: str
    asset_sid: str
    path: str
    visibility: Visibility
    date_created: datetime
    content: str = ""

    kind = "Asset"
    parent_field = "asset_sid"

    def embedded_json(self, *, upper_visibility: bool) -> Json:
        return _embedded(self, self.parent_field, self.asset_sid, upper_visibility)


def _embedded(
    version: FunctionVersion | AssetVersion, parent_key: str, parent_sid: str, upper: bool
) -> Json:
    # Inside a build Twilio embeds versions without url/links.
    return {
        "sid": version.sid,
        "account_sid": version.account_sid,
        "service_sid": version.service_sid,
        parent_key: parent_sid,
        "path": version.path,
        "visibility": version.visibility.upper() if upper else version.visibility,
        "date_created": render_date(version.date_created),
    }


@dataclass(frozen=True)
class Dependency:
    name: str
    version: str

    def to_json(self) -> Json:
        return {"name": self.name, "version": self.version}


@dataclass(eq=False)
class Build:
    sid: str
    account_sid: str
    service_sid: str
    function_versions: tuple[FunctionVersion, ...]
    asset_versions: tuple[AssetVersion, ...]
    dependencies: tuple[Dependency, ...]
    runtime: str
    date_created: datetime
    ready_at: datetime
    outcome: Outcome
    seq: int = field(default=0)
    # Rendered bodies by (base URL, casing, finished?): everything else about
    # a build is immutable, and polling loops fetch the same build many times.
    _rendered: dict[tuple[str, bool, bool], bytes] = field(
        default_factory=dict, repr=False, compare=False
    )

    def status_at(self, now: datetime) -> str:
        return self.outcome if now >= self.ready_at else "building"

    def date_updated_at(self, now: datetime) -> datetime:
        return self.ready_at if now >= self.ready_at else self.date_created

    def to_json(self, base_url: str, now: datetime, *, upper_visibility: bool = False) -> Json:
        url = f"{base_url}/v1/Services/{self.service_sid}/Builds/{self.sid}"
        return {
            "sid": self.sid,
            "account_sid": self.account_sid,
            "service_sid": self.service_sid,
            "status": self.status_at(now),
            "asset_versions": [
                v.embedded_json(upper_visibility=upper_visibility) for v in self.asset_versions
            ],
            "function_versions": [
                v.embedded_json(upper_visibility=upper_visibility) for v in self.function_versions
            ],
            "dependencies": [d.to_json() for d in self.dependencies],
            "runtime": self.runtime,
            "date_created": render_date(self.date_created),
            "date_updated": render_date(self.date_updated_at(now)),
            "url": url,
            "links": {"build_status": f"{url}/Status"},
        }

    def to_json_bytes(self, base_url: str, now: datetime, *, upper_visibility: bool) -> bytes:
        key = (base_url, upper_visibility, now >= self.ready_at)
        body = self._rendered.get(key)
        if body is None:
            payload = self.to_json(base_url, now, upper_visibility=upper_visibility)
            body = self._rendered[key] = json.dumps(payload).encode()
        return body

    def status_json(self, base_url: str, now: datetime) -> Json:
        return {
            "sid": self.sid,
            "account_sid": self.account_sid,
            "service_sid": self.service_sid,
            "status": self.status_at(now),
            "url": f"{base_url}/v1/Services/{self.service_sid}/Builds/{self.sid}/Status",
        }


@dataclass(eq=False)
class ApiKey:
    """An API Key (``SK…``) and its secret: Basic-auth credentials the fake accepts."""

    sid: str
    secret: str
    friendly_name: str
    account_sid: str
