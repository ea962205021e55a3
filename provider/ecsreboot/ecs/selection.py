"""Resolving an ``instanceSelector``: DescribeInstances paged through, every record checked, the guard kept.

``select_instances`` lists what the selector's filters match (``EcsClient.list_instances``: ``MaxResults``
100 and ``NextToken``), in the API's order, and raises ``SelectionError`` -- before anything is rebooted --
when the selection cannot be trusted or used:

* more instances than ``maxInstances`` (seen from the first page's ``TotalCount`` when the API reports it,
  else while counting: the listing stops there, it is not paged to the end);
* a record that does not fit the selector (``Selector.mismatch``): the service ignores a parameter it does
  not know rather than refusing it, so a filter it did not apply would otherwise widen the reboot;
* no instance at all. DescribeInstances lists no instance, rather than refusing, to a caller whose RAM
  policy does not allow it, so an empty listing is followed by a DryRun of the same call: a refusal names
  the missing grant (``ecs:DescribeInstances``), a pass says the filters match nothing;
* a listing that does not end (a token seen twice, or more pages than any fleet the resource accepts).

The listing is also the look a round's first wave needs (status and StartTime before the reboot), so the
``Selection`` carries it as a ``Baseline`` taken before the first page was asked for.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping
from typing import Any, Protocol

from ..core.clock import Clock
from ..core.errors import ApiError, EcsError, SelectionError
from ..core.operations import DESCRIBE_INSTANCES_PAGE_MAX, OPERATIONS
from ..core.resource import MAX_INSTANCE_IDS
from ..core.selection import FILTER_LISTING_CAP, Selection, Selector
from .client import InstancePage
from .evidence import Baseline, InstanceState

#: the most pages a listing may take: every instance a resource accepts, at 100 a page, and some slack for a
#: service that pages smaller than asked
MAX_PAGES = 4 * MAX_INSTANCE_IDS // DESCRIBE_INSTANCES_PAGE_MAX
_DRY_RUN_PASSED = OPERATIONS["DescribeInstances"].dry_run_passed


class SelectionCalls(Protocol):
    """What resolving a selection needs of a client (an ``EcsClient``)."""

    @property
    def clock(self) -> Clock: ...

    def call(self, action: str, params: Mapping[str, Any], *, cancel: threading.Event | None = None,
             deadline: float | None = None) -> dict[str, Any]: ...

    def list_instances(self, region_id: str, filters: Mapping[str, Any], *, cancel: threading.Event | None = None,
                       deadline: float | None = None) -> Iterator[InstancePage]: ...


def select_instances(
    client: SelectionCalls,
    selector: Selector,
    region_id: str,
    *,
    cancel: threading.Event | None = None,
    deadline: float | None = None,
    on_listed: Callable[[int], None] | None = None,
) -> Selection:
    """The instances ``selector`` matches in ``region_id`` (see the module docstring). ``on_listed(n)`` after
    each page, with how many instances are listed so far. Raises SelectionError, or the listing's own error
    (ApiError, TransportError, Cancelled, DeadlineExceeded) when a page cannot be read."""
    taken_at = client.clock.utcnow()
    where = f"instanceSelector ({selector.describe()})"
    limit = selector.max_instances
    states: dict[str, InstanceState] = {}
    request_ids: list[str] = []
    total: int | None = None
    tokens: set[str] = set()
    for number, page in enumerate(client.list_instances(region_id, selector.params(), cancel=cancel,
                                                        deadline=deadline), start=1):
        request_ids.append(page.request_id)
        if total is None:
            total = page.total
            if limit is not None and total is not None and total > limit:
                raise SelectionError(_too_many(where, region_id, str(total), limit))
        for record in page.records:
            iid = str(record.get("InstanceId") or "")
            why = selector.mismatch(record)
            if why is not None:
                raise SelectionError(
                    f"DescribeInstances listed {iid or 'an instance'} for {where}, but {why}: the service may not "
                    "have applied a filter, so the selection is not trusted and nothing was rebooted")
            if iid and iid not in states:
                states[iid] = page.states[iid]
        if limit is not None and len(states) > limit:
            raise SelectionError(_too_many(where, region_id, f"at least {len(states)}", limit))
        if len(states) > MAX_INSTANCE_IDS:
            raise SelectionError(f"{where} selects more than {MAX_INSTANCE_IDS:,} instances in {region_id}, more "
                                 "than a RebootTrigger accepts: nothing was rebooted")
        if on_listed is not None:
            on_listed(len(states))
        if page.next_token and (page.next_token in tokens or number >= MAX_PAGES):
            raise SelectionError(f"DescribeInstances did not stop paging for {where} (a NextToken came twice, or "
                                 f"more than {MAX_PAGES} pages): the selection is not trusted and nothing was "
                                 "rebooted")
        tokens.add(page.next_token)
    if not states:
        raise _empty(client, selector, region_id, where, cancel=cancel, deadline=deadline)
    return Selection(tuple(states), Baseline(states, taken_at), tuple(r for r in request_ids if r),
                     tuple(_warnings(selector, len(states), total)))


def _too_many(where: str, region_id: str, found: str, limit: int) -> str:
    return (f"{where} selects {found} instances in {region_id}, more than maxInstances ({limit}): nothing was "
            "rebooted. Narrow the selector, or raise maxInstances if that many is meant")


def _empty(client: SelectionCalls, selector: Selector, region_id: str, where: str, *,
           cancel: threading.Event | None, deadline: float | None) -> SelectionError:
    """Why the listing came back empty: a DryRun of the same DescribeInstances tells a caller who may not list
    instances (named, with the grant it needs) from filters that match nothing."""
    nothing = f"{where} selects no instance in {region_id}: nothing was rebooted"
    try:
        client.call("DescribeInstances", {"RegionId": region_id, **selector.params(), "DryRun": True},
                    cancel=cancel, deadline=deadline)
    except ApiError as err:
        if err.code != _DRY_RUN_PASSED:
            return SelectionError(
                f"{nothing}, and a DryRun of the same DescribeInstances was refused: {err}. DescribeInstances "
                "lists no instance, rather than refusing, to credentials whose RAM policy does not allow it")
    except EcsError as err:
        return SelectionError(f"{nothing}; whether these credentials may list instances could not be checked "
                              f"(DescribeInstances with DryRun: {err})")
    return SelectionError(f"{nothing}. A DryRun of DescribeInstances passed, so these credentials may list "
                          "instances: check the filters (tags, names and ids are case-sensitive) and the region")


def _warnings(selector: Selector, listed: int, total: int | None) -> list[str]:
    found = []
    if total is not None and total > listed:
        found.append(f"DescribeInstances reported {total} matching instances but listed {listed} (the fleet "
                     f"changed while it was paged through?): only the {listed} listed are selected")
    if (selector.tags or selector.resource_group_id) and listed >= FILTER_LISTING_CAP:
        found.append(f"the selection has {listed} instances: DescribeInstances lists at most "
                     f"{FILTER_LISTING_CAP:,} for a tag or resource group filter, so it may be cut short; add a "
                     "vpcId, vSwitchId, zoneId or instanceName filter, or split the fleet")
    return found
