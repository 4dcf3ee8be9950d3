"""The pytest plugin: fixture, marker, options, ini keys, seeding and time, run with pytester.

Every inner run that activates a fake runs in a subprocess, because an active
fake patches global time and ``requests``; only runs that never start a fake
(``--markers``, ``--fixtures``, marker validation, ``--collect-only``) run in
process. Inner tests report what they observed through ``fbprobe.dump``: one
JSON file per observation in the directory named by ``$FAKEBUILDS_OUT``, which
each outer test points at a fresh directory per inner run.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from pytest_fakebuilds import FakeBuilds

PROBE = """
    from __future__ import annotations

    import hashlib
    import json
    import os
    import pathlib
    import time
    from datetime import datetime, timezone

    START = datetime(2026, 1, 1, 12, 0, 0, tzinfo=timezone.utc)


    def out_dir():
        path = pathlib.Path(os.environ["FAKEBUILDS_OUT"])
        path.mkdir(parents=True, exist_ok=True)
        return path


    def dump(name, **values):
        (out_dir() / (name + ".json")).write_text(json.dumps(values))


    def seen_now():
        return {
            "datetime": datetime.now(timezone.utc).timestamp(),
            "time": time.time(),
            "monotonic": time.monotonic(),
        }


    def mint(fake):
        service = fake.create_service(unique_name="app")
        version = fake.create_function_version(service.sid, "/hello")
        key = fake.create_api_key()
        build = fake.client().serverless.v1.services(service.sid).builds.create(
            function_versions=[version.sid]
        )
        return [fake.account_sid, service.sid, version.sid, key.sid, build.sid]


    def record_sids(request, fake):
        nodeid = request.node.nodeid
        out = out_dir()
        index = len(list(out.glob("sids-*.json")))
        dump(
            "sids-" + hashlib.sha256(nodeid.encode()).hexdigest()[:16],
            nodeid=nodeid,
            sids=mint(fake),
            index=index,
            worker=os.environ.get("PYTEST_XDIST_WORKER", "main"),
        )
"""

# Two files whose tests record the SIDs their fake mints: plain tests, a
# parametrized one, methods, a marker without a seed, and a test that mints
# SIDs from its own FakeBuilds and burns the shared random generators.
SIDS_ALPHA = """
    import pytest
    from fbprobe import record_sids


    def test_one(request, fake_builds):
        record_sids(request, fake_builds)


    @pytest.mark.parametrize("n", [1, 2])
    def test_param(request, fake_builds, n):
        record_sids(request, fake_builds)


    def test_two(request, fake_builds):
        record_sids(request, fake_builds)
"""

SIDS_BETA = """
    import random

    import faker
    import pytest
    from fbprobe import record_sids
    from pytest_fakebuilds import FakeBuilds


    class TestGroup:
        def test_one(self, request, fake_builds):
            record_sids(request, fake_builds)

        def test_two(self, request, fake_builds):
            record_sids(request, fake_builds)


    @pytest.mark.fake_builds(build_duration=3)
    def test_marked(request, fake_builds):
        record_sids(request, fake_builds)


    def test_noise():
        other = FakeBuilds()
        for index in range(5):
            other.create_service(unique_name=f"noise-{index}")
        random.random()
        faker.Faker().name()
"""

SIDS_TESTS = 7  # tests in SIDS_ALPHA and SIDS_BETA that record SIDs
SIDS_PASSED = SIDS_TESTS + 1


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Inner runs must not believe they are xdist workers when this suite runs under -n."""
    for name in (
        "PYTEST_XDIST_WORKER",
        "PYTEST_XDIST_WORKER_COUNT",
        "PYTEST_XDIST_TESTRUNUID",
        "PYTEST_DISABLE_PLUGIN_AUTOLOAD",
        "PYTEST_PLUGINS",
    ):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def probe(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makepyfile(fbprobe=PROBE)
    return pytester


@dataclass(frozen=True)
class Run:
    result: pytest.RunResult
    out: Path
    wall: tuple[float, float]
    mono: tuple[float, float]

    def read(self, name: str) -> Any:
        return json.loads((self.out / f"{name}.json").read_text())

    def sids(self) -> dict[str, list[str]]:
        records = [json.loads(p.read_text()) for p in self.out.glob("sids-*.json")]
        return {record["nodeid"]: record["sids"] for record in records}

    def order(self) -> list[str]:
        records = [json.loads(p.read_text()) for p in self.out.glob("sids-*.json")]
        return [record["nodeid"] for record in sorted(records, key=lambda r: r["index"])]

    def workers(self) -> set[str]:
        return {json.loads(p.read_text())["worker"] for p in self.out.glob("sids-*.json")}

    def assert_real(self, seen: dict[str, float]) -> None:
        """``seen`` was read from the real clocks while this run was going on."""
        slack = 0.001
        assert self.wall[0] - slack <= seen["datetime"] <= self.wall[1] + slack, seen
        assert self.wall[0] - slack <= seen["time"] <= self.wall[1] + slack, seen
        assert self.mono[0] - slack <= seen["monotonic"] <= self.mono[1] + slack, seen


def run(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, label: str, *args: str) -> Run:
    """Run pytest in a subprocess, its observations going to a fresh directory."""
    out = pytester.path / f"out-{label}"
    assert not out.exists()
    monkeypatch.setenv("FAKEBUILDS_OUT", str(out))
    wall_before, mono_before = time.time(), time.monotonic()
    result = pytester.runpytest_subprocess(*args)
    wall_after, mono_after = time.time(), time.monotonic()
    return Run(result, out, (wall_before, wall_after), (mono_before, mono_after))


def header_seed(result: pytest.RunResult) -> str:
    lines = [line for line in result.outlines if line.startswith("fakebuilds: seed ")]
    assert len(lines) == 1, result.outlines
    return lines[0].split()[2]


# The fixture ---------------------------------------------------------------------------------


def test_fixture_available_without_import_or_conftest(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makepyfile(
        test_fixture="""
        import pytest_fakebuilds
        from datetime import datetime, timezone

        START = datetime(2026, 1, 1, 12, 0, 0, tzinfo=timezone.utc)
        seen = []


        def test_type(fake_builds):
            assert type(fake_builds) is pytest_fakebuilds.FakeBuilds
            assert fake_builds.active
            assert fake_builds.freezes_time
            seen.append(fake_builds)
            fake_builds.advance(100)


        def test_function_scoped(fake_builds):
            assert len(seen) == 1
            assert fake_builds is not seen[0]
            assert not seen[0].active
            assert fake_builds.now() == START
        """
    )
    assert not list(pytester.path.rglob("conftest.py"))
    result = run(pytester, monkeypatch, "run", "-p", "no:randomly").result
    result.assert_outcomes(passed=2)


def test_fixture_comes_from_the_fakebuilds_entry_point(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        def test_uses_it(fake_builds):
            pass
        """
    )
    result = pytester.runpytest("-p", "no:fakebuilds")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*fixture 'fake_builds' not found*"])


def test_fixtures_lists_fake_builds_with_its_docstring(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--fixtures", "-v")
    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines(
        [
            "fake_builds -- *plugin.py:*",
            "*A fake Twilio Serverless account answering the Serverless API for this test.",
            "*Configure*",
        ]
    )
    line = next(line for line in result.outlines if line.startswith("fake_builds "))
    assert "scope]" not in line  # function scope is the one pytest does not name


def test_markers_lists_fake_builds(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--markers")
    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines(
        ["@pytest.mark.fake_builds(**settings): *seed*build_duration*start*freeze*strict*"]
    )


def test_marker_is_registered_for_strict_markers(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest


        @pytest.mark.fake_builds(seed="not an int")
        def test_marked():
            pass
        """
    )
    result = pytester.runpytest("--strict-markers", "--collect-only", "-q")
    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines(["*test_marked*"])


# The marker ----------------------------------------------------------------------------------


def test_marker_alone_pulls_the_fixture_in(
    probe: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    probe.makepyfile(
        test_marker_only="""
        import time
        from datetime import datetime, timezone

        import pytest
        from fbprobe import START


        @pytest.mark.fake_builds
        def test_no_arguments_at_all():
            assert datetime.now(timezone.utc) == START
            assert time.time() == START.timestamp()


        @pytest.mark.fake_builds(seed=5)
        def test_request_sees_the_fixture(request):
            assert "fake_builds" in request.fixturenames
            fake = request.getfixturevalue("fake_builds")
            assert fake.active
            assert fake.seed == 5
            fake.advance(30)
            assert datetime.now(timezone.utc) == fake.now()


        @pytest.mark.fake_builds(start="2030-02-03T04:05:06Z")
        class TestClassMarker:
            def test_method_without_the_argument(self):
                assert datetime.now(timezone.utc) == datetime(
                    2030, 2, 3, 4, 5, 6, tzinfo=timezone.utc
                )
        """
    )
    result = run(probe, monkeypatch, "run").result
    result.assert_outcomes(passed=3)


def test_marker_keys_are_applied(probe: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    probe.makepyfile(
        test_keys="""
        import time
        from datetime import datetime, timedelta, timezone

        import pytest
        import requests
        from fbprobe import START, dump, mint, seen_now
        from pytest_fakebuilds import FakeBuilds, NetworkBlockedError


        def new_build(fake):
            service = fake.create_service(unique_name="app")
            version = fake.create_function_version(service.sid, "/hello")
            builds = fake.client().serverless.v1.services(service.sid).builds
            return builds, builds.create(function_versions=[version.sid])


        @pytest.mark.fake_builds(seed=1234)
        def test_seed(fake_builds):
            assert fake_builds.seed == 1234
            mine = mint(fake_builds)
            twin = FakeBuilds(seed=1234)
            with twin:
                assert mint(twin) == mine
            assert FakeBuilds(seed=1235).account_sid != mine[0]


        @pytest.mark.fake_builds(build_duration=42)
        def test_build_duration(fake_builds):
            assert fake_builds.build_duration == timedelta(seconds=42)
            builds, build = new_build(fake_builds)
            fake_builds.advance(41)
            assert builds(build.sid).fetch().status == "building"
            fake_builds.advance(1)
            assert builds(build.sid).fetch().status == "completed"


        @pytest.mark.fake_builds(start="2030-05-06T07:08:09Z")
        def test_start_iso_text(fake_builds):
            start = datetime(2030, 5, 6, 7, 8, 9, tzinfo=timezone.utc)
            assert fake_builds.now() == start
            assert datetime.now(timezone.utc) == start
            assert time.time() == start.timestamp()
            _, build = new_build(fake_builds)
            assert build.date_created == start


        @pytest.mark.fake_builds(start=datetime(2031, 1, 2, 3, 4, 5))
        def test_start_naive_datetime_is_utc(fake_builds):
            assert fake_builds.now() == datetime(2031, 1, 2, 3, 4, 5, tzinfo=timezone.utc)


        @pytest.mark.fake_builds(freeze=False)
        def test_freeze_false(fake_builds):
            assert not fake_builds.freezes_time
            assert fake_builds.now() == START
            dump("freeze-false-before", **seen_now())
            assert fake_builds.advance(3600) == START + timedelta(hours=1)
            assert fake_builds.now() == START + timedelta(hours=1)
            dump("freeze-false-after", **seen_now())


        @pytest.mark.fake_builds(strict=True)
        def test_strict(fake_builds):
            assert fake_builds.strict
            session = requests.Session()
            session.trust_env = False
            with pytest.raises(NetworkBlockedError):
                session.get("http://127.0.0.1:1/", timeout=5)


        @pytest.mark.fake_builds(
            default_runtime="node20",
            default_dependencies=[("lodash", "4.17.21")],
            uppercase_build_visibility=True,
        )
        def test_build_defaults(fake_builds):
            _, build = new_build(fake_builds)
            assert build.runtime == "node20"
            assert build.dependencies == [{"name": "lodash", "version": "4.17.21"}]
            assert [v["visibility"] for v in build.function_versions] == ["PUBLIC"]


        def test_unmarked_defaults(fake_builds):
            _, build = new_build(fake_builds)
            assert fake_builds.build_duration == timedelta(seconds=10)
            assert not fake_builds.strict
            assert build.runtime != "node20"
            assert "lodash" not in [d["name"] for d in build.dependencies]
            assert [v["visibility"] for v in build.function_versions] == ["public"]
        """
    )
    outcome = run(probe, monkeypatch, "run")
    outcome.result.assert_outcomes(passed=8)
    outcome.assert_real(outcome.read("freeze-false-before"))
    outcome.assert_real(outcome.read("freeze-false-after"))


@pytest.mark.parametrize(
    ("decorator", "expected"),
    [
        pytest.param("@pytest.mark.fake_builds(sed=1)", ["*TypeError*fake_builds*sed*"], id="typo"),
        pytest.param(
            "@pytest.mark.fake_builds(build_duration=1, colour='red')",
            ["*TypeError*fake_builds*colour*"],
            id="unknown-among-valid",
        ),
        pytest.param(
            "@pytest.mark.fake_builds(5)",
            ["*TypeError*keyword arguments only*5*"],
            id="positional",
        ),
        pytest.param(
            "@pytest.mark.fake_builds(seed='7')",
            ["*TypeError*fake_builds*seed must be an int*"],
            id="bad-seed-type",
        ),
    ],
)
@pytest.mark.parametrize("with_argument", [True, False], ids=["fixture-arg", "marker-only"])
def test_bad_marker_is_an_error(
    pytester: pytest.Pytester, decorator: str, expected: list[str], with_argument: bool
) -> None:
    # The fixture raises before it starts the fake, so this can run in process.
    signature = "fake_builds" if with_argument else ""
    pytester.makepyfile(
        f"""
        import pytest


        {decorator}
        def test_marked({signature}):
            pass


        def test_neighbour_unaffected():
            pass
        """
    )
    result = pytester.runpytest("-p", "no:randomly")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*ERROR at setup of test_marked*", *expected])


def test_closest_marker_wins(probe: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    probe.makepyfile(
        test_closest="""
        from datetime import timedelta

        import pytest

        pytestmark = pytest.mark.fake_builds(seed=1, build_duration=5)


        def test_module_marker(fake_builds):
            assert fake_builds.seed == 1
            assert fake_builds.build_duration == timedelta(seconds=5)


        def test_module_marker_pulls_the_fixture_in(request):
            assert request.getfixturevalue("fake_builds").seed == 1


        @pytest.mark.fake_builds(seed=4, build_duration=6)
        def test_function_over_module(fake_builds):
            assert fake_builds.seed == 4
            assert fake_builds.build_duration == timedelta(seconds=6)


        @pytest.mark.fake_builds(seed=2, build_duration=7)
        class TestClass:
            def test_class_over_module(self, fake_builds):
                assert fake_builds.seed == 2
                assert fake_builds.build_duration == timedelta(seconds=7)

            @pytest.mark.fake_builds(seed=3, build_duration=8)
            def test_function_over_class(self, fake_builds):
                assert fake_builds.seed == 3
                assert fake_builds.build_duration == timedelta(seconds=8)

            @pytest.mark.fake_builds(seed=9, build_duration=9)
            def test_function_over_class_without_argument(self, request):
                fake = request.getfixturevalue("fake_builds")
                assert fake.seed == 9
                assert fake.build_duration == timedelta(seconds=9)
        """
    )
    result = run(probe, monkeypatch, "run", "--fakebuilds-seed", "77").result
    result.assert_outcomes(passed=6)


# Seeds ---------------------------------------------------------------------------------------


SEEDED = """
    import pytest
    from fbprobe import record_sids


    def test_first(request, fake_builds):
        record_sids(request, fake_builds)


    def test_second(request, fake_builds):
        record_sids(request, fake_builds)


    @pytest.mark.fake_builds(seed=1234)
    def test_marker_seed(request, fake_builds):
        assert fake_builds.seed == 1234
        record_sids(request, fake_builds)
"""


def test_base_seed_from_option_and_ini(
    probe: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    probe.makepyfile(test_seeded=SEEDED)
    default = run(probe, monkeypatch, "default")
    default.result.assert_outcomes(passed=3)
    assert header_seed(default.result) == "0"
    option = run(probe, monkeypatch, "option", "--fakebuilds-seed", "7")
    option.result.assert_outcomes(passed=3)
    assert header_seed(option.result) == "7"

    first, second, marked = (
        f"test_seeded.py::test_{n}" for n in ("first", "second", "marker_seed")
    )
    base, seeded = default.sids(), option.sids()
    assert set(base) == set(seeded) == {first, second, marked}
    for nodeid in (first, second):
        assert not set(base[nodeid]) & set(seeded[nodeid]), nodeid
    # The marker's seed is the fake's seed, whatever the base seed.
    assert seeded[marked] == base[marked]
    assert base[marked][0] == FakeBuilds(seed=1234).account_sid

    probe.makeini("[pytest]\nfakebuilds_seed = 7\n")
    ini = run(probe, monkeypatch, "ini")
    ini.result.assert_outcomes(passed=3)
    assert header_seed(ini.result) == "7"
    assert ini.sids() == seeded

    # The command line beats the ini file.
    both = run(probe, monkeypatch, "both", "--fakebuilds-seed", "0")
    both.result.assert_outcomes(passed=3)
    assert header_seed(both.result) == "0"
    assert both.sids() == base


@pytest.mark.parametrize(
    ("ini", "args", "seed"),
    [
        pytest.param(None, [], "0", id="default"),
        pytest.param(None, ["--fakebuilds-seed", "123"], "123", id="option"),
        pytest.param("123", [], "123", id="ini"),
        pytest.param("123", ["--fakebuilds-seed=-5"], "-5", id="option-over-ini"),
    ],
)
def test_report_header_prints_the_seed(
    pytester: pytest.Pytester, ini: str | None, args: list[str], seed: str
) -> None:
    if ini is not None:
        pytester.makeini(f"[pytest]\nfakebuilds_seed = {ini}\n")
    pytester.makepyfile("def test_nothing():\n    pass\n")
    result = pytester.runpytest("--collect-only", *args)
    assert result.ret == pytest.ExitCode.OK
    assert header_seed(result) == seed


def test_non_integer_ini_seed_is_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nfakebuilds_seed = abc\n")
    pytester.makepyfile("def test_nothing():\n    pass\n")
    result = pytester.runpytest("--collect-only")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*fakebuilds_seed must be an integer*'abc'*"])


@pytest.mark.parametrize("args", [["-q"], ["-p", "no:terminal"]])
def test_bad_ini_seed_fails_at_start_up_even_without_a_header(
    pytester: pytest.Pytester, args: list[str]
) -> None:
    pytester.makeini("[pytest]\nfakebuilds_seed = abc\n")
    pytester.makepyfile("def test_nothing():\n    pass\n")
    assert pytester.runpytest(*args).ret == pytest.ExitCode.USAGE_ERROR


@pytest.mark.parametrize("value", ["soon", "-1", "nan"])
def test_bad_ini_build_duration_is_a_usage_error(pytester: pytest.Pytester, value: str) -> None:
    pytester.makeini(f"[pytest]\nfakebuilds_build_duration = {value}\n")
    pytester.makepyfile("def test_nothing():\n    pass\n")
    result = pytester.runpytest("-q")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*fakebuilds_build_duration must be a non-negative*"])


def make_sid_suite(probe: pytest.Pytester) -> None:
    probe.makepyfile(test_alpha=SIDS_ALPHA, test_beta=SIDS_BETA)


def test_default_seed_is_stable_across_runs_orders_and_selections(
    probe: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_sid_suite(probe)
    forward = run(
        probe, monkeypatch, "forward", "-p", "no:randomly", "test_alpha.py", "test_beta.py"
    )
    forward.result.assert_outcomes(passed=SIDS_PASSED)
    again = run(probe, monkeypatch, "again", "-p", "no:randomly", "test_alpha.py", "test_beta.py")
    again.result.assert_outcomes(passed=SIDS_PASSED)
    backward = run(
        probe, monkeypatch, "backward", "-p", "no:randomly", "test_beta.py", "test_alpha.py"
    )
    backward.result.assert_outcomes(passed=SIDS_PASSED)
    alone = run(
        probe, monkeypatch, "alone", "-p", "no:randomly", "test_beta.py::TestGroup::test_two"
    )
    alone.result.assert_outcomes(passed=1)

    sids = forward.sids()
    assert len(sids) == SIDS_TESTS
    assert again.sids() == sids
    assert backward.order() != forward.order()
    assert backward.sids() == sids
    assert alone.sids() == {
        "test_beta.py::TestGroup::test_two": sids["test_beta.py::TestGroup::test_two"]
    }
    # Different tests, different fakes: no SID is shared between two tests.
    every = [sid for minted in sids.values() for sid in minted]
    assert len(set(every)) == len(every)


def test_default_seed_is_stable_under_random_order(
    probe: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_sid_suite(probe)
    one = run(probe, monkeypatch, "one", "-p", "randomly", "--randomly-seed=1")
    one.result.assert_outcomes(passed=SIDS_PASSED)
    two = run(probe, monkeypatch, "two", "-p", "randomly", "--randomly-seed=2")
    two.result.assert_outcomes(passed=SIDS_PASSED)
    assert one.order() != two.order()
    assert len(one.sids()) == SIDS_TESTS
    assert one.sids() == two.sids()


def test_default_seed_is_the_same_under_xdist(
    probe: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_sid_suite(probe)
    serial = run(probe, monkeypatch, "serial", "-p", "no:randomly")
    serial.result.assert_outcomes(passed=SIDS_PASSED)
    parallel = run(probe, monkeypatch, "parallel", "-n", "2")
    parallel.result.assert_outcomes(passed=SIDS_PASSED)
    assert serial.workers() == {"main"}
    assert parallel.workers() == {"gw0", "gw1"}
    assert len(serial.sids()) == SIDS_TESTS
    assert parallel.sids() == serial.sids()
    assert header_seed(parallel.result) == "0"


# Strict mode ---------------------------------------------------------------------------------


NETWORK = """
    import pytest
    import requests
    import responses
    from fbprobe import dump
    from pytest_fakebuilds import NetworkBlockedError


    def try_network():
        session = requests.Session()
        session.trust_env = False
        try:
            session.get("http://127.0.0.1:1/", timeout=5)
        except requests.ConnectionError as exc:
            return isinstance(exc, NetworkBlockedError)
        raise AssertionError("nothing should listen on port 1")


    def test_1_with_fake(fake_builds):
        with responses.RequestsMock() as stubs:
            stubs.add(responses.GET, "http://example.test/ping", body="pong")
            assert requests.get("http://example.test/ping").text == "pong"
        dump("with-fake", strict=fake_builds.strict, blocked=try_network())


    def test_2_without_fake():
        dump("without-fake", blocked=try_network())


    @pytest.mark.fake_builds(strict=False)
    def test_3_marker_over_option_and_ini(fake_builds):
        dump("marker-off", strict=fake_builds.strict, blocked=try_network())
"""


@pytest.mark.parametrize(
    ("ini", "args", "strict"),
    [
        pytest.param(None, [], False, id="default"),
        pytest.param(None, ["--fakebuilds-strict"], True, id="option"),
        pytest.param("true", [], True, id="ini"),
        pytest.param("false", [], False, id="ini-false"),
        pytest.param("false", ["--fakebuilds-strict"], True, id="option-over-ini"),
    ],
)
def test_strict_option_and_ini(
    probe: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    ini: str | None,
    args: list[str],
    strict: bool,
) -> None:
    probe.makepyfile(test_network=NETWORK)
    if ini is not None:
        probe.makeini(f"[pytest]\nfakebuilds_strict = {ini}\n")
    outcome = run(probe, monkeypatch, "run", "-p", "no:randomly", *args)
    outcome.result.assert_outcomes(passed=3)
    assert outcome.read("with-fake") == {"strict": strict, "blocked": strict}
    assert outcome.read("without-fake") == {"blocked": False}
    assert outcome.read("marker-off") == {"strict": False, "blocked": False}


# Command line over ini ----------------------------------------------------------------------

SETTINGS = """
    from datetime import datetime, timezone

    from fbprobe import START, dump


    def test_settings(fake_builds):
        dump(
            "settings",
            strict=fake_builds.strict,
            freezes=fake_builds.freezes_time,
            frozen=datetime.now(timezone.utc) == START,
        )
"""

STRICT_ON, STRICT_OFF = "--fakebuilds-strict", "--fakebuilds-no-strict"
FREEZE_ON, FREEZE_OFF = "--fakebuilds-freeze", "--fakebuilds-no-freeze"


def _case(key: str, ini: str | None, args: list[str], strict: bool, freeze: bool) -> Any:
    cli = " ".join(arg.removeprefix("--fakebuilds-") for arg in args) or "unset"
    return pytest.param(key, ini, args, strict, freeze, id=f"{key}={ini or 'unset'}-cli={cli}")


@pytest.mark.parametrize(
    ("key", "ini", "args", "strict", "freeze"),
    [
        # Strict: off unless asked; the command line wins over the ini key either way.
        _case("fakebuilds_strict", None, [], False, True),
        _case("fakebuilds_strict", None, [STRICT_ON], True, True),
        _case("fakebuilds_strict", None, [STRICT_OFF], False, True),
        _case("fakebuilds_strict", "true", [], True, True),
        _case("fakebuilds_strict", "true", [STRICT_ON], True, True),
        _case("fakebuilds_strict", "true", [STRICT_OFF], False, True),
        _case("fakebuilds_strict", "false", [], False, True),
        _case("fakebuilds_strict", "false", [STRICT_ON], True, True),
        _case("fakebuilds_strict", "false", [STRICT_OFF], False, True),
        _case("fakebuilds_strict", "true", [STRICT_OFF, STRICT_ON], True, True),
        _case("fakebuilds_strict", "false", [STRICT_ON, STRICT_OFF], False, True),
        # Freezing: on unless turned off; likewise.
        _case("fakebuilds_freeze_time", None, [], False, True),
        _case("fakebuilds_freeze_time", None, [FREEZE_ON], False, True),
        _case("fakebuilds_freeze_time", None, [FREEZE_OFF], False, False),
        _case("fakebuilds_freeze_time", "true", [], False, True),
        _case("fakebuilds_freeze_time", "true", [FREEZE_ON], False, True),
        _case("fakebuilds_freeze_time", "true", [FREEZE_OFF], False, False),
        _case("fakebuilds_freeze_time", "false", [], False, False),
        _case("fakebuilds_freeze_time", "false", [FREEZE_ON], False, True),
        _case("fakebuilds_freeze_time", "false", [FREEZE_OFF], False, False),
        _case("fakebuilds_freeze_time", "true", [FREEZE_OFF, FREEZE_ON], False, True),
        _case("fakebuilds_freeze_time", "false", [FREEZE_ON, FREEZE_OFF], False, False),
    ],
)
def test_command_line_wins_over_ini_either_way(
    probe: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    key: str,
    ini: str | None,
    args: list[str],
    strict: bool,
    freeze: bool,
) -> None:
    probe.makepyfile(test_settings=SETTINGS)
    if ini is not None:
        probe.makeini(f"[pytest]\n{key} = {ini}\n")
    outcome = run(probe, monkeypatch, "run", *args)
    outcome.result.assert_outcomes(passed=1)
    assert outcome.read("settings") == {"strict": strict, "freezes": freeze, "frozen": freeze}


# Build duration ini --------------------------------------------------------------------------


def test_build_duration_ini(probe: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    probe.makeini("[pytest]\nfakebuilds_build_duration = 2.5\n")
    probe.makepyfile(
        test_duration="""
        from datetime import timedelta

        import pytest


        def test_ini_duration(fake_builds):
            assert fake_builds.build_duration == timedelta(seconds=2.5)
            service = fake_builds.create_service()
            version = fake_builds.create_function_version(service.sid, "/hello")
            builds = fake_builds.client().serverless.v1.services(service.sid).builds
            build = builds.create(function_versions=[version.sid])
            fake_builds.advance(2)
            assert builds(build.sid).fetch().status == "building"
            fake_builds.advance(0.5)
            assert builds(build.sid).fetch().status == "completed"


        @pytest.mark.fake_builds(build_duration=timedelta(minutes=1))
        def test_marker_over_ini(fake_builds):
            assert fake_builds.build_duration == timedelta(minutes=1)
        """
    )
    result = run(probe, monkeypatch, "run").result
    result.assert_outcomes(passed=2)


# Time ----------------------------------------------------------------------------------------


def test_time_follows_the_fake_clock(
    probe: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    probe.makepyfile(
        test_time="""
        import time
        from datetime import date, datetime, timedelta, timezone
        from time import sleep

        import pytest
        from fbprobe import START


        def test_clock_starts_at_the_fixed_instant(fake_builds):
            assert fake_builds.now() == START
            assert fake_builds.freezes_time
            assert datetime.now(timezone.utc) == START
            assert datetime.now() == START.replace(tzinfo=None)
            assert date.today() == START.date()
            assert time.time() == START.timestamp()


        def test_advance_moves_global_time(fake_builds):
            mono = time.monotonic()
            assert fake_builds.advance(timedelta(minutes=3)) == START + timedelta(minutes=3)
            assert datetime.now(timezone.utc) == START + timedelta(minutes=3)
            assert time.time() == START.timestamp() + 180
            assert time.monotonic() - mono == pytest.approx(180)
            fake_builds.advance(1.5)
            assert datetime.now(timezone.utc) == START + timedelta(seconds=181.5)
            assert time.monotonic() - mono == pytest.approx(181.5)


        def test_sleep_advances_the_clock(fake_builds):
            before = fake_builds.now()
            mono = time.monotonic()
            assert time.sleep(5) is None
            assert fake_builds.now() - before == timedelta(seconds=5)
            assert datetime.now(timezone.utc) == before + timedelta(seconds=5)
            assert time.time() == (before + timedelta(seconds=5)).timestamp()
            assert time.monotonic() - mono == pytest.approx(5)
            sleep(2)  # bound by "from time import sleep" before any fake existed
            assert fake_builds.now() - before == timedelta(seconds=7)
            with pytest.raises(ValueError):
                time.sleep(-1)
            assert fake_builds.now() - before == timedelta(seconds=7)


        def test_polling_loop_finishes_on_the_fake_clock(fake_builds):
            service = fake_builds.create_service()
            version = fake_builds.create_function_version(service.sid, "/hello")
            builds = fake_builds.client().serverless.v1.services(service.sid).builds
            build = builds.create(function_versions=[version.sid])
            polls = 0
            while build.status == "building":
                time.sleep(1)
                polls += 1
                build = builds(build.sid).fetch()
            assert build.status == "completed"
            assert polls == 10
            assert fake_builds.now() == START + timedelta(seconds=10)
        """
    )
    result = run(probe, monkeypatch, "run").result
    result.assert_outcomes(passed=4)


def test_tests_without_the_fixture_see_real_time(
    probe: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    probe.makepyfile(
        lazy_clock="""
        from datetime import datetime, timezone
        from time import sleep, time


        def stamp():
            return time()


        def now():
            return datetime.now(timezone.utc)
        """,
        test_after="""
        import time
        from datetime import datetime, timezone
        from time import monotonic, sleep

        from fbprobe import START, dump, seen_now


        def test_1_frozen(fake_builds):
            assert datetime.now(timezone.utc) == START
            import lazy_clock  # first imported while time is frozen

            assert lazy_clock.stamp() == START.timestamp()
            assert lazy_clock.now() == START
            fake_builds.advance(60)


        def test_2_real():
            import lazy_clock

            dump("real", **seen_now())
            dump(
                "lazy",
                datetime=lazy_clock.now().timestamp(),
                time=lazy_clock.stamp(),
                monotonic=monotonic(),
            )
            names = {
                "time.sleep": time.sleep,
                "sleep": sleep,
                "lazy_clock.sleep": lazy_clock.sleep,
                "time.time": time.time,
                "lazy_clock.time": lazy_clock.time,
                "monotonic": monotonic,
            }
            dump("modules", **{k: getattr(v, "__module__", None) for k, v in names.items()})
            dump("datetime-module", here=datetime.__module__, lazy=lazy_clock.datetime.__module__)
        """,
    )
    outcome = run(probe, monkeypatch, "run", "-p", "no:randomly")
    outcome.result.assert_outcomes(passed=2)
    outcome.assert_real(outcome.read("real"))
    outcome.assert_real(outcome.read("lazy"))
    assert set(outcome.read("modules").values()) == {"time"}
    assert outcome.read("datetime-module") == {"here": "datetime", "lazy": "datetime"}


NO_FREEZE = """
    from datetime import datetime, timedelta, timezone

    import pytest
    from fbprobe import START, dump, seen_now


    def test_global_time_untouched(fake_builds):
        assert not fake_builds.freezes_time
        assert fake_builds.now() == START
        dump("before", **seen_now())
        fake_builds.advance(90)
        assert fake_builds.now() == START + timedelta(seconds=90)
        dump("after", **seen_now())
        service = fake_builds.create_service()
        version = fake_builds.create_function_version(service.sid, "/hello")
        builds = fake_builds.client().serverless.v1.services(service.sid).builds
        build = builds.create(function_versions=[version.sid])
        assert build.date_created == START + timedelta(seconds=90)
        fake_builds.advance(10)
        assert builds(build.sid).fetch().status == "completed"


    @pytest.mark.fake_builds(freeze=True)
    def test_marker_freezes_anyway(fake_builds):
        assert fake_builds.freezes_time
        assert datetime.now(timezone.utc) == START
"""


@pytest.mark.parametrize(
    ("ini", "args"),
    [
        pytest.param(None, ["--fakebuilds-no-freeze"], id="option"),
        pytest.param("false", [], id="ini"),
        pytest.param("true", ["--fakebuilds-no-freeze"], id="option-over-ini"),
    ],
)
def test_no_freeze_option_and_ini(
    probe: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, ini: str | None, args: list[str]
) -> None:
    probe.makepyfile(test_no_freeze=NO_FREEZE)
    if ini is not None:
        probe.makeini(f"[pytest]\nfakebuilds_freeze_time = {ini}\n")
    outcome = run(probe, monkeypatch, "run", *args)
    outcome.result.assert_outcomes(passed=2)
    outcome.assert_real(outcome.read("before"))
    outcome.assert_real(outcome.read("after"))


def test_freeze_time_ini_true_freezes(
    probe: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    probe.makeini("[pytest]\nfakebuilds_freeze_time = true\n")
    probe.makepyfile(
        test_frozen="""
        from datetime import datetime, timezone

        from fbprobe import START


        def test_frozen(fake_builds):
            assert fake_builds.freezes_time
            assert datetime.now(timezone.utc) == START
        """
    )
    run(probe, monkeypatch, "run").result.assert_outcomes(passed=1)


TIME_MACHINE = """
    import time
    from datetime import datetime, timedelta, timezone

    import pytest
    import time_machine
    from fbprobe import START

    TRAVEL = datetime(2031, 3, 4, 5, 6, 7, tzinfo=timezone.utc)


    def exercise(fake_builds):
        assert datetime.now(timezone.utc) == TRAVEL
        assert time.time() == TRAVEL.timestamp()
        assert fake_builds.now() == START
        service = fake_builds.create_service()
        version = fake_builds.create_function_version(service.sid, "/hello")
        builds = fake_builds.client().serverless.v1.services(service.sid).builds
        build = builds.create(function_versions=[version.sid])
        assert build.date_created == START
        fake_builds.advance(10)
        assert builds(build.sid).fetch().status == "completed"
        assert datetime.now(timezone.utc) == TRAVEL


    @pytest.mark.fake_builds(freeze=False)
    def test_marker(fake_builds):
        with time_machine.travel(TRAVEL, tick=False):
            exercise(fake_builds)


    def test_option(fake_builds, time_machine):
        time_machine.move_to(TRAVEL, tick=False)
        exercise(fake_builds)
"""


def test_time_machine_with_freeze_false(
    probe: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("time_machine")
    probe.makepyfile(test_tm=TIME_MACHINE)
    marker = run(probe, monkeypatch, "marker", "-k", "test_marker")
    marker.result.assert_outcomes(passed=1, deselected=1)
    option = run(probe, monkeypatch, "option", "--fakebuilds-no-freeze")
    option.result.assert_outcomes(passed=2)


# Internal errors -----------------------------------------------------------------------------


def test_internal_error_fails_the_test_at_teardown(
    probe: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    probe.makepyfile(
        test_broken="""
        import pytest
        from twilio.base.exceptions import TwilioRestException
        from fbprobe import dump, seen_now


        def test_1_broken(fake_builds, monkeypatch):
            service = fake_builds.create_service()
            version = fake_builds.create_function_version(service.sid, "/hello")

            def explode(*args, **kwargs):
                raise RuntimeError("kaboom-in-the-fake")

            monkeypatch.setattr("pytest_fakebuilds.serverless.builds.create", explode)
            builds = fake_builds.client().serverless.v1.services(service.sid).builds
            with pytest.raises(TwilioRestException) as info:
                builds.create(function_versions=[version.sid])
            assert info.value.status == 500


        def test_2_next_test_is_clean():
            dump("after", **seen_now())
        """
    )
    outcome = run(probe, monkeypatch, "run", "-p", "no:randomly")
    outcome.result.assert_outcomes(passed=2, errors=1)
    outcome.result.stdout.fnmatch_lines(
        [
            "*ERROR at teardown of test_1_broken*",
            "*FakeInternalError*kaboom-in-the-fake*",
        ]
    )
    outcome.result.stdout.fnmatch_lines(["ERROR test_broken.py::test_1_broken - *"])
    outcome.assert_real(outcome.read("after"))
