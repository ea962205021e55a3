"""Policy pack: guard rails for ecsreboot RebootTrigger resources.

Run it with every preview and update (`pulumi preview --policy-pack ./policy`, or `policyPacks:` of
pulumi/actions). Both policies are mandatory by default; `pulumi policy` config can set their
enforcement level and parameters.

- ``ecsreboot-no-force-reboot-in-production``: ``forceReboot`` is like pulling the power: data not
  yet on disk is lost. It is forbidden on production stacks (stack names matching ``prod*`` or
  ``production``, configurable as ``productionStacks``).
- ``ecsreboot-rolling-reboot-for-large-fleets``: a RebootTrigger over more than ``maxFleetSize``
  (default 10) instances must set ``maxUnavailable``, so the fleet is rebooted in waves instead of
  all at once, with at most ``maxUnavailableLimit`` (if configured) instances down at a time.

The stack name comes from the resource's URN (``urn:pulumi:<stack>::<project>::<type>::<name>``),
which every validation receives; both the plugin's resource (``ecsreboot:index:RebootTrigger``) and
the dynamic-provider variant (``pulumi-python:dynamic/ecsreboot:RebootTrigger``) are covered, as
their inputs have the same camelCase names.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    PolicyPack,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
)

REBOOT_TRIGGER_TYPES = frozenset({
    "ecsreboot:index:RebootTrigger",
    "pulumi-python:dynamic/ecsreboot:RebootTrigger",
})
DEFAULT_PRODUCTION_STACKS = ("prod*", "production")
DEFAULT_MAX_FLEET_SIZE = 10


def stack_of(urn: str) -> str:
    """The stack name of a URN. With Pulumi Cloud it is the bare name (no organization)."""
    head = urn.split("::", 1)[0]  # urn:pulumi:<stack>
    return head.split(":", 2)[2] if head.count(":") >= 2 else ""


def is_production(stack: str, patterns: Any) -> bool:
    name = stack.rsplit("/", 1)[-1].lower()
    return any(fnmatch.fnmatchcase(name, str(p).lower()) for p in patterns)


def _config(args: ResourceValidationArgs) -> Mapping[str, Any]:
    return args.get_config() or {}


def no_force_reboot_in_production(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type not in REBOOT_TRIGGER_TYPES:
        return
    patterns = _config(args).get("productionStacks") or DEFAULT_PRODUCTION_STACKS
    stack = stack_of(args.urn)
    if args.props.get("forceReboot") is True and is_production(stack, patterns):
        report_violation(
            f"RebootTrigger '{args.name}' sets forceReboot on the production stack '{stack}'. A forced reboot "
            "is like pulling the power (data not yet written to disk is lost): use a normal reboot in production.",
            None,
        )


def rolling_reboot_for_large_fleets(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type not in REBOOT_TRIGGER_TYPES:
        return
    config = _config(args)
    threshold = int(config.get("maxFleetSize", DEFAULT_MAX_FLEET_SIZE))
    instance_ids = args.props.get("instanceIds") or []
    if len(instance_ids) <= threshold:
        return
    max_unavailable = args.props.get("maxUnavailable")
    if max_unavailable is None:
        report_violation(
            f"RebootTrigger '{args.name}' reboots {len(instance_ids)} instances at once. Fleets of more than "
            f"{threshold} instances must set maxUnavailable, so they are rebooted in waves.",
            None,
        )
        return
    limit = config.get("maxUnavailableLimit")
    if limit is not None and max_unavailable > int(limit):
        report_violation(
            f"RebootTrigger '{args.name}' lets {max_unavailable:g} instances reboot at once; at most {limit} "
            "are allowed.",
            None,
        )


no_force_reboot_in_production_policy = ResourceValidationPolicy(
    name="ecsreboot-no-force-reboot-in-production",
    description="Forced ECS reboots (forceReboot) are not allowed on production stacks.",
    validate=no_force_reboot_in_production,
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=PolicyConfigSchema(properties={
        "productionStacks": {
            "type": "array", "items": {"type": "string"}, "default": list(DEFAULT_PRODUCTION_STACKS),
            "description": "Stack name patterns (fnmatch, case-insensitive) that count as production.",
        },
    }),
)

rolling_reboot_for_large_fleets_policy = ResourceValidationPolicy(
    name="ecsreboot-rolling-reboot-for-large-fleets",
    description="RebootTriggers over large fleets must reboot in waves (maxUnavailable).",
    validate=rolling_reboot_for_large_fleets,
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=PolicyConfigSchema(properties={
        "maxFleetSize": {
            "type": "integer", "minimum": 1, "default": DEFAULT_MAX_FLEET_SIZE,
            "description": "Fleets larger than this must set maxUnavailable.",
        },
        "maxUnavailableLimit": {
            "type": "integer", "minimum": 1,
            "description": "If set, the largest maxUnavailable allowed on such fleets.",
        },
    }),
)

POLICIES = [no_force_reboot_in_production_policy, rolling_reboot_for_large_fleets_policy]

if __name__ == "__main__":  # the policy host runs this file as __main__; importing it starts nothing
    PolicyPack(name="ecsreboot-gitops", policies=POLICIES, enforcement_level=EnforcementLevel.MANDATORY)
