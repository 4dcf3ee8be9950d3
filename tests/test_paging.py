"""ListBuild paging: PageSize/Page/PageToken in, meta out, stable under change."""

from __future__ import annotations

import random
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from helpers import BASE
from twilio.base.exceptions import TwilioException

from pytest_fakebuilds import FakeBuilds


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
    assert answer.status_code == 400
    assert answer.json()["code"] == 20001


def test_out_of_range_page_size_through_the_client(builds: Any) -> None:
    # twilio-python no longer caps PageSize; list(limit=5000) sends PageSize=5000.
    with pytest.raises(TwilioException, match="Unable to fetch page"):
        builds.list(limit=5000)


@pytest.mark.parametrize("token", ["nonsense", "PT", "PT!!!", "PTeyJ4IjoxfQ"])
def test_bad_page_token_is_400_21481(fake_builds: FakeBuilds, service: Any, token: str) -> None:
    answer = requests.get(
        f"{BASE}/v1/Services/{service.sid}/Builds?PageToken={token}",
        auth=(fake_builds.account_sid, fake_builds.auth_token),
    )
    assert answer.status_code == 400
    assert answer.json()["code"] == 21481
    assert answer.json()["message"] == "Invalid PageToken"


def test_negative_page_is_400(fake_builds: FakeBuilds, service: Any) -> None:
    answer = requests.get(
        f"{BASE}/v1/Services/{service.sid}/Builds?Page=-1",
        auth=(fake_builds.account_sid, fake_builds.auth_token),
    )
    assert answer.status_code == 400


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
