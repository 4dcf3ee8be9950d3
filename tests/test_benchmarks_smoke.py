"""``benchmarks/run.py --quick`` runs every benchmark to the end.

Only that it works is checked here: no figure is asserted. Time-based checks
belong in the benchmarks themselves (``python benchmarks/run.py``), never in
timed unit tests.

Each benchmark is its own test (``run.py --quick --only NAME``: the same
script, the same child process per benchmark, the same table), so that xdist
spreads the ten of them over the workers instead of one test holding a worker
for all ten; ``test_every_benchmark_has_a_smoke_run`` keeps that list equal to
the benchmarks ``run.py`` knows.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

RUN = Path(__file__).resolve().parent.parent / "benchmarks" / "run.py"

# The first cell of each benchmark's headline rows, by the name run.py gives it.
HEADLINES = {
    "request": ("per-request fetch, fake / bare responses stub",),
    "scenarios": ("per-request fetch, 10 rules + 10 faults",),
    "upload": ("per-request upload (10 KB Function), fake / bare responses stub",),
    "fixture": ("fixture set-up + tear-down",),
    "listing": ("listing builds as users meet it",),
    "versions": ("listing function versions as users meet it",),
    "import": ("import cost: pytest start-up",),
    "soak": ("soak, threads:", "soak, creates:", "soak, start/stop:"),
    "server": (
        "server: keep-alive fetch at its own URL",
        "server: fetch through its HTTPS proxy",
        "server: `serve --json` spawned",
    ),
    "server-load": ("server: 16 clients x", "server: resident memory kept per request"),
}


def _cells(row: str) -> list[str]:
    return [cell.strip() for cell in row.strip().strip("|").split("|")]


def test_every_benchmark_has_a_smoke_run() -> None:
    spec = importlib.util.spec_from_file_location("benchmarks_run", RUN)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert list(HEADLINES) == list(module.BENCHMARKS)


@pytest.mark.parametrize("name", list(HEADLINES))
def test_quick_run_prints_the_rows_of_each_benchmark(name: str) -> None:
    # The benchmarks start pytest runs of their own: nothing of this run may leak in.
    env = {key: value for key, value in os.environ.items() if not key.startswith("PYTEST_")}
    env["PYTHONIOENCODING"] = "utf-8"
    result = subprocess.run(
        [sys.executable, str(RUN), "--quick", "--only", name],
        capture_output=True,
        encoding="utf-8",
        env=env,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr

    rows = [_cells(line) for line in result.stdout.splitlines() if line.startswith("| ")]
    assert rows, result.stdout
    assert rows[0] == ["benchmark", "measured", "bar", "verdict"]
    for headline in HEADLINES[name]:
        matching = [row for row in rows if row[0].startswith(headline)]
        assert len(matching) == 1, f"no single row for {headline!r} in:\n{result.stdout}"
        _name, figure, bar, verdict = matching[0]
        assert figure
        assert bar != "-"
        assert verdict.split()[0] in ("PASS", "FAIL")
    assert "ERROR" not in (row[3] for row in rows)
