"""Faults on the wire: what a request gets instead of the API's answer.

A fault is aimed at one operation (twilio-oai's operationId in snake_case),
optionally only at calls about one SID, and fires for the next ``times``
matching calls, or only the ``nth``, or at random with a seeded
``probability``. It answers before the handler runs, so a faulted create
creates nothing; only ``latency`` lets the call through, after moving the
fake's clock.
"""

from __future__ import annotations

import math
import random
import threading
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from ..core import errors
from ..core.wire import JSON_CONTENT_TYPE, Request, Response

# Defaults where a status alone is given.
_DEFAULTS: dict[int, tuple[int, str]] = {
    400: (20001, "Bad request"),
    401: (20003, "Authenticate"),
    403: (20403, "Forbidden"),
    404: (20404, "The requested resource {path} was not found"),
    409: (20409, "Conflict"),
    429: (20429, "Too many requests"),
    500: (20500, "An internal server error has occurred"),
    502: (20502, "Bad gateway"),
    503: (20503, "Service unavailable"),
    504: (20504, "Gateway timeout"),
}


@dataclass(eq=False)
class Fault:
    """One configured fault; ``hits`` counts the calls it answered."""

    operation: str
    status: int | None = None
    code: int | None = None
    message: str | None = None
    exception: BaseException | type[BaseException] | None = None
    latency: float | None = None
    retry_after: float | None = None
    body: bytes | None = None
    times: int | None = 1
    nth: int | None = None
    sid: str | None = None
    probability: float | None = None
    hits: int = 0
    seen: int = 0
    _owner: Faults | None = field(default=None, repr=False)

    def remove(self) -> None:
        """Stop this fault; calls it would have answered get the API's answers."""
        if self._owner is not None:
            self._owner.remove(self)

    @property
    def spent(self) -> bool:
        if self.nth is not None:
            return self.seen >= self.nth
        return self.times is not None and self.hits >= self.times

    def describe(self) -> str:
        what = []
        if self.latency:
            what.append(f"{self.latency:g} s of latency")
        if self.exception is not None:
            name = getattr(self.exception, "__name__", type(self.exception).__name__)
            what.append(f"raises {name}")
        if self.status is not None:
            what.append(f"answers {self.status}")
        if self.body is not None:
            what.append("answers a raw body")
        scope = f" about {self.sid}" if self.sid else ""
        when = (
            f"call {self.nth}"
            if self.nth is not None
            else f"p={self.probability:g}"
            if self.probability is not None
            else "every call"
            if self.times is None
            else f"next {self.times}"
        )
        return f"fault on {self.operation}{scope} ({when}): {', '.join(what)}"

    def to_json(self) -> dict[str, Any] | None:
        """The fault as plain data, or None when it cannot be saved."""
        if self.exception is not None and not isinstance(self.exception, type):
            return None  # an exception instance has state of its own
        data: dict[str, Any] = {
            name: getattr(self, name)
            for name in (
                "operation",
                "status",
                "code",
                "message",
                "latency",
                "retry_after",
                "times",
                "nth",
                "sid",
                "probability",
                "hits",
                "seen",
            )
        }
        if self.exception is not None:
            data["exception"] = f"{self.exception.__module__}.{self.exception.__qualname__}"
        if self.body is not None:
            data["body"] = self.body.decode("latin-1")
        return data


class Faults:
    """The faults of one fake, consulted before every routed request."""

    def __init__(
        self,
        operations: Collection[str],
        advance: Callable[[float], object],
        seed: int,
    ) -> None:
        self.operations = frozenset(operations)
        self._advance = advance
        self._random = random.Random(seed)
        self._lock = threading.Lock()
        self.active: list[Fault] = []

    def add(self, operation: str, **options: Any) -> Fault:
        if operation not in self.operations:
            known = ", ".join(sorted(self.operations))
            raise ValueError(f"no operation {operation!r}; the fake serves: {known}")
        fault = Fault(operation, **options)
        _check(fault)
        fault._owner = self
        with self._lock:
            self.active.append(fault)
        return fault

    def remove(self, fault: Fault) -> None:
        with self._lock:
            if fault in self.active:
                self.active.remove(fault)

    def random_state(self) -> Any:
        return self._random.getstate()

    def set_random_state(self, state: Any) -> None:
        self._random.setstate(state)

    def before(self, request: Request, operation: str, params: dict[str, str]) -> Response | None:
        """The core's hook: a fault's answer for this call, or None to let it through."""
        if not self.active:
            return None
        # Faults take their turns oldest first: every matching fault sees the
        # call (``nth`` counts calls), latency ones all apply, and the first
        # that answers answers; one that cannot answer keeps its turn.
        latency = 0.0
        answering: Fault | None = None
        with self._lock:
            for fault in self.active:
                if not self._sees(fault, operation, params):
                    continue
                answers = (
                    fault.status is not None
                    or fault.exception is not None
                    or (fault.body is not None)
                )
                if answers and answering is not None:
                    continue
                if not self._fires(fault):
                    continue
                fault.hits += 1
                latency += fault.latency or 0.0
                if answers:
                    answering = fault
        if latency:
            self._advance(latency)
        return _answer(answering, request.path) if answering is not None else None

    def _sees(self, fault: Fault, operation: str, params: dict[str, str]) -> bool:
        if fault.operation != operation or fault.spent:
            return False
        if fault.sid is not None and fault.sid not in params.values():
            return False
        fault.seen += 1
        return True

    def _fires(self, fault: Fault) -> bool:
        if fault.nth is not None:
            return fault.seen == fault.nth
        if fault.probability is not None:
            return self._random.random() < fault.probability
        return True


def _check(fault: Fault) -> None:
    if fault.status is not None and not 400 <= fault.status <= 599 and fault.body is None:
        raise ValueError("a fault's status must be an error status (400 to 599)")
    if fault.times is not None and fault.times < 1:
        raise ValueError("times must be at least 1, or None for every matching call")
    if fault.nth is not None and fault.nth < 1:
        raise ValueError("nth counts from 1")
    if fault.probability is not None and not 0 <= fault.probability <= 1:
        raise ValueError("probability must be between 0 and 1")
    if fault.latency is not None and fault.latency < 0:
        raise ValueError("latency cannot be negative")
    effects = (fault.status, fault.exception, fault.latency, fault.body)
    if all(effect is None for effect in effects):
        raise ValueError("a fault needs status, exception, latency or body")


def _answer(fault: Fault, path: str) -> Response | None:
    if fault.exception is not None:
        exception = fault.exception
        if isinstance(exception, type):
            exception = exception(f"pytest-fakebuilds fault: {fault.describe()}")
        return Response(599, b"", {}, exception=exception)
    if fault.body is not None:
        return Response(fault.status or 200, fault.body, {"Content-Type": JSON_CONTENT_TYPE})
    if fault.status is None:
        return None  # latency only
    code, message = _DEFAULTS.get(fault.status, (fault.status, "Error"))
    error = errors.ApiError(fault.message or message.format(path=_shown(path)))
    error.status = fault.status
    error.code = fault.code if fault.code is not None else code
    response = Response.error(error, path)
    if fault.retry_after is not None:
        headers = dict(response.headers)
        # HTTP takes whole seconds only: a fraction is rounded up.
        headers["Retry-After"] = str(math.ceil(fault.retry_after))
        response = Response(response.status, response.body, headers)
    return response


def _shown(path: str) -> str:
    return path[3:] if path.startswith("/v1/") else path


def as_seconds(value: float | timedelta | None) -> float | None:
    if value is None or isinstance(value, (int, float)):
        return value
    return value.total_seconds()
