"""``python -m pytest_fakebuilds serve|run`` and the ``fakebuilds`` script.

``serve`` starts a server and waits for SIGINT or SIGTERM; ``run -- COMMAND``
starts one, runs the command with the environment a client needs, stops the
server, prints what the command did and exits with the command's status.
With ``--state FILE`` the fake starts from the snapshot in FILE when there is
one and writes its snapshot there on the way out (never half-written: a
temporary file, then a rename).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..fake import FakeBuilds
    from .app import FakeServer

# Offline development wants builds done in a moment, not the tests' 10 s.
DEFAULT_BUILD_DURATION = 2.0


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "run":
            command = list(args.cmd)
            if command and command[0] == "--":
                command = command[1:]
            if not command:
                parser.error("run needs a command: run [options] -- COMMAND [ARGS...]")
            return _run(args, command)
        return _serve(args)
    except ValueError as exc:  # a refused setting: a usage error, not a traceback
        print(f"fakebuilds: {exc}", file=sys.stderr)
        return 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fakebuilds",
        description="A fake Twilio Serverless API for offline development and any client.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve until interrupted")
    run = commands.add_parser("run", help="serve while COMMAND runs, then exit with its status")
    for sub in (serve, run):
        sub.add_argument("--host", default="127.0.0.1", help="address to bind (127.0.0.1)")
        sub.add_argument("--port", type=int, default=0, help="port to bind (0: any free one)")
        sub.add_argument("--seed", type=int, default=0, help="seed of SIDs and credentials")
        sub.add_argument(
            "--build-duration",
            type=float,
            default=DEFAULT_BUILD_DURATION,
            metavar="SECONDS",
            help=f"how long a build stays building ({DEFAULT_BUILD_DURATION:g})",
        )
        sub.add_argument(
            "--clock-speed",
            type=float,
            default=1.0,
            metavar="X",
            help="fake seconds per real second (1: real time; 0: only /_fake/api/advance)",
        )
        sub.add_argument("--state", metavar="FILE", help="load from and save to this snapshot")
        sub.add_argument("--json", action="store_true", help="print one JSON line of facts")
        sub.add_argument(
            "--allow-remote",
            action="store_true",
            help="allow binding an address other machines can reach",
        )
    run.add_argument("cmd", nargs=argparse.REMAINDER, help="-- COMMAND [ARGS...]")
    return parser


def _start(args: argparse.Namespace) -> FakeServer:
    from ..fake import FakeBuilds
    from .app import FakeServer

    fake: FakeBuilds
    state = Path(args.state) if args.state else None
    if state is not None and state.exists():
        data = json.loads(state.read_text(encoding="utf-8"))
        fake = FakeBuilds.from_snapshot(
            data, freeze=False, clock_speed=args.clock_speed, build_duration=args.build_duration
        )
    else:
        fake = FakeBuilds(
            seed=args.seed,
            freeze=False,
            clock_speed=args.clock_speed,
            build_duration=args.build_duration,
        )
    if args.host not in ("127.0.0.1", "localhost", "::1") and args.allow_remote:
        print(
            f"warning: serving {args.host}: other machines can reach this fake "
            "and read its credentials' effects",
            file=sys.stderr,
        )
    return FakeServer(fake, args.host, args.port, allow_remote=args.allow_remote).start()


def _announce(server: FakeServer, args: argparse.Namespace) -> None:
    facts = server.describe()
    if args.json:
        print(json.dumps(facts), flush=True)
        return
    lines = [
        f"pytest-fakebuilds serving {facts['url']} (seed {facts['seed']})",
        f"  proxy       {facts['proxy']}  (trusts {facts['ca_cert']})",
        f"  account     {facts['account_sid']}",
        f"  auth token  {facts['auth_token']}",
        f"  dashboard   {facts['dashboard']}",
        "  environment:",
        *(f"    export {name}={value}" for name, value in facts["env"].items()),
    ]
    print("\n".join(lines), flush=True)


def _serve(args: argparse.Namespace) -> int:
    server = _start(args)
    stop = threading.Event()

    def interrupted(signum: int, frame: Any) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, interrupted) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        _announce(server, args)
        while not stop.wait(0.5):
            pass
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        _stop(server, args)
    return 0


def _run(args: argparse.Namespace, command: list[str]) -> int:
    server = _start(args)
    try:
        if args.json:
            _announce(server, args)
        env = {**os.environ, **server.env, "FAKEBUILDS_URL": server.url}
        try:
            completed = subprocess.run(command, env=env, check=False)
            status = completed.returncode
        except FileNotFoundError:
            print(f"fakebuilds: no such command: {command[0]}", file=sys.stderr)
            status = 127
        print(summary(server.fake), file=sys.stderr)
        return status
    finally:
        _stop(server, args)


def _stop(server: FakeServer, args: argparse.Namespace) -> None:
    fake = server.fake
    server.stop()
    if args.state:
        save(fake.snapshot(), Path(args.state))


def save(snapshot: dict[str, Any], path: Path) -> None:
    """Write the snapshot, never half: a temporary file beside it, then a rename."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(json.dumps(snapshot), encoding="utf-8")
    os.replace(temporary, path)


def summary(fake: FakeBuilds) -> str:
    """What the command did, in a few lines."""
    store = fake._store
    now = fake.now()
    builds = list(store.builds)
    outcomes: dict[str, int] = {}
    for build in builds:
        status = build.status_at(now)
        outcomes[status] = outcomes.get(status, 0) + 1
    lines = [
        f"fakebuilds: {len(fake.calls) + fake.calls_dropped} requests; "
        f"{len(store.services)} service(s), {len(builds)} build(s) "
        f"({', '.join(f'{n} {s}' for s, n in sorted(outcomes.items())) or 'none'}), "
        f"{len(store.deployments)} deployment(s)"
    ]
    for build in sorted(builds, key=lambda b: b.seq):
        reason = fake.failure_reason(build.sid)
        lines.append(
            f"  build {build.sid}: {build.status_at(now)}" + (f" ({reason})" if reason else "")
        )
    for environment in store.environments:
        lines.append(
            f"  {environment.domain_name}: "
            + (f"live build {environment.build_sid}" if environment.build_sid else "no build")
        )
    return "\n".join(lines)
