"""The one declaration of the RebootTrigger resource and the provider configuration.

It feeds three consumers: the package schema (adapter/schema.py), Check's validation and
defaults (core/checks.py), and the generated SDK (through schema.json). Wire names are camelCase.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from .health import MAX_SECONDS
from .model import BATCH_OPTIMIZATIONS, REBOOT_APIS
from .operations import MAX_INSTANCES_PER_CALL
from .selection import FILTER_LISTING_CAP, MAX_NAME_LENGTH, MAX_TAG_LENGTH, MAX_TAGS

PropType = Literal["string", "boolean", "integer", "number", "string[]", "integer[]", "any{}", "string{}", "enum",
                   "results", "healthCheck", "instanceSelector"]

PACKAGE = "ecsreboot"
RESOURCE_TOKEN = "ecsreboot:index:RebootTrigger"
PROVIDER_TOKEN = "pulumi:providers:ecsreboot"
BATCH_OPTIMIZATION_TOKEN = "ecsreboot:index:BatchOptimization"
REBOOT_API_TOKEN = "ecsreboot:index:RebootApi"
SIGNATURE_VERSION_TOKEN = "ecsreboot:index:SignatureVersion"
RESULT_TOKEN = "ecsreboot:index:InstanceResult"
HEALTH_CHECK_TOKEN = "ecsreboot:index:HealthCheck"
INSTANCE_SELECTOR_TOKEN = "ecsreboot:index:InstanceSelector"

#: The most instances one resource accepts; far beyond any fleet, it stops runaway lists early.
MAX_INSTANCE_IDS = 100_000
DEFAULT_TIMEOUT_SECONDS = 600.0
#: Accepted ranges of the numeric provider settings: beyond them a value passes Check only to fail
#: later (a timeout no socket accepts, a rate so low its first wait overflows a timer).
MAX_REQUEST_TIMEOUT = 3600.0
REQUESTS_PER_SECOND_RANGE = (0.01, 1_000_000.0)
MAX_RETRIES = 100


@dataclass(frozen=True)
class Prop:
    """One property: its wire name, type, default and documentation."""

    name: str
    type: PropType
    description: str
    required: bool = False
    default: Any = None
    #: the enum type token, for ``type == "enum"``
    enum_token: str = ""
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    #: exclusive lower bound (for timeouts and rates, which must be > 0)
    positive: bool = False
    secret: bool = False
    #: environment variables read when the property is unset, first found wins
    env: tuple[str, ...] = ()
    #: Check fills it from the provider's configuration when unset (``regionId`` from ``region``)
    from_provider: bool = False


INPUTS: tuple[Prop, ...] = (
    Prop("instanceIds", "string[]",
         description=f"The ECS instances to reboot (no duplicates). Any number is accepted; they are sent at most "
                     f"{MAX_INSTANCES_PER_CALL} per API call. Required (at least one) unless `instanceSelector` is "
                     f"given; with both, the union is rebooted."),
    Prop("regionId", "string", from_provider=True,
         description="The region of the instances, e.g. `cn-hangzhou`. Defaults to the provider's `region`."),
    Prop("triggers", "any{}", default={},
         description="Arbitrary keys whose change reboots the instances: a reboot happens when any entry is "
                     "added, removed or changed. Values compare by content and type (`\"1\"` and `1` differ); "
                     "a key whose value is null counts as absent; a change of secretness alone is no change. "
                     "Secret values stay secret."),
    Prop("forceReboot", "boolean", default=False,
         description="Force the reboot (`ForceReboot` of RebootInstances, `ForceStop` of RebootInstance): "
                     "like pulling the power, data not yet written to disk can be lost."),
    Prop("batchOptimization", "enum", default="AllTogether", enum_token=BATCH_OPTIMIZATION_TOKEN,
         choices=BATCH_OPTIMIZATIONS,
         description="The batch mode of RebootInstances. `AllTogether`: if any instance fails validation, "
                     "no instance of that call is rebooted. `SuccessFirst`: each instance is rebooted on its "
                     "own, and failures are reported per instance in `failedInstanceIds`."),
    Prop("rebootApi", "enum", default="RebootInstances", enum_token=REBOOT_API_TOKEN, choices=REBOOT_APIS,
         description="`RebootInstances` (batch API, up to 100 instances per call) or `RebootInstance` (one "
                     "call per instance, for RAM policies that grant only `ecs:RebootInstance`). With "
                     "`RebootInstance`, no RebootInstances call is made at all, dry runs included."),
    Prop("dryRun", "boolean", default=False,
         description="Never reboot: every would-be reboot is only checked with the API's DryRun, and the "
                     "verdicts are recorded in `results`."),
    Prop("rebootOnCreate", "boolean", default=True,
         description="Reboot when the resource is first created. Set false to adopt running instances "
                     "and reboot them only on the next trigger change."),
    Prop("waitForRunning", "boolean", default=True,
         description="After rebooting, wait until every rebooted instance is `Running` again, bounded by the "
                     "resource's customTimeouts (create/update; default 10 minutes)."),
    Prop("maxUnavailable", "integer", minimum=1,
         description="Rolling reboot: at most this many instances reboot at once; the next wave starts when the "
                     "previous one is Running again (and healthy, with `healthCheck`). Instances that failed their "
                     "health check count as unavailable, so they shrink later waves. Unset: all instances in one "
                     "wave."),
    Prop("healthCheck", "healthCheck",
         description="After an instance is `Running` again, probe it until healthy; a wave is done only when all its "
                     "instances are healthy (or failed), and only then does the next wave start. Failed instances "
                     "get the code `HealthCheckFailed` and stay in `failedInstanceIds`. Needs `waitForRunning: "
                     "true`. Probes go from where `pulumi up` runs. The URL's user-info and query string are never "
                     "logged."),
    Prop("maxFailures", "integer", minimum=0,
         description="Once more than this many instances of a round have failed (reboot refused, not Running again, "
                     "or unhealthy), no further wave starts: the remaining instances get `NotAttempted` and stay in "
                     "`failedInstanceIds`. Unset: no limit."),
    Prop("pauseBetweenWaves", "number", minimum=0, maximum=MAX_SECONDS,
         description="Seconds to soak after a wave is done (and healthy) before the next wave starts. Default 0."),
    Prop("instanceSelector", "instanceSelector",
         description="Select the instances by tags and filters instead of (or besides) listing them: resolved with "
                     "DescribeInstances at every round, preview included (which says how many instances would be "
                     "rebooted and dry-runs exactly those). With `instanceIds` too, the union is rebooted. A "
                     "selection that matches no instance, or more than `maxInstances`, fails the round before any "
                     "reboot. A change of the selection's members alone reboots nothing; a failed instance that "
                     "left the selection is dropped from `failedInstanceIds`, never rebooted."),
)

HEALTH_CHECK_FIELDS: tuple[Prop, ...] = (
    Prop("url", "string", required=True,
         description="`http://`, `https://` or `tcp://` URL template with placeholders `{instanceId}`, `{privateIp}` "
                     "(the first VPC private IP, or the classic network's inner IP) and `{publicIp}` (the public IP "
                     "or the EIP), filled from DescribeInstances. HTTPS certificates are not verified (instances are "
                     "reached by address, as load balancers do)."),
    Prop("expectedStatus", "integer[]",
         description="HTTP statuses that count as healthy (HTTP only). Default: any of 200-399."),
    Prop("timeoutSeconds", "number", default=5.0, positive=True, maximum=MAX_SECONDS,
         description="One probe's time limit in seconds."),
    Prop("intervalSeconds", "number", default=5.0, positive=True, maximum=MAX_SECONDS,
         description="Seconds between the starts of two probes of one instance."),
    Prop("healthyThreshold", "integer", default=1, minimum=1,
         description="Consecutive successful probes needed to count as healthy."),
    Prop("unhealthyThreshold", "integer", minimum=1,
         description="Consecutive failed probes that fail the instance at once. Unset: keep probing until the "
                     "round's deadline (customTimeouts)."),
    Prop("initialDelaySeconds", "number", default=0.0, minimum=0, maximum=MAX_SECONDS,
         description="Seconds to wait after the instance is `Running` again before its first probe."),
)


INSTANCE_SELECTOR_FIELDS: tuple[Prop, ...] = (
    Prop("tags", "string{}",
         description=f"Every tag must be present with this value; an empty value matches any value of the key. At "
                     f"most {MAX_TAGS} tags (keys and values up to {MAX_TAG_LENGTH} characters). DescribeInstances "
                     f"lists at most {FILTER_LISTING_CAP:,} instances for a tag filter."),
    Prop("vpcId", "string", description="Only instances in this VPC (`vpc-...`)."),
    Prop("vSwitchId", "string", description="Only instances in this vSwitch (`vsw-...`)."),
    Prop("zoneId", "string", description="Only instances in this zone, e.g. `cn-hangzhou-h`."),
    Prop("resourceGroupId", "string",
         description=f"Only instances of this resource group (`rg-...`; DescribeInstances cannot filter by the "
                     f"default group, and lists at most {FILTER_LISTING_CAP:,} instances for this filter)."),
    Prop("instanceName", "string",
         description=f"Only instances with this name; `*` is a wildcard (`web-*`). At most {MAX_NAME_LENGTH} "
                     f"characters; `*` alone selects every instance of the region."),
    Prop("maxInstances", "integer", minimum=1,
         description="Blast-radius guard: a selection larger than this fails the round before any reboot "
                     "(`instanceIds` listed besides the selector are not counted)."),
)


def _result_type() -> dict[str, Any]:
    fields = {
        "instanceId": "The instance.",
        "code": "The API's code for this instance: `\"200\"` for success, else the error code.",
        "message": "The API's message for this instance.",
        "previousStatus": "The status before the reboot call, as the API reported it.",
        "currentStatus": "The status right after the reboot call, as the API reported it.",
    }
    return {
        "type": "object",
        "description": "The outcome of one instance in the last reboot round.",
        "properties": {k: {"type": "string", "description": v} for k, v in fields.items()},
        "required": list(fields),
    }


OUTPUTS: tuple[Prop, ...] = (
    Prop("rebootCount", "integer", required=True,
         description="Reboot rounds done over the resource's life."),
    Prop("lastRebootTime", "string",
         description="When the last round finished (RFC 3339, UTC)."),
    Prop("results", "results", required=True,
         description="The per-instance outcome of the last round, as the API reported it."),
    Prop("requestIds", "string[]", required=True,
         description="The API RequestIds of the last round, for support tickets."),
    Prop("failedInstanceIds", "string[]", required=True,
         description="Instances of the current trigger generation not yet rebooted successfully; the next "
                     "`pulumi up` retries only these."),
    Prop("selectedInstanceIds", "string[]", required=True,
         description="The instances the last round was chosen from: `instanceIds` together with what "
                     "`instanceSelector` matched (resolved only when a round runs; kept from the last round "
                     "otherwise)."),
)

SIGNATURE_VERSIONS: tuple[str, ...] = ("v1", "v3")

CONFIG: tuple[Prop, ...] = (
    Prop("region", "string", env=("ALIBABA_CLOUD_REGION_ID", "ALICLOUD_REGION"),
         description="The default region of RebootTrigger resources."),
    Prop("accessKey", "string", secret=True, env=("ALIBABA_CLOUD_ACCESS_KEY_ID", "ALICLOUD_ACCESS_KEY"),
         description="The access key id. Prefer the environment, a profile or a RAM role."),
    Prop("secretKey", "string", secret=True,
         env=("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "ALICLOUD_SECRET_KEY"),
         description="The access key secret."),
    Prop("securityToken", "string", secret=True,
         env=("ALIBABA_CLOUD_SECURITY_TOKEN", "ALICLOUD_SECURITY_TOKEN"),
         description="The STS token of temporary credentials."),
    Prop("profile", "string", env=("ALIBABA_CLOUD_PROFILE", "ALICLOUD_PROFILE"),
         description="A profile of `~/.aliyun/config.json` (the aliyun CLI's file)."),
    Prop("endpoint", "string", env=("ECSREBOOT_ENDPOINT",),
         description="Overrides the ECS endpoint URL, e.g. `http://127.0.0.1:8787` for the emulator. "
                     "Plain HTTP is used only when set here explicitly."),
    Prop("signatureVersion", "enum", default="v3", enum_token=SIGNATURE_VERSION_TOKEN,
         choices=SIGNATURE_VERSIONS,
         description="`v3` (ACS3-HMAC-SHA256, the default) or `v1` (the HMAC-SHA1 RPC signature)."),
    Prop("maxRetries", "integer", default=5, minimum=0, maximum=MAX_RETRIES,
         description="Retries of throttled and transient failures per request."),
    Prop("requestTimeout", "number", default=10.0, positive=True, maximum=MAX_REQUEST_TIMEOUT,
         description="Seconds to wait for one API answer."),
    Prop("maxRequestsPerSecond", "number", positive=True, minimum=REQUESTS_PER_SECOND_RANGE[0],
         maximum=REQUESTS_PER_SECOND_RANGE[1],
         description="Client-side rate limit shared by all resources of one plugin process."),
)

ENUM_DESCRIPTIONS: dict[str, tuple[str, dict[str, str]]] = {
    BATCH_OPTIMIZATION_TOKEN: ("The batch mode of RebootInstances.", {
        "AllTogether": "If any instance fails validation, no instance of the call is rebooted.",
        "SuccessFirst": "Each instance is rebooted on its own; results are per instance.",
    }),
    REBOOT_API_TOKEN: ("Which ECS API reboots the instances.", {
        "RebootInstances": "The batch API, up to 100 instances per call.",
        "RebootInstance": "One call per instance.",
    }),
    SIGNATURE_VERSION_TOKEN: ("The request signature version.", {
        "v1": "HMAC-SHA1 RPC signature.",
        "v3": "ACS3-HMAC-SHA256 signature.",
    }),
}


def result_type_spec() -> dict[str, Any]:
    """The object type of one ``results`` entry."""
    return _result_type()


@dataclass(frozen=True)
class ObjectType:
    """An input whose value is an object with fields of its own (``healthCheck``, ``instanceSelector``): its
    type token and description, and its fields, declared as ``Prop`` like every other property."""

    token: str
    description: str
    fields: tuple[Prop, ...]


#: the object-typed inputs, by their Prop type: what schema generators need to declare them
OBJECT_TYPES: dict[str, ObjectType] = {
    "healthCheck": ObjectType(HEALTH_CHECK_TOKEN, "How to probe an instance once it is Running again.",
                              HEALTH_CHECK_FIELDS),
    "instanceSelector": ObjectType(
        INSTANCE_SELECTOR_TOKEN, "Which instances to select, as DescribeInstances filters them: every given field "
                                 "must match. At least one of tags, vpcId, vSwitchId, zoneId, resourceGroupId or "
                                 "instanceName.", INSTANCE_SELECTOR_FIELDS),
}


def fields_of(prop: Prop) -> tuple[Prop, ...]:
    """The fields of an object-typed property (a nested type in schema.json, a nested block for OpenTofu); ()
    for any other."""
    kind = OBJECT_TYPES.get(prop.type)
    return kind.fields if kind is not None else ()


def object_type_spec(prop_type: str) -> dict[str, Any]:
    """The object type of an object-typed input (its property specs come from the adapter's schema code)."""
    kind = OBJECT_TYPES[prop_type]
    return {"type": "object", "description": kind.description, "required": [p.name for p in kind.fields if p.required]}


def input_names() -> tuple[str, ...]:
    return tuple(p.name for p in INPUTS)
