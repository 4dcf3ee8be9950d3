"""Smoke test of the built wheel, run by .ci/run.

.ci/run installs the wheel it built (not editable) in a fresh virtual
environment and runs this file from a directory outside the repository, so the
source tree cannot be imported: everything here comes through the installed
package and its pytest11 entry point.
"""

from __future__ import annotations

import importlib.metadata
import json
import sysconfig
from pathlib import Path

import pytest
import requests

import pytest_fakebuilds


def test_the_package_is_the_installed_wheel() -> None:
    site_packages = Path(sysconfig.get_paths()["purelib"]).resolve()
    assert Path(pytest_fakebuilds.__file__).resolve().is_relative_to(site_packages)
    dist = importlib.metadata.distribution("pytest-fakebuilds")
    assert dist.version == pytest_fakebuilds.__version__
    direct_url = json.loads(dist.read_text("direct_url.json") or "{}")
    assert not direct_url.get("dir_info", {}).get("editable", False)
    files = {file.as_posix() for file in dist.files or ()}
    assert "pytest_fakebuilds/py.typed" in files
    assert any(file.endswith(".dist-info/licenses/LICENSE") for file in files)
    assert dist.metadata["License-Expression"] == "MIT"


def test_the_plugin_is_registered_by_its_entry_point(pytestconfig: pytest.Config) -> None:
    plugin = pytestconfig.pluginmanager.get_plugin("fakebuilds")
    assert plugin is not None
    assert plugin.__name__ == "pytest_fakebuilds.plugin"


def test_a_build_completes_through_the_fixture(fake_builds: pytest_fakebuilds.FakeBuilds) -> None:
    service = fake_builds.create_service(unique_name="my-app")
    hello = fake_builds.create_function_version(service.sid, path="/hello")
    builds = fake_builds.client().serverless.v1.services(service.sid).builds

    build = builds.create(function_versions=[hello.sid])
    assert build.status == "building"

    fake_builds.advance(fake_builds.build_duration)
    assert builds(build.sid).fetch().status == "completed"


def test_an_upload_through_requests(fake_builds: pytest_fakebuilds.FakeBuilds) -> None:
    service = fake_builds.create_service(unique_name="my-app")
    function = fake_builds.create_function(service.sid, "/hello")
    response = requests.post(
        f"https://serverless-upload.twilio.com/v1/Services/{service.sid}"
        f"/Functions/{function.sid}/Versions",
        auth=(fake_builds.account_sid, fake_builds.auth_token),
        data={"Path": "/hello", "Visibility": "public"},
        files={"Content": ("hello.js", b"exports.handler = () => {};", "application/javascript")},
        timeout=10,
    )
    assert response.status_code == 201, response.text
    assert response.json()["sid"].startswith("ZN")
    assert response.json()["path"] == "/hello"


def test_twilio_is_not_reached_for_real(fake_builds: pytest_fakebuilds.FakeBuilds) -> None:
    with pytest.raises(pytest_fakebuilds.UnmockedTwilioHostError):
        requests.get("https://api.twilio.com/2010-04-01/Accounts.json", timeout=10)
