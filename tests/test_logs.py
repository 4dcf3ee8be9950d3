"""Logs: what an environment's functions wrote, added by the test, listed with Twilio's filters.

The list defaults to the last day on the fake's clock; ``StartDate`` and
``EndDate`` come in twilio-python's form (``…Z``) or the Node toolkit's
(``….000Z``), and every ``meta`` URL carries the filters given, in the
spec's order, before ``PageSize`` and ``Page``.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import pytest
from helpers import (
    BASE,
    UNKNOWN_ENVIRONMENT,
    UNKNOWN_ZH,
    assert_same_next_sid,
    completed_build,
    error_of,
    last_body,
    page_refused,
    raw,
    refused,
    state_of,
)
from twilio.base.exceptions import TwilioException, TwilioRestException

from pytest_fakebuilds import FakeBuilds, Log, NotFoundError

FIELDS = {
    "sid",
    "account_sid",
    "service_sid",
    "environment_sid",
    "build_sid",
    "deployment_sid",
    "function_sid",
    "request_sid",
    "level",
    "message",
    "date_created",
    "url",
}
UNKNOWN_LOG = "NO" + "0" * 32


def encoded(value: str) -> str:
    return quote(value, safe="")


@pytest.fixture
def logs(api: Any, environment: Any) -> Any:
    return api.environments(environment.sid).logs


@pytest.fixture
def list_url(service: Any, environment: Any) -> str:
    return f"{BASE}/v1/Services/{service.sid}/Environments/{environment.sid}/Logs"


def dated(fake: FakeBuilds, environment: Any, ages: list[timedelta], **kwargs: Any) -> list[Log]:
    """One log per age, oldest first, dated that long before now."""
    now = fake.now()
    return [
        fake.add_log(environment, f"line {n}", date_created=now - age, **kwargs)
        for n, age in enumerate(sorted(ages, reverse=True))
    ]


# Adding and reading ---------------------------------------------------------------------


def test_add_log_then_list_serves_every_field(
    fake_builds: FakeBuilds, logs: Any, service: Any, environment: Any
) -> None:
    added = fake_builds.add_log(environment, "hello ran", level="warning")
    listed = logs.list()
    body = last_body(fake_builds)
    assert [set(entry) for entry in body["logs"]] == [FIELDS]
    assert [log.sid for log in listed] == [added.sid]
    log = listed[0]
    assert log.sid.startswith("NO")
    assert len(log.sid) == 34
    assert log.account_sid == fake_builds.account_sid
    assert log.service_sid == service.sid
    assert log.environment_sid == environment.sid
    assert (log.build_sid, log.deployment_sid, log.function_sid) == (None, None, None)
    assert log.request_sid.startswith("RQ")
    assert len(log.request_sid) == 34
    assert log.request_sid == added.request_sid
    assert (log.level, log.message) == ("warning", "hello ran")
    assert log.date_created == fake_builds.now()
    assert log.url == (
        f"{BASE}/v1/Services/{service.sid}/Environments/{environment.sid}/Logs/{log.sid}"
    )


def test_level_defaults_to_info_and_is_free_text(
    fake_builds: FakeBuilds, logs: Any, environment: Any
) -> None:
    fake_builds.add_log(environment, "plain")
    fake_builds.add_log(environment, "odd", level="verbose-ish")
    assert [(log.message, log.level) for log in logs.list()] == [
        ("odd", "verbose-ish"),
        ("plain", "info"),
    ]


def test_each_log_gets_a_fresh_request_sid(
    fake_builds: FakeBuilds, logs: Any, environment: Any
) -> None:
    for n in range(3):
        fake_builds.add_log(environment, f"line {n}")
    request_sids = [log.request_sid for log in logs.list()]
    assert len(set(request_sids)) == 3
    assert all(sid.startswith("RQ") and len(sid) == 34 for sid in request_sids)


def test_the_default_window_is_the_last_day_on_the_fake_clock(
    fake_builds: FakeBuilds, logs: Any, environment: Any
) -> None:
    added = fake_builds.add_log(environment, "hello ran")
    assert [log.sid for log in logs.list()] == [added.sid]
    fake_builds.advance(timedelta(days=2))
    assert logs.list() == []
    found = logs.list(start_date=fake_builds.now() - timedelta(days=3), end_date=fake_builds.now())
    assert [log.sid for log in found] == [added.sid]


def test_the_default_window_includes_both_bounds(
    fake_builds: FakeBuilds, logs: Any, environment: Any
) -> None:
    now = fake_builds.now()
    fake_builds.add_log(environment, "too old", date_created=now - timedelta(days=1, seconds=1))
    edge = fake_builds.add_log(environment, "a day old", date_created=now - timedelta(days=1))
    latest = fake_builds.add_log(environment, "now")
    assert [log.sid for log in logs.list()] == [latest.sid, edge.sid]
    fake_builds.advance(timedelta(microseconds=1))
    assert [log.sid for log in logs.list()] == [latest.sid]


def test_list_is_newest_first_and_per_environment(
    fake_builds: FakeBuilds, api: Any, environment: Any, stage: Any
) -> None:
    dev_logs = []
    for n in range(3):
        fake_builds.advance(1)
        dev_logs.append(fake_builds.add_log(environment, f"dev {n}"))
        fake_builds.add_log(stage, f"stage {n}")
    listed = api.environments(environment.sid).logs.list()
    assert [log.sid for log in listed] == [log.sid for log in dev_logs][::-1]
    assert {log.message for log in api.environments(stage.sid).logs.list()} == {
        "stage 0",
        "stage 1",
        "stage 2",
    }


def test_function_sid_filter(
    fake_builds: FakeBuilds, logs: Any, service: Any, environment: Any, list_url: str
) -> None:
    hello = fake_builds.create_function(service.sid, "hello")
    other = fake_builds.create_function(service.sid, "other")
    mine = []
    for n in range(2):
        mine.append(fake_builds.add_log(environment, f"hello {n}", function_sid=hello.sid))
        fake_builds.add_log(environment, f"other {n}", function_sid=other)
        fake_builds.add_log(environment, f"no function {n}")
    found = logs.list(function_sid=hello.sid)
    assert [log.sid for log in found] == [log.sid for log in mine][::-1]
    assert {log.function_sid for log in found} == {hello.sid}
    meta = last_body(fake_builds)["meta"]
    assert meta["url"] == f"{list_url}?FunctionSid={hello.sid}&PageSize=50&Page=0"
    assert meta["first_page_url"] == meta["url"]
    assert [log.function_sid for log in logs.list()].count(None) == 2


def test_dates_in_twilio_pythons_form(
    fake_builds: FakeBuilds, logs: Any, environment: Any, list_url: str
) -> None:
    lines = dated(fake_builds, environment, [timedelta(hours=h) for h in (30, 20, 10, 0)])
    now = fake_builds.now()
    start, end = now - timedelta(hours=20), now - timedelta(hours=10)
    found = logs.list(start_date=start, end_date=end)
    assert [log.sid for log in found] == [lines[2].sid, lines[1].sid]  # both bounds included
    sent = parse_qs(urlsplit(fake_builds.calls[-1].request.url).query)
    # now is 2026-01-01T12:00:00Z
    assert sent == {"StartDate": ["2025-12-31T16:00:00Z"], "EndDate": ["2026-01-01T02:00:00Z"]}
    meta = last_body(fake_builds)["meta"]
    assert meta["url"] == (
        f"{list_url}?StartDate=2025-12-31T16%3A00%3A00Z&EndDate=2026-01-01T02%3A00%3A00Z"
        "&PageSize=50&Page=0"
    )


def test_dates_in_the_node_toolkits_millisecond_form(
    fake_builds: FakeBuilds, service: Any, environment: Any, list_url: str
) -> None:
    fake_builds.advance(timedelta(days=3))  # now 2026-01-04T12:00:00Z
    start_of_year = datetime(2026, 1, 1, tzinfo=timezone.utc)
    inside = fake_builds.add_log(environment, "inside", date_created=start_of_year)
    fake_builds.add_log(environment, "before", date_created=start_of_year - timedelta(seconds=1))
    fake_builds.add_log(environment, "after", date_created=start_of_year + timedelta(days=1))
    # As urlWithFilters of @twilio-labs/serverless-api writes it: PageSize first,
    # dates from Date.toISOString(), nothing percent-encoded.
    path = (
        f"/v1/Services/{service.sid}/Environments/{environment.sid}/Logs?PageSize=50"
        "&StartDate=2026-01-01T00:00:00.000Z&EndDate=2026-01-01T12:00:00.000Z"
    )
    answer = raw(fake_builds, "GET", path)
    assert answer.status_code == 200
    body = answer.json()
    assert [log["sid"] for log in body["logs"]] == [inside.sid]
    assert body["meta"]["url"] == (
        f"{list_url}?StartDate=2026-01-01T00%3A00%3A00.000Z"
        "&EndDate=2026-01-01T12%3A00%3A00.000Z&PageSize=50&Page=0"
    )


def test_start_date_alone_ends_now_and_end_date_alone_starts_a_day_ago(
    fake_builds: FakeBuilds, logs: Any, environment: Any
) -> None:
    lines = dated(fake_builds, environment, [timedelta(hours=h) for h in (50, 30, 1)])
    now = fake_builds.now()
    since = logs.list(start_date=now - timedelta(hours=40))
    assert [log.sid for log in since] == [lines[2].sid, lines[1].sid]
    until = logs.list(end_date=now - timedelta(minutes=30))
    assert [log.sid for log in until] == [lines[2].sid]


def test_filters_combine(
    fake_builds: FakeBuilds, logs: Any, service: Any, environment: Any
) -> None:
    hello = fake_builds.create_function(service.sid, "hello")
    old = fake_builds.add_log(
        environment, "old", function_sid=hello, date_created=fake_builds.now() - timedelta(days=5)
    )
    fake_builds.add_log(
        environment, "old other", date_created=fake_builds.now() - timedelta(days=5)
    )
    fake_builds.add_log(environment, "new", function_sid=hello)
    found = logs.list(
        function_sid=hello.sid,
        start_date=fake_builds.now() - timedelta(days=6),
        end_date=fake_builds.now() - timedelta(days=4),
    )
    assert [log.sid for log in found] == [old.sid]


# Paging ---------------------------------------------------------------------------------


def test_every_page_carries_the_filters_in_order(
    fake_builds: FakeBuilds, logs: Any, service: Any, environment: Any, list_url: str
) -> None:
    hello = fake_builds.create_function(service.sid, "hello")
    # All older than the default window: a page that lost the filters would be empty.
    lines = dated(
        fake_builds,
        environment,
        [timedelta(days=3, minutes=m) for m in range(5)],
        function_sid=hello.sid,
    )
    fake_builds.add_log(environment, "no function", date_created=lines[0].date_created)
    start = fake_builds.now() - timedelta(days=4)
    end = fake_builds.now() - timedelta(days=2)
    before = len(fake_builds.calls)

    found = logs.list(function_sid=hello.sid, start_date=start, end_date=end, page_size=2)

    assert [log.sid for log in found] == [log.sid for log in lines][::-1]
    calls = fake_builds.calls[before:]
    assert len(calls) == 3
    # 2026-01-01T12:00:00Z minus four and two days, as twilio-python formats them.
    filters = (
        f"StartDate={encoded('2025-12-28T12:00:00Z')}&EndDate={encoded('2025-12-30T12:00:00Z')}"
        f"&FunctionSid={hello.sid}"
    )
    metas = [json.loads(call.response.body)["meta"] for call in calls]
    for number, (call, meta) in enumerate(zip(calls, metas, strict=True)):
        assert meta["page"] == number
        assert meta["first_page_url"] == f"{list_url}?{filters}&PageSize=2&Page=0"
        assert meta["url"].startswith(f"{list_url}?{filters}&PageSize=2&Page={number}")
        for link in ("next_page_url", "previous_page_url"):
            if meta[link] is not None:
                assert meta[link].startswith(f"{list_url}?{filters}&PageSize=2&Page=")
                assert "&PageToken=PT" in meta[link]
        if number:
            # twilio-python followed next_page_url verbatim.
            assert call.request.url == metas[number - 1]["next_page_url"]
            assert meta["url"] == call.request.url
    assert metas[0]["previous_page_url"] is None
    assert metas[1]["previous_page_url"] is not None
    assert metas[1]["next_page_url"] is not None
    assert metas[2]["next_page_url"] is None


def test_filters_are_reordered_in_meta_whatever_order_they_came_in(
    fake_builds: FakeBuilds, service: Any, environment: Any, list_url: str
) -> None:
    hello = fake_builds.create_function(service.sid, "hello")
    for n in range(2):
        fake_builds.add_log(environment, f"line {n}", function_sid=hello)
    path = f"/v1/Services/{service.sid}/Environments/{environment.sid}/Logs"
    answer = raw(
        fake_builds,
        "GET",
        path,
        params={
            "PageSize": "1",
            "FunctionSid": hello.sid,
            "EndDate": "2026-01-01T12:00:00Z",
            "StartDate": "2026-01-01T00:00:00Z",
        },
    )
    assert answer.status_code == 200
    meta = answer.json()["meta"]
    filters = (
        "StartDate=2026-01-01T00%3A00%3A00Z&EndDate=2026-01-01T12%3A00%3A00Z"
        f"&FunctionSid={hello.sid}"
    )
    assert meta["url"] == f"{list_url}?{filters}&PageSize=1&Page=0"
    assert meta["next_page_url"].startswith(f"{list_url}?{filters}&PageSize=1&Page=1&PageToken=")
    second = raw(fake_builds, "GET", meta["next_page_url"][len(BASE) :]).json()
    assert second["meta"]["previous_page_url"].startswith(
        f"{list_url}?{filters}&PageSize=1&Page=0&PageToken="
    )
    assert second["meta"]["next_page_url"] is None


def test_no_filters_no_filter_parameters_in_meta(
    fake_builds: FakeBuilds, logs: Any, environment: Any, list_url: str
) -> None:
    for n in range(3):
        fake_builds.add_log(environment, f"line {n}")
    page = logs.page(page_size=2)
    meta = page._payload["meta"]
    assert meta["url"] == f"{list_url}?PageSize=2&Page=0"
    assert meta["next_page_url"].startswith(f"{list_url}?PageSize=2&Page=1&PageToken=PT")
    second = page.next_page()
    assert [log.message for log in second] == ["line 0"]
    back = second.previous_page()
    assert [log.sid for log in back] == [log.sid for log in page]


def test_empty_list(fake_builds: FakeBuilds, list_url: str) -> None:
    answer = raw(fake_builds, "GET", list_url[len(BASE) :])
    assert answer.json() == {
        "logs": [],
        "meta": {
            "first_page_url": f"{list_url}?PageSize=50&Page=0",
            "key": "logs",
            "next_page_url": None,
            "page": 0,
            "page_size": 50,
            "previous_page_url": None,
            "url": f"{list_url}?PageSize=50&Page=0",
        },
    }


# Invalid filters --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("FunctionSid", "nope", "Invalid FunctionSid: 'nope' is not a valid Function SID"),
        ("FunctionSid", "ZH123", "Invalid FunctionSid: 'ZH123' is not a valid Function SID"),
        (
            "FunctionSid",
            UNKNOWN_ENVIRONMENT,
            f"Invalid FunctionSid: '{UNKNOWN_ENVIRONMENT}' is not a valid Function SID",
        ),
        ("StartDate", "yesterday", "Invalid StartDate: 'yesterday' is not an ISO 8601 date-time"),
        (
            "StartDate",
            "2026-13-01T00:00:00Z",
            "Invalid StartDate: '2026-13-01T00:00:00Z' is not an ISO 8601 date-time",
        ),
        (
            "EndDate",
            "2026-01-01T25:00:00.000Z",
            "Invalid EndDate: '2026-01-01T25:00:00.000Z' is not an ISO 8601 date-time",
        ),
        ("EndDate", "1767268800", "Invalid EndDate: '1767268800' is not an ISO 8601 date-time"),
        ("StartDate", "it's", "Invalid StartDate: 'it's' is not an ISO 8601 date-time"),
    ],
)
def test_invalid_filters_are_400(
    fake_builds: FakeBuilds, service: Any, environment: Any, name: str, value: str, message: str
) -> None:
    fake_builds.add_log(environment, "hello ran")
    before = state_of(fake_builds)
    answer = raw(
        fake_builds,
        "GET",
        f"/v1/Services/{service.sid}/Environments/{environment.sid}/Logs",
        params={name: value},
    )
    assert error_of(answer) == (400, 20001, message)
    assert state_of(fake_builds) == before


def test_invalid_filter_through_the_client(logs: Any) -> None:
    with pytest.raises(TwilioException) as bad_sid:
        logs.list(function_sid="nope")
    assert page_refused(bad_sid.value) == (
        400,
        20001,
        "Invalid FunctionSid: 'nope' is not a valid Function SID",
    )
    with pytest.raises(TwilioException) as bad_date:
        logs.list(start_date="last tuesday")
    assert page_refused(bad_date.value) == (
        400,
        20001,
        "Invalid StartDate: 'last tuesday' is not an ISO 8601 date-time",
    )


def test_list_of_an_unknown_environment_is_404(fake_builds: FakeBuilds, service: Any) -> None:
    path = f"/v1/Services/{service.sid}/Environments/{UNKNOWN_ENVIRONMENT}/Logs"
    assert error_of(raw(fake_builds, "GET", path)) == (
        404,
        20404,
        f"The requested resource {path[3:]} was not found",
    )


def test_a_unique_name_in_the_path_is_404(fake_builds: FakeBuilds, environment: Any) -> None:
    fake_builds.add_log(environment, "hello ran")
    path = f"/v1/Services/my-app/Environments/{environment.sid}/Logs"
    assert error_of(raw(fake_builds, "GET", path)) == (
        404,
        20404,
        f"The requested resource {path[3:]} was not found",
    )


# Fetch --------------------------------------------------------------------------------------


def test_fetch_a_log_even_outside_the_default_window(
    fake_builds: FakeBuilds, logs: Any, environment: Any
) -> None:
    added = fake_builds.add_log(environment, "hello ran")
    logs.list()
    listed_body = last_body(fake_builds)["logs"][0]
    fake_builds.advance(timedelta(days=10))
    assert logs.list() == []
    answer = logs(added.sid).fetch()
    assert fake_builds.calls[-1].response.status == 200
    assert last_body(fake_builds) == listed_body
    assert (answer.sid, answer.message, answer.request_sid) == (
        added.sid,
        "hello ran",
        added.request_sid,
    )


def test_fetch_through_another_environment_is_404(
    fake_builds: FakeBuilds, api: Any, service: Any, environment: Any, stage: Any
) -> None:
    added = fake_builds.add_log(environment, "hello ran")
    with pytest.raises(TwilioRestException) as raised:
        api.environments(stage.sid).logs(added.sid).fetch()
    assert refused(raised.value) == (
        404,
        20404,
        f"Unable to fetch record: The requested resource /Services/{service.sid}"
        f"/Environments/{stage.sid}/Logs/{added.sid} was not found",
    )


@pytest.mark.parametrize("sid", [UNKNOWN_LOG, "nonsense"])
def test_fetch_of_an_unknown_log_is_404(
    logs: Any, service: Any, environment: Any, sid: str
) -> None:
    with pytest.raises(TwilioRestException) as raised:
        logs(sid).fetch()
    assert refused(raised.value) == (
        404,
        20404,
        f"Unable to fetch record: The requested resource /Services/{service.sid}"
        f"/Environments/{environment.sid}/Logs/{sid} was not found",
    )


# What a log records of its environment --------------------------------------------------------


def test_build_and_deployment_follow_the_environment_when_the_log_was_added(
    fake_builds: FakeBuilds, logs: Any, service: Any, hello: Any, environment: Any, stage: Any
) -> None:
    first_build = completed_build(fake_builds, service.sid, hello)
    second_build = completed_build(fake_builds, service.sid, hello)

    before_any = fake_builds.add_log(environment, "before any deployment")
    first = fake_builds.deploy(environment, first_build)
    fake_builds.deploy(stage, second_build)  # another environment's deployment
    on_first = fake_builds.add_log(environment, "on the first build")
    second = fake_builds.deploy(environment, second_build)
    on_second = fake_builds.add_log(environment, "on the second build")
    down = fake_builds.deploy(environment)
    after_down = fake_builds.add_log(environment, "after the build went down")

    served = {log.sid: (log.build_sid, log.deployment_sid) for log in logs.list()}
    assert served == {
        before_any.sid: (None, None),
        on_first.sid: (first_build.sid, first.sid),
        on_second.sid: (second_build.sid, second.sid),
        after_down.sid: (None, down.sid),
    }
    assert logs(on_first.sid).fetch().deployment_sid == first.sid


def test_a_deployment_through_the_api_is_what_later_logs_record(
    fake_builds: FakeBuilds, api: Any, service: Any, hello: Any, environment: Any
) -> None:
    build = completed_build(fake_builds, service.sid, hello)
    deployment = api.environments(environment.sid).deployments.create(build_sid=build.sid)
    added = fake_builds.add_log(environment, "hello ran")
    served = api.environments(environment.sid).logs(added.sid).fetch()
    assert (served.build_sid, served.deployment_sid) == (build.sid, deployment.sid)


# add_log() ------------------------------------------------------------------------------------


def test_add_log_accepts_records_text_dates_and_naive_utc(
    fake_builds: FakeBuilds, logs: Any, service: Any, environment: Any
) -> None:
    hello = fake_builds.create_function(service.sid, "hello")
    by_record = fake_builds.add_log(environment, "record", function_sid=hello)
    by_text = fake_builds.add_log(environment.sid, "text", date_created="2026-01-01T11:00:00Z")
    naive = fake_builds.add_log(environment, "naive", date_created=datetime(2026, 1, 1, 10, 0, 0))
    at_now = fake_builds.add_log(environment, "now", date_created=fake_builds.now())
    served = {log.sid: log for log in logs.list()}
    assert served[by_record.sid].function_sid == hello.sid
    assert served[by_text.sid].date_created == datetime(2026, 1, 1, 11, tzinfo=timezone.utc)
    assert served[naive.sid].date_created == datetime(2026, 1, 1, 10, tzinfo=timezone.utc)
    assert served[at_now.sid].date_created == fake_builds.now()


def world(fake: FakeBuilds) -> dict[str, str]:
    """The same records, with the same SIDs, in any fake of the same seed."""
    service = fake.create_service(unique_name="my-app")
    other = fake.create_service(unique_name="other-app")
    dev = fake.create_environment(service.sid, domain_suffix="dev")
    hello = fake.create_function(service.sid, "hello")
    asset = fake.create_asset(service.sid, "logo")
    foreign = fake.create_function(other.sid, "hello")
    fake.add_log(dev, "hello ran", function_sid=hello)
    return {
        "dev": dev.sid,
        "hello": hello.sid,
        "asset": asset.sid,
        "foreign": foreign.sid,
    }


@pytest.mark.parametrize(
    ("environment", "function", "later", "error"),
    [
        ("{dev}", UNKNOWN_ZH, timedelta(0), NotFoundError),
        ("{dev}", "{asset}", timedelta(0), NotFoundError),
        ("{dev}", "{foreign}", timedelta(0), NotFoundError),
        (UNKNOWN_ENVIRONMENT, None, timedelta(0), NotFoundError),
        ("{dev}", None, timedelta(microseconds=1), ValueError),
        ("{dev}", "{hello}", timedelta(days=1), ValueError),
    ],
    ids=[
        "unknown-function",
        "an-asset",
        "another-services-function",
        "unknown-environment",
        "a-microsecond-ahead",
        "a-day-ahead",
    ],
)
def test_add_log_refusals_leave_no_trace(
    fake_builds: FakeBuilds,
    environment: str,
    function: str | None,
    later: timedelta,
    error: type[Exception],
) -> None:
    # Not the conftest fixtures: a twin must be able to build the same world.
    names = world(fake_builds)
    before = state_of(fake_builds)
    with pytest.raises(error):
        fake_builds.add_log(
            environment.format(**names),
            "refused",
            function_sid=None if function is None else function.format(**names),
            date_created=fake_builds.now() + later if later else None,
        )
    if error is NotFoundError:
        with pytest.raises(LookupError):
            fake_builds.add_log(
                environment.format(**names),
                "refused",
                function_sid=None if function is None else function.format(**names),
            )
    assert state_of(fake_builds) == before
    assert_same_next_sid(
        fake_builds, world, names, lambda fake: fake.add_log(names["dev"], "next").sid
    )


@pytest.mark.parametrize("value", ["9999-12-31T23:59:59-01:00", "0001-01-01T00:00:00+01:00"])
@pytest.mark.parametrize("name", ["StartDate", "EndDate"])
def test_an_instant_out_of_range_is_400_not_a_crash(
    fake_builds: FakeBuilds, service: Any, environment: Any, name: str, value: str
) -> None:
    answer = raw(
        fake_builds,
        "GET",
        f"/v1/Services/{service.sid}/Environments/{environment.sid}/Logs",
        params={name: value},
    )
    assert error_of(answer) == (
        400,
        20001,
        f"Invalid {name}: '{value}' is not an ISO 8601 date-time",
    )


@pytest.mark.parametrize(
    "query",
    [{"FunctionSid": "nope"}, {"StartDate": "yesterday"}, {"PageSize": "0"}],
    ids=["bad-function-sid", "bad-start-date", "bad-page-size"],
)
def test_an_unknown_environment_is_404_whatever_the_filters(
    fake_builds: FakeBuilds, service: Any, query: dict[str, str]
) -> None:
    path = f"/v1/Services/{service.sid}/Environments/{UNKNOWN_ENVIRONMENT}/Logs"
    assert error_of(raw(fake_builds, "GET", path, params=query)) == (
        404,
        20404,
        f"The requested resource {path[3:]} was not found",
    )
