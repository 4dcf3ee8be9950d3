"""The marker must activate the fake before the test's own fixtures, as ``usefixtures`` does.

Otherwise a marker-only test's function-scoped fixtures would run with no
fake active (real time, and Twilio requests to the real network), while
higher-scoped fixtures must still start before the fake, with real time.
"""

from __future__ import annotations

import json
import time

import pytest

INNER = """
    import json
    import os
    import pathlib
    import time
    from datetime import datetime, timezone

    import pytest

    START = datetime(2026, 1, 1, 12, 0, 0, tzinfo=timezone.utc)


    @pytest.fixture(scope="session")
    def session_stamp():
        stamp = {"time": time.time(), "monotonic": time.monotonic()}
        pathlib.Path(os.environ["FAKEBUILDS_OUT"]).write_text(json.dumps(stamp))
        return stamp


    @pytest.fixture
    def stamp():
        return datetime.now(timezone.utc)


    @pytest.mark.usefixtures("fake_builds")
    def test_usefixtures(session_stamp, stamp):
        assert stamp == START


    @pytest.mark.fake_builds
    def test_marker_only(session_stamp, stamp):
        assert stamp == START


    @pytest.mark.fake_builds(start="2030-01-01T00:00:00Z")
    def test_marker_only_with_start(session_stamp, stamp):
        assert stamp == datetime(2030, 1, 1, tzinfo=timezone.utc)
"""


def test_marker_sets_up_the_fake_before_the_tests_own_fixtures(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("PYTEST_XDIST_WORKER", "PYTEST_XDIST_WORKER_COUNT", "PYTEST_XDIST_TESTRUNUID"):
        monkeypatch.delenv(name, raising=False)
    out = pytester.path / "session-stamp.json"
    monkeypatch.setenv("FAKEBUILDS_OUT", str(out))
    pytester.makepyfile(test_order=INNER)
    wall, mono = time.time(), time.monotonic()
    result = pytester.runpytest_subprocess("-p", "no:randomly")
    result.assert_outcomes(passed=3)
    # The session fixture was set up before any fake: it saw real time.
    session = json.loads(out.read_text())
    assert wall <= session["time"] <= time.time()
    assert mono <= session["monotonic"] <= time.monotonic()
