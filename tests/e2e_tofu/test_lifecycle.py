"""`tofu init`, `plan`, `apply`, no-change plans, edits and `destroy` under the real CLI, the emulator counting
reboots and API calls at every step."""

from __future__ import annotations

import re

from ecsreboot.emulator import ThreadedEmulator

from .conftest import TYPE, Calls, MakeWorkspace, configuration, reboots, trigger


def test_init_plan_apply_no_change_edits_and_destroy(make_workspace: MakeWorkspace,
                                                     emulator: ThreadedEmulator) -> None:
    ids = emulator.instance_ids()
    workspace = make_workspace(init=False)
    write = lambda **arguments: workspace.write(configuration(emulator.url, trigger(**arguments)))  # noqa: E731
    write(instance_ids=ids, triggers={"configHash": "v1", "nginx.conf": "a"})

    # init installs the provider from the filesystem mirror, as a user's would
    init = workspace.run("init", "-input=false", "-no-color")
    assert "Installed ecsreboot/ecsreboot v0.1.0" in init.stdout
    calls = Calls(emulator)

    # plan: the create is shown with its defaults, the DryRun reaches the emulator, nothing reboots
    plan = workspace.run("plan", "-no-color")
    assert f"# {TYPE}.web will be created" in plan.stdout
    assert re.search(r'batch_optimization\s+= "AllTogether"', plan.stdout)
    assert re.search(r"reboot_count\s+= \(known after apply\)", plan.stdout)
    assert calls.take() == {"RebootInstances:DryRun": 1}
    assert reboots(emulator) == [0, 0, 0, 0]

    # apply: every instance rebooted exactly once, outputs recorded
    applied = workspace.run("apply", "-auto-approve", "-no-color")
    assert "Apply complete! Resources: 1 added" in applied.stdout
    assert reboots(emulator) == [1, 1, 1, 1]
    assert calls.take()["RebootInstances"] == 1
    [state] = workspace.resources().values()
    assert state["reboot_count"] == 1 and state["failed_instance_ids"] == []
    assert sorted(r["instance_id"] for r in state["results"]) == sorted(ids)
    assert {r["code"] for r in state["results"]} == {"200"} and len(state["request_ids"]) == 1

    # nothing changed: exit code 0 of -detailed-exitcode, refresh included, and no API call of any kind
    assert workspace.run("plan", "-detailed-exitcode", "-no-color").returncode == 0
    assert workspace.run("apply", "-refresh-only", "-auto-approve", "-no-color").returncode == 0
    assert workspace.run("plan", "-detailed-exitcode", "-no-color").returncode == 0
    assert calls.take() == {}

    # a trigger change: the plan names the key, the apply reboots once more
    write(instance_ids=ids, triggers={"configHash": "v1", "nginx.conf": "b"})
    changed = workspace.run("plan", "-detailed-exitcode", "-no-color", check=False)
    assert changed.returncode == 2
    assert f"# {TYPE}.web will be updated in-place" in changed.stdout
    assert '~ "nginx.conf" = "a" -> "b"' in changed.stdout and '"configHash"' not in changed.stdout.split(
        "will be updated")[1].split("~")[0]
    workspace.run("apply", "-auto-approve", "-no-color")
    assert reboots(emulator) == [2, 2, 2, 2]
    [state] = workspace.resources().values()
    assert state["reboot_count"] == 2

    # a change of force_reboot alone: an update, and no reboot
    write(instance_ids=ids, triggers={"configHash": "v1", "nginx.conf": "b"}, force_reboot=True)
    calls.take()
    update = workspace.run("apply", "-auto-approve", "-no-color")
    assert "1 changed" in update.stdout
    assert reboots(emulator) == [2, 2, 2, 2] and "RebootInstances" not in calls.take()
    [state] = workspace.resources().values()
    assert state["force_reboot"] is True and state["reboot_count"] == 2

    # destroy: no API call, nothing left
    destroyed = workspace.run("destroy", "-auto-approve", "-no-color")
    assert "Resources: 1 destroyed" in destroyed.stdout
    assert calls.take() == {} and workspace.resources() == {}
    assert reboots(emulator) == [2, 2, 2, 2]


def test_an_unknown_instance_fails_the_plan_with_the_api_code(make_workspace: MakeWorkspace,
                                                              emulator: ThreadedEmulator) -> None:
    workspace = make_workspace()
    workspace.write(configuration(emulator.url, trigger(instance_ids=[emulator.instance_ids()[0],
                                                                      "i-doesnotexist0000001"])))
    plan = workspace.run("plan", "-no-color", check=False)
    assert plan.returncode == 1
    assert "The dry run of the reboot failed" in plan.stderr
    assert "i-doesnotexist0000001" in plan.stderr and "InvalidInstanceId.NotFound" in plan.stderr
    assert "RequestId" in plan.stderr
    assert reboots(emulator) == [0, 0, 0, 0]
