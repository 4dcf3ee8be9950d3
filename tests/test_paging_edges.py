"""Paging at its edges: pages whose neighbours were deleted or fell out of a filter
between two reads, and page tokens of every length.

A token names the record a page starts after; what lies around that record is
looked at again on every read. So a page links onwards (``next_page_url``) or
back (``previous_page_url``) only while a record is there to link to, at the
moment of the read. Mutation testing (docs/performance.md) found these links
checked only on lists that never change.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
import requests

from pytest_fakebuilds import FakeBuilds
from pytest_fakebuilds.core.paging import Cursor, PageTokens

BASE = "https://serverless.twilio.com"


def get(fake: FakeBuilds, url: str) -> dict[str, Any]:
    answer = requests.get(url, auth=(fake.account_sid, fake.auth_token))
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def sids(page: dict[str, Any]) -> list[str]:
    return [item["sid"] for item in page[page["meta"]["key"]]]


def links(page: dict[str, Any]) -> tuple[bool, bool]:
    """Whether the page links back and onwards."""
    meta = page["meta"]
    return meta["previous_page_url"] is not None, meta["next_page_url"] is not None


@pytest.fixture
def six(fake_builds: FakeBuilds) -> tuple[str, list[str]]:
    """The Builds list of a service with six builds: its URL and the SIDs, newest first."""
    service = fake_builds.create_service(unique_name="my-app")
    hello = fake_builds.create_function_version(service.sid, path="/hello")
    made = [fake_builds.create_build(service.sid, [hello]).sid for _ in range(6)]
    return f"{BASE}/v1/Services/{service.sid}/Builds", made[::-1]


def delete(fake: FakeBuilds, list_url: str, sid: str) -> None:
    answer = requests.delete(f"{list_url}/{sid}", auth=(fake.account_sid, fake.auth_token))
    assert answer.status_code == 204


def test_a_next_page_whose_records_were_all_deleted_is_empty_and_links_nowhere(
    fake_builds: FakeBuilds, six: tuple[str, list[str]]
) -> None:
    url, newest_first = six
    first = get(fake_builds, f"{url}?PageSize=2")
    assert (sids(first), links(first)) == (newest_first[:2], (False, True))
    for sid in newest_first[2:]:
        delete(fake_builds, url, sid)
    after = get(fake_builds, first["meta"]["next_page_url"])
    assert (sids(after), links(after)) == ([], (False, False))
    assert after["meta"]["page"] == 1


def test_a_next_page_links_back_only_while_newer_records_remain(
    fake_builds: FakeBuilds, six: tuple[str, list[str]]
) -> None:
    url, newest_first = six
    first = get(fake_builds, f"{url}?PageSize=2")
    second = get(fake_builds, first["meta"]["next_page_url"])
    assert (sids(second), links(second)) == (newest_first[2:4], (True, True))
    for sid in newest_first[:2]:
        delete(fake_builds, url, sid)
    again = get(fake_builds, first["meta"]["next_page_url"])
    assert (sids(again), links(again)) == (newest_first[2:4], (False, True))


def test_a_page_reached_backward_links_onwards_only_while_older_records_remain(
    fake_builds: FakeBuilds, six: tuple[str, list[str]]
) -> None:
    url, newest_first = six
    first = get(fake_builds, f"{url}?PageSize=2")
    second = get(fake_builds, first["meta"]["next_page_url"])
    third = get(fake_builds, second["meta"]["next_page_url"])
    assert (sids(third), links(third)) == (newest_first[4:], (True, False))
    back = get(fake_builds, third["meta"]["previous_page_url"])
    assert (sids(back), links(back)) == (newest_first[2:4], (True, True))
    assert back["meta"]["page"] == 1
    back_again = get(fake_builds, back["meta"]["previous_page_url"])
    assert (sids(back_again), links(back_again)) == (newest_first[:2], (False, True))
    for sid in newest_first[2:]:
        delete(fake_builds, url, sid)
    alone = get(fake_builds, back["meta"]["previous_page_url"])
    assert (sids(alone), links(alone)) == (newest_first[:2], (False, False))


def test_a_longer_page_reached_backward_links_onwards_only_while_older_records_remain(
    fake_builds: FakeBuilds, six: tuple[str, list[str]]
) -> None:
    url, newest_first = six
    first = get(fake_builds, f"{url}?PageSize=3")
    second = get(fake_builds, first["meta"]["next_page_url"])
    assert (sids(second), links(second)) == (newest_first[3:], (True, False))
    back = get(fake_builds, second["meta"]["previous_page_url"])
    assert (sids(back), links(back)) == (newest_first[:3], (False, True))
    for sid in newest_first[3:]:
        delete(fake_builds, url, sid)
    alone = get(fake_builds, second["meta"]["previous_page_url"])
    assert (sids(alone), links(alone)) == (newest_first[:3], (False, False))


@pytest.fixture
def logs(fake_builds: FakeBuilds) -> tuple[str, dict[str, str]]:
    """Logs of function A whose order of creation is not their order in time: the two
    made last are dated 23 hours back, so that the default window (the last day on
    the fake's clock) lets them go first as the clock moves on. A log of function B
    sits between them and the rest."""
    service = fake_builds.create_service(unique_name="my-app")
    environment = fake_builds.create_environment(service.sid, domain_suffix="dev")
    a = fake_builds.create_function(service.sid, "a")
    b = fake_builds.create_function(service.sid, "b")
    now = fake_builds.now()
    made = {
        "a1": fake_builds.add_log(environment, "a1", function_sid=a).sid,
        "a2": fake_builds.add_log(environment, "a2", function_sid=a).sid,
        "b": fake_builds.add_log(environment, "b", function_sid=b).sid,
        "old3": fake_builds.add_log(
            environment, "old3", function_sid=a, date_created=now - timedelta(hours=23)
        ).sid,
        "old4": fake_builds.add_log(
            environment, "old4", function_sid=a, date_created=now - timedelta(hours=23)
        ).sid,
    }
    path = f"{BASE}/v1/Services/{service.sid}/Environments/{environment.sid}/Logs"
    return f"{path}?FunctionSid={a.sid}&PageSize=2", made


def test_a_next_page_of_logs_links_back_only_to_logs_still_in_the_window(
    fake_builds: FakeBuilds, logs: tuple[str, dict[str, str]]
) -> None:
    url, made = logs
    first = get(fake_builds, url)
    assert (sids(first), links(first)) == ([made["old4"], made["old3"]], (False, True))
    second = get(fake_builds, first["meta"]["next_page_url"])
    assert (sids(second), links(second)) == ([made["a2"], made["a1"]], (True, False))
    fake_builds.advance(timedelta(hours=2))  # old3 and old4 are now 25 hours old
    assert sids(get(fake_builds, url)) == [made["a2"], made["a1"]]
    again = get(fake_builds, first["meta"]["next_page_url"])
    assert (sids(again), links(again)) == ([made["a2"], made["a1"]], (False, False))


def test_a_page_of_logs_reached_backward_links_onwards_only_to_logs_in_the_window(
    fake_builds: FakeBuilds, logs: tuple[str, dict[str, str]]
) -> None:
    url, made = logs
    first = get(fake_builds, url)
    second = get(fake_builds, first["meta"]["next_page_url"])
    back = get(fake_builds, second["meta"]["previous_page_url"])
    assert (sids(back), links(back)) == ([made["old4"], made["old3"]], (False, True))
    fake_builds.advance(timedelta(hours=2))
    # The page before a1 and a2 now holds nothing the window keeps: it is empty.
    gone = get(fake_builds, second["meta"]["previous_page_url"])
    assert (sids(gone), links(gone)) == ([], (False, False))


def test_a_page_of_logs_reached_backward_links_onwards_only_while_older_logs_are_kept(
    fake_builds: FakeBuilds,
) -> None:
    """The two oldest logs are dated 23 hours back; once the clock has moved two hours
    on, the default window drops them, and the page before them no longer links on."""
    service = fake_builds.create_service(unique_name="my-app")
    environment = fake_builds.create_environment(service.sid, domain_suffix="dev")
    a = fake_builds.create_function(service.sid, "a")
    back = fake_builds.now() - timedelta(hours=23)
    made = [
        fake_builds.add_log(environment, f"old {n}", function_sid=a, date_created=back).sid
        for n in range(2)
    ]
    made += [fake_builds.add_log(environment, f"new {n}", function_sid=a).sid for n in range(4)]
    path = f"{BASE}/v1/Services/{service.sid}/Environments/{environment.sid}/Logs"
    first = get(fake_builds, f"{path}?FunctionSid={a.sid}&PageSize=2")
    second = get(fake_builds, first["meta"]["next_page_url"])
    third = get(fake_builds, second["meta"]["next_page_url"])
    assert (sids(third), links(third)) == (made[1::-1], (True, False))
    before = get(fake_builds, third["meta"]["previous_page_url"])
    assert (sids(before), links(before)) == (made[3:1:-1], (True, True))
    fake_builds.advance(timedelta(hours=2))
    after = get(fake_builds, third["meta"]["previous_page_url"])
    assert (sids(after), links(after)) == (made[3:1:-1], (True, False))


# Tokens: ``PT`` and unpadded URL-safe base64 of the direction, the sequence number
# and a 16-byte signature, so their length (and the base64 padding dropped) varies
# with the number of digits: every length is issued and taken back.
TOKEN = re.compile(r"PT[A-Za-z0-9_-]+")


@pytest.mark.parametrize("direction", ["next", "prev"])
def test_page_tokens_of_every_length_are_taken_back(direction: str) -> None:
    tokens = PageTokens(b"a key", "/v1/Services/ZS0/Builds")
    lengths = set()
    for digits in range(1, 19):
        for seq in {10 ** (digits - 1), 10**digits - 1, 10 ** (digits - 1) + 7}:
            cursor = Cursor("next" if direction == "next" else "prev", seq)
            token = tokens.issue(cursor)
            assert TOKEN.fullmatch(token), token
            assert tokens.verify(token) == cursor
            lengths.add(len(token[2:]) % 4)
    assert lengths == {0, 2, 3}  # every remainder base64 without padding can leave
    for seq in range(3000):  # every last character the signature can end on
        cursor = Cursor("next", seq)
        assert tokens.verify(tokens.issue(cursor)) == cursor
