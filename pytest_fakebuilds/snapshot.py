"""Save a fake as plain JSON-able data, and make a new fake in exactly that state.

The format (``version`` 1) holds every record, the clock, the seed and where
each seeded stream stands (SIDs, request IDs, domain digits, faults), the
options, the pending outcomes and the rules and faults that can be saved.
After a round trip the same calls give the same answers and the same SIDs.
What cannot be saved (a ``fail_builds`` predicate is a Python callable; a
fault holding an exception instance) is listed under ``unsaved`` rather than
dropped silently. The journal is not part of a snapshot: it is what happened,
not state; ``--fakebuilds-save-failures`` writes it beside the snapshot.
"""

from __future__ import annotations

import base64
import importlib
from dataclasses import fields
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeVar

from .core.clock import to_utc
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
    Record,
    Service,
    Variable,
    Version,
)
from .core.routing import Call
from .core.store import Table
from .scenarios.faults import Fault
from .scenarios.outcomes import Progression

if TYPE_CHECKING:
    from .fake import FakeBuilds

FORMAT = "pytest-fakebuilds snapshot"
VERSION = 1
R = TypeVar("R", bound=Record)

# Tables in the order they are restored: parents before children.
_TABLES: tuple[tuple[str, type[Record]], ...] = (
    ("services", Service),
    ("environments", Environment),
    ("functions", Function),
    ("assets", Asset),
    ("function_versions", FunctionVersion),
    ("asset_versions", AssetVersion),
    ("builds", Build),
    ("deployments", Deployment),
    ("variables", Variable),
    ("logs", Log),
)


class SnapshotError(ValueError):
    """The data is not a snapshot this version of pytest-fakebuilds can load."""


# Saving -------------------------------------------------------------------------


def take(fake: FakeBuilds) -> dict[str, Any]:
    store = fake._store
    backend = fake._backend
    unsaved: list[str] = []
    with store.atomic():
        records = {
            name: [_dump(record) for record in sorted(getattr(store, name), key=_seq)]
            for name, _ in _TABLES
        }
        outcomes = backend.outcomes
        if outcomes.rules:
            unsaved.append(
                f"{len(outcomes.rules)} fail_builds rule(s): a predicate is a Python callable"
            )
        faults = []
        for fault in fake._faults.active:
            saved = fault.to_json()
            if saved is None:
                unsaved.append(f"{fault.describe()}: its exception is an instance, not a class")
            else:
                faults.append(saved)
        rules = backend.dependency_rules
        settings = backend.settings
        return {
            "format": FORMAT,
            "version": VERSION,
            "seed": fake.seed,
            "clock": {"now": fake.now().isoformat()},
            "options": {
                "build_duration": settings.build_duration.total_seconds(),
                "default_runtime": settings.default_runtime,
                "default_dependencies": [list(d) for d in settings.default_dependencies],
                "uppercase_build_visibility": settings.uppercase_build_visibility,
                "runtime_rules": rules.runtime_rules,
                "journal_size": fake.journal_size,
            },
            "credentials": {"account_sid": fake.account_sid, "auth_token": fake.auth_token},
            "streams": {
                "sids": backend.minter.state(),
                "domains": backend.domains.state(),
                "request_ids": fake._core._request_ids.state(),
                "faults": _plain(fake._faults.random_state()),
            },
            "seq": store.last_seq,
            "api_keys": [
                {"sid": k.sid, "secret": k.secret, "friendly_name": k.friendly_name}
                for k in store.api_keys.values()
            ],
            "records": records,
            "outcomes": {
                "pending": [list(item) for item in outcomes.pending],
                "default": outcomes.default.to_json() if outcomes.default else None,
                "by_service": {sid: p.to_json() for sid, p in outcomes.by_service.items()},
            },
            "dependencies": {
                "unavailable": [[u.name, u.version] for u in rules.unavailable],
                "incompatible": [[i.name, i.runtime] for i in rules.incompatible],
            },
            "faults": faults,
            "unsaved": unsaved,
        }


def _dump(record: Record) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for spec in fields(record):
        value = getattr(record, spec.name)
        if isinstance(record, Build) and spec.name in ("function_versions", "asset_versions"):
            # Whole copies: a build keeps its versions even after they are deleted.
            value = [_dump(version) for version in value]
        elif isinstance(record, Build) and spec.name == "dependencies":
            value = [list(dependency) for dependency in value]
        data[spec.name] = _encode(value)
    return data


def _encode(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, bytes):
        return {"base64": base64.b64encode(value).decode()}
    return value


def _plain(value: Any) -> Any:
    if isinstance(value, tuple | list):
        return [_plain(item) for item in value]
    return value


def _seq(record: Record) -> int:
    return record.seq


# Restoring ----------------------------------------------------------------------


def restore(cls: type[FakeBuilds], data: Any, options: dict[str, Any]) -> FakeBuilds:
    _check(data)
    saved = dict(data["options"])
    saved["build_duration"] = timedelta(seconds=saved["build_duration"])
    saved["default_dependencies"] = [tuple(pair) for pair in saved["default_dependencies"]]
    seed = options.pop("seed", data["seed"])
    if seed != data["seed"]:
        raise SnapshotError(f"the snapshot was taken with seed {data['seed']}, not {seed}")
    settings = {**saved, **options}
    settings.setdefault("start", to_utc(data["clock"]["now"]))
    fake = cls(seed=seed, **settings)
    if (fake.account_sid, fake.auth_token) != (
        data["credentials"]["account_sid"],
        data["credentials"]["auth_token"],
    ):
        raise SnapshotError("the snapshot's credentials do not come from its seed")
    backend = fake._backend
    store = fake._store
    streams = data["streams"]
    backend.minter.set_state(streams["sids"])
    backend.domains.set_state(streams["domains"])
    fake._core._request_ids.set_state(streams["request_ids"])
    fake._faults.set_random_state(_tuples(streams["faults"]))
    for key in data["api_keys"]:
        store.add_api_key(ApiKey(account_sid=fake.account_sid, **key))
    versions: dict[str, Version] = {}
    for name, kind in _TABLES:
        table: Table[Any] = getattr(store, name)
        for item in data["records"][name]:
            record = _load(kind, item, versions)
            if isinstance(record, Version):
                versions[record.sid] = record
            table.restore(record)
    store.bump_seq(int(data["seq"]))
    outcomes = backend.outcomes
    outcomes.pending.extend((kind, reason) for kind, reason in data["outcomes"]["pending"])
    default = data["outcomes"]["default"]
    outcomes.default = Progression.from_json(default) if default else None
    outcomes.by_service.update(
        {sid: Progression.from_json(p) for sid, p in data["outcomes"]["by_service"].items()}
    )
    rules = backend.dependency_rules
    for name, version in data["dependencies"]["unavailable"]:
        rules.add_unavailable(name, version)
    for name, runtime in data["dependencies"]["incompatible"]:
        rules.add_incompatible(name, runtime)
    for saved_fault in data["faults"]:
        _restore_fault(fake, dict(saved_fault))
    return fake


def _check(data: Any) -> None:
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise SnapshotError("not a pytest-fakebuilds snapshot (no 'format' key of ours)")
    version = data.get("version")
    if version != VERSION:
        raise SnapshotError(
            f"snapshot version {version!r} is not one this release reads (it reads {VERSION})"
        )


def _load(kind: type[R], item: dict[str, Any], versions: dict[str, Version]) -> R:
    values: dict[str, Any] = {}
    for spec in fields(kind):
        if spec.name not in item:
            continue
        value = item[spec.name]
        if kind is Build and spec.name in ("function_versions", "asset_versions"):
            version_kind = FunctionVersion if spec.name == "function_versions" else AssetVersion
            value = tuple(versions.get(v["sid"]) or _load(version_kind, v, versions) for v in value)
        elif kind is Build and spec.name == "dependencies":
            value = tuple(Dependency(name, version) for name, version in value)
        else:
            value = _decode(spec.name, value)
        values[spec.name] = value
    return kind(**values)


def _decode(name: str, value: Any) -> Any:
    if isinstance(value, dict) and "base64" in value:
        return base64.b64decode(value["base64"])
    if isinstance(value, str) and (name.startswith("date_") or name == "ready_at"):
        return datetime.fromisoformat(value)
    return value


def _tuples(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(_tuples(item) for item in value)
    return value


def _restore_fault(fake: FakeBuilds, saved: dict[str, Any]) -> None:
    hits, seen = saved.pop("hits"), saved.pop("seen")
    exception = saved.pop("exception", None)
    if exception is not None:
        module, _, name = exception.rpartition(".")
        saved["exception"] = getattr(importlib.import_module(module), name)
    if "body" in saved:
        saved["body"] = saved["body"].encode("latin-1")
    operation = saved.pop("operation")
    fault: Fault = fake._faults.add(operation, **saved)
    fault.hits, fault.seen = hits, seen


# The journal, for --fakebuilds-save-failures --------------------------------------


def journal(calls: list[Call]) -> list[dict[str, Any]]:
    """The calls as plain data: enough to read what a failing test sent and got."""
    return [
        {
            "time": call.time.isoformat() if call.time else None,
            "operation": call.operation,
            "params": call.params,
            "method": call.request.method,
            "url": call.request.url,
            "request_body": call.request.body.decode("utf-8", "replace"),
            "status": call.response.status,
            "response_body": call.response.body.decode("utf-8", "replace"),
            "exception": repr(call.response.exception) if call.response.exception else None,
        }
        for call in calls
    ]
