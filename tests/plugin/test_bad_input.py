"""Malformed resource inputs and provider config: each answered by a named Check failure, no API call."""

from __future__ import annotations

import grpc
import pytest
from pulumi.runtime.proto import provider_pb2

from ecsreboot.emulator import ThreadedEmulator
from ecsreboot.testing import Deployment, EngineServer, Plugin, ResourceDecl, secret
from ecsreboot.testing.engine import to_struct

GOOD = ["i-aaaa0001", "i-aaaa0002"]

BAD_INPUTS = [
    ({"regionId": "cn-hangzhou"}, "instanceIds"),
    ({"instanceIds": []}, "instanceIds"),
    ({"instanceIds": "i-aaaa0001"}, "instanceIds"),
    ({"instanceIds": ["i-aaaa0001", "i-aaaa0001"]}, "instanceIds"),
    ({"instanceIds": ["not-an-instance"]}, "instanceIds"),
    ({"instanceIds": [""]}, "instanceIds"),
    ({"instanceIds": [42]}, "instanceIds"),
    ({"instanceIds": [None]}, "instanceIds"),
    ({"instanceIds": [["i-aaaa0001"]]}, "instanceIds"),
    ({"instanceIds": {"a": "i-aaaa0001"}}, "instanceIds"),
    ({"instanceIds": GOOD, "regionId": "Hangzhou"}, "regionId"),
    ({"instanceIds": GOOD, "regionId": 7}, "regionId"),
    ({"instanceIds": GOOD, "regionId": ""}, "regionId"),
    ({"instanceIds": GOOD, "triggers": "configHash=1"}, "triggers"),
    ({"instanceIds": GOOD, "triggers": [1, 2]}, "triggers"),
    ({"instanceIds": GOOD, "forceReboot": "true"}, "forceReboot"),
    ({"instanceIds": GOOD, "forceReboot": 1}, "forceReboot"),
    ({"instanceIds": GOOD, "dryRun": "no"}, "dryRun"),
    ({"instanceIds": GOOD, "rebootOnCreate": None, "waitForRunning": "yes"}, "waitForRunning"),
    ({"instanceIds": GOOD, "batchOptimization": "Fast"}, "batchOptimization"),
    ({"instanceIds": GOOD, "batchOptimization": "successfirst"}, "batchOptimization"),
    ({"instanceIds": GOOD, "rebootApi": "StopInstances"}, "rebootApi"),
    ({"instanceIds": GOOD, "maxUnavailable": 0}, "maxUnavailable"),
    ({"instanceIds": GOOD, "maxUnavailable": -3}, "maxUnavailable"),
    ({"instanceIds": GOOD, "maxUnavailable": 1.5}, "maxUnavailable"),
    ({"instanceIds": GOOD, "maxUnavailable": "2"}, "maxUnavailable"),
    ({"instanceIds": GOOD, "maxUnavailabe": 2}, "maxUnavailabe"),
    ({"instanceIds": secret(["i-aaaa0001", "i-aaaa0001"])}, "instanceIds"),
    ({"instanceIds": [f"i-{n:016d}" for n in range(100_001)]}, "instanceIds"),
]


@pytest.fixture(scope="module")
def checker():
    """One plugin for the whole table: Check needs no emulator, and must make no API call."""
    engine = EngineServer()
    with ThreadedEmulator() as emu:
        plugin = Plugin(engine, env={"HOME": "/nonexistent", "ALIBABA_CLOUD_ECS_METADATA_DISABLED": "true"})
        plugin.start({"region": "cn-hangzhou", "endpoint": emu.url, "accessKey": "emulator-key",
                      "secretKey": "emulator-secret"})
        yield plugin, emu
        plugin.stop()
    engine.stop()


@pytest.mark.parametrize(("inputs", "prop"), BAD_INPUTS, ids=[f"{p}-{n}" for n, (_, p) in enumerate(BAD_INPUTS)])
def test_bad_input_gets_a_named_check_failure(checker, inputs: dict, prop: str) -> None:
    plugin, emu = checker
    result = Deployment(plugin).preview([ResourceDecl("bad", inputs)])
    err = result.errors[ResourceDecl("bad", {}).urn]
    assert err.step == "Check" and err.code is None, err
    assert any(r.startswith(f"{prop}: ") for r in err.reasons), err.reasons
    assert not any("Traceback" in r for r in err.reasons)
    assert emu.requests() == []


def test_secret_value_is_never_quoted_in_a_failure(checker) -> None:
    plugin, _ = checker
    result = Deployment(plugin).preview([ResourceDecl("bad", {"instanceIds": secret(["SecretishBadId"])})])
    reasons = " ".join(result.errors[ResourceDecl("bad", {}).urn].reasons)
    assert "instanceIds" in reasons and "SecretishBadId" not in reasons


def test_wrong_resource_type_is_invalid_argument(checker) -> None:
    plugin, _ = checker
    with pytest.raises(grpc.RpcError) as err:
        plugin.stub.Check(provider_pb2.CheckRequest(
            urn="urn:pulumi:test::proj::ecsreboot:index:Nope::x", type="ecsreboot:index:Nope",
            olds=to_struct({}), news=to_struct({"instanceIds": GOOD})), timeout=10)
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "RebootTrigger" in err.value.details()


BAD_CONFIG = [
    ({"region": "Hangzhou!"}, "region"),
    ({"endpoint": "http://exa mple.com"}, "endpoint"),
    ({"endpoint": "ftp://example.com"}, "endpoint"),
    ({"endpoint": "http://"}, "endpoint"),
    ({"endpoint": "http://127.0.0.1:8787/path?x=1"}, "endpoint"),
    ({"endpoint": "http://127.0.0.1:99999"}, "endpoint"),
    ({"signatureVersion": "v2"}, "signatureVersion"),
    ({"maxRetries": "-1"}, "maxRetries"),
    ({"maxRetries": "many"}, "maxRetries"),
    ({"maxRetries": "2.5"}, "maxRetries"),
    ({"requestTimeout": "0"}, "requestTimeout"),
    ({"requestTimeout": "soon"}, "requestTimeout"),
    ({"maxRequestsPerSecond": "-5"}, "maxRequestsPerSecond"),
    ({"accessKey": "LTAIonlytheid"}, "secretKey"),
    ({"secretKey": "onlythesecret"}, "accessKey"),
    ({"regoin": "cn-hangzhou"}, "regoin"),
]


@pytest.mark.parametrize(("config", "prop"), BAD_CONFIG, ids=[f"{p}-{n}" for n, (_, p) in enumerate(BAD_CONFIG)])
def test_bad_config_gets_a_named_check_failure(config: dict, prop: str, tmp_path) -> None:
    engine = EngineServer()
    plugin = Plugin(engine, env={"HOME": str(tmp_path)})
    try:
        checked = plugin.stub.CheckConfig(provider_pb2.CheckRequest(
            urn="urn:pulumi:test::proj::pulumi:providers:ecsreboot::default", type="pulumi:providers:ecsreboot",
            olds=to_struct({}), news=to_struct(config)), timeout=10)
    finally:
        plugin.stop()
        engine.stop()
    named = [f for f in checked.failures if f.property == prop]
    assert named, checked.failures
    for secret_value in ("LTAIonlytheid", "onlythesecret"):
        assert secret_value not in named[0].reason
