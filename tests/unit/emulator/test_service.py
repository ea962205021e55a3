"""Requests through the service (no sockets): faults, formats, request log without secrets."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest

from ecsreboot.core.clock import FakeClock
from ecsreboot.core.credentials import Credentials
from ecsreboot.emulator import Ecs, EmulatorService, Fault, FaultPlan, Verifier, WireRequest

from .signed import AK, NOW, SECRET, v1_request, v3_request

REGION = "cn-hangzhou"
STS = Credentials("STS.key", "sts-secret", "token-value")


class Sleeps(list[float]):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def service(sleeps: Sleeps) -> EmulatorService:
    clock = FakeClock(wall=NOW)
    verifier = Verifier({AK: SECRET}, [(STS.access_key_id, STS.access_key_secret, "token-value")], clock)
    return EmulatorService(Ecs(clock), verifier, FaultPlan(seed=1), clock, instances=3, sleep=sleeps)


def reboot(service: EmulatorService, iid: str, **extra: str) -> WireRequest:
    return v1_request({"RegionId": REGION, "InstanceId.1": iid, "Format": "JSON", **extra},
                      action="RebootInstances")


def ids(service: EmulatorService) -> list[str]:
    return service.backend.instance_ids(REGION)


def test_success_is_json_with_a_request_id(service: EmulatorService) -> None:
    iid = ids(service)[0]
    out = service.handle(reboot(service, iid))
    body = json.loads(out.body)
    assert out.status == 200 and not out.drop
    assert body["RequestId"] == out.headers["x-acs-request-id"]
    assert body["InstanceResponses"]["InstanceResponse"][0]["InstanceId"] == iid


def test_v1_without_format_answers_xml(service: EmulatorService) -> None:
    req = v1_request({"RegionId": REGION}, fmt=None)
    out = service.handle(req)
    root = ET.fromstring(out.body)
    assert out.content_type.startswith("text/xml")
    assert root.tag == "DescribeInstanceStatusResponse"
    assert len(root.findall("InstanceStatuses/InstanceStatus")) == 3


def test_v3_answers_json_and_takes_the_action_from_the_header(service: EmulatorService) -> None:
    out = service.handle(v3_request({"RegionId": REGION}, action="DescribeInstanceStatus"))
    assert json.loads(out.body)["TotalCount"] == 3


def test_errors_carry_the_documented_fields(service: EmulatorService) -> None:
    out = service.handle(v1_request({"RegionId": REGION, "InstanceId.1": "i-x", "Format": "JSON"},
                                    action="RebootInstances"))
    body = json.loads(out.body)
    assert out.status == 404 and out.code == "InvalidInstanceId.NotFound"
    assert set(body) == {"RequestId", "HostId", "Code", "Message", "Recommend"}
    assert body["Recommend"].endswith(f"requestId={body['RequestId']}")


def test_throttle_fault_with_retry_after(service: EmulatorService) -> None:
    iid = ids(service)[0]
    service.faults.throttle("RebootInstances", count=1, code="Throttling.User", retry_after_ms=250)
    out = service.handle(reboot(service, iid))
    assert (out.status, out.code, out.headers["x-acs-retry-after"]) == (400, "Throttling.User", "250")
    assert service.backend.reboot_counts()[iid] == 0
    assert service.handle(reboot(service, iid)).status == 200  # count used up


def test_error_fault_uses_the_given_status(service: EmulatorService) -> None:
    service.faults.error("ServiceUnavailable", 503, action="DescribeInstanceStatus")
    out = service.handle(v3_request({"RegionId": REGION}))
    assert (out.status, out.code) == (503, "ServiceUnavailable")
    assert "x-acs-retry-after" not in out.headers


def test_faults_only_hit_their_action(service: EmulatorService) -> None:
    service.faults.error("InternalError", action="RebootInstances")
    assert service.handle(v3_request({"RegionId": REGION})).status == 200
    assert service.faults.active()


def test_drop_before_does_not_run_the_action(service: EmulatorService) -> None:
    iid = ids(service)[0]
    service.faults.drop_before("RebootInstances")
    assert service.handle(reboot(service, iid)).drop
    assert service.backend.reboot_counts()[iid] == 0


def test_drop_after_runs_the_action(service: EmulatorService) -> None:
    iid = ids(service)[0]
    service.faults.drop_after()
    assert service.handle(reboot(service, iid)).drop
    assert service.backend.reboot_counts()[iid] == 1
    assert service.requests()[-1]["status"] is None and service.requests()[-1]["fault"] == "drop_after"


def test_drop_after_loses_an_error_answer_too(service: EmulatorService) -> None:
    iid = ids(service)[0]
    service.faults.drop_after("RebootInstances", count=2)
    assert service.handle(reboot(service, iid, DryRun="true")).drop  # DRYRUN.SUCCESS, lost
    assert service.handle(reboot(service, "i-unknown")).drop  # InvalidInstanceId.NotFound, lost
    assert service.backend.reboot_counts()[iid] == 0
    assert [(r["status"], r["fault"]) for r in service.requests()] == [(None, "drop_after")] * 2


def test_latency_fault_and_global_latency_add_up(service: EmulatorService, sleeps: Sleeps) -> None:
    service.latency = 0.5
    service.faults.latency(0.25, count=1)
    service.faults.error("InternalError")
    out = service.handle(v3_request({"RegionId": REGION}))
    assert sleeps == [0.5, 0.25] and out.status == 500


def test_faults_apply_after_the_signature_check(service: EmulatorService) -> None:
    service.faults.error("InternalError")
    bad = v1_request({"RegionId": REGION}, creds=Credentials(AK, "wrong"))
    assert service.handle(bad).code == "SignatureDoesNotMatch"
    assert service.faults.active()  # not consumed by the rejected request


def test_probability_draws_are_seeded() -> None:
    def hits(seed: int) -> list[bool]:
        plan = FaultPlan(seed)
        plan.error(probability=0.5)
        return [plan.decide("X").fault is not None for _ in range(40)]

    assert hits(3) == hits(3)
    assert 5 < sum(hits(3)) < 35
    assert hits(3) != hits(4)


def test_probability_with_count_stops_after_count_hits() -> None:
    plan = FaultPlan()
    plan.throttle(probability=1.0, count=2)
    assert [plan.decide("X").kind for _ in range(3)] == ["throttle", "throttle", None]


def test_first_terminal_fault_wins_and_later_ones_wait() -> None:
    plan = FaultPlan()
    plan.drop_before()
    plan.error()
    assert [plan.decide("X").kind for _ in range(3)] == ["drop_before", "error", None]


def test_bad_faults_are_refused() -> None:
    with pytest.raises(ValueError):
        Fault("explode")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        Fault("error", probability=2.0)


def test_request_log_never_holds_credentials(service: EmulatorService) -> None:
    iid = ids(service)[0]
    service.handle(v1_request({"RegionId": REGION, "InstanceId.1": iid, "Echo": "sts-secret"}, creds=STS,
                              action="RebootInstances"))
    service.handle(v3_request({"RegionId": REGION}, creds=STS))
    text = json.dumps(service.requests())
    for secret in (STS.access_key_id, STS.access_key_secret, "token-value", AK, SECRET):
        assert secret not in text
    first = service.requests()[0]
    assert first["action"] == "RebootInstances" and first["params"]["InstanceId.1"] == iid
    assert first["params"]["Echo"] == "<redacted>"
    assert {"AccessKeyId", "Signature", "SecurityToken"}.isdisjoint(first["params"])
    assert [r["signatureVersion"] for r in service.requests()] == ["v1", "v3"]


def test_reset_restores_the_initial_instances(service: EmulatorService) -> None:
    before = ids(service)
    service.handle(reboot(service, before[0]))
    service.backend.add_instances(2)
    service.faults.error()
    service.latency = 3.0
    service.reset()
    assert ids(service) == before
    assert service.backend.reboot_counts() == dict.fromkeys(before, 0)
    assert service.faults.active() == [] and service.requests() == [] and service.latency == 0.0


def test_retry_after_keeps_exact_milliseconds(service: EmulatorService) -> None:
    service.faults.throttle(retry_after_ms=1001)
    assert service.handle(v3_request({"RegionId": REGION})).headers["x-acs-retry-after"] == "1001"


def test_an_emulator_bug_answers_internal_error(service: EmulatorService, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(service.backend, "describe_instance_status", broken)
    out = service.handle(v3_request({"RegionId": REGION}))
    assert (out.status, out.code) == (500, "InternalError")
    assert "RuntimeError: boom" in json.loads(out.body)["Message"]


def test_refused_does_not_run_the_action_and_says_nothing_was_delivered(service: EmulatorService) -> None:
    iid = ids(service)[0]
    service.faults.add(Fault("refused", "RebootInstances"))
    out = service.handle(reboot(service, iid))
    assert out.drop and out.refused
    assert service.backend.reboot_counts()[iid] == 0
    assert service.requests()[-1]["fault"] == "refused"
    service.faults.drop_before()
    assert not service.handle(reboot(service, iid)).refused  # a drop may have been delivered


def test_garbage_answers_200_with_no_api_body_and_does_not_run_the_action(service: EmulatorService) -> None:
    iid = ids(service)[0]
    service.faults.add(Fault("garbage"))
    out = service.handle(reboot(service, iid))
    assert (out.status, out.content_type) == (200, "text/html;charset=utf-8") and out.body.startswith(b"<html>")
    assert service.backend.reboot_counts()[iid] == 0


def test_stale_describes_show_each_instance_as_before_its_last_reboot_call(service: EmulatorService) -> None:
    rebooted, other = ids(service)[:2]
    before = service.backend.instance(rebooted).start_time
    assert service.handle(reboot(service, rebooted)).status == 200
    assert isinstance(service.clock, FakeClock)
    service.clock.advance(2.5)  # Starting: a new StartTime
    describe = {"RegionId": REGION, "InstanceIds": json.dumps([rebooted, other]), "Format": "JSON"}
    service.faults.add(Fault("stale", "DescribeInstances", count=1))
    service.faults.add(Fault("stale", "DescribeInstanceStatus", count=1))
    stale = json.loads(service.handle(v1_request(describe, action="DescribeInstances")).body)["Instances"]["Instance"]
    fresh = json.loads(service.handle(v1_request(describe, action="DescribeInstances")).body)["Instances"]["Instance"]
    assert [(r["Status"], r["StartTime"]) for r in stale] == [("Running", before),
                                                             ("Running", fresh[1]["StartTime"])]
    assert fresh[0]["Status"] == "Starting" and fresh[0]["StartTime"] != before
    assert {k: v for k, v in stale[0].items() if k not in ("Status", "StartTime")} == {
        k: v for k, v in fresh[0].items() if k not in ("Status", "StartTime")}
    statuses = json.loads(service.handle(v1_request({"RegionId": REGION, "InstanceId.1": rebooted, "Format": "JSON"},
                                                    action="DescribeInstanceStatus")).body)
    assert statuses["InstanceStatuses"]["InstanceStatus"] == [{"InstanceId": rebooted, "Status": "Running"}]
    assert [r["fault"] for r in service.requests()[-3:]] == ["stale", None, "stale"]
