"""The ``timeouts`` block's durations, written as Go's ``time.ParseDuration`` reads them (``30m``, ``1h30m``)."""

from __future__ import annotations

import re

_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)")
#: a round longer than a week is a typo, not a plan
MAX_SECONDS = 7 * 24 * 3600.0


def parse_duration(text: str) -> float:
    """Seconds in ``text``; ValueError saying what is accepted otherwise."""
    if not text or _PART.sub("", text) != "" or text.startswith((".", "-", "+")):
        raise ValueError(f"{text!r} is not a duration: write it like 30s, 10m or 1h30m")
    seconds = sum(float(number) * _UNITS[unit] for number, unit in _PART.findall(text))
    if not 0 < seconds <= MAX_SECONDS:
        raise ValueError(f"{text!r} must be more than 0 and at most 168h (a week)")
    return seconds
