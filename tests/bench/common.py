"""What the benchmarks share: settings, an arrival-time request recorder, poll-round grouping, the plugin."""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import tempfile
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ecsreboot.core.model import RoundOptions
from ecsreboot.emulator import ThreadedEmulator
from ecsreboot.testing import Deployment, EngineServer, Plugin, hermetic_env

REGION = "cn-hangzhou"
ACCESS_KEY = ("bench-key", "bench-secret")
DESCRIBES = ("DescribeInstances", "DescribeInstanceStatus")
#: what the plugin uses: reboot chunks and status polls in flight at once
CONCURRENCY = RoundOptions(region_id=REGION).concurrency


class BenchFailure(AssertionError):
    """A benchmark did not do what it measures (a reboot missing or doubled, an error surfaced...)."""


@dataclass(frozen=True)
class Settings:
    """What one run measures. Times in seconds."""

    sizes: tuple[int, ...] = (100, 1_000, 10_000)
    latency: float = 0.05
    stopping: float = 2.0
    starting: float = 3.0
    quick: bool = False
    #: the client's concurrency (the RoundOptions.concurrency default; ClientConfig.describe_concurrency matches)
    concurrency: int = CONCURRENCY
    check_diff_resources: int = 1_000
    many_resources: int = 200
    instances_per_resource: int = 5
    max_requests_per_second: float = 20.0
    startup_runs: int = 5
    throughput_seconds: float = 3.0
    #: under the real engine: resources in the unchanged-preview stack, previews per side, the fleet's size
    real_engine_resources: int = 1_000
    real_engine_runs: int = 3
    real_engine_fleet: int = 10_000
    #: instances of the one wave rebooted with and without a health check
    health_wave: int = 1_000

    @property
    def reboot_seconds(self) -> float:
        return self.stopping + self.starting

    #: one `ecsreboot reboot` of this many instances (wall and the CLI process's CPU)
    cli_fleet: int = 10_000
    #: one RebootTrigger over this many instances through the plugin (wall, peak RSS, state size)
    huge_fleet: int = 100_000

    def limit(self, n: int) -> float:
        """reboot duration + (minimum calls / concurrency) x latency; the minimum is three calls per 100 ids:
        the look (DescribeInstances) that records StartTime before the reboot, the RebootInstances, and a
        single poll (DescribeInstances) that finds all back."""
        return self.reboot_seconds + minimum_calls(n) / self.concurrency * self.latency


def calls_per_100(n: int) -> int:
    return math.ceil(n / 100)


def minimum_calls(n: int) -> int:
    return 3 * calls_per_100(n)


# --- the emulator, with a request log of our own ------------------------------------------------------


@dataclass(frozen=True)
class Request:
    """One API request as it arrived (before the emulator's added latency)."""

    at: float  # time.monotonic()
    action: str
    ids: tuple[str, ...]


class Recorder:
    """Wraps ``emulator.service.handle`` to log each API request at arrival.

    ``throttle_above``: answer ``Throttling`` (through the emulator's own fault plan) to any request
    that would make more than that many in the trailing second, as a service-side flow control would.
    """

    def __init__(self, emulator: ThreadedEmulator, *, throttle_above: int | None = None) -> None:
        self.requests: list[Request] = []
        self.throttled = 0
        self._emulator = emulator
        self._limit = throttle_above
        self._window: deque[float] = deque()
        self._lock = threading.Lock()
        handle = emulator.service.handle

        def recorded(req: Any) -> Any:
            now = time.monotonic()
            params = req.params
            with self._lock:
                self.requests.append(Request(now, req.action, _ids_of(params)))
                if self._limit is not None:
                    self._window.append(now)
                    while self._window and self._window[0] <= now - 1.0:
                        self._window.popleft()
                    if len(self._window) > self._limit:
                        self.throttled += 1
                        emulator.faults.throttle(req.action, count=1)
            return handle(req)

        setattr(emulator.service, "handle", recorded)  # noqa: B010 -- shadows the bound method

    def snapshot(self) -> list[Request]:
        with self._lock:
            return list(self.requests)

    def clear(self) -> None:
        with self._lock:
            self.requests.clear()


def _ids_of(params: dict[str, str]) -> tuple[str, ...]:
    if "InstanceIds" in params:
        try:
            ids = json.loads(params["InstanceIds"])
        except ValueError:
            return ()
        return tuple(str(i) for i in ids) if isinstance(ids, list) else ()
    if "InstanceId" in params:
        return (params["InstanceId"],)
    return tuple(v for k, v in params.items() if k.startswith("InstanceId."))


def count_actions(requests: Sequence[Request]) -> dict[str, int]:
    return dict(Counter(r.action for r in requests))


def poll_rounds(requests: Sequence[Request]) -> list[list[Request]]:
    """Describe calls grouped by poll round: a round asks for each pending id once, so a request
    that names an id already asked in the current round starts the next round."""
    rounds: list[list[Request]] = []
    asked: set[str] = set()
    for r in sorted((r for r in requests if r.action in DESCRIBES), key=lambda r: r.at):
        if not rounds or asked.intersection(r.ids):
            rounds.append([])
            asked = set()
        rounds[-1].append(r)
        asked.update(r.ids)
    return rounds


def max_in_window(times: Sequence[float], window: float = 1.0) -> int:
    """The most events in any half-open interval ``[t, t + window)``."""
    ordered = sorted(times)
    best, start = 0, 0
    for end, t in enumerate(ordered):
        while ordered[start] <= t - window:
            start += 1
        best = max(best, end - start + 1)
    return best


@contextmanager
def emulator(settings: Settings, instances: int, *, latency: float | None = None) -> Iterator[ThreadedEmulator]:
    with ThreadedEmulator(instances=instances, region=REGION, access_keys=dict([ACCESS_KEY]),
                          durations={"Stopping": settings.stopping, "Starting": settings.starting},
                          latency=settings.latency if latency is None else latency) as emu:
        yield emu


# --- the real plugin process ---------------------------------------------------------------------------



@dataclass
class PluginSession:
    engine: EngineServer
    plugin: Plugin
    deployment: Deployment
    home: tempfile.TemporaryDirectory[str] = field(repr=False)

    @property
    def pid(self) -> int:
        return int(self.plugin.process.pid)


@contextmanager
def plugin_for(emu: ThreadedEmulator, **config: Any) -> Iterator[PluginSession]:
    """The plugin started as the engine starts it, configured for ``emu`` (extra provider config allowed)."""
    home = tempfile.TemporaryDirectory(prefix="ecsreboot-bench-")
    engine = EngineServer()
    plugin = Plugin(engine, env=hermetic_env(Path(home.name)))
    try:
        plugin.start({"region": REGION, "endpoint": emu.url, "accessKey": ACCESS_KEY[0],
                      "secretKey": ACCESS_KEY[1], **config})
        yield PluginSession(engine, plugin, Deployment(plugin), home)
    finally:
        plugin.stop()
        engine.stop()
        home.cleanup()


def proc_status_kb(pid: int, field_name: str) -> int | None:
    """A ``kB`` field of /proc/<pid>/status (VmHWM, VmRSS), or None where /proc has none."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    for line in text.splitlines():
        if line.startswith(field_name + ":"):
            return int(line.split()[1])
    return None


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds of a process so far (/proc/<pid>/stat), or None without /proc."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    value = fn()
    return time.perf_counter() - start, value


def until_first_line(command: Sequence[str], accept: Callable[[str], bool], *, cwd: Path,
                     env: Mapping[str, str] | None = None) -> float:
    """Seconds from starting ``command`` to its first stdout line (a plugin's port or handshake line), which must
    satisfy ``accept``; the process is then stopped (SIGTERM, then SIGKILL)."""
    process = subprocess.Popen(list(command), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, cwd=str(cwd),
                               env=None if env is None else dict(env))
    try:
        assert process.stdout is not None
        seconds, line = timed(process.stdout.readline)
        if not accept(line.decode()):
            raise BenchFailure(f"{list(command)} printed {line!r} first")
        return float(seconds)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
