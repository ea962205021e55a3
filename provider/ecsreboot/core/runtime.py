"""Process-wide settings of the interpreter, applied by the entry points (plugin, CLI, emulator), never on import."""

from __future__ import annotations

import gc

#: allocations (net) between two young-generation collections; Python's default is 700
YOUNG_COLLECTION_EVERY = 10_000


def tune_garbage_collector() -> None:
    """Collect cyclic garbage less often than Python's default.

    A round keeps a few objects per instance (its outcome, its last record, its place in the watch) for the
    whole round, so at 100,000 instances the heap grows by about a million tracked objects while replies are
    parsed. With the default thresholds that growth ran some 2,300 young and 16 full collections, the full
    ones each walking the whole heap with the GIL held (up to a quarter of a second, every thread stopped):
    about 1.4 s of a 100,000-instance round's 9 s of CPU, and calls in flight waited through each pause. The
    process's data is nearly free of reference cycles (refcounting frees it), so collecting rarely costs
    little memory; a collection still runs, every ``YOUNG_COLLECTION_EVERY`` net allocations."""
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_COLLECTION_EVERY, middle, old)
