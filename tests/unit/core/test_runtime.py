"""core/runtime: the entry points' collector setting -- young collections rarer, the older generations as they were."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from ecsreboot.core.runtime import YOUNG_COLLECTION_EVERY, tune_garbage_collector


@pytest.fixture
def thresholds() -> Iterator[tuple[int, int, int]]:
    before = gc.get_threshold()
    yield before
    gc.set_threshold(*before)


def test_young_collections_come_every_young_collection_every_allocations(thresholds: tuple[int, int, int]) -> None:
    gc.set_threshold(700, 11, 12)
    tune_garbage_collector()
    assert gc.get_threshold() == (YOUNG_COLLECTION_EVERY, 11, 12)
    assert YOUNG_COLLECTION_EVERY > 700  # rarer than Python's default
    assert gc.isenabled()  # cyclic garbage is still collected
