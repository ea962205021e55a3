"""examples/gitops/policy: the policies through pulumi-policy's own analyzer service (as `pulumi preview
--policy-pack` calls it), and the validation functions with plain arguments."""

from __future__ import annotations

import json
import runpy
from typing import Any

import pytest
from google.protobuf import struct_pb2
from pulumi.runtime.proto import analyzer_pb2
from pulumi_policy import EnforcementLevel, ResourceValidationArgs
from pulumi_policy.policy import _PolicyAnalyzerServicer

from .conftest import EXAMPLES

POLICY = EXAMPLES / "gitops" / "policy"
PACK = runpy.run_path(str(POLICY / "__main__.py"), run_name="policy_under_test")  # importing serves nothing
FORCE = "ecsreboot-no-force-reboot-in-production"
ROLLING = "ecsreboot-rolling-reboot-for-large-fleets"
PLUGIN_TYPE = "ecsreboot:index:RebootTrigger"
DYNAMIC_TYPE = "pulumi-python:dynamic/ecsreboot:RebootTrigger"


def fleet(n: int) -> list[str]:
    return [f"i-fleet{i:04d}" for i in range(n)]


def analyzer(config: dict[str, dict[str, Any]] | None = None) -> _PolicyAnalyzerServicer:
    servicer = _PolicyAnalyzerServicer("ecsreboot-gitops", "0.0.1", PACK["POLICIES"], EnforcementLevel.MANDATORY)
    if config:
        request = analyzer_pb2.ConfigureAnalyzerRequest()
        for name, values in config.items():
            entry = request.policyConfig[name]
            entry.enforcementLevel = analyzer_pb2.MANDATORY
            entry.properties.update(values)
        servicer.Configure(request, None)
    return servicer


def violations(props: dict[str, Any], *, stack: str = "dev", type_: str = PLUGIN_TYPE,
               config: dict[str, dict[str, Any]] | None = None) -> dict[str, str]:
    """policy name -> message, for one resource as the engine sends it to the analyzer."""
    properties = struct_pb2.Struct()
    properties.update(props)
    request = analyzer_pb2.AnalyzeRequest(
        type=type_, properties=properties, urn=f"urn:pulumi:{stack}::infra::{type_}::web", name="web",
    )
    response = analyzer(config).Analyze(request, None)
    return {d.policyName: d.message for d in response.diagnostics}


def test_force_reboot_is_rejected_on_production_stacks() -> None:
    for stack in ("prod", "prod-eu", "production", "PROD"):
        found = violations({"instanceIds": fleet(2), "forceReboot": True}, stack=stack)
        assert list(found) == [FORCE], stack
        assert "forceReboot" in found[FORCE] and stack in found[FORCE]


def test_force_reboot_is_allowed_elsewhere_and_a_normal_reboot_everywhere() -> None:
    assert violations({"instanceIds": fleet(2), "forceReboot": True}, stack="dev") == {}
    assert violations({"instanceIds": fleet(2), "forceReboot": True}, stack="preprod") == {}
    assert violations({"instanceIds": fleet(2), "forceReboot": False}, stack="prod") == {}
    assert violations({"instanceIds": fleet(2)}, stack="production") == {}


def test_production_patterns_are_configurable() -> None:
    config = {FORCE: {"productionStacks": ["live-*"]}}
    assert list(violations({"instanceIds": fleet(1), "forceReboot": True}, stack="live-cn", config=config)) == [FORCE]
    assert violations({"instanceIds": fleet(1), "forceReboot": True}, stack="prod", config=config) == {}


def test_large_fleets_must_reboot_in_waves() -> None:
    found = violations({"instanceIds": fleet(11)})
    assert list(found) == [ROLLING] and "11 instances" in found[ROLLING] and "maxUnavailable" in found[ROLLING]
    assert violations({"instanceIds": fleet(11), "maxUnavailable": 3}) == {}
    assert violations({"instanceIds": fleet(10)}) == {}  # the threshold itself is fine


def test_fleet_threshold_and_wave_limit_are_configurable() -> None:
    config = {ROLLING: {"maxFleetSize": 20, "maxUnavailableLimit": 5}}
    assert violations({"instanceIds": fleet(15)}, config=config) == {}
    assert list(violations({"instanceIds": fleet(21)}, config=config)) == [ROLLING]
    assert "at most 5" in violations({"instanceIds": fleet(21), "maxUnavailable": 8}, config=config)[ROLLING]
    assert violations({"instanceIds": fleet(21), "maxUnavailable": 5}, config=config) == {}


def test_both_policies_report_together_and_cover_the_dynamic_variant() -> None:
    props = {"instanceIds": fleet(30), "forceReboot": True, "__provider": "gASV..."}
    assert set(violations(props, stack="prod", type_=DYNAMIC_TYPE)) == {FORCE, ROLLING}


def test_other_resource_types_are_not_judged() -> None:
    props = {"instanceIds": fleet(30), "forceReboot": True}
    assert violations(props, stack="prod", type_="alicloud:ecs:Instance") == {}


@pytest.mark.parametrize(("urn", "stack"), [
    ("urn:pulumi:prod::infra::ecsreboot:index:RebootTrigger::web", "prod"),
    ("urn:pulumi:dev::infra::pulumi:pulumi:Stack$ecsreboot:index:RebootTrigger::web", "dev"),
])
def test_stack_name_comes_from_the_urn(urn: str, stack: str) -> None:
    assert PACK["stack_of"](urn) == stack


def test_validation_functions_with_plain_arguments() -> None:
    reported: list[str] = []

    def args(props: dict[str, Any], stack: str) -> ResourceValidationArgs:
        return ResourceValidationArgs(PLUGIN_TYPE, props, f"urn:pulumi:{stack}::p::{PLUGIN_TYPE}::web", "web",
                                      None, None)  # type: ignore[arg-type]

    PACK["no_force_reboot_in_production"](args({"forceReboot": True, "instanceIds": ["i-a"]}, "prod"),
                                          lambda message, urn=None: reported.append(message))
    PACK["rolling_reboot_for_large_fleets"](args({"instanceIds": fleet(12)}, "dev"),
                                            lambda message, urn=None: reported.append(message))
    PACK["rolling_reboot_for_large_fleets"](args({"instanceIds": fleet(12), "maxUnavailable": 2.0}, "dev"),
                                            lambda message, urn=None: reported.append(message))
    assert len(reported) == 2 and "production stack 'prod'" in reported[0] and "12 instances" in reported[1]


def test_policy_pack_project_files() -> None:
    requirements = (POLICY / "requirements.txt").read_text().split()
    assert "pulumi-policy>=1.10" in requirements
    assert "runtime:" in (POLICY / "PulumiPolicy.yaml").read_text()
    assert json.dumps(sorted(p.name for p in PACK["POLICIES"])) == json.dumps(sorted([FORCE, ROLLING]))
