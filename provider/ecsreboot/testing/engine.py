"""Engine side of the provider protocol, for tests. See the package docstring."""

from __future__ import annotations

import contextlib
import math
import os
import secrets as _secrets
import signal
import subprocess
import sys
import threading
from concurrent import futures
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
from google.protobuf import empty_pb2, json_format, struct_pb2
from pulumi.runtime.proto import engine_pb2, engine_pb2_grpc, provider_pb2, provider_pb2_grpc, status_pb2

from ..core.sentinels import SECRET_SIG, SIG_KEY, UNKNOWN_STRING

# the source tree (provider/ holds PulumiPlugin.yaml and __main__.py): the plugin runs from it
PROVIDER_DIR = Path(__file__).resolve().parents[2]
SIG = SIG_KEY
UNKNOWN = UNKNOWN_STRING
TYPE = "ecsreboot:index:RebootTrigger"
MAX_MESSAGE = 400 * 1024 * 1024
#: grpc-go's default limit on received header lists (ErrorResourceInitFailed travels in trailing metadata);
#: grpc core's own default (16 KiB) would reject the state of a partial failure of a few dozen instances
MAX_METADATA = 16 << 20


def hermetic_env(home: Path, **extra: str) -> dict[str, str]:
    """A plugin's environment for tests: no ambient Alibaba credentials or endpoint, ``home`` as the
    home directory (so no ``~/.aliyun/config.json``), and no ECS metadata service lookups."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ALIBABA_CLOUD_", "ALICLOUD_", "ECSREBOOT_"))}
    env.update(HOME=str(home), ALIBABA_CLOUD_ECS_METADATA_DISABLED="true", **extra)
    return env


def secret(value: Any) -> dict[str, Any]:
    """A secret envelope, as the engine sends secrets to a provider that accepts them."""
    return {SIG: SECRET_SIG, "value": value}


def unknown() -> str:
    return UNKNOWN


def to_struct(values: dict[str, Any]) -> struct_pb2.Struct:
    s = struct_pb2.Struct()
    s.update(values)
    return s


def from_struct(s: struct_pb2.Struct) -> dict[str, Any]:
    """A Struct as plain Python, as ``json_format.MessageToDict`` makes it (NaN and infinities refused with its
    ValueError), in one walk of the Values: MessageToDict goes through descriptors for every value, which for
    the 16 MB state of 100,000 instances made the engine stand-in, not the plugin, a second of the benchmark."""
    return {key: _plain(value) for key, value in s.fields.items()}


def _plain(value: struct_pb2.Value) -> Any:
    kind = value.WhichOneof("kind")
    if kind == "string_value":
        return value.string_value
    if kind == "struct_value":
        return {key: _plain(item) for key, item in value.struct_value.fields.items()}
    if kind == "list_value":
        return [_plain(item) for item in value.list_value.values]
    if kind == "number_value":
        number = value.number_value
        if math.isinf(number) or math.isnan(number):
            return json_format.MessageToDict(value)  # raises the ValueError MessageToDict gives
        return number
    if kind == "bool_value":
        return value.bool_value
    return None


def contains_unknown(value: Any) -> bool:
    """Whether the unknown sentinel is anywhere in ``value`` (a walk with a stack: no recursion per item)."""
    stack = [value]
    while stack:
        item = stack.pop()
        kind = type(item)
        if kind is str:
            if item == UNKNOWN:
                return True
        elif kind is dict:
            stack.extend(item.values())
        elif kind is list:
            stack.extend(item)
    return False


class EngineServer(engine_pb2_grpc.EngineServicer):
    """The Engine service: collects Log requests."""

    def __init__(self) -> None:
        self.logs: list[engine_pb2.LogRequest] = []
        self._lock = threading.Lock()
        self._server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
        engine_pb2_grpc.add_EngineServicer_to_server(self, self._server)
        self.port = self._server.add_insecure_port("127.0.0.1:0")
        self._server.start()

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def Log(self, request: Any, context: Any) -> Any:
        with self._lock:
            self.logs.append(request)
        return empty_pb2.Empty()

    def messages(self, urn: str | None = None, severity: int | None = None) -> list[str]:
        with self._lock:
            return [
                entry.message for entry in self.logs
                if (urn is None or entry.urn == urn) and (severity is None or entry.severity == severity)
            ]

    def stop(self) -> None:
        self._server.stop(grace=0)


class Plugin:
    """The real plugin process, launched as the engine launches a Python plugin."""

    def __init__(self, engine: EngineServer, env: dict[str, str] | None = None, cwd: Path | None = None) -> None:
        # As the Python language host runs a PulumiPlugin.yaml plugin: `python <dir> <engine address>`.
        entry = [str(PROVIDER_DIR)] if (PROVIDER_DIR / "__main__.py").exists() else ["-m", "ecsreboot.adapter"]
        command = [sys.executable, *entry, engine.address]
        full_env = {**os.environ, **(env or {})}
        self.process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=full_env, cwd=str(cwd or PROVIDER_DIR.parent),
        )
        assert self.process.stdout is not None
        first = self.process.stdout.readline().decode().strip()
        if not first.isdigit():
            self.process.kill()
            err = self.process.stderr.read().decode() if self.process.stderr else ""
            raise RuntimeError(f"plugin printed {first!r} instead of its port; stderr: {err}")
        self.port = int(first)
        self.channel = grpc.insecure_channel(
            f"127.0.0.1:{self.port}",
            options=[("grpc.max_receive_message_length", MAX_MESSAGE), ("grpc.max_send_message_length", MAX_MESSAGE),
                     ("grpc.max_metadata_size", MAX_METADATA), ("grpc.absolute_max_metadata_size", MAX_METADATA)],
        )
        self.stub = provider_pb2_grpc.ResourceProviderStub(self.channel)
        self.engine = engine
        self.stdout = b""
        self.stderr = b""

    def start(self, config: dict[str, Any]) -> None:
        """Handshake, GetPluginInfo, CheckConfig and Configure, as the engine does for a default provider."""
        self.stub.Handshake(provider_pb2.ProviderHandshakeRequest(
            engine_address=self.engine.address, root_directory=str(PROVIDER_DIR),
            program_directory=str(PROVIDER_DIR), configure_with_urn=True, supports_views=True,
            invoke_with_preview=True, accepts_byte_string=True,
        ), timeout=10)
        self.stub.GetPluginInfo(empty_pb2.Empty(), timeout=10)
        urn = "urn:pulumi:test::proj::pulumi:providers:ecsreboot::default"
        checked = self.stub.CheckConfig(provider_pb2.CheckRequest(
            urn=urn, name="default", type="pulumi:providers:ecsreboot", olds=to_struct({}),
            news=to_struct(config),
        ), timeout=10)
        if checked.failures:
            raise StepError("CheckConfig", [f"{f.property}: {f.reason}" for f in checked.failures])
        self.stub.Configure(provider_pb2.ConfigureRequest(
            args=checked.inputs, acceptSecrets=True, acceptResources=True, sends_old_inputs=True,
            sends_old_inputs_to_delete=True, id="a5a6c9c8-5e0a-4e6a-9a4c-0b7d0d9d6c1e", urn=urn, name="default",
            type="pulumi:providers:ecsreboot",
            variables={f"ecsreboot:config:{k}": v if isinstance(v, str) else str(v) for k, v in config.items()},
        ), timeout=10)

    def stop(self) -> None:
        """Cancel (5 s), then SIGINT, then SIGKILL after 5 s; keeps stdout/stderr for leak checks."""
        if self.process.returncode is not None:
            return
        with contextlib.suppress(grpc.RpcError):
            self.stub.Cancel(empty_pb2.Empty(), timeout=5)
        self.channel.close()
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
        try:
            out, err = self.process.communicate(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            out, err = self.process.communicate()
        self.stdout, self.stderr = out, err


class StepError(Exception):
    def __init__(self, step: str, reasons: list[str], code: grpc.StatusCode | None = None) -> None:
        super().__init__(f"{step}: {'; '.join(reasons)}")
        self.step = step
        self.reasons = reasons
        self.code = code


@dataclass
class ResourceDecl:
    name: str
    inputs: dict[str, Any]
    timeout: float = 0.0

    @property
    def urn(self) -> str:
        return f"urn:pulumi:test::proj::{TYPE}::{self.name}"


@dataclass
class StateEntry:
    id: str
    inputs: dict[str, Any]
    outputs: dict[str, Any]
    init_errors: list[str] = field(default_factory=list)


@dataclass
class PassResult:
    """What one pass did: per resource the step ("create", "update", "same", "delete") and errors."""

    steps: dict[str, str] = field(default_factory=dict)
    errors: dict[str, StepError] = field(default_factory=dict)
    diffs: dict[str, provider_pb2.DiffResponse] = field(default_factory=dict)
    outputs: dict[str, dict[str, Any]] = field(default_factory=dict)


def init_failed_detail(error: grpc.RpcError) -> provider_pb2.ErrorResourceInitFailed | None:
    for key, value in error.trailing_metadata() or ():
        if key == "grpc-status-details-bin":
            status = status_pb2.Status()
            status.ParseFromString(value)
            for detail in status.details:
                out = provider_pb2.ErrorResourceInitFailed()
                if detail.Unpack(out):
                    return out
    return None


class Deployment:
    """Preview and update passes over a plugin, with the engine's state rules."""

    def __init__(self, plugin: Plugin, parallel: int = 32) -> None:
        """``parallel``: resource steps at once, like ``pulumi up --parallel``."""
        self.plugin = plugin
        self.parallel = parallel
        self.state: dict[str, StateEntry] = {}

    def preview(self, resources: list[ResourceDecl]) -> PassResult:
        return self._pass(resources, preview=True)

    def up(self, resources: list[ResourceDecl]) -> PassResult:
        """`pulumi up`: the preview pass first (it must succeed), then the real one."""
        result = self._pass(resources, preview=True)
        if result.errors:
            return result
        return self._pass(resources, preview=False)

    def apply(self, resources: list[ResourceDecl]) -> PassResult:
        """Only the real pass (`pulumi up --skip-preview`)."""
        return self._pass(resources, preview=False)

    def _pass(self, resources: list[ResourceDecl], preview: bool) -> PassResult:
        result = PassResult()
        with futures.ThreadPoolExecutor(max_workers=max(1, min(self.parallel, len(resources)))) as pool:
            list(pool.map(lambda r: self._step(r, preview, result), resources))
        if not preview:
            wanted = {r.urn for r in resources}
            for urn in [u for u in self.state if u not in wanted]:
                entry = self.state.pop(urn)
                self.plugin.stub.Delete(provider_pb2.DeleteRequest(
                    id=entry.id, urn=urn, properties=to_struct(entry.outputs), old_inputs=to_struct(entry.inputs),
                ), timeout=30)
                result.steps[urn] = "delete"
        return result

    def _step(self, decl: ResourceDecl, preview: bool, result: PassResult) -> None:
        urn, stub = decl.urn, self.plugin.stub
        old = self.state.get(urn)
        if not preview:
            assert not contains_unknown(decl.inputs), "unknowns only exist in preview"
        try:
            checked = stub.Check(provider_pb2.CheckRequest(
                urn=urn, name=decl.name, type=TYPE, olds=to_struct(old.inputs if old else {}),
                news=to_struct(decl.inputs), randomSeed=_secrets.token_bytes(32),
            ), timeout=30)
        except grpc.RpcError as e:
            result.errors[urn] = StepError("Check", [e.details()], e.code())
            return
        if checked.failures:
            result.errors[urn] = StepError("Check", [f"{f.property}: {f.reason}" for f in checked.failures])
            return
        news = from_struct(checked.inputs)
        if old is None:
            self._create(decl, news, preview, result)
            return
        diff = stub.Diff(provider_pb2.DiffRequest(
            id=old.id, urn=urn, name=decl.name, type=TYPE, olds=to_struct(old.outputs),
            old_inputs=to_struct(old.inputs), news=to_struct(news),
        ), timeout=30)
        result.diffs[urn] = diff
        assert not diff.replaces, "RebootTrigger must never ask for replacement"
        if diff.changes == provider_pb2.DiffResponse.DIFF_NONE and not old.init_errors:
            result.steps[urn] = "same"
            result.outputs[urn] = old.outputs
            return
        assert diff.changes in (provider_pb2.DiffResponse.DIFF_SOME, provider_pb2.DiffResponse.DIFF_NONE)
        self._update(decl, old, news, preview, result)

    def _create(self, decl: ResourceDecl, news: dict[str, Any], preview: bool, result: PassResult) -> None:
        urn = decl.urn
        result.steps[urn] = "create"
        try:
            resp = self.plugin.stub.Create(provider_pb2.CreateRequest(
                urn=urn, name=decl.name, type=TYPE, properties=to_struct(news), timeout=decl.timeout,
                preview=preview,
            ), timeout=600)
        except grpc.RpcError as e:
            detail = init_failed_detail(e)
            result.errors[urn] = StepError("Create", list(detail.reasons) if detail else [e.details()], e.code())
            if detail is not None and not preview:
                outputs = from_struct(detail.properties)
                self.state[urn] = StateEntry(detail.id, news, outputs, list(detail.reasons))
                result.outputs[urn] = outputs
            return
        outputs = from_struct(resp.properties)
        if not preview:
            assert resp.id, "an empty id from Create is an error"
            assert not contains_unknown(outputs), "unknown outputs outside preview"
            self.state[urn] = StateEntry(resp.id, news, outputs)
        result.outputs[urn] = outputs

    def _update(
        self, decl: ResourceDecl, old: StateEntry, news: dict[str, Any], preview: bool, result: PassResult
    ) -> None:
        urn = decl.urn
        result.steps[urn] = "update"
        try:
            resp = self.plugin.stub.Update(provider_pb2.UpdateRequest(
                id=old.id, urn=urn, name=decl.name, type=TYPE, olds=to_struct(old.outputs),
                old_inputs=to_struct(old.inputs), news=to_struct(news), timeout=decl.timeout, preview=preview,
            ), timeout=600)
        except grpc.RpcError as e:
            detail = init_failed_detail(e)
            result.errors[urn] = StepError("Update", list(detail.reasons) if detail else [e.details()], e.code())
            if detail is not None and not preview:
                # The engine keeps the new outputs with the OLD inputs.
                outputs = from_struct(detail.properties)
                self.state[urn] = StateEntry(old.id, old.inputs, outputs, list(detail.reasons))
                result.outputs[urn] = outputs
            return
        outputs = from_struct(resp.properties)
        if not preview:
            assert not contains_unknown(outputs), "unknown outputs outside preview"
            self.state[urn] = StateEntry(old.id, news, outputs)
        result.outputs[urn] = outputs
