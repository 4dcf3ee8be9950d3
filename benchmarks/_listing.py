"""Listing a whole collection, page after page: the shared code of two benchmarks.

``bench_listing.py`` (the Builds of a Service) and ``bench_versions.py`` (the
Versions of one Function) are the same measure on two collections; each is a
:class:`Listing` configuration handed to :func:`run`. Three figures:

- **As users meet it** (the bar: 100,000 / 1,000 per item <= 1.30x). For each
  store size, a fresh process (this file run as a script) creates the records,
  then lists all of them through the ``twilio`` client,
  ``list(page_size=1000)``, which follows ``next_page_url`` page after page,
  with the garbage collector on, as in a test suite. Each size gets its own
  process, so the small store is not measured in the large one's heap and
  caches. The collector is run once before each timed listing, so that
  every listing starts from the same state rather than inheriting the
  creation's garbage; what the collector does during the listing counts,
  and is reported apart (``gc.callbacks``, CPU time).
- **The same listing against a bare stub** (info). As the first figure, in
  a fresh process per size, but answered by a ``responses`` stub serving the
  very pages the fake served, the fake itself dropped before the listing:
  what the listing costs a user with no fake at all. The client keeps every
  item it lists (``list()``), and the collector walks those objects again
  at each full collection, so the per-item cost grows with the count
  whoever answers; this row shows by how much.
- **The fake's own share** (the bar: flat, 0.80x to 1.20x). In one process,
  the records are served page after page through ``FakeBuilds.handle`` plus
  ``json.loads`` (to follow the next-page URL), with ``PageSize`` at its
  default, 50, the page size of a ``list()`` that names none. That is
  where any per-page work that grows with the store (a scan instead of a
  keyset lookup) weighs the most per item: twenty times more than at
  ``PageSize=1000``. ``tests/test_benchmarks_catch.py`` plants a full scan in
  ``OrderedIndex.older_than`` and checks that this verdict turns to FAIL.
- **The algorithm alone** (info): the same client listing as the first
  figure, but both sizes in one process, interleaved, the collector held off.
"""

from __future__ import annotations

import base64
import gc
import json
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from _common import Row, cpu_now, interleave, median, us, verdict

from pytest_fakebuilds import FakeBuilds, Request

HERE = Path(__file__).resolve()

# As users meet it: one fresh process per store size.
USER_SIZES = (1_000, 10_000, 100_000)
USER_SIZES_QUICK = (200, 400, 1_000)
USER_PAGE_SIZE = 1_000
USER_BAR = 1.30

# The fake's share and the algorithm, in one process.
SHARE_SIZES = (1_000, 20_000)
SHARE_SIZES_QUICK = (100, 400)
SHARE_PAGE_SIZE = 50  # the API's default, and a client list() that names no page size
SHARE_BAND = (0.80, 1.20)


# (twilio client, page size, limit) -> the records, listed through the client
Lister = Callable[[Any, int, "int | None"], list[Any]]


@dataclass(frozen=True)
class Store:
    """A fake holding ``size`` records, and how to list them."""

    fake: FakeBuilds
    size: int
    url: str  # the list's URL, without a query
    headers: dict[str, str]
    list_with: Lister


@dataclass(frozen=True)
class Listing:
    """One collection to list: how to fill a fake with it, and what it is called."""

    name: str  # the configuration's name on the command line
    noun: str  # in the rows: "builds"
    key: str  # the list's key in a page's JSON: "builds"
    fill: Callable[[FakeBuilds, int], tuple[str, Lister]]

    def store(self, size: int) -> Store:
        fake = FakeBuilds(seed=size)
        url, list_with = self.fill(fake, size)
        token = base64.b64encode(f"{fake.account_sid}:{fake.auth_token}".encode()).decode()
        return Store(fake, size, url, {"Authorization": f"Basic {token}"}, list_with)


# The two configurations ----------------------------------------------------------------

_API = "https://serverless.twilio.com/v1"


def _fill_builds(fake: FakeBuilds, count: int) -> tuple[str, Lister]:
    """``count`` builds of one service, created through ``FakeBuilds.handle`` (the
    transport-neutral entry every request goes through)."""
    service = fake.create_service(unique_name="bench")
    version = fake.create_function_version(service.sid, path="/hello")
    token = base64.b64encode(f"{fake.account_sid}:{fake.auth_token}".encode()).decode()
    headers = {
        "Authorization": f"Basic {token}",
        "Content-Type": "application/x-www-form-urlencoded",
    }
    url = f"{_API}/Services/{service.sid}/Builds"
    body = f"FunctionVersions={version.sid}".encode()
    for _ in range(count):
        response = fake.handle(Request("POST", url, headers, body))
        if response.status != 201:
            raise AssertionError(f"creating a build answered {response.status}")

    def list_with(client: Any, page_size: int, limit: int | None = None) -> list[Any]:
        builds = client.serverless.v1.services(service.sid).builds
        return list(builds.list(page_size=page_size, limit=limit))

    return url, list_with


def _fill_versions(fake: FakeBuilds, count: int) -> tuple[str, Lister]:
    """``count`` Versions of one Function, created with ``create_function_version``."""
    service = fake.create_service(unique_name="bench")
    function = fake.create_function(service.sid, "hello")
    for _ in range(count):
        fake.create_function_version(service.sid, "/hello", function_sid=function.sid)

    def list_with(client: Any, page_size: int, limit: int | None = None) -> list[Any]:
        versions = client.serverless.v1.services(service.sid).functions(function.sid)
        return list(versions.function_versions.list(page_size=page_size, limit=limit))

    return f"{_API}/Services/{service.sid}/Functions/{function.sid}/Versions", list_with


BUILDS = Listing("builds", "builds", "builds", _fill_builds)
VERSIONS = Listing("versions", "function versions", "function_versions", _fill_versions)
CONFIGURATIONS = {listing.name: listing for listing in (BUILDS, VERSIONS)}


# The fake's share: FakeBuilds.handle + json.loads, in one process ----------------------


def serve_all(listing: Listing, store: Store, page_size: int) -> None:
    """Every page of the list through ``FakeBuilds.handle``, following next_page_url."""
    url, served = f"{store.url}?PageSize={page_size}", 0
    while url:
        page = json.loads(store.fake.handle(Request("GET", url, store.headers)).body)
        served += len(page[listing.key])
        url = page["meta"]["next_page_url"]
    if served != store.size:
        raise AssertionError(f"served {served} {listing.noun}, expected {store.size}")


@dataclass(frozen=True)
class Share:
    """The fake's share per item at each size, and its verdict against the band."""

    per_item: dict[int, float]
    ratio: float

    @property
    def verdict(self) -> str:
        low, high = SHARE_BAND
        return verdict(low <= self.ratio <= high)


def measure_share(
    listing: Listing, stores: list[Store], *, rounds: int, page_size: int = SHARE_PAGE_SIZE
) -> Share:
    """The fake's share per item, largest store over smallest: medians of
    interleaved rounds, process CPU time, the collector held off."""
    variants = {store.size: _server(listing, store, page_size) for store in stores}
    for store in stores:  # a first page each, untimed: first-call costs are not per item
        store.fake.handle(Request("GET", f"{store.url}?PageSize={page_size}", store.headers))
    samples = interleave(
        {str(size): call for size, call in variants.items()}, rounds=rounds, inner=1
    )
    per_item = {size: median(samples[str(size)]) / size for size in variants}
    small, large = min(per_item), max(per_item)
    return Share(per_item, per_item[large] / per_item[small])


def _server(listing: Listing, store: Store, page_size: int) -> Callable[[], None]:
    return lambda: serve_all(listing, store, page_size)


def _lister(listing: Listing, store: Store) -> Callable[[], None]:
    client = store.fake.client(transport="requests")
    with store.fake:  # a first page, untimed: the client loads its modules lazily
        store.list_with(client, USER_PAGE_SIZE, 1)

    def list_all() -> None:
        listed = store.list_with(client, USER_PAGE_SIZE, None)
        if len(listed) != store.size:
            raise AssertionError(f"listed {len(listed)} {listing.noun}, expected {store.size}")

    return list_all


# As users meet it: a fresh process per store size ---------------------------------------


def _timed(
    listing: Listing,
    size: int,
    repeats: int,
    list_with: Lister,
    client: Any,
    before_each: Callable[[], None] | None = None,
) -> dict[str, list[float]]:
    """List every record through ``client`` ``repeats`` times, from one collector
    state each time: CPU seconds per listing, and the collector's share."""
    timing: dict[str, float] = {}

    def on_gc(phase: str, _info: dict[str, Any]) -> None:
        if phase == "start":
            timing["start"] = cpu_now()
        else:
            timing["gc"] += cpu_now() - timing["start"]

    # One page first: the client's lazily loaded modules and first-call costs
    # are the process's, not the listing's (a test suite has paid them).
    list_with(client, USER_PAGE_SIZE, 1)
    seconds, collector = [], []
    for _ in range(repeats):
        if before_each is not None:
            before_each()
        gc.collect()
        timing["gc"] = 0.0
        gc.callbacks.append(on_gc)
        try:
            start = cpu_now()
            listed = list_with(client, USER_PAGE_SIZE, None)
            elapsed = cpu_now() - start
        finally:
            gc.callbacks.remove(on_gc)
        if len(listed) != size:
            raise AssertionError(f"listed {len(listed)} {listing.noun}, expected {size}")
        del listed
        seconds.append(elapsed)
        collector.append(timing["gc"])
    return {"seconds": seconds, "gc": collector}


def user_listing(listing: Listing, size: int, repeats: int) -> dict[str, list[float]]:
    """In this (fresh) process: create the records, then list them all through the
    client ``repeats`` times; CPU seconds per listing, and the collector's share."""
    store = listing.store(size)
    client = store.fake.client(transport="requests")
    with store.fake:
        return _timed(listing, size, repeats, store.list_with, client)


def stub_listing(listing: Listing, size: int, repeats: int) -> dict[str, list[float]]:
    """As :func:`user_listing`, but the client is answered by a bare ``responses``
    stub serving the very pages the fake served, and the fake is gone: what the
    same listing costs a user whose process holds no fake at all."""
    import re

    import responses
    from twilio.rest import Client

    store = listing.store(size)
    pages: dict[str, bytes] = {}
    url = f"{store.url}?PageSize={USER_PAGE_SIZE}"
    while url:
        body = store.fake.handle(Request("GET", url, store.headers)).body
        pages[url] = body
        url = json.loads(body)["meta"]["next_page_url"]
    client = Client(store.fake.account_sid, store.fake.auth_token)
    list_url, list_with = store.url, store.list_with
    del store
    gc.collect()

    def answer(request: Any) -> tuple[int, dict[str, str], bytes]:
        return 200, {"Content-Type": "application/json"}, pages[request.url]

    stub = responses.RequestsMock(assert_all_requests_are_fired=False)
    stub.add_callback(responses.GET, re.compile(re.escape(list_url) + r"\?.*"), callback=answer)
    with stub:
        return _timed(listing, size, repeats, list_with, client, before_each=stub.calls.reset)


def _user_child(
    listing: Listing, size: int, repeats: int, mode: str = "fake"
) -> dict[str, list[float]]:
    command = [sys.executable, str(HERE), listing.name, str(size), str(repeats), mode]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"listing {size:,} {listing.noun} failed:\n{result.stderr[-3000:]}")
    figures: dict[str, list[float]] = json.loads(result.stdout.strip().splitlines()[-1])
    return figures


# The rows ----------------------------------------------------------------------------------


def run(listing: Listing, quick: bool) -> list[Row]:
    user_sizes = USER_SIZES_QUICK if quick else USER_SIZES
    share_sizes = SHARE_SIZES_QUICK if quick else SHARE_SIZES
    rounds = 2 if quick else 8
    repeats = 1 if quick else 3

    per_item: dict[int, float] = {}
    collector: dict[int, float] = {}
    for size in user_sizes:
        figures = _user_child(listing, size, repeats)
        per_item[size] = median(figures["seconds"]) / size
        collector[size] = median(figures["gc"]) / size
    smallest, middle, largest = user_sizes
    ratio = per_item[largest] / per_item[smallest]
    without_gc = {size: per_item[size] - collector[size] for size in user_sizes}
    stub_item: dict[int, float] = {}
    stub_collector: dict[int, float] = {}
    for size in (smallest, largest):
        figures = _user_child(listing, size, repeats, "stub")
        stub_item[size] = median(figures["seconds"]) / size
        stub_collector[size] = median(figures["gc"]) / size
    stub_ratio = stub_item[largest] / stub_item[smallest]

    stores = [listing.store(size) for size in share_sizes]
    share = measure_share(listing, stores, rounds=rounds)
    samples = interleave(
        {str(store.size): _lister(listing, store) for store in stores},
        rounds=rounds,
        inner=1,
        setup={str(store.size): store.fake.start for store in stores},
        teardown={str(store.size): store.fake.stop for store in stores},
    )
    algorithm = {store.size: median(samples[str(store.size)]) / store.size for store in stores}
    small, large = share_sizes
    low, high = SHARE_BAND

    def per(sizes: tuple[int, ...], figures: dict[int, float]) -> str:
        return ", ".join(f"{size:,}: {us(figures[size])}" for size in sizes)

    return [
        Row(
            f"listing {listing.noun} as users meet it: {largest:,} / {smallest:,} per item "
            f"(a fresh process each, PageSize={USER_PAGE_SIZE})",
            f"{ratio:.2f}x ({per(user_sizes, per_item)} per item; "
            f"{middle:,} / {smallest:,}: {per_item[middle] / per_item[smallest]:.2f}x)",
            f"<= {USER_BAR:.2f}x",
            verdict(ratio <= USER_BAR),
        ),
        Row(
            "↳ of which the garbage collector, per item; the ratio without it",
            f"{per(user_sizes, collector)}; "
            f"{without_gc[largest] / without_gc[smallest]:.2f}x without",
        ),
        Row(
            f"↳ the same listing answered by a bare responses stub (the fake's pages, "
            f"no fake in the process), {largest:,} / {smallest:,} per item",
            f"{stub_ratio:.2f}x ({per((smallest, largest), stub_item)} per item, of which "
            f"the collector {per((smallest, largest), stub_collector)})",
        ),
        Row(
            f"↳ the fake's share: FakeBuilds.handle + json.loads, {large:,} / {small:,} "
            f"per item (PageSize={SHARE_PAGE_SIZE}, one process)",
            f"{share.ratio:.2f}x ({per(share_sizes, share.per_item)} per item)",
            f"{low:.2f}x to {high:.2f}x",
            share.verdict,
        ),
        Row(
            f"↳ the algorithm alone: client listing {large:,} / {small:,} per item "
            f"(PageSize={USER_PAGE_SIZE}, one process, collector off)",
            f"{algorithm[large] / algorithm[small]:.2f}x ({per(share_sizes, algorithm)} per item)",
        ),
    ]


if __name__ == "__main__":
    # A child: python _listing.py CONFIGURATION SIZE REPEATS; one JSON line out.
    name, size_text, repeats_text, mode = sys.argv[1:5]
    measure = stub_listing if mode == "stub" else user_listing
    print(json.dumps(measure(CONFIGURATIONS[name], int(size_text), int(repeats_text))))
