"""Soak: what a long, threaded test suite does to a fake, measured (not a timed test).

Three runs, each with its verdict:

- **Threads.** One fake, started in the main thread, keeping every call
  (``journal_size=None``). Eight threads, each with its own ``twilio``
  client, make 1,000 requests each on the Builds of one shared Service, in a
  fixed mix: creates, fetches, status polls, one-page lists and deletes of
  their own builds. Then: no request raised or was answered wrongly; every
  build a thread created and did not delete is listed, and nothing else;
  no SID was minted twice; and the journal (``fake.calls``) holds exactly
  the requests the threads made, no more, no fewer.
- **Creates.** 100,000 build creates through the ``twilio`` client, with the
  journal at its default cap (10,000 calls). The client rather than
  ``FakeBuilds.handle``: what a fake might keep per request beyond its
  journal (``responses`` kept two hidden copies of every request and response)
  lives in the transport, below the client, and ``handle`` would skip it. It
  costs about a minute. Memory retained per request: the process's resident
  memory after ``gc.collect()``, less before, over the count (what a user's
  process keeps, store included). The longest garbage-collection pause: each
  collection timed through ``gc.callbacks`` in process CPU time (on a shared
  machine wall-clock time also counts other processes; it is reported too).
  The second half's memory alone (the journal full throughout) is what each
  request keeps once the journal stops growing.
- **Start/stop.** 50 cycles of a new fake started, used (a service, builds,
  fetches, a list, a delete through a client) and stopped. After the
  cycles and ``gc.collect()``, the memory ``tracemalloc`` traces is back
  within 32 KB of where it started (the standard library's cache of split
  URLs, 128 at most, is cleared first: each cycle's new SIDs fill it), no
  ``FakeBuilds`` is still alive (weak references), and the real ``time``
  functions and ``requests``' own ``Session.get_adapter`` are back in place.

The creates run first, in the child's fresh heap, so that memory freed by
another run cannot hide memory they keep.
"""

from __future__ import annotations

import gc
import os
import threading
import time
import tracemalloc
import urllib.parse
import weakref
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
from _common import Row, cpu_now, ms, now, verdict

from pytest_fakebuilds import FakeBuilds

THREADS = 8
MIXED = 1_000  # requests per thread
# The mix, in turn: 3 creates, 3 fetches, 2 status polls, 1 list, 1 delete in 10.
PLAN = (
    *("create", "fetch", "status", "create", "list"),
    *("fetch", "delete", "create", "status", "fetch"),
)
LIST_PAGE = 20

CREATES = 100_000
RETAINED_BAR = 3 * 1024  # bytes per request
PAUSE_BAR = 0.050  # seconds

CYCLES = 50
CYCLE_BAR = 32 * 1024  # bytes left after all the cycles

# Taken before any fake ran: what must be back in place after the cycles.
_REAL = {
    "time.time": time.time,
    "time.monotonic": time.monotonic,
    "time.sleep": time.sleep,
    "requests.Session.get_adapter": requests.Session.get_adapter,
}


def _restored() -> bool:
    return (
        time.time is _REAL["time.time"]
        and time.monotonic is _REAL["time.monotonic"]
        and time.sleep is _REAL["time.sleep"]
        and requests.Session.get_adapter is _REAL["requests.Session.get_adapter"]
    )


# Threads ---------------------------------------------------------------------------


@dataclass
class _Worker:
    """One thread's client, and what it did."""

    made: list[tuple[str, str]] = field(default_factory=list)  # (method, path) sent
    created: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def _work(
    fake: FakeBuilds,
    service_sid: str,
    version_sid: str,
    requests_each: int,
    start: threading.Barrier,
    worker: _Worker,
) -> None:
    api = fake.client(transport="requests").serverless.v1.services(service_sid)
    builds = f"/v1/Services/{service_sid}/Builds"
    live: list[str] = []
    start.wait()
    for index in range(requests_each):
        op = PLAN[index % len(PLAN)]
        if not live and op in ("fetch", "status", "delete"):
            op = "create"
        sid = live[index % len(live)] if live else ""
        try:
            if op == "create":
                worker.made.append(("POST", builds))
                build = api.builds.create(function_versions=[version_sid])
                if not build.sid.startswith("ZB") or build.status != "building":
                    raise AssertionError(f"created {build.sid} {build.status}")
                worker.created.append(build.sid)
                live.append(build.sid)
            elif op == "fetch":
                worker.made.append(("GET", f"{builds}/{sid}"))
                if api.builds(sid).fetch().sid != sid:
                    raise AssertionError(f"fetching {sid} answered another build")
            elif op == "status":
                worker.made.append(("GET", f"{builds}/{sid}/Status"))
                status = api.builds(sid).build_status().fetch()
                if status.sid != sid or status.status not in ("building", "completed"):
                    raise AssertionError(f"status of {sid}: {status.sid} {status.status}")
            elif op == "list":
                worker.made.append(("GET", builds))
                page = list(api.builds.page(page_size=LIST_PAGE))
                if not 1 <= len(page) <= LIST_PAGE:
                    raise AssertionError(f"a page of {len(page)} builds")
            else:
                sid = live.pop(0)
                worker.made.append(("DELETE", f"{builds}/{sid}"))
                if api.builds(sid).delete() is not True:
                    raise AssertionError(f"deleting {sid} failed")
                worker.deleted.append(sid)
        except Exception as exc:  # every failure is counted, none stops the thread
            worker.errors.append(f"{op}: {exc!r}")


def _threads(threads: int, requests_each: int) -> Row:
    fake = FakeBuilds(seed=11, journal_size=None)
    service = fake.create_service(unique_name="soak")
    version = fake.create_function_version(service.sid, path="/hello")
    workers = [_Worker() for _ in range(threads)]
    start = threading.Barrier(threads + 1)
    with fake:
        journal_before = len(fake.calls)
        pool = [
            threading.Thread(
                target=_work, args=(fake, service.sid, version.sid, requests_each, start, worker)
            )
            for worker in workers
        ]
        for thread in pool:
            thread.start()
        start.wait()
        began = now()
        for thread in pool:
            thread.join()
        elapsed = now() - began
        calls = fake.calls[journal_before:]
        dropped = fake.calls_dropped
        listed = {
            build.sid
            for build in fake.client(transport="requests")
            .serverless.v1.services(service.sid)
            .builds.list(page_size=1000)
        }

    made = [request for worker in workers for request in worker.made]
    created = [sid for worker in workers for sid in worker.created]
    deleted = {sid for worker in workers for sid in worker.deleted}
    errors = [error for worker in workers for error in worker.errors]
    duplicates = len(created) - len(set(created))
    expected = set(created) - deleted
    lost, extra = len(expected - listed), len(listed - expected)
    journal = Counter((call.request.method, call.request.path) for call in calls)
    refused = sum(1 for call in calls if call.response.status >= 400)
    exact = journal == Counter(made) and len(calls) == len(made) and dropped == 0
    ok = not errors and not refused and not lost and not extra and not duplicates and exact
    figure = (
        f"{len(errors)} errors, {refused} refused; {lost} lost creates of {len(created):,} "
        f"({len(deleted):,} deleted), {extra} unexpected; {duplicates} duplicate SIDs; "
        f"journal {len(calls):,} calls for {len(made):,} requests, "
        f"{'exact' if exact else 'NOT exact'}; {len(made) / elapsed:,.0f} requests/s"
    )
    if errors:
        figure += f"; first error: {errors[0][:120]}"
    return Row(
        f"soak, threads: {threads} x {requests_each:,} mixed requests "
        "(create, fetch, status, list, delete; a client each)",
        figure,
        "0 errors, 0 lost, 0 duplicates, journal exact",
        verdict(ok),
    )


# Creates -------------------------------------------------------------------------------


def _resident() -> int:
    """This process's resident memory in bytes (Linux), else its peak so far."""
    statm = Path("/proc/self/statm")
    if statm.exists():
        return int(statm.read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    import resource  # pragma: no cover - not Linux

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # pragma: no cover
    return peak if os.uname().sysname == "Darwin" else peak * 1024  # pragma: no cover


class _Pauses:
    """Every garbage collection's duration, CPU and wall-clock, while installed."""

    def __init__(self) -> None:
        self.cpu: list[float] = []
        self.wall: list[float] = []
        self.generations: list[int] = []
        self._started = (0.0, 0.0)

    def __call__(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._started = (cpu_now(), now())
        else:
            self.cpu.append(cpu_now() - self._started[0])
            self.wall.append(now() - self._started[1])
            self.generations.append(info["generation"])

    def __enter__(self) -> _Pauses:
        gc.callbacks.append(self)
        return self

    def __exit__(self, *exc: object) -> None:
        gc.callbacks.remove(self)


def _kb(count: float) -> str:
    return f"{count / 1024:.2f} KB"


def _creates(count: int) -> list[Row]:
    fake = FakeBuilds(seed=13)
    service = fake.create_service(unique_name="soak")
    version = fake.create_function_version(service.sid, path="/hello")
    pauses = _Pauses()
    cpu_total = 0.0

    def create(times: int) -> int:
        """``times`` creates with every collection timed; then the resident memory
        after a full collection (not timed, not counted as a pause)."""
        nonlocal cpu_total
        with pauses:
            started = cpu_now()
            for _ in range(times):
                builds.create(function_versions=[version.sid])
            cpu_total += cpu_now() - started
        gc.collect()
        return _resident()

    with fake:
        builds = fake.client(transport="requests").serverless.v1.services(service.sid).builds
        for _ in range(100):  # first-call costs and lazy imports are not per request
            builds.create(function_versions=[version.sid])
        gc.collect()
        before = _resident()
        half = count // 2
        middle = create(half)
        after = create(count - half)
        journal, cap = len(fake.calls), fake.journal_size
    retained = (after - before) / count
    # The journal is full from its 10,000th call on: past that, what each
    # request keeps is the store's growth, and anything kept that should not be.
    steady = (after - middle) / (count - half)
    longest = max(range(len(pauses.cpu)), key=pauses.cpu.__getitem__)
    return [
        Row(
            f"soak, creates: {count:,} build creates through the twilio client, "
            f"journal at its default cap ({cap:,}): memory retained per request",
            f"{_kb(retained)} (resident memory +{(after - before) / 2**20:.0f} MB after "
            f"gc.collect(); the journal holds {journal:,} calls)",
            f"<= {_kb(RETAINED_BAR)}",
            verdict(retained <= RETAINED_BAR),
        ),
        Row(
            f"↳ the last {count - half:,} creates alone"
            f"{' (the journal full throughout)' if half + 100 >= (cap or 0) else ''}",
            f"{_kb(steady)} per request",
        ),
        Row(
            f"↳ longest garbage-collection pause over the {count:,} creates",
            f"{ms(pauses.cpu[longest])} CPU ({ms(pauses.wall[longest])} wall), generation "
            f"{pauses.generations[longest]}; {sum(cpu > PAUSE_BAR for cpu in pauses.cpu)} over "
            f"{ms(PAUSE_BAR)}, {pauses.generations.count(2)} full collections, "
            f"{sum(pauses.cpu) / cpu_total:.0%} of the creates' CPU",
            f"<= {ms(PAUSE_BAR)}",
            verdict(pauses.cpu[longest] <= PAUSE_BAR),
        ),
    ]


# Start/stop -------------------------------------------------------------------------


def _cycle(seed: int) -> weakref.ref[FakeBuilds]:
    fake = FakeBuilds(seed=seed)
    with fake:
        client = fake.client(transport="requests")
        service = client.serverless.v1.services.create(unique_name="soak", friendly_name="soak")
        version = fake.create_function_version(service.sid, path="/hello")
        api = client.serverless.v1.services(service.sid)
        made = [api.builds.create(function_versions=[version.sid]) for _ in range(3)]
        for build in made:
            api.builds(build.sid).fetch()
        if len(api.builds.list()) != len(made):
            raise AssertionError("a cycle's fake listed other builds")
        api.builds(made[0].sid).delete()
    return weakref.ref(fake)


def _settle() -> None:
    # The standard library keeps the last 128 URLs it split (each cycle's SIDs
    # make new ones): a bounded cache, and not the fake's.
    urllib.parse.clear_cache()
    gc.collect()


def _start_stop(cycles: int) -> Row:
    _cycle(0)  # the process's first activation (its module scan, route table) is kept
    tracemalloc.start()
    try:
        _settle()
        before = tracemalloc.get_traced_memory()[0]
        refs = [_cycle(seed) for seed in range(1, cycles + 1)]
        _settle()
        retained = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    alive = sum(ref() is not None for ref in refs)
    restored = _restored()
    return Row(
        f"soak, start/stop: {cycles} cycles of a fake started, used and stopped",
        f"{retained / 1024:+.1f} KB traced after gc.collect(); {alive} of {cycles} "
        f"FakeBuilds alive; time and requests restored: {'yes' if restored else 'NO'}",
        f"<= {CYCLE_BAR // 1024} KB, 0 alive, restored",
        verdict(retained <= CYCLE_BAR and alive == 0 and restored),
    )


def run(quick: bool) -> list[Row]:
    creates = _creates(500 if quick else CREATES)
    gc.collect()
    threads = _threads(THREADS, 20 if quick else MIXED)
    gc.collect()
    cycles = _start_stop(3 if quick else CYCLES)
    return [threads, *creates, cycles]
