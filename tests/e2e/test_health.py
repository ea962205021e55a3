"""A health-gated rolling reboot under the real engine: waves wait for each instance's own HTTP server on a
loopback address; an instance that never gets healthy stops the rollout (maxFailures) and is the one the
next `pulumi up` reboots again; the probe URL's token never shows anywhere; a secret healthCheck stays
ciphertext in the state."""

from __future__ import annotations

from ecsreboot.emulator import ThreadedEmulator
from tests.healthservers import HEALTHY, UNHEALTHY, Fleet

from .conftest import MakeProject
from .test_lifecycle import TYPE, reboots, resources

TOKEN = "probe-t0ken-s3cret"


def test_waves_wait_for_health_and_a_failing_instance_stops_the_rollout(make_project: MakeProject,
                                                                       emulator: ThreadedEmulator) -> None:
    ids = emulator.instance_ids()  # 4 instances, 2 per wave
    with Fleet([HEALTHY, UNHEALTHY, HEALTHY, HEALTHY]) as servers:
        servers.serve(emulator, ids)
        project = make_project()
        check = {"url": f"http://probe:{TOKEN}@{{privateIp}}:{servers.port}/healthz?token={TOKEN}",
                 "intervalSeconds": 0.2, "timeoutSeconds": 1, "unhealthyThreshold": 2}
        spec = {"web": {"instance_ids": ids, "max_unavailable": 2, "max_failures": 0, "health_check": check,
                        "triggers": {"v": 1}}}
        resources(project, spec)

        preview = project.run("preview")
        assert "rollout plan: 4 instance(s) in 2 wave(s)" in preview.output
        assert f"{{privateIp}}:{servers.port}/healthz" in preview.output  # the probe, its token masked
        assert all(not servers.log(n) for n in range(4)), "preview sent a probe"

        up = project.run("up", "--yes", "--skip-preview", check=False)
        assert up.returncode != 0
        assert "HealthCheckFailed" in up.output and ids[1] in up.output
        # wave 1 (ids 0, 1) rebooted and probed; instance 1 failed, so wave 2 never started
        assert reboots(emulator) == [1, 1, 0, 0]
        assert servers.log(0) and servers.log(1) and not servers.log(2)
        [state] = project.resources(TYPE)
        assert sorted(state["outputs"]["failedInstanceIds"]) == sorted(ids[1:])
        codes = {r["instanceId"]: r["code"] for r in state["outputs"]["results"]}
        assert codes[ids[1]] == "HealthCheckFailed" and codes[ids[2]] == codes[ids[3]] == "NotAttempted"

        # the application on instance 1 is fixed: the next up reboots exactly the failed and not-attempted ones
        servers.set_behaviour(1, HEALTHY)
        project.run("up", "--yes", "--skip-preview")
        assert reboots(emulator) == [1, 2, 1, 1]
        [state] = project.resources(TYPE)
        assert state["outputs"]["failedInstanceIds"] == []
        # the URL's user-info and query never reach the CLI's output (the state holds the input as given:
        # to keep a token out of it, make the healthCheck secret — next test)
        for text in (preview.output, up.output):
            assert TOKEN not in text


def test_a_secret_health_check_stays_secret_in_state(make_project: MakeProject, emulator: ThreadedEmulator) -> None:
    ids = emulator.instance_ids()[:2]
    with Fleet([HEALTHY, HEALTHY]) as servers:
        servers.serve(emulator, ids)
        project = make_project()
        project.config("secretValue", f"http://{{privateIp}}:{servers.port}/healthz?token={TOKEN}", secret=True)
        resources(project, {"web": {"instance_ids": ids, "secretHealthUrl": True, "triggers": {"v": 1}}})
        up = project.run("up", "--yes", "--skip-preview")
        assert reboots(emulator) == [1, 1, 0, 0]
        assert all(servers.log(n) for n in range(2)), "every instance was probed"
        exported = project.run("stack", "export").stdout
        for text in (up.output, exported):
            assert TOKEN not in text
        [state] = project.resources(TYPE)
        assert "ciphertext" in str(state["outputs"]["healthCheck"])
