"""The server under load, as offline development meets it: 16 clients at once,
each sending 500 mixed requests through the HTTPS proxy to a ``serve`` child
process.

What it proves, and fails on: no request errs, every create is there
afterwards, the server's journal counts exactly the requests sent, and the
memory the server keeps per request stays small (its journal is capped; the
records themselves are what a deploy made). The memory figure is the growth
of the child's resident set over the load, divided by the requests, after a
warm-up load of the same shape has settled the allocator and the imports.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import requests
from _common import Row, now, verdict

CLIENTS = 16
REQUESTS_EACH = 500
KB_PER_REQUEST_BAR = 3.0
# After its three first creates and before its seven last requests (a build,
# its status, a deployment and four reads), a client sends rounds of five: an
# upload, a Variable, a fetch and two list pages.
ROUNDS = (REQUESTS_EACH - 10) // 5


def _serve() -> tuple[subprocess.Popen[str], dict[str, Any]]:
    process = subprocess.Popen(
        [sys.executable, "-m", "pytest_fakebuilds", "serve", "--json", "--build-duration", "0"],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    return process, json.loads(process.stdout.readline())


def _rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def _client(facts: dict[str, Any], name: str, rounds: int) -> tuple[int, dict[str, list[str]]]:
    """One client's mixed requests; returns how many it sent and the SIDs it made."""
    session = requests.Session()
    session.trust_env = False  # REQUESTS_CA_BUNDLE would win over session.verify
    session.proxies = {"https": facts["proxy"]}
    session.verify = facts["ca_cert"]
    session.auth = (facts["account_sid"], facts["auth_token"])
    api = "https://serverless.twilio.com/v1"
    upload = "https://serverless-upload.twilio.com/v1"
    made: dict[str, list[str]] = {"services": [], "versions": [], "variables": [], "builds": []}

    def ok(answer: requests.Response) -> dict[str, Any]:
        if answer.status_code not in (200, 201):
            raise AssertionError(f"{answer.request.method} {answer.url}: {answer.text}")
        return answer.json()  # type: ignore[no-any-return]

    with session:
        service = ok(
            session.post(f"{api}/Services", data={"UniqueName": name, "FriendlyName": name})
        )
        sid = service["sid"]
        made["services"].append(sid)
        environment = ok(
            session.post(f"{api}/Services/{sid}/Environments", data={"UniqueName": "dev"})
        )
        function = ok(session.post(f"{api}/Services/{sid}/Functions", data={"FriendlyName": "/f"}))
        sent = 3
        versions = []
        for round_ in range(rounds):
            version = ok(
                session.post(
                    f"{upload}/Services/{sid}/Functions/{function['sid']}/Versions",
                    data={"Path": f"/f{round_}", "Visibility": "public"},
                    files={"Content": ("f.js", f"// {name}.{round_}\n", "application/javascript")},
                )
            )
            versions.append(version["sid"])
            variable = ok(
                session.post(
                    f"{api}/Services/{sid}/Environments/{environment['sid']}/Variables",
                    data={"Key": f"K{round_}", "Value": name},
                )
            )
            made["variables"].append(variable["sid"])
            ok(session.get(f"{api}/Services/{sid}/Functions/{function['sid']}"))
            ok(session.get(f"{api}/Services/{sid}/Environments", params={"PageSize": 5}))
            ok(session.get(f"{api}/Services", params={"PageSize": 5}))
            sent += 5
        made["versions"].extend(versions)
        build = ok(
            session.post(f"{api}/Services/{sid}/Builds", data={"FunctionVersions": versions[-50:]})
        )
        made["builds"].append(build["sid"])
        ok(session.get(f"{api}/Services/{sid}/Builds/{build['sid']}/Status"))
        deployments = f"{api}/Services/{sid}/Environments/{environment['sid']}/Deployments"
        ok(session.post(deployments, data={"BuildSid": build["sid"]}))
        ok(session.get(f"{api}/Services/{sid}/Environments/{environment['sid']}"))
        ok(session.get(deployments))
        ok(session.get(f"{api}/Services/{sid}/Builds"))
        ok(session.get(f"{api}/Services/{sid}"))
        sent += 7
    return sent, made


def _load(facts: dict[str, Any], prefix: str, rounds: int) -> tuple[int, dict[str, list[str]]]:
    results: list[tuple[int, dict[str, list[str]]]] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def work(number: int) -> None:
        try:
            result = _client(facts, f"{prefix}-{number}", rounds)
            with lock:
                results.append(result)
        except BaseException as error:
            with lock:
                errors.append(error)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise AssertionError(f"{len(errors)} client(s) failed; first: {errors[0]!r}")
    made: dict[str, list[str]] = {}
    for _, each in results:
        for kind, sids in each.items():
            made.setdefault(kind, []).extend(sids)
    return sum(sent for sent, _ in results), made


def _check(facts: dict[str, Any], made: dict[str, list[str]], sent: int) -> None:
    session = requests.Session()
    session.auth = (facts["account_sid"], facts["auth_token"])
    base = facts["url"]
    state = session.get(f"{base}/_fake/api/state").json()
    snapshot = session.get(f"{base}/_fake/api/snapshot").json()
    text = json.dumps(snapshot)
    missing = [sid for sids in made.values() for sid in sids if sid not in text]
    if missing:
        raise AssertionError(f"{len(missing)} creates not in the server's state: {missing[:3]}")
    for kind, sids in made.items():
        if len(set(sids)) != len(sids):
            raise AssertionError(f"duplicate {kind} SIDs")
    if state["calls"] != sent:
        raise AssertionError(f"the server counted {state['calls']} calls, the clients sent {sent}")


def run(quick: bool) -> list[Row]:
    rounds = 1 if quick else ROUNDS
    process, facts = _serve()
    try:
        warm_sent, _ = _load(facts, "warm", rounds)
        before = _rss_kb(process.pid)
        start = now()
        sent, made = _load(facts, "load", rounds)
        seconds = now() - start
        after = _rss_kb(process.pid)
        _check(facts, made, warm_sent + sent)
    finally:
        process.terminate()
        process.wait(timeout=10)
    per_request = (after - before) / sent
    each = rounds * 5 + 10
    return [
        Row(
            f"server: {CLIENTS} clients x {each} mixed requests through the proxy",
            f"0 errors, {sent} answered in {seconds:.1f} s, every create found, "
            "journal count exact",
            "0 errors, nothing lost",
            "PASS",
        ),
        Row(
            "server: resident memory kept per request under that load",
            f"{per_request:.2f} KB ({after - before} KB over {sent} requests)",
            f"<= {KB_PER_REQUEST_BAR:g} KB",
            verdict(per_request <= KB_PER_REQUEST_BAR),
        ),
    ]


if __name__ == "__main__":
    for row in run(quick="--quick" in sys.argv):
        print(row)
