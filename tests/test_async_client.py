"""Every operation through twilio-python's async client (aiohttp), and uploads
through plain aiohttp, answered by the same core as the sync path."""

from __future__ import annotations

import asyncio
import json
from base64 import b64encode
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.rest import Client

from pytest_fakebuilds import FakeBuilds

UPLOAD = "https://serverless-upload.twilio.com"
CODE = b"exports.handler = (context, event, callback) => callback(null, 'hi');\n"
UNKNOWN_SERVICE = "ZS" + "0" * 32

# twilio-python 9.13 hands aiohttp a BasicAuth as auth=, both deprecated in aiohttp 3.14:
# a client the code under test builds itself raises these (async_client() does not).
TWILIO_ON_AIOHTTP_314 = [
    pytest.mark.filterwarnings("ignore:BasicAuth is deprecated:DeprecationWarning"),
    pytest.mark.filterwarnings("ignore:The 'auth' parameter is deprecated:DeprecationWarning"),
]


@pytest_asyncio.fixture
async def aclient(fake_builds: FakeBuilds) -> AsyncIterator[Client]:
    client = fake_builds.async_client()
    yield client
    await client.http_client.close()


@pytest_asyncio.fixture
async def aservice(aclient: Client) -> Any:
    return await aclient.serverless.v1.services.create_async(
        unique_name="my-app", friendly_name="My App"
    )


@pytest.fixture
def aapi(aclient: Client, aservice: Any) -> Any:
    return aclient.serverless.v1.services(aservice.sid)


def basic_auth(fake: FakeBuilds) -> dict[str, str]:
    token = b64encode(f"{fake.account_sid}:{fake.auth_token}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


async def upload(
    fake: FakeBuilds,
    service_sid: str,
    parent_sid: str,
    *,
    kind: str = "Functions",
    path: str = "/hello",
    visibility: str = "public",
    content: bytes = CODE,
    host: str = UPLOAD,
) -> tuple[int, dict[str, Any]]:
    """A multipart upload with plain aiohttp, as a user's own async deploy script does."""
    form = aiohttp.FormData()
    form.add_field("Path", path)
    form.add_field("Visibility", visibility)
    form.add_field("Content", content, filename="hello.js", content_type="application/javascript")
    url = f"{host}/v1/Services/{service_sid}/{kind}/{parent_sid}/Versions"
    async with (
        aiohttp.ClientSession() as session,
        session.post(url, data=form, headers=basic_auth(fake)) as response,
    ):
        return response.status, await response.json()


# Services ---------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_service_create_fetch_update_delete(fake_builds: FakeBuilds, aclient: Client) -> None:
    services = aclient.serverless.v1.services
    created = await services.create_async(unique_name="my-app", friendly_name="My App")
    assert created.sid.startswith("ZS")
    assert created.domain_base.startswith("my-app-")
    assert created.include_credentials is True

    by_name = await services("my-app").fetch_async()
    assert by_name.sid == created.sid

    fake_builds.advance(60)
    updated = await services(created.sid).update_async(friendly_name="Renamed", ui_editable=True)
    assert (updated.friendly_name, updated.ui_editable) == ("Renamed", True)
    assert updated.date_updated == fake_builds.now().replace(microsecond=0)

    assert await services(created.sid).delete_async() is True
    assert await services.list_async() == []


@pytest.mark.asyncio
async def test_errors_carry_twilios_status_code_and_message(
    fake_builds: FakeBuilds, aclient: Client, aservice: Any
) -> None:
    services = aclient.serverless.v1.services
    with pytest.raises(TwilioRestException) as missing:
        await services(UNKNOWN_SERVICE).fetch_async()
    assert (missing.value.status, missing.value.code) == (404, 20404)
    assert missing.value.msg == (
        f"Unable to fetch record: The requested resource /Services/{UNKNOWN_SERVICE} was not found"
    )

    with pytest.raises(TwilioRestException) as duplicate:
        await services.create_async(unique_name="my-app", friendly_name="Again")
    assert (duplicate.value.status, duplicate.value.code) == (409, 20409)
    assert duplicate.value.msg == (
        "Unable to create record: Service with this UniqueName already exists."
    )

    with pytest.raises(TwilioRestException) as too_long:
        await services(aservice.sid).update_async(friendly_name="x" * 256)
    assert (too_long.value.status, too_long.value.code) == (400, 20001)
    assert too_long.value.msg == (
        "Unable to update record: Invalid FriendlyName: must be at most 255 characters"
    )


# Environments, variables, logs -------------------------------------------------------------


@pytest.mark.asyncio
async def test_environments_and_variables(aapi: Any, aservice: Any) -> None:
    environment = await aapi.environments.create_async(unique_name="staging", domain_suffix="stage")
    assert environment.domain_name == f"{aservice.domain_base}-stage.twil.io"
    assert environment.build_sid is None
    assert [e.sid for e in await aapi.environments.list_async()] == [environment.sid]
    assert (await aapi.environments(environment.sid).fetch_async()).unique_name == "staging"

    variables = aapi.environments(environment.sid).variables
    variable = await variables.create_async(key="API_URL", value="https://example.com")
    updated = await variables(variable.sid).update_async(value="https://example.org")
    assert (updated.key, updated.value) == ("API_URL", "https://example.org")
    with pytest.raises(TwilioRestException) as duplicate:
        await variables.create_async(key="API_URL", value="again")
    assert (duplicate.value.status, duplicate.value.code) == (409, 20409)
    assert [v.key for v in await variables.list_async()] == ["API_URL"]
    assert await variables(variable.sid).delete_async() is True
    assert await variables.list_async() == []

    assert await aapi.environments(environment.sid).delete_async() is True
    assert await aapi.environments.list_async() == []


@pytest.mark.asyncio
async def test_logs_filtered_and_newest_first(
    fake_builds: FakeBuilds, aapi: Any, aservice: Any
) -> None:
    environment = fake_builds.create_environment(aservice.sid, domain_suffix="dev")
    function = fake_builds.create_function(aservice.sid, "hello")
    fake_builds.add_log(environment.sid, "first")
    fake_builds.advance(1)
    fake_builds.add_log(environment.sid, "second", level="error", function_sid=function.sid)

    logs = aapi.environments(environment.sid).logs
    assert [log.message for log in await logs.list_async()] == ["second", "first"]
    only = await logs.list_async(function_sid=function.sid)
    assert [(log.message, log.level) for log in only] == [("second", "error")]
    fetched = await logs(only[0].sid).fetch_async()
    assert fetched.function_sid == function.sid
    # List errors are twilio-python's plain TwilioException, with the answer in it.
    with pytest.raises(TwilioException, match="Unable to fetch page") as bad:
        await logs.list_async(function_sid="not-a-sid")
    assert "Invalid FunctionSid: 'not-a-sid' is not a valid Function SID" in str(bad.value)


# Functions, assets, versions, uploads -----------------------------------------------------


@pytest.mark.asyncio
async def test_function_upload_with_plain_aiohttp_and_its_content(
    fake_builds: FakeBuilds, aapi: Any, aservice: Any
) -> None:
    function = await aapi.functions.create_async(friendly_name="hello")
    status, version = await upload(fake_builds, aservice.sid, function.sid, path="hello")
    assert status == 201
    assert version["path"] == "/hello"
    assert version["url"].startswith("https://serverless.twilio.com/v1/")

    versions = aapi.functions(function.sid).function_versions
    assert [v.sid for v in await versions.list_async()] == [version["sid"]]
    fetched = await versions(version["sid"]).fetch_async()
    assert (fetched.path, fetched.visibility) == ("/hello", "public")
    content = await versions(version["sid"]).function_version_content().fetch_async()
    assert content.content == CODE.decode()

    renamed = await aapi.functions(function.sid).update_async(friendly_name="renamed")
    assert renamed.friendly_name == "renamed"
    assert await aapi.functions(function.sid).delete_async() is True
    assert await aapi.functions.list_async() == []


@pytest.mark.asyncio
async def test_asset_upload_and_versions(fake_builds: FakeBuilds, aapi: Any, aservice: Any) -> None:
    asset = await aapi.assets.create_async(friendly_name="logo")
    status, version = await upload(
        fake_builds,
        aservice.sid,
        asset.sid,
        kind="Assets",
        path="/logo.txt",
        visibility="private",
        content=b"a logo",
    )
    assert status == 201
    assert version["visibility"] == "private"
    versions = aapi.assets(asset.sid).asset_versions
    assert [v.path for v in await versions.list_async()] == ["/logo.txt"]
    assert (await versions(version["sid"]).fetch_async()).sid == version["sid"]
    assert (await aapi.assets(asset.sid).fetch_async()).friendly_name == "logo"
    assert [a.sid for a in await aapi.assets.list_async()] == [asset.sid]
    renamed = await aapi.assets(asset.sid).update_async(friendly_name="logo-2")
    assert renamed.friendly_name == "logo-2"
    assert await aapi.assets(asset.sid).delete_async() is True


@pytest.mark.asyncio
async def test_upload_refusals_over_aiohttp(fake_builds: FakeBuilds, aservice: Any) -> None:
    function = fake_builds.create_function(aservice.sid, "hello")
    status, body = await upload(fake_builds, aservice.sid, function.sid, visibility="secret")
    assert (status, body["code"]) == (400, 20001)
    assert body["message"] == (
        "Invalid Visibility: 'secret' is not one of public, protected, private"
    )
    status, body = await upload(fake_builds, aservice.sid, "ZH" + "0" * 32)
    assert (status, body["code"]) == (404, 20404)

    # Not multipart: aiohttp sends a dict as a form.
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            f"{UPLOAD}/v1/Services/{aservice.sid}/Functions/{function.sid}/Versions",
            data={"Path": "/x", "Visibility": "public"},
            headers=basic_auth(fake_builds),
        ) as response,
    ):
        assert response.status == 400
        assert (await response.json())["message"] == (
            "Invalid Content-Type: an upload is a multipart/form-data request"
        )


@pytest.mark.asyncio
async def test_chunked_upload_is_read_whole(fake_builds: FakeBuilds, aservice: Any) -> None:
    # A body of unknown length goes out chunked; the connection in memory reads it whole.
    function = fake_builds.create_function(aservice.sid, "hello")
    boundary = "x-boundary"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="Path"\r\n\r\n/chunked\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="Visibility"\r\n\r\npublic\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="Content"; '
            'filename="c.js"\r\nContent-Type: application/javascript\r\n\r\n'
        ).encode()
        + CODE
        + f"\r\n--{boundary}--\r\n".encode()
    )

    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(body), 7):
            yield body[start : start + 7]

    headers = {
        **basic_auth(fake_builds),
        "Content-Type": f"multipart/form-data; boundary={boundary}",
    }
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            f"{UPLOAD}/v1/Services/{aservice.sid}/Functions/{function.sid}/Versions",
            data=chunks(),
            headers=headers,
        ) as response,
    ):
        assert response.status == 201, await response.text()
        assert (await response.json())["path"] == "/chunked"
    request = fake_builds.calls.last.request  # type: ignore[union-attr]
    assert request.header("Transfer-Encoding") == "chunked"


# Builds and deployments ---------------------------------------------------------------------


@pytest.mark.asyncio
async def test_build_polled_with_asyncio_sleep_then_deployed(
    fake_builds: FakeBuilds, aapi: Any, aservice: Any
) -> None:
    version = fake_builds.create_function_version(aservice.sid, path="/hello")
    environment = fake_builds.create_environment(aservice.sid, domain_suffix="dev")
    started = fake_builds.now()

    build = await aapi.builds.create_async(
        function_versions=[version.sid],
        dependencies='[{"name": "lodash", "version": "4.17.21"}]',
    )
    assert build.status == "building"
    status = build.status
    while status == "building":
        await asyncio.sleep(1)
        status = (await aapi.builds(build.sid).build_status().fetch_async()).status
    assert status == "completed"
    assert fake_builds.now() - started == fake_builds.build_duration
    fake_builds.assert_polled(build.sid, every=1.0)

    fetched = await aapi.builds(build.sid).fetch_async()
    assert [v["sid"] for v in fetched.function_versions] == [version.sid]
    assert [b.sid for b in await aapi.builds.list_async()] == [build.sid]

    deployments = aapi.environments(environment.sid).deployments
    deployment = await deployments.create_async(build_sid=build.sid)
    assert deployment.build_sid == build.sid
    assert (await aapi.environments(environment.sid).fetch_async()).build_sid == build.sid
    assert [d.sid for d in await deployments.list_async()] == [deployment.sid]
    assert (await deployments(deployment.sid).fetch_async()).build_sid == build.sid
    with pytest.raises(TwilioRestException) as live:
        await aapi.builds(build.sid).delete_async()
    assert (live.value.status, live.value.code) == (409, 20409)


@pytest.mark.asyncio
async def test_build_of_another_services_version_is_refused(
    fake_builds: FakeBuilds, aapi: Any, aservice: Any
) -> None:
    other = fake_builds.create_service(unique_name="other")
    version = fake_builds.create_function_version(other.sid, path="/x")
    with pytest.raises(TwilioRestException) as refused:
        await aapi.builds.create_async(function_versions=[version.sid])
    assert (refused.value.status, refused.value.code) == (400, 20001)
    assert refused.value.msg == (
        f"Unable to create record: Invalid FunctionVersions: Function Version {version.sid} "
        f"was not found in Service {aservice.sid}"
    )


# Paging ---------------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_paging_across_pages(fake_builds: FakeBuilds, aclient: Client) -> None:
    made = [fake_builds.create_service(unique_name=f"svc-{n}").sid for n in range(5)]
    newest_first = made[::-1]
    services = aclient.serverless.v1.services

    assert [s.sid for s in await services.list_async(page_size=2)] == newest_first
    assert len(fake_builds.calls.filter("list_service")) == 3  # pages of 2, 2 and 1

    assert [s.sid for s in await services.list_async(limit=3, page_size=2)] == newest_first[:3]
    streamed = [s.sid async for s in await services.stream_async(limit=4, page_size=3)]
    assert streamed == newest_first[:4]

    page = await services.page_async(page_size=2)
    assert [s.sid for s in page] == newest_first[:2]
    following = await page.next_page_async()
    assert [s.sid for s in following] == newest_first[2:4]


# Regional hosts and credentials ---------------------------------------------------------------


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("options", "host"),
    [
        ({"region": "ie1"}, "serverless.ie1.twilio.com"),
        ({"edge": "sydney"}, "serverless.sydney.us1.twilio.com"),
        ({"edge": "dublin", "region": "ie1"}, "serverless.dublin.ie1.twilio.com"),
    ],
)
async def test_regional_hosts(fake_builds: FakeBuilds, options: dict[str, str], host: str) -> None:
    client = fake_builds.async_client(**options)
    try:
        service = await client.serverless.v1.services.create_async(
            unique_name="regional", friendly_name="Regional"
        )
        assert service.url == f"https://{host}/v1/Services/{service.sid}"
        assert fake_builds.calls.last.request.host == host  # type: ignore[union-attr]
        upload_host = "https://" + host.replace("serverless", "serverless-upload", 1)
        function = fake_builds.create_function(service.sid, "hello")
        status, version = await upload(fake_builds, service.sid, function.sid, host=upload_host)
        assert status == 201
        assert version["url"].startswith(f"https://{host}/v1/")
    finally:
        await client.http_client.close()


@pytest.mark.asyncio
async def test_api_key_credentials_and_bad_ones(fake_builds: FakeBuilds) -> None:
    key = fake_builds.create_api_key()
    client = fake_builds.async_client(username=key.sid, password=key.secret)
    stranger = fake_builds.async_client(password="wrong")
    try:
        created = await client.serverless.v1.services.create_async(
            unique_name="keyed", friendly_name="Keyed"
        )
        assert created.account_sid == fake_builds.account_sid
        with pytest.raises(TwilioException, match="Unable to fetch page") as refused:
            await stranger.serverless.v1.services.list_async()
        assert '"status": 401' in str(refused.value)
    finally:
        await client.http_client.close()
        await stranger.http_client.close()


@pytest.mark.asyncio
async def test_async_client_sends_what_twilios_client_sends(fake_builds: FakeBuilds) -> None:
    client = fake_builds.async_client()
    assert isinstance(client.http_client, AsyncTwilioHttpClient)
    try:
        await client.serverless.v1.services.create_async(
            unique_name="same", friendly_name="Same Name"
        )
    finally:
        await client.http_client.close()
    request = fake_builds.calls.last.request  # type: ignore[union-attr]
    assert request.header("Authorization") == basic_auth(fake_builds)["Authorization"]
    assert request.header("Content-Type") == "application/x-www-form-urlencoded"
    assert request.body == b"UniqueName=same&FriendlyName=Same+Name"


def test_async_client_outside_a_running_loop_says_so(fake_builds: FakeBuilds) -> None:
    with pytest.raises(RuntimeError, match="needs a running event loop"):
        fake_builds.async_client()


# A client the code under test builds itself ---------------------------------------------------


@pytest.mark.asyncio
@pytest.mark.parametrize("retries", [None, 2])
@pytest.mark.filterwarnings("ignore:BasicAuth is deprecated:DeprecationWarning")
@pytest.mark.filterwarnings("ignore:The 'auth' parameter is deprecated:DeprecationWarning")
async def test_users_own_async_twilio_http_client(
    fake_builds: FakeBuilds, retries: int | None
) -> None:
    # Built as application code builds it: twilio's own class, with or without
    # aiohttp_retry's RetryClient (max_retries) in front of the session.
    http_client = AsyncTwilioHttpClient(max_retries=retries)
    client = Client(fake_builds.account_sid, fake_builds.auth_token, http_client=http_client)
    try:
        service = await client.serverless.v1.services.create_async(
            unique_name="own", friendly_name="Own"
        )
        fetched = await client.serverless.v1.services(service.sid).fetch_async()
        assert fetched.unique_name == "own"
        with pytest.raises(TwilioRestException) as missing:
            await client.serverless.v1.services(UNKNOWN_SERVICE).fetch_async()
        assert missing.value.code == 20404
    finally:
        await http_client.close()
    assert [call.operation for call in fake_builds.calls] == [
        "create_service",
        "fetch_service",
        "fetch_service",
    ]


@pytest.mark.asyncio
async def test_plain_aiohttp_reads_the_rest_api(fake_builds: FakeBuilds, aservice: Any) -> None:
    async with (
        aiohttp.ClientSession(base_url="https://serverless.twilio.com") as session,
        session.get("/v1/Services", headers=basic_auth(fake_builds)) as response,
    ):
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("application/json")
        assert response.headers["Twilio-Request-Id"].startswith("RQ")
        page = json.loads(await response.read())
    assert [s["sid"] for s in page["services"]] == [aservice.sid]


@pytest.mark.asyncio
async def test_raise_for_status_sees_the_fakes_answer(fake_builds: FakeBuilds) -> None:
    async with aiohttp.ClientSession(raise_for_status=True) as session:
        with pytest.raises(aiohttp.ClientResponseError) as refused:
            await session.get(
                f"https://serverless.twilio.com/v1/Services/{UNKNOWN_SERVICE}",
                headers=basic_auth(fake_builds),
            )
    assert refused.value.status == 404


@pytest.mark.asyncio
async def test_time_on_the_wire_is_the_fakes(fake_builds: FakeBuilds, aclient: Client) -> None:
    fake_builds.advance(timedelta(days=2))
    service = await aclient.serverless.v1.services.create_async(
        unique_name="later", friendly_name="Later"
    )
    assert service.date_created == fake_builds.now().replace(microsecond=0)
