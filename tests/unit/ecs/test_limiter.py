"""The token bucket: the request rate never exceeds maxRequestsPerSecond, across threads and clients."""

from __future__ import annotations

import itertools
import threading

import pytest

from ecsreboot.core.clock import FakeClock
from ecsreboot.core.errors import Cancelled, DeadlineExceeded, EcsError
from ecsreboot.ecs import TokenBucket
from tests.inprocess import REGION, InProcessCloud, ids, status_of


def _max_in_window(stamps: list[float], window: float) -> int:
    stamps = sorted(stamps)
    best, lo = 0, 0
    for hi, t in enumerate(stamps):
        while t - stamps[lo] >= window - 1e-9:
            lo += 1
        best = max(best, hi - lo + 1)
    return best


def test_sequential_acquires_are_spaced_by_one_over_rate() -> None:
    clock = FakeClock()
    bucket = TokenBucket(5.0, clock=clock)
    stamps = []
    for _ in range(20):
        bucket.acquire()
        stamps.append(clock.monotonic())
    gaps = [b - a for a, b in itertools.pairwise(stamps)]
    assert min(gaps) == pytest.approx(0.2)
    assert _max_in_window(stamps, 1.0) <= 5
    assert stamps[-1] - stamps[0] == pytest.approx(19 * 0.2)


def test_burst_allows_that_many_at_once_then_the_rate() -> None:
    clock = FakeClock()
    bucket = TokenBucket(2.0, burst=3, clock=clock)
    stamps = []
    for _ in range(9):
        bucket.acquire()
        stamps.append(clock.monotonic())
    assert stamps[:3] == [stamps[0]] * 3  # the burst is free
    assert _max_in_window(stamps, 1.0) <= 3 + 2


def test_idle_time_refills_no_more_than_the_burst() -> None:
    clock = FakeClock()
    bucket = TokenBucket(1.0, clock=clock)
    bucket.acquire()
    clock.advance(100)
    start = clock.monotonic()
    bucket.acquire()
    bucket.acquire()
    assert clock.monotonic() - start == pytest.approx(1.0)


def test_threads_sharing_a_bucket_never_exceed_the_rate() -> None:
    clock = FakeClock()
    bucket = TokenBucket(10.0, clock=clock)
    stamps: list[float] = []
    lock = threading.Lock()

    def worker() -> None:
        for _ in range(10):
            bucket.acquire()
            with lock:
                stamps.append(clock.monotonic())

    threads = [threading.Thread(target=worker) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(stamps) == 50
    assert _max_in_window(stamps, 1.0) <= 10


def test_two_clients_sharing_one_limiter_share_the_rate() -> None:
    clock = FakeClock()
    ecs = InProcessCloud(ids(5), clock=clock)
    limiter = TokenBucket(4.0, clock=clock)
    clients = [ecs.client(limiter=limiter) for _ in range(2)]
    for _ in range(6):
        for client in clients:
            status_of(client, REGION, ids(5))
    stamps = [r["at"] for r in ecs.requests()]  # when each request reached the emulator
    assert len(stamps) == 12 and {r["status"] for r in ecs.requests()} == {200}
    assert _max_in_window(stamps, 1.0) <= 4


def test_config_rate_builds_a_limiter() -> None:
    clock = FakeClock()
    client = InProcessCloud(ids(1), clock=clock).client(max_requests_per_second=2.0)
    assert client.limiter is not None and client.limiter.rate == 2.0
    began = clock.monotonic()
    for _ in range(3):
        status_of(client, REGION, ids(1))
    assert clock.monotonic() - began == pytest.approx(1.0)


def test_cancel_while_waiting_for_a_token() -> None:
    clock = FakeClock()
    bucket = TokenBucket(0.1, clock=clock)
    bucket.acquire()
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(Cancelled):
        bucket.acquire(cancel)


@pytest.mark.parametrize(("rate", "burst"), [(0, 1), (-1, 1), (1, 0.5)])
def test_bad_settings_are_refused(rate: float, burst: float) -> None:
    with pytest.raises(ValueError):
        TokenBucket(rate, burst=burst, clock=FakeClock())


def test_a_token_due_after_the_deadline_is_not_waited_for_and_not_taken() -> None:
    clock = FakeClock()
    bucket = TokenBucket(0.1, clock=clock)  # one request per 10 s
    bucket.acquire()
    with pytest.raises(DeadlineExceeded, match="rate limit"):
        bucket.acquire(deadline=clock.monotonic() + 5.0)
    assert clock.slept == []  # not a moment past the deadline
    bucket.acquire(deadline=clock.monotonic() + 10.0)  # the refused call reserved nothing
    assert clock.slept == [pytest.approx(10.0)]


def test_deadlines_bound_every_wait_of_a_call_rate_limit_retry_after_and_backoff() -> None:
    """Issue 9: Creates returned up to 28 s after their timeout. No wait of a call may pass its deadline."""
    clock = FakeClock()
    ecs = InProcessCloud(ids(1), clock=clock)
    ecs.faults.throttle("DescribeInstances", count=10, retry_after_ms=8000)
    client = ecs.client(max_requests_per_second=0.5)
    deadline = clock.monotonic() + 7.0
    with pytest.raises(EcsError):
        status_of(client, REGION, ids(1), deadline=deadline)
    assert clock.monotonic() <= deadline  # the 8 s Retry-After was not waited for
    with pytest.raises(DeadlineExceeded):
        status_of(client, REGION, ids(1), deadline=clock.monotonic() + 1.0)  # next token in 2 s
    assert clock.monotonic() <= deadline
