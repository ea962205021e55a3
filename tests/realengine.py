"""What the real-engine tiers (tests/e2e for Pulumi, tests/e2e_tofu for OpenTofu) read from the emulator: API calls
per action, reboots per instance, the instances each reboot call named, how many were away from Running at once,
and a watcher that holds a rollout's second wave Stopping (for the Ctrl-C tests)."""

from __future__ import annotations

import contextlib
import threading
import time
from collections import Counter
from collections.abc import Iterator, Mapping
from typing import Any

from ecsreboot.emulator import ThreadedEmulator
from tests.inprocess import instance_ids_of

#: an emulator's request log with the monotonic time each request arrived
TimedLog = list[tuple[float, dict[str, Any]]]


class Calls:
    """API calls the emulator answered since the last ``take``."""

    def __init__(self, emu: ThreadedEmulator) -> None:
        self.emu = emu
        self.seen = len(emu.requests())

    def take(self) -> Counter[str]:
        requests = self.emu.requests()
        new, self.seen = requests[self.seen:], len(requests)
        return Counter(r["action"] + (":DryRun" if str(r["params"].get("DryRun", "")).lower() == "true" else "")
                       for r in new)


def reboots(emu: ThreadedEmulator) -> list[int]:
    """Real reboots of each of the emulator's instances, in creation order."""
    counts = emu.reboot_counts()
    return [counts[i] for i in emu.instance_ids()]


def is_reboot(entry: Mapping[str, Any]) -> bool:
    return bool(entry["action"] == "RebootInstances" and entry["params"].get("DryRun", "false") != "true")


def reboot_calls(emu: ThreadedEmulator, since: int = 0) -> list[list[str]]:
    """The instances of each (non-dry-run) RebootInstances call after the first ``since`` requests."""
    return [instance_ids_of(r["params"]) for r in emu.requests()[since:] if is_reboot(r)]


@contextlib.contextmanager
def timed_emulator(instances: int, durations: Mapping[str, float]) -> Iterator[tuple[ThreadedEmulator, TimedLog]]:
    """An emulator whose every answered request is recorded with the monotonic time it arrived."""
    log: TimedLog = []
    with ThreadedEmulator(instances=instances, durations=durations,
                          on_request=lambda e: log.append((time.monotonic(), e))) as emu:
        yield emu, log


def most_away_at_once(log: TimedLog, away: float) -> tuple[int, int]:
    """(instances rebooted, the most of them away from Running at one time), each away for ``away`` seconds from
    its reboot call (the emulator's Stopping + Starting)."""
    windows = [(t, t + away) for t, e in log if is_reboot(e) for _ in instance_ids_of(e["params"])]
    most = max((sum(1 for s, end in windows if s <= start < end) for start, _ in windows), default=0)
    return len(windows), most


@contextlib.contextmanager
def second_wave_held(emu: ThreadedEmulator, since: int = 0, seconds: float = 120.0) -> Iterator[threading.Event]:
    """A watcher that, once a second reboot call arrives (after request ``since``), keeps every instance it
    rebooted Stopping for ``seconds``: the event is set then. Stops with the block."""
    sent = threading.Event()
    done = threading.Event()

    def watch() -> None:
        while not done.is_set() and not sent.is_set():
            if len(reboot_calls(emu, since)) >= 2:
                emu.backend.set_durations({"Stopping": seconds})
                sent.set()
            time.sleep(0.005)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        yield sent
    finally:
        done.set()
        watcher.join(5)
