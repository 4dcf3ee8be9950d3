"""``python -m pytest_fakebuilds serve|run`` and the ``fakebuilds`` script, run as a
person or a CI job runs them: the ``--json`` line and what it promises, binding,
signals, ``--state`` across two runs, ``run -- COMMAND`` and its summary, and
refusing to serve other machines unless told to.

Nothing here is timed: a child is waited for with a deadline, and the server
must answer as soon as its line is out.
"""

from __future__ import annotations

import json
import re
import signal
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import requests
from server_helpers import (
    CHILD_DEADLINE,
    CLI,
    SERVERLESS,
    UPLOAD,
    listening_addresses,
    own_url_uploads_validated,
    serve,
    served,
)

from pytest_fakebuilds import FakeBuilds

ENV_KEYS = {
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "REQUESTS_CA_BUNDLE",
    "SSL_CERT_FILE",
    "NODE_EXTRA_CA_CERTS",
    "TWILIO_ACCOUNT_SID",
    "TWILIO_AUTH_TOKEN",
}
RUN_TIMEOUT = 60  # a child python importing twilio, on a busy machine
HELLO = b"exports.handler = (context, event, callback) => callback(null, 'hello');\n"


def run(*args: str, timeout: float = RUN_TIMEOUT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, *args], capture_output=True, text=True, timeout=timeout, check=False
    )


def python(code: str) -> list[str]:
    return [sys.executable, "-c", code]


# serve --json ----------------------------------------------------------------------


def test_serve_json_prints_one_line_of_facts_and_answers_at_once() -> None:
    with serve("--seed", "3") as child:
        facts = child.facts
        # Right after the line: the own URL and the proxy both answer.
        direct = requests.get(f"{facts['url']}/v1/Services", auth=child.auth, timeout=5)
        with requests.Session() as proxied:
            proxied.trust_env = False
            created = proxied.post(
                f"https://{SERVERLESS}/v1/Services",
                data={"UniqueName": "app", "FriendlyName": "app"},
                auth=child.auth,
                proxies={"https": facts["proxy"]},
                verify=facts["ca_cert"],
                timeout=5,
            )
        pem = Path(facts["ca_cert"]).read_text()
        status, rest, _ = child.stop()

    assert {"url", "proxy", "account_sid", "auth_token", "ca_cert", "env"} <= set(facts)
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+", facts["url"])
    assert facts["proxy"].startswith("http://127.0.0.1:")
    assert (facts["account_sid"], facts["auth_token"]) == (
        FakeBuilds(seed=3).account_sid,
        FakeBuilds(seed=3).auth_token,
    )
    assert set(facts["env"]) >= ENV_KEYS
    env = facts["env"]
    assert env["HTTP_PROXY"] == env["HTTPS_PROXY"] == facts["proxy"]
    assert env["REQUESTS_CA_BUNDLE"] == env["SSL_CERT_FILE"] == env["NODE_EXTRA_CA_CERTS"]
    assert env["REQUESTS_CA_BUNDLE"] == facts["ca_cert"]
    assert (env["TWILIO_ACCOUNT_SID"], env["TWILIO_AUTH_TOKEN"]) == child.auth
    assert pem.startswith("-----BEGIN CERTIFICATE-----")
    assert direct.status_code == 200
    assert direct.json()["services"] == []
    assert created.status_code == 201, created.text
    assert status == 0
    assert rest == b""  # one JSON line, and nothing after it


def test_serve_for_a_person_prints_the_facts_and_what_to_export() -> None:
    with serve(json_line=False) as child:
        headline = child.facts["line"]
        status, rest, _ = child.stop()

    text = headline + "\n" + rest.decode()
    url = re.search(r"http://127\.0\.0\.1:\d+", headline)
    assert url is not None, headline
    assert status == 0
    for name in ENV_KEYS:
        assert f"export {name}=" in text, name
    assert f"export HTTPS_PROXY={url.group()}" in text
    assert FakeBuilds(seed=0).auth_token in text


def test_serve_binds_loopback_by_default() -> None:
    with serve() as child:
        port = int(child.url.rpartition(":")[2])
        addresses = listening_addresses(port)
        child.stop()

    assert addresses == {"127.0.0.1"}


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_stops_serve_with_status_0_and_removes_the_ca(sig: signal.Signals) -> None:
    with serve() as child:
        ca = Path(child.facts["ca_cert"])
        port = int(child.url.rpartition(":")[2])
        assert ca.exists()
        status, _, stderr = child.stop(sig)

    assert status == 0, stderr
    assert b"Traceback" not in stderr
    assert not ca.parent.exists()
    with pytest.raises(ConnectionRefusedError), socket.create_connection(("127.0.0.1", port)):
        pass


def test_serve_options_reach_the_fake() -> None:
    with serve("--seed", "9", "--build-duration", "5", "--clock-speed", "0") as child:
        with requests.Session() as api:
            api.auth = child.auth
            service = api.post(
                f"{child.url}/v1/Services", data={"UniqueName": "app", "FriendlyName": "app"}
            ).json()
            function = api.post(
                f"{child.url}/v1/Services/{service['sid']}/Functions",
                data={"FriendlyName": "f"},
            ).json()
            version = api.post(
                f"{child.url}/v1/Services/{service['sid']}/Functions/{function['sid']}/Versions",
                data={"Path": "/f", "Visibility": "public"},
                files={"Content": ("f.js", HELLO, "application/javascript")},
            ).json()
            build = api.post(
                f"{child.url}/v1/Services/{service['sid']}/Builds",
                data={"FunctionVersions": version["sid"]},
            ).json()
            status_url = f"{child.url}/v1/Services/{service['sid']}/Builds/{build['sid']}/Status"
            api.post(f"{child.url}/_fake/api/advance", json={"seconds": 4.5})
            halfway = api.get(status_url).json()["status"]
            api.post(f"{child.url}/_fake/api/advance", json={"seconds": 0.5})
            done = api.get(status_url).json()["status"]
            described = api.get(f"{child.url}/_fake/api/state").json()
        child.stop()

    assert child.facts["account_sid"] == FakeBuilds(seed=9).account_sid
    assert (halfway, done) == ("building", "completed")
    assert described["build_duration"] == 5
    assert described["seed"] == 9


# --state ---------------------------------------------------------------------------


def first_session(url: str, auth: tuple[str, str]) -> dict[str, str]:
    """What a person does in the first run: a service, an environment, a function
    with an uploaded version, a build."""
    with requests.Session() as api:
        api.auth = auth
        service = api.post(
            f"{url}/v1/Services", data={"UniqueName": "kept", "FriendlyName": "Kept"}
        ).json()
        environment = api.post(
            f"{url}/v1/Services/{service['sid']}/Environments",
            data={"UniqueName": "dev-environment", "DomainSuffix": "dev"},
        ).json()
        function = api.post(
            f"{url}/v1/Services/{service['sid']}/Functions", data={"FriendlyName": "/hello"}
        ).json()
        version = api.post(
            f"{url}/v1/Services/{service['sid']}/Functions/{function['sid']}/Versions",
            data={"Path": "/hello", "Visibility": "public"},
            files={"Content": ("hello.js", HELLO, "application/javascript")},
        ).json()
        build = api.post(
            f"{url}/v1/Services/{service['sid']}/Builds",
            data={"FunctionVersions": version["sid"]},
        ).json()
    return {
        "service": service["sid"],
        "environment": environment["sid"],
        "function": function["sid"],
        "version": version["sid"],
        "build": build["sid"],
    }


def second_session(url: str, auth: tuple[str, str]) -> dict[str, str]:
    """What the next run does: more of the same."""
    with requests.Session() as api:
        api.auth = auth
        service = api.post(
            f"{url}/v1/Services", data={"UniqueName": "next", "FriendlyName": "Next"}
        ).json()
        function = api.post(
            f"{url}/v1/Services/{service['sid']}/Functions", data={"FriendlyName": "/next"}
        ).json()
    return {"service": service["sid"], "function": function["sid"]}


def everything(url: str, auth: tuple[str, str], made: dict[str, str]) -> Any:
    """The records of ``first_session`` as the API shows them, with the origin
    (whose port changes from run to run) taken out."""
    service = f"{url}/v1/Services/{made['service']}"
    with requests.Session() as api:
        api.auth = auth
        shown = {
            "services": api.get(f"{url}/v1/Services").json()["services"],
            "environments": api.get(f"{service}/Environments").json()["environments"],
            "versions": api.get(f"{service}/Functions/{made['function']}/Versions").json()[
                "function_versions"
            ],
            "content": api.get(
                f"{service}/Functions/{made['function']}/Versions/{made['version']}/Content"
            ).json()["content"],
            "build": api.get(f"{service}/Builds/{made['build']}").json(),
        }
    return json.loads(json.dumps(shown).replace(url, "ORIGIN"))


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_state_is_saved_on_exit_and_the_next_serve_serves_the_same_records(
    tmp_path: Path, sig: signal.Signals
) -> None:
    state = tmp_path / "state.json"
    options = ("--state", str(state), "--clock-speed", "0")

    with serve("--seed", "7", *options) as child:
        made = first_session(child.url, child.auth)
        before = everything(child.url, child.auth, made)
        status, _, stderr = child.stop(sig)
    assert status == 0, stderr
    saved = json.loads(state.read_text(encoding="utf-8"))  # whole, valid JSON
    assert isinstance(saved, dict)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["state.json"]  # no temporary left

    with serve(*options) as child:  # no --seed: the state's own
        after = everything(child.url, child.auth, made)
        more = second_session(child.url, child.auth)
        assert child.stop()[0] == 0

    assert after == before
    assert child.facts["account_sid"] == FakeBuilds(seed=7).account_sid
    # SIDs continue as one long run's would have: a twin that never stopped.
    with own_url_uploads_validated(), served(FakeBuilds(seed=7, freeze=False)) as twin:
        twin_auth = (twin.fake.account_sid, twin.fake.auth_token)
        assert first_session(twin.url, twin_auth) == made
        assert second_session(twin.url, twin_auth) == more


def test_the_state_file_is_replaced_whole_never_rewritten_in_place(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    with serve("--state", str(state)) as child:
        child.stop()
    first_inode = state.stat().st_ino
    first = json.loads(state.read_text(encoding="utf-8"))

    with serve("--state", str(state)) as child:
        requests.post(
            f"{child.url}/v1/Services",
            data={"UniqueName": "added", "FriendlyName": "added"},
            auth=child.auth,
            timeout=5,
        )
        child.stop()

    second = json.loads(state.read_text(encoding="utf-8"))
    assert second != first
    assert "added" in json.dumps(second)
    # A new file renamed over the old one: a reader never sees half of either.
    assert state.stat().st_ino != first_inode
    assert sorted(p.name for p in tmp_path.iterdir()) == ["state.json"]


def test_run_with_state_saves_what_the_command_made(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    code = (
        "from twilio.rest import Client\n"
        "Client().serverless.v1.services.create(unique_name='from-run', friendly_name='x')\n"
    )
    done = run("run", "--state", str(state), "--", *python(code))
    assert done.returncode == 0, done.stderr

    with serve("--state", str(state)) as child:
        listed = requests.get(f"{child.url}/v1/Services", auth=child.auth, timeout=5).json()
        child.stop()

    assert [s["unique_name"] for s in listed["services"]] == ["from-run"]


# run -- COMMAND ----------------------------------------------------------------------


@pytest.mark.parametrize("code", [0, 3, 120])
def test_run_exits_with_the_commands_status(code: int) -> None:
    done = run("run", "--", *python(f"import sys; sys.exit({code})"))

    assert done.returncode == code, done.stderr
    assert "0 service" in done.stderr  # the summary is printed either way


def test_run_gives_the_command_the_environment_and_cleans_up() -> None:
    done = run(
        "run",
        "--seed",
        "4",
        "--",
        *python("import json, os; print(json.dumps(dict(os.environ)))"),
    )

    assert done.returncode == 0, done.stderr
    env = json.loads(done.stdout.splitlines()[-1])
    assert set(env) >= ENV_KEYS
    assert env["TWILIO_ACCOUNT_SID"] == FakeBuilds(seed=4).account_sid
    assert env["HTTPS_PROXY"].startswith("http://127.0.0.1:")
    ca = Path(env["REQUESTS_CA_BUNDLE"])
    assert ca.name.endswith(".pem")
    assert not ca.parent.exists()  # the CA went with the server


DEPLOY = f"""
import requests
from twilio.rest import Client

client = Client()
api = client.serverless.v1
service = api.services.create(unique_name="summed", friendly_name="summed")
function = api.services(service.sid).functions.create(friendly_name="/hello")
version = requests.post(
    f"https://{UPLOAD}/v1/Services/{{service.sid}}/Functions/{{function.sid}}/Versions",
    data={{"Path": "/hello", "Visibility": "public"}},
    files={{"Content": ("hello.js", b"x", "application/javascript")}},
    auth=(client.username, client.password),
).json()["sid"]
builds = api.services(service.sid).builds
good = builds.create(function_versions=[version], runtime="node22")
bad = builds.create(function_versions=[version], runtime="node16")  # retired: fails
environment = api.services(service.sid).environments.create(
    unique_name="dev-environment", domain_suffix="dev"
)
assert builds(good.sid).build_status().fetch().status == "completed"
api.services(service.sid).environments(environment.sid).deployments.create(build_sid=good.sid)
print(good.sid, bad.sid)
"""


def test_run_prints_a_summary_of_what_the_command_did() -> None:
    done = run("run", "--build-duration", "0", "--", *python(DEPLOY))

    assert done.returncode == 0, done.stderr
    good, bad = done.stdout.split()
    summary = done.stderr
    assert done.stdout.strip() == f"{good} {bad}"  # the summary is not on stdout
    assert re.search(r"\b1 service", summary), summary
    assert re.search(r"\b2 build", summary), summary
    assert re.search(r"\b1 deployment", summary), summary
    lines = summary.splitlines()
    assert any(good in line and "completed" in line for line in lines), summary
    assert any(bad in line and "failed" in line for line in lines), summary


def test_run_needs_a_command() -> None:
    done = run("run")

    assert done.returncode == 2
    assert "needs a command" in done.stderr


def test_run_of_a_missing_command_is_127() -> None:
    done = run("run", "--", "no-such-command-fakebuilds")

    assert done.returncode == 127
    assert "no-such-command-fakebuilds" in done.stderr


SEES_THE_PROXY = "import os, sys; sys.exit(5 if os.environ['HTTPS_PROXY'] else 1)"


def test_the_fakebuilds_script_runs_a_command() -> None:
    script = Path(sys.executable).with_name("fakebuilds")
    assert script.exists()
    done = subprocess.run(
        [
            str(script),
            "run",
            "--",
            *python("import os, sys; sys.exit(5 if os.environ['HTTPS_PROXY'] else 1)"),
        ],
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
        check=False,
    )

    assert done.returncode == 5, done.stderr


# Other machines ------------------------------------------------------------------------


@pytest.mark.parametrize("command", ["serve", "run"])
def test_binding_beyond_loopback_without_allow_remote_fails_with_a_clear_message(
    command: str,
) -> None:
    extra = ["--", *python("print('ran')")] if command == "run" else []
    done = run(command, "--json", "--host", "0.0.0.0", *extra, timeout=CHILD_DEADLINE * 4)

    assert done.returncode not in (0, None)
    assert "--allow-remote" in done.stderr
    assert "0.0.0.0" in done.stderr
    assert "Traceback" not in done.stderr, done.stderr  # a message, not a crash
    assert done.stdout == ""  # nothing served, nothing run


def test_allow_remote_binds_as_asked_and_warns() -> None:
    with serve("--host", "0.0.0.0", "--allow-remote") as child:
        port = int(child.url.rpartition(":")[2])
        addresses = listening_addresses(port)
        answer = requests.get(f"{child.url}/v1/Services", auth=child.auth, timeout=5)
        status, _, stderr = child.stop()

    assert addresses == {"0.0.0.0"}
    assert answer.status_code == 200
    assert status == 0
    warning = stderr.decode()
    assert "warning" in warning.lower()
    assert "0.0.0.0" in warning
