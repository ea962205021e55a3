"""StartTime as the real API reports it, the admin knob that sets it, and the stale-Running window."""

from __future__ import annotations

import datetime as _dt
import json
import re

from ecsreboot.core.clock import FakeClock
from ecsreboot.emulator import Ecs, EmulatorService, FaultPlan, Verifier
from ecsreboot.emulator.admin import handle_admin
from ecsreboot.emulator.responses import describe_instances

REGION = "cn-hangzhou"
MINUTE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\dZ$")  # yyyy-MM-ddTHH:mmZ, as documented


def _described(ecs: Ecs, iid: str) -> dict[str, object]:
    body = describe_instances(ecs, {"RegionId": REGION, "InstanceIds": json.dumps([iid])})
    [record] = body["Instances"]["Instance"]
    return dict(record)


def _parse(text: object) -> _dt.datetime:
    return _dt.datetime.strptime(str(text), "%Y-%m-%dT%H:%MZ").replace(tzinfo=_dt.UTC)


def test_a_new_fleet_started_long_before_the_first_request_each_at_its_own_time() -> None:
    clock = FakeClock()
    ecs = Ecs(clock, seed=7)
    ids = ecs.add_instances(20, REGION)
    starts = [_described(ecs, i)["StartTime"] for i in ids]
    assert all(MINUTE.fullmatch(str(s)) for s in starts)
    now = clock.utcnow()
    assert all(now - _parse(s) >= _dt.timedelta(days=1) for s in starts)
    assert len(set(starts)) > 10
    again = Ecs(FakeClock(), seed=7)
    assert [_described(again, i)["StartTime"] for i in again.add_instances(20, REGION)] == starts  # seeded


def test_every_start_moves_start_time_to_when_starting_began() -> None:
    clock = FakeClock()
    ecs = Ecs(clock, {"Stopping": 90.0, "Starting": 30.0})
    [iid] = ecs.add_instances(1, REGION)
    before = _described(ecs, iid)["StartTime"]
    ecs.reboot_instances(REGION, [iid])
    clock.advance(60)
    assert _described(ecs, iid)["StartTime"] == before  # still Stopping
    clock.advance(50)  # Starting began at +90 s, 20 s ago
    record = _described(ecs, iid)
    assert record["Status"] == "Starting"
    assert _parse(record["StartTime"]) == (clock.utcnow() - _dt.timedelta(seconds=20)).replace(second=0)
    clock.advance(600)
    ecs.reboot_instances(REGION, [iid])
    clock.advance(200)
    assert _parse(_described(ecs, iid)["StartTime"]) > _parse(record["StartTime"])


def test_the_stale_window_shows_the_old_running_and_start_time_to_describes_only() -> None:
    clock = FakeClock()
    ecs = Ecs(clock, {"Stopping": 1.0, "Starting": 1.0})
    ecs.set_stale_window(5.0)
    [iid] = ecs.add_instances(1, REGION)
    before = _described(ecs, iid)
    ecs.reboot_instances(REGION, [iid])
    clock.advance(4.0)
    stale = _described(ecs, iid)
    assert (stale["Status"], stale["StartTime"]) == ("Running", before["StartTime"])
    status_page = ecs.describe_instance_status(REGION, [iid])
    assert [v.status for v in status_page.items] == ["Running"]
    assert ecs.instance(iid).status == "Running" and ecs.instance(iid).reboots == 1  # the truth, for admins
    # the reboot calls see the truth: a re-send during the window is refused as busy
    ecs2 = Ecs(FakeClock(), {"Stopping": 10.0})
    ecs2.set_stale_window(5.0)
    [other] = ecs2.add_instances(1, REGION)
    ecs2.reboot_instances(REGION, [other])
    results = ecs2.reboot_instances(REGION, [other], batch_optimization="SuccessFirst")
    assert [r.code for r in results] == ["IncorrectInstanceStatus"]
    clock.advance(1.0)
    after = _described(ecs, iid)
    assert after["Status"] == "Running" and after["StartTime"] != before["StartTime"]


def test_admin_sets_start_time_and_stale_window_and_reset_restores_them() -> None:
    clock = FakeClock()
    ecs = Ecs(clock)
    service = EmulatorService(ecs, Verifier({}, [], clock), FaultPlan(), clock, instances=1)
    iid = ecs.instance_ids()[0]

    def admin(method: str, path: str, body: object = None) -> tuple[int, dict[str, object]]:
        raw = json.dumps(body).encode() if body is not None else b""
        return handle_admin(service, method, "/_emulator/" + path, raw)

    status, answer = admin("POST", "status", {"instanceId": iid, "startTime": "2025-12-31T23:59Z"})
    assert status == 200 and answer["instance"]["startTime"] == "2025-12-31T23:59:00Z"  # type: ignore[index]
    assert _described(ecs, iid)["StartTime"] == "2025-12-31T23:59Z"
    assert admin("POST", "status", {"instanceId": iid, "startTime": "2025-12-31T23:59:30Z"})[0] == 200
    status, answer = admin("POST", "status", {"instanceId": iid, "startTime": "yesterday"})
    assert status == 400 and "2026-01-02T03:04Z" in str(answer["error"])
    status, config = admin("POST", "config", {"staleWindow": 2.5})
    assert status == 200 and config["staleWindow"] == 2.5
    assert admin("POST", "config", {"staleWindow": -1})[0] == 400
    admin("POST", "reset")
    assert admin("GET", "config")[1]["staleWindow"] == 0.0
    assert _described(ecs, ecs.instance_ids()[0])["StartTime"] != "2025-12-31T23:59Z"
