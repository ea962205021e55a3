"""Many resources at once: RebootTriggers all updated in one pass under a shared ``maxRequestsPerSecond``.

The stack is created first (``rebootOnCreate: false``: no API call), then every trigger changes and
all resources are applied at once -- every Check/Diff/Update in flight together, not the 32 the
harness's Deployment allows. The emulator plays a service-side flow control of the same rate: a
request that would make more than ``rate + 1`` (the client's token bucket allows a burst of one) in
the trailing second is answered ``Throttling``. Measured: the most requests that arrived in any
1-second window, the sustained rate, throttled answers, and whether any error reached the engine.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ecsreboot.testing import Deployment, ResourceDecl

from .common import BenchFailure, Recorder, Settings, count_actions, emulator, max_in_window, plugin_for, timed


@dataclass
class ManyResult:
    resources: int
    instances: int
    rate_limit: float
    seconds: float
    calls: dict[str, int]
    max_per_second: int
    sustained_rate: float
    throttled: int
    errors: int

    @property
    def allowed_per_second(self) -> int:
        """What a token bucket of ``rate`` with a burst of one may send in any second."""
        return int(self.rate_limit) + 1


def _decls(groups: Sequence[list[str]], version: int) -> list[ResourceDecl]:
    return [ResourceDecl(f"group-{k}", {"instanceIds": ids, "triggers": {"release": version},
                                        "rebootOnCreate": False}) for k, ids in enumerate(groups)]


def run(settings: Settings) -> ManyResult:
    n, per = settings.many_resources, settings.instances_per_resource
    rate = settings.max_requests_per_second
    with emulator(settings, n * per) as emu:
        ids = emu.instance_ids()
        groups = [ids[k * per:(k + 1) * per] for k in range(n)]
        with plugin_for(emu, maxRequestsPerSecond=rate) as session:
            deployment = Deployment(session.plugin, parallel=len(groups))  # every resource at once
            created = deployment.apply(_decls(groups, 1))
            if created.errors:
                raise BenchFailure(f"creating {n} triggers: {next(iter(created.errors.values()))}")
            recorder = Recorder(emu, throttle_above=int(rate) + 1)
            seconds, result = timed(lambda: deployment.apply(_decls(groups, 2)))
        if set(result.steps.values()) != {"update"}:
            raise BenchFailure("not every trigger was updated")
        if any(count != 1 for count in emu.reboot_counts().values()):
            raise BenchFailure("not every instance was rebooted exactly once")
    requests = recorder.snapshot()
    times = [r.at for r in requests]
    busy = times[-1] - times[0] if len(times) > 1 else 0.0
    return ManyResult(
        resources=n, instances=n * per, rate_limit=rate, seconds=seconds, calls=count_actions(requests),
        max_per_second=max_in_window(times), sustained_rate=(len(times) - 1) / busy if busy > 0 else 0.0,
        throttled=recorder.throttled, errors=len(result.errors),
    )
