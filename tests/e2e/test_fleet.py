"""A fleet chosen by tags under the real engine: "every instance tagged app=web in vpc-x, at most 200, two at a
time, health-gated", without listing an id. The emulator counts reboots; nothing outside the selection or beyond
the guard is ever rebooted."""

from __future__ import annotations

from ecsreboot.emulator import Attributes, ThreadedEmulator
from tests.healthservers import HEALTHY, Fleet

from .conftest import MakeProject
from .test_lifecycle import TYPE, resources

WEB = Attributes(tags={"app": "web", "tier": "frontend"}, vpc_id="vpc-x", instance_name="web-{n}")


def test_a_tag_selected_rolling_reboot_under_the_real_engine(make_project: MakeProject,
                                                             emulator: ThreadedEmulator) -> None:
    bystanders = emulator.instance_ids()  # 4 untagged instances
    web = emulator.add_instances(6, attributes=WEB)
    elsewhere = emulator.add_instances(2, attributes=Attributes(tags={"app": "web"}, vpc_id="vpc-y"))
    with Fleet([HEALTHY] * len(web)) as servers:
        for n, iid in enumerate(web):
            emulator.set_addresses(iid, private_ip=servers.address(n))
        project = make_project()
        selector = {"tags": {"app": "web"}, "vpc_id": "vpc-x", "max_instances": 200}
        check = {"url": f"http://{{privateIp}}:{servers.port}/healthz", "intervalSeconds": 0.2,
                 "unhealthyThreshold": 3}
        resources(project, {"fleet": {"instance_selector": selector, "max_unavailable": 2, "health_check": check,
                                      "triggers": {"release": "1"}}})

        preview = project.run("preview")
        assert "instanceSelector (tags app=web; vpcId vpc-x; at most 200) selects 6 instance(s)" in preview.output
        assert "rollout plan: 6 instance(s) in 3 wave(s) of at most 2" in preview.output
        assert "dry run passed for 6 of 6 instance(s)" in preview.output
        assert not any(emulator.reboot_counts().values())

        up = project.run("up", "--yes", "--skip-preview")
        assert "rebooted 6 of 6 instance(s) and Running again and healthy in 3 wave(s)" in up.output
        assert all(servers.log(n) for n in range(len(web))), "every selected instance was probed"
    counts = emulator.reboot_counts()
    assert [counts[i] for i in web] == [1] * 6
    assert not any(counts[i] for i in bystanders + elsewhere)
    waves = [r for r in emulator.requests() if r["action"] == "RebootInstances" and r["params"]["DryRun"] == "false"]
    assert [sum(k.startswith("InstanceId.") for k in r["params"]) for r in waves] == [2, 2, 2]
    [state] = project.resources(TYPE)
    assert state["outputs"]["selectedInstanceIds"] == web and state["outputs"]["failedInstanceIds"] == []
    assert "instanceIds" not in state["inputs"]

    # the fleet grows: no reboot until the trigger changes, then the whole selection as it is then
    newcomer = emulator.add_instances(1, attributes=WEB)[0]
    project.run("up", "--yes")
    assert emulator.reboot_counts()[newcomer] == 0
    project.config_object("resources", {"fleet": {"instance_selector": {**selector, "max_instances": 6},
                                                  "max_unavailable": 2, "triggers": {"release": "2"}}})
    guarded = project.run("up", "--yes", check=False)
    assert guarded.returncode != 0
    assert "selects 7 instances in cn-hangzhou, more than maxInstances (6): nothing was rebooted" in guarded.output
    assert [emulator.reboot_counts()[i] for i in [*web, newcomer]] == [1] * 6 + [0]
