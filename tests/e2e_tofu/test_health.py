"""A health-gated rolling reboot under the real CLI: waves wait for each instance's own HTTP server on a loopback
address; an instance that never gets healthy stops the rollout (max_failures), and the next apply reboots exactly
the failed and the not-attempted instances."""

from __future__ import annotations

from ecsreboot.emulator import ThreadedEmulator
from tests.healthservers import HEALTHY, UNHEALTHY, Fleet

from .conftest import MakeWorkspace, configuration, reboots, trigger
from .test_failures import shown


def test_waves_wait_for_health_and_a_failing_instance_stops_the_rollout(make_workspace: MakeWorkspace,
                                                                       emulator: ThreadedEmulator) -> None:
    ids = emulator.instance_ids()  # 4 instances, 2 per wave
    with Fleet([HEALTHY, UNHEALTHY, HEALTHY, HEALTHY]) as servers:
        servers.serve(emulator, ids)
        workspace = make_workspace()
        health = (f'  health_check {{\n    url = "http://{{privateIp}}:{servers.port}/healthz"\n'
                  "    interval_seconds = 0.2\n    timeout_seconds = 1\n    unhealthy_threshold = 2\n  }\n")
        write = lambda version: workspace.write(configuration(emulator.url, trigger(  # noqa: E731
            instance_ids=ids, max_unavailable=2, max_failures=0, triggers={"v": version}, reboot_on_create=False,
            blocks=health)))
        write("1")
        workspace.run("apply", "-auto-approve", "-no-color")  # adopted: no reboot on create
        assert reboots(emulator) == [0, 0, 0, 0]

        write("2")
        plan = workspace.run("plan", "-no-color", env={"TF_LOG": "info"})
        assert "rollout plan: 4 instance(s) in 2 wave(s) of at most 2" in plan.stderr
        assert all(not servers.log(n) for n in range(4)), "the plan sent a probe"

        failed = workspace.run("apply", "-auto-approve", "-no-color", check=False)
        assert failed.returncode == 1
        error = shown(failed.stderr)
        assert "HealthCheckFailed" in error and ids[1] in error
        # wave 1 (ids 0, 1) rebooted and probed; instance 1 failed, so wave 2 never started
        assert reboots(emulator) == [1, 1, 0, 0]
        assert servers.log(0) and servers.log(1) and not servers.log(2)
        [state] = workspace.resources().values()
        assert sorted(state["failed_instance_ids"]) == sorted(ids[1:])
        codes = {r["instance_id"]: r["code"] for r in state["results"]}
        assert codes[ids[1]] == "HealthCheckFailed" and codes[ids[2]] == codes[ids[3]] == "NotAttempted"

        # the application on instance 1 is fixed: the next apply reboots exactly the failed and not-attempted ones
        servers.set_behaviour(1, HEALTHY)
        workspace.run("apply", "-auto-approve", "-no-color")
        assert reboots(emulator) == [1, 2, 1, 1]
        [state] = workspace.resources().values()
        assert state["failed_instance_ids"] == []
        assert workspace.run("plan", "-detailed-exitcode", "-no-color").returncode == 0
