"""Fixtures: an emulator, the engine's Log service, and the real plugin process configured for both."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ecsreboot.emulator import ThreadedEmulator
from ecsreboot.testing import Deployment, EngineServer, Plugin, hermetic_env

#: recognisable credentials, so leak checks can search for them
ACCESS_KEY_ID = "LTAI5tLeakCanaryKeyId0001"
ACCESS_KEY_SECRET = "LeakCanarySecretValue0002"
FAST = {"Stopping": 0.05, "Starting": 0.05}



@pytest.fixture
def emulator() -> Iterator[ThreadedEmulator]:
    with ThreadedEmulator(durations=FAST, access_keys={ACCESS_KEY_ID: ACCESS_KEY_SECRET}) as emu:
        yield emu



@pytest.fixture
def plugin_env(tmp_path: Path) -> dict[str, str]:
    return hermetic_env(tmp_path)


@pytest.fixture
def plugin(engine: EngineServer, emulator: ThreadedEmulator, plugin_env: dict[str, str]) -> Iterator[Plugin]:
    p = Plugin(engine, env=plugin_env)
    p.start({"region": "cn-hangzhou", "endpoint": emulator.url, "accessKey": ACCESS_KEY_ID,
             "secretKey": ACCESS_KEY_SECRET})
    yield p
    p.stop()


@pytest.fixture
def deployment(plugin: Plugin) -> Deployment:
    return Deployment(plugin)
