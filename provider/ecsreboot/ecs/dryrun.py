"""Checking a would-be reboot with the API's DryRun, with a verdict for every instance.

The check uses the operation the real round would use (``options.api``). RebootInstances is
always checked in ``AllTogether`` mode: with ``SuccessFirst`` a DryRun answers ``DRYRUN.SUCCESS``
whatever the check found, which proves nothing. Chunks of 100 are checked concurrently
(``options.concurrency`` at once).

An AllTogether answer names one problem for the whole chunk, so a failed chunk is looked at with one
DescribeInstances of its ids: when the answer was NotFound, the ids the region does not list are
the unknown ones (and if it lists none — a wrong region — every id keeps the chunk's answer, with no
further call); listed instances not ``Running`` are warnings; the rest is checked again in one
DryRun. So unknown ids, a wrong region and stopped instances cost at most 3 calls per chunk of 100.
Only what that cannot tell apart (a locked or expired instance among good ones, a failing look) is
bisected until each failing instance stands alone. Errors that no instance causes on its own
(signature, throttling after retries, transport) are given to the whole chunk at once.

Verdicts: the operation's dry-run "passed" code (``DRYRUN.SUCCESS`` / ``DryRunOperation``, from the
operations table) passes; IncorrectInstanceStatus, InstanceNotReady, InvalidOperation.Conflict are
warnings (a passing condition: not Running right now); everything else (NotFound, Forbidden,
AuthFailure, InvalidParameter, ...) is a failure.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Literal, Protocol

from ..core.errors import (
    ApiError,
    AuthFailure,
    Cancelled,
    EcsError,
    IncorrectStatus,
    NotFound,
    Throttled,
    Transient,
    error_class,
)
from ..core.model import SUCCESS_CODE, BatchOptimization, InstanceOutcome, RoundOptions
from ..core.operations import MAX_INSTANCES_PER_CALL, OPERATIONS
from ..core.plan import chunked, dedupe
from .evidence import Baseline, InstanceState
from .reboot import RebootReply, failure_outcome

Verdict = Literal["passed", "warning", "failure"]
#: a dry run passes with the operation's own "passed" code (the operations table), or a plain success
PASS_CODES: frozenset[str] = frozenset(
    {*(op.dry_run_passed for op in OPERATIONS.values() if op.dry_run_passed), SUCCESS_CODE})


class DryRunClient(Protocol):
    def reboot_instances(self, region_id: str, instance_ids: Sequence[str], *, force: bool = False,
                         batch_optimization: BatchOptimization = "AllTogether", dry_run: bool = False,
                         cancel: threading.Event | None = None, deadline: float | None = None,
                         baseline: Baseline | None = None) -> RebootReply: ...

    def reboot_instance(self, region_id: str, instance_id: str, *, force: bool = False, dry_run: bool = False,
                        cancel: threading.Event | None = None, deadline: float | None = None,
                        baseline: Baseline | None = None) -> RebootReply: ...

    def describe_states(self, region_id: str, instance_ids: Sequence[str], *, cancel: threading.Event | None = None,
                        deadline: float | None = None) -> dict[str, InstanceState]: ...


@dataclass
class DryRunReport:
    """Every instance in exactly one list. ``ok`` when nothing failed (warnings pass)."""

    passed: list[InstanceOutcome] = field(default_factory=list)
    warnings: list[InstanceOutcome] = field(default_factory=list)
    failures: list[InstanceOutcome] = field(default_factory=list)
    request_ids: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failures

    def add(self, outcome: InstanceOutcome) -> None:
        {"passed": self.passed, "warning": self.warnings, "failure": self.failures}[verdict(outcome.code)].append(
            outcome)


def verdict(code: str) -> Verdict:
    """How a DryRun answer code counts."""
    if code in PASS_CODES:
        return "passed"
    if error_class(code, 0) is IncorrectStatus:
        return "warning"
    return "failure"


def dry_run(
    client: DryRunClient,
    instance_ids: Sequence[str],
    options: RoundOptions,
    *,
    cancel: threading.Event | None = None,
    deadline: float | None = None,
    on_checked: Callable[[int, int], None] | None = None,
) -> DryRunReport:
    """Check every instance with DryRun; never reboots. ``on_checked(done, total)`` after each call."""
    ids = dedupe(instance_ids)
    report = DryRunReport()
    checked: list[InstanceOutcome] = []

    lock = threading.Lock()

    def record(reply: RebootReply) -> None:
        with lock:
            checked.extend(reply.outcomes)
            report.request_ids.extend(reply.request_ids)
            if on_checked is not None:
                on_checked(len(checked), len(ids))

    if options.api == "RebootInstance":
        _per_instance(client, ids, options, record, cancel, deadline)
    else:
        def check(chunk: list[str]) -> None:
            if cancel is not None and cancel.is_set():
                record(RebootReply([failure_outcome(i, Cancelled("dry run cancelled")) for i in chunk]))
            else:
                _check_chunk(client, chunk, options, record, cancel, deadline)

        chunks = list(chunked(ids, MAX_INSTANCES_PER_CALL))
        with ThreadPoolExecutor(max(1, min(options.concurrency, len(chunks))),
                                thread_name_prefix="ecsreboot-dryrun") as pool:
            for future in [pool.submit(check, c) for c in chunks]:
                future.result()
    by_id = {o.instance_id: o for o in checked}
    for i in ids:
        report.add(by_id[i])
    return report


def _check_chunk(client: DryRunClient, chunk: list[str], options: RoundOptions,
                 record: Callable[[RebootReply], None], cancel: threading.Event | None,
                 deadline: float | None) -> None:
    reply = _dry_run_call(client, chunk, options, cancel, deadline)
    if _settled(chunk, reply):
        record(reply)
        return
    # The answer names one problem for the whole chunk: one look tells the usual ones apart.
    try:
        states = client.describe_states(options.region_id, chunk, cancel=cancel, deadline=deadline)
    except EcsError:
        _bisect(client, chunk, options, record, cancel, deadline, reply)
        return
    if not states and isinstance(reply.error, NotFound):
        record(reply)  # the region lists none of them (a wrong region, or all unknown): the answer stands
        return
    settled: list[InstanceOutcome] = []
    rest: list[str] = []
    rid = f" (RequestId: {reply.request_ids[0]})" if reply.request_ids else ""
    for i in chunk:
        state = states.get(i)
        if state is None and isinstance(reply.error, NotFound):
            settled.append(InstanceOutcome(i, reply.error.code, f"{options.region_id} has no instance {i}: "
                                                                 f"{reply.error.message}{rid}"))
        elif state is not None and state.status != "Running":
            settled.append(InstanceOutcome(i, "IncorrectInstanceStatus", f"the instance is {state.status} right now",
                                           state.status, state.status))
        else:
            rest.append(i)
    if not settled:  # the look explained nothing: only halving can tell which instance it is
        _bisect(client, chunk, options, record, cancel, deadline, reply)
        return
    record(RebootReply(settled, reply.request_ids))
    if rest:  # checked again as one; halved only if that fails too
        _bisect(client, rest, options, record, cancel, deadline, _dry_run_call(client, rest, options, cancel, deadline))


def _dry_run_call(client: DryRunClient, ids: list[str], options: RoundOptions, cancel: threading.Event | None,
                  deadline: float | None) -> RebootReply:
    return client.reboot_instances(options.region_id, ids, force=options.force, batch_optimization="AllTogether",
                                   dry_run=True, cancel=cancel, deadline=deadline)


def _passed(reply: RebootReply) -> bool:
    return all(verdict(o.code) == "passed" for o in reply.outcomes)


def _settled(ids: list[str], reply: RebootReply) -> bool:
    """Whether ``reply`` already gives each of ``ids`` its own verdict (nothing to tell apart)."""
    return len(ids) == 1 or _passed(reply) or not _bisectable(reply.error)


def _bisect(client: DryRunClient, chunk: list[str], options: RoundOptions, record: Callable[[RebootReply], None],
            cancel: threading.Event | None, deadline: float | None, reply: RebootReply) -> None:
    """Halve ``chunk`` (whose DryRun ``reply`` failed) until each failing instance stands alone."""
    if _settled(chunk, reply):
        record(reply)
        return
    record(RebootReply([], reply.request_ids))
    half = len(chunk) // 2
    for part in (chunk[:half], chunk[half:]):
        _bisect(client, part, options, record, cancel, deadline, _dry_run_call(client, part, options, cancel, deadline))


def _bisectable(error: EcsError | None) -> bool:
    """Whether the failure may belong to particular instances (so halving the chunk can tell)."""
    return isinstance(error, ApiError) and not isinstance(error, AuthFailure | Throttled | Transient)


def _per_instance(client: DryRunClient, ids: list[str], options: RoundOptions,
                  record: Callable[[RebootReply], None], cancel: threading.Event | None,
                  deadline: float | None) -> None:
    lock = threading.Lock()

    def check(instance_id: str) -> None:
        if cancel is not None and cancel.is_set():
            reply = RebootReply([failure_outcome(instance_id, Cancelled("dry run cancelled"))])
        else:
            reply = client.reboot_instance(options.region_id, instance_id, force=options.force, dry_run=True,
                                           cancel=cancel, deadline=deadline)
        with lock:
            record(reply)

    with ThreadPoolExecutor(max(1, options.concurrency), thread_name_prefix="ecsreboot-dryrun") as pool:
        for future in [pool.submit(check, i) for i in ids]:
            future.result()
