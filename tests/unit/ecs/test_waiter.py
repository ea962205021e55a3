"""The waiter: not fooled by the old Running, reports missing ids, backs off, honours deadline and cancel."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence

import pytest

from ecsreboot.core.clock import FakeClock, SystemClock
from ecsreboot.core.errors import Cancelled, Forbidden, Transient, WaitTimeout
from ecsreboot.ecs import PollSchedule, wait_until_running
from ecsreboot.ecs.evidence import Baseline, InstanceState
from tests.inprocess import REGION, InProcessCloud, ids
from tests.recovery import rebooter

Seen = str | tuple[str, str]  # a Status, or (Status, StartTime)


class Scripted:
    """describe_states answering from a script: one dict per poll (the last repeats)."""

    def __init__(self, *polls: dict[str, Seen] | Exception) -> None:
        self.polls = list(polls)
        self.asked: list[list[str]] = []

    def describe_states(self, region_id: str, instance_ids: Sequence[str], *, cancel: threading.Event | None = None,
                        deadline: float | None = None) -> dict[str, InstanceState]:
        self.asked.append(list(instance_ids))
        answer = self.polls[min(len(self.asked), len(self.polls)) - 1]
        if isinstance(answer, Exception):
            raise answer
        return {i: InstanceState(*((s,) if isinstance(s, str) else s)) for i, s in answer.items() if i in instance_ids}


def _wait(reader: object, instance_ids: list[str], clock: FakeClock, **kw: object):  # type: ignore[no-untyped-def]
    args: dict[str, object] = {"deadline": clock.monotonic() + 600, "cancel": threading.Event(), "clock": clock, **kw}
    return wait_until_running(reader, "cn-test", instance_ids, **args)  # type: ignore[arg-type]


def test_a_first_poll_still_showing_the_old_running_is_not_back() -> None:
    clock = FakeClock()
    reader = Scripted({"i-1": "Running"}, {"i-1": "Stopping"}, {"i-1": "Starting"}, {"i-1": "Running"})
    result = _wait(reader, ["i-1"], clock)
    assert result.done and result.back == ["i-1"]
    assert result.polls == 4  # not 1: the first Running came before the reboot showed


def test_an_instance_the_reboot_call_reported_leaving_running_is_back_at_the_first_running() -> None:
    clock = FakeClock()
    result = _wait(Scripted({"i-1": "Running"}), ["i-1"], clock, left=["i-1"])
    assert result.done and result.polls == 1


def test_never_seen_leaving_running_times_out_instead_of_counting_as_back() -> None:
    clock = FakeClock()
    result = _wait(Scripted({"i-1": "Running"}), ["i-1"], clock, deadline=clock.monotonic() + 30)
    assert result.timed_out and result.pending == ["i-1"] and result.back == []
    with pytest.raises(WaitTimeout) as caught:
        result.raise_for_status()
    assert caught.value.pending_ids == ["i-1"] and caught.value.last_statuses == {"i-1": "Running"}


def test_poll_interval_backs_off_and_is_capped() -> None:
    clock = FakeClock()
    reader = Scripted({"i-1": "Stopping"})
    _wait(reader, ["i-1"], clock, deadline=clock.monotonic() + 60,
          schedule=PollSchedule(interval=1.0, factor=1.5, max_interval=10.0))
    assert clock.slept[:6] == pytest.approx([1.0, 1.5, 2.25, 3.375, 5.0625, 7.59375])
    assert max(clock.slept) == 10.0
    assert sum(clock.slept) == pytest.approx(60.0)  # the last sleep is cut to the deadline


def test_only_pending_instances_are_polled_again() -> None:
    clock = FakeClock()
    reader = Scripted({"i-1": "Running", "i-2": "Stopping"}, {"i-2": "Running"})
    result = _wait(reader, ["i-1", "i-2"], clock, left=["i-1", "i-2"])
    assert reader.asked == [["i-1", "i-2"], ["i-2"]]
    assert result.back == ["i-1", "i-2"]


def test_ids_missing_from_replies_are_reported_not_taken_as_running() -> None:
    clock = FakeClock()
    reader = Scripted({"i-1": "Stopping"}, {"i-1": "Running"})
    result = _wait(reader, ["i-1", "i-gone"], clock, schedule=PollSchedule(missing_polls=3))
    assert result.back == ["i-1"] and result.missing == ["i-gone"]
    assert not result.done and result.polls == 3
    with pytest.raises(WaitTimeout, match="i-gone"):
        result.raise_for_status()


def test_transient_describe_failures_are_polled_through() -> None:
    clock = FakeClock()
    reader = Scripted(Transient("ServiceUnavailable", "m", "R", 503), {"i-1": "Stopping"}, {"i-1": "Running"})
    result = _wait(reader, ["i-1"], clock)
    assert result.done and result.polls == 3


def test_permanent_describe_failures_end_the_wait_with_the_error() -> None:
    clock = FakeClock()
    denied = Forbidden("Forbidden.RAM", "User not authorized", "R-9", 403)
    result = _wait(Scripted(denied), ["i-1"], clock)
    assert result.error is denied and result.pending == ["i-1"]
    with pytest.raises(Forbidden):
        result.raise_for_status()


def test_cancel_returns_at_once() -> None:
    clock = FakeClock()
    cancel = threading.Event()
    reader = Scripted({"i-1": "Stopping"})
    result = _wait(reader, ["i-1"], clock, cancel=cancel, on_poll=lambda back, total: cancel.set())
    assert result.cancelled and result.polls == 1
    with pytest.raises(Cancelled):
        result.raise_for_status()


def test_cancel_interrupts_a_real_sleep_promptly() -> None:
    cancel = threading.Event()
    threading.Timer(0.2, cancel.set).start()
    start = time.monotonic()
    result = wait_until_running(Scripted({"i-1": "Stopping"}), "cn-test", ["i-1"], deadline=time.monotonic() + 60,
                                cancel=cancel, clock=SystemClock(), schedule=PollSchedule(interval=30))
    assert result.cancelled
    assert time.monotonic() - start < 1.0


def test_against_the_emulator_each_poll_round_is_at_most_ceil_n_over_100_calls() -> None:
    clock = FakeClock()
    ecs = InProcessCloud(ids(250), clock=clock, durations={"Stopping": 2.0, "Starting": 3.0})
    client = ecs.client()
    reply = [rebooter(client).reboot_instances(REGION, chunk) for chunk in (ids(250)[:100], ids(250)[100:200],
                                                                   ids(250)[200:])]
    left = [o.instance_id for r in reply for o in r.outcomes if o.current_status == "Stopping"]
    assert ecs.reboot_counts() == dict.fromkeys(ids(250), 1)
    looks_before = client.stats["DescribeInstances"]  # each reboot call looked at its instances first
    assert looks_before == 3
    progress: list[tuple[int, int]] = []
    result = wait_until_running(client, REGION, ids(250), deadline=clock.monotonic() + 600,
                                cancel=threading.Event(), clock=clock, left=left,
                                on_poll=lambda back, total: progress.append((back, total)))
    describes = client.stats["DescribeInstances"] - looks_before
    assert result.done and len(result.back) == 250
    assert describes <= 3 * result.polls
    assert progress[-1] == (250, 250)


BEFORE = {"i-1": InstanceState("Running", "2025-12-01T08:00Z")}


def test_a_moved_start_time_is_back_although_no_poll_saw_it_leave_running() -> None:
    """Slow polls (a starved shared rate limit) may miss the whole reboot: StartTime still shows it."""
    clock = FakeClock()
    reader = Scripted({"i-1": ("Running", "2025-12-01T08:00Z")}, {"i-1": ("Running", "2026-01-01T00:01Z")})
    result = _wait(reader, ["i-1"], clock, baseline=Baseline(BEFORE, clock.utcnow()))
    assert result.done and result.back == ["i-1"] and result.polls == 2


def test_an_unchanged_start_time_is_not_back_without_having_seen_it_leave() -> None:
    clock = FakeClock()
    reader = Scripted({"i-1": ("Running", "2025-12-01T08:00Z")})
    result = _wait(reader, ["i-1"], clock, baseline=Baseline(BEFORE, clock.utcnow()), deadline=clock.monotonic() + 20)
    assert result.timed_out and result.pending == ["i-1"]


def test_within_the_stale_window_running_is_not_back_for_an_instance_only_the_call_reported_leaving() -> None:
    """Right after a reboot call the API may still show the old Running (and StartTime): the call's
    "Stopping" then counts only from a poll after the stale window."""
    clock = FakeClock()
    reader = Scripted({"i-1": ("Running", "2025-12-01T08:00Z")})
    result = _wait(reader, ["i-1"], clock, left=["i-1"], stale_window=5.0,
                   baseline=Baseline(BEFORE, clock.utcnow()), schedule=PollSchedule(interval=1.0, factor=1.0))
    assert result.done and result.polls == 6  # polls at 0, 1, 2, 3, 4 s were within the window
    assert clock.monotonic() - 1_000.0 == pytest.approx(5.0)


def test_a_poll_that_sees_the_transition_needs_no_stale_window() -> None:
    clock = FakeClock()
    reader = Scripted({"i-1": "Starting"}, {"i-1": "Running"})
    result = _wait(reader, ["i-1"], clock, left=["i-1"], stale_window=30.0)
    assert result.done and result.polls == 2
