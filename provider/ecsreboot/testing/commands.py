"""Running a real CLI (``pulumi``, ``tofu``) bounded in time: what realcli.py and tofucli.py share.

Each command runs in a session of its own (a process group), so a timeout kills it with everything it started (the
plugins), and a test can signal the whole group as a terminal would.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

#: the repository (a working copy: the tiers and `make demo` run from one)
REPO = Path(__file__).resolve().parents[3]
#: where `make pulumi` and `make tofu` build the CLIs
TOOLS_BIN = REPO / ".tools" / "bin"


def find_cli(name: str, variable: str) -> Path | None:
    """The CLI ``name`` to test with, or None: ``$variable`` (a path), the one built into .tools/bin, ``name`` on
    PATH."""
    explicit = os.environ.get(variable)
    if explicit:
        return Path(explicit) if Path(explicit).is_file() else None
    if (TOOLS_BIN / name).is_file():
        return TOOLS_BIN / name
    found = shutil.which(name)
    return Path(found) if found else None


def overlaid(base: Mapping[str, str], changes: Mapping[str, str | None] | None) -> dict[str, str]:
    """``base`` with ``changes`` applied: a value sets its variable, None removes it."""
    env = dict(base)
    for key, value in (changes or {}).items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


@dataclass
class Result:
    """One finished CLI command."""

    program: str
    args: list[str]
    returncode: int
    stdout: str
    stderr: str
    seconds: float

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    def check(self) -> Result:
        if self.returncode != 0:
            raise CommandFailed(self)
        return self


class CommandFailed(Exception):
    def __init__(self, result: Result) -> None:
        self.result = result
        super().__init__(
            f"`{result.program} {' '.join(result.args)}` exited {result.returncode}\n--- stdout\n"
            f"{result.stdout[-6000:]}\n--- stderr\n{result.stderr[-6000:]}"
        )


def run(argv: Sequence[str], *, args: Sequence[str], cwd: Path, env: Mapping[str, str], timeout: float,
        stdin: str | None = None, check: bool = True) -> Result:
    """``argv`` to its end or ``timeout`` (then its whole process group is killed); ``args`` is what a failure
    names after the program."""
    started = time.monotonic()
    proc = subprocess.Popen(list(argv), cwd=cwd, env=dict(env), text=True, start_new_session=True,
                            stdin=subprocess.PIPE if stdin else subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    try:
        out, err = proc.communicate(stdin, timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate(timeout=30)
        err += f"\n[killed after {timeout} s]"
    result = Result(Path(argv[0]).name, list(args), proc.returncode, out, err, time.monotonic() - started)
    return result.check() if check else result


@contextlib.contextmanager
def background(argv: Sequence[str], *, cwd: Path, env: Mapping[str, str]) -> Iterator[subprocess.Popen[str]]:
    """``argv`` started in the background in a process group of its own; killed (the group) on exit."""
    proc = subprocess.Popen(list(argv), cwd=cwd, env=dict(env), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        yield proc
    finally:
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate(timeout=30)
