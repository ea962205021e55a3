"""Fault injection: make the next API requests fail the way a real cloud sometimes does.

Kinds:

* ``throttle``    answer a throttling error (``Throttling`` by default, or ``Throttling.User`` ...),
                  HTTP 400, with an ``x-acs-retry-after`` header (milliseconds) when ``retry_after_ms``;
* ``error``       answer any code with any HTTP status (``InternalError`` 500, ``ServiceUnavailable`` 503);
* ``latency``     wait ``seconds`` before answering (then answer normally);
* ``drop_before`` close the connection without answering and without running the action;
* ``drop_after``  run the action (instances really reboot), then close the connection without answering,
                  whether the action succeeded or answered an error (a dry run's DRYRUN.SUCCESS too);
* ``refused``     refuse the connection: nothing reaches the service, and the client can know it (an
                  in-process transport raises a not-sent error; over HTTP the connection is already
                  accepted, so the server can only close it, which a client sees as ``drop_before``);
* ``garbage``     answer HTTP 200 with a body that is no API answer (a proxy's HTML page), without
                  running the action;
* ``stale``       run the action, but answer DescribeInstances/DescribeInstanceStatus as they read right
                  after a reboot call on the real API: every instance as it was before its last reboot
                  call (the old ``Running`` and ``StartTime``); other actions answer normally. Per request,
                  where the ``staleWindow`` setting is per second.

Each fault matches one action (or all, with ``action=None``) and applies to the next ``count``
matching requests (default 1). With ``probability`` each matching request is hit with that
probability, drawn from a ``random.Random`` seeded at construction so runs are reproducible, until
``count`` hits (default: no limit; ``probability=1.0`` therefore means "every request from now on").
A request gets at most one non-latency fault (the first that matches, in the order added); latency faults add up.
"""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass
from random import Random
from typing import Any, Literal

from ecsreboot.core.errors import ApiError, api_error
from ecsreboot.core.operations import http_status_of

FaultKind = Literal["throttle", "error", "latency", "drop_before", "drop_after", "refused", "garbage", "stale"]
KINDS: tuple[str, ...] = ("throttle", "error", "latency", "drop_before", "drop_after", "refused", "garbage", "stale")

_MESSAGES = {
    "Throttling": "Request was denied due to request throttling.",
    "Throttling.User": "Request was denied due to user flow control.",
    "Throttling.Api": "Request was denied due to api flow control.",
    "InternalError": "The request processing has failed due to some unknown error, exception or failure.",
    "ServiceUnavailable": "The request has failed due to a temporary failure of the server.",
}


@dataclass
class Fault:
    """One injected fault. ``count`` is how many more requests it hits (None: no limit, which needs a
    ``probability``; without one, ``count`` defaults to 1)."""

    kind: FaultKind
    action: str | None = None
    count: int | None = None
    probability: float | None = None
    code: str = ""
    status: int = 0
    message: str = ""
    seconds: float = 0.0
    retry_after_ms: int | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}; expected one of {', '.join(KINDS)}")
        if self.probability is not None and not 0.0 <= self.probability <= 1.0:
            raise ValueError("probability must be within 0..1")
        if self.count is None and self.probability is None:
            self.count = 1
        if self.count is not None and self.count < 0:
            raise ValueError("count must be >= 0")
        if self.kind == "throttle" and not self.code:
            self.code = "Throttling"
        if self.kind == "error" and not self.code:
            self.code = "InternalError"

    def matches(self, action: str) -> bool:
        return self.action in (None, "", "*", action) and (self.count is None or self.count > 0)

    def to_error(self, action: str) -> ApiError:
        """The error answer of a ``throttle`` or ``error`` fault."""
        status = self.status or http_status_of(action, self.code)
        message = self.message or _MESSAGES.get(self.code, f"Injected fault: {self.code}.")
        retry_after = self.retry_after_ms / 1000 if self.retry_after_ms else None
        return api_error(self.code, message, "", status, action=action, retry_after=retry_after)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Decision:
    """What to do to one request: extra delay, and at most one terminal fault."""

    delay: float = 0.0
    fault: Fault | None = None

    @property
    def kind(self) -> str | None:
        return self.fault.kind if self.fault else None


class FaultPlan:
    """The active faults, consumed by matching requests. Thread-safe."""

    def __init__(self, seed: int = 0) -> None:
        self._seed = seed
        self._rng = Random(seed)
        self._faults: list[Fault] = []
        self._lock = threading.Lock()

    def add(self, fault: Fault) -> Fault:
        with self._lock:
            self._faults.append(fault)
        return fault

    def throttle(
        self, action: str | None = None, count: int | None = None, *, code: str = "Throttling",
        retry_after_ms: int | None = None, probability: float | None = None,
    ) -> Fault:
        return self.add(Fault("throttle", action, count, probability, code=code, retry_after_ms=retry_after_ms))

    def error(
        self, code: str = "InternalError", status: int = 0, action: str | None = None, count: int | None = None,
        *, message: str = "", probability: float | None = None,
    ) -> Fault:
        return self.add(Fault("error", action, count, probability, code=code, status=status, message=message))

    def latency(
        self, seconds: float, action: str | None = None, count: int | None = None, *, probability: float | None = None
    ) -> Fault:
        return self.add(Fault("latency", action, count, probability, seconds=seconds))

    def drop_before(
        self, action: str | None = None, count: int | None = None, *, probability: float | None = None
    ) -> Fault:
        return self.add(Fault("drop_before", action, count, probability))

    def drop_after(
        self, action: str | None = None, count: int | None = None, *, probability: float | None = None
    ) -> Fault:
        return self.add(Fault("drop_after", action, count, probability))

    def clear(self) -> None:
        """Remove every fault and re-seed the random draws."""
        with self._lock:
            self._faults.clear()
            self._rng = Random(self._seed)

    def active(self) -> list[Fault]:
        with self._lock:
            return [f for f in self._faults if f.count is None or f.count > 0]

    def decide(self, action: str) -> Decision:
        """Consume the faults that hit this request."""
        delay, terminal = 0.0, None
        with self._lock:
            for fault in self._faults:
                if not fault.matches(action) or (fault.kind != "latency" and terminal is not None):
                    continue
                if fault.probability is not None and self._rng.random() >= fault.probability:
                    continue
                if fault.count is not None:
                    fault.count -= 1
                if fault.kind == "latency":
                    delay += fault.seconds
                else:
                    terminal = fault
            self._faults = [f for f in self._faults if f.count is None or f.count > 0]
        return Decision(delay, terminal)
