"""One function per API action: wire parameters in, answer body out. No state of its own.

Each function validates the merged query/form parameters against ``core.operations.OPERATIONS``
(so the emulator refuses what the real service refuses, with the same codes) -- the one place the
emulator validates parameters: the backend takes the typed values as given. It then calls the backend
and returns the body as a dict, items nested along the table's ``result_path``, without ``RequestId``
(the wire layer adds it). Errors propagate as ``ApiError``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ecsreboot.core.errors import ApiError, api_error
from ecsreboot.core.operations import OPERATIONS, decode_params

from .backend import Ecs
from .records import InstanceFilter, InstanceView, Page, to_the_minute

Body = dict[str, Any]
Handler = Callable[[Ecs, Mapping[str, str]], Body]

_FAR_FUTURE = "2099-12-31T15:59Z"


def reboot_instances(backend: Ecs, params: Mapping[str, str]) -> Body:
    op = OPERATIONS["RebootInstances"]
    v = decode_params(op, params)
    results = backend.reboot_instances(
        v["RegionId"], v["InstanceId"], force=v["ForceReboot"],
        batch_optimization=v["BatchOptimization"], dry_run=v["DryRun"],
    )
    return op.listing([r.to_wire() for r in results])


def reboot_instance(backend: Ecs, params: Mapping[str, str]) -> Body:
    v = decode_params(OPERATIONS["RebootInstance"], params)
    # RegionId is not a parameter of RebootInstance, but the old SDK always sends it: honour it when present.
    backend.reboot_instance(
        v["InstanceId"], force_stop=v["ForceStop"], dry_run=v["DryRun"], region=params.get("RegionId") or None
    )
    return {}


def describe_instance_status(backend: Ecs, params: Mapping[str, str]) -> Body:
    op = OPERATIONS["DescribeInstanceStatus"]
    v = decode_params(op, params)
    page = backend.describe_instance_status(
        v["RegionId"], v.get("InstanceId"), page_number=v["PageNumber"], page_size=v["PageSize"]
    )
    statuses = [{"InstanceId": i.instance_id, "Status": i.status} for i in page.items]
    return {**op.listing(statuses), **_paging(page)}


def describe_instances(backend: Ecs, params: Mapping[str, str]) -> Body:
    op = OPERATIONS["DescribeInstances"]
    v = decode_params(op, params)
    if v["DryRun"]:
        backend.describe_dry_run()  # always an answer of its own: passed, or refused
    filters = InstanceFilter(
        tags=tuple((t["Key"], t.get("Value")) for t in v.get("Tag", ())), vpc_id=v.get("VpcId"),
        v_switch_id=v.get("VSwitchId"), zone_id=v.get("ZoneId"), resource_group_id=v.get("ResourceGroupId"),
        instance_name=v.get("InstanceName"),
    )
    page = backend.describe_instances(
        v["RegionId"], v.get("InstanceIds"), status=v.get("Status"), page_number=v["PageNumber"],
        page_size=v["PageSize"], max_results=v.get("MaxResults"), next_token=v.get("NextToken") or None,
        filters=filters,
    )
    return {**op.listing([instance_record(i) for i in page.items]), **_paging(page), "NextToken": page.next_token}


HANDLERS: Mapping[str, Handler] = {
    "RebootInstances": reboot_instances,
    "RebootInstance": reboot_instance,
    "DescribeInstanceStatus": describe_instance_status,
    "DescribeInstances": describe_instances,
}


def dispatch(backend: Ecs, action: str, params: Mapping[str, str]) -> Body:
    """Run ``action``; unknown actions answer ``InvalidAction.NotFound`` (404) as the service does."""
    handler = HANDLERS.get(action)
    if handler is None:
        raise not_found_action(action)
    return handler(backend, params)


def not_found_action(action: str) -> ApiError:
    shown = action or "(none)"
    return api_error("InvalidAction.NotFound", f"Specified api is not found, please check your url and method. "
                     f"Action: {shown}", "", 404, action=action)


def instance_record(view: InstanceView) -> Body:
    """A DescribeInstances ``Instance`` record: the fields a reboot tool reads, plus a few for realism."""
    created = to_the_minute(view.created)
    return {
        "InstanceId": view.instance_id,
        "InstanceName": view.instance_name,
        "HostName": f"emulated-{view.instance_id[2:10]}",
        "RegionId": view.region,
        "ZoneId": view.zone_id,
        "ResourceGroupId": view.resource_group_id,
        "Tags": {"Tag": [{"TagKey": k, "TagValue": v} for k, v in view.tags]},
        "Status": view.status,
        "InstanceType": "ecs.g7.large",
        "InstanceChargeType": "PrePaid" if view.expired else "PostPaid",
        "CreationTime": created,
        "StartTime": view.start_time,
        "ExpiredTime": created if view.expired else _FAR_FUTURE,
        "OperationLocks": {"LockReason": [{"LockReason": r, "LockMsg": m} for r, m in view.locks]},
        # the addresses as the real API nests them: lists of IpAddress, except the EIP's single string
        "InstanceNetworkType": "vpc",
        "VpcAttributes": {
            "VpcId": view.vpc_id, "VSwitchId": view.v_switch_id, "NatIpAddress": "",
            "PrivateIpAddress": {"IpAddress": [view.private_ip] if view.private_ip else []},
        },
        "PublicIpAddress": {"IpAddress": [view.public_ip] if view.public_ip else []},
        "InnerIpAddress": {"IpAddress": []},
        "EipAddress": {"IpAddress": view.eip, "AllocationId": f"eip-{view.instance_id[2:14]}" if view.eip else "",
                       "InternetChargeType": "PayByTraffic" if view.eip else ""},
    }


def as_before_reboots(backend: Ecs, action: str, body: Body) -> Body:
    """A describe's answer as the real API gives it right after reboot calls: each instance as it was
    before its last reboot call (``Ecs.instance(before_reboot=True)``). Other actions' answers unchanged."""
    if action == "DescribeInstances":
        records = body["Instances"]["Instance"]
        body["Instances"]["Instance"] = [instance_record(backend.instance(r["InstanceId"], before_reboot=True))
                                         for r in records]
    elif action == "DescribeInstanceStatus":
        for record in body["InstanceStatuses"]["InstanceStatus"]:
            record["Status"] = backend.instance(record["InstanceId"], before_reboot=True).status
    return body


def _paging(page: Page) -> Body:
    return {"TotalCount": page.total, "PageNumber": page.page_number, "PageSize": page.page_size}
