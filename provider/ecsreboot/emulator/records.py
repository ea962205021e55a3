"""Values the backend hands out, the service's error messages, and the paging token format."""

from __future__ import annotations

import base64
import binascii
import datetime as _dt
import functools
from collections.abc import Mapping
from dataclasses import dataclass, field

from ecsreboot.core.errors import ApiError, api_error
from ecsreboot.core.operations import http_status_of

_TOKEN_PREFIX = "ecsreboot-emulator:"

MESSAGES: Mapping[str, str] = {
    "InvalidInstanceId.NotFound": "The specified InstanceId does not exist.",
    "IncorrectInstanceStatus": "The current status of the resource does not support this operation.",
    "InstanceLockedForSecurity": "The specified operation is denied as your instance is locked for security reasons.",
    "InstanceExpiredOrInArrears": "The specified operation is denied as your prepay instance is expired "
    "(prepay mode) or in arrears (afterpay mode).",
    "Forbidden.RAM": "User not authorized to operate on the specified resource, or this API doesn't support RAM.",
    "DRYRUN.SUCCESS": "This request is a dryrun request with successful result.",
    "DryRunOperation": "Request validation has been passed with DryRun flag set.",
}


@functools.lru_cache(maxsize=1 << 16)
def to_the_minute(moment: _dt.datetime) -> str:
    """``yyyy-MM-ddTHH:mmZ`` of ``moment`` as given. Cached: a describe of 100 instances writes 200 of
    them, and an instance's times change only when it is created or rebooted."""
    return moment.strftime("%Y-%m-%dT%H:%MZ")


@dataclass(frozen=True)
class Attributes:
    """Where an instance sits and what it is called: what DescribeInstances filters on. ``None`` leaves a
    field as it is (on a new instance: its default); ``tags`` replaces the whole map. ``instance_name`` may
    hold ``{n}``, the instance's position among those created together (from 1): ``web-{n}``."""

    tags: Mapping[str, str] | None = None
    vpc_id: str | None = None
    v_switch_id: str | None = None
    zone_id: str | None = None
    resource_group_id: str | None = None
    instance_name: str | None = None


@dataclass(frozen=True)
class InstanceFilter:
    """DescribeInstances' filters, each given one must match. ``tags``: (key, value) pairs, value None or
    ``""`` for any value of the key; ``instance_name`` takes ``*`` as a wildcard."""

    tags: tuple[tuple[str, str | None], ...] = ()
    vpc_id: str | None = None
    v_switch_id: str | None = None
    zone_id: str | None = None
    resource_group_id: str | None = None
    instance_name: str | None = None


@dataclass(frozen=True)
class Group:
    """Instances to create together (the emulator's seed): ``count`` of them, or these ids, with
    ``attributes``; ``region`` None for the emulator's own."""

    count: int | tuple[str, ...]
    region: str | None = None
    status: str = "Running"
    attributes: Attributes = field(default_factory=Attributes)


@dataclass(frozen=True)
class InstanceView:
    """A read-only snapshot of one instance, status already advanced to now."""

    instance_id: str
    region: str
    status: str
    locks: tuple[tuple[str, str], ...]
    expired: bool
    reboots: int
    created: _dt.datetime
    status_changed_at: float
    #: the last start (DescribeInstances' StartTime)
    started: _dt.datetime
    private_ip: str = ""
    public_ip: str = ""
    eip: str = ""
    #: the transitional status it stays in once reached ("" when none: see ``Ecs.set_stuck``)
    stuck: str = ""
    #: reboots answer Forbidden.RAM (``Ecs.deny``)
    denied: bool = False
    tags: tuple[tuple[str, str], ...] = ()
    vpc_id: str = ""
    v_switch_id: str = ""
    zone_id: str = ""
    resource_group_id: str = ""
    instance_name: str = ""

    @property
    def start_time(self) -> str:
        """StartTime as the API documents it: ``yyyy-MM-ddTHH:mmZ``, UTC, to the minute."""
        return to_the_minute(self.started.astimezone(_dt.UTC))

    def to_dict(self) -> dict[str, object]:
        """camelCase JSON shape for the admin API."""
        return {
            "instanceId": self.instance_id,
            "region": self.region,
            "status": self.status,
            "locks": [r for r, _ in self.locks],
            "expired": self.expired,
            "reboots": self.reboots,
            "startTime": self.started.astimezone(_dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "privateIpAddress": self.private_ip,
            "publicIpAddress": self.public_ip,
            "eipAddress": self.eip,
            "stuckIn": self.stuck or None,
            "denied": self.denied,
            "tags": dict(self.tags),
            "vpcId": self.vpc_id,
            "vSwitchId": self.v_switch_id,
            "zoneId": self.zone_id,
            "resourceGroupId": self.resource_group_id,
            "instanceName": self.instance_name,
        }


@dataclass(frozen=True)
class RebootResult:
    """One ``InstanceResponse`` of RebootInstances. ``code`` is ``"200"`` on success."""

    instance_id: str
    code: str
    message: str
    previous_status: str
    current_status: str

    def to_wire(self) -> dict[str, str]:
        return {
            "Code": self.code,
            "Message": self.message,
            "InstanceId": self.instance_id,
            "PreviousStatus": self.previous_status,
            "CurrentStatus": self.current_status,
        }


@dataclass(frozen=True)
class Page:
    """One page of a describe call. ``next_token`` is ``""`` on the last page."""

    items: list[InstanceView]
    total: int
    page_number: int
    page_size: int
    next_token: str


def error(action: str, code: str, detail: str = "") -> ApiError:
    """The ApiError the service answers for ``code`` (documented message and HTTP status)."""
    known = MESSAGES.get(code, "")
    message = f"{known} {detail}" if known and detail else known or detail or code
    return api_error(code, message, "", http_status_of(action, code), action=action)


def encode_token(offset: int) -> str:
    return base64.urlsafe_b64encode(f"{_TOKEN_PREFIX}{offset}".encode()).decode().rstrip("=")


def decode_token(token: str) -> int:
    try:
        text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        if text.startswith(_TOKEN_PREFIX) and text[len(_TOKEN_PREFIX):].isdigit():
            return int(text[len(_TOKEN_PREFIX):])
    except (binascii.Error, UnicodeDecodeError, ValueError):
        pass
    raise error("DescribeInstances", "InvalidParameter", 'The specified parameter "NextToken" is not valid.')
