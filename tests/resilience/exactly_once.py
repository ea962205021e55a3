"""Exactly-once under a hostile network: seeded fault mixes, the invariants, and the figures.

Each seed draws a fleet and a mix: lost replies of reboot calls (dropped after the action ran, or
before), late looks (throttled describes with ``x-acs-retry-after`` up to 30 s, a starved rate limit
shared by several resources, 5xx and dropped describes, latency), the API's stale-``Running``
window (up to longer than the client allows for), instances started minutes ago (so StartTime
cannot decide), concurrent chunks (more than 100 instances), waves, ``SuccessFirst`` and
``RebootInstance``, and several resources rebooting at once through one shared limiter, as in one
plugin process. The real ``EcsClient`` and ``run_round`` talk to the emulator's real service in
process (tests/inprocess.py), on one FakeClock.

After the first round(s) -- the ``pulumi up`` -- the faults are lifted and every resource runs again
over its ``failed_ids`` -- the next ``up``. The invariants, from the emulator's own reboot counts:

* no instance is rebooted twice in the first run;
* every instance reported rebooted (``"200"``) was rebooted, once;
* every instance in ``failed_ids`` was not rebooted -- or is reported ``RebootUnconfirmed``, with
  the reason (the documented residual: the evidence could not decide, so it was not re-sent);
* the next run leaves every instance rebooted exactly once -- except a ``RebootUnconfirmed`` one
  that had rebooted, which the next run reboots again (the same residual, counted apart).

``python -m tests.resilience.exactly_once --runs 2000`` prints the figures of docs/reliability.md.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import math
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from random import Random

from ecsreboot.core.model import BATCH_OPTIMIZATIONS, REBOOT_APIS, RoundOptions, RoundResult
from ecsreboot.ecs import REBOOT_UNCONFIRMED, TokenBucket, run_round
from ecsreboot.emulator import Fault
from tests.inprocess import REGION, InProcessCloud
from tests.recovery import rebooter

#: a round's timeout, in FakeClock seconds: far beyond any run, so no wait times out -- a timeout is a
#: (contract-mandated) failure of an instance that did reboot, and a different property
TIMEOUT = 10_000_000.0
TRANSIENT = (("InternalError", 500), ("ServiceUnavailable", 503), ("LimitedOperation.ServiceUnavailable", 503))


@dataclass
class Scenario:
    seed: int
    instances: int
    resources: int
    api: str
    batch: str
    max_unavailable: int | None
    rate: float | None
    stale: float
    recent: float
    stopping: float
    starting: float
    max_retries: int
    faults: list[Fault] = field(default_factory=list)

    def mix(self) -> str:
        """The kind of mix, for the figures: what this seed exercises."""
        parts = [self.api if self.api == "RebootInstance" else self.batch]
        if self.instances > 100:
            parts.append("chunks>100")
        if self.max_unavailable:
            parts.append("waves")
        if self.resources > 1:
            parts.append(f"{self.resources} resources")
        if self.rate is not None:
            parts.append("starved limiter")
        if self.stale:
            parts.append("stale window")
        if self.recent:
            parts.append("recent StartTime")
        return ", ".join(parts)

    def describe(self) -> str:
        faults = ", ".join(f"{f.kind}({f.action}, p={f.probability}{', ' + f.code if f.code else ''}"
                           f"{f', {f.retry_after_ms} ms' if f.retry_after_ms else ''})" for f in self.faults)
        return (f"seed {self.seed}: {self.instances} instances in {self.resources} resource(s), {self.mix()}, "
                f"maxUnavailable={self.max_unavailable}, rate={self.rate}, stale={self.stale:g}s, "
                f"recent={self.recent:g}, Stopping {self.stopping:g}s Starting {self.starting:g}s; faults: {faults}")


def scenario(seed: int) -> Scenario:
    rng = Random(seed)
    big = rng.random() < 0.08
    n = rng.randint(101, 230) if big else rng.randint(1, 12)
    resources = 1 if big else min(n, rng.choice((1, 1, 2, 3, 4)))
    share = math.ceil(n / resources)
    s = Scenario(
        seed, n, resources, rng.choice(REBOOT_APIS), rng.choice(BATCH_OPTIMIZATIONS),
        rng.choice((None, None, math.ceil(share / 2), math.ceil(share / 3))),
        rng.choice((None, None, None, 0.2, 1.0, 5.0)) if not big else rng.choice((None, 20.0)),
        rng.choice((0.0, 0.0, 1.0, 3.0, 5.0)), rng.choice((0.0, 0.0, 0.5, 1.0)),
        round(rng.uniform(1, 20), 1), round(rng.uniform(1, 40), 1), rng.randint(2, 5))
    action = s.api
    # lost replies on the reboot calls: always some
    s.faults.append(Fault("drop_after", action, probability=round(rng.uniform(0.2, 0.7), 2)))
    if rng.random() < 0.5:
        s.faults.append(Fault("drop_before", action, probability=round(rng.uniform(0.1, 0.4), 2)))
    if rng.random() < 0.3:
        s.faults.append(Fault("throttle", action, probability=0.2, retry_after_ms=rng.choice((None, 2000))))
    # late and failing looks
    for kind in rng.sample(("throttle", "error", "drop_before", "drop_after", "latency"), rng.randint(1, 4)):
        p = round(rng.uniform(0.05, 0.35), 2)
        if kind == "throttle":
            s.faults.append(Fault("throttle", "DescribeInstances", probability=p,
                                  retry_after_ms=rng.choice((None, 2000, 8000, 30000))))
        elif kind == "error":
            code, status = rng.choice(TRANSIENT)
            s.faults.append(Fault("error", "DescribeInstances", probability=p, code=code, status=status))
        elif kind == "latency":
            s.faults.append(Fault("latency", "DescribeInstances", probability=p, seconds=round(rng.uniform(1, 10), 1)))
        else:
            s.faults.append(Fault(kind, "DescribeInstances", probability=p))  # type: ignore[arg-type]
    return s


@dataclass
class Run:
    scenario: Scenario
    first: list[RoundResult]
    counts_first: dict[str, int]
    retry: list[RoundResult]
    counts_final: dict[str, int]
    lost_replies: int
    seconds: float


def run_scenario(s: Scenario) -> Run:
    began = time.perf_counter()
    rng = Random(f"run-{s.seed}")
    cloud = InProcessCloud(s.instances, seed=s.seed, durations={"Stopping": s.stopping, "Starting": s.starting},
                           stale_window=s.stale)
    ids = cloud.instance_ids()
    for i in ids:
        if rng.random() < s.recent:  # started within the last 90 s: an unchanged StartTime proves nothing
            cloud.backend.set_start_time(i, cloud.clock.utcnow() - _dt.timedelta(seconds=rng.uniform(0, 90)))
    for fault in s.faults:
        cloud.faults.add(Fault(**{**fault.__dict__}))  # a fresh copy: faults count down as they hit
    limiter = TokenBucket(s.rate, clock=cloud.clock) if s.rate else None
    clients = [cloud.client(limiter=limiter, max_retries=s.max_retries, rand=rng.random())
               for _ in range(s.resources)]
    groups = [ids[k::s.resources] for k in range(s.resources)]
    options = RoundOptions(region_id=REGION, api=s.api, batch_optimization=s.batch,  # type: ignore[arg-type]
                           max_unavailable=s.max_unavailable, timeout=TIMEOUT)

    def rounds(targets: list[list[str]]) -> list[RoundResult]:
        def one(k: int) -> RoundResult:
            if not targets[k]:
                return RoundResult()
            return run_round(rebooter(clients[k]), targets[k], options, progress=lambda _: None,
                             cancel=threading.Event(), clock=cloud.clock)

        with ThreadPoolExecutor(s.resources) as pool:
            return list(pool.map(one, range(s.resources)))

    first = rounds(groups)
    counts_first = cloud.reboot_counts()
    lost = sum(1 for r in cloud.requests() if r["action"] == s.api and r["fault"] in ("drop_after", "drop_before"))
    cloud.faults.clear()
    cloud.clock.advance(3600)  # the next `pulumi up`, an hour later: every reboot is over
    retry = rounds([r.failed_ids for r in first])
    return Run(s, first, counts_first, retry, cloud.reboot_counts(), lost, time.perf_counter() - began)


def check(run: Run) -> list[str]:
    """The violated invariants of one run, in words (empty when they all hold)."""
    problems: list[str] = []
    counts = run.counts_first
    outcomes = {o.instance_id: o for r in run.first for o in r.outcomes}
    failed = {i for r in run.first for i in r.failed_ids}
    unconfirmed = {i for i, o in outcomes.items() if o.code == REBOOT_UNCONFIRMED}
    twice = {i: c for i, c in counts.items() if c > 1}
    if twice:
        problems.append(f"rebooted more than once in one run: {twice}")
    if set(outcomes) != set(counts):
        problems.append(f"not every instance has an outcome: {sorted(set(counts) - set(outcomes))}")
    wrong_ok = sorted(i for i, o in outcomes.items() if o.ok and i not in failed and counts[i] != 1)
    if wrong_ok:
        problems.append(f"reported rebooted but not rebooted once: {wrong_ok} ({[outcomes[i] for i in wrong_ok]})")
    false_failures = sorted(i for i in failed if counts[i] > 0 and i not in unconfirmed)
    if false_failures:
        problems.append(f"rebooted but reported failed: {[outcomes[i] for i in false_failures]}")
    vague = sorted(i for i in unconfirmed if "reply was lost" not in outcomes[i].message)
    if vague:
        problems.append(f"RebootUnconfirmed without its reason: {[outcomes[i] for i in vague]}")
    silent = sorted(i for i, c in counts.items() if c == 0 and i not in failed)
    if silent:
        problems.append(f"not rebooted and not reported failed: {silent}")
    retry_failed = [i for r in run.retry for i in r.failed_ids]
    if retry_failed:
        problems.append(f"the next run, without faults, failed: {retry_failed}")
    expected = {i: 2 if i in unconfirmed and counts[i] == 1 else 1 for i in counts}
    if run.counts_final != expected:
        wrong = {i: (run.counts_final[i], expected[i]) for i in counts if run.counts_final[i] != expected[i]}
        problems.append(f"after the next run, (reboots, expected): {wrong}")
    return problems


@dataclass
class Figures:
    runs: int = 0
    instances: int = 0
    lost_replies: int = 0
    double_in_run: int = 0
    double_across_next_up: int = 0
    false_failures: int = 0
    false_successes: int = 0
    unconfirmed: int = 0
    unconfirmed_rebooted: int = 0
    confirmed_after_loss: int = 0
    violations: list[str] = field(default_factory=list)
    mixes: Counter[str] = field(default_factory=Counter)

    def add(self, run: Run) -> None:
        self.runs += 1
        self.instances += run.scenario.instances
        self.lost_replies += run.lost_replies
        outcomes = {o.instance_id: o for r in run.first for o in r.outcomes}
        failed = {i for r in run.first for i in r.failed_ids}
        unconfirmed = {i for i, o in outcomes.items() if o.code == REBOOT_UNCONFIRMED}
        counts = run.counts_first
        self.double_in_run += sum(1 for c in counts.values() if c > 1)
        self.double_across_next_up += sum(1 for i, c in run.counts_final.items() if c > 1 and i not in unconfirmed)
        self.false_failures += sum(1 for i in failed if counts[i] > 0 and i not in unconfirmed)
        self.false_successes += sum(1 for i, o in outcomes.items() if o.ok and i not in failed and counts[i] != 1)
        self.unconfirmed += len(unconfirmed)
        self.unconfirmed_rebooted += sum(1 for i in unconfirmed if counts[i] > 0)
        self.confirmed_after_loss += sum(1 for o in outcomes.values()
                                         if o.ok and ("confirmed" in o.message or "under way" in o.message))
        self.mixes.update(part.strip() for part in run.scenario.mix().split(","))
        self.violations += [f"{run.scenario.describe()}\n  -> {p}" for p in check(run)]

    def lines(self) -> list[str]:
        return [
            f"runs: {self.runs} (seeds), instances: {self.instances}",
            f"lost reboot replies injected: {self.lost_replies}; "
            f"instances settled from evidence after a lost reply: {self.confirmed_after_loss}",
            f"double reboots in a run: {self.double_in_run}",
            f"double reboots across the run and the next up (RebootUnconfirmed excluded): "
            f"{self.double_across_next_up}",
            f"false failures (rebooted, reported failed, not RebootUnconfirmed): {self.false_failures}",
            f"false successes (reported rebooted, not rebooted once): {self.false_successes}",
            f"RebootUnconfirmed: {self.unconfirmed} ({self.unconfirmed_rebooted} had rebooted and were rebooted "
            f"again by the next up: the documented residual)",
            "mixes (runs with each ingredient): " + ", ".join(f"{k} {v}" for k, v in sorted(self.mixes.items())),
            f"invariant violations: {len(self.violations)}",
        ]


def measure(seeds: range, workers: int = 1) -> Figures:
    figures = Figures()
    with ThreadPoolExecutor(workers) as pool:
        for run in pool.map(lambda seed: run_scenario(scenario(seed)), seeds):
            figures.add(run)
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.resilience.exactly_once", description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=2000, help="seeds to run (default 2000)")
    parser.add_argument("--first-seed", type=int, default=0)
    args = parser.parse_args(argv)
    began = time.perf_counter()
    figures = measure(range(args.first_seed, args.first_seed + args.runs))
    print("\n".join(figures.lines()))
    print(f"seeds {args.first_seed}..{args.first_seed + args.runs - 1} in {time.perf_counter() - began:.0f} s")
    for violation in figures.violations[:20]:
        print(violation, file=sys.stderr)
    return 1 if figures.violations else 0


if __name__ == "__main__":
    sys.exit(main())
