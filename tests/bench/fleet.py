"""Fleet reboot through the real plugin: one RebootTrigger over N instances, waitForRunning.

The plugin process is started as the engine starts it and driven over gRPC (``Deployment.apply``:
Check, then Create, which reboots and waits). The wall time is that whole apply; the emulator's
own arrival log gives the API calls by action, the poll rounds and the span from the first to the
last API call. A fresh plugin per size, so its VmHWM after the round is that round's peak RSS.
"""

from __future__ import annotations

from dataclasses import dataclass

from ecsreboot.testing import ResourceDecl
from ecsreboot.testing.engine import to_struct

from .common import (
    BenchFailure,
    Recorder,
    Settings,
    count_actions,
    cpu_seconds,
    emulator,
    plugin_for,
    poll_rounds,
    proc_status_kb,
    timed,
)


@dataclass
class FleetResult:
    n: int
    wall: float
    span: float
    calls: dict[str, int]
    rounds: int
    max_round_calls: int
    max_ids_per_describe: int
    peak_rss_kb: int | None
    limit: float
    #: seconds after the first API call: the last RebootInstances, and the start of the last poll round
    last_reboot_at: float
    last_round_at: float
    #: CPU seconds of the plugin process during the apply (None without /proc)
    plugin_cpu: float | None = None
    #: bytes of the resource's outputs as the engine receives them (the state it stores)
    state_bytes: int = 0
    #: of which the per-instance `results`
    results_bytes: int = 0


def run(settings: Settings, n: int) -> FleetResult:
    with emulator(settings, n) as emu:
        recorder = Recorder(emu)
        ids = emu.instance_ids()
        with plugin_for(emu) as session:
            decl = ResourceDecl("fleet", {"instanceIds": ids, "triggers": {"run": 1}})
            cpu_before = cpu_seconds(session.pid)
            wall, result = timed(lambda: session.deployment.apply([decl]))
            cpu_after = cpu_seconds(session.pid)
            peak = proc_status_kb(session.pid, "VmHWM")
        if result.errors:
            raise BenchFailure(f"fleet of {n}: {result.errors}")
        outputs = result.outputs[decl.urn]
        counts = emu.reboot_counts()
        if outputs.get("failedInstanceIds") or any(counts[i] != 1 for i in ids):
            raise BenchFailure(f"fleet of {n}: not every instance was rebooted exactly once")
    requests = recorder.snapshot()
    rounds = poll_rounds(requests)
    describes = [r for group in rounds for r in group]
    first = requests[0].at if requests else 0.0
    reboots = [r.at for r in requests if r.action == "RebootInstances"]
    return FleetResult(
        n=n, wall=wall, span=requests[-1].at - first if requests else 0.0,
        calls=count_actions(requests), rounds=len(rounds),
        max_round_calls=max((len(g) for g in rounds), default=0),
        max_ids_per_describe=max((len(r.ids) for r in describes), default=0),
        peak_rss_kb=peak, limit=settings.limit(n),
        last_reboot_at=max(reboots, default=first) - first, last_round_at=rounds[-1][0].at - first if rounds else 0.0,
        plugin_cpu=None if cpu_before is None or cpu_after is None else cpu_after - cpu_before,
        state_bytes=to_struct(outputs).ByteSize(),
        results_bytes=to_struct({"results": outputs.get("results", [])}).ByteSize(),
    )
