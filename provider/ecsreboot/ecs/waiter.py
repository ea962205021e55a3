"""Waiting until rebooted instances are Running again: a poll schedule, the bookkeeping (``Watch``) and
one loop over it (``wait_until_running``); a pipelined round (ecs/pipeline.py) drives a ``Watch`` itself.

An instance counts as back once it is seen Running with evidence that the reboot happened: it was
seen leaving Running -- in a poll, or because the reboot call reported it Stopping/Starting
(``left``) -- or its ``StartTime`` moved past the one in the baseline (recorded before the reboot
was sent). So a first poll that still shows the old Running is not mistaken for "back", and an
instance whose whole reboot fell between two polls (slow polls behind a shared rate limit, a stale
status) is still seen back. The API may keep showing the old Running for ``stale_window`` seconds
after the reboot call, so for an instance only the call reported leaving, Running counts from a
poll that starts that long after its group was rebooted (or with a moved StartTime) -- not before.

Instances are watched in groups of at most 100, each with the time its reboot call was answered and
its own schedule counted from then; a poll asks for the pending instances of the groups that are
due, whole groups packed into DescribeInstances calls of at most 100 ids (the most of any describe).
Describes are retry-safe, so the client retries them on throttling, 5xx and transport errors. An
id missing from ``missing_polls`` consecutive replies is reported in ``missing``, never taken as
Running.

A ``Watch`` learns from its own polls: the largest time after its reboot at which a group was seen
with none of its instances back (the *floor*) is a time before which the round's instances are
not back yet, so the polls of groups rebooted later skip the points of their schedule up to it (a
fleet's instances reboot alike; one that is faster than the rest is noticed at the first point
after the floor). This is what keeps a round near one poll per group: the first groups find the
reboot's length, the later ones look when it has passed.

Every step of a ``Watch`` costs time in the ids it touches, not in the size of the fleet. The loop
is bounded by ``deadline`` (``clock.monotonic()`` seconds) and the ``cancel`` event; every sleep is
``clock.sleep(d, cancel)``, so a cancel returns at once. Outcomes are a value (``WaitResult``) that
the round reads instance by instance.
"""

from __future__ import annotations

import heapq
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
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
from ..core.operations import MAX_INSTANCES_PER_CALL
from ..core.plan import chunked
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
            delay = self.grown(delay)

    def grown(self, delay: float) -> float:
        """The delay after ``delay``."""
        return min(self.max_interval, delay * self.factor)


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


class _Group:
    """Up to 100 instances rebooted together: their reboot time, schedule and pending ids."""

    __slots__ = ("asking", "at", "delay", "due", "evidence", "pending", "size", "trust_from", "version")

    def __init__(self, ids: Iterable[str], at: float, trust_from: float) -> None:
        self.at, self.trust_from = at, trust_from
        self.due, self.delay = at, 0.0
        self.pending: dict[str, None] = dict.fromkeys(ids)
        self.size = len(self.pending)
        self.asking = False  # a poll of it is in flight
        self.evidence = False  # its first poll is the one at once, for the transition: the floor skips it not
        self.version = 0  # bumped on every reschedule: older heap entries are stale


class Watch:
    """Instances rebooted in groups at different times, waiting to be seen Running again: which to ask
    about when, and what each answer shows. Bookkeeping only -- no calls, no clock: times are passed in.

    ``keep_records``: fill ``records`` and ``back_at`` of the result (what health probes read); without
    them an instance costs no memory once it is back but its place in ``back`` and ``statuses``.
    ``at_once``: a group's first poll comes at its reboot time, else one ``interval`` later -- when the
    StartTime recorded before the call is old enough that any start since must show a later one, a poll
    that catches the transition adds no evidence. ``floor``: a floor learnt before (by an earlier wave of
    the round), see the module docstring.
    """

    def __init__(self, schedule: PollSchedule | None = None, *, stale_window: float = 0.0, at_once: bool = False,
                 floor: float = 0.0, keep_records: bool = True) -> None:
        self.schedule = schedule or PollSchedule()
        #: keep each instance's record and time from the poll that saw it back (health checks need them)
        self.keep_records = keep_records
        self.stale_window = stale_window
        self.at_once = at_once
        self.floor = floor
        self.result = WaitResult()
        self._groups: dict[str, _Group] = {}  # pending id -> its group
        self._order: dict[str, None] = {}  # every id watched, in the order added
        self._baseline: dict[str, InstanceState] = {}
        self._reported_left: set[str] = set()  # by the reboot call only: Running may still be the stale old one
        self._left: set[str] = set()  # seen not Running by a poll
        self._absent: dict[str, int] = {}
        self._heap: list[tuple[float, int, int, _Group]] = []
        self._seq = 0
        self._pending = 0

    # --- what is watched ------------------------------------------------------------------------

    def add(self, ids: Sequence[str], *, at: float, left: Iterable[str] = (),
            baseline: Mapping[str, InstanceState] | None = None, at_once: bool | None = None) -> None:
        """Watch ``ids`` (new ones; groups of at most 100), rebooted at ``at``; ``left``: those the reboot
        call reported leaving Running; ``baseline``: their records from the look before the call;
        ``at_once``: poll them first at ``at`` (default: the watch's ``at_once``)."""
        first_at_once = self.at_once if at_once is None else at_once
        fresh = [i for i in dict.fromkeys(ids) if i not in self._order]
        wanted = set(fresh)
        self._reported_left.update(i for i in left if i in wanted)
        if baseline:
            self._baseline.update((i, baseline[i]) for i in fresh if i in baseline)
        for chunk in chunked(fresh, MAX_INSTANCES_PER_CALL):
            group = _Group(chunk, at, at + self.stale_window)
            group.delay = self.schedule.interval
            group.evidence = first_at_once
            if not first_at_once:
                self._step(group)
            self._skip_to_floor(group)
            for i in chunk:
                self._groups[i] = group
                self._order[i] = None
                self._absent[i] = 0
                self.result.statuses[i] = ""
            self._pending += len(chunk)
            self._push(group)

    @property
    def pending(self) -> int:
        """How many instances are still to be seen back (or missing)."""
        return self._pending

    @property
    def watched(self) -> int:
        return len(self._order)

    @property
    def back(self) -> int:
        return len(self.result.back)

    # --- when to poll -----------------------------------------------------------------------------

    def next_due(self) -> float | None:
        """When the next poll is due (``clock.monotonic()``); None while nothing waits for one."""
        while self._heap:
            due, _, version, group = self._heap[0]
            if version == group.version and not group.asking and group.pending:
                return due
            heapq.heappop(self._heap)
        return None

    def take(self, now: float, limit: int | None = MAX_INSTANCES_PER_CALL) -> list[str]:
        """The pending ids of the groups due at ``now``, whole groups, at most ``limit`` ids (a group is
        never split; None: every due group). Those groups count as being polled until ``answer``."""
        ids: list[str] = []
        while (due := self.next_due()) is not None and due <= now:
            group = self._heap[0][3]
            if self._below_floor(group):  # the floor rose since it was scheduled: its point is skipped now
                heapq.heappop(self._heap)
                self._skip_to_floor(group)
                self._push(group)
                continue
            if limit is not None and ids and len(ids) + len(group.pending) > limit:
                break
            heapq.heappop(self._heap)
            group.asking = True
            ids.extend(group.pending)
        return ids

    # --- what a poll showed ------------------------------------------------------------------------

    def answer(self, asked: Sequence[str], seen: Mapping[str, InstanceState] | None, *, polled_at: float,
               at: float) -> list[str]:
        """Apply one poll of ``asked`` that started at ``polled_at`` and was answered at ``at``; ``seen`` is
        None when it failed (transient): those groups are polled again at their next point. Returns the
        ids seen back."""
        groups: dict[int, tuple[_Group, list[str]]] = {}
        for i in asked:
            group = self._groups.get(i)
            if group is not None:
                groups.setdefault(id(group), (group, []))[1].append(i)
        came_back: list[str] = []
        for group, ids in groups.values():
            if seen is not None:
                found = self._judge(group, ids, seen, polled_at, at)
                came_back += found
                if len(group.pending) == group.size and any(i in seen for i in ids):
                    # the whole group still down (a straggler of a group otherwise back teaches nothing)
                    self.floor = max(self.floor, polled_at - group.at)
            group.asking = False
            group.evidence = False
            if group.pending:
                group.due = polled_at
                self._step(group)
                self._skip_to_floor(group)
                self._push(group)
        return came_back

    def outcome(self) -> WaitResult:
        """The result so far: ``back`` in the order seen, ``pending`` in the order added."""
        result = self.result
        result.pending = [i for i in self._order if i in self._groups]
        return result

    # --- internals ----------------------------------------------------------------------------------

    def _judge(self, group: _Group, ids: list[str], seen: Mapping[str, InstanceState], polled_at: float,
               at: float) -> list[str]:
        result, trusted = self.result, polled_at >= group.trust_from
        found: list[str] = []
        for i in ids:
            now = seen.get(i)
            if now is None:
                self._absent[i] += 1
                if self._absent[i] >= self.schedule.missing_polls:
                    result.missing.append(i)
                    self._drop(group, i)
                continue
            self._absent[i] = 0
            result.statuses[i] = now.status
            if now.status != RUNNING:
                self._left.add(i)
            elif (i in self._left or (trusted and i in self._reported_left)
                  or started_since(self._baseline.get(i), now)):
                result.back.append(i)
                if self.keep_records:
                    result.records[i], result.back_at[i] = now, at
                found.append(i)
                self._drop(group, i)
        return found

    def _drop(self, group: _Group, instance_id: str) -> None:
        """No longer pending (back, or missing): what was kept to judge it goes."""
        del group.pending[instance_id]
        del self._groups[instance_id]
        self._baseline.pop(instance_id, None)
        self._absent.pop(instance_id, None)
        self._left.discard(instance_id)
        self._reported_left.discard(instance_id)
        self._pending -= 1

    def _step(self, group: _Group) -> None:
        group.due += group.delay
        group.delay = self.schedule.grown(group.delay)

    def _below_floor(self, group: _Group) -> bool:
        return (self.floor > 0 and not group.evidence and group.due - group.at <= self.floor
                and group.delay > 0)

    def _skip_to_floor(self, group: _Group) -> None:
        while self._below_floor(group):
            self._step(group)

    def _push(self, group: _Group) -> None:
        group.version += 1
        self._seq += 1
        heapq.heappush(self._heap, (group.due, self._seq, group.version, group))


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
    """Poll until every instance is back (see the module docstring), all rebooted when the wait starts:
    each poll asks for every pending instance (``ceil(n/100)`` describes at once). ``on_poll(back,
    total)`` per poll."""
    start = clock.monotonic()
    watch = Watch(schedule, stale_window=stale_window, at_once=True)
    watch.add(instance_ids, at=start, left=left, baseline=baseline.states if baseline else None)
    result = watch.result
    for polled_at in _ticks(watch, clock, deadline, cancel, result):
        asked = watch.take(polled_at, limit=None)
        try:
            seen = reader.describe_states(region_id, asked, cancel=cancel, deadline=deadline)
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
        watch.answer(asked, seen, polled_at=polled_at, at=clock.monotonic())
        if seen is not None and on_poll is not None:
            on_poll(watch.back, watch.watched)
    result = watch.outcome()
    result.waited_s = clock.monotonic() - start
    return result


def _ticks(watch: Watch, clock: Clock, deadline: float, cancel: threading.Event,
           result: WaitResult) -> Iterator[float]:
    """The start of each poll: at once, then whenever the watch is next due; ends (setting the result's
    flag) when nothing is pending, at the deadline or on cancel."""
    while watch.pending:
        if cancel.is_set():
            result.cancelled = True
            return
        now = clock.monotonic()
        due = watch.next_due()
        if due is None:  # nothing left to ask about (not reached: every poll is answered before the next)
            return
        if due > now:
            if now >= deadline:
                result.timed_out = True
                return
            if not clock.sleep(min(due, deadline) - now, cancel):
                result.cancelled = True
                return
            continue
        yield now
