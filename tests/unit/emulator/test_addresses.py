"""Instance addresses: DescribeInstances reports them as the real API nests them; the admin API sets them."""

from __future__ import annotations

import json
from typing import Any

import pytest

from ecsreboot.core.clock import FakeClock
from ecsreboot.emulator import Ecs, EmulatorService, FaultPlan, Verifier
from ecsreboot.emulator.admin import handle_admin
from ecsreboot.emulator.responses import dispatch


@pytest.fixture
def service() -> EmulatorService:
    clock = FakeClock()
    return EmulatorService(Ecs(clock), Verifier({}, [], clock), FaultPlan(), clock, instances=3)


def admin(service: EmulatorService, body: Any) -> tuple[int, Any]:
    return handle_admin(service, "POST", "/_emulator/addresses", json.dumps(body).encode())


def records(service: EmulatorService) -> dict[str, dict[str, Any]]:
    ids = service.backend.instance_ids()
    body = dispatch(service.backend, "DescribeInstances", {"RegionId": "cn-hangzhou", "InstanceIds": json.dumps(ids)})
    return {r["InstanceId"]: r for r in body["Instances"]["Instance"]}


def test_new_instances_have_distinct_private_ips_and_no_public_one(service: EmulatorService) -> None:
    found = records(service)
    privates = [r["VpcAttributes"]["PrivateIpAddress"]["IpAddress"] for r in found.values()]
    assert privates == [["172.16.0.2"], ["172.16.0.3"], ["172.16.0.4"]]
    for record in found.values():
        assert record["PublicIpAddress"] == {"IpAddress": []}
        assert record["EipAddress"]["IpAddress"] == ""
        assert record["InstanceNetworkType"] == "vpc"


def test_admin_sets_and_clears_each_address(service: EmulatorService) -> None:
    iid = service.backend.instance_ids()[1]
    status, answer = admin(service, {"instanceId": iid, "privateIpAddress": "127.0.0.2",
                                     "publicIpAddress": "127.0.0.3", "eipAddress": "127.0.0.4"})
    assert status == 200
    assert (answer["instance"]["privateIpAddress"], answer["instance"]["publicIpAddress"],
            answer["instance"]["eipAddress"]) == ("127.0.0.2", "127.0.0.3", "127.0.0.4")
    record = records(service)[iid]
    assert record["VpcAttributes"]["PrivateIpAddress"]["IpAddress"] == ["127.0.0.2"]
    assert record["PublicIpAddress"]["IpAddress"] == ["127.0.0.3"]
    assert record["EipAddress"]["IpAddress"] == "127.0.0.4" and record["EipAddress"]["AllocationId"]
    status, _ = admin(service, {"instanceId": iid, "publicIpAddress": None, "eipAddress": ""})
    record = records(service)[iid]
    assert status == 200 and record["PublicIpAddress"]["IpAddress"] == [] and record["EipAddress"]["IpAddress"] == ""
    assert record["VpcAttributes"]["PrivateIpAddress"]["IpAddress"] == ["127.0.0.2"]  # untouched


@pytest.mark.parametrize(("body", "status", "words"), [
    ({"privateIpAddress": "not-an-ip"}, 400, "IPv4"),
    ({"privateIpAddress": "::1"}, 400, "IPv4"),
    ({"publicIp": "127.0.0.2"}, 400, "unknown field"),
])
def test_bad_addresses_are_refused(service: EmulatorService, body: dict[str, Any], status: int, words: str) -> None:
    iid = service.backend.instance_ids()[0]
    got, answer = admin(service, {"instanceId": iid, **body})
    assert got == status and words in answer["error"]
    assert records(service)[iid]["VpcAttributes"]["PrivateIpAddress"]["IpAddress"] == ["172.16.0.2"]


def test_unknown_instance_is_404(service: EmulatorService) -> None:
    status, answer = admin(service, {"instanceId": "i-nope", "privateIpAddress": "127.0.0.2"})
    assert status == 404 and "i-nope" in answer["error"]
