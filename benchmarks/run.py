"""Run every pytest-fakebuilds benchmark and print one table.

    python benchmarks/run.py           # the full run (about six minutes)
    python benchmarks/run.py --quick   # few iterations: checks that it all works

Each benchmark runs in a fresh child process (this script with ``--child``),
so one benchmark's imports, patches and heap do not colour another's. Within
a benchmark the compared variants are interleaved (A B, B A, ...) and
summarised by medians or minimums, so noise hits both sides alike.

The exit status is non-zero only when a benchmark crashed; a missed bar is a
verdict in the table, not an error.
"""

from __future__ import annotations

import argparse
import datetime
import importlib
import json
import os
import platform
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

# name -> module; the order of the table.
BENCHMARKS = {
    "request": "bench_request",
    "scenarios": "bench_scenarios",
    "upload": "bench_upload",
    "fixture": "bench_fixture",
    "listing": "bench_listing",
    "versions": "bench_versions",
    "import": "bench_import",
    "soak": "bench_soak",
    "server": "bench_server",
    "server-load": "bench_server_load",
}
_MARK = "@@fakebuilds-bench@@"


def _child(name: str, quick: bool) -> int:
    sys.path.insert(0, str(HERE))
    module = importlib.import_module(BENCHMARKS[name])
    rows = module.run(quick)
    sys.stdout.flush()
    print(_MARK + json.dumps([row.to_json() for row in rows]))
    return 0


def _run_child(name: str, quick: bool) -> tuple[list[dict[str, str]], str | None]:
    command = [sys.executable, str(Path(__file__).resolve()), "--child", name]
    if quick:
        command.append("--quick")
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    for line in result.stdout.splitlines():
        if line.startswith(_MARK) and result.returncode == 0:
            return json.loads(line[len(_MARK) :]), None
    tail = (result.stderr or result.stdout).strip().splitlines()[-15:]
    return [], f"exit status {result.returncode}\n" + "\n".join(tail)


def _table(rows: list[dict[str, str]]) -> str:
    """A Markdown table: readable in a terminal, and pasted as is into docs/performance.md."""
    titles = {"benchmark": "benchmark", "figure": "measured", "bar": "bar", "verdict": "verdict"}
    widths = {
        key: max([len(title)] + [len(row[key]) for row in rows]) for key, title in titles.items()
    }

    def line(cells: dict[str, str]) -> str:
        return "| " + " | ".join(cells[key].ljust(widths[key]) for key in titles) + " |"

    rule = {key: "-" * widths[key] for key in titles}
    return "\n".join([line(titles), line(rule), *(line(row) for row in rows)])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="few iterations (a smoke test)")
    parser.add_argument(
        "--only", choices=list(BENCHMARKS), action="append", help="run only these benchmarks"
    )
    parser.add_argument("--child", choices=list(BENCHMARKS), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return _child(args.child, args.quick)

    names = args.only or list(BENCHMARKS)
    if hasattr(sys.stdout, "reconfigure"):  # the table has a few non-ASCII characters
        sys.stdout.reconfigure(errors="backslashreplace")
    print(
        f"pytest-fakebuilds benchmarks{' (--quick: figures are rough)' if args.quick else ''}: "
        f"{datetime.date.today().isoformat()}, Python {platform.python_version()}, "
        f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores",
        flush=True,
    )
    rows: list[dict[str, str]] = []
    crashed = []
    for name in names:
        print(f"  running {name}...", file=sys.stderr, flush=True)
        result, error = _run_child(name, args.quick)
        if error is not None:
            crashed.append(name)
            rows.append({"benchmark": name, "figure": "crashed", "bar": "-", "verdict": "ERROR"})
            print(f"benchmark {name} crashed: {error}", file=sys.stderr)
        rows += result
    print()
    print(_table(rows))
    missed = [row["benchmark"].strip() for row in rows if row["verdict"].startswith("FAIL")]
    print()
    if missed:
        print(f"bars missed: {', '.join(missed)}")
    if crashed:
        print(f"crashed (no figures): {', '.join(crashed)}")
    elif not missed:
        print("all bars met")
    return 1 if crashed else 0


if __name__ == "__main__":
    sys.exit(main())
