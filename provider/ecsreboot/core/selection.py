"""Selecting instances by tags and filters (the ``instanceSelector`` input), as values.

Stdlib only and no I/O: the listing itself is ``ecs/selection.py``. A ``Selector`` is what DescribeInstances
filters on -- every given field must match, as the API ANDs its filters -- plus ``maxInstances``, the
blast-radius guard. It turns into the API's parameters (``params``), and it can tell whether a record the API
listed really fits it (``mismatch``): a filter the service ignored (a misspelled parameter is ignored, not
refused) must never widen a reboot to the whole region.

``instanceName`` takes the API's ``*`` wildcard (any run of characters, none included); every other character
stands for itself. A tag given with an empty value matches any value of that key.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

#: DescribeInstances takes ``Tag.N`` for N = 1..20
MAX_TAGS = 20
#: the longest tag key, tag value and instance name ECS accepts
MAX_TAG_LENGTH = 128
MAX_NAME_LENGTH = 128
#: DescribeInstances lists at most this many instances for a tag or resource group filter (the API
#: reference: "the number of resources ... cannot exceed 1,000"); a selection that reaches it may be cut short
FILTER_LISTING_CAP = 1000

#: the selector's fields that filter (``maxInstances`` only guards), in the order they are shown
FILTER_FIELDS: tuple[str, ...] = ("tags", "vpcId", "vSwitchId", "zoneId", "resourceGroupId", "instanceName")
#: each id filter: its DescribeInstances parameter, and the prefix every id of its kind starts with
_ID_FILTERS: Mapping[str, tuple[str, str]] = {
    "vpcId": ("VpcId", "vpc-"),
    "vSwitchId": ("VSwitchId", "vsw-"),
    "resourceGroupId": ("ResourceGroupId", "rg-"),
}
_ZONE_ID = re.compile(r"^[a-z]{2,}(-[a-z0-9]+)+$")


@dataclass(frozen=True)
class Selector:
    """A checked ``instanceSelector``. ``tags`` are (key, value) pairs, value ``""`` for any value.
    ``secret``: the selector was given as a secret, so no message shows its values."""

    tags: tuple[tuple[str, str], ...] = ()
    vpc_id: str = ""
    v_switch_id: str = ""
    zone_id: str = ""
    resource_group_id: str = ""
    instance_name: str = ""
    max_instances: int | None = None
    secret: bool = False

    @classmethod
    def from_input(cls, value: Mapping[str, Any], *, secret: bool = False) -> Selector:
        """From a checked (valid, revealed) ``instanceSelector`` input (camelCase fields)."""
        tags = value.get("tags") or {}
        limit = value.get("maxInstances")
        return cls(
            tags=tuple((str(k), str(v or "")) for k, v in tags.items()),
            vpc_id=str(value.get("vpcId") or ""),
            v_switch_id=str(value.get("vSwitchId") or ""),
            zone_id=str(value.get("zoneId") or ""),
            resource_group_id=str(value.get("resourceGroupId") or ""),
            instance_name=str(value.get("instanceName") or ""),
            max_instances=int(limit) if limit is not None else None,
            secret=secret,
        )

    def to_input(self) -> dict[str, Any]:
        """The camelCase ``instanceSelector`` object (given fields only)."""
        out: dict[str, Any] = {}
        if self.tags:
            out["tags"] = dict(self.tags)
        for name, value in (("vpcId", self.vpc_id), ("vSwitchId", self.v_switch_id), ("zoneId", self.zone_id),
                            ("resourceGroupId", self.resource_group_id), ("instanceName", self.instance_name)):
            if value:
                out[name] = value
        if self.max_instances is not None:
            out["maxInstances"] = self.max_instances
        return out

    def params(self) -> dict[str, Any]:
        """The DescribeInstances filter parameters (API names); a tag of any value is sent without ``Value``."""
        out: dict[str, Any] = {}
        if self.tags:
            out["Tag"] = [{"Key": k, "Value": v} if v else {"Key": k} for k, v in self.tags]
        for param, value in (("VpcId", self.vpc_id), ("VSwitchId", self.v_switch_id), ("ZoneId", self.zone_id),
                             ("ResourceGroupId", self.resource_group_id), ("InstanceName", self.instance_name)):
            if value:
                out[param] = value
        return out

    def describe(self) -> str:
        """One line for progress and errors: ``tags app=web, env=*; vpcId vpc-x; at most 200``."""
        limit = f"at most {self.max_instances}" if self.max_instances is not None else "no maxInstances"
        if self.secret:
            return f"a secret selector; {limit}"
        parts = []
        if self.tags:
            parts.append("tags " + ", ".join(f"{k}={v or '*'}" for k, v in self.tags))
        for name, value in (("vpcId", self.vpc_id), ("vSwitchId", self.v_switch_id), ("zoneId", self.zone_id),
                            ("resourceGroupId", self.resource_group_id), ("instanceName", self.instance_name)):
            if value:
                parts.append(f"{name} {value}")
        return "; ".join([*parts, limit])

    def mismatch(self, record: Mapping[str, Any]) -> str | None:
        """Why a DescribeInstances ``Instance`` record does not fit this selector, or None when it does."""
        tags = _record_tags(record)
        for key, value in self.tags:
            if key not in tags:
                return f"it has no tag {key!r}" if not self.secret else "one of its tags differs"
            if value and tags[key] != value:
                return f"its tag {key!r} is {tags[key]!r}" if not self.secret else "one of its tags differs"
        vpc = record.get("VpcAttributes")
        vpc = vpc if isinstance(vpc, Mapping) else {}
        for name, want, have in (("VpcId", self.vpc_id, vpc.get("VpcId")),
                                 ("VSwitchId", self.v_switch_id, vpc.get("VSwitchId")),
                                 ("ZoneId", self.zone_id, record.get("ZoneId")),
                                 ("ResourceGroupId", self.resource_group_id, record.get("ResourceGroupId"))):
            if want and str(have or "") != want:
                return f"its {name} is {str(have or '')!r}" if not self.secret else f"its {name} differs"
        name = str(record.get("InstanceName") or "")
        if self.instance_name and not wildcard_match(self.instance_name, name):
            return f"its InstanceName is {name!r}" if not self.secret else "its InstanceName differs"
        return None


@dataclass(frozen=True)
class Selection:
    """What a selector matched: the ids in the API's order, and the look that found them.

    ``looked`` is opaque here: the ECS layer's record of the instances as that listing saw them (an
    ``ecs.evidence.Baseline``), handed back to the round so that its first wave needs no describe of its own.
    """

    instance_ids: tuple[str, ...]
    looked: Any = None
    request_ids: tuple[str, ...] = ()
    #: what the user should know about the listing (it may be cut short, ...)
    warnings: tuple[str, ...] = ()


def union(instance_ids: Sequence[str], selection: Selection | None) -> list[str]:
    """``instanceIds`` then the selected instances not already listed: what a round may target."""
    selected = selection.instance_ids if selection is not None else ()
    return list(dict.fromkeys([*instance_ids, *selected]))


def wildcard_match(pattern: str, name: str) -> bool:
    """Whether ``name`` fits ``pattern``, where ``*`` stands for any run of characters (none included)."""
    return _wildcard(pattern).fullmatch(name) is not None


def _wildcard(pattern: str) -> re.Pattern[str]:
    return re.compile(".*".join(re.escape(part) for part in pattern.split("*")), re.DOTALL)


def _record_tags(record: Mapping[str, Any]) -> dict[str, str]:
    """``{"Tags": {"Tag": [{"TagKey": k, "TagValue": v}]}}`` -> ``{k: v}``."""
    tags = record.get("Tags")
    items = tags.get("Tag") if isinstance(tags, Mapping) else None
    if not isinstance(items, list):
        return {}
    return {str(t.get("TagKey")): str(t.get("TagValue") or "") for t in items
            if isinstance(t, Mapping) and t.get("TagKey") is not None}


# --- validation ---------------------------------------------------------------------------------------


def selector_problems(value: Any, *, secret: bool = False) -> list[tuple[str, str]]:
    """(field, reason) for each bad part of a revealed ``instanceSelector``; field ``""`` is the selector
    as a whole. ``secret``: no reason quotes a value."""
    if not isinstance(value, Mapping):
        return [("", f"must be an object with at least one of {', '.join(FILTER_FIELDS)}")]
    known = (*FILTER_FIELDS, "maxInstances")
    found = [(str(k), f"unknown field; instanceSelector accepts {', '.join(known)}") for k in value if k not in known]
    if "tags" in value and value["tags"] is not None:
        found.extend(("tags", r) for r in _tag_problems(value["tags"], secret))
    for name, (_, prefix) in _ID_FILTERS.items():
        reason = _text_problem(value.get(name), secret, prefix=prefix)
        if reason:
            found.append((name, reason))
    zone = value.get("zoneId")
    reason = _text_problem(zone, secret)
    if reason is None and isinstance(zone, str) and not _ZONE_ID.fullmatch(zone):
        reason = f"{_show(zone, secret)} is not a zone id (like cn-hangzhou-h)"
    if reason:
        found.append(("zoneId", reason))
    reason = _text_problem(value.get("instanceName"), secret, limit=MAX_NAME_LENGTH)
    if reason:
        found.append(("instanceName", reason))
    limit = value.get("maxInstances")
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int | float) or limit != limit
                              or limit in (float("inf"), float("-inf")) or int(limit) != limit or limit < 1):
        found.append(("maxInstances", "must be a whole number of at least 1" + (
            "" if secret else f", got {limit!r}")))
    if not any(_filters(value.get(name)) for name in FILTER_FIELDS):
        found.append(("", f"selects by nothing: give at least one of {', '.join(FILTER_FIELDS)} (maxInstances "
                          "only limits a selection; instanceName \"*\" selects every instance of the region)"))
    return found


def _filters(value: Any) -> bool:
    """Whether a filter field is given (an empty tags map is not)."""
    return bool(value) if isinstance(value, Mapping | str) else value is not None


def _tag_problems(tags: Any, secret: bool) -> list[str]:
    if not isinstance(tags, Mapping):
        return ["must be a map of tag keys to values (an empty value matches any value of the key)"]
    found = []
    if len(tags) > MAX_TAGS:
        found.append(f"has {len(tags)} tags; DescribeInstances filters on at most {MAX_TAGS}")
    for key, tag in tags.items():
        shown = "a tag key" if secret else f"tag {key!r}"
        if not isinstance(key, str) or not key.strip():
            found.append("a tag key must not be empty")
        elif len(key) > MAX_TAG_LENGTH:
            found.append(f"{shown} is longer than {MAX_TAG_LENGTH} characters")
        if tag is not None and not isinstance(tag, str):
            found.append(f"the value of {shown} must be a string (empty: any value)")
        elif isinstance(tag, str) and len(tag) > MAX_TAG_LENGTH:
            found.append(f"the value of {shown} is longer than {MAX_TAG_LENGTH} characters")
    return found


def _text_problem(value: Any, secret: bool, *, prefix: str = "", limit: int = 256) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        return "must be a string"
    if not value.strip():
        return "must not be empty (leave it out to not filter by it)"
    if any(c.isspace() for c in value.strip()) or value != value.strip():
        return f"{_show(value, secret)} must not contain spaces"
    if len(value) > limit:
        return f"is longer than {limit} characters"
    if prefix and not value.startswith(prefix):
        return f"{_show(value, secret)} does not look like an id of its kind (they start with {prefix})"
    return None


def _show(value: Any, secret: bool) -> str:
    return "(a secret value)" if secret else repr(value)[:80]
