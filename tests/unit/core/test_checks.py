"""Check validation and trigger semantics."""

import pytest

from ecsreboot.core.checks import check_inputs, trigger_changes
from ecsreboot.core.values import UNKNOWN, Secret

GOOD = {"instanceIds": ["i-aaaa", "i-bbbb"], "regionId": "cn-hangzhou"}


def test_defaults_are_filled() -> None:
    checked, failures = check_inputs({"instanceIds": ["i-aaaa"]}, default_region="cn-beijing")
    assert failures == []
    assert checked["regionId"] == "cn-beijing"
    assert checked["triggers"] == {}
    assert checked["forceReboot"] is False
    assert checked["batchOptimization"] == "AllTogether"
    assert checked["rebootApi"] == "RebootInstances"
    assert checked["rebootOnCreate"] is True and checked["waitForRunning"] is True and checked["dryRun"] is False
    assert "maxUnavailable" not in checked


def test_number_from_the_wire_becomes_integer() -> None:
    checked, failures = check_inputs({**GOOD, "maxUnavailable": 2.0}, default_region=None)
    assert failures == [] and checked["maxUnavailable"] == 2 and isinstance(checked["maxUnavailable"], int)


@pytest.mark.parametrize(
    ("inputs", "prop", "words"),
    [
        ({"regionId": "cn-hangzhou"}, "instanceIds", "required"),
        ({**GOOD, "instanceIds": []}, "instanceIds", "at least one"),
        ({**GOOD, "instanceIds": "i-aaaa"}, "instanceIds", "list"),
        ({**GOOD, "instanceIds": ["i-aaaa", "i-aaaa"]}, "instanceIds", "more than once"),
        ({**GOOD, "instanceIds": ["vm-1"]}, "instanceIds", "not an ECS instance id"),
        ({**GOOD, "instanceIds": [3.0]}, "instanceIds", "must be a string"),
        ({**GOOD, "regionId": "Hangzhou"}, "regionId", "not a region id"),
        ({**GOOD, "regionId": 5.0}, "regionId", "string"),
        ({"instanceIds": ["i-aaaa"]}, "regionId", "no region"),
        ({**GOOD, "forceReboot": "yes"}, "forceReboot", "true or false"),
        ({**GOOD, "batchOptimization": "Fastest"}, "batchOptimization", "AllTogether, SuccessFirst"),
        ({**GOOD, "rebootApi": "Reboot"}, "rebootApi", "one of"),
        ({**GOOD, "maxUnavailable": 0.0}, "maxUnavailable", "at least 1"),
        ({**GOOD, "maxUnavailable": 1.5}, "maxUnavailable", "whole number"),
        ({**GOOD, "maxUnavailable": "2"}, "maxUnavailable", "integer"),
        ({**GOOD, "triggers": ["a"]}, "triggers", "map"),
        ({**GOOD, "instanceIdz": ["i-aaaa"]}, "instanceIdz", "unknown property"),
    ],
)
def test_each_bad_input_names_its_property(inputs: dict, prop: str, words: str) -> None:
    _, failures = check_inputs(inputs, default_region=None)
    named = [f for f in failures if f.property == prop]
    assert named, failures
    assert words in named[0].reason


def test_secret_values_are_checked_but_never_quoted() -> None:
    _, failures = check_inputs({**GOOD, "instanceIds": Secret(["s3cretvalue"])}, default_region=None)
    assert failures and failures[0].property == "instanceIds"
    assert "s3cretvalue" not in failures[0].reason


def test_secret_inputs_stay_wrapped() -> None:
    checked, failures = check_inputs({**GOOD, "triggers": {"k": Secret("v")}}, default_region=None)
    assert failures == [] and checked["triggers"] == {"k": Secret("v")}


def test_unknown_values_are_not_judged() -> None:
    checked, failures = check_inputs({"instanceIds": UNKNOWN, "regionId": UNKNOWN}, default_region=None)
    assert failures == [] and checked["instanceIds"] is UNKNOWN


class TestTriggerSemantics:
    def test_added_removed_changed(self) -> None:
        assert trigger_changes({"a": 1, "b": 2}, {"a": 1, "b": 3, "c": 4}) == {"b": "update", "c": "add"}
        assert trigger_changes({"a": 1}, {}) == {"a": "delete"}

    def test_null_counts_as_absent(self) -> None:
        assert trigger_changes({"a": None}, {}) == {}
        assert trigger_changes({}, {"a": None}) == {}
        assert trigger_changes({"a": 1}, {"a": None}) == {"a": "delete"}

    def test_values_compare_by_content_and_type(self) -> None:
        assert trigger_changes({"a": "1"}, {"a": 1}) == {"a": "update"}
        assert trigger_changes({"a": True}, {"a": 1}) == {"a": "update"}
        assert trigger_changes({"a": 1}, {"a": 1.0}) == {}
        assert trigger_changes({"a": {"x": [1, 2]}}, {"a": {"x": [1, 2]}}) == {}
        assert trigger_changes({"a": {"x": [1, 2]}}, {"a": {"x": [2, 1]}}) == {"a": "update"}

    def test_secretness_alone_is_no_change(self) -> None:
        assert trigger_changes({"a": "v"}, {"a": Secret("v")}) == {}
        assert trigger_changes(Secret({"a": "v"}), {"a": "v"}) == {}
        assert trigger_changes({"a": Secret("v")}, {"a": Secret("w")}) == {"a": "update"}

    def test_unknown_counts_as_change(self) -> None:
        assert trigger_changes({"a": "v"}, {"a": UNKNOWN}) == {"a": "update"}
        assert trigger_changes({"a": "v"}, UNKNOWN) == {"*": "update"}
