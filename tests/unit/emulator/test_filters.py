"""The emulator's instance attributes (tags, VPC, vSwitch, zone, resource group, name): seeded from the admin
API and the command line, reported by DescribeInstances, filtered on as the API filters, paged with
MaxResults/NextToken and PageNumber/PageSize; a caller without the describe permission is listed nothing."""

from __future__ import annotations

import argparse
import json
from typing import Any

import pytest

from ecsreboot.core.clock import FakeClock
from ecsreboot.core.errors import ApiError
from ecsreboot.emulator import Attributes, Ecs, EmulatorService, FaultPlan, Group, Verifier
from ecsreboot.emulator.__main__ import build_parser, fleet_of, main
from ecsreboot.emulator.admin import handle_admin
from ecsreboot.emulator.responses import dispatch

REGION = "cn-hangzhou"
WEB = Attributes(tags={"app": "web", "env": "prod"}, vpc_id="vpc-x", v_switch_id="vsw-x1", zone_id="cn-hangzhou-h",
                 resource_group_id="rg-web", instance_name="web-{n}")


@pytest.fixture
def ecs() -> Ecs:
    """3 web instances in vpc-x, 2 web instances of env=test in vpc-y/zone k, 2 db instances, 1 untouched."""
    e = Ecs(FakeClock())
    e.add_instances(["i-web1", "i-web2", "i-web3"], attributes=WEB)
    e.add_instances(["i-test1", "i-test2"], attributes=Attributes(
        tags={"app": "web", "env": "test"}, vpc_id="vpc-y", v_switch_id="vsw-y1", zone_id="cn-hangzhou-k",
        instance_name="web-test-{n}"))
    e.add_instances(["i-db1", "i-db2"], attributes=Attributes(tags={"app": "db"}, vpc_id="vpc-x",
                                                              v_switch_id="vsw-x2", instance_name="db-{n}"))
    e.add_instances(["i-plain"])
    return e


def listed(ecs: Ecs, **params: str) -> list[str]:
    body = dispatch(ecs, "DescribeInstances", {"RegionId": REGION, "MaxResults": "100", **params})
    return [i["InstanceId"] for i in body["Instances"]["Instance"]]


def test_records_carry_the_attributes_as_the_api_nests_them(ecs: Ecs) -> None:
    body = dispatch(ecs, "DescribeInstances", {"RegionId": REGION, "InstanceIds": '["i-web2", "i-plain"]'})
    web, plain = body["Instances"]["Instance"]
    assert web["Tags"] == {"Tag": [{"TagKey": "app", "TagValue": "web"}, {"TagKey": "env", "TagValue": "prod"}]}
    assert (web["VpcAttributes"]["VpcId"], web["VpcAttributes"]["VSwitchId"]) == ("vpc-x", "vsw-x1")
    assert (web["ZoneId"], web["ResourceGroupId"], web["InstanceName"]) == ("cn-hangzhou-h", "rg-web", "web-2")
    assert plain["Tags"] == {"Tag": []} and plain["VpcAttributes"]["VpcId"] == "vpc-cn-hangzhou-emulated"
    assert (plain["ZoneId"], plain["ResourceGroupId"]) == ("cn-hangzhou-h", "rg-emulated-default")
    assert plain["InstanceName"] == "emulated-plain"


@pytest.mark.parametrize(("params", "expected"), [
    ({"Tag.1.Key": "app", "Tag.1.Value": "web"}, ["i-web1", "i-web2", "i-web3", "i-test1", "i-test2"]),
    ({"Tag.1.Key": "app", "Tag.1.Value": "web", "Tag.2.Key": "env", "Tag.2.Value": "prod"},
     ["i-web1", "i-web2", "i-web3"]),
    ({"Tag.1.Key": "env"}, ["i-web1", "i-web2", "i-web3", "i-test1", "i-test2"]),  # a key alone: any value
    ({"Tag.1.Key": "env", "Tag.1.Value": ""}, ["i-web1", "i-web2", "i-web3", "i-test1", "i-test2"]),
    ({"Tag.1.Key": "App", "Tag.1.Value": "web"}, []),  # keys are case-sensitive
    ({"VpcId": "vpc-x"}, ["i-web1", "i-web2", "i-web3", "i-db1", "i-db2"]),
    ({"VSwitchId": "vsw-x2"}, ["i-db1", "i-db2"]),
    ({"ZoneId": "cn-hangzhou-k"}, ["i-test1", "i-test2"]),
    ({"ResourceGroupId": "rg-web"}, ["i-web1", "i-web2", "i-web3"]),
    ({"InstanceName": "web-*"}, ["i-web1", "i-web2", "i-web3", "i-test1", "i-test2"]),
    ({"InstanceName": "web-2"}, ["i-web2"]),
    ({"InstanceName": "*-1"}, ["i-web1", "i-test1", "i-db1"]),
    ({"Tag.1.Key": "app", "Tag.1.Value": "web", "VpcId": "vpc-x"}, ["i-web1", "i-web2", "i-web3"]),
    ({"VpcId": "vpc-x", "ZoneId": "cn-hangzhou-k"}, []),
    ({"InstanceIds": '["i-web1", "i-db1", "i-test1"]', "VpcId": "vpc-x"}, ["i-web1", "i-db1"]),
])
def test_each_filter_narrows_the_listing_and_all_of_them_must_match(ecs: Ecs, params: dict[str, str],
                                                                    expected: list[str]) -> None:
    assert listed(ecs, **params) == expected


def test_a_filtered_fleet_of_250_pages_with_max_results_and_next_token() -> None:
    e = Ecs(FakeClock())
    e.add_instances(100)  # not selected, interleaved by creation order
    web = e.add_instances(250, attributes=Attributes(tags={"app": "web"}))
    e.add_instances(30)
    pages, token, seen = 0, "", []
    while True:
        body = dispatch(e, "DescribeInstances", {"RegionId": REGION, "Tag.1.Key": "app", "Tag.1.Value": "web",
                                                 "MaxResults": "100", **({"NextToken": token} if token else {})})
        pages += 1
        assert body["TotalCount"] == 250
        seen += [i["InstanceId"] for i in body["Instances"]["Instance"]]
        token = body["NextToken"]
        if not token:
            break
    assert pages == 3 and seen == web


def test_page_number_and_page_size_page_a_filtered_listing_too() -> None:
    e = Ecs(FakeClock())
    web = e.add_instances(25, attributes=Attributes(vpc_id="vpc-x"))
    e.add_instances(5)
    got = []
    for page in (1, 2, 3):
        body = dispatch(e, "DescribeInstances", {"RegionId": REGION, "VpcId": "vpc-x", "PageSize": "10",
                                                 "PageNumber": str(page)})
        assert (body["TotalCount"], body["PageNumber"], body["PageSize"]) == (25, page, 10)
        got += [i["InstanceId"] for i in body["Instances"]["Instance"]]
    assert got == web


def test_dry_run_passes_and_a_denied_caller_is_listed_nothing_and_refused_only_by_a_dry_run(ecs: Ecs) -> None:
    with pytest.raises(ApiError) as passed:
        dispatch(ecs, "DescribeInstances", {"RegionId": REGION, "VpcId": "vpc-x", "DryRun": "true"})
    assert (passed.value.code, passed.value.http_status) == ("DryRunOperation", 400)
    ecs.set_describe_denied(True)
    assert listed(ecs, VpcId="vpc-x") == [] and listed(ecs) == []
    statuses = dispatch(ecs, "DescribeInstanceStatus", {"RegionId": REGION})
    assert statuses["InstanceStatuses"]["InstanceStatus"] == []
    with pytest.raises(ApiError) as refused:
        dispatch(ecs, "DescribeInstances", {"RegionId": REGION, "VpcId": "vpc-x", "DryRun": "True"})
    assert (refused.value.code, refused.value.http_status) == ("Forbidden.RAM", 403)
    ecs.reset()
    assert not ecs.describe_denied()


def test_set_attributes_changes_what_a_filter_finds(ecs: Ecs) -> None:
    ecs.set_attributes("i-web1", Attributes(tags={}))
    ecs.set_attributes("i-plain", Attributes(tags={"app": "web", "env": "prod"}, vpc_id="vpc-x"))
    assert listed(ecs, **{"Tag.1.Key": "env", "Tag.1.Value": "prod"}, VpcId="vpc-x") == [
        "i-web2", "i-web3", "i-plain"]
    assert ecs.instance("i-web1").vpc_id == "vpc-x"  # what was not given stays


# --- the admin API and the command line ------------------------------------------------------------------


@pytest.fixture
def service() -> EmulatorService:
    clock = FakeClock()
    return EmulatorService(Ecs(clock), Verifier({}, [], clock), FaultPlan(), clock, instances=1,
                           fleet=[Group(2, attributes=Attributes(tags={"app": "web"}, instance_name="web-{n}"))])


def admin(service: EmulatorService, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    return handle_admin(service, method, "/_emulator/" + path, json.dumps(body).encode() if body is not None else b"")


def test_the_seed_fleet_is_created_and_comes_back_on_reset(service: EmulatorService) -> None:
    def names() -> list[tuple[str, dict[str, str]]]:
        return [(i["instanceName"], i["tags"]) for i in admin(service, "GET", "instances")[1]["instances"]]

    first = names()
    assert first[1:] == [("web-1", {"app": "web"}), ("web-2", {"app": "web"})]
    admin(service, "POST", "attributes", {"instanceId": service.backend.instance_ids()[1], "tags": {}})
    admin(service, "POST", "config", {"describeDenied": True})
    admin(service, "POST", "reset")
    assert names() == first and not service.backend.describe_denied()


def test_admin_creates_instances_with_attributes_and_changes_them(service: EmulatorService) -> None:
    status, made = admin(service, "POST", "instances", {"count": 2, "tags": {"app": "api"}, "vpcId": "vpc-z",
                                                        "zoneId": "cn-hangzhou-k", "instanceName": "api-{n}"})
    assert status == 200
    ids = made["instanceIds"]
    status, changed = admin(service, "POST", "attributes", {"instanceIds": ids, "resourceGroupId": "rg-api",
                                                            "tags": {"app": "api", "tier": "1"}})
    assert status == 200
    assert [(i["instanceName"], i["vpcId"], i["zoneId"], i["resourceGroupId"], i["tags"])
            for i in changed["instances"]] == [
        ("api-1", "vpc-z", "cn-hangzhou-k", "rg-api", {"app": "api", "tier": "1"}),
        ("api-2", "vpc-z", "cn-hangzhou-k", "rg-api", {"app": "api", "tier": "1"})]
    assert admin(service, "POST", "config", {"describeDenied": True})[1]["describeDenied"] is True


@pytest.mark.parametrize(("path", "body", "status", "text"), [
    ("instances", {"count": 1, "vpcId": ""}, 400, "vpcId must be a non-empty string"),
    ("instances", {"count": 1, "tags": {"": "x"}}, 400, "tags must be an object"),
    ("instances", {"count": 1, "color": "red"}, 400, "unknown field(s) color"),
    ("attributes", {"tags": {"a": "b"}}, 400, "instanceId (or instanceIds, a list) is required"),
    ("attributes", {"instanceId": "i-nope", "vpcId": "vpc-x"}, 404, "unknown instance i-nope"),
    ("attributes", {"instanceId": "i-nope", "vpc": "vpc-x"}, 400, "unknown field(s) vpc"),
    ("config", {"describeDenied": "yes"}, 400, "describeDenied must be true or false"),
])
def test_admin_refuses_bad_attributes(service: EmulatorService, path: str, body: dict[str, Any], status: int,
                                      text: str) -> None:
    got, answer = admin(service, "POST", path, body)
    assert got == status and text in answer["error"]


def parse(*argv: str) -> argparse.Namespace:
    return build_parser().parse_args(list(argv))


def test_the_command_line_seeds_a_tagged_fleet_and_groups_from_json(tmp_path: Any) -> None:
    spec = tmp_path / "fleet.json"
    spec.write_text(json.dumps([{"count": 250, "tags": {"app": "web"}, "vpcId": "vpc-x"},
                                {"instanceIds": ["i-db1"], "region": "cn-beijing", "tags": {"app": "db"}}]))
    plain, groups = fleet_of(parse("--instances", "3", "--tag", "app=api", "--tag", "tier=1", "--vpc-id", "vpc-a",
                                   "--instance-name", "api-{n}", "--fleet", str(spec),
                                   "--fleet", '{"count": 2, "zoneId": "cn-hangzhou-k"}'))
    assert plain == 0  # the --instances carry the attribute flags
    assert groups[0] == Group(3, "cn-hangzhou", "Running", Attributes(tags={"app": "api", "tier": "1"},
                                                                      vpc_id="vpc-a", instance_name="api-{n}"))
    assert groups[1] == Group(250, None, "Running", Attributes(tags={"app": "web"}, vpc_id="vpc-x"))
    assert groups[2] == Group(("i-db1",), "cn-beijing", "Running", Attributes(tags={"app": "db"}))
    assert groups[3] == Group(2, None, "Running", Attributes(zone_id="cn-hangzhou-k"))
    assert fleet_of(parse("--instances", "3")) == (3, [])


@pytest.mark.parametrize(("argv", "text"), [
    (["--tag", "app"], "--tag 'app': give KEY=VALUE"),
    (["--fleet", "/nonexistent/fleet.json"], "cannot read it"),
    (["--fleet", "[{\"count\": 1, \"size\": 3}]"], "unknown field(s) size"),
    (["--fleet", "[1, 2]"], "a JSON object or a list of them"),
    (["--fleet", "{not json"], "not JSON"),
])
def test_the_command_line_says_what_is_wrong_with_a_seed(argv: list[str], text: str) -> None:
    with pytest.raises(ValueError, match=None) as info:
        fleet_of(parse(*argv))
    assert text in str(info.value)


def test_a_bad_seed_exits_2_before_listening(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--instances", "1", "--tag", "=web"]) == 2
    assert "--tag '=web': give KEY=VALUE" in capsys.readouterr().err
