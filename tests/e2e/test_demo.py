"""`make demo` with the real CLI: the quickstart, unchanged, through real preview and up against the emulator."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from ecsreboot.testing.realcli import REPO, cli_version


def test_make_demo_runs_the_quickstart_under_the_real_cli(pulumi_cli: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ALIBABA_CLOUD_", "ALICLOUD_", "ECSREBOOT_"))}
    env.update(ECSREBOOT_DEMO_FAST="1", ECSREBOOT_PULUMI=str(pulumi_cli))
    done = subprocess.run([sys.executable, str(REPO / "examples" / "demo.py"), "--tofu", "skip"], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=300)
    out = done.stdout
    assert done.returncode == 0, out + done.stderr
    assert f"under the real Pulumi CLI {cli_version(pulumi_cli)}" in out
    steps = re.split(r"\n(?=\d\. pulumi )", out)
    preview, up, rerun, changed = steps[1:5]
    assert "+ ecsreboot:index:RebootTrigger: (create)" in preview and "reboots per instance: 0 0 0 0" in preview
    assert "RebootInstances (DryRun) x1" in preview
    assert "reboots per instance: 1 1 1 1" in up and re.search(r"rebootCount\s*: 1\n", up)
    assert "API calls in this step: none" in rerun
    assert "~ configHash" in changed and "reboots per instance: 2 2 2 2" in changed
    assert re.search(r"rebootCount\s*: 1 => 2\n", changed)
    assert "reboots per instance after up, unchanged re-run, changed trigger: 1, 1, 2" in out
    assert "emulator-secret" not in out + done.stderr
    # issue 16: nothing a user would take for a problem, e.g. "using pulumi-resource-ecsreboot from $PATH" or
    # the bare "1 warning" counts it left (the quickstart's Pulumi.yaml names the plugin's folder instead)
    assert "warning" not in (out + done.stderr).lower(), out + done.stderr
