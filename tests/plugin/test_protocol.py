"""The plugin's launch and protocol surface, as the engine sees it."""

from __future__ import annotations

import json

import grpc
import pytest
from google.protobuf import empty_pb2
from pulumi.runtime.proto import provider_pb2

from ecsreboot import __version__
from ecsreboot.adapter.server import engine_address_from
from ecsreboot.testing import EngineServer, Plugin
from ecsreboot.testing.engine import to_struct


@pytest.fixture
def bare_plugin(tmp_path):
    engine = EngineServer()
    plugin = Plugin(engine, env={"HOME": str(tmp_path)})
    yield plugin
    plugin.stop()
    engine.stop()


def test_handshake_plugin_info_and_schema(bare_plugin: Plugin) -> None:
    hs = bare_plugin.stub.Handshake(provider_pb2.ProviderHandshakeRequest(engine_address="127.0.0.1:1"), timeout=10)
    assert hs.accept_secrets and hs.accept_resources
    assert bare_plugin.stub.GetPluginInfo(empty_pb2.Empty(), timeout=10).version == __version__
    schema = json.loads(bare_plugin.stub.GetSchema(provider_pb2.GetSchemaRequest(), timeout=10).schema)
    assert schema["name"] == "ecsreboot" and schema["version"] == __version__
    assert "ecsreboot:index:RebootTrigger" in schema["resources"]


def test_configure_declares_secrets_and_preview(bare_plugin: Plugin) -> None:
    resp = bare_plugin.stub.Configure(provider_pb2.ConfigureRequest(
        args=to_struct({"region": "cn-hangzhou"}), acceptSecrets=True, acceptResources=True), timeout=10)
    assert resp.acceptSecrets and resp.supportsPreview


def test_diff_config_never_replaces(bare_plugin: Plugin) -> None:
    resp = bare_plugin.stub.DiffConfig(provider_pb2.DiffRequest(
        olds=to_struct({"region": "cn-hangzhou"}), news=to_struct({"region": "cn-beijing"})), timeout=10)
    assert resp.changes == provider_pb2.DiffResponse.DIFF_SOME and not resp.replaces and "region" in resp.diffs


def test_cancel_is_acknowledged(bare_plugin: Plugin) -> None:
    bare_plugin.stub.Cancel(empty_pb2.Empty(), timeout=5)


def test_unimplemented_calls_are_not_unknown(bare_plugin: Plugin) -> None:
    with pytest.raises(grpc.RpcError) as err:
        bare_plugin.stub.Invoke(provider_pb2.InvokeRequest(tok="ecsreboot:index:nothing"), timeout=10)
    assert err.value.code() == grpc.StatusCode.UNIMPLEMENTED


def test_plugin_exits_on_sigint(bare_plugin: Plugin) -> None:
    bare_plugin.stop()
    assert bare_plugin.process.returncode == 0
    assert bare_plugin.stdout.decode().strip() == ""  # nothing after the port line


@pytest.mark.parametrize(
    ("argv", "address"),
    [
        (["127.0.0.1:5555"], "127.0.0.1:5555"),
        (["--logtostderr", "-v=9", "127.0.0.1:5555"], "127.0.0.1:5555"),
        (["--tracing", "127.0.0.1:9999", "127.0.0.1:5555"], "127.0.0.1:5555"),
        ([], None),
    ],
)
def test_engine_address_is_the_last_positional_argument(argv: list[str], address: str | None) -> None:
    assert engine_address_from(argv) == address
