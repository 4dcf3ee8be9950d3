"""How builds end, as a test arranges it and as a twilio user then sees it.

``fail_next_build``/``hang_next_build`` (the queue), ``fail_builds(when=...)``
rules, ``set_build_outcome`` on one building build, and ``progress_builds``
(after a duration on the fake's clock, or after a number of status reads; per
service and as the default). What a user sees goes through the real twilio
client: the Build and its Status, polled as users poll them. The reason a
build failed is the fake's own knowledge (``failure_reason``): Twilio's wire
form has no field for it, so no answer may carry it.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from twilio.base.exceptions import TwilioRestException

from pytest_fakebuilds import Build, FakeBuilds, NotFoundError
from pytest_fakebuilds.serverless import builds as builds_module

# The fields of a Build and of a Build Status in Twilio's spec, in its order.
BUILD_FIELDS = [
    "sid",
    "account_sid",
    "service_sid",
    "status",
    "asset_versions",
    "function_versions",
    "dependencies",
    "runtime",
    "date_created",
    "date_updated",
    "url",
    "links",
]
STATUS_FIELDS = ["sid", "account_sid", "service_sid", "status", "url"]
TERMINAL = ("completed", "failed")
YEAR = timedelta(days=365)


class GaveUp(Exception):
    """What the poll loop below raises when it runs out of attempts."""


def wait_for_build(builds: Any, sid: str, *, attempts: int = 30, delay: float = 1.0) -> str:
    """A poll loop as deploy scripts write it (terraform's, in Python): read the
    Status every ``delay`` seconds, at most ``attempts`` times."""
    for _ in range(attempts):
        status: str = builds(sid).build_status().fetch().status
        if status in TERMINAL:
            return status
        time.sleep(delay)  # inside a started fake: moves the fake's clock
    raise GaveUp("Reached max polling attempts without a completed build")


def body_of(fake: FakeBuilds, operation: str, sid: str) -> dict[str, Any]:
    """The JSON the fake served last for ``operation`` on ``sid``."""
    call = fake.calls.filter(operation=operation, sid=sid).last
    assert call is not None
    body: dict[str, Any] = json.loads(call.response.body)
    return body


def served_text(fake: FakeBuilds) -> str:
    """Every body the fake served, as one text."""
    return "\n".join(call.response.body.decode() for call in fake.calls)


def status_of(builds: Any, sid: str) -> str:
    status: str = builds(sid).build_status().fetch().status
    return status


# fail_next_build -------------------------------------------------------------------


def test_fail_next_build_with_a_count_and_a_reason(
    fake_builds: FakeBuilds, builds: Any, hello: Any
) -> None:
    fake_builds.fail_next_build(2, reason="npm ERR! 404 left-pad")
    made = [builds.create(function_versions=[hello.sid]) for _ in range(3)]
    fake_builds.advance(fake_builds.build_duration)
    assert [builds(b.sid).fetch().status for b in made] == ["failed", "failed", "completed"]
    assert [status_of(builds, b.sid) for b in made] == ["failed", "failed", "completed"]
    assert [fake_builds.failure_reason(b.sid) for b in made] == [
        "npm ERR! 404 left-pad",
        "npm ERR! 404 left-pad",
        None,
    ]


def test_a_failed_build_on_the_wire_is_exactly_twilios(
    fake_builds: FakeBuilds, builds: Any, hello: Any
) -> None:
    """No failure-reason field, and the reason appears in no answer at all."""
    reason = "pytest-fakebuilds-test-reason-4f2a"
    fake_builds.fail_next_build(reason=reason)
    build = builds.create(function_versions=[hello.sid])
    fake_builds.advance(fake_builds.build_duration)
    assert builds(build.sid).fetch().status == "failed"
    assert list(body_of(fake_builds, "fetch_build", build.sid)) == BUILD_FIELDS
    assert status_of(builds, build.sid) == "failed"
    assert list(body_of(fake_builds, "fetch_build_status", build.sid)) == STATUS_FIELDS
    assert [b.status for b in builds.list()] == ["failed"]
    listed = fake_builds.calls.filter(operation="list_build").last
    assert listed is not None
    assert list(json.loads(listed.response.body)["builds"][0]) == BUILD_FIELDS
    assert reason not in served_text(fake_builds)
    assert fake_builds.failure_reason(build.sid) == reason


def test_fail_next_build_without_a_reason_still_gives_one(
    fake_builds: FakeBuilds, builds: Any, hello: Any
) -> None:
    fake_builds.fail_next_build()
    build = builds.create(function_versions=[hello.sid])
    fake_builds.advance(fake_builds.build_duration)
    assert status_of(builds, build.sid) == "failed"
    reason = fake_builds.failure_reason(build.sid)
    assert isinstance(reason, str)
    assert reason.strip()


def test_failure_reason_of_a_completed_build_is_none(
    fake_builds: FakeBuilds, builds: Any, hello: Any
) -> None:
    build = builds.create(function_versions=[hello.sid])
    fake_builds.advance(fake_builds.build_duration)
    assert status_of(builds, build.sid) == "completed"
    assert fake_builds.failure_reason(build.sid) is None


def test_failure_reason_of_an_unknown_build_is_not_found(
    fake_builds: FakeBuilds, builds: Any, hello: Any
) -> None:
    build = builds.create(function_versions=[hello.sid])
    builds(build.sid).delete()
    for sid in (build.sid, "ZB" + "0" * 32, "not-a-sid"):
        with pytest.raises(NotFoundError):
            fake_builds.failure_reason(sid)


@pytest.mark.parametrize("count", [0, -1, True, 1.5])
def test_fail_next_build_refuses_a_count_below_one(fake_builds: FakeBuilds, count: Any) -> None:
    with pytest.raises(ValueError, match="count"):
        fake_builds.fail_next_build(count)
    with pytest.raises(ValueError, match="count"):
        fake_builds.hang_next_build(count)


# hang_next_build -------------------------------------------------------------------


def test_a_hanging_build_builds_for_ever(fake_builds: FakeBuilds, builds: Any, hello: Any) -> None:
    fake_builds.hang_next_build()
    hung = builds.create(function_versions=[hello.sid])
    fine = builds.create(function_versions=[hello.sid])
    fake_builds.advance(YEAR)
    fetched = builds(hung.sid).fetch()
    assert fetched.status == "building"
    assert fetched.date_updated == fetched.date_created == hung.date_created
    assert status_of(builds, hung.sid) == "building"
    assert {b.sid: b.status for b in builds.list()} == {hung.sid: "building", fine.sid: "completed"}
    assert fake_builds.failure_reason(hung.sid) is None


def test_hang_next_build_count(fake_builds: FakeBuilds, builds: Any, hello: Any) -> None:
    fake_builds.hang_next_build(2)
    made = [builds.create(function_versions=[hello.sid]) for _ in range(3)]
    fake_builds.advance(YEAR)
    assert [status_of(builds, b.sid) for b in made] == ["building", "building", "completed"]


def test_a_poll_loop_with_a_limit_gives_up_on_a_hanging_build(
    fake_builds: FakeBuilds, builds: Any, hello: Any
) -> None:
    fake_builds.hang_next_build()
    build = builds.create(function_versions=[hello.sid])
    started = fake_builds.now()
    with pytest.raises(GaveUp):
        wait_for_build(builds, build.sid, attempts=30)
    fake_builds.assert_called("fetch_build_status", times=30)
    fake_builds.assert_polled(build.sid, every=1.0)
    assert fake_builds.now() - started == timedelta(seconds=30)
    # The same loop sees an ordinary build through.
    fine = builds.create(function_versions=[hello.sid])
    assert wait_for_build(builds, fine.sid) == "completed"


# fail_builds rules -----------------------------------------------------------------


def test_a_rule_over_the_service(fake_builds: FakeBuilds, builds: Any, hello: Any) -> None:
    other = fake_builds.create_service(unique_name="other")
    theirs = fake_builds.create_function_version(other.sid, "/theirs")
    their_builds = fake_builds.client().serverless.v1.services(other.sid).builds
    fake_builds.fail_builds(lambda b: b.service_sid == other.sid, reason="other is broken")
    mine = builds.create(function_versions=[hello.sid])
    their = their_builds.create(function_versions=[theirs.sid])
    fake_builds.advance(fake_builds.build_duration)
    assert status_of(builds, mine.sid) == "completed"
    assert status_of(their_builds, their.sid) == "failed"
    assert fake_builds.failure_reason(their.sid) == "other is broken"


def test_a_rule_over_the_runtime(fake_builds: FakeBuilds, builds: Any, hello: Any) -> None:
    fake_builds.fail_builds(lambda b: b.runtime == "node20", reason="node20 packager down")
    on_20 = builds.create(function_versions=[hello.sid], runtime="node20")
    on_22 = builds.create(function_versions=[hello.sid], runtime="node22")
    defaulted = builds.create(function_versions=[hello.sid])  # node22: nothing completed yet
    fake_builds.advance(fake_builds.build_duration)
    assert [status_of(builds, b.sid) for b in (on_20, on_22, defaulted)] == [
        "failed",
        "completed",
        "completed",
    ]
    assert fake_builds.failure_reason(on_20.sid) == "node20 packager down"


def test_a_rule_sees_dependencies_as_name_version_tuples_with_the_defaults(
    fake_builds: FakeBuilds, builds: Any, hello: Any
) -> None:
    seen: list[tuple[tuple[str, str], ...]] = []

    def uses_twilio_5(build: Build) -> bool:
        seen.append(tuple(build.dependencies))
        return ("twilio", "5.7.0") in build.dependencies

    fake_builds.fail_builds(uses_twilio_5, reason="twilio 5.7.0 is yanked")
    bare = builds.create(function_versions=[hello.sid])  # the defaults name twilio 5.7.0
    pinned = builds.create(
        function_versions=[hello.sid],
        dependencies=json.dumps([{"name": "twilio", "version": "4.23.0"}]),
    )
    fake_builds.advance(fake_builds.build_duration)
    assert seen == [
        (("twilio", "5.7.0"), ("@twilio/runtime-handler", "2.1.2")),
        (("twilio", "4.23.0"), ("@twilio/runtime-handler", "2.1.2")),
    ]
    assert status_of(builds, bare.sid) == "failed"
    assert status_of(builds, pinned.sid) == "completed"
    assert fake_builds.failure_reason(bare.sid) == "twilio 5.7.0 is yanked"


def test_a_rule_over_the_function_and_asset_versions(
    fake_builds: FakeBuilds, builds: Any, service: Any, hello: Any
) -> None:
    logo = fake_builds.create_asset_version(service.sid, "/logo.png")
    private = fake_builds.create_function_version(service.sid, "/secret", visibility="private")
    fake_builds.fail_builds(lambda b: any(v.path == "/logo.png" for v in b.asset_versions), "asset")
    fake_builds.fail_builds(
        lambda b: any(v.visibility == "private" for v in b.function_versions), "private"
    )
    plain = builds.create(function_versions=[hello.sid])
    with_logo = builds.create(function_versions=[hello.sid], asset_versions=[logo.sid])
    with_private = builds.create(function_versions=[hello.sid, private.sid])
    fake_builds.advance(fake_builds.build_duration)
    assert [status_of(builds, b.sid) for b in (plain, with_logo, with_private)] == [
        "completed",
        "failed",
        "failed",
    ]
    assert fake_builds.failure_reason(with_logo.sid) == "asset"
    assert fake_builds.failure_reason(with_private.sid) == "private"


def test_a_rule_gets_the_build_about_to_be_stored(
    fake_builds: FakeBuilds, builds: Any, service: Any, hello: Any
) -> None:
    got: list[Build] = []
    fake_builds.fail_builds(lambda b: got.append(b) is not None)  # records, never matches
    made = builds.create(function_versions=[hello.sid], runtime="node20")
    (build,) = got
    assert (build.sid, build.service_sid, build.runtime) == (made.sid, service.sid, "node20")
    assert [v.sid for v in build.function_versions] == [hello.sid]
    assert build.asset_versions == ()
    fake_builds.advance(fake_builds.build_duration)
    assert status_of(builds, made.sid) == "completed"


def test_rule_remove_ends_it(fake_builds: FakeBuilds, builds: Any, hello: Any) -> None:
    rule = fake_builds.fail_builds(lambda b: True, reason="everything fails")
    before = builds.create(function_versions=[hello.sid])
    rule.remove()
    after = builds.create(function_versions=[hello.sid])
    rule.remove()  # twice is harmless
    fake_builds.advance(fake_builds.build_duration)
    assert status_of(builds, before.sid) == "failed"
    assert status_of(builds, after.sid) == "completed"
    assert fake_builds.failure_reason(before.sid) == "everything fails"


def test_rules_apply_in_the_order_they_were_made(
    fake_builds: FakeBuilds, builds: Any, hello: Any
) -> None:
    asked: list[str] = []

    def rule(name: str, matches: bool) -> Any:
        def when(build: Build) -> bool:
            asked.append(name)
            return matches

        return when

    fake_builds.fail_builds(rule("first", False), reason="first")
    second = fake_builds.fail_builds(rule("second", True), reason="second")
    fake_builds.fail_builds(rule("third", True), reason="third")
    one = builds.create(function_versions=[hello.sid])
    assert asked == ["first", "second"]  # the first rule that matches decides; no more asked
    second.remove()
    two = builds.create(function_versions=[hello.sid])
    fake_builds.advance(fake_builds.build_duration)
    assert fake_builds.failure_reason(one.sid) == "second"
    assert fake_builds.failure_reason(two.sid) == "third"


def test_a_rule_without_a_reason_still_gives_one(
    fake_builds: FakeBuilds, builds: Any, hello: Any
) -> None:
    fake_builds.fail_builds(lambda b: True)
    build = builds.create(function_versions=[hello.sid])
    fake_builds.advance(fake_builds.build_duration)
    assert status_of(builds, build.sid) == "failed"
    reason = fake_builds.failure_reason(build.sid)
    assert isinstance(reason, str)
    assert reason.strip()


def test_fail_builds_needs_a_callable(fake_builds: FakeBuilds) -> None:
    with pytest.raises(TypeError):
        fake_builds.fail_builds("node20")  # type: ignore[arg-type]


def test_the_queue_wins_over_rules(fake_builds: FakeBuilds, builds: Any, hello: Any) -> None:
    asked: list[str] = []

    def when(build: Build) -> bool:
        asked.append(build.sid)
        return True

    fake_builds.fail_builds(when, reason="the rule")
    fake_builds.fail_next_build(reason="the queue")
    fake_builds.hang_next_build()
    queued_fail = builds.create(function_versions=[hello.sid])
    queued_hang = builds.create(function_versions=[hello.sid])
    ruled = builds.create(function_versions=[hello.sid])
    fake_builds.advance(YEAR)
    assert [status_of(builds, b.sid) for b in (queued_fail, queued_hang, ruled)] == [
        "failed",
        "building",
        "failed",
    ]
    assert fake_builds.failure_reason(queued_fail.sid) == "the queue"
    assert fake_builds.failure_reason(ruled.sid) == "the rule"
    assert asked == [ruled.sid]  # rules are not even asked about queued builds


def test_rules_win_over_the_runtime_rules(fake_builds: FakeBuilds, builds: Any, hello: Any) -> None:
    fake_builds.fail_builds(lambda b: b.runtime == "node16", reason="the rule")
    build = builds.create(function_versions=[hello.sid], runtime="node16")
    fake_builds.advance(fake_builds.build_duration)
    assert status_of(builds, build.sid) == "failed"
    assert fake_builds.failure_reason(build.sid) == "the rule"


def test_a_refused_create_asks_no_rule(fake_builds: FakeBuilds, builds: Any, hello: Any) -> None:
    asked: list[Build] = []
    fake_builds.fail_builds(lambda b: asked.append(b) is None)
    with pytest.raises(TwilioRestException) as caught:
        builds.create(function_versions=[hello.sid], runtime="node99")
    assert (caught.value.status, caught.value.code) == (400, 82007)
    assert asked == []


# set_build_outcome ------------------------------------------------------------------


def test_set_build_outcome_fails_a_building_build(
    fake_builds: FakeBuilds, builds: Any, hello: Any
) -> None:
    build = builds.create(function_versions=[hello.sid])
    fake_builds.set_build_outcome(build.sid, "failed", reason="health check timed out")
    assert status_of(builds, build.sid) == "building"  # still ends when it would have
    fake_builds.advance(fake_builds.build_duration)
    assert status_of(builds, build.sid) == "failed"
    fetched = builds(build.sid).fetch()
    assert fetched.date_updated == build.date_created + fake_builds.build_duration
    assert fake_builds.failure_reason(build.sid) == "health check timed out"


def test_set_build_outcome_rescues_a_failing_build(
    fake_builds: FakeBuilds, builds: Any, hello: Any
) -> None:
    fake_builds.fail_next_build(reason="doomed")
    build = builds.create(function_versions=[hello.sid])
    fake_builds.set_build_outcome(build.sid, "completed")
    fake_builds.advance(fake_builds.build_duration)
    assert status_of(builds, build.sid) == "completed"
    assert fake_builds.failure_reason(build.sid) is None
    # A completed build counts as the one to inherit a runtime from.
    node20 = builds.create(function_versions=[hello.sid], runtime="node20")
    fake_builds.set_build_outcome(node20.sid, "completed", after=0)
    assert builds.create(function_versions=[hello.sid]).runtime == "node20"


def test_set_build_outcome_failed_without_a_reason_still_gives_one(
    fake_builds: FakeBuilds, builds: Any, hello: Any
) -> None:
    """As ``fail_next_build()`` and a ``fail_builds`` rule without a reason do: None is
    what ``failure_reason`` answers for a build that did not fail."""
    build = builds.create(function_versions=[hello.sid])
    fake_builds.set_build_outcome(build.sid, "failed")
    fake_builds.advance(fake_builds.build_duration)
    assert status_of(builds, build.sid) == "failed"
    reason = fake_builds.failure_reason(build.sid)
    assert isinstance(reason, str)
    assert reason.strip()


def test_set_build_outcome_after_a_duration(
    fake_builds: FakeBuilds, builds: Any, hello: Any
) -> None:
    build = builds.create(function_versions=[hello.sid])
    fake_builds.advance(3)
    fake_builds.set_build_outcome(build.sid, after=timedelta(minutes=2))
    fake_builds.advance(fake_builds.build_duration)  # past when it would have ended
    assert status_of(builds, build.sid) == "building"
    fake_builds.advance(timedelta(minutes=2) - fake_builds.build_duration - timedelta(seconds=1))
    assert status_of(builds, build.sid) == "building"
    fake_builds.advance(1)
    assert status_of(builds, build.sid) == "completed"
    fetched = builds(build.sid).fetch()
    assert fetched.date_updated == build.date_created + timedelta(seconds=3, minutes=2)


def test_set_build_outcome_after_seconds_as_a_float(
    fake_builds: FakeBuilds, builds: Any, hello: Any
) -> None:
    build = builds.create(function_versions=[hello.sid])
    fake_builds.set_build_outcome(build.sid, "failed", reason="late", after=1.5)
    fake_builds.advance(1)
    assert status_of(builds, build.sid) == "building"
    fake_builds.advance(0.5)
    assert status_of(builds, build.sid) == "failed"


def test_set_build_outcome_after_reads(fake_builds: FakeBuilds, builds: Any, hello: Any) -> None:
    build = builds.create(function_versions=[hello.sid])
    fake_builds.set_build_outcome(build.sid, "failed", reason="third time", after_reads=2)
    fake_builds.advance(YEAR)  # time alone no longer ends it
    assert status_of(builds, build.sid) == "building"
    fake_builds.advance(5)
    assert builds(build.sid).fetch().status == "building"
    fake_builds.advance(5)
    final = builds(build.sid).fetch()
    assert final.status == "failed"
    assert final.date_updated == fake_builds.now()
    assert fake_builds.failure_reason(build.sid) == "third time"


def test_set_build_outcome_hangs_a_build(fake_builds: FakeBuilds, builds: Any, hello: Any) -> None:
    build = builds.create(function_versions=[hello.sid])
    fake_builds.set_build_outcome(build.sid, hang=True)
    fake_builds.advance(YEAR)
    fetched = builds(build.sid).fetch()
    assert fetched.status == "building"
    assert fetched.date_updated == fetched.date_created
    # ... and lets it go again.
    fake_builds.set_build_outcome(build.sid, after=0)
    assert status_of(builds, build.sid) == "completed"
    assert builds(build.sid).fetch().date_updated == fake_builds.now()


def test_set_build_outcome_is_refused_once_the_build_ended(
    fake_builds: FakeBuilds, builds: Any, hello: Any
) -> None:
    build = builds.create(function_versions=[hello.sid])
    fake_builds.fail_next_build(reason="first")
    failed = builds.create(function_versions=[hello.sid])
    fake_builds.advance(fake_builds.build_duration)
    for sid, status in ((build.sid, "completed"), (failed.sid, "failed")):
        for change in (
            {"outcome": "failed"},
            {"outcome": "completed"},
            {"after": 5},
            {"after_reads": 1},
            {"hang": True},
        ):
            with pytest.raises(ValueError, match=f"{sid} already ended {status}"):
                fake_builds.set_build_outcome(sid, **change)
        assert status_of(builds, sid) == status
    assert fake_builds.failure_reason(build.sid) is None
    assert fake_builds.failure_reason(failed.sid) == "first"


def test_set_build_outcome_refuses_bad_arguments(
    fake_builds: FakeBuilds, builds: Any, hello: Any
) -> None:
    build = builds.create(function_versions=[hello.sid])
    for args, kwargs, words in (
        (("succeeded",), {}, "outcome"),
        ((), {"after": 1, "after_reads": 1}, "at most one"),
        ((), {"after": 1, "hang": True}, "at most one"),
        ((), {"after_reads": 1, "hang": True}, "at most one"),
        ((), {"after_reads": -1}, "negative"),
    ):
        with pytest.raises(ValueError, match=words):
            fake_builds.set_build_outcome(build.sid, *args, **kwargs)
    with pytest.raises(NotFoundError):
        fake_builds.set_build_outcome("ZB" + "0" * 32, "failed")
    fake_builds.advance(fake_builds.build_duration)
    assert status_of(builds, build.sid) == "completed"


@pytest.mark.parametrize("after", [-1, timedelta(days=-1)])
def test_set_build_outcome_refuses_a_negative_after(
    fake_builds: FakeBuilds, builds: Any, hello: Any, after: Any
) -> None:
    """As ``progress_builds(after=...)`` and ``after_reads=-1`` are refused: a build cannot
    end before now, or its ``date_updated`` would go back in time, even before its
    ``date_created``."""
    build = builds.create(function_versions=[hello.sid])
    with pytest.raises(ValueError, match="negative"):
        fake_builds.set_build_outcome(build.sid, after=after)
    fetched = builds(build.sid).fetch()
    assert fetched.status == "building"
    assert fetched.date_updated >= fetched.date_created


def test_no_stale_body_after_an_outcome_changes(
    fake_builds: FakeBuilds, builds: Any, hello: Any
) -> None:
    """Bodies the fake keeps for polling loops follow a change of outcome or timing."""
    build = builds.create(function_versions=[hello.sid])
    before = builds(build.sid).fetch()
    assert (before.status, before.date_updated) == ("building", before.date_created)
    fake_builds.advance(2)
    fake_builds.set_build_outcome(build.sid, "failed", reason="changed", after=0)
    after = builds(build.sid).fetch()
    assert (after.status, after.date_updated) == ("failed", fake_builds.now())
    assert after.date_updated != before.date_updated
    assert status_of(builds, build.sid) == "failed"
    assert [b.status for b in builds.list()] == ["failed"]

    # A hanging build, fetched (and so cached) while it hangs, then let go.
    fake_builds.hang_next_build()
    hung = builds.create(function_versions=[hello.sid])
    fake_builds.advance(YEAR)
    assert builds(hung.sid).fetch().status == "building"
    fake_builds.set_build_outcome(hung.sid, "completed", after=0)
    assert builds(hung.sid).fetch().status == "completed"

    # A completed outcome made failed while building: the body read after it ends says failed.
    late = builds.create(function_versions=[hello.sid])
    assert builds(late.sid).fetch().status == "building"
    fake_builds.set_build_outcome(late.sid, "failed")
    assert builds(late.sid).fetch().status == "building"
    fake_builds.advance(fake_builds.build_duration)
    assert builds(late.sid).fetch().status == "failed"


# progress_builds --------------------------------------------------------------------


def reads(builds: Any, sid: str, count: int, fake: FakeBuilds) -> list[str]:
    """``count`` status reads, alternating the Status and the Build, a second apart."""
    seen = []
    for number in range(count):
        if number % 2:
            seen.append(builds(sid).fetch().status)
        else:
            seen.append(status_of(builds, sid))
        fake.advance(1)
    return seen


@pytest.mark.parametrize("count", [0, 1, 4])
def test_progress_after_reads(fake_builds: FakeBuilds, builds: Any, hello: Any, count: int) -> None:
    fake_builds.progress_builds(after_reads=count)
    build = builds.create(function_versions=[hello.sid])
    assert build.status == "building"  # the create's answer is not a read
    fake_builds.advance(YEAR)
    assert reads(builds, build.sid, count, fake_builds) == ["building"] * count
    fake_builds.advance(7)
    finished_at = fake_builds.now()
    assert status_of(builds, build.sid) == "completed"
    fake_builds.advance(7)
    fetched = builds(build.sid).fetch()
    assert fetched.status == "completed"
    assert fetched.date_updated == finished_at
    assert finished_at == build.date_created + YEAR + timedelta(seconds=count + 7)


def test_progress_after_reads_counts_fetch_and_status_alike(
    fake_builds: FakeBuilds, builds: Any, hello: Any
) -> None:
    fake_builds.progress_builds(after_reads=3)
    by_status = builds.create(function_versions=[hello.sid])
    by_fetch = builds.create(function_versions=[hello.sid])
    assert [status_of(builds, by_status.sid) for _ in range(4)] == ["building"] * 3 + ["completed"]
    assert [builds(by_fetch.sid).fetch().status for _ in range(4)] == ["building"] * 3 + [
        "completed"
    ]


def test_progress_after_reads_with_a_failure(
    fake_builds: FakeBuilds, builds: Any, hello: Any
) -> None:
    fake_builds.progress_builds(after_reads=2)
    fake_builds.fail_next_build(reason="third read fails")
    build = builds.create(function_versions=[hello.sid])
    assert reads(builds, build.sid, 3, fake_builds) == ["building", "building", "failed"]
    assert fake_builds.failure_reason(build.sid) == "third read fails"


def test_list_reads_do_not_count(fake_builds: FakeBuilds, builds: Any, hello: Any) -> None:
    """Only a read of the build itself (fetch, Status) counts; listing the builds does not."""
    fake_builds.progress_builds(after_reads=2)
    build = builds.create(function_versions=[hello.sid])
    for _ in range(5):
        assert [b.status for b in builds.list()] == ["building"]
    assert [status_of(builds, build.sid) for _ in range(3)] == ["building", "building", "completed"]
    assert [b.status for b in builds.list()] == ["completed"]


def test_a_faulted_read_does_not_count(fake_builds: FakeBuilds, builds: Any, hello: Any) -> None:
    fake_builds.progress_builds(after_reads=1)
    build = builds.create(function_versions=[hello.sid])
    fake_builds.fault("fetch_build_status", status=429, times=3)
    for _ in range(3):
        with pytest.raises(TwilioRestException) as caught:
            status_of(builds, build.sid)
        assert (caught.value.status, caught.value.code) == (429, 20429)
    assert [status_of(builds, build.sid) for _ in range(2)] == ["building", "completed"]


def test_progress_after_reads_per_service_and_default(
    fake_builds: FakeBuilds, builds: Any, service: Any, hello: Any
) -> None:
    other = fake_builds.create_service(unique_name="other")
    theirs = fake_builds.create_function_version(other.sid, "/theirs")
    their_builds = fake_builds.client().serverless.v1.services(other.sid).builds

    fake_builds.progress_builds(after_reads=1, service_sid=service.sid)
    mine = builds.create(function_versions=[hello.sid])
    theirs_timed = their_builds.create(function_versions=[theirs.sid])
    fake_builds.advance(fake_builds.build_duration)
    assert status_of(their_builds, theirs_timed.sid) == "completed"  # build_duration
    assert [status_of(builds, mine.sid) for _ in range(2)] == ["building", "completed"]

    # A default for every service; the per-service setting still wins for its service.
    fake_builds.progress_builds(after_reads=3)
    mine = builds.create(function_versions=[hello.sid])
    theirs_read = their_builds.create(function_versions=[theirs.sid])
    fake_builds.advance(YEAR)
    assert [status_of(builds, mine.sid) for _ in range(2)] == ["building", "completed"]
    assert [status_of(their_builds, theirs_read.sid) for _ in range(4)] == ["building"] * 3 + [
        "completed"
    ]

    # Resetting the service falls back to the default; resetting the default to build_duration.
    fake_builds.progress_builds(service_sid=service.sid)
    mine = builds.create(function_versions=[hello.sid])
    assert [status_of(builds, mine.sid) for _ in range(4)] == ["building"] * 3 + ["completed"]
    fake_builds.progress_builds()
    mine = builds.create(function_versions=[hello.sid])
    theirs_timed = their_builds.create(function_versions=[theirs.sid])
    assert status_of(builds, mine.sid) == "building"
    fake_builds.advance(fake_builds.build_duration)
    assert status_of(builds, mine.sid) == "completed"
    assert status_of(their_builds, theirs_timed.sid) == "completed"


def test_progress_builds_applies_to_builds_created_from_then_on(
    fake_builds: FakeBuilds, builds: Any, hello: Any
) -> None:
    earlier = builds.create(function_versions=[hello.sid])
    fake_builds.progress_builds(after_reads=5)
    later = builds.create(function_versions=[hello.sid])
    fake_builds.progress_builds()
    fake_builds.advance(fake_builds.build_duration)
    assert status_of(builds, earlier.sid) == "completed"
    assert [status_of(builds, later.sid) for _ in range(6)] == ["building"] * 5 + ["completed"]


def test_progress_after_a_duration_per_service(
    fake_builds: FakeBuilds, builds: Any, service: Any, hello: Any
) -> None:
    other = fake_builds.create_service(unique_name="other")
    theirs = fake_builds.create_function_version(other.sid, "/theirs")
    their_builds = fake_builds.client().serverless.v1.services(other.sid).builds
    fake_builds.progress_builds(after=timedelta(minutes=5), service_sid=service.sid)
    fake_builds.progress_builds(after=90)  # the default, for every other service
    mine = builds.create(function_versions=[hello.sid])
    their = their_builds.create(function_versions=[theirs.sid])
    fake_builds.advance(89)
    assert (status_of(builds, mine.sid), status_of(their_builds, their.sid)) == (
        "building",
        "building",
    )
    fake_builds.advance(1)
    assert (status_of(builds, mine.sid), status_of(their_builds, their.sid)) == (
        "building",
        "completed",
    )
    fake_builds.advance(timedelta(minutes=5) - timedelta(seconds=91))
    assert status_of(builds, mine.sid) == "building"
    fake_builds.advance(1)
    assert status_of(builds, mine.sid) == "completed"
    assert builds(mine.sid).fetch().date_updated == mine.date_created + timedelta(minutes=5)


def test_progress_builds_refuses_bad_arguments(fake_builds: FakeBuilds) -> None:
    for kwargs, words in (
        ({"after": 1, "after_reads": 1}, "exactly one"),
        ({"after": -1}, "negative"),
        ({"after_reads": -1}, "negative"),
    ):
        with pytest.raises(ValueError, match=words):
            fake_builds.progress_builds(**kwargs)


# Threads ------------------------------------------------------------------------------

THREADS = 8
READS = 200
TIMEOUT = 60
_yield = getattr(os, "sched_yield", lambda: None)


@pytest.fixture
def _last_building_read_overtaken(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The interleaving that tells: the read counted as the last to see ``building``
    is held, after it was counted and before it answers, until another poller's read
    has ended the build (bounded: it gives up after a million turns). A preemption
    there does the same at random; this makes it happen nearly every time (unless
    another read ends the build before the hook looks). Between the other reads the
    interpreter switches as often as it can."""
    read = builds_module.read
    held = threading.Event()

    def overtaken(backend: Any, build: Build) -> bool:
        finished: bool = read(backend, build)
        if build.reads_left == 0 and not held.is_set():
            held.set()
            for _ in range(1_000_000):
                if build.ready_at is not None:
                    break
                _yield()  # releases the GIL: the other pollers run
        return finished

    monkeypatch.setattr(builds_module, "read", overtaken)
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        yield
    finally:
        sys.setswitchinterval(interval)


@pytest.mark.usefixtures("_last_building_read_overtaken")
def test_threads_polling_one_build_see_it_finish_once(
    fake_builds: FakeBuilds, builds: Any, service: Any, hello: Any
) -> None:
    """Eight pollers, each with its own client, a second apart on the fake's clock: the
    build reads ``building`` exactly ``READS`` times in all (none skipped), then ends
    once, and every poller sees the same end at the same instant."""
    fake_builds.progress_builds(after_reads=READS)
    build = builds.create(function_versions=[hello.sid])
    barrier = threading.Barrier(THREADS)
    seen: list[list[tuple[str, Any]]] = [[] for _ in range(THREADS)]
    errors: list[BaseException] = []

    def poll(index: int) -> None:
        try:
            own = fake_builds.client().serverless.v1.services(service.sid).builds(build.sid)
            with fake_builds.follow_clock():
                barrier.wait(TIMEOUT)
                for _ in range(2 * READS):  # a bound, should the build never end
                    if index % 2:
                        fetched = own.fetch()
                        seen[index].append((fetched.status, fetched.date_updated))
                    else:
                        seen[index].append((own.build_status().fetch().status, None))
                    if seen[index][-1][0] in TERMINAL:
                        # Two more reads after the end: it stays ended.
                        for _ in range(2):
                            again = own.fetch()
                            seen[index].append((again.status, again.date_updated))
                        return
                    time.sleep(1)  # the fake's clock, in this thread too
        except BaseException as exc:  # reported to the test, whatever it is
            errors.append(exc)

    threads = [
        threading.Thread(target=poll, args=(index,), daemon=True) for index in range(THREADS)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(TIMEOUT)
    assert not any(thread.is_alive() for thread in threads)
    assert errors == []

    statuses = Counter(status for reads_of in seen for status, _ in reads_of)
    assert set(statuses) == {"building", "completed"}
    for reads_of in seen:  # building, then completed for good
        names = [status for status, _ in reads_of]
        first_end = names.index("completed")
        assert set(names[:first_end]) <= {"building"}
        assert set(names[first_end:]) == {"completed"}
    dates: dict[str, set[Any]] = {"building": set(), "completed": set()}
    for reads_of in seen:
        for status, updated in reads_of:
            if updated is not None:
                dates[status].add(updated)
    assert dates["building"] <= {build.date_created}
    assert len(dates["completed"]) == 1  # it finished once: one instant, whoever read it
    assert builds(build.sid).fetch().date_updated in dates["completed"]
    # Exactly the first READS reads saw it building: none counted and answered otherwise.
    assert statuses["building"] == READS
