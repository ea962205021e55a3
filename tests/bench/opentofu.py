"""Under OpenTofu (the `tofu` CLI that `make tofu` builds), three figures, each measured beside its yardstick in the
same run:

- **Unchanged plan**: `tofu plan` of a configuration of N `ecsreboot_reboot_trigger` that `tofu apply` created
  (`reboot_on_create = false`, so no API call), beside the same configuration of N `terraform_data` (OpenTofu's
  built-in resource, no plugin process at all); whole CLI commands, the median of a few runs each, taken in turn.
  The emulator must see no API call. Target: ours at most 1.5x. When Go is at hand, a third configuration shows
  what any plugin provider with our schema costs the CLI: N `floor_reboot_trigger` of terraform-provider-floor
  (tools/tofu-floor: a provider in Go that does nothing, given the same schema), built into .tools/bin.
- **First apply of a fleet**: one trigger over N instances, applied from a saved plan (`tofu plan -out`, then the
  measured `tofu apply PLAN`, as a pipeline applies on merge what the pull request planned), the whole command —
  the CLI re-plans the resource (with its dry run) before it applies it — against the same limit as the harness's
  fleet benchmark (reboot + minimum calls / concurrency x latency). Target <= 1.3x. The API calls' arrival times
  split it: until the first call (the CLI, the provider's start-ups), the re-plan's dry run (until the round's
  first DescribeInstances), the round, and after its last call.
- **Provider start-up**: `terraform-provider-ecsreboot` until its handshake line (go-plugin's environment, a client
  certificate to verify: the mutual-TLS set-up included), against the Pulumi plugin until its port line, one of
  each in turn, the median of a few runs.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ecsreboot import __version__
from ecsreboot.terraform.schema import Block, provider_block, resource_block
from ecsreboot.testing import EngineServer
from ecsreboot.testing.commands import REPO, TOOLS_BIN
from ecsreboot.testing.engine import PROVIDER_DIR
from ecsreboot.testing.tofucli import Mirror, Workspace, find_tofu, provider_executable, required_providers

from .common import ACCESS_KEY, REGION, BenchFailure, Recorder, Settings, count_actions, emulator, until_first_line

KEY = {"ALIBABA_CLOUD_ACCESS_KEY_ID": ACCESS_KEY[0], "ALIBABA_CLOUD_ACCESS_KEY_SECRET": ACCESS_KEY[1]}
MAGIC_COOKIE = {"TF_PLUGIN_MAGIC_COOKIE": "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2",
                "PLUGIN_PROTOCOL_VERSIONS": "5,6"}
FLOOR_SOURCE = "ecsreboot-bench/floor"
FLOOR_DIR = REPO / "tools" / "tofu-floor"


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
    floor_plan: float | None = None  # median; None without Go
    #: the fleet's apply by its API calls' arrival, seconds from the command's start: the first call, the round's
    #: first DescribeInstances (before it: the re-plan's dry run), the last call
    fleet_first_call: float = 0.0
    fleet_round_start: float = 0.0
    fleet_last_call: float = 0.0
    #: the size of ecsreboot_reboot_trigger's schema, which the CLI works with for every resource
    schema_attributes: int = 0
    schema_blocks: int = 0

    @property
    def plan_ratio(self) -> float:
        return self.ours_plan / self.data_plan

    @property
    def fleet_dry_run(self) -> float:
        return self.fleet_round_start - self.fleet_first_call

    @property
    def fleet_round(self) -> float:
        return self.fleet_last_call - self.fleet_round_start

    @property
    def fleet_tail(self) -> float:
        return self.fleet_wall - self.fleet_last_call

    @property
    def floor_ratio(self) -> float | None:
        """The do-nothing provider's plan / terraform_data's: what any plugin with our schema costs."""
        return None if self.floor_plan is None else self.floor_plan / self.data_plan

    @property
    def startup_ratio(self) -> float:
        return self.startup / self.pulumi_startup


def _workspace(tofu: Path, mirror: Mirror, folder: Path, text: str) -> Workspace:
    workspace = Workspace(tofu, folder, mirror, env=KEY)
    workspace.adopt_init()
    workspace.write(text)
    return workspace


def _median_plans(workspaces: list[Workspace], runs: int) -> list[float]:
    """The median `tofu plan` of each workspace, running them in turn, so the machine's load falls on each alike."""
    times: list[list[float]] = [[] for _ in workspaces]
    for _ in range(runs):
        for workspace, seconds in zip(workspaces, times, strict=True):
            done = workspace.run("plan", "-detailed-exitcode", "-no-color", "-input=false", timeout=1800)
            seconds.append(done.seconds)
    return [statistics.median(seconds) for seconds in times]


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


def floor_provider() -> Path | None:
    """terraform-provider-floor (tools/tofu-floor), built into .tools/bin with Go (its module and build caches make
    a build after the first take a second or two); None without Go."""
    if shutil.which("go") is None:
        return None
    out = TOOLS_BIN / "terraform-provider-floor"
    out.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(["go", "build", "-trimpath", "-o", str(out), "."], cwd=FLOOR_DIR, check=True, timeout=900,
                   env={**os.environ, "CGO_ENABLED": "0"}, capture_output=True)
    return out


def _schema_json(block: Block) -> dict[str, Any]:
    return {"attributes": [{"name": a.name, "type": a.type, "required": a.required, "optional": a.optional,
                            "computed": a.computed, "sensitive": a.sensitive} for a in block.attributes],
            "blocks": [{"name": name, "block": _schema_json(nested)} for name, _, nested in block.blocks]}


def _floor_workspace(tofu: Path, mirror: Mirror, folder: Path, triggers: str) -> Workspace:
    """The configuration of ``_triggers`` for the do-nothing provider, which is given our schema."""
    folder.mkdir(parents=True)
    schema = folder / "floor-schema.json"
    schema.write_text(json.dumps({"type_name": "floor_reboot_trigger", "resource": _schema_json(resource_block()),
                                  "provider": _schema_json(provider_block())}))
    workspace = Workspace(tofu, folder, mirror, env={**KEY, "ECSREBOOT_FLOOR_SCHEMA": str(schema)})
    text = triggers.replace("ecsreboot_reboot_trigger", "floor_reboot_trigger").replace('provider "ecsreboot"',
                                                                                        'provider "floor"')
    workspace.write(text.replace(required_providers(), 'terraform {\n  required_providers {\n    floor = {\n'
                                                       f'      source = "{FLOOR_SOURCE}"\n    }}\n  }}\n}}\n'))
    workspace.run("init", "-input=false", "-no-color", timeout=600)
    return workspace


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
    floor = floor_provider()
    with tempfile.TemporaryDirectory(prefix="ecsreboot-bench-tofu-") as tmp, emulator(settings, 50) as emu:
        work = Path(tmp)
        mirror = Mirror(work, __version__, others={FLOOR_SOURCE: floor} if floor else None)
        triggers = _triggers(n, emu.instance_ids(), emu.url)
        ours = _workspace(tofu, mirror, work / "triggers", triggers)
        data = _workspace(tofu, mirror, work / "data", _terraform_data(n))
        plans = [ours, data] + ([_floor_workspace(tofu, mirror, work / "floor", triggers)] if floor else [])
        for workspace in plans:  # setting up is not measured
            workspace.run("apply", "-auto-approve", "-no-color", "-input=false", timeout=1800)
        recorder = Recorder(emu)
        medians = _median_plans(plans, runs)
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
        started = time.monotonic()
        applied = fleet.run("apply", "-no-color", "-input=false", "release.plan", timeout=1800)
        counts = emu.reboot_counts()
        if any(c != 1 for c in counts.values()):
            raise BenchFailure(f"fleet of {size} under OpenTofu: not every instance rebooted exactly once")
        requests = sorted(recorder.snapshot(), key=lambda r: r.at)
        fleet_calls = count_actions(requests)
        round_start = next((r.at for r in requests if r.action == "DescribeInstances"), requests[-1].at)
    ours_start, pulumi_start = startup(settings.startup_runs)
    return OpenTofuResult(version, n, medians[0], medians[1], calls, runs, size, applied.seconds,
                          settings.limit(size), fleet_calls, ours_start, pulumi_start, settings.startup_runs,
                          floor_plan=medians[2] if floor else None, fleet_first_call=requests[0].at - started,
                          fleet_round_start=round_start - started, fleet_last_call=requests[-1].at - started,
                          schema_attributes=len(resource_block().attributes),
                          schema_blocks=len(resource_block().blocks))
