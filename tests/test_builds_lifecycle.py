"""Fetch, status, delete, and the building -> completed/failed progression."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from typing import Any

import pytest
from twilio.base.exceptions import TwilioRestException

from pytest_fakebuilds import FakeBuilds


def test_fetch_matches_create(builds: Any, hello: Any) -> None:
    created = builds.create(function_versions=[hello.sid])
    fetched = builds(created.sid).fetch()
    assert fetched.sid == created.sid
    assert fetched.function_versions == created.function_versions
    assert fetched.dependencies == created.dependencies
    assert fetched.url == created.url


def test_status_resource(fake_builds: FakeBuilds, builds: Any, hello: Any, service: Any) -> None:
    build = builds.create(function_versions=[hello.sid])
    status = builds(build.sid).build_status().fetch()
    assert status.sid == build.sid
    assert status.account_sid == fake_builds.account_sid
    assert status.service_sid == service.sid
    assert status.status == "building"
    assert status.url == build.url + "/Status"


def test_build_completes_exactly_at_build_duration(
    fake_builds: FakeBuilds, builds: Any, hello: Any
) -> None:
    build = builds.create(function_versions=[hello.sid])
    fake_builds.advance(fake_builds.build_duration - timedelta(microseconds=1))
    assert builds(build.sid).fetch().status == "building"
    fake_builds.advance(timedelta(microseconds=1))
    done = builds(build.sid).fetch()
    assert done.status == "completed"
    assert builds(build.sid).build_status().fetch().status == "completed"
    assert done.date_updated == done.date_created + fake_builds.build_duration


@pytest.mark.fake_builds(build_duration=timedelta(seconds=7, microseconds=250_000))
def test_the_build_duration_boundary_to_the_microsecond(
    fake_builds: FakeBuilds, builds: Any, hello: Any
) -> None:
    """Created off a whole second, with a duration that is not one either: building one
    microsecond before ``date_created + build_duration``, completed exactly at it, in
    every answer that shows a status (fetch, Status, list) and on the helper's record."""
    fake_builds.advance(timedelta(seconds=3, microseconds=600_000))
    created_at = fake_builds.now()
    build = builds.create(function_versions=[hello.sid])
    helper_build = fake_builds.create_build(hello.service_sid, [hello])
    assert helper_build.date_created == created_at
    assert helper_build.ready_at == created_at + timedelta(seconds=7, microseconds=250_000)
    finish = created_at + fake_builds.build_duration

    def seen() -> set[str]:
        statuses = {
            builds(build.sid).fetch().status,
            builds(build.sid).build_status().fetch().status,
            helper_build.status_at(fake_builds.now()),
        }
        statuses |= {b.status for b in builds.list()}
        return statuses

    fake_builds.advance(finish - timedelta(microseconds=1) - fake_builds.now())
    assert seen() == {"building"}
    assert builds(build.sid).fetch().date_updated == created_at.replace(microsecond=0)
    assert helper_build.date_updated_at(fake_builds.now()) == created_at
    fake_builds.advance(timedelta(microseconds=1))
    assert fake_builds.now() == finish
    assert seen() == {"completed"}
    assert builds(build.sid).fetch().date_updated == finish.replace(microsecond=0)
    assert helper_build.date_updated_at(fake_builds.now()) == finish


def test_date_updated_stays_at_the_transition(
    fake_builds: FakeBuilds, builds: Any, hello: Any
) -> None:
    build = builds.create(function_versions=[hello.sid])
    fake_builds.advance(timedelta(hours=3))
    assert builds(build.sid).fetch().date_updated == build.date_created + fake_builds.build_duration


def test_fail_next_build_fails_only_the_next(
    fake_builds: FakeBuilds, builds: Any, hello: Any
) -> None:
    fake_builds.fail_next_build()
    doomed = builds.create(function_versions=[hello.sid])
    fine = builds.create(function_versions=[hello.sid])
    assert doomed.status == "building"  # failure shows only when the build ends
    fake_builds.advance(fake_builds.build_duration)
    assert builds(doomed.sid).fetch().status == "failed"
    assert builds(doomed.sid).build_status().fetch().status == "failed"
    assert builds(fine.sid).fetch().status == "completed"


def test_fail_next_build_count(fake_builds: FakeBuilds, builds: Any, hello: Any) -> None:
    fake_builds.fail_next_build(2)
    made = [builds.create(function_versions=[hello.sid]) for _ in range(3)]
    fake_builds.advance(fake_builds.build_duration)
    assert [builds(b.sid).fetch().status for b in made] == ["failed", "failed", "completed"]


def test_a_rejected_create_does_not_use_up_a_planned_failure(
    fake_builds: FakeBuilds, builds: Any, hello: Any
) -> None:
    fake_builds.fail_next_build()
    with pytest.raises(TwilioRestException):
        builds.create(function_versions=[hello.sid], runtime="node99")
    build = builds.create(function_versions=[hello.sid])
    fake_builds.advance(fake_builds.build_duration)
    assert builds(build.sid).fetch().status == "failed"


def test_changing_build_duration_affects_only_new_builds(
    fake_builds: FakeBuilds, builds: Any, hello: Any
) -> None:
    slow = builds.create(function_versions=[hello.sid])
    fake_builds.build_duration = 2
    quick = builds.create(function_versions=[hello.sid])
    fake_builds.advance(2)
    assert builds(quick.sid).fetch().status == "completed"
    assert builds(slow.sid).fetch().status == "building"


@pytest.mark.fake_builds(build_duration=0)
def test_zero_duration_builds_complete_at_once(builds: Any, hello: Any) -> None:
    assert builds.create(function_versions=[hello.sid]).status == "completed"


def test_polling_loop_with_sleep_finishes_after_a_fixed_number_of_polls(
    fake_builds: FakeBuilds, builds: Any, hello: Any
) -> None:
    build = builds.create(function_versions=[hello.sid])
    polls = 0
    while builds(build.sid).build_status().fetch().status == "building":
        polls += 1
        time.sleep(1)  # advances the fake clock; does not block
    assert polls == fake_builds.build_duration.total_seconds()
    assert fake_builds.now() == build.date_created + fake_builds.build_duration


def test_global_time_agrees_with_served_dates(
    fake_builds: FakeBuilds, builds: Any, hello: Any
) -> None:
    build = builds.create(function_versions=[hello.sid])
    assert datetime.now() == build.date_created.replace(tzinfo=None)
    assert time.time() == build.date_created.timestamp()
    before = time.monotonic()
    fake_builds.advance(30)
    assert time.monotonic() - before == 30


def test_delete_answers_204_and_forgets_the_build(
    fake_builds: FakeBuilds, builds: Any, hello: Any
) -> None:
    build = builds.create(function_versions=[hello.sid])
    assert builds(build.sid).delete() is True
    assert fake_builds.calls[-1].response.status == 204
    assert fake_builds.calls[-1].response.body == b""
    with pytest.raises(TwilioRestException) as raised:
        builds(build.sid).fetch()
    assert raised.value.status == 404
    assert raised.value.code == 20404
    assert [b.sid for b in builds.list()] == []


def test_delete_twice_is_404(builds: Any, hello: Any) -> None:
    build = builds.create(function_versions=[hello.sid])
    builds(build.sid).delete()
    with pytest.raises(TwilioRestException) as raised:
        builds(build.sid).delete()
    assert raised.value.code == 20404
    assert raised.value.msg.startswith("Unable to delete record: The requested resource")


def test_delete_of_a_building_build_is_allowed(
    fake_builds: FakeBuilds, builds: Any, hello: Any
) -> None:
    build = builds.create(function_versions=[hello.sid])
    assert build.status == "building"
    assert builds(build.sid).delete() is True


def test_builds_of_other_services_are_not_reachable(
    fake_builds: FakeBuilds, client: Any, builds: Any, hello: Any
) -> None:
    other = fake_builds.create_service(unique_name="other")
    build = builds.create(function_versions=[hello.sid])
    elsewhere = client.serverless.v1.services(other.sid).builds
    with pytest.raises(TwilioRestException) as raised:
        elsewhere(build.sid).fetch()
    assert raised.value.code == 20404
    assert raised.value.msg == (
        "Unable to fetch record: The requested resource "
        f"/Services/{other.sid}/Builds/{build.sid} was not found"
    )
    with pytest.raises(TwilioRestException):
        elsewhere(build.sid).delete()
    assert builds(build.sid).fetch().sid == build.sid  # untouched
