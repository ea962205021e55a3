"""Time, passed in: every waiting loop takes a Clock so tests run without real sleeping.

``sleep`` takes an optional cancel event and returns early (False) when it is set, which is how
Pulumi's Cancel makes a running wait return promptly.
"""

from __future__ import annotations

import datetime as _dt
import threading
import time
from typing import Protocol


class Clock(Protocol):
    def monotonic(self) -> float:
        """Seconds on a clock that never goes back; only differences mean anything."""
        ...

    def utcnow(self) -> _dt.datetime:
        """The wall-clock time, timezone-aware UTC."""
        ...

    def sleep(self, seconds: float, cancel: threading.Event | None = None) -> bool:
        """Wait ``seconds``; return False at once if ``cancel`` is (or becomes) set."""
        ...


class SystemClock:
    """The real clock."""

    def monotonic(self) -> float:
        return time.monotonic()

    def utcnow(self) -> _dt.datetime:
        return _dt.datetime.now(_dt.UTC)

    def sleep(self, seconds: float, cancel: threading.Event | None = None) -> bool:
        if cancel is None:
            if seconds > 0:
                time.sleep(seconds)
            return True
        return not cancel.wait(max(0.0, seconds))


#: Where every FakeClock's ``monotonic()`` starts: about 31.7 years, beyond the reading of any real
#: monotonic clock (Linux counts it from boot). So a deadline taken from the real clock and compared on a
#: fake one is already past, and one taken from a fake clock is never reached on the real one: a test that
#: mixes the two fails on every machine, not only on a freshly booted one.
FAKE_EPOCH = 1_000_000_000.0


class FakeClock:
    """A clock that only moves when slept on or advanced: deterministic tests, no real waiting.

    ``monotonic()`` starts at ``start`` (at least ``FAKE_EPOCH``); ``utcnow()`` at ``wall``. Thread-safe, so
    threads of one round can share it.
    """

    def __init__(self, start: float = FAKE_EPOCH, wall: _dt.datetime | None = None) -> None:
        if start < FAKE_EPOCH:
            raise ValueError(f"a FakeClock starts at FAKE_EPOCH ({FAKE_EPOCH:g}) or later, not {start:g}: an "
                             "early start could agree with a real monotonic clock and hide a mix of the two")
        self._now = start
        self._start = start
        self._wall = wall or _dt.datetime(2026, 1, 1, tzinfo=_dt.UTC)
        self._lock = threading.Lock()
        self.slept: list[float] = []

    def monotonic(self) -> float:
        with self._lock:
            return self._now

    def utcnow(self) -> _dt.datetime:
        with self._lock:
            return self._wall + _dt.timedelta(seconds=self._now - self._start)

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._now += max(0.0, seconds)

    def sleep(self, seconds: float, cancel: threading.Event | None = None) -> bool:
        if cancel is not None and cancel.is_set():
            return False
        with self._lock:
            self.slept.append(seconds)
            self._now += max(0.0, seconds)
        return not (cancel is not None and cancel.is_set())


def rfc3339(moment: _dt.datetime) -> str:
    """``2026-01-02T03:04:05Z``: the form of ``Timestamp``, ``x-acs-date`` and ``lastRebootTime``."""
    return moment.astimezone(_dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
