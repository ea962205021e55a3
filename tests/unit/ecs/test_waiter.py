"""The waiter: not fooled by the old Running, reports missing ids, backs off, honours deadline and cancel.

It polls the in-process emulator through the real client. Default polls come at 0, 1, 2.2, 3.64 s; a
``stale`` fault makes a describe show the instance as before its reboot call, as the real API does for a
moment.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest

from ecsreboot.core.clock import FakeClock
from ecsreboot.core.errors import Forbidden
from ecsreboot.ecs import PollSchedule, WaitResult, wait_until_running
from ecsreboot.ecs.evidence import Baseline, InstanceState
from ecsreboot.emulator import Fault
from tests.inprocess import REGION, InProcessCloud, ids, instance_ids_of
from tests.recovery import rebooter


def _cloud(*instance_ids: str, stopping: float = 2.0, starting: float = 3.0) -> InProcessCloud:
    return InProcessCloud(list(instance_ids), durations={"Stopping": stopping, "Starting": starting})


def _rebooted(*instance_ids: str, stopping: float = 2.0, starting: float = 3.0) -> InProcessCloud:
    """A cloud whose instances have just been rebooted (by someone else: the wait starts now)."""
    ecs = _cloud(*instance_ids, stopping=stopping, starting=starting)
    ecs.backend.reboot_instances(REGION, instance_ids)
    return ecs


def _wait(ecs: InProcessCloud, instance_ids: list[str], **kw: Any) -> WaitResult:
    args: dict[str, Any] = {"deadline": ecs.clock.monotonic() + 600, "cancel": threading.Event(),
                            "clock": ecs.clock, **kw}
    return wait_until_running(ecs.client(max_retries=0), REGION, instance_ids, **args)


def _asked(ecs: InProcessCloud) -> list[list[str]]:
    return [instance_ids_of(p) for a, p in ecs.calls() if a == "DescribeInstances"]


def _baseline(ecs: InProcessCloud, instance_id: str) -> Baseline:
    """The look before the reboot call: Running, with the StartTime the instance had before it."""
    return Baseline({instance_id: InstanceState("Running", ecs.backend.instance(instance_id, before_reboot=True)
                                                .start_time)}, ecs.clock.utcnow())


def test_a_first_poll_still_showing_the_old_running_is_not_back() -> None:
    ecs = _rebooted("i-1", stopping=1.5, starting=1.5)
    # the first poll shows the old Running; then Stopping, Starting, Running
    ecs.faults.add(Fault("stale", "DescribeInstances"))
    result = _wait(ecs, ["i-1"])
    assert result.done and result.back == ["i-1"]
    assert result.polls == 4  # not 1: the first Running came before the reboot showed


def test_an_instance_the_reboot_call_reported_leaving_running_is_back_at_the_first_running() -> None:
    ecs = _cloud("i-1")
    result = _wait(ecs, ["i-1"], left=["i-1"])
    assert result.done and result.polls == 1


def test_never_seen_leaving_running_times_out_instead_of_counting_as_back() -> None:
    ecs = _cloud("i-1")
    result = _wait(ecs, ["i-1"], deadline=ecs.clock.monotonic() + 30)
    assert result.timed_out and result.pending == ["i-1"] and result.back == []
    assert result.statuses == {"i-1": "Running"}  # what the round reports as the last status seen


def test_poll_interval_backs_off_and_is_capped() -> None:
    ecs = _rebooted("i-1")
    ecs.backend.set_stuck("i-1", "Stopping")
    _wait(ecs, ["i-1"], deadline=ecs.clock.monotonic() + 60,
          schedule=PollSchedule(interval=1.0, factor=1.5, max_interval=10.0))
    slept = ecs.clock.slept
    assert slept[:6] == pytest.approx([1.0, 1.5, 2.25, 3.375, 5.0625, 7.59375])
    assert max(slept) == 10.0
    assert sum(slept) == pytest.approx(60.0)  # the last sleep is cut to the deadline


def test_only_pending_instances_are_polled_again() -> None:
    ecs = _cloud("i-1", "i-2", stopping=0.5, starting=0.4)
    ecs.backend.reboot_instances(REGION, ["i-2"])  # Stopping at the first poll, Running at the second
    result = _wait(ecs, ["i-1", "i-2"], left=["i-1", "i-2"])
    assert _asked(ecs) == [["i-1", "i-2"], ["i-2"]]
    assert result.back == ["i-1", "i-2"]


def test_ids_missing_from_replies_are_reported_not_taken_as_running() -> None:
    ecs = _rebooted("i-1", stopping=0.5, starting=0.4)
    result = _wait(ecs, ["i-1", "i-gone"], schedule=PollSchedule(missing_polls=3))
    assert result.back == ["i-1"] and result.missing == ["i-gone"]
    assert not result.done and result.polls == 3 and result.statuses["i-gone"] == ""  # never seen


def test_transient_describe_failures_are_polled_through() -> None:
    ecs = _rebooted("i-1", stopping=1.5, starting=0.5)  # polls: an error, Stopping, Running
    ecs.faults.error("ServiceUnavailable", 503, "DescribeInstances")
    result = _wait(ecs, ["i-1"])
    assert result.done and result.polls == 3
    assert [r["code"] for r in ecs.requests()] == ["ServiceUnavailable", None, None]


def test_permanent_describe_failures_end_the_wait_with_the_error() -> None:
    ecs = _cloud("i-1")
    ecs.faults.error("Forbidden.RAM", 403, "DescribeInstances", message="User not authorized", probability=1.0)
    result = _wait(ecs, ["i-1"])
    assert isinstance(result.error, Forbidden) and result.pending == ["i-1"]
    assert (result.error.code, result.error.request_id) == ("Forbidden.RAM", ecs.requests()[-1]["requestId"])
    assert len(ecs.requests()) == 1 and not result.done


def test_cancel_returns_at_once() -> None:
    ecs = _rebooted("i-1")
    ecs.backend.set_stuck("i-1", "Stopping")
    cancel = threading.Event()
    result = _wait(ecs, ["i-1"], cancel=cancel, on_poll=lambda back, total: cancel.set())
    assert result.cancelled and result.polls == 1 and result.pending == ["i-1"] and not result.done


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


def test_a_moved_start_time_is_back_although_no_poll_saw_it_leave_running() -> None:
    """Slow polls (a starved shared rate limit) may miss the whole reboot: StartTime still shows it."""
    ecs = _rebooted("i-1", stopping=0.1, starting=0.1)
    # the first poll shows the old Running; the second Running, started anew
    ecs.faults.add(Fault("stale", "DescribeInstances"))
    result = _wait(ecs, ["i-1"], baseline=_baseline(ecs, "i-1"))
    assert result.done and result.back == ["i-1"] and result.polls == 2
    assert [r["fault"] for r in ecs.requests()] == ["stale", None]


def test_an_unchanged_start_time_is_not_back_without_having_seen_it_leave() -> None:
    ecs = _cloud("i-1")
    result = _wait(ecs, ["i-1"], baseline=_baseline(ecs, "i-1"), deadline=ecs.clock.monotonic() + 20)
    assert result.timed_out and result.pending == ["i-1"]


def test_within_the_stale_window_running_is_not_back_for_an_instance_only_the_call_reported_leaving() -> None:
    """Right after a reboot call the API may still show the old Running (and StartTime): the call's
    "Stopping" then counts only from a poll after the stale window."""
    ecs = _rebooted("i-1")
    ecs.faults.add(Fault("stale", "DescribeInstances", probability=1.0))  # every poll: the old Running, StartTime
    began = ecs.clock.monotonic()
    result = _wait(ecs, ["i-1"], left=["i-1"], stale_window=5.0, baseline=_baseline(ecs, "i-1"),
                   schedule=PollSchedule(interval=1.0, factor=1.0))
    assert result.done and result.polls == 6  # polls at 0, 1, 2, 3, 4 s were within the window
    assert ecs.clock.monotonic() - began == pytest.approx(5.0)


def test_a_poll_that_sees_the_transition_needs_no_stale_window() -> None:
    ecs = _rebooted("i-1", stopping=0.0, starting=0.5)  # polls: Starting, Running
    result = _wait(ecs, ["i-1"], left=["i-1"], stale_window=30.0)
    assert result.done and result.polls == 2
