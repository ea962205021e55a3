"""instanceSelector through the real plugin process against the emulator: a tag-selected rolling reboot, the
preview's count and dry run, the union with instanceIds, the maxInstances guard, the empty and the
permission-denied selection, a membership change that reboots nothing, a failed instance leaving the
selection."""

from __future__ import annotations

import grpc

from ecsreboot.emulator import Attributes, ThreadedEmulator
from ecsreboot.testing import Deployment, EngineServer, ResourceDecl

WEB = Attributes(tags={"app": "web", "env": "prod"}, vpc_id="vpc-x", instance_name="web-{n}")
SELECTOR = {"tags": {"app": "web"}, "vpcId": "vpc-x"}


def fleet(emulator: ThreadedEmulator) -> dict[str, list[str]]:
    """6 web instances in vpc-x (the selection), 3 web instances in vpc-y, 2 db instances in vpc-x."""
    return {
        "web": emulator.add_instances(6, attributes=WEB),
        "other_vpc": emulator.add_instances(3, attributes=Attributes(tags={"app": "web"}, vpc_id="vpc-y")),
        "db": emulator.add_instances(2, attributes=Attributes(tags={"app": "db"}, vpc_id="vpc-x")),
    }


def trigger(selector: dict | None = None, **inputs) -> ResourceDecl:
    return ResourceDecl("fleet", {"instanceSelector": selector or SELECTOR, **inputs})


def reboot_requests(emulator: ThreadedEmulator) -> list[dict]:
    return [r for r in emulator.requests() if r["action"].startswith("RebootInstance")]


def ids_of(request: dict) -> list[str]:
    params = request["params"]
    return [params[f"InstanceId.{n}"] for n in range(1, 101) if f"InstanceId.{n}" in params]


def test_a_tag_selected_rolling_reboot_reboots_exactly_the_selection(
        emulator: ThreadedEmulator, deployment: Deployment, engine: EngineServer) -> None:
    groups = fleet(emulator)
    decl = trigger(maxUnavailable=2, triggers={"v": 1})
    preview = deployment.preview([decl])
    assert preview.errors == {} and not any(emulator.reboot_counts().values())
    dry = reboot_requests(emulator)
    assert dry and all(r["params"]["DryRun"] == "true" for r in dry)
    assert sorted(i for r in dry for i in ids_of(r)) == sorted(groups["web"])  # exactly the selection
    said = "\n".join(engine.messages(decl.urn))
    assert "selects 6 instance(s) in cn-hangzhou" in said and "rollout plan: 6 instance(s) in 3 wave(s)" in said

    start = len(emulator.requests())
    result = deployment.apply([decl])
    assert result.errors == {}
    counts = emulator.reboot_counts()
    assert {i: counts[i] for i in groups["web"]} == dict.fromkeys(groups["web"], 1)
    assert not any(counts[i] for i in groups["other_vpc"] + groups["db"])
    out = result.outputs[decl.urn]
    assert out["selectedInstanceIds"] == groups["web"] and out["failedInstanceIds"] == []
    calls = emulator.requests()[start:]
    reboots = [ids_of(r) for r in calls if r["action"] == "RebootInstances"]
    assert reboots == [groups["web"][0:2], groups["web"][2:4], groups["web"][4:6]]  # two at a time
    # the listing (Tag and VpcId filters, no ids) is the first wave's look: no describe between it and the reboot
    first = next(k for k, r in enumerate(calls) if r["action"] == "RebootInstances")
    assert [r["action"] for r in calls[:first]] == ["DescribeInstances"]
    assert calls[0]["params"]["Tag.1.Key"] == "app" and calls[0]["params"]["VpcId"] == "vpc-x"
    assert "InstanceIds" not in calls[0]["params"]


def test_instance_ids_beside_the_selector_are_rebooted_once_with_it(emulator: ThreadedEmulator,
                                                                     deployment: Deployment) -> None:
    groups = fleet(emulator)
    extra = [groups["db"][0], groups["web"][0]]  # one outside the selection, one inside
    result = deployment.up([trigger(instanceIds=extra)])
    assert result.errors == {}
    counts = emulator.reboot_counts()
    assert {i for i, n in counts.items() if n} == {groups["db"][0], *groups["web"]}
    assert max(counts.values()) == 1
    assert result.outputs[trigger().urn]["selectedInstanceIds"] == [groups["db"][0], *groups["web"]]


def test_a_selection_larger_than_max_instances_reboots_nothing_preview_included(
        emulator: ThreadedEmulator, deployment: Deployment) -> None:
    fleet(emulator)
    decl = trigger({**SELECTOR, "maxInstances": 5})
    for result in (deployment.preview([decl]), deployment.apply([decl])):
        error = result.errors[decl.urn]
        assert error.code == grpc.StatusCode.FAILED_PRECONDITION
        assert "selects 6 instances in cn-hangzhou, more than maxInstances (5): nothing was rebooted" in str(error)
    assert reboot_requests(emulator) == []  # not even a dry run
    assert not any(emulator.reboot_counts().values())
    assert decl.urn not in deployment.state  # nothing recorded: the next up tries again


def test_an_empty_selection_is_an_error_that_says_the_dry_run_passed(emulator: ThreadedEmulator,
                                                                    deployment: Deployment) -> None:
    fleet(emulator)
    result = deployment.up([trigger({"tags": {"app": "mail"}})])
    text = str(result.errors[trigger().urn])
    assert "selects no instance in cn-hangzhou" in text and "A DryRun of DescribeInstances passed" in text
    assert reboot_requests(emulator) == []


def test_a_caller_who_may_not_list_instances_is_told_the_missing_grant(emulator: ThreadedEmulator,
                                                                      deployment: Deployment) -> None:
    fleet(emulator)
    emulator.set_describe_denied()
    result = deployment.up([trigger()])
    text = str(result.errors[trigger().urn])
    assert "selects no instance" in text and "Forbidden.RAM" in text and "ecs:DescribeInstances" in text
    assert reboot_requests(emulator) == []


def test_a_change_of_membership_alone_reboots_nothing(emulator: ThreadedEmulator, deployment: Deployment) -> None:
    groups = fleet(emulator)
    deployment.up([trigger(triggers={"v": 1})])
    newcomer = emulator.add_instances(1, attributes=WEB)[0]  # the auto scaling group grew
    before = len(emulator.requests())
    again = deployment.up([trigger(triggers={"v": 1})])
    assert again.steps[trigger().urn] == "same" and len(emulator.requests()) == before  # no API call at all
    sent = len(reboot_requests(emulator))
    changed = deployment.up([trigger({**SELECTOR, "maxInstances": 50}, triggers={"v": 1})])
    assert changed.steps[trigger().urn] == "update" and changed.errors == {}
    assert len(reboot_requests(emulator)) == sent  # no reboot, and no dry run of one in its preview
    assert emulator.reboot_counts()[newcomer] == 0
    assert all(emulator.reboot_counts()[i] == 1 for i in groups["web"])
    # the next trigger change reboots the selection as it is then, the newcomer included
    deployment.up([trigger({**SELECTOR, "maxInstances": 50}, triggers={"v": 2})])
    assert emulator.reboot_counts()[newcomer] == 1
    assert all(emulator.reboot_counts()[i] == 2 for i in groups["web"])


def test_a_failed_instance_that_left_the_selection_is_dropped_not_rebooted(
        emulator: ThreadedEmulator, deployment: Deployment, engine: EngineServer) -> None:
    groups = fleet(emulator)
    locked, stays = groups["web"][1], groups["web"][0]
    emulator.backend.lock(locked, "security")
    decl = trigger(batchOptimization="SuccessFirst", triggers={"v": 1})
    first = deployment.apply([decl])
    assert "InstanceLockedForSecurity" in str(first.errors[decl.urn])
    assert deployment.state[decl.urn].outputs["failedInstanceIds"] == [locked]
    emulator.backend.unlock(locked)
    emulator.set_attributes(locked, Attributes(tags={"app": "retired"}))  # it left the selection
    emulator.backend.lock(stays, "security")  # a lock would fail any reboot of it: none is attempted
    second = deployment.apply([decl])
    assert second.errors == {}
    assert emulator.reboot_counts()[locked] == 0
    assert second.outputs[decl.urn]["failedInstanceIds"] == []
    assert locked not in second.outputs[decl.urn]["selectedInstanceIds"]
    warnings = [m for m in engine.messages(decl.urn) if "no longer selected" in m]
    assert warnings and locked in warnings[0]
