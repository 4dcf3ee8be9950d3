"""What the plugin adds to every ``pytest`` start-up, fixture used or not.

pytest imports ``pytest_fakebuilds.plugin`` through its ``pytest11`` entry
point on every run, so the plugin must import nothing heavy: ``responses``,
``faker``, ``freezegun``, ``twilio`` and ``requests`` (about half a second
together) load only when a fake is first used. Measured three ways, each
side by side with its baseline in interleaved fresh processes:

* in-process: ``import pytest_fakebuilds.plugin`` right after ``import pytest``;
* ``python -c "import pytest, pytest_fakebuilds.plugin"`` vs ``python -c "import pytest"``;
* a whole ``pytest`` run of one trivial test, with the plugin vs ``-p no:fakebuilds``
  (imports plus the plugin's hooks: options, ini keys, marker, report header).

The verdict is on CPU time (user + system) of the child processes: on a
shared two-core machine a start-up's wall-clock time swings by a hundred
milliseconds with whatever else runs, and the plugin's share is a few.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from _common import Row, median, ms, now, verdict

BAR_SECONDS = 30e-3
HEAVY = ("responses", "faker", "freezegun", "twilio", "requests")

_IN_PROCESS = """
import json, sys, time
perf = time.perf_counter
import pytest
before = set(sys.modules)
start = perf()
import pytest_fakebuilds.plugin
elapsed = perf() - start
heavy = sorted(name for name in {heavy!r} if name in sys.modules)
added = sorted(set(sys.modules) - before)
print(json.dumps({{"seconds": elapsed, "heavy": heavy, "added": added}}))
"""

_TRIVIAL_TEST = """
import json
import os
import sys

HEAVY = {heavy!r}


def test_trivial():
    loaded = sorted(name for name in HEAVY + ("pytest_fakebuilds",) if name in sys.modules)
    with open(os.environ["FAKEBUILDS_BENCH_OUT"], "w") as out:
        json.dump(loaded, out)
"""


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _timed(command: list[str], **kwargs: Any) -> tuple[float, float]:
    """Wall-clock and CPU (user + system) seconds of one child process."""
    cpu, start = _children_cpu(), now()
    result = subprocess.run(command, capture_output=True, text=True, check=False, **kwargs)
    elapsed, cpu = now() - start, _children_cpu() - cpu
    if result.returncode != 0:
        raise RuntimeError(f"{command} failed:\n{result.stdout}{result.stderr}")
    return elapsed, cpu


def _paired(
    commands: dict[str, tuple[list[str], dict[str, Any]]], rounds: int
) -> tuple[float, float]:
    """(with plugin - without) over interleaved rounds, in seconds.

    Wall-clock: the difference of the best runs (noise only ever adds to a
    start-up). CPU time: the median of the paired differences.
    """
    walls: dict[str, list[float]] = {"with": [], "without": []}
    cpus = []
    for index in range(rounds):
        order = ["without", "with"] if index % 2 == 0 else ["with", "without"]
        times = {}
        for name in order:
            command, kwargs = commands[name]
            times[name] = _timed(command, **kwargs)
            walls[name].append(times[name][0])
        cpus.append(times["with"][1] - times["without"][1])
    return min(walls["with"]) - min(walls["without"]), median(cpus)


def run(quick: bool) -> list[Row]:
    python = sys.executable
    env = {key: value for key, value in os.environ.items() if not key.startswith("PYTEST_")}

    probes = []
    for _ in range(1 if quick else 5):
        output = subprocess.run(
            [python, "-c", _IN_PROCESS.format(heavy=HEAVY)],
            capture_output=True,
            text=True,
            check=True,
            env=env,
        ).stdout
        probes.append(json.loads(output.splitlines()[-1]))
    in_process = min(probe["seconds"] for probe in probes)
    heavy_on_import = probes[0]["heavy"]
    added = probes[0]["added"]

    python_c, python_c_cpu = _paired(
        {
            "without": ([python, "-c", "import pytest"], {"env": env}),
            "with": ([python, "-c", "import pytest, pytest_fakebuilds.plugin"], {"env": env}),
        },
        rounds=1 if quick else 20,
    )

    with tempfile.TemporaryDirectory(prefix="fakebuilds-bench-") as tmp:
        directory = Path(tmp)
        (directory / "pytest.ini").write_text("[pytest]\n")
        (directory / "test_trivial.py").write_text(_TRIVIAL_TEST.format(heavy=HEAVY))
        # faker's and pytest-randomly's own plugins load faker on every run; off
        # on both sides, so that only this plugin could load anything heavy.
        base = [python, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
        base += ["-p", "no:faker", "-p", "no:randomly", "test_trivial.py"]
        rounds = 1 if quick else 16
        outs = {name: directory / f"{name}.json" for name in ("with", "without")}
        startup, startup_cpu = _paired(
            {
                "without": (
                    [*base, "-p", "no:fakebuilds"],
                    {
                        "cwd": directory,
                        "env": {**env, "FAKEBUILDS_BENCH_OUT": str(outs["without"])},
                    },
                ),
                "with": (
                    base,
                    {"cwd": directory, "env": {**env, "FAKEBUILDS_BENCH_OUT": str(outs["with"])}},
                ),
            },
            rounds=rounds,
        )
        loaded = {name: json.loads(out.read_text()) for name, out in outs.items()}
    if "pytest_fakebuilds" not in loaded["with"] or "pytest_fakebuilds" in loaded["without"]:
        raise AssertionError(f"the plugin was not loaded as expected: {loaded}")
    by_plugin = sorted(set(loaded["with"]) - set(loaded["without"]) - {"pytest_fakebuilds"})
    return [
        Row(
            "import cost: pytest start-up with the plugin vs -p no:fakebuilds",
            f"{ms(startup_cpu)} CPU (one trivial test; median of paired runs, {rounds}; "
            f"best wall-clock runs differ by {ms(startup)})",
            f"<= {ms(BAR_SECONDS)}",
            verdict(startup_cpu <= BAR_SECONDS),
        ),
        Row(
            '↳ python -c "import pytest, pytest_fakebuilds.plugin" vs "import pytest"',
            f"{ms(python_c)} wall, {ms(python_c_cpu)} CPU",
        ),
        Row(
            "↳ import pytest_fakebuilds.plugin after pytest, in-process",
            f"{ms(in_process)}; modules it adds: {', '.join(added) or 'none'}",
        ),
        Row(
            "↳ heavy modules loaded by importing the plugin / by its hooks",
            f"{', '.join(heavy_on_import) or 'none'} / {', '.join(by_plugin) or 'none'} "
            f"(of {', '.join(HEAVY)})",
            "none",
            verdict(not heavy_on_import and not by_plugin),
        ),
    ]
