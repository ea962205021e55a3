"""Health-gated rolling reboots against the emulator, probing real HTTP/TCP servers on 127.0.0.0/8.

Each instance's private IP (set through the emulator's admin knob) is the address of its own server,
so the round fills ``http://{privateIp}:PORT/healthz`` from the DescribeInstances records its wait
reads. The properties come from the emulator's request log (when each instance was rebooted) and the
servers' logs (when each answered healthy).
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

import pytest

from ecsreboot.core.clock import SystemClock
from ecsreboot.core.health import HEALTH_CHECK_FAILED, HealthCheck
from ecsreboot.core.model import ProgressEvent, RoundOptions, RoundResult
from ecsreboot.ecs import NOT_ATTEMPTED, EcsClient, run_round
from ecsreboot.emulator import ThreadedEmulator
from tests.healthservers import (
    HANGING,
    HEALTHY,
    REFUSED,
    UNHEALTHY,
    Behaviour,
    Fleet,
    flapping,
    healthy_after,
)
from tests.recovery import rebooter

MakeClient = Callable[..., EcsClient]
FAST_POLL = {"poll_interval": 0.05, "poll_max_interval": 0.2}


def fleet_for(emulator: ThreadedEmulator, behaviours: Sequence[Behaviour]) -> tuple[Fleet, list[str]]:
    """Servers for ``behaviours``, and as many emulator instances whose private IPs point at them."""
    fleet = Fleet(behaviours).start()
    missing = len(behaviours) - len(emulator.instance_ids())
    if missing > 0:
        emulator.add_instances(missing)
    ids = emulator.instance_ids()[: len(behaviours)]
    for n, iid in enumerate(ids):
        emulator.set_addresses(iid, private_ip=fleet.address(n))
    return fleet, ids


def check(fleet: Fleet, **fields: Any) -> HealthCheck:
    # a probe's time limit far above a loopback answer, so a loaded machine never turns one into a failure
    settings: dict[str, Any] = {"url": f"http://{{privateIp}}:{fleet.port}/healthz", "interval": 0.1,
                                "timeout": 5.0, **fields}
    return HealthCheck(**settings)


def do_round(client: EcsClient, ids: list[str], hc: HealthCheck, events: list[ProgressEvent] | None = None,
             cancel: threading.Event | None = None, **options: Any) -> RoundResult:
    opts = RoundOptions(region_id="cn-hangzhou", health_check=hc, **{"timeout": 20.0, **FAST_POLL, **options})
    sink = events if events is not None else []
    return run_round(rebooter(client), ids, opts, progress=sink.append, cancel=cancel or threading.Event(),
                     clock=SystemClock())


def reboot_times(emulator: ThreadedEmulator) -> dict[str, float]:
    """Instance -> when the emulator received the RebootInstances call that rebooted it."""
    found: dict[str, float] = {}
    for r in emulator.requests():
        if r["action"] == "RebootInstances" and r["code"] is None and r["params"].get("DryRun", "false") == "false":
            for k, v in r["params"].items():
                if k.startswith("InstanceId."):
                    found.setdefault(v, r["at"])
    return found


def codes(result: RoundResult) -> dict[str, str]:
    return {o.instance_id: o.code for o in result.outcomes}


def test_waves_wait_for_health_and_never_exceed_max_unavailable(
        emulator: ThreadedEmulator, ecs_client_for: MakeClient) -> None:
    behaviours = [HEALTHY, healthy_after(0.6), HEALTHY, HEALTHY, flapping(503, 200), HEALTHY]
    events: list[ProgressEvent] = []
    fleet, ids = fleet_for(emulator, behaviours)
    with fleet:
        result = do_round(ecs_client_for(emulator), ids, check(fleet), events, max_unavailable=2)
    assert result.ok, result
    assert result.health == dict.fromkeys(ids, "healthy")
    rebooted = reboot_times(emulator)
    healthy = {iid: fleet.healthy_at(n) for n, iid in enumerate(ids)}
    assert all(t is not None for t in healthy.values())
    waves = [ids[0:2], ids[2:4], ids[4:6]]
    for earlier, later in itertools.pairwise(waves):
        # no instance of wave k+1 is rebooted before every instance of wave k is healthy
        assert min(rebooted[i] for i in later) > max(healthy[i] for i in earlier)  # type: ignore[type-var]
    # at any reboot, at most maxUnavailable instances are between their reboot and being healthy
    for moment in rebooted.values():
        down = [i for i in ids if rebooted[i] <= moment < healthy[i]]  # type: ignore[operator]
        assert len(down) <= 2
    assert fleet.log(1)[0][1] == 503  # the slow one was really probed while unhealthy
    probing = [e for e in events if e.kind == "probing"]
    assert probing and any(e.healthy < e.total for e in probing) and probing[-1].healthy == probing[-1].total
    assert any("HTTP 503" in e.message for e in probing)
    assert all(f":{fleet.port}" not in e.message for e in events)  # outcomes, not URLs


def test_max_failures_stops_the_rollout_and_the_next_round_reboots_exactly_the_failed(
        emulator: ThreadedEmulator, ecs_client_for: MakeClient) -> None:
    behaviours = [HEALTHY, UNHEALTHY, REFUSED, HEALTHY, HEALTHY, HEALTHY]
    fleet, ids = fleet_for(emulator, behaviours)
    client = ecs_client_for(emulator)
    with fleet:
        started = time.monotonic()
        result = do_round(client, ids, check(fleet, unhealthy_threshold=3), max_unavailable=3, max_failures=1)
        elapsed = time.monotonic() - started
        assert codes(result) == {ids[0]: "200", ids[1]: HEALTH_CHECK_FAILED, ids[2]: HEALTH_CHECK_FAILED,
                                 ids[3]: NOT_ATTEMPTED, ids[4]: NOT_ATTEMPTED, ids[5]: NOT_ATTEMPTED}
        assert result.stopped_by_failures and not result.ok
        assert set(result.failed_ids) == set(ids[1:])
        messages = {o.instance_id: o.message for o in result.outcomes}
        assert "HTTP 503" in messages[ids[1]] and "3 failed probe(s) in a row" in messages[ids[1]]
        assert "connection refused" in messages[ids[2]]
        assert "maxFailures (1)" in messages[ids[3]]
        assert len([t for t, _ in fleet.log(1)]) == 3  # unhealthyThreshold probes, then no more
        assert elapsed < 15  # failed by the threshold, not by the round's 20 s deadline
        assert emulator.reboot_counts() == {**dict.fromkeys(ids[:3], 1), **dict.fromkeys(ids[3:], 0),
                                            **{i: 0 for i in emulator.instance_ids()[6:]}}
        # the next round is given exactly failedInstanceIds; make the failed ones healthy and rerun
        fleet.set_behaviour(1, HEALTHY)
        emulator.set_addresses(ids[2], private_ip=fleet.address(0))
        again = do_round(client, result.failed_ids, check(fleet, unhealthy_threshold=3), max_unavailable=3,
                         max_failures=1)
    assert again.ok, again
    counts = emulator.reboot_counts()
    assert [counts[i] for i in ids] == [1, 2, 2, 1, 1, 1]


@pytest.mark.parametrize("scheme", ["http", "tcp"])
def test_each_kind_of_failure_is_named_per_instance(
        emulator: ThreadedEmulator, ecs_client_for: MakeClient, scheme: str) -> None:
    behaviours = [HEALTHY, REFUSED, HANGING, HEALTHY]
    fleet, ids = fleet_for(emulator, behaviours)
    emulator.set_addresses(ids[3], private_ip="")  # no address for {privateIp}
    url = f"{scheme}://{{privateIp}}:{fleet.port}" + ("/healthz" if scheme == "http" else "")
    with fleet:
        # 2 s: the hanging probes give up, while a healthy answer on a loaded machine still comes in time
        result = do_round(ecs_client_for(emulator), ids, check(fleet, url=url, timeout=2.0, unhealthy_threshold=2))
    messages = {o.instance_id: o.message for o in result.outcomes}
    assert codes(result)[ids[0]] == "200"
    assert "connection refused" in messages[ids[1]]
    if scheme == "http":
        assert "timed out after 2s" in messages[ids[2]]
        assert len(fleet.log(2)) == 2  # each probe gave up at its timeout; two in a row failed it
    else:
        assert codes(result)[ids[2]] == "200"  # the port accepts connections: TCP-healthy
    assert "no value for {privateIp}" in messages[ids[3]]
    assert set(result.failed_ids) == {ids[1], ids[3]} | ({ids[2]} if scheme == "http" else set())


def test_flapping_counts_only_successes_in_a_row(emulator: ThreadedEmulator, ecs_client_for: MakeClient) -> None:
    behaviours = [flapping(200, 503, 200, 200, 200), flapping(200, 503, 200, 200, 200)]
    fleet, ids = fleet_for(emulator, behaviours)
    with fleet:
        first = do_round(ecs_client_for(emulator), ids[:1], check(fleet, healthy_threshold=2))
        second = do_round(ecs_client_for(emulator), ids[1:], check(fleet, healthy_threshold=1))
    assert first.ok and second.ok
    assert [s for _, s in fleet.log(0)] == [200, 503, 200, 200]  # the 503 reset the streak
    assert [s for _, s in fleet.log(1)] == [200]


def test_not_healthy_by_the_deadline_fails_with_the_last_outcome(
        emulator: ThreadedEmulator, ecs_client_for: MakeClient) -> None:
    fleet, ids = fleet_for(emulator, [HEALTHY, UNHEALTHY])
    with fleet:
        started = time.monotonic()
        result = do_round(ecs_client_for(emulator), ids, check(fleet), timeout=4.0)
    assert time.monotonic() - started < 10  # the deadline ended the probing, which had no end of its own
    assert codes(result) == {ids[0]: "200", ids[1]: HEALTH_CHECK_FAILED}
    message = next(o.message for o in result.outcomes if o.instance_id == ids[1])
    assert "timeout" in message and "HTTP 503" in message
    assert result.timed_out and result.failed_ids == [ids[1]]


def test_cancel_during_a_probe_returns_within_a_second(emulator: ThreadedEmulator, ecs_client_for: MakeClient) -> None:
    fleet, ids = fleet_for(emulator, [HANGING, HANGING, HEALTHY])
    cancel = threading.Event()
    with fleet:
        box: dict[str, Any] = {}
        worker = threading.Thread(target=lambda: box.update(r=do_round(
            ecs_client_for(emulator), ids, check(fleet, timeout=30.0), cancel=cancel, max_unavailable=2)))
        worker.start()
        while not fleet.log(0) or not fleet.log(1):  # both probes are hanging now
            time.sleep(0.01)
        cancel.set()
        cancelled_at = time.monotonic()
        worker.join(5)
        assert time.monotonic() - cancelled_at < 1.0
    result: RoundResult = box["r"]
    assert result.cancelled and codes(result) == {ids[0]: HEALTH_CHECK_FAILED, ids[1]: HEALTH_CHECK_FAILED,
                                                  ids[2]: NOT_ATTEMPTED}
    assert emulator.reboot_counts()[ids[2]] == 0


def test_pause_between_waves_soaks_and_cancel_cuts_it_short(
        emulator: ThreadedEmulator, ecs_client_for: MakeClient) -> None:
    fleet, ids = fleet_for(emulator, [HEALTHY, HEALTHY, HEALTHY])
    client = ecs_client_for(emulator)
    events: list[ProgressEvent] = []
    with fleet:
        result = do_round(client, ids[:2], check(fleet), events, max_unavailable=1, pause_between_waves=0.5)
        rebooted = reboot_times(emulator)
        assert result.ok and rebooted[ids[1]] - fleet.healthy_at(0) >= 0.5  # type: ignore[operator]
        assert [e.kind for e in events].count("pausing") == 1
        cancel = threading.Event()
        box: dict[str, Any] = {}
        worker = threading.Thread(target=lambda: box.update(r=do_round(
            client, ids, check(fleet), events, cancel=cancel, max_unavailable=2, pause_between_waves=30)))
        worker.start()
        while not any(e.kind == "pausing" for e in events[-5:]):
            time.sleep(0.01)
        cancel.set()
        cancelled_at = time.monotonic()
        worker.join(5)
        assert time.monotonic() - cancelled_at < 1.0
    result = box["r"]
    assert result.cancelled and codes(result)[ids[2]] == NOT_ATTEMPTED and set(result.failed_ids) == {ids[2]}
