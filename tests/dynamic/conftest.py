"""Pulumi's own dynamic-provider server (``python -m pulumi.dynamic``, what ``pulumi-resource-pulumi-python``
runs), driven the way the engine drives it, against the emulator.

The engine calls a dynamic provider like any plugin, with the flags it answered in Configure:
``acceptSecrets=False`` (secrets arrive unwrapped) and ``supportsPreview=False`` (in preview only
Check and Diff are called; Create/Update are not). The serialized provider travels as the input
``__provider``, exactly as ``pulumi.dynamic.Resource.__init__`` builds it.
"""

from __future__ import annotations

import secrets as _secrets
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
import pytest
from google.protobuf import empty_pb2
from pulumi.dynamic.dynamic import serialize_provider
from pulumi.runtime.proto import provider_pb2, provider_pb2_grpc

from ecsreboot.core.sentinels import UNKNOWN_STRING
from ecsreboot.dynamic import _PROVIDER, DYNAMIC_TYPE
from ecsreboot.emulator import ThreadedEmulator
from ecsreboot.testing import hermetic_env, secret
from ecsreboot.testing.engine import from_struct as plain
from ecsreboot.testing.engine import to_struct as struct

ACCESS_KEY_ID = "LTAI5tDynamicCanaryKey01"
ACCESS_KEY_SECRET = "DynamicCanarySecret0002"
FAST = {"Stopping": 0.05, "Starting": 0.05}
UNKNOWN = UNKNOWN_STRING
#: the serialized provider, as RebootTrigger's constructor puts it into the inputs
PROVIDER_BLOB = serialize_provider(_PROVIDER)





class DynamicServer:
    """``python -u -m pulumi.dynamic <engine>`` as the ``pulumi-resource-pulumi-python`` script runs it."""

    def __init__(self, env: dict[str, str]) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-u", "-m", "pulumi.dynamic", "127.0.0.1:1"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
        )
        assert self.process.stdout is not None
        first = self.process.stdout.readline().decode().strip()
        assert first.isdigit(), f"dynamic provider printed {first!r} instead of its port"
        self.channel = grpc.insecure_channel(f"127.0.0.1:{first}")
        self.stub = provider_pb2_grpc.ResourceProviderStub(self.channel)
        self.stderr = ""

    def configure(self, config: dict[str, Any]) -> provider_pb2.ConfigureResponse:
        """The engine sends a dynamic provider the whole stack config, keys namespaced (``ecsreboot:region``)."""
        return self.stub.Configure(provider_pb2.ConfigureRequest(
            args=struct(config), acceptSecrets=True, acceptResources=True,
            variables={k: v if isinstance(v, str) else str(v) for k, v in config.items()},
        ), timeout=10)

    def stop(self) -> str:
        """SIGINT (the engine's shutdown), then kill; returns what the provider wrote to stderr."""
        self.channel.close()
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
        try:
            _out, err = self.process.communicate(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            _out, err = self.process.communicate()
        self.stderr = err.decode(errors="replace")
        return self.stderr


class StepFailed(Exception):
    def __init__(self, step: str, error: grpc.RpcError) -> None:
        super().__init__(f"{step}: {error.details()}")
        self.step = step
        self.code = error.code()
        self.details = error.details() or ""


@dataclass
class State:
    id: str
    inputs: dict[str, Any]
    outputs: dict[str, Any]


@dataclass
class Pass:
    step: str = ""
    diff: provider_pb2.DiffResponse | None = None
    outputs: dict[str, Any] = field(default_factory=dict)
    failures: list[tuple[str, str]] = field(default_factory=list)


class DynamicDeployment:
    """One resource's state across passes, with the engine's rules for a provider without preview support."""

    def __init__(self, server: DynamicServer, name: str = "web") -> None:
        self.server = server
        self.name = name
        self.urn = f"urn:pulumi:dev::dyntest::{DYNAMIC_TYPE}::{name}"
        self.state: State | None = None

    def news(self, inputs: dict[str, Any]) -> dict[str, Any]:
        return {**inputs, "__provider": PROVIDER_BLOB}

    def preview(self, inputs: dict[str, Any]) -> Pass:
        return self._pass(inputs, preview=True)

    def up(self, inputs: dict[str, Any]) -> Pass:
        """`pulumi up`: the preview pass first, then the real one."""
        first = self._pass(inputs, preview=True)
        if first.failures:
            return first
        return self._pass(inputs, preview=False)

    def _call(self, step: str, fn: Callable[[], Any]) -> Any:
        try:
            return fn()
        except grpc.RpcError as e:
            raise StepFailed(step, e) from None

    def _pass(self, inputs: dict[str, Any], preview: bool) -> Pass:
        stub, old, result = self.server.stub, self.state, Pass()
        checked = self._call("Check", lambda: stub.Check(provider_pb2.CheckRequest(
            urn=self.urn, name=self.name, type=DYNAMIC_TYPE, olds=struct(old.inputs if old else {}),
            news=struct(self.news(inputs)), randomSeed=_secrets.token_bytes(32),
        ), timeout=30))
        if checked.failures:
            result.failures = [(f.property, f.reason) for f in checked.failures]
            return result
        news = plain(checked.inputs)
        if old is None:
            result.step = "create"
            if preview:  # supportsPreview=False: the engine makes no call and shows the inputs
                return result
            resp = self._call("Create", lambda: stub.Create(provider_pb2.CreateRequest(
                urn=self.urn, name=self.name, type=DYNAMIC_TYPE, properties=struct(news), timeout=0,
            ), timeout=120))
            assert resp.id, "an empty id from Create is an error"
            result.outputs = plain(resp.properties)
            self.state = State(resp.id, news, result.outputs)
            return result
        diff = self._call("Diff", lambda: stub.Diff(provider_pb2.DiffRequest(
            id=old.id, urn=self.urn, name=self.name, type=DYNAMIC_TYPE, olds=struct(old.outputs),
            old_inputs=struct(old.inputs), news=struct(news),
        ), timeout=30))
        result.diff = diff
        assert not diff.replaces, "RebootTrigger must never ask for replacement"
        if diff.changes == provider_pb2.DiffResponse.DIFF_NONE:
            result.step, result.outputs = "same", old.outputs
            return result
        assert diff.changes == provider_pb2.DiffResponse.DIFF_SOME, diff
        result.step = "update"
        if preview:
            return result
        resp = self._call("Update", lambda: stub.Update(provider_pb2.UpdateRequest(
            id=old.id, urn=self.urn, name=self.name, type=DYNAMIC_TYPE, olds=struct(old.outputs),
            old_inputs=struct(old.inputs), news=struct(news), timeout=0,
        ), timeout=120))
        result.outputs = plain(resp.properties)
        self.state = State(old.id, news, result.outputs)
        return result

    def read(self) -> provider_pb2.ReadResponse:
        assert self.state is not None
        return self.server.stub.Read(provider_pb2.ReadRequest(
            id=self.state.id, urn=self.urn, properties=struct(self.state.outputs), inputs=struct(self.state.inputs),
        ), timeout=30)

    def delete(self) -> None:
        assert self.state is not None
        self.server.stub.Delete(provider_pb2.DeleteRequest(
            id=self.state.id, urn=self.urn, properties=struct(self.state.outputs),
            old_inputs=struct(self.state.inputs),
        ), timeout=30)
        self.state = None


def emulator_config(emu: ThreadedEmulator) -> dict[str, Any]:
    return {
        "ecsreboot:region": "cn-hangzhou",
        "ecsreboot:endpoint": emu.url,
        "ecsreboot:accessKey": secret(ACCESS_KEY_ID),
        "ecsreboot:secretKey": secret(ACCESS_KEY_SECRET),
        "dyntest:unrelated": "project config is sent too",
    }


@pytest.fixture(scope="module")
def emulator() -> Iterator[ThreadedEmulator]:
    with ThreadedEmulator(durations=FAST, access_keys={ACCESS_KEY_ID: ACCESS_KEY_SECRET}) as emu:
        yield emu


@pytest.fixture(scope="module")
def server(emulator: ThreadedEmulator, tmp_path_factory: pytest.TempPathFactory) -> Iterator[DynamicServer]:
    """One dynamic provider process per module, configured for the emulator (as one `pulumi up` is)."""
    srv = DynamicServer(hermetic_env(tmp_path_factory.mktemp("home"), PULUMI_PROJECT="dyntest"))
    response = srv.configure(emulator_config(emulator))
    assert not response.supportsPreview and not response.acceptSecrets
    yield srv
    srv.stop()


@pytest.fixture
def start_server(tmp_path: Path) -> Iterator[Callable[..., DynamicServer]]:
    """A fresh dynamic provider process with its own environment, stopped after the test."""
    started: list[DynamicServer] = []

    def start(**env: str) -> DynamicServer:
        srv = DynamicServer(hermetic_env(tmp_path, PULUMI_PROJECT="dyntest", **env))
        started.append(srv)
        return srv

    yield start
    for srv in started:
        srv.stop()


def requests_since(emu: ThreadedEmulator, mark: int) -> list[dict[str, Any]]:
    return emu.requests()[mark:]


def empty() -> empty_pb2.Empty:
    return empty_pb2.Empty()
