"""The TypeScript and Go quickstarts (examples/quickstart-ts, examples/quickstart-go) under the real engine,
against the emulator, with Pulumi's generated Node.js and Go SDKs.

Each program runs as an Automation API inline program of its own language (tests/e2e/automation/node.js for
TypeScript, the example's own automation/ command for Go): the `pulumi` CLI built by `make pulumi` connects
back to the program, since the Go module proxy serves neither Pulumi's Node.js nor its Go language host.
`make nodejs` / `make golang` (part of `make test`) build the SDKs and programs first.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from ecsreboot.emulator import ThreadedEmulator
from ecsreboot.testing.realcli import REPO, Project

from .conftest import MakeProject
from .test_lifecycle import Calls, reboots

TYPE = "ecsreboot:index:RebootTrigger"
EXAMPLES = REPO / "examples"
NODE_RUNNER = Path(__file__).resolve().parent / "automation" / "node.js"
GO_RUNNER = REPO / ".tools" / "bin" / "ecsreboot-quickstart-go-automation"
#: the examples name the plugin's folder (issue 16: no "using pulumi-resource-ecsreboot from $PATH" warning)
PLUGIN_PATH = "path: ../../.venv/bin"
#: a value the stack holds as a secret: it must never show up in plain text
TOKEN = "tok-3f9a1c77-do-not-print"


@dataclass
class Language:
    example: Path
    argv: Callable[[Project, str], list[str]]
    missing: Callable[[], str | None]  # why it cannot run here, or None


def _node_missing() -> str | None:
    built = EXAMPLES / "quickstart-ts" / "bin" / "index.js"
    if not shutil.which("node"):
        return "TypeScript quickstart: Node.js is not on PATH"
    if not built.is_file() or not (EXAMPLES / "quickstart-ts" / "node_modules" / "@ecsreboot" / "pulumi").is_dir():
        return "TypeScript quickstart: not built (run `make nodejs`)"
    return None


def _go_missing() -> str | None:
    return None if GO_RUNNER.is_file() else "Go quickstart: its Automation API runner is not built (run `make golang`)"


LANGUAGES = {
    "typescript": Language(
        EXAMPLES / "quickstart-ts",
        lambda project, op: [shutil.which("node") or "node", str(NODE_RUNNER), str(EXAMPLES / "quickstart-ts"),
                             str(project.dir), "e2e", op],
        _node_missing),
    "go": Language(
        EXAMPLES / "quickstart-go",
        lambda project, op: [str(GO_RUNNER), str(project.dir), "e2e", op],
        _go_missing),
}


def _run(language: Language, project: Project, op: str) -> dict[str, Any]:
    """One operation through the language's Automation API runner; its JSON report, output included."""
    done = subprocess.run(language.argv(project, op), env=project.env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"{op} failed:\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}"
    report: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    report["all_output"] = done.stdout + done.stderr
    return report


@pytest.mark.parametrize("name", sorted(LANGUAGES))
def test_quickstart_under_the_real_engine(name: str, make_project: MakeProject, emulator: ThreadedEmulator,
                                          tmp_path: Path) -> None:
    language = LANGUAGES[name]
    reason = language.missing()
    if reason:
        if os.environ.get("ECSREBOOT_E2E") == "required":
            pytest.fail(reason + " — required here", pytrace=False)
        pytest.skip(reason)

    # the project folder: the example's Pulumi.yaml (the program itself is loaded by the runner), its plugin
    # folder (relative to the example: the clone's virtualenv) made absolute for the copy
    source = tmp_path / "source"
    source.mkdir()
    text = (language.example / "Pulumi.yaml").read_text()
    assert PLUGIN_PATH in text
    plugins = (language.example / PLUGIN_PATH.split(": ")[1]).resolve()
    assert (plugins / "pulumi-resource-ecsreboot").is_file(), plugins
    (source / "Pulumi.yaml").write_text(text.replace(PLUGIN_PATH, f"path: {plugins}"))
    project = make_project(source)
    ids = emulator.instance_ids()
    project.config_object("instanceIds", ids)
    project.config("configText", "worker_processes 4;")
    project.config("deployToken", TOKEN, secret=True)
    calls = Calls(emulator)

    # preview: the create, checked with the API's DryRun; nothing reboots
    preview = _run(language, project, "preview")
    assert preview["changeSummary"] == {"create": 2}
    assert calls.take() == {"RebootInstances:DryRun": 1}
    assert reboots(emulator) == [0, 0, 0, 0]

    # up: every instance rebooted exactly once, the outputs exported by the program
    up = _run(language, project, "up")
    assert (up["result"], up["resourceChanges"]) == ("succeeded", {"create": 2})
    assert reboots(emulator) == [1, 1, 1, 1]
    assert calls.take()["RebootInstances"] == 1
    outputs = project.outputs()
    assert outputs["rebootCount"] == 1 and outputs["failedInstanceIds"] == []

    # unchanged: no step, and not a single API call
    same = _run(language, project, "up")
    assert same["resourceChanges"] == {"same": 2}
    assert calls.take() == {}
    assert reboots(emulator) == [1, 1, 1, 1]

    # a trigger change reboots every instance once more
    project.config("configText", "worker_processes 8;")
    changed = _run(language, project, "up")
    assert changed["resourceChanges"] == {"same": 1, "update": 1}
    assert reboots(emulator) == [2, 2, 2, 2]
    assert calls.take()["RebootInstances"] == 1
    assert project.outputs()["rebootCount"] == 2

    # the secret trigger: changing it reboots, and it is a secret in the state, never plain text anywhere
    project.config("deployToken", TOKEN + "-rotated", secret=True)
    rotated = _run(language, project, "up")
    assert rotated["resourceChanges"] == {"same": 1, "update": 1}
    assert reboots(emulator) == [3, 3, 3, 3]
    assert calls.take()["RebootInstances"] == 1
    [state] = project.resources(TYPE)
    token = state["outputs"]["triggers"]["deployToken"]
    assert isinstance(token, dict) and "ciphertext" in token
    everything = [preview, up, same, changed, rotated]
    assert not any("from $PATH" in r["all_output"] for r in everything), preview["all_output"]
    assert not any(TOKEN in r["all_output"] for r in everything)
    assert TOKEN not in json.dumps(project.export())
    assert TOKEN not in json.dumps(project.outputs())
    assert "[secret]" in rotated["stdout"]

    # destroy calls no API
    _run(language, project, "destroy")
    assert calls.take() == {}
    assert project.resources(TYPE) == []
