"""The README's route from a clone to `pulumi up` of one's own program, "A YAML program, with any Pulumi CLI",
run line by line as written, with the CLI `make pulumi` builds, against the emulator (issue 16).

A new user's machine: a fresh home directory, a PATH without this repository's virtualenv or CLI (so the CLI
comes from the README's `export PATH` and the plugin only from the folder `Pulumi.yaml` names), a bash
session in which `cd` and `export` carry over. Every README line runs verbatim except these, each of which
must match exactly one line of the block (so an edit of the README that drifts from them fails here):

- `git clone <this repository> ~/ecsreboot`: the clone is a copy of this checkout's files (committed or not:
  what is under test) at ~/ecsreboot; then the line's `cd ~/ecsreboot` runs;
- `make pulumi`: the CLI under test (built before the tests, as `make test` does) is linked as
  ~/ecsreboot/.tools/bin, where `make pulumi` puts it; the step checks the CLI and YAML host are there;
- `pulumi login --local`: `pulumi login file://$HOME`, the same local backend in the test's home (for `~`
  Pulumi asks the user database, not $HOME, and the test must not write into the real home directory);
- your instances and access keys: the emulator's ids, its key and its endpoint, as the example's README says.

What a user would type at the CLI's prompts comes from the environment: the passphrase
(`PULUMI_CONFIG_PASSPHRASE`) and the "yes" of `pulumi up` (`PULUMI_SKIP_CONFIRMATIONS`). pip installs the
plugin from PyPI or pip's cache, as for any user. After the README's lines, the README's sentence on
`nginx.conf` is checked too: `pulumi up` unchanged makes no API call, an edit of the file reboots again.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ecsreboot.emulator import ThreadedEmulator
from ecsreboot.testing.realcli import PASSPHRASE, REPO

from .conftest import KEY
from .shell import Shell, Step
from .test_lifecycle import TYPE, Calls, reboots

README = REPO / "README.md"
HEADING = "### A YAML program, with any Pulumi CLI"


def route() -> list[str]:
    """The commands of the README's YAML route: the first ```sh block after its heading."""
    text = README.read_text(encoding="utf-8")
    assert HEADING in text, f"README.md has no section {HEADING!r}"
    block = re.search(r"```sh\n(.*?)```", text[text.index(HEADING):], re.S)
    assert block, f"no ```sh block under {HEADING!r}"
    return [line for line in block.group(1).splitlines() if line.strip()]


def clone(dest: Path) -> None:
    """This checkout's files as `git clone` would give them, uncommitted edits included."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=REPO,
                            capture_output=True, check=True, timeout=60).stdout.decode().split("\0")
    for rel in filter(None, listed):
        source = REPO / rel
        if source.is_file():  # a file deleted but not yet committed is not in a clone
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / rel)


def new_users_environment(home: Path) -> dict[str, str]:
    """This machine's environment as a new user's: no virtualenv, CLI, Pulumi or Alibaba settings of ours."""
    ours = {Path(sys.executable).parent.resolve(), (REPO / ".venv").resolve(), (REPO / ".tools").resolve()}
    path = [d for d in os.environ.get("PATH", "").split(os.pathsep)
            if d and not any(Path(d).resolve() == o or o in Path(d).resolve().parents for o in ours)]
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("ALIBABA_CLOUD_", "ALICLOUD_", "ECSREBOOT_", "PULUMI_", "PIP_"))
           and k not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME")}
    env.update(
        HOME=str(home), PATH=os.pathsep.join(path), NO_COLOR="1", PULUMI_HOME=str(home / ".pulumi"),
        PULUMI_CONFIG_PASSPHRASE=PASSPHRASE,  # typed at `pulumi stack init`'s prompt
        PULUMI_SKIP_CONFIRMATIONS="true",  # the "yes" typed at `pulumi up`'s prompt
        # offline: no version check, and a missing plugin is an error, never a download
        PULUMI_SKIP_UPDATE_CHECK="true", PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION="true",
        ALIBABA_CLOUD_ECS_METADATA_DISABLED="true",
        # this machine's pip cache (a cold one only makes the install slower), without pip's version check
        PIP_CACHE_DIR=os.environ.get("PIP_CACHE_DIR", str(Path.home() / ".cache" / "pip")),
        PIP_DISABLE_PIP_VERSION_CHECK="1",
    )
    return env


def replacements(emulator: ThreadedEmulator) -> dict[str, str]:
    """README line (its start) -> what runs instead; see the module docstring."""
    ids = emulator.instance_ids()
    your_instances = " && ".join(f"pulumi config set --path 'instanceIds[{n}]' {iid}" for n, iid in enumerate(ids))
    keys = " ".join(f"{k}={v}" for k, v in KEY.items())
    return {
        "git clone <this repository> ~/ecsreboot && cd ~/ecsreboot": "cd ~/ecsreboot",
        "make pulumi ": "test -x .tools/bin/pulumi && test -x .tools/bin/pulumi-language-yaml",
        "pulumi login --local ": 'pulumi login "file://$HOME"',
        "pulumi config set --path 'instanceIds[0]' i-bp67acfmxazb4p0001": your_instances,
        "export ALIBABA_CLOUD_ACCESS_KEY_ID=... ALIBABA_CLOUD_ACCESS_KEY_SECRET=...":
            f"export {keys} && pulumi config set ecsreboot:endpoint {emulator.url}",
    }


def no_warning(step: Step) -> None:
    assert "warning" not in step.output.lower(), step.output
    assert "from $PATH" not in step.output, step.output


def test_the_readmes_yaml_route_reaches_pulumi_up_with_the_built_cli(pulumi_cli: Path, emulator: ThreadedEmulator,
                                                                      tmp_path: Path) -> None:
    if not (pulumi_cli.parent / "pulumi-language-yaml").is_file():
        pytest.skip(f"no pulumi-language-yaml beside {pulumi_cli} (make pulumi builds it)")
    home = tmp_path / "home"
    (home / "ecsreboot" / ".tools").mkdir(parents=True)
    clone(home / "ecsreboot")
    (home / "ecsreboot" / ".tools" / "bin").symlink_to(pulumi_cli.parent, target_is_directory=True)
    env = new_users_environment(home)
    assert shutil.which("pulumi-resource-ecsreboot", path=env["PATH"]) is None  # only Pulumi.yaml's folder has it

    commands = route()
    instead = replacements(emulator)
    for start in instead:
        assert sum(line.startswith(start) for line in commands) == 1, f"README route has no one line {start!r}"
    calls = Calls(emulator)
    shell = Shell(env, home)
    steps: dict[str, Step] = {}
    try:
        for line in commands:
            command = next((run for start, run in instead.items() if line.startswith(start)), line)
            step = shell.run(command, timeout=900 if "pip install" in line else 300)
            assert step.status == 0, f"README line `{line}` (ran `{command}`) exited {step.status}:\n{step.output}"
            steps[line.split("#")[0].strip()] = step

        assert (home / "my-reboots" / "venv" / "bin" / "pulumi-resource-ecsreboot").is_file()
        assert (home / ".pulumi" / "stacks" / "ecsreboot-quickstart-yaml" / "prod.json").is_file()
        preview, up = steps["pulumi preview"], steps["pulumi up"]
        assert f"+ {TYPE}" in preview.output or f"{TYPE} web create" in preview.output, preview.output
        assert "dry run passed for 4 of 4 instance(s)" in preview.output
        no_warning(preview)
        assert "rebooted 4 of 4 instance(s) and Running again" in up.output
        no_warning(up)
        assert reboots(emulator) == [1, 1, 1, 1]
        assert calls.take()["RebootInstances"] == 1  # one call for the 4 instances: each rebooted once

        # the README's sentence: unchanged, no API call; an edit of nginx.conf, a reboot
        same = shell.run("pulumi up", timeout=300)
        assert same.status == 0 and calls.take() == {} and reboots(emulator) == [1, 1, 1, 1], same.output
        edited = shell.run('echo "worker_processes 8;" >> nginx.conf && pulumi up', timeout=300)
        assert edited.status == 0, edited.output
        no_warning(edited)
        assert reboots(emulator) == [2, 2, 2, 2]
    finally:
        shell.close()
