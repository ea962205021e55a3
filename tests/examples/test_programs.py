"""examples/quickstart and examples/rolling: what they register (under mocks), and what that does when the real
plugin runs it against the emulator (the ids in their stack files are the emulator's own)."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml
from packaging.utils import canonicalize_name

from ecsreboot.emulator import ThreadedEmulator
from ecsreboot.testing import Deployment, EngineServer, Plugin, ResourceDecl, hermetic_env
from tests.healthservers import HEALTHY, Fleet

from .conftest import EXAMPLES, FAST, mockrun

QUICKSTART = EXAMPLES / "quickstart"
ROLLING = EXAMPLES / "rolling"
EMULATOR_KEYS = {"ALIBABA_CLOUD_ACCESS_KEY_ID": "emulator-key", "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "emulator-secret"}


def start_plugin(engine: EngineServer, home: Path, run: Any) -> Plugin:
    """The plugin as `pulumi up` starts it for the program's stack: the `ecsreboot:*` config, credentials from
    the environment (as the examples' READMEs say)."""
    plugin = Plugin(engine, env=hermetic_env(home, **EMULATOR_KEYS))
    plugin.start(run.provider_config())
    return plugin


def decl(run: Any) -> ResourceDecl:
    reg = run.one()
    return ResourceDecl(reg.name, reg.inputs, timeout=reg.update_timeout)


def dry(request: dict[str, Any]) -> bool:
    return str(request["params"].get("DryRun", "false")).lower() == "true"


# --- every example is a complete Pulumi Python project --------------------------------------------------


@pytest.mark.parametrize("example", [QUICKSTART, ROLLING], ids=lambda p: p.name)
def test_example_is_a_pulumi_python_project(example: Path) -> None:
    project = yaml.safe_load((example / "Pulumi.yaml").read_text())
    assert project["runtime"]["name"] == "python" and project["name"].startswith("ecsreboot-")
    assert (example / "__main__.py").is_file() and (example / "README.md").is_file()
    lines = [line.strip() for line in (example / "requirements.txt").read_text().splitlines()]
    requirements = [line for line in lines if line and not line.startswith("#")]
    assert "pulumi>=3,<4" in requirements
    # the editable paths resolve (from the example directory, where `pulumi install` runs pip) to the SDK and plugin
    names = set()
    for line in requirements:
        if line.startswith("-e "):
            target = (example / line[3:]).resolve()
            names.add(canonicalize_name(tomllib.loads((target / "pyproject.toml").read_text())["project"]["name"]))
    assert names == {"pulumi-ecsreboot", "ecsreboot"}  # as pip compares them (PEP 503: `pulumi_ecsreboot` is the same)
    # every stack config key of the project is in its namespace or the provider's
    for key in mockrun.stack_config(example, "dev"):
        assert key.split(":")[0] in (project["name"], "ecsreboot"), key


def test_stack_files_list_the_emulators_instances() -> None:
    """`ecsreboot emulator --instances N` creates exactly the ids the dev stacks name (seed 0)."""
    with ThreadedEmulator(instances=12) as emu:
        ids = emu.instance_ids()
    assert mockrun.stack_config(QUICKSTART, "dev")["ecsreboot-quickstart:instanceIds"] == ids[:3]
    assert mockrun.stack_config(ROLLING, "dev")["ecsreboot-rolling:instanceIds"] == ids


# --- under mocks -------------------------------------------------------------------------------------------


def test_quickstart_registers_a_trigger_on_the_config_hash() -> None:
    run = mockrun.run_program(QUICKSTART)
    reg = run.one()
    assert reg.name == "web" and reg.type == "ecsreboot:index:RebootTrigger"
    assert reg.inputs["instanceIds"] == run.config["ecsreboot-quickstart:instanceIds"]
    assert set(reg.inputs["triggers"]) == {"configHash"} and len(reg.inputs["triggers"]["configHash"]) == 64
    assert reg.inputs["batchOptimization"] == "AllTogether" and reg.inputs["forceReboot"] is False
    assert run.provider_config() == {"region": "cn-hangzhou", "endpoint": "http://127.0.0.1:8787"}
    assert set(run.exports) == {"rebootCount", "lastRebootTime", "failedInstanceIds"}

    same = mockrun.run_program(QUICKSTART)
    edited = mockrun.run_program(QUICKSTART, config={"configText": "worker_processes 8;\n"})
    assert same.one().inputs["triggers"] == reg.inputs["triggers"]
    assert edited.one().inputs["triggers"] != reg.inputs["triggers"]


def test_each_run_has_its_own_stack_whatever_ran_before() -> None:
    """The runs share one process (as tests in any order do): the quickstart after the rolling example exports
    only its own outputs, not the rolling example's too."""
    rolling = mockrun.run_program(ROLLING)
    quickstart = mockrun.run_program(QUICKSTART)
    assert "waves" in rolling.exports
    assert set(quickstart.exports) == {"rebootCount", "lastRebootTime", "failedInstanceIds"}


def test_rolling_registers_waves_success_first_and_timeouts() -> None:
    run = mockrun.run_program(ROLLING)
    reg = run.one()
    assert reg.name == "app-fleet" and len(reg.inputs["instanceIds"]) == 12
    assert reg.inputs["maxUnavailable"] == 3 and reg.inputs["batchOptimization"] == "SuccessFirst"
    assert reg.inputs["triggers"] == {"release": "2024.06.1"}
    assert reg.create_timeout == reg.update_timeout == 4 * 5 * 60  # 4 waves of 5 minutes
    assert run.exports["waves"] == 4
    assert reg.inputs["healthCheck"] == {"url": "http://{privateIp}:8080/healthz", "intervalSeconds": 5.0,
                                         "timeoutSeconds": 3, "healthyThreshold": 2, "unhealthyThreshold": 6,
                                         "initialDelaySeconds": 5}
    assert reg.inputs["maxFailures"] == 1 and reg.inputs["pauseBetweenWaves"] == 0.0

    default_batch = mockrun.run_program(ROLLING, config={"maxUnavailable": None, "waveMinutes": "2"})
    assert default_batch.one().inputs["maxUnavailable"] == 3  # a quarter of 12
    assert default_batch.one().update_timeout == 4 * 2 * 60


# --- through the real plugin, against the emulator -----------------------------------------------------------


def test_quickstart_end_to_end(emulator: ThreadedEmulator, engine: EngineServer, tmp_path: Path) -> None:
    ids = emulator.add_instances(3)
    endpoint = {"ecsreboot:endpoint": emulator.url}
    run = mockrun.run_program(QUICKSTART, config=endpoint)
    assert run.one().inputs["instanceIds"] == ids
    plugin = start_plugin(engine, tmp_path, run)
    try:
        deployment = Deployment(plugin)
        web = decl(run)

        preview = deployment.preview([web])
        assert preview.errors == {} and preview.steps[web.urn] == "create"
        assert emulator.reboot_counts() == {i: 0 for i in ids}
        assert emulator.requests() and all(dry(r) for r in emulator.requests() if r["action"] == "RebootInstances")
        assert any("dry run passed for 3 of 3" in m for m in engine.messages(web.urn))

        up = deployment.up([web])
        assert up.errors == {} and up.outputs[web.urn]["rebootCount"] == 1
        assert emulator.reboot_counts() == {i: 1 for i in ids}

        before = len(emulator.requests())
        again = deployment.up([decl(mockrun.run_program(QUICKSTART, config=endpoint))])
        assert again.steps[web.urn] == "same" and len(emulator.requests()) == before

        edited = mockrun.run_program(QUICKSTART, config={**endpoint, "configText": "worker_processes 8;\n"})
        changed = deployment.up([decl(edited)])
        assert changed.errors == {} and changed.steps[web.urn] == "update"
        assert list(changed.diffs[web.urn].detailedDiff) == ["triggers.configHash"]
        assert emulator.reboot_counts() == {i: 2 for i in ids}
    finally:
        plugin.stop()


def test_rolling_end_to_end_keeps_at_most_max_unavailable_down(engine: EngineServer, tmp_path: Path) -> None:
    """Waves are gated on each instance's own health server (127.x.y.z, one per instance): no instance of
    wave k+1 is rebooted before every instance of wave k answered healthy twice."""
    peak = {"down": 0}
    holder: dict[str, ThreadedEmulator] = {}

    def observe(_request: dict[str, Any]) -> None:
        if "emu" in holder:
            down = sum(1 for v in holder["emu"].backend.instances() if v.status != "Running")
            peak["down"] = max(peak["down"], down)

    with ThreadedEmulator(instances=12, durations=FAST, on_request=observe) as emu, \
            Fleet([HEALTHY] * 12) as servers:
        holder["emu"] = emu
        ids = emu.instance_ids()
        for n, iid in enumerate(ids):
            emu.set_addresses(iid, private_ip=servers.address(n))
        run = mockrun.run_program(ROLLING, config={
            "ecsreboot:endpoint": emu.url, "healthUrl": f"http://{{privateIp}}:{servers.port}/healthz",
            "healthIntervalSeconds": "0.1", "healthInitialDelaySeconds": "0"})
        plugin = start_plugin(engine, tmp_path, run)
        try:
            fleet = decl(run)
            result = Deployment(plugin).up([fleet])
        finally:
            plugin.stop()
        assert result.errors == {}
        assert emu.reboot_counts() == {i: 1 for i in ids}
        assert 1 <= peak["down"] <= 3
        reboots = [r for r in emu.requests() if r["action"] == "RebootInstances" and not dry(r)]
        assert len(reboots) == 4
        assert result.outputs[fleet.urn]["failedInstanceIds"] == []
        healthy = [servers.healthy_at(n, threshold=2) for n in range(12)]
        assert all(t is not None for t in healthy)
        for k in range(1, 4):  # wave k+1's reboot call came after wave k's last second healthy answer
            assert reboots[k]["at"] > max(healthy[3 * (k - 1):3 * k])  # type: ignore[type-var]
