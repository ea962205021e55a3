"""Test doubles for the ECS client layer: a wire-level fake ECS behind FakeTransport, and a fake client.

``FakeEcs`` answers real HTTP requests built by ``EcsClient`` (query string, both signatures) from an
in-memory status machine driven by a FakeClock, with scripted faults. ``FakeRoundClient`` skips the
wire and implements just what ``run_round`` needs.
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from ecsreboot.core.clock import FakeClock
from ecsreboot.core.credentials import Credentials
from ecsreboot.core.errors import TransportError, api_error
from ecsreboot.core.model import SUCCESS_CODE, InstanceOutcome
from ecsreboot.ecs import ClientConfig, EcsClient, FakeTransport, HttpRequest, HttpResponse, StaticCredentialsProvider
from ecsreboot.ecs.evidence import Baseline, InstanceState
from ecsreboot.ecs.reboot import Rebooter, RebootReply, RecoverySettings
from tests.recovery import rebooter

_RECOVERY_FIELDS = {f.name for f in fields(RecoverySettings)} - {"sends"}

KEY_ID, SECRET = "fake-key-id-1234", "fake-secret-abcd"


def ids(n: int, prefix: str = "i-") -> list[str]:
    return [f"{prefix}{k:04d}" for k in range(n)]


@dataclass
class Fault:
    """``kind``: throttle | error | refused | drop_before | drop_after | garbage | stale."""

    kind: str
    action: str | None = None
    count: int = 1
    code: str = ""
    status: int = 400
    retry_after_ms: int | None = None


#: the StartTime of every FakeEcs instance before its first reboot: long before the FakeClock's wall time
LONG_AGO = "2025-12-01T08:00Z"


class FakeEcs:
    """Instances with a lazy status machine (Stopping ``stopping`` s, Starting ``starting`` s).

    DescribeInstances reports ``StartTime`` (minute precision, as documented): ``LONG_AGO`` until a
    reboot's Starting phase begins, then that moment. ``stale_polls`` describes still show the old
    Running and StartTime.
    """

    def __init__(self, clock: FakeClock, instance_ids: Sequence[str], *, stopping: float = 2.0,
                 starting: float = 3.0, page_size_cap: int = 100) -> None:
        self.clock = clock
        self.stopping, self.starting = stopping, starting
        self.page_size_cap = page_size_cap
        self._rebooted_at: dict[str, float | None] = dict.fromkeys(instance_ids)
        self.start_times: dict[str, str] = dict.fromkeys(instance_ids, LONG_AGO)
        self.fixed: dict[str, str] = {}  # instance -> status it is stuck in (Stopped, ...)
        self.reboots: Counter[str] = Counter()
        self.faults: list[Fault] = []
        self.calls: list[tuple[str, dict[str, str]]] = []
        self.requests: list[HttpRequest] = []
        self.stale_polls = 0  # describes that still show Running right after a reboot
        self._lock = threading.RLock()

    # --- state ----------------------------------------------------------------------------

    def status(self, instance_id: str) -> str:
        if instance_id in self.fixed:
            return self.fixed[instance_id]
        at = self._rebooted_at[instance_id]
        if at is None:
            return "Running"
        elapsed = self.clock.monotonic() - at
        if elapsed < self.stopping:
            return "Stopping"
        return "Starting" if elapsed < self.stopping + self.starting else "Running"

    def start_time(self, instance_id: str) -> str:
        at = self._rebooted_at[instance_id]
        elapsed = None if at is None else self.clock.monotonic() - at
        if elapsed is None or elapsed < self.stopping:
            return self.start_times[instance_id]
        started = self.clock.utcnow() - timedelta(seconds=elapsed - self.stopping)
        return started.strftime("%Y-%m-%dT%H:%MZ")

    def _reboot(self, instance_id: str) -> None:
        self.start_times[instance_id] = self.start_time(instance_id)  # an earlier reboot's start stays
        self._rebooted_at[instance_id] = self.clock.monotonic()
        self.reboots[instance_id] += 1

    def transport(self) -> FakeTransport:
        return FakeTransport(self.handle)

    def rebooter(self, clock: FakeClock | None = None, **config: Any) -> Rebooter:
        """``client(clock, **config)`` under a Rebooter; RecoverySettings fields (``stale_window``,
        ``interval``, ``polls``, ``clock_skew``) among ``config`` set its recovery."""
        recovery = {k: config.pop(k) for k in list(config) if k in _RECOVERY_FIELDS}
        return rebooter(self.client(clock, **config), **recovery)

    def client(self, clock: FakeClock | None = None, **config: Any) -> EcsClient:
        cfg = ClientConfig(region_id="cn-test", endpoint="http://fake.test:1", **config)
        return EcsClient(cfg, StaticCredentialsProvider(Credentials(KEY_ID, SECRET)), transport=self.transport(),
                         clock=clock or self.clock, rand=lambda: 0.5)

    # --- wire -----------------------------------------------------------------------------

    def handle(self, request: HttpRequest) -> HttpResponse:
        params = dict(parse_qsl(urlsplit(request.url).query, keep_blank_values=True))
        action = params.get("Action") or request.headers.get("x-acs-action", "")
        with self._lock:
            self.calls.append((action, params))
            self.requests.append(request)
            fault = self._take_fault(action)
            if fault is not None and fault.kind != "drop_after":
                return self._fault_reply(fault)
            reply = self._answer(action, params)
            if fault is not None:  # drop_after: the action ran, the reply is lost
                raise TransportError("connection closed before a reply came", sent=True)
            return reply

    def _take_fault(self, action: str) -> Fault | None:
        for fault in self.faults:
            if fault.count > 0 and fault.action in (None, action):
                fault.count -= 1
                return fault
        return None

    def _fault_reply(self, fault: Fault) -> HttpResponse:
        if fault.kind == "refused":
            raise TransportError("cannot connect", sent=False)
        if fault.kind == "drop_before":
            raise TransportError("connection closed before a reply came", sent=True)
        if fault.kind == "garbage":
            return HttpResponse(200, {}, b"<html>oops")
        headers = {"x-acs-retry-after": str(fault.retry_after_ms)} if fault.retry_after_ms is not None else {}
        code = fault.code or ("Throttling" if fault.kind == "throttle" else "InternalError")
        return _error(fault.status, code, f"injected {code}", headers)

    def _answer(self, action: str, params: dict[str, str]) -> HttpResponse:
        if action == "DescribeInstances":
            return self._describe(params)
        if action == "RebootInstances":
            wanted = [v for k, v in sorted(params.items(), key=lambda kv: _index(kv[0]))
                      if k.startswith("InstanceId.")]
            return self._reboot_batch(wanted, params.get("BatchOptimization", "AllTogether"),
                                      params.get("DryRun") == "true")
        if action == "RebootInstance":
            return self._reboot_one(params["InstanceId"], params.get("DryRun") == "true")
        return _error(404, "InvalidAction.NotFound", action)

    def _check(self, instance_id: str) -> tuple[str, int] | None:
        if instance_id not in self._rebooted_at:
            return "InvalidInstanceId.NotFound", 404
        if self.status(instance_id) != "Running":
            return "IncorrectInstanceStatus", 403
        return None

    def _reboot_batch(self, wanted: list[str], mode: str, dry_run: bool) -> HttpResponse:
        if mode == "SuccessFirst":
            if dry_run:
                return _error(400, "DRYRUN.SUCCESS", "This request is a dryrun request with successful result.")
            rows = []
            for i in wanted:
                problem = self._check(i)
                previous = self.status(i) if i in self._rebooted_at else ""
                if problem is None:
                    self._reboot(i)
                rows.append({"InstanceId": i, "Code": 200 if problem is None else problem[0],
                             "Message": "success" if problem is None else "failed",
                             "PreviousStatus": previous, "CurrentStatus": self.status(i) if previous else ""})
            return _ok({"InstanceResponses": {"InstanceResponse": rows}})
        for i in wanted:
            problem = self._check(i)
            if problem is not None:
                return _error(problem[1], problem[0], f"{problem[0]} for {i}")
        if dry_run:
            return _error(400, "DRYRUN.SUCCESS", "This request is a dryrun request with successful result.")
        for i in wanted:
            self._reboot(i)
        return _ok({"InstanceResponses": {"InstanceResponse": [
            {"InstanceId": i, "Code": "200", "Message": "success", "PreviousStatus": "Running",
             "CurrentStatus": "Stopping"} for i in wanted]}})

    def _reboot_one(self, instance_id: str, dry_run: bool) -> HttpResponse:
        problem = self._check(instance_id)
        if problem is not None:
            return _error(problem[1], problem[0], problem[0])
        if dry_run:
            return _error(400, "DryRunOperation", "Request validation has been passed with DryRun flag set.")
        self._reboot(instance_id)
        return _ok({})

    def _describe(self, params: dict[str, str]) -> HttpResponse:
        wanted = json.loads(params["InstanceIds"])
        known = [i for i in wanted if i in self._rebooted_at]
        size = min(int(params.get("PageSize", "10")), self.page_size_cap)
        page = int(params.get("PageNumber", "1"))
        items = known[(page - 1) * size: page * size]
        stale = self.stale_polls > 0
        self.stale_polls = max(0, self.stale_polls - 1)
        return _ok({"Instances": {"Instance": [
            {"InstanceId": i, "Status": "Running" if stale else self.status(i),
             "StartTime": self.start_times[i] if stale else self.start_time(i)} for i in items]},
            "TotalCount": len(known), "PageNumber": page, "PageSize": size})


_counter = iter(range(10**9))


def _rid() -> str:
    return f"REQ-{next(_counter):06d}"


def _ok(doc: dict[str, Any]) -> HttpResponse:
    return HttpResponse(200, {}, json.dumps({"RequestId": _rid(), **doc}).encode())


def _error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> HttpResponse:
    body = {"RequestId": _rid(), "HostId": "fake", "Code": code, "Message": message}
    return HttpResponse(status, headers or {}, json.dumps(body).encode())


def _index(key: str) -> int:
    suffix = key.rpartition(".")[2]
    return int(suffix) if suffix.isdigit() else 0


class FakeRoundClient:
    """Just what ``run_round`` calls, over an in-memory fleet; records every call.

    ``fail``: instance -> error code its reboot gets; ``never_back``: instances that stay Stopping.
    """

    def __init__(self, clock: FakeClock, instance_ids: Sequence[str], *, reboot_seconds: float = 5.0) -> None:
        self.clock = clock
        self.reboot_seconds = reboot_seconds
        self.rebooted_at: dict[str, float] = {}
        self.known = set(instance_ids)
        self.fail: dict[str, str] = {}
        self.never_back: set[str] = set()
        self.calls: list[tuple[str, list[str]]] = []
        self.busy_max = 0
        self.on_describe: Callable[[], None] | None = None
        self.stale_window = 0.0
        self.baselines: list[Baseline | None] = []
        self._lock = threading.Lock()

    def status(self, instance_id: str) -> str:
        at = self.rebooted_at.get(instance_id)
        if at is not None and (instance_id in self.never_back or self.clock.monotonic() - at < self.reboot_seconds):
            return "Stopping"
        return "Running"

    def _busy(self) -> int:
        return sum(1 for i in self.rebooted_at if self.status(i) != "Running")

    def _outcome(self, i: str, dry_run: bool) -> InstanceOutcome:
        code = self.fail.get(i) or ("InvalidInstanceId.NotFound" if i not in self.known else None)
        if code:
            return InstanceOutcome(i, code, f"{code} (RequestId: R)")
        if dry_run:
            return InstanceOutcome(i, "DRYRUN.SUCCESS", "dry run passed")
        self.rebooted_at[i] = self.clock.monotonic()
        return InstanceOutcome(i, SUCCESS_CODE, "success", "Running", "Stopping")

    def reboot_instances(self, region_id: str, instance_ids: Sequence[str], *, force: bool = False,
                         batch_optimization: str = "AllTogether", dry_run: bool = False,
                         cancel: threading.Event | None = None, deadline: float | None = None,
                         baseline: Baseline | None = None) -> RebootReply:
        with self._lock:
            self.baselines.append(baseline)
            chunk = list(instance_ids)
            self.calls.append(("RebootInstances" + ("/dry" if dry_run else ""), chunk))
            bad = [i for i in chunk if i in self.fail or i not in self.known]
            if batch_optimization == "AllTogether" and bad:
                code = self.fail.get(bad[0], "InvalidInstanceId.NotFound")
                error = api_error(code, f"{code} for {bad[0]}", "R", 403, action="RebootInstances")
                return RebootReply([InstanceOutcome(i, code, f"{code} (RequestId: R)") for i in chunk], ["R"], error)
            outcomes = [self._outcome(i, dry_run) for i in chunk]
            self.busy_max = max(self.busy_max, self._busy())
            return RebootReply(outcomes, [f"R{self._sent()}"])

    def reboot_instance(self, region_id: str, instance_id: str, *, force: bool = False, dry_run: bool = False,
                        cancel: threading.Event | None = None, deadline: float | None = None,
                        baseline: Baseline | None = None) -> RebootReply:
        with self._lock:
            self.baselines.append(baseline)
            self.calls.append(("RebootInstance" + ("/dry" if dry_run else ""), [instance_id]))
            outcome = self._outcome(instance_id, dry_run)
            if dry_run and outcome.code == "DRYRUN.SUCCESS":
                outcome = InstanceOutcome(instance_id, "DryRunOperation", "passed")
            self.busy_max = max(self.busy_max, self._busy())
            return RebootReply([outcome], [f"R{self._sent()}"])

    def describe_states(self, region_id: str, instance_ids: Sequence[str], *, cancel: threading.Event | None = None,
                        deadline: float | None = None) -> dict[str, InstanceState]:
        """Status only: no StartTime, so the round's evidence is what it sees in transition."""
        if self.on_describe is not None:
            self.on_describe()
        with self._lock:
            self.calls.append(("DescribeInstances", list(instance_ids)))
            return {i: InstanceState(self.status(i)) for i in instance_ids if i in self.known}

    def count(self, action: str) -> int:
        return sum(1 for a, _ in self.calls if a == action)

    def _sent(self) -> int:
        """Reboot calls so far (their RequestIds are R1, R2, ...)."""
        return sum(1 for a, _ in self.calls if a != "DescribeInstances")

    def waits(self) -> list[list[str]]:
        """The ids of each DescribeInstances after the first reboot call (status polls, not the looks before)."""
        first = next((k for k, (a, _) in enumerate(self.calls) if a != "DescribeInstances"), len(self.calls))
        return [c for a, c in self.calls[first:] if a == "DescribeInstances"]
