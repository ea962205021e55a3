"""The generated SDK under ``pulumi.runtime`` mocks: no engine, no plugin, only the SDK's wiring.

``sdk/python`` goes on ``sys.path`` here, so ``pulumi_ecsreboot`` is the generated source tree (not an
installed copy). Each test gets fresh mocks through the ``mocks`` fixture, which also records the raw
RegisterResource/ReadResource requests (for the plugin version and the options the SDK sends).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from dataclasses import dataclass

import pulumi
import pytest

from .mocking import ROOT, RecordingMocks, RecordingMonitor, environment_names

SDK = ROOT / "sdk" / "python"
if str(SDK) not in sys.path:
    sys.path.insert(0, str(SDK))


@dataclass
class Harness:
    mocks: RecordingMocks
    monitor: RecordingMonitor


@pytest.fixture
def mocks(monkeypatch: pytest.MonkeyPatch) -> Iterator[Harness]:
    """Fresh mocks for one test, with the schema's environment fallbacks and stack config cleared."""
    for name in environment_names():
        monkeypatch.delenv(name, raising=False)
    pulumi.runtime.set_all_config({})
    recording = RecordingMocks()
    monitor = RecordingMonitor(recording)
    pulumi.runtime.set_mocks(recording, project="sdktest", stack="dev", preview=False, monitor=monitor)
    yield Harness(recording, monitor)
    pulumi.runtime.set_all_config({})
