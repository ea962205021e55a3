"""The real-engine tier: the `pulumi` CLI built from Pulumi's Go modules (`make pulumi`) drives the plugin.

Offline (docs/engine-compatibility.md: temporary PULUMI_HOME, `file://` backend, passphrase secrets, no update
check, no plugin download). The plugin is found on PATH, from this virtualenv, as a user's engine finds it;
the program runs as an Automation API inline program (`ecsreboot.testing.program_host`) with the generated
SDK installed in the virtualenv. The emulator counts reboots and API calls at every step.

Without a CLI the tier is skipped with one line saying so — unless `ECSREBOOT_E2E=required` (what `make
test` sets when Go is on PATH), where a missing CLI fails the tier instead.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from ecsreboot.emulator import ThreadedEmulator
from ecsreboot.testing.realcli import Project, copy_project, find_pulumi

HERE = Path(__file__).resolve().parent
PROGRAM = HERE / "program"
KEY = {"ALIBABA_CLOUD_ACCESS_KEY_ID": "emulator-key", "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "emulator-secret"}
FAST = {"Stopping": 0.2, "Starting": 0.2}

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="session")
def pulumi_cli() -> Path:
    cli = find_pulumi()
    if cli is None:
        reason = ("real-engine tier: no Pulumi CLI (run `make pulumi`, which needs Go, or put `pulumi` on PATH)")
        if os.environ.get("ECSREBOOT_E2E") == "required":
            pytest.fail(reason + " — required here because Go is on PATH", pytrace=False)
        pytest.skip(reason)
    return cli


@pytest.fixture
def emulator() -> Iterator[ThreadedEmulator]:
    with ThreadedEmulator(instances=4, durations=FAST) as emu:
        yield emu


MakeProject = Callable[..., Project]


@pytest.fixture
def make_project(pulumi_cli: Path, emulator: ThreadedEmulator, tmp_path: Path) -> MakeProject:
    """A copy of a program folder (default: tests/e2e/program) with a fresh stack `e2e` pointed at the emulator.

    ``env`` adds to the plugin's environment (by default the emulator's key); ``endpoint=False`` leaves
    `ecsreboot:endpoint` unset; ``plugin_dirs`` go on PATH before this virtualenv's.
    """
    made = 0

    def make(source: Path = PROGRAM, env: dict[str, str | None] | None = None, endpoint: bool = True,
             stack: str = "e2e", plugin_dirs: tuple[Path, ...] = ()) -> Project:
        nonlocal made
        made += 1
        root = tmp_path / f"p{made}"
        project = Project(pulumi_cli, copy_project(source, root / "project"), root, env=KEY if env is None else env,
                          plugin_dirs=plugin_dirs)
        project.init(stack)
        if endpoint:
            project.config("ecsreboot:endpoint", emulator.url)
            project.config("ecsreboot:region", "cn-hangzhou")
        return project

    return make
