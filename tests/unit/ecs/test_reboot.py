"""Reboots are not idempotent: after a lost reply the client decides from evidence before it re-sends.

The emulator reports StartTime (minute precision) and, with a ``stale`` fault, keeps showing the old
Running and StartTime. Its instances started days ago, so an unchanged StartTime proves a lot -- unless
a test makes the start recent.
"""

from __future__ import annotations

from collections.abc import Sequence

from ecsreboot.core.clock import FakeClock
from ecsreboot.core.errors import IncorrectStatus, TransportError
from ecsreboot.ecs import NOT_ATTEMPTED, REBOOT_UNCONFIRMED, TRANSPORT_ERROR
from ecsreboot.ecs.evidence import Baseline, InstanceState
from ecsreboot.emulator import Fault
from tests.inprocess import REGION, InProcessCloud, ids, status_of
from tests.recovery import rebooter


def _recent(ecs: InProcessCloud, *instance_ids: str) -> None:
    """These instances started this very minute: an unchanged StartTime then proves nothing."""
    for i in instance_ids:
        ecs.backend.set_start_time(i, ecs.clock.utcnow())


def _baseline(ecs: InProcessCloud, instance_ids: Sequence[str]) -> Baseline:
    """What a look right now shows: Running, and each instance's StartTime."""
    return Baseline({i: InstanceState("Running", ecs.backend.instance(i).start_time) for i in instance_ids},
                    ecs.clock.utcnow())


def test_reply_lost_after_the_action_ran_is_confirmed_by_the_transition_without_resending() -> None:
    ecs = InProcessCloud(ids(5))
    ecs.faults.drop_after("RebootInstances")
    reply = ecs.rebooter().reboot_instances(REGION, ids(5))
    assert ecs.rebooted() == dict.fromkeys(ids(5), 1)
    assert ecs.count("RebootInstances") == 1
    assert [o.code for o in reply.outcomes] == ["200"] * 5
    assert all("reboot confirmed" in o.message and "seen Stopping" in o.message for o in reply.outcomes)
    assert reply.error is None and reply.left == set(ids(5))


def test_reply_lost_before_the_action_ran_is_resent_only_after_a_look_past_the_stale_window() -> None:
    clock = FakeClock()
    ecs = InProcessCloud(ids(3), clock=clock)
    ecs.faults.drop_before("RebootInstances")
    reply = ecs.rebooter(stale_window=5.0).reboot_instances(REGION, ids(3))
    assert ecs.rebooted() == dict.fromkeys(ids(3), 1)
    assert [a for a, _ in ecs.calls()] == ["DescribeInstances", "RebootInstances", "DescribeInstances",
                                         "DescribeInstances", "RebootInstances"]
    assert clock.slept == [5.0]  # a look at once proves nothing yet; the next one, past the window, does
    assert [o.message for o in reply.outcomes] == ["success"] * 3


def test_a_late_look_after_a_throttled_status_check_sees_the_moved_start_time_and_does_not_reboot_twice() -> None:
    """Issue 9's first case: the look is throttled with Retry-After 8 s, the reboot is over by then and
    the instances show Running -- but with a new StartTime."""
    clock = FakeClock()
    ecs = InProcessCloud(ids(4), clock=clock, durations={"Stopping": 2.0, "Starting": 3.0})
    client = ecs.rebooter()
    baseline = _baseline(ecs, ids(4))
    ecs.faults.drop_after("RebootInstances")
    ecs.faults.throttle("DescribeInstances", retry_after_ms=8000)
    reply = client.reboot_instances(REGION, ids(4), baseline=baseline)
    assert ecs.rebooted() == dict.fromkeys(ids(4), 1)
    assert ecs.count("RebootInstances") == 1
    assert all(o.ok and "StartTime moved" in o.message and o.current_status == "Running" for o in reply.outcomes)


def test_a_stale_running_window_neither_resends_nor_fails_the_instances() -> None:
    """Issue 9's second case: right after the call DescribeInstances still shows the old Running (and
    StartTime) for a while; the instances must not be re-sent (that would be refused as busy and
    reported failed) but confirmed once the window has passed."""
    clock = FakeClock()
    ecs = InProcessCloud(ids(3), clock=clock, durations={"Stopping": 2.0, "Starting": 30.0})
    ecs.faults.drop_after("RebootInstances")
    ecs.faults.add(Fault("stale", "DescribeInstances", 2))  # the look before the call, the one right after the loss
    reply = ecs.rebooter(stale_window=5.0, interval=1.0).reboot_instances(REGION, ids(3))
    assert ecs.count("RebootInstances") == 1
    assert all(o.ok and "reboot confirmed" in o.message and o.current_status == "Starting" for o in reply.outcomes)


def test_an_instance_started_too_recently_to_tell_is_reported_unconfirmed_and_never_resent() -> None:
    clock = FakeClock()
    ecs = InProcessCloud(ids(2), clock=clock, durations={"Stopping": 0.5, "Starting": 0.5})
    _recent(ecs, *ids(2))
    ecs.faults.drop_after("RebootInstances")
    ecs.faults.error("ServiceUnavailable", 503, "DescribeInstances")  # the look at once
    reply = ecs.rebooter(max_retries=0, stale_window=5.0).reboot_instances(
        REGION, ids(2), baseline=_baseline(ecs, ids(2)))
    assert ecs.count("RebootInstances") == 1 and ecs.rebooted() == dict.fromkeys(ids(2), 1)
    assert [o.code for o in reply.outcomes] == [REBOOT_UNCONFIRMED] * 2
    assert "StartTime is too recent" in reply.outcomes[0].message and "was not sent again" in reply.outcomes[0].message


def test_a_resend_refused_as_busy_means_the_first_call_came_late_and_is_confirmed_by_looking_again() -> None:
    """The looks were stale for longer than the window allowed for, so the call was re-sent; the service
    refuses it (IncorrectInstanceStatus): the first reboot is under way -- not a failure, and the next
    look shows it."""
    clock = FakeClock()
    ecs = InProcessCloud(ids(1), clock=clock, durations={"Stopping": 30.0})
    ecs.faults.drop_after("RebootInstance")
    # the look before, the look at once, the look past the window: all stale
    ecs.faults.add(Fault("stale", "DescribeInstances", 3))
    reply = ecs.rebooter(stale_window=2.0).reboot_instance(REGION, "i-0000")
    assert ecs.rebooted() == {"i-0000": 1} and ecs.count("RebootInstance") == 2
    [outcome] = reply.outcomes
    assert outcome.ok and "re-send was refused" in outcome.message and reply.error is None
    assert reply.left == {"i-0000"}


def test_a_busy_refusal_settles_every_instance_of_an_all_together_or_success_first_resend() -> None:
    for mode in ("AllTogether", "SuccessFirst"):
        ecs = InProcessCloud(ids(2), durations={"Stopping": 30.0})
        ecs.faults.drop_after("RebootInstances")
        ecs.faults.add(Fault("stale", "DescribeInstances", 3))
        reply = ecs.rebooter(stale_window=2.0).reboot_instances(REGION, ids(2), batch_optimization=mode)  # type: ignore[arg-type]
        assert ecs.rebooted() == dict.fromkeys(ids(2), 1), mode
        assert all(o.ok and "re-send was refused" in o.message for o in reply.outcomes), (mode, reply.outcomes)


def test_a_busy_refusal_without_a_transition_to_show_for_it_is_unconfirmed_not_success() -> None:
    """An IncorrectInstanceStatus that is not the first call's doing (the instance never moves) must not
    turn into a reported reboot."""
    clock = FakeClock()
    ecs = InProcessCloud(ids(1), clock=clock)
    ecs.faults.drop_before("RebootInstance")
    ecs.faults.error("IncorrectInstanceStatus", 403, "RebootInstance")
    reply = ecs.rebooter(stale_window=2.0).reboot_instance(REGION, "i-0000")
    assert ecs.rebooted() == {} and ecs.count("RebootInstance") == 2
    assert [o.code for o in reply.outcomes] == [REBOOT_UNCONFIRMED]
    assert "was not then seen rebooting" in reply.outcomes[0].message


def test_success_first_after_a_lost_reply_resends_only_what_did_not_move() -> None:
    ecs = InProcessCloud(ids(4))
    ecs.backend.set_status("i-0003", "Stopped")
    ecs.faults.drop_after("RebootInstances")
    reply = ecs.rebooter().reboot_instances(REGION, ids(4), batch_optimization="SuccessFirst")
    assert ecs.rebooted() == {"i-0000": 1, "i-0001": 1, "i-0002": 1}
    assert ecs.count("RebootInstances") == 1  # a Stopped instance is not a reboot not yet sent
    codes = {o.instance_id: o.code for o in reply.outcomes}
    assert codes == {"i-0000": "200", "i-0001": "200", "i-0002": "200", "i-0003": REBOOT_UNCONFIRMED}
    assert "not Running before the call" in reply.outcomes[3].message


def test_when_status_cannot_be_read_the_instance_is_not_resent() -> None:
    ecs = InProcessCloud(ids(2))
    ecs.faults.drop_before("RebootInstances")
    ecs.faults.error("Forbidden.RAM", 403, "DescribeInstances", count=100)
    reply = ecs.rebooter().reboot_instances(REGION, ids(2))
    assert ecs.count("RebootInstances") == 1
    assert [o.code for o in reply.outcomes] == [REBOOT_UNCONFIRMED] * 2
    assert "may or may not have been rebooted" in reply.outcomes[0].message


def test_replies_lost_every_time_give_up_after_max_retries() -> None:
    ecs = InProcessCloud(ids(2))
    ecs.faults.drop_before("RebootInstances", 100)
    reply = ecs.rebooter(max_retries=2).reboot_instances(REGION, ids(2))
    assert ecs.count("RebootInstances") == 3
    assert ecs.rebooted() == {}
    assert [o.code for o in reply.outcomes] == [TRANSPORT_ERROR] * 2
    assert isinstance(reply.error, TransportError) and reply.error.sent


def test_looks_after_a_lost_reply_never_run_past_the_deadline() -> None:
    clock = FakeClock()
    ecs = InProcessCloud(ids(2), clock=clock)
    ecs.faults.drop_before("RebootInstances")
    start = clock.monotonic()
    reply = ecs.rebooter(stale_window=5.0).reboot_instances(REGION, ids(2), deadline=start + 3.0)
    assert ecs.count("RebootInstances") == 1 and clock.monotonic() <= start + 3.0
    assert [o.code for o in reply.outcomes] == [REBOOT_UNCONFIRMED] * 2
    assert "timeout ran out" in reply.outcomes[0].message


def test_a_call_the_deadline_leaves_no_time_to_send_is_not_attempted() -> None:
    clock = FakeClock()
    ecs = InProcessCloud(ids(1), clock=clock)
    client = ecs.client(max_requests_per_second=0.1)
    status_of(client, REGION, ids(1))  # spends the one token: the next is 10 s away
    looked = Baseline({"i-0000": InstanceState("Running", ecs.backend.instance("i-0000").start_time)})
    reply = rebooter(client).reboot_instances(REGION, ids(1), deadline=clock.monotonic() + 5.0, baseline=looked)
    assert ecs.count("RebootInstances") == 0 and clock.slept == []
    assert [o.code for o in reply.outcomes] == [NOT_ATTEMPTED]
    assert "rate limit" in reply.outcomes[0].message


def test_single_instance_api_recovers_the_same_way_and_never_uses_the_batch_api() -> None:
    ecs = InProcessCloud(ids(1))
    ecs.faults.drop_after("RebootInstance")
    reply = ecs.rebooter().reboot_instance(REGION, "i-0000")
    assert ecs.rebooted() == {"i-0000": 1}
    assert ecs.count("RebootInstances") == 0
    assert reply.outcomes[0].ok and "reboot confirmed" in reply.outcomes[0].message
    assert "RegionId" not in next(p for a, p in ecs.calls() if a == "RebootInstance")


def test_all_together_refusal_gives_every_instance_the_code_message_and_request_id() -> None:
    ecs = InProcessCloud(ids(3))
    ecs.backend.set_status("i-0001", "Stopped")
    reply = ecs.rebooter().reboot_instances(REGION, ids(3))
    assert ecs.rebooted() == {}
    assert {o.code for o in reply.outcomes} == {"IncorrectInstanceStatus"}
    assert all(f"RequestId: {ecs.requests()[-1]['requestId']}" in o.message for o in reply.outcomes)
    assert isinstance(reply.error, IncorrectStatus)
    assert reply.request_ids == [reply.error.request_id]


def test_success_first_reply_codes_are_strings_and_statuses_are_kept() -> None:
    ecs = InProcessCloud(ids(2))
    reply = ecs.rebooter().reboot_instances(REGION, [*ids(2), "i-nope"], batch_optimization="SuccessFirst")
    assert [(o.code, o.previous_status, o.current_status) for o in reply.outcomes] == [
        ("200", "Running", "Stopping"), ("200", "Running", "Stopping"), ("InvalidInstanceId.NotFound", "", "")]
    assert len(reply.request_ids) == 1


def test_a_lost_dry_run_is_simply_retried_without_looking() -> None:
    ecs = InProcessCloud(ids(2))
    ecs.faults.drop_after("RebootInstances")
    reply = ecs.rebooter().reboot_instances(REGION, ids(2), dry_run=True)
    assert [o.code for o in reply.outcomes] == ["DRYRUN.SUCCESS"] * 2
    assert ecs.count("DescribeInstances") == 0
    assert ecs.count("RebootInstances") == 2


def test_a_reply_that_is_no_api_answer_counts_as_lost_and_the_reboot_is_resent_only_after_looking() -> None:
    ecs = InProcessCloud(ids(1))
    # a proxy's 200 page: the call may or may not have reached ECS
    ecs.faults.add(Fault("garbage", "RebootInstances"))
    reply = ecs.rebooter().reboot_instances(REGION, ids(1))
    assert [a for a, _ in ecs.calls()] == ["DescribeInstances", "RebootInstances", "DescribeInstances",
                                           "DescribeInstances", "RebootInstances"]
    assert ecs.rebooted() == {"i-0000": 1} and reply.outcomes[0].ok
