"""Fixture set-up plus tear-down per test, in a process with ~600 modules loaded.

What the ``fake_builds`` fixture does per test is ``FakeBuilds(seed=...)``,
``start()`` and ``stop()``; that cycle is timed in-process (CPU time, after
one warm-up activation, median of interleaved rounds), interleaved with
``freezegun.freeze_time(...).start()`` + ``stop()`` for context (freezegun
scans every loaded module on every start). The same comparison then runs
end to end: ``pytest`` subprocesses with N tests that request the fixture vs N
that do not, timing pytest's run-test loop only (its CPU time: on a shared
machine, wall-clock time also counts other processes).

It also checks the other half of the contract: a test that does not use the
fixture is not taxed. After fakes have been started and stopped, the real
time functions are back everywhere and reading the clock costs what it cost
before any fake ran.
"""

from __future__ import annotations

import datetime
import itertools
import json
import os
import subprocess
import sys
import tempfile
import textwrap
import time
import timeit
from datetime import datetime as _datetime_class  # the pattern a module scan re-points
from pathlib import Path

from _common import Row, cpu_now, interleave, load_modules, median, ms, now, us, verdict

BAR_SECONDS = 3e-3
TAX_BAR = 1.10
HERE = Path(__file__).resolve().parent


def _probe() -> None:
    """Reading the clock the ways a test does."""
    time.time()
    time.monotonic()
    datetime.datetime.now()
    _datetime_class.now()


def _probe_cost(number: int, repeat: int) -> float:
    timer = timeit.Timer(_probe, timer=cpu_now)
    return min(timer.repeat(repeat=repeat, number=number)) / number


def _check_contract() -> None:
    """While active, time is frozen at the fake's clock and ``sleep`` advances it."""
    from pytest_fakebuilds import FakeBuilds

    fake = FakeBuilds(seed=1)
    with fake:
        frozen = time.time()
        if frozen != fake.now().timestamp() or time.time() != frozen:
            raise AssertionError("time is not frozen at the fake's clock")
        before = fake.now()
        time.sleep(30)
        if (fake.now() - before).total_seconds() != 30 or time.time() != frozen + 30:
            raise AssertionError("time.sleep does not advance the fake's clock")
        if datetime.datetime.now(datetime.timezone.utc) != fake.now():
            raise AssertionError("datetime.now() does not follow the fake's clock")


_CONFTEST = """
from __future__ import annotations

import gc
import json
import os
import sys

sys.path.insert(0, {bench_dir!r})

from _common import cpu_now, load_modules, now

MODULES = load_modules(600)

import pytest

# First-use imports, done alike on every side.
import pytest_fakebuilds.fake
import pytest_fakebuilds.transport

if os.environ["FAKEBUILDS_BENCH_WARM"] == "1":
    # The one-off first activation (a full module scan) is not a per-test cost.
    pytest_fakebuilds.fake.FakeBuilds().start().stop()

# Every side starts its loop with the collector in the same state, so that a
# full collection of the start-up's heap lands in no side's loop by chance.
gc.collect()


@pytest.hookimpl(wrapper=True)
def pytest_runtestloop(session):
    start, cpu_start = now(), cpu_now()
    try:
        return (yield)
    finally:
        wall, cpu = now() - start, cpu_now() - cpu_start
        with open(os.environ["FAKEBUILDS_BENCH_OUT"], "w") as out:
            json.dump(
                {{"wall": wall, "cpu": cpu, "modules": MODULES, "tests": session.testscollected}},
                out,
            )
"""

_TESTS = """
import os

import pytest

N = int(os.environ["FAKEBUILDS_BENCH_N"])

if os.environ["FAKEBUILDS_BENCH_USE"] == "1":

    @pytest.mark.parametrize("i", range(N))
    def test_case(i, fake_builds):
        pass

else:

    @pytest.mark.parametrize("i", range(N))
    def test_case(i):
        pass
"""

# variant -> (tests use the fixture, warm-up activation, plugin loaded)
_VARIANTS = {
    "fixture": (True, True, True),
    "plain": (False, True, True),
    "plain_no_plugin": (False, False, False),
}


def _pytest_loop(directory: Path, variant: str, n: int) -> dict[str, float]:
    use, warm, plugin = _VARIANTS[variant]
    out = directory / f"{variant}.json"
    env = {key: value for key, value in os.environ.items() if not key.startswith("PYTEST_")}
    env.update(
        FAKEBUILDS_BENCH_N=str(n),
        FAKEBUILDS_BENCH_USE="1" if use else "0",
        FAKEBUILDS_BENCH_WARM="1" if warm else "0",
        FAKEBUILDS_BENCH_OUT=str(out),
    )
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", "-p", "no:cacheprovider"]
    if not plugin:
        command += ["-p", "no:fakebuilds"]
    result = subprocess.run(
        [*command, "test_bench.py"],
        cwd=directory,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"pytest ({variant}) failed:\n{result.stdout[-3000:]}{result.stderr}")
    data: dict[str, float] = json.loads(out.read_text())
    if data["tests"] != n:
        raise RuntimeError(f"pytest ({variant}) collected {data['tests']} tests, expected {n}")
    return data


def _pytest_runs(quick: bool) -> list[Row]:
    n, rounds = (5, 1) if quick else (400, 5)
    variants = list(_VARIANTS) if not quick else ["fixture", "plain"]
    runs: dict[str, list[dict[str, float]]] = {name: [] for name in variants}
    with tempfile.TemporaryDirectory(prefix="fakebuilds-bench-") as tmp:
        directory = Path(tmp)
        (directory / "pytest.ini").write_text("[pytest]\n")
        (directory / "conftest.py").write_text(_CONFTEST.format(bench_dir=str(HERE)))
        (directory / "test_bench.py").write_text(textwrap.dedent(_TESTS))
        for index in range(rounds):
            for name in variants if index % 2 == 0 else variants[::-1]:
                runs[name].append(_pytest_loop(directory, name, n))

    def best(name: str, key: str) -> float:
        return min(run[key] for run in runs[name])

    modules = int(runs["fixture"][0]["modules"])
    per_test = (best("fixture", "cpu") - best("plain", "cpu")) / n
    per_test_wall = (best("fixture", "wall") - best("plain", "wall")) / n
    rows = [
        Row(
            f"↳ pytest run: {n} tests with fake_builds vs {n} without",
            f"{ms(per_test)} CPU per test ({ms(per_test_wall)} wall; {modules} modules; "
            f"run-test loop, best of {rounds})",
            f"<= {ms(BAR_SECONDS)}",
            verdict(per_test <= BAR_SECONDS),
        )
    ]
    if "plain_no_plugin" in runs:
        tax = (best("plain", "cpu") - best("plain_no_plugin", "cpu")) / n
        rows.append(
            Row(
                "↳ pytest run: plain tests, plugin on and a fake used before vs plugin off",
                f"{us(tax)} CPU per test",
            )
        )
    return rows


def run(quick: bool) -> list[Row]:
    count = load_modules(600)
    # First-use imports happen before anything is timed: they are a one-off.
    import freezegun.api
    import requests
    from freezegun import freeze_time

    from pytest_fakebuilds import FakeBuilds

    real_sleep, real_get_adapter = time.sleep, requests.Session.get_adapter
    number, repeat = (500, 1) if quick else (20_000, 7)
    fresh = _probe_cost(number, repeat)

    start = now()
    FakeBuilds(seed=0).start().stop()
    first = now() - start
    _check_contract()

    seeds = itertools.count(1)

    def fixture_cycle() -> None:
        fake = FakeBuilds(seed=next(seeds))
        fake.start()
        fake.stop()

    def freezegun_cycle() -> None:
        freezer = freeze_time("2026-01-01 12:00:00")
        freezer.start()
        freezer.stop()

    rounds, inner = (2, 2) if quick else (25, 10)
    samples = interleave(
        {"fixture": fixture_cycle, "freezegun": freezegun_cycle}, rounds=rounds, inner=inner
    )
    cycle, freezegun_cost = median(samples["fixture"]), median(samples["freezegun"])

    after = _probe_cost(number, repeat)
    api = freezegun.api
    restored = (
        time.time is api.real_time
        and time.monotonic is api.real_monotonic
        and time.perf_counter is api.real_perf_counter
        and time.sleep is real_sleep
        and datetime.datetime is api.real_datetime
        and _datetime_class is api.real_datetime
        and requests.Session.get_adapter is real_get_adapter
    )
    tax_ratio = after / fresh
    rows = [
        Row(
            f"fixture set-up + tear-down ({count} modules loaded)",
            f"{ms(cycle)} per test (FakeBuilds(seed) + start() + stop(), median)",
            f"<= {ms(BAR_SECONDS)}",
            verdict(cycle <= BAR_SECONDS),
        ),
        Row(
            "↳ freezegun freeze_time().start() + stop(), same process",
            f"{ms(freezegun_cost)} ({freezegun_cost / cycle:.0f}x the fixture)",
        ),
        Row("↳ first activation in the process (one full module scan)", ms(first)),
        Row(
            "↳ clock reads in a test without the fixture, after fakes ran / before",
            f"{tax_ratio:.2f}x ({us(after)} vs {us(fresh)} per probe); "
            f"real time functions restored: {'yes' if restored else 'NO'}",
            f"<= {TAX_BAR:.2f}x, restored",
            verdict(tax_ratio <= TAX_BAR and restored),
        ),
    ]
    return rows + _pytest_runs(quick)
