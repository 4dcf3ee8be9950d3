"""The server as another process meets it: a fetch through its own URL and
through its HTTPS proxy, and how soon ``serve`` answers.

The server runs in a child process (``python -m pytest_fakebuilds serve
--json``), as offline development runs it; the client here is twilio-python
with a keep-alive session. The floor is the per-request benchmark's: the
same ``fetch()`` answered in process by a bare ``responses`` stub with the
same JSON. Everything is timed on the wall clock (the server's work happens
in another process, which CPU time here would not see), interleaved and
summarised by medians.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import requests
import responses
from _common import Row, interleave, median, ms, now, verdict

OWN_BAR = 2.5
PROXY_BAR = 3.0
READY_BAR = 0.5


def _serve() -> tuple[subprocess.Popen[str], dict[str, Any]]:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "pytest_fakebuilds",
            "serve",
            "--json",
            "--clock-speed",
            "0",
            "--build-duration",
            "0",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    facts = json.loads(process.stdout.readline())
    return process, facts


def _ready_seconds() -> float:
    """From spawning ``serve`` to its first answer over HTTP."""
    start = now()
    process, facts = _serve()
    try:
        answer = requests.get(
            f"{facts['url']}/v1/Services",
            auth=(facts["account_sid"], facts["auth_token"]),
            timeout=10,
        )
        answer.raise_for_status()
        return now() - start
    finally:
        process.terminate()
        process.wait(timeout=10)


def run(quick: bool) -> list[Row]:
    from twilio.http.http_client import TwilioHttpClient
    from twilio.rest import Client

    rounds, inner = (3, 5) if quick else (30, 20)
    process, facts = _serve()
    try:
        auth = (facts["account_sid"], facts["auth_token"])
        url = facts["url"]
        service = requests.post(
            f"{url}/v1/Services", data={"UniqueName": "bench", "FriendlyName": "b"}, auth=auth
        ).json()
        function = requests.post(
            f"{url}/v1/Services/{service['sid']}/Functions", data={"FriendlyName": "/f"}, auth=auth
        ).json()
        version = requests.post(
            f"{url}/v1/Services/{service['sid']}/Functions/{function['sid']}/Versions",
            data={"Path": "/f", "Visibility": "public"},
            files={"Content": ("f", b"exports.handler = () => {};", "application/javascript")},
            auth=auth,
        ).json()
        build = requests.post(
            f"{url}/v1/Services/{service['sid']}/Builds",
            data={"FunctionVersions": version["sid"]},
            auth=auth,
        ).json()

        own = Client(*auth)
        own.serverless.base_url = url
        os.environ["REQUESTS_CA_BUNDLE"] = facts["ca_cert"]
        proxied = Client(*auth, http_client=TwilioHttpClient(proxy={"https": facts["proxy"]}))
        plain = Client(*auth)

        def fetcher(client: Any) -> Any:
            return lambda: (
                client.serverless.v1.services(service["sid"]).builds(build["sid"]).fetch()
            )

        answer = fetcher(own)()
        if answer.status != "completed" or fetcher(proxied)().sid != build["sid"]:
            raise AssertionError("the server did not answer as expected")
        stub = responses.RequestsMock(assert_all_requests_are_fired=False)
        stub.add(
            responses.GET,
            f"https://serverless.twilio.com/v1/Services/{service['sid']}/Builds/{build['sid']}",
            json=requests.get(
                f"{url}/v1/Services/{service['sid']}/Builds/{build['sid']}", auth=auth
            ).json(),
        )
        samples = interleave(
            {"own": fetcher(own), "proxy": fetcher(proxied), "stub": fetcher(plain)},
            rounds=rounds,
            inner=inner,
            setup={"stub": stub.start},
            teardown={"stub": stub.stop},
            clock=now,
        )
    finally:
        process.terminate()
        process.wait(timeout=10)
        os.environ.pop("REQUESTS_CA_BUNDLE", None)

    own_s, proxy_s, stub_s = (median(samples[name]) for name in ("own", "proxy", "stub"))
    ready = median([_ready_seconds() for _ in range(1 if quick else 7)])
    return [
        Row(
            "server: keep-alive fetch at its own URL / in-process responses floor",
            f"{own_s / stub_s:.2f}x ({ms(own_s)} vs {ms(stub_s)} per call, wall clock)",
            f"<= {OWN_BAR:g}x",
            verdict(own_s / stub_s <= OWN_BAR),
        ),
        Row(
            "server: fetch through its HTTPS proxy (TLS) / the same floor",
            f"{proxy_s / stub_s:.2f}x ({ms(proxy_s)} per call, keep-alive tunnel)",
            f"<= {PROXY_BAR:g}x",
            verdict(proxy_s / stub_s <= PROXY_BAR),
        ),
        Row(
            "server: `serve --json` spawned to its first answer (CA included)",
            f"{ms(ready)} (median)",
            f"<= {READY_BAR * 1000:.0f} ms",
            verdict(ready <= READY_BAR),
        ),
    ]
