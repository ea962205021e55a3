"""Adopting existing instances: an `import` block and `tofu import` reboot nothing, and the configured triggers are
adopted as they are, so only a later change of them reboots."""

from __future__ import annotations

import re

from ecsreboot.emulator import ThreadedEmulator

from .conftest import TYPE, Calls, MakeWorkspace, configuration, reboots, trigger


def test_an_import_block_adopts_the_instances_and_their_triggers_without_a_reboot(
        make_workspace: MakeWorkspace, emulator: ThreadedEmulator) -> None:
    ids = emulator.instance_ids()[:2]
    import_id = "cn-hangzhou/" + ",".join(ids)
    workspace = make_workspace()
    block = f'import {{\n  to = {TYPE}.web\n  id = "{import_id}"\n}}\n'
    workspace.write(configuration(emulator.url, trigger(instance_ids=ids, triggers={"config": "v1"})) + block)
    calls = Calls(emulator)
    plan = workspace.run("plan", "-no-color")
    assert f"# {TYPE}.web will be updated in-place" in plan.stdout and f'(imported from "{import_id}")' in plan.stdout
    assert re.search(r"\+ triggers\s+= \{", plan.stdout) and re.search(r"reboot_count\s+= 0", plan.stdout)
    assert "Plan: 1 to import, 0 to add, 1 to change, 0 to destroy." in plan.stdout
    applied = workspace.run("apply", "-auto-approve", "-no-color")
    assert "Resources: 1 imported, 0 added, 1 changed, 0 destroyed." in applied.stdout
    assert calls.take() == {} and reboots(emulator) == [0, 0, 0, 0]
    [state] = workspace.resources().values()
    assert state["id"] == import_id and state["triggers"] == {"config": "v1"} and state["reboot_count"] == 0

    # the import block can stay: nothing to do; a trigger change then reboots the adopted instances
    assert workspace.run("plan", "-detailed-exitcode", "-no-color").returncode == 0
    workspace.write(configuration(emulator.url, trigger(instance_ids=ids, triggers={"config": "v2"})) + block)
    workspace.run("apply", "-auto-approve", "-no-color")
    assert reboots(emulator) == [1, 1, 0, 0]


def test_tofu_import_then_apply_reboots_nothing(make_workspace: MakeWorkspace, emulator: ThreadedEmulator) -> None:
    ids = emulator.instance_ids()[2:]
    workspace = make_workspace()
    workspace.write(configuration(emulator.url, trigger(instance_ids=ids, triggers={"config": "v1"})))
    calls = Calls(emulator)
    imported = workspace.run("import", "-no-color", f"{TYPE}.web", ",".join(ids))  # the provider's region
    assert "Import successful!" in imported.stdout
    [state] = workspace.resources().values()
    assert state["instance_ids"] == ids and state["region_id"] == "cn-hangzhou" and state["triggers"] is None
    workspace.run("apply", "-auto-approve", "-no-color")
    assert workspace.run("plan", "-detailed-exitcode", "-no-color").returncode == 0
    assert calls.take() == {} and reboots(emulator) == [0, 0, 0, 0]
    workspace.write(configuration(emulator.url, trigger(instance_ids=ids, triggers={"config": "v1"}),
                                  trigger("other", instance_ids=ids)))
    bad = workspace.run("import", "-no-color", f"{TYPE}.other", "cn-hangzhou/not-an-id", check=False)
    shown = " ".join(bad.stderr.split())  # the CLI wraps lines
    assert bad.returncode == 1 and "The id of an ecsreboot_reboot_trigger to import names its instances" in shown
