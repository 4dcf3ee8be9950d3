"""``benchmarks/run.py --quick`` runs every benchmark to the end.

Only that it works is checked here: no figure is asserted. Time-based checks
belong in the benchmarks themselves (``python benchmarks/run.py``), never in
timed unit tests.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

RUN = Path(__file__).resolve().parent.parent / "benchmarks" / "run.py"

# The first cell of each benchmark's headline row.
HEADLINES = (
    "per-request fetch, fake / bare responses stub",
    "per-request upload (10 KB Function), fake / bare responses stub",
    "fixture set-up + tear-down",
    "listing builds as users meet it",
    "listing function versions as users meet it",
    "import cost: pytest start-up",
    "soak, threads:",
    "soak, creates:",
    "soak, start/stop:",
    "per-request fetch, 10 rules + 10 faults",
    "server: keep-alive fetch at its own URL",
    "server: fetch through its HTTPS proxy",
    "server: `serve --json` spawned",
    "server: 16 clients x",
    "server: resident memory kept per request",
)


def _cells(row: str) -> list[str]:
    return [cell.strip() for cell in row.strip().strip("|").split("|")]


def test_quick_run_prints_a_row_for_each_benchmark() -> None:
    # The benchmarks start pytest runs of their own: nothing of this run may leak in.
    env = {key: value for key, value in os.environ.items() if not key.startswith("PYTEST_")}
    env["PYTHONIOENCODING"] = "utf-8"
    result = subprocess.run(
        [sys.executable, str(RUN), "--quick"],
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
    for headline in HEADLINES:
        matching = [row for row in rows if row[0].startswith(headline)]
        assert len(matching) == 1, f"no single row for {headline!r} in:\n{result.stdout}"
        _name, figure, bar, verdict = matching[0]
        assert figure
        assert bar != "-"
        assert verdict.split()[0] in ("PASS", "FAIL")
    assert "ERROR" not in (row[3] for row in rows)
