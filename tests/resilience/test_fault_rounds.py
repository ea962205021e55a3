"""Seeded random fault mixes against real reboot rounds: the real EcsClient, the emulator, loopback.

Each seed draws a fleet, a reboot mode (batch API and its batch optimisation, or one call per
instance), a rolling width and a mix of faults with probabilities -- throttling, 5xx, latency
spikes, connections dropped before and after the action ran -- on the reboot calls and on the
status polls. The property, per seed:

* nothing is rebooted twice;
* ``failed_ids`` are exactly the instances not rebooted, and every instance reported ``"200"`` was
  rebooted once. The one inherent exception is ``RebootUnconfirmed``: a reboot reply was lost *and*
  every status poll after it failed, so nobody can know whether the reboot ran; it is reported
  failed (the contract's ``failedInstanceIds`` may then over-report, never under-report) and never
  re-sent, so it still cannot be rebooted twice;
* a retry round over ``failed_ids`` (the next ``pulumi up``), with the faults gone, completes the
  generation: then every instance has been rebooted exactly once (RebootUnconfirmed ones that did
  reboot excepted, see above).

Seeds run several at a time (each with its own emulator): a round spends its time waiting for
instances, so running them side by side keeps the suite fast on two cores. The transitional
statuses last long enough (``Stopping`` 1.5 s) that a status poll right after a lost reply sees the
reboot: a reboot that completes entirely before anyone can look is the documented residual risk of
ecs/reboot.py, and real reboots take tens of seconds.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from random import Random
from typing import Any

import pytest

from ecsreboot.core.clock import SystemClock
from ecsreboot.core.model import BATCH_OPTIMIZATIONS, REBOOT_APIS, RoundOptions, RoundResult
from ecsreboot.ecs import REBOOT_UNCONFIRMED, EcsClient, run_round
from ecsreboot.emulator import Fault, ThreadedEmulator
from tests.recovery import rebooter

MakeClient = Callable[..., EcsClient]

BATCHES = 3
SEEDS_PER_BATCH = 14  # 42 seeds in all
DURATIONS = {"Stopping": 1.5, "Starting": 0.05}
#: error answers a fault can give, with how the client must treat them
TRANSIENT_ERRORS = (("InternalError", 500), ("ServiceUnavailable", 503), ("LimitedOperation.ServiceUnavailable", 503))
PERMANENT_ERRORS = (("InvalidOperation.Conflict", 409), ("IncorrectInstanceStatus", 403))


@dataclass
class Scenario:
    seed: int
    instances: int
    api: str
    batch: str
    max_unavailable: int | None
    max_retries: int
    faults: list[Fault] = field(default_factory=list)

    def describe(self) -> str:
        mix = ", ".join(f"{f.kind}({f.action or '*'}, p={f.probability}{', ' + f.code if f.code else ''})"
                        for f in self.faults)
        return (f"seed {self.seed}: {self.instances} instances, {self.api}/{self.batch}, "
                f"maxUnavailable={self.max_unavailable}, maxRetries={self.max_retries}; faults: {mix}")


def draw_faults(rng: Random, action: str, *, permanent: bool) -> list[Fault]:
    """A random mix on one action: each kind present or not, each with its own probability."""
    faults: list[Fault] = []
    for kind in rng.sample(("throttle", "error", "latency", "drop_before", "drop_after"), rng.randint(1, 5)):
        p = round(rng.uniform(0.05, 0.3), 2)
        if kind == "throttle":
            faults.append(Fault("throttle", action, probability=p,
                                code=rng.choice(("Throttling", "Throttling.User", "Throttling.Api")),
                                retry_after_ms=rng.choice((None, 20))))
        elif kind == "error":
            choices = TRANSIENT_ERRORS + (PERMANENT_ERRORS if permanent else ())
            code, status = rng.choice(choices)
            faults.append(Fault("error", action, probability=p, code=code, status=status))
        elif kind == "latency":
            faults.append(Fault("latency", action, probability=p, seconds=round(rng.uniform(0.01, 0.1), 3)))
        else:
            faults.append(Fault(kind, action, probability=p))  # type: ignore[arg-type]
    return faults


def scenario(seed: int) -> Scenario:
    rng = Random(seed)
    n = rng.randint(2, 10)
    api = rng.choice(REBOOT_APIS)
    width = rng.choice((None, None, math.ceil(n / 2), math.ceil(n / 3)))  # one to three waves
    s = Scenario(seed, n, api, rng.choice(BATCH_OPTIMIZATIONS), width, rng.randint(3, 5))
    s.faults += draw_faults(rng, api, permanent=rng.random() < 0.3)
    # Status polls see only transient trouble: a permanent describe failure ends the wait by design
    # (the wave is then reported not Running again), which is a different property.
    s.faults += draw_faults(rng, "DescribeInstances", permanent=False)
    return s


@dataclass
class Run:
    scenario: Scenario
    first: RoundResult
    counts_first: dict[str, int]
    retry: RoundResult | None
    counts_final: dict[str, int]


def run_scenario(s: Scenario, make_client: MakeClient) -> Run:
    with ThreadedEmulator(instances=s.instances, durations=DURATIONS, seed=s.seed) as emu:
        for fault in s.faults:
            emu.faults.add(fault)
        # The default FaultPlan seed is the emulator's: the draws are reproducible up to thread timing.
        client = rebooter(make_client(emu, max_retries=s.max_retries, request_timeout=3.0), interval=0.05)
        ids = emu.instance_ids()
        options = RoundOptions(region_id="cn-hangzhou", api=s.api, batch_optimization=s.batch,  # type: ignore[arg-type]
                               max_unavailable=s.max_unavailable, timeout=60.0, poll_interval=0.05,
                               poll_max_interval=0.2)
        first = run_round(client, ids, options, progress=lambda _: None, cancel=threading.Event(),
                          clock=SystemClock())
        counts_first = emu.reboot_counts()
        retry = None
        if first.failed_ids:
            emu.faults.clear()
            wait_all_running(emu)
            retry = run_round(client, first.failed_ids, options, progress=lambda _: None,
                              cancel=threading.Event(), clock=SystemClock())
        return Run(s, first, counts_first, retry, emu.reboot_counts())


def wait_all_running(emu: ThreadedEmulator, limit: float = 10.0) -> None:
    deadline = time.monotonic() + limit
    while any(v.status != "Running" for v in emu.backend.instances()) and time.monotonic() < deadline:
        time.sleep(0.05)


def check(run: Run) -> list[str]:
    """The violated properties of one run (empty when it holds), in words."""
    problems: list[str] = []
    first, counts = run.first, run.counts_first
    twice = {i: c for i, c in counts.items() if c > 1}
    if twice:
        problems.append(f"rebooted more than once: {twice}")
    outcomes = {o.instance_id: o for o in first.outcomes}
    unconfirmed = {i for i, o in outcomes.items() if o.code == REBOOT_UNCONFIRMED}
    failed = set(first.failed_ids)
    not_rebooted = {i for i, c in counts.items() if c == 0}
    if first.not_back:
        problems.append(f"rebooted but reported not Running again: {first.not_back}")
    if not_rebooted - failed:
        problems.append(f"not rebooted but not reported failed: {sorted(not_rebooted - failed)}")
    if (failed - not_rebooted) - unconfirmed:
        problems.append(f"rebooted but reported failed: {sorted((failed - not_rebooted) - unconfirmed)} "
                        f"({[outcomes[i] for i in sorted((failed - not_rebooted) - unconfirmed)]})")
    wrong_ok = {i for i, o in outcomes.items() if o.ok and counts[i] != 1}
    if wrong_ok:
        problems.append(f"reported rebooted but reboot count is not 1: {sorted(wrong_ok)}")
    if run.retry is not None:
        if run.retry.failed_ids:
            problems.append(f"the retry round without faults failed: {run.retry.failed_ids} ({run.retry.error})")
        expected = {i: 2 if i in unconfirmed and counts[i] == 1 else 1 for i in counts}
        if run.counts_final != expected:
            problems.append(f"after the retry round: counts {run.counts_final}, expected {expected}")
    elif set(counts.values()) != {1}:
        problems.append(f"a round without failures left counts {counts}")
    return problems


@pytest.mark.parametrize("batch", range(BATCHES))
def test_seeded_fault_mixes_never_reboot_twice_and_report_exactly_the_failures(
        batch: int, ecs_client_for: MakeClient) -> None:
    seeds = range(batch * SEEDS_PER_BATCH, (batch + 1) * SEEDS_PER_BATCH)
    with ThreadPoolExecutor(SEEDS_PER_BATCH) as pool:
        runs = list(pool.map(lambda seed: run_scenario(scenario(seed), ecs_client_for), seeds))
    report = {run.scenario.describe(): check(run) for run in runs}
    failures = {k: v for k, v in report.items() if v}
    assert not failures, "\n".join(f"{k}\n  -> {'; '.join(v)}" for k, v in failures.items())
    # The mixes must bite: lost replies settled by a status check, or instances left failed.
    bitten = sum(1 for run in runs for o in run.first.outcomes if "reboot confirmed" in o.message or not o.ok)
    assert bitten > 0


def test_the_seeds_cover_every_fault_kind_mode_and_outcome() -> None:
    """Guards the generator: the 42 seeds exercise what the property is about."""
    scenarios = [scenario(seed) for seed in range(BATCHES * SEEDS_PER_BATCH)]
    seen: dict[str, set[Any]] = {"kinds": set(), "apis": set(), "batches": set(), "widths": set(),
                                 "permanent": set()}
    for s in scenarios:
        seen["kinds"] |= {(f.kind, f.action) for f in s.faults}
        seen["apis"].add(s.api)
        seen["batches"].add(s.batch)
        seen["widths"].add(s.max_unavailable is None)
        seen["permanent"] |= {f.code for f in s.faults if f.code in dict(PERMANENT_ERRORS)}
    kinds = {"throttle", "error", "latency", "drop_before", "drop_after"}
    for action in ("RebootInstances", "RebootInstance", "DescribeInstances"):
        assert {k for k, a in seen["kinds"] if a == action} == kinds, action
    assert seen["apis"] == set(REBOOT_APIS) and seen["batches"] == set(BATCH_OPTIMIZATIONS)
    assert seen["widths"] == {True, False} and seen["permanent"] == set(dict(PERMANENT_ERRORS))


def test_a_reboot_reply_slower_than_the_request_timeout_is_not_turned_into_a_second_reboot(
        ecs_client_for: MakeClient) -> None:
    """The server acts on the reboot *after* the client gave up waiting (read timeout), later than the
    status checks could see (the client allows only 0.1 s for a stale status): the client re-sends, and
    the late original then meets instances already rebooting -- the service refuses it
    (IncorrectInstanceStatus), so nothing reboots twice."""
    with ThreadedEmulator(instances=3, durations={"Stopping": 2.5, "Starting": 0.05}) as emu:
        emu.faults.latency(1.2, "RebootInstances", count=1)
        client = rebooter(ecs_client_for(emu, request_timeout=0.3), interval=0.05, stale_window=0.1)
        ids = emu.instance_ids()
        result = run_round(client, ids, RoundOptions(region_id="cn-hangzhou", timeout=30, poll_interval=0.05,
                                                     poll_max_interval=0.2),
                           progress=lambda _: None, cancel=threading.Event(), clock=SystemClock())
        # the wave waited 2.5 s for the re-sent reboot: the late original (1.2 s) has landed since
        assert emu.reboot_counts() == dict.fromkeys(ids, 1)
        assert result.ok, result.error
        late = [r for r in emu.requests() if r["action"] == "RebootInstances"]
        assert len(late) == 2 and {r["code"] for r in late} == {None, "IncorrectInstanceStatus"}
