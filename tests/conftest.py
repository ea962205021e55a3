"""Fixtures shared by every test tier."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ecsreboot.testing import EngineServer


@pytest.fixture
def engine() -> Iterator[EngineServer]:
    """The engine's Log service on 127.0.0.1, collecting what a plugin logs."""
    server = EngineServer()
    yield server
    server.stop()
