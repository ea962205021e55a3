"""Waiting until rebooted instances are Running again: data (a poll schedule) plus one loop.

An instance counts as back once it is seen Running with evidence that the reboot happened: it was
seen leaving Running -- in a poll, or because the reboot call reported it Stopping/Starting
(``left``) -- or its ``StartTime`` moved past the one in ``baseline`` (recorded before the reboot
was sent). So a first poll that still shows the old Running is not mistaken for "back", and an
instance whose whole reboot fell between two polls (slow polls behind a shared rate limit, a stale
status) is still seen back. The API may keep showing the old Running for ``stale_window`` seconds
after the reboot call, so for an instance only the call reported leaving, Running counts from a
poll that starts that long after the wait began (or with a moved StartTime) -- not before.

Each poll asks only for the instances still pending, with DescribeInstances (100 ids and pages
of 100 per call, the most of any describe), ``ceil(n/100)`` calls in parallel. Describes are
retry-safe, so the client retries them on throttling, 5xx and transport errors. An id missing
from ``missing_polls`` consecutive replies is reported in ``missing``, never taken as Running.

The loop is bounded by ``deadline`` (``clock.monotonic()`` seconds) and the ``cancel`` event; every
sleep is ``clock.sleep(d, cancel)``, so a cancel returns at once. Outcomes are a value
(``WaitResult``) that the round reads instance by instance.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from ..core.clock import Clock
from ..core.errors import (
    AuthFailure,
    Cancelled,
    DeadlineExceeded,
    EcsError,
    Forbidden,
    InvalidParameter,
    NotFound,
)
from ..core.status import InstanceStatus
from .evidence import Baseline, InstanceState, started_since

RUNNING = InstanceStatus.RUNNING.value
#: errors that another poll will not cure
PERMANENT: tuple[type[EcsError], ...] = (AuthFailure, Forbidden, InvalidParameter, NotFound)


class StatusReader(Protocol):
    def describe_states(self, region_id: str, instance_ids: Sequence[str], *,
                        cancel: threading.Event | None = None,
                        deadline: float | None = None) -> dict[str, InstanceState]: ...


@dataclass(frozen=True)
class PollSchedule:
    """First poll at once, then ``interval``, growing by ``factor`` up to ``max_interval`` seconds.

    Intervals run from the start of one poll to the start of the next, so a poll of thousands of
    ids does not stretch the schedule. The reboot's length is unknown, so the factor bounds how
    late the waiter can notice the end: at most ``factor - 1`` of the time waited so far (20 %),
    or ``max_interval``. So a 5 s reboot is seen at ~5.4 s (polls at 0, 1, 2.2, 3.64, 5.37 s).
    """

    interval: float = 1.0
    factor: float = 1.2
    max_interval: float = 10.0
    missing_polls: int = 3

    def delays(self) -> Iterable[float]:
        delay = self.interval
        while True:
            yield delay
            delay = min(self.max_interval, delay * self.factor)


@dataclass
class WaitResult:
    """How a wait ended. ``back`` came back Running; ``pending`` did not (yet); ``missing`` vanished."""

    back: list[str] = field(default_factory=list)
    pending: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    #: the last status seen per instance ("" if never seen)
    statuses: dict[str, str] = field(default_factory=dict)
    polls: int = 0
    waited_s: float = 0.0
    timed_out: bool = False
    cancelled: bool = False
    #: a permanent describe failure (permission, auth) that ended the wait
    error: EcsError | None = None
    #: the record of each instance from the poll that saw it back (its addresses feed health checks)
    records: dict[str, InstanceState] = field(default_factory=dict)
    #: when each instance was seen back (``clock.monotonic()``)
    back_at: dict[str, float] = field(default_factory=dict)

    @property
    def done(self) -> bool:
        return not self.pending and not self.missing and self.error is None


def wait_until_running(
    reader: StatusReader,
    region_id: str,
    instance_ids: Sequence[str],
    *,
    deadline: float,
    cancel: threading.Event,
    clock: Clock,
    left: Iterable[str] = (),
    baseline: Baseline | None = None,
    stale_window: float = 0.0,
    schedule: PollSchedule | None = None,
    on_poll: Callable[[int, int], None] | None = None,
) -> WaitResult:
    """Poll until every instance is back (see the module docstring). ``on_poll(back, total)`` per poll."""
    schedule = schedule or PollSchedule()
    ids = list(dict.fromkeys(instance_ids))
    state = _State(ids, set(left) & set(ids), schedule.missing_polls, baseline or Baseline())
    start = clock.monotonic()
    trust_from = start + stale_window
    delays = iter(schedule.delays())
    result = WaitResult(statuses=dict.fromkeys(ids, ""))
    while state.pending:
        if cancel.is_set():
            result.cancelled = True
            break
        polled_at = clock.monotonic()
        try:
            seen = reader.describe_states(region_id, state.pending, cancel=cancel, deadline=deadline)
        except Cancelled:
            result.cancelled = True
            break
        except DeadlineExceeded:  # the next poll could not be sent in time
            result.timed_out = True
            break
        except PERMANENT as err:
            result.error = err
            break
        except EcsError:
            seen = None  # transient even after the client's retries: poll again later
        result.polls += 1
        if seen is not None:
            state.update(seen, result, trusted=polled_at >= trust_from, at=clock.monotonic())
            if on_poll is not None:
                on_poll(len(state.back), len(ids))
        if not state.pending:
            break
        remaining = deadline - clock.monotonic()
        if remaining <= 0:
            result.timed_out = True
            break
        pause = max(0.0, next(delays) - (clock.monotonic() - polled_at))
        if not clock.sleep(min(pause, remaining), cancel):
            result.cancelled = True
            break
    result.back, result.pending, result.missing = state.back, state.pending, state.missing
    result.waited_s = clock.monotonic() - start
    return result


class _State:
    """Per-instance bookkeeping of one wait."""

    def __init__(self, ids: list[str], left: set[str], missing_polls: int, baseline: Baseline) -> None:
        self.pending = list(ids)
        self.reported_left = set(left)  # by the reboot call only: Running may still be the stale old one
        self.left: set[str] = set()  # seen not Running by a poll
        self.baseline = baseline
        self.back: list[str] = []
        self.missing: list[str] = []
        self._absent: dict[str, int] = dict.fromkeys(ids, 0)
        self._missing_polls = missing_polls

    def update(self, seen: dict[str, InstanceState], result: WaitResult, *, trusted: bool, at: float) -> None:
        statuses = result.statuses
        for i in self.pending:
            now = seen.get(i)
            if now is None:
                self._absent[i] += 1
                if self._absent[i] >= self._missing_polls:
                    self.missing.append(i)
                continue
            self._absent[i] = 0
            statuses[i] = now.status
            if now.status != RUNNING:
                self.left.add(i)
            elif (i in self.left or (trusted and i in self.reported_left)
                  or started_since(self.baseline.get(i), now)):
                self.back.append(i)
                result.records[i], result.back_at[i] = now, at
        done = set(self.back) | set(self.missing)
        self.pending = [i for i in self.pending if i not in done]
