"""Under OpenTofu (the `tofu` CLI that `make tofu` builds), three figures, each measured beside its yardstick in the
same run:

- **Unchanged plan**: `tofu plan` of a configuration of N `ecsreboot_reboot_trigger` that `tofu apply` created
  (`reboot_on_create = false`, so no API call), beside the same configuration of N `terraform_data` (OpenTofu's
  built-in resource, no plugin process at all); whole CLI commands, the median of a few runs each. The emulator
  must see no API call. Target: ours at most 1.5x.
- **First apply of a fleet**: one trigger over N instances, applied from a saved plan (`tofu plan -out`, then the
  measured `tofu apply PLAN`, as a pipeline applies on merge what the pull request planned), the whole command —
  the CLI re-plans the resource (with its dry run) before it applies it — against the same limit as the harness's
  fleet benchmark (reboot + minimum calls / concurrency x latency). Target <= 1.3x.
- **Provider start-up**: `terraform-provider-ecsreboot` until its handshake line (go-plugin's environment, a client
  certificate to verify: the mutual-TLS set-up included), against the Pulumi plugin until its port line, one of
  each in turn, the median of a few runs.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ecsreboot import __version__
from ecsreboot.testing import EngineServer
from ecsreboot.testing.engine import PROVIDER_DIR
from ecsreboot.testing.tofucli import Mirror, Workspace, find_tofu, provider_executable, required_providers

from .common import ACCESS_KEY, REGION, BenchFailure, Recorder, Settings, count_actions, emulator, until_first_line

KEY = {"ALIBABA_CLOUD_ACCESS_KEY_ID": ACCESS_KEY[0], "ALIBABA_CLOUD_ACCESS_KEY_SECRET": ACCESS_KEY[1]}
MAGIC_COOKIE = {"TF_PLUGIN_MAGIC_COOKIE": "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2",
                "PLUGIN_PROTOCOL_VERSIONS": "5,6"}


@dataclass
class OpenTofuResult:
    cli: str
    resources: int
    ours_plan: float  # seconds, median
    data_plan: float
    plan_api_calls: int
    runs: int
    fleet: int
    fleet_wall: float
    fleet_limit: float
    fleet_calls: dict[str, int]
    startup: float  # median, until the handshake line
    pulumi_startup: float  # median, the Pulumi plugin until its port line
    startup_runs: int

    @property
    def plan_ratio(self) -> float:
        return self.ours_plan / self.data_plan

    @property
    def startup_ratio(self) -> float:
        return self.startup / self.pulumi_startup


def _workspace(tofu: Path, mirror: Mirror, folder: Path, text: str) -> Workspace:
    workspace = Workspace(tofu, folder, mirror, env=KEY)
    workspace.adopt_init()
    workspace.write(text)
    return workspace


def _median_plan(workspace: Workspace, runs: int) -> float:
    times = []
    for _ in range(runs):
        done = workspace.run("plan", "-detailed-exitcode", "-no-color", "-input=false", timeout=1800)
        times.append(done.seconds)
    return statistics.median(times)


def _triggers(n: int, ids: list[str], url: str) -> str:
    provider = f'provider "ecsreboot" {{\n  region   = "{REGION}"\n  endpoint = "{url}"\n}}\n'
    resource = ('resource "ecsreboot_reboot_trigger" "t" {\n  count            = COUNT\n'
                '  instance_ids     = [var.ids[count.index % length(var.ids)]]\n'
                '  triggers         = { config_hash = "h${count.index}" }\n  reboot_on_create = false\n}\n'
                ).replace("COUNT", str(n))
    variable = f'variable "ids" {{\n  type    = list(string)\n  default = {json.dumps(ids)}\n}}\n'
    return required_providers() + provider + variable + resource


def _terraform_data(n: int) -> str:
    return ('resource "terraform_data" "t" {\n  count = COUNT\n'
            '  input = { config_hash = "h${count.index}" }\n}\n').replace("COUNT", str(n))


def _until_line(command: list[str], env: dict[str, str], accept: str) -> float:
    return until_first_line(command, lambda line: line.startswith(accept), cwd=PROVIDER_DIR.parent, env=env)


def startup(runs: int) -> tuple[float, float]:
    """(ours until the handshake line, the Pulumi plugin until its port line): medians, one of each in turn."""
    from tests.terraform.test_server import client_certificate  # go-plugin's kind of certificate

    engine = EngineServer()
    try:
        env = {**os.environ, **MAGIC_COOKIE, "PLUGIN_CLIENT_CERT": client_certificate()[0].decode()}
        ours = [str(provider_executable())]
        pulumi = [sys.executable, str(PROVIDER_DIR), engine.address]
        _until_line(ours, env, "1|6|tcp|"), _until_line(pulumi, dict(os.environ), "")  # warm the file cache
        pairs = [(_until_line(ours, env, "1|6|tcp|"), _until_line(pulumi, dict(os.environ), ""))
                 for _ in range(runs)]
    finally:
        engine.stop()
    return statistics.median(p[0] for p in pairs), statistics.median(p[1] for p in pairs)


def run(settings: Settings) -> OpenTofuResult | None:
    """None when no tofu is built or on PATH (the report says so)."""
    tofu = find_tofu()
    if tofu is None:
        return None
    n, runs = settings.real_engine_resources, settings.real_engine_runs
    with tempfile.TemporaryDirectory(prefix="ecsreboot-bench-tofu-") as tmp, emulator(settings, 50) as emu:
        work = Path(tmp)
        mirror = Mirror(work, __version__)
        ours = _workspace(tofu, mirror, work / "triggers", _triggers(n, emu.instance_ids(), emu.url))
        data = _workspace(tofu, mirror, work / "data", _terraform_data(n))
        for workspace in (ours, data):  # setting up is not measured
            workspace.run("apply", "-auto-approve", "-no-color", "-input=false", timeout=1800)
        recorder = Recorder(emu)
        ours_s, data_s = _median_plan(ours, runs), _median_plan(data, runs)
        calls = len(recorder.snapshot())
        if any(emu.reboot_counts().values()):
            raise BenchFailure("an unchanged configuration (reboot_on_create = false) rebooted something")
        version = (ours.run("version", timeout=60).stdout.splitlines() or ["OpenTofu"])[0]

    size = settings.real_engine_fleet
    with tempfile.TemporaryDirectory(prefix="ecsreboot-bench-tofu-") as tmp, emulator(settings, size) as emu:
        work = Path(tmp)
        fleet = _workspace(tofu, Mirror(work, __version__), work / "fleet",
                           required_providers() + f'provider "ecsreboot" {{\n  region   = "{REGION}"\n'
                           f'  endpoint = "{emu.url}"\n}}\nvariable "ids" {{\n  type = list(string)\n}}\n'
                           'resource "ecsreboot_reboot_trigger" "fleet" {\n  instance_ids = var.ids\n'
                           '  triggers     = { release = "1" }\n  timeouts {\n    create = "60m"\n  }\n}\n')
        # 10,000 ids are more than one command-line argument may hold: a variables file
        (fleet.dir / "terraform.tfvars.json").write_text(json.dumps({"ids": emu.instance_ids()}))
        fleet.run("plan", "-out=release.plan", "-no-color", "-input=false", timeout=1800)
        recorder = Recorder(emu)
        applied = fleet.run("apply", "-no-color", "-input=false", "release.plan", timeout=1800)
        counts = emu.reboot_counts()
        if any(c != 1 for c in counts.values()):
            raise BenchFailure(f"fleet of {size} under OpenTofu: not every instance rebooted exactly once")
        fleet_calls = count_actions(recorder.snapshot())
    ours_start, pulumi_start = startup(settings.startup_runs)
    return OpenTofuResult(version, n, ours_s, data_s, calls, runs, size, applied.seconds, settings.limit(size),
                          fleet_calls, ours_start, pulumi_start, settings.startup_runs)
