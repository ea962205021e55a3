"""Fixtures of the resilience suites: emulators, the engine's Log service, plugin processes.

The client fixture (``ecs_client_for``) is the component tier's; the plugin fixtures follow the plugin
tier's (hermetic environment, recognisable credentials). Everything binds 127.0.0.1 and stops by itself.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from ecsreboot.emulator import ThreadedEmulator
from ecsreboot.testing import EngineServer, Plugin, hermetic_env
from tests.component.conftest import ecs_client_for
from tests.plugin.conftest import ACCESS_KEY_ID, ACCESS_KEY_SECRET

__all__ = ["ecs_client_for"]

MakePlugin = Callable[..., Plugin]


def provider_config(emu: ThreadedEmulator, **extra: Any) -> dict[str, Any]:
    """The provider configuration that points a plugin at ``emu`` with the suite's access key."""
    return {"region": "cn-hangzhou", "endpoint": emu.url, "accessKey": ACCESS_KEY_ID,
            "secretKey": ACCESS_KEY_SECRET, **extra}


def emulator(**kw: Any) -> ThreadedEmulator:
    """A started emulator accepting the suite's access key (stop it, or use it in ``with``)."""
    kw.setdefault("access_keys", {ACCESS_KEY_ID: ACCESS_KEY_SECRET})
    kw.setdefault("durations", {"Stopping": 0.05, "Starting": 0.05})
    return ThreadedEmulator(**kw).start()



@pytest.fixture
def home(tmp_path: Path) -> Path:
    path = tmp_path / "home"
    path.mkdir()
    return path


@pytest.fixture
def make_plugin(engine: EngineServer, home: Path) -> Iterator[MakePlugin]:
    """``make_plugin(config, **env)``: a started plugin process (hermetic env, temp HOME); all stopped afterwards.

    ``config=None`` launches it without Handshake/Configure (for CheckConfig tests).
    """
    made: list[Plugin] = []

    def make(config: dict[str, Any] | None, **env: str) -> Plugin:
        plugin = Plugin(engine, env=hermetic_env(home, **env))
        made.append(plugin)
        if config is not None:
            plugin.start(config)
        return plugin

    yield make
    for plugin in made:
        plugin.stop()
