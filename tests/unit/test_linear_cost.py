"""A round costs time in proportion to its instances: no step redoes work over the whole fleet per chunk,
per poll or per wave -- not the round, the waiter, the results, the lifecycle's outputs, nor the state's
encoding for the engine.

Counted, not timed: while the step runs, a profile hook counts every Python function call in every thread
(generator steps included) and every call into C; and the instance ids handed in are ``CountingId``
strings whose hashing and comparing are Python calls too -- so every set or dict operation on an id and
every ``in`` test of a list counts, which is the work a round does per id. The same create (rolling waves,
failures in every chunk, the emulator in process) runs over 1,000 and 10,000 instances on a FakeClock: ten
times the instances may cost about ten times the work, not a hundred (rebuilding a set of the fleet for
each chunk of 100 did).
"""

from __future__ import annotations

import itertools
import sys
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from types import FrameType
from typing import Any

import pytest

from ecsreboot.adapter.properties import to_struct
from ecsreboot.core.errors import ResourceInitFailed
from ecsreboot.core.model import ProgressEvent, RoundOptions, RoundResult
from ecsreboot.core.state import TriggerArgs, TriggerState
from ecsreboot.ecs import run_round
from ecsreboot.lifecycle import TriggerLifecycle
from tests.inprocess import InProcessCloud, ids

_TICKS = itertools.count()


_ID_TICKS = itertools.count()


class CountingId(str):
    """An instance id that counts each hash and equality test of itself (``next`` on a count is atomic)."""

    __slots__ = ()

    def __hash__(self) -> int:
        next(_ID_TICKS)
        return str.__hash__(self)

    def __eq__(self, other: object) -> bool:
        next(_ID_TICKS)
        return str.__eq__(self, other)


def _tick(frame: FrameType, event: str, arg: Any) -> None:
    if event == "call" or event == "c_call":
        next(_TICKS)  # atomic: threads may tick at once


@contextmanager
def _counted() -> Iterator[list[int]]:
    """Counts calls in this thread and in threads started inside, and operations on CountingIds: the list
    holds (calls, id operations) afterwards."""
    start, ids_start = next(_TICKS), next(_ID_TICKS)
    threading.setprofile(_tick)
    sys.setprofile(_tick)
    box: list[int] = []
    try:
        yield box
    finally:
        sys.setprofile(None)
        threading.setprofile(None)  # type: ignore[arg-type]
        box.extend((next(_TICKS) - start, next(_ID_TICKS) - ids_start))


class InProcessBackend:
    """lifecycle.RebootBackend over the in-process emulator (rounds only)."""

    def __init__(self, cloud: InProcessCloud) -> None:
        self.cloud = cloud

    def credentials_problem(self) -> str | None:
        return None

    def select(self, *args: Any) -> Any:
        raise AssertionError("no selector here")

    def run_round(self, instance_ids: Sequence[str], options: RoundOptions, progress: Any,
                  cancel: threading.Event, selection: Any = None) -> RoundResult:
        return run_round(self.cloud.rebooter(), instance_ids, options, progress=progress, cancel=cancel,
                         clock=self.cloud.clock)

    def dry_run(self, instance_ids: Sequence[str], options: RoundOptions, cancel: threading.Event | None = None
                ) -> Any:
        raise AssertionError("no preview here")


def _create(n: int) -> tuple[list[int], InProcessCloud, TriggerState]:
    """((calls, id operations), the cloud, the state recorded) of one create over ``n`` instances: waves of n/2,
    SuccessFirst, every 50th instance locked (a failure in every call), outputs encoded as the plugin
    sends them."""
    fleet = ids(n)
    cloud = InProcessCloud(fleet, durations={"Stopping": 2.0, "Starting": 3.0})
    for i in fleet[::50]:
        cloud.backend.lock(i)
    args = TriggerArgs.decode({"instanceIds": [CountingId(i) for i in fleet], "regionId": cloud.region,
                               "triggers": {"run": 1}, "batchOptimization": "SuccessFirst",
                               "maxUnavailable": n // 2, "maxFailures": n})
    lifecycle = TriggerLifecycle(InProcessBackend(cloud), cloud.clock)
    events: list[ProgressEvent] = []
    with _counted() as work:
        with pytest.raises(ResourceInitFailed) as failed:
            lifecycle.create(args, preview=False, timeout=3600, progress=events.append, cancel=threading.Event())
        to_struct(failed.value.state.encode())
    return work, cloud, failed.value.state


def test_ten_times_the_instances_cost_about_ten_times_the_work() -> None:
    _create(100)  # first-time work (imports, caches) counts in neither run
    small, small_cloud, small_state = _create(1_000)
    large, large_cloud, large_state = _create(10_000)
    for n, cloud, state in ((1_000, small_cloud, small_state), (10_000, large_cloud, large_state)):
        assert len(state.failed_instance_ids.value or []) == n // 50  # the locked ones, and only those
        assert sum(cloud.reboot_counts().values()) == n - n // 50
    for what, few, many in zip(("calls", "operations on ids"), small, large, strict=True):
        assert many > 5 * few, f"{what} were not counted: the measure itself is broken"
        assert many < 12 * few, f"10x the instances cost {many / few:.1f}x the {what}: something is quadratic"
    # and the calls grow with the instances too: per 100 ids the same looks, reboots and polls
    for action in ("RebootInstances", "DescribeInstances"):
        assert large_cloud.count(action) <= 10 * small_cloud.count(action) * 1.1
