"""The ECS operations this project uses, as data.

The client builds requests from this table and reads replies along its result paths; the emulator
validates requests with it (once, in its request layer: ``emulator/responses.py``) and shapes its
answers by it; error answers take their HTTP status from it; a RAM denial names the table's RAM action;
the schema and validation read its limits. Names keep the API's own spellings.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from .errors import ApiError, InvalidParameter

API_VERSION = "2014-05-26"

ParamKind = Literal["string", "boolean", "integer", "enum", "repeat_list", "json_list", "tag_list"]


@dataclass(frozen=True)
class Param:
    """One request parameter.

    ``repeat_list`` travels as ``Name.1``, ``Name.2``... ; ``json_list`` as one JSON array string;
    ``tag_list`` (typed: a list of ``{"Key": k, "Value": v}``, ``Value`` optional) as ``Name.N.Key`` and
    ``Name.N.Value``. For lists ``lo``/``hi`` bound the item count, for integers the value.
    """

    name: str
    kind: ParamKind
    required: bool = False
    lo: int | None = None
    hi: int | None = None
    choices: tuple[str, ...] = ()
    default: Any = None
    #: the code the service answers when a list of instance ids is longer than ``hi``, where it has one of
    #: its own (RebootInstances: ``InvalidParameter.TooManyInstanceIds``); else ``InvalidParameter``
    too_many: str | None = None


@dataclass(frozen=True)
class Operation:
    """One API action: parameters, documented errors (code -> HTTP status), retry safety, the RAM action
    that allows it, and where its success reply lists its items."""

    action: str
    params: tuple[Param, ...]
    errors: Mapping[str, int]
    #: True when repeating the call cannot do harm (Describe*). Reboots are not: see ecs/client.py.
    retry_safe: bool
    #: what a RAM policy must allow for this call (ECS authorizes each action on its own); a RAM denial names it
    ram_action: str
    version: str = API_VERSION
    #: where a success reply lists its items, as (container, item) keys: ``{"Instances": {"Instance":
    #: [...]}}`` is ``("Instances", "Instance")``; ``()`` when the reply carries only its RequestId
    result_path: tuple[str, ...] = ()
    #: served by the emulator, never sent by ecsreboot's client: for the official SDKs and users' own
    #: scripts run against the emulator
    emulator_only: bool = False
    #: the error code with which a DryRun that found nothing wrong answers (the API reports a passing
    #: dry run as an error); None for an operation without DryRun
    dry_run_passed: str | None = None

    def param(self, name: str) -> Param:
        for p in self.params:
            if p.name == name:
                return p
        raise KeyError(name)

    def results(self, reply: Mapping[str, Any]) -> list[dict[str, Any]]:
        """The items a success reply lists along ``result_path``: only the JSON objects among them, and
        ``[]`` when the path is missing or does not end in a list (a reply that lists nothing)."""
        node: Any = reply
        for key in self.result_path:
            node = node.get(key) if isinstance(node, Mapping) else None
        if not self.result_path or not isinstance(node, list):
            return []
        return [item for item in node if isinstance(item, dict)]

    def listing(self, items: Sequence[Any]) -> dict[str, Any]:
        """A success body that lists ``items`` along ``result_path``, as the service nests them.

        Raises ValueError for an operation whose reply lists nothing.
        """
        if not self.result_path:
            raise ValueError(f"a {self.action} reply lists no items")
        body: Any = list(items)
        for key in reversed(self.result_path):
            body = {key: body}
        return dict(body)


#: Errors any operation can answer (the common error codes of the ECS API reference).
COMMON_ERRORS: Mapping[str, int] = {
    "MissingParameter": 400,
    "InvalidParameter": 400,
    "SignatureDoesNotMatch": 400,
    "IncompleteSignature": 400,
    "SignatureNonceUsed": 400,
    "IllegalTimestamp": 400,
    "InvalidAccessKeyId.NotFound": 404,
    "InvalidSecurityToken.Expired": 400,
    "InvalidSecurityToken.Malformed": 400,
    "Throttling": 400,
    "Throttling.User": 400,
    "Throttling.Api": 400,
    "Forbidden.RAM": 403,
    "NoPermission": 403,
    "Forbidden.Unauthorized": 403,
    "Forbidden.SubUser": 403,
    "Forbidden.AccessKeyDisabled": 403,
    "Forbidden.RiskControl": 403,
    "InvalidAction.NotFound": 404,
    "ServiceUnavailable": 503,
    "InternalError": 500,
    "UnknownError": 400,
}

#: The codes with which the service refuses a call that the caller's RAM policy does not allow: the
#: fix is a grant of the operation's ``ram_action``, which ``permission_hint`` names.
RAM_DENIALS: frozenset[str] = frozenset(
    {"Forbidden.RAM", "NoPermission", "Forbidden.Unauthorized", "Forbidden.SubUser"})

_REBOOT_ERRORS: Mapping[str, int] = {
    "InvalidInstanceId.NotFound": 404,
    "IncorrectInstanceStatus": 403,
    "InstanceLockedForSecurity": 403,
    "InstanceExpiredOrInArrears": 403,
    "InsufficientBalance": 403,
    "InvalidOperation.Conflict": 409,
    "LimitedOperation.ServiceUnavailable": 503,
}

MAX_INSTANCES_PER_CALL = 100
#: DescribeInstances filters on ``Tag.N`` for N = 1..20
MAX_TAG_FILTERS = 20
DESCRIBE_STATUS_PAGE_MAX = 50
DESCRIBE_INSTANCES_PAGE_MAX = 100

OPERATIONS: Mapping[str, Operation] = {
    op.action: op
    for op in (
        Operation(
            action="RebootInstances",
            params=(
                Param("RegionId", "string", required=True),
                Param("InstanceId", "repeat_list", required=True, lo=1, hi=MAX_INSTANCES_PER_CALL,
                      too_many="InvalidParameter.TooManyInstanceIds"),
                Param("ForceReboot", "boolean", default=False),
                Param("DryRun", "boolean", default=False),
                Param(
                    "BatchOptimization",
                    "enum",
                    choices=("AllTogether", "SuccessFirst"),
                    default="AllTogether",
                ),
            ),
            errors={
                **_REBOOT_ERRORS,
                "InvalidInstanceIds.NotFound": 404,
                "Abs.InvalidInstanceIds.MalFormed": 403,
                "InvalidParameter.TooManyInstanceIds": 403,
                "InstanceNotReady": 403,
                "DRYRUN.SUCCESS": 400,
            },
            retry_safe=False,
            ram_action="ecs:RebootInstances",
            dry_run_passed="DRYRUN.SUCCESS",
            result_path=("InstanceResponses", "InstanceResponse"),
        ),
        Operation(
            action="RebootInstance",
            params=(
                Param("InstanceId", "string", required=True),
                Param("ForceStop", "boolean", default=False),
                Param("DryRun", "boolean", default=False),
            ),
            errors={**_REBOOT_ERRORS, "DiskError": 403, "DryRunOperation": 400},
            retry_safe=False,
            ram_action="ecs:RebootInstance",
            dry_run_passed="DryRunOperation",
        ),
        Operation(
            action="DescribeInstanceStatus",
            params=(
                Param("RegionId", "string", required=True),
                Param("InstanceId", "repeat_list", lo=1, hi=MAX_INSTANCES_PER_CALL),
                Param("ZoneId", "string"),
                Param("PageNumber", "integer", lo=1, default=1),
                Param("PageSize", "integer", lo=1, hi=DESCRIBE_STATUS_PAGE_MAX, default=10),
            ),
            errors={},
            retry_safe=True,
            ram_action="ecs:DescribeInstanceStatus",
            result_path=("InstanceStatuses", "InstanceStatus"),
            # The official SDKs' way to wait (tests/component/test_official_sdks.py, the benchmark's
            # baseline script); the client waits with DescribeInstances, whose records carry
            # OperationLocks and StartTime too.
            emulator_only=True,
        ),
        Operation(
            action="DescribeInstances",
            params=(
                Param("RegionId", "string", required=True),
                Param("InstanceIds", "json_list", lo=1, hi=MAX_INSTANCES_PER_CALL),
                Param("Status", "enum", choices=("Pending", "Running", "Starting", "Stopping", "Stopped")),
                Param("PageNumber", "integer", lo=1, default=1),
                Param("PageSize", "integer", lo=1, hi=DESCRIBE_INSTANCES_PAGE_MAX, default=10),
                Param("MaxResults", "integer", lo=1, hi=DESCRIBE_INSTANCES_PAGE_MAX),
                Param("NextToken", "string"),
                # the filters an instanceSelector sends (each given one must match; tags without Value: any value)
                Param("Tag", "tag_list", lo=1, hi=MAX_TAG_FILTERS),
                Param("VpcId", "string"),
                Param("VSwitchId", "string"),
                Param("ZoneId", "string"),
                Param("ResourceGroupId", "string"),
                Param("InstanceName", "string"),
                # checks the caller's permission only: a caller without it is listed no instance, not refused
                Param("DryRun", "boolean", default=False),
            ),
            errors={"DryRunOperation": 400},
            retry_safe=True,
            ram_action="ecs:DescribeInstances",
            result_path=("Instances", "Instance"),
            dry_run_passed="DryRunOperation",
        ),
    )
}


def http_status_of(action: str, code: str) -> int:
    """The documented HTTP status of an error code for an action (400 if undocumented)."""
    op = OPERATIONS.get(action)
    if op is not None and code in op.errors:
        return op.errors[code]
    return COMMON_ERRORS.get(code, 400)


def permission_hint(action: str, code: str) -> str:
    """What to grant when ``code`` refuses ``action`` for want of a RAM permission; "" for any other answer."""
    op = OPERATIONS.get(action)
    if op is None or code not in RAM_DENIALS:
        return ""
    return f"the RAM policy of these credentials must allow {op.ram_action}"


# --- wire encoding ------------------------------------------------------------------------------


def encode_params(op: Operation, values: Mapping[str, Any]) -> dict[str, str]:
    """Typed values (keyed by API names) -> wire parameters. Omits None; validates against the table.

    Raises InvalidParameter (never a KeyError/TypeError) so the client reports bad input clearly.
    """
    out: dict[str, str] = {}
    for name, value in values.items():
        try:
            p = op.param(name)
        except KeyError:
            raise _bad(op, "InvalidParameter", f"{op.action} takes no parameter {name}") from None
        if value is None:
            continue
        if p.kind == "repeat_list":
            items = _as_list(op, p, value)
            for i, item in enumerate(items, start=1):
                out[f"{name}.{i}"] = item
        elif p.kind == "tag_list":
            for i, (key, tag_value) in enumerate(_as_tags(op, p, value), start=1):
                out[f"{name}.{i}.Key"] = key
                if tag_value is not None:
                    out[f"{name}.{i}.Value"] = tag_value
        elif p.kind == "json_list":
            out[name] = json.dumps(_as_list(op, p, value), separators=(",", ":"))
        elif p.kind == "boolean":
            if not isinstance(value, bool):
                raise _bad(op, "InvalidParameter", f"{name} must be a boolean")
            out[name] = "true" if value else "false"
        elif p.kind == "integer":
            if not isinstance(value, int) or isinstance(value, bool):
                raise _bad(op, "InvalidParameter", f"{name} must be an integer")
            _check_range(op, p, value, value)
            out[name] = str(value)
        else:
            s = str(value)
            if p.kind == "enum" and s not in p.choices:
                raise _bad(op, "InvalidParameter", f"{name} must be one of {', '.join(p.choices)}")
            out[name] = s
    _check_required(op, out)
    return out


def decode_params(op: Operation, raw: Mapping[str, str]) -> dict[str, Any]:
    """Wire parameters -> typed values, as the service would validate them.

    Unknown parameters (common ones like Format, and anything else) are ignored, as the service does.
    Booleans are parsed case-insensitively (both official SDKs send ``True``/``False``).
    """
    values: dict[str, Any] = {}
    for p in op.params:
        if p.kind == "repeat_list":
            items = _collect_repeat(op, p, raw)
            if items:
                _check_range(op, p, len(items), items)
                values[p.name] = items
        elif p.kind == "tag_list":
            tags = _collect_tags(op, p, raw)
            if tags:
                values[p.name] = tags
        elif p.name in raw:
            values[p.name] = _decode_scalar(op, p, raw[p.name])
        elif p.default is not None:
            values[p.name] = p.default
    for p in op.params:
        if p.required and p.name not in values:
            raise _bad(op, "MissingParameter", f"The input parameter \"{p.name}\" that is mandatory for "
                       "processing this request is not supplied.")
    return values


def _decode_scalar(op: Operation, p: Param, text: str) -> Any:
    if p.kind == "boolean":
        low = text.strip().lower()
        if low not in ("true", "false"):
            raise _bad(op, "InvalidParameter", f"The specified parameter \"{p.name}\" is not valid.")
        return low == "true"
    if p.kind == "integer":
        try:
            n = int(text)
        except ValueError:
            raise _bad(op, "InvalidParameter", f"The specified parameter \"{p.name}\" is not valid.") from None
        _check_range(op, p, n, n)
        return n
    if p.kind == "enum":
        if text not in p.choices:
            raise _bad(op, "InvalidParameter", f"The specified parameter \"{p.name}\" is not valid.")
        return text
    if p.kind == "json_list":
        try:
            items = json.loads(text)
        except ValueError:
            items = None
        if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
            raise _bad(op, "InvalidParameter", f"The specified parameter \"{p.name}\" is not a JSON array.")
        _check_range(op, p, len(items), items)
        return items
    if p.required and not text:
        raise _bad(op, "MissingParameter", f"The input parameter \"{p.name}\" that is mandatory for "
                   "processing this request is not supplied.")
    return text


def _collect_repeat(op: Operation, p: Param, raw: Mapping[str, str]) -> list[str]:
    prefix = p.name + "."
    indexed: dict[int, str] = {}
    for key, value in raw.items():
        if key.startswith(prefix):
            suffix = key[len(prefix):]
            if not suffix.isdigit() or int(suffix) < 1:
                raise _bad(op, "InvalidParameter", f"The specified parameter \"{key}\" is not valid.")
            indexed[int(suffix)] = value
    return [indexed[i] for i in sorted(indexed)]


def _collect_tags(op: Operation, p: Param, raw: Mapping[str, str]) -> list[dict[str, str]]:
    """``Tag.N.Key`` / ``Tag.N.Value`` -> ``[{"Key": k, "Value": v}, ...]`` in order of N (no ``Value`` when
    none was sent). A value without its key, an empty key or an N out of range is refused."""
    prefix = p.name + "."
    found: dict[int, dict[str, str]] = {}
    for key, value in raw.items():
        if not key.startswith(prefix):
            continue
        number, _, part = key[len(prefix):].partition(".")
        if not number.isdigit() or part not in ("Key", "Value") or not 1 <= int(number) <= (p.hi or int(number)):
            raise _bad(op, "InvalidParameter", f"The specified parameter \"{key}\" is not valid.")
        found.setdefault(int(number), {})[part] = value
    for n, tag in found.items():
        if not tag.get("Key"):
            raise _bad(op, "InvalidParameter", f"The specified parameter \"{prefix}{n}.Key\" is not valid: "
                       "a tag needs a non-empty key.")
    return [found[i] for i in sorted(found)]


def _as_tags(op: Operation, p: Param, value: Any) -> list[tuple[str, str | None]]:
    if isinstance(value, str | Mapping) or not isinstance(value, Sequence):
        raise _bad(op, "InvalidParameter", f"{p.name} must be a list of {{Key, Value}} objects")
    tags: list[tuple[str, str | None]] = []
    for item in value:
        key = item.get("Key") if isinstance(item, Mapping) else None
        if not isinstance(key, str) or not key:
            raise _bad(op, "InvalidParameter", f"each {p.name} needs a non-empty Key")
        tag_value = item.get("Value")
        tags.append((key, None if tag_value is None else str(tag_value)))
    _check_range(op, p, len(tags), tags)
    return tags


def _as_list(op: Operation, p: Param, value: Any) -> list[str]:
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise _bad(op, "InvalidParameter", f"{p.name} must be a list of strings")
    items = [str(v) for v in value]
    _check_range(op, p, len(items), items)
    return items


def _check_range(op: Operation, p: Param, n: int, shown: Any) -> None:
    if (p.lo is not None and n < p.lo) or (p.hi is not None and n > p.hi):
        if p.too_many is not None and p.hi is not None and n > p.hi:
            raise _bad(op, p.too_many, f"The number of instance IDs exceeds the upper limit of {p.hi}.")
        bounds = f"{p.lo if p.lo is not None else '-'}..{p.hi if p.hi is not None else '-'}"
        what = "item count" if p.kind in ("repeat_list", "json_list") else "value"
        raise _bad(op, "InvalidParameter", f"The specified parameter \"{p.name}\" is not valid: "
                   f"{what} {n} outside {bounds}.")


def _check_required(op: Operation, wire: Mapping[str, str]) -> None:
    for p in op.params:
        if not p.required:
            continue
        present = any(k.startswith(p.name + ".") for k in wire) if p.kind in ("repeat_list", "tag_list") \
            else p.name in wire
        if not present:
            raise _bad(op, "MissingParameter", f"{op.action} needs {p.name}")


def _bad(op: Operation, code: str, message: str) -> ApiError:
    return InvalidParameter(code, message, "", http_status_of(op.action, code), action=op.action)
