"""The pytest plugin: options, ini keys, the marker, the fixture, the report header.

Loaded by every pytest run through the ``pytest11`` entry point, so it
imports nothing heavy: the fake and its dependencies load when a test first
asks for ``fake_builds``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from .fake import FakeBuilds

MARKER = (
    "fake_builds(**settings): configure this test's fake_builds fixture (and request it): "
    "seed, build_duration, start, freeze, strict, default_runtime, default_dependencies, "
    "uppercase_build_visibility, journal_size, all_threads"
)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("fakebuilds", "fake Twilio Serverless Builds (pytest-fakebuilds)")
    group.addoption(
        "--fakebuilds-seed",
        type=int,
        default=None,
        metavar="N",
        help="base seed mixed with each test's node id into its fake's seed "
        "(default: ini fakebuilds_seed, else 0)",
    )
    # Each setting is a pair of flags sharing one destination: None (neither
    # given) defers to the ini key; given, the last of the pair wins over it.
    group.addoption(
        "--fakebuilds-strict",
        action="store_true",
        dest="fakebuilds_strict",
        default=None,
        help="while a fake is active, also block real network access to non-Twilio hosts "
        "(default: ini fakebuilds_strict, else off)",
    )
    group.addoption(
        "--fakebuilds-no-strict",
        action="store_false",
        dest="fakebuilds_strict",
        default=None,
        help="turn strict mode off, whatever ini fakebuilds_strict says",
    )
    group.addoption(
        "--fakebuilds-freeze",
        action="store_true",
        dest="fakebuilds_freeze",
        default=None,
        help="freeze global time at the fake's clock, whatever ini fakebuilds_freeze_time says",
    )
    group.addoption(
        "--fakebuilds-no-freeze",
        action="store_false",
        dest="fakebuilds_freeze",
        default=None,
        help="do not freeze global time; fakes keep their own clock (for time-machine suites) "
        "(default: ini fakebuilds_freeze_time, else freeze)",
    )
    parser.addini("fakebuilds_seed", "base seed for fake_builds (an integer)", default="0")
    parser.addini("fakebuilds_strict", "block real network access to non-Twilio hosts", type="bool")
    parser.addini(
        "fakebuilds_freeze_time",
        "freeze global time at the fake's clock (default true)",
        type="bool",
        default=True,
    )
    parser.addini(
        "fakebuilds_build_duration",
        "seconds a new build stays building (default 10)",
        default="10",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", MARKER)
    # Bad configuration is a usage error at start-up, not an error per test.
    base_seed(config)
    build_duration(config)


def pytest_report_header(config: pytest.Config) -> list[str]:
    seed = base_seed(config)
    return [f"fakebuilds: seed {seed} (each test's fake is seeded from it and the test's node id)"]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.get_closest_marker("fake_builds") is None:
            continue
        fixturenames = getattr(item, "fixturenames", None)
        if fixturenames is not None and "fake_builds" not in fixturenames:
            fixturenames.insert(_first_function_fixture(item, fixturenames), "fake_builds")


def _first_function_fixture(item: pytest.Item, fixturenames: list[str]) -> int:
    """Where ``usefixtures`` would have put the fixture: before the test's own
    function-scoped fixtures (so they run with the fake active), after the
    wider-scoped ones (so those never start under frozen time)."""
    info = getattr(item, "_fixtureinfo", None)
    definitions = getattr(info, "name2fixturedefs", {})
    for index, name in enumerate(fixturenames):
        defs = definitions.get(name)
        if defs and getattr(defs[-1], "scope", None) == "function":
            return index
    return len(fixturenames)


def base_seed(config: pytest.Config) -> int:
    option = config.getoption("fakebuilds_seed")
    if option is not None:
        return int(option)
    raw = str(config.getini("fakebuilds_seed")).strip() or "0"
    try:
        return int(raw)
    except ValueError:
        raise pytest.UsageError(f"fakebuilds_seed must be an integer, got {raw!r}") from None


def build_duration(config: pytest.Config) -> float:
    raw = str(config.getini("fakebuilds_build_duration")).strip()
    try:
        seconds = float(raw)
    except ValueError:
        seconds = -1.0
    if not seconds >= 0:
        raise pytest.UsageError(
            f"fakebuilds_build_duration must be a non-negative number of seconds, got {raw!r}"
        )
    return seconds


def flag(config: pytest.Config, option: str, ini: str) -> bool:
    """A setting with a command-line pair and an ini key: the command line wins
    either way; neither flag given, the ini key (or its default) decides."""
    value = config.getoption(option)
    if value is not None:
        return bool(value)
    return bool(config.getini(ini))


def derive_seed(base: int, nodeid: str) -> int:
    """A test's seed: stable across runs, orderings and xdist workers."""
    digest = hashlib.sha256(f"{base}\0{nodeid}".encode()).digest()
    return int.from_bytes(digest[:8], "big")


def settings_for(request: pytest.FixtureRequest) -> dict[str, Any]:
    config = request.config
    settings: dict[str, Any] = {
        "seed": derive_seed(base_seed(config), request.node.nodeid),
        "build_duration": build_duration(config),
        "strict": flag(config, "fakebuilds_strict", "fakebuilds_strict"),
        "freeze": flag(config, "fakebuilds_freeze", "fakebuilds_freeze_time"),
    }
    # Outer markers (module, class) first, so the closest one wins.
    for marker in reversed(list(request.node.iter_markers("fake_builds"))):
        if marker.args:
            raise TypeError(
                "@pytest.mark.fake_builds takes keyword arguments only, "
                f"got positional {marker.args!r}"
            )
        settings.update(marker.kwargs)
    return settings


@pytest.fixture
def fake_builds(request: pytest.FixtureRequest) -> Iterator[FakeBuilds]:
    """A fake Twilio Serverless account answering the Serverless API for this test.

    While active, ``requests`` calls to serverless.twilio.com and the upload
    host serverless-upload.twilio.com (and their regional forms) are answered
    from memory, other Twilio hosts are refused, and time
    is frozen at ``fake_builds.now()`` (``time.sleep`` advances it). Configure
    it with ``@pytest.mark.fake_builds(...)``; see ``FakeBuilds`` for the keys.
    """
    from .fake import FakeBuilds

    settings = settings_for(request)
    try:
        fake = FakeBuilds(**settings)
    except TypeError as exc:
        raise TypeError(f"@pytest.mark.fake_builds: {exc}") from None
    fake.start()
    try:
        yield fake
    finally:
        fake.stop()
