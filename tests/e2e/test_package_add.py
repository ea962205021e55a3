"""`pulumi package add` for a TypeScript project, under the real CLI: a local SDK generated from the schema the
plugin serves, linked into the project.

The CLI does this through Pulumi's Node.js language host (GeneratePackage, then Link). A released Pulumi CLI
ships that host; the one `make pulumi` builds from Go modules has none, because the Go module proxy does not
serve it. Then the command must fail for exactly that reason and nothing else, and the test is an expected
failure that says so; with the host present it must succeed.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from ecsreboot.testing.realcli import Project

from .conftest import MakeProject

PLUGIN = "pulumi-resource-ecsreboot"


def test_package_add_in_a_typescript_project(make_project: MakeProject, pulumi_cli: Path, tmp_path: Path) -> None:
    source = tmp_path / "ts-source"
    source.mkdir()
    (source / "Pulumi.yaml").write_text("name: ecsreboot-package-add\nruntime: nodejs\n")
    (source / "package.json").write_text(json.dumps({"name": "ecsreboot-package-add", "private": True}))
    project: Project = make_project(source, endpoint=False)
    plugin = shutil.which(PLUGIN, path=project.env["PATH"])
    assert plugin, f"{PLUGIN} is not on the project's PATH"

    added = project.run("package", "add", plugin, check=False, timeout=600)
    host = "pulumi-language-nodejs"
    if added.returncode != 0 and f"no language plugin '{host}' found" in added.output:
        assert not (project.dir / "sdks").exists()
        # the summary line `make test` prints: says it is expected, without the CLI's "error: ..." wording
        pytest.xfail(f"expected with the CLI `make pulumi` builds: `pulumi package add` needs Pulumi's Node.js "
                     f"language host ({host}), which a released Pulumi CLI ships but the Go module proxy does not "
                     f"serve (the CLI answered: no language plugin '{host}' found)")
    assert added.returncode == 0, added.output
    package = json.loads((project.dir / "sdks" / "ecsreboot" / "package.json").read_text())
    assert package["name"] == "@ecsreboot/pulumi" and package["pulumi"]["name"] == "ecsreboot"
    assert "@ecsreboot/pulumi" in json.loads((project.dir / "package.json").read_text())["dependencies"]
    assert "ecsreboot" in (project.dir / "Pulumi.yaml").read_text()
