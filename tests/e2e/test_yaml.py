"""A YAML program through Pulumi's own YAML language host, and `pulumi import` from the command line.

`pulumi import` needs the project's language host (to generate the code to paste), and the Go module proxy
serves no Python host: the YAML host that `make pulumi` builds runs it, and also proves that the schema
the plugin serves (GetSchema) is one the engine's type checker and code generator accept.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ecsreboot.emulator import ThreadedEmulator
from ecsreboot.testing.realcli import Project

from .conftest import MakeProject
from .test_lifecycle import TYPE, Calls, reboots


@pytest.fixture
def yaml_project(make_project: MakeProject, pulumi_cli: Path, tmp_path: Path) -> Project:
    if not (pulumi_cli.parent / "pulumi-language-yaml").is_file():
        pytest.skip(f"no pulumi-language-yaml beside {pulumi_cli} (make pulumi builds it)")
    source = tmp_path / "yaml-source"
    source.mkdir()
    (source / "Pulumi.yaml").write_text("name: ecsreboot-yaml\nruntime: yaml\nresources: {}\n")
    return make_project(source)


def program(project: Project, resources: dict[str, object]) -> None:
    """Pulumi.yaml with these resources (JSON is YAML)."""
    body = {"name": "ecsreboot-yaml", "runtime": "yaml", "resources": resources}
    (project.dir / "Pulumi.yaml").write_text(json.dumps(body, indent=2))


def test_pulumi_import_from_the_command_line_then_a_trigger(yaml_project: Project,
                                                           emulator: ThreadedEmulator) -> None:
    ids = emulator.instance_ids()[:2]
    calls = Calls(emulator)
    imported = yaml_project.run("import", TYPE, "web", "cn-hangzhou/" + ",".join(ids), "--yes")
    assert "= 1 imported" in imported.stdout or "1 imported" in imported.stdout
    # the code to paste, generated from the plugin's schema
    assert "type: ecsreboot:RebootTrigger" in imported.stdout
    assert "regionId: cn-hangzhou" in imported.stdout
    [state] = yaml_project.resources(TYPE)
    assert state["outputs"]["instanceIds"] == ids and state["outputs"]["rebootCount"] == 0
    assert calls.take() == {} and reboots(emulator) == [0, 0, 0, 0]

    web = {"type": TYPE, "properties": {"instanceIds": ids, "regionId": "cn-hangzhou"}, "options": {"protect": True}}
    program(yaml_project, {"web": web})
    yaml_project.run("preview", "--expect-no-changes")
    yaml_project.run("refresh", "--yes", "--expect-no-changes")
    assert calls.take() == {}

    web["properties"]["triggers"] = {"nginx.conf": "worker_processes 4;"}  # type: ignore[index]
    program(yaml_project, {"web": web})
    diff = yaml_project.run("preview", "--diff")
    assert '+ nginx.conf: "worker_processes 4;"' in diff.stdout
    yaml_project.run("up", "--yes", "--skip-preview")
    assert reboots(emulator) == [1, 1, 0, 0]
    yaml_project.run("up", "--yes", "--skip-preview", "--expect-no-changes")
    assert reboots(emulator) == [1, 1, 0, 0]


def test_a_misspelled_property_is_caught_by_the_schema(yaml_project: Project, emulator: ThreadedEmulator) -> None:
    program(yaml_project, {"web": {"type": TYPE, "properties": {"instanceIDs": emulator.instance_ids()}}})
    preview = yaml_project.run("preview", check=False)
    assert preview.returncode != 0
    assert "instanceIDs" in preview.output
    assert calls_made(emulator) == 0


def calls_made(emulator: ThreadedEmulator) -> int:
    return len(emulator.requests())
