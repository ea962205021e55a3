"""A tag-selected rolling reboot under the real CLI: no instance id in the configuration, the plan dry-runs exactly
the selection, the apply reboots exactly it two at a time, and an instance outside it is never touched."""

from __future__ import annotations

from ecsreboot.emulator import Attributes
from tests.realengine import most_away_at_once
from tests.realengine import timed_emulator as timed_emulator_of

from .conftest import FAST, MakeWorkspace, configuration, trigger

SELECTOR = '  instance_selector {\n    tags = { app = "web" }\n    vpc_id = "vpc-x"\n    max_instances = 200\n  }\n'


def test_every_instance_tagged_app_web_in_one_vpc_two_at_a_time(make_workspace: MakeWorkspace) -> None:
    with timed_emulator_of(0, FAST) as (emu, log):
        web = emu.add_instances(4, attributes=Attributes(tags={"app": "web"}, vpc_id="vpc-x"))
        elsewhere = emu.add_instances(1, attributes=Attributes(tags={"app": "web"}, vpc_id="vpc-y"))
        workspace = make_workspace()
        workspace.write(configuration(emu.url, trigger(max_unavailable=2, triggers={"v": "1"}, blocks=SELECTOR)))

        plan = workspace.run("plan", "-no-color", env={"TF_LOG": "info"})
        assert "selects 4 instance(s)" in plan.stderr
        assert "rollout plan: 4 instance(s) in 2 wave(s) of at most 2" in plan.stderr
        assert not any(emu.reboot_counts().values())

        workspace.run("apply", "-auto-approve", "-no-color")
        counts = emu.reboot_counts()
        assert {i: counts[i] for i in web} == dict.fromkeys(web, 1) and counts[elsewhere[0]] == 0
        rebooted, most = most_away_at_once(log, away=sum(FAST.values()))
        assert rebooted == 4 and most <= 2, f"{most} instances rebooting at once"
        [state] = workspace.resources().values()
        assert sorted(state["selected_instance_ids"]) == sorted(web) and state["failed_instance_ids"] == []
        assert workspace.run("plan", "-detailed-exitcode", "-no-color").returncode == 0
