"""Check: validate RebootTrigger inputs and fill defaults, one failure per bad property.

Works on domain values (Secret and UNKNOWN markers allowed anywhere): secret inputs are checked
by their content and stay wrapped; unknown values (preview) are not judged.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .health import field_problems, number_problem, url_problems
from .resource import HEALTH_CHECK_FIELDS, INPUTS, MAX_INSTANCE_IDS, Prop
from .selection import selector_problems
from .values import MAX_DEPTH, UNKNOWN, Secret, canonical, contains_secret, is_known, reveal, too_deep

INSTANCE_ID = re.compile(r"^i-[A-Za-z0-9]{1,64}$")
REGION_ID = re.compile(r"^[a-z]{2,}(-[a-z0-9]+)+$")


@dataclass(frozen=True)
class CheckFailure:
    """One bad property and why, in words a user can act on."""

    property: str
    reason: str


def check_inputs(
    news: Mapping[str, Any], *, default_region: str | Secret | None
) -> tuple[dict[str, Any], list[CheckFailure]]:
    """Validated inputs with defaults filled (``regionId`` from the provider), and the failures."""
    failures: list[CheckFailure] = []
    declared = {p.name: p for p in INPUTS}
    checked: dict[str, Any] = {}
    for key, value in news.items():
        if key.startswith("__"):
            checked[key] = value  # engine-internal keys travel through untouched
        elif key not in declared:
            failures.append(CheckFailure(key, f"unknown property {key!r}; RebootTrigger accepts "
                                              f"{', '.join(sorted(declared))}"))
        elif value is not None:
            checked[key] = value
    for prop in INPUTS:
        if prop.name not in checked:
            if prop.default is not None:
                checked[prop.name] = prop.default
            continue
        value = checked[prop.name]
        if too_deep(value):
            failures.append(CheckFailure(prop.name, f"is nested more than {MAX_DEPTH} levels deep "
                                                    f"(accepted: at most {MAX_DEPTH} levels of maps and lists)"))
            continue
        if not is_known(value):
            continue
        if prop.type in _OBJECT_CHECKERS:
            found, normalized = _OBJECT_CHECKERS[prop.type](reveal(value), contains_secret(value))
            failures.extend(found)
            if not found:  # one secret field makes the whole object secret: no field of it is shown anywhere
                checked[prop.name] = Secret(normalized) if contains_secret(value) else normalized
            continue
        reason, normalized = _CHECKERS[prop.type](prop, reveal(value), contains_secret(value))
        if reason:
            failures.append(CheckFailure(prop.name, reason))
        elif normalized is not None:
            checked[prop.name] = Secret(normalized) if isinstance(value, Secret) else normalized
    health, wait = checked.get("healthCheck"), checked.get("waitForRunning", True)
    if health is not None and is_known(health) and is_known(wait) and reveal(wait) is False:
        failures.append(CheckFailure("healthCheck", "needs waitForRunning: true: an instance is probed only once "
                                                    "it is Running again (remove healthCheck or waitForRunning)"))
    failures.extend(_check_targets(checked))
    if "regionId" not in checked:
        if default_region:
            checked["regionId"] = default_region
        else:
            failures.append(CheckFailure(
                "regionId", "no region: set regionId, the provider's `ecsreboot:region`, "
                            "or ALIBABA_CLOUD_REGION_ID"))
    return checked, failures


# Each checker returns (reason it is bad or None, normalized value or None). ``secret`` says the
# value is secret: then no reason may quote it.


def _show(value: Any, secret: bool) -> str:
    return "(a secret value)" if secret else repr(value)[:80]


def _check_string(prop: Prop, value: Any, secret: bool) -> tuple[str | None, Any]:
    if not isinstance(value, str):
        return f"must be a string, got {_kind(value)}", None
    if prop.name == "regionId" and not REGION_ID.fullmatch(value):
        return f"{_show(value, secret)} is not a region id (like cn-hangzhou)", None
    return None, None


def _check_bool(prop: Prop, value: Any, secret: bool) -> tuple[str | None, Any]:
    if not isinstance(value, bool):
        return f"must be true or false, got {_kind(value)}", None
    return None, None


def _check_integer(prop: Prop, value: Any, secret: bool) -> tuple[str | None, Any]:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return f"must be an integer, got {_kind(value)}", None
    if value != value or value in (float("inf"), float("-inf")) or int(value) != value:
        return f"must be a whole number, got {_show(value, secret)}", None
    if prop.minimum is not None and value < prop.minimum:
        return f"must be at least {prop.minimum:g}, got {_show(value, secret)}", None
    return None, int(value)


def _check_number(prop: Prop, value: Any, secret: bool) -> tuple[str | None, Any]:
    low = prop.minimum if prop.minimum is not None else 0.0
    reason = number_problem(value, low, positive=prop.positive, high=prop.maximum)
    if reason:
        return (reason.split(", got")[0] if secret else reason), None
    return None, float(value)


def _check_health(value: Any, secret: bool) -> tuple[list[CheckFailure], dict[str, Any]]:
    """Failures named ``healthCheck.<field>``, and the object with its defaults filled."""
    name = "healthCheck"
    if not isinstance(value, Mapping):
        return [CheckFailure(name, f"must be an object with at least `url`, got {_kind(value)}")], {}
    fields = {p.name: p for p in HEALTH_CHECK_FIELDS}
    failures = [CheckFailure(f"{name}.{k}", f"unknown field; healthCheck accepts {', '.join(fields)}")
                for k in value if k not in fields]
    url = value.get("url")
    if not isinstance(url, str) or not url:
        failures.append(CheckFailure(f"{name}.url", "required: an http://, https:// or tcp:// URL template like "
                                                    "http://{privateIp}:8080/healthz"))
    else:
        failures.extend(CheckFailure(f"{name}.url", r) for r in url_problems(url))
    for field, reason in field_problems(value):
        failures.append(CheckFailure(f"{name}.{field}", reason.split(", got")[0] if secret else reason))
    normalized = {k: v for k, v in value.items() if v is not None}
    for p in HEALTH_CHECK_FIELDS:
        if p.default is not None:
            normalized.setdefault(p.name, p.default)
    if not failures:
        for k in ("healthyThreshold", "unhealthyThreshold"):
            if k in normalized:
                normalized[k] = int(normalized[k])
        if "expectedStatus" in normalized:
            normalized["expectedStatus"] = [int(s) for s in normalized["expectedStatus"]]
    return failures, normalized


def _check_selector(value: Any, secret: bool) -> tuple[list[CheckFailure], dict[str, Any]]:
    """Failures named ``instanceSelector.<field>`` (the whole selector: ``instanceSelector``), and the object
    without null fields, ``maxInstances`` a whole number."""
    name = "instanceSelector"
    failures = [CheckFailure(f"{name}.{field}" if field else name, reason)
                for field, reason in selector_problems(value, secret=secret)]
    if failures:
        return failures, {}
    normalized = {k: v for k, v in value.items() if v is not None}
    if "maxInstances" in normalized:
        normalized["maxInstances"] = int(normalized["maxInstances"])
    return [], normalized


def _check_targets(checked: Mapping[str, Any]) -> list[CheckFailure]:
    """``instanceIds`` is required, and not empty, unless ``instanceSelector`` is given."""
    if "instanceSelector" in checked:
        return []
    if "instanceIds" not in checked:
        return [CheckFailure("instanceIds", "required: list the ECS instance ids to reboot, or select them with "
                                            "instanceSelector (tags, vpcId, ...)")]
    ids = checked["instanceIds"]
    if is_known(ids) and isinstance(reveal(ids), list) and not reveal(ids):
        return [CheckFailure("instanceIds", "must list at least one instance id (or select instances with "
                                            "instanceSelector)")]
    return []


def _check_enum(prop: Prop, value: Any, secret: bool) -> tuple[str | None, Any]:
    if value not in prop.choices:
        return f"must be one of {', '.join(prop.choices)}, got {_show(value, secret)}", None
    return None, None


def _check_triggers(prop: Prop, value: Any, secret: bool) -> tuple[str | None, Any]:
    if not isinstance(value, Mapping):
        return f"must be a map of keys to values, got {_kind(value)}", None
    return None, None


def _check_instance_ids(prop: Prop, value: Any, secret: bool) -> tuple[str | None, Any]:
    if not isinstance(value, list):
        return f"must be a list of instance ids, got {_kind(value)}", None
    if len(value) > MAX_INSTANCE_IDS:
        return f"lists {len(value)} instances; at most {MAX_INSTANCE_IDS} are accepted", None
    seen: set[str] = set()
    for i, item in enumerate(value):
        if item is UNKNOWN:
            continue
        if not isinstance(item, str):
            return f"item {i} must be a string, got {_kind(item)}", None
        if not INSTANCE_ID.fullmatch(item):
            return f"item {i} ({_show(item, secret)}) is not an ECS instance id (like i-bp67acfmxazb4p****)", None
        if item in seen:
            return f"lists {_show(item, secret)} more than once; each instance may appear once", None
        seen.add(item)
    return None, None


_OBJECT_CHECKERS = {
    "healthCheck": _check_health,
    "instanceSelector": _check_selector,
}

_CHECKERS = {
    "string": _check_string,
    "boolean": _check_bool,
    "integer": _check_integer,
    "number": _check_number,
    "enum": _check_enum,
    "any{}": _check_triggers,
    "string[]": _check_instance_ids,
}


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, list):
        return "a list"
    return type(value).__name__


#: The key reported when the whole triggers map is unknown during preview.
ALL_TRIGGERS = "*"


def trigger_changes(old: Any, new: Any) -> dict[str, str]:
    """Per trigger key: ``"add"``, ``"delete"`` or ``"update"``. Null counts as absent; an unknown
    new value is a change; values compare by content and type; secretness alone is no change.

    ``old``/``new`` are the triggers maps (possibly Secret-wrapped, or None). A wholly unknown
    ``new`` map yields ``{ALL_TRIGGERS: "update"}``.
    """
    if new is UNKNOWN:
        return {ALL_TRIGGERS: "update"}
    old = old.value if isinstance(old, Secret) else (old or {})
    new = new.value if isinstance(new, Secret) else (new or {})
    if not isinstance(old, Mapping):
        old = {}
    if not isinstance(new, Mapping):
        return {ALL_TRIGGERS: "update"}

    def present(m: Mapping[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in m.items() if reveal(v) is not None}

    before, after = present(old), present(new)
    changes: dict[str, str] = {}
    for key in sorted(before.keys() | after.keys()):
        if key not in after:
            changes[key] = "delete"
        elif key not in before:
            changes[key] = "add"
        elif not is_known(after[key]) or canonical(before[key]) != canonical(after[key]):
            changes[key] = "update"
    return changes
