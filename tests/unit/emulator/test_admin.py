"""The /_emulator/ admin routes, called without HTTP."""

from __future__ import annotations

import json
from typing import Any

import pytest

from ecsreboot.core.clock import FakeClock
from ecsreboot.emulator import Ecs, EmulatorService, FaultPlan, Verifier
from ecsreboot.emulator.admin import handle_admin


@pytest.fixture
def service() -> EmulatorService:
    clock = FakeClock()
    return EmulatorService(Ecs(clock), Verifier({}, [], clock), FaultPlan(), clock, instances=2)


def admin(service: EmulatorService, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    raw = json.dumps(body).encode() if body is not None else b""
    return handle_admin(service, method, "/_emulator/" + path, raw)


def test_add_and_list_instances(service: EmulatorService) -> None:
    status, answer = admin(service, "POST", "instances", {"count": 2, "region": "cn-beijing", "status": "Stopped"})
    assert status == 200 and len(answer["instanceIds"]) == 2
    status, listed = admin(service, "GET", "instances?region=cn-beijing")
    assert [i["status"] for i in listed["instances"]] == ["Stopped", "Stopped"]
    assert len(admin(service, "GET", "instances")[1]["instances"]) == 4


def test_set_status_lock_and_expiry(service: EmulatorService) -> None:
    iid = service.backend.instance_ids()[0]
    status, answer = admin(service, "POST", "status", {"instanceId": iid, "status": "Stopped", "lock": "security",
                                                        "expired": True})
    assert status == 200
    started = answer["instance"].pop("startTime")
    assert answer["instance"] == {"instanceId": iid, "region": "cn-hangzhou", "status": "Stopped",
                                  "locks": ["security"], "expired": True, "reboots": 0,
                                  "privateIpAddress": "172.16.0.2", "publicIpAddress": "", "eipAddress": "",
                                  "stuckIn": None, "denied": False, "tags": {},
                                  "vpcId": "vpc-cn-hangzhou-emulated", "vSwitchId": "vsw-cn-hangzhou-h-emulated",
                                  "zoneId": "cn-hangzhou-h", "resourceGroupId": "rg-emulated-default",
                                  "instanceName": f"emulated-{iid[2:10]}"}
    assert started.endswith("Z") and started < service.clock.utcnow().strftime("%Y-%m-%dT%H:%M:%SZ")
    _, answer = admin(service, "POST", "status", {"instanceId": iid, "lock": None, "expired": False})
    assert answer["instance"]["locks"] == [] and not answer["instance"]["expired"]


def test_faults_routes(service: EmulatorService) -> None:
    status, answer = admin(service, "POST", "faults", {"kind": "throttle", "action": "RebootInstances",
                                                        "count": 2, "retryAfterMs": 100})
    assert status == 200 and answer["fault"]["code"] == "Throttling" and answer["fault"]["retry_after_ms"] == 100
    assert len(admin(service, "GET", "faults")[1]["faults"]) == 1
    assert admin(service, "DELETE", "faults") == (200, {"ok": True})
    assert admin(service, "GET", "faults")[1] == {"faults": []}


def test_reboots_requests_reset_and_config(service: EmulatorService) -> None:
    ids = service.backend.instance_ids()
    service.backend.reboot_instances("cn-hangzhou", ids[:1])
    assert admin(service, "GET", "reboots") == (200, {ids[0]: 1, ids[1]: 0})
    assert admin(service, "GET", "requests") == (200, {"requests": []})
    status, config = admin(service, "POST", "config", {"latency": 0.1, "durations": {"Stopping": 0.5}})
    assert status == 200 and config["latency"] == 0.1 and config["durations"]["Stopping"] == 0.5
    assert admin(service, "POST", "reset") == (200, {"ok": True})
    assert admin(service, "GET", "reboots")[1] == dict.fromkeys(ids, 0)
    assert admin(service, "GET", "config")[1]["latency"] == 0.0


def test_scenario_knobs(service: EmulatorService) -> None:
    status, answer = admin(service, "POST", "instances", {"instanceIds": ["i-web1", "i-web2"]})
    assert (status, answer) == (200, {"instanceIds": ["i-web1", "i-web2"]})
    _, answer = admin(service, "POST", "status", {"instanceId": "i-web1", "stuckIn": "Stopping", "denied": True})
    assert (answer["instance"]["stuckIn"], answer["instance"]["denied"]) == ("Stopping", True)
    _, answer = admin(service, "POST", "status", {"instanceId": "i-web1", "stuckIn": None, "denied": False})
    assert (answer["instance"]["stuckIn"], answer["instance"]["denied"]) == (None, False)
    assert admin(service, "POST", "config", {"maxPageSize": 40})[1]["maxPageSize"] == 40
    assert service.backend.max_page_size() == 40
    assert admin(service, "POST", "config", {"maxPageSize": None})[1]["maxPageSize"] is None
    status, answer = admin(service, "POST", "faults", {"kind": "stale", "action": "DescribeInstances", "count": 3})
    assert status == 200 and answer["fault"]["kind"] == "stale" and answer["fault"]["count"] == 3


@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        ("GET", "nothing", None, 404),
        ("PUT", "faults", None, 405),
        ("POST", "faults", {"kind": "explode"}, 400),
        ("POST", "status", {"instanceId": "i-unknown", "status": "Stopped"}, 404),
        ("POST", "status", {"status": "Stopped"}, 400),
        ("POST", "instances", [1, 2], 400),
        ("POST", "config", {"latency": -1}, 400),
        ("POST", "config", {"durations": {"Running": 1}}, 400),
        ("POST", "config", {"maxPageSize": 0}, 400),
        ("POST", "instances", {"instanceIds": "i-one"}, 400),
        ("POST", "instances", {"instanceIds": ["web1"]}, 400),
        ("POST", "status", {"instanceId": "i-unknown", "stuckIn": "Stopping"}, 404),
    ],
)
def test_bad_admin_requests(service: EmulatorService, method: str, path: str, body: Any, status: int) -> None:
    got, answer = admin(service, method, path, body)
    assert got == status and answer["error"]


def test_invalid_json(service: EmulatorService) -> None:
    assert handle_admin(service, "POST", "/_emulator/instances", b"{nope")[0] == 400
