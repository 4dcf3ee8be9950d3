"""One fake Twilio account's state: its store, clock, SID streams, settings and credentials.

The rules live in the family modules beside their handlers and take this
object as their first argument, so a helper call and an HTTP request go
through the same code. Nothing here knows HTTP.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from ..core import sids
from ..core.clock import ManualClock
from ..core.records import ApiKey, Dependency
from ..core.store import Store
from ..scenarios.dependencies import DependencyRules
from ..scenarios.outcomes import Outcomes

# "Node.js v22 remains the current default" (Twilio docs, July 2026).
DEFAULT_RUNTIME = "node22"
# Twilio adds these to every build that does not name them itself.
DEFAULT_DEPENDENCIES: tuple[Dependency, ...] = (
    Dependency("twilio", "5.7.0"),
    Dependency("@twilio/runtime-handler", "2.1.2"),
)


@dataclass
class Settings:
    """What a test may tune on a fake; the plugin maps marker keys onto it."""

    build_duration: timedelta = timedelta(seconds=10)
    default_dependencies: tuple[Dependency, ...] = DEFAULT_DEPENDENCIES
    default_runtime: str = DEFAULT_RUNTIME
    uppercase_build_visibility: bool = False


class Backend:
    def __init__(
        self,
        store: Store,
        clock: ManualClock,
        minter: sids.SidMinter,
        settings: Settings,
        domains: sids.SidMinter,
        outcomes: Outcomes | None = None,
        dependency_rules: DependencyRules | None = None,
    ) -> None:
        self.store = store
        self.clock = clock
        self.minter = minter
        self.settings = settings
        # Domain digits come from a stream of their own, so that they never
        # shift the SIDs that follow a Service's creation.
        self.domains = domains
        # What a test has set up to go wrong (see the scenarios package).
        # Equivalent mutant: the fake always passes a fresh Outcomes, which nothing
        # else holds, so one made here instead is indistinguishable.
        self.outcomes = outcomes or Outcomes()  # pragma: no mutate
        self.dependency_rules = dependency_rules or DependencyRules()
        # Recently rendered build bodies (see builds._answer), oldest first.
        self.rendered: dict[tuple[str, int, str, bool, bool], bytes] = {}
        self.account_sid = minter.mint(sids.ACCOUNT)
        self.auth_token = minter.secret()
        # The key page tokens are signed with: a hash of the two credentials the
        # seed fixes (drawing nothing more from any stream, so no SID shifts),
        # hence the same for every fake made with the same seed.
        self.page_key: bytes = hashlib.sha256(
            f"pytest-fakebuilds page tokens\0{self.account_sid}\0{self.auth_token}".encode()
        ).digest()

    def now(self) -> datetime:
        return self.clock.now()

    def mint(self, prefix: str) -> str:
        return self.minter.mint(prefix)

    def authenticate(self, username: str, password: str) -> bool:
        if username == self.account_sid:
            return password == self.auth_token
        key = self.store.api_keys.get(username)
        return key is not None and password == key.secret

    def create_api_key(self, friendly_name: str) -> ApiKey:
        with self.store.atomic():
            key = ApiKey(
                sid=self.minter.mint(sids.API_KEY),
                secret=self.minter.secret(),
                friendly_name=friendly_name,
                account_sid=self.account_sid,
            )
            self.store.add_api_key(key)
            return key
