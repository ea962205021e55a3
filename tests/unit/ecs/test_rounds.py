"""run_round with a fake client: chunking, waves within maxUnavailable, partial failure, timeout, cancel."""

from __future__ import annotations

import threading
import time
from typing import Any

from ecsreboot.core.clock import FakeClock, SystemClock
from ecsreboot.core.model import ProgressEvent, RoundOptions, RoundResult
from ecsreboot.ecs import NOT_ATTEMPTED, run_round

from .fakes import FakeRoundClient, ids


def _run(client: FakeRoundClient, instance_ids: list[str], clock: Any = None, cancel: threading.Event | None = None,
         events: list[ProgressEvent] | None = None, **options: Any) -> RoundResult:
    opts = RoundOptions(region_id="cn-test", **options)
    sink = events if events is not None else []
    return run_round(client, instance_ids, opts, progress=sink.append, cancel=cancel or threading.Event(),
                     clock=clock or client.clock)


def _reboot_calls(client: FakeRoundClient) -> list[list[str]]:
    return [chunk for action, chunk in client.calls if action == "RebootInstances"]


def test_250_instances_take_three_reboot_calls_then_all_are_running_again() -> None:
    client = FakeRoundClient(FakeClock(), ids(250))
    result = _run(client, ids(250))
    assert [len(c) for c in _reboot_calls(client)] == [100, 100, 50]
    assert result.ok and result.waves == 1 and result.not_back == []
    assert [o.code for o in result.outcomes] == ["200"] * 250
    assert result.request_ids == ["R1", "R2", "R3"]


def test_duplicates_are_rebooted_once() -> None:
    client = FakeRoundClient(FakeClock(), ids(3))
    result = _run(client, ids(3) + ids(3)[::-1])
    assert [o.instance_id for o in result.outcomes] == ids(3)
    assert _reboot_calls(client) == [ids(3)]


def test_waves_never_exceed_max_unavailable_and_wait_for_the_previous_wave() -> None:
    clock = FakeClock()
    client = FakeRoundClient(clock, ids(35), reboot_seconds=20)
    result = _run(client, ids(35), max_unavailable=10)
    assert result.ok and result.waves == 4
    assert [len(c) for c in _reboot_calls(client)] == [10, 10, 10, 5]
    assert client.busy_max <= 10
    starts = sorted(client.rebooted_at.values())
    assert starts[10] - starts[0] >= 20  # wave 2 started after wave 1 was Running again


def test_single_instance_api_never_calls_the_batch_api() -> None:
    client = FakeRoundClient(FakeClock(), ids(12))
    result = _run(client, ids(12), api="RebootInstance", concurrency=4, max_unavailable=5)
    assert result.ok
    assert client.count("RebootInstances") == 0
    assert client.count("RebootInstance") == 12
    assert client.busy_max <= 5


def test_success_first_partial_failure_is_a_per_instance_value() -> None:
    client = FakeRoundClient(FakeClock(), ids(5))
    client.fail["i-0002"] = "InstanceLockedForSecurity"
    result = _run(client, ids(5), batch_optimization="SuccessFirst")
    codes = {o.instance_id: o.code for o in result.outcomes}
    assert codes["i-0002"] == "InstanceLockedForSecurity" and sum(c == "200" for c in codes.values()) == 4
    assert result.failed_ids == ["i-0002"] and not result.ok
    assert client.waits() and all("i-0002" not in c for c in client.waits())


def test_all_together_refusal_fails_its_chunk_only() -> None:
    client = FakeRoundClient(FakeClock(), ids(150))
    client.fail["i-0007"] = "IncorrectInstanceStatus"
    result = _run(client, ids(150))
    first, second = result.outcomes[:100], result.outcomes[100:]
    assert {o.code for o in first} == {"IncorrectInstanceStatus"} and all("RequestId" in o.message for o in first)
    assert {o.code for o in second} == {"200"}
    assert result.error is not None and "IncorrectInstanceStatus" in result.error and "RequestId: R" in result.error
    assert len(result.failed_ids) == 100


def test_an_auth_failure_stops_later_waves() -> None:
    client = FakeRoundClient(FakeClock(), ids(6))
    for i in ids(6):
        client.fail[i] = "SignatureDoesNotMatch"
    result = _run(client, ids(6), max_unavailable=2)
    assert len(_reboot_calls(client)) == 1
    assert [o.code for o in result.outcomes[2:]] == [NOT_ATTEMPTED] * 4
    assert "SignatureDoesNotMatch" in (result.error or "")


def test_timeout_in_a_wave_stops_the_round_and_later_waves_are_not_rebooted() -> None:
    clock = FakeClock()
    client = FakeRoundClient(clock, ids(9))
    client.never_back.add("i-0001")
    start = clock.monotonic()
    result = _run(client, ids(9), max_unavailable=3, timeout=120)
    assert result.timed_out and result.not_back == ["i-0001"]
    assert len(_reboot_calls(client)) == 1
    assert [o.code for o in result.outcomes[3:]] == [NOT_ATTEMPTED] * 6
    assert result.outcomes[3].message == "not rebooted: wave 1 was not Running again before the round's timeout"
    assert set(result.failed_ids) == {"i-0001", *ids(9)[3:]}
    assert clock.monotonic() - start <= 120 + 1e-6


def test_cancel_while_waiting_leaves_later_waves_alone() -> None:
    clock = FakeClock()
    cancel = threading.Event()
    client = FakeRoundClient(clock, ids(6))
    looks = iter(range(10))
    client.on_describe = lambda: next(looks) == 1 and cancel.set()  # the first status poll, after the look before
    result = _run(client, ids(6), cancel=cancel, max_unavailable=3)
    assert result.cancelled
    assert len(_reboot_calls(client)) == 1
    assert result.not_back == ids(3)
    assert [o.code for o in result.outcomes[3:]] == [NOT_ATTEMPTED] * 3


def test_cancel_returns_within_a_second_on_the_real_clock() -> None:
    client = FakeRoundClient(FakeClock(), ids(4))
    client.never_back.update(ids(4))
    cancel = threading.Event()
    threading.Timer(0.3, cancel.set).start()
    start = time.monotonic()
    result = _run(client, ids(4), clock=SystemClock(), cancel=cancel, max_unavailable=2, poll_interval=5.0)
    assert result.cancelled
    assert time.monotonic() - start < 1.3


def test_no_wait_skips_the_wait_after_the_last_wave_only() -> None:
    client = FakeRoundClient(FakeClock(), ids(4))
    result = _run(client, ids(4), wait_for_running=False)
    assert result.ok and client.waits() == []  # only the look before the reboot
    rolling = FakeRoundClient(FakeClock(), ids(4))
    _run(rolling, ids(4), wait_for_running=False, max_unavailable=2)
    second_wave = next(k for k, (a, c) in enumerate(rolling.calls) if a != "DescribeInstances" and "i-0002" in c)
    described = [c for a, c in rolling.calls[:second_wave] if a == "DescribeInstances"]
    looks, polls = [described[0], described[-1]], described[1:-1]  # the looks before each wave
    assert looks == [ids(4)[:2], ids(4)[2:]]
    assert polls and all(set(c) <= set(ids(2)) for c in polls)
    assert rolling.waits()[-1] == ids(4)[2:]  # no poll after wave 2


def test_progress_reports_waves_and_ephemeral_waiting_lines() -> None:
    events: list[ProgressEvent] = []
    client = FakeRoundClient(FakeClock(), ids(4))
    _run(client, ids(4), events=events, max_unavailable=2)
    kinds = [e.kind for e in events]
    assert kinds[:2] == ["wave_started", "rebooted"] and kinds.count("wave_done") == 2
    waiting = [e for e in events if e.kind == "waiting"]
    assert waiting and all(e.ephemeral for e in waiting)
    assert waiting[-1].message == "wave 2/2: waiting: 2/2 Running"
    assert events[0].message == "wave 1/2: rebooting 2 instance(s)" and events[0].waves == 2


def test_dry_run_option_checks_and_never_reboots() -> None:
    client = FakeRoundClient(FakeClock(), ids(3))
    client.fail["i-0001"] = "InvalidInstanceId.NotFound"
    result = _run(client, ids(3), dry_run=True, batch_optimization="SuccessFirst")
    assert client.rebooted_at == {}
    # dry runs and read-only looks only
    assert {a for a, _ in client.calls} <= {"RebootInstances/dry", "DescribeInstances"}
    assert result.dry_run and result.failed_ids == ["i-0001"] and not result.ok
    assert [o.code for o in result.outcomes] == ["DRYRUN.SUCCESS", "InvalidInstanceId.NotFound", "DRYRUN.SUCCESS"]


class _SlowBatchClient(FakeRoundClient):
    """Each RebootInstances call takes a little real time, so overlapping calls can be seen."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.in_flight = 0
        self.peak = 0
        self.spans: list[tuple[int, float, float]] = []  # (chunk size, start, end)
        self._count_lock = threading.Lock()

    def reboot_instances(self, region_id: str, instance_ids: Any, **kwargs: Any) -> Any:
        with self._count_lock:
            self.in_flight += 1
            self.peak = max(self.peak, self.in_flight)
        start = time.monotonic()
        time.sleep(0.03)
        reply = super().reboot_instances(region_id, instance_ids, **kwargs)
        with self._count_lock:
            self.in_flight -= 1
            self.spans.append((len(list(instance_ids)), start, time.monotonic()))
        return reply


def test_chunks_of_a_wave_go_concurrently_after_a_lone_canary_and_exactly_once() -> None:
    fleet = ids(1050)  # 10 full chunks and one of 50
    client = _SlowBatchClient(FakeClock(), fleet)
    result = _run(client, fleet, concurrency=4)
    assert result.ok
    spans = sorted(client.spans, key=lambda s: s[1])
    canary_end = spans[0][2]
    assert all(start >= canary_end for _, start, _ in spans[1:]), "the first call goes alone"
    assert 1 < client.peak <= 4, f"up to `concurrency` calls in flight, saw {client.peak}"
    assert spans[-1][0] == 50, "the short chunk goes last"
    sent = [i for chunk in _reboot_calls(client) for i in chunk]
    assert sorted(sent) == sorted(fleet) and len(sent) == len(set(sent))
    assert [o.instance_id for o in result.outcomes] == fleet, "outcomes stay in instance order"


def test_an_auth_failure_of_the_canary_sends_nothing_else() -> None:
    fleet = ids(500)
    client = FakeRoundClient(FakeClock(), fleet)
    client.fail[fleet[0]] = "InvalidAccessKeyId.NotFound"
    result = _run(client, fleet)
    assert len(_reboot_calls(client)) == 1
    assert not result.ok and client.rebooted_at == {}
