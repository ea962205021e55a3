"""Memory: the plugin's peak RSS during the largest fleet round.

``fleet.run`` starts a fresh plugin process per fleet size and reads its ``VmHWM`` (the resident
set's high-water mark) from /proc right after the round, before stopping it; so the figure covers
start-up, Check of N ids, the round and the N per-instance results sent back over gRPC.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .fleet import FleetResult

TARGET_MB = 150.0


@dataclass
class MemoryResult:
    n: int
    peak_mb: float | None  # None where /proc is not available


def from_fleet(results: Sequence[FleetResult]) -> MemoryResult | None:
    """The peak of the largest fleet measured."""
    if not results:
        return None
    largest = max(results, key=lambda r: r.n)
    return MemoryResult(largest.n, None if largest.peak_rss_kb is None else largest.peak_rss_kb / 1024)
