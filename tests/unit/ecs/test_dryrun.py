"""Dry runs: AllTogether per chunk; a failed chunk is looked at (or bisected) so every instance gets its own
verdict, in a bounded number of calls."""

from __future__ import annotations

import pytest

from ecsreboot.core.model import RoundOptions
from ecsreboot.ecs import dry_run, verdict
from ecsreboot.emulator import Fault
from tests.inprocess import REGION, InProcessCloud, ids, instance_ids_of


def _opts(**kw: object) -> RoundOptions:
    return RoundOptions(region_id=REGION, **kw)  # type: ignore[arg-type]


def _dry_runs(ecs: InProcessCloud) -> list[list[str]]:
    """The ids of each RebootInstances the emulator got, after checking each was an AllTogether dry run."""
    calls = [p for a, p in ecs.calls() if a == "RebootInstances"]
    assert all(p["DryRun"] == "true" and p["BatchOptimization"] == "AllTogether" for p in calls)
    return [instance_ids_of(p) for p in calls]


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
    ecs = InProcessCloud(ids(250))
    report = dry_run(ecs.rebooter(), ids(250), _opts(batch_optimization="SuccessFirst"))
    chunks = _dry_runs(ecs)  # checked concurrently: in any order
    assert sorted(len(c) for c in chunks) == [50, 100, 100] and len(ecs.calls()) == 3
    assert sorted(i for c in chunks for i in c) == ids(250)
    assert len(report.passed) == 250 and report.ok
    assert sorted(report.request_ids) == sorted(r["requestId"] for r in ecs.requests())
    assert ecs.rebooted() == {}


def test_a_failing_chunk_is_bisected_until_each_instance_has_its_own_verdict() -> None:
    ecs = InProcessCloud([i for i in ids(100) if i != "i-0013"])  # i-0013 does not exist
    # i-0077 was rebooted a moment ago and describes still show it Running: the look cannot explain its
    # refusal (IncorrectInstanceStatus), so only halving finds it
    ecs.backend.set_stuck("i-0077", "Stopping")
    ecs.backend.reboot_instances(REGION, ["i-0077"])
    ecs.faults.add(Fault("stale", "DescribeInstances", probability=1.0))
    report = dry_run(ecs.rebooter(), ids(100), _opts())
    assert [o.instance_id for o in report.failures] == ["i-0013"]
    assert report.failures[0].code == "InvalidInstanceId.NotFound"
    assert [o.instance_id for o in report.warnings] == ["i-0077"]
    assert report.warnings[0].code == "IncorrectInstanceStatus"
    assert len(report.passed) == 98 and not report.ok
    assert ecs.count("DescribeInstances") == 1 and ["i-0077"] in _dry_runs(ecs)  # one look, then halving
    assert len(ecs.calls()) < 30  # far fewer than one call per instance
    assert ecs.rebooted() == {"i-0077": 1}  # only the reboot before the dry run


def test_errors_no_single_instance_causes_are_not_bisected() -> None:
    ecs = InProcessCloud(ids(100))
    ecs.faults.error("SignatureDoesNotMatch", 400, "RebootInstances", probability=1.0)
    report = dry_run(ecs.rebooter(), ids(100), _opts())
    assert len(ecs.calls()) == 1
    assert len(report.failures) == 100 and {o.code for o in report.failures} == {"SignatureDoesNotMatch"}


def test_single_instance_api_checks_each_instance_with_reboot_instance_only() -> None:
    ecs = InProcessCloud(ids(5))
    ecs.backend.deny("i-0004")  # the caller's RAM policy does not cover it
    report = dry_run(ecs.rebooter(), ids(5), _opts(api="RebootInstance"))
    assert {a for a, _ in ecs.calls()} == {"RebootInstance"} and all(p["DryRun"] == "true" for _, p in ecs.calls())
    assert [o.code for o in report.passed] == ["DryRunOperation"] * 4
    assert [(o.instance_id, o.code) for o in report.failures] == [("i-0004", "Forbidden.RAM")]
    assert ecs.rebooted() == {}


def test_over_the_wire_with_the_client() -> None:
    ecs = InProcessCloud(ids(8))
    ecs.backend.set_status("i-0003", "Stopped")
    report = dry_run(ecs.rebooter(), [*ids(8), "i-missing"], _opts(batch_optimization="SuccessFirst"))
    _dry_runs(ecs)  # every one AllTogether, DryRun
    assert {a for a, _ in ecs.calls()} == {"RebootInstances", "DescribeInstances"}  # the failed chunk was looked at
    assert [o.instance_id for o in report.warnings] == ["i-0003"]
    assert [(o.instance_id, o.code) for o in report.failures] == [("i-missing", "InvalidInstanceId.NotFound")]
    alone = next(r for r in ecs.requests() if instance_ids_of(r["params"]) == ["i-missing"])
    assert f"RequestId: {alone['requestId']}" in report.failures[0].message  # of the call that found it out
    assert len(report.passed) == 7 and ecs.rebooted() == {}


def _dry_runs_and_looks(ecs: InProcessCloud) -> tuple[int, int]:
    return ecs.count("RebootInstances"), ecs.count("DescribeInstances")


def test_a_wrong_region_costs_two_calls_per_hundred_ids_not_a_bisection() -> None:
    ecs = InProcessCloud(1000)
    report = dry_run(ecs.rebooter(), ecs.instance_ids(), RoundOptions(region_id="cn-beijing"))
    assert len(report.failures) == 1000 and {o.code for o in report.failures} == {"InvalidInstanceId.NotFound"}
    assert _dry_runs_and_looks(ecs) == (10, 10)


def test_unknown_ids_and_stopped_instances_are_told_apart_in_three_calls_per_chunk() -> None:
    ecs = InProcessCloud(300)
    known = ecs.instance_ids()
    stopped = known[5::50]  # 6 instances, in each of the three chunks
    for i in stopped:
        ecs.backend.set_status(i, "Stopped")
    unknown = [f"i-unknown{n:011d}" for n in range(30)]
    asked = [x for pair in zip(known[:30], unknown, strict=True) for x in pair] + known[30:]
    report = dry_run(ecs.rebooter(), asked, _opts())
    assert sorted(o.instance_id for o in report.failures) == sorted(unknown)
    assert all(o.code == "InvalidInstanceId.NotFound" and "RequestId" in o.message for o in report.failures)
    assert sorted(o.instance_id for o in report.warnings) == sorted(stopped)
    assert len(report.passed) == 300 - len(stopped)
    dry, looks = _dry_runs_and_looks(ecs)
    chunks = -(-len(asked) // 100)
    assert dry + looks <= 3 * chunks, (dry, looks)
    assert ecs.reboot_counts() == dict.fromkeys(known, 0)
