"""Mutation testing of the core: how many planted bugs the fast tests catch.

    python scripts/mutation.py                    # the whole run; exit 1 below 90% killed
    python scripts/mutation.py --min-score 85     # another bar
    python scripts/mutation.py --keep /tmp/mut    # keep the copy (and mutmut's results) there
    python scripts/mutation.py 'pytest_fakebuilds.core.paging.*'   # only these mutants

mutmut (pinned by the ``mutation`` extra: ``pip install -e ".[mutation]"``) plants
one small bug at a time (a ``<`` for a ``<=``, a changed string, a dropped
argument...) in the files ``[tool.mutmut] only_mutate`` names in pyproject.toml,
and runs the tests of ``pytest_add_cli_args_test_selection`` that reach the changed
function; a mutant is *killed* when a test fails. It all happens in a temporary
copy of the working tree (files git tracks or would track), so the checkout is
never touched and nothing of mutmut's is left in it.

The score is (killed + timed out) / (all mutants): a mutant no selected test
reaches counts as a survivor. Survivors are listed with their diffs. A mutant
that no test could ever kill (an equivalent mutant) is marked where it is born,
``# pragma: no mutate`` on its line with a comment saying why; nothing is
excluded wholesale.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MUTMUT = "3.8.1"  # keep equal to the pin in pyproject.toml's mutation extra
# Statuses as mutmut names them; "killed" and "timeout" count as caught.
CAUGHT = ("killed", "timeout")
# What never goes into the copy: mutmut's own output, caches, environments.
SKIP_PARTS = {
    ".git",
    "mutants",
    "html",
    "node_modules",
    "__pycache__",
    ".pytest_cache",
    ".mypy_cache",
    ".ruff_cache",
    ".hypothesis",
    ".benchmarks",
    "venv",
    ".venv",
    "site",
}


def tree_files(root: Path) -> Iterator[Path]:
    """The working tree's files as git sees them (tracked, or new and not ignored)."""
    try:
        listed = subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=root,
            check=True,
            capture_output=True,
        ).stdout.decode()
    except (OSError, subprocess.CalledProcessError):
        listed = "\0".join(
            str(path.relative_to(root)) for path in root.rglob("*") if path.is_file()
        )
    for name in listed.split("\0"):
        if not name:
            continue
        relative = Path(name)
        if SKIP_PARTS.intersection(relative.parts) or relative.suffix == ".pyc":
            continue
        if (root / relative).is_file():  # a tracked file deleted in the tree is not copied
            yield relative


def copy_tree(root: Path, target: Path) -> None:
    for relative in tree_files(root):
        destination = target / relative
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(root / relative, destination)


def check_mutmut() -> None:
    try:
        from importlib.metadata import PackageNotFoundError, version

        found = version("mutmut")
    except PackageNotFoundError:
        found = None
    if found != MUTMUT:
        sys.exit(
            f"mutation: this script needs mutmut=={MUTMUT} (found: {found}); "
            'pip install -e ".[mutation]"'
        )


def mutmut(copy: Path, *args: str, log: Path | None = None) -> subprocess.CompletedProcess[str]:
    """``mutmut <args>`` in the copy, with the copy's package first on the path."""
    env = dict(os.environ)
    env.pop("PYTEST_ADDOPTS", None)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    command = [sys.executable, "-c", "from mutmut.__main__ import cli; cli()", *args]
    if log is None:
        return subprocess.run(command, cwd=copy, env=env, capture_output=True, text=True)
    with log.open("w") as out:
        return subprocess.run(
            command, cwd=copy, env=env, stdout=out, stderr=subprocess.STDOUT, text=True
        )


def statuses(copy: Path) -> dict[str, str]:
    """Every mutant's status, by name."""
    answer = mutmut(copy, "results", "--all", "true")
    if answer.returncode != 0:
        sys.exit(f"mutation: mutmut results failed:\n{answer.stdout}{answer.stderr}")
    found: dict[str, str] = {}
    for line in answer.stdout.splitlines():
        name, sep, status = line.strip().rpartition(": ")
        if sep and name:
            found[name] = status
    return found


DIFFS = """
import sys
from mutmut.__main__ import find_mutant, get_diff_for_mutant
for name in sys.argv[1:]:
    print("=" * 3, name)
    print(get_diff_for_mutant(name, path=find_mutant(name).path))
"""


def diffs(copy: Path, names: list[str]) -> str:
    if not names:
        return ""
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    answer = subprocess.run(
        [sys.executable, "-c", DIFFS, *names], cwd=copy, env=env, capture_output=True, text=True
    )
    return answer.stdout if answer.returncode == 0 else answer.stdout + answer.stderr


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("mutants", nargs="*", help="only these mutants (mutmut's names, * allowed)")
    parser.add_argument("--max-children", type=int, default=2, help="parallel test runs (2)")
    parser.add_argument("--min-score", type=float, default=90.0, help="the bar, in %% (90)")
    parser.add_argument("--keep", type=Path, help="make the copy here and keep it")
    parser.add_argument("--no-diffs", action="store_true", help="list survivors without diffs")
    args = parser.parse_args(argv)
    check_mutmut()

    if args.keep is not None:
        if args.keep.exists() and any(args.keep.iterdir()):
            sys.exit(f"mutation: {args.keep} exists and is not empty")
        copy = args.keep
        copy.mkdir(parents=True, exist_ok=True)
    else:
        copy = Path(tempfile.mkdtemp(prefix="fakebuilds-mutation-"))
    try:
        copy_tree(ROOT, copy)
        started = time.monotonic()
        log = copy / "mutmut-run.log"
        run = mutmut(copy, "run", "--max-children", str(args.max_children), *args.mutants, log=log)
        elapsed = time.monotonic() - started
        if run.returncode != 0:
            print(log.read_text()[-4000:], file=sys.stderr)
            print(f"mutation: mutmut run failed (exit {run.returncode})", file=sys.stderr)
            return 2
        found = statuses(copy)
        if args.mutants:
            from fnmatch import fnmatch

            found = {k: v for k, v in found.items() if any(fnmatch(k, m) for m in args.mutants)}
        total = len(found)
        counts: dict[str, int] = {}
        for status in found.values():
            counts[status] = counts.get(status, 0) + 1
        caught = sum(counts.get(status, 0) for status in CAUGHT)
        survivors = sorted(name for name, status in found.items() if status not in CAUGHT)
        if survivors:
            print(f"Survivors ({len(survivors)}):")
            if args.no_diffs:
                for name in survivors:
                    print(f"  {name}: {found[name]}")
            else:
                print(diffs(copy, survivors))
        score = 100.0 * caught / total if total else 0.0
        detail = ", ".join(f"{status} {n}" for status, n in sorted(counts.items()))
        print(f"mutation: {caught}/{total} killed ({detail}) in {elapsed:.0f} s")
        print(f"mutation score: {score:.1f}% (bar {args.min_score:.0f}%)")
        (copy / "mutation-summary.json").write_text(
            json.dumps(
                {
                    "killed": caught,
                    "total": total,
                    "score": score,
                    "counts": counts,
                    "survivors": survivors,
                    "seconds": round(elapsed),
                },
                indent=2,
            )
        )
        if total == 0:
            print("mutation: no mutants were tested", file=sys.stderr)
            return 2
        return 0 if score >= args.min_score else 1
    finally:
        if args.keep is None:
            shutil.rmtree(copy, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
