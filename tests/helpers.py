"""Helpers shared by the suite's test files.

Raw HTTP: what a user without twilio-python writes. twilio-python cannot upload
Function or Asset Versions, so uploads go through ``requests`` as users' own
deploy scripts do. Then the small checks several families' tests make alike:
a 404's wording, a refusal's ``(status, code, msg)``, "nothing changed", "the
SID sequence did not move". Messages here are written out from the contract,
never imported from the fake: the tests check the fake against them.
"""

from __future__ import annotations

import json
from base64 import b64encode
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import requests
from twilio.base.exceptions import TwilioRestException

from pytest_fakebuilds import Build, FakeBuilds, Request

BASE = "https://serverless.twilio.com"
UPLOAD = "https://serverless-upload.twilio.com"
EVER = "StartDate=1970-01-01T00:00:00Z&EndDate=2999-01-01T00:00:00Z&"
MiB = 1024 * 1024

# Well-formed SIDs that name nothing: an unknown parent or record at any depth is a 404.
UNKNOWN_SERVICE = "ZS" + "0" * 32
UNKNOWN_ENVIRONMENT = "ZE" + "0" * 32
UNKNOWN_BUILD = "ZB" + "0" * 32
UNKNOWN_ZH = "ZH" + "0" * 32  # Functions and Assets share the ZH prefix

# Shared by the upload host's tests and the version helpers' tests.
BAD_VISIBILITY = "Invalid Visibility: '{}' is not one of public, protected, private"


def auth_of(fake: FakeBuilds) -> tuple[str, str]:
    return (fake.account_sid, fake.auth_token)


def raw(
    fake: FakeBuilds, method: str, path: str, *, host: str = BASE, **kwargs: Any
) -> requests.Response:
    """A request as ``requests`` sends it, with the fake's credentials unless told."""
    kwargs.setdefault("auth", auth_of(fake))
    return requests.request(method, host + path, **kwargs)


def error_of(response: requests.Response) -> tuple[int, int, str]:
    """``(status, code, message)`` of a Twilio error answer, checking its shape."""
    body = response.json()
    assert body["more_info"] == f"https://www.twilio.com/docs/errors/{body['code']}"
    assert body["status"] == response.status_code
    return response.status_code, body["code"], body["message"]


def upload(
    fake: FakeBuilds,
    service_sid: str,
    parent_sid: str,
    *,
    kind: str = "Functions",
    path: str | None = "/hello",
    visibility: str | None = "public",
    content: bytes | str | None = b"exports.handler = (context, event, callback) => callback();\n",
    filename: str = "hello",
    content_type: str = "application/javascript",
    host: str = UPLOAD,
    **kwargs: Any,
) -> requests.Response:
    """A multipart upload of a Version, as Twilio's Node toolkit sends it
    (``Path``, ``Visibility``, and ``Content`` as a file); ``None`` leaves a part out."""
    data = {
        name: value
        for name, value in (("Path", path), ("Visibility", visibility))
        if value is not None
    }
    files = {"Content": (filename, content, content_type)} if content is not None else None
    return raw(
        fake,
        "POST",
        f"/v1/Services/{service_sid}/{kind}/{parent_sid}/Versions",
        host=host,
        data=data,
        files=files,
        **kwargs,
    )


def _get(fake: FakeBuilds, url: str) -> dict[str, Any]:
    user, password = auth_of(fake)
    token = b64encode(f"{user}:{password}".encode()).decode()
    answer = fake.handle(Request("GET", url, {"Authorization": f"Basic {token}"}))
    assert answer.status == 200, answer.body
    body: dict[str, Any] = json.loads(answer.body)
    return body


def _all(fake: FakeBuilds, list_url: str, query: str = "") -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = []
    url: str | None = f"{list_url}?{query}PageSize=1000"
    while url:
        page = _get(fake, url)
        records.extend(page[page["meta"]["key"]])
        url = page["meta"]["next_page_url"]
    return records


def state_of(fake: FakeBuilds) -> dict[str, Any]:
    """Everything the account holds, as the API lists it: two equal states mean
    nothing a client can see has changed. Read through the core directly, so it
    works with the fake stopped and needs no transport."""
    state: dict[str, Any] = {}
    for service in _all(fake, f"{BASE}/v1/Services"):
        links = service["links"]
        environments = []
        for environment in _all(fake, links["environments"]):
            env_links = environment["links"]
            environments.append(
                {
                    **environment,
                    "deployments": _all(fake, env_links["deployments"]),
                    "variables": _all(fake, env_links["variables"]),
                    # Every log line ever, not just the last day's.
                    "logs": _all(fake, env_links["logs"], EVER),
                }
            )
        state[service["sid"]] = {
            **service,
            "environments": environments,
            "functions": [
                {**f, "versions": _all(fake, f["links"]["function_versions"])}
                for f in _all(fake, links["functions"])
            ],
            "assets": [
                {**a, "versions": _all(fake, a["links"]["asset_versions"])}
                for a in _all(fake, links["assets"])
            ],
            "builds": _all(fake, links["builds"]),
        }
    return state


def not_found(path: str) -> str:
    """The 404/20404 message for a request ``path``, which the fake words without ``/v1``:
    every family answers an unknown SID or parent alike, so one wording serves all."""
    return f"The requested resource {path.removeprefix('/v1')} was not found"


def post(fake: FakeBuilds, path: str, **form: str) -> requests.Response:
    """A form ``POST`` to the REST host, for the refusals twilio-python would not send
    (missing, empty or malformed parameters) in any family."""
    return raw(fake, "POST", path, data=form)


def refused(exc: TwilioRestException) -> tuple[int, int, str]:
    """``(status, code, msg)`` of a twilio-python error, so a test compares a refusal
    with one tuple, as ``error_of`` does for raw answers."""
    return exc.status, exc.code, exc.msg


def page_refused(exc: BaseException) -> tuple[int, int, str]:
    """``(status, code, message)`` of a list call twilio-python refused.

    For a list it raises a plain ``TwilioException("Unable to fetch page",
    response)``, which says nothing of the answer; the answer is its second
    argument.
    """
    message, response = exc.args  # a twilio.http.response.Response
    assert message == "Unable to fetch page"
    body = json.loads(response.text)
    assert body["more_info"] == f"https://www.twilio.com/docs/errors/{body['code']}"
    assert body["status"] == response.status_code
    return response.status_code, body["code"], body["message"]


def last_body(fake: FakeBuilds) -> dict[str, Any]:
    """The JSON body the fake served last: the exact fields a twilio-python record hides
    behind its attributes (to check that every field, and no other, is sent)."""
    body: dict[str, Any] = json.loads(fake.calls[-1].response.body)
    return body


@contextmanager
def unchanged(fake: FakeBuilds) -> Iterator[None]:
    """Asserts that nothing a client can list changed inside the block: the usual proof
    that a refusal stored nothing, shared by every family that refuses."""
    before = state_of(fake)
    yield
    assert state_of(fake) == before


def completed_build(fake: FakeBuilds, service_sid: str, version: Any) -> Build:
    """A Build of ``version``, completed by advancing the fake's clock past
    ``build_duration``: what a Deployment (and so a Log's build_sid) needs."""
    build = fake.create_build(service_sid, [version])
    fake.advance(fake.build_duration)
    return build


def assert_same_next_sid(
    fake: FakeBuilds,
    world: Callable[[FakeBuilds], dict[str, str]],
    names: dict[str, str],
    mint: Callable[[FakeBuilds], str],
) -> None:
    """The SID sequence did not move: a twin of the same seed that never saw the
    refused request, brought by ``world`` to the same records (``names``, asserted),
    mints the same next SID as ``fake`` does."""
    twin = FakeBuilds(seed=fake.seed)
    assert world(twin) == names
    assert mint(fake) == mint(twin)


TABLES = (
    "services",
    "environments",
    "functions",
    "assets",
    "function_versions",
    "asset_versions",
    "builds",
    "deployments",
    "variables",
    "logs",
)


def stored_sids(fake: FakeBuilds) -> set[str]:
    """Every SID the store holds. A record a deleted parent leaves behind is out of the
    API's reach, so only the store can show that a cascade really removed it: no
    public name serves here."""
    store = fake._store
    return {record.sid for table in TABLES for record in getattr(store, table)}
