"""aiohttp's way in: refusals, other traffic untouched, a test's own aiohttp
mocks, nested fakes, faults, and patches that go with the last fake."""

from __future__ import annotations

import asyncio
import itertools
import subprocess
import sys
from base64 import b64encode
from collections.abc import AsyncIterator
from typing import Any
from unittest import mock

import aiohttp
import pytest
import pytest_asyncio
import requests
from aiohttp import web
from twilio.base.exceptions import TwilioRestException

from pytest_fakebuilds import FakeBuilds, UnmockedTwilioHostError
from pytest_fakebuilds.aio import AsyncUnmockedTwilioHostError

SERVICES = "https://serverless.twilio.com/v1/Services"
PATCHED = (
    (aiohttp.ClientSession, "request"),
    (aiohttp.ClientSession, "get"),
    (aiohttp.ClientSession, "post"),
    (aiohttp.ClientSession, "_request"),
    (aiohttp.TCPConnector, "_create_connection"),
)
ORIGINAL = {(owner, name): owner.__dict__[name] for owner, name in PATCHED}


def patches_are_gone() -> bool:
    return all(owner.__dict__[name] is ORIGINAL[owner, name] for owner, name in PATCHED)


def auth_header(fake: FakeBuilds) -> dict[str, str]:
    token = b64encode(f"{fake.account_sid}:{fake.auth_token}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


async def list_services(fake: FakeBuilds) -> list[str]:
    async with (
        aiohttp.ClientSession() as session,
        session.get(SERVICES, headers=auth_header(fake)) as response,
    ):
        assert response.status == 200, await response.text()
        return [service["unique_name"] for service in (await response.json())["services"]]


@pytest_asyncio.fixture
async def no_network(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[list[str]]:
    """Refuses, and lists, every name lookup and connection the running loop is asked for."""
    asked: list[str] = []
    loop = asyncio.get_running_loop()

    async def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        asked.append(f"getaddrinfo {host}")
        raise OSError("no lookups in this test")

    async def create_connection(*args: Any, **kwargs: Any) -> Any:
        asked.append("create_connection")
        raise OSError("no connections in this test")

    monkeypatch.setattr(loop, "getaddrinfo", getaddrinfo)
    monkeypatch.setattr(loop, "create_connection", create_connection)
    yield asked


@pytest_asyncio.fixture
async def local_server() -> AsyncIterator[str]:
    async def hello(request: web.Request) -> web.Response:
        return web.Response(text=f"hello {request.query.get('name', '')}")

    app = web.Application()
    app.router.add_get("/hello", hello)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    yield f"http://127.0.0.1:{port}"
    await runner.cleanup()


# Refusals -------------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_other_twilio_hosts_are_refused_before_any_connection(
    fake_builds: FakeBuilds,
) -> None:
    loop = asyncio.get_running_loop()
    asked: list[str] = []
    real_create_connection = loop.create_connection

    async def create_connection(*args: Any, **kwargs: Any) -> Any:
        asked.append("create_connection")
        return await real_create_connection(*args, **kwargs)

    loop.create_connection = create_connection  # type: ignore[method-assign]
    try:
        async with aiohttp.ClientSession() as session:
            with pytest.raises(aiohttp.ClientConnectionError) as refused:
                await session.get("https://api.twilio.com/2010-04-01/Accounts.json")
    finally:
        del loop.create_connection  # type: ignore[method-assign]
    assert isinstance(refused.value, AsyncUnmockedTwilioHostError)
    assert isinstance(refused.value, UnmockedTwilioHostError)
    assert str(refused.value) == (
        "pytest-fakebuilds: GET https://api.twilio.com/2010-04-01/Accounts.json was refused: "
        "the fake serves serverless.twilio.com, serverless-upload.twilio.com and their "
        "regional forms, not api.twilio.com; no request to a Twilio host leaves the machine "
        "while a fake is active"
    )
    assert asked == []
    assert fake_builds.calls == []


@pytest.mark.asyncio
async def test_twilio_async_client_on_another_api_is_refused(fake_builds: FakeBuilds) -> None:
    client = fake_builds.async_client()
    try:
        with pytest.raises(AsyncUnmockedTwilioHostError, match=r"not api\.twilio\.com"):
            await client.api.v2010.accounts(fake_builds.account_sid).fetch_async()
    finally:
        await client.http_client.close()


# Traffic that is not Twilio's -----------------------------------------------------------------


@pytest.mark.asyncio
async def test_other_hosts_reach_a_local_aiohttp_server(
    fake_builds: FakeBuilds, local_server: str
) -> None:
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"{local_server}/hello", params={"name": "you"}) as response,
    ):
        assert (response.status, await response.text()) == (200, "hello you")
    assert fake_builds.calls == []


class OwnMock:
    """A test's own aiohttp mock, made as aioresponses makes one: it patches
    ``ClientSession._request`` (autospec), answers the URLs it knows and refuses
    the rest. (aioresponses itself, 0.7.9, fails on aiohttp 3.14: its
    ClientResponse lacks the new ``stream_writer`` argument.)"""

    def __init__(self, answers: dict[str, Any]) -> None:
        self.answers = answers
        self.seen: list[str] = []
        self._patch = mock.patch.object(
            aiohttp.ClientSession, "_request", autospec=True, side_effect=self._request
        )

    async def _request(self, session: Any, method: str, url: Any, **kwargs: Any) -> Any:
        self.seen.append(str(url))
        if str(url) not in self.answers:
            raise aiohttp.ClientConnectionError(f"Connection refused: {method} {url}")
        return _Canned(self.answers[str(url)])

    def __enter__(self) -> OwnMock:
        self._patch.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._patch.stop()


class _Canned:
    status = 200

    def __init__(self, payload: Any) -> None:
        self.payload = payload

    async def json(self) -> Any:
        return self.payload

    async def __aenter__(self) -> _Canned:
        return self

    async def __aexit__(self, *exc: object) -> None:
        pass

    def release(self) -> None:
        pass

    async def wait_for_close(self) -> None:  # aiohttp before 3.10 awaits it
        pass


@pytest.mark.asyncio
async def test_a_tests_own_aiohttp_mock_started_inside_the_fake(
    fake_builds: FakeBuilds,
) -> None:
    fake_builds.create_service(unique_name="mine")
    with OwnMock({"https://example.com/status": {"ok": True}}) as mocked:
        async with aiohttp.ClientSession() as session:
            async with session.get("https://example.com/status") as response:
                assert await response.json() == {"ok": True}
            # Twilio traffic passes the mock by, to the fake.
            assert await list_services(fake_builds) == ["mine"]
            with pytest.raises(aiohttp.ClientConnectionError, match="Connection refused"):
                await session.get("https://example.com/unmocked")
        client = fake_builds.async_client()
        try:
            service = await client.serverless.v1.services("mine").fetch_async()
        finally:
            await client.http_client.close()
        assert service.unique_name == "mine"
    assert mocked.seen == ["https://example.com/status", "https://example.com/unmocked"]


@pytest.mark.asyncio
async def test_a_tests_own_aiohttp_mock_started_before_the_fake_stopped_after_it() -> None:
    with OwnMock({"https://example.com/status": {"ok": True}}) as mocked:
        fake = FakeBuilds(seed=4).start()
        try:
            fake.create_service(unique_name="inside")
            assert await list_services(fake) == ["inside"]
            async with (
                aiohttp.ClientSession() as session,
                session.get("https://example.com/status") as response,
            ):
                assert await response.json() == {"ok": True}
        finally:
            fake.stop()  # before the mock: not the order they started in
        async with (
            aiohttp.ClientSession() as session,
            session.get("https://example.com/status") as response,
        ):
            assert await response.json() == {"ok": True}
    assert mocked.seen == ["https://example.com/status"] * 2
    assert patches_are_gone()


# Nested fakes ---------------------------------------------------------------------------------


@pytest.mark.asyncio
@pytest.mark.parametrize("order", list(itertools.permutations(range(3))))
async def test_nested_fakes_answer_their_own_async_clients(order: tuple[int, ...]) -> None:
    fakes = [FakeBuilds(seed=seed).start() for seed in (11, 12, 13)]
    try:
        for index, fake in enumerate(fakes):
            fake.create_service(unique_name=f"svc-{index}")
        stopped: set[int] = set()
        for index in order:
            for other, fake in enumerate(fakes):
                if other not in stopped:
                    client = fake.async_client()
                    try:
                        services = await client.serverless.v1.services.list_async()
                    finally:
                        await client.http_client.close()
                    assert [s.unique_name for s in services] == [f"svc-{other}"]
                    assert await list_services(fake) == [f"svc-{other}"]
            fakes[index].stop()
            stopped.add(index)
    finally:
        for fake in fakes:
            fake.stop()
    assert patches_are_gone()


@pytest.mark.asyncio
async def test_unknown_credentials_go_to_the_newest_fake() -> None:
    with FakeBuilds(seed=1) as older, FakeBuilds(seed=2) as newer:
        stranger = older.async_client(username="AC" + "0" * 32, password="nope")
        try:
            with pytest.raises(TwilioRestException) as refused:
                await stranger.serverless.v1.services("ZS" + "0" * 32).fetch_async()
        finally:
            await stranger.http_client.close()
        assert (refused.value.status, refused.value.code) == (401, 20003)
        assert (len(older.calls), len(newer.calls)) == (0, 1)


# Faults -----------------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_connection_error_fault_is_aiohttps_connection_error(
    fake_builds: FakeBuilds,
) -> None:
    service = fake_builds.create_service(unique_name="app")
    fault = fake_builds.fault("fetch_service", exception=requests.ConnectionError)
    client = fake_builds.async_client()
    try:
        with pytest.raises(aiohttp.ClientConnectionError) as dropped:
            await client.serverless.v1.services(service.sid).fetch_async()
        # aiohttp sends an idempotent request again after some connection errors:
        # not after this one, so the fault is seen once and the next call answers.
        assert fault.hits == 1
        assert len(fake_builds.calls.filter("fetch_service")) == 1
        assert (await client.serverless.v1.services(service.sid).fetch_async()).sid == service.sid
    finally:
        await client.http_client.close()
    assert isinstance(dropped.value.__cause__, requests.ConnectionError)
    assert "pytest-fakebuilds fault" in str(dropped.value)
    assert not isinstance(dropped.value, asyncio.TimeoutError)


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "exception", [requests.ReadTimeout, requests.ConnectTimeout, requests.Timeout]
)
async def test_timeout_faults_are_asyncio_timeouts(
    fake_builds: FakeBuilds, exception: type[Exception]
) -> None:
    fake_builds.fault("list_service", exception=exception)
    with pytest.raises(asyncio.TimeoutError) as timed_out:
        await list_services(fake_builds)
    assert isinstance(timed_out.value, aiohttp.ServerTimeoutError)
    assert isinstance(timed_out.value.__cause__, exception)


@pytest.mark.asyncio
async def test_a_faulted_upload_creates_nothing(fake_builds: FakeBuilds) -> None:
    service = fake_builds.create_service(unique_name="app")
    function = fake_builds.create_function(service.sid, "hello")
    fake_builds.fault("create_function_version", exception=requests.ConnectionError)
    form = aiohttp.FormData()
    form.add_field("Path", "/hello")
    form.add_field("Visibility", "public")
    form.add_field("Content", b"code", filename="hello.js")
    url = (
        f"https://serverless-upload.twilio.com/v1/Services/{service.sid}"
        f"/Functions/{function.sid}/Versions"
    )
    async with aiohttp.ClientSession() as session:
        with pytest.raises(aiohttp.ClientConnectionError):
            await session.post(url, data=form, headers=auth_header(fake_builds))
    assert fake_builds.calls.last.response.exception is not None  # type: ignore[union-attr]
    client = fake_builds.async_client()
    try:
        versions = client.serverless.v1.services(service.sid).functions(function.sid)
        assert await versions.function_versions.list_async() == []
    finally:
        await client.http_client.close()


@pytest.mark.asyncio
async def test_status_and_latency_faults(fake_builds: FakeBuilds) -> None:
    started = fake_builds.now()
    fake_builds.fault("create_service", status=503)
    fake_builds.fault("list_service", latency=7.5)
    client = fake_builds.async_client()
    try:
        with pytest.raises(TwilioRestException) as unavailable:
            await client.serverless.v1.services.create_async(unique_name="a", friendly_name="A")
        assert (unavailable.value.status, unavailable.value.code) == (503, 20503)
        assert await client.serverless.v1.services.list_async() == []
    finally:
        await client.http_client.close()
    assert (fake_builds.now() - started).total_seconds() == 7.5


@pytest.mark.asyncio
async def test_a_rate_limit_fault_and_its_retry_after(fake_builds: FakeBuilds) -> None:
    fake_builds.fault("list_service", status=429, retry_after=2)
    async with (
        aiohttp.ClientSession() as session,
        session.get(SERVICES, headers=auth_header(fake_builds)) as response,
    ):
        assert response.status == 429
        assert response.headers["Retry-After"] == "2"
        assert (await response.json())["code"] == 20429


# The patches come and go with the fakes --------------------------------------------------------


def test_patches_go_with_the_last_fake() -> None:
    outer = FakeBuilds(seed=1).start()
    inner = FakeBuilds(seed=2).start()
    assert not patches_are_gone()
    outer.stop()
    assert not patches_are_gone()
    inner.stop()
    assert patches_are_gone()


@pytest.mark.asyncio
async def test_a_session_made_inside_a_fake_is_refused_once_it_stopped(
    no_network: list[str],
) -> None:
    with FakeBuilds(seed=3) as fake:
        session = aiohttp.ClientSession()
        assert await list_services(fake) == []
    try:
        # Nothing answers for Twilio any more: aiohttp goes to the loop, which
        # this test does not let reach the network.
        with pytest.raises(aiohttp.ClientConnectionError):
            await session.get(SERVICES)
    finally:
        await session.close()
    assert no_network == ["getaddrinfo serverless.twilio.com"]


LATE_IMPORT = """
import asyncio, base64, sys
from pytest_fakebuilds import FakeBuilds

with FakeBuilds(seed=1) as fake:
    loaded_with_the_fake = "aiohttp" in sys.modules
    fake.create_service(unique_name="late")
    import aiohttp  # its first import, while the fake is active

    async def names():
        token = base64.b64encode(f"{fake.account_sid}:{fake.auth_token}".encode()).decode()
        async with aiohttp.ClientSession() as session, session.get(
            "https://serverless.twilio.com/v1/Services",
            headers={"Authorization": "Basic " + token},
        ) as response:
            return response.status, [s["unique_name"] for s in (await response.json())["services"]]

    answer = asyncio.run(names())
patched_after = aiohttp.ClientSession.__dict__["get"].__module__ != "aiohttp.client"
print(loaded_with_the_fake, answer, patched_after)
"""


def test_aiohttp_imported_after_the_fake_started_is_answered_too() -> None:
    # A process that never imports aiohttp does not load it for the fake; one
    # that imports it while a fake is active gets it answered from then on.
    done = subprocess.run(
        [sys.executable, "-W", "error", "-c", LATE_IMPORT],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False (200, ['late']) False"
