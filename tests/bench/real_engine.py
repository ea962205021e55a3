"""Under the real engine (the `pulumi` CLI that `make pulumi` builds), two figures:

- **Unchanged preview**: `pulumi preview` of a stack of N RebootTriggers that `pulumi up` created (no
  reboot on create), beside the same stack of N `pulumi.dynamic` resources with a trivial provider, each
  the median of a few runs, whole CLI commands. Resources/s = N / seconds; the emulator must see no API
  call. Target: ours no slower than the dynamic baseline. A third stack of N `pulumi.dynamic` resources
  shaped like a RebootTrigger (its 20 properties, the same trivial provider) tells the cost of the
  resource's shape -- what the SDK and the engine do per property -- from the cost of the provider.
- **First up of a fleet**: `pulumi up --skip-preview` (as a pipeline runs it on merge, after the pull
  request's preview) of one RebootTrigger over N instances, the whole command, against the same limit
  as the harness's fleet benchmark (reboot + minimum calls / concurrency x latency). Target <= 1.3x.
- **Registration alone**: the program side of the preview's N resources under Pulumi's mocks (no engine,
  no provider), ours and the dynamic stack's, CPU seconds: the SDK's own cost per resource.

Programs: `tests/bench/programs/{triggers,dynamic}`, run as Automation API inline programs
(`ecsreboot.testing.realcli`).
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from ecsreboot.testing.realcli import Project, cli_version, copy_project, find_pulumi

from .common import ACCESS_KEY, REGION, BenchFailure, Recorder, Settings, count_actions, emulator

PROGRAMS = Path(__file__).resolve().parent / "programs"
KEY = {"ALIBABA_CLOUD_ACCESS_KEY_ID": ACCESS_KEY[0], "ALIBABA_CLOUD_ACCESS_KEY_SECRET": ACCESS_KEY[1]}


@dataclass
class RealEngineResult:
    cli: str
    resources: int
    ours_preview: float  # seconds, median
    dynamic_preview: float
    preview_api_calls: int
    runs: int
    fleet: int
    fleet_wall: float
    fleet_limit: float
    fleet_calls: dict[str, int]
    #: CPU seconds of the program side alone (registering the N resources under Pulumi's mocks), ours and
    #: the dynamic stack's: what the SDK costs per resource before any engine or provider work
    ours_registration: float = 0.0
    dynamic_registration: float = 0.0
    #: seconds from the start of the fleet's `pulumi up` to its first and to its last API call
    fleet_first_call: float = 0.0
    fleet_last_call: float = 0.0
    #: seconds, median: the preview of N pulumi.dynamic resources shaped like a RebootTrigger
    shaped_preview: float = 0.0

    @property
    def ours_rate(self) -> float:
        return self.resources / self.ours_preview

    @property
    def dynamic_rate(self) -> float:
        return self.resources / self.dynamic_preview


def _project(pulumi: Path, program: str, work: Path, url: str | None = None, name: str | None = None) -> Project:
    name = name or program
    project = Project(pulumi, copy_project(PROGRAMS / program, work / name), work / f"{name}-state", env=KEY)
    project.init("bench")
    if url:
        project.config("ecsreboot:endpoint", url)
        project.config("ecsreboot:region", REGION)
    return project


def _median_preview(project: Project, runs: int) -> float:
    times = [project.run("preview", "--expect-no-changes", timeout=1800).seconds for _ in range(runs)]
    return statistics.median(times)


def run(settings: Settings) -> RealEngineResult | None:
    """None when no Pulumi CLI is built or on PATH (the report says so)."""
    pulumi = find_pulumi()
    if pulumi is None:
        return None
    n, runs = settings.real_engine_resources, settings.real_engine_runs
    with tempfile.TemporaryDirectory(prefix="ecsreboot-bench-real-") as tmp, emulator(settings, 50) as emu:
        work = Path(tmp)
        ours = _project(pulumi, "triggers", work, emu.url)
        ours.config_object("instanceIds", emu.instance_ids())
        ours.config("count", str(n))
        dynamic = _project(pulumi, "dynamic", work)
        dynamic.config("count", str(n))
        shaped = _project(pulumi, "dynamic", work, name="shaped")
        shaped.config("count", str(n))
        shaped.config("shaped", "true")
        shaped.config_object("instanceIds", emu.instance_ids())
        for project in (ours, dynamic, shaped):
            # setting up is not measured: no checkpoint after every one of N steps (the file backend rewrites
            # the whole state each time, quadratic in N), one at the end
            project.env["PULUMI_SKIP_CHECKPOINTS"] = "true"
            project.run("up", "--yes", "--skip-preview", timeout=1800)
            del project.env["PULUMI_SKIP_CHECKPOINTS"]
        recorder = Recorder(emu)
        ours_s, dynamic_s = _median_preview(ours, runs), _median_preview(dynamic, runs)
        shaped_s = _median_preview(shaped, runs)
        calls = len(recorder.snapshot())
        if any(emu.reboot_counts().values()):
            raise BenchFailure("an unchanged stack (rebootOnCreate=false) rebooted something")

    size = settings.real_engine_fleet
    with tempfile.TemporaryDirectory(prefix="ecsreboot-bench-real-") as tmp, emulator(settings, size) as emu:
        fleet = _project(pulumi, "triggers", Path(tmp), emu.url)
        ids_file = Path(tmp) / "ids.json"  # 10,000 ids are more than one command-line argument may hold
        ids_file.write_text(json.dumps(emu.instance_ids()))
        fleet.config("idsFile", str(ids_file))
        fleet.config("fleet", "true")
        recorder = Recorder(emu)
        started = time.monotonic()
        up = fleet.run("up", "--yes", "--skip-preview", timeout=1800)
        counts = emu.reboot_counts()
        if any(c != 1 for c in counts.values()):
            raise BenchFailure(f"fleet of {size} under the real engine: not every instance rebooted exactly once")
        requests = recorder.snapshot()
        fleet_calls = count_actions(requests)
        first, last = (requests[0].at - started, requests[-1].at - started) if requests else (0.0, 0.0)
    return RealEngineResult(cli_version(pulumi), n, ours_s, dynamic_s, calls, runs, size, up.seconds,
                            settings.limit(size), fleet_calls, _registration("ours", n), _registration("dynamic", n),
                            first, last, shaped_s)


def _registration(which: str, n: int) -> float:
    done = subprocess.run([sys.executable, str(PROGRAMS / "registration.py"), which, str(n)], capture_output=True,
                          text=True, timeout=600, check=True)
    return float(done.stdout.strip().splitlines()[-1])
