"""ListBuild paging: PageSize/Page/PageToken in, meta out, stable under change."""

from __future__ import annotations

import base64
import json
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import parse_qs, quote, urlsplit

import pytest
import requests
from helpers import BASE, error_of, raw
from twilio.base.exceptions import TwilioException, TwilioRestException

from pytest_fakebuilds import FakeBuilds
from pytest_fakebuilds.core.paging import Cursor, PageTokens


def make(builds: Any, hello: Any, count: int) -> list[str]:
    return [builds.create(function_versions=[hello.sid]).sid for _ in range(count)]


def get(fake: FakeBuilds, url: str) -> dict[str, Any]:
    answer = requests.get(url, auth=(fake.account_sid, fake.auth_token))
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def test_empty_list_envelope_matches_the_spec_example(
    fake_builds: FakeBuilds, service: Any
) -> None:
    url = f"{BASE}/v1/Services/{service.sid}/Builds"
    assert get(fake_builds, url) == {
        "builds": [],
        "meta": {
            "first_page_url": f"{url}?PageSize=50&Page=0",
            "key": "builds",
            "next_page_url": None,
            "page": 0,
            "page_size": 50,
            "previous_page_url": None,
            "url": f"{url}?PageSize=50&Page=0",
        },
    }


def test_list_is_newest_first_in_one_request_by_default(
    fake_builds: FakeBuilds, builds: Any, hello: Any
) -> None:
    made = make(builds, hello, 3)
    before = len(fake_builds.calls)
    assert [b.sid for b in builds.list()] == made[::-1]
    pages = fake_builds.calls[before:]
    assert len(pages) == 1
    assert urlsplit(pages[0].request.url).query == ""  # list() sends no query string


def test_client_follows_pages_without_skips_or_repeats(
    fake_builds: FakeBuilds, builds: Any, hello: Any
) -> None:
    made = make(builds, hello, 7)
    before = len(fake_builds.calls)
    assert [b.sid for b in builds.list(page_size=2)] == made[::-1]
    urls = [call.request.url for call in fake_builds.calls[before:]]
    assert len(urls) == 4
    assert parse_qs(urlsplit(urls[0]).query) == {"PageSize": ["2"]}
    for number, url in enumerate(urls[1:], start=1):
        query = parse_qs(urlsplit(url).query)
        assert query["PageSize"] == ["2"]
        assert query["Page"] == [str(number)]
        assert query["PageToken"][0].startswith("PT")


def test_stream_stops_at_the_limit(fake_builds: FakeBuilds, builds: Any, hello: Any) -> None:
    made = make(builds, hello, 5)
    before = len(fake_builds.calls)
    assert [b.sid for b in builds.stream(limit=3, page_size=2)] == made[::-1][:3]
    assert len(fake_builds.calls) - before == 2


def test_meta_of_a_middle_page(fake_builds: FakeBuilds, builds: Any, hello: Any) -> None:
    make(builds, hello, 5)
    first = builds.page(page_size=2)
    second = first.next_page()
    assert second is not None
    meta = second._payload["meta"]
    assert meta["page"] == 1
    assert meta["page_size"] == 2
    assert meta["key"] == "builds"
    assert meta["first_page_url"].endswith("/Builds?PageSize=2&Page=0")
    assert meta["next_page_url"].startswith(f"{BASE}/v1/Services/")
    assert "Page=2&PageToken=PT" in meta["next_page_url"]
    assert "Page=0&PageToken=PT" in meta["previous_page_url"]
    assert meta["url"] == fake_builds.calls[-1].request.url
    back = second.previous_page()
    assert [b.sid for b in back] == [b.sid for b in first]


def test_last_page_has_no_next(fake_builds: FakeBuilds, builds: Any, hello: Any) -> None:
    make(builds, hello, 4)
    first = builds.page(page_size=2)
    last = first.next_page()
    assert last._payload["meta"]["next_page_url"] is None
    assert last.next_page() is None
    assert first._payload["meta"]["previous_page_url"] is None


@pytest.mark.parametrize("size", [1, 1000])
def test_page_size_bounds_are_accepted(
    fake_builds: FakeBuilds, builds: Any, hello: Any, size: int
) -> None:
    make(builds, hello, 2)
    page = builds.page(page_size=size)
    assert len(list(page)) == min(size, 2)
    assert page._payload["meta"]["page_size"] == size


@pytest.mark.parametrize("size", ["0", "1001", "-1", "abc", "1.5", ""])
def test_out_of_range_page_size_is_400(fake_builds: FakeBuilds, service: Any, size: str) -> None:
    answer = requests.get(
        f"{BASE}/v1/Services/{service.sid}/Builds?PageSize={size}",
        auth=(fake_builds.account_sid, fake_builds.auth_token),
    )
    assert error_of(answer) == (
        400,
        20001,
        f"Invalid PageSize: '{size}' is not an integer between 1 and 1000",
    )


def test_out_of_range_page_size_through_the_client(builds: Any) -> None:
    # twilio-python no longer caps PageSize; list(limit=5000) sends PageSize=5000.
    # It raises a plain TwilioException("Unable to fetch page", response) for any
    # non-200 page: the answer itself is its second argument.
    with pytest.raises(TwilioException) as raised:
        builds.list(limit=5000)
    assert not isinstance(raised.value, TwilioRestException)
    message, response = raised.value.args
    assert message == "Unable to fetch page"
    body = json.loads(response.text)
    assert (response.status_code, body["code"], body["message"]) == (
        400,
        20001,
        "Invalid PageSize: '5000' is not an integer between 1 and 1000",
    )
    assert body["status"] == 400


@pytest.mark.parametrize("token", ["nonsense", "PT", "PT!!!", "PTeyJ4IjoxfQ"])
def test_bad_page_token_is_400_21481(fake_builds: FakeBuilds, service: Any, token: str) -> None:
    answer = requests.get(
        f"{BASE}/v1/Services/{service.sid}/Builds?PageToken={token}",
        auth=(fake_builds.account_sid, fake_builds.auth_token),
    )
    assert answer.status_code == 400
    assert answer.json()["code"] == 21481
    assert answer.json()["message"] == "Invalid PageToken"


@pytest.mark.parametrize("page", ["-1", "abc", "1.5", ""])
def test_negative_page_is_400(fake_builds: FakeBuilds, service: Any, page: str) -> None:
    answer = requests.get(
        f"{BASE}/v1/Services/{service.sid}/Builds?Page={page}",
        auth=(fake_builds.account_sid, fake_builds.auth_token),
    )
    assert error_of(answer) == (
        400,
        20001,
        f"Invalid Page: '{page}' is not a non-negative integer",
    )


def test_page_alone_is_client_state(fake_builds: FakeBuilds, builds: Any, hello: Any) -> None:
    made = make(builds, hello, 5)
    page = builds.page(page_size=2, page_number=3)
    assert [b.sid for b in page] == made[::-1][:2]
    assert page._payload["meta"]["page"] == 3
    assert "Page=4&PageToken=" in page._payload["meta"]["next_page_url"]


def test_paging_is_stable_while_builds_come_and_go(
    fake_builds: FakeBuilds, builds: Any, hello: Any
) -> None:
    made = make(builds, hello, 6)  # newest first: made[5] .. made[0]
    page = builds.page(page_size=2)
    seen = [b.sid for b in page]
    assert seen == [made[5], made[4]]
    # Between reads: a new build, a deleted build already read, one not yet read.
    builds.create(function_versions=[hello.sid])
    builds(made[5]).delete()
    builds(made[1]).delete()
    while (page := page.next_page()) is not None:
        seen += [b.sid for b in page]
    assert seen == [made[5], made[4], made[3], made[2], made[0]]


@pytest.mark.parametrize("seed", range(5))
def test_paging_invariant_under_random_interleavings(
    fake_builds: FakeBuilds, builds: Any, hello: Any, seed: int
) -> None:
    """Every build that exists throughout a walk is served exactly once."""
    rng = random.Random(seed)
    live = make(builds, hello, rng.randint(5, 15))
    at_start = set(live)
    deleted: set[str] = set()
    page = builds.page(page_size=rng.randint(1, 4))
    served = [b.sid for b in page]
    while True:
        for _ in range(rng.randint(0, 2)):
            if rng.random() < 0.5 and live:
                victim = live.pop(rng.randrange(len(live)))
                builds(victim).delete()
                deleted.add(victim)
            else:
                live.append(builds.create(function_versions=[hello.sid]).sid)
        page = page.next_page()
        if page is None:
            break
        served += [b.sid for b in page]
    assert len(served) == len(set(served))
    assert at_start - deleted <= set(served)


def test_regional_requests_get_regional_page_urls(
    fake_builds: FakeBuilds, service: Any, hello: Any
) -> None:
    client = fake_builds.client(region="ie1", edge="dublin")
    builds = client.serverless.v1.services(service.sid).builds
    made = make(builds, hello, 3)
    assert [b.sid for b in builds.list(page_size=1)] == made[::-1]
    hosts = {urlsplit(call.request.url).hostname for call in fake_builds.calls}
    assert hosts == {"serverless.dublin.ie1.twilio.com"}
    meta = builds.page(page_size=1)._payload["meta"]
    assert meta["next_page_url"].startswith("https://serverless.dublin.ie1.twilio.com/v1/")


# Page tokens: signed, bound to their list (and a Logs list's filters) ------------------------

INVALID_TOKEN = (400, 21481, "Invalid PageToken")
SIGNATURE = 16  # bytes of HMAC a token ends with (docs/behaviour.md)


def token_of(url: str) -> str:
    token: str = parse_qs(urlsplit(url).query)["PageToken"][0]
    return token


def with_token(url: str, token: str) -> str:
    """``url`` with only its ``PageToken`` value replaced."""
    return url.replace("PageToken=" + token_of(url), "PageToken=" + token)


def unpack(token: str) -> bytes:
    assert token.startswith("PT")
    text = token[2:]
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def pack(raw: bytes) -> str:
    return "PT" + base64.urlsafe_b64encode(raw).decode().rstrip("=")


def refused_page(lister: Any, url: str) -> tuple[int, int, str]:
    """``(status, code, message)`` of the answer twilio-python's ``get_page(url)`` ran into."""
    with pytest.raises(TwilioException) as raised:
        lister.get_page(url)
    assert not isinstance(raised.value, TwilioRestException)
    message, response = raised.value.args
    assert message == "Unable to fetch page"
    body = json.loads(response.text)
    assert body["status"] == response.status_code
    assert body["more_info"] == f"https://www.twilio.com/docs/errors/{body['code']}"
    return response.status_code, body["code"], body["message"]


def respelled(token: str) -> str:
    """The same bytes under another base64 spelling: the last character's unused
    low bits flipped (a token whose length leaves none cannot be respelled)."""
    spare = {1: 4, 2: 2}[len(unpack(token)) % 3]  # KeyError: no unused bits
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    index = alphabet.index(token[-1])
    assert index % (1 << spare) == 0  # canonical: unused bits are zero
    other = token[:-1] + alphabet[index + 1]
    assert unpack(other) == unpack(token)
    return other


def resigned(token: str, path: str) -> str:
    """The token's direction and sequence number signed for ``path`` with another key."""
    raw = unpack(token)
    payload = raw[:-SIGNATURE]
    direction: Literal["next", "prev"] = "next" if payload[:1] == b"n" else "prev"
    forged = PageTokens(b"not the fake's key", path).issue(Cursor(direction, int(payload[1:])))
    assert unpack(forged)[:-SIGNATURE] == payload  # only the signature differs
    return forged


def old_format(token: str) -> str:
    """What the fake accepted before tokens were signed: base64 of JSON."""
    payload = unpack(token)[:-SIGNATURE]
    raw = json.dumps({"d": "next", "s": int(payload[1:])}, separators=(",", ":"))
    return "PT" + base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def other_sequence(token: str) -> str:
    raw = unpack(token)
    payload, signature = raw[:-SIGNATURE], raw[-SIGNATURE:]
    return pack(payload[:1] + str(int(payload[1:]) - 1).encode() + signature)


def other_direction(token: str) -> str:
    raw = unpack(token)
    assert raw[:1] == b"n"
    return pack(b"p" + raw[1:])


def zero_signature(token: str) -> str:
    return pack(unpack(token)[:-SIGNATURE] + bytes(SIGNATURE))


FORGERIES: dict[str, Callable[[str, str], str]] = {
    "empty": lambda token, path: "",
    "old-json-format": lambda token, path: old_format(token),
    "zero-signature": lambda token, path: zero_signature(token),
    "other-sequence-number": lambda token, path: other_sequence(token),
    "other-direction": lambda token, path: other_direction(token),
    "truncated-by-one": lambda token, path: token[:-1],
    "truncated-by-a-block": lambda token, path: token[:-4],
    "extended": lambda token, path: token + "AAAA",
    "respelled": lambda token, path: respelled(token),
    "re-signed-with-another-key": resigned,
    "without-prefix": lambda token, path: token[2:],
    "other-prefix": lambda token, path: "PU" + token[2:],
    "lower-cased": lambda token, path: token.lower(),
}


@pytest.mark.parametrize("forgery", list(FORGERIES))
def test_a_token_the_fake_did_not_issue_is_400_21481(
    fake_builds: FakeBuilds, service: Any, builds: Any, hello: Any, forgery: str
) -> None:
    made = make(builds, hello, 14)  # sequence numbers past 10: respelling needs spare bits
    first = builds.page(page_size=2)
    honest = first._payload["meta"]["next_page_url"]
    token = token_of(honest)
    forged = FORGERIES[forgery](token, f"/v1/Services/{service.sid}/Builds")
    assert forged != token
    assert refused_page(builds, with_token(honest, forged)) == INVALID_TOKEN
    # The same URL with the token the fake issued is served.
    assert [b.sid for b in builds.get_page(honest)] == made[::-1][2:4]


def test_an_empty_page_token_is_400_21481_not_the_first_page(
    fake_builds: FakeBuilds, service: Any, builds: Any, hello: Any
) -> None:
    make(builds, hello, 3)
    url = f"{BASE}/v1/Services/{service.sid}/Builds?PageSize=2&Page=0"
    assert [b.sid for b in builds.get_page(url)]
    assert refused_page(builds, url + "&PageToken=") == INVALID_TOKEN
    answer = raw(fake_builds, "GET", f"/v1/Services/{service.sid}/Builds?PageToken=")
    assert error_of(answer) == INVALID_TOKEN


def test_a_token_is_bound_to_the_list_it_was_issued_for(
    fake_builds: FakeBuilds, service: Any, builds: Any, hello: Any
) -> None:
    other = fake_builds.create_service(unique_name="other-app")
    other_hello = fake_builds.create_function_version(other.sid, "/hello")
    client = fake_builds.client()
    other_builds = client.serverless.v1.services(other.sid).builds
    for _ in range(3):
        builds.create(function_versions=[hello.sid])
        other_builds.create(function_versions=[other_hello.sid])
    mine = builds.page(page_size=1)._payload["meta"]["next_page_url"]
    theirs = other_builds.page(page_size=1)._payload["meta"]["next_page_url"]
    assert len(builds.get_page(mine)._payload["builds"]) == 1
    assert len(other_builds.get_page(theirs)._payload["builds"]) == 1
    # Each service's token on the other's list: well formed, signed by this fake, refused.
    assert refused_page(other_builds, with_token(theirs, token_of(mine))) == INVALID_TOKEN
    assert refused_page(builds, with_token(mine, token_of(theirs))) == INVALID_TOKEN
    # On another family's list of the same service, and on the Services list.
    versions = (
        client.serverless.v1.services(service.sid).functions(hello.function_sid).function_versions
    )
    versions_url = f"{BASE}/v1/Services/{service.sid}/Functions/{hello.function_sid}/Versions"
    assert refused_page(versions, f"{versions_url}?PageSize=1&PageToken={token_of(mine)}") == (
        INVALID_TOKEN
    )
    services = client.serverless.v1.services
    assert (
        refused_page(services, f"{BASE}/v1/Services?PageSize=1&PageToken={token_of(mine)}")
        == INVALID_TOKEN
    )


def test_a_token_is_bound_to_the_parent_its_list_is_under(
    fake_builds: FakeBuilds, service: Any, api: Any
) -> None:
    one, two = (fake_builds.create_function(service.sid, name) for name in ("one", "two"))
    for function in (one, two):
        for _ in range(2):
            fake_builds.create_function_version(service.sid, "/x", function_sid=function)
    versions_of_one = api.functions(one.sid).function_versions
    versions_of_two = api.functions(two.sid).function_versions
    honest = versions_of_one.page(page_size=1)._payload["meta"]["next_page_url"]
    assert len(versions_of_one.get_page(honest)._payload["function_versions"]) == 1
    elsewhere = honest.replace(one.sid, two.sid)
    assert elsewhere != honest
    assert refused_page(versions_of_two, elsewhere) == INVALID_TOKEN


def test_a_token_outlives_its_record_and_takes_another_page_size_or_number(
    fake_builds: FakeBuilds, builds: Any, hello: Any
) -> None:
    made = make(builds, hello, 6)[::-1]  # newest first
    honest = builds.page(page_size=2)._payload["meta"]["next_page_url"]
    builds(made[1]).delete()  # the record the token names
    assert [b.sid for b in builds.get_page(honest)] == made[2:4]
    bigger = honest.replace("PageSize=2", "PageSize=3")
    assert bigger != honest
    assert [b.sid for b in builds.get_page(bigger)] == made[2:5]
    renumbered = honest.replace("&Page=1&", "&Page=7&")
    assert renumbered != honest
    page = builds.get_page(renumbered)
    assert [b.sid for b in page] == made[2:4]
    assert page._payload["meta"]["page"] == 7


def test_a_token_is_not_bound_to_the_host(
    fake_builds: FakeBuilds, service: Any, builds: Any, hello: Any
) -> None:
    made = make(builds, hello, 3)
    honest = builds.page(page_size=1)._payload["meta"]["next_page_url"]
    regional = fake_builds.client(region="ie1", edge="dublin")
    regional_builds = regional.serverless.v1.services(service.sid).builds
    url = honest.replace(BASE, "https://serverless.dublin.ie1.twilio.com")
    assert url != honest
    assert [b.sid for b in regional_builds.get_page(url)] == [made[1]]


def _services_next_page(seed: int) -> tuple[str, list[str]]:
    """A fresh fake's Services list, PageSize=1: its first next_page_url, and what it serves."""
    with FakeBuilds(seed=seed) as fake:
        made = [fake.create_service(unique_name=f"app-{n}").sid for n in range(3)]
        services = fake.client().serverless.v1.services
        url = services.page(page_size=1)._payload["meta"]["next_page_url"]
        assert [s.sid for s in services.get_page(url)] == [made[1]]
        return url, made


def test_a_token_of_another_fake_is_refused_and_the_same_seed_accepts_it() -> None:
    url, made = _services_next_page(seed=1)
    other_url, _ = _services_next_page(seed=2)
    # The same list path and sequence number; only the key differs.
    assert urlsplit(url).path == urlsplit(other_url).path == "/v1/Services"
    assert unpack(token_of(url))[:-SIGNATURE] == unpack(token_of(other_url))[:-SIGNATURE]
    assert token_of(url) != token_of(other_url)
    with FakeBuilds(seed=2) as other:
        for n in range(3):
            other.create_service(unique_name=f"app-{n}")
        assert refused_page(other.client().serverless.v1.services, url) == INVALID_TOKEN
    # The same seed and the same calls: the same token, taken on every run.
    assert _services_next_page(seed=1)[0] == url
    with FakeBuilds(seed=1) as twin:
        for n in range(3):
            twin.create_service(unique_name=f"app-{n}")
        assert [s.sid for s in twin.client().serverless.v1.services.get_page(url)] == [made[1]]


def test_a_logs_token_is_bound_to_the_filters_as_sent(
    fake_builds: FakeBuilds, service: Any, environment: Any
) -> None:
    one = fake_builds.create_function(service.sid, "one")
    two = fake_builds.create_function(service.sid, "two")
    lines = [
        fake_builds.add_log(environment, f"line {n}", function_sid=(one, two)[n % 2])
        for n in range(6)
    ]
    path = f"/v1/Services/{service.sid}/Environments/{environment.sid}/Logs"
    start, end = "2026-01-01T00:00:00Z", "2026-01-01T12:00:00Z"
    query = f"StartDate={quote(start)}&EndDate={quote(end)}&FunctionSid={one.sid}"
    first = get(fake_builds, f"{BASE}{path}?{query}&PageSize=1")
    honest = first["meta"]["next_page_url"]
    token = token_of(honest)
    assert [log["sid"] for log in get(fake_builds, honest)["logs"]] == [lines[2].sid]
    logs = (
        fake_builds.client().serverless.v1.services(service.sid).environments(environment.sid).logs
    )
    same_instant = start.replace("Z", ".000Z")
    for changed in (
        f"StartDate={quote(start)}&EndDate={quote(end)}&FunctionSid={two.sid}",
        f"StartDate={quote(start)}&EndDate={quote(end)}",
        f"StartDate={quote(start)}&FunctionSid={one.sid}",
        f"StartDate={quote(same_instant)}&EndDate={quote(end)}&FunctionSid={one.sid}",
        "",
    ):
        url = f"{BASE}{path}?{changed}&PageSize=1&Page=1&PageToken={token}"
        assert refused_page(logs, url) == INVALID_TOKEN, changed
    # The same filters in another order are the same filters.
    reordered = f"FunctionSid={one.sid}&EndDate={quote(end)}&StartDate={quote(start)}"
    again = get(fake_builds, f"{BASE}{path}?{reordered}&PageSize=1&Page=1&PageToken={token}")
    assert [log["sid"] for log in again["logs"]] == [lines[2].sid]


# Honest paging, forward and back, across many pages of every list family: sequence numbers
# of one, two and three digits, so tokens of every base64 padding remainder are followed.


@dataclass
class Family:
    path: str
    key: str
    newest_first: list[str]
    filters: str = ""


def _fillers(fake: FakeBuilds, service: Any, count: int) -> None:
    """Records of another list, so that a capped list's sequence numbers reach three digits."""
    for _ in range(count):
        fake.create_function(service.sid, "filler")


def _services(fake: FakeBuilds) -> Family:
    first = fake.create_service(unique_name="app-0")
    made = [first.sid]
    for n in range(1, 50):
        _fillers(fake, first, 2)
        made.append(fake.create_service(unique_name=f"app-{n}").sid)
    return Family("/v1/Services", "services", made[::-1])


def _environments(fake: FakeBuilds) -> Family:
    service = fake.create_service(unique_name="app")
    made = []
    for n in range(25):
        made.append(fake.create_environment(service.sid, unique_name=f"env-{n}").sid)
        _fillers(fake, service, 4)
    return Family(f"/v1/Services/{service.sid}/Environments", "environments", made[::-1])


def _functions(fake: FakeBuilds) -> Family:
    service = fake.create_service(unique_name="app")
    made = [fake.create_function(service.sid, f"fn-{n}").sid for n in range(110)]
    return Family(f"/v1/Services/{service.sid}/Functions", "functions", made[::-1])


def _assets(fake: FakeBuilds) -> Family:
    service = fake.create_service(unique_name="app")
    made = [fake.create_asset(service.sid, f"asset-{n}").sid for n in range(110)]
    return Family(f"/v1/Services/{service.sid}/Assets", "assets", made[::-1])


def _function_versions(fake: FakeBuilds) -> Family:
    service = fake.create_service(unique_name="app")
    function = fake.create_function(service.sid, "hello")
    made = [
        fake.create_function_version(service.sid, "/hello", function_sid=function).sid
        for _ in range(110)
    ]
    path = f"/v1/Services/{service.sid}/Functions/{function.sid}/Versions"
    return Family(path, "function_versions", made[::-1])


def _asset_versions(fake: FakeBuilds) -> Family:
    service = fake.create_service(unique_name="app")
    asset = fake.create_asset(service.sid, "style")
    made = [
        fake.create_asset_version(service.sid, "/style.css", asset_sid=asset).sid
        for _ in range(110)
    ]
    path = f"/v1/Services/{service.sid}/Assets/{asset.sid}/Versions"
    return Family(path, "asset_versions", made[::-1])


def _builds(fake: FakeBuilds) -> Family:
    service = fake.create_service(unique_name="app")
    version = fake.create_function_version(service.sid, "/hello")
    made = [fake.create_build(service.sid, [version]).sid for _ in range(110)]
    return Family(f"/v1/Services/{service.sid}/Builds", "builds", made[::-1])


def _deployments(fake: FakeBuilds) -> Family:
    service = fake.create_service(unique_name="app")
    environment = fake.create_environment(service.sid, domain_suffix="dev")
    version = fake.create_function_version(service.sid, "/hello")
    pair = [fake.create_build(service.sid, [version]) for _ in range(2)]
    fake.advance(fake.build_duration)
    made = [fake.deploy(environment, pair[n % 2]).sid for n in range(110)]
    path = f"/v1/Services/{service.sid}/Environments/{environment.sid}/Deployments"
    return Family(path, "deployments", made[::-1])


def _variables(fake: FakeBuilds) -> Family:
    service = fake.create_service(unique_name="app")
    environment = fake.create_environment(service.sid, domain_suffix="dev")
    made = [fake.set_variable(environment, f"KEY_{n}", "value").sid for n in range(110)]
    path = f"/v1/Services/{service.sid}/Environments/{environment.sid}/Variables"
    return Family(path, "variables", made[::-1])


def _logs(fake: FakeBuilds) -> Family:
    service = fake.create_service(unique_name="app")
    environment = fake.create_environment(service.sid, domain_suffix="dev")
    wanted = fake.create_function(service.sid, "wanted")
    other = fake.create_function(service.sid, "other")
    made = []
    for n in range(220):
        log = fake.add_log(environment, f"line {n}", function_sid=(wanted, other)[n % 2])
        if n % 2 == 0:
            made.append(log.sid)
    filters = (
        f"FunctionSid={wanted.sid}&EndDate=2026-01-01T12%3A00%3A00Z"
        "&StartDate=2026-01-01T00%3A00%3A00Z&"
    )
    path = f"/v1/Services/{service.sid}/Environments/{environment.sid}/Logs"
    return Family(path, "logs", made[::-1], filters)


FAMILIES: dict[str, Callable[[FakeBuilds], Family]] = {
    "services": _services,
    "environments": _environments,
    "functions": _functions,
    "assets": _assets,
    "function-versions": _function_versions,
    "asset-versions": _asset_versions,
    "builds": _builds,
    "deployments": _deployments,
    "variables": _variables,
    "logs-with-filters": _logs,
}


@pytest.mark.parametrize("family", list(FAMILIES))
def test_honest_tokens_walk_every_list_forward_and_back(
    fake_builds: FakeBuilds, family: str
) -> None:
    listed = FAMILIES[family](fake_builds)
    pages = [get(fake_builds, f"{BASE}{listed.path}?{listed.filters}PageSize=2")]
    tokens = []
    while (url := pages[-1]["meta"]["next_page_url"]) is not None:
        tokens.append(token_of(url))
        pages.append(get(fake_builds, url))
    forward = [item["sid"] for page in pages for item in page[listed.key]]
    assert forward == listed.newest_first
    back = [pages[-1]]
    while (url := back[-1]["meta"]["previous_page_url"]) is not None:
        tokens.append(token_of(url))
        back.append(get(fake_builds, url))
    assert [page[listed.key] for page in back[::-1]] == [page[listed.key] for page in pages]
    assert back[-1]["meta"]["page"] == 0
    # Tokens of three lengths: sequence numbers of one, two and three digits, one
    # per base64 padding remainder, all followed.
    assert len({len(token) for token in tokens}) == 3
