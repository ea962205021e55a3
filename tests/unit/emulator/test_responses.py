"""Action functions: wire parameters validated by the operations table, bodies shaped as documented."""

from __future__ import annotations

import json
from typing import Any

import pytest

from ecsreboot.core.clock import FakeClock
from ecsreboot.core.errors import ApiError
from ecsreboot.emulator import Ecs
from ecsreboot.emulator.responses import dispatch

REGION = "cn-hangzhou"


@pytest.fixture
def ecs() -> Ecs:
    return Ecs(FakeClock())


def call(ecs: Ecs, action: str, **params: str) -> dict[str, Any]:
    return dispatch(ecs, action, params)


def failure(ecs: Ecs, action: str, **params: str) -> ApiError:
    with pytest.raises(ApiError) as info:
        dispatch(ecs, action, params)
    return info.value


def ids_params(ids: list[str]) -> dict[str, str]:
    return {f"InstanceId.{n}": i for n, i in enumerate(ids, start=1)}


def test_reboot_instances_body(ecs: Ecs) -> None:
    ids = ecs.add_instances(2)
    body = dispatch(ecs, "RebootInstances", {"RegionId": REGION, **ids_params(ids), "ForceReboot": "True"})
    assert [r["InstanceId"] for r in body["InstanceResponses"]["InstanceResponse"]] == ids
    assert {r["Code"] for r in body["InstanceResponses"]["InstanceResponse"]} == {"200"}


def test_reboot_instances_booleans_any_case(ecs: Ecs) -> None:
    [iid] = ecs.add_instances(1)
    for value in ("True", "true", "TRUE"):
        assert failure(ecs, "RebootInstances", RegionId=REGION, **{"InstanceId.1": iid}, DryRun=value).code == (
            "DRYRUN.SUCCESS"
        )
    assert ecs.reboot_counts()[iid] == 0


def test_reboot_instances_success_first_through_the_wire(ecs: Ecs) -> None:
    [iid] = ecs.add_instances(1)
    body = call(ecs, "RebootInstances", RegionId=REGION, BatchOptimization="SuccessFirst",
                **{"InstanceId.1": iid, "InstanceId.2": "i-TestID"})
    assert [r["Code"] for r in body["InstanceResponses"]["InstanceResponse"]] == ["200", "InvalidInstanceId.NotFound"]


@pytest.mark.parametrize(
    ("params", "code", "status", "message"),
    [
        ({"InstanceId.1": "i-a"}, "MissingParameter", 400, 'The input parameter "RegionId" that is mandatory'),
        ({"RegionId": REGION}, "MissingParameter", 400, 'The input parameter "InstanceId" that is mandatory'),
        ({"RegionId": REGION, "InstanceId.1": "i-a", "DryRun": "maybe"}, "InvalidParameter", 400,
         'The specified parameter "DryRun" is not valid.'),
        ({"RegionId": REGION, "InstanceId.1": "i-a", "BatchOptimization": "Fast"}, "InvalidParameter", 400,
         'The specified parameter "BatchOptimization" is not valid.'),
        ({"RegionId": REGION, **{f"InstanceId.{n}": f"i-{n}" for n in range(1, 102)}},
         "InvalidParameter.TooManyInstanceIds", 403, "The number of instance IDs exceeds the upper limit of 100."),
    ],
)
def test_reboot_instances_bad_parameters(ecs: Ecs, params: dict[str, str], code: str, status: int,
                                         message: str) -> None:
    """Refused by the request layer (the one place the emulator validates), as documented: code, HTTP
    status, message."""
    with pytest.raises(ApiError) as info:
        dispatch(ecs, "RebootInstances", params)
    assert (info.value.code, info.value.http_status) == (code, status)
    assert info.value.message.startswith(message)


def test_reboot_instance_with_and_without_region(ecs: Ecs) -> None:
    [iid] = ecs.add_instances(1, "cn-beijing")
    assert call(ecs, "RebootInstance", InstanceId=iid) == {}
    assert failure(ecs, "RebootInstance", InstanceId=iid, RegionId=REGION).code == "InvalidInstanceId.NotFound"
    assert failure(ecs, "RebootInstance").code == "MissingParameter"


def test_describe_instance_status_body(ecs: Ecs) -> None:
    ids = ecs.add_instances(3)
    body = call(ecs, "DescribeInstanceStatus", RegionId=REGION, PageSize="2", PageNumber="2")
    assert body == {
        "InstanceStatuses": {"InstanceStatus": [{"InstanceId": ids[2], "Status": "Running"}]},
        "TotalCount": 3, "PageNumber": 2, "PageSize": 2,
    }


def test_describe_instance_status_defaults_to_ten_per_page_and_caps_at_fifty(ecs: Ecs) -> None:
    ecs.add_instances(12)
    assert len(call(ecs, "DescribeInstanceStatus", RegionId=REGION)["InstanceStatuses"]["InstanceStatus"]) == 10
    assert failure(ecs, "DescribeInstanceStatus", RegionId=REGION, PageSize="51").code == "InvalidParameter"


def test_describe_instances_body_with_locks_and_tokens(ecs: Ecs) -> None:
    ids = ecs.add_instances(3)
    ecs.lock(ids[0], "security", "by test")
    body = call(ecs, "DescribeInstances", RegionId=REGION, InstanceIds=json.dumps(ids), MaxResults="2")
    first = body["Instances"]["Instance"][0]
    assert first["InstanceId"] == ids[0] and first["Status"] == "Running" and first["RegionId"] == REGION
    assert first["OperationLocks"] == {"LockReason": [{"LockReason": "security", "LockMsg": "by test"}]}
    assert body["TotalCount"] == 3 and body["NextToken"]
    rest = call(ecs, "DescribeInstances", RegionId=REGION, InstanceIds=json.dumps(ids), MaxResults="2",
                NextToken=body["NextToken"])
    assert [i["InstanceId"] for i in rest["Instances"]["Instance"]] == [ids[2]]
    assert rest["NextToken"] == ""


def test_describe_instances_rejects_a_non_json_id_list(ecs: Ecs) -> None:
    assert failure(ecs, "DescribeInstances", RegionId=REGION, InstanceIds="i-a,i-b").code == "InvalidParameter"


def test_unknown_action(ecs: Ecs) -> None:
    err = failure(ecs, "StopInstances", RegionId=REGION)
    assert (err.code, err.http_status) == ("InvalidAction.NotFound", 404)
    assert failure(ecs, "").code == "InvalidAction.NotFound"
