"""Save and replay: a fake's snapshot round-trips through JSON, and after it the
same calls give the same answers and SIDs; failed tests can save theirs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import requests

from pytest_fakebuilds import FakeBuilds
from pytest_fakebuilds.snapshot import SnapshotError

DATA = Path(__file__).parent / "data"


def build_up(fake: FakeBuilds) -> dict[str, str]:
    """A little of everything, through helpers and HTTP."""
    service = fake.create_service(unique_name="demo")
    env = fake.create_environment(service.sid, domain_suffix="dev")
    hello = fake.create_function_version(service.sid, "/hello", content="exports.handler = 1;")
    style = fake.create_asset_version(service.sid, "/a.css", "private", content=b"\x00\xffbody")
    build = fake.create_build(service.sid, [hello], [style], dependencies=[("lodash", "4.17.21")])
    fake.advance(fake.build_duration)
    fake.deploy(env.sid, build.sid)
    fake.set_variable(env.sid, "GREETING", "hi")
    fake.add_log(env.sid, "Something happened", level="warning", function_sid=hello.function_sid)
    fake.create_api_key("ci")
    gone = fake.create_function_version(service.sid, "/gone")
    kept = fake.create_build(service.sid, [gone])
    fake.client().serverless.v1.services(service.sid).functions(gone.function_sid)
    fake.fail_next_build(reason="boom")
    fake.hang_next_build()
    fake.unavailable_dependency("left-pad", "1.0.0")
    fake.incompatible_dependency("sharp", "node22")
    fake.progress_builds(after_reads=2, service_sid=service.sid)
    fake.fault("fetch_build_status", status=429, retry_after=2, times=2)
    fake.fault("list_function", exception=requests.ReadTimeout, nth=2)
    return {"service": service.sid, "env": env.sid, "hello": hello.sid, "kept": kept.sid}


def carry_on(fake: FakeBuilds, sids: dict[str, str]) -> list[Any]:
    """What a client sees next; the same for a fake and its restored copy."""
    seen: list[Any] = []
    with fake:
        api = fake.client().serverless.v1.services(sids["service"])
        for _ in range(3):
            build = api.builds.create(function_versions=[sids["hello"]])
            seen.append((build.sid, build.status, build.date_created))
            for _ in range(4):
                try:
                    seen.append(api.builds(build.sid).build_status().fetch().status)
                except Exception as exc:
                    seen.append(type(exc).__name__ + str(getattr(exc, "code", "")))
            seen.append(fake.failure_reason(build.sid))
        for _ in range(2):
            try:
                seen.append([f.sid for f in api.functions.list()])
            except Exception as exc:
                seen.append(type(exc).__name__)
        seen.append(api.environments(sids["env"]).fetch().domain_name)
        seen.append([v.value for v in api.environments(sids["env"]).variables.list()])
        seen.append(fake.create_service(unique_name="later").sid)
        seen.append([json.loads(call.response.body or b"null") for call in fake.calls[-3:]])
        seen.append([call.response.headers.get("Twilio-Request-Id") for call in fake.calls])
    return seen


def test_a_round_trip_through_json_carries_on_identically() -> None:
    original = FakeBuilds(seed=5)
    with original:
        sids = build_up(original)
    text = json.dumps(original.snapshot())
    restored = FakeBuilds.from_snapshot(json.loads(text))

    assert restored.snapshot() == original.snapshot()
    assert carry_on(restored, sids) == carry_on(original, sids)
    assert restored.snapshot() == original.snapshot()


def test_the_snapshot_is_plain_versioned_data() -> None:
    with FakeBuilds(seed=5) as fake:
        build_up(fake)
        data = fake.snapshot()
    assert data["version"] == 1
    assert json.loads(json.dumps(data)) == data
    assert data["unsaved"] == []
    assert data["clock"]["now"] == fake.now().isoformat()


def test_what_cannot_be_saved_is_listed() -> None:
    fake = FakeBuilds(seed=1)
    fake.fail_builds(lambda build: build.runtime == "node20", reason="no node20 here")
    fake.fault("fetch_build", exception=requests.ConnectionError("instance"))
    data = fake.snapshot()
    assert len(data["unsaved"]) == 2
    assert "fail_builds" in data["unsaved"][0]
    assert "exception is an instance" in data["unsaved"][1]
    assert data["faults"] == []


def test_a_deleted_version_lives_on_in_its_build() -> None:
    fake = FakeBuilds(seed=3)
    service = fake.create_service(unique_name="demo")
    version = fake.create_function_version(service.sid, "/gone")
    build = fake.create_build(service.sid, [version])
    fake.advance(fake.build_duration)
    with fake:
        fake.client().serverless.v1.services(service.sid).functions(version.function_sid).delete()
    restored = FakeBuilds.from_snapshot(json.loads(json.dumps(fake.snapshot())))
    with restored:
        again = restored.client().serverless.v1.services(service.sid).builds(build.sid).fetch()
    assert [v["path"] for v in again.function_versions] == ["/gone"]


def test_options_can_be_overridden_but_not_the_seed() -> None:
    data = FakeBuilds(seed=7, build_duration=30).snapshot()
    assert FakeBuilds.from_snapshot(data).build_duration.total_seconds() == 30
    assert FakeBuilds.from_snapshot(data, build_duration=5).build_duration.total_seconds() == 5
    assert not FakeBuilds.from_snapshot(data, freeze=False).freezes_time
    with pytest.raises(SnapshotError, match="seed 7"):
        FakeBuilds.from_snapshot(data, seed=8)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.update(version=99), "version 99"),
        (lambda d: d.pop("format"), "not a pytest-fakebuilds snapshot"),
        (lambda d: d["credentials"].update(auth_token="x"), "credentials"),
    ],
)
def test_foreign_data_is_refused(change: Any, message: str) -> None:
    data = FakeBuilds(seed=7).snapshot()
    change(data)
    with pytest.raises(SnapshotError, match=message):
        FakeBuilds.from_snapshot(data)


def test_a_version_1_snapshot_stays_loadable() -> None:
    """A snapshot written by this release, kept in the repository: later releases
    must load it and carry on exactly as it did."""
    saved = json.loads((DATA / "snapshot-v1.json").read_text())
    fake = FakeBuilds.from_snapshot(saved["snapshot"])
    seen = json.loads(json.dumps(carry_on(fake, saved["sids"]), default=str))
    assert seen == saved["carries_on"]


FAILING = """
    import pytest


    def test_deploy_fails(fake_builds):
        service = fake_builds.create_service(unique_name="flaky")
        hello = fake_builds.create_function_version(service.sid, "/hello")
        fake_builds.fail_next_build(reason="npm exploded")
        builds = fake_builds.client().serverless.v1.services(service.sid).builds
        build = builds.create(function_versions=[hello.sid])
        fake_builds.advance(fake_builds.build_duration)
        assert builds(build.sid).fetch().status == "completed"


    def test_passes(fake_builds):
        fake_builds.create_service(unique_name="fine")


    def test_fails_without_a_fake():
        assert False
"""

REPLAY = """
    import pytest


    @pytest.mark.fake_builds(snapshot="{path}")
    def test_replay(fake_builds):
        (service,) = fake_builds.client().serverless.v1.services.list()
        assert service.unique_name == "flaky"
        (build,) = fake_builds.client().serverless.v1.services(service.sid).builds.list()
        assert build.status == "failed"
        assert fake_builds.failure_reason(build.sid) == "npm exploded"
        assert fake_builds.now().isoformat() == "{now}"
"""


def test_failed_tests_save_their_fake_and_a_marker_replays_it(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_flaky=FAILING)
    result = pytester.runpytest_subprocess("--fakebuilds-save-failures=saved", "-p", "no:randomly")
    result.assert_outcomes(passed=1, failed=2)

    (saved,) = (pytester.path / "saved").iterdir()
    data = json.loads(saved.read_text())
    assert data["test"] == "test_flaky.py::test_deploy_fails"
    assert data["when"] == "call"
    assert data["snapshot"]["version"] == 1
    assert [call["operation"] for call in data["journal"]] == ["create_build", "fetch_build"]
    assert data["journal"][-1]["status"] == 200
    assert json.loads(data["journal"][-1]["response_body"])["status"] == "failed"

    pytester.makepyfile(
        test_replay=REPLAY.format(path=f"saved/{saved.name}", now=data["snapshot"]["clock"]["now"])
    )
    replayed = pytester.runpytest_subprocess("test_replay.py", "-p", "no:randomly")
    replayed.assert_outcomes(passed=1)


def test_nothing_is_saved_without_the_option(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_flaky=FAILING)
    result = pytester.runpytest_subprocess("-p", "no:randomly")
    result.assert_outcomes(passed=1, failed=2)
    assert not (pytester.path / "saved").exists()
    assert sorted(p.name for p in pytester.path.iterdir() if p.suffix == ".json") == []
