"""Terraform objects <-> the lifecycle's property maps, and the plan's merge of configuration and defaults."""

from __future__ import annotations

from ecsreboot.core.checks import check_inputs
from ecsreboot.core.values import UNKNOWN
from ecsreboot.terraform.schema import resource_block
from ecsreboot.terraform.values import attribute_path, from_wire, outputs, planned_inputs, to_wire

BLOCK = resource_block()


def config(**given: object) -> dict[str, object]:
    value = from_wire(BLOCK, {})
    value.update(given)
    return value


def test_a_configuration_becomes_the_map_check_takes() -> None:
    value = config(instance_ids=["i-a"], triggers={"v": "1"}, max_unavailable=2,
                   health_check={"url": "http://{privateIp}/", "expected_status": None, "timeout_seconds": None,
                                 "interval_seconds": None, "healthy_threshold": None, "unhealthy_threshold": 3,
                                 "initial_delay_seconds": None},
                   timeouts={"create": "5m", "update": None})
    assert to_wire(BLOCK, value) == {"instanceIds": ["i-a"], "triggers": {"v": "1"}, "maxUnavailable": 2,
                                     "healthCheck": {"url": "http://{privateIp}/", "unhealthyThreshold": 3}}


def test_unknowns_travel_through() -> None:
    assert to_wire(BLOCK, config(instance_ids=UNKNOWN, triggers={"v": UNKNOWN})) == {
        "instanceIds": UNKNOWN, "triggers": {"v": UNKNOWN}}


def test_a_state_map_becomes_an_object_with_snake_case_results() -> None:
    state = {"instanceIds": ["i-a"], "rebootCount": 1, "failedInstanceIds": [],
             "results": [{"instanceId": "i-a", "code": "200", "message": "", "previousStatus": "Running",
                          "currentStatus": "Stopping"}]}
    value = from_wire(BLOCK, state)
    assert value["results"] == [{"instance_id": "i-a", "code": "200", "message": "", "previous_status": "Running",
                                 "current_status": "Stopping"}]
    assert value["id"] is None and value["health_check"] is None and value["max_unavailable"] is None
    assert to_wire(BLOCK, value) == state  # and back
    assert outputs(BLOCK, state)["reboot_count"] == 1


def test_the_plan_keeps_the_configuration_and_fills_only_computed_defaults() -> None:
    value = config(instance_ids=["i-a"], force_reboot=True,
                   health_check={"url": "tcp://{privateIp}:22", "expected_status": None, "timeout_seconds": 2,
                                 "interval_seconds": None, "healthy_threshold": None, "unhealthy_threshold": None,
                                 "initial_delay_seconds": None})
    checked, failures = check_inputs(to_wire(BLOCK, value), default_region="cn-beijing")
    assert not failures
    planned = planned_inputs(BLOCK, value, checked)
    assert planned["force_reboot"] is True and planned["triggers"] == {} and planned["region_id"] == "cn-beijing"
    assert planned["batch_optimization"] == "AllTogether" and planned["max_unavailable"] is None
    assert planned["health_check"]["timeout_seconds"] == 2 and planned["health_check"]["interval_seconds"] == 5
    assert planned["health_check"]["unhealthy_threshold"] is None
    assert "reboot_count" not in planned and planned["timeouts"] is None


def test_check_failures_name_attribute_paths() -> None:
    assert attribute_path(BLOCK, "instanceIds") == ["instance_ids"]
    assert attribute_path(BLOCK, "healthCheck.intervalSeconds") == ["health_check", "interval_seconds"]
    assert attribute_path(BLOCK, "nothing") is None
