"""The examples as their users run them: each program under mocks (no engine), the quickstart also through
the real plugin against the emulator, and the policy pack and workflow as the CLI and GitHub read them."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pulumi
import pytest

from ecsreboot.emulator import ThreadedEmulator

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
SDK = ROOT / "sdk" / "python"
if str(SDK) not in sys.path:
    sys.path.insert(0, str(SDK))
FAST = {"Stopping": 0.05, "Starting": 0.05}


def load(path: Path, name: str) -> ModuleType:
    """A module from a file that is not on sys.path (examples are not a package)."""
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


mockrun = load(EXAMPLES / "mockrun.py", "ecsreboot_examples_mockrun")



@pytest.fixture(autouse=True)
def _fresh_config(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv("PULUMI_CONFIG", raising=False)
    yield
    pulumi.runtime.set_all_config({})


@pytest.fixture
def emulator() -> Iterator[ThreadedEmulator]:
    """The emulator with its default key and seed, so the ids in the examples' stack files exist."""
    with ThreadedEmulator(durations=FAST) as emu:
        yield emu
