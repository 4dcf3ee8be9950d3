"""Twilio's own Node toolkit, unmodified, deploys a project to the served fake.

``tests/node/deploy.js`` calls ``deployLocalProject`` of ``@twilio-labs/serverless-api``
(pinned by tests/node/package-lock.json; CI runs ``npm ci --prefix tests/node``) on
tests/node/project: two Functions (one ``.protected.js``), one Asset, a package.json
with dependencies and a ``.env`` file with one variable. The toolkit reaches
``serverless.twilio.com`` and the upload host only through the server's proxy
(``HTTP_PROXY``, the one proxy variable it reads) and trusts the run's CA through
``NODE_EXTRA_CA_CERTS``: both come from ``fake_builds_server.env``. What it stored is
then read back through the Python API of the same fake (``server.fake``).

The build completes on the server's clock, which runs in real time: a 1 s build
and the toolkit's 1 s polling make each test take a few seconds.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from base64 import b64decode, b64encode
from pathlib import Path
from typing import Any

import pytest
import trustme  # noqa: F401  (see below)
from helpers import auth_of, state_of

from pytest_fakebuilds import FakeBuilds, Request
from pytest_fakebuilds.server import FakeServer

# trustme (and the cryptography it loads) is imported here, at collection, so that
# an in-process pytester run (tests/test_docs.py runs docs/offline.md's server
# example so) that first imports it cannot make pytester drop it afterwards: the
# re-imported cryptography no longer matches its Rust core, and every later
# FakeServer start fails with "TypeError: curve must be an EllipticCurve instance".

NODE_DIR = Path(__file__).parent / "node"
DEPLOY = NODE_DIR / "deploy.js"
PROJECT = NODE_DIR / "project"
TOOLKIT = "@twilio-labs/serverless-api"
SERVICE = "node-toolkit-demo"
RUNTIME = "node22"
INSTALL = "npm ci --prefix tests/node"
# Generous: a deploy takes ~2 s here; a hung toolkit must not hang the suite.
TIMEOUT = 120

pytestmark = pytest.mark.fake_builds(build_duration=1)


def pinned_version() -> str:
    """The exact toolkit version tests/node/package.json pins."""
    package = json.loads((NODE_DIR / "package.json").read_text(encoding="utf-8"))
    version = str(package["dependencies"][TOOLKIT])
    assert re.fullmatch(r"\d+\.\d+\.\d+", version), f"{TOOLKIT} must be pinned exactly"
    return version


@pytest.fixture(scope="module")
def node() -> str:
    """Node, and the pinned toolkit installed beside the script: missing, the test
    fails and says how to install it (a silent skip would hide the proof)."""
    executable = shutil.which("node")
    if executable is None:
        pytest.fail("node is not on PATH: install Node.js to run the Node toolkit tests")
    installed = NODE_DIR / "node_modules" / TOOLKIT / "package.json"
    if not installed.exists():
        pytest.fail(f"{TOOLKIT} is not installed under tests/node: run `{INSTALL}`")
    version = json.loads(installed.read_text(encoding="utf-8"))["version"]
    if version != pinned_version():
        pytest.fail(
            f"tests/node has {TOOLKIT} {version}, package.json pins {pinned_version()}: "
            f"run `{INSTALL}`"
        )
    return executable


def deploy(node: str, server: FakeServer) -> subprocess.CompletedProcess[str]:
    """``deploy.js`` on the project, with only what ``server.env`` gives it to find
    the fake: no proxy or CA variable of the test's own environment leaks in."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.upper().endswith("_PROXY") and not name.startswith("TWILIO_")
    }
    env.update(server.env)
    return subprocess.run(
        [node, str(DEPLOY), str(PROJECT), "--service-name", SERVICE, "--runtime", RUNTIME],
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )


def get(fake: FakeBuilds, url: str) -> dict[str, Any]:
    """One GET answered by the fake's own ``handle``, with its credentials."""
    token = b64encode(":".join(auth_of(fake)).encode()).decode()
    answer = fake.handle(Request("GET", url, {"Authorization": f"Basic {token}"}))
    assert answer.status == 200, answer.body
    body: dict[str, Any] = json.loads(answer.body)
    return body


def stored_contents(fake: FakeBuilds, table: str) -> dict[str, bytes]:
    """The content the fake stored for each Version of ``table``, by SID (the
    snapshot is the one public view of an Asset Version's bytes)."""
    records = fake.snapshot()["records"][table]
    return {record["sid"]: b64decode(record["content"]["base64"]) for record in records}


def toolkit_calls(fake: FakeBuilds) -> list[tuple[str | None, str, int]]:
    """``(operation, host, status)`` of every call, build-status polls folded
    into one entry."""
    seen: list[tuple[str | None, str, int]] = []
    for call in fake.calls:
        entry = (call.operation, call.request.host, call.response.status)
        if entry[0] == "fetch_build_status" and seen and seen[-1] == entry:
            continue
        seen.append(entry)
    return seen


def read_project() -> dict[str, Any]:
    package = json.loads((PROJECT / "package.json").read_text(encoding="utf-8"))
    env_lines = (PROJECT / ".env").read_text(encoding="utf-8").splitlines()
    return {
        "dependencies": [
            {"name": name, "version": version or "*"}  # the toolkit sends "" as "*"
            for name, version in package["dependencies"].items()
        ],
        "variables": dict(line.split("=", 1) for line in env_lines if line.strip()),
        "functions": {
            "/hello": ("public", (PROJECT / "functions" / "hello.js").read_text()),
            "/secret": ("protected", (PROJECT / "functions" / "secret.protected.js").read_text()),
        },
        "assets": {"/index.html": ("public", (PROJECT / "assets" / "index.html").read_bytes())},
    }


REST, UPLOAD = "serverless.twilio.com", "serverless-upload.twilio.com"


def test_the_node_toolkit_deploys_a_project_to_the_served_fake(
    node: str, fake_builds_server: FakeServer
) -> None:
    server = fake_builds_server
    fake = server.fake
    project = read_project()

    done = deploy(node, server)

    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert "Current status: building" in done.stderr  # it waited on the running clock

    # The unmodified toolkit spoke to Twilio's own hosts, through the proxy only.
    calls = list(fake.calls)
    assert {call.request.origin for call in calls} == {f"https://{REST}", f"https://{UPLOAD}"}
    agents = {call.request.header("User-Agent") or "" for call in calls}
    assert all(agent.startswith(f"{TOOLKIT}/{pinned_version()} ") for agent in agents), agents
    assert toolkit_calls(fake) == [
        ("create_service", REST, 201),
        ("list_environment", REST, 200),
        ("create_environment", REST, 201),
        ("list_function", REST, 200),
        ("create_function", REST, 201),
        ("create_function", REST, 201),
        ("create_function_version", UPLOAD, 201),
        ("create_function_version", UPLOAD, 201),
        ("list_asset", REST, 200),
        ("create_asset", REST, 201),
        ("create_asset_version", UPLOAD, 201),
        ("create_build", REST, 201),
        ("fetch_build_status", REST, 200),
        ("list_variable", REST, 200),
        ("create_variable", REST, 201),
        ("create_deployment", REST, 201),
    ]
    (build_call,) = fake.calls.filter(operation="create_build")
    # The toolkit's quirk: the JSON array wrapped in one more pair of quotes.
    assert build_call.request.form["Dependencies"][0].startswith('"[{')
    fake.assert_polled(result["buildSid"], every=1.0)

    # What it stored, as the API lists it.
    state = state_of(fake)
    assert list(state) == [result["serviceSid"]]
    service = state[result["serviceSid"]]
    assert (service["unique_name"], service["friendly_name"]) == (SERVICE, SERVICE)
    assert (service["include_credentials"], service["ui_editable"]) == (True, False)

    (environment,) = service["environments"]
    assert environment["sid"] == result["environmentSid"]
    assert (environment["unique_name"], environment["domain_suffix"]) == ("dev-environment", "dev")
    assert environment["domain_name"] == result["domain"]
    assert result["domain"] == f"{service['domain_base']}-dev.twil.io"
    assert environment["build_sid"] == result["buildSid"]

    functions = {f["friendly_name"]: f for f in service["functions"]}
    assert set(functions) == set(project["functions"])
    function_versions = {}
    for path, (visibility, code) in project["functions"].items():
        (version,) = functions[path]["versions"]
        assert (version["path"], version["visibility"]) == (path, visibility)
        content = get(fake, f"{version['url']}/Content")
        assert content["content"] == code
        function_versions[path] = version["sid"]
    assert {f["path"]: f["access"] for f in result["functions"]} == {
        path: visibility for path, (visibility, _) in project["functions"].items()
    }

    (asset,) = service["assets"]
    (asset_version,) = asset["versions"]
    visibility, page = project["assets"]["/index.html"]
    assert (asset["friendly_name"], asset_version["path"]) == ("/index.html", "/index.html")
    assert asset_version["visibility"] == visibility
    assert stored_contents(fake, "asset_versions")[asset_version["sid"]] == page

    (build,) = service["builds"]
    assert build["sid"] == result["buildSid"]
    assert (build["status"], build["runtime"]) == ("completed", RUNTIME)
    assert build["dependencies"] == project["dependencies"]
    assert sorted(v["sid"] for v in build["function_versions"]) == sorted(
        function_versions.values()
    )
    assert [v["sid"] for v in build["asset_versions"]] == [asset_version["sid"]]
    assert {v["sid"]: v["visibility"] for v in build["function_versions"]} == {
        function_versions["/hello"]: "public",
        function_versions["/secret"]: "protected",
    }

    assert {v["key"]: v["value"] for v in environment["variables"]} == project["variables"]
    (deployment,) = environment["deployments"]
    assert deployment["build_sid"] == result["buildSid"]


def test_the_node_toolkit_reports_a_failed_build(node: str, fake_builds_server: FakeServer) -> None:
    server = fake_builds_server
    fake = server.fake
    fake.fail_next_build(reason="npm ERR! the registry is on fire")

    done = deploy(node, server)

    assert done.returncode == 1
    assert done.stdout == ""
    # The toolkit rejects a failed build with the bare string "failed".
    assert 'deploy failed: {"error":"failed","name":"string"}' in done.stderr
    assert "Current status: building" in done.stderr

    polls = fake.calls.filter(operation="fetch_build_status")
    (build_sid,) = {call.params["Sid"] for call in polls}
    assert fake.failure_reason(build_sid) == "npm ERR! the registry is on fire"
    # It read "failed" once and stopped; nothing after the build.
    assert json.loads(fake.calls[-1].response.body)["status"] == "failed"
    fake.assert_polled(build_sid, every=1.0)
    fake.assert_not_called("create_variable")
    fake.assert_not_called("create_deployment")

    (service,) = state_of(fake).values()
    (environment,) = service["environments"]
    assert environment["build_sid"] is None
    assert (environment["deployments"], environment["variables"]) == ([], [])
    (build,) = service["builds"]
    assert (build["sid"], build["status"]) == (build_sid, "failed")
    assert build["dependencies"] == read_project()["dependencies"]
