"""Packaging facts a user relies on: console scripts, the plugin folder, its requirements."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def test_console_scripts_are_the_contract_names() -> None:
    scripts = _pyproject()["project"]["scripts"]
    assert scripts["ecsreboot"] == "ecsreboot.cli:main"
    assert scripts["pulumi-resource-ecsreboot"] == "ecsreboot.adapter.server:main"
    assert scripts["terraform-provider-ecsreboot"] == "ecsreboot.terraform.server:main"


def test_plugin_folder_runs_from_source() -> None:
    assert (ROOT / "provider" / "PulumiPlugin.yaml").read_text().strip() == "runtime: python"
    assert (ROOT / "provider" / "__main__.py").exists()


def test_plugin_requirements_equal_the_runtime_dependencies() -> None:
    lines = (ROOT / "provider" / "requirements.txt").read_text().splitlines()
    requirements = [line.strip() for line in lines if line.strip() and not line.startswith("#")]
    assert sorted(requirements) == sorted(_pyproject()["project"]["dependencies"])
