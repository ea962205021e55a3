"""RebootTrigger driven through the real plugin process the way the engine drives it, against the emulator."""

from __future__ import annotations

import threading
import time

import grpc
from google.protobuf import empty_pb2
from pulumi.runtime.proto import provider_pb2

from ecsreboot.core.sentinels import SECRET_SIG, SIG_KEY
from ecsreboot.emulator import ThreadedEmulator
from ecsreboot.testing import Deployment, EngineServer, Plugin, ResourceDecl, secret, unknown
from ecsreboot.testing.engine import to_struct


def actions(emulator: ThreadedEmulator) -> list[str]:
    return [r["action"] for r in emulator.requests()]


def reboot_calls(emulator: ThreadedEmulator, action: str = "RebootInstances") -> list[dict]:
    return [r for r in emulator.requests() if r["action"] == action]


def is_dry(request: dict) -> bool:
    return str(request["params"].get("DryRun", "false")).lower() == "true"


def web(ids: list[str], **inputs) -> ResourceDecl:
    return ResourceDecl("web", {"instanceIds": ids, **inputs})


def test_create_reboots_every_instance_once(emulator: ThreadedEmulator, deployment: Deployment) -> None:
    ids = emulator.add_instances(3)
    result = deployment.up([web(ids, triggers={"configHash": "a"})])
    assert result.errors == {}
    assert emulator.reboot_counts() == {i: 1 for i in ids}
    out = result.outputs[web(ids).urn]
    assert out["rebootCount"] == 1 and out["failedInstanceIds"] == []
    assert {r["instanceId"]: r["code"] for r in out["results"]} == {i: "200" for i in ids}
    assert out["requestIds"] and out["lastRebootTime"].endswith("Z")


def test_preview_reboots_nothing_and_sends_a_dry_run(emulator: ThreadedEmulator, deployment: Deployment) -> None:
    ids = emulator.add_instances(3)
    result = deployment.preview([web(ids)])
    assert result.errors == {} and result.steps[web(ids).urn] == "create"
    assert emulator.reboot_counts() == {i: 0 for i in ids}
    calls = reboot_calls(emulator)
    assert calls and all(is_dry(c) for c in calls)
    assert all(c["params"].get("BatchOptimization", "AllTogether") == "AllTogether" for c in calls)


def test_rerun_without_change_makes_no_api_call(emulator: ThreadedEmulator, deployment: Deployment) -> None:
    ids = emulator.add_instances(2)
    deployment.up([web(ids, triggers={"v": 1})])
    before = len(emulator.requests())
    result = deployment.up([web(ids, triggers={"v": 1})])
    assert result.steps[web(ids).urn] == "same" and result.errors == {}
    assert len(emulator.requests()) == before


def test_changed_trigger_reboots_all_again_and_diff_names_the_key(
    emulator: ThreadedEmulator, deployment: Deployment
) -> None:
    ids = emulator.add_instances(2)
    deployment.up([web(ids, triggers={"configHash": "a", "other": "x"})])
    result = deployment.up([web(ids, triggers={"configHash": "b", "other": "x"})])
    diff = result.diffs[web(ids).urn]
    assert list(diff.detailedDiff) == ["triggers.configHash"] and not diff.replaces
    assert emulator.reboot_counts() == {i: 2 for i in ids}
    assert result.outputs[web(ids).urn]["rebootCount"] == 2


def test_changing_only_force_reboot_reboots_nothing(emulator: ThreadedEmulator, deployment: Deployment) -> None:
    ids = emulator.add_instances(2)
    deployment.up([web(ids, triggers={"v": 1})])
    before = len(emulator.requests())
    result = deployment.up([web(ids, triggers={"v": 1}, forceReboot=True)])
    assert result.steps[web(ids).urn] == "update" and result.errors == {}
    assert emulator.reboot_counts() == {i: 1 for i in ids}
    assert len(emulator.requests()) == before
    assert result.outputs[web(ids).urn]["forceReboot"] is True


def test_250_instances_take_three_reboot_calls(emulator: ThreadedEmulator, deployment: Deployment) -> None:
    ids = emulator.add_instances(250)
    result = deployment.apply([web(ids)])
    assert result.errors == {}
    calls = [c for c in reboot_calls(emulator) if not is_dry(c)]
    assert len(calls) == 3
    assert emulator.reboot_counts() == {i: 1 for i in ids}


def test_reboot_instance_api_never_calls_the_batch_api(emulator: ThreadedEmulator, deployment: Deployment) -> None:
    ids = emulator.add_instances(4)
    result = deployment.up([web(ids, rebootApi="RebootInstance", forceReboot=True)])
    assert result.errors == {}
    assert "RebootInstances" not in actions(emulator)
    singles = reboot_calls(emulator, "RebootInstance")
    assert len([c for c in singles if is_dry(c)]) == 4 and len([c for c in singles if not is_dry(c)]) == 4
    assert all(str(c["params"].get("ForceStop")).lower() == "true" for c in singles)
    assert emulator.reboot_counts() == {i: 1 for i in ids}


def test_success_first_partial_failure_then_retry_of_only_the_failed(
    emulator: ThreadedEmulator, deployment: Deployment
) -> None:
    ids = emulator.add_instances(4)
    emulator.backend.set_status(ids[1], "Stopped")
    decl = web(ids, batchOptimization="SuccessFirst", triggers={"v": 1})
    first = deployment.up([decl])
    assert first.errors[decl.urn].step == "Create" and "pulumi up" in first.errors[decl.urn].reasons[0]
    state = deployment.state[decl.urn]
    assert state.outputs["failedInstanceIds"] == [ids[1]] and state.init_errors
    assert emulator.reboot_counts() == {ids[0]: 1, ids[1]: 0, ids[2]: 1, ids[3]: 1}

    emulator.backend.set_status(ids[1], "Running")
    second = deployment.up([decl])
    assert second.errors == {} and second.steps[decl.urn] == "update"
    assert emulator.reboot_counts() == {i: 1 for i in ids}
    assert deployment.state[decl.urn].outputs["failedInstanceIds"] == []
    assert deployment.state[decl.urn].init_errors == []


def test_rolling_waves_never_exceed_max_unavailable(engine: EngineServer, plugin_env: dict) -> None:
    peak = {"value": 0}
    holder: dict = {}

    def observe(_request: dict) -> None:
        emu = holder.get("emu")
        if emu is not None:
            down = sum(1 for v in emu.backend.instances() if v.status != "Running")
            peak["value"] = max(peak["value"], down)

    from .conftest import ACCESS_KEY_ID, ACCESS_KEY_SECRET

    with ThreadedEmulator(durations={"Stopping": 0.2, "Starting": 0.2}, on_request=observe,
                          access_keys={ACCESS_KEY_ID: ACCESS_KEY_SECRET}) as emu:
        holder["emu"] = emu
        ids = emu.add_instances(6)
        plugin = Plugin(engine, env=plugin_env)
        try:
            plugin.start({"region": "cn-hangzhou", "endpoint": emu.url, "accessKey": ACCESS_KEY_ID,
                          "secretKey": ACCESS_KEY_SECRET})
            result = Deployment(plugin).apply([web(ids, maxUnavailable=2)])
        finally:
            plugin.stop()
        assert result.errors == {}
        calls = [c for c in emu.requests() if c["action"] == "RebootInstances"]
        assert len(calls) == 3
        assert 1 <= peak["value"] <= 2
        assert emu.reboot_counts() == {i: 1 for i in ids}
    assert any("wave 3/3" in m for m in engine.messages(web(ids).urn))


def test_wait_timeout_records_failed_instances(emulator: ThreadedEmulator, deployment: Deployment) -> None:
    ids = emulator.add_instances(2)
    emulator.backend.set_durations({"Stopping": 0.1, "Starting": 30.0})
    decl = ResourceDecl("web", {"instanceIds": ids}, timeout=1.5)
    started = time.monotonic()
    result = deployment.apply([decl])
    assert time.monotonic() - started < 10
    assert "timed out" in result.errors[decl.urn].reasons[0]
    assert sorted(deployment.state[decl.urn].outputs["failedInstanceIds"]) == sorted(ids)


def test_cancel_mid_wait_returns_within_a_second(
    emulator: ThreadedEmulator, deployment: Deployment, plugin: Plugin, engine: EngineServer
) -> None:
    ids = emulator.add_instances(2)
    emulator.backend.set_durations({"Stopping": 0.1, "Starting": 60.0})
    decl = web(ids)
    outcome: dict = {}

    def run() -> None:
        outcome["result"] = deployment.apply([decl])
        outcome["at"] = time.monotonic()

    worker = threading.Thread(target=run)
    worker.start()
    deadline = time.monotonic() + 20
    while not any("waiting" in m for m in engine.messages(decl.urn)) and time.monotonic() < deadline:
        time.sleep(0.05)
    cancelled_at = time.monotonic()
    plugin.stub.Cancel(empty_pb2.Empty(), timeout=5)
    worker.join(timeout=10)
    assert not worker.is_alive()
    assert outcome["at"] - cancelled_at < 1.5
    assert decl.urn in outcome["result"].errors
    assert sorted(deployment.state[decl.urn].outputs["failedInstanceIds"]) == sorted(ids)


def test_preview_fails_on_unknown_instance_with_code_and_request_id(
    emulator: ThreadedEmulator, deployment: Deployment
) -> None:
    ids = emulator.add_instances(1)
    decl = web([*ids, "i-doesnotexist000000000"])
    result = deployment.preview([decl])
    err = result.errors[decl.urn]
    assert err.code == grpc.StatusCode.FAILED_PRECONDITION
    assert "i-doesnotexist000000000" in err.reasons[0] and "NotFound" in err.reasons[0]
    assert "RequestId" in err.reasons[0]
    assert emulator.reboot_counts() == {ids[0]: 0}


def test_preview_warns_about_an_instance_not_running(
    emulator: ThreadedEmulator, deployment: Deployment, engine: EngineServer
) -> None:
    ids = emulator.add_instances(2)
    emulator.backend.set_status(ids[0], "Stopped")
    result = deployment.preview([web(ids)])
    assert result.errors == {}
    warnings = engine.messages(web(ids).urn, severity=2)
    assert any(ids[0] in w and "IncorrectInstanceStatus" in w for w in warnings)


def test_unknown_trigger_in_preview_counts_as_a_change(emulator: ThreadedEmulator, deployment: Deployment) -> None:
    ids = emulator.add_instances(1)
    deployment.up([web(ids, triggers={"v": "1"})])
    result = deployment.preview([web(ids, triggers={"v": unknown()})])
    assert result.steps[web(ids).urn] == "update"
    assert "triggers.v" in result.diffs[web(ids).urn].detailedDiff


def test_many_resources_at_once(emulator: ThreadedEmulator, deployment: Deployment) -> None:
    ids = emulator.add_instances(40)
    decls = [ResourceDecl(f"r{n}", {"instanceIds": ids[n * 2:(n + 1) * 2]}) for n in range(20)]
    result = deployment.apply(decls)
    assert result.errors == {}
    assert emulator.reboot_counts() == {i: 1 for i in ids}


def test_delete_calls_no_api(emulator: ThreadedEmulator, deployment: Deployment) -> None:
    ids = emulator.add_instances(1)
    deployment.apply([web(ids)])
    before = len(emulator.requests())
    result = deployment.apply([])
    assert result.steps == {web(ids).urn: "delete"} and len(emulator.requests()) == before


def test_read_returns_state_and_import_returns_inputs(plugin: Plugin) -> None:
    urn = web([]).urn
    imported = plugin.stub.Read(provider_pb2.ReadRequest(id="cn-beijing/i-aaaa,i-bbbb", urn=urn), timeout=10)
    from ecsreboot.testing.engine import from_struct

    inputs = from_struct(imported.inputs)
    assert inputs["instanceIds"] == ["i-aaaa", "i-bbbb"] and inputs["regionId"] == "cn-beijing"
    # the inputs are what Check makes of them (defaults filled): the generated program is no change
    checked = plugin.stub.Check(provider_pb2.CheckRequest(urn=urn, news=imported.inputs), timeout=10)
    assert from_struct(checked.inputs) == inputs
    assert from_struct(imported.properties)["rebootCount"] == 0


def test_wrong_credentials_fail_with_the_api_code(engine: EngineServer, emulator: ThreadedEmulator,
                                                  plugin_env: dict) -> None:
    ids = emulator.add_instances(1)
    plugin = Plugin(engine, env=plugin_env)
    try:
        plugin.start({"region": "cn-hangzhou", "endpoint": emulator.url, "accessKey": "LTAIwrongwrongwrong",
                      "secretKey": "wrong-secret-value"})
        result = Deployment(plugin).apply([web(ids)])
    finally:
        plugin.stop()
    err = result.errors[web(ids).urn]
    assert err.code == grpc.StatusCode.ABORTED  # partial failure: the state records failedInstanceIds
    text = " ".join(err.reasons)
    assert "InvalidAccessKeyId.NotFound" in text and "RequestId" in text
    assert "wrong-secret-value" not in text and "LTAIwrongwrongwrong" not in text
    assert emulator.reboot_counts() == {ids[0]: 0}


def test_secret_trigger_stays_secret_in_outputs(emulator: ThreadedEmulator, deployment: Deployment) -> None:
    ids = emulator.add_instances(1)
    result = deployment.apply([web(ids, triggers={"token": secret("TriggerSecretCanary99")})])
    out = result.outputs[web(ids).urn]
    assert out["triggers"]["token"]["value"] == "TriggerSecretCanary99"
    assert out["triggers"]["token"][SIG_KEY] == SECRET_SIG



def test_check_is_answered_while_many_rounds_are_waiting(
    emulator: ThreadedEmulator, plugin: Plugin, engine: EngineServer
) -> None:
    """70 resources waiting for Running hold 70 server threads; another resource's Check still answers."""
    deployment = Deployment(plugin, parallel=80)
    ids = emulator.add_instances(70)
    emulator.backend.set_durations({"Stopping": 0.1, "Starting": 60.0})
    decls = [ResourceDecl(f"slow{n}", {"instanceIds": [i]}) for n, i in enumerate(ids)]
    worker = threading.Thread(target=lambda: deployment.apply(decls))
    worker.start()
    deadline = time.monotonic() + 30
    while sum(1 for d in decls if any("waiting" in m for m in engine.messages(d.urn))) < 70:
        assert time.monotonic() < deadline, "the rounds did not all start waiting"
        time.sleep(0.05)
    started = time.monotonic()
    checked = plugin.stub.Check(provider_pb2.CheckRequest(
        urn=web([]).urn, type="ecsreboot:index:RebootTrigger", olds=to_struct({}),
        news=to_struct({"instanceIds": ["i-aaaa0001"], "regionId": "cn-hangzhou"})), timeout=10)
    assert time.monotonic() - started < 2 and not checked.failures
    plugin.stub.Cancel(empty_pb2.Empty(), timeout=5)
    worker.join(timeout=20)
    assert not worker.is_alive()


def test_preview_with_a_broken_profile_warns_with_the_reason(
    engine: EngineServer, emulator: ThreadedEmulator, plugin_env: dict
) -> None:
    ids = emulator.add_instances(1)
    plugin = Plugin(engine, env=plugin_env)
    try:
        plugin.start({"region": "cn-hangzhou", "endpoint": emulator.url, "profile": "nosuchprofile"})
        result = Deployment(plugin).preview([web(ids)])
    finally:
        plugin.stop()
    assert result.errors == {}
    warnings = engine.messages(web(ids).urn, severity=2)
    assert any("dry run skipped" in w and "nosuchprofile" in w for w in warnings), warnings
    assert emulator.requests() == []
