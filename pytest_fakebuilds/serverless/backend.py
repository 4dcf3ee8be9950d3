"""The Serverless business rules, between the HTTP handlers and the store.

Test helpers and HTTP handlers both come through here, so a build made over
the API and a service made by a helper obey the same rules. Everything is
validated before anything is minted or stored: a refused request leaves the
store and the SID sequence exactly as they were.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TypeVar

from ..core import errors, sids
from ..core.clock import ManualClock
from ..core.records import (
    VISIBILITIES,
    ApiKey,
    AssetVersion,
    Build,
    Dependency,
    Function,
    FunctionVersion,
    Outcome,
    Service,
    Visibility,
)
from ..core.store import Store

RUNTIMES: tuple[str, ...] = (
    "node8",
    "node10",
    "node12",
    "node14",
    "node16",
    "node18",
    "node20",
    "node22",
    "node24",
)
# "Node.js v22 remains the current default" (Twilio docs, July 2026).
DEFAULT_RUNTIME = "node22"
# Twilio adds these to every build that does not name them itself.
DEFAULT_DEPENDENCIES: tuple[Dependency, ...] = (
    Dependency("twilio", "5.7.0"),
    Dependency("@twilio/runtime-handler", "2.1.2"),
)
# Published per-build limits.
MAX_FUNCTION_VERSIONS = 50
MAX_ASSET_VERSIONS = 1000

V = TypeVar("V", FunctionVersion, AssetVersion)


@dataclass
class Settings:
    """What a test may tune on a fake; the plugin maps marker keys onto it."""

    build_duration: timedelta = timedelta(seconds=10)
    default_dependencies: tuple[Dependency, ...] = DEFAULT_DEPENDENCIES
    default_runtime: str = DEFAULT_RUNTIME
    uppercase_build_visibility: bool = False
    pending_outcomes: list[Outcome] = field(default_factory=list)


class Backend:
    def __init__(
        self, store: Store, clock: ManualClock, minter: sids.SidMinter, settings: Settings
    ) -> None:
        self.store = store
        self.clock = clock
        self.minter = minter
        self.settings = settings
        self.account_sid = minter.mint(sids.ACCOUNT)
        self.auth_token = minter.secret()

    # Credentials -----------------------------------------------------------

    def authenticate(self, username: str, password: str) -> bool:
        if username == self.account_sid:
            return password == self.auth_token
        key = self.store.api_keys.get(username)
        return key is not None and password == key.secret

    def create_api_key(self, friendly_name: str) -> ApiKey:
        key = ApiKey(
            sid=self.minter.mint(sids.API_KEY),
            secret=self.minter.secret(),
            friendly_name=friendly_name,
            account_sid=self.account_sid,
        )
        self.store.add_api_key(key)
        return key

    # Services, functions, assets and their versions ------------------------

    def create_service(self, unique_name: str, friendly_name: str) -> Service:
        with self.store.atomic():
            if any(s.unique_name == unique_name for s in self.store.services.values()):
                raise ValueError(f"a Service with unique_name {unique_name!r} already exists")
            now = self.clock.now()
            service = Service(
                sid=self.minter.mint(sids.SERVICE),
                account_sid=self.account_sid,
                unique_name=unique_name,
                friendly_name=friendly_name,
                date_created=now,
                date_updated=now,
            )
            self.store.add_service(service)
            return service

    def create_version(
        self,
        kind: type[V],
        service_sid: str,
        path: str,
        visibility: str,
        content: str,
        parent_sid: str | None,
    ) -> V:
        """A Function or Asset Version, under ``parent_sid`` or a new Function/Asset."""
        checked_path, checked_visibility = _path(path), _visibility(visibility)
        with self.store.atomic():
            parent = self._parent(service_sid, parent_sid, kind.kind.lower(), checked_path)
            version = kind(
                sid=self.minter.mint(sids.VERSION),
                account_sid=self.account_sid,
                service_sid=service_sid,
                path=checked_path,
                visibility=checked_visibility,
                date_created=self.clock.now(),
                content=content,
                **{kind.parent_field: parent.sid},
            )
            self.store.add_version(version)
            return version

    def _parent(self, service_sid: str, sid: str | None, kind: str, path: str) -> Function:
        if service_sid not in self.store.services:
            raise LookupError(f"no Service {service_sid} in this fake")
        if sid is not None:
            existing = self.store.functions.get(sid)
            if existing is None or existing.service_sid != service_sid or existing.kind != kind:
                raise LookupError(f"no {kind} {sid} in Service {service_sid}")
            return existing
        function = Function(
            sid=self.minter.mint(sids.FUNCTION),
            account_sid=self.account_sid,
            service_sid=service_sid,
            friendly_name=path,
            kind="function" if kind == "function" else "asset",
            date_created=self.clock.now(),
        )
        self.store.add_function(function)
        return function

    # Builds ------------------------------------------------------------------

    def service_or_404(self, service_sid: str, path: str) -> Service:
        service = self.store.services.get(service_sid)
        if service is None:
            raise errors.not_found(path)
        return service

    def build_or_404(self, service_sid: str, build_sid: str, path: str) -> Build:
        self.service_or_404(service_sid, path)
        build = self.store.builds.get(build_sid)
        if build is None or build.service_sid != service_sid:
            raise errors.not_found(path)
        return build

    def create_build(
        self,
        service: Service,
        function_version_sids: Sequence[str],
        asset_version_sids: Sequence[str],
        dependencies: str | None,
        runtime: str | None,
    ) -> Build:
        if not function_version_sids and not asset_version_sids:
            raise errors.bad_request(errors.VERSION_REQUIRED)
        if runtime is not None and runtime not in RUNTIMES:
            raise errors.bad_request(
                errors.UNSUPPORTED_RUNTIME.format(value=runtime, allowed=", ".join(RUNTIMES)),
                code=82007,
            )
        deps = parse_dependencies(dependencies) if dependencies is not None else ()
        with self.store.atomic():
            functions = self._versions(
                service, function_version_sids, FunctionVersion, "FunctionVersions"
            )
            assets = self._versions(service, asset_version_sids, AssetVersion, "AssetVersions")
            _limit(functions, MAX_FUNCTION_VERSIONS, "FunctionVersions", "Function")
            _limit(assets, MAX_ASSET_VERSIONS, "AssetVersions", "Asset")
            now = self.clock.now()
            build = Build(
                sid=self.minter.mint(sids.BUILD),
                account_sid=self.account_sid,
                service_sid=service.sid,
                function_versions=functions,
                asset_versions=assets,
                dependencies=_with_defaults(deps, self.settings.default_dependencies),
                runtime=runtime or self._inherited_runtime(service.sid, now),
                date_created=now,
                ready_at=now + self.settings.build_duration,
                outcome=self._take_outcome(),
            )
            self.store.add_build(build)
            return build

    def delete_build(self, build: Build) -> None:
        self.store.remove_build(build)

    def _versions(
        self, service: Service, requested: Sequence[str], kind: type[V], param: str
    ) -> tuple[V, ...]:
        found: list[V] = []
        for sid in requested:
            if not sids.is_sid(sid, sids.VERSION):
                raise errors.bad_request(
                    errors.INVALID_VERSION_SID.format(param=param, sid=sid, kind=kind.kind)
                )
            version = self.store.versions.get(sid)
            if not isinstance(version, kind) or version.service_sid != service.sid:
                raise errors.bad_request(
                    errors.UNKNOWN_VERSION.format(
                        param=param, kind=kind.kind, sid=sid, service_sid=service.sid
                    )
                )
            found.append(version)
        return tuple(found)

    def _inherited_runtime(self, service_sid: str, now: datetime) -> str:
        """The runtime of the service's last successful build, as Twilio does."""
        latest = self.store.last_completed(service_sid, now)
        return latest.runtime if latest is not None else self.settings.default_runtime

    def _take_outcome(self) -> Outcome:
        pending = self.settings.pending_outcomes
        return pending.pop(0) if pending else "completed"


def parse_dependencies(raw: str) -> tuple[Dependency, ...]:
    """Parse ``Dependencies`` as real clients send it.

    Twilio's Node deploy toolkit wraps the JSON array in one extra pair of
    double quotes without escaping the inner ones, so that form is not JSON;
    one surrounding pair is stripped before parsing.
    """
    text = raw.strip()
    if len(text) >= 2 and text[0] == '"' and text[-1] == '"' and text[1:2] in ("[", " "):
        text = text[1:-1].strip()
    try:
        value = json.loads(text)
    except ValueError:
        raise errors.bad_request(
            errors.INVALID_DEPENDENCIES.format(reason="not a JSON array")
        ) from None
    if not isinstance(value, list):
        raise errors.bad_request(errors.INVALID_DEPENDENCIES.format(reason="not a JSON array"))
    deps: list[Dependency] = []
    for item in value:
        if not (
            isinstance(item, dict)
            and isinstance(item.get("name"), str)
            and item["name"]
            and isinstance(item.get("version"), str)
        ):
            raise errors.bad_request(
                errors.INVALID_DEPENDENCIES.format(
                    reason="each entry needs a string name and version"
                )
            )
        deps.append(Dependency(item["name"], item["version"]))
    return tuple(deps)


def _with_defaults(
    deps: tuple[Dependency, ...], defaults: tuple[Dependency, ...]
) -> tuple[Dependency, ...]:
    named = {d.name for d in deps}
    return deps + tuple(d for d in defaults if d.name not in named)


def _limit(versions: tuple[V, ...], limit: int, param: str, kind: str) -> None:
    if len(versions) > limit:
        raise errors.bad_request(
            errors.TOO_MANY_VERSIONS.format(param=param, limit=limit, kind=kind)
        )


def _path(path: str) -> str:
    if not isinstance(path, str) or not path or len(path) > 255:
        raise ValueError("path must be a non-empty string of at most 255 characters")
    return path if path.startswith("/") else "/" + path


def _visibility(value: str) -> Visibility:
    if value not in VISIBILITIES:
        raise ValueError(f"visibility must be one of {', '.join(VISIBILITIES)}, got {value!r}")
    return value  # type: ignore[return-value]
