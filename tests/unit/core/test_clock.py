"""FakeClock: starts beyond any real monotonic reading, moves only when slept on or advanced."""

from __future__ import annotations

import datetime as _dt
import threading

import pytest

from ecsreboot.core.clock import FAKE_EPOCH, FakeClock


def test_a_fake_clock_starts_at_the_fake_epoch_and_moves_only_when_told() -> None:
    clock = FakeClock()
    assert clock.monotonic() == FAKE_EPOCH
    assert clock.utcnow() == _dt.datetime(2026, 1, 1, tzinfo=_dt.UTC)
    clock.advance(2.5)
    assert clock.sleep(1.5) is True
    assert clock.monotonic() == FAKE_EPOCH + 4.0 and clock.slept == [1.5]
    assert clock.utcnow() == _dt.datetime(2026, 1, 1, 0, 0, 4, tzinfo=_dt.UTC)


def test_a_start_a_real_clock_could_show_is_refused() -> None:
    """A FakeClock at 0 or 1000 could agree with a machine's real monotonic clock (seconds since boot),
    so a test mixing the two would pass on some machines and fail on others."""
    with pytest.raises(ValueError, match="FAKE_EPOCH"):
        FakeClock(start=1000.0)
    assert FakeClock(start=FAKE_EPOCH + 5).monotonic() == FAKE_EPOCH + 5


def test_sleep_returns_false_when_cancelled() -> None:
    clock = FakeClock()
    cancel = threading.Event()
    cancel.set()
    assert clock.sleep(5.0, cancel) is False and clock.monotonic() == FAKE_EPOCH
