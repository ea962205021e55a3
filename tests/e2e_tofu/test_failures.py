"""Partial failure, rolling waves and Ctrl-C under the real CLI, judged by the emulator's own records."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

import pytest

from ecsreboot.emulator import ThreadedEmulator
from ecsreboot.testing.tofucli import interrupt
from tests.realengine import TimedLog, most_away_at_once, reboot_calls, second_wave_held
from tests.realengine import timed_emulator as timed_emulator_of

from .conftest import FAST, TYPE, Calls, MakeWorkspace, configuration, reboots, trigger


def shown(text: str) -> str:
    """The CLI's output with its line wrapping undone."""
    return " ".join(text.split())


def test_a_partial_failure_fails_the_apply_and_the_next_apply_retries_only_the_failed_instance(
        make_workspace: MakeWorkspace, emulator: ThreadedEmulator) -> None:
    ids = emulator.instance_ids()
    workspace = make_workspace()
    write = lambda version: workspace.write(configuration(emulator.url, trigger(  # noqa: E731
        instance_ids=ids, batch_optimization="SuccessFirst", triggers={"v": version})))
    write("1")
    workspace.run("apply", "-auto-approve", "-no-color")
    stopped = ids[2]
    emulator.backend.set_status(stopped, "Stopped")
    write("2")
    failed = workspace.run("apply", "-auto-approve", "-no-color", check=False)
    assert failed.returncode == 1
    error = shown(failed.stderr)
    assert f"{stopped} (IncorrectInstanceStatus" in error and "RequestIds" in error
    assert "Run `tofu apply` (or `terraform apply`) again to retry only these" in error
    assert reboots(emulator) == [2, 2, 1, 2]
    [state] = workspace.resources().values()
    assert state["failed_instance_ids"] == [stopped]
    assert not workspace.show()["values"]["root_module"]["resources"][0].get("tainted")  # an update: not tainted

    # the instance is started by hand: the plan shows the pending retry, the apply reboots it alone
    emulator.backend.set_status(stopped, "Running")
    plan = workspace.run("plan", "-detailed-exitcode", "-no-color", check=False)
    # the CLI aligns the "=" of a block's attributes: match any run of spaces before it
    assert plan.returncode == 2 and re.search(r"failed_instance_ids\s+= \[", plan.stdout)
    assert "(known after apply)" in plan.stdout
    seen = len(emulator.requests())
    workspace.run("apply", "-auto-approve", "-no-color")
    assert reboots(emulator) == [2, 2, 2, 2] and reboot_calls(emulator, seen) == [[stopped]]
    [state] = workspace.resources().values()
    assert state["failed_instance_ids"] == []
    assert workspace.run("plan", "-detailed-exitcode", "-no-color").returncode == 0


def test_a_failed_first_apply_is_tainted_and_untaint_then_apply_retries_only_the_failed_instance(
        make_workspace: MakeWorkspace, emulator: ThreadedEmulator) -> None:
    """The documented step: a create that reports an error is tainted by the CLI (its rule), and a tainted trigger
    would be replaced, rebooting every instance again; `tofu untaint` keeps the recorded state instead."""
    ids = emulator.instance_ids()
    emulator.backend.set_status(ids[1], "Stopped")
    workspace = make_workspace()
    workspace.write(configuration(emulator.url, trigger(instance_ids=ids, batch_optimization="SuccessFirst")))
    failed = workspace.run("apply", "-auto-approve", "-no-color", check=False)
    assert failed.returncode == 1
    error = shown(failed.stderr)
    assert f"{ids[1]} (IncorrectInstanceStatus" in error and "first run `tofu untaint`" in error
    assert reboots(emulator) == [1, 0, 1, 1]
    replace = workspace.run("plan", "-no-color")
    assert "is tainted, so it must be replaced" in replace.stdout  # what a plain apply would do

    emulator.backend.set_status(ids[1], "Running")
    workspace.run("untaint", "-no-color", f"{TYPE}.web")
    seen = len(emulator.requests())
    workspace.run("apply", "-auto-approve", "-no-color")
    assert reboots(emulator) == [1, 1, 1, 1] and reboot_calls(emulator, seen) == [[ids[1]]]


@pytest.fixture
def timed_emulator() -> Iterator[tuple[ThreadedEmulator, TimedLog]]:
    with timed_emulator_of(6, FAST) as timed:
        yield timed


def test_rolling_waves_never_reboot_more_than_max_unavailable(
        make_workspace: MakeWorkspace, timed_emulator: tuple[ThreadedEmulator, TimedLog]) -> None:
    emu, log = timed_emulator
    ids = emu.instance_ids()
    workspace = make_workspace()
    workspace.write(configuration(emu.url, trigger(instance_ids=ids, max_unavailable=2, triggers={"v": "1"})))
    applied = workspace.run("apply", "-auto-approve", "-no-color", env={"TF_LOG": "info"})
    assert [emu.reboot_counts()[i] for i in ids] == [1] * 6
    for wave in (1, 2, 3):
        assert f"wave {wave}/3" in applied.stderr  # the provider's progress, in the CLI's log
    rebooted, most = most_away_at_once(log, away=sum(FAST.values()))
    assert rebooted == 6 and most <= 2, f"{most} instances rebooting at once"


def test_ctrl_c_stops_the_wait_promptly_and_the_next_apply_retries_only_the_unconfirmed(
        make_workspace: MakeWorkspace, emulator: ThreadedEmulator) -> None:
    ids = emulator.instance_ids()
    workspace = make_workspace()
    write = lambda version: workspace.write(configuration(emulator.url, trigger(  # noqa: E731
        instance_ids=ids, max_unavailable=2, triggers={"v": version})))
    write("1")
    workspace.run("apply", "-auto-approve", "-no-color")
    write("2")
    seen = len(emulator.requests())
    with second_wave_held(emulator, seen) as second_wave, \
            workspace.start("apply", "-auto-approve", "-no-color") as proc:
        assert second_wave.wait(120), "the second wave was never sent"
        time.sleep(1.0)  # the provider is now waiting for the second wave
        interrupted = time.monotonic()
        interrupt(proc)  # a terminal's Ctrl-C: SIGINT to the CLI and the provider alike
        out, err = proc.communicate(timeout=60)
        took = time.monotonic() - interrupted
    assert proc.returncode != 0
    assert took < 15, f"tofu apply took {took:.1f} s to stop after Ctrl-C"
    assert "Interrupt received" in out
    assert "instance(s) not rebooted (cancelled)" in shown(err)
    [state] = workspace.resources().values()
    second = reboot_calls(emulator, seen)[1]
    assert sorted(state["failed_instance_ids"]) == sorted(second)

    emulator.backend.set_durations(FAST)
    for instance in second:
        emulator.backend.set_status(instance, "Running")
    seen = len(emulator.requests())
    workspace.run("apply", "-auto-approve", "-no-color")
    assert sorted(i for call in reboot_calls(emulator, seen) for i in call) == sorted(state["failed_instance_ids"])
    assert workspace.run("plan", "-detailed-exitcode", "-no-color").returncode == 0


def test_destroy_with_a_retry_pending_reboots_nothing(make_workspace: MakeWorkspace,
                                                      emulator: ThreadedEmulator) -> None:
    """`tofu destroy` first refreshes with an ordinary plan (the CLI's own step), which checks the pending retry
    with a dry run; the destroy itself calls nothing, and `-refresh=false` skips that plan."""
    ids = emulator.instance_ids()[:2]
    workspace = make_workspace()
    write = lambda version: workspace.write(configuration(emulator.url, trigger(  # noqa: E731
        instance_ids=ids, batch_optimization="SuccessFirst", triggers={"v": version})))
    write("1")
    workspace.run("apply", "-auto-approve", "-no-color")
    emulator.backend.set_status(ids[0], "Stopped")
    write("2")
    workspace.run("apply", "-auto-approve", "-no-color", check=False)
    calls = Calls(emulator)
    workspace.run("destroy", "-auto-approve", "-no-color")
    assert calls.take() == {"RebootInstances:DryRun": 1} and reboots(emulator) == [1, 2, 0, 0]
    assert workspace.resources() == {}

    workspace.run("apply", "-auto-approve", "-no-color", check=False)  # again, with the instance still Stopped
    calls.take()
    workspace.run("destroy", "-refresh=false", "-auto-approve", "-no-color")
    assert calls.take() == {} and workspace.resources() == {}
