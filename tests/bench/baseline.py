"""The baseline: what a competent user writes today with the official ``alibabacloud-ecs20140526`` SDK.

RebootInstances in chunks of 100, one call after another; then DescribeInstanceStatus 50 ids a page
(its largest page) over the instances not yet seen Running, a round of pages after another, one
second apart, until every instance is Running. No retries (``autoretry=False``), as in a plain script.

It is generous to the baseline: it polls at once after the last reboot call and takes the first
Running as "back" -- right for the emulator, whose reboots show Stopping at once, but against the
real service that first poll can still see the old Running (the reboot is asynchronous).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

from alibabacloud_ecs20140526 import models as ecs_models
from alibabacloud_ecs20140526.client import Client
from alibabacloud_tea_openapi.models import Config
from darabonba.runtime import RuntimeOptions

from .common import ACCESS_KEY, REGION, BenchFailure, Recorder, Settings, count_actions, emulator, poll_rounds, timed

POLL_SECONDS = 1.0


def reboot_and_wait(client: Client, region: str, ids: Sequence[str], *, poll_seconds: float = POLL_SECONDS,
                    timeout: float = 600.0) -> None:
    """The user's script."""
    runtime = RuntimeOptions(autoretry=False)
    for start in range(0, len(ids), 100):
        client.reboot_instances_with_options(ecs_models.RebootInstancesRequest(
            region_id=region, instance_id=list(ids[start:start + 100])), runtime)
    pending = list(ids)
    deadline = time.monotonic() + timeout
    while pending:
        running: set[str] = set()
        for start in range(0, len(pending), 50):
            reply = client.describe_instance_status_with_options(ecs_models.DescribeInstanceStatusRequest(
                region_id=region, instance_id=pending[start:start + 50], page_size=50), runtime)
            statuses = reply.body.instance_statuses.instance_status or []
            running.update(s.instance_id for s in statuses if s.status == "Running")
        pending = [i for i in pending if i not in running]
        if pending:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{len(pending)} instance(s) not Running again")
            time.sleep(poll_seconds)


@dataclass
class BaselineResult:
    n: int
    wall: float
    calls: dict[str, int]
    rounds: int


def run(settings: Settings, n: int) -> BaselineResult:
    with emulator(settings, n) as emu:
        recorder = Recorder(emu)
        ids = emu.instance_ids()
        client = Client(Config(access_key_id=ACCESS_KEY[0], access_key_secret=ACCESS_KEY[1], region_id=REGION,
                               endpoint=emu.endpoint, protocol="http"))
        wall, _ = timed(lambda: reboot_and_wait(client, REGION, ids))
        if any(count != 1 for count in emu.reboot_counts().values()):
            raise BenchFailure(f"baseline of {n}: not every instance was rebooted exactly once")
    requests = recorder.snapshot()
    return BaselineResult(n, wall, count_actions(requests), len(poll_rounds(requests)))
