"""Deadlines are deadlines: a round never runs past its timeout waiting for a token, a Retry-After or a
backoff (issue 9: Creates returned up to 28 s after a 150 s customTimeout), on the in-process emulator."""

from __future__ import annotations

import threading

import pytest

from ecsreboot.core.model import RoundOptions
from ecsreboot.ecs import NOT_ATTEMPTED, TokenBucket, run_round
from tests.inprocess import REGION, InProcessCloud
from tests.recovery import rebooter


@pytest.mark.parametrize("api", ["RebootInstances", "RebootInstance"])
def test_a_starved_rate_limit_ends_the_round_at_its_timeout_not_after(api: str) -> None:
    cloud = InProcessCloud(6, seed=3, durations={"Stopping": 20.0, "Starting": 20.0})
    limiter = TokenBucket(0.05, clock=cloud.clock)  # one request per 20 s, as if shared by many resources
    client = rebooter(cloud.client(limiter=limiter))
    start = cloud.clock.monotonic()
    options = RoundOptions(region_id=REGION, api=api, max_unavailable=2, timeout=150.0,  # type: ignore[arg-type]
                           concurrency=1)
    result = run_round(client, cloud.instance_ids(), options, progress=lambda _: None, cancel=threading.Event(),
                       clock=cloud.clock)
    assert cloud.clock.monotonic() - start <= 150.0
    assert result.timed_out and not result.ok
    counts = cloud.reboot_counts()
    outcomes = {o.instance_id: o for o in result.outcomes}
    for i, count in counts.items():  # what was rebooted is reported so; what was not, says why
        assert count <= 1
        assert outcomes[i].ok == (count == 1) or i in result.not_back, outcomes[i]
    assert any(o.code == NOT_ATTEMPTED for o in outcomes.values())


def test_a_retry_after_longer_than_the_time_left_is_not_waited_for() -> None:
    cloud = InProcessCloud(2, seed=4, durations={"Stopping": 5.0, "Starting": 5.0})
    cloud.faults.throttle("DescribeInstances", count=100, retry_after_ms=60_000)
    client = rebooter(cloud.client())
    start = cloud.clock.monotonic()
    result = run_round(client, cloud.instance_ids(), RoundOptions(region_id=REGION, timeout=30.0),
                       progress=lambda _: None, cancel=threading.Event(), clock=cloud.clock)
    assert cloud.clock.monotonic() - start <= 30.0
    assert result.timed_out and set(cloud.reboot_counts().values()) == {1}
    assert sorted(result.not_back) == sorted(cloud.instance_ids())
