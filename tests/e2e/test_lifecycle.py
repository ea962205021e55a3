"""Pulumi's ProgramTest sequence under the real CLI: preview, up, no-change runs, edits, refresh, import,
export, destroy — with the emulator counting reboots and API calls at every step."""

from __future__ import annotations

import json

from ecsreboot.emulator import ThreadedEmulator
from ecsreboot.testing.realcli import Project
from tests.realengine import Calls, reboots

from .conftest import MakeProject

TYPE = "ecsreboot:index:RebootTrigger"


def resources(project: Project, spec: dict[str, object]) -> None:
    project.config_object("resources", spec)


def test_program_test_sequence(make_project: MakeProject, emulator: ThreadedEmulator) -> None:
    ids = emulator.instance_ids()
    project = make_project()
    spec = {"web": {"instance_ids": ids, "triggers": {"configHash": "v1", "nginx.conf": "a"}}}
    resources(project, spec)
    calls = Calls(emulator)

    # preview: the create is shown, the DryRun reaches the emulator, nothing reboots
    preview = project.run("preview", "--diff")
    assert f"+ {TYPE}: (create)" in preview.stdout
    assert "dry run passed for 4 of 4 instance(s)" in preview.output
    assert calls.take() == {"RebootInstances:DryRun": 1}
    assert reboots(emulator) == [0, 0, 0, 0]

    # up: every instance rebooted exactly once, progress per wave in the CLI's output, outputs recorded
    up = project.run("up", "--yes", "--skip-preview")
    assert reboots(emulator) == [1, 1, 1, 1]
    assert "wave 1/1: rebooting 4 instance(s)" in up.stdout
    assert "rebooted 4 of 4 instance(s) and Running again" in up.stdout
    made = calls.take()
    assert made["RebootInstances"] == 1 and made["RebootInstances:DryRun"] == 0
    web = project.outputs()["web"]
    assert web["rebootCount"] == 1 and web["failedInstanceIds"] == []
    assert sorted(r["instanceId"] for r in web["results"]) == sorted(ids)
    assert all(r["code"] == "200" for r in web["results"]) and len(web["requestIds"]) == 1

    # nothing changed: no step, and no API call of any kind
    project.run("preview", "--expect-no-changes")
    project.run("up", "--yes", "--skip-preview", "--expect-no-changes")
    project.run("refresh", "--yes", "--skip-preview", "--expect-no-changes")
    assert calls.take() == {}
    assert reboots(emulator) == [1, 1, 1, 1]

    # a trigger change: the diff names the key (one key even with a dot in it), up reboots once more
    spec["web"]["triggers"] = {"configHash": "v1", "nginx.conf": "b"}
    resources(project, spec)
    changed = project.run("preview", "--diff")
    assert f"~ {TYPE}: (update)" in changed.stdout
    assert '~ nginx.conf: "a" => "b"' in changed.stdout
    assert "configHash" not in changed.stdout.split("(update)")[1].split("Resources:")[0].replace(
        'configHash: "v1"', "")  # the unchanged key is not reported as changed
    diff = project.run("preview", "--json")
    steps = [s for s in json.loads(diff.stdout)["steps"] if s["urn"].endswith("::web")]
    assert steps[0]["op"] == "update"
    assert steps[0]["detailedDiff"] == {'triggers["nginx.conf"]': {"kind": "update", "inputDiff": True}}
    calls.take()
    project.run("up", "--yes", "--skip-preview")
    assert reboots(emulator) == [2, 2, 2, 2]
    assert project.outputs()["web"]["rebootCount"] == 2

    # a change of forceReboot alone: an update, and no reboot
    spec["web"]["force_reboot"] = True
    resources(project, spec)
    calls.take()
    update = project.run("up", "--yes", "--skip-preview")
    assert "1 updated" in update.stdout
    assert reboots(emulator) == [2, 2, 2, 2]
    assert "RebootInstances" not in calls.take()
    [state] = project.resources(TYPE)
    assert state["outputs"]["forceReboot"] is True and state["outputs"]["rebootCount"] == 2

    # destroy: no API call, nothing left
    project.run("destroy", "--yes", "--skip-preview")
    assert calls.take() == {}
    assert project.resources(TYPE) == []
    assert reboots(emulator) == [2, 2, 2, 2]


def test_import_adopts_a_trigger_without_rebooting(make_project: MakeProject, emulator: ThreadedEmulator) -> None:
    """The `import` resource option: the engine Reads the id, then checks the program's inputs against it."""
    ids = emulator.instance_ids()[:2]
    project = make_project()
    calls = Calls(emulator)
    resources(project, {"web": {"instance_ids": ids, "region_id": "cn-hangzhou",
                                "import": "cn-hangzhou/" + ",".join(ids)}})
    preview = project.run("preview")
    assert "= 1 to import" in preview.stdout
    imported = project.run("up", "--yes", "--skip-preview")
    assert "1 imported" in imported.stdout
    [state] = project.resources(TYPE)
    assert state["id"] == "cn-hangzhou/" + ",".join(ids)
    assert state["outputs"]["instanceIds"] == ids and state["outputs"]["rebootCount"] == 0
    assert calls.take() == {} and reboots(emulator) == [0, 0, 0, 0]
    # the program without the option is no change; adding a trigger then reboots the adopted instances
    resources(project, {"web": {"instance_ids": ids, "region_id": "cn-hangzhou"}})
    project.run("preview", "--expect-no-changes")
    resources(project, {"web": {"instance_ids": ids, "region_id": "cn-hangzhou", "triggers": {"v": 1}}})
    project.run("up", "--yes", "--skip-preview")
    assert reboots(emulator) == [1, 1, 0, 0]


def test_preview_of_an_unknown_instance_fails_with_the_api_code(make_project: MakeProject,
                                                                emulator: ThreadedEmulator) -> None:
    project = make_project()
    resources(project, {"web": {"instance_ids": [emulator.instance_ids()[0], "i-doesnotexist0000001"]}})
    preview = project.run("preview", check=False)
    assert preview.returncode != 0
    assert "i-doesnotexist0000001" in preview.output
    assert "InvalidInstanceId.NotFound" in preview.output
    assert "RequestId" in preview.output
    assert reboots(emulator) == [0, 0, 0, 0]
