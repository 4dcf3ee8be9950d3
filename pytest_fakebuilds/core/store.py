"""Records keyed by SID, scoped by Service. No HTTP, no business rules.

One re-entrant lock guards everything, so the store can be read and written
from several threads; callers that must check-then-write atomically hold
:meth:`Store.atomic` across both.
"""

from __future__ import annotations

import threading
from bisect import bisect_left, bisect_right, insort
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Generic, Protocol, TypeVar

from .records import ApiKey, AssetVersion, Build, Function, FunctionVersion, Service


class _Sequenced(Protocol):
    seq: int


R = TypeVar("R", bound=_Sequenced)


class OrderedIndex(Generic[R]):
    """Records in creation order, read newest first by keyset.

    Pages are cut by sequence number rather than offset, so creating or
    deleting records between page reads never skips or repeats a record that
    existed throughout.
    """

    def __init__(self) -> None:
        self._items: list[R] = []

    def __len__(self) -> int:
        return len(self._items)

    def add(self, record: R) -> None:
        # Sequence numbers only grow, so appending keeps the list sorted.
        self._items.append(record)

    def remove(self, record: R) -> None:
        index = bisect_left(self._items, record.seq, key=_seq)
        if index < len(self._items) and self._items[index] is record:
            del self._items[index]

    def older_than(self, seq: int | None, limit: int) -> tuple[list[R], bool]:
        """Up to ``limit`` records older than ``seq`` (all when None), newest first,
        and whether older ones remain."""
        hi = len(self._items) if seq is None else bisect_left(self._items, seq, key=_seq)
        lo = max(0, hi - limit)
        return self._items[lo:hi][::-1], lo > 0

    def newer_than(self, seq: int, limit: int) -> tuple[list[R], bool]:
        """Up to ``limit`` records just newer than ``seq``, newest first, and whether
        newer ones remain."""
        lo = bisect_right(self._items, seq, key=_seq)
        hi = min(len(self._items), lo + limit)
        return self._items[lo:hi][::-1], hi < len(self._items)

    def has_newer(self, seq: int) -> bool:
        return bool(self._items) and self._items[-1].seq > seq

    def __iter__(self) -> Iterator[R]:
        return iter(list(self._items))


def _seq(record: _Sequenced) -> int:
    return record.seq


class Store:
    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._next_seq = 0
        self.services: dict[str, Service] = {}
        self.functions: dict[str, Function] = {}
        self.versions: dict[str, FunctionVersion | AssetVersion] = {}
        self.builds: dict[str, Build] = {}
        self.api_keys: dict[str, ApiKey] = {}
        self._builds_by_service: dict[str, OrderedIndex[Build]] = {}
        # Builds that will complete, by the instant they do, so "the last
        # successful build" is a bisection rather than a scan of every build.
        self._completions: dict[str, list[tuple[datetime, int, Build]]] = {}

    @contextmanager
    def atomic(self) -> Iterator[None]:
        with self._lock:
            yield

    def add_service(self, service: Service) -> None:
        with self._lock:
            self.services[service.sid] = service
            self._builds_by_service[service.sid] = OrderedIndex()
            self._completions[service.sid] = []

    def add_function(self, function: Function) -> None:
        with self._lock:
            self.functions[function.sid] = function

    def add_version(self, version: FunctionVersion | AssetVersion) -> None:
        with self._lock:
            self.versions[version.sid] = version

    def add_api_key(self, key: ApiKey) -> None:
        with self._lock:
            self.api_keys[key.sid] = key

    def add_build(self, build: Build) -> None:
        with self._lock:
            self._next_seq += 1
            build.seq = self._next_seq
            self.builds[build.sid] = build
            self._builds_by_service[build.service_sid].add(build)
            if build.outcome == "completed":
                insort(self._completions[build.service_sid], (build.ready_at, build.seq, build))

    def remove_build(self, build: Build) -> None:
        with self._lock:
            self.builds.pop(build.sid, None)
            self._builds_by_service[build.service_sid].remove(build)
            completions = self._completions[build.service_sid]
            key = (build.ready_at, build.seq, build)
            index = bisect_left(completions, key[:2], key=lambda entry: entry[:2])
            if index < len(completions) and completions[index][2] is build:
                del completions[index]

    def last_completed(self, service_sid: str, now: datetime) -> Build | None:
        """The build of the service that most recently reached ``completed`` by ``now``."""
        with self._lock:
            completions = self._completions[service_sid]
            index = bisect_right(completions, now, key=lambda entry: entry[0])
            return completions[index - 1][2] if index else None

    def builds_of(self, service_sid: str) -> OrderedIndex[Build]:
        return self._builds_by_service[service_sid]
