"""Shared pieces of the benchmarks: a real clock, interleaving, rows, module loading.

A real clock matters here. While a fake is active, ``time.perf_counter`` is
frozen, and the fake's clock module re-points module attributes that refer to
the real time functions (``from time import perf_counter`` at module level,
``timeit.default_timer``...) at freezegun's fakes. The clock below keeps the
real function in a closure cell, which no module scan sees, so it reads real
time whether or not a fake is active.
"""

from __future__ import annotations

import gc
import importlib
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from typing import Any


def _make_clock(real: Callable[[], float]) -> Callable[[], float]:
    if type(real) is not type(len):  # a builtin; a fake would be a Python function
        raise RuntimeError(f"benchmarks: {real!r} is already patched at import")

    def read() -> float:
        return real()

    return read


# Wall-clock seconds, and this process's CPU seconds (user + system).
now = _make_clock(time.perf_counter)
cpu_now = _make_clock(time.process_time)


def clock_is_real(now_fn: Callable[[], float] = now) -> bool:
    """True when ``now_fn`` moves with real time (checked with a short busy loop)."""
    start = now_fn()
    spin = 0
    while spin < 20_000:
        spin += 1
    return now_fn() > start


@dataclass
class Row:
    """One line of the table."""

    benchmark: str
    figure: str
    bar: str = "-"
    verdict: str = "info"

    def to_json(self) -> dict[str, str]:
        return asdict(self)


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


@contextmanager
def no_gc() -> Iterator[None]:
    """Collect first, then keep the collector out of the timed region (as timeit does)."""
    gc.collect()
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def interleave(
    variants: dict[str, Callable[[], Any]],
    *,
    rounds: int,
    inner: int,
    setup: dict[str, Callable[[], Any]] | None = None,
    teardown: dict[str, Callable[[], Any]] | None = None,
    clock: Callable[[], float] | None = None,
) -> dict[str, list[float]]:
    """Seconds per call of each variant, one sample per round.

    Each round runs every variant ``inner`` times back to back; the order of
    the variants alternates from round to round (A B, B A, A B...), so drift
    and noise hit every side alike. ``setup``/``teardown`` run untimed around
    a variant's block (e.g. starting and stopping a fake). ``clock`` is the
    process's CPU time unless told otherwise: everything timed in-process is
    CPU-bound, and on a shared machine wall-clock time also counts whatever
    else the machine was doing.
    """
    read = clock or cpu_now
    names = list(variants)
    samples: dict[str, list[float]] = {name: [] for name in names}
    for index in range(rounds):
        order = names if index % 2 == 0 else names[::-1]
        for name in order:
            if setup and name in setup:
                setup[name]()
            call = variants[name]
            try:
                with no_gc():
                    start = read()
                    for _ in range(inner):
                        call()
                    elapsed = read() - start
            finally:
                if teardown and name in teardown:
                    teardown[name]()
            samples[name].append(elapsed / inner)
    return samples


def median(values: list[float]) -> float:
    return statistics.median(values)


def paired_ratios(top: list[float], bottom: list[float]) -> list[float]:
    return [a / b for a, b in zip(top, bottom, strict=True)]


def ms(seconds: float) -> str:
    return f"{seconds * 1e3:.3g} ms" if seconds < 0.1 else f"{seconds * 1e3:.0f} ms"


def us(seconds: float) -> str:
    return f"{seconds * 1e6:.3g} µs"


# Enough of a real suite's imports to reach the usual ~600 modules: the
# libraries a Twilio project's tests load, then stdlib modules as needed.
CORE_MODULES = (
    "twilio.rest",
    "requests",
    "faker",
    "freezegun",
    "responses",
    "pytest",
    "json",
    "email",
    "http",
    "asyncio",
)
EXTRA_MODULES = (
    "email.mime.text",
    "email.mime.multipart",
    "http.server",
    "http.cookiejar",
    "logging.handlers",
    "unittest.mock",
    "xml.etree.ElementTree",
    "xml.dom.minidom",
    "sqlite3",
    "decimal",
    "fractions",
    "statistics",
    "csv",
    "zipfile",
    "tarfile",
    "ssl",
    "urllib.request",
    "concurrent.futures",
    "argparse",
    "difflib",
    "uuid",
    "ipaddress",
    "smtplib",
    "imaplib",
    "ftplib",
    "mailbox",
    "wsgiref.simple_server",
    "xmlrpc.client",
    "html.parser",
    "configparser",
    "tomllib",
    "pdb",
    "doctest",
    "pydoc",
)


def load_modules(target: int = 600) -> int:
    """Import a typical suite's modules until at least ``target`` are loaded."""
    for name in CORE_MODULES:
        importlib.import_module(name)
    # twilio loads its API domains lazily; a suite that uses the client has them.
    from twilio.rest import Client

    Client("AC" + "0" * 32, "token").serverless.v1.services  # noqa: B018
    for name in EXTRA_MODULES:
        if len(sys.modules) >= target:
            break
        importlib.import_module(name)
    if len(sys.modules) < target:
        import faker

        faker.Faker()  # loads the default locale's providers
    return len(sys.modules)
