"""Process faults: the plugin killed mid-round, Cancel in every phase, timeouts shorter than the reboot.

What the contract allows after a kill: the engine saves state only from a step's answer, and a
killed plugin gives none. So the interrupted step leaves the state as it was before it (no resource
after a Create, the previous generation's outputs after an Update), and the next ``pulumi up`` runs
the step again in full: the instances the killed attempt had already rebooted are rebooted once
more. That is at-least-once, never more than once per attempt, and it is exactly what is asserted.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import grpc
import pytest
from google.protobuf import empty_pb2

from ecsreboot.emulator import ThreadedEmulator
from ecsreboot.testing import Deployment, EngineServer, PassResult, Plugin, ResourceDecl

from .conftest import MakePlugin, emulator, provider_config

TIMELY = 1.2  # seconds from Cancel to the step's answer ("within about a second", with CI slack)


def web(ids: list[str], timeout: float = 0.0, **inputs: Any) -> ResourceDecl:
    return ResourceDecl("web", {"instanceIds": ids, **inputs}, timeout=timeout)


def wait_for(condition: Callable[[], bool], limit: float = 20.0) -> None:
    deadline = time.monotonic() + limit
    while not condition():
        assert time.monotonic() < deadline, "the condition never came true"
        time.sleep(0.02)


def all_running(emu: ThreadedEmulator) -> bool:
    return all(v.status == "Running" for v in emu.backend.instances())


def seen(engine: EngineServer, urn: str, text: str) -> Callable[[], bool]:
    """True once a message with ``text`` arrives for ``urn`` (messages already there do not count)."""
    skip = len(engine.messages(urn))
    return lambda: any(text in m for m in engine.messages(urn)[skip:])


class Background:
    """Runs one pass in a thread and notes when it returned."""

    def __init__(self, run: Callable[[], PassResult]) -> None:
        self.result: PassResult | None = None
        self.returned = 0.0
        self._thread = threading.Thread(target=self._run, args=(run,), daemon=True)
        self._thread.start()

    def _run(self, run: Callable[[], PassResult]) -> None:
        self.result = run()
        self.returned = time.monotonic()

    def join(self, limit: float = 15.0) -> PassResult:
        self._thread.join(limit)
        assert not self._thread.is_alive(), "the step did not return"
        assert self.result is not None
        return self.result


def kill(plugin: Plugin) -> None:
    plugin.process.kill()
    plugin.process.wait()


# --- the plugin killed mid-round -------------------------------------------------------------------


def test_plugin_killed_mid_wait_on_create_then_the_next_up_reboots_again(
        make_plugin: MakePlugin, engine: EngineServer) -> None:
    with emulator(durations={"Stopping": 0.1, "Starting": 0.5}) as emu:
        ids = emu.add_instances(3)
        deployment = Deployment(make_plugin(provider_config(emu)))
        decl = web(ids, triggers={"v": 1})
        run = Background(lambda: deployment.apply([decl]))
        wait_for(seen(engine, decl.urn, "waiting"))
        kill(deployment.plugin)
        killed = run.join()
        assert killed.errors[decl.urn].code == grpc.StatusCode.UNAVAILABLE
        assert decl.urn not in deployment.state  # no answer, no state: as the engine does
        assert emu.reboot_counts() == dict.fromkeys(ids, 1)

        wait_for(lambda: all_running(emu))  # the next `pulumi up` comes later
        deployment.plugin = make_plugin(provider_config(emu))
        again = deployment.apply([decl])
        assert again.errors == {} and again.steps[decl.urn] == "create"
        assert emu.reboot_counts() == dict.fromkeys(ids, 2)  # once per attempt, never more
        assert deployment.state[decl.urn].outputs["failedInstanceIds"] == []


def test_plugin_killed_mid_rolling_update_then_the_next_up_redoes_the_generation(
        make_plugin: MakePlugin, engine: EngineServer) -> None:
    with emulator(durations={"Stopping": 0.1, "Starting": 0.5}) as emu:
        ids = emu.add_instances(3)
        deployment = Deployment(make_plugin(provider_config(emu)))
        assert deployment.apply([web(ids, triggers={"v": 1})]).errors == {}
        recorded = deployment.state[web(ids).urn]
        wait_for(lambda: all_running(emu))

        decl = web(ids, triggers={"v": 2}, maxUnavailable=1)
        run = Background(lambda: deployment.apply([decl]))
        wait_for(seen(engine, decl.urn, "wave 2/3: waiting"))
        kill(deployment.plugin)
        assert run.join().errors[decl.urn].code == grpc.StatusCode.UNAVAILABLE
        assert deployment.state[decl.urn] is recorded  # the update's answer never came
        assert emu.reboot_counts() == {ids[0]: 2, ids[1]: 2, ids[2]: 1}

        wait_for(lambda: all_running(emu))
        deployment.plugin = make_plugin(provider_config(emu))
        again = deployment.apply([decl])
        assert again.errors == {} and again.steps[decl.urn] == "update"
        # generation 2 attempted twice: the waves the killed attempt reached reboot a second time
        assert emu.reboot_counts() == {ids[0]: 3, ids[1]: 3, ids[2]: 2}
        assert deployment.state[decl.urn].outputs["triggers"] == {"v": 2}
        assert deployment.state[decl.urn].outputs["rebootCount"] == 2


# --- Cancel in every phase -----------------------------------------------------------------------


@dataclass
class Phase:
    """One phase to cancel in: how to set the emulator up, the resource, when to cancel."""

    name: str
    instances: int
    inputs: dict[str, Any]
    setup: Callable[[ThreadedEmulator], None]
    #: (engine, emulator, urn) -> True once the step is in the phase
    ready: Callable[[EngineServer, ThreadedEmulator, str], bool]
    preview: bool = False
    durations: dict[str, float] = field(default_factory=lambda: {"Stopping": 0.1, "Starting": 0.1})


def reboots_sent(emu: ThreadedEmulator) -> list[dict[str, Any]]:
    return [r for r in emu.requests() if r["action"].startswith("RebootInstance")
            and str(r["params"].get("DryRun", "false")).lower() != "true"]


def after(seconds: float) -> Callable[[EngineServer, ThreadedEmulator, str], bool]:
    start: list[float] = []

    def ready(engine: EngineServer, emu: ThreadedEmulator, urn: str) -> bool:
        if not start:
            start.append(time.monotonic())
        return time.monotonic() - start[0] >= seconds

    return ready


PHASES = [
    # the preview's dry run: one RebootInstance DryRun per instance, 8 at a time, each answered slowly
    Phase("dry run", 40, {"rebootApi": "RebootInstance"},
          lambda emu: emu.faults.latency(0.5, "RebootInstance", probability=1.0), after(0.7), preview=True),
    # the reboot calls: three calls of 100 ids, each answered slowly; cancelled while the first is out
    Phase("reboot calls", 250, {}, lambda emu: emu.faults.latency(0.8, "RebootInstances", probability=1.0),
          lambda engine, emu, urn: any("wave 1/1: rebooting" in m for m in engine.messages(urn))),
    # waiting to retry a throttled reboot call (the server asked for 5 s)
    Phase("retry backoff", 3, {}, lambda emu: emu.faults.throttle("RebootInstances", count=1, retry_after_ms=5000),
          lambda engine, emu, urn: any(r["code"] == "Throttling" for r in emu.requests())),
    # the status checks after a lost reply (1 s apart): the reply of the reboot call never came
    # (a look after the dropped call: the look before each wave is a DescribeInstances too)
    Phase("status check after a lost reply", 3, {}, lambda emu: emu.faults.drop_before("RebootInstances"),
          lambda engine, emu, urn: _looked_after_a_drop(emu)),
    # waiting for Running again
    Phase("waiting", 3, {}, lambda emu: None, lambda engine, emu, urn: any(
        "waiting" in m for m in engine.messages(urn)), durations={"Stopping": 0.1, "Starting": 60.0}),
    # between waves: wave 2 of 3 is waiting, wave 3 not started
    Phase("wave gap", 6, {"maxUnavailable": 2}, lambda emu: None, lambda engine, emu, urn: any(
        "wave 2/3: waiting" in m for m in engine.messages(urn)), durations={"Stopping": 0.1, "Starting": 1.0}),
]


def _looked_after_a_drop(emu: ThreadedEmulator) -> bool:
    requests = emu.requests()
    dropped = next((n for n, r in enumerate(requests) if r["action"] == "RebootInstances" and r["fault"]), None)
    return dropped is not None and any(r["action"] == "DescribeInstances" for r in requests[dropped + 1:])


@pytest.mark.parametrize("phase", PHASES, ids=[p.name for p in PHASES])
def test_cancel_returns_promptly_says_so_and_records_what_was_not_done(
        phase: Phase, make_plugin: MakePlugin, engine: EngineServer) -> None:
    with emulator(durations=phase.durations) as emu:
        ids = emu.add_instances(phase.instances)
        phase.setup(emu)
        plugin = make_plugin(provider_config(emu))
        deployment = Deployment(plugin)
        decl = web(ids, **phase.inputs)
        run = Background(lambda: (deployment.preview if phase.preview else deployment.apply)([decl]))
        wait_for(lambda: phase.ready(engine, emu, decl.urn))
        sent_before = len(reboots_sent(emu))
        cancelled_at = time.monotonic()
        plugin.stub.Cancel(empty_pb2.Empty(), timeout=5)
        result = run.join()
        took = run.returned - cancelled_at
        counts = emu.reboot_counts()
        requests = len(emu.requests())
        time.sleep(0.6)  # anything still going would show now

        assert took < TIMELY, f"the step answered {took:.2f}s after Cancel"
        assert len(emu.requests()) == requests, "API calls went on after the step answered"
        assert emu.reboot_counts() == counts
        assert len(reboots_sent(emu)) <= sent_before + (1 if phase.name == "reboot calls" else 0)
        err = result.errors[decl.urn]
        assert "cancel" in " ".join(err.reasons).lower(), err.reasons
        assert not any("Traceback" in r for r in err.reasons)
        if phase.preview:
            assert err.code == grpc.StatusCode.CANCELLED
            assert set(counts.values()) == {0} and reboots_sent(emu) == []
            return
        # a round had started: the state is recorded, and names every instance not (known to be) rebooted
        assert err.code == grpc.StatusCode.ABORTED
        state = deployment.state[decl.urn]
        failed = set(state.outputs["failedInstanceIds"])
        assert state.init_errors and "pulumi up" in " ".join(state.init_errors)
        assert {i for i, c in counts.items() if c == 0} <= failed
        # an instance is left out only when it was rebooted and seen Running again before Cancel
        assert all(counts[i] == 1 for i in set(ids) - failed)
        if phase.name == "wave gap":
            assert failed == set(ids[2:]) and [counts[i] for i in ids] == [1, 1, 1, 1, 0, 0]


# --- timeouts shorter than the reboot ---------------------------------------------------------------


def test_a_timeout_shorter_than_the_reboot_fails_that_wave_and_later_ones_then_the_retry_does_only_those(
        make_plugin: MakePlugin) -> None:
    calls: list[str] = []
    holder: dict[str, ThreadedEmulator] = {}

    def on_request(entry: dict[str, Any]) -> None:
        if entry["action"] == "RebootInstances" and entry["code"] is None:
            calls.append(entry["requestId"])
            if len(calls) == 2:  # from the second wave on, instances take 5 s to start
                holder["emu"].backend.set_durations({"Starting": 5.0})

    with emulator(durations={"Stopping": 0.1, "Starting": 0.1}, on_request=on_request) as emu:
        holder["emu"] = emu
        ids = emu.add_instances(6)
        deployment = Deployment(make_plugin(provider_config(emu)))
        decl = web(ids, timeout=2.5, maxUnavailable=2, triggers={"v": 1})
        started = time.monotonic()
        first = deployment.apply([decl])
        assert time.monotonic() - started < 5
        counts = emu.reboot_counts()
        assert [counts[i] for i in ids[:2]] == [1, 1] and [counts[i] for i in ids[4:]] == [0, 0]
        state = deployment.state[decl.urn]
        assert sorted(state.outputs["failedInstanceIds"]) == sorted(ids[2:])
        text = " ".join(first.errors[decl.urn].reasons)
        assert "timed out" in text and "pulumi up" in text and first.errors[decl.urn].code == grpc.StatusCode.ABORTED

        emu.backend.set_durations({"Starting": 0.1})
        for i in ids[2:4]:
            emu.backend.set_status(i, "Running")  # the slow ones finished starting by the next up
        second = deployment.apply([decl])
        assert second.errors == {} and second.steps[decl.urn] == "update"
        final = emu.reboot_counts()
        assert {i: final[i] - counts[i] for i in ids} == {i: 0 if i in ids[:2] else 1 for i in ids}
        assert deployment.state[decl.urn].outputs["failedInstanceIds"] == []
