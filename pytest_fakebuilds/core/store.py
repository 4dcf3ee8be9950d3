"""Records keyed by SID and listed per parent. No HTTP, no business rules.

Every family keeps its records in one generic :class:`Table`: a dict by SID
and, per parent (the account, a Service, a Function, an Environment), an
index in creation order that pages read newest first. One re-entrant lock
guards everything, so the store can be read and written from several
threads; callers that must check-then-write atomically hold
:meth:`Store.atomic` across both.
"""

from __future__ import annotations

import threading
from bisect import bisect_left, bisect_right, insort
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from typing import Any, Generic, TypeVar

from .records import (
    ApiKey,
    Asset,
    AssetVersion,
    Build,
    Deployment,
    Environment,
    Function,
    FunctionVersion,
    Log,
    Record,
    Service,
    Variable,
)

R = TypeVar("R", bound=Record)
T = TypeVar("T")


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

    def __iter__(self) -> Iterator[R]:
        return iter(list(self._items))

    def add(self, record: R) -> None:
        # Sequence numbers only grow, so appending keeps the list sorted.
        self._items.append(record)

    def remove(self, record: R) -> None:
        index = bisect_left(self._items, record.seq, key=_seq)
        # Equivalent mutants: Table.remove removes only records it holds, so the
        # record is always found here; the check guards a caller that does not.
        if index < len(self._items) and self._items[index] is record:  # pragma: no mutate
            del self._items[index]

    def older_than(
        self, seq: int | None, limit: int, where: Callable[[R], bool] | None = None
    ) -> tuple[list[R], bool]:
        """Up to ``limit`` records older than ``seq`` (all when None), newest first,
        and whether older ones remain; with ``where``, only records it accepts."""
        hi = len(self._items) if seq is None else bisect_left(self._items, seq, key=_seq)
        if where is None:
            lo = max(0, hi - limit)
            return self._items[lo:hi][::-1], lo > 0
        found: list[R] = []
        for index in range(hi - 1, -1, -1):
            record = self._items[index]
            if where(record):
                if len(found) == limit:
                    return found, True
                found.append(record)
        return found, False

    def newer_than(
        self, seq: int, limit: int, where: Callable[[R], bool] | None = None
    ) -> tuple[list[R], bool]:
        """Up to ``limit`` records just newer than ``seq``, newest first, and whether
        newer ones remain; with ``where``, only records it accepts."""
        lo = bisect_right(self._items, seq, key=_seq)
        if where is None:
            hi = min(len(self._items), lo + limit)
            return self._items[lo:hi][::-1], hi < len(self._items)
        found: list[R] = []
        for index in range(lo, len(self._items)):
            record = self._items[index]
            if where(record):
                if len(found) == limit:
                    return found[::-1], True
                found.append(record)
        return found[::-1], False


def _seq(record: Record) -> int:
    return record.seq


class Table(Generic[R]):
    """One kind of record: by SID, and per parent in creation order."""

    def __init__(self, store: Store, parent_of: Callable[[R], str]) -> None:
        self._store = store
        self._parent_of = parent_of
        self._by_sid: dict[str, R] = {}
        self._children: dict[str, OrderedIndex[R]] = {}

    def __len__(self) -> int:
        return len(self._by_sid)

    def __iter__(self) -> Iterator[R]:
        """Every record, oldest first (a snapshot: safe while others write)."""
        with self._store.atomic():
            return iter(list(self._by_sid.values()))

    def get(self, sid: str) -> R | None:
        return self._by_sid.get(sid)

    def get_under(self, parent_sid: str, sid: str) -> R | None:
        """The record ``sid`` if it belongs to ``parent_sid``: a record reached
        through another parent's path does not exist there."""
        record = self._by_sid.get(sid)
        return record if record is not None and self._parent_of(record) == parent_sid else None

    def of(self, parent_sid: str) -> OrderedIndex[R]:
        """The records under ``parent_sid``; an empty index when it has none."""
        index = self._children.get(parent_sid)
        return index if index is not None else OrderedIndex()

    def add(self, record: R) -> None:
        with self._store.atomic():
            record.seq = self._store.next_seq()
            self._by_sid[record.sid] = record
            parent = self._parent_of(record)
            index = self._children.get(parent)
            if index is None:
                index = self._children[parent] = OrderedIndex()
            index.add(record)

    def restore(self, record: R) -> None:
        """Put back a record with the sequence number it had (from a snapshot);
        records of one parent must come back in the order they were made."""
        with self._store.atomic():
            self._store.bump_seq(record.seq)
            self._by_sid[record.sid] = record
            parent = self._parent_of(record)
            index = self._children.get(parent)
            if index is None:
                index = self._children[parent] = OrderedIndex()
            index.add(record)

    def remove(self, record: R) -> None:
        with self._store.atomic():
            if self._by_sid.get(record.sid) is not record:
                return
            del self._by_sid[record.sid]
            parent = self._parent_of(record)
            index = self._children.get(parent)
            if index is not None:
                index.remove(record)
                if not len(index):
                    del self._children[parent]

    def clear(self, parent_sid: str) -> None:
        """Remove every record under ``parent_sid``."""
        with self._store.atomic():
            for record in self.of(parent_sid):
                self.remove(record)


class BuildTable(Table[Build]):
    """Builds, plus the builds that complete, by the instant they do, so "the
    service's last successful build" is a bisection rather than a scan."""

    def __init__(self, store: Store) -> None:
        super().__init__(store, _service_of)
        # Builds themselves, sorted by (ready_at, seq): no tuple per entry,
        # so a long run's store holds as few objects as it can for the
        # garbage collector to walk.
        self._completions: dict[str, list[Build]] = {}

    def add(self, record: Build) -> None:
        with self._store.atomic():
            super().add(record)
            self._index(record)

    def remove(self, record: Build) -> None:
        with self._store.atomic():
            super().remove(record)
            self._unindex(record)

    def restore(self, record: Build) -> None:
        with self._store.atomic():
            super().restore(record)
            self._index(record)

    def change(self, record: Build, **fields: Any) -> None:
        """Change how a stored build ends (its outcome, ``ready_at``...),
        keeping the completion index and cached bodies right."""
        with self._store.atomic():
            self._unindex(record)
            for name, value in fields.items():
                setattr(record, name, value)
            # Equivalent mutants: only a building build changes, and a building
            # build's body shows nothing that changes; the revision keys the body
            # cache (builds._answer) should that ever differ.
            record.revision += 1  # pragma: no mutate
            if self._by_sid.get(record.sid) is record:
                self._index(record)

    def _index(self, record: Build) -> None:
        if record.outcome == "completed" and record.ready_at is not None:
            entries = self._completions.setdefault(record.service_sid, [])
            insort(entries, record, key=_instant)

    def _unindex(self, record: Build) -> None:
        if record.ready_at is None:
            return
        entries = self._completions.get(record.service_sid, [])
        index = bisect_left(entries, _instant(record), key=_instant)
        if index < len(entries) and entries[index] is record:
            del entries[index]

    def last_completed(self, service_sid: str, now: datetime) -> Build | None:
        """The build of the service that most recently reached ``completed`` by ``now``."""
        with self._store.atomic():
            entries = self._completions.get(service_sid, [])
            index = bisect_right(entries, now, key=_ready_at)
            return entries[index - 1] if index else None


_NEVER = datetime.max.replace(tzinfo=timezone.utc)


def _instant(record: Build) -> tuple[datetime, int]:
    return record.ready_at or _NEVER, record.seq


def _ready_at(record: Build) -> datetime:
    return record.ready_at or _NEVER


def _service_of(record: Build) -> str:
    return record.service_sid


class Store:
    def __init__(self) -> None:
        self._lock = threading.RLock()
        # Equivalent mutant: sequence numbers only order records (and are saved
        # and restored as they are); where they start is never seen.
        self._next_seq = 0  # pragma: no mutate
        self.api_keys: dict[str, ApiKey] = {}
        self.services: Table[Service] = Table(self, lambda r: r.account_sid)
        self.environments: Table[Environment] = Table(self, lambda r: r.service_sid)
        self.functions: Table[Function] = Table(self, lambda r: r.service_sid)
        self.assets: Table[Asset] = Table(self, lambda r: r.service_sid)
        self.function_versions: Table[FunctionVersion] = Table(self, lambda r: r.parent_sid)
        self.asset_versions: Table[AssetVersion] = Table(self, lambda r: r.parent_sid)
        self.builds = BuildTable(self)
        self.deployments: Table[Deployment] = Table(self, lambda r: r.environment_sid)
        self.variables: Table[Variable] = Table(self, lambda r: r.environment_sid)
        self.logs: Table[Log] = Table(self, lambda r: r.environment_sid)
        self._last_shared: dict[str, tuple[Any, ...]] = {}

    def atomic(self) -> threading.RLock:
        """The store's lock, for a check-then-write that must not interleave."""
        return self._lock

    def next_seq(self) -> int:
        with self._lock:
            self._next_seq += 1
            return self._next_seq

    @property
    def last_seq(self) -> int:
        return self._next_seq

    def bump_seq(self, seq: int) -> None:
        """Never hand out ``seq`` or lower again."""
        with self._lock:
            self._next_seq = max(self._next_seq, seq)

    def shared(self, name: str, items: list[T]) -> tuple[T, ...]:
        """``items`` as a tuple, the very tuple handed out last time under
        ``name`` when it holds the same objects.

        Builds made from the same versions, as a long run makes them, then
        share one immutable tuple instead of each keeping its own: one object
        fewer per build for the garbage collector to walk. Only the last tuple
        per name is remembered, so at most that one outlives the builds that
        hold it.
        """
        with self._lock:
            last = self._last_shared.get(name)
            if (
                last is not None
                and len(last) == len(items)
                # Equivalent mutants on strict: the lengths were just compared.
                and all(a is b for a, b in zip(last, items, strict=True))  # pragma: no mutate
            ):
                return last
            made = tuple(items)
            self._last_shared[name] = made
            return made

    def add_api_key(self, key: ApiKey) -> None:
        with self._lock:
            self.api_keys[key.sid] = key
