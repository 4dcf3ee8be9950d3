"""Inner pytest runs started from a warmed-up process: a fork server for pytester.

``pytester.runpytest_subprocess`` starts ``python -m pytest`` in a new
interpreter, and each one pays about a second and a half of start-up before
its first test (importing pytest, hypothesis, faker, twilio and the plugins
that load through entry points). The suite makes about fifty such runs.

Here one process per test session (per xdist worker) imports those libraries
once and waits on a Unix socket. Each inner run is then a *fork* of it: a new
process, isolated from the outer test process exactly as a fresh interpreter is
(its own ``sys.modules``, patches, time, threads, signal handlers, exit), that
runs ``python -m pytest`` as the interpreter would: same argv, working
directory, environment (``PYTHONPATH`` included), standard streams and exit
status. The command pytester runs is a stub (``python -S forkserver.py run
SOCKET args...``, a few milliseconds) that hands its argv, cwd, environment and
standard streams to the server, and exits with the status of the fork.

What a fork shares with the server and a fresh interpreter would not: the
modules already imported (what pytest imports at start-up, its entry-point
plugins and this package's among them, imported by pytest's own code under its
assert-rewriting hook as in any run; and the modules in ``PRELOAD``: libraries,
the package's own modules that its first fake loads, Faker's default locale), the
hash seed, and the settings the interpreter reads from ``PYTHON*`` variables at
start-up (a run whose environment sets those otherwise than the server's runs a
real ``python -m pytest`` from its fork instead). The random generators are reseeded
in the fork (``random`` does that itself at fork; Faker's own generator is
reseeded here), so no two inner runs share random state, as no two processes
would.

Set ``FAKEBUILDS_TESTS_NO_FORKSERVER=1`` to run every inner pytest as a real
subprocess instead (for debugging, or to compare). Where ``fork`` or Unix
sockets are missing the real subprocess is used too.

Only the standard library is imported at module level: the stub runs with
``python -S``.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import struct
import sys

# Imported in the server before it forks, under pytest's assert-rewriting hook
# (see _preload): libraries the inner runs import anyway.
PRELOAD = (
    "pytest",
    "_pytest.pytester",
    "hypothesis",
    "hypothesis.strategies",
    "faker",
    "faker.config",
    "twilio.rest",
    "twilio.http.http_client",
    "requests",
    "responses",
    "freezegun",
    "freezegun.api",
    "execnet",
    "trustme",
    "aiohttp",
    # pytest's debugging and faulthandler plugins import these in every run.
    "pdb",
    "faulthandler",
    # What the first fake of an inner run imports lazily (the package loads
    # nothing heavy until a fake is made), and the twilio client's Serverless
    # domain, which twilio loads on first use: ~50 ms of every inner run.
    "pytest_fakebuilds.fake",
    "twilio.rest.serverless.v1.service.asset.asset_version",
    "twilio.rest.serverless.v1.service.build.build_status",
    "twilio.rest.serverless.v1.service.environment.deployment",
    "twilio.rest.serverless.v1.service.environment.log",
    "twilio.rest.serverless.v1.service.environment.variable",
    "twilio.rest.serverless.v1.service.function.function_version.function_version_content",
)

DISABLE = "FAKEBUILDS_TESTS_NO_FORKSERVER"
_HEADER = struct.Struct("!I")
_STATUS = struct.Struct("!i")


def _recv_exactly(conn: socket.socket, size: int) -> bytes:
    chunks = bytearray()
    while len(chunks) < size:
        chunk = conn.recv(size - len(chunks))
        if not chunk:
            break
        chunks += chunk
    return bytes(chunks)


# The server ----------------------------------------------------------------------------------


def _preload() -> None:
    """Import what ``python -m pytest`` imports at start-up, the way it does.

    pytest marks the packages of its entry-point plugins (faker, hypothesis, ...)
    for assert rewriting and warns if one was imported before its hook: so the
    server lets pytest itself parse an empty command line (which installs the
    hook and imports the plugins), imports ``PRELOAD`` under that hook, then
    undoes the configuration without ever running a session.
    """
    import importlib

    config = None
    try:
        from _pytest.config import _prepareconfig

        config = _prepareconfig(["-p", "no:cacheprovider"])
    except Exception:
        return  # nothing preloaded: every fork then imports for itself
    try:
        for name in PRELOAD:
            with contextlib.suppress(ImportError):
                importlib.import_module(name)
        # Faker's default locale: its ~20 provider modules, which every inner run
        # loads (a Faker made by the plugins), imported the way Faker imports them.
        with contextlib.suppress(Exception):
            sys.modules["faker"].Faker()
    finally:
        config._ensure_unconfigure()


def _serve(path: str) -> None:
    import gc
    import selectors
    import threading

    # The interpreter put this file's directory first, and the server's own
    # PYTHONPATH after it; a fork puts its own cwd and PYTHONPATH there instead.
    startup_pythonpath = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    global _STARTUP_SETTINGS
    _STARTUP_SETTINGS = _interpreter_settings(dict(os.environ))
    base_path = [p for p in sys.path[1:] if p not in startup_pythonpath]

    _preload()
    if threading.active_count() != 1:  # forking a threaded process is not safe
        sys.stdout.write("threads\n")
        sys.stdout.flush()
        return

    # What is loaded now lives as long as the server: out of the collector's
    # sight, so a fork's collections (pytest runs several) do not walk it.
    gc.collect()
    gc.freeze()

    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(64)
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    sys.stderr.flush()

    selector = selectors.DefaultSelector()
    selector.register(listener, selectors.EVENT_READ)
    selector.register(sys.stdin, selectors.EVENT_READ)  # EOF: the session is gone
    while True:
        # Finished forks are reaped here (not by SIG_IGN), so that their CPU time
        # is the server's children's, and so the session's: `time pytest` counts it.
        _reap(block=False)
        events = selector.select(timeout=1.0)
        if not events:
            continue
        if any(key.fileobj is sys.stdin for key, _ in events):
            if not os.read(sys.stdin.fileno(), 1024):
                _reap(block=True)
                return
            continue
        conn, _ = listener.accept()
        try:
            header, fds, _flags, _addr = socket.recv_fds(conn, _HEADER.size, 3)
            header += _recv_exactly(conn, _HEADER.size - len(header))
            (size,) = _HEADER.unpack(header)
            request = json.loads(_recv_exactly(conn, size))
        except (OSError, ValueError, struct.error):
            conn.close()
            continue
        pid = os.fork()
        if pid == 0:
            selector.close()
            listener.close()
            _child(conn, fds, request, base_path)  # never returns
        conn.close()
        for fd in fds:
            os.close(fd)


# The PYTHON* variables the interpreter reads once, at start-up (PYTHONWARNINGS,
# PYTHONHASHSEED, PYTHONIOENCODING, PYTHONDEVMODE...): a fork has the server's.
# A request that sets them otherwise gets a real interpreter (see _child).
_STARTUP_SETTINGS: dict[str, str] = {}


def _interpreter_settings(env: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in env.items() if k.startswith("PYTHON") and k != "PYTHONPATH"}


def _reap(*, block: bool) -> None:
    while True:
        try:
            pid, _status = os.waitpid(-1, 0 if block else os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def _child(
    conn: socket.socket, fds: list[int], request: dict[str, object], base_path: list[str]
) -> None:
    """Become ``python -m pytest ARGS`` in the requester's cwd, environment and streams."""
    import random
    import runpy
    import traceback

    for target, fd in zip((0, 1, 2), fds, strict=True):
        os.dup2(fd, target)
        os.close(fd)
    cwd = str(request["cwd"])
    env = dict(request["env"])  # type: ignore[call-overload]
    argv = list(request["argv"])  # type: ignore[call-overload]
    os.chdir(cwd)
    os.environ.clear()
    os.environ.update(env)
    pythonpath = [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
    sys.path[:] = [cwd, *pythonpath, *base_path]
    faker_random = getattr(sys.modules.get("faker.generator"), "random", None)
    if isinstance(faker_random, random.Random):
        faker_random.seed()

    code: int
    try:
        if _interpreter_settings(env) != _STARTUP_SETTINGS:
            import subprocess

            # Settings a fork cannot take on: this one runs the real thing and waits.
            code = subprocess.call([sys.executable, "-m", "pytest", *argv])
            raise SystemExit(code)
        sys.argv = ["pytest", *argv]
        runpy.run_module("pytest", run_name="__main__", alter_sys=True)
        code = 0
    except SystemExit as exit_:
        if exit_.code is None:
            code = 0
        elif isinstance(exit_.code, int):
            code = exit_.code
        else:
            print(exit_.code, file=sys.stderr)
            code = 1
    except BaseException:
        traceback.print_exc()
        code = 1
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    with contextlib.suppress(OSError):
        conn.sendall(_STATUS.pack(code))
    # An ordinary interpreter exit (atexit handlers, flushing); the requester
    # waits for the connection to close with it.
    sys.exit(code)


# The stub pytester runs ----------------------------------------------------------------------


def _run(path: str, argv: list[str]) -> int:
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    conn.connect(path)
    payload = json.dumps({"argv": argv, "cwd": os.getcwd(), "env": dict(os.environ)}).encode()
    socket.send_fds(conn, [_HEADER.pack(len(payload))], [0, 1, 2])
    conn.sendall(payload)
    status = _recv_exactly(conn, _STATUS.size)
    _recv_exactly(conn, 1)  # EOF once the fork has exited
    if len(status) != _STATUS.size:
        print("forkserver: the inner pytest died without an exit status", file=sys.stderr)
        return 1
    return int(_STATUS.unpack(status)[0])


# The handle the outer session keeps ----------------------------------------------------------


class ForkServer:
    """One warmed-up server process; ``command()`` is what pytester runs instead of
    ``python -m pytest``."""

    def __init__(self) -> None:
        import subprocess
        import tempfile

        self._dir = tempfile.mkdtemp(prefix="fbfork-")
        self.path = os.path.join(self._dir, "socket")
        env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
        self._process = subprocess.Popen(
            [sys.executable, os.path.abspath(__file__), "serve", self.path],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
            cwd=self._dir,
        )
        assert self._process.stdout is not None
        line = self._process.stdout.readline()
        self.ready = line == b"ready\n"
        if not self.ready:
            self.close()

    def command(self) -> tuple[str, ...]:
        return (sys.executable, "-S", os.path.abspath(__file__), "run", self.path)

    def close(self) -> None:
        import shutil

        if self._process.poll() is None:
            assert self._process.stdin is not None
            self._process.stdin.close()
            try:
                self._process.wait(timeout=10)
            except Exception:
                self._process.kill()
                self._process.wait()
        if self._process.stdout is not None:
            self._process.stdout.close()
        shutil.rmtree(self._dir, ignore_errors=True)


_server: ForkServer | None = None
_failed = False


def pytest_command() -> tuple[str, ...] | None:
    """The command that runs ``python -m pytest`` through this session's fork server,
    started on first use; None where it cannot run (then use a real subprocess)."""
    global _server, _failed
    if os.environ.get(DISABLE) or _failed:
        return None
    if not (hasattr(os, "fork") and hasattr(socket, "AF_UNIX") and hasattr(socket, "send_fds")):
        return None
    if _server is None:
        try:
            server = ForkServer()
        except OSError:
            server = None
        if server is None or not server.ready:
            _failed = True
            return None
        _server = server
    return _server.command()


def shutdown() -> None:
    global _server
    if _server is not None:
        _server.close()
        _server = None


if __name__ == "__main__":
    if sys.argv[1] == "serve":
        _serve(sys.argv[2])
    elif sys.argv[1] == "run":
        sys.exit(_run(sys.argv[2], sys.argv[3:]))
    else:
        sys.exit(f"usage: {sys.argv[0]} serve SOCKET | run SOCKET ARGS...")
