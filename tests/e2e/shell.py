"""One bash session, as a user's terminal: commands run one at a time, and ``cd`` and ``export`` carry over.

Each command's stdin is ``/dev/null`` (a prompt fails instead of reading the next command), its output
(stdout and stderr together) and exit status are collected up to a marker line, and each is bounded in time:
on a timeout, or at the end, the whole process group is killed.
"""

from __future__ import annotations

import contextlib
import os
import queue
import re
import signal
import subprocess
import threading
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


@dataclass
class Step:
    command: str
    status: int
    output: str
    seconds: float


class Shell:
    def __init__(self, env: Mapping[str, str], cwd: Path) -> None:
        self._marker = f"__step_done_{uuid.uuid4().hex}__"
        self._proc = subprocess.Popen(["bash", "--noprofile", "--norc"], stdin=subprocess.PIPE,
                                      stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=dict(env),
                                      cwd=cwd, start_new_session=True)
        self._lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read, name="shell-reader", daemon=True).start()

    def _read(self) -> None:
        assert self._proc.stdout is not None
        for line in self._proc.stdout:
            self._lines.put(line)
        self._lines.put(None)

    def run(self, command: str, timeout: float) -> Step:
        """``command`` in the session (braces: ``cd``/``export`` stay in this shell); its output and status."""
        assert self._proc.stdin is not None
        started = time.monotonic()
        self._proc.stdin.write(f"{{ {command}\n}} </dev/null 2>&1\necho \"{self._marker} $?\"\n")
        self._proc.stdin.flush()
        lines: list[str] = []
        deadline = started + timeout
        while True:
            try:
                line = self._lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                self.close()
                raise AssertionError(f"`{command}` ran longer than {timeout} s:\n{''.join(lines)[-4000:]}") from None
            if line is None:
                raise AssertionError(f"the shell ended during `{command}`:\n{''.join(lines)[-4000:]}")
            if line.startswith(self._marker):
                status = int(line.split()[1])
                return Step(command, status, _ANSI.sub("", "".join(lines)), time.monotonic() - started)
            lines.append(line)

    def close(self) -> None:
        with contextlib.suppress(Exception):
            assert self._proc.stdin is not None
            self._proc.stdin.close()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self._proc.wait(timeout=10)
        with contextlib.suppress(ProcessLookupError):  # whatever the session left behind
            os.killpg(self._proc.pid, signal.SIGKILL)
        self._proc.wait(timeout=10)
