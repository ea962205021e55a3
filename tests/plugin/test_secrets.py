"""Secret config and secret trigger values never reach logs, plaintext outputs or the emulator's log."""

from __future__ import annotations

import json
from typing import Any

from pulumi.runtime.proto import provider_pb2

from ecsreboot.emulator import ThreadedEmulator
from ecsreboot.testing import Deployment, EngineServer, Plugin, ResourceDecl, hermetic_env, secret
from ecsreboot.testing.engine import SECRET_SIG, SIG, from_struct, to_struct

STS_ID = "STS.LeakCanaryStsKeyId0001"
STS_SECRET = "LeakCanaryStsSecret0002"
STS_TOKEN = "LeakCanaryStsToken0003"
TRIGGER_SECRET = "LeakCanaryTrigger0004"
CANARIES = (STS_ID, STS_SECRET, STS_TOKEN, TRIGGER_SECRET)


def plaintext(value: Any) -> Any:
    """The value with every secret envelope removed: what anyone can read without decrypting."""
    if isinstance(value, dict):
        if value.get(SIG) == SECRET_SIG:
            return "[secret]"
        return {k: plaintext(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plaintext(v) for v in value]
    return value


def test_whole_lifecycle_leaks_no_secret(tmp_path) -> None:
    engine = EngineServer()
    with ThreadedEmulator(access_keys={}, sts=[(STS_ID, STS_SECRET, STS_TOKEN)],
                          durations={"Stopping": 0.05, "Starting": 0.05}) as emu:
        ids = emu.add_instances(3)
        emu.backend.set_status(ids[2], "Stopped")  # a warning in preview and a failure in the round
        plugin = Plugin(engine, env=hermetic_env(tmp_path))
        errors: list[str] = []
        outputs: list[Any] = []
        try:
            plugin.start({"region": "cn-hangzhou", "endpoint": emu.url, "accessKey": STS_ID,
                          "secretKey": STS_SECRET, "securityToken": STS_TOKEN})
            checked = plugin.stub.CheckConfig(provider_pb2.CheckRequest(
                urn="urn:pulumi:test::proj::pulumi:providers:ecsreboot::default", type="pulumi:providers:ecsreboot",
                olds=to_struct({}), news=to_struct({"accessKey": STS_ID, "secretKey": STS_SECRET,
                                                     "securityToken": STS_TOKEN})), timeout=10)
            config_state = from_struct(checked.inputs)
            deployment = Deployment(plugin)
            for trigger in ("one", "two"):
                decl = ResourceDecl("web", {"instanceIds": ids, "batchOptimization": "SuccessFirst",
                                            "triggers": {"token": secret(f"{TRIGGER_SECRET}-{trigger}"),
                                                         "plain": trigger}})
                result = deployment.up([decl])
                errors += [r for e in result.errors.values() for r in e.reasons]
                outputs += list(result.outputs.values())
            deployment.apply([])
        finally:
            plugin.stop()
        emulator_log = json.dumps(emu.requests())
    engine.stop()

    assert errors, "the Stopped instance should have produced a partial failure to scan"
    assert all(config_state[k][SIG] == SECRET_SIG for k in ("accessKey", "secretKey", "securityToken"))
    assert outputs and all(o["triggers"]["token"][SIG] == SECRET_SIG for o in outputs)
    places = {
        "engine log": "\n".join(m.message for m in engine.logs),
        "plugin stdout": plugin.stdout.decode(errors="replace"),
        "plugin stderr": plugin.stderr.decode(errors="replace"),
        "error messages": "\n".join(errors),
        "plaintext outputs": json.dumps(plaintext(outputs)),
        "plaintext provider config": json.dumps(plaintext(config_state)),
        "emulator request log": emulator_log,
    }
    for place, text in places.items():
        for canary in CANARIES:
            assert canary not in text, f"{canary} leaked into the {place}"
    assert engine.logs, "the scan must have had something to read"


def test_a_secret_provider_region_stays_secret_in_resources(tmp_path) -> None:
    engine = EngineServer()
    with ThreadedEmulator(durations={"Stopping": 0.05, "Starting": 0.05}) as emu:
        ids = emu.add_instances(1)
        plugin = Plugin(engine, env=hermetic_env(tmp_path))
        try:
            plugin.start({"region": secret("cn-hangzhou"), "endpoint": emu.url, "accessKey": "emulator-key",
                          "secretKey": "emulator-secret"})
            result = Deployment(plugin).apply([ResourceDecl("web", {"instanceIds": ids})])
        finally:
            plugin.stop()
    engine.stop()
    out = result.outputs[ResourceDecl("web", {}).urn]
    assert result.errors == {}
    assert out["regionId"] == {SIG: SECRET_SIG, "value": "cn-hangzhou"}
    assert emu.reboot_counts() == {ids[0]: 1}
