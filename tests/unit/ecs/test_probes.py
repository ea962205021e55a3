"""wait_until_healthy with a FakeClock and a scripted prober: schedule, thresholds, bound, deadline."""

from __future__ import annotations

import threading
from collections.abc import Sequence

from ecsreboot.core.clock import FakeClock
from ecsreboot.core.health import HealthCheck
from ecsreboot.ecs import HealthResult, ProbeOutcome, wait_until_healthy


class Scripted:
    """Answers per URL from a script (the last answer repeats); records (seconds since the clock's start, url,
    timeout) of each probe."""

    def __init__(self, clock: FakeClock, scripts: dict[str, Sequence[bool]]) -> None:
        self.clock, self.scripts = clock, scripts
        self.t0 = clock.monotonic()
        self.calls: list[tuple[float, str, float]] = []
        self.lock = threading.Lock()
        self.open_now = self.peak = 0

    def __call__(self, url: str, timeout: float, cancel: threading.Event) -> ProbeOutcome:
        with self.lock:
            self.open_now += 1
            self.peak = max(self.peak, self.open_now)
            n = sum(1 for _, u, _ in self.calls if u == url)
            self.calls.append((self.clock.monotonic() - self.t0, url, timeout))
        script = self.scripts[url]
        ok = script[min(n, len(script) - 1)]
        with self.lock:
            self.open_now -= 1
        return ProbeOutcome(ok, "HTTP 200" if ok else "HTTP 503")


def run(scripts: dict[str, Sequence[bool]], check: HealthCheck, *, deadline: float = 100.0,
        ready_at: dict[str, float] | None = None, concurrency: int = 8) -> tuple[Scripted, HealthResult, FakeClock]:
    """``deadline`` and ``ready_at`` in seconds from the clock's start, as the probe times are recorded."""
    clock = FakeClock()
    t0 = clock.monotonic()
    prober = Scripted(clock, scripts)
    urls = {f"i-{u}": u for u in scripts}
    ready = {i: t0 + t for i, t in (ready_at or {}).items()}
    result = wait_until_healthy(urls, check, ready_at=ready, deadline=t0 + deadline, cancel=threading.Event(),
                                clock=clock, prober=prober, concurrency=concurrency)
    return prober, result, clock


def test_probes_every_interval_from_initial_delay_until_the_threshold() -> None:
    check = HealthCheck("http://x", interval=2.0, healthy_threshold=2, initial_delay=3.0)
    prober, result, _ = run({"a": [False, True, True]}, check, ready_at={"i-a": 1.0})
    assert [t for t, _, _ in prober.calls] == [4.0, 6.0, 8.0]
    assert result.healthy == ["i-a"] and result.failed == {}


def test_unhealthy_threshold_fails_with_the_last_outcome_and_a_flap_resets_the_streak() -> None:
    check = HealthCheck("http://x", interval=1.0, healthy_threshold=2, unhealthy_threshold=3)
    prober, result, _ = run({"a": [True, False, True, True], "b": [False]}, check)
    assert result.failed == {"i-b": "unhealthy: HTTP 503 (3 failed probe(s) in a row)"}
    assert result.healthy == ["i-a"]
    assert [u for _, u, _ in prober.calls].count("a") == 4 and [u for _, u, _ in prober.calls].count("b") == 3


def test_the_deadline_fails_what_is_not_healthy_and_bounds_each_probe() -> None:
    check = HealthCheck("http://x", interval=4.0, timeout=5.0)
    prober, result, clock = run({"a": [False]}, check, deadline=10.0)
    assert clock.monotonic() - prober.t0 == 10.0 and result.timed_out
    assert result.failed == {"i-a": "not healthy before the round's timeout; last probe: HTTP 503"}
    assert [round(t, 3) for _, _, t in prober.calls] == [5.0, 5.0, 2.0]  # the last one only gets what is left


def test_a_probe_the_deadline_cut_short_is_no_verdict() -> None:
    """The last probe gets only the 2 s left before the deadline and times out: the instance fails with the last
    outcome of a probe that had its whole time limit, not with a timeout the deadline made."""
    clock = FakeClock()
    t0 = clock.monotonic()

    def prober(url: str, timeout: float, cancel: threading.Event) -> ProbeOutcome:
        clock.advance(timeout if timeout < 5.0 else 0.0)
        if timeout < 5.0:
            return ProbeOutcome(False, f"timed out after {timeout:g}s", timed_out=True)
        return ProbeOutcome(False, "HTTP 503")

    check = HealthCheck("http://x", interval=4.0, timeout=5.0)
    result = wait_until_healthy({"i-a": "a"}, check, ready_at={}, deadline=t0 + 10.0, cancel=threading.Event(),
                                clock=clock, prober=prober)
    assert result.timed_out
    assert result.failed == {"i-a": "not healthy before the round's timeout; last probe: HTTP 503"}


def test_concurrency_is_bounded() -> None:
    scripts = {str(n): [True] for n in range(200)}
    prober, result, _ = run(scripts, HealthCheck("http://x"), concurrency=5)
    assert len(result.healthy) == 200 and prober.peak <= 5


def test_cancel_fails_the_rest_at_once() -> None:
    clock = FakeClock()
    cancel = threading.Event()
    cancel.set()
    result = wait_until_healthy({"i-a": "a"}, HealthCheck("http://x"), ready_at={}, deadline=clock.monotonic() + 5.0,
                                cancel=cancel,
                                clock=clock, prober=Scripted(clock, {"a": [True]}))
    assert result.cancelled and result.failed == {"i-a": "the round was cancelled; no probe answered yet"}


def test_a_probe_cut_short_by_cancel_still_leaves_its_instance_failed() -> None:
    """Cancel lands while a probe is in flight and the probe ends (as cancelled) before the loop looks at
    the event: the instance must still come out failed, never neither healthy nor failed."""
    clock = FakeClock()
    cancel = threading.Event()

    def cut_short(url: str, timeout: float, cancel_: threading.Event) -> ProbeOutcome:
        cancel_.set()
        return ProbeOutcome(False, "cancelled")

    result = wait_until_healthy({"i-a": "a", "i-b": "b"}, HealthCheck("http://x"), ready_at={},
                                deadline=clock.monotonic() + 5.0,
                                cancel=cancel, clock=clock, prober=cut_short)
    assert result.cancelled and result.healthy == []
    assert result.failed == {"i-a": "the round was cancelled; no probe answered yet",
                             "i-b": "the round was cancelled; no probe answered yet"}
