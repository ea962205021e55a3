"""One wave of a round, pipelined: each group of instances is looked at, rebooted and polled in turn,
with no barrier across the wave.

The wave's ids go in groups of at most 100 (one RebootInstances call each; with ``api="RebootInstance"``
one call per instance), and each group moves through three steps:

1. **the look**: DescribeInstances of its ids -- their records right before the reboot (a ``Baseline``),
   which a lost reply and the wait are judged against. A look that fails after the client's retries is
   tried again (``_LOOKS`` in all) for the ids not yet seen; what is still unseen then has weaker
   evidence (a lost reply can be settled only by a status in transition). Ids the caller already looked
   at right before the round (``looked``) are not asked again.
2. **its reboot call(s)**, with that baseline (``Rebooter``: sent at most once unless a look proves the
   call did not run).
3. **its polls**: its rebooted instances join the wave's ``Watch`` with the time the call was answered,
   each group on its own schedule; due groups are packed into describes of at most 100 ids.

The steps of different groups overlap, with at most ``concurrency`` calls in flight of any kind, picked
in this order: a looked group's reboot call, then a due poll, then the next group's look -- so polls of
early groups run while later groups are still being sent. The wave's first reboot call goes alone,
right after its own look (a canary: wrong credentials or a wrong endpoint cost one call); a short last
group's call goes once every full group's call is answered, so request logs list the calls as 100, 100,
..., remainder. A call refused for credentials or configuration, or that cannot be sent before the deadline,
halts the round (``on_error`` says so); a halted or cancelled wave sends nothing more -- what was not
sent is ``NotAttempted`` -- and calls in flight finish, so their outcome is known.

One thread (the caller's) decides everything; workers only make calls and hand back what they got, so
the wave's state needs no lock, and each step costs time in the ids it touches, not in the wave's size.
"""

from __future__ import annotations

import datetime as _dt
import threading
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor
from concurrent.futures import wait as wait_futures
from dataclasses import dataclass, field
from typing import Any, Protocol

from ..core.clock import Clock
from ..core.errors import Cancelled, DeadlineExceeded, EcsError
from ..core.model import InstanceOutcome, RoundOptions
from ..core.operations import MAX_INSTANCES_PER_CALL
from ..core.plan import chunked
from ..core.status import TRANSITIONAL
from .dryrun import DryRunClient
from .evidence import Baseline, InstanceState
from .reboot import RebootReply, failure_outcome
from .waiter import PERMANENT, PollSchedule, StatusReader, WaitResult, Watch

#: attempts at a group's look (each one after the client's own retries)
_LOOKS = 3
#: how often (real seconds) the deciding thread looks at the cancel event while calls are in flight
_CANCEL_CHECK = 0.1
#: the shortest real wait for a call to finish before a due poll is looked at again (no busy loop)
_MIN_WAIT = 0.005


class RoundClient(DryRunClient, StatusReader, Protocol):
    """What a round needs: reboots with recovery and describes (a ``Rebooter`` over an ``EcsClient``)."""

    @property
    def stale_window(self) -> float:
        """Seconds DescribeInstances may keep showing the old Running after a reboot call."""
        ...

    @property
    def clock_skew(self) -> float:
        """Seconds the local clock may be off the service's (for judging StartTime, ecs/evidence.py)."""
        ...


@dataclass
class WaveOutcome:
    """What a wave did: an outcome per instance (in the wave's order), the reboot calls' RequestIds (in
    group order), and the wait (None when nothing was waited for)."""

    outcomes: list[InstanceOutcome]
    request_ids: list[str]
    waited: WaitResult | None
    #: the rebooted instances (outcome "200"), in the wave's order
    ok: list[str] = field(default_factory=list)


class _Group:
    """Up to 100 ids: their look, their reboot calls and the replies."""

    __slots__ = ("answered", "calls", "ids", "replies", "states", "taken_at")

    def __init__(self, ids: list[str]) -> None:
        self.ids = ids
        self.states: dict[str, InstanceState] = {}
        self.taken_at: _dt.datetime | None = None
        self.calls: list[list[str]] = []
        self.replies: list[RebootReply | None] = []
        self.answered = 0

    @property
    def settled(self) -> bool:
        return bool(self.calls) and self.answered == len(self.calls)

    def baseline(self, ids: Sequence[str]) -> Baseline:
        states = self.states
        return Baseline({i: states[i] for i in ids if i in states}, self.taken_at or _dt.datetime.min.replace(
            tzinfo=_dt.UTC))


Task = tuple[Callable[[], Any], Callable[[Any], None]]


class Wave:
    """One wave's pipeline (see the module docstring); ``run`` once.

    ``halted()`` says why nothing more may be sent (None: go on); ``on_error(err)`` hears every error a
    reboot call ended with (it decides what halts); ``on_poll(back, watched)`` after each answered poll;
    ``on_rebooted(ok, failed)`` once every group's calls are settled. ``floor``: what earlier waves learnt
    of the reboot's length (``Watch``); ``looked``: records the caller took right before the round.
    """

    def __init__(self, client: RoundClient, ids: Sequence[str], options: RoundOptions, *, wait: bool,
                 cancel: threading.Event, clock: Clock, deadline: float, halted: Callable[[], str | None],
                 on_error: Callable[[EcsError], None], on_poll: Callable[[int, int], None],
                 on_rebooted: Callable[[int, int], None], floor: float = 0.0,
                 looked: Baseline | None = None) -> None:
        self.client, self.options, self.cancel, self.clock, self.deadline = client, options, cancel, clock, deadline
        self._halted, self._on_error, self._on_poll, self._on_rebooted = halted, on_error, on_poll, on_rebooted
        self.groups = [_Group(chunk) for chunk in chunked(list(ids), MAX_INSTANCES_PER_CALL)]
        if looked is not None:
            for g in self.groups:
                g.states = {i: looked.states[i] for i in g.ids if i in looked.states}
                g.taken_at = looked.taken_at
        self.wait = wait
        schedule = PollSchedule(interval=options.poll_interval, max_interval=options.poll_max_interval)
        self.watch = Watch(schedule, stale_window=client.stale_window, floor=floor,
                           keep_records=options.health_check is not None)
        self.waited = self.watch.result
        self._watching = wait  # False once the wait has ended (cancel, deadline, a permanent error)
        self._looks = 0  # groups whose look has been started
        self._ready: deque[tuple[_Group, int]] = deque()  # (group, call index) looked, not yet sent
        self._canary: bool | None = None  # None: not sent yet; False: in flight; True: answered
        self._settled = 0
        self._rebooted_reported = False
        self._workers = max(1, options.concurrency)
        # a short last group waits for every full group's call (request logs read 100, 100, ..., remainder)
        self._hold_last = (options.api != "RebootInstance" and len(self.groups) > 2
                           and len(self.groups[-1].ids) < len(self.groups[0].ids))
        self._open = len(self.groups) - 1  # groups before the last whose calls are not all answered
        self._held: list[tuple[_Group, int]] = []  # the short last group's call, until then

    # --- the deciding loop ---------------------------------------------------------------------------

    def run(self) -> WaveOutcome:
        start = self.clock.monotonic()
        in_flight: dict[Future[Any], Callable[[Any], None]] = {}
        with ThreadPoolExecutor(self._workers, thread_name_prefix="ecsreboot-round") as pool:
            while True:
                self._stop_sending_if_told()
                while len(in_flight) < self._workers and (task := self._next_task()) is not None:
                    work, then = task
                    in_flight[pool.submit(work)] = then
                if in_flight:
                    for future in self._some_done(in_flight):
                        in_flight.pop(future)(future.result())
                    continue
                if not self._idle_wait():
                    break
        self._report_rebooted()
        self.waited.waited_s = self.clock.monotonic() - start
        return self._outcome()

    def _next_task(self) -> Task | None:
        """The next call to start, in order: a looked group's reboot call, a due poll, the next look."""
        if self._sending_stopped():
            return self._due_poll()
        if self._canary is None:  # before the canary's answer only its own look and call go
            if self._ready:
                self._canary = False
                return self._reboot_task(*self._ready.popleft())
            return self._look_task() if self._looks == 0 else None
        if self._canary is False:
            return None
        if self._ready:
            return self._reboot_task(*self._ready.popleft())
        return self._due_poll() or self._look_task()

    def _some_done(self, in_flight: dict[Future[Any], Callable[[Any], None]]) -> set[Future[Any]]:
        """Wait for a call to finish -- briefly, so a cancel or a poll falling due is seen in time."""
        timeout = _CANCEL_CHECK
        due = self.watch.next_due() if self._watching and len(in_flight) < self._workers else None
        if due is not None:
            timeout = min(timeout, max(_MIN_WAIT, due - self.clock.monotonic()))
        done, _ = wait_futures(in_flight, timeout=timeout, return_when=FIRST_COMPLETED)
        return done

    def _idle_wait(self) -> bool:
        """Nothing in flight: sleep until the next poll is due; False when the wave is over."""
        # every group's step goes through a call (or a no-op), so with none in flight all are settled
        assert self._all_settled(), "a wave with nothing in flight has groups left to send"
        if not self._watching or not self.watch.pending:
            return False
        due = self.watch.next_due()
        now = self.clock.monotonic()
        if self.cancel.is_set():
            self._end_wait(cancelled=True)
            return False
        if due is None:
            return False
        if due > now:
            if now >= self.deadline:
                self._end_wait(timed_out=True)
                return False
            if not self.clock.sleep(min(due, self.deadline) - now, self.cancel):
                self._end_wait(cancelled=True)
                return False
        return True

    # --- looks ---------------------------------------------------------------------------------------

    def _look_task(self) -> Task | None:
        if self._looks >= len(self.groups):
            return None
        group = self.groups[self._looks]
        self._looks += 1
        unseen = [i for i in group.ids if i not in group.states]
        if not unseen:
            return lambda: None, lambda _: self._looked(group, None, {})
        return lambda: self._look(unseen), lambda got: self._looked(group, *got)

    def _look(self, ids: list[str]) -> tuple[_dt.datetime, dict[str, InstanceState]]:
        """(when the look started, what it saw); runs in a worker."""
        taken_at = self.clock.utcnow()
        states: dict[str, InstanceState] = {}
        for _ in range(_LOOKS):
            unseen = [i for i in ids if i not in states]
            try:
                states.update(self.client.describe_states(self.options.region_id, unseen, cancel=self.cancel,
                                                          deadline=self.deadline))
                break
            except (Cancelled, DeadlineExceeded):
                break
            except EcsError:
                continue
        return taken_at, states

    def _looked(self, group: _Group, taken_at: _dt.datetime | None, states: dict[str, InstanceState]) -> None:
        group.states.update(states)
        if taken_at is not None:  # with records taken before the round too, the older time holds
            group.taken_at = min(group.taken_at, taken_at) if group.taken_at else taken_at
        if self.options.api == "RebootInstance":
            group.calls = [[i] for i in group.ids]
        else:
            group.calls = [group.ids]
        group.replies = [None] * len(group.calls)
        calls = [(group, k) for k in range(len(group.calls))]
        if self._hold_last and group is self.groups[-1] and self._open:
            self._held = calls
        else:
            self._ready.extend(calls)

    # --- reboot calls --------------------------------------------------------------------------------

    def _reboot_task(self, group: _Group, k: int) -> Task:
        ids = group.calls[k]
        baseline = group.baseline(ids)
        o = self.options
        if o.api == "RebootInstance":
            def call() -> RebootReply:
                return self.client.reboot_instance(o.region_id, ids[0], force=o.force, cancel=self.cancel,
                                                   deadline=self.deadline, baseline=baseline)
        else:
            def call() -> RebootReply:
                return self.client.reboot_instances(o.region_id, ids, force=o.force,
                                                    batch_optimization=o.batch_optimization, cancel=self.cancel,
                                                    deadline=self.deadline, baseline=baseline)
        return call, lambda reply: self._answered(group, k, reply)

    def _answered(self, group: _Group, k: int, reply: RebootReply) -> None:
        group.replies[k] = reply
        group.answered += 1
        if self._canary is False:
            self._canary = True
        if reply.error is not None:
            self._on_error(reply.error)
        if group.settled:
            self._group_settled(group)

    def _group_settled(self, group: _Group) -> None:
        self._settled += 1
        if group is not self.groups[-1]:
            self._open -= 1
            if not self._open:
                self._ready.extend(self._held)
                self._held = []
        ok, left = [], set()
        for reply in group.replies:
            assert reply is not None
            left |= reply.left
            for o in reply.outcomes:
                if o.ok:
                    ok.append(o.instance_id)
                    if o.current_status in TRANSITIONAL:
                        left.add(o.instance_id)
        if ok and self._watching:
            # the first poll at once only when StartTime may not tell (a start within the last minutes):
            # then only seeing the transition shows the reboot before the stale window has passed
            baseline = group.baseline(ok)
            skew = self.client.clock_skew
            at_once = not all(baseline.decisive(i, skew) for i in ok)
            self.watch.add(ok, at=self.clock.monotonic(), left=left, baseline=group.states, at_once=at_once)
        group.states = {}  # the watch keeps what it needs of the look, until each instance is back
        if self._all_settled():
            self._report_rebooted()

    def _stop_sending_if_told(self) -> None:
        """Halted or cancelled: every call not yet started is settled as not sent."""
        if not self._sending_stopped():
            return
        why = self._halted() or "the round was cancelled"
        for group in self.groups[self._looks:]:
            self._looked(group, None, {})
        self._looks = len(self.groups)
        self._ready.extend(self._held)
        self._held = []
        while self._ready:
            group, k = self._ready.popleft()
            self._answered(group, k, RebootReply([failure_outcome(i, Cancelled(why)) for i in group.calls[k]]))
        if self.cancel.is_set() and self._watching:
            self._end_wait(cancelled=True)

    def _sending_stopped(self) -> bool:
        return self.cancel.is_set() or self._halted() is not None

    def _all_settled(self) -> bool:
        return self._settled == len(self.groups)

    def _report_rebooted(self) -> None:
        if self._rebooted_reported:
            return
        self._rebooted_reported = True
        ok = sum(1 for g in self.groups for r in g.replies if r is not None for o in r.outcomes if o.ok)
        total = sum(len(g.ids) for g in self.groups)
        self._on_rebooted(ok, total - ok)
        if self._watching and self.watch.watched:  # the status line from here on: waiting
            self._on_poll(self.watch.back, self.watch.watched)

    # --- polls ---------------------------------------------------------------------------------------

    def _due_poll(self) -> Task | None:
        if not self._watching or not self.watch.pending:
            return None
        if self.cancel.is_set():
            self._end_wait(cancelled=True)
            return None
        now = self.clock.monotonic()
        asked = self.watch.take(now)
        if not asked:
            return None
        return lambda: self._poll(asked, now), lambda got: self._polled(asked, *got)

    def _poll(self, asked: list[str], polled_at: float) -> tuple[float, dict[str, InstanceState] | EcsError]:
        try:
            return polled_at, self.client.describe_states(self.options.region_id, asked, cancel=self.cancel,
                                                          deadline=self.deadline)
        except EcsError as err:
            return polled_at, err

    def _polled(self, asked: list[str], polled_at: float, got: dict[str, InstanceState] | EcsError) -> None:
        seen: dict[str, InstanceState] | None = None
        if isinstance(got, Cancelled):
            self._end_wait(cancelled=True)
        elif isinstance(got, DeadlineExceeded):  # the poll could not be sent in time
            self._end_wait(timed_out=True)
        elif isinstance(got, PERMANENT):
            self.waited.error = self.waited.error or got
            self._end_wait()
        elif not isinstance(got, EcsError):
            seen = got
        self.waited.polls += 1
        self.watch.answer(asked, seen, polled_at=polled_at, at=self.clock.monotonic())
        if seen is not None and self._watching:
            self._on_poll(self.watch.back, self.watch.watched)

    def _end_wait(self, *, cancelled: bool = False, timed_out: bool = False) -> None:
        if not self._watching:
            return
        self._watching = False
        self.waited.cancelled |= cancelled
        self.waited.timed_out |= timed_out

    # --- the result ----------------------------------------------------------------------------------

    def _outcome(self) -> WaveOutcome:
        outcomes: list[InstanceOutcome] = []
        request_ids: list[str] = []
        for group in self.groups:  # calls in the order of their ids
            for reply in group.replies:
                assert reply is not None  # every call is answered or settled as not sent
                request_ids.extend(reply.request_ids)
                outcomes.extend(reply.outcomes)
        ok = [o.instance_id for o in outcomes if o.ok]
        watched = self.watch.watched > 0
        return WaveOutcome(outcomes, request_ids, self.watch.outcome() if watched else None, ok)

