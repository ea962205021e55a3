"""The same provider under Terraform, when the machine has a `terraform` binary (`$ECSREBOOT_TERRAFORM`, or on PATH).

Terraform (BUSL-licensed since 1.6) cannot be built from Go modules, so nothing here builds it and this test is not
required; where a binary is present, it runs the lifecycle and the partial-failure path under it, with the same
filesystem mirror (Terraform resolves the provider to registry.terraform.io).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ecsreboot.emulator import ThreadedEmulator
from ecsreboot.testing.tofucli import Mirror, Workspace, find_terraform

from .conftest import KEY, TYPE, Calls, configuration, reboots, trigger


@pytest.fixture
def terraform(mirror: Mirror, tmp_path: Path) -> Workspace:
    cli = find_terraform()
    if cli is None:
        pytest.skip("no terraform binary (ECSREBOOT_TERRAFORM or PATH): Terraform cannot be built here")
    workspace = Workspace(cli, tmp_path / "tf", mirror, env=KEY)
    workspace.adopt_init()
    return workspace


def test_the_lifecycle_under_terraform(terraform: Workspace, emulator: ThreadedEmulator) -> None:
    ids = emulator.instance_ids()
    write = lambda **arguments: terraform.write(configuration(emulator.url, trigger(**arguments)))  # noqa: E731
    write(instance_ids=ids, triggers={"v": "1"}, max_unavailable=2)
    calls = Calls(emulator)
    plan = terraform.run("plan", "-no-color")
    assert f"# {TYPE}.web will be created" in plan.stdout and calls.take() == {"RebootInstances:DryRun": 1}
    terraform.run("apply", "-auto-approve", "-no-color")
    assert reboots(emulator) == [1, 1, 1, 1]
    calls.take()
    assert terraform.run("plan", "-detailed-exitcode", "-no-color").returncode == 0 and calls.take() == {}
    write(instance_ids=ids, triggers={"v": "2"}, max_unavailable=2)
    terraform.run("apply", "-auto-approve", "-no-color")
    assert reboots(emulator) == [2, 2, 2, 2]
    calls.take()
    terraform.run("destroy", "-auto-approve", "-no-color")
    assert calls.take() == {} and reboots(emulator) == [2, 2, 2, 2]


def test_a_failed_first_apply_under_terraform_is_tainted_and_untaint_retries_only_the_failed(
        terraform: Workspace, emulator: ThreadedEmulator) -> None:
    ids = emulator.instance_ids()
    emulator.backend.set_status(ids[3], "Stopped")
    terraform.write(configuration(emulator.url, trigger(instance_ids=ids, batch_optimization="SuccessFirst")))
    failed = terraform.run("apply", "-auto-approve", "-no-color", check=False)
    assert failed.returncode == 1 and "first run `tofu untaint`" in " ".join(failed.stderr.split())
    assert "is tainted, so must be replaced" in terraform.run("plan", "-no-color").stdout
    emulator.backend.set_status(ids[3], "Running")
    terraform.run("untaint", "-no-color", f"{TYPE}.web")
    terraform.run("apply", "-auto-approve", "-no-color")
    assert reboots(emulator) == [1, 1, 1, 1]
