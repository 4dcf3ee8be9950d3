"""Bad input gets Twilio's status and error body, and leaves the store unchanged."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests
from helpers import BASE, UNKNOWN_BUILD, UNKNOWN_SERVICE, error_of, last_body, raw
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
    """twilio-python raises a plain TwilioException for any non-200 page."""
    with pytest.raises(TwilioException) as raised:
        client.serverless.v1.services(UNKNOWN_SERVICE).builds.list()
    assert not isinstance(raised.value, TwilioRestException)
    assert raised.value.args[0] == "Unable to fetch page"


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
    assert raised.value.code == 20001


@pytest.mark.parametrize("runtime", ["node99", "python3", "", "NODE22", "node 22"])
def test_unsupported_runtime_is_400_82007(
    builds: Any, hello: Any, runtime: str, unchanged: None
) -> None:
    with pytest.raises(TwilioRestException) as raised:
        builds.create(function_versions=[hello.sid], runtime=runtime)
    assert raised.value.status == 400
    assert raised.value.code == 82007
    assert repr(runtime) in raised.value.msg


@pytest.mark.parametrize(
    "dependencies",
    [
        "",
        "lodash",
        "{",
        '{"name": "lodash", "version": "1"}',
        '[{"name": "lodash"}]',
        '[{"version": "1.0.0"}]',
        '[{"name": "", "version": "1.0.0"}]',
        '[{"name": "lodash", "version": 4}]',
        '["lodash"]',
        '""',
        '"["lodash"]',
    ],
)
def test_malformed_dependencies_are_400_20001(
    builds: Any, hello: Any, dependencies: str, unchanged: None
) -> None:
    with pytest.raises(TwilioRestException) as raised:
        builds.create(function_versions=[hello.sid], dependencies=dependencies)
    assert raised.value.status == 400
    assert raised.value.code == 20001
    assert "Dependencies" in raised.value.msg


@pytest.mark.parametrize(
    ("param", "sid"),
    [
        ("function_versions", "ZN" + "0" * 32),  # unknown
        ("function_versions", "ZNnot-a-sid"),  # malformed
        ("function_versions", "ZH" + "0" * 32),  # wrong prefix
        ("asset_versions", "ZN" + "0" * 32),
    ],
)
def test_unknown_or_malformed_version_sids_are_400_20001(
    builds: Any, param: str, sid: str, unchanged: None
) -> None:
    with pytest.raises(TwilioRestException) as raised:
        builds.create(**{param: [sid]})
    assert raised.value.status == 400
    assert raised.value.code == 20001
    assert sid in raised.value.msg


def test_version_of_another_service_is_400(
    fake_builds: FakeBuilds, builds: Any, unchanged: None
) -> None:
    other = fake_builds.create_service(unique_name="other")
    foreign = fake_builds.create_function_version(other.sid, "/theirs")
    with pytest.raises(TwilioRestException) as raised:
        builds.create(function_versions=[foreign.sid])
    assert raised.value.code == 20001
    assert foreign.sid in raised.value.msg


def test_asset_version_passed_as_function_version_is_400(
    fake_builds: FakeBuilds, builds: Any, service: Any, unchanged: None
) -> None:
    asset = fake_builds.create_asset_version(service.sid, "/a.css")
    with pytest.raises(TwilioRestException) as raised:
        builds.create(function_versions=[asset.sid])
    assert raised.value.code == 20001


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
    assert raised.value.code == 20001
    assert builds.list() == []
    assert builds.create(function_versions=[v.sid for v in many[:50]]).status == "building"


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
