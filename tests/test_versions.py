"""Function Versions and Asset Versions (``ZN``) on the REST host: fetch, list,
a Function Version's code at ``…/Content``, and the helpers that upload them."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from helpers import (
    BAD_VISIBILITY,
    BASE,
    UNKNOWN_ZH,
    MiB,
    error_of,
    not_found,
    raw,
    unchanged,
    upload,
)
from twilio.base.exceptions import TwilioException, TwilioRestException

from pytest_fakebuilds import (
    AssetVersion,
    FakeBuilds,
    FunctionVersion,
    InvalidParameterError,
    NotFoundError,
    TooLargeError,
)

UNKNOWN_ZN = "ZN" + "0" * 32


def functions_path(service_sid: str, function_sid: str) -> str:
    return f"/v1/Services/{service_sid}/Functions/{function_sid}/Versions"


def assets_path(service_sid: str, asset_sid: str) -> str:
    return f"/v1/Services/{service_sid}/Assets/{asset_sid}/Versions"


# Fetch ----------------------------------------------------------------------------


def test_fetch_function_version_every_field(
    fake_builds: FakeBuilds, api: Any, service: Any
) -> None:
    function = fake_builds.create_function(service.sid, "/hello")
    fake_builds.advance(42)
    made = upload(fake_builds, service.sid, function.sid, path="/hello", visibility="protected")
    assert made.status_code == 201

    version = api.functions(function.sid).function_versions(made.json()["sid"]).fetch()

    assert re.fullmatch(r"ZN[0-9a-f]{32}", version.sid)
    assert version.account_sid == fake_builds.account_sid
    assert version.service_sid == service.sid
    assert version.function_sid == function.sid
    assert version.path == "/hello"
    assert version.visibility == "protected"
    assert version.date_created == fake_builds.now()
    url = f"{BASE}{functions_path(service.sid, function.sid)}/{version.sid}"
    assert version.url == url
    assert version.links == {"function_version_content": url + "/Content"}
    body = raw(fake_builds, "GET", functions_path(service.sid, function.sid) + f"/{version.sid}")
    assert body.json() == made.json()
    assert "date_updated" not in body.json()  # Versions are immutable


def test_fetch_asset_version_every_field(fake_builds: FakeBuilds, api: Any, service: Any) -> None:
    asset = fake_builds.create_asset(service.sid, "/logo.png")
    fake_builds.advance(7)
    made = upload(
        fake_builds,
        service.sid,
        asset.sid,
        kind="Assets",
        path="/logo.png",
        visibility="private",
        content=b"\x89PNG\r\n\x1a\n",
        content_type="image/png",
    )
    assert made.status_code == 201

    version = api.assets(asset.sid).asset_versions(made.json()["sid"]).fetch()

    assert re.fullmatch(r"ZN[0-9a-f]{32}", version.sid)
    assert version.account_sid == fake_builds.account_sid
    assert version.service_sid == service.sid
    assert version.asset_sid == asset.sid
    assert version.path == "/logo.png"
    assert version.visibility == "private"
    assert version.date_created == fake_builds.now()
    assert version.url == f"{BASE}{assets_path(service.sid, asset.sid)}/{version.sid}"
    body = raw(fake_builds, "GET", assets_path(service.sid, asset.sid) + f"/{version.sid}").json()
    assert body == made.json()
    assert "links" not in body
    assert "date_updated" not in body


def test_unknown_version_is_404(fake_builds: FakeBuilds, api: Any, service: Any) -> None:
    function = fake_builds.create_function_version(service.sid, "/hello")
    asset = fake_builds.create_asset_version(service.sid, "/a.css")
    with pytest.raises(TwilioRestException) as raised:
        api.functions(function.function_sid).function_versions(UNKNOWN_ZN).fetch()
    path = functions_path(service.sid, function.function_sid) + f"/{UNKNOWN_ZN}"
    assert (raised.value.status, raised.value.code) == (404, 20404)
    assert raised.value.msg == "Unable to fetch record: " + not_found(path)
    with pytest.raises(TwilioRestException) as raised:
        api.assets(asset.asset_sid).asset_versions(UNKNOWN_ZN).fetch()
    assert raised.value.msg == "Unable to fetch record: " + not_found(
        assets_path(service.sid, asset.asset_sid) + f"/{UNKNOWN_ZN}"
    )


def test_a_version_is_reached_only_through_its_own_parent(
    fake_builds: FakeBuilds, service: Any
) -> None:
    """Another Function's version, an Asset's version under a Function and the
    reverse, or another service's: all 404, at every depth."""
    mine = fake_builds.create_function_version(service.sid, "/mine")
    sibling = fake_builds.create_function_version(service.sid, "/sibling")
    asset = fake_builds.create_asset_version(service.sid, "/a.css")
    elsewhere = fake_builds.create_service(unique_name="other-app")
    theirs = fake_builds.create_function_version(elsewhere.sid, "/mine")
    paths = [
        functions_path(service.sid, sibling.function_sid) + f"/{mine.sid}",
        functions_path(service.sid, mine.function_sid) + f"/{asset.sid}",
        functions_path(service.sid, asset.asset_sid) + f"/{asset.sid}",
        assets_path(service.sid, mine.function_sid) + f"/{mine.sid}",
        assets_path(service.sid, asset.asset_sid) + f"/{mine.sid}",
        functions_path(service.sid, theirs.function_sid) + f"/{theirs.sid}",
        functions_path(elsewhere.sid, mine.function_sid) + f"/{mine.sid}",
        functions_path(service.sid, sibling.function_sid) + f"/{mine.sid}/Content",
        functions_path(service.sid, theirs.function_sid) + f"/{theirs.sid}/Content",
        functions_path(service.sid, asset.asset_sid) + f"/{asset.sid}/Content",
        functions_path(service.sid, UNKNOWN_ZH) + f"/{mine.sid}",
        functions_path(service.unique_name, mine.function_sid) + f"/{mine.sid}",
    ]
    for path in paths:
        assert error_of(raw(fake_builds, "GET", path)) == (404, 20404, not_found(path)), path


# List -----------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["Functions", "Assets"])
def test_list_is_newest_first_and_pages(
    fake_builds: FakeBuilds, api: Any, service: Any, kind: str
) -> None:
    if kind == "Functions":
        parent = fake_builds.create_function(service.sid, "/hello").sid
        made = [
            fake_builds.create_function_version(service.sid, f"/v{i}", function_sid=parent).sid
            for i in range(5)
        ]
        fake_builds.create_function_version(service.sid, "/elsewhere")  # another function's
        versions = api.functions(parent).function_versions
    else:
        parent = fake_builds.create_asset(service.sid, "/a.css").sid
        made = [
            fake_builds.create_asset_version(service.sid, f"/v{i}", asset_sid=parent).sid
            for i in range(5)
        ]
        fake_builds.create_asset_version(service.sid, "/elsewhere")
        versions = api.assets(parent).asset_versions

    assert [v.sid for v in versions.list()] == made[::-1]
    before = len(fake_builds.calls)
    assert [v.sid for v in versions.list(page_size=2)] == made[::-1]
    urls = [call.request.url for call in fake_builds.calls[before:]]
    assert len(urls) == 3
    for number, url in enumerate(urls[1:], start=1):
        query = parse_qs(urlsplit(url).query)
        assert (query["PageSize"], query["Page"]) == (["2"], [str(number)])
    assert [v.sid for v in versions.stream(limit=3, page_size=2)] == made[::-1][:3]


@pytest.mark.parametrize("kind", ["Functions", "Assets"])
def test_list_envelope(fake_builds: FakeBuilds, service: Any, kind: str) -> None:
    if kind == "Functions":
        version: Any = fake_builds.create_function_version(service.sid, "/one")
        path, key = functions_path(service.sid, version.function_sid), "function_versions"
    else:
        version = fake_builds.create_asset_version(service.sid, "/one")
        path, key = assets_path(service.sid, version.asset_sid), "asset_versions"
    body = raw(fake_builds, "GET", path).json()
    url = BASE + path
    assert [v["sid"] for v in body[key]] == [version.sid]
    assert body["meta"] == {
        "first_page_url": f"{url}?PageSize=50&Page=0",
        "key": key,
        "next_page_url": None,
        "page": 0,
        "page_size": 50,
        "previous_page_url": None,
        "url": f"{url}?PageSize=50&Page=0",
    }


def test_a_fresh_function_lists_no_versions(
    api: Any, fake_builds: FakeBuilds, service: Any
) -> None:
    function = fake_builds.create_function(service.sid, "/empty")
    assert api.functions(function.sid).function_versions.list() == []


def test_list_under_an_unknown_or_wrong_parent_is_404(
    fake_builds: FakeBuilds, api: Any, service: Any
) -> None:
    asset = fake_builds.create_asset(service.sid, "/a.css")
    with pytest.raises(TwilioException, match="Unable to fetch page"):
        api.functions(asset.sid).function_versions.list()
    for path in (
        functions_path(service.sid, UNKNOWN_ZH),
        functions_path(service.sid, asset.sid),
        assets_path(service.sid, UNKNOWN_ZH),
        functions_path("ZS" + "0" * 32, UNKNOWN_ZH),
    ):
        assert error_of(raw(fake_builds, "GET", path)) == (404, 20404, not_found(path)), path


# Content --------------------------------------------------------------------------

CODES = {
    "ascii": b"exports.handler = (context, event, callback) => callback(null, 'hi');\n",
    "utf-8": (
        "// héllo wörld, naïve café ✓ — 日本語 🚀\n"
        "exports.handler = (c, e, cb) => cb(null, 'Grüße 👋');\n"
    ).encode(),
    "crlf-and-dashes": b"--boundary-like\r\n\r\n--\r\nline two\r\n  \t\r\n",
    "no-final-newline": b"module.exports = 1",
    "empty": b"",
}


@pytest.mark.parametrize("code", list(CODES.values()), ids=list(CODES))
def test_content_serves_the_uploaded_code_byte_for_byte(
    fake_builds: FakeBuilds, api: Any, service: Any, code: bytes
) -> None:
    function = fake_builds.create_function(service.sid, "/code")
    made = upload(fake_builds, service.sid, function.sid, content=code)
    assert made.status_code == 201, made.text
    sid = made.json()["sid"]

    content = api.functions(function.sid).function_versions(sid).function_version_content().fetch()

    assert content.content.encode("utf-8") == code
    assert content.sid == sid
    assert content.account_sid == fake_builds.account_sid
    assert content.service_sid == service.sid
    assert content.function_sid == function.sid
    assert content.url == made.json()["links"]["function_version_content"]
    path = functions_path(service.sid, function.sid) + f"/{sid}/Content"
    body = raw(fake_builds, "GET", path).json()
    assert set(body) == {"sid", "account_sid", "service_sid", "function_sid", "content", "url"}


def test_each_version_keeps_its_own_content(
    fake_builds: FakeBuilds, api: Any, service: Any
) -> None:
    function = fake_builds.create_function(service.sid, "/code")
    first = fake_builds.create_function_version(
        service.sid, "/code", content="one", function_sid=function.sid
    )
    second = fake_builds.create_function_version(
        service.sid, "/code", content="two", function_sid=function.sid
    )
    versions = api.functions(function.sid).function_versions
    assert versions(first.sid).function_version_content().fetch().content == "one"
    assert versions(second.sid).function_version_content().fetch().content == "two"


def test_assets_have_no_content_endpoint(fake_builds: FakeBuilds, service: Any) -> None:
    asset = fake_builds.create_asset_version(service.sid, "/a.css", content=b"body {}")
    path = assets_path(service.sid, asset.asset_sid) + f"/{asset.sid}/Content"
    assert error_of(raw(fake_builds, "GET", path)) == (404, 20404, not_found(path))


# The REST host only reads Versions ------------------------------------------------


@pytest.mark.parametrize("kind", ["Functions", "Assets"])
def test_post_to_versions_on_the_rest_host_is_405(
    fake_builds: FakeBuilds, service: Any, kind: str
) -> None:
    parent = (
        fake_builds.create_function(service.sid, "/x")
        if kind == "Functions"
        else fake_builds.create_asset(service.sid, "/x")
    )
    with unchanged(fake_builds):
        answer = upload(fake_builds, service.sid, parent.sid, kind=kind, host=BASE)
    assert error_of(answer) == (405, 20004, "Method not allowed")


# Helpers --------------------------------------------------------------------------


@pytest.mark.parametrize("content", ["héllo ✓\n", "héllo ✓\n".encode()], ids=["str", "bytes"])
def test_function_version_helper_takes_str_or_bytes(
    fake_builds: FakeBuilds, api: Any, service: Any, content: str | bytes
) -> None:
    version = fake_builds.create_function_version(
        service.sid, "/hello", "protected", content=content
    )
    assert isinstance(version, FunctionVersion)
    served = (
        api.functions(version.function_sid)
        .function_versions(version.sid)
        .function_version_content()
        .fetch()
    )
    assert served.content == "héllo ✓\n"
    fetched = api.functions(version.function_sid).function_versions(version.sid).fetch()
    assert (fetched.path, fetched.visibility) == ("/hello", "protected")


@pytest.mark.parametrize("content", ["a { }", b"\x00\xff binary"], ids=["str", "bytes"])
def test_asset_version_helper_takes_str_or_bytes(
    fake_builds: FakeBuilds, api: Any, service: Any, content: str | bytes
) -> None:
    version = fake_builds.create_asset_version(service.sid, "/a.css", "private", content)
    assert isinstance(version, AssetVersion)
    expected = content.encode() if isinstance(content, str) else content
    assert version.content == expected
    fetched = api.assets(version.asset_sid).asset_versions(version.sid).fetch()
    assert (fetched.path, fetched.visibility) == ("/a.css", "private")


@pytest.mark.parametrize("kind", ["function", "asset"])
def test_version_helper_without_parent_makes_one_named_after_the_path(
    fake_builds: FakeBuilds, api: Any, service: Any, kind: str
) -> None:
    if kind == "function":
        version: Any = fake_builds.create_function_version(service.sid, "hello")
        parents, parent_sid, path = api.functions.list(), version.function_sid, "/hello"
    else:
        version = fake_builds.create_asset_version(service.sid, "style.css")
        parents, parent_sid, path = api.assets.list(), version.asset_sid, "/style.css"
    assert version.path == path
    assert [(p.sid, p.friendly_name) for p in parents] == [(parent_sid, path)]


def test_version_helpers_with_a_parent_add_to_it(
    fake_builds: FakeBuilds, api: Any, service: Any
) -> None:
    function = fake_builds.create_function(service.sid, "/f")
    asset = fake_builds.create_asset(service.sid, "/a")
    one = fake_builds.create_function_version(service.sid, "/f", function_sid=function.sid)
    two = fake_builds.create_function_version(service.sid, "/f", function_sid=function.sid)
    three = fake_builds.create_asset_version(service.sid, "/a", asset_sid=asset.sid)
    assert (one.function_sid, two.function_sid) == (function.sid, function.sid)
    assert three.asset_sid == asset.sid
    assert [f.sid for f in api.functions.list()] == [function.sid]
    assert [a.sid for a in api.assets.list()] == [asset.sid]
    listed = api.functions(function.sid).function_versions.list()
    assert [v.sid for v in listed] == [two.sid, one.sid]


def test_version_helpers_refuse_the_other_familys_parent(
    fake_builds: FakeBuilds, service: Any
) -> None:
    function = fake_builds.create_function(service.sid, "/f")
    asset = fake_builds.create_asset(service.sid, "/a")
    elsewhere = fake_builds.create_service(unique_name="other-app")
    theirs = fake_builds.create_function(elsewhere.sid, "/f")
    with unchanged(fake_builds):
        with pytest.raises(NotFoundError):
            fake_builds.create_asset_version(service.sid, "/a", asset_sid=function.sid)
        with pytest.raises(NotFoundError):
            fake_builds.create_function_version(service.sid, "/f", function_sid=asset.sid)
        with pytest.raises(NotFoundError):
            fake_builds.create_function_version(service.sid, "/f", function_sid=theirs.sid)
        with pytest.raises(LookupError):
            fake_builds.create_function_version("ZS" + "0" * 32, "/f")


REFUSALS = [
    pytest.param(
        "function",
        {"visibility": "secret"},
        InvalidParameterError,
        BAD_VISIBILITY.format("secret"),
        id="function-bad-visibility",
    ),
    pytest.param(
        "asset",
        {"visibility": "PUBLIC"},
        InvalidParameterError,
        BAD_VISIBILITY.format("PUBLIC"),
        id="asset-bad-visibility",
    ),
    pytest.param(
        "function",
        {"path": "/" + "p" * 255},
        InvalidParameterError,
        "Invalid Path: must be at most 255 characters",
        id="function-long-path",
    ),
    pytest.param(
        "asset",
        {"visibility": "private", "size": 10 * MiB + 1},
        TooLargeError,
        "Request Entity Too Large: Private Assets are limited to 10485760 bytes, "
        "the Content was 10485761 bytes",
        id="asset-too-large-private",
    ),
    pytest.param(
        "asset",
        {"visibility": "public", "size": 25 * MiB + 1},
        TooLargeError,
        "Request Entity Too Large: Public Assets are limited to 26214400 bytes, "
        "the Content was 26214401 bytes",
        id="asset-too-large-public",
    ),
]


@pytest.mark.parametrize(("kind", "kwargs", "error", "message"), REFUSALS)
@pytest.mark.parametrize("parent", ["new", "existing"])
def test_refused_helper_creates_and_mints_nothing(
    fake_builds: FakeBuilds,
    service: Any,
    kind: str,
    kwargs: dict[str, Any],
    error: type[Exception],
    message: str,
    parent: str,
) -> None:
    def make(fake: FakeBuilds, service_sid: str, parent_sid: str | None, **extra: Any) -> Any:
        if "size" in extra:  # made here, not at collection: the bytes live only for this test
            extra["content"] = b"\0" * extra.pop("size")
        if kind == "function":
            return fake.create_function_version(
                service_sid, extra.pop("path", "/x"), function_sid=parent_sid, **extra
            )
        return fake.create_asset_version(
            service_sid, extra.pop("path", "/x"), asset_sid=parent_sid, **extra
        )

    def setup(fake: FakeBuilds, service_sid: str) -> str | None:
        if parent == "new":
            return None
        if kind == "function":
            return fake.create_function(service_sid, "/x").sid
        return fake.create_asset(service_sid, "/x").sid

    parent_sid = setup(fake_builds, service.sid)
    with unchanged(fake_builds), pytest.raises(error) as raised:
        make(fake_builds, service.sid, parent_sid, **kwargs)
    assert str(raised.value) == message
    assert isinstance(raised.value, ValueError)
    made = make(fake_builds, service.sid, parent_sid)

    twin = FakeBuilds(seed=fake_builds.seed)
    twin_service = twin.create_service(unique_name="my-app")
    twin_made = make(twin, twin_service.sid, setup(twin, twin_service.sid))
    assert (made.sid, made.parent_sid) == (twin_made.sid, twin_made.parent_sid)


def test_helper_function_versions_are_not_size_limited(
    fake_builds: FakeBuilds, api: Any, service: Any
) -> None:
    version = fake_builds.create_function_version(
        service.sid, "/big", "private", content=b"\0" * (25 * MiB + 1)
    )
    assert len(version.content) == 25 * MiB + 1
    listed = api.functions(version.function_sid).function_versions.list()
    assert [v.sid for v in listed] == [version.sid]


def test_helper_assets_exactly_at_the_limit_are_accepted(
    fake_builds: FakeBuilds, api: Any, service: Any
) -> None:
    public = fake_builds.create_asset_version(service.sid, "/p", "public", b"\0" * (25 * MiB))
    private = fake_builds.create_asset_version(service.sid, "/q", "private", b"\0" * (10 * MiB))
    assert len(public.content) == 25 * MiB
    assert len(private.content) == 10 * MiB
    assert {a.sid for a in api.assets.list()} == {public.asset_sid, private.asset_sid}
