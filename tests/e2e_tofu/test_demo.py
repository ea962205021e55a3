"""`make demo`'s OpenTofu part: the Terraform quickstart, unchanged, through the real plan and apply against the
emulator, the provider installed from a filesystem mirror."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from ecsreboot.testing.tofucli import REPO


def test_make_demo_runs_the_terraform_quickstart_under_opentofu(tofu_cli: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ALIBABA_CLOUD_", "ALICLOUD_", "ECSREBOOT_"))}
    env.update(ECSREBOOT_DEMO_FAST="1", ECSREBOOT_TOFU=str(tofu_cli))
    done = subprocess.run([sys.executable, str(REPO / "examples" / "demo.py"), "--tofu", "only"], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=300)
    out = done.stdout
    assert done.returncode == 0, out + done.stderr
    assert "examples/terraform/quickstart under OpenTofu v" in out
    steps = re.split(r"\n(?=\d\. )", out)
    plan, apply, rerun, changed = steps[1:5]
    assert "ecsreboot_reboot_trigger.web will be created" in plan and "reboots per instance: 0 0 0 0" in plan
    assert "RebootInstances (DryRun) x1" in plan
    assert "reboots per instance: 1 1 1 1" in apply and "reboot_count = 1" in apply
    assert "No changes." in rerun and "API calls in this step: none" in rerun
    assert '~ "config_hash" = ' in changed and "reboots per instance: 2 2 2 2" in changed
    assert "reboots per instance after apply, unchanged plan, changed trigger: 1, 1, 2" in out
    assert "emulator-secret" not in out + done.stderr
