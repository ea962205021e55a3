"""Dry runs: AllTogether per chunk; a failed chunk is looked at (or bisected) so every instance gets its own
verdict, in a bounded number of calls."""

from __future__ import annotations

import pytest

from ecsreboot.core.clock import FakeClock
from ecsreboot.core.model import RoundOptions
from ecsreboot.ecs import ClientConfig, EcsClient, dry_run, verdict
from ecsreboot.ecs.credentials import Credentials, StaticCredentialsProvider
from ecsreboot.emulator import ThreadedEmulator
from tests.recovery import rebooter

from .fakes import FakeEcs, FakeRoundClient, ids


def _opts(**kw: object) -> RoundOptions:
    return RoundOptions(region_id="cn-test", **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("code", "expected"),
    [("DRYRUN.SUCCESS", "passed"), ("DryRunOperation", "passed"), ("IncorrectInstanceStatus", "warning"),
     ("InstanceNotReady", "warning"), ("InvalidOperation.Conflict", "warning"),
     ("InvalidInstanceId.NotFound", "failure"), ("Forbidden.RAM", "failure"), ("SignatureDoesNotMatch", "failure"),
     ("InvalidParameter", "failure"), ("InstanceLockedForSecurity", "failure")],
)
def test_verdicts(code: str, expected: str) -> None:
    assert verdict(code) == expected


def test_all_passing_takes_one_all_together_call_per_chunk_even_when_success_first_was_asked() -> None:
    client = FakeRoundClient(FakeClock(), ids(250))
    report = dry_run(client, ids(250), _opts(batch_optimization="SuccessFirst"))
    assert [len(c) for a, c in client.calls] == [100, 100, 50]
    assert {a for a, _ in client.calls} == {"RebootInstances/dry"}
    assert len(report.passed) == 250 and report.ok and report.request_ids == ["R1", "R2", "R3"]
    assert client.rebooted_at == {}


def test_a_failing_chunk_is_bisected_until_each_instance_has_its_own_verdict() -> None:
    client = FakeRoundClient(FakeClock(), ids(100))
    client.fail["i-0013"] = "InvalidInstanceId.NotFound"
    client.fail["i-0077"] = "IncorrectInstanceStatus"
    report = dry_run(client, ids(100), _opts())
    assert [o.instance_id for o in report.failures] == ["i-0013"]
    assert report.failures[0].code == "InvalidInstanceId.NotFound"
    assert [o.instance_id for o in report.warnings] == ["i-0077"]
    assert len(report.passed) == 98 and not report.ok
    assert len(client.calls) < 30  # far fewer than one call per instance


def test_errors_no_single_instance_causes_are_not_bisected() -> None:
    client = FakeRoundClient(FakeClock(), ids(100))
    for i in ids(100):
        client.fail[i] = "SignatureDoesNotMatch"
    report = dry_run(client, ids(100), _opts())
    assert len(client.calls) == 1
    assert len(report.failures) == 100


def test_single_instance_api_checks_each_instance_with_reboot_instance_only() -> None:
    client = FakeRoundClient(FakeClock(), ids(5))
    client.fail["i-0004"] = "Forbidden.RAM"
    report = dry_run(client, ids(5), _opts(api="RebootInstance"))
    assert {a for a, _ in client.calls} == {"RebootInstance/dry"}
    assert [o.code for o in report.passed] == ["DryRunOperation"] * 4
    assert [o.instance_id for o in report.failures] == ["i-0004"]


def test_over_the_wire_with_the_client() -> None:
    ecs = FakeEcs(FakeClock(), ids(8))
    ecs.fixed["i-0003"] = "Stopped"
    report = dry_run(ecs.rebooter(), [*ids(8), "i-missing"], _opts(batch_optimization="SuccessFirst"))
    reboots = [p for a, p in ecs.calls if a == "RebootInstances"]
    assert {p["BatchOptimization"] for p in reboots} == {"AllTogether"} and all(p["DryRun"] == "true" for p in reboots)
    assert {a for a, _ in ecs.calls} == {"RebootInstances", "DescribeInstances"}  # the failed chunk was looked at
    assert [o.instance_id for o in report.warnings] == ["i-0003"]
    assert [(o.instance_id, o.code) for o in report.failures] == [("i-missing", "InvalidInstanceId.NotFound")]
    assert "RequestId: REQ-" in report.failures[0].message
    assert len(report.passed) == 7 and ecs.reboots == {}


def _emulated(instances: int) -> tuple[ThreadedEmulator, EcsClient]:
    emu = ThreadedEmulator(instances=instances).start()
    credentials = StaticCredentialsProvider(Credentials("emulator-key", "emulator-secret", None, "test"))
    return emu, EcsClient(ClientConfig("cn-hangzhou", endpoint=emu.url), credentials)


def _dry_runs_and_looks(emu: ThreadedEmulator) -> tuple[int, int]:
    actions = [r["action"] for r in emu.requests()]
    return actions.count("RebootInstances"), actions.count("DescribeInstances")


def test_a_wrong_region_costs_two_calls_per_hundred_ids_not_a_bisection() -> None:
    emu, client = _emulated(1000)
    try:
        report = dry_run(rebooter(client), emu.instance_ids(), RoundOptions(region_id="cn-beijing"))
        assert len(report.failures) == 1000 and {o.code for o in report.failures} == {"InvalidInstanceId.NotFound"}
        assert _dry_runs_and_looks(emu) == (10, 10)
    finally:
        client.close()
        emu.stop()


def test_unknown_ids_and_stopped_instances_are_told_apart_in_three_calls_per_chunk() -> None:
    emu, client = _emulated(300)
    try:
        known = emu.instance_ids()
        stopped = known[5::50]  # 6 instances, in each of the three chunks
        for i in stopped:
            emu.backend.set_status(i, "Stopped")
        unknown = [f"i-unknown{n:011d}" for n in range(30)]
        asked = [x for pair in zip(known[:30], unknown, strict=True) for x in pair] + known[30:]
        report = dry_run(rebooter(client), asked, RoundOptions(region_id="cn-hangzhou"))
        assert sorted(o.instance_id for o in report.failures) == sorted(unknown)
        assert all(o.code == "InvalidInstanceId.NotFound" and "RequestId" in o.message for o in report.failures)
        assert sorted(o.instance_id for o in report.warnings) == sorted(stopped)
        assert len(report.passed) == 300 - len(stopped)
        dry, looks = _dry_runs_and_looks(emu)
        chunks = -(-len(asked) // 100)
        assert dry + looks <= 3 * chunks, (dry, looks)
        assert emu.reboot_counts() == dict.fromkeys(known, 0)
    finally:
        client.close()
        emu.stop()
