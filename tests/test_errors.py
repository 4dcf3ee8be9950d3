"""Bad input gets Twilio's status and error body, and leaves the store unchanged."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from helpers import BASE, UNKNOWN_BUILD, UNKNOWN_SERVICE, error_of, last_body, raw, refused
from twilio.base.exceptions import TwilioException, TwilioRestException

from pytest_fakebuilds import FakeBuilds, FakeInternalError


@pytest.fixture
def unchanged(fake_builds: FakeBuilds, builds: Any, hello: Any) -> Iterator[None]:
    """Asserts, after the test, that the service's builds are exactly as before."""
    builds.create(function_versions=[hello.sid])
    before = [(b.sid, b.status, b.date_updated) for b in builds.list()]
    yield
    assert [(b.sid, b.status, b.date_updated) for b in builds.list()] == before


# Authentication -----------------------------------------------------------------


@pytest.mark.parametrize(
    "auth",
    [None, ("AC" + "0" * 32, "nope"), "wrong-token", "other-account"],
    ids=["missing", "unknown-account", "wrong-token", "other-account-right-token"],
)
def test_bad_credentials_get_401_20003(
    fake_builds: FakeBuilds, service: Any, auth: Any, unchanged: None
) -> None:
    if auth == "wrong-token":
        auth = (fake_builds.account_sid, fake_builds.auth_token + "x")
    elif auth == "other-account":
        auth = ("AC" + "1" * 32, fake_builds.auth_token)
    answer = requests.get(f"{BASE}/v1/Services/{service.sid}/Builds", auth=auth)
    assert error_of(answer) == (401, 20003, "Authenticate")
    assert answer.headers["WWW-Authenticate"] == 'Basic realm="Twilio API"'


def test_bad_credentials_through_the_client(fake_builds: FakeBuilds, hello: Any) -> None:
    client = fake_builds.client(password="not-the-token")
    with pytest.raises(TwilioRestException) as raised:
        client.serverless.v1.services(hello.service_sid).builds.create(
            function_versions=[hello.sid]
        )
    assert raised.value.status == 401
    assert raised.value.code == 20003
    assert raised.value.msg == "Unable to create record: Authenticate"


def test_auth_is_checked_before_routing(fake_builds: FakeBuilds) -> None:
    answer = requests.get(f"{BASE}/v1/Nothing/Here")
    assert error_of(answer)[:2] == (401, 20003)


def test_api_key_and_secret_authenticate(fake_builds: FakeBuilds, hello: Any) -> None:
    key = fake_builds.create_api_key()
    assert key.sid.startswith("SK")
    assert len(key.sid) == 34
    client = fake_builds.client(username=key.sid, password=key.secret)
    build = client.serverless.v1.services(hello.service_sid).builds.create(
        function_versions=[hello.sid]
    )
    assert build.account_sid == fake_builds.account_sid


def test_api_key_with_wrong_secret_is_refused(fake_builds: FakeBuilds, service: Any) -> None:
    key = fake_builds.create_api_key()
    answer = raw(fake_builds, "GET", f"/v1/Services/{service.sid}/Builds", auth=(key.sid, "x"))
    assert error_of(answer)[:2] == (401, 20003)


def test_garbled_authorization_header_is_401(fake_builds: FakeBuilds, service: Any) -> None:
    answer = requests.get(
        f"{BASE}/v1/Services/{service.sid}/Builds", headers={"Authorization": "Basic !!!"}
    )
    assert error_of(answer)[:2] == (401, 20003)


# Not found ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", f"/v1/Services/{UNKNOWN_SERVICE}/Builds"),
        ("GET", f"/v1/Services/{UNKNOWN_SERVICE}/Builds"),
        ("GET", f"/v1/Services/{UNKNOWN_SERVICE}/Builds/{UNKNOWN_BUILD}"),
        ("DELETE", f"/v1/Services/{UNKNOWN_SERVICE}/Builds/{UNKNOWN_BUILD}"),
        ("GET", f"/v1/Services/{UNKNOWN_SERVICE}/Builds/{UNKNOWN_BUILD}/Status"),
        ("GET", "/v1/Services/my-app/Builds"),
        ("GET", "/v1/Nothing"),
        ("GET", "/v2/Services"),
        ("GET", f"/v1/Services/{UNKNOWN_SERVICE}/Builds/{UNKNOWN_BUILD}/Status/Extra"),
    ],
)
def test_unknown_resources_are_404_20404_naming_the_path(
    fake_builds: FakeBuilds, method: str, path: str, unchanged: None
) -> None:
    answer = raw(fake_builds, method, path, data={"FunctionVersions": "ZN" + "0" * 32})
    shown = path.removeprefix("/v1")
    assert error_of(answer) == (404, 20404, f"The requested resource {shown} was not found")


@pytest.mark.parametrize("suffix", ["", "/Status"])
def test_unknown_build_in_a_known_service(
    fake_builds: FakeBuilds, service: Any, suffix: str, unchanged: None
) -> None:
    path = f"/v1/Services/{service.sid}/Builds/{UNKNOWN_BUILD}{suffix}"
    answer = raw(fake_builds, "GET", path)
    assert error_of(answer) == (404, 20404, f"The requested resource {path[3:]} was not found")


def test_list_of_unknown_service_through_the_client(client: Any) -> None:
    """twilio-python raises a plain TwilioException("Unable to fetch page", response)
    for any non-200 page, so the answer itself is checked: its second argument."""
    with pytest.raises(TwilioException) as raised:
        client.serverless.v1.services(UNKNOWN_SERVICE).builds.list()
    assert not isinstance(raised.value, TwilioRestException)
    message, response = raised.value.args
    assert message == "Unable to fetch page"
    body = json.loads(response.text)
    assert body["status"] == response.status_code
    assert body["more_info"] == "https://www.twilio.com/docs/errors/20404"
    assert (response.status_code, body["code"], body["message"]) == (
        404,
        20404,
        f"The requested resource /Services/{UNKNOWN_SERVICE}/Builds was not found",
    )


@pytest.mark.parametrize(
    ("method", "suffix"),
    [("PUT", ""), ("PATCH", ""), ("DELETE", ""), ("POST", "/ZB" + "0" * 32), ("POST", "/X/Status")],
)
def test_wrong_method_on_a_known_path_is_405(
    fake_builds: FakeBuilds, service: Any, method: str, suffix: str, unchanged: None
) -> None:
    answer = raw(fake_builds, method, f"/v1/Services/{service.sid}/Builds{suffix}")
    assert error_of(answer)[:2] == (405, 20004)


# Create validation ----------------------------------------------------------------


def test_no_versions_is_400_20001(builds: Any, unchanged: None) -> None:
    with pytest.raises(TwilioRestException) as raised:
        builds.create()
    assert raised.value.status == 400
    assert raised.value.code == 20001
    assert raised.value.msg == (
        "Unable to create record: "
        "At least one Function Version or Asset Version is required for Build."
    )


def test_empty_version_lists_are_no_versions(builds: Any, unchanged: None) -> None:
    with pytest.raises(TwilioRestException) as raised:
        builds.create(function_versions=[], asset_versions=[], dependencies="[]")
    assert refused(raised.value) == (
        400,
        20001,
        "Unable to create record: "
        "At least one Function Version or Asset Version is required for Build.",
    )


@pytest.mark.parametrize("runtime", ["node99", "python3", "", "NODE22", "node 22"])
def test_unsupported_runtime_is_400_82007(
    builds: Any, hello: Any, runtime: str, unchanged: None
) -> None:
    with pytest.raises(TwilioRestException) as raised:
        builds.create(function_versions=[hello.sid], runtime=runtime)
    assert refused(raised.value) == (
        400,
        82007,
        f"Unable to create record: Unsupported Runtime: '{runtime}' is not one of "
        "node8, node10, node12, node14, node16, node18, node20, node22, node24",
    )


NOT_AN_ARRAY = "not a JSON array"
BAD_ENTRY = "each entry needs a string name and version"


@pytest.mark.parametrize(
    ("dependencies", "reason"),
    [
        ("", NOT_AN_ARRAY),
        ("lodash", NOT_AN_ARRAY),
        ("{", NOT_AN_ARRAY),
        ('{"name": "lodash", "version": "1"}', NOT_AN_ARRAY),
        ('[{"name": "lodash"}]', BAD_ENTRY),
        ('[{"version": "1.0.0"}]', BAD_ENTRY),
        ('[{"name": "", "version": "1.0.0"}]', BAD_ENTRY),
        ('[{"name": "lodash", "version": 4}]', BAD_ENTRY),
        ('[{"name": 4, "version": "1.0.0"}]', BAD_ENTRY),
        ('[{"name": "lodash", "version": "1"}, null]', BAD_ENTRY),
        ('["lodash"]', BAD_ENTRY),
        ('""', NOT_AN_ARRAY),
        ('"["lodash"]', NOT_AN_ARRAY),
        ('"[{"name":"lodash"}]"', BAD_ENTRY),  # the toolkit's quotes, then a bad entry
        ("[" * 100_000, NOT_AN_ARRAY),  # deeper than the JSON parser goes
    ],
    ids=lambda value: value if len(value) < 60 else value[:10] + "...",
)
def test_malformed_dependencies_are_400_20001(
    builds: Any, hello: Any, dependencies: str, reason: str, unchanged: None
) -> None:
    with pytest.raises(TwilioRestException) as raised:
        builds.create(function_versions=[hello.sid], dependencies=dependencies)
    assert refused(raised.value) == (
        400,
        20001,
        f"Unable to create record: Invalid Dependencies: {reason}",
    )


@pytest.mark.parametrize(
    ("param", "sid", "message"),
    [
        (
            "function_versions",
            "ZN" + "0" * 32,
            "Invalid FunctionVersions: Function Version ZN{zeros} was not found in Service {zs}",
        ),
        (
            "function_versions",
            "ZNnot-a-sid",
            "Invalid FunctionVersions: 'ZNnot-a-sid' is not a valid Function Version SID",
        ),
        (
            "function_versions",
            "ZH" + "0" * 32,
            "Invalid FunctionVersions: 'ZH{zeros}' is not a valid Function Version SID",
        ),
        (
            "asset_versions",
            "ZN" + "0" * 32,
            "Invalid AssetVersions: Asset Version ZN{zeros} was not found in Service {zs}",
        ),
        (
            "asset_versions",
            "ZN" + "0" * 31,
            "Invalid AssetVersions: 'ZN{short}' is not a valid Asset Version SID",
        ),
    ],
    ids=["unknown", "malformed", "wrong-prefix", "unknown-asset", "short-asset"],
)
def test_unknown_or_malformed_version_sids_are_400_20001(
    builds: Any, service: Any, param: str, sid: str, message: str, unchanged: None
) -> None:
    with pytest.raises(TwilioRestException) as raised:
        builds.create(**{param: [sid]})
    expected = message.format(zeros="0" * 32, short="0" * 31, zs=service.sid)
    assert refused(raised.value) == (400, 20001, f"Unable to create record: {expected}")


def test_version_of_another_service_is_400(
    fake_builds: FakeBuilds, builds: Any, service: Any, unchanged: None
) -> None:
    other = fake_builds.create_service(unique_name="other")
    foreign = fake_builds.create_function_version(other.sid, "/theirs")
    foreign_asset = fake_builds.create_asset_version(other.sid, "/theirs.css")
    with pytest.raises(TwilioRestException) as raised:
        builds.create(function_versions=[foreign.sid])
    assert refused(raised.value) == (
        400,
        20001,
        "Unable to create record: Invalid FunctionVersions: "
        f"Function Version {foreign.sid} was not found in Service {service.sid}",
    )
    with pytest.raises(TwilioRestException) as raised:
        builds.create(asset_versions=[foreign_asset.sid])
    assert refused(raised.value) == (
        400,
        20001,
        "Unable to create record: Invalid AssetVersions: "
        f"Asset Version {foreign_asset.sid} was not found in Service {service.sid}",
    )


def test_a_version_in_the_other_list_is_not_found(
    fake_builds: FakeBuilds, builds: Any, service: Any, hello: Any, unchanged: None
) -> None:
    """Function and Asset Versions share ``ZN``: the list a SID comes in says its kind."""
    asset = fake_builds.create_asset_version(service.sid, "/a.css")
    with pytest.raises(TwilioRestException) as raised:
        builds.create(function_versions=[asset.sid])
    assert refused(raised.value) == (
        400,
        20001,
        "Unable to create record: Invalid FunctionVersions: "
        f"Function Version {asset.sid} was not found in Service {service.sid}",
    )
    with pytest.raises(TwilioRestException) as raised:
        builds.create(asset_versions=[hello.sid])
    assert refused(raised.value) == (
        400,
        20001,
        "Unable to create record: Invalid AssetVersions: "
        f"Asset Version {hello.sid} was not found in Service {service.sid}",
    )


def test_one_bad_version_among_good_ones_rejects_all(
    builds: Any, hello: Any, unchanged: None
) -> None:
    with pytest.raises(TwilioRestException):
        builds.create(function_versions=[hello.sid, "ZN" + "f" * 32])


def test_more_than_50_function_versions_is_400(
    fake_builds: FakeBuilds, builds: Any, service: Any
) -> None:
    many = [fake_builds.create_function_version(service.sid, f"/f{i}") for i in range(51)]
    with pytest.raises(TwilioRestException) as raised:
        builds.create(function_versions=[v.sid for v in many])
    assert refused(raised.value) == (
        400,
        20001,
        "Unable to create record: "
        "Invalid FunctionVersions: a Build may include at most 50 Function Versions",
    )
    assert builds.list() == []
    build = builds.create(function_versions=[v.sid for v in many[:50]])
    assert build.status == "building"
    assert [v["sid"] for v in build.function_versions] == [v.sid for v in many[:50]]


def test_more_than_1000_asset_versions_is_400(
    fake_builds: FakeBuilds, builds: Any, service: Any
) -> None:
    asset = fake_builds.create_asset(service.sid, "/a.css")
    many = [
        fake_builds.create_asset_version(service.sid, f"/a{i}.css", asset_sid=asset)
        for i in range(1001)
    ]
    with pytest.raises(TwilioRestException) as raised:
        builds.create(asset_versions=[v.sid for v in many])
    assert refused(raised.value) == (
        400,
        20001,
        "Unable to create record: "
        "Invalid AssetVersions: a Build may include at most 1000 Asset Versions",
    )
    assert builds.list() == []
    build = builds.create(asset_versions=[v.sid for v in many[:1000]])
    assert build.status == "building"
    assert [v["sid"] for v in build.asset_versions] == [v.sid for v in many[:1000]]


def test_non_utf8_body_is_400(fake_builds: FakeBuilds, service: Any, unchanged: None) -> None:
    answer = raw(
        fake_builds,
        "POST",
        f"/v1/Services/{service.sid}/Builds",
        data=b"FunctionVersions=\xff\xfe",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert error_of(answer)[:2] == (400, 20001)


# Faults inside the fake -------------------------------------------------------------


def test_a_fault_in_the_fake_is_a_500_and_a_loud_failure(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeBuilds(seed=1)
    service = fake.create_service(unique_name="my-app")
    hello = fake.create_function_version(service.sid, "/hello")

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("bug in the fake")

    monkeypatch.setattr("pytest_fakebuilds.serverless.builds.create", broken)
    fake.start()
    answer = requests.post(
        f"{BASE}/v1/Services/{service.sid}/Builds",
        data={"FunctionVersions": hello.sid},
        auth=(fake.account_sid, fake.auth_token),
    )
    with pytest.raises(FakeInternalError, match="bug in the fake") as raised:
        fake.stop()
    assert error_of(answer) == (500, 20500, "An internal server error has occurred")
    assert "Traceback" not in answer.text
    assert isinstance(raised.value.__cause__, RuntimeError)
    assert last_body(fake)["code"] == 20500
