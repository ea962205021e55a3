"""Partial failure, rolling waves and Ctrl-C under the real CLI, judged by the emulator's own records."""

from __future__ import annotations

import json
import signal
import time
from collections.abc import Iterator
from typing import Any

import pytest

from ecsreboot.emulator import ThreadedEmulator
from tests.realengine import TimedLog, most_away_at_once, reboot_calls, second_wave_held
from tests.realengine import timed_emulator as timed_emulator_of

from .conftest import FAST, MakeProject
from .test_lifecycle import TYPE, Calls, reboots, resources


def test_partial_failure_records_the_failed_instance_and_the_next_up_retries_only_it(
        make_project: MakeProject, emulator: ThreadedEmulator) -> None:
    ids = emulator.instance_ids()
    stopped = ids[2]
    emulator.backend.set_status(stopped, "Stopped")
    project = make_project()
    resources(project, {"web": {"instance_ids": ids, "batch_optimization": "SuccessFirst", "triggers": {"v": 1}}})

    up = project.run("up", "--yes", "--skip-preview", check=False)
    assert up.returncode != 0
    assert stopped in up.output and "IncorrectInstanceStatus" in up.output
    assert reboots(emulator) == [1, 1, 0, 1]
    [state] = project.resources(TYPE)
    assert state["outputs"]["failedInstanceIds"] == [stopped]
    assert state.get("initErrors"), "a partial failure is recorded as an init error"
    assert any(stopped in e for e in state["initErrors"])

    # the instance is started by hand; the next up reboots it alone and the stack is clean again
    emulator.backend.set_status(stopped, "Running")
    calls = Calls(emulator)
    project.run("up", "--yes", "--skip-preview")
    assert reboots(emulator) == [1, 1, 1, 1]
    sent = [r for r in emulator.requests()[calls.seen:] if r["action"] == "RebootInstances"]
    assert [sorted(v for k, v in r["params"].items() if k.startswith("InstanceId")) for r in sent][-1:] == [[stopped]]
    [state] = project.resources(TYPE)
    assert state["outputs"]["failedInstanceIds"] == [] and not state.get("initErrors")
    project.run("preview", "--expect-no-changes")


@pytest.fixture
def timed_emulator() -> Iterator[tuple[ThreadedEmulator, TimedLog]]:
    with timed_emulator_of(6, FAST) as timed:
        yield timed


def test_rolling_waves_never_reboot_more_than_max_unavailable(
        make_project: MakeProject, timed_emulator: tuple[ThreadedEmulator, TimedLog],
        emulator: ThreadedEmulator) -> None:
    emu, log = timed_emulator
    ids = emu.instance_ids()
    project = make_project()
    project.config("ecsreboot:endpoint", emu.url)
    resources(project, {"web": {"instance_ids": ids, "max_unavailable": 2, "triggers": {"v": 1}}})
    up = project.run("up", "--yes", "--skip-preview")
    assert [emu.reboot_counts()[i] for i in ids] == [1] * 6
    for wave in (1, 2, 3):
        assert f"wave {wave}/3" in up.stdout
    rebooted, most = most_away_at_once(log, away=sum(FAST.values()))
    assert rebooted == 6 and most <= 2, f"{most} instances rebooting at once"


def test_ctrl_c_cancels_the_wait_and_the_next_up_retries_only_the_unconfirmed(
        make_project: MakeProject, emulator: ThreadedEmulator) -> None:
    ids = emulator.instance_ids()
    project = make_project()
    resources(project, {"web": {"instance_ids": ids, "max_unavailable": 2, "triggers": {"v": 1}}})
    with second_wave_held(emulator) as second_wave, project.start("up", "--yes", "--skip-preview") as proc:
        assert second_wave.wait(60), "the second wave was never sent"
        time.sleep(1.0)  # the plugin is now waiting for the second wave
        interrupted = time.monotonic()
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
        took = time.monotonic() - interrupted
    assert proc.returncode != 0
    assert took < 10, f"pulumi up took {took:.1f} s to stop after Ctrl-C"
    # the CLI cancels; the engine's cancellation reaches the plugin, whose round stops waiting (only the
    # CLI was signalled: it runs in a session of its own, so the plugin got no SIGINT from a terminal)
    assert "^C received; cancelling" in out + err
    assert "instance(s) not rebooted (cancelled)" in out + err
    first, second = reboot_calls(emulator)[:2]
    [state] = project.resources(TYPE)
    assert sorted(state["outputs"]["failedInstanceIds"]) == sorted(second)

    # the next up: the second wave's instances are Running again; only they are rebooted again
    emulator.backend.set_durations(FAST)
    project.run("up", "--yes", "--skip-preview")
    counts = emulator.reboot_counts()
    assert {i: counts[i] for i in first} == dict.fromkeys(first, 1)
    assert {i: counts[i] for i in second} == dict.fromkeys(second, 2)
    [state] = project.resources(TYPE)
    assert state["outputs"]["failedInstanceIds"] == []


def test_a_failed_update_keeps_old_inputs_and_new_outputs_and_is_retried(make_project: MakeProject,
                                                                          emulator: ThreadedEmulator) -> None:
    """After ErrorResourceInitFailed on Update the engine records the new outputs beside the *old* inputs:
    which instances to retry is decided from the outputs (the harness models exactly this)."""
    ids = emulator.instance_ids()
    project = make_project()
    spec = {"web": {"instance_ids": ids, "batch_optimization": "SuccessFirst", "triggers": {"v": 1}}}
    resources(project, spec)
    project.run("up", "--yes", "--skip-preview")
    emulator.backend.set_status(ids[1], "Stopped")
    spec["web"]["triggers"] = {"v": 2}
    resources(project, spec)
    assert project.run("up", "--yes", "--skip-preview", check=False).returncode != 0
    [state] = project.resources(TYPE)
    assert state["inputs"]["triggers"] == {"v": 1} and state["outputs"]["triggers"] == {"v": 2}
    assert state["outputs"]["failedInstanceIds"] == [ids[1]] and state["initErrors"]
    assert reboots(emulator) == [2, 1, 2, 2]
    emulator.backend.set_status(ids[1], "Running")
    project.run("up", "--yes", "--skip-preview")
    assert reboots(emulator) == [2, 2, 2, 2]
    [state] = project.resources(TYPE)
    assert state["inputs"]["triggers"] == {"v": 2} and state["outputs"]["failedInstanceIds"] == []
    assert not state.get("initErrors")


def test_custom_timeouts_bound_the_wait(make_project: MakeProject, emulator: ThreadedEmulator) -> None:
    ids = emulator.instance_ids()
    emulator.backend.set_durations({"Starting": 60.0})
    project = make_project()
    resources(project, {"web": {"instance_ids": ids, "timeout": "3s", "triggers": {"v": 1}}})
    up = project.run("up", "--yes", "--skip-preview", check=False)
    assert up.returncode != 0
    assert up.seconds < 30, f"a 3 s customTimeout took {up.seconds:.0f} s"
    assert "timed out waiting" in up.output
    [state] = project.resources(TYPE)
    assert sorted(state["outputs"]["failedInstanceIds"]) == sorted(ids)
    assert reboots(emulator) == [1, 1, 1, 1]


def test_a_trigger_unknown_in_preview_counts_as_a_change(make_project: MakeProject,
                                                         emulator: ThreadedEmulator) -> None:
    """Reboot the web tier after the database tier: the web trigger is the db's lastRebootTime, unknown in
    preview until the db's round ran. Preview shows both as changes and reboots nothing."""
    db, web = emulator.instance_ids()[:2], emulator.instance_ids()[2:]
    project = make_project()
    spec: dict[str, Any] = {"db": {"instance_ids": db, "triggers": {"v": 1}},
                            "web": {"instance_ids": web, "after": "db"}}
    resources(project, spec)
    project.run("up", "--yes", "--skip-preview")
    assert reboots(emulator) == [1, 1, 1, 1]
    spec["db"]["triggers"] = {"v": 2}
    resources(project, spec)
    preview = project.run("preview", "--json")
    steps = {s["urn"].rsplit("::", 1)[1]: s for s in json.loads(preview.stdout)["steps"] if f"::{TYPE}::" in s["urn"]}
    assert steps["db"]["op"] == "update" and steps["web"]["op"] == "update"
    assert 'triggers.after' in steps["web"]["detailedDiff"] or "triggers" in steps["web"]["detailedDiff"]
    assert reboots(emulator) == [1, 1, 1, 1]
    project.run("up", "--yes", "--skip-preview")
    assert reboots(emulator) == [2, 2, 2, 2]
    outputs = project.outputs()
    assert outputs["web"]["lastRebootTime"] >= outputs["db"]["lastRebootTime"]
