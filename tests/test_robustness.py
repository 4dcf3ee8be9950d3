"""Whatever arrives, the core answers like Twilio: never a crash, never a partial record.

Requests are generated (hypothesis, derandomized so every run tries the same
cases) and fed straight to the transport-neutral core; every answer also goes
through the suite's OpenAPI validation in conftest.py. They reach every route
of the fake: paths come from the route table, with their placeholders filled
from a small seeded account (a live build, a spare one, a variable, a log...),
with SIDs of the wrong kind, unknown SIDs, unique names and junk; form fields
come from the union of every operation's parameters, uploads are random
multipart bodies. Every route gets examples of its own (the property is
parametrized by route), and each example a freshly seeded fake (cheap), so an
example that deletes the service does not starve the ones after it.
"""

from __future__ import annotations

import json
import re
from base64 import b64encode
from dataclasses import dataclass
from functools import cache
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from helpers import state_of
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pytest_fakebuilds import FakeBuilds, Request
from pytest_fakebuilds.serverless import build_router

KNOWN_STATUSES = {200, 201, 204, 400, 401, 404, 405, 409, 413}
ROUTES = build_router().routes
SEED = 99


@dataclass(frozen=True)
class Seeded:
    """The SIDs of the seeded account, by the kind of record."""

    service: str
    environment: str
    function: str
    asset: str
    function_version: str
    asset_version: str
    build: str  # completed and live on the environment
    spare_build: str  # completed, not deployed
    deployment: str
    variable: str
    log: str

    def all(self) -> list[str]:
        return list(vars(self).values())


def fresh() -> tuple[FakeBuilds, Seeded]:
    """A small account: a service with a dev environment, a function and an asset
    with a version each, a completed build deployed, a spare completed build, a
    variable and a log line. The same seed gives the same SIDs every time."""
    fake = FakeBuilds(seed=SEED, freeze=False)
    service = fake.create_service(unique_name="fuzz")
    environment = fake.create_environment(service.sid, domain_suffix="dev")
    function_version = fake.create_function_version(service.sid, "/fn")
    asset_version = fake.create_asset_version(service.sid, "/page.html", content=b"<p>hi</p>")
    build = fake.create_build(service.sid, [function_version], [asset_version])
    spare = fake.create_build(service.sid, [function_version])
    fake.advance(fake.build_duration)
    deployment = fake.deploy(environment, build)
    variable = fake.set_variable(environment, "GREETING", "hi")
    log = fake.add_log(environment, "hello", function_sid=function_version.function_sid)
    return fake, Seeded(
        service=service.sid,
        environment=environment.sid,
        function=function_version.function_sid,
        asset=asset_version.asset_sid,
        function_version=function_version.sid,
        asset_version=asset_version.sid,
        build=build.sid,
        spare_build=spare.sid,
        deployment=deployment.sid,
        variable=variable.sid,
        log=log.sid,
    )


_, SEEDED = fresh()


def auth_header(fake: FakeBuilds) -> dict[str, str]:
    token = b64encode(f"{fake.account_sid}:{fake.auth_token}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


AUTH = auth_header(fresh()[0])
WRONG_AUTH = {"Authorization": "Basic " + b64encode(b"AC" + b"0" * 32 + b":nope").decode()}

# Path placeholders ----------------------------------------------------------------

# Which record a placeholder names: by its own name, or for {Sid} by the
# collection just before it.
_BY_NAME = {
    "ServiceSid": "service",
    "EnvironmentSid": "environment",
    "FunctionSid": "function",
    "AssetSid": "asset",
}
_BY_COLLECTION = {
    "Services": "service",
    "Environments": "environment",
    "Functions": "function",
    "Assets": "asset",
    "Builds": "build",
    "Deployments": "deployment",
    "Variables": "variable",
    "Logs": "log",
}
_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def kinds_of(template: str) -> list[str]:
    """The kind of record each placeholder of ``template`` names, in order."""
    kinds = []
    segments = template.split("/")
    for i, segment in enumerate(segments):
        found = _PLACEHOLDER.fullmatch(segment)
        if found is None:
            continue
        name, collection = found.group(1), segments[i - 1]
        if name in _BY_NAME:
            kinds.append(_BY_NAME[name])
        elif collection == "Versions":
            kinds.append("function_version" if "/Functions/" in template else "asset_version")
        else:
            kinds.append(_BY_COLLECTION[collection])
    return kinds


def right_path(template: str, seeded: Seeded) -> str:
    values = iter(getattr(seeded, kind) for kind in kinds_of(template))
    return _PLACEHOLDER.sub(lambda _: next(values), template)


UNKNOWN_SIDS = [prefix + "0" * 32 for prefix in ("ZS", "ZE", "ZH", "ZN", "ZB", "ZD", "ZV", "NO")]
NAMES = ["fuzz", "dev-environment", "dev", "GREETING", "/fn", "fn", "Status", "Content"]
junk = st.text(max_size=12)


# The strategy builders below are cached: hypothesis validates each new strategy
# object on its first draw, and building them afresh for every draw cost more than
# the requests themselves. The strategies, and so the examples, are unchanged.
@cache
def _sampled(key: tuple[tuple[type, Any], ...]) -> st.SearchStrategy[Any]:
    return st.sampled_from([option for _, option in key])


def sampled(options: list[Any]) -> st.SearchStrategy[Any]:
    """``st.sampled_from(options)``, one strategy object per distinct list (by type
    and value: True is not 1 here)."""
    return _sampled(tuple((type(option), option) for option in options))


@st.composite
def placeholder(draw: st.DrawFn, kind: str) -> str:
    how = draw(sampled(["right"] * 3 + ["other", "unknown", "name", "junk"]))
    if how == "right":
        value = getattr(SEEDED, kind)
        if kind == "service":  # a Service is also found by its unique name
            value = draw(sampled([value, value, value, "fuzz"]))
        return value
    if how == "other":
        return draw(st.sampled_from(SEEDED.all()))
    if how == "unknown":
        return draw(sampled([*UNKNOWN_SIDS, getattr(SEEDED, kind).lower()]))
    if how == "name":
        return draw(st.sampled_from(NAMES))
    return quote(draw(junk), safe="")


@st.composite
def path_of(draw: st.DrawFn, template: str) -> str:
    """Most often every placeholder holds the right record, so that requests get
    past the lookups; otherwise each one may be wrong in its own way."""
    kinds = kinds_of(template)
    if draw(sampled([True, True, False])):
        values = iter([getattr(SEEDED, kind) for kind in kinds])
    else:
        values = iter([draw(placeholder(kind)) for kind in kinds])
    return _PLACEHOLDER.sub(lambda _: next(values), template)


# Form and query fields ---------------------------------------------------------------

PLAUSIBLE: dict[str, list[str]] = {
    "FriendlyName": ["Hello", "/hello", "x", "a" * 256],
    "UniqueName": ["new-app", "fuzz", "dev-environment", "bad_name", "-x", "a" * 51, "a" * 101],
    "DomainSuffix": ["stage", "dev", "", "bad_suffix", "a" * 17],
    "IncludeCredentials": ["true", "false", "TRUE", "maybe", ""],
    "UiEditable": ["true", "false", "False", "1"],
    "IsPlugin": ["true", "false", "yes"],
    "Key": ["NEW", "GREETING", "", "k" * 129],
    "Value": ["hi", "", "x" * 451, "é" * 226],
    "BuildSid": [SEEDED.spare_build, SEEDED.build, SEEDED.deployment, "ZB" + "0" * 32, "", "x"],
    "FunctionVersions": [SEEDED.function_version, SEEDED.asset_version, "ZN" + "0" * 32, "x"],
    "AssetVersions": [SEEDED.asset_version, SEEDED.function_version, "ZN" + "f" * 32],
    "Dependencies": [
        "[]",
        '[{"name":"lodash","version":"4.17.21"}]',
        '"[{"name":"twilio","version":"^3.56"}]"',
        '{"name":"x"}',
        '[{"name":""}]',
        "nope",
        '"',
        "[" * 1000 + "]" * 1000,  # valid JSON, nested deeper than Python's recursion limit
    ],
    "Runtime": ["node22", "node24", "node99", ""],
    "FunctionSid": [SEEDED.function, SEEDED.asset, "ZH" + "0" * 32, "ZE" + "0" * 32, ""],
    "StartDate": ["2000-01-01T00:00:00Z", "2020-01-01T00:00:00.000Z", "yesterday", ""],
    "EndDate": ["2999-01-01T00:00:00Z", "1999-01-01T00:00:00Z", "2024-13-01T00:00:00Z"],
    "PageSize": ["1", "2", "50", "1000", "0", "1001", "-1", "x", ""],
    "Page": ["0", "1", "7", "-1", "x"],
    "PageToken": ["PT", "PT1", "junk", ""],
    "Path": ["/hello", "hello", "/fn", "", "/" + "p" * 255],
    "Visibility": ["public", "protected", "private", "PUBLIC", "secret", ""],
}
UNION = sorted(PLAUSIBLE)
PAGING = ["PageSize", "Page"]  # PageToken comes among the other fields: few are valid
# Each operation's own parameters (reference, endpoint table); lists take paging.
OWN: dict[str, list[str]] = {
    "create_service": ["UniqueName", "FriendlyName", "IncludeCredentials", "UiEditable"],
    "update_service": ["FriendlyName", "IncludeCredentials", "UiEditable"],
    "create_environment": ["UniqueName", "DomainSuffix"],
    "create_function": ["FriendlyName"],
    "update_function": ["FriendlyName"],
    "create_asset": ["FriendlyName"],
    "update_asset": ["FriendlyName"],
    "create_build": ["FunctionVersions", "AssetVersions", "Dependencies", "Runtime"],
    "create_deployment": ["BuildSid", "IsPlugin"],
    "create_variable": ["Key", "Value"],
    "update_variable": ["Key", "Value"],
    "list_log": ["FunctionSid", "StartDate", "EndDate", *PAGING],
    "create_function_version": ["Path", "Visibility"],
    "create_asset_version": ["Path", "Visibility"],
}


@cache  # see sampled()
def value_of(name: str) -> st.SearchStrategy[str]:
    """A plausible value (valid ones first) three times in four, else any text."""
    return st.sampled_from([True, True, True, False]).flatmap(
        lambda plausible: st.sampled_from(PLAUSIBLE[name]) if plausible else st.text(max_size=20)
    )


def pairs_from(names: list[str], *, max_size: int) -> st.SearchStrategy[list[tuple[str, str]]]:
    return _pairs_from(tuple(names), max_size)


@cache
def _pairs_from(names: tuple[str, ...], max_size: int) -> st.SearchStrategy[list[tuple[str, str]]]:
    pair = st.sampled_from(names).flatmap(lambda name: st.tuples(st.just(name), value_of(name)))
    return st.lists(pair, max_size=max_size)


@st.composite
def fields_for(draw: st.DrawFn, own: list[str]) -> list[tuple[str, str]]:
    """Most of the operation's own fields with likely values, plus any others."""
    chosen = [name for name in own if draw(sampled([True, True, False]))]
    pairs = [(name, draw(value_of(name))) for name in chosen]
    return pairs + draw(pairs_from(UNION, max_size=3))


# Multipart bodies for the upload host ----------------------------------------------

BOUNDARY = "fuzzBoundary7MA4YWxkTrZu0gW"
BIG_PRIVATE = b"x" * (10 * 1024 * 1024 + 1)  # over the private-asset limit


@st.composite
def part(draw: st.DrawFn, name: str) -> bytes:
    """One part: Content mostly as a file, the others mostly as plain fields."""
    if name == "Content":
        big = draw(sampled([False] * 15 + [True]))
        data = BIG_PRIVATE if big else draw(st.binary(max_size=40))
    else:
        data = draw(value_of(name) if name in PLAUSIBLE else junk).encode()
    disposition = f'form-data; name="{name}"'
    headers = ""
    as_file = draw(sampled([True] * 4 + [False]))
    if as_file == (name == "Content"):
        filename = draw(sampled(["hello", "page.html", "", "x y"]))
        disposition += f'; filename="{filename}"'
        content_type = draw(sampled(["application/javascript", "text/html", ""]))
        if content_type:
            headers = f"Content-Type: {content_type}\r\n"
    head = f"--{BOUNDARY}\r\nContent-Disposition: {disposition}\r\n{headers}\r\n"
    return head.encode() + data + b"\r\n"


@st.composite
def upload_body(draw: st.DrawFn) -> tuple[dict[str, str], bytes]:
    names = [n for n in ("Path", "Visibility", "Content") if draw(sampled([1, 1, 1, 0]))]
    names += draw(st.lists(st.sampled_from(["Path", "Content", "Other"]), max_size=1))
    body = b"".join(draw(part(name)) for name in names) + f"--{BOUNDARY}--\r\n".encode()
    how = draw(sampled(["multipart"] * 6 + ["truncated", "no-boundary", "form", "none"]))
    if how == "truncated":
        body = body[: draw(st.integers(0, max(len(body) - 1, 0)))]
    if how in ("multipart", "truncated"):
        return {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}, body
    if how == "no-boundary":
        return {"Content-Type": "multipart/form-data"}, body
    if how == "form":
        form = urlencode(draw(fields_for(["Path", "Visibility"])))
        return {"Content-Type": "application/x-www-form-urlencoded"}, form.encode()
    return {}, body


# Whole requests ----------------------------------------------------------------------

HOSTS = {
    "api": ["serverless.twilio.com"] * 3 + ["serverless.dublin.ie1.twilio.com"],
    "upload": ["serverless-upload.twilio.com"] * 3 + ["serverless-upload.sydney.au1.twilio.com"],
}
METHODS = ["GET", "POST", "DELETE", "PUT", "PATCH"]


@st.composite
def request_to(draw: st.DrawFn, route: Any) -> Request:
    """A request aimed at ``route``: mostly its method and host, sometimes another."""
    method = draw(sampled([route.method] * 10 + METHODS))
    host_kind = draw(sampled([route.host] * 10 + ["api", "upload"]))
    url = f"https://{draw(st.sampled_from(HOSTS[host_kind]))}{draw(path_of(route.template))}"
    own = OWN.get(route.operation, PAGING if route.operation.startswith("list_") else [])
    query = draw(fields_for(own) if method == "GET" else pairs_from(UNION, max_size=2))
    if query:
        url += "?" + urlencode(query)
    headers = draw(st.sampled_from([AUTH] * 12 + [{}, WRONG_AUTH]))
    body = b""
    if host_kind == "upload" and draw(sampled([True] * 5 + [False])):
        content_type, body = draw(upload_body())
        headers = {**headers, **content_type}
    elif method != "GET":
        if draw(sampled([True] * 7 + [False])):
            body = urlencode(draw(fields_for(own))).encode()
            headers = {**headers, "Content-Type": "application/x-www-form-urlencoded"}
        else:
            body = draw(st.binary(max_size=30))
    return Request(method, url, headers, body)


relaxed = settings(
    derandomize=True,
    database=None,
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def assert_twilio_error(response: Any) -> None:
    body = json.loads(response.body)
    assert body["status"] == response.status
    assert body["more_info"] == f"https://www.twilio.com/docs/errors/{body['code']}"
    assert body["message"]


# Properties ------------------------------------------------------------------------


ROUTE_IDS = [f"{r.host}-{r.method}-{r.operation}" for r in ROUTES]
# What every fresh account holds, listed once: fresh() is deterministic.
SEEDED_STATE = state_of(fresh()[0])


@pytest.mark.parametrize("route", ROUTES, ids=ROUTE_IDS)
@settings(relaxed, max_examples=30)
@given(data=st.data())
def test_every_route_answers_and_only_a_success_changes_anything(
    route: Any, data: st.DataObject
) -> None:
    request = data.draw(request_to(route), label="request")
    fake, _ = fresh()

    response = fake.handle(request)

    fake.check()  # no internal error, no 500
    assert response.status in KNOWN_STATUSES
    after = state_of(fake)
    if response.status >= 400:
        assert_twilio_error(response)
        assert after == SEEDED_STATE
    elif request.method == "GET":
        assert after == SEEDED_STATE  # reading changes nothing
    elif response.status in (201, 204):
        assert after != SEEDED_STATE  # a create adds a record, a delete removes one


def test_deeply_nested_dependencies_are_a_400_not_a_crash() -> None:
    fake, seeded = fresh()
    nested = "[" * 1000 + "]" * 1000  # valid JSON
    form = [("FunctionVersions", seeded.function_version), ("Dependencies", nested)]
    url = f"https://serverless.twilio.com/v1/Services/{seeded.service}/Builds"

    response = fake.handle(Request("POST", url, AUTH, urlencode(form).encode()))

    fake.check()
    assert response.status == 400
    assert json.loads(response.body)["code"] == 20001
    assert state_of(fake) == SEEDED_STATE


def test_a_fresh_account_is_the_same_every_time() -> None:
    fake, seeded = fresh()
    assert seeded == SEEDED
    assert state_of(fake) == SEEDED_STATE


@pytest.mark.parametrize("route", ROUTES, ids=ROUTE_IDS)
def test_the_seeded_records_reach_every_route(route: Any) -> None:
    """With the seeded SIDs in the right places, every route is found: the
    generated requests above are not all 404s."""
    fake, seeded = fresh()
    host = HOSTS[route.host][0]
    body = b""
    headers = dict(AUTH)
    if route.host == "upload":
        headers["Content-Type"] = f"multipart/form-data; boundary={BOUNDARY}"
        body = (
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="Path"\r\n\r\n/new\r\n'
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="Visibility"\r\n\r\n'
            "public\r\n"
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="Content"; '
            'filename="new"\r\nContent-Type: application/javascript\r\n\r\n1;\r\n'
            f"--{BOUNDARY}--\r\n"
        ).encode()
    url = f"https://{host}{right_path(route.template, seeded)}"
    response = fake.handle(Request(route.method, url, headers, body))
    fake.check()
    assert response.status in KNOWN_STATUSES - {401, 404, 405}, response.body


# The original properties, now on a fresh account each -----------------------------

SEGMENTS = sorted({s for r in ROUTES for s in r.template.split("/") if s and "{" not in s})

segments = st.one_of(
    st.sampled_from([*SEGMENTS, *SEEDED.all(), "", "ZB" + "0" * 32]),
    st.text(min_size=0, max_size=12),
)
paths = st.lists(segments, min_size=0, max_size=6).map(
    lambda parts: "/" + "/".join(quote(p, safe="") for p in parts)
)
values = st.one_of(
    st.sampled_from(
        [SEEDED.function_version, "ZN" + "0" * 32, "node22", "node99", "[]", '"[]"', "PT"]
    ),
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


def builds_of(fake: FakeBuilds, service_sid: str) -> list[str]:
    listed = fake.handle(
        Request(
            "GET",
            f"https://serverless.twilio.com/v1/Services/{service_sid}/Builds?PageSize=1000",
            AUTH,
        )
    )
    assert listed.status == 200
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
    fake, _ = fresh()
    url = "https://serverless.twilio.com" + path
    if query:
        url += "?" + urlencode(query)
    body = raw_body if use_raw else urlencode(form).encode()
    response = fake.handle(Request(method, url, AUTH if authenticated else {}, body))
    fake.check()
    assert response.status in KNOWN_STATUSES


@relaxed
@given(form=pairs)
def test_refused_creates_leave_no_trace(form: list[tuple[str, str]]) -> None:
    fake, seeded = fresh()
    before = builds_of(fake, seeded.service)
    response = fake.handle(
        Request(
            "POST",
            f"https://serverless.twilio.com/v1/Services/{seeded.service}/Builds",
            AUTH,
            urlencode(form).encode(),
        )
    )
    fake.check()
    if response.status == 201:
        assert builds_of(fake, seeded.service)[1:] == before
    else:
        assert response.status == 400
        assert builds_of(fake, seeded.service) == before


@relaxed
@given(query=pairs)
def test_any_list_query_is_a_page_or_a_400(query: list[tuple[str, str]]) -> None:
    fake, seeded = fresh()
    url = f"https://serverless.twilio.com/v1/Services/{seeded.service}/Builds?{urlencode(query)}"
    response = fake.handle(Request("GET", url, AUTH))
    fake.check()
    assert response.status in (200, 400)
