"""Dry runs: AllTogether per chunk, bisected on failure so every instance gets its own verdict."""

from __future__ import annotations

import pytest

from ecsreboot.core.clock import FakeClock
from ecsreboot.core.model import RoundOptions
from ecsreboot.ecs import dry_run, verdict

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
    report = dry_run(ecs.client(), [*ids(8), "i-missing"], _opts(batch_optimization="SuccessFirst"))
    modes = {p["BatchOptimization"] for a, p in ecs.calls}
    assert modes == {"AllTogether"} and all(p["DryRun"] == "true" for _, p in ecs.calls)
    assert [o.instance_id for o in report.warnings] == ["i-0003"]
    assert [(o.instance_id, o.code) for o in report.failures] == [("i-missing", "InvalidInstanceId.NotFound")]
    assert "RequestId: REQ-" in report.failures[0].message
    assert len(report.passed) == 7 and ecs.reboots == {}
