"""Shared fixtures of the component tier: a running emulator on loopback."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from ecsreboot.core.credentials import Credentials
from ecsreboot.ecs import ClientConfig, EcsClient, RetryPolicy, StaticCredentialsProvider
from ecsreboot.emulator import ThreadedEmulator

EMULATOR_ACCESS_KEY = ("emulator-key", "emulator-secret")
EMULATOR_STS = ("STS.emulator-temp-key", "emulator-temp-secret", "emulator/sts+token*~ é")
#: short enough that waiting for Running again takes a fraction of a second
FAST_DURATIONS = {"Stopping": 0.05, "Starting": 0.05}


@pytest.fixture
def emulator() -> Iterator[ThreadedEmulator]:
    """A started emulator with four Running instances in cn-hangzhou, the access key
    ``emulator-key``/``emulator-secret`` and the STS triple ``EMULATOR_STS``; stopped afterwards."""
    with ThreadedEmulator(
        instances=4, region="cn-hangzhou", access_keys=dict([EMULATOR_ACCESS_KEY]), sts=[EMULATOR_STS],
        durations=FAST_DURATIONS,
    ) as emu:
        yield emu


@pytest.fixture
def emulator_sts() -> tuple[str, str, str]:
    """(access key id, secret, token) of the STS credentials the ``emulator`` fixture accepts."""
    return EMULATOR_STS


@pytest.fixture
def ecs_client_for() -> Iterator[Callable[..., EcsClient]]:
    """``ecs_client_for(emulator, **ClientConfig fields)``: an EcsClient signed with the emulator's key
    (``secret=`` overrides the secret), with retry backoff shortened to tens of milliseconds;
    every client made is closed afterwards."""
    made: list[EcsClient] = []

    def make(emu: ThreadedEmulator | None, *, secret: str = EMULATOR_ACCESS_KEY[1], **config: Any) -> EcsClient:
        settings: dict[str, Any] = {"region_id": "cn-hangzhou", "endpoint": emu.url if emu else None, **config}
        cfg = ClientConfig(**settings)
        client = EcsClient(cfg, StaticCredentialsProvider(Credentials(EMULATOR_ACCESS_KEY[0], secret)),
                           retry=RetryPolicy(max_retries=cfg.max_retries, base_delay=0.02, max_delay=0.2))
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()
