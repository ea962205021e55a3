"""The results as a console table and as Markdown (docs/benchmarks.md): figures, targets, PASS/MISS."""

from __future__ import annotations

import datetime as _dt
import os
import platform
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .baseline import POLL_SECONDS, BaselineResult
from .cli_fleet import CliFleetResult
from .common import Settings, calls_per_100
from .emulator_throughput import ThroughputResult
from .fleet import FleetResult
from .health_wave import REBOOT, TARGET_FACTOR, HealthWaveResult
from .many_resources import ManyResult
from .memory import TARGET_MB, MemoryResult
from .opentofu import OpenTofuResult
from .plugin_overhead import WORKERS, CheckDiffResult, StartupResult
from .real_engine import RealEngineResult

WALL_FACTOR = 1.3
#: issue 17: at N=10,000 the fleet (through the plugin, and `ecsreboot reboot`) within 1.15x the limit
WALL_FACTOR_AT = {10_000: 1.15}
#: one resource over 100,000 instances: wall within 1.3x the limit, plugin peak RSS at most 250 MB
HUGE_RSS_MB = 250.0
SPEEDUP_AT = 10_000
SPEEDUP = 3.0
STARTUP_TARGET = 0.5
#: issue 10: the plugin starts at most this much slower than Pulumi's own Python plugin (python -m pulumi.dynamic)
STARTUP_RATIO = 1.1
CHECK_DIFF_TARGET = 2_000.0
#: issue 19: `tofu plan` of N unchanged triggers at most this much slower than of N terraform_data
TOFU_PLAN_RATIO = 1.5


@dataclass
class Results:
    settings: Settings
    fleet: list[FleetResult] = field(default_factory=list)
    baseline: dict[int, BaselineResult] = field(default_factory=dict)
    startup: StartupResult | None = None
    check_diff: CheckDiffResult | None = None
    many: ManyResult | None = None
    memory: MemoryResult | None = None
    throughput: ThroughputResult | None = None
    real_engine: RealEngineResult | None = None
    opentofu: OpenTofuResult | None = None
    health: HealthWaveResult | None = None
    cli: CliFleetResult | None = None
    #: one RebootTrigger over settings.huge_fleet instances through the plugin
    huge: FleetResult | None = None
    seconds: float = 0.0
    #: 1-minute load averages at the start and the end of the run (other work on the machine skews timings)
    load: tuple[float, float] = (0.0, 0.0)


@dataclass(frozen=True)
class Target:
    benchmark: str
    figure: str
    measured: str
    target: str
    ok: bool | None  # None: not measured in this run

    @property
    def verdict(self) -> str:
        return "n/a" if self.ok is None else ("PASS" if self.ok else "MISS")


@dataclass(frozen=True)
class Table:
    headers: Sequence[str]
    rows: Sequence[Sequence[str]]
    #: columns aligned left (the rest are numbers, aligned right)
    left: frozenset[int] = frozenset({0})

    def console(self) -> str:
        widths = [max(len(h), *(len(r[i]) for r in self.rows)) for i, h in enumerate(self.headers)]

        def line(cells: Sequence[str]) -> str:
            return "  ".join(c.ljust(w) if i in self.left else c.rjust(w)
                             for i, (c, w) in enumerate(zip(cells, widths, strict=True))).rstrip()

        return "\n".join([line(self.headers), line(["-" * w for w in widths]), *map(line, self.rows)])

    def markdown(self) -> str:
        align = ["---" if i in self.left else "---:" for i in range(len(self.headers))]
        rows = [self.headers, align, *self.rows]
        return "\n".join("| " + " | ".join(cells) + " |" for cells in rows)


def _s(seconds: float) -> str:
    return f"{seconds:.2f}"


def _n(count: float) -> str:
    return f"{count:,.0f}"


# --- tables ---------------------------------------------------------------------------------------------


def wall_factor(n: int) -> float:
    return WALL_FACTOR_AT.get(n, WALL_FACTOR)


def _mb(kb: int | None) -> str:
    return f"{kb / 1024:.0f}" if kb else "-"


def fleet_table(results: Results) -> Table:
    rows = []
    for f in [*results.fleet, *([results.huge] if results.huge else [])]:
        base = results.baseline.get(f.n)
        rows.append([
            _n(f.n), _s(f.wall), _s(f.span), _s(f.limit), f"{f.wall / f.limit:.2f}",
            _s(base.wall) if base else "-", f"{base.wall / f.wall:.2f}x" if base else "-",
            _n(f.calls.get("RebootInstances", 0)), _n(f.calls.get("DescribeInstances", 0)),
            str(f.max_ids_per_describe), "-" if f.plugin_cpu is None else _s(f.plugin_cpu),
            _mb(f.peak_rss_kb), f"{f.state_bytes / 1e6:.1f}",
        ])
    return Table(["N", "wall s", "API span s", "limit s", "wall/limit", "baseline s", "speed-up",
                  "RebootInstances", "DescribeInstances", "ids/describe", "plugin CPU s", "plugin peak MB",
                  "state MB"], rows)


def baseline_table(results: Results) -> Table:
    rows = [[_n(b.n), _s(b.wall), _n(b.calls.get("RebootInstances", 0)),
             _n(b.calls.get("DescribeInstanceStatus", 0)), str(b.rounds)]
            for b in sorted(results.baseline.values(), key=lambda b: b.n)]
    return Table(["N", "wall s", "RebootInstances", "DescribeInstanceStatus", "poll rounds"], rows)


def other_table(results: Results) -> Table:
    rows: list[list[str]] = []
    if results.startup:
        st = results.startup
        rows.append(["plugin start-up until the port line (median)", f"{st.ecsreboot:.3f} s",
                     f"python -m pulumi.dynamic: {st.pulumi_dynamic:.3f} s ({st.runs} runs each)"])
    if results.check_diff:
        cd = results.check_diff
        cpu = "" if cd.plugin_cpu_seconds is None else \
            f"; plugin CPU {cd.plugin_cpu_seconds / cd.resources * 1e6:.0f} us/resource"
        rows.append([f"Check+Diff, unchanged stack of {_n(cd.resources)} through the plugin ({WORKERS} at once)",
                     f"{_n(cd.rate)} resources/s",
                     f"{cd.seconds:.2f} s, {cd.api_calls} API calls{cpu}"])
        rows.append(["  same calls, requests built beforehand", f"{_n(cd.resources / cd.prebuilt_seconds)}"
                     " resources/s", "without the harness's Python marshalling"])
        rows.append(["  two empty RPCs (GetPluginInfo) per resource", f"{_n(cd.resources / cd.empty_rpc_seconds)}"
                     " resources/s", "the floor of gRPC in Python, client and server on 2 cores"])
        rows.append(["  Check+Diff handlers called in-process (no gRPC)",
                     f"{cd.handler_seconds / cd.resources * 1e6:.0f} us/resource", "one thread"])
    if results.many:
        m = results.many
        rows.append([f"{m.resources} RebootTriggers x {m.instances // m.resources} instances updated at once, "
                     f"maxRequestsPerSecond={m.rate_limit:g}", f"{m.max_per_second} requests in the busiest second",
                     f"sustained {m.sustained_rate:.1f}/s; {m.throttled} throttled answers; {m.errors} errors; "
                     f"{sum(m.calls.values())} calls in {m.seconds:.1f} s"])
    if results.memory and results.memory.peak_mb is not None:
        rows.append([f"plugin peak RSS (VmHWM) during the {_n(results.memory.n)}-instance round",
                     f"{results.memory.peak_mb:.0f} MB", ""])
    if results.cli:
        c = results.cli
        calls = ", ".join(f"{a} {_n(k)}" for a, k in sorted(c.calls.items()))
        rows.append([f"`ecsreboot reboot` of {_n(c.n)} instances (the CLI in its own process)",
                     f"{_s(c.wall)} s, CPU {_s(c.cpu)} s",
                     f"limit {_s(c.limit)} s; {calls}; {_s(c.before_first_call)} s to the first API call, "
                     f"{_s(c.after_last_call)} s from the last to the exit"])
    if results.huge:
        h = results.huge
        rows.append([f"one RebootTrigger over {_n(h.n)} instances through the plugin",
                     f"{_s(h.wall)} s, peak RSS {_mb(h.peak_rss_kb)} MB",
                     f"limit {_s(h.limit)} s; outputs the engine stores: {h.state_bytes / 1e6:.1f} MB; last reboot "
                     f"call at {_s(h.last_reboot_at)} s of the API span ({_s(h.span)} s)"])
    if results.throughput:
        t = results.throughput
        rows.append([f"emulator: DescribeInstances of 100 ids, {_n(t.instances)} instances, {t.threads} connections",
                     f"{_n(t.rate)} requests/s", f"the fleet round needs at most {_n(t.needed)}/s"])
    if results.health:
        h = results.health
        rows.append([f"a wave of {_n(h.n)} instances with a health check (HTTP, every {h.interval:g} s)",
                     f"+{_s(h.added)} s over no health check",
                     f"{_s(h.gated)} s vs {_s(h.plain)} s; {_n(h.probes)} probes; at most {h.client_peak} sockets "
                     f"open at once (server saw {h.server_peak}; bound {h.concurrency})"])
    if results.real_engine:
        r = results.real_engine
        rows.append([f"real CLI {r.cli}: `pulumi preview` of {_n(r.resources)} unchanged RebootTriggers",
                     f"{_n(r.ours_rate)} resources/s", f"{r.ours_preview:.2f} s (median of {r.runs}), "
                     f"{r.preview_api_calls} API calls; whole CLI command"])
        rows.append([f"  the same stack of {_n(r.resources)} pulumi.dynamic resources, trivial provider",
                     f"{_n(r.dynamic_rate)} resources/s", f"{r.dynamic_preview:.2f} s (median of {r.runs})"])
        if r.shaped_preview:
            rows.append([f"  the same stack of {_n(r.resources)} pulumi.dynamic resources shaped like a RebootTrigger",
                         f"{_n(r.resources / r.shaped_preview)} resources/s",
                         f"{r.shaped_preview:.2f} s (median of {r.runs}); its 20 properties, the trivial provider"])
        calls = ", ".join(f"{a} {_n(c)}" for a, c in sorted(r.fleet_calls.items()))
        rows.append([f"real CLI: `pulumi up --skip-preview`, one RebootTrigger over {_n(r.fleet)} instances",
                     f"{_s(r.fleet_wall)} s", f"limit {_s(r.fleet_limit)} s; {calls}"])
    if results.opentofu:
        o = results.opentofu
        rows.append([f"{o.cli}: `tofu plan` of {_n(o.resources)} unchanged ecsreboot_reboot_trigger",
                     f"{_s(o.ours_plan)} s", f"median of {o.runs}, {o.plan_api_calls} API calls; whole CLI command"])
        rows.append([f"  the same configuration of {_n(o.resources)} terraform_data (built in, no plugin)",
                     f"{_s(o.data_plan)} s", f"median of {o.runs}; ours / terraform_data {o.plan_ratio:.2f}"])
        if o.floor_plan is not None:
            rows.append(["  the same configuration through a provider in Go that does nothing, with our schema "
                         "(tools/tofu-floor)", f"{_s(o.floor_plan)} s",
                         f"median of {o.runs}; / terraform_data {o.floor_ratio:.2f}; ours / it "
                         f"{o.ours_plan / o.floor_plan:.2f}"])
        calls = ", ".join(f"{a} {_n(c)}" for a, c in sorted(o.fleet_calls.items()))
        rows.append([f"OpenTofu: `tofu apply PLAN`, one trigger over {_n(o.fleet)} instances (re-plan included)",
                     f"{_s(o.fleet_wall)} s", f"limit {_s(o.fleet_limit)} s; {calls}; first call at "
                     f"{_s(o.fleet_first_call)} s, the re-plan's dry run {_s(o.fleet_dry_run)} s, the round "
                     f"{_s(o.fleet_round)} s, after the last call {_s(o.fleet_tail)} s"])
        rows.append(["terraform-provider-ecsreboot start-up until the handshake line (median)", f"{o.startup:.3f} s",
                     f"the Pulumi plugin until its port line: {o.pulumi_startup:.3f} s ({o.startup_ratio:.2f}x; "
                     f"{o.startup_runs} runs each); ours makes its TLS certificate first"])
    return Table(["figure", "measured", "notes"], rows, left=frozenset({0, 1, 2}))


def targets(results: Results) -> list[Target]:
    out: list[Target] = []
    for f in results.fleet:
        name = f"fleet N={_n(f.n)}"
        want = calls_per_100(f.n)
        out.append(Target(name, "RebootInstances calls", _n(f.calls.get("RebootInstances", 0)), f"= {_n(want)}",
                          f.calls.get("RebootInstances", 0) == want))
        out.append(Target(name, "describe calls per poll round (max)", _n(f.max_round_calls), f"<= {_n(want)}",
                          f.max_round_calls <= want))
        factor = wall_factor(f.n)
        out.append(Target(name, "wall / limit", f"{f.wall / f.limit:.2f} ({_s(f.wall)} s / {_s(f.limit)} s)",
                          f"<= {factor}", f.wall <= factor * f.limit))
    fleet = {f.n: f for f in results.fleet}
    if SPEEDUP_AT in fleet and SPEEDUP_AT in results.baseline:
        f, b = fleet[SPEEDUP_AT], results.baseline[SPEEDUP_AT]
        out.append(Target(f"fleet N={_n(SPEEDUP_AT)}", "speed-up over the baseline",
                          f"{b.wall / f.wall:.2f}x ({_s(b.wall)} s / {_s(f.wall)} s)", f">= {SPEEDUP:g}x",
                          b.wall >= SPEEDUP * f.wall))
    else:
        out.append(Target(f"fleet N={_n(SPEEDUP_AT)}", "speed-up over the baseline", "not run (size not asked)",
                          f">= {SPEEDUP:g}x", None))
    if results.cli:
        c = results.cli
        factor = wall_factor(c.n)
        out.append(Target(f"ecsreboot reboot, N={_n(c.n)}", "wall / limit",
                          f"{c.wall / c.limit:.2f} ({_s(c.wall)} s / {_s(c.limit)} s)", f"<= {factor}",
                          c.wall <= factor * c.limit))
        out.append(Target(f"ecsreboot reboot, N={_n(c.n)}", "client CPU", f"{_s(c.cpu)} s",
                          f"<= {c.cpu_target:g} s", c.cpu <= c.cpu_target))
    if results.huge:
        h = results.huge
        out.append(Target(f"one resource, N={_n(h.n)}", "wall / limit",
                          f"{h.wall / h.limit:.2f} ({_s(h.wall)} s / {_s(h.limit)} s)", f"<= {WALL_FACTOR}",
                          h.wall <= WALL_FACTOR * h.limit))
        out.append(Target(f"one resource, N={_n(h.n)}", "plugin peak RSS", f"{_mb(h.peak_rss_kb)} MB",
                          f"<= {HUGE_RSS_MB:g} MB",
                          None if h.peak_rss_kb is None else h.peak_rss_kb / 1024 <= HUGE_RSS_MB))
    if results.startup:
        st = results.startup
        out.append(Target("plugin", "start-up until the port line", f"{st.ecsreboot:.3f} s "
                          f"(pulumi.dynamic {st.pulumi_dynamic:.3f} s)", f"< {STARTUP_TARGET} s",
                          st.ecsreboot < STARTUP_TARGET))
        out.append(Target("plugin", "start-up against python -m pulumi.dynamic", f"{st.ratio:.2f}x",
                          f"<= {STARTUP_RATIO:g}x", st.ratio <= STARTUP_RATIO))
    if results.check_diff:
        cd = results.check_diff
        out.append(Target("plugin", f"Check+Diff, {_n(cd.resources)} unchanged", f"{_n(cd.rate)} resources/s",
                          f">= {_n(CHECK_DIFF_TARGET)}/s", cd.rate >= CHECK_DIFF_TARGET))
        out.append(Target("plugin", "API calls for an unchanged stack", str(cd.api_calls), "0", cd.api_calls == 0))
    if results.many:
        m = results.many
        out.append(Target(f"{m.resources} resources", "requests in any 1 s window (max)", str(m.max_per_second),
                          f"<= {m.allowed_per_second} ({m.rate_limit:g}/s + burst 1)",
                          m.max_per_second <= m.allowed_per_second))
        out.append(Target(f"{m.resources} resources", "throttling errors surfaced",
                          f"{m.errors} ({m.throttled} throttled answers)", "0", m.errors == 0 and m.throttled == 0))
    if results.memory:
        mem = results.memory
        measured = "not available (no /proc)" if mem.peak_mb is None else f"{mem.peak_mb:.0f} MB"
        out.append(Target("memory", f"plugin peak RSS, N={_n(mem.n)}", measured, f"< {TARGET_MB:g} MB",
                          None if mem.peak_mb is None else mem.peak_mb < TARGET_MB))
    if results.real_engine:
        r = results.real_engine
        out.append(Target("real engine", f"preview, {_n(r.resources)} unchanged: ours / pulumi.dynamic",
                          f"{r.ours_preview / r.dynamic_preview:.2f} ({r.ours_preview:.2f} s / "
                          f"{r.dynamic_preview:.2f} s)", "<= 1.00", r.ours_preview <= r.dynamic_preview))
        if r.shaped_preview:
            out.append(Target("real engine", f"preview, {_n(r.resources)} unchanged: ours / pulumi.dynamic of the "
                              "same shape", f"{r.ours_preview / r.shaped_preview:.2f} ({r.ours_preview:.2f} s / "
                              f"{r.shaped_preview:.2f} s)", "<= 1.00", r.ours_preview <= r.shaped_preview))
        out.append(Target("real engine", "API calls for an unchanged preview", str(r.preview_api_calls), "0",
                          r.preview_api_calls == 0))
        out.append(Target("real engine", f"first up, N={_n(r.fleet)}: wall / limit",
                          f"{r.fleet_wall / r.fleet_limit:.2f} ({_s(r.fleet_wall)} s / {_s(r.fleet_limit)} s)",
                          f"<= {WALL_FACTOR}", r.fleet_wall <= WALL_FACTOR * r.fleet_limit))
    else:
        out.append(Target("real engine", "preview and first up under the Pulumi CLI",
                          "not run: no Pulumi CLI (make pulumi needs Go)", "", None))
    if results.opentofu:
        o = results.opentofu
        out.append(Target("OpenTofu", f"plan, {_n(o.resources)} unchanged: ours / terraform_data",
                          f"{o.plan_ratio:.2f} ({_s(o.ours_plan)} s / {_s(o.data_plan)} s)", f"<= {TOFU_PLAN_RATIO}",
                          o.plan_ratio <= TOFU_PLAN_RATIO))
        out.append(Target("OpenTofu", "API calls for an unchanged plan", str(o.plan_api_calls), "0",
                          o.plan_api_calls == 0))
        out.append(Target("OpenTofu", f"first apply, N={_n(o.fleet)}: wall / limit",
                          f"{o.fleet_wall / o.fleet_limit:.2f} ({_s(o.fleet_wall)} s / {_s(o.fleet_limit)} s)",
                          f"<= {WALL_FACTOR}", o.fleet_wall <= WALL_FACTOR * o.fleet_limit))
    else:
        out.append(Target("OpenTofu", "plan and first apply under tofu", "not run: no tofu (make tofu needs Go)",
                          "", None))
    if results.health:
        h = results.health
        out.append(Target(f"health check, wave of {_n(h.n)}", "time added over no health check",
                          f"{_s(h.added)} s ({_s(h.gated)} s / {_s(h.plain)} s)",
                          f"<= {_s(h.target)} s (interval {h.interval:g} s + {TARGET_FACTOR - 1:.0%})",
                          h.added <= h.target))
        out.append(Target(f"health check, wave of {_n(h.n)}", "sockets open at once (peak)",
                          f"{h.client_peak} (server saw {h.server_peak})", f"<= {h.concurrency}",
                          h.client_peak <= h.concurrency))
    if results.throughput:
        t = results.throughput
        out.append(Target("emulator", "requests/s on loopback", f"{_n(t.rate)}/s", f"> {_n(t.needed)}/s",
                          t.rate > t.needed))
    return out


def targets_table(results: Results) -> Table:
    return Table(["benchmark", "figure", "measured", "target", "result"],
                 [[t.benchmark, t.figure, t.measured, t.target, t.verdict] for t in targets(results)],
                 left=frozenset({0, 1, 2, 3, 4}))


# --- output ---------------------------------------------------------------------------------------------


def conditions(s: Settings) -> str:
    return (f"latency {s.latency * 1000:g} ms added to every API answer; reboots {s.stopping:g} s Stopping + "
            f"{s.starting:g} s Starting; client concurrency {s.concurrency}; {os.cpu_count()} CPU cores")


def console(results: Results) -> str:
    parts = [
        f"ecsreboot benchmarks -- {conditions(results.settings)}",
        "",
        "Fleet reboot: one RebootTrigger through the plugin process, waitForRunning "
        "(limit = reboot + 3 x ceil(N/100) / concurrency x latency)",
        fleet_table(results).console(),
        "",
        f"Baseline: official SDK script (RebootInstances x100 one after another, DescribeInstanceStatus 50 "
        f"a page, {POLL_SECONDS:g} s between rounds)",
        baseline_table(results).console(),
        "",
        "Other figures",
        other_table(results).console(),
        "",
        "Targets",
        targets_table(results).console(),
        "",
        f"total {results.seconds:.0f} s; load average {results.load[0]:.1f} at the start, {results.load[1]:.1f} "
        "at the end",
    ]
    return "\n".join(parts)


def _machine() -> str:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (f"{os.cpu_count()} CPU cores{f' ({model})' if model else ''}, {platform.system()} "
            f"{platform.release()}, Python {platform.python_version()}")


def _fleet_time(s: Settings, f: FleetResult, results: Results) -> str:
    """Where a fleet apply's time went, from its own figures."""
    groups = calls_per_100(f.n)
    sending = f.last_reboot_at
    back = f.last_reboot_at + s.reboot_seconds
    return (
        f"The limit counts three calls per 100 ids (the look, the RebootInstances, one poll), "
        f"{s.concurrency} in flight, {s.latency * 1000:g} ms each, and the reboot. In this run the last of the "
        f"{_n(groups)} RebootInstances arrived {_s(sending)} s into the API span: {_n(2 * groups)} looks and "
        f"reboot calls, besides the early groups' polls, at {2 * groups / sending:.0f}/s, where "
        f"{s.concurrency} calls of {s.latency * 1000:g} ms allow {s.concurrency / s.latency:.0f} calls/s (the "
        f"plugin and the emulator share 2 cores; the load average was {results.load[0]:.1f} at the start of the "
        f"run and {results.load[1]:.1f} at the end). Its instances were back {_s(s.reboot_seconds)} s later, at "
        f"{_s(back)} s, and the poll that saw them was the last call, at {_s(f.span)} s (the schedule does not "
        f"know the reboot's length: the first groups learn it, the later ones poll at the first point of their "
        f"schedule after it). The other {_s(f.wall - f.span)} s of the wall are before the first API call and "
        f"after the last: Check of {_n(f.n)} ids, and the state of {_n(f.n)} results "
        f"({f.state_bytes / 1e6:.1f} MB) built, sent over gRPC and decoded by the harness. The plugin used "
        f"{_s(f.plugin_cpu or 0)} s of CPU for the apply.")


def _gaps(results: Results) -> list[str]:
    """A paragraph per missed target, with the measurements that explain it."""
    s, notes = results.settings, []
    fleet = {f.n: f for f in results.fleet}
    for t in targets(results):
        if t.ok is not False:
            continue
        if t.figure == "speed-up over the baseline":
            f, b = fleet[SPEEDUP_AT], results.baseline[SPEEDUP_AT]
            chunks = calls_per_100(SPEEDUP_AT)
            trips = 1 + -(-(chunks - 1) // s.concurrency)  # the canary call, then the rest 8 at a time
            earliest = s.reboot_seconds + trips * s.latency
            back = f.last_reboot_at + s.latency + s.reboot_seconds  # the reboot acts after the added latency
            notes.append(
                f"**Speed-up at N={_n(SPEEDUP_AT)}: {b.wall / f.wall:.2f}x, not {SPEEDUP:g}x.** The baseline took "
                f"{_s(b.wall)} s: {chunks} RebootInstances one after another, then one round of {2 * chunks} "
                f"DescribeInstanceStatus pages that already found every instance Running (sending the reboots "
                f"took about as long as a reboot, so it never polled twice). {SPEEDUP:g}x would need "
                f"{_s(b.wall / SPEEDUP)} s, and no client with {s.concurrency} calls in flight can get there: the "
                f"last of the {chunks} reboot calls lands after {trips} round trips, so the last instance is "
                f"Running again no earlier than {_s(earliest)} s ({b.wall / earliest:.2f}x); a client exactly at "
                f"the limit of {_s(f.limit)} s would be {b.wall / f.limit:.2f}x. ecsreboot took {_s(f.wall)} s: "
                f"its last reboot call arrived at {_s(f.last_reboot_at)} s, so the last instance was back at about "
                f"{_s(back)} s; the poll that saw it was the last API call, at {_s(f.span)} s (the schedule does "
                f"not know the reboot's length: 1 s, then x1.2, later groups skipping what the first ones "
                f"learnt); the other {_s(f.wall - f.span)} s are the plugin's Check of {_n(f.n)} ids and the "
                f"{_n(f.n)} results sent back over gRPC.")
        elif t.figure.startswith("Check+Diff"):
            cd = results.check_diff
            assert cd is not None
            cpu = "" if cd.plugin_cpu_seconds is None else (
                f" The plugin process spent {cd.plugin_cpu_seconds / cd.resources * 1e6:.0f} us of CPU per "
                f"resource in the pass, of which its own Check and Diff code is "
                f"{cd.handler_seconds / cd.resources * 1e6:.0f} us (called in-process); the rest is the "
                f"Python gRPC server's per-call cost for two calls.")
            prebuilt = cd.resources / cd.prebuilt_seconds
            notes.append(
                f"**Check+Diff: {_n(cd.rate)} resources/s, not {_n(CHECK_DIFF_TARGET)}.** Two empty RPCs per "
                f"resource already top out at {_n(cd.resources / cd.empty_rpc_seconds)} resources/s on this "
                f"machine: the harness playing the engine is Python gRPC too, and shares the 2 cores with the "
                f"plugin.{cpu} No API call is made; with the requests built beforehand (no harness "
                f"marshalling) the same calls ran at {_n(prebuilt)} resources/s, so the harness's own work is "
                f"not what limits the figure. Reaching {_n(CHECK_DIFF_TARGET)}/s "
                f"would take a cheaper gRPC path than the synchronous Python server (a grpc.aio server cut the "
                f"plugin's CPU per Check/Diff call by about a quarter in a trial), and an engine that is not "
                f"Python (Pulumi's is Go); the reboot logic is not where the time goes.")
        elif t.figure == "wall / limit" and (t.benchmark.startswith("fleet") or t.benchmark.startswith("one resource")):
            n = int(t.benchmark.split("=")[1].replace(",", ""))
            f = results.huge if t.benchmark.startswith("one resource") and results.huge else fleet[n]
            notes.append(f"**{t.benchmark}: wall / limit {f.wall / f.limit:.2f}.** " + _fleet_time(s, f, results))
        elif t.benchmark.startswith("ecsreboot reboot") and results.cli is not None:
            c = results.cli
            calls = sum(c.calls.values())
            span = c.wall - c.before_first_call - c.after_last_call
            fewest = calls_per_100(c.n) * 3 / s.concurrency * s.latency
            notes.append(
                f"**{t.benchmark}: {t.figure}: {t.measured}, target {t.target}.** The command took "
                f"{_s(c.before_first_call)} s to its first API call (interpreter, imports, credentials), then "
                f"its {_n(calls)} API calls spanned {_s(span)} s -- the reboot's {_s(s.reboot_seconds)} s and "
                f"{_s(span - s.reboot_seconds)} s of calls and of noticing the end, where the limit allows "
                f"{_s(fewest)} s for the fewest calls, {s.concurrency} at a time (the plugin, the CLI and the "
                f"emulator share 2 cores; the load average was {results.load[0]:.1f} at the start of the run and "
                f"{results.load[1]:.1f} at the end) -- and {_s(c.after_last_call)} s from its last call to its "
                f"exit (the {_n(c.n)} results as JSON); its CPU was {_s(c.cpu)} s, "
                f"{c.cpu / calls * 1000:.1f} ms per API call all included.")
        elif t.benchmark.startswith("one resource") and t.figure == "plugin peak RSS" and results.huge:
            h = results.huge
            notes.append(
                f"**{t.benchmark}: plugin peak RSS {_mb(h.peak_rss_kb)} MB, target {HUGE_RSS_MB:g} MB.** The peak "
                f"comes at the end of the step, while the state of {_n(h.n)} results "
                f"({h.state_bytes / 1e6:.1f} MB on the wire) is built, encoded and sent; during the round an "
                f"instance costs a few hundred bytes until it is back.")
        elif t.benchmark == "real engine" and t.figure.startswith("preview"):
            r = results.real_engine
            cd = results.check_diff
            own = f" The plugin's own Check and Diff cost {cd.handler_seconds / cd.resources * 1e6:.0f} us per " \
                  f"resource in-process." if cd else ""
            assert r is not None
            extra = r.ours_registration - r.dynamic_registration
            cheaper = "less" if r.ours_preview <= r.shaped_preview else "more"
            shape = (
                f" The shape is the difference: {_n(r.resources)} pulumi.dynamic resources shaped like a "
                f"RebootTrigger (its 14 inputs as the SDK sends them and its 6 outputs, the same trivial provider) "
                f"took {r.shaped_preview:.2f} s (ours / shaped: {r.ours_preview / r.shaped_preview:.2f}): what is ours "
                f"above that -- the plugin's Check and Diff -- costs {cheaper} "
                f"than a provider that does nothing under pulumi.dynamic. Meeting the target would "
                f"take fewer properties (a contract change), or a Pulumi SDK that does not grow with them."
            ) if r.shaped_preview else ""
            notes.append(
                f"**Real engine, unchanged preview of {_n(r.resources)}: ours {r.ours_preview:.2f} s, pulumi.dynamic "
                f"{r.dynamic_preview:.2f} s.** Both are whole `pulumi preview` commands: CLI start, the program "
                f"registering every resource, the engine's Check and Diff calls. The program is the critical path "
                f"(one Python thread runs every registration and, per resource, a blocking debug-log call to the "
                f"engine). The program side alone -- the same {_n(r.resources)} resources registered under Pulumi's "
                f"mocks, no engine and no provider -- took {_s(r.ours_registration)} s of CPU for RebootTriggers and "
                f"{_s(r.dynamic_registration)} s for the dynamic resources: {_s(extra)} s more, "
                f"{extra / (r.ours_preview - r.dynamic_preview):.0%} of the gap, spent in Pulumi's Python SDK, whose "
                f"cost per resource grows with the properties a resource declares (every one made an Output, "
                f"tracked, resolved and waited for; a RebootTrigger has 20, the trivial dynamic resource 2); the "
                f"rest is the engine's work per property (check, diff, store, send back to the program).{shape}"
                f"{own}")
        elif t.benchmark == "real engine" and t.figure.startswith("first up"):
            r = results.real_engine
            assert r is not None
            harness = fleet.get(r.fleet)
            seen = f" The same round through the engine harness took {_s(harness.wall)} s;" if harness else ""
            notes.append(
                f"**Real engine, first up of {_n(r.fleet)} instances: {_s(r.fleet_wall)} s against a limit of "
                f"{_s(r.fleet_limit)} s.** The whole `pulumi up` command: its first API call came "
                f"{_s(r.fleet_first_call)} s after the command started (the CLI and the program host start, the "
                f"program registers the resource with its {_n(r.fleet)} ids through the Python SDK, the plugin "
                f"starts and is configured, the engine checks the resource), its last at "
                f"{_s(r.fleet_last_call)} s (the round: {_s(r.fleet_last_call - r.fleet_first_call)} s), and the "
                f"command ended {_s(r.fleet_wall - r.fleet_last_call)} s after that ({_n(r.fleet)} results back "
                f"through gRPC into the checkpoint, and to the program, whose SDK resolves them).{seen} the "
                f"limit counts only the round's calls and the reboot.")
        elif t.benchmark.endswith("resources") and results.many is not None:
            m = results.many
            notes.append(
                f"**{t.benchmark}: {t.figure}: {t.measured}, target {t.target}.** The client's token bucket "
                f"grants at most {m.rate_limit:g} requests a second plus a burst of one (tests/unit/ecs/"
                f"test_limiter.py holds the grants to that on a fake clock), and it sustained "
                f"{m.sustained_rate:.1f}/s here. The emulator counts arrivals instead, with no margin over the "
                f"client's rate: a request is signed and sent after its grant by one of "
                f"{m.resources} rounds' threads sharing 2 cores, so a late request and the next one on time "
                f"can land in the same second. A real service's limit is its own, not this setting; the figure "
                f"shows the client keeping to the rate it was given, within scheduling jitter.")
        elif t.benchmark == "OpenTofu" and results.opentofu is not None:
            notes.append(_opentofu_note(t, results.opentofu, fleet.get(results.opentofu.fleet)))
        else:
            notes.append(f"**{t.benchmark}: {t.figure}: {t.measured}, target {t.target}.**")
    return notes


def _state_size(results: Results) -> list[str]:
    """What the largest resource leaves in the engine's state, and what that means for a backend."""
    h = results.huge
    if h is None:
        return []
    per = h.state_bytes / h.n
    return [
        f"**State size.** One RebootTrigger over {_n(h.n)} instances leaves {h.state_bytes / 1e6:.1f} MB of "
        f"outputs ({per:.0f} bytes per instance): `results` (id, code, message, previous and current status of "
        f"each) {h.results_bytes / 1e6:.1f} MB, the rest mostly the ids twice (the input `instanceIds` and the "
        "output `selectedInstanceIds`). The plugin sends it in one gRPC reply (its limit is raised to 400 MB); a "
        "partial failure's state travels in trailing metadata, which the engine takes up to 16 MiB, so there "
        "`results` shrinks to the failures (and to the first of them that fit: adapter/errors.fit_state), "
        "`failedInstanceIds` always whole. The engine then keeps it in every checkpoint of the stack: the "
        "file backend rewrites the whole checkpoint after each step, and a service backend receives it with "
        "each checkpoint too -- a cost every later `pulumi up` of the stack pays, not only this one. A contract "
        "change is proposed to the lead rather than made here: keep `results` to the instances that did not "
        "succeed (with counts of those that did), or make the per-instance list opt-in.",
        "",
    ]


def _opentofu_note(t: Target, o: OpenTofuResult, harness: FleetResult | None) -> str:
    head = f"**OpenTofu: {t.figure}: {t.measured}, target {t.target}.**"
    if t.figure.startswith("plan"):
        floor = (f" A provider that does nothing (tools/tofu-floor: Go, HashiCorp's terraform-plugin-go, given our "
                 f"schema) took {_s(o.floor_plan)} s for the same configuration, {o.floor_ratio:.2f}x "
                 f"terraform_data: that much any plugin provider with this schema costs this CLI, whatever it does "
                 f"(the process start-ups, four calls per resource through go-plugin's gRPC and mutual TLS, and the "
                 f"CLI's own work with each resource's {o.schema_attributes} attributes and {o.schema_blocks} "
                 f"nested blocks, where a terraform_data has 4 attributes). Ours took "
                 f"{o.ours_plan / o.floor_plan:.2f}x the floor: three Python start-ups ({_s(o.startup)} s each to "
                 f"the handshake here) and Python gRPC's cost per call." if o.floor_plan and o.floor_ratio else
                 " Without Go the do-nothing provider that shows the floor of any plugin was not built.")
        return (f"{head} Both are whole `tofu plan` commands. `terraform_data` is built into the CLI; ours is a "
                f"plugin process, which one plan starts three times (schemas, validation, the plan), and every "
                f"resource costs it four calls (UpgradeResourceState, ReadResource, ValidateResourceConfig, "
                f"PlanResourceChange).{floor} No API call is made.")
    seen = f" The same round through the Pulumi engine harness took {_s(harness.wall)} s." if harness else ""
    return (f"{head} The whole `tofu apply PLAN` command, split by its API calls' arrival: the first came "
            f"{_s(o.fleet_first_call)} s after the command started (the CLI, the provider's two start-ups, the CLI "
            f"reading the plan and the configuration's {_n(o.fleet)} ids), then the CLI's re-plan of the resource "
            f"ran its dry run ({_s(o.fleet_dry_run)} s; the protocol gives the provider no way to tell this plan "
            f"from `tofu plan`'s, and a dry run at apply time is what stops a reboot that would fail), the round "
            f"took {_s(o.fleet_round)} s from its first look to its last poll ({o.fleet_round / o.fleet_limit:.2f}x "
            f"the limit, which counts only the round's calls and the reboot), and the command ended "
            f"{_s(o.fleet_tail)} s after the last call (the {_n(o.fleet)} results back to the CLI, its state "
            f"written, the provider stopped).{seen}")


def markdown(results: Results, command: str) -> str:
    s = results.settings
    date = _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d")
    gaps = _gaps(results)
    lines = [
        "# Benchmarks",
        "",
        f"Produced by `{command}` on {date}; machine: {_machine()}. Total run time {results.seconds:.0f} s; "
        f"load average {results.load[0]:.1f} at the start, {results.load[1]:.1f} at the end (other work on "
        "the machine shows in the gRPC figures most).",
        "`make bench` runs the same benchmarks and prints the table (`--markdown PATH` writes this file); "
        "`--quick` is the CI size (tests/test_bench_smoke.py checks that it runs, not its timings).",
        "",
        f"Everything runs against the emulator on 127.0.0.1 with a fixed {conditions(s)}. The emulator adds "
        "the latency to every API answer (a stand-in for a real round trip), so the figures compare "
        "strategies and call counts, not networks.",
        "",
        "## Fleet reboot",
        "",
        "One `RebootTrigger` over N instances, `waitForRunning`, applied through the real plugin process "
        "over gRPC (Check, then Create) by the engine harness, a fresh plugin per N (the last row: the "
        f"{_n(s.huge_fleet)}-instance resource). *wall* is that apply; *API span* is first to last API call "
        "as the emulator saw them. **limit = reboot duration + 3 x ceil(N/100) / concurrency x latency**: "
        "the fewest calls a round can make are three per 100 ids -- the look (DescribeInstances, the StartTime "
        "evidence recorded before the reboot), the RebootInstances, and one poll (DescribeInstances) that finds "
        "every instance back -- sent `concurrency` at a time. *plugin CPU* is the plugin process's CPU during the "
        "apply; *state* is the size of the outputs the engine stores (what the Create reply carries).",
        "",
        fleet_table(results).markdown(),
        "",
        f"Baseline, measured in the same run: a plain script with the official `alibabacloud-ecs20140526` "
        f"SDK that sends RebootInstances in chunks of 100 one after another, then polls DescribeInstanceStatus "
        f"(50 ids a page, its maximum) over the instances not yet Running, {POLL_SECONDS:g} s between rounds, "
        f"until every instance is Running (tests/bench/baseline.py).",
        "",
        baseline_table(results).markdown(),
        "",
        "How ecsreboot gets there: a wave goes in groups of 100, each looked at (DescribeInstances), rebooted "
        "(one AllTogether call, sent at most once) and polled in turn, with no barrier across the wave: up to "
        f"{s.concurrency} calls of any kind in flight, a looked group's reboot first, then due polls, then the "
        "next look, so early groups are polled while later ones are still being sent. The wave's first call "
        "goes alone (a canary: wrong credentials or endpoint cost one call). Each group is polled on its own "
        "schedule from its reboot call (1 s, growing x1.2, capped at 10 s), due groups packed 100 ids to a "
        "describe; the round learns the reboot's length from its first groups (the latest time a whole group "
        "was still down) and later groups skip the points of their schedule before it, so most groups are "
        "polled once. The growth factor bounds how late the end is noticed: at most 20 % of the time waited.",
        "",
        *_state_size(results),
        "## Other figures",
        "",
        other_table(results).markdown(),
        "",
        "* **Start-up**: process start until the port line, `python provider/ <engine>` as the Python "
        "language host runs a PulumiPlugin.yaml plugin; Pulumi's own Python plugin `python -m pulumi.dynamic` "
        "for comparison.",
        f"* **Check+Diff**: a stack of {_n(s.check_diff_resources)} RebootTriggers created with "
        "`rebootOnCreate: false`, then applied again unchanged through the harness's `Deployment` over gRPC "
        f"({WORKERS} resources at once): every resource gets Check, then Diff with Check's inputs, and must "
        "come out DIFF_NONE; the emulator must see no API call. Best of three passes, as for the three "
        "comparison figures below it.",
        f"* **Many resources**: {s.many_resources} RebootTriggers of {s.instances_per_resource} instances, "
        f"created without rebooting, then all triggers changed and every resource applied at once, with "
        f"provider `maxRequestsPerSecond: {s.max_requests_per_second:g}`. The emulator answers `Throttling` "
        "to any request beyond that rate plus the client's burst of one in the trailing second; the figure "
        "is the most requests that arrived in any 1-second window.",
        f"* **Health check**: one wave of {_n(s.health_wave)} instances (no `maxUnavailable`), reboots of "
        f"{REBOOT['Stopping']:g} s + {REBOOT['Starting']:g} s, run in-process twice: waiting for Running only, "
        "then with `healthCheck` `http://{privateIp}:PORT/healthz`, each instance's private IP its own loopback "
        "address where one single-threaded server answers 200 at once (tests/bench/health_wave.py). The "
        "added time is the probes of the whole wave, bounded by the probe concurrency; the peak of open "
        "sockets is counted by the prober and by the server.",
        "* **Memory**: VmHWM of the plugin process read from /proc right after the largest fleet round.",
        f"* **`ecsreboot reboot`**: the CLI of {_n(s.cli_fleet)} instances in its own process against the same "
        "emulator, ids on the command line, `--output json`; wall from start to exit, CPU the process's user + "
        "system time (tests/bench/cli_fleet.py). Target: wall within 1.15x the limit, CPU at most 1.2 s.",
        f"* **One resource over {_n(s.huge_fleet)} instances**: the fleet benchmark at that size, one wave; "
        "targets: wall within 1.3x the limit, plugin peak RSS at most 250 MB. The state it leaves is the "
        "`results` of every instance: that is what the engine checkpoints after the step (see below).",
        "* **Emulator**: `python -m ecsreboot.emulator` in its own process, no added latency, pre-signed "
        "DescribeInstances (100 ids) sent over keep-alive connections; the fleet round can ask for at most "
        "concurrency / latency requests per second. (A describe of 100 ids now looks them up; it used to "
        "scan the whole fleet, about 20 ms of CPU per call at 10,000 instances.)",
        "",
        "## Targets",
        "",
        targets_table(results).markdown(),
        "",
    ]
    if gaps:
        lines += ["## Targets missed, and why", "", *[g + "\n" for g in gaps]]
    return "\n".join(lines).rstrip() + "\n"


def write_markdown(results: Results, command: str, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(markdown(results, command))
