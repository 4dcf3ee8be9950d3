"""Whatever arrives, the core answers like Twilio: never a crash, never a partial record.

Requests are generated (hypothesis, derandomized so every run tries the same
cases) and fed straight to the transport-neutral core; every answer also goes
through the suite's OpenAPI validation in conftest.py.
"""

from __future__ import annotations

import json
from base64 import b64encode
from urllib.parse import quote, urlencode

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pytest_fakebuilds import FakeBuilds, Request

FAKE = FakeBuilds(seed=99, freeze=False)
SERVICE = FAKE.create_service(unique_name="fuzz")
VERSION = FAKE.create_function_version(SERVICE.sid, "/fn")
AUTH = {
    "Authorization": "Basic " + b64encode(f"{FAKE.account_sid}:{FAKE.auth_token}".encode()).decode()
}
KNOWN_STATUSES = {200, 201, 204, 400, 401, 404, 405}

segments = st.one_of(
    st.sampled_from(["v1", "Services", SERVICE.sid, "Builds", "Status", "", "ZB" + "0" * 32]),
    st.text(min_size=0, max_size=12),
)
paths = st.lists(segments, min_size=0, max_size=6).map(
    lambda parts: "/" + "/".join(quote(p, safe="") for p in parts)
)
values = st.one_of(
    st.sampled_from([VERSION.sid, "ZN" + "0" * 32, "node22", "node99", "[]", '"[]"', "PT"]),
    st.text(max_size=20),
)
fields = st.sampled_from(
    [
        "FunctionVersions",
        "AssetVersions",
        "Dependencies",
        "Runtime",
        "PageSize",
        "Page",
        "PageToken",
        "Other",
    ]
)
pairs = st.lists(st.tuples(fields, values), max_size=6)
relaxed = settings(
    derandomize=True,
    database=None,
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


def builds_before() -> list[str]:
    listed = FAKE.handle(
        Request(
            "GET",
            f"https://serverless.twilio.com/v1/Services/{SERVICE.sid}/Builds?PageSize=1000",
            AUTH,
        )
    )
    return [build["sid"] for build in json.loads(listed.body)["builds"]]


@relaxed
@given(
    method=st.sampled_from(["GET", "POST", "DELETE", "PUT", "PATCH", "HEAD", "OPTIONS"]),
    path=paths,
    query=pairs,
    form=pairs,
    raw_body=st.binary(max_size=30),
    use_raw=st.booleans(),
    authenticated=st.booleans(),
)
def test_any_request_gets_a_twilio_answer(
    method: str,
    path: str,
    query: list[tuple[str, str]],
    form: list[tuple[str, str]],
    raw_body: bytes,
    use_raw: bool,
    authenticated: bool,
) -> None:
    url = "https://serverless.twilio.com" + path
    if query:
        url += "?" + urlencode(query)
    body = raw_body if use_raw else urlencode(form).encode()
    response = FAKE.handle(Request(method, url, AUTH if authenticated else {}, body))
    assert response.status in KNOWN_STATUSES
    assert FAKE._core.internal_errors == []


@relaxed
@given(form=pairs)
def test_refused_creates_leave_no_trace(form: list[tuple[str, str]]) -> None:
    before = builds_before()
    response = FAKE.handle(
        Request(
            "POST",
            f"https://serverless.twilio.com/v1/Services/{SERVICE.sid}/Builds",
            AUTH,
            urlencode(form).encode(),
        )
    )
    assert FAKE._core.internal_errors == []
    if response.status == 201:
        assert len(builds_before()) == len(before) + 1
    else:
        assert response.status == 400
        assert builds_before() == before


@relaxed
@given(query=pairs)
def test_any_list_query_is_a_page_or_a_400(query: list[tuple[str, str]]) -> None:
    url = f"https://serverless.twilio.com/v1/Services/{SERVICE.sid}/Builds?{urlencode(query)}"
    response = FAKE.handle(Request("GET", url, AUTH))
    assert response.status in (200, 400)
    assert FAKE._core.internal_errors == []
