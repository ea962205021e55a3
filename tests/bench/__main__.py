"""``python -m tests.bench [--sizes 100,1000,10000] [--latency 0.05] [--stopping 2] [--starting 3]
[--quick] [--markdown PATH]``: run every benchmark, print the table, optionally write Markdown.

Exit status 0 when every benchmark ran and did what it measures, whatever the timings (a MISS is
reported, not fatal); 1 when a benchmark failed (a reboot missing or doubled, an error surfaced, an
API call where none may be); 2 for bad arguments.
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
import time
import traceback
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TypeVar

from ecsreboot.core.runtime import tune_garbage_collector

from . import (
    baseline,
    cli_fleet,
    emulator_throughput,
    fleet,
    health_wave,
    many_resources,
    memory,
    opentofu,
    plugin_overhead,
    real_engine,
    report,
)
from .common import Settings

T = TypeVar("T")

QUICK = {"sizes": (100,), "stopping": 1.0, "starting": 1.0, "check_diff_resources": 200, "many_resources": 20,
         "instances_per_resource": 2, "startup_runs": 3, "throughput_seconds": 1.0,
         "real_engine_resources": 20, "real_engine_runs": 1, "real_engine_fleet": 100,
         "health_wave": 100, "cli_fleet": 100, "huge_fleet": 1_000}


def _sizes(text: str) -> tuple[int, ...]:
    try:
        sizes = tuple(int(part.replace("_", "")) for part in text.split(",") if part.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected sizes like 100,1000,10000, got {text!r}") from None
    if not sizes or any(n < 1 for n in sizes):
        raise argparse.ArgumentTypeError("sizes must be positive")
    return sizes


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m tests.bench", description=__doc__.split("\n\n")[0] if __doc__ else "")
    p.add_argument("--sizes", type=_sizes, help="fleet sizes (default 100,1000,10000; --quick: 100)")
    p.add_argument("--latency", type=float, default=0.05, help="seconds added to every API answer (default 0.05)")
    p.add_argument("--stopping", type=float, help="seconds an instance stays Stopping (default 2; --quick: 1)")
    p.add_argument("--starting", type=float, help="seconds an instance stays Starting (default 3; --quick: 1)")
    p.add_argument("--max-rps", type=float, default=20.0, help="maxRequestsPerSecond of the many-resources run")
    p.add_argument("--quick", action="store_true", help="the CI size: fleet of 100, small resource counts")
    p.add_argument("--markdown", type=Path, metavar="PATH", help="also write the results as Markdown to PATH")
    return p


def settings_from(args: argparse.Namespace) -> Settings:
    values: dict[str, object] = dict(QUICK) if args.quick else {}
    values.update(latency=args.latency, max_requests_per_second=args.max_rps, quick=args.quick)
    for name in ("sizes", "stopping", "starting"):
        if getattr(args, name) is not None:
            values[name] = getattr(args, name)
    return Settings(**values)  # type: ignore[arg-type]


def _step(label: str, fn: Callable[[], T]) -> T:
    print(f"... {label}", file=sys.stderr, flush=True)
    start = time.perf_counter()
    value = fn()
    print(f"    done in {time.perf_counter() - start:.1f} s", file=sys.stderr, flush=True)
    return value


def run(settings: Settings) -> report.Results:
    results = report.Results(settings)
    start, load = time.perf_counter(), _load()
    for n in settings.sizes:
        results.fleet.append(_step(f"fleet reboot of {n:,} through the plugin", partial(fleet.run, settings, n)))
        results.baseline[n] = _step(f"baseline script over the official SDK, {n:,}", partial(baseline.run, settings, n))
    results.cli = _step(f"ecsreboot reboot of {settings.cli_fleet:,}",
                        partial(cli_fleet.run, settings, settings.cli_fleet))
    results.huge = _step(f"one RebootTrigger over {settings.huge_fleet:,} through the plugin",
                         partial(fleet.run, settings, settings.huge_fleet))
    results.memory = memory.from_fleet(results.fleet)
    results.startup = _step("plugin start-up", lambda: plugin_overhead.startup(settings))
    results.check_diff = _step(f"Check+Diff of {settings.check_diff_resources:,} unchanged resources",
                               lambda: plugin_overhead.check_diff(settings))
    results.many = _step(f"{settings.many_resources} resources updated at once",
                         lambda: many_resources.run(settings))
    results.throughput = _step("emulator throughput", lambda: emulator_throughput.run(settings))
    results.health = _step(f"a wave of {settings.health_wave:,} with and without a health check",
                           lambda: health_wave.run(settings, settings.health_wave))
    results.real_engine = _step(f"under the real Pulumi CLI: preview of {settings.real_engine_resources:,} unchanged "
                                f"resources, up of a {settings.real_engine_fleet:,}-instance fleet",
                                lambda: real_engine.run(settings))
    results.opentofu = _step(f"under OpenTofu: plan of {settings.real_engine_resources:,} unchanged triggers and of "
                             f"as many terraform_data, apply of a {settings.real_engine_fleet:,}-instance fleet, "
                             "provider start-up", lambda: opentofu.run(settings))
    results.seconds, results.load = time.perf_counter() - start, (load, _load())
    return results


def _load() -> float:
    try:
        return os.getloadavg()[0]
    except OSError:
        return 0.0


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    # the emulator (and the engine stand-in) run in this process: collected as the plugin and the CLI are, so
    # their collector's pauses are not counted against the client
    tune_garbage_collector()
    settings = settings_from(args)
    try:
        results = run(settings)
    except Exception:
        traceback.print_exc()
        print("benchmark failed", file=sys.stderr)
        return 1
    print(report.console(results))
    if args.markdown is not None:
        command = shlex.join(["python", "-m", "tests.bench", *(sys.argv[1:] if argv is None else argv)])
        report.write_markdown(results, command, args.markdown)
        print(f"wrote {args.markdown}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
