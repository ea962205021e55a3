"""run_round over the real Rebooter and EcsClient against the in-process emulator: chunking, waves within
maxUnavailable, partial failure, timeout, cancel."""

from __future__ import annotations

import threading
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from ecsreboot.core.model import ProgressEvent, RoundOptions, RoundResult
from ecsreboot.ecs import NOT_ATTEMPTED, HttpRequest, HttpResponse, run_round
from tests.inprocess import REGION, InProcessCloud, ids, instance_ids_of

#: 5 s from the reboot call to Running again
DURATIONS = {"Stopping": 2.0, "Starting": 3.0}


def _cloud(instances: int | list[str], **kw: Any) -> InProcessCloud:
    return InProcessCloud(instances, durations=kw.pop("durations", DURATIONS), **kw)


def _run(ecs: InProcessCloud, instance_ids: list[str], clock: Any = None, cancel: threading.Event | None = None,
         events: list[ProgressEvent] | None = None, transport: Any = None, **options: Any) -> RoundResult:
    opts = RoundOptions(region_id=REGION, **options)
    sink = events if events is not None else []
    return run_round(ecs.rebooter(transport=transport), instance_ids, opts, progress=sink.append,
                     cancel=cancel or threading.Event(), clock=clock or ecs.clock)


def _calls(ecs: InProcessCloud) -> list[tuple[str, list[str]]]:
    """(action, the ids it named) of each request; a dry run's action ends in ``/dry``."""
    return [(a + ("/dry" if p.get("DryRun") == "true" else ""), instance_ids_of(p)) for a, p in ecs.calls()]


def _reboot_calls(ecs: InProcessCloud) -> list[list[str]]:
    return [chunk for action, chunk in _calls(ecs) if action == "RebootInstances"]


def _waits(ecs: InProcessCloud) -> list[list[str]]:
    """The ids of each DescribeInstances after the first reboot call (status polls, not the looks before)."""
    calls = _calls(ecs)
    first = next((k for k, (a, _) in enumerate(calls) if a != "DescribeInstances"), len(calls))
    return [c for a, c in calls[first:] if a == "DescribeInstances"]


def _rebooted_at(ecs: InProcessCloud) -> dict[str, float]:
    """When (the emulator's clock) each instance's reboot call was answered."""
    return {i: r["at"] for r in ecs.requests() if r["action"].startswith("RebootInstance") and r["status"] == 200
            for i in instance_ids_of(r["params"])}


def _watched(instances: int | list[str], **kw: Any) -> tuple[InProcessCloud, list[int]]:
    """A cloud, and how many of its instances were not Running after each request it answered."""
    down: list[int] = []
    ecs = _cloud(instances, on_request=lambda _: down.append(
        sum(1 for v in ecs.backend.instances() if v.status != "Running")), **kw)
    return ecs, down


def test_250_instances_take_three_reboot_calls_then_all_are_running_again() -> None:
    ecs = _cloud(ids(250))
    result = _run(ecs, ids(250))
    assert [len(c) for c in _reboot_calls(ecs)] == [100, 100, 50]
    assert result.ok and result.waves == 1 and result.not_back == []
    assert [o.code for o in result.outcomes] == ["200"] * 250
    assert result.request_ids == [r["requestId"] for r in ecs.requests() if r["action"] == "RebootInstances"]
    assert ecs.reboot_counts() == dict.fromkeys(ids(250), 1)


def test_duplicates_are_rebooted_once() -> None:
    ecs = _cloud(ids(3))
    result = _run(ecs, ids(3) + ids(3)[::-1])
    assert [o.instance_id for o in result.outcomes] == ids(3)
    assert _reboot_calls(ecs) == [ids(3)]
    assert ecs.reboot_counts() == dict.fromkeys(ids(3), 1)


def test_waves_never_exceed_max_unavailable_and_wait_for_the_previous_wave() -> None:
    ecs, down = _watched(ids(35), durations={"Stopping": 10.0, "Starting": 10.0})
    result = _run(ecs, ids(35), max_unavailable=10)
    assert result.ok and result.waves == 4
    assert [len(c) for c in _reboot_calls(ecs)] == [10, 10, 10, 5]
    assert max(down) == 10  # never more than maxUnavailable down at once
    starts = sorted(_rebooted_at(ecs).values())
    assert starts[10] - starts[0] >= 20  # wave 2 started after wave 1 was Running again


def test_single_instance_api_never_calls_the_batch_api() -> None:
    ecs, down = _watched(ids(12))
    result = _run(ecs, ids(12), api="RebootInstance", concurrency=4, max_unavailable=5)
    assert result.ok
    assert ecs.count("RebootInstances") == 0
    assert ecs.count("RebootInstance") == 12
    assert max(down) <= 5
    assert ecs.reboot_counts() == dict.fromkeys(ids(12), 1)


def test_success_first_partial_failure_is_a_per_instance_value() -> None:
    ecs = _cloud(ids(5))
    ecs.backend.lock("i-0002")
    result = _run(ecs, ids(5), batch_optimization="SuccessFirst")
    codes = {o.instance_id: o.code for o in result.outcomes}
    assert codes["i-0002"] == "InstanceLockedForSecurity" and sum(c == "200" for c in codes.values()) == 4
    assert result.failed_ids == ["i-0002"] and not result.ok
    assert _waits(ecs) and all("i-0002" not in c for c in _waits(ecs))


def test_all_together_refusal_fails_its_chunk_only() -> None:
    ecs = _cloud(ids(150))
    ecs.backend.set_status("i-0007", "Stopped")
    result = _run(ecs, ids(150))
    first, second = result.outcomes[:100], result.outcomes[100:]
    refused = next(r for r in ecs.requests() if r["action"] == "RebootInstances" and r["status"] != 200)
    assert {o.code for o in first} == {"IncorrectInstanceStatus"}
    assert all(f"RequestId: {refused['requestId']}" in o.message for o in first)
    assert {o.code for o in second} == {"200"}
    assert result.error is not None and "IncorrectInstanceStatus" in result.error
    assert f"RequestId: {refused['requestId']}" in result.error
    assert len(result.failed_ids) == 100
    assert ecs.rebooted() == dict.fromkeys(ids(150)[100:], 1)


def test_an_auth_failure_stops_later_waves() -> None:
    ecs = _cloud(ids(6))
    ecs.faults.error("SignatureDoesNotMatch", 400, "RebootInstances", probability=1.0)
    result = _run(ecs, ids(6), max_unavailable=2)
    assert len(_reboot_calls(ecs)) == 1
    assert [o.code for o in result.outcomes[2:]] == [NOT_ATTEMPTED] * 4
    assert "SignatureDoesNotMatch" in (result.error or "")
    assert ecs.rebooted() == {}


def test_timeout_in_a_wave_stops_the_round_and_later_waves_are_not_rebooted() -> None:
    ecs = _cloud(ids(9))
    ecs.backend.set_stuck("i-0001", "Stopping")  # its reboot never completes
    start = ecs.clock.monotonic()
    result = _run(ecs, ids(9), max_unavailable=3, timeout=120)
    assert result.timed_out and result.not_back == ["i-0001"]
    assert len(_reboot_calls(ecs)) == 1
    assert [o.code for o in result.outcomes[3:]] == [NOT_ATTEMPTED] * 6
    assert result.outcomes[3].message == "not rebooted: wave 1 was not Running again before the round's timeout"
    assert set(result.failed_ids) == {"i-0001", *ids(9)[3:]}
    assert ecs.clock.monotonic() - start <= 120 + 1e-6


def test_cancel_while_waiting_leaves_later_waves_alone() -> None:
    cancel = threading.Event()
    looks = iter(range(10))
    # the first status poll, after the look before, cancels the round
    ecs = _cloud(ids(6), on_request=lambda r: r["action"] == "DescribeInstances" and next(looks) == 1 and cancel.set())
    result = _run(ecs, ids(6), cancel=cancel, max_unavailable=3)
    assert result.cancelled
    assert len(_reboot_calls(ecs)) == 1
    assert result.not_back == ids(3)
    assert [o.code for o in result.outcomes[3:]] == [NOT_ATTEMPTED] * 3
    assert ecs.rebooted() == dict.fromkeys(ids(3), 1)


def test_no_wait_skips_the_wait_after_the_last_wave_only() -> None:
    ecs = _cloud(ids(4))
    result = _run(ecs, ids(4), wait_for_running=False)
    assert result.ok and _waits(ecs) == []  # only the look before the reboot
    rolling = _cloud(ids(4))
    _run(rolling, ids(4), wait_for_running=False, max_unavailable=2)
    calls = _calls(rolling)
    second_wave = next(k for k, (a, c) in enumerate(calls) if a != "DescribeInstances" and "i-0002" in c)
    described = [c for a, c in calls[:second_wave] if a == "DescribeInstances"]
    looks, polls = [described[0], described[-1]], described[1:-1]  # the looks before each wave
    assert looks == [ids(4)[:2], ids(4)[2:]]
    assert polls and all(set(c) <= set(ids(2)) for c in polls)
    assert _waits(rolling)[-1] == ids(4)[2:]  # no poll after wave 2


def test_progress_reports_waves_and_ephemeral_waiting_lines() -> None:
    events: list[ProgressEvent] = []
    _run(_cloud(ids(4)), ids(4), events=events, max_unavailable=2)
    kinds = [e.kind for e in events]
    assert kinds[:2] == ["wave_started", "rebooted"] and kinds.count("wave_done") == 2
    waiting = [e for e in events if e.kind == "waiting"]
    assert waiting and all(e.ephemeral for e in waiting)
    assert waiting[-1].message == "wave 2/2: waiting: 2/2 Running"
    assert events[0].message == "wave 1/2: rebooting 2 instance(s)" and events[0].waves == 2


def test_dry_run_option_checks_and_never_reboots() -> None:
    ecs = _cloud(["i-0000", "i-0002"])  # i-0001 does not exist
    result = _run(ecs, ids(3), dry_run=True, batch_optimization="SuccessFirst")
    assert ecs.rebooted() == {}
    # dry runs and read-only looks only
    assert {a for a, _ in _calls(ecs)} <= {"RebootInstances/dry", "DescribeInstances"}
    assert result.dry_run and result.failed_ids == ["i-0001"] and not result.ok
    assert [o.code for o in result.outcomes] == ["DRYRUN.SUCCESS", "InvalidInstanceId.NotFound", "DRYRUN.SUCCESS"]


class _Overlaps:
    """A Transport in front of the cloud that records the order in which RebootInstances calls start and end,
    and holds the second call until a third is in flight (5 s at most), so overlapping calls show without
    a sleep."""

    def __init__(self, cloud: InProcessCloud) -> None:
        self.cloud = cloud
        self.events: list[tuple[str, int, int]] = []  # ("start" | "end", call number, chunk size)
        self.in_flight = self.peak = 0
        self._changed = threading.Condition()

    def send(self, request: HttpRequest) -> HttpResponse:
        params = dict(parse_qsl(urlsplit(request.url).query))
        if params.get("Action", request.headers.get("x-acs-action")) != "RebootInstances":
            return self.cloud.send(request)
        size = len(instance_ids_of(params))
        with self._changed:
            number = sum(1 for e in self.events if e[0] == "start")
            self.events.append(("start", number, size))
            self.in_flight += 1
            self.peak = max(self.peak, self.in_flight)
            self._changed.notify_all()
            if number == 1:
                self._changed.wait_for(lambda: self.peak > 1, timeout=5)
        try:
            return self.cloud.send(request)
        finally:
            with self._changed:
                self.in_flight -= 1
                self.events.append(("end", number, size))

    def close(self) -> None:
        """Nothing to release."""


def test_chunks_of_a_wave_go_concurrently_after_a_lone_canary_and_exactly_once() -> None:
    fleet = ids(1050)  # 10 full chunks and one of 50
    ecs = _cloud(fleet)
    overlaps = _Overlaps(ecs)
    result = _run(ecs, fleet, concurrency=4, transport=overlaps)
    assert result.ok
    assert overlaps.events[:2] == [("start", 0, 100), ("end", 0, 100)], "the first call goes alone"
    assert 1 < overlaps.peak <= 4, f"up to `concurrency` calls in flight, saw {overlaps.peak}"
    starts = [size for kind, _, size in overlaps.events if kind == "start"]
    assert starts[-1] == 50, "the short chunk goes last"
    sent = [i for chunk in _reboot_calls(ecs) for i in chunk]
    assert sorted(sent) == sorted(fleet) and len(sent) == len(set(sent))
    assert ecs.reboot_counts() == dict.fromkeys(fleet, 1)
    assert [o.instance_id for o in result.outcomes] == fleet, "outcomes stay in instance order"


def test_an_auth_failure_of_the_canary_sends_nothing_else() -> None:
    fleet = ids(500)
    ecs = _cloud(fleet)
    ecs.faults.error("InvalidAccessKeyId.NotFound", action="RebootInstances")  # the canary's call
    result = _run(ecs, fleet)
    assert len(_reboot_calls(ecs)) == 1
    assert not result.ok and ecs.rebooted() == {}


def test_a_look_taken_before_the_round_is_the_first_waves_evidence_only() -> None:
    """A caller that has just read the instances (a selection by tags) hands its records in: the first wave
    asks nothing before its reboot calls; the second looks for itself (minutes-old records prove nothing)."""
    from ecsreboot.ecs.evidence import Baseline

    ecs = _cloud(ids(6))
    looked = Baseline(ecs.client().describe_states(REGION, ids(6)), ecs.clock.utcnow())
    before = len(ecs.calls())
    result = _run_looked(ecs, ids(6), looked, max_unavailable=3)
    assert result.ok and ecs.reboot_counts() == dict.fromkeys(ids(6), 1)
    calls = _calls(ecs)[before:]
    assert calls[0] == ("RebootInstances", ids(3)), "the first wave's reboot call needs no look of its own"
    second = calls.index(("RebootInstances", ids(6)[3:]))
    assert calls[second - 1] == ("DescribeInstances", ids(6)[3:]), "the second wave looks right before its call"


def _run_looked(ecs: InProcessCloud, instance_ids: list[str], looked: Any, **options: Any) -> RoundResult:
    return run_round(ecs.rebooter(), instance_ids, RoundOptions(region_id=REGION, **options), progress=lambda e: None,
                     cancel=threading.Event(), clock=ecs.clock, looked=looked)


class _InFlight:
    """A Transport in front of the cloud that counts the calls in flight at once, of every action."""

    def __init__(self, cloud: InProcessCloud) -> None:
        self.cloud, self.now, self.peak = cloud, 0, 0
        self._lock = threading.Lock()

    def send(self, request: HttpRequest) -> HttpResponse:
        with self._lock:
            self.now += 1
            self.peak = max(self.peak, self.now)
        try:
            return self.cloud.send(request)
        finally:
            with self._lock:
                self.now -= 1

    def close(self) -> None:
        """Nothing to release."""


def test_early_groups_are_polled_while_later_groups_are_still_being_sent_within_the_concurrency() -> None:
    fleet = ids(3000)  # 30 groups; every call takes 50 ms of the emulator's (fake) time
    ecs = _cloud(fleet)
    ecs.service.latency = 0.05
    counting = _InFlight(ecs)
    result = _run(ecs, fleet, concurrency=4, transport=counting)
    assert result.ok and ecs.reboot_counts() == dict.fromkeys(fleet, 1)
    calls = _calls(ecs)
    reboots = [k for k, (a, _) in enumerate(calls) if a == "RebootInstances"]
    first_poll = next(k for k, (a, c) in enumerate(calls) if a == "DescribeInstances" and k > reboots[0]
                      and set(c) & set(fleet[:100]))
    assert first_poll < reboots[-1], "the first group was polled before the last group's reboot call"
    assert counting.peak <= 4, f"at most `concurrency` calls in flight of any kind, saw {counting.peak}"
    for k in reboots:  # each group's call comes after its own look: a describe of exactly its ids
        assert ("DescribeInstances", calls[k][1]) in calls[:k]

