"""`make demo` (examples/demo.py) on this machine: exit status, the steps it shows, the reboot counts it checks."""

from __future__ import annotations

import os
import re
import subprocess
import sys

from .conftest import EXAMPLES, ROOT


def test_demo_walks_the_quickstart_through_preview_and_up() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ALIBABA_CLOUD_", "ALICLOUD_", "ECSREBOOT_"))}
    env["ECSREBOOT_DEMO_FAST"] = "1"
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / "demo.py"), "--engine", "harness", "--tofu", "skip"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )
    out = done.stdout
    assert done.returncode == 0, done.stdout + done.stderr
    assert "reboots per instance after up, unchanged re-run, changed trigger: 1, 1, 2" in out
    steps = re.split(r"\n(?=\d\. pulumi )", out)
    preview, up, rerun, changed = steps[1:5]
    assert "+ ecsreboot:index:RebootTrigger web create" in preview and "dry run passed for 4 of 4" in preview
    assert "reboots per instance: 0 0 0 0" in preview and "RebootInstances (DryRun) x1" in preview
    assert "reboots per instance: 1 1 1 1" in up and "rebootCount=1" in up and "wave 1/1" in up
    assert "unchanged" in rerun and "API calls in this step: none" in rerun
    assert "~ ecsreboot:index:RebootTrigger web update [diff: ~triggers.configHash]" in changed
    assert "reboots per instance: 2 2 2 2" in changed and "rebootCount=2" in changed
    assert "emulator-secret" not in out + done.stderr


def test_demo_fails_loudly_when_asked_for_a_cli_that_is_not_there() -> None:
    # a CLI named by ECSREBOOT_PULUMI that does not exist: none is found (not even .tools/bin/pulumi)
    env = {**os.environ, "PATH": os.path.dirname(sys.executable), "ECSREBOOT_PULUMI": "/nonexistent/pulumi"}
    done = subprocess.run([sys.executable, str(EXAMPLES / "demo.py"), "--engine", "cli"], env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 1 and "no Pulumi CLI: run `make pulumi`" in done.stderr
