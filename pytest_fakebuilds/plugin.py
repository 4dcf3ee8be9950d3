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
    from .server import FakeServer

MARKER = (
    "fake_builds(**settings): configure this test's fake_builds fixture (and request it): "
    "seed, build_duration, start, freeze, strict, default_runtime, default_dependencies, "
    "uppercase_build_visibility, journal_size, all_threads, runtime_rules, "
    "clock_speed, snapshot (a path: start from a saved snapshot)"
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
    group.addoption(
        "--fakebuilds-save-failures",
        default=None,
        metavar="DIR",
        help="write the snapshot and the journal of every failed test that used a fake "
        "to DIR, one JSON file per test (default: ini fakebuilds_save_failures)",
    )
    parser.addini(
        "fakebuilds_save_failures",
        "directory for the snapshot and journal of every failed test that used a fake",
        default="",
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
        if fixturenames is not None and "fake_builds_server" in fixturenames:
            continue  # the marker configures the served fake; no second fake
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


def marker_settings(request: pytest.FixtureRequest) -> dict[str, Any]:
    settings: dict[str, Any] = {}
    # Outer markers (module, class) first, so the closest one wins.
    for marker in reversed(list(request.node.iter_markers("fake_builds"))):
        if marker.args:
            raise TypeError(
                "@pytest.mark.fake_builds takes keyword arguments only, "
                f"got positional {marker.args!r}"
            )
        settings.update(marker.kwargs)
    return settings


def settings_for(request: pytest.FixtureRequest) -> dict[str, Any]:
    config = request.config
    settings: dict[str, Any] = {
        "seed": derive_seed(base_seed(config), request.node.nodeid),
        "build_duration": build_duration(config),
        "strict": flag(config, "fakebuilds_strict", "fakebuilds_strict"),
        "freeze": flag(config, "fakebuilds_freeze", "fakebuilds_freeze_time"),
    }
    settings.update(marker_settings(request))
    return settings


def load_snapshot(request: pytest.FixtureRequest, path: Any) -> Any:
    """A snapshot file named by the marker: relative to the test's own file,
    else to the rootdir. Files written by ``--fakebuilds-save-failures`` load
    too (their ``snapshot`` key)."""
    import json
    from pathlib import Path

    wanted = Path(path)
    if not wanted.is_absolute():
        beside = Path(str(request.node.path)).parent / wanted
        wanted = beside if beside.exists() else Path(str(request.config.rootpath)) / wanted
    data = json.loads(wanted.read_text(encoding="utf-8"))
    if isinstance(data, dict) and "snapshot" in data and "format" not in data:
        data = data["snapshot"]
    return data


def make_fake(request: pytest.FixtureRequest) -> FakeBuilds:
    from .fake import FakeBuilds

    markers = marker_settings(request)
    snapshot = markers.pop("snapshot", None)
    try:
        if snapshot is None:
            return FakeBuilds(**settings_for(request))
        # The snapshot's own seed, clock and options stand; the command
        # line's strict and freeze, and the marker's keys, override them.
        config = request.config
        overrides = {
            "strict": flag(config, "fakebuilds_strict", "fakebuilds_strict"),
            "freeze": flag(config, "fakebuilds_freeze", "fakebuilds_freeze_time"),
            **markers,
        }
        return FakeBuilds.from_snapshot(load_snapshot(request, snapshot), **overrides)
    except TypeError as exc:
        raise TypeError(f"@pytest.mark.fake_builds: {exc}") from None


FAKE = pytest.StashKey["FakeBuilds"]()


def save_failures_dir(config: pytest.Config) -> str | None:
    option = config.getoption("fakebuilds_save_failures")
    value = option if option is not None else str(config.getini("fakebuilds_save_failures"))
    return value.strip() or None


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    fake = item.stash.get(FAKE, None)
    if fake is None:
        return
    directory = save_failures_dir(item.config)
    if report.failed and directory is not None:
        save_failure(fake, item, report.when, directory)
    if report.when == "teardown":
        del item.stash[FAKE]  # items live for the whole session; fakes must not


def save_failure(fake: FakeBuilds, item: pytest.Item, when: str, directory: str) -> None:
    """One JSON file per failed test: its fake's snapshot and journal."""
    import json
    import re
    from pathlib import Path

    from . import snapshot

    target = Path(directory)
    if not target.is_absolute():
        target = Path(str(item.config.rootpath)) / target
    target.mkdir(parents=True, exist_ok=True)
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", item.nodeid).strip("_")[:150]
    digest = hashlib.sha256(item.nodeid.encode()).hexdigest()[:8]
    data = {
        "test": item.nodeid,
        "when": when,
        "snapshot": fake.snapshot(),
        "journal": snapshot.journal(fake.calls),
    }
    (target / f"{stem}-{digest}.json").write_text(json.dumps(data, indent=1), encoding="utf-8")


@pytest.fixture
def fake_builds(request: pytest.FixtureRequest) -> Iterator[FakeBuilds]:
    """A fake Twilio Serverless account answering the Serverless API for this test.

    While active, ``requests`` calls to serverless.twilio.com and the upload
    host serverless-upload.twilio.com (and their regional forms) are answered
    from memory, other Twilio hosts are refused, and time
    is frozen at ``fake_builds.now()`` (``time.sleep`` advances it). Configure
    it with ``@pytest.mark.fake_builds(...)``; see ``FakeBuilds`` for the keys.
    """
    fake = make_fake(request)
    request.node.stash[FAKE] = fake
    fake.start()
    try:
        yield fake
    finally:
        fake.stop()


@pytest.fixture
def fake_builds_server(request: pytest.FixtureRequest) -> Iterator[FakeServer]:
    """A fake served over HTTP on 127.0.0.1 and a free port, for tests that
    start other processes: ``.url`` (the API at its own URL), ``.proxy`` (an
    HTTPS proxy answering ``*.twilio.com``), ``.env`` (what a child process
    needs) and ``.fake`` (the ``FakeBuilds`` behind it, with its whole Python
    API). Its clock runs in real time (``clock_speed`` on the marker changes
    that) and global time is left alone; the marker's other keys apply.
    """
    from .fake import FakeBuilds
    from .server import FakeServer

    settings = settings_for(request)
    settings["freeze"] = False
    settings.setdefault("clock_speed", 1.0)
    settings.pop("snapshot", None)
    try:
        fake = FakeBuilds(**settings)
    except TypeError as exc:
        raise TypeError(f"@pytest.mark.fake_builds: {exc}") from None
    server = FakeServer(fake).start()
    try:
        yield server
    finally:
        server.stop()
        server.fake.check()
