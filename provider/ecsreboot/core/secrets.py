"""A process-wide record of secret strings, to scrub them from any text that leaves the plugin."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from typing import Any

from .values import Secret

REDACTED = "[secret]"
#: shorter strings (like "1" or "true") would scrub ordinary words; they are not worth a leak hunt
_MIN_LEN = 4


class SecretScrubber:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._secrets: frozenset[str] = frozenset()

    def add(self, values: Iterable[str | None]) -> None:
        new = {v for v in values if isinstance(v, str) and len(v) >= _MIN_LEN}
        if new - self._secrets:
            with self._lock:
                self._secrets = self._secrets | new

    def add_from(self, value: Any) -> None:
        """Record every string inside any Secret in ``value`` (at any depth)."""
        found: list[str] = []
        _collect(value, False, found)
        if found:
            self.add(found)

    def __call__(self, text: str) -> str:
        for secret in sorted(self._secrets, key=len, reverse=True):
            if secret in text:
                text = text.replace(secret, REDACTED)
        return text


def _collect(value: Any, inside: bool, out: list[str]) -> None:
    # the common cases first, by exact type: ABC checks (Mapping) cost more than the rest of the walk
    if type(value) is str:
        if inside:
            out.append(value)
        return
    if type(value) is dict:
        for v in value.values():
            _collect(v, inside, out)
        return
    if isinstance(value, Secret):
        _collect(value.value, True, out)
    elif isinstance(value, Mapping):
        for v in value.values():
            _collect(v, inside, out)
    elif isinstance(value, list | tuple):
        for v in value:
            _collect(v, inside, out)
    elif inside and isinstance(value, str):
        out.append(value)
    elif inside and isinstance(value, int | float) and not isinstance(value, bool):
        out.append(repr(value))
