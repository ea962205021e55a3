"""Reboots are not idempotent: after an ambiguous failure the client looks before it re-sends."""

from __future__ import annotations

from ecsreboot.core.clock import FakeClock
from ecsreboot.core.errors import IncorrectStatus, TransportError
from ecsreboot.ecs import REBOOT_UNCONFIRMED, TRANSPORT_ERROR

from .fakes import FakeEcs, Fault, ids


def _count(ecs: FakeEcs, action: str) -> int:
    return sum(1 for a, _ in ecs.calls if a == action)


def test_reply_lost_after_the_action_ran_counts_as_rebooted_without_resending() -> None:
    ecs = FakeEcs(FakeClock(), ids(5))
    ecs.faults.append(Fault("drop_after", "RebootInstances"))
    reply = ecs.client().reboot_instances("cn-test", ids(5))
    assert ecs.reboots == dict.fromkeys(ids(5), 1)
    assert _count(ecs, "RebootInstances") == 1
    assert [o.code for o in reply.outcomes] == ["200"] * 5
    assert all("confirmed by status" in o.message and o.current_status == "Stopping" for o in reply.outcomes)
    assert reply.error is None


def test_reply_lost_before_the_action_ran_is_resent_after_the_grace_polls() -> None:
    clock = FakeClock()
    ecs = FakeEcs(clock, ids(3))
    ecs.faults.append(Fault("drop_before", "RebootInstances"))
    reply = ecs.client(ambiguity_polls=3, ambiguity_interval=1.0).reboot_instances("cn-test", ids(3))
    assert ecs.reboots == dict.fromkeys(ids(3), 1)
    assert _count(ecs, "RebootInstances") == 2
    assert _count(ecs, "DescribeInstances") == 3  # still Running on every grace poll
    assert clock.slept == [1.0, 1.0]
    assert [o.message for o in reply.outcomes] == ["success"] * 3


def test_a_first_poll_still_showing_running_does_not_cause_a_second_reboot() -> None:
    ecs = FakeEcs(FakeClock(), ids(4))
    ecs.faults.append(Fault("drop_after", "RebootInstances"))
    ecs.stale_polls = 1  # right after the call the status has not moved yet
    reply = ecs.client().reboot_instances("cn-test", ids(4))
    assert ecs.reboots == dict.fromkeys(ids(4), 1)
    assert _count(ecs, "RebootInstances") == 1
    assert _count(ecs, "DescribeInstances") == 2
    assert all(o.ok for o in reply.outcomes)


def test_success_first_after_a_lost_reply_resends_only_what_did_not_move() -> None:
    ecs = FakeEcs(FakeClock(), ids(4))
    ecs.fixed["i-0003"] = "Stopped"
    ecs.faults.append(Fault("drop_after", "RebootInstances"))
    reply = ecs.client().reboot_instances("cn-test", ids(4), batch_optimization="SuccessFirst")
    assert ecs.reboots == {"i-0000": 1, "i-0001": 1, "i-0002": 1}
    resent = [p for a, p in ecs.calls if a == "RebootInstances"][1]
    assert [v for k, v in resent.items() if k.startswith("InstanceId.")] == ["i-0003"]
    codes = {o.instance_id: o.code for o in reply.outcomes}
    assert codes == {"i-0000": "200", "i-0001": "200", "i-0002": "200", "i-0003": "IncorrectInstanceStatus"}


def test_when_status_cannot_be_read_the_instance_is_not_resent() -> None:
    ecs = FakeEcs(FakeClock(), ids(2))
    ecs.faults += [Fault("drop_before", "RebootInstances"),
                   Fault("error", "DescribeInstances", count=100, code="Forbidden.RAM", status=403)]
    reply = ecs.client().reboot_instances("cn-test", ids(2))
    assert _count(ecs, "RebootInstances") == 1
    assert [o.code for o in reply.outcomes] == [REBOOT_UNCONFIRMED] * 2
    assert "may or may not have been rebooted" in reply.outcomes[0].message


def test_replies_lost_every_time_give_up_after_max_retries() -> None:
    ecs = FakeEcs(FakeClock(), ids(2))
    ecs.faults.append(Fault("drop_before", "RebootInstances", count=100))
    reply = ecs.client(max_retries=2, ambiguity_polls=1).reboot_instances("cn-test", ids(2))
    assert _count(ecs, "RebootInstances") == 3
    assert ecs.reboots == {}
    assert [o.code for o in reply.outcomes] == [TRANSPORT_ERROR] * 2
    assert isinstance(reply.error, TransportError) and reply.error.sent


def test_single_instance_api_recovers_the_same_way_and_never_uses_the_batch_api() -> None:
    ecs = FakeEcs(FakeClock(), ids(1))
    ecs.faults.append(Fault("drop_after", "RebootInstance"))
    reply = ecs.client().reboot_instance("cn-test", "i-0000")
    assert ecs.reboots == {"i-0000": 1}
    assert _count(ecs, "RebootInstances") == 0
    assert reply.outcomes[0].ok and "confirmed by status" in reply.outcomes[0].message
    assert "RegionId" not in next(p for a, p in ecs.calls if a == "RebootInstance")


def test_all_together_refusal_gives_every_instance_the_code_message_and_request_id() -> None:
    ecs = FakeEcs(FakeClock(), ids(3))
    ecs.fixed["i-0001"] = "Stopped"
    reply = ecs.client().reboot_instances("cn-test", ids(3))
    assert ecs.reboots == {}
    assert {o.code for o in reply.outcomes} == {"IncorrectInstanceStatus"}
    assert all("RequestId: REQ-" in o.message for o in reply.outcomes)
    assert isinstance(reply.error, IncorrectStatus)
    assert reply.request_ids == [reply.error.request_id]


def test_success_first_reply_codes_are_strings_and_statuses_are_kept() -> None:
    ecs = FakeEcs(FakeClock(), ids(2))
    reply = ecs.client().reboot_instances("cn-test", [*ids(2), "i-nope"], batch_optimization="SuccessFirst")
    assert [(o.code, o.previous_status, o.current_status) for o in reply.outcomes] == [
        ("200", "Running", "Stopping"), ("200", "Running", "Stopping"), ("InvalidInstanceId.NotFound", "", "")]
    assert len(reply.request_ids) == 1


def test_a_lost_dry_run_is_simply_retried() -> None:
    ecs = FakeEcs(FakeClock(), ids(2))
    ecs.faults.append(Fault("drop_after", "RebootInstances"))
    reply = ecs.client().reboot_instances("cn-test", ids(2), dry_run=True)
    assert [o.code for o in reply.outcomes] == ["DRYRUN.SUCCESS"] * 2
    assert _count(ecs, "DescribeInstances") == 0
    assert _count(ecs, "RebootInstances") == 2
