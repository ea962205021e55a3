"""The provider's log: JSON lines on stderr in hclog's shape, which the CLI files under its own log levels.

go-plugin reads each stderr line of a provider; a JSON object with ``@level``, ``@message`` and ``@timestamp`` is
logged at that level (shown with ``TF_LOG=INFO`` or finer, written to ``TF_LOG_PATH``), anything else at debug.
Every message passes through the secret scrubber first (provider credentials), and no message this provider writes
holds an argument's value: trigger values are named by their keys only.
"""

from __future__ import annotations

import json
import sys
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TextIO

from ..core.model import ProgressEvent

MODULE = "ecsreboot"


class HcLog:
    """Thread-safe hclog JSON lines. Logging never fails a call."""

    def __init__(self, stream: TextIO | None = None, scrub: Callable[[str], str] = str,
                 now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self._stream = stream
        self._scrub = scrub
        self._now = now
        self._lock = threading.Lock()

    def log(self, level: str, message: str, **fields: Any) -> None:
        stamp = self._now().isoformat(timespec="microseconds").replace("+00:00", "Z")
        record = {"@level": level, "@message": self._scrub(message), "@module": MODULE, "@timestamp": stamp,
                  **{k: self._scrub(str(v)) for k, v in fields.items()}}
        line = json.dumps(record, ensure_ascii=False)
        with self._lock:
            stream = self._stream or sys.stderr
            try:
                stream.write(line + "\n")
                stream.flush()
            except (OSError, ValueError):  # the CLI went away: the step's result matters more
                pass

    def info(self, message: str, **fields: Any) -> None:
        self.log("info", message, **fields)

    def warn(self, message: str, **fields: Any) -> None:
        self.log("warn", message, **fields)

    def error(self, message: str, **fields: Any) -> None:
        self.log("error", message, **fields)

    def progress(self, resource: str) -> Callable[[ProgressEvent], None]:
        """A progress callback for one resource step: waves and statuses at info, warnings at warn."""

        def report(event: ProgressEvent) -> None:
            self.log("warn" if event.kind == "warning" else "info", event.message, resource=resource)

        return report
