"""Plugin overhead: start-up until the port line, and Check+Diff throughput of an unchanged stack.

Start-up: ``python provider/ <engine address>`` (as Pulumi's Python language host runs a
PulumiPlugin.yaml plugin) until the port is printed, against ``python -m pulumi.dynamic``, Pulumi's
own Python plugin; the median of a few runs each.

Check+Diff: a stack of RebootTriggers is created first (``rebootOnCreate: false``, so no API call);
then the unchanged stack is applied again through the harness's ``Deployment`` (the engine's rules,
resources on its thread pool): every resource gets Check, then Diff with the checked inputs, and
each must come out DIFF_NONE ("same"). The best of three passes counts. To show where the time
goes, the same calls are also timed with the requests built before the clock starts (no harness
marshalling), as two empty RPCs per resource (GetPluginInfo: gRPC alone), and as direct calls of the
plugin's Check and Diff handlers in this process (the plugin's own work, no gRPC). The emulator must
see no API call.
"""

from __future__ import annotations

import secrets
import statistics
import sys
from concurrent import futures
from dataclasses import dataclass

from google.protobuf import empty_pb2
from pulumi.runtime.proto import provider_pb2

from ecsreboot.adapter.server import Provider
from ecsreboot.assembly.backend import make_backend
from ecsreboot.testing import EngineServer, ResourceDecl
from ecsreboot.testing.engine import PROVIDER_DIR, TYPE, to_struct

from .common import REGION, BenchFailure, Recorder, Settings, cpu_seconds, emulator, plugin_for, timed, until_first_line

#: as the harness's Deployment (and roughly the engine's default parallelism)
WORKERS = 32
#: each gRPC pass is timed this many times and the best kept: other work on 2 cores is noise
REPEATS = 3


@dataclass
class StartupResult:
    ecsreboot: float
    pulumi_dynamic: float
    runs: int

    @property
    def ratio(self) -> float:
        """Ours over Pulumi's own Python plugin, measured side by side in one run."""
        return self.ecsreboot / self.pulumi_dynamic


@dataclass
class CheckDiffResult:
    resources: int
    #: the pass through Deployment.apply
    seconds: float
    #: the same Check+Diff calls, requests built before the clock starts
    prebuilt_seconds: float
    empty_rpc_seconds: float
    handler_seconds: float
    plugin_cpu_seconds: float | None
    api_calls: int

    @property
    def rate(self) -> float:
        return self.resources / self.seconds


def _until_port(command: list[str]) -> float:
    return until_first_line(command, lambda line: line.strip().isdigit(), cwd=PROVIDER_DIR.parent)


def startup(settings: Settings) -> StartupResult:
    engine = EngineServer()
    try:
        ours = [sys.executable, str(PROVIDER_DIR), engine.address]
        theirs = [sys.executable, "-m", "pulumi.dynamic", engine.address]
        _until_port(ours), _until_port(theirs)  # warm the file cache: every run after pays the same
        # side by side, one of each in turn, so a change of load on the machine weighs on both alike
        pairs = [(_until_port(ours), _until_port(theirs)) for _ in range(settings.startup_runs)]
        ecsreboot = statistics.median(p[0] for p in pairs)
        dynamic = statistics.median(p[1] for p in pairs)
    finally:
        engine.stop()
    return StartupResult(ecsreboot, dynamic, settings.startup_runs)


def check_diff(settings: Settings) -> CheckDiffResult:
    n = settings.check_diff_resources
    with emulator(settings, n, latency=0.0) as emu:
        ids = emu.instance_ids()
        decls = [ResourceDecl(f"trigger-{k}", {"instanceIds": [ids[k]], "triggers": {"configHash": f"h{k}"},
                                               "rebootOnCreate": False}) for k in range(n)]
        with plugin_for(emu) as session:
            deployment, stub = session.deployment, session.plugin.stub
            created = deployment.apply(decls)
            if created.errors:
                raise BenchFailure(f"creating {n} triggers: {next(iter(created.errors.values()))}")
            recorder = Recorder(emu)
            prepared = []
            for d in decls:
                state = deployment.state[d.urn]
                prepared.append((
                    provider_pb2.CheckRequest(urn=d.urn, name=d.name, type=TYPE, olds=to_struct(state.inputs),
                                              news=to_struct(d.inputs), randomSeed=secrets.token_bytes(32)),
                    provider_pb2.DiffRequest(id=state.id, urn=d.urn, name=d.name, type=TYPE,
                                             olds=to_struct(state.outputs), old_inputs=to_struct(state.inputs))))

            def check_then_diff(requests: tuple[provider_pb2.CheckRequest, provider_pb2.DiffRequest]) -> None:
                check, diff = requests
                checked = stub.Check(check, timeout=30)
                diff_request = provider_pb2.DiffRequest()
                diff_request.CopyFrom(diff)
                diff_request.news.CopyFrom(checked.inputs)
                same = stub.Diff(diff_request, timeout=30).changes == provider_pb2.DiffResponse.DIFF_NONE
                if checked.failures or not same:
                    raise BenchFailure(f"{check.urn}: an unchanged resource was not DIFF_NONE")

            def empty_pair(_: object) -> None:
                stub.GetPluginInfo(empty_pb2.Empty(), timeout=30)
                stub.GetPluginInfo(empty_pb2.Empty(), timeout=30)

            passes: list[tuple[float, float | None]] = []  # (seconds, plugin CPU seconds) per repeat
            prebuilt: list[float] = []
            empty: list[float] = []
            with futures.ThreadPoolExecutor(WORKERS) as pool:
                list(pool.map(check_then_diff, prepared[: min(n, 100)]))  # warm up the channel and threads
                for _ in range(REPEATS):  # interleaved, so a busy moment on the machine hits all three alike
                    cpu_before = cpu_seconds(session.pid)
                    seconds, again = timed(lambda: deployment.apply(decls))
                    cpu_after = cpu_seconds(session.pid)
                    if again.errors or set(again.steps.values()) != {"same"}:
                        raise BenchFailure("the unchanged stack was not all 'same' through the Deployment")
                    used = None if cpu_before is None or cpu_after is None else cpu_after - cpu_before
                    passes.append((seconds, used))
                    prebuilt.append(timed(lambda: list(pool.map(check_then_diff, prepared)))[0])
                    empty.append(timed(lambda: list(pool.map(empty_pair, range(n))))[0])
            handlers = _handlers_in_process(prepared)
            calls = len(recorder.snapshot())
    if calls:
        raise BenchFailure(f"an unchanged stack made {calls} API call(s)")
    best, plugin_cpu = min(passes, key=lambda run: run[0])
    return CheckDiffResult(n, best, min(prebuilt), min(empty), handlers, plugin_cpu, calls)


class _Context:
    """Enough of grpc.ServicerContext for handlers that succeed."""

    def abort(self, code: object, details: str) -> None:
        raise BenchFailure(f"a handler aborted: {details}")


def _handlers_in_process(prepared: list[tuple[provider_pb2.CheckRequest, provider_pb2.DiffRequest]]) -> float:
    """Seconds for the plugin's Check and Diff handlers on every resource, called directly (one thread)."""
    provider = Provider(make_backend, environ={"ALIBABA_CLOUD_REGION_ID": REGION})
    context = _Context()
    diffs = []
    for check, diff in prepared:  # the inputs Diff gets are Check's answer
        request = provider_pb2.DiffRequest()
        request.CopyFrom(diff)
        request.news.CopyFrom(provider.Check(check, context).inputs)
        diffs.append(request)

    def both() -> None:
        for (check, _), diff in zip(prepared, diffs, strict=True):
            provider.Check(check, context)
            provider.Diff(diff, context)

    return timed(both)[0]
