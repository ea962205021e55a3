"""Provider configuration under the real CLI: two aliased configurations for two regions, and secrets — sensitive
provider arguments, a sensitive trigger value, a probe URL with a token — absent from the CLI's output and from
every log line, the CLI's trace log included."""

from __future__ import annotations

from pathlib import Path

from ecsreboot.emulator import ThreadedEmulator
from tests.healthservers import HEALTHY, Fleet

from .conftest import MakeWorkspace, configuration, provider_block, reboots, trigger

KEY_ID, KEY_SECRET = "LTAI5tTofuLeakCanary0001", "TofuLeakCanarySecret0002"
TRIGGER_SECRET = "deploy-t0ken-Canary0003"
PROBE_TOKEN = "probe-t0ken-Canary0004"


def test_two_aliased_provider_configurations_reboot_in_their_own_regions(make_workspace: MakeWorkspace,
                                                                        emulator: ThreadedEmulator) -> None:
    beijing = emulator.add_instances(2, region="cn-beijing")
    hangzhou = emulator.instance_ids()[:2]
    workspace = make_workspace()
    providers = provider_block(emulator.url) + provider_block(emulator.url, "cn-beijing", alias="beijing")
    workspace.write(configuration(
        emulator.url, trigger("east", instance_ids=hangzhou, triggers={"v": "1"}),
        trigger("north", instance_ids=beijing, triggers={"v": "1"}, provider="=ecsreboot.beijing"),
        provider=providers))
    workspace.run("apply", "-auto-approve", "-no-color")
    counts = emulator.reboot_counts()
    assert [counts[i] for i in hangzhou + beijing] == [1, 1, 1, 1]
    regions = {tuple(sorted(v for k, v in r["params"].items() if k.startswith("InstanceId"))): r["params"]["RegionId"]
               for r in emulator.requests() if r["action"] == "RebootInstances"}
    assert regions[tuple(sorted(hangzhou))] == "cn-hangzhou" and regions[tuple(sorted(beijing))] == "cn-beijing"
    states = workspace.resources()
    assert states["ecsreboot_reboot_trigger.north"]["region_id"] == "cn-beijing"
    assert states["ecsreboot_reboot_trigger.east"]["region_id"] == "cn-hangzhou"


def test_secrets_never_reach_the_output_or_the_logs(make_workspace: MakeWorkspace, tmp_path: Path) -> None:
    with ThreadedEmulator(instances=2, durations={"Stopping": 0.1, "Starting": 0.1},
                          access_keys={KEY_ID: KEY_SECRET}) as emulator, Fleet([HEALTHY, HEALTHY]) as servers:
        ids = emulator.instance_ids()
        servers.serve(emulator, ids)
        workspace = make_workspace(env={})  # no key in the environment: the configuration holds it
        variables = "".join(f'variable "{name}" {{\n  type      = string\n  sensitive = true\n}}\n'
                            for name in ("deploy_token", "probe_url"))
        provider = provider_block(emulator.url, access_key="=var.key_id", secret_key="=var.key_secret")
        variables += 'variable "key_id" {\n  type = string\n}\nvariable "key_secret" {\n  type = string\n}\n'
        health = '  health_check {\n    url = var.probe_url\n    interval_seconds = 0.2\n  }\n'
        workspace.write(configuration(emulator.url, trigger(instance_ids=ids, triggers={"token": "=var.deploy_token",
                                                                                     "v": "1"}, blocks=health),
                                      provider=provider) + variables)
        log = tmp_path / "tofu.log"
        env = {"TF_LOG": "trace", "TF_LOG_PATH": str(log), "TF_VAR_key_id": KEY_ID, "TF_VAR_key_secret": KEY_SECRET,
               "TF_VAR_deploy_token": TRIGGER_SECRET,
               "TF_VAR_probe_url": f"http://probe:{PROBE_TOKEN}@{{privateIp}}:{servers.port}/healthz?t={PROBE_TOKEN}"}
        plan = workspace.run("plan", "-no-color", env=env)
        applied = workspace.run("apply", "-auto-approve", "-no-color", env=env)
        assert reboots(emulator) == [1, 1] and all(servers.log(n) for n in range(2))  # probed through the URL
        assert "(sensitive value)" in plan.stdout
        shown = workspace.run("show", "-no-color", env=env)
        texts = {"plan": plan.output, "apply": applied.output, "show": shown.output, "log": log.read_text()}
        assert "provider.terraform-provider-ecsreboot" in texts["log"]  # the provider's own lines are in it
        for name, text in texts.items():
            for secret in (KEY_ID, KEY_SECRET, TRIGGER_SECRET, PROBE_TOKEN):
                assert secret not in text, f"{secret} in the {name}"
