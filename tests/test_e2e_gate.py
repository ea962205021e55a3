"""The real-engine tiers' gate: without its CLI (Pulumi for tests/e2e, OpenTofu for tests/e2e_tofu) a tier skips with
one line saying why — unless ECSREBOOT_E2E=required (what `make test` sets when Go is on PATH), where it fails
instead, so a CI machine with Go can never pass with a tier silently skipped."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

#: tier: (the variable naming its CLI, a module of the tier, its tests, the skip reason)
TIERS = {
    "pulumi": ("ECSREBOOT_PULUMI", "tests/e2e/test_demo.py", 1, "no Pulumi CLI (run `make pulumi`, which needs Go"),
    "tofu": ("ECSREBOOT_TOFU", "tests/e2e_tofu/test_lifecycle.py", 2, "no tofu CLI (run `make tofu`, which needs Go"),
}


def _run_tier(tier: str, **env: str) -> subprocess.CompletedProcess[str]:
    variable, module, _, _ = TIERS[tier]
    environ = {**os.environ, variable: f"/nonexistent/{tier}", **env}
    environ.pop("PYTEST_XDIST_WORKER", None)
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:xdist", "-p", "no:cacheprovider", "-q", "-rs",
                           module], cwd=ROOT, env=environ, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("tier", sorted(TIERS))
def test_without_a_cli_the_tier_skips_saying_why(tier: str) -> None:
    done = _run_tier(tier, ECSREBOOT_E2E="")
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"{TIERS[tier][2]} skipped" in done.stdout
    assert TIERS[tier][3] in done.stdout


@pytest.mark.parametrize("tier", sorted(TIERS))
def test_when_required_a_missing_cli_fails_the_tier(tier: str) -> None:
    done = _run_tier(tier, ECSREBOOT_E2E="required")
    assert done.returncode != 0
    assert "required here because Go is on PATH" in done.stdout
