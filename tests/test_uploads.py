"""The upload host, ``serverless-upload[.edge][.region].twilio.com``, as a deploy
script using ``requests`` sees it: multipart ``POST``s of Path, Visibility and a
Content file that create Function and Asset Versions, and every refusal."""

from __future__ import annotations

import re
from typing import Any

import pytest
from helpers import (
    BAD_VISIBILITY,
    BASE,
    UNKNOWN_ZH,
    UPLOAD,
    MiB,
    error_of,
    not_found,
    raw,
    unchanged,
    upload,
)

from pytest_fakebuilds import FakeBuilds


def versions_path(service_sid: str, kind: str, parent_sid: str) -> str:
    return f"/v1/Services/{service_sid}/{kind}/{parent_sid}/Versions"


@pytest.fixture(params=["Functions", "Assets"])
def kind(request: pytest.FixtureRequest) -> str:
    found: str = request.param
    return found


@pytest.fixture
def parent(fake_builds: FakeBuilds, service: Any, kind: str) -> Any:
    """A Function or an Asset of ``service`` with no versions yet."""
    if kind == "Functions":
        return fake_builds.create_function(service.sid, "/hello")
    return fake_builds.create_asset(service.sid, "/hello")


def versions_of(api: Any, kind: str, parent_sid: str) -> Any:
    if kind == "Functions":
        return api.functions(parent_sid).function_versions
    return api.assets(parent_sid).asset_versions


# Accepted uploads -------------------------------------------------------------------


def test_upload_answers_201_with_every_field(
    fake_builds: FakeBuilds, service: Any, kind: str, parent: Any
) -> None:
    fake_builds.advance(30)
    answer = upload(fake_builds, service.sid, parent.sid, kind=kind, path="/hello")

    assert answer.status_code == 201
    assert answer.headers["Content-Type"] == "application/json; charset=utf-8"
    body = answer.json()
    assert re.fullmatch(r"ZN[0-9a-f]{32}", body["sid"])
    url = f"{BASE}{versions_path(service.sid, kind, parent.sid)}/{body['sid']}"
    expected: dict[str, Any] = {
        "sid": body["sid"],
        "account_sid": fake_builds.account_sid,
        "service_sid": service.sid,
        "function_sid" if kind == "Functions" else "asset_sid": parent.sid,
        "path": "/hello",
        "visibility": "public",
        "date_created": fake_builds.now().strftime("%Y-%m-%dT%H:%M:%SZ"),
        "url": url,
    }
    if kind == "Functions":
        expected["links"] = {"function_version_content": url + "/Content"}
    assert body == expected


def test_uploaded_version_is_listed_and_fetched(
    fake_builds: FakeBuilds, api: Any, service: Any, kind: str, parent: Any
) -> None:
    first = upload(fake_builds, service.sid, parent.sid, kind=kind).json()
    second = upload(fake_builds, service.sid, parent.sid, kind=kind).json()
    versions = versions_of(api, kind, parent.sid)
    assert [v.sid for v in versions.list()] == [second["sid"], first["sid"]]
    fetched = versions(first["sid"]).fetch()
    assert (fetched.sid, fetched.url, fetched.path) == (first["sid"], first["url"], "/hello")


@pytest.mark.parametrize(
    ("sent", "kept"),
    [("hello", "/hello"), ("assets/logo.png", "/assets/logo.png"), ("/a/b", "/a/b")],
)
def test_path_gets_a_leading_slash(
    fake_builds: FakeBuilds, service: Any, kind: str, parent: Any, sent: str, kept: str
) -> None:
    answer = upload(fake_builds, service.sid, parent.sid, kind=kind, path=sent)
    assert answer.status_code == 201
    assert answer.json()["path"] == kept


def test_path_of_255_characters_is_accepted(
    fake_builds: FakeBuilds, service: Any, kind: str, parent: Any
) -> None:
    path = "/" + "p" * 254
    answer = upload(fake_builds, service.sid, parent.sid, kind=kind, path=path)
    assert answer.status_code == 201
    assert answer.json()["path"] == path


def test_non_ascii_path_is_kept_and_counted_in_characters(
    fake_builds: FakeBuilds, api: Any, service: Any, kind: str, parent: Any
) -> None:
    path = "/" + "é" * 254  # 255 characters, 509 bytes
    answer = upload(fake_builds, service.sid, parent.sid, kind=kind, path=path)
    assert answer.status_code == 201, answer.text
    assert answer.json()["path"] == path
    assert versions_of(api, kind, parent.sid)(answer.json()["sid"]).fetch().path == path


@pytest.mark.parametrize("visibility", ["public", "protected", "private"])
def test_each_visibility(
    fake_builds: FakeBuilds, api: Any, service: Any, kind: str, parent: Any, visibility: str
) -> None:
    answer = upload(fake_builds, service.sid, parent.sid, kind=kind, visibility=visibility)
    assert answer.status_code == 201
    assert answer.json()["visibility"] == visibility
    fetched = versions_of(api, kind, parent.sid)(answer.json()["sid"]).fetch()
    assert fetched.visibility == visibility


def test_content_type_of_the_file_part_is_not_checked(
    fake_builds: FakeBuilds, api: Any, service: Any
) -> None:
    function = fake_builds.create_function(service.sid, "/hello")
    answer = upload(
        fake_builds,
        service.sid,
        function.sid,
        content="exports.x = 1; // ✓",
        filename="hello.js",
        content_type="application/octet-stream",
    )
    assert answer.status_code == 201
    content = (
        api.functions(function.sid)
        .function_versions(answer.json()["sid"])
        .function_version_content()
        .fetch()
    )
    assert content.content == "exports.x = 1; // ✓"


@pytest.mark.parametrize(
    ("upload_host", "rest_host"),
    [
        ("serverless-upload.ie1.twilio.com", "serverless.ie1.twilio.com"),
        ("serverless-upload.dublin.ie1.twilio.com", "serverless.dublin.ie1.twilio.com"),
    ],
    ids=["region", "edge-and-region"],
)
def test_regional_upload_hosts_answer_with_the_rest_host_of_that_region(
    fake_builds: FakeBuilds,
    service: Any,
    kind: str,
    parent: Any,
    upload_host: str,
    rest_host: str,
) -> None:
    answer = upload(
        fake_builds,
        service.sid,
        parent.sid,
        kind=kind,
        host=f"https://{upload_host}",
        content="// Grüße ✓\n",
    )
    assert answer.status_code == 201
    sid = answer.json()["sid"]
    path = f"{versions_path(service.sid, kind, parent.sid)}/{sid}"
    assert answer.json()["url"] == f"https://{rest_host}{path}"

    regional = fake_builds.client(region="ie1", edge="dublin").serverless.v1.services(service.sid)
    fetched = versions_of(regional, kind, parent.sid)(sid).fetch()
    assert fetched.sid == sid
    assert fetched.url == f"https://serverless.dublin.ie1.twilio.com{path}"
    assert urls_host(fake_builds.calls[-1].request.url) == "serverless.dublin.ie1.twilio.com"
    if kind == "Functions":
        assert answer.json()["links"] == {
            "function_version_content": answer.json()["url"] + "/Content"
        }
        content = regional.functions(parent.sid).function_versions(sid).function_version_content()
        assert content.fetch().content == "// Grüße ✓\n"


def urls_host(url: str) -> str:
    return url.split("/")[2]


# Refusals ---------------------------------------------------------------------------

REFUSALS = [
    pytest.param({"path": None}, "Missing required parameter Path in the post body", id="no-path"),
    pytest.param({"path": ""}, "Missing required parameter Path in the post body", id="empty-path"),
    pytest.param(
        {"visibility": None},
        "Missing required parameter Visibility in the post body",
        id="no-visibility",
    ),
    pytest.param(
        {"path": "/" + "p" * 255},
        "Invalid Path: must be at most 255 characters",
        id="path-256",
    ),
    pytest.param(
        {"path": "p" * 256},
        "Invalid Path: must be at most 255 characters",
        id="path-256-no-slash",
    ),
    pytest.param({"visibility": "secret"}, BAD_VISIBILITY.format("secret"), id="secret"),
    pytest.param({"visibility": "Public"}, BAD_VISIBILITY.format("Public"), id="Public"),
    pytest.param({"visibility": "PRIVATE"}, BAD_VISIBILITY.format("PRIVATE"), id="PRIVATE"),
    pytest.param({"visibility": "public "}, BAD_VISIBILITY.format("public "), id="spaced"),
]


@pytest.mark.parametrize(("change", "message"), REFUSALS)
def test_bad_part_is_400(
    fake_builds: FakeBuilds,
    service: Any,
    kind: str,
    parent: Any,
    change: dict[str, Any],
    message: str,
) -> None:
    with unchanged(fake_builds):
        answer = upload(fake_builds, service.sid, parent.sid, kind=kind, **change)
    assert error_of(answer) == (400, 20001, message)


def test_missing_content_part_is_400(
    fake_builds: FakeBuilds, service: Any, kind: str, parent: Any
) -> None:
    with unchanged(fake_builds):
        answer = raw(
            fake_builds,
            "POST",
            versions_path(service.sid, kind, parent.sid),
            host=UPLOAD,
            # Multipart, but with no Content part at all.
            files={"Path": (None, "/hello"), "Visibility": (None, "public")},
        )
    assert answer.request.headers["Content-Type"].startswith("multipart/form-data; boundary=")
    assert error_of(answer) == (
        400,
        20001,
        "Missing required parameter Content in the post body",
    )


def test_content_as_a_plain_field_is_400(
    fake_builds: FakeBuilds, service: Any, kind: str, parent: Any
) -> None:
    with unchanged(fake_builds):
        answer = raw(
            fake_builds,
            "POST",
            versions_path(service.sid, kind, parent.sid),
            host=UPLOAD,
            # (None, value): a part with no file name, i.e. a plain form field.
            files={
                "Path": (None, "/hello"),
                "Visibility": (None, "public"),
                "Content": (None, "exports.handler = () => {};"),
            },
        )
    assert answer.request.headers["Content-Type"].startswith("multipart/form-data; boundary=")
    assert error_of(answer) == (
        400,
        20001,
        "Invalid Content: the Content part must be a file",
    )


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ({"Path": "/hello", "Visibility": "public", "Content": "x"}, None),
        (b'{"Path": "/hello"}', "application/json"),
        (b"Path=/hello", "text/plain"),
        (b"", None),
    ],
    ids=["form-urlencoded", "json", "text", "no-body"],
)
def test_not_multipart_is_400(
    fake_builds: FakeBuilds,
    service: Any,
    kind: str,
    parent: Any,
    body: Any,
    content_type: str | None,
) -> None:
    headers = {} if content_type is None else {"Content-Type": content_type}
    with unchanged(fake_builds):
        answer = raw(
            fake_builds,
            "POST",
            versions_path(service.sid, kind, parent.sid),
            host=UPLOAD,
            data=body,
            headers=headers,
        )
    assert error_of(answer) == (
        400,
        20001,
        "Invalid Content-Type: an upload is a multipart/form-data request",
    )


VALID = (
    b"--XyZ\r\n"
    b'Content-Disposition: form-data; name="Path"\r\n\r\n/hello\r\n'
    b"--XyZ\r\n"
    b'Content-Disposition: form-data; name="Visibility"\r\n\r\npublic\r\n'
    b"--XyZ\r\n"
    b'Content-Disposition: form-data; name="Content"; filename="hello"\r\n'
    b"Content-Type: application/javascript\r\n\r\nexports.x = 1;\r\n"
    b"--XyZ--\r\n"
)


@pytest.mark.parametrize(
    "body",
    [
        VALID[: VALID.index(b"--XyZ--")],  # no closing boundary
        VALID[: len(VALID) // 2],  # cut in the middle of a part
        b"--XyZ\r\nno headers at all\r\n--XyZ--\r\n",
        b"this is not multipart at all",
    ],
    ids=["unterminated", "truncated", "part-without-headers", "garbage"],
)
def test_malformed_multipart_is_400(
    fake_builds: FakeBuilds, service: Any, kind: str, parent: Any, body: bytes
) -> None:
    with unchanged(fake_builds):
        answer = raw(
            fake_builds,
            "POST",
            versions_path(service.sid, kind, parent.sid),
            host=UPLOAD,
            data=body,
            headers={"Content-Type": "multipart/form-data; boundary=XyZ"},
        )
    status, code, message = error_of(answer)
    assert (status, code) == (400, 20001)
    assert message.startswith("Invalid multipart body:")


def test_a_hand_written_multipart_body_is_accepted(
    fake_builds: FakeBuilds, service: Any, kind: str, parent: Any
) -> None:
    """The control for the malformed bodies above: the same body, whole, is fine."""
    answer = raw(
        fake_builds,
        "POST",
        versions_path(service.sid, kind, parent.sid),
        host=UPLOAD,
        data=VALID,
        headers={"Content-Type": "multipart/form-data; boundary=XyZ"},
    )
    assert answer.status_code == 201
    assert answer.json()["path"] == "/hello"


@pytest.mark.parametrize(
    ("content_type", "boundary"),
    [
        # Node's form-data package, which Twilio's toolkit uploads with.
        (
            "multipart/form-data; boundary=--------------------------515890814546601021194782",
            "--------------------------515890814546601021194782",
        ),
        ('multipart/form-data; boundary="XyZ"', "XyZ"),
        ("Multipart/Form-Data; boundary=XyZ", "XyZ"),
        ("multipart/form-data;boundary=XyZ", "XyZ"),
    ],
    ids=["node-form-data", "quoted", "capitalised", "no-space"],
)
def test_content_type_header_forms_are_understood(
    fake_builds: FakeBuilds, api: Any, service: Any, content_type: str, boundary: str
) -> None:
    function = fake_builds.create_function(service.sid, "/hello")
    answer = raw(
        fake_builds,
        "POST",
        versions_path(service.sid, "Functions", function.sid),
        host=UPLOAD,
        data=VALID.replace(b"XyZ", boundary.encode()),
        headers={"Content-Type": content_type},
    )
    assert answer.status_code == 201, answer.text
    served = (
        api.functions(function.sid)
        .function_versions(answer.json()["sid"])
        .function_version_content()
        .fetch()
    )
    assert served.content == "exports.x = 1;"


# Not found ---------------------------------------------------------------------------


def test_unknown_parent_is_404(fake_builds: FakeBuilds, service: Any, kind: str) -> None:
    path = versions_path(service.sid, kind, UNKNOWN_ZH)
    with unchanged(fake_builds):
        answer = upload(fake_builds, service.sid, UNKNOWN_ZH, kind=kind)
    assert error_of(answer) == (404, 20404, not_found(path))


def test_unknown_parent_is_404_before_the_body_is_read(
    fake_builds: FakeBuilds, service: Any, kind: str
) -> None:
    path = versions_path(service.sid, kind, UNKNOWN_ZH)
    with unchanged(fake_builds):
        answer = raw(fake_builds, "POST", path, host=UPLOAD, data=b"not multipart")
    assert error_of(answer) == (404, 20404, not_found(path))


def test_unknown_service_is_404(fake_builds: FakeBuilds, service: Any, kind: str) -> None:
    unknown = "ZS" + "0" * 32
    with unchanged(fake_builds):
        answer = upload(fake_builds, unknown, UNKNOWN_ZH, kind=kind)
    assert error_of(answer) == (404, 20404, not_found(versions_path(unknown, kind, UNKNOWN_ZH)))


def test_a_function_sid_on_the_assets_path_is_404(
    fake_builds: FakeBuilds, api: Any, service: Any
) -> None:
    function = fake_builds.create_function(service.sid, "/hello")
    path = versions_path(service.sid, "Assets", function.sid)
    with unchanged(fake_builds):
        answer = upload(fake_builds, service.sid, function.sid, kind="Assets")
    assert error_of(answer) == (404, 20404, not_found(path))
    assert api.functions(function.sid).function_versions.list() == []


def test_an_asset_sid_on_the_functions_path_is_404(
    fake_builds: FakeBuilds, api: Any, service: Any
) -> None:
    asset = fake_builds.create_asset(service.sid, "/a.css")
    path = versions_path(service.sid, "Functions", asset.sid)
    with unchanged(fake_builds):
        answer = upload(fake_builds, service.sid, asset.sid, kind="Functions")
    assert error_of(answer) == (404, 20404, not_found(path))


def test_another_services_parent_is_404(fake_builds: FakeBuilds, service: Any, kind: str) -> None:
    elsewhere = fake_builds.create_service(unique_name="other-app")
    theirs = (
        fake_builds.create_function(elsewhere.sid, "/hello")
        if kind == "Functions"
        else fake_builds.create_asset(elsewhere.sid, "/hello")
    )
    path = versions_path(service.sid, kind, theirs.sid)
    with unchanged(fake_builds):
        answer = upload(fake_builds, service.sid, theirs.sid, kind=kind)
    assert error_of(answer) == (404, 20404, not_found(path))


def test_the_service_unique_name_is_not_a_sid_here(
    fake_builds: FakeBuilds, service: Any, kind: str, parent: Any
) -> None:
    path = versions_path(service.unique_name, kind, parent.sid)
    with unchanged(fake_builds):
        answer = upload(fake_builds, service.unique_name, parent.sid, kind=kind)
    assert error_of(answer) == (404, 20404, not_found(path))


# Sizes -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("visibility", "limit"),
    [("public", 25 * MiB), ("protected", 25 * MiB), ("private", 10 * MiB)],
)
def test_asset_exactly_at_the_size_limit_is_accepted(
    fake_builds: FakeBuilds, api: Any, service: Any, visibility: str, limit: int
) -> None:
    asset = fake_builds.create_asset(service.sid, "/big.bin")
    answer = upload(
        fake_builds,
        service.sid,
        asset.sid,
        kind="Assets",
        path="/big.bin",
        visibility=visibility,
        content=b"\0" * limit,
        content_type="application/octet-stream",
    )
    assert answer.status_code == 201
    listed = api.assets(asset.sid).asset_versions.list()
    assert [(v.sid, v.visibility) for v in listed] == [(answer.json()["sid"], visibility)]


@pytest.mark.parametrize(
    ("visibility", "limit"),
    [("public", 26214400), ("protected", 26214400), ("private", 10485760)],
)
def test_asset_one_byte_over_the_limit_is_413(
    fake_builds: FakeBuilds, service: Any, visibility: str, limit: int
) -> None:
    asset = fake_builds.create_asset(service.sid, "/big.bin")
    with unchanged(fake_builds):
        answer = upload(
            fake_builds,
            service.sid,
            asset.sid,
            kind="Assets",
            path="/big.bin",
            visibility=visibility,
            content=b"\0" * (limit + 1),
            content_type="application/octet-stream",
        )
    assert error_of(answer) == (
        413,
        20413,
        f"Request Entity Too Large: {visibility.capitalize()} Assets are limited to "
        f"{limit} bytes, the Content was {limit + 1} bytes",
    )


def test_private_asset_over_10_mib_but_under_25_mib_is_413(
    fake_builds: FakeBuilds, service: Any
) -> None:
    asset = fake_builds.create_asset(service.sid, "/big.bin")
    size = 10 * MiB + 4096
    assert (
        upload(  # the same bytes are fine when public
            fake_builds, service.sid, asset.sid, kind="Assets", content=b"\0" * size
        ).status_code
        == 201
    )
    with unchanged(fake_builds):
        answer = upload(
            fake_builds,
            service.sid,
            asset.sid,
            kind="Assets",
            visibility="private",
            content=b"\0" * size,
        )
    assert error_of(answer)[:2] == (413, 20413)


@pytest.mark.parametrize("visibility", ["public", "private"])
def test_functions_are_not_limited_by_the_asset_sizes(
    fake_builds: FakeBuilds, api: Any, service: Any, visibility: str
) -> None:
    function = fake_builds.create_function(service.sid, "/big")
    answer = upload(
        fake_builds,
        service.sid,
        function.sid,
        visibility=visibility,
        content=b"\0" * (25 * MiB + 1),
    )
    assert answer.status_code == 201, answer.text
    listed = api.functions(function.sid).function_versions.list()
    assert [v.sid for v in listed] == [answer.json()["sid"]]


def test_refused_uploads_mint_nothing(fake_builds: FakeBuilds, service: Any) -> None:
    """After every kind of refusal, the next SID is the one a fake that never
    saw them mints: no refused request moved the sequence."""
    asset = fake_builds.create_asset(service.sid, "/a")
    function = fake_builds.create_function(service.sid, "/f")
    refusals = [
        upload(fake_builds, service.sid, asset.sid, kind="Assets", content=b"\0" * (25 * MiB + 1)),
        upload(fake_builds, service.sid, function.sid, visibility="secret"),
        upload(fake_builds, service.sid, function.sid, path=None),
        upload(fake_builds, service.sid, function.sid, content=None),
        upload(fake_builds, service.sid, UNKNOWN_ZH),
        upload(fake_builds, service.sid, function.sid, kind="Assets"),
        upload(fake_builds, service.sid, function.sid, host=BASE),
        upload(fake_builds, service.sid, function.sid, auth=("AC" + "0" * 32, "wrong")),
        raw(
            fake_builds,
            "POST",
            versions_path(service.sid, "Functions", function.sid),
            host=UPLOAD,
            data=b"--XyZ\r\n",
            headers={"Content-Type": "multipart/form-data; boundary=XyZ"},
        ),
    ]
    assert all(answer.status_code >= 400 for answer in refusals)
    made = upload(fake_builds, service.sid, function.sid).json()["sid"]

    twin = FakeBuilds(seed=fake_builds.seed)
    twin_service = twin.create_service(unique_name="my-app")
    twin.create_asset(twin_service.sid, "/a")
    twin_function = twin.create_function(twin_service.sid, "/f")
    assert (
        made
        == twin.create_function_version(
            twin_service.sid, "/hello", function_sid=twin_function.sid
        ).sid
    )


# The upload host serves only uploads ---------------------------------------------------


def test_post_to_versions_on_the_rest_host_is_405(
    fake_builds: FakeBuilds, service: Any, kind: str, parent: Any
) -> None:
    with unchanged(fake_builds):
        answer = upload(fake_builds, service.sid, parent.sid, kind=kind, host=BASE)
    assert error_of(answer) == (405, 20004, "Method not allowed")


@pytest.mark.parametrize("host", [UPLOAD, "https://serverless-upload.dublin.ie1.twilio.com"])
def test_get_on_the_upload_host_is_404(
    fake_builds: FakeBuilds, service: Any, kind: str, parent: Any, host: str
) -> None:
    """Reads are for the REST host: the upload host knows none of its paths."""
    version = upload(fake_builds, service.sid, parent.sid, kind=kind).json()
    many = versions_path(service.sid, kind, parent.sid)
    one = f"{many}/{version['sid']}"
    paths = [
        "/v1/Services",
        f"/v1/Services/{service.sid}",
        f"/v1/Services/{service.sid}/{kind}",
        f"/v1/Services/{service.sid}/{kind}/{parent.sid}",
        one,
    ]
    for path in paths:
        answer = raw(fake_builds, "GET", path, host=host)
        assert error_of(answer) == (404, 20404, not_found(path)), path


@pytest.mark.parametrize("host", [UPLOAD, "https://serverless-upload.dublin.ie1.twilio.com"])
def test_get_on_the_upload_hosts_versions_path_is_404(
    fake_builds: FakeBuilds, service: Any, kind: str, parent: Any, host: str
) -> None:
    """The one path the upload host serves, read with GET: still nothing to read there."""
    upload(fake_builds, service.sid, parent.sid, kind=kind)
    path = versions_path(service.sid, kind, parent.sid)
    answer = raw(fake_builds, "GET", path, host=host)
    assert error_of(answer) == (404, 20404, not_found(path))


def test_other_posts_on_the_upload_host_are_404(fake_builds: FakeBuilds, service: Any) -> None:
    with unchanged(fake_builds):
        for path, data in (
            ("/v1/Services", {"UniqueName": "sneaky", "FriendlyName": "sneaky"}),
            (f"/v1/Services/{service.sid}/Functions", {"FriendlyName": "sneaky"}),
            (f"/v1/Services/{service.sid}/Builds", {"FunctionVersions": "ZN" + "0" * 32}),
        ):
            answer = raw(fake_builds, "POST", path, host=UPLOAD, data=data)
            assert error_of(answer) == (404, 20404, not_found(path)), path


@pytest.mark.parametrize(
    "auth",
    [None, ("AC" + "0" * 32, "wrong"), "right-user-wrong-token"],
    ids=["none", "unknown-account", "wrong-token"],
)
def test_bad_credentials_on_the_upload_host_are_401(
    fake_builds: FakeBuilds, service: Any, kind: str, parent: Any, auth: Any
) -> None:
    if auth == "right-user-wrong-token":
        auth = (fake_builds.account_sid, fake_builds.auth_token + "x")
    with unchanged(fake_builds):
        answer = upload(fake_builds, service.sid, parent.sid, kind=kind, auth=auth)
    assert error_of(answer) == (401, 20003, "Authenticate")


def test_api_key_credentials_upload(fake_builds: FakeBuilds, service: Any) -> None:
    function = fake_builds.create_function(service.sid, "/hello")
    key = fake_builds.create_api_key()
    answer = upload(fake_builds, service.sid, function.sid, auth=(key.sid, key.secret))
    assert answer.status_code == 201
    assert answer.json()["account_sid"] == fake_builds.account_sid
