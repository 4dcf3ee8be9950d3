"""Raw-HTTP helpers shared by the suite: what a user without twilio-python writes.

twilio-python cannot upload Function or Asset Versions, so uploads go through
``requests`` as users' own deploy scripts do.
"""

from __future__ import annotations

import json
from base64 import b64encode
from typing import Any

import requests

from pytest_fakebuilds import FakeBuilds, Request

BASE = "https://serverless.twilio.com"
UPLOAD = "https://serverless-upload.twilio.com"
EVER = "StartDate=1970-01-01T00:00:00Z&EndDate=2999-01-01T00:00:00Z&"


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
