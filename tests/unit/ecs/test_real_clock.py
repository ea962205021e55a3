"""The few tests about real time: a real sleep cut short by cancel, a rate held on the real clock.

Everything here runs on the real clock alone -- the in-process emulator, the client and the deadlines
read one ``SystemClock`` -- and never on a fake one: a deadline from one clock compared on the other is
the bug these files are kept apart to avoid (fake clocks start at ``FAKE_EPOCH``, so such a mix fails on
every machine). Bounds are one-sided: a slow machine may take longer than the rate needs, never less.
"""

from __future__ import annotations

import threading

from ecsreboot.core.clock import FAKE_EPOCH, SystemClock
from ecsreboot.core.model import ProgressEvent, RoundOptions
from ecsreboot.ecs import PollSchedule, TokenBucket, run_round, wait_until_running
from tests.inprocess import REGION, InProcessCloud, ids


def test_cancel_interrupts_a_real_sleep_promptly() -> None:
    clock = SystemClock()
    ecs = InProcessCloud(["i-1"], clock=clock)
    ecs.backend.reboot_instances(REGION, ["i-1"])
    ecs.backend.set_stuck("i-1", "Stopping")
    cancel = threading.Event()
    timers: list[threading.Timer] = []

    def after_the_first_poll(back: int, total: int) -> None:  # cancel while the waiter sleeps its 30 s
        timers.append(threading.Timer(0.2, cancel.set))
        timers[-1].start()

    start = clock.monotonic()
    result = wait_until_running(ecs.client(), REGION, ["i-1"], deadline=start + 60, cancel=cancel, clock=clock,
                                schedule=PollSchedule(interval=30), on_poll=after_the_first_poll)
    assert result.cancelled and not result.timed_out and result.polls == 1
    # the 30 s pause after the first poll was cut short by the cancel, well before the next poll
    assert clock.monotonic() - start < 10.0


def test_a_cancelled_round_returns_promptly() -> None:
    """Cancel lands while the first of two waves waits (its instances stuck Stopping, polls 10 s apart): the
    round returns well before the next poll, and the second wave is never sent."""
    clock = SystemClock()
    ecs = InProcessCloud(ids(4), clock=clock)
    for i in ids(4):
        ecs.backend.set_stuck(i, "Stopping")
    cancel = threading.Event()
    cancelled_at: list[float] = []

    def on_progress(event: ProgressEvent) -> None:
        if event.kind == "waiting" and not cancel.is_set():  # the first wave's first poll is in
            cancelled_at.append(clock.monotonic())
            cancel.set()

    options = RoundOptions(region_id=REGION, max_unavailable=2, poll_interval=10.0, poll_max_interval=10.0)
    result = run_round(ecs.rebooter(), ids(4), options, progress=on_progress, cancel=cancel, clock=clock)
    assert result.cancelled
    assert clock.monotonic() - cancelled_at[0] < 5.0  # not the 10 s to the next poll
    assert ecs.rebooted() == dict.fromkeys(ids(2), 1)


def test_real_clock_rate_is_held() -> None:
    clock = SystemClock()
    bucket = TokenBucket(40.0, clock=clock)
    start = clock.monotonic()
    for _ in range(9):
        bucket.acquire()
    assert clock.monotonic() - start >= 8 / 40 - 0.01


def test_the_fake_epoch_lies_beyond_the_real_monotonic_clock() -> None:
    """What makes a mix of clocks fail everywhere: the real monotonic clock counts from boot, and no machine
    has been up for the ~31.7 years of FAKE_EPOCH."""
    assert SystemClock().monotonic() < FAKE_EPOCH
