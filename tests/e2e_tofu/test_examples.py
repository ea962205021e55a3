"""The OpenTofu examples, unchanged, under the real CLI against the emulator: the quickstart through plan, apply, an
unchanged plan and a changed configuration; the rolling example through validate and plan (its rollout plan), and
through a health-gated apply against an HTTP server per instance (its variables set, as a user sets them)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from ecsreboot.emulator import ThreadedEmulator
from ecsreboot.testing.tofucli import REPO
from tests.healthservers import HEALTHY, Fleet

from .conftest import Calls, MakeWorkspace, reboots

EXAMPLES = REPO / "examples" / "terraform"


def copied(name: str, workspace_dir: Path) -> None:
    for item in (EXAMPLES / name).glob("*.tf"):
        shutil.copy2(item, workspace_dir / item.name)


def test_the_quickstart(make_workspace: MakeWorkspace, emulator: ThreadedEmulator) -> None:
    workspace = make_workspace(init=False)
    copied("quickstart", workspace.dir)
    variables = {"TF_VAR_instance_ids": json.dumps(emulator.instance_ids()), "TF_VAR_endpoint": emulator.url,
                 "TF_VAR_config_text": "worker_processes 4;"}
    workspace.env.update(variables)
    workspace.run("init", "-input=false", "-no-color")
    calls = Calls(emulator)
    plan = workspace.run("plan", "-no-color")
    assert "ecsreboot_reboot_trigger.web will be created" in plan.stdout and '"config_hash" = "' in plan.stdout
    assert calls.take() == {"RebootInstances:DryRun": 1}
    applied = workspace.run("apply", "-auto-approve", "-no-color")
    assert "reboot_count = 1" in applied.stdout and "failed_instance_ids = tolist([])" in applied.stdout
    assert reboots(emulator) == [1, 1, 1, 1]
    calls.take()
    assert workspace.run("plan", "-detailed-exitcode", "-no-color").returncode == 0 and calls.take() == {}
    workspace.env["TF_VAR_config_text"] = "worker_processes 8;"
    changed = workspace.run("apply", "-auto-approve", "-no-color")
    assert "reboot_count = 2" in changed.stdout and reboots(emulator) == [2, 2, 2, 2]


def test_the_rolling_example_validates_and_plans_its_waves(make_workspace: MakeWorkspace,
                                                           emulator: ThreadedEmulator) -> None:
    workspace = make_workspace(init=False)
    copied("rolling", workspace.dir)
    workspace.env.update({"TF_VAR_instance_ids": json.dumps(emulator.instance_ids()),
                          "TF_VAR_endpoint": emulator.url, "TF_VAR_release": "v42"})
    workspace.run("init", "-input=false", "-no-color")
    assert "Success! The configuration is valid." in workspace.run("validate", "-no-color").stdout
    plan = workspace.run("plan", "-no-color", env={"TF_LOG": "info"})
    assert "rollout plan: 4 instance(s) in 2 wave(s) of at most 2" in plan.stderr
    assert "stops after more than 1 failed instance(s); pauses 30s between waves" in plan.stderr
    assert 'create = "30m"' in plan.stdout and reboots(emulator) == [0, 0, 0, 0]


def test_the_rolling_example_reboots_wave_by_wave_each_wave_gated_on_health(make_workspace: MakeWorkspace,
                                                                          emulator: ThreadedEmulator) -> None:
    ids = emulator.instance_ids()  # 4 instances: two waves of 2
    with Fleet([HEALTHY] * 4) as servers:
        servers.serve(emulator, ids)
        workspace = make_workspace(init=False)
        copied("rolling", workspace.dir)
        workspace.env.update({"TF_VAR_instance_ids": json.dumps(ids), "TF_VAR_endpoint": emulator.url,
                              "TF_VAR_release": "v42", "TF_VAR_pause_between_waves": "0",
                              "TF_VAR_health_url": f"http://{{privateIp}}:{servers.port}/healthz"})
        workspace.run("init", "-input=false", "-no-color")
        applied = workspace.run("apply", "-auto-approve", "-no-color")
        assert "failed_instance_ids = tolist([])" in applied.stdout
        assert reboots(emulator) == [1, 1, 1, 1]
        # the example's health_check: two healthy answers in a row per instance; wave 2 (instances 2 and 3) is
        # rebooted, and so first probed, only once both instances of wave 1 have had theirs
        healthy = [servers.healthy_at(n, threshold=2) for n in range(4)]
        assert all(at is not None for at in healthy), [servers.log(n) for n in range(4)]
        first_probe_of_wave_2 = min(servers.log(n)[0][0] for n in (2, 3))
        assert first_probe_of_wave_2 > max(healthy[0], healthy[1])  # type: ignore[type-var]
        assert workspace.run("plan", "-detailed-exitcode", "-no-color").returncode == 0
