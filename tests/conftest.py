from __future__ import annotations

import sys

# pytest keeps the modules it rewrites (test files, and the packages of pytest
# plugins such as hypothesis and this one) as .pyc files in __pycache__ (ignored
# by git), unless bytecode writing is off. These machines set PYTHONDONTWRITEBYTECODE,
# and then every pytest process of a run (each xdist worker, each inner pytest)
# parses, rewrites and compiles some 200 modules again: about 2.5 s of CPU each.
# Set before the imports below, so that hypothesis and the tests are cached too.
sys.dont_write_bytecode = False

# ruff: noqa: E402

import gc
import os
from collections.abc import Generator, Iterator
from importlib.metadata import PackageNotFoundError, version
from typing import Any

import forkserver

# Imported before any in-process pytester run, as trustme below: hypothesis, which
# the hypothesis plugin of every inner run imports, would otherwise be imported
# afresh (and dropped again) by each in-process run, at about a second a run.
import hypothesis  # noqa: F401
import pytest

# Imported here, before any in-process pytester run: such a run forgets the
# modules it imported first, and cryptography (under trustme, which the server
# uses) cannot be imported twice in one process ("curve must be an
# EllipticCurve instance" at the next server start).
import trustme  # noqa: F401
from openapi import assert_valid

# aiohttp's adapter, and aiohttp, are loaded here for the same reason: the first
# fake of a process installs it, and an in-process run would drop the modules
# whose classes it patched.
import pytest_fakebuilds.aio  # noqa: F401
from pytest_fakebuilds import FakeBuilds, Request, Response
from pytest_fakebuilds.core.routing import Core


@pytest.fixture(autouse=True, scope="session")
def _validate_every_served_body() -> Iterator[None]:
    """Every response any fake serves in this suite is checked against the spec.

    A body the spec does not allow fails the request that got it, and so the test.
    """
    original = Core.handle

    def handle(self: Core, request: Request) -> Response:
        response = original(self, request)
        if response.exception is None:  # a fault raising in the client has no body
            assert_valid(request, response)
        return response

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Core, "handle", handle)
        yield


def _asyncio_loop_scope_option() -> str | None:
    """pytest-asyncio 0.24 and later warn in every pytest run that leaves
    asyncio_default_fixture_loop_scope unset; earlier releases reject the key."""
    try:
        found = version("pytest-asyncio")
    except PackageNotFoundError:
        return None
    major, minor = (int(part) for part in found.split(".")[:2])
    return "function" if (major, minor) >= (0, 24) else None


@pytest.fixture
def pytester(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    """Inner pytest runs choose the same async fixture loop scope as the suite:
    they run with warnings as errors, and pytest-asyncio would warn in each."""
    scope = _asyncio_loop_scope_option()
    if scope is not None:
        monkeypatch.setenv("PYTEST_ADDOPTS", f"-o asyncio_default_fixture_loop_scope={scope}")
    return pytester


@pytest.fixture(scope="session")
def _fork_server() -> Iterator[tuple[str, ...] | None]:
    """The command that starts an inner ``python -m pytest`` as a fork of a warmed-up
    process (tests/forkserver.py), or None where that cannot run."""
    yield forkserver.pytest_command()
    forkserver.shutdown()


@pytest.fixture(autouse=True)
def _inner_pytest_in_forks(request: pytest.FixtureRequest) -> None:
    """``pytester.runpytest_subprocess`` runs its inner pytest in a fork of the
    session's fork server: a process of its own, without a second of start-up each.
    ``FAKEBUILDS_TESTS_NO_FORKSERVER=1`` makes them fresh interpreters again."""
    if "pytester" not in request.fixturenames:
        return
    command = request.getfixturevalue("_fork_server")
    if command is not None:
        pytester = request.getfixturevalue("pytester")
        monkeypatch = request.getfixturevalue("monkeypatch")
        monkeypatch.setattr(pytester, "_getpytestargs", lambda: command)


@pytest.fixture
def client(fake_builds: FakeBuilds) -> Any:
    return fake_builds.client()


@pytest.fixture
def service(fake_builds: FakeBuilds) -> Any:
    return fake_builds.create_service(unique_name="my-app")


@pytest.fixture
def hello(fake_builds: FakeBuilds, service: Any) -> Any:
    """A Function Version at ``/hello`` in ``service``."""
    return fake_builds.create_function_version(service.sid, "/hello")


@pytest.fixture
def api(client: Any, service: Any) -> Any:
    """``service`` as a twilio user reaches it: ``client.serverless.v1.services(sid)``."""
    return client.serverless.v1.services(service.sid)


@pytest.fixture
def builds(api: Any) -> Any:
    """The Builds list resource of ``service``, as a twilio user reaches it."""
    return api.builds


@pytest.fixture
def environment(fake_builds: FakeBuilds, service: Any) -> Any:
    """A ``dev`` Environment of ``service``, named as Twilio's deploy toolkit names it."""
    return fake_builds.create_environment(service.sid, domain_suffix="dev")


@pytest.fixture
def stage(fake_builds: FakeBuilds, service: Any) -> Any:
    """A second Environment of ``service`` (``stage``), beside ``environment``: for what
    one environment must not see or change of another."""
    return fake_builds.create_environment(service.sid, domain_suffix="stage")


@pytest.hookimpl(wrapper=True)
def pytest_xdist_auto_num_workers(config: pytest.Config) -> Generator[None, int, int]:
    """``-n auto`` (addopts) starts one worker more than xdist would (one per core):
    about a third of the suite's wall time is spent waiting with the core idle
    (servers shutting down, child processes and browsers starting), and the extra
    worker runs tests meanwhile. On 2 cores: 2 workers 44-46 s, 3 workers 37-40 s,
    4 workers 39-41 s. ``PYTEST_XDIST_AUTO_NUM_WORKERS`` still sets the number."""
    workers = yield
    if os.environ.get("PYTEST_XDIST_AUTO_NUM_WORKERS"):
        return workers
    return workers + 1


def pytest_collection_finish(session: pytest.Session) -> None:
    """What is loaded once collection is done (modules, the collected tests and their
    parameters) lives as long as the session: out of the collector's sight, so that a
    full collection (pytester's runs and leak checks force twenty to forty per worker)
    does not walk it each time. That was ~5 CPU-s of a run; objects made by the
    tests are collected as before."""
    gc.collect()
    gc.freeze()


def pytest_configure(config: pytest.Config) -> None:
    # pytest-asyncio before 0.24 (0.23.8 is the oldest the test extra admits,
    # the last to run on pytest 7.4) leaves a fresh event loop behind each
    # async test, never closed (its _provide_clean_event_loop finalizer); the
    # collector later reports that loop's self-pipe, a Unix socket, as unclosed
    # in whichever test is running then. Only that report is let through.
    try:
        release = tuple(int(part) for part in version("pytest-asyncio").split(".")[:2])
    except (PackageNotFoundError, ValueError):
        return
    if release < (0, 24):
        config.addinivalue_line(
            "filterwarnings",
            "ignore:Exception ignored in. <socket.socket fd=-1, family=1"
            ":pytest.PytestUnraisableExceptionWarning",
        )
