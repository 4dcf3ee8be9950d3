"""Twilio's checks on a build's dependencies and runtime.

Two kinds of rule, both applied when a build is created:

- **Dependency validation** (what a test declares): a package that does not
  resolve, or does not suit the runtime, refuses the create with 400/20001
  and Twilio's own wording (serverless-toolkit#538, serverless-toolkit-moved#9).
- **Runtime rules** (what Twilio documents, on the fake's clock's date; on by
  default): node24 needs ``@twilio/runtime-handler`` 2.1.2 or newer (1.2.0 up
  to it is upgraded, older fails the build); a retired runtime named by a
  build fails it; a retired runtime a build would inherit refuses the create
  with 82007.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from datetime import datetime, timezone

from ..core import errors
from ..core.records import Dependency

HANDLER = "@twilio/runtime-handler"
HANDLER_DOCS = "https://www.twilio.com/docs/serverless/functions-assets/handler"
UNAVAILABLE = "Some dependencies could not be validated. No matching version found for {spec}."
UNAVAILABLE_HANDLER = UNAVAILABLE + f" You can find the valid versions at {HANDLER_DOCS}"
INCOMPATIBLE = (
    "Some dependencies could not be validated. The node version for {name} package is incompatible."
)
# The fake's wording: Twilio documents error 82007 but not its message.
RETIRED_INHERITED = (
    "Unsupported Runtime: the Service's last successful build ran {runtime}, which is no "
    "longer supported; name a Runtime"
)
RETIRED_FAILURE = "{runtime} is no longer supported (since {since})"
OLD_HANDLER_FAILURE = (
    "node24 needs @twilio/runtime-handler 2.1.2 or newer; the build asked for {version}"
)

# When each runtime stopped being supported. node18's date is Twilio's
# (changelog); the older ones ended before the fake's earliest sensible
# clock, so they are treated as retired at any date.
RETIRED: dict[str, datetime] = {
    **{f"node{n}": datetime(2000, 1, 1, tzinfo=timezone.utc) for n in (8, 10, 12, 14, 16)},
    "node18": datetime(2025, 11, 10, tzinfo=timezone.utc),
}
NODE24_HANDLER = (2, 1, 2)
NODE24_UPGRADED_FROM = (1, 2, 0)
_VERSION = re.compile(r"^[\^~>=v\s]*(\d+)(?:\.(\d+|x|\*))?(?:\.(\d+|x|\*))?")


@dataclass(frozen=True)
class Unavailable:
    name: str
    version: str | None  # None: every version

    def matches(self, dependency: Dependency) -> bool:
        return dependency.name == self.name and (
            self.version is None or dependency.version == self.version
        )


@dataclass(frozen=True)
class Incompatible:
    name: str
    runtime: str | None  # None: every runtime

    def matches(self, dependency: Dependency, runtime: str) -> bool:
        return dependency.name == self.name and self.runtime in (None, runtime)


class DependencyRules:
    """What one fake refuses of a build's dependencies and runtime."""

    def __init__(self, *, runtime_rules: bool = True) -> None:
        self._lock = threading.Lock()
        self.runtime_rules = runtime_rules
        self.unavailable: list[Unavailable] = []
        self.incompatible: list[Incompatible] = []

    def add_unavailable(self, name: str, version: str | None) -> None:
        with self._lock:
            self.unavailable.append(Unavailable(name, version))

    def add_incompatible(self, name: str, runtime: str | None) -> None:
        with self._lock:
            self.incompatible.append(Incompatible(name, runtime))

    def validate(self, dependencies: tuple[Dependency, ...], runtime: str) -> None:
        """Refuse the create as Twilio does; before anything is minted."""
        for dependency in dependencies:
            for rule in self.unavailable:
                if rule.matches(dependency):
                    spec = f"{dependency.name}@{dependency.version}"
                    template = UNAVAILABLE_HANDLER if dependency.name == HANDLER else UNAVAILABLE
                    raise errors.bad_request(template.format(spec=spec))
            for incompatible in self.incompatible:
                if incompatible.matches(dependency, runtime):
                    raise errors.bad_request(INCOMPATIBLE.format(name=dependency.name))

    def check_inherited(self, runtime: str, now: datetime) -> None:
        """82007 when the runtime a build would inherit is retired."""
        if self.runtime_rules and _retired(runtime, now):
            raise errors.bad_request(RETIRED_INHERITED.format(runtime=runtime), code=82007)

    def apply(
        self, dependencies: tuple[Dependency, ...], runtime: str, now: datetime
    ) -> tuple[tuple[Dependency, ...], str | None]:
        """The dependencies as Twilio builds them, and why the build will fail, if it will."""
        if not self.runtime_rules:
            return dependencies, None
        if _retired(runtime, now):
            since = RETIRED[runtime].date().isoformat()
            return dependencies, RETIRED_FAILURE.format(runtime=runtime, since=since)
        if runtime != "node24":
            return dependencies, None
        adjusted: list[Dependency] = []
        failure: str | None = None
        for dependency in dependencies:
            version = _version(dependency.version) if dependency.name == HANDLER else None
            if version is not None and version < NODE24_HANDLER:
                if version >= NODE24_UPGRADED_FROM:
                    dependency = Dependency(HANDLER, ".".join(map(str, NODE24_HANDLER)))
                else:
                    failure = OLD_HANDLER_FAILURE.format(version=dependency.version)
            adjusted.append(dependency)
        return tuple(adjusted), failure


def _retired(runtime: str, now: datetime) -> bool:
    since = RETIRED.get(runtime)
    return since is not None and now >= since


def _version(spec: str) -> tuple[int, int, int] | None:
    """The lowest version a spec such as ``^1.3.0`` or ``2.x`` admits; None for ``*``."""
    found = _VERSION.match(spec)
    if found is None:
        return None
    parts = [found.group(1), found.group(2) or "0", found.group(3) or "0"]
    return tuple(int(p) if p.isdigit() else 0 for p in parts)  # type: ignore[return-value]
