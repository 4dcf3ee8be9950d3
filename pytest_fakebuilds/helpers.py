"""The record helpers of a fake: what a test makes without going through HTTP.

Every helper goes through the same rules as the HTTP side and raises what the
API would answer as a Python exception: an ``InvalidParameterError`` or
``ConflictError`` (both ``ValueError``s) or a ``NotFoundError`` (a
``LookupError``). They draw SIDs from the same stream as the API.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime

from .core.clock import to_utc
from .core.errors import NotFoundError
from .core.records import (
    Asset,
    AssetVersion,
    Build,
    CodeResource,
    Deployment,
    Environment,
    Function,
    FunctionVersion,
    Log,
    Record,
    Service,
    Variable,
)
from .core.store import Store
from .serverless import (
    builds,
    deployments,
    environments,
    functions,
    logs,
    services,
    variables,
    versions,
)
from .serverless.backend import Backend


class RecordHelpers:
    """Mixed into :class:`FakeBuilds`; documented there."""

    _backend: Backend
    _store: Store

    def create_service(
        self,
        unique_name: str | None = None,
        friendly_name: str | None = None,
        *,
        include_credentials: bool = True,
        ui_editable: bool = False,
    ) -> Service:
        """Add a Service (``ZS…``); without a name, the first free ``service-N``."""
        backend = self._backend
        with self._store.atomic():
            name = unique_name if unique_name is not None else services.free_unique_name(backend)
            return services.create(
                backend,
                unique_name=name,
                friendly_name=friendly_name or name,
                include_credentials=include_credentials,
                ui_editable=ui_editable,
            )

    def create_environment(
        self,
        service_sid: str | Service,
        unique_name: str | None = None,
        domain_suffix: str | None = None,
    ) -> Environment:
        """Add an Environment (``ZE…``). Without a name it is named as Twilio's
        deploy toolkit names it: ``{domain_suffix}-environment``, or ``production``."""
        if unique_name is None:
            unique_name = f"{domain_suffix}-environment" if domain_suffix else "production"
        return environments.create(
            self._backend,
            services.get(self._backend, _sid(service_sid)),
            unique_name=unique_name,
            domain_suffix=domain_suffix,
        )

    def create_function(self, service_sid: str | Service, friendly_name: str) -> Function:
        """Add a Function (``ZH…``) with no versions yet."""
        service = services.get(self._backend, _sid(service_sid))
        return functions.create(
            self._backend, functions.FUNCTIONS, service, friendly_name=friendly_name
        )

    def create_asset(self, service_sid: str | Service, friendly_name: str) -> Asset:
        """Add an Asset (``ZH…``) with no versions yet."""
        service = services.get(self._backend, _sid(service_sid))
        return functions.create(
            self._backend, functions.ASSETS, service, friendly_name=friendly_name
        )

    def create_function_version(
        self,
        service_sid: str | Service,
        path: str,
        visibility: str = "public",
        content: str | bytes = (
            "exports.handler = (context, event, callback) => callback(null, {});\n"
        ),
        *,
        function_sid: str | Function | None = None,
    ) -> FunctionVersion:
        """Upload a Function Version (``ZN…``), as the upload host would.

        Into ``function_sid``, or else into a new Function (``ZH…``) named after
        the path, as Twilio's deploy toolkit names them.
        """
        return self._upload(
            functions.FUNCTIONS, service_sid, path, visibility, content, function_sid
        )

    def create_asset_version(
        self,
        service_sid: str | Service,
        path: str,
        visibility: str = "public",
        content: str | bytes = b"",
        *,
        asset_sid: str | Asset | None = None,
    ) -> AssetVersion:
        """Upload an Asset Version (``ZN…``); into ``asset_sid``, or a new Asset (``ZH…``)."""
        return self._upload(functions.ASSETS, service_sid, path, visibility, content, asset_sid)

    def _upload(
        self,
        kind: functions.Kind[functions.C, functions.V],
        service: str | Service,
        path: str,
        visibility: str,
        content: str | bytes,
        parent: str | CodeResource | None,
    ) -> functions.V:
        data = content.encode("utf-8") if isinstance(content, str) else content
        backend = self._backend
        checked_path, _, _ = versions.check(kind, path=path, visibility_=visibility, content=data)
        with self._store.atomic():
            if parent is None:
                found = services.get(backend, _sid(service))
                into = functions.create(backend, kind, found, friendly_name=checked_path)
            else:
                into = functions.get(backend, kind, _sid(service), _sid(parent))
            return versions.create(
                backend, kind, into, path=path, visibility_=visibility, content=data
            )

    def create_build(
        self,
        service_sid: str | Service,
        function_versions: Iterable[str | FunctionVersion] = (),
        asset_versions: Iterable[str | AssetVersion] = (),
        *,
        dependencies: str | Iterable[tuple[str, str]] | None = None,
        runtime: str | None = None,
    ) -> Build:
        """Create a Build (``ZB…``) of these versions, as ``POST …/Builds`` would."""
        if dependencies is not None and not isinstance(dependencies, str):
            dependencies = json.dumps([{"name": n, "version": v} for n, v in dependencies])
        return builds.create(
            self._backend,
            services.get(self._backend, _sid(service_sid)),
            function_version_sids=[_sid(v) for v in function_versions],
            asset_version_sids=[_sid(v) for v in asset_versions],
            dependencies=dependencies,
            runtime=runtime,
        )

    def deploy(
        self, environment_sid: str | Environment, build_sid: str | Build | None = None
    ) -> Deployment:
        """Make a completed build live on an environment (a Deployment, ``ZD…``);
        without a build, take the environment's live build down."""
        environment = self._environment(environment_sid)
        return deployments.create(
            self._backend, environment, build_sid=None if build_sid is None else _sid(build_sid)
        )

    def set_variable(self, environment_sid: str | Environment, key: str, value: str) -> Variable:
        """Set an environment's Variable (``ZV…``): update the one with ``key``, or create it."""
        backend = self._backend
        environment = self._environment(environment_sid)
        with self._store.atomic():
            existing = variables.by_key(backend, environment, key)
            if existing is not None:
                return variables.update(backend, existing, value=value)
            return variables.create(backend, environment, key=key, value=value)

    def add_log(
        self,
        environment_sid: str | Environment,
        message: str,
        *,
        level: str = "info",
        function_sid: str | Function | None = None,
        date_created: datetime | str | None = None,
    ) -> Log:
        """Add a log line (``NO…``) to an environment, as one of its functions would write it.

        It records the environment's live build and latest deployment;
        ``date_created`` (default: now on the fake's clock) may not be later than now.
        """
        return logs.create(
            self._backend,
            self._environment(environment_sid),
            message=message,
            level=level,
            function_sid=None if function_sid is None else _sid(function_sid),
            date_created=None if date_created is None else to_utc(date_created),
        )

    def _environment(self, environment: str | Environment) -> Environment:
        sid = _sid(environment)
        found = self._store.environments.get(sid)
        if found is None:
            raise NotFoundError(f"Environment {sid}")
        return environments.get(self._backend, found.service_sid, sid)


def _sid(value: str | Record) -> str:
    return value if isinstance(value, str) else value.sid
