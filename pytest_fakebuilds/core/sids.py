"""SID minting and checking.

Each fake owns a private, seeded Faker generator: Faker's own pytest plugin
reseeds the shared instance per test, and SIDs must depend only on the fake's
seed and the order of creations.
"""

from __future__ import annotations

import hashlib
import re

ACCOUNT = "AC"
API_KEY = "SK"
SERVICE = "ZS"
ENVIRONMENT = "ZE"
FUNCTION = "ZH"  # Functions and Assets share it
VERSION = "ZN"  # Function Versions and Asset Versions share it
BUILD = "ZB"
DEPLOYMENT = "ZD"
VARIABLE = "ZV"
LOG = "NO"
REQUEST = "RQ"

_SID = re.compile(r"^[A-Z]{2}[0-9a-fA-F]{32}$")


def substream(seed: int, name: str) -> int:
    """The seed of a stream of its own for ``name`` (request IDs, say): never
    the record stream of a neighbouring seed, as ``seed + 1`` would be."""
    digest = hashlib.sha256(f"{seed}\0{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big")


def is_sid(value: str, prefix: str) -> bool:
    """True when ``value`` has the form the spec pins path SIDs to."""
    return value.startswith(prefix) and _SID.match(value) is not None


class SidMinter:
    """Mints ``PP`` + 32 lower-case hex digits from a seeded Faker."""

    def __init__(self, seed: int) -> None:
        # Imported here so that merely loading the plugin never imports faker.
        from faker import Generator

        generator = Generator()
        generator.seed_instance(seed)
        # 128 bits at a time from the generator's own seeded Random: the same
        # digits hexify("^" * 32) would draw one by one, at a fiftieth of the cost.
        self._random = generator.random
        self._bits = generator.random.getrandbits

    def state(self) -> list[object]:
        """Where the stream stands, as plain data (for snapshots)."""
        version, internal, gauss = self._random.getstate()
        return [version, list(internal), gauss]

    def set_state(self, state: list[object]) -> None:
        version, internal, gauss = state
        self._random.setstate((version, tuple(internal), gauss))  # type: ignore[arg-type]

    def secret(self) -> str:
        return format(self._bits(128), "032x")

    def mint(self, prefix: str) -> str:
        return prefix + self.secret()

    def digits(self, count: int) -> str:
        """``count`` decimal digits, as in a Service's ``domain_base``."""
        return format(self._bits(64) % 10**count, f"0{count}d")
