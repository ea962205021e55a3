"""instanceSelector as a value: Check names every bad field; the selector's API parameters, its description,
and its judgement of a listed record; the wildcard; the union with instanceIds."""

from __future__ import annotations

from typing import Any

import pytest

from ecsreboot.core.checks import check_inputs
from ecsreboot.core.selection import Selection, Selector, union, wildcard_match
from ecsreboot.core.values import UNKNOWN, Secret

BASE = {"regionId": "cn-hangzhou"}


def failures(selector: Any, **more: Any) -> dict[str, str]:
    _, found = check_inputs({**BASE, "instanceSelector": selector, **more}, default_region=None)
    return {f.property: f.reason for f in found}


def test_a_valid_selector_passes_alone_without_instance_ids() -> None:
    checked, found = check_inputs({**BASE, "instanceSelector": {"tags": {"app": "web", "env": ""},
                                                                 "vpcId": "vpc-bp1x", "maxInstances": 200.0}},
                                  default_region=None)
    assert found == []
    assert checked["instanceSelector"] == {"tags": {"app": "web", "env": ""}, "vpcId": "vpc-bp1x",
                                           "maxInstances": 200}
    assert isinstance(checked["instanceSelector"]["maxInstances"], int)
    assert "instanceIds" not in checked  # optional with a selector


def test_instance_ids_may_be_empty_beside_a_selector_but_one_of_the_two_is_required() -> None:
    assert failures({"vpcId": "vpc-x"}, instanceIds=[]) == {}
    _, found = check_inputs(BASE, default_region=None)
    assert [(f.property, f.reason.split(":")[0]) for f in found] == [("instanceIds", "required")]
    assert "instanceSelector" in found[0].reason
    _, found = check_inputs({**BASE, "instanceIds": []}, default_region=None)
    assert [f.property for f in found] == ["instanceIds"] and "at least one" in found[0].reason


@pytest.mark.parametrize(("selector", "prop", "reason"), [
    ({}, "instanceSelector", "selects by nothing"),
    ({"maxInstances": 5}, "instanceSelector", "selects by nothing"),
    ({"tags": {}}, "instanceSelector", "selects by nothing"),
    ("app=web", "instanceSelector", "must be an object"),
    ({"tags": {f"k{n}": "v" for n in range(21)}}, "instanceSelector.tags", "has 21 tags; DescribeInstances filters "
                                                                          "on at most 20"),
    ({"tags": {"": "web"}}, "instanceSelector.tags", "a tag key must not be empty"),
    ({"tags": {"  ": "web"}}, "instanceSelector.tags", "a tag key must not be empty"),
    ({"tags": {"app": 3}}, "instanceSelector.tags", "must be a string"),
    ({"tags": ["app"]}, "instanceSelector.tags", "must be a map"),
    ({"tags": {"k" * 129: "v"}}, "instanceSelector.tags", "longer than 128"),
    ({"tags": {"app": "v" * 129}}, "instanceSelector.tags", "longer than 128"),
    ({"vpcId": "vsw-123"}, "instanceSelector.vpcId", "start with vpc-"),
    ({"vpcId": ""}, "instanceSelector.vpcId", "must not be empty"),
    ({"vpcId": 7}, "instanceSelector.vpcId", "must be a string"),
    ({"vSwitchId": "vpc-123"}, "instanceSelector.vSwitchId", "start with vsw-"),
    ({"resourceGroupId": "group-1"}, "instanceSelector.resourceGroupId", "start with rg-"),
    ({"zoneId": "Hangzhou H"}, "instanceSelector.zoneId", "must not contain spaces"),
    ({"zoneId": "HANGZHOU"}, "instanceSelector.zoneId", "is not a zone id"),
    ({"instanceName": "n" * 129}, "instanceSelector.instanceName", "longer than 128"),
    ({"vpcId": "vpc-x", "maxInstances": 0}, "instanceSelector.maxInstances", "at least 1"),
    ({"vpcId": "vpc-x", "maxInstances": 2.5}, "instanceSelector.maxInstances", "whole number"),
    ({"vpcId": "vpc-x", "maxInstances": True}, "instanceSelector.maxInstances", "whole number"),
    ({"vpcId": "vpc-x", "maxInstancs": 3}, "instanceSelector.maxInstancs", "unknown field"),
])
def test_check_names_each_bad_field(selector: Any, prop: str, reason: str) -> None:
    found = failures(selector)
    assert prop in found, found
    assert reason in found[prop]


def test_every_bad_field_gets_its_own_failure() -> None:
    found = failures({"tags": {"": "x"}, "vpcId": "x", "zoneId": "", "maxInstances": 0, "extra": 1})
    assert set(found) == {"instanceSelector.tags", "instanceSelector.vpcId", "instanceSelector.zoneId",
                          "instanceSelector.maxInstances", "instanceSelector.extra"}


def test_a_secret_selector_stays_secret_and_its_failures_quote_no_value() -> None:
    checked, found = check_inputs({**BASE, "instanceSelector": Secret({"tags": {"team": "t0p-s3cret"}})},
                                  default_region=None)
    assert found == [] and isinstance(checked["instanceSelector"], Secret)
    found_bad = failures(Secret({"vpcId": "s3cret-vpc", "tags": {"k": 1}}))
    assert "s3cret" not in str(found_bad) and "instanceSelector.vpcId" in found_bad


def test_an_unknown_selector_is_not_judged_in_preview() -> None:
    assert failures(UNKNOWN) == {}
    assert failures({"tags": {"app": UNKNOWN}}) == {}


def test_params_are_describe_instances_filters_and_an_empty_tag_value_sends_no_value() -> None:
    s = Selector.from_input({"tags": {"app": "web", "env": ""}, "vpcId": "vpc-x", "vSwitchId": "vsw-y",
                             "zoneId": "cn-hangzhou-h", "resourceGroupId": "rg-z", "instanceName": "web-*",
                             "maxInstances": 200})
    assert s.params() == {"Tag": [{"Key": "app", "Value": "web"}, {"Key": "env"}], "VpcId": "vpc-x",
                          "VSwitchId": "vsw-y", "ZoneId": "cn-hangzhou-h", "ResourceGroupId": "rg-z",
                          "InstanceName": "web-*"}
    assert "MaxResults" not in s.params() and s.max_instances == 200
    assert s.describe() == ("tags app=web, env=*; vpcId vpc-x; vSwitchId vsw-y; zoneId cn-hangzhou-h; "
                            "resourceGroupId rg-z; instanceName web-*; at most 200")
    assert Selector.from_input(s.to_input()) == s
    hidden = Selector.from_input({"vpcId": "vpc-secret"}, secret=True)
    assert "vpc-secret" not in hidden.describe() and "no maxInstances" in hidden.describe()


def record(**over: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"InstanceId": "i-1", "InstanceName": "web-01", "ZoneId": "cn-hangzhou-h",
                            "ResourceGroupId": "rg-z", "VpcAttributes": {"VpcId": "vpc-x", "VSwitchId": "vsw-y"},
                            "Tags": {"Tag": [{"TagKey": "app", "TagValue": "web"}, {"TagKey": "env",
                                                                                    "TagValue": "prod"}]}}
    return {**base, **over}


@pytest.mark.parametrize(("selector", "fits", "why"), [
    ({"tags": {"app": "web"}}, True, None),
    ({"tags": {"app": "web", "env": ""}}, True, None),
    ({"tags": {"app": "db"}}, False, "its tag 'app' is 'web'"),
    ({"tags": {"team": ""}}, False, "it has no tag 'team'"),
    ({"vpcId": "vpc-x", "vSwitchId": "vsw-y", "zoneId": "cn-hangzhou-h", "resourceGroupId": "rg-z"}, True, None),
    ({"vpcId": "vpc-other"}, False, "its VpcId is 'vpc-x'"),
    ({"vSwitchId": "vsw-other"}, False, "its VSwitchId is 'vsw-y'"),
    ({"zoneId": "cn-hangzhou-k"}, False, "its ZoneId is 'cn-hangzhou-h'"),
    ({"resourceGroupId": "rg-other"}, False, "its ResourceGroupId is 'rg-z'"),
    ({"instanceName": "web-*"}, True, None),
    ({"instanceName": "web-01"}, True, None),
    ({"instanceName": "web"}, False, "its InstanceName is 'web-01'"),
])
def test_mismatch_says_why_a_listed_record_does_not_fit(selector: dict[str, Any], fits: bool,
                                                        why: str | None) -> None:
    assert Selector.from_input(selector).mismatch(record()) == why
    assert (why is None) is fits


def test_a_secret_selector_s_mismatch_quotes_no_value() -> None:
    why = Selector.from_input({"tags": {"team": "hidden"}}, secret=True).mismatch(record())
    assert why is not None and "team" not in why and "hidden" not in why


@pytest.mark.parametrize(("pattern", "name", "matches"), [
    ("web-*", "web-01", True), ("web-*", "web-", True), ("web-*", "db-web-01", False), ("*-01", "web-01", True),
    ("*", "", True), ("w*b*1", "web-01", True), ("web.01", "web-01", False), ("web-01", "web-01", True),
    ("Web-*", "web-01", False), ("a+b*", "a+b-c", True), ("[x]*", "[x]y", True),
])
def test_wildcard_star_is_any_run_and_everything_else_is_literal(pattern: str, name: str, matches: bool) -> None:
    assert wildcard_match(pattern, name) is matches


def test_union_keeps_instance_ids_first_and_each_instance_once() -> None:
    assert union(["i-b", "i-a"], Selection(("i-a", "i-c"))) == ["i-b", "i-a", "i-c"]
    assert union(["i-a"], None) == ["i-a"]
    assert union([], Selection(("i-x",))) == ["i-x"]
