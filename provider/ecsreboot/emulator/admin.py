"""The admin JSON API under ``/_emulator/``: no signature required (it only listens on loopback).

==========  ========================  ==================================================================
method      path                      body -> answer
==========  ========================  ==================================================================
GET         /_emulator/instances      ``?region=R`` optional -> ``{"instances": [{instanceId, region,
                                      status, locks, expired, reboots, startTime, privateIpAddress,
                                      publicIpAddress, eipAddress, stuckIn, denied, tags, vpcId,
                                      vSwitchId, zoneId, resourceGroupId, instanceName}]}`` (the truth,
                                      never the stale view)
POST        /_emulator/instances      ``{count | instanceIds, region?, status?, tags?, vpcId?, vSwitchId?,
                                      zoneId?, resourceGroupId?, instanceName?}`` -> ``{"instanceIds":
                                      [...]}``; ``instanceIds`` (``["i-web1", ...]``) names them; the
                                      attributes (what DescribeInstances filters on) apply to each,
                                      ``{n}`` in ``instanceName`` being its position (from 1)
POST        /_emulator/attributes     ``{instanceId | instanceIds, tags?, vpcId?, vSwitchId?, zoneId?,
                                      resourceGroupId?, instanceName?}`` -> ``{"instances": [...]}``;
                                      ``tags`` replaces the instance's whole tag map
POST        /_emulator/status         ``{instanceId, status?, lock?, expired?, startTime?, stuckIn?,
                                      denied?}`` -> ``{"instance": {...}}``; ``lock`` is a LockReason
                                      (``"security"``) or null to clear all locks; ``startTime``
                                      (StartTime, the last start) is ``2026-01-02T03:04Z`` or
                                      ``2026-01-02T03:04:05Z``; ``stuckIn`` a transitional status the
                                      instance stays in once reached (a reboot that hangs), null to
                                      release it; ``denied``: its reboots answer Forbidden.RAM
POST        /_emulator/addresses      ``{instanceId, privateIpAddress?, publicIpAddress?, eipAddress?}``
                                      -> ``{"instance": {...}}``: what DescribeInstances reports as
                                      VpcAttributes.PrivateIpAddress, PublicIpAddress and EipAddress
                                      (IPv4; null or "" clears one), e.g. 127.0.0.2 for a test server
POST        /_emulator/faults         ``{kind, action?, count?, probability?, code?, status?, message?,
                                      seconds?, retryAfterMs?}`` -> ``{"fault": {...}}``; kinds:
                                      throttle, error, latency, drop_before, drop_after, refused,
                                      garbage, stale (see ``faults``)
GET         /_emulator/faults         -> ``{"faults": [...]}`` (those not used up)
DELETE      /_emulator/faults         -> ``{"ok": true}``
GET         /_emulator/requests       -> ``{"requests": [{time, at, requestId, action, method, params,
                                      signatureVersion, status, code, fault}]}`` (no credentials)
GET         /_emulator/reboots        -> ``{"<instance id>": <real reboots>, ...}``
POST        /_emulator/reset          -> ``{"ok": true}``: initial instances, no faults, empty log
GET/POST    /_emulator/config         ``{latency?, durations?: {"Stopping": s, "Starting": s},
                                      staleWindow?, maxPageSize?, describeDenied?}`` -> ``{"latency": s,
                                      "durations": {...}, "staleWindow": s, "maxPageSize": n,
                                      "describeDenied": b}``; ``staleWindow``: after a reboot call,
                                      describes show the old Running and StartTime this many seconds;
                                      ``maxPageSize``: describes answer at most this many records a page,
                                      whatever was asked (null: as asked); ``describeDenied``: as for a
                                      caller whose RAM policy does not allow ecs:DescribeInstances --
                                      describes list no instance, a DryRun of one is refused
==========  ========================  ==================================================================

Bad input answers 400, an unknown instance 404, each with ``{"error": "<reason>"}``.
"""

from __future__ import annotations

import datetime as _dt
import json
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

from .faults import Fault
from .records import Attributes, Group
from .service import EmulatorService

PREFIX = "/_emulator"
Json = dict[str, Any]
Route = Callable[[EmulatorService, Json, dict[str, list[str]]], Json]


def handle_admin(service: EmulatorService, method: str, target: str, body: bytes) -> tuple[int, Json]:
    """(HTTP status, JSON answer) for one admin request."""
    url = urlsplit(target)
    name = url.path[len(PREFIX):].strip("/")
    route = _ROUTES.get((method.upper(), name))
    if route is None:
        known = any(n == name for _, n in _ROUTES)
        return (405 if known else 404), {"error": f"no admin route {method} {url.path}"}
    try:
        payload = json.loads(body) if body.strip() else {}
        if not isinstance(payload, dict):
            raise ValueError("the body must be a JSON object")
        return 200, route(service, payload, parse_qs(url.query))
    except KeyError as exc:
        return 404, {"error": str(exc.args[0]) if exc.args else "not found"}
    except (ValueError, TypeError) as exc:
        return 400, {"error": str(exc)}
    except Exception as exc:  # an emulator bug: report it rather than drop the connection
        return 500, {"error": f"{type(exc).__name__}: {exc}"}


def _list_instances(service: EmulatorService, _: Json, query: dict[str, list[str]]) -> Json:
    region = query.get("region", [None])[0]
    return {"instances": [v.to_dict() for v in service.backend.instances(region)]}


#: the JSON names of ``Attributes`` (camelCase, as DescribeInstances' filters are spelled)
_ATTRIBUTE_FIELDS = {"tags": "tags", "vpcId": "vpc_id", "vSwitchId": "v_switch_id", "zoneId": "zone_id",
                     "resourceGroupId": "resource_group_id", "instanceName": "instance_name"}


def attributes_of(body: Json) -> Attributes:
    """The ``Attributes`` named in a JSON object (other keys ignored); ValueError for a bad one."""
    given: dict[str, Any] = {}
    for name, attribute in _ATTRIBUTE_FIELDS.items():
        value = body.get(name)
        if value is None:
            continue
        if name == "tags":
            if not (isinstance(value, dict) and all(isinstance(k, str) and k and isinstance(v, str)
                                                    for k, v in value.items())):
                raise ValueError("tags must be an object of non-empty keys to string values")
        elif not isinstance(value, str) or not value:
            raise ValueError(f"{name} must be a non-empty string")
        given[attribute] = value
    return Attributes(**given)


def group_of(body: Json) -> Group:
    """A ``Group`` from ``{count | instanceIds, region?, status?, tags?, vpcId?, ...}`` (the admin API's POST
    /_emulator/instances, and each entry of ``ecsreboot emulator --fleet``); ValueError for a bad one."""
    known = {"count", "instanceIds", "region", "status", *_ATTRIBUTE_FIELDS}
    unknown = set(body) - known
    if unknown:
        raise ValueError(f"unknown field(s) {', '.join(sorted(unknown))}; known: {', '.join(sorted(known))}")
    named = body.get("instanceIds")
    if named is not None and not (isinstance(named, list) and all(isinstance(i, str) for i in named)):
        raise ValueError("instanceIds must be a list of instance ids")
    count: int | tuple[str, ...] = tuple(named) if named is not None else int(body.get("count", 1))
    return Group(count, body.get("region") or None, body.get("status") or "Running", attributes_of(body))


def _add_instances(service: EmulatorService, body: Json, _: dict[str, list[str]]) -> Json:
    return {"instanceIds": service.backend.add_group(group_of(body), service.region)}


def _set_attributes(service: EmulatorService, body: Json, _: dict[str, list[str]]) -> Json:
    ids = body.get("instanceIds", [body.get("instanceId")])
    if not (isinstance(ids, list) and ids and all(isinstance(i, str) for i in ids)):
        raise ValueError("instanceId (or instanceIds, a list) is required")
    unknown = set(body) - {"instanceId", "instanceIds", *_ATTRIBUTE_FIELDS}
    if unknown:
        raise ValueError(f"unknown field(s) {', '.join(sorted(unknown))}; known: {', '.join(_ATTRIBUTE_FIELDS)}")
    attributes = attributes_of(body)
    for iid in ids:
        service.backend.instance(iid)  # 404 before changing anything
    for iid in ids:
        service.backend.set_attributes(iid, attributes)
    return {"instances": [service.backend.instance(iid).to_dict() for iid in ids]}


def _set_status(service: EmulatorService, body: Json, _: dict[str, list[str]]) -> Json:
    backend, iid = service.backend, body.get("instanceId")
    if not isinstance(iid, str):
        raise ValueError("instanceId is required")
    backend.instance(iid)  # 404 before changing anything
    if body.get("status"):
        backend.set_status(iid, body["status"])
    if "lock" in body:
        if body["lock"]:
            backend.lock(iid, str(body["lock"]), str(body.get("lockMessage") or ""))
        else:
            backend.unlock(iid)
    if "expired" in body:
        backend.expire(iid, bool(body["expired"]))
    if "startTime" in body:
        backend.set_start_time(iid, _moment(body["startTime"]))
    if "stuckIn" in body:
        backend.set_stuck(iid, body["stuckIn"] or None)
    if "denied" in body:
        backend.deny(iid, bool(body["denied"]))
    return {"instance": backend.instance(iid).to_dict()}


_ADDRESS_FIELDS = {"privateIpAddress": "private_ip", "publicIpAddress": "public_ip", "eipAddress": "eip"}


def _set_addresses(service: EmulatorService, body: Json, _: dict[str, list[str]]) -> Json:
    iid = body.get("instanceId")
    if not isinstance(iid, str):
        raise ValueError("instanceId is required")
    unknown = set(body) - {"instanceId", *_ADDRESS_FIELDS}
    if unknown:
        raise ValueError(f"unknown field(s) {', '.join(sorted(unknown))}; known: {', '.join(_ADDRESS_FIELDS)}")
    service.backend.instance(iid)  # 404 before changing anything
    service.backend.set_addresses(iid, **{_ADDRESS_FIELDS[k]: v for k, v in body.items() if k in _ADDRESS_FIELDS})
    return {"instance": service.backend.instance(iid).to_dict()}


def _add_fault(service: EmulatorService, body: Json, _: dict[str, list[str]]) -> Json:
    fault = Fault(
        kind=body.get("kind", ""),
        action=body.get("action"),
        count=body.get("count"),
        probability=body.get("probability"),
        code=body.get("code") or "",
        status=int(body.get("status") or 0),
        message=body.get("message") or "",
        seconds=float(body.get("seconds") or 0.0),
        retry_after_ms=body.get("retryAfterMs"),
    )
    return {"fault": service.faults.add(fault).to_dict()}


def _list_faults(service: EmulatorService, _: Json, __: dict[str, list[str]]) -> Json:
    return {"faults": [f.to_dict() for f in service.faults.active()]}


def _clear_faults(service: EmulatorService, _: Json, __: dict[str, list[str]]) -> Json:
    service.faults.clear()
    return {"ok": True}


def _requests(service: EmulatorService, _: Json, __: dict[str, list[str]]) -> Json:
    return {"requests": service.requests()}


def _reboots(service: EmulatorService, _: Json, __: dict[str, list[str]]) -> Json:
    return dict(service.backend.reboot_counts())


def _reset(service: EmulatorService, _: Json, __: dict[str, list[str]]) -> Json:
    service.reset()
    return {"ok": True}


def _config(service: EmulatorService, body: Json, _: dict[str, list[str]]) -> Json:
    if "latency" in body:
        latency = float(body["latency"])
        if latency < 0:
            raise ValueError("latency must be >= 0")
        service.latency = latency
    if "durations" in body:
        service.backend.set_durations({str(k): float(v) for k, v in dict(body["durations"]).items()})
    if "staleWindow" in body:
        service.backend.set_stale_window(float(body["staleWindow"]))
    if "maxPageSize" in body:
        size = body["maxPageSize"]
        service.backend.set_max_page_size(None if size is None else int(size))
    if "describeDenied" in body:
        if not isinstance(body["describeDenied"], bool):
            raise ValueError("describeDenied must be true or false")
        service.backend.set_describe_denied(body["describeDenied"])
    return {"latency": service.latency, "durations": service.backend.durations(),
            "staleWindow": service.backend.stale_window(), "maxPageSize": service.backend.max_page_size(),
            "describeDenied": service.backend.describe_denied()}


def _moment(value: Any) -> _dt.datetime:
    """A UTC time written ``2026-01-02T03:04Z`` or ``2026-01-02T03:04:05Z``."""
    for fmt in ("%Y-%m-%dT%H:%MZ", "%Y-%m-%dT%H:%M:%SZ"):
        try:
            return _dt.datetime.strptime(str(value), fmt).replace(tzinfo=_dt.UTC)
        except ValueError:
            continue
    raise ValueError(f"startTime must look like 2026-01-02T03:04Z or 2026-01-02T03:04:05Z, not {value!r}")


_ROUTES: dict[tuple[str, str], Route] = {
    ("GET", "instances"): _list_instances,
    ("POST", "instances"): _add_instances,
    ("POST", "status"): _set_status,
    ("POST", "addresses"): _set_addresses,
    ("POST", "attributes"): _set_attributes,
    ("POST", "faults"): _add_fault,
    ("GET", "faults"): _list_faults,
    ("DELETE", "faults"): _clear_faults,
    ("GET", "requests"): _requests,
    ("GET", "reboots"): _reboots,
    ("POST", "reset"): _reset,
    ("GET", "config"): _config,
    ("POST", "config"): _config,
}
