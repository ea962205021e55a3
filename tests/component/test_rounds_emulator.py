"""Reboot rounds against the real emulator over loopback: what a user would check afterwards."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from ecsreboot.core.clock import SystemClock
from ecsreboot.core.model import ProgressEvent, RoundOptions, RoundResult
from ecsreboot.ecs import NOT_ATTEMPTED, EcsClient, Rebooter, dry_run, run_round
from ecsreboot.emulator import ThreadedEmulator
from tests.recovery import rebooter

MakeClient = Callable[..., EcsClient]
FAST_POLL = {"poll_interval": 0.05, "poll_max_interval": 0.2}


def _round(client: EcsClient | Rebooter, ids: list[str], events: list[ProgressEvent] | None = None,
           cancel: threading.Event | None = None, **options: Any) -> RoundResult:
    opts = RoundOptions(region_id="cn-hangzhou", **{**FAST_POLL, **options})
    sink = events if events is not None else []
    rebooting = client if isinstance(client, Rebooter) else rebooter(client)
    return run_round(rebooting, ids, opts, progress=sink.append, cancel=cancel or threading.Event(),
                     clock=SystemClock())


def _actions(emulator: ThreadedEmulator, action: str) -> list[dict[str, Any]]:
    return [r for r in emulator.requests() if r["action"] == action]


def _ids_of(request: dict[str, Any]) -> list[str]:
    return [v for k, v in request["params"].items() if k.startswith("InstanceId.")]


@contextmanager
def max_unavailable_seen(emulator: ThreadedEmulator) -> Iterator[list[int]]:
    """Samples the emulator's instances every few ms; yields [max seen not Running]."""
    peak, stop = [0], threading.Event()

    def sample() -> None:
        while not stop.is_set():
            busy = sum(1 for v in emulator.backend.instances() if v.status != "Running")
            peak[0] = max(peak[0], busy)
            time.sleep(0.002)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        yield peak
    finally:
        stop.set()
        sampler.join()


def test_250_instances_three_reboot_calls_and_at_most_three_describes_per_poll(
        emulator: ThreadedEmulator, ecs_client_for: MakeClient) -> None:
    emulator.add_instances(246)
    ids = emulator.instance_ids()
    events: list[ProgressEvent] = []
    result = _round(ecs_client_for(emulator), ids, events)
    assert result.ok, result.error
    assert emulator.reboot_counts() == dict.fromkeys(ids, 1)
    reboots = _actions(emulator, "RebootInstances")
    assert [len(_ids_of(r)) for r in reboots] == [100, 100, 50]
    polls = sum(1 for e in events if e.kind == "waiting")
    looks_before = 3  # the wave's instances, 100 per call, before the reboot: the evidence for lost replies
    assert polls >= 1 and len(_actions(emulator, "DescribeInstances")) <= looks_before + 3 * polls
    assert sorted(result.request_ids) == sorted(r["requestId"] for r in reboots)
    assert all(o.code == "200" for o in result.outcomes)


def test_success_first_partial_failure(emulator: ThreadedEmulator, ecs_client_for: MakeClient) -> None:
    ids = emulator.instance_ids()
    emulator.backend.lock(ids[1])
    emulator.backend.set_status(ids[2], "Stopped")
    result = _round(ecs_client_for(emulator), ids, batch_optimization="SuccessFirst")
    codes = {o.instance_id: o.code for o in result.outcomes}
    assert codes == {ids[0]: "200", ids[1]: "InstanceLockedForSecurity", ids[2]: "IncorrectInstanceStatus",
                     ids[3]: "200"}
    assert sorted(result.failed_ids) == sorted([ids[1], ids[2]]) and not result.ok
    assert emulator.reboot_counts() == {ids[0]: 1, ids[1]: 0, ids[2]: 0, ids[3]: 1}
    assert len(_actions(emulator, "RebootInstances")) == 1


def test_all_together_refusal_reboots_nothing_and_names_the_code(emulator: ThreadedEmulator,
                                                                 ecs_client_for: MakeClient) -> None:
    ids = emulator.instance_ids()
    emulator.backend.lock(ids[3])
    result = _round(ecs_client_for(emulator), ids)
    assert {o.code for o in result.outcomes} == {"InstanceLockedForSecurity"}
    assert set(emulator.reboot_counts().values()) == {0}
    rid = _actions(emulator, "RebootInstances")[0]["requestId"]
    assert result.error is not None and rid in result.error and result.request_ids == [rid]


def test_single_instance_api_makes_no_batch_call(emulator: ThreadedEmulator, ecs_client_for: MakeClient) -> None:
    ids = emulator.instance_ids()
    result = _round(ecs_client_for(emulator), ids, api="RebootInstance", force=True)
    assert result.ok
    assert _actions(emulator, "RebootInstances") == []
    singles = _actions(emulator, "RebootInstance")
    assert sorted(r["params"]["InstanceId"] for r in singles) == sorted(ids)
    assert {r["params"]["ForceStop"] for r in singles} == {"true"}
    assert emulator.reboot_counts() == dict.fromkeys(ids, 1)


def test_rolling_waves_never_exceed_max_unavailable(emulator: ThreadedEmulator, ecs_client_for: MakeClient) -> None:
    emulator.add_instances(6)
    emulator.backend.set_durations({"Stopping": 0.1, "Starting": 0.1})
    ids = emulator.instance_ids()
    with max_unavailable_seen(emulator) as peak:
        result = _round(ecs_client_for(emulator), ids, max_unavailable=3)
    assert result.ok and result.waves == 4
    assert [len(_ids_of(r)) for r in _actions(emulator, "RebootInstances")] == [3, 3, 3, 1]
    assert 1 <= peak[0] <= 3
    assert emulator.reboot_counts() == dict.fromkeys(ids, 1)


def test_a_round_whose_reply_is_dropped_after_the_reboot_ran_reboots_each_once(
        emulator: ThreadedEmulator, ecs_client_for: MakeClient) -> None:
    emulator.add_instances(146)
    emulator.backend.set_durations({"Stopping": 0.5, "Starting": 0.3})
    emulator.faults.drop_after("RebootInstances", count=2)
    ids = emulator.instance_ids()
    result = _round(rebooter(ecs_client_for(emulator), interval=0.1), ids)
    assert result.ok, result.error
    assert emulator.reboot_counts() == dict.fromkeys(ids, 1)
    assert len(_actions(emulator, "RebootInstances")) == 2


def test_a_round_whose_request_is_dropped_before_anything_ran(emulator: ThreadedEmulator,
                                                              ecs_client_for: MakeClient) -> None:
    emulator.faults.drop_before("RebootInstances")
    ids = emulator.instance_ids()
    result = _round(rebooter(ecs_client_for(emulator), interval=0.05), ids)
    assert result.ok
    assert emulator.reboot_counts() == dict.fromkeys(ids, 1)


def test_timeout_stops_later_waves(emulator: ThreadedEmulator, ecs_client_for: MakeClient) -> None:
    """The first wave is sent and never comes back in the 3 s the round has (reboots take a minute): the round
    ends at its timeout, not at the reboots' end, and the second wave is never sent."""
    emulator.backend.set_durations({"Stopping": 30.0, "Starting": 30.0})
    ids = emulator.instance_ids()
    start = time.monotonic()
    result = _round(ecs_client_for(emulator), ids, max_unavailable=2, timeout=3.0)
    assert time.monotonic() - start < 20
    assert result.timed_out and result.not_back == ids[:2]
    assert [o.code for o in result.outcomes[2:]] == [NOT_ATTEMPTED] * 2
    assert emulator.reboot_counts() == {ids[0]: 1, ids[1]: 1, ids[2]: 0, ids[3]: 0}


def test_cancel_while_waiting_returns_promptly(emulator: ThreadedEmulator, ecs_client_for: MakeClient) -> None:
    """Cancel lands once the first wave is waiting (polls 10 s apart): the round returns long before the next
    poll, with the first wave not back and the second never sent."""
    emulator.backend.set_durations({"Stopping": 30.0, "Starting": 30.0})
    cancel = threading.Event()
    cancelled_at: list[float] = []

    def on_progress(event: ProgressEvent) -> None:
        if event.kind == "waiting" and not cancel.is_set():  # the first poll is in: the wait has begun
            cancelled_at.append(time.monotonic())
            cancel.set()

    ids = emulator.instance_ids()
    opts = RoundOptions(region_id="cn-hangzhou", max_unavailable=2, poll_interval=10.0, poll_max_interval=10.0)
    result = run_round(rebooter(ecs_client_for(emulator)), ids, opts, progress=on_progress, cancel=cancel,
                       clock=SystemClock())
    assert time.monotonic() - cancelled_at[0] < 5.0  # not the 10 s to the next poll
    assert result.cancelled and result.not_back == ids[:2]
    assert emulator.reboot_counts()[ids[3]] == 0


def test_dry_run_gives_every_instance_its_verdict_and_reboots_nothing(
        emulator: ThreadedEmulator, ecs_client_for: MakeClient) -> None:
    emulator.add_instances(10)
    ids = emulator.instance_ids()
    emulator.backend.lock(ids[5])
    emulator.backend.set_status(ids[9], "Stopped")
    targets = [*ids, "i-doesnotexist0000000"]
    report = dry_run(rebooter(ecs_client_for(emulator)), targets,
                     RoundOptions(region_id="cn-hangzhou", batch_optimization="SuccessFirst"))
    assert sorted(o.instance_id for o in report.failures) == sorted([ids[5], "i-doesnotexist0000000"])
    assert [o.instance_id for o in report.warnings] == [ids[9]]
    assert len(report.passed) == len(ids) - 2
    assert set(emulator.reboot_counts().values()) == {0}
    sent = _actions(emulator, "RebootInstances")
    assert all(r["params"]["DryRun"] == "true" and r["params"]["BatchOptimization"] == "AllTogether" for r in sent)


def test_dry_run_with_the_single_instance_api(emulator: ThreadedEmulator, ecs_client_for: MakeClient) -> None:
    ids = emulator.instance_ids()
    emulator.backend.lock(ids[0])
    result = _round(ecs_client_for(emulator), ids, api="RebootInstance", dry_run=True)
    assert result.dry_run and result.failed_ids == [ids[0]]
    assert [o.code for o in result.outcomes[1:]] == ["DryRunOperation"] * 3
    assert _actions(emulator, "RebootInstances") == []
    assert set(emulator.reboot_counts().values()) == {0}
