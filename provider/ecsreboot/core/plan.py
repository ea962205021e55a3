"""Pure planning: which instances go in which call and which wave."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TypeVar

T = TypeVar("T")


def chunked(items: Sequence[T], size: int) -> Iterator[list[T]]:
    """Consecutive slices of at most ``size`` items (size >= 1). ``chunked(range(250), 100)`` -> 100, 100, 50."""
    if size < 1:
        raise ValueError("chunk size must be at least 1")
    for start in range(0, len(items), size):
        yield list(items[start:start + size])


def waves(instance_ids: Sequence[str], max_unavailable: int | None) -> list[list[str]]:
    """Rolling waves: at most ``max_unavailable`` instances each; one wave of all when None."""
    if not instance_ids:
        return []
    if max_unavailable is None or max_unavailable >= len(instance_ids):
        return [list(instance_ids)]
    return list(chunked(instance_ids, max_unavailable))


def dedupe(instance_ids: Sequence[str]) -> list[str]:
    """Order-preserving de-duplication: an instance listed twice is rebooted once."""
    return list(dict.fromkeys(instance_ids))
