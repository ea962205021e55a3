"""More malformed input, beyond tests/plugin/test_bad_input.py's table (29 resource inputs, 16 configs).

Here: odd shapes and secrets in odd places that must still get a named Check failure (without
quoting the secret); unknowns in odd places during preview (no failure, no reboot, and no API call
when the would-be reboot cannot be known); valid secrets in odd places, still honoured and still
secret in the outputs; malformed profiles and wrong credentials, which must end in a clear error
that names what to fix -- never gRPC UNKNOWN/INTERNAL, never a traceback; and huge lists.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest
from pulumi.runtime.proto import provider_pb2

from ecsreboot.core.sentinels import ASSET_SIG
from ecsreboot.emulator import ThreadedEmulator
from ecsreboot.testing import Deployment, EngineServer, Plugin, ResourceDecl, StepError, hermetic_env, secret, unknown
from ecsreboot.testing.engine import SECRET_SIG, SIG, to_struct
from tests.plugin.conftest import ACCESS_KEY_ID, ACCESS_KEY_SECRET

from .conftest import MakePlugin, emulator, provider_config

GOOD = ["i-aaaa0001", "i-aaaa0002"]
#: codes that mean "the provider crashed" (or may have corrupted state) rather than "your input is wrong"
CRASH_CODES = {grpc.StatusCode.UNKNOWN, grpc.StatusCode.INTERNAL}


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Plugin, ThreadedEmulator, EngineServer]]:
    """One plugin and one emulator for the cases that need no process of their own."""
    engine = EngineServer()
    with emulator() as emu:
        plugin = Plugin(engine, env=hermetic_env(tmp_path_factory.mktemp("home")))
        plugin.start(provider_config(emu))
        yield plugin, emu, engine
        plugin.stop()
    engine.stop()


def nested(depth: int, *, list_: bool = False) -> Any:
    """A value ``depth`` maps (or lists) deep."""
    value: Any = "leaf"
    for _ in range(depth):
        value = [value] if list_ else {"k": value}
    return value


def assert_clean(err: StepError) -> None:
    assert err.code not in CRASH_CODES, err
    assert not any("Traceback" in r or "Exception calling application" in r for r in err.reasons), err


# --- named Check failures for odd shapes ----------------------------------------------------------

#: (case, inputs, the property named, text that must not appear in the reason)
ODD_INPUTS: list[tuple[str, dict[str, Any], str, str | None]] = [
    ("id-trailing-newline", {"instanceIds": ["i-aaaa0001\n"]}, "instanceIds", None),
    ("id-leading-space", {"instanceIds": [" i-aaaa0001"]}, "instanceIds", None),
    ("id-65-characters", {"instanceIds": ["i-" + "a" * 65]}, "instanceIds", None),
    ("id-fullwidth-letters", {"instanceIds": ["i-\uff41\uff42\uff43\uff44"]}, "instanceIds", None),
    ("ids-boolean", {"instanceIds": True}, "instanceIds", None),
    ("ids-number", {"instanceIds": 5}, "instanceIds", None),
    ("ids-asset", {"instanceIds": {SIG: ASSET_SIG, "text": "i-aaaa0001"}}, "instanceIds", None),
    ("ids-secret-item-duplicate", {"instanceIds": [secret("i-aaaa0001"), "i-aaaa0001"]}, "instanceIds", None),
    ("ids-secret-item-malformed", {"instanceIds": ["i-aaaa0001", secret("SecretBadId")]}, "instanceIds",
     "SecretBadId"),
    ("region-trailing-newline", {"instanceIds": GOOD, "regionId": "cn-hangzhou\n"}, "regionId", None),
    ("region-secret-malformed", {"instanceIds": GOOD, "regionId": secret("SecretRegion")}, "regionId",
     "SecretRegion"),
    ("region-secret-number", {"instanceIds": GOOD, "regionId": secret(7)}, "regionId", None),
    ("region-list", {"instanceIds": GOOD, "regionId": ["cn-hangzhou"]}, "regionId", None),
    ("max-unavailable-secret-zero", {"instanceIds": GOOD, "maxUnavailable": secret(0)}, "maxUnavailable", None),
    ("max-unavailable-boolean", {"instanceIds": GOOD, "maxUnavailable": True}, "maxUnavailable", None),
    ("max-unavailable-nan", {"instanceIds": GOOD, "maxUnavailable": float("nan")}, "maxUnavailable", None),
    ("max-unavailable-infinity", {"instanceIds": GOOD, "maxUnavailable": float("inf")}, "maxUnavailable", None),
    ("batch-secret-unknown-mode", {"instanceIds": GOOD, "batchOptimization": secret("SecretMode")},
     "batchOptimization", "SecretMode"),
    ("batch-number", {"instanceIds": GOOD, "batchOptimization": 1}, "batchOptimization", None),
    ("api-list", {"instanceIds": GOOD, "rebootApi": ["RebootInstance"]}, "rebootApi", None),
    ("api-secret-unknown", {"instanceIds": GOOD, "rebootApi": secret("SecretStopInstances")}, "rebootApi",
     "SecretStopInstances"),
    ("force-secret-string", {"instanceIds": GOOD, "forceReboot": secret("true")}, "forceReboot", None),
    ("reboot-on-create-string", {"instanceIds": GOOD, "rebootOnCreate": "false"}, "rebootOnCreate", None),
    ("wait-number", {"instanceIds": GOOD, "waitForRunning": 0}, "waitForRunning", None),
    ("triggers-secret-string", {"instanceIds": GOOD, "triggers": secret("SecretTrigger")}, "triggers",
     "SecretTrigger"),
    ("unknown-property-secret", {"instanceIds": GOOD, "instanceIdz": secret(GOOD)}, "instanceIdz", None),
    ("output-given-as-input", {"instanceIds": GOOD, "failedInstanceIds": GOOD}, "failedInstanceIds", None),
    ("triggers-400-deep", {"instanceIds": GOOD, "triggers": {"deep": nested(400)}}, "triggers", None),
    # (as deep as this test's own protobuf library can build a list)
    ("triggers-deep-list", {"instanceIds": GOOD, "triggers": {"deep": nested(200, list_=True)}}, "triggers", None),
]


@pytest.mark.parametrize(("inputs", "prop", "hidden"), [c[1:] for c in ODD_INPUTS], ids=[c[0] for c in ODD_INPUTS])
def test_odd_input_gets_a_named_check_failure(shared, inputs: dict[str, Any], prop: str, hidden: str | None) -> None:
    plugin, emu, _ = shared
    before = len(emu.requests())
    decl = ResourceDecl("bad", inputs)
    err = Deployment(plugin).preview([decl]).errors[decl.urn]
    assert err.step == "Check" and err.code is None, err
    assert any(r.startswith(f"{prop}: ") for r in err.reasons), err.reasons
    assert not any("Traceback" in r for r in err.reasons)
    if hidden:
        assert hidden not in " ".join(err.reasons)
    assert len(emu.requests()) == before


#: (case, config, the key named, text that must not appear in the reason)
ODD_CONFIG: list[tuple[str, dict[str, Any], str, str | None]] = [
    ("max-retries-infinity", {"maxRetries": "Infinity"}, "maxRetries", None),
    ("max-retries-1e400", {"maxRetries": "1e400"}, "maxRetries", None),
    ("request-timeout-infinity", {"requestTimeout": "Infinity"}, "requestTimeout", None),
    ("rate-nan", {"maxRequestsPerSecond": "NaN"}, "maxRequestsPerSecond", None),
    ("region-trailing-newline", {"region": "cn-hangzhou\n"}, "region", None),
    ("region-secret-malformed", {"region": secret("SecretRegion!")}, "region", "SecretRegion"),
    ("endpoint-secret-malformed", {"endpoint": secret("ftp://secret-endpoint.example")}, "endpoint",
     "secret-endpoint"),
    ("signature-version-secret", {"signatureVersion": secret("SecretV9")}, "signatureVersion", "SecretV9"),
    ("endpoint-with-credentials", {"endpoint": "http://user:SecretPassword@127.0.0.1:8787"}, "endpoint",
     "SecretPassword"),
]


#: numbers that passed CheckConfig and then crashed (issue 9): each a named failure with the accepted range
OUT_OF_RANGE: list[tuple[str, dict[str, Any], str, str]] = [
    ("request-timeout-1e10", {"requestTimeout": "1e10"}, "requestTimeout", "(accepted: more than 0 to 3600 seconds)"),
    ("rate-1e-12", {"maxRequestsPerSecond": "1e-12"}, "maxRequestsPerSecond", "(accepted: 0.01 to 1e+06)"),
    ("rate-1e300", {"maxRequestsPerSecond": "1e300"}, "maxRequestsPerSecond", "(accepted: 0.01 to 1e+06)"),
    ("max-retries-1e9", {"maxRetries": "1000000000"}, "maxRetries", "(accepted: 0 to 100)"),
]


@pytest.mark.parametrize(("config", "prop", "accepted"), [c[1:] for c in OUT_OF_RANGE],
                         ids=[c[0] for c in OUT_OF_RANGE])
def test_numbers_out_of_range_fail_check_config_naming_the_range(shared, config: dict[str, Any], prop: str,
                                                                 accepted: str) -> None:
    plugin, _, _ = shared
    checked = plugin.stub.CheckConfig(provider_pb2.CheckRequest(
        urn="urn:pulumi:test::proj::pulumi:providers:ecsreboot::default", type="pulumi:providers:ecsreboot",
        olds=to_struct({}), news=to_struct(config)), timeout=10)
    named = [f.reason for f in checked.failures if f.property == prop]
    assert named and accepted in named[0], checked.failures


@pytest.mark.parametrize(("config", "prop", "hidden"), [c[1:] for c in ODD_CONFIG], ids=[c[0] for c in ODD_CONFIG])
def test_odd_config_gets_a_named_check_failure(shared, config: dict[str, Any], prop: str, hidden: str | None) -> None:
    plugin, _, _ = shared
    checked = plugin.stub.CheckConfig(provider_pb2.CheckRequest(
        urn="urn:pulumi:test::proj::pulumi:providers:ecsreboot::default", type="pulumi:providers:ecsreboot",
        olds=to_struct({}), news=to_struct(config)), timeout=10)
    named = [f.reason for f in checked.failures if f.property == prop]
    assert named, checked.failures
    if hidden:
        assert hidden not in " ".join(named)


# --- unknowns in odd places (preview) ---------------------------------------------------------------

#: (case, inputs over a valid resource, which API calls the preview may make: "none" or "dry runs")
UNKNOWNS: list[tuple[str, dict[str, Any], str]] = [
    ("instance-id-item", {"instanceIds": [GOOD[0], unknown()]}, "none"),
    ("instance-id-list", {"instanceIds": unknown()}, "none"),
    ("secret-unknown-instance-id-list", {"instanceIds": secret(unknown())}, "none"),
    ("region", {"regionId": unknown()}, "none"),
    ("reboot-api", {"rebootApi": unknown()}, "none"),
    ("force-reboot", {"forceReboot": unknown()}, "none"),
    ("whole-triggers", {"triggers": unknown()}, "dry runs"),
    ("trigger-value", {"triggers": {"a": unknown(), "b": [unknown()]}}, "dry runs"),
    ("max-unavailable", {"maxUnavailable": unknown()}, "dry runs"),
    ("batch-optimization", {"batchOptimization": unknown()}, "dry runs"),
    ("reboot-on-create", {"rebootOnCreate": unknown()}, "dry runs"),
    ("dry-run", {"dryRun": unknown()}, "dry runs"),
    ("wait-for-running", {"waitForRunning": unknown()}, "dry runs"),
]


def api_calls(emu: ThreadedEmulator, since: int) -> list[dict[str, Any]]:
    return emu.requests()[since:]


def is_dry(request: dict[str, Any]) -> bool:
    return str(request["params"].get("DryRun", "false")).lower() == "true"


@pytest.mark.parametrize(("over", "calls"), [c[1:] for c in UNKNOWNS], ids=[c[0] for c in UNKNOWNS])
def test_unknowns_in_preview_fail_nothing_and_reboot_nothing(shared, over: dict[str, Any], calls: str) -> None:
    plugin, emu, _ = shared
    ids = emu.add_instances(2)
    before = len(emu.requests())
    inputs = {"instanceIds": ids, **over}
    if isinstance(over.get("instanceIds"), list):
        inputs["instanceIds"] = [ids[0], unknown()]
    decl = ResourceDecl("unknowns", inputs)
    result = Deployment(plugin).preview([decl])
    assert result.errors == {} and result.steps[decl.urn] == "create"
    sent = api_calls(emu, before)
    assert all(is_dry(r) for r in sent)
    assert (sent == []) if calls == "none" else sent != []
    counts = emu.reboot_counts()  # of this test's instances: the emulator is shared with the module's other tests
    assert [counts[i] for i in ids] == [0, 0]


def test_an_unknown_trigger_change_previews_an_update_with_dry_runs_only(shared) -> None:
    plugin, emu, _ = shared
    ids = emu.add_instances(2)
    deployment = Deployment(plugin)
    assert deployment.apply([ResourceDecl("retrigger", {"instanceIds": ids, "triggers": {"v": 1}})]).errors == {}
    before = len(emu.requests())
    result = deployment.preview([ResourceDecl("retrigger", {"instanceIds": ids, "triggers": unknown()})])
    assert result.errors == {} and result.steps[ResourceDecl("retrigger", {}).urn] == "update"
    assert "triggers" in result.diffs[ResourceDecl("retrigger", {}).urn].diffs
    assert all(is_dry(r) for r in api_calls(emu, before)) and api_calls(emu, before)
    assert [emu.reboot_counts()[i] for i in ids] == [1, 1]


def test_unknowns_outside_preview_are_refused(shared) -> None:
    """The engine never sends unknowns outside preview; the harness refuses to, and the plugin, sent one
    anyway, answers INVALID_ARGUMENT without calling the API."""
    plugin, emu, _ = shared
    decl = ResourceDecl("unknown-apply", {"instanceIds": [GOOD[0], unknown()]})
    with pytest.raises(AssertionError, match="unknowns only exist in preview"):
        Deployment(plugin).apply([decl])
    before = len(emu.requests())
    for properties in ({"instanceIds": [GOOD[0], unknown()], "regionId": "cn-hangzhou"},
                       {"instanceIds": GOOD, "regionId": unknown()},
                       {"instanceIds": GOOD, "regionId": "cn-hangzhou", "triggers": unknown()}):
        with pytest.raises(grpc.RpcError) as caught:
            plugin.stub.Create(provider_pb2.CreateRequest(urn=decl.urn, type="ecsreboot:index:RebootTrigger",
                                                          properties=to_struct(properties), preview=False),
                               timeout=10)
        assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT, caught.value
        assert "preview" in caught.value.details()
    assert len(emu.requests()) == before


# --- valid secrets in odd places: honoured, and still secret in the outputs ----------------------------

Check = Callable[[ThreadedEmulator, list[str], dict[str, Any], list[dict[str, Any]]], None]


def reboot_requests(requests: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [r for r in requests if r["action"].startswith("RebootInstance") and not is_dry(r)]


def ids_of(request: dict[str, Any]) -> list[str]:
    return [v for k, v in request["params"].items() if k.startswith("InstanceId")]


def rebooted_once(emu: ThreadedEmulator, ids: list[str], out: dict[str, Any], sent: list[dict[str, Any]]) -> None:
    counts = emu.reboot_counts()
    assert [counts[i] for i in ids] == [1] * len(ids)
    assert out["failedInstanceIds"] == [] and out["rebootCount"] == 1


def rolling_by_two(emu: ThreadedEmulator, ids: list[str], out: dict[str, Any], sent: list[dict[str, Any]]) -> None:
    rebooted_once(emu, ids, out, sent)
    assert [len(ids_of(r)) for r in reboot_requests(sent)] == [2, 2]


def success_first(emu: ThreadedEmulator, ids: list[str], out: dict[str, Any], sent: list[dict[str, Any]]) -> None:
    rebooted_once(emu, ids, out, sent)
    assert {r["params"]["BatchOptimization"] for r in reboot_requests(sent)} == {"SuccessFirst"}


def single_api(emu: ThreadedEmulator, ids: list[str], out: dict[str, Any], sent: list[dict[str, Any]]) -> None:
    rebooted_once(emu, ids, out, sent)
    assert {r["action"] for r in sent} - {"DescribeInstances"} == {"RebootInstance"}


def forced(emu: ThreadedEmulator, ids: list[str], out: dict[str, Any], sent: list[dict[str, Any]]) -> None:
    rebooted_once(emu, ids, out, sent)
    assert {r["params"]["ForceReboot"] for r in reboot_requests(sent)} == {"true"}


def dry_only(emu: ThreadedEmulator, ids: list[str], out: dict[str, Any], sent: list[dict[str, Any]]) -> None:
    assert reboot_requests(sent) == [] and sent
    assert set(emu.reboot_counts()[i] for i in ids) == {0}


def no_wait(emu: ThreadedEmulator, ids: list[str], out: dict[str, Any], sent: list[dict[str, Any]]) -> None:
    rebooted_once(emu, ids, out, sent)
    first_reboot = next(k for k, r in enumerate(sent) if r["action"] != "DescribeInstances")
    # only the look before the reboot (the evidence should its reply be lost); no wait after it
    assert not any(r["action"] == "DescribeInstances" for r in sent[first_reboot:])


def secret_outputs(emu: ThreadedEmulator, ids: list[str], out: dict[str, Any], sent: list[dict[str, Any]]) -> None:
    rebooted_once(emu, ids, {**out, "failedInstanceIds": out["failedInstanceIds"]["value"]}, sent)
    for name in ("results", "failedInstanceIds"):  # derived from the secret list: secret too
        assert out[name][SIG] == SECRET_SIG, name


#: (case, inputs over instanceIds, the property that must come back secret, the check)
SECRET_PLACES: list[tuple[str, dict[str, Any], str, Check]] = [
    ("region", {"regionId": secret("cn-hangzhou")}, "regionId", rebooted_once),
    ("max-unavailable", {"maxUnavailable": secret(2)}, "maxUnavailable", rolling_by_two),
    ("batch-optimization", {"batchOptimization": secret("SuccessFirst")}, "batchOptimization", success_first),
    ("reboot-api", {"rebootApi": secret("RebootInstance")}, "rebootApi", single_api),
    ("force-reboot", {"forceReboot": secret(True)}, "forceReboot", forced),
    ("dry-run", {"dryRun": secret(True)}, "dryRun", dry_only),
    ("wait-for-running", {"waitForRunning": secret(False)}, "waitForRunning", no_wait),
    ("whole-triggers", {"triggers": secret({"v": "1"})}, "triggers", rebooted_once),
    ("instance-ids", {}, "instanceIds", secret_outputs),
]


@pytest.mark.parametrize(("over", "prop", "check"), [c[1:] for c in SECRET_PLACES], ids=[c[0] for c in SECRET_PLACES])
def test_secret_in_an_odd_place_is_honoured_and_stays_secret(shared, over: dict[str, Any], prop: str,
                                                             check: Check) -> None:
    plugin, emu, _ = shared
    ids = emu.add_instances(4)
    before = len(emu.requests())
    inputs = {"instanceIds": secret(ids) if prop == "instanceIds" else ids, **over}
    decl = ResourceDecl(f"secret-{prop}", inputs)
    result = Deployment(plugin).apply([decl])
    assert result.errors == {}, result.errors
    out = result.outputs[decl.urn]
    assert out[prop][SIG] == SECRET_SIG, out[prop]
    check(emu, ids, out, api_calls(emu, before))


def test_a_secret_triggers_map_is_compared_by_content(shared) -> None:
    plugin, emu, _ = shared
    ids = emu.add_instances(2)
    deployment = Deployment(plugin)
    for triggers, step, count in (({"v": "1"}, "create", 1), ({"v": "1"}, "same", 1), ({"v": "2"}, "update", 2)):
        decl = ResourceDecl("secret-map", {"instanceIds": ids, "triggers": secret(triggers)})
        result = deployment.apply([decl])
        assert result.errors == {} and result.steps[decl.urn] == step
        assert [emu.reboot_counts()[i] for i in ids] == [count, count]
        assert deployment.state[decl.urn].outputs["triggers"][SIG] == SECRET_SIG
    assert list(result.diffs[decl.urn].detailedDiff) == ["triggers.v"]


# --- malformed profiles and wrong credentials --------------------------------------------------------


def write_config(home: Path, text: str) -> None:
    (home / ".aliyun").mkdir(exist_ok=True)
    (home / ".aliyun" / "config.json").write_text(text)


AK_PROFILE = {"name": "default", "mode": "AK", "access_key_id": "LTAIProfileKeyCanary01",
              "access_key_secret": "ProfileSecretCanary02", "region_id": "cn-hangzhou"}

#: (case, ~/.aliyun/config.json text, extra provider config, fragments the error must contain)
PROFILES: list[tuple[str, str, dict[str, str], list[str]]] = [
    ("nonexistent-profile", json.dumps({"current": "default", "profiles": [AK_PROFILE]}), {"profile": "prod"},
     ["'prod'", "config.json", "profiles: default"]),
    ("config-not-json", '{"current": "default", "profiles": [', {}, ["config.json", "not valid JSON"]),
    ("ak-profile-without-secret", json.dumps({"current": "default", "profiles": [
        {k: v for k, v in AK_PROFILE.items() if k != "access_key_secret"}]}), {},
     ["profile default", "mode AK", "lacks access_key_secret"]),
    ("ram-role-profile-without-network", json.dumps({"current": "role", "profiles": [
        {"name": "role", "mode": "RamRoleArn", "access_key_id": "LTAIProfileKeyCanary01",
         "access_key_secret": "ProfileSecretCanary02", "ram_role_arn": "acs:ram::1:role/r", "ram_session_name": "s",
         "region_id": "cn-hangzhou", "expired_seconds": 900}]}), {},
     ["profile:role", "RamRoleArn", "sts.aliyuncs.com", "config.json"]),
]


@pytest.mark.parametrize(("text", "extra", "fragments"), [c[1:] for c in PROFILES], ids=[c[0] for c in PROFILES])
def test_a_malformed_profile_is_a_clear_error_that_names_what_to_fix(
        make_plugin: MakePlugin, home: Path, text: str, extra: dict[str, str], fragments: list[str]) -> None:
    write_config(home, text)
    with emulator() as emu:
        ids = emu.add_instances(1)
        # no https proxy: "no network" is the sandbox's unresolvable sts.aliyuncs.com, answered at once
        plugin = make_plugin({"region": "cn-hangzhou", "endpoint": emu.url, **extra})
        decl = ResourceDecl("profiled", {"instanceIds": ids})
        deployment = Deployment(plugin)
        started = time.monotonic()
        result = deployment.up([decl])
        assert time.monotonic() - started < 15
        err = result.errors[decl.urn]
        assert_clean(err)
        text_of = " ".join(err.reasons)
        for fragment in fragments:
            assert fragment in text_of, text_of
        for canary in ("LTAIProfileKeyCanary01", "ProfileSecretCanary02"):
            assert canary not in text_of
        assert emu.reboot_counts() == {ids[0]: 0}
        assert all(is_dry(r) for r in emu.requests())
    plugin.stop()
    assert b"Traceback" not in plugin.stderr, plugin.stderr.decode(errors="replace")[-2000:]
    assert b"ProfileKeyCanary" not in plugin.stderr + plugin.stdout


#: (case, provider config over the emulator's, fragments the error must contain)
WRONG_CREDENTIALS: list[tuple[str, dict[str, str], list[str]]] = [
    ("unknown-key-id", {"accessKey": "LTAIUnknownKeyCanary01"}, ["InvalidAccessKeyId.NotFound", "RequestId"]),
    ("wrong-secret", {"secretKey": "WrongSecretCanary0002"}, ["SignatureDoesNotMatch", "RequestId"]),
    ("wrong-secret-v1", {"secretKey": "WrongSecretCanary0002", "signatureVersion": "v1"},
     ["SignatureDoesNotMatch", "RequestId"]),
    ("expired-sts-token", {"accessKey": "STS.TempKeyCanary0003", "secretKey": "TempSecretCanary0004",
                           "securityToken": "ExpiredTokenCanary0005"}, ["InvalidSecurityToken.Expired"]),
]


@pytest.mark.parametrize(("over", "fragments"), [c[1:] for c in WRONG_CREDENTIALS],
                         ids=[c[0] for c in WRONG_CREDENTIALS])
def test_wrong_credentials_are_a_clear_error_and_reboot_nothing(
        make_plugin: MakePlugin, over: dict[str, str], fragments: list[str]) -> None:
    with emulator(sts=[("STS.TempKeyCanary0003", "TempSecretCanary0004", "ExpiredTokenCanary0005")]) as emu:
        emu.verifier.expire_token("ExpiredTokenCanary0005")
        ids = emu.add_instances(2)
        plugin = make_plugin(provider_config(emu, **over))
        decl = ResourceDecl("creds", {"instanceIds": ids})
        deployment = Deployment(plugin)
        preview = deployment.preview([decl])
        applied = deployment.apply([decl])
        assert emu.reboot_counts() == dict.fromkeys(ids, 0)
    for err in (preview.errors[decl.urn], applied.errors[decl.urn]):
        assert_clean(err)
        text = " ".join(err.reasons)
        for fragment in fragments:
            assert fragment in text, text
        assert "credentials" in text.lower(), text  # says what to fix, not only what the API said
        for canary in ("Canary0", ACCESS_KEY_ID, ACCESS_KEY_SECRET):
            assert canary not in text, text
    # the partial failure is recorded, so the next `pulumi up` (with fixed credentials) retries them
    assert sorted(deployment.state[decl.urn].outputs["failedInstanceIds"]) == sorted(ids)


# --- huge lists -----------------------------------------------------------------------------------------


def test_a_five_thousand_instance_list_is_checked_previewed_and_applied_quickly(shared) -> None:
    plugin, emu, _ = shared
    ids = emu.add_instances(5000)
    decl = ResourceDecl("fleet", {"instanceIds": ids})
    deployment = Deployment(plugin)
    started = time.monotonic()
    result = deployment.up([decl])
    took = time.monotonic() - started
    assert result.errors == {}
    assert set(emu.reboot_counts()[i] for i in ids) == {1}
    assert deployment.state[decl.urn].outputs["failedInstanceIds"] == []
    assert took < 20, f"5,000 instances took {took:.1f}s"


def test_a_list_over_the_limit_is_refused_even_when_secret(shared) -> None:
    plugin, emu, _ = shared
    before = len(emu.requests())
    decl = ResourceDecl("too-many", {"instanceIds": secret([f"i-{n:016d}" for n in range(100_001)])})
    err = Deployment(plugin).preview([decl]).errors[decl.urn]
    assert err.step == "Check" and any(r.startswith("instanceIds: lists 100001 instances") for r in err.reasons)
    assert len(emu.requests()) == before

