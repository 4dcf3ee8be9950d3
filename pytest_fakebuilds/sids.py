"""SID minting and checking.

Each fake owns a private, seeded Faker generator: Faker's own pytest plugin
reseeds the shared instance per test, and SIDs must depend only on the fake's
seed and the order of creations.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from faker.providers import BaseProvider

ACCOUNT = "AC"
API_KEY = "SK"
SERVICE = "ZS"
FUNCTION = "ZH"  # Functions and Assets share it
VERSION = "ZN"  # Function Versions and Asset Versions share it
BUILD = "ZB"
REQUEST = "RQ"

_SID = re.compile(r"^[A-Z]{2}[0-9a-fA-F]{32}$")


def is_sid(value: str, prefix: str) -> bool:
    """True when ``value`` has the form the spec pins path SIDs to."""
    return value.startswith(prefix) and _SID.match(value) is not None


class SidMinter:
    """Mints ``PP`` + 32 lower-case hex digits from a seeded Faker."""

    def __init__(self, seed: int) -> None:
        # Imported here so that merely loading the plugin never imports faker.
        from faker import Generator
        from faker.providers import BaseProvider

        generator = Generator()
        generator.seed_instance(seed)
        self._provider: BaseProvider = BaseProvider(generator)

    def mint(self, prefix: str) -> str:
        return prefix + self._provider.hexify("^" * 32)

    def secret(self) -> str:
        return self._provider.hexify("^" * 32)
