"""The real-engine tiers' gate: without a Pulumi CLI (or OpenTofu) a tier skips with one line saying why — unless
ECSREBOOT_E2E=required (what `make test` sets when Go is on PATH), where it fails instead, so a CI
machine with Go can never pass with the tier silently skipped."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _run_tier(**env: str) -> subprocess.CompletedProcess[str]:
    environ = {**os.environ, "ECSREBOOT_PULUMI": "/nonexistent/pulumi", **env}
    environ.pop("PYTEST_XDIST_WORKER", None)
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:xdist", "-p", "no:cacheprovider", "-q", "-rs",
                           "tests/e2e/test_demo.py"], cwd=ROOT, env=environ, capture_output=True, text=True,
                          timeout=120)


def test_without_a_cli_the_tier_skips_saying_why() -> None:
    done = _run_tier(ECSREBOOT_E2E="")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 skipped" in done.stdout
    assert "no Pulumi CLI (run `make pulumi`, which needs Go" in done.stdout


def test_when_required_a_missing_cli_fails_the_tier() -> None:
    done = _run_tier(ECSREBOOT_E2E="required")
    assert done.returncode != 0
    assert "required here because Go is on PATH" in done.stdout


def _run_tofu_tier(**env: str) -> subprocess.CompletedProcess[str]:
    environ = {**os.environ, "ECSREBOOT_TOFU": "/nonexistent/tofu", **env}
    environ.pop("PYTEST_XDIST_WORKER", None)
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:xdist", "-p", "no:cacheprovider", "-q", "-rs",
                           "tests/e2e_tofu/test_lifecycle.py"], cwd=ROOT, env=environ, capture_output=True,
                          text=True, timeout=120)


def test_without_tofu_the_opentofu_tier_skips_saying_why() -> None:
    done = _run_tofu_tier(ECSREBOOT_E2E="")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "2 skipped" in done.stdout
    assert "no tofu CLI (run `make tofu`, which needs Go" in done.stdout


def test_when_required_a_missing_tofu_fails_the_opentofu_tier() -> None:
    done = _run_tofu_tier(ECSREBOOT_E2E="required")
    assert done.returncode != 0
    assert "required here because Go is on PATH" in done.stdout
