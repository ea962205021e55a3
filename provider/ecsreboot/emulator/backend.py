"""The fake ECS cloud: regions, instances and their status machine. No HTTP here.

An instance's status advances lazily: it is recomputed from the injected clock whenever it is read
(moto's ManagedState, made deterministic), so a ``FakeClock`` drives every transition in unit tests.
A reboot walks ``Running -> Stopping -> Starting -> Running``, each transitional status lasting its
configured duration (seconds).

``StartTime`` (the instance's last start) is kept as the real API reports it: a new fleet's
instances started long before the emulator's first request (days, drawn from the seed), and every
start -- the moment an instance enters ``Starting`` -- moves it. ``stale_window`` imitates the real
API right after a reboot call: for that many seconds DescribeInstances/DescribeInstanceStatus keep
showing the old ``Running`` and the old ``StartTime`` (the reboot calls themselves see the truth,
so a re-sent reboot is refused with ``IncorrectInstanceStatus``); ``instance(..., before_reboot=True)``
gives that old view on demand (the service's ``stale`` fault answers describes with it).

Knobs for scripted scenarios, each on the admin API too: instances with chosen ids
(``add_instances(["i-a", "i-b"])``), an instance stuck in a transitional status (``set_stuck``: a
reboot that never completes), an instance the caller's RAM policy does not cover (``deny``: its
reboots answer ``Forbidden.RAM``), describes paged smaller than asked (``set_max_page_size``), and a caller
whose RAM policy does not allow DescribeInstances (``set_describe_denied``: describes list no instance, as
the service answers such a caller, and only a DryRun says why).

Each instance also has tags, a VPC, a vSwitch, a zone, a resource group and a name (``Attributes``; set at
creation or with ``set_attributes``), which DescribeInstances filters on (``InstanceFilter``).

Errors are raised as core ``ApiError`` subclasses carrying the documented code and HTTP status of the
action; the caller (the responses layer) adds the RequestId. Every public method takes the one lock,
so the threaded HTTP server can share one backend.
"""

from __future__ import annotations

import datetime as _dt
import ipaddress
import random
import string
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from ecsreboot.core.clock import Clock, SystemClock
from ecsreboot.core.model import BatchOptimization
from ecsreboot.core.operations import OPERATIONS
from ecsreboot.core.selection import wildcard_match
from ecsreboot.core.status import InstanceStatus

from .records import (
    MESSAGES,
    Attributes,
    Group,
    InstanceFilter,
    InstanceView,
    Page,
    RebootResult,
    decode_token,
    encode_token,
    error,
)

Status = InstanceStatus
DEFAULT_DURATIONS: Mapping[str, float] = {"Pending": 1.0, "Stopping": 2.0, "Starting": 3.0}
DEFAULT_REGION = "cn-hangzhou"
#: the resource group of an instance created without one (the account's default group)
DEFAULT_RESOURCE_GROUP = "rg-emulated-default"
#: where each transitional status goes once its duration has elapsed
_NEXT: Mapping[Status, Status] = {
    Status.PENDING: Status.RUNNING,
    Status.STOPPING: Status.STARTING,
    Status.STARTING: Status.RUNNING,
}
_ID_ALPHABET = string.ascii_lowercase + string.digits
#: how each reboot action answers a dry run that found nothing wrong (the operations table's code)
_DRY_RUN_PASSED = {a: op.dry_run_passed for a, op in OPERATIONS.items() if op.dry_run_passed}


@dataclass
class _Instance:
    instance_id: str
    region: str
    status: Status
    since: float  # clock.monotonic() when ``status`` began
    created: _dt.datetime
    started: _dt.datetime  # the last start (StartTime)
    locks: dict[str, str] = field(default_factory=dict)  # LockReason -> LockMsg
    expired: bool = False
    reboots: int = 0
    order: int = 0  # position in the listing (creation order)
    #: what describes show until ``stale_until`` (clock.monotonic()): the status and start before a reboot
    stale: tuple[Status, _dt.datetime] | None = None
    stale_until: float = 0.0
    #: a transitional status the instance stays in once reached (a reboot that never completes), or None
    stuck: Status | None = None
    #: reboots of it answer Forbidden.RAM: the caller's RAM policy does not cover this instance
    denied: bool = False
    #: addresses as DescribeInstances reports them ("" = none): VPC private IP, public IP, EIP
    private_ip: str = ""
    public_ip: str = ""
    eip: str = ""
    #: what DescribeInstances filters on (defaults: see ``Ecs.add_instances``)
    tags: dict[str, str] = field(default_factory=dict)
    vpc_id: str = ""
    v_switch_id: str = ""
    zone_id: str = ""
    resource_group_id: str = DEFAULT_RESOURCE_GROUP
    name: str = ""

    def apply(self, attributes: Attributes, n: int = 1) -> None:
        """Set the given attributes (``{n}`` in a name becomes ``n``)."""
        if attributes.tags is not None:
            self.tags = dict(attributes.tags)
        for name in ("vpc_id", "v_switch_id", "zone_id", "resource_group_id"):
            value = getattr(attributes, name)
            if value is not None:
                setattr(self, name, value)
        if attributes.instance_name is not None:
            self.name = attributes.instance_name.replace("{n}", str(n))

    def matches(self, f: InstanceFilter) -> bool:
        """Whether every filter of ``f`` holds (a tag without a value: any value of the key)."""
        for key, value in f.tags:
            if key not in self.tags or (value and self.tags[key] != value):
                return False
        for name in ("vpc_id", "v_switch_id", "zone_id", "resource_group_id"):
            wanted = getattr(f, name)
            if wanted and getattr(self, name) != wanted:
                return False
        return not f.instance_name or wildcard_match(f.instance_name, self.name)


class Ecs:
    """All regions of one fake account. ``durations`` maps status names to seconds."""

    def __init__(
        self, clock: Clock | None = None, durations: Mapping[str, float] | None = None, *, seed: int = 0
    ) -> None:
        self._clock: Clock = clock or SystemClock()
        self._lock = threading.RLock()
        self._seed = seed
        self._durations: dict[str, float] = dict(DEFAULT_DURATIONS)
        self.set_durations(durations or {})
        self._rng = random.Random(seed)
        self._ages = random.Random(f"start-times-{seed}")  # apart from the ids, which stay as they were
        self._by_id: dict[str, _Instance] = {}  # insertion order is the listing order
        self._stale_window = 0.0
        self._max_page_size: int | None = None
        self._describe_denied = False

    # --- admin ---------------------------------------------------------------------------------

    def set_durations(self, durations: Mapping[str, float]) -> None:
        """Change how long transitional statuses last (``{"Stopping": 2.0, "Starting": 3.0}``)."""
        with self._lock:
            for name, seconds in durations.items():
                status = Status(name)
                if status not in _NEXT or seconds < 0:
                    raise ValueError(f"no duration can be set for {name!r} (or negative: {seconds})")
                self._durations[status.value] = float(seconds)

    def durations(self) -> dict[str, float]:
        with self._lock:
            return dict(self._durations)

    def set_stale_window(self, seconds: float) -> None:
        """After each later reboot call, describes keep showing the old Running/StartTime this long."""
        if not seconds >= 0 or seconds == float("inf"):
            raise ValueError(f"staleWindow must be a finite number of seconds >= 0, not {seconds}")
        with self._lock:
            self._stale_window = float(seconds)

    def stale_window(self) -> float:
        with self._lock:
            return self._stale_window

    def set_max_page_size(self, size: int | None) -> None:
        """Describes answer at most ``size`` records per page, whatever PageSize or MaxResults asked (a
        service that pages smaller than asked; callers must follow TotalCount or NextToken). None: as asked."""
        if size is not None and size < 1:
            raise ValueError(f"maxPageSize must be >= 1 (or null for none), not {size}")
        with self._lock:
            self._max_page_size = size

    def max_page_size(self) -> int | None:
        with self._lock:
            return self._max_page_size

    def set_describe_denied(self, denied: bool) -> None:
        """As for a caller whose RAM policy does not allow ``ecs:DescribeInstances``: describes list no instance
        (the service answers such a caller with an empty list, not a refusal) and only a DryRun of one is
        refused, with ``Forbidden.RAM``."""
        with self._lock:
            self._describe_denied = bool(denied)

    def describe_denied(self) -> bool:
        with self._lock:
            return self._describe_denied

    def set_start_time(self, instance_id: str, moment: _dt.datetime) -> None:
        """Set an instance's StartTime (its last start), e.g. to "a minute ago" for a freshly started one."""
        if moment.tzinfo is None:
            raise ValueError("startTime needs a time zone (UTC: a trailing Z)")
        with self._lock:
            self._get(instance_id).started = moment.astimezone(_dt.UTC)

    def add_instances(
        self, count: int | Sequence[str], region: str = DEFAULT_REGION, status: Status | str = Status.RUNNING,
        attributes: Attributes | None = None,
    ) -> list[str]:
        """Create ``count`` instances, ids ``i-`` + 20 lowercase alnum, deterministic from the seed; or, when
        ``count`` is a list of ids, instances with those ids (each new, and ``i-`` followed by something).

        Unless ``attributes`` say otherwise, an instance has no tags, sits in VPC ``vpc-<region>-emulated``,
        vSwitch ``vsw-<region>-h-emulated`` and zone ``<region>-h``, belongs to ``rg-emulated-default``, and is
        named ``emulated-`` + the first 8 characters after ``i-``."""
        with self._lock:
            if isinstance(count, int):
                if count < 0:
                    raise ValueError("count must be >= 0")
                # drawn one at a time, each after the one before is added, so no two collide
                names: Iterable[str] = (self._new_id() for _ in range(count))
            else:
                chosen = list(count)
                seen: set[str] = set()
                for iid in chosen:
                    if not iid.startswith("i-") or len(iid) < 3 or iid in self._by_id or iid in seen:
                        raise ValueError(f"instance ids must be distinct, new and look like i-...: {iid!r}")
                    seen.add(iid)
                names = chosen
            now, wall = self._clock.monotonic(), self._clock.utcnow()
            ids: list[str] = []
            for iid in names:
                # started 1 to 30 days ago, created up to a year before that
                started = wall - _dt.timedelta(seconds=self._ages.uniform(86_400, 30 * 86_400))
                created = started - _dt.timedelta(seconds=self._ages.uniform(0, 365 * 86_400))
                order = len(self._by_id)
                inst = _Instance(iid, region, Status(status), now, created, started, order=order,
                                 private_ip=_private_ip(order), vpc_id=f"vpc-{region}-emulated",
                                 v_switch_id=f"vsw-{region}-h-emulated", zone_id=f"{region}-h",
                                 name=f"emulated-{iid[2:10]}")
                if attributes is not None:
                    inst.apply(attributes, len(ids) + 1)
                self._by_id[iid] = inst
                ids.append(iid)
            return ids

    def add_group(self, group: Group, region: str = DEFAULT_REGION) -> list[str]:
        """Create a ``Group`` of instances (in ``region`` unless the group names its own)."""
        count = group.count if isinstance(group.count, int) else list(group.count)
        return self.add_instances(count, group.region or region, group.status, group.attributes)

    def set_attributes(self, instance_id: str, attributes: Attributes) -> None:
        """Change an instance's tags (the whole map), VPC, vSwitch, zone, resource group or name."""
        with self._lock:
            self._get(instance_id).apply(attributes)

    def set_status(self, instance_id: str, status: Status | str) -> None:
        """Force a status; a transitional one then advances from now as usual."""
        with self._lock:
            inst = self._get(instance_id)
            inst.status, inst.since = Status(status), self._clock.monotonic()

    def set_stuck(self, instance_id: str, status: Status | str | None) -> None:
        """Once the instance reaches ``status`` (Stopping, Starting or Pending) it stays there, as an
        instance whose reboot hangs; None lets it move on again (from now)."""
        stuck = None if status is None else Status(status)
        if stuck is not None and stuck not in _NEXT:
            raise ValueError(f"an instance can only be stuck in a transitional status, not {stuck.value}")
        with self._lock:
            inst = self._get(instance_id)
            now = self._clock.monotonic()
            self._advance(inst, now)
            if stuck is None and inst.stuck is not None and inst.status is inst.stuck:
                inst.since = now  # the rest of its status counts from the release
            inst.stuck = stuck

    def deny(self, instance_id: str, denied: bool = True) -> None:
        """Make reboots (dry runs too) of the instance answer ``Forbidden.RAM``, as when the caller's RAM
        policy does not cover it; describes still list it."""
        with self._lock:
            self._get(instance_id).denied = denied

    def lock(self, instance_id: str, reason: str = "security", message: str = "") -> None:
        """Add an OperationLock (``security`` blocks reboots, as on the real service)."""
        with self._lock:
            self._get(instance_id).locks[reason] = message or f"The instance is locked ({reason})."

    def unlock(self, instance_id: str, reason: str | None = None) -> None:
        """Remove one lock reason, or all of them when ``reason`` is None."""
        with self._lock:
            locks = self._get(instance_id).locks
            if reason is None:
                locks.clear()
            else:
                locks.pop(reason, None)

    def set_addresses(self, instance_id: str, **addresses: str | None) -> None:
        """Set or clear (None or "") ``private_ip``, ``public_ip`` and ``eip``; each must be an IPv4 address.

        A new instance has a VPC private IP (``172.16.0.2``, ``172.16.0.3``, ... in creation order) and
        no public IP or EIP, like an instance in a VPC without internet access."""
        unknown = set(addresses) - {"private_ip", "public_ip", "eip"}
        if unknown:
            raise ValueError(f"unknown address kind(s): {', '.join(sorted(unknown))}")
        checked = {k: _ipv4(k, v) for k, v in addresses.items()}
        with self._lock:
            inst = self._get(instance_id)
            for kind, value in checked.items():
                setattr(inst, kind, value)

    def expire(self, instance_id: str, expired: bool = True) -> None:
        """Mark a (prepaid) instance expired or in arrears, or clear that."""
        with self._lock:
            self._get(instance_id).expired = expired

    def reset(self) -> None:
        """Forget every instance; the id generator starts over, so ids repeat after a reset."""
        with self._lock:
            self._by_id.clear()
            self._rng = random.Random(self._seed)
            self._ages = random.Random(f"start-times-{self._seed}")
            self._stale_window = 0.0
            self._max_page_size = None
            self._describe_denied = False

    # --- reads -----------------------------------------------------------------------------------

    def instance(self, instance_id: str, *, before_reboot: bool = False) -> InstanceView:
        """Snapshot of one instance; KeyError if unknown. ``before_reboot``: its status and StartTime as they
        were just before its last reboot call (as now when never rebooted): what a lagging describe shows."""
        with self._lock:
            return self._view(self._get(instance_id), self._clock.monotonic(), before_reboot=before_reboot)

    def instances(self, region: str | None = None) -> list[InstanceView]:
        with self._lock:
            now = self._clock.monotonic()
            return [self._view(i, now) for i in self._by_id.values() if region in (None, i.region)]

    def instance_ids(self, region: str | None = None) -> list[str]:
        return [v.instance_id for v in self.instances(region)]

    def reboot_counts(self) -> dict[str, int]:
        """Real reboots per instance (dry runs and failed attempts do not count); every instance listed."""
        with self._lock:
            return {i.instance_id: i.reboots for i in self._by_id.values()}

    # --- operations ----------------------------------------------------------------------------------

    def reboot_instances(
        self,
        region: str,
        ids: Sequence[str],
        force: bool = False,
        batch_optimization: BatchOptimization = "AllTogether",
        dry_run: bool = False,
    ) -> list[RebootResult]:
        """RebootInstances. AllTogether: the first failing instance fails the call, nothing reboots.
        SuccessFirst: one result per instance; with ``dry_run`` it always answers DRYRUN.SUCCESS
        (the documented quirk: that dry run proves nothing). ``force`` is accepted and does not change
        the timing. The arguments are taken as valid: the request layer checked them against the
        operations table (1 to 100 ids, a known BatchOptimization).
        """
        action = "RebootInstances"
        with self._lock:
            now = self._clock.monotonic()
            if batch_optimization == "SuccessFirst":
                if dry_run:
                    raise error(action, _DRY_RUN_PASSED[action])
                return [self._try_reboot(region, iid, now) for iid in ids]
            unique = list(dict.fromkeys(ids))
            for iid in unique:
                problem = self._problem(self._find(iid, region), now)
                if problem:
                    raise error(action, problem, f"InstanceId: {iid}")
            if dry_run:
                raise error(action, _DRY_RUN_PASSED[action])
            return [self._reboot(self._by_id[iid], now) for iid in unique]

    def reboot_instance(
        self, instance_id: str, force_stop: bool = False, dry_run: bool = False, region: str | None = None
    ) -> RebootResult:
        """RebootInstance. ``region`` is optional (the new SDK does not send RegionId): without it the
        instance is looked up in every region. A passing dry run answers DryRunOperation.
        """
        action = "RebootInstance"
        with self._lock:
            now = self._clock.monotonic()
            inst = self._find(instance_id, region)
            problem = self._problem(inst, now)
            if problem:
                raise error(action, problem)
            if dry_run:
                raise error(action, _DRY_RUN_PASSED[action])
            assert inst is not None  # _problem reports a missing instance
            return self._reboot(inst, now)

    def describe_instance_status(
        self, region: str, ids: Sequence[str] | None = None, page_number: int = 1, page_size: int = 10
    ) -> Page:
        """Statuses of the region's instances (only ``ids`` when given; unknown ids are left out)."""
        page_size = self._capped(page_size)
        return self._page(self._select(region, ids, None), (page_number - 1) * page_size, page_size)

    def describe_instances(
        self,
        region: str,
        ids: Sequence[str] | None = None,
        status: str | None = None,
        page_number: int = 1,
        page_size: int = 10,
        max_results: int | None = None,
        next_token: str | None = None,
        filters: InstanceFilter | None = None,
    ) -> Page:
        """Full records. Paged by PageNumber/PageSize, or by MaxResults + NextToken when either is given;
        ``filters`` narrow the listing as the API's Tag.N, VpcId, VSwitchId, ZoneId, ResourceGroupId and
        InstanceName do (all of them must match)."""
        size, page_size = self._capped(max_results or page_size), self._capped(page_size)
        offset = decode_token(next_token) if next_token else (page_number - 1) * page_size
        return self._page(self._select(region, ids, status, filters), offset, size)

    def describe_dry_run(self) -> None:
        """DescribeInstances with DryRun: always an error answer -- ``DryRunOperation`` when the caller may list
        instances, ``Forbidden.RAM`` when not (``set_describe_denied``)."""
        action = "DescribeInstances"
        with self._lock:
            denied = self._describe_denied
        raise error(action, "Forbidden.RAM" if denied else _DRY_RUN_PASSED[action])

    # --- internals ------------------------------------------------------------------------------------

    def _capped(self, size: int) -> int:
        with self._lock:
            return size if self._max_page_size is None else min(size, self._max_page_size)

    def _new_id(self) -> str:
        while True:
            iid = "i-" + "".join(self._rng.choice(_ID_ALPHABET) for _ in range(20))
            if iid not in self._by_id:
                return iid

    def _get(self, instance_id: str) -> _Instance:
        try:
            return self._by_id[instance_id]
        except KeyError:
            raise KeyError(f"unknown instance {instance_id}") from None

    def _find(self, instance_id: str, region: str | None) -> _Instance | None:
        inst = self._by_id.get(instance_id)
        return inst if inst is not None and region in (None, inst.region) else None

    def _advance(self, inst: _Instance, now: float) -> None:
        # Walk forward as many transitions as the elapsed time covers; ``since`` moves by exact
        # durations so that reading often or rarely gives the same answer.
        while inst.status in _NEXT and inst.status is not inst.stuck:
            duration = self._durations[inst.status.value]
            if now - inst.since < duration:
                return
            inst.since += duration
            inst.status = _NEXT[inst.status]
            if inst.status is Status.STARTING:  # a start: StartTime is when it began
                inst.started = self._clock.utcnow() - _dt.timedelta(seconds=now - inst.since)

    def _problem(self, inst: _Instance | None, now: float) -> str | None:
        """The error code that stops a reboot of ``inst``, in the order the service checks."""
        if inst is None:
            return "InvalidInstanceId.NotFound"
        if inst.denied:
            return "Forbidden.RAM"
        self._advance(inst, now)
        if "security" in inst.locks:
            return "InstanceLockedForSecurity"
        if inst.expired:
            return "InstanceExpiredOrInArrears"
        if inst.status is not Status.RUNNING:
            return "IncorrectInstanceStatus"
        return None

    def _reboot(self, inst: _Instance, now: float) -> RebootResult:
        previous = inst.status.value
        # kept whatever the window: ``instance(before_reboot=True)`` shows it too
        inst.stale, inst.stale_until = (inst.status, inst.started), now + self._stale_window
        inst.status, inst.since = Status.STOPPING, now
        inst.reboots += 1
        return RebootResult(inst.instance_id, "200", "success", previous, inst.status.value)

    def _try_reboot(self, region: str, instance_id: str, now: float) -> RebootResult:
        inst = self._find(instance_id, region)
        problem = self._problem(inst, now)
        if problem is None and inst is not None:
            return self._reboot(inst, now)
        status = inst.status.value if inst is not None else ""
        return RebootResult(instance_id, problem or "", MESSAGES.get(problem or "", ""), status, status)

    def _view(
        self, inst: _Instance, now: float, *, observed: bool = False, before_reboot: bool = False
    ) -> InstanceView:
        """The instance now; ``observed``: as a describe shows it (the old one within the stale window);
        ``before_reboot``: the old one whatever the window."""
        self._advance(inst, now)
        status, started = inst.status, inst.started
        if inst.stale is not None and (before_reboot or (observed and now < inst.stale_until)):
            status, started = inst.stale
        return InstanceView(
            inst.instance_id, inst.region, status.value, tuple(inst.locks.items()),
            inst.expired, inst.reboots, inst.created, inst.since, started,
            inst.private_ip, inst.public_ip, inst.eip,
            stuck=inst.stuck.value if inst.stuck else "", denied=inst.denied,
            tags=tuple(inst.tags.items()), vpc_id=inst.vpc_id, v_switch_id=inst.v_switch_id, zone_id=inst.zone_id,
            resource_group_id=inst.resource_group_id, instance_name=inst.name,
        )

    def _select(self, region: str, ids: Sequence[str] | None, status: str | None,
                filters: InstanceFilter | None = None) -> list[InstanceView]:
        if self.describe_denied():
            return []  # what the service lists to a caller its RAM policy does not allow to list instances
        if ids is None:
            with self._lock:
                now = self._clock.monotonic()
                # the filters read plain attributes: applied before the (costlier) views are made
                views = [self._view(i, now, observed=True) for i in self._by_id.values()
                         if i.region == region and (filters is None or i.matches(filters))]
        else:
            # Look the ids up rather than scan the region: a poll of 100 ids then costs O(100), not
            # O(fleet) -- with 10,000 instances the scan made every describe ~20 ms of CPU.
            with self._lock:
                now = self._clock.monotonic()
                found = {i: inst for i in ids if (inst := self._find(i, region)) is not None
                         and (filters is None or inst.matches(filters))}
                views = [self._view(inst, now, observed=True)
                         for inst in sorted(found.values(), key=lambda inst: inst.order)]
        return [v for v in views if status in (None, v.status)]

    def _page(self, views: list[InstanceView], offset: int, size: int) -> Page:
        end = offset + size
        token = encode_token(end) if end < len(views) else ""
        return Page(views[offset:end], len(views), offset // size + 1, size, token)



def _private_ip(order: int) -> str:
    n = order + 2  # 172.16.0.2 first: .0 is the network, .1 the vSwitch's gateway
    return f"172.{16 + (n >> 16) % 16}.{(n >> 8) & 255}.{n & 255}"


def _ipv4(kind: str, value: str | None) -> str:
    if value is None or value == "":
        return ""
    try:
        return str(ipaddress.IPv4Address(value))
    except (ipaddress.AddressValueError, ValueError):
        raise ValueError(f"{kind} must be an IPv4 address, not {value!r}") from None
