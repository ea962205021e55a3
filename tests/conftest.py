"""Fixtures shared by every test tier."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import settings

from ecsreboot.testing import EngineServer

# No property test is timed: hypothesis's default deadline (200 ms per example) failed a test on a machine
# busy with other work. Speed is measured in `make bench`, never asserted by a test.
settings.register_profile("ecsreboot", deadline=None)
settings.load_profile("ecsreboot")


@pytest.fixture
def engine() -> Iterator[EngineServer]:
    """The engine's Log service on 127.0.0.1, collecting what a plugin logs."""
    server = EngineServer()
    yield server
    server.stop()
