"""The OpenTofu tier: the `tofu` CLI built from Go modules (`make tofu`) drives `terraform-provider-ecsreboot`.

Offline and hermetic (``ecsreboot.testing.tofucli``): the provider is installed as a user installs a provider that
is on no registry — copied into a filesystem mirror that a CLI configuration file (``TF_CLI_CONFIG_FILE``, always
set) names for ``ecsreboot/*`` — and `tofu init` runs once per test process; each configuration folder gets a copy
of what it installed. The emulator counts reboots and API calls at every step.

Without a CLI the tier is skipped with one line saying so — unless ``ECSREBOOT_E2E=required`` (what `make test`
sets when Go is on PATH), where a missing CLI fails the tier instead.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from ecsreboot import __version__
from ecsreboot.emulator import ThreadedEmulator
from ecsreboot.testing.tofucli import Mirror, Workspace, find_tofu, required_providers
from tests.realengine import Calls, reboots

__all__ = ["Calls", "reboots"]  # the tier's modules import them from here

KEY = {"ALIBABA_CLOUD_ACCESS_KEY_ID": "emulator-key", "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "emulator-secret"}
FAST = {"Stopping": 0.2, "Starting": 0.2}
TYPE = "ecsreboot_reboot_trigger"

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="session")
def tofu_cli() -> Path:
    cli = find_tofu()
    if cli is None:
        reason = "OpenTofu tier: no tofu CLI (run `make tofu`, which needs Go, or put `tofu` on PATH)"
        if os.environ.get("ECSREBOOT_E2E") == "required":
            pytest.fail(reason + " — required here because Go is on PATH", pytrace=False)
        pytest.skip(reason)
    return cli


@pytest.fixture(scope="session")
def mirror(tofu_cli: Path, tmp_path_factory: pytest.TempPathFactory) -> Mirror:
    return Mirror(tmp_path_factory.mktemp("tofu-mirror"), __version__)


@pytest.fixture
def emulator() -> Iterator[ThreadedEmulator]:
    with ThreadedEmulator(instances=4, durations=FAST) as emu:
        yield emu


def hcl(value: Any) -> str:
    """A value in HCL's native syntax (JSON's lists, strings, numbers and booleans are HCL too; objects take `=`);
    inside maps and lists too, a string starting with `=` is an expression."""
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{json.dumps(k)} = {expression(v)}" for k, v in value.items()) + " }"
    if isinstance(value, list):
        return "[" + ", ".join(expression(v) for v in value) + "]"
    return json.dumps(value)


def expression(value: Any) -> str:
    """A value as HCL; a string starting with `=` is written as the expression after it (`=var.key_id`)."""
    return value[1:] if isinstance(value, str) and value.startswith("=") else hcl(value)


def provider_block(endpoint: str, region: str = "cn-hangzhou", alias: str | None = None, **extra: Any) -> str:
    lines = [f"  region   = {hcl(region)}", f"  endpoint = {hcl(endpoint)}"]
    lines += [f"  {k} = {expression(v)}" for k, v in extra.items()]
    if alias:
        lines.append(f"  alias    = {hcl(alias)}")
    return 'provider "ecsreboot" {\n' + "\n".join(lines) + "\n}\n"


def trigger(name: str = "web", blocks: str = "", **arguments: Any) -> str:
    """A resource block: arguments as HCL values (a string starting with `=` is written as an expression)."""
    lines = [f"  {k} = {expression(v)}" for k, v in arguments.items()]
    return f'resource "{TYPE}" "{name}" {{\n' + "\n".join(lines) + ("\n" + blocks if blocks else "") + "\n}\n"


MakeWorkspace = Callable[..., Workspace]


@pytest.fixture
def make_workspace(tofu_cli: Path, mirror: Mirror, emulator: ThreadedEmulator, tmp_path: Path) -> MakeWorkspace:
    """A configuration folder with the provider installed (a copy of the mirror's `tofu init`), the emulator's key
    in the environment; ``init=False`` leaves `tofu init` to the test."""
    made = 0

    def make(env: dict[str, str | None] | None = None, init: bool = True) -> Workspace:
        nonlocal made
        made += 1
        workspace = Workspace(tofu_cli, tmp_path / f"ws{made}", mirror, env=KEY if env is None else env)
        if init:
            workspace.adopt_init()
        return workspace

    return make


def configuration(endpoint: str, *resources: str, provider: str | None = None) -> str:
    return required_providers() + (provider or provider_block(endpoint)) + "".join(resources)
