"""Builds (``ZB``) and their Status: versions and dependencies packaged for a deploy.

A build's status is derived from the clock when read: ``building`` until
``ready_at``, then its outcome. Everything is validated before anything is
minted, so a refused build leaves the store and the SID sequence as they were.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import timedelta

from ..core import errors, sids
from ..core.records import (
    AssetVersion,
    Build,
    Dependency,
    FunctionVersion,
    Outcome,
    Service,
    Version,
)
from ..core.routing import Router
from ..core.wire import Response, render_date
from . import environments, services
from .backend import Backend
from .common import Ctx, field, found, list_answer
from .functions import ASSETS, FUNCTIONS, C, Kind, V

BUILDS = "/v1/Services/{ServiceSid}/Builds"
BUILD = BUILDS + "/{Sid}"
BUILD_STATUS = BUILD + "/Status"

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
CHANGED_FAILURE = "the build failed (pytest-fakebuilds: set_build_outcome)"
# How many rendered build bodies a fake keeps for polling loops.
RENDERED_BODIES = 256
# Published per-build limits.
MAX_FUNCTION_VERSIONS = 50
MAX_ASSET_VERSIONS = 1000


def register(router: Router[Backend]) -> None:
    router.add("POST", BUILDS)(create_build)
    router.add("GET", BUILDS)(list_build)
    router.add("GET", BUILD)(fetch_build)
    router.add("DELETE", BUILD)(delete_build)
    router.add("GET", BUILD_STATUS)(fetch_build_status)


# Handlers -----------------------------------------------------------------------


def create_build(ctx: Ctx) -> Response:
    form = ctx.request.form
    service = services.in_path(ctx)
    build = create(
        ctx.backend,
        service,
        function_version_sids=form.get("FunctionVersions", []),
        asset_version_sids=form.get("AssetVersions", []),
        dependencies=field(ctx, "Dependencies"),
        runtime=field(ctx, "Runtime"),
    )
    return _answer(ctx, 201, build)


def list_build(ctx: Ctx) -> Response:
    service = services.in_path(ctx)
    return list_answer(
        ctx,
        ctx.backend.store.builds.of(service.sid),
        key="builds",
        list_url=f"{ctx.base_url}/v1/Services/{service.sid}/Builds",
        render=lambda build: render(ctx, build),
    )


def fetch_build(ctx: Ctx) -> Response:
    build = get(ctx.backend, ctx.params["ServiceSid"], ctx.params["Sid"])
    return _answer(ctx, 200, build, read(ctx.backend, build))


def delete_build(ctx: Ctx) -> Response:
    with ctx.backend.store.atomic():
        delete(ctx.backend, get(ctx.backend, ctx.params["ServiceSid"], ctx.params["Sid"]))
    return Response(204)


def fetch_build_status(ctx: Ctx) -> Response:
    build = get(ctx.backend, ctx.params["ServiceSid"], ctx.params["Sid"])
    finished = read(ctx.backend, build)
    return Response.json(
        200,
        {
            "sid": build.sid,
            "account_sid": build.account_sid,
            "service_sid": build.service_sid,
            "status": build.outcome if finished else "building",
            "url": f"{ctx.base_url}/v1/Services/{build.service_sid}/Builds/{build.sid}/Status",
        },
    )


# Rules --------------------------------------------------------------------------


def create(
    backend: Backend,
    service: Service,
    *,
    function_version_sids: Sequence[str] = (),
    asset_version_sids: Sequence[str] = (),
    dependencies: str | None = None,
    runtime: str | None = None,
) -> Build:
    if not function_version_sids and not asset_version_sids:
        raise errors.bad_request(errors.VERSION_REQUIRED)
    if runtime is not None and runtime not in RUNTIMES:
        raise errors.bad_request(
            errors.UNSUPPORTED_RUNTIME.format(value=runtime, allowed=", ".join(RUNTIMES)),
            code=82007,
        )
    deps = parse_dependencies(dependencies) if dependencies is not None else ()
    store = backend.store
    with store.atomic():
        services.get(backend, service.sid)  # still there
        functions = _versions(
            backend, service, function_version_sids, FUNCTIONS, "FunctionVersions"
        )
        assets = _versions(backend, service, asset_version_sids, ASSETS, "AssetVersions")
        _limit(functions, MAX_FUNCTION_VERSIONS, "FunctionVersions", "Function")
        _limit(assets, MAX_ASSET_VERSIONS, "AssetVersions", "Asset")
        now = backend.now()
        rules = backend.dependency_rules
        if runtime is None:
            latest = store.builds.last_completed(service.sid, now)
            if latest is None:
                runtime = backend.settings.default_runtime
            else:
                runtime = latest.runtime
                rules.check_inherited(runtime, now)
        named = _with_defaults(deps, backend.settings.default_dependencies)
        rules.validate(named, runtime)
        built, runtime_failure = rules.apply(named, runtime, now)
        build = Build(
            sid=backend.mint(sids.BUILD),
            account_sid=backend.account_sid,
            service_sid=service.sid,
            function_versions=functions,
            asset_versions=assets,
            dependencies=built,
            runtime=runtime,
            date_created=now,
            ready_at=None,
            outcome="completed",
        )
        plan = backend.outcomes.plan(
            build,
            now=now,
            build_duration=backend.settings.build_duration,
            runtime_failure=runtime_failure,
        )
        build.outcome, build.failure_reason = plan.outcome, plan.reason
        build.ready_at, build.reads_left = plan.ready_at, plan.reads_left
        store.builds.add(build)
        return build


def read(backend: Backend, build: Build) -> bool:
    """A status read, and whether it sees the build finished.

    A build that ends after a number of reads counts this one; the read after
    the last one finishes it, at the clock's now. Decided under the store's
    lock, so that under threads every counted read sees ``building`` and the
    build finishes exactly once.
    """
    if build.reads_left is None:
        return build.finished(backend.now())
    with backend.store.atomic():
        left = build.reads_left  # read again: another thread may have finished it
        if left is not None and left > 0:
            build.reads_left = left - 1
            return False
        if left is not None:
            backend.store.builds.change(build, ready_at=backend.now(), reads_left=None)
        return build.finished(backend.now())


def change_outcome(
    backend: Backend,
    build: Build,
    *,
    outcome: Outcome | None,
    reason: str | None,
    after: timedelta | None,
    after_reads: int | None,
    hang: bool,
) -> None:
    """Decide again how a building build ends (a test's per-build control)."""
    with backend.store.atomic():
        now = backend.now()
        if build.finished(now):
            raise ValueError(f"build {build.sid} already ended {build.outcome}")
        fields: dict[str, object] = {}
        if outcome is not None:
            fields["outcome"] = outcome
            fields["failure_reason"] = (reason or CHANGED_FAILURE) if outcome == "failed" else None
        if hang:
            fields["ready_at"], fields["reads_left"] = None, None
        elif after is not None:
            fields["ready_at"], fields["reads_left"] = now + after, None
        elif after_reads is not None:
            fields["ready_at"], fields["reads_left"] = None, after_reads
        backend.store.builds.change(build, **fields)


def get(backend: Backend, service_sid: str, sid: str) -> Build:
    service = services.get(backend, service_sid)
    return found(backend.store.builds.get_under(service.sid, sid), f"Build {sid}")


def delete(backend: Backend, build: Build) -> None:
    """Refused while the build is live on an environment."""
    with backend.store.atomic():
        if build.sid in environments.live_build_sids(backend, build.service_sid):
            raise errors.ConflictError(errors.BUILD_IN_USE)
        backend.store.builds.remove(build)


def _versions(
    backend: Backend, service: Service, requested: Sequence[str], kind: Kind[C, V], param: str
) -> tuple[V, ...]:
    found: list[V] = []
    table = kind.versions(backend.store)
    for sid in requested:
        if not sids.is_sid(sid, sids.VERSION):
            raise errors.bad_request(
                errors.INVALID_VERSION_SID.format(param=param, sid=sid, kind=kind.record.kind)
            )
        version = table.get(sid)
        if version is None or version.service_sid != service.sid:
            raise errors.bad_request(
                errors.UNKNOWN_VERSION.format(
                    param=param, kind=kind.record.kind, sid=sid, service_sid=service.sid
                )
            )
        found.append(version)
    return backend.store.shared(param, found)


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
    except (ValueError, RecursionError):  # nested past the parser's depth: not a list of deps
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
    if not deps:
        return defaults  # the common case: one tuple shared by every such build
    named = {d.name for d in deps}
    return deps + tuple(d for d in defaults if d.name not in named)


def _limit(versions: tuple[Version, ...], limit: int, param: str, kind: str) -> None:
    if len(versions) > limit:
        raise errors.bad_request(
            errors.TOO_MANY_VERSIONS.format(param=param, limit=limit, kind=kind)
        )


# Wire form ------------------------------------------------------------------------


def _embedded(version: FunctionVersion | AssetVersion, upper: bool) -> dict[str, object]:
    # Inside a build Twilio embeds versions without url/links.
    return {
        "sid": version.sid,
        "account_sid": version.account_sid,
        "service_sid": version.service_sid,
        version.parent_field: version.parent_sid,
        "path": version.path,
        "visibility": version.visibility.upper() if upper else version.visibility,
        "date_created": render_date(version.date_created),
    }


def render(ctx: Ctx, build: Build, finished: bool | None = None) -> dict[str, object]:
    """The Build as served; ``finished`` as a status read saw it, else from the clock."""
    if finished is None:
        finished = build.finished(ctx.backend.now())
    upper = ctx.backend.settings.uppercase_build_visibility
    url = f"{ctx.base_url}/v1/Services/{build.service_sid}/Builds/{build.sid}"
    return {
        "sid": build.sid,
        "account_sid": build.account_sid,
        "service_sid": build.service_sid,
        "status": build.outcome if finished else "building",
        "asset_versions": [_embedded(v, upper) for v in build.asset_versions],
        "function_versions": [_embedded(v, upper) for v in build.function_versions],
        "dependencies": [{"name": d.name, "version": d.version} for d in build.dependencies],
        "runtime": build.runtime,
        "date_created": render_date(build.date_created),
        "date_updated": render_date(
            build.ready_at if finished and build.ready_at is not None else build.date_created
        ),
        "url": url,
        "links": {"build_status": f"{url}/Status"},
    }


def _answer(ctx: Ctx, status: int, build: Build, finished: bool | None = None) -> Response:
    # Everything but the status is immutable, and polling loops fetch the
    # same build many times: recent bodies are kept, in every form they take.
    # Only recent ones: a long run must not keep a body for every build.
    if finished is None:
        finished = build.finished(ctx.backend.now())
    key = (
        build.sid,
        build.revision,
        ctx.base_url,
        ctx.backend.settings.uppercase_build_visibility,
        finished,
    )
    cache = ctx.backend.rendered
    body = cache.get(key)
    if body is None:
        body = json.dumps(render(ctx, build, finished)).encode()
        with ctx.backend.store.atomic():
            cache[key] = body
            if len(cache) > RENDERED_BODIES:
                del cache[next(iter(cache))]
    return Response.json_bytes(status, body)
