"""The dynamic-provider variant under the real engine: Pulumi's own `pulumi-resource-pulumi-python` launcher
runs `ecsreboot.dynamic`'s provider (unpickled from the program's registration) in this virtualenv."""

from __future__ import annotations

from pathlib import Path

import pytest

from ecsreboot.emulator import ThreadedEmulator

from .conftest import HERE, MakeProject
from .test_lifecycle import Calls, reboots

DYNAMIC_TYPE = "pulumi-python:dynamic/ecsreboot:RebootTrigger"


def test_the_dynamic_variant_reboots_once_per_trigger_change(make_project: MakeProject, emulator: ThreadedEmulator,
                                                             pulumi_cli: Path) -> None:
    if not (pulumi_cli.parent / "pulumi-resource-pulumi-python").is_file():
        pytest.skip(f"no pulumi-resource-pulumi-python beside {pulumi_cli} (make pulumi installs it)")
    project = make_project(HERE / "dynamic_program")
    project.config_object("instanceIds", emulator.instance_ids())
    project.config("configText", "worker_processes 4;")
    calls = Calls(emulator)
    up = project.run("up", "--yes", "--skip-preview")
    assert reboots(emulator) == [1, 1, 1, 1]
    assert project.outputs()["rebootCount"] == 1
    [state] = project.resources(DYNAMIC_TYPE)
    assert "__provider" in state["inputs"]
    assert "emulator-secret" not in up.output
    calls.take()
    project.run("up", "--yes", "--skip-preview", "--expect-no-changes")
    assert calls.take() == {}
    project.config("configText", "worker_processes 8;")
    project.run("up", "--yes", "--skip-preview")
    assert reboots(emulator) == [2, 2, 2, 2]
    calls.take()
    project.run("destroy", "--yes", "--skip-preview")
    assert calls.take() == {} and project.resources(DYNAMIC_TYPE) == []
