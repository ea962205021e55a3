"""ecsreboot.dynamic.RebootTrigger through pulumi.dynamic's own provider server, against the emulator."""

from __future__ import annotations

import base64
import pickletools
from collections.abc import Callable
from typing import Any

import dill
import grpc
import pulumi
import pytest
from pulumi.dynamic import Config, ConfigureRequest
from pulumi.runtime.mocks import MockResourceArgs
from pulumi.runtime.proto import provider_pb2

import ecsreboot.dynamic as dynamic
from ecsreboot.dynamic import DYNAMIC_TYPE, RebootTrigger, RebootTriggerProvider
from ecsreboot.emulator import Attributes, ThreadedEmulator

from .conftest import (
    ACCESS_KEY_ID,
    ACCESS_KEY_SECRET,
    FAST,
    PROVIDER_BLOB,
    UNKNOWN,
    DynamicDeployment,
    DynamicServer,
    StepFailed,
    emulator_config,
    requests_since,
)


def reboots(emu: ThreadedEmulator, ids: list[str]) -> list[int]:
    counts = emu.reboot_counts()
    return [counts[i] for i in ids]


def web(ids: list[str], **inputs: Any) -> dict[str, Any]:
    return {"instanceIds": ids, **inputs}


# --- the lifecycle through the real dynamic provider process ---------------------------------------------


def test_create_reboots_once_rerun_calls_nothing_changed_trigger_reboots_again(
    emulator: ThreadedEmulator, server: DynamicServer
) -> None:
    ids = emulator.add_instances(3)
    deployment = DynamicDeployment(server)

    created = deployment.up(web(ids, triggers={"configHash": "a"}))
    assert created.step == "create" and not created.failures
    assert reboots(emulator, ids) == [1, 1, 1]
    out = created.outputs
    assert out["rebootCount"] == 1 and out["failedInstanceIds"] == []
    assert {r["instanceId"]: r["code"] for r in out["results"]} == {i: "200" for i in ids}
    assert out["requestIds"] and out["lastRebootTime"].endswith("Z")
    assert out["regionId"] == "cn-hangzhou" and out["batchOptimization"] == "AllTogether"  # Check's defaults

    mark = len(emulator.requests())
    same = deployment.up(web(ids, triggers={"configHash": "a"}))
    assert same.step == "same"
    assert requests_since(emulator, mark) == []

    changed = deployment.up(web(ids, triggers={"configHash": "b"}))
    assert changed.step == "update"
    assert reboots(emulator, ids) == [2, 2, 2]
    assert changed.outputs["rebootCount"] == 2


def test_changing_only_force_reboot_updates_without_rebooting(
    emulator: ThreadedEmulator, server: DynamicServer
) -> None:
    ids = emulator.add_instances(2)
    deployment = DynamicDeployment(server)
    deployment.up(web(ids, triggers={"v": 1}))
    mark = len(emulator.requests())

    result = deployment.up(web(ids, triggers={"v": 1}, forceReboot=True))
    assert result.step == "update"
    assert requests_since(emulator, mark) == []
    assert reboots(emulator, ids) == [1, 1]
    assert result.outputs["forceReboot"] is True and result.outputs["rebootCount"] == 1


def test_a_tag_selected_fleet_is_rebooted_and_a_change_of_members_alone_reboots_nothing(
    emulator: ThreadedEmulator, server: DynamicServer
) -> None:
    web = emulator.add_instances(4, attributes=Attributes(tags={"app": "web"}, vpc_id="vpc-x"))
    others = emulator.add_instances(2, attributes=Attributes(tags={"app": "db"}, vpc_id="vpc-x"))
    deployment = DynamicDeployment(server)
    selector = {"tags": {"app": "web"}, "vpcId": "vpc-x", "maxInstances": 10}
    created = deployment.up({"instanceSelector": selector, "maxUnavailable": 2, "triggers": {"v": 1}})
    assert created.step == "create" and not created.failures
    assert reboots(emulator, web) == [1, 1, 1, 1] and reboots(emulator, others) == [0, 0]
    assert created.outputs["selectedInstanceIds"] == web
    newcomer = emulator.add_instances(1, attributes=Attributes(tags={"app": "web"}, vpc_id="vpc-x"))
    mark = len(emulator.requests())
    assert deployment.up({"instanceSelector": selector, "maxUnavailable": 2, "triggers": {"v": 1}}).step == "same"
    assert requests_since(emulator, mark) == [] and reboots(emulator, newcomer) == [0]
    with pytest.raises(StepFailed) as guarded:
        deployment.up({"instanceSelector": {**selector, "maxInstances": 3}, "triggers": {"v": 2}})
    assert guarded.value.step == "Update" and "selects 5 instances" in guarded.value.details
    assert "more than maxInstances (3): nothing was rebooted" in guarded.value.details
    assert reboots(emulator, web + newcomer) == [1, 1, 1, 1, 0]


def test_preview_calls_no_api_at_all(emulator: ThreadedEmulator, server: DynamicServer) -> None:
    """supportsPreview=False: only Check and Diff run in preview, so there is no dry run (documented)."""
    ids = emulator.add_instances(2)
    deployment = DynamicDeployment(server)
    mark = len(emulator.requests())
    assert deployment.preview(web(ids, triggers={"v": 1})).step == "create"
    assert requests_since(emulator, mark) == []
    deployment.up(web(ids, triggers={"v": 1}))
    mark = len(emulator.requests())
    preview = deployment.preview(web(ids, triggers={"v": 2}))
    assert preview.step == "update"
    assert requests_since(emulator, mark) == [] and reboots(emulator, ids) == [1, 1]


def test_unknown_trigger_in_preview_counts_as_a_change(emulator: ThreadedEmulator, server: DynamicServer) -> None:
    ids = emulator.add_instances(1)
    deployment = DynamicDeployment(server)
    deployment.up(web(ids, triggers={"v": 1}))
    preview = deployment.preview(web(ids, triggers={"v": UNKNOWN}))
    assert preview.step == "update" and preview.diff is not None
    assert preview.diff.changes == provider_pb2.DiffResponse.DIFF_SOME


def test_check_names_every_bad_property(server: DynamicServer) -> None:
    deployment = DynamicDeployment(server)
    result = deployment.preview({
        "instanceIds": ["i-ok1", "not-an-instance"],
        "batchOptimization": "Sometimes",
        "maxUnavailable": 0,
        "regionId": "Hangzhou",
        "colour": "blue",
    })
    failures = dict(result.failures)
    assert set(failures) == {"instanceIds", "batchOptimization", "maxUnavailable", "regionId", "colour"}
    assert "not-an-instance" in failures["instanceIds"] and "SuccessFirst" in failures["batchOptimization"]
    assert "at least 1" in failures["maxUnavailable"] and "unknown property" in failures["colour"]


def test_partial_failure_fails_the_step_and_records_nothing(
    emulator: ThreadedEmulator, server: DynamicServer
) -> None:
    ids = emulator.add_instances(3)
    emulator.backend.set_status(ids[1], "Stopped")
    deployment = DynamicDeployment(server)
    with pytest.raises(StepFailed) as failed:
        deployment.up(web(ids, batchOptimization="SuccessFirst", triggers={"v": 1}))
    error = failed.value
    assert error.step == "Create" and error.code == grpc.StatusCode.UNKNOWN
    assert ids[1] in error.details and "Nothing was recorded" in error.details
    assert "retry only" not in error.details  # the plugin's advice does not hold here
    assert deployment.state is None
    assert reboots(emulator, ids) == [1, 0, 1]


def test_read_returns_the_recorded_state_and_delete_calls_nothing(
    emulator: ThreadedEmulator, server: DynamicServer
) -> None:
    ids = emulator.add_instances(1)
    deployment = DynamicDeployment(server)
    created = deployment.up(web(ids, triggers={"v": 1}))
    mark = len(emulator.requests())
    assert deployment.state is not None
    read = deployment.read()
    assert read.id == deployment.state.id
    outputs = dict(read.properties)
    assert outputs["rebootCount"] == created.outputs["rebootCount"] == 1
    assert outputs["__provider"] == PROVIDER_BLOB
    deployment.delete()
    assert requests_since(emulator, mark) == [] and reboots(emulator, ids) == [1]


# --- configuration -----------------------------------------------------------------------------------------


def test_environment_fallbacks_configure_the_provider(start_server: Callable[..., DynamicServer]) -> None:
    with ThreadedEmulator(durations=FAST, access_keys={"env-key": "env-secret"}) as emu:
        server = start_server(ECSREBOOT_ENDPOINT=emu.url, ALIBABA_CLOUD_REGION_ID="cn-hangzhou",
                              ALIBABA_CLOUD_ACCESS_KEY_ID="env-key", ALIBABA_CLOUD_ACCESS_KEY_SECRET="env-secret")
        server.configure({})
        ids = emu.add_instances(2)
        result = DynamicDeployment(server).up(web(ids))
        assert result.step == "create" and result.outputs["regionId"] == "cn-hangzhou"
        assert reboots(emu, ids) == [1, 1]
    stderr = server.stop()
    assert "rebooting 2 instance(s)" in stderr  # progress reaches the CLI through stderr
    assert "env-secret" not in stderr and "env-key" not in stderr


def test_bad_configuration_fails_with_the_key_named(start_server: Callable[..., DynamicServer]) -> None:
    server = start_server()
    server.configure({"ecsreboot:signatureVersion": "v2", "ecsreboot:region": "cn-hangzhou"})
    with pytest.raises(StepFailed) as failed:
        DynamicDeployment(server).preview(web(["i-abc"]))
    assert "ecsreboot:signatureVersion" in failed.value.details and "v1, v3" in failed.value.details


def test_no_region_anywhere_is_a_check_failure(start_server: Callable[..., DynamicServer]) -> None:
    server = start_server()
    server.configure({})
    failures = dict(DynamicDeployment(server).preview(web(["i-abc"])).failures)
    assert set(failures) == {"regionId"} and "ecsreboot:region" in failures["regionId"]


# --- pickling ------------------------------------------------------------------------------------------------


def test_the_pickled_provider_is_a_small_reference_without_state() -> None:
    provider = RebootTriggerProvider()
    before = dill.dumps(provider, recurse=True)
    assert len(before) < 100  # "about 60 bytes", as the README and dynamic.py say
    # configured with credentials and used (a backend with clients, locks and a rate limiter now exists) ...
    req = ConfigureRequest(Config({"ecsreboot:region": "cn-hangzhou", "ecsreboot:accessKey": ACCESS_KEY_ID,
                                   "ecsreboot:secretKey": ACCESS_KEY_SECRET,
                                   "ecsreboot:maxRequestsPerSecond": "5"}, "proj"))
    provider.configure(req)
    assert provider._config().access_key == ACCESS_KEY_ID
    dynamic._backend(provider._config()).client("cn-hangzhou")
    # ... and still pickles to the same few bytes: a reference to the class, no instance state
    after = dill.dumps(provider, recurse=True)
    assert after == before and vars(provider) == {}
    opcodes = [(op.name, arg) for op, arg, _pos in pickletools.genops(after)]
    # the only strings in it name the class, which the dynamic provider process imports
    assert [arg for _name, arg in opcodes if isinstance(arg, str)] == ["ecsreboot.dynamic", "RebootTriggerProvider"]
    assert "STACK_GLOBAL" in [name for name, _arg in opcodes]
    for forbidden in (b"Lock", b"EcsClient", b"EcsBackend", b"TokenBucket", ACCESS_KEY_ID.encode(),
                      ACCESS_KEY_SECRET.encode()):
        assert forbidden not in after
    assert isinstance(dill.loads(after), RebootTriggerProvider)


def test_the_resource_serializes_the_provider_as_pulumi_does() -> None:
    blob = base64.b64decode(PROVIDER_BLOB)
    assert len(blob) < 2048 and blob == dill.dumps(dynamic._PROVIDER, recurse=True)


# --- the program side, under mocks --------------------------------------------------------------------------


class _Mocks(pulumi.runtime.Mocks):
    def __init__(self) -> None:
        self.created: list[MockResourceArgs] = []

    def new_resource(self, args: MockResourceArgs) -> tuple[str, dict[str, Any]]:
        self.created.append(args)
        return f"{args.name}-id", {**args.inputs, "rebootCount": 1, "failedInstanceIds": []}

    def call(self, args: Any) -> tuple[dict[str, Any], None]:
        return {}, None


@pytest.fixture
def mocks() -> _Mocks:
    m = _Mocks()
    pulumi.runtime.set_mocks(m, project="dyntest", stack="dev", preview=False)
    return m


@pulumi.runtime.test
def test_registers_a_dynamic_resource_with_camel_case_inputs(mocks: _Mocks) -> Any:
    trigger = RebootTrigger(
        "web", instance_ids=["i-aaa", "i-bbb"], region_id="cn-beijing", triggers={"configHash": "abc"},
        batch_optimization="SuccessFirst", max_unavailable=1,
    )

    def check(values: list[Any]) -> None:
        reboot_count, snake = values
        [args] = [a for a in mocks.created if a.name == "web"]
        assert args.typ == DYNAMIC_TYPE == "pulumi-python:dynamic/ecsreboot:RebootTrigger"
        provider_blob = args.inputs.pop("__provider")
        assert args.inputs == {
            "instanceIds": ["i-aaa", "i-bbb"],
            "regionId": "cn-beijing",
            "triggers": {"configHash": "abc"},
            "forceReboot": False,
            "batchOptimization": "SuccessFirst",
            "rebootApi": "RebootInstances",
            "dryRun": False,
            "rebootOnCreate": True,
            "waitForRunning": True,
            "maxUnavailable": 1,
        }
        # not a secret (serialize_as_secret_always=False: it holds nothing secret), and it is our provider
        assert isinstance(provider_blob, str)
        assert isinstance(dill.loads(base64.b64decode(provider_blob)), RebootTriggerProvider)
        assert reboot_count == snake == 1

    return pulumi.Output.all(trigger.rebootCount, trigger.reboot_count).apply(check)


def test_the_configure_request_reads_namespaced_keys(emulator: ThreadedEmulator) -> None:
    """``Config.get("ecsreboot:endpoint")`` is the key as the engine sends it (namespace kept)."""
    provider = RebootTriggerProvider()
    values = {k: (v["value"] if isinstance(v, dict) else v) for k, v in emulator_config(emulator).items()}
    provider.configure(ConfigureRequest(Config(values, "dyntest")))
    config = provider._config()
    assert (config.endpoint, config.region, config.secret_key) == (emulator.url, "cn-hangzhou", ACCESS_KEY_SECRET)
