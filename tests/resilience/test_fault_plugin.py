"""Seeded fault mixes end to end: the real plugin process, driven as the engine drives it.

Per seed: two trigger generations, each a preview and an apply under faults, then retry passes
without faults until ``failedInstanceIds`` is empty. Checked per generation, against the emulator's
own reboot counts:

* a preview reboots nothing, and fails (if it does) with a deliberate gRPC code;
* an apply reboots each instance at most once, and the state the engine keeps (the harness applies
  the engine's rules for ErrorResourceInitFailed) records in ``failedInstanceIds`` exactly the
  instances this generation has not rebooted -- ``RebootUnconfirmed`` ones aside, which may have
  rebooted (see test_fault_rounds.py);
* the retry passes reboot only those, so the generation ends with every instance rebooted once.

Besides the random mix, every generation meets a refusal no retry cures (``InvalidOperation.Conflict``
on some reboot calls), and the second one an instance locked for security until its retry pass, so
partial failures and retry passes happen on every seed.

The plugin uses its production timings (0.5 s retry backoff, 1 s between status checks), so the
seeds run side by side, each with its own emulator, engine and plugin process.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from random import Random

import grpc

from ecsreboot.core.model import BATCH_OPTIMIZATIONS, REBOOT_APIS
from ecsreboot.ecs import REBOOT_UNCONFIRMED
from ecsreboot.emulator import Fault, ThreadedEmulator
from ecsreboot.testing import Deployment, EngineServer, Plugin, ResourceDecl, hermetic_env

from .conftest import emulator, provider_config

SEEDS = (7, 11, 23)
DELIBERATE = {grpc.StatusCode.FAILED_PRECONDITION, grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.PERMISSION_DENIED,
              grpc.StatusCode.NOT_FOUND, grpc.StatusCode.INVALID_ARGUMENT}


def faults_for(rng: Random, api: str) -> list[Fault]:
    p = lambda: round(rng.uniform(0.1, 0.25), 2)  # noqa: E731
    reboot = [
        Fault("throttle", api, probability=p()),
        Fault("error", api, probability=p(), code=rng.choice(("InternalError", "ServiceUnavailable"))),
        Fault("latency", api, probability=p(), seconds=0.2),
        Fault("drop_before", api, probability=p()),
        Fault("drop_after", api, probability=p()),
    ]
    # A refusal no retry cures: the instances of that call end the pass failed.
    reboot.append(Fault("error", api, probability=0.3, code="InvalidOperation.Conflict", status=409))
    # Polls: transient trouble, mild enough that a status check after a lost reply happens within the
    # 2 s the instances spend Stopping (each retry of it waits up to 0.5 s, 1 s, ...).
    polls = [Fault("latency", "DescribeInstances", probability=0.2, seconds=0.1),
             Fault("throttle", "DescribeInstances", probability=0.1),
             Fault("drop_after", "DescribeInstances", probability=0.1)]
    return [reboot[-1], *rng.sample(reboot[:-1], rng.randint(2, len(reboot) - 1)), *polls]


def wait_all_running(emu: ThreadedEmulator, limit: float = 10.0) -> None:
    deadline = time.monotonic() + limit
    while any(v.status != "Running" for v in emu.backend.instances()) and time.monotonic() < deadline:
        time.sleep(0.05)


def run_seed(seed: int, home: Path) -> list[str]:
    """Returns the violated properties (empty when everything held)."""
    rng = Random(seed)
    problems: list[str] = []
    engine = EngineServer()
    with emulator(durations={"Stopping": 2.0, "Starting": 0.05}, seed=seed) as emu:
        ids = emu.add_instances(rng.randint(3, 6))
        api, batch = rng.choice(REBOOT_APIS), rng.choice(BATCH_OPTIMIZATIONS)
        inputs = {"instanceIds": ids, "rebootApi": api, "batchOptimization": batch}
        if rng.random() < 0.4:
            inputs["maxUnavailable"] = len(ids) // 2 + 1  # two waves
        plugin = Plugin(engine, env=hermetic_env(home))
        try:
            plugin.start(provider_config(emu, maxRetries="3"))
            deployment = Deployment(plugin)
            for generation in (1, 2):
                tag = f"seed {seed} ({api}/{batch}, {inputs.get('maxUnavailable')}), generation {generation}"
                decl = ResourceDecl("web", {**inputs, "triggers": {"generation": generation}})
                # The second generation also meets an instance locked for security until the retry.
                locked = rng.choice(ids) if generation == 2 else None
                problems += [f"{tag}: {p}" for p in run_generation(emu, deployment, decl, faults_for(rng, api),
                                                                      locked)]
        finally:
            plugin.stop()
    engine.stop()
    return problems


def run_generation(emu: ThreadedEmulator, deployment: Deployment, decl: ResourceDecl,
                   faults: list[Fault], locked: str | None) -> list[str]:
    problems: list[str] = []
    start = emu.reboot_counts()
    for fault in faults:
        emu.faults.add(fault)
    if locked:
        emu.backend.lock(locked)

    preview = deployment.preview([decl])
    if emu.reboot_counts() != start:
        problems.append("the preview rebooted something")
    for err in preview.errors.values():
        if err.code not in DELIBERATE:
            problems.append(f"preview failed with {err.code}: {err.reasons}")

    applied = deployment.apply([decl])
    counts = emu.reboot_counts()
    delta = {i: counts[i] - start[i] for i in start}
    state = deployment.state[decl.urn]
    failed = set(state.outputs["failedInstanceIds"])
    unconfirmed = {r["instanceId"] for r in state.outputs["results"] if r["code"] == REBOOT_UNCONFIRMED}
    not_rebooted = {i for i, d in delta.items() if d == 0}
    if any(d > 1 for d in delta.values()):
        problems.append(f"rebooted twice in one pass: {delta}")
    if not not_rebooted <= failed or not failed <= not_rebooted | unconfirmed:
        problems.append(f"failedInstanceIds {sorted(failed)} but not rebooted {sorted(not_rebooted)}")
    if bool(failed) != (decl.urn in applied.errors) or bool(failed) != bool(state.init_errors):
        problems.append(f"failedInstanceIds {sorted(failed)} but errors {applied.errors} / {state.init_errors}")
    if failed and "pulumi up" not in " ".join(applied.errors[decl.urn].reasons):
        problems.append(f"the partial failure does not say what to do: {applied.errors[decl.urn].reasons}")
    if locked and locked not in failed:
        problems.append(f"the instance locked for security, {locked}, is not in failedInstanceIds")

    emu.faults.clear()
    if locked:
        emu.backend.unlock(locked)
    for _ in range(2):
        if not failed:
            break
        wait_all_running(emu)
        before = emu.reboot_counts()
        retried = deployment.apply([decl])
        after = emu.reboot_counts()
        rebooted = {i for i in after if after[i] != before[i]}
        if not rebooted <= failed:
            problems.append(f"the retry pass rebooted {sorted(rebooted - failed)}, which had not failed")
        failed = set(deployment.state[decl.urn].outputs["failedInstanceIds"])
        if retried.errors and not failed:
            problems.append(f"the retry pass failed: {retried.errors}")
    final = emu.reboot_counts()
    expected = {i: start[i] + (2 if i in unconfirmed and delta[i] == 1 else 1) for i in start}
    if failed or final != expected:
        problems.append(f"the generation ended with counts {final} (expected {expected}), failed {failed}")
    wait_all_running(emu)
    return problems


def test_plugin_generations_under_seeded_faults(tmp_path: Path) -> None:
    homes = []
    for seed in SEEDS:
        homes.append(tmp_path / str(seed))
        homes[-1].mkdir()
    with ThreadPoolExecutor(len(SEEDS)) as pool:
        problems = [p for found in pool.map(run_seed, SEEDS, homes) for p in found]
    assert not problems, "\n".join(problems)
