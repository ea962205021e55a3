"""Reboot calls, which are not idempotent, turned into per-instance outcomes.

RebootInstance(s) has no ClientToken, so a reboot sent twice reboots twice. The client's ``call``
retries a reboot only when the failure proves nothing ran: throttling and other error answers
(the service refused the request), or a connection that never reached the server. After an
ambiguous failure -- read timeout, connection dropped after sending, unreadable reply -- this
module decides from **positive evidence**, never from ``Running`` alone, comparing what
DescribeInstances shows with the ``Baseline`` recorded right before the call (ecs/evidence.py):

* the instance's ``StartTime`` moved, or it is seen ``Stopping``/``Starting`` (having been Running):
  the lost call rebooted it -- outcome ``"200"``, "reboot confirmed";
* it is ``Running`` with the same ``StartTime``, on a look that started at least
  ``RecoverySettings.stale_window`` seconds after the loss (past the API's stale-``Running``
  window), and that StartTime is old enough that any new start would show (``start_time_decisive``):
  the call did not run -- it is sent again;
* a re-send refused with ``IncorrectInstanceStatus`` means the first call came late and is under
  way: it is looked at again until the transition shows (outcome ``"200"``, "reboot confirmed"),
  for at most ``stale_window`` seconds, and is never counted failed for the refusal alone -- an
  instance that shows no transition is ``RebootUnconfirmed``;
* anything else (every look failed, the id is not listed, a StartTime too recent to tell, a status
  that no reboot explains): outcome ``RebootUnconfirmed`` with the reason, never re-sent.

Looks are at most ``RecoverySettings.polls``, ``interval`` apart, one DescribeInstances per 100
ids each, and never past the deadline.

This policy sits one layer above the client: ``Rebooter`` takes any ``RebootCalls`` (signed calls and
describes, a clock) and its own ``RecoverySettings``; rounds and dry runs reboot through it. The client
knows nothing of it (botocore keeps ``_make_api_call`` apart from the retry handlers it is given).

Residual risk: a reboot the service carries out only later than ``stale_window`` after the
reply was lost (a request stuck in the server), or a client clock more than ``clock_skew`` seconds
ahead of the service's while an instance's StartTime is a few minutes old; and a
``RebootUnconfirmed`` instance that did reboot is rebooted again by the next round, which retries
``failedInstanceIds``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from ..core.clock import Clock
from ..core.errors import (
    ApiError,
    Cancelled,
    ConfigError,
    DeadlineExceeded,
    EcsError,
    IncorrectStatus,
    TransportError,
)
from ..core.model import SUCCESS_CODE, BatchOptimization, InstanceOutcome
from ..core.operations import OPERATIONS
from ..core.plan import dedupe
from ..core.status import TRANSITIONAL, InstanceStatus
from .evidence import Baseline, InstanceState, rebooted_evidence


class RebootCalls(Protocol):
    """What recovery needs of a client: signed calls (retried only when nothing can have run), describes
    of Status and StartTime, and the clock both run on."""

    @property
    def clock(self) -> Clock: ...

    def call(self, action: str, params: Mapping[str, Any], *, cancel: threading.Event | None = None,
             deadline: float | None = None) -> dict[str, Any]: ...

    def describe_states(self, region_id: str, instance_ids: Sequence[str], *, cancel: threading.Event | None = None,
                        deadline: float | None = None) -> dict[str, InstanceState]: ...


@dataclass(frozen=True)
class RecoverySettings:
    """How a lost reply is settled. Times are seconds.

    ``polls`` looks at most, ``interval`` apart; ``stale_window``: how long DescribeInstances may keep
    showing the old Running (and StartTime) after a reboot call, so only a look this long after the loss
    proves a call did not run; ``clock_skew``: how far the local clock may be off the service's;
    ``sends``: how many times one reboot request may be sent in all (re-sends after proven non-runs).
    """

    polls: int = 5
    interval: float = 1.0
    stale_window: float = 5.0
    clock_skew: float = 60.0
    sends: int = 6

    def __post_init__(self) -> None:
        for name, value in (("interval", self.interval), ("stale_window", self.stale_window),
                            ("clock_skew", self.clock_skew)):
            if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
                raise ConfigError(f"recovery {name} must be a positive number of seconds, not {value!r}")
        if self.polls < 1 or self.sends < 1:
            raise ConfigError("recovery polls and sends must be at least 1")


class Rebooter:
    """Reboot calls with recovery after a lost reply, over ``calls`` (an ``EcsClient``); what rounds and
    dry runs reboot through. ``describe_states`` and ``stale_window`` pass through for the waiter."""

    def __init__(self, calls: RebootCalls, settings: RecoverySettings | None = None) -> None:
        self.calls = calls
        self.settings = settings or RecoverySettings()

    @property
    def stale_window(self) -> float:
        return self.settings.stale_window

    @property
    def clock_skew(self) -> float:
        return self.settings.clock_skew

    def reboot_instances(self, region_id: str, instance_ids: Sequence[str], *, force: bool = False,
                         batch_optimization: BatchOptimization = "AllTogether", dry_run: bool = False,
                         cancel: threading.Event | None = None, deadline: float | None = None,
                         baseline: Baseline | None = None) -> RebootReply:
        """One RebootInstances call (at most 100 ids); outcomes as values. See ``reboot_batch``."""
        return reboot_batch(self.calls, self.settings, region_id, instance_ids, force=force,
                            batch_optimization=batch_optimization, dry_run=dry_run, cancel=cancel,
                            deadline=deadline, baseline=baseline)

    def reboot_instance(self, region_id: str, instance_id: str, *, force: bool = False, dry_run: bool = False,
                        cancel: threading.Event | None = None, deadline: float | None = None,
                        baseline: Baseline | None = None) -> RebootReply:
        """One RebootInstance call (``ForceStop`` = ``force``); outcome as a value."""
        return reboot_single(self.calls, self.settings, region_id, instance_id, force=force, dry_run=dry_run,
                             cancel=cancel, deadline=deadline, baseline=baseline)

    def describe_states(self, region_id: str, instance_ids: Sequence[str], *, cancel: threading.Event | None = None,
                        deadline: float | None = None) -> dict[str, InstanceState]:
        return self.calls.describe_states(region_id, instance_ids, cancel=cancel, deadline=deadline)

NOT_ATTEMPTED = "NotAttempted"
REBOOT_UNCONFIRMED = "RebootUnconfirmed"
TRANSPORT_ERROR = "TransportError"
CONFIG_ERROR = "ConfigError"
MISSING_FROM_REPLY = "MissingFromReply"
#: the refusal of a reboot because the instance is not Running (busy, or stopped)
BUSY = "IncorrectInstanceStatus"

RUNNING = InstanceStatus.RUNNING.value
STOPPING = InstanceStatus.STOPPING.value


@dataclass
class RebootReply:
    """Outcomes of one reboot request (and its re-sends), one per instance, in request order.

    ``error`` is the failure of the request as a whole, if any (AllTogether refusal, DryRun
    verdict, lost reply, credentials); the affected outcomes carry its code and message.
    """

    outcomes: list[InstanceOutcome]
    request_ids: list[str] = field(default_factory=list)
    error: EcsError | None = None
    #: instances known to have left Running (reported Stopping/Starting, seen so, or busy with the call)
    left: set[str] = field(default_factory=set)


Send = Callable[[list[str]], tuple[list[InstanceOutcome], str]]


def reboot_batch(client: RebootCalls, settings: RecoverySettings,
                 region_id: str, instance_ids: Sequence[str], *, force: bool,
                 batch_optimization: BatchOptimization, dry_run: bool,
                 cancel: threading.Event | None, deadline: float | None,
                 baseline: Baseline | None = None) -> RebootReply:
    """RebootInstances for ≤100 ids. AllTogether: all 200 or all the refusal's code; SuccessFirst:
    the reply's per-instance codes. Never raises: input the OPERATIONS table rejects (more than 100
    ids, ...) gives every instance that InvalidParameter code, without sending anything.
    ``baseline``: the instances as seen before (a round looks right before each call); without one, one
    DescribeInstances call records it first (not for a dry run)."""

    def send(pending: list[str]) -> tuple[list[InstanceOutcome], str]:
        reply = client.call("RebootInstances", {
            "RegionId": region_id, "InstanceId": pending, "ForceReboot": force,
            "BatchOptimization": batch_optimization, "DryRun": dry_run,
        }, cancel=cancel, deadline=deadline)
        return batch_outcomes(reply, pending, batch_optimization), str(reply.get("RequestId", ""))

    return _send_with_recovery(client, settings, "RebootInstances", region_id, dedupe(instance_ids), send,
                               dry_run=dry_run, cancel=cancel, deadline=deadline, baseline=baseline)


def reboot_single(client: RebootCalls, settings: RecoverySettings,
                  region_id: str, instance_id: str, *, force: bool, dry_run: bool,
                  cancel: threading.Event | None, deadline: float | None,
                  baseline: Baseline | None = None) -> RebootReply:
    """RebootInstance for one id (no RegionId is sent; ``region_id`` is for the status check)."""

    def send(pending: list[str]) -> tuple[list[InstanceOutcome], str]:
        reply = client.call("RebootInstance", {"InstanceId": pending[0], "ForceStop": force, "DryRun": dry_run},
                            cancel=cancel, deadline=deadline)
        return [_accepted(pending[0])], str(reply.get("RequestId", ""))

    return _send_with_recovery(client, settings, "RebootInstance", region_id, [instance_id], send,
                               dry_run=dry_run, cancel=cancel, deadline=deadline, baseline=baseline)


def batch_outcomes(reply: dict[str, Any], ids: Sequence[str], mode: BatchOptimization) -> list[InstanceOutcome]:
    """Per-instance outcomes of a RebootInstances success reply (``Code`` may be a number)."""
    rows: dict[str, dict[str, Any]] = {}
    for item in OPERATIONS["RebootInstances"].results(reply):
        if item.get("InstanceId"):
            rows[str(item["InstanceId"])] = item
    out = []
    for i in ids:
        row = rows.get(i)
        if row is None:
            out.append(_accepted(i) if mode == "AllTogether" else InstanceOutcome(
                i, MISSING_FROM_REPLY, "the SuccessFirst reply did not mention this instance"))
            continue
        code = str(row.get("Code", SUCCESS_CODE))
        ok = code == SUCCESS_CODE
        out.append(InstanceOutcome(
            i, code, str(row.get("Message") or ("success" if ok else "")),
            str(row.get("PreviousStatus") or (RUNNING if ok else "")),
            str(row.get("CurrentStatus") or (STOPPING if ok else ""))))
    return out


def _accepted(instance_id: str) -> InstanceOutcome:
    # A successful call means the service accepted the reboot; the docs say it leaves Running
    # at once, which is what the waiter needs to know.
    return InstanceOutcome(instance_id, SUCCESS_CODE, "success", RUNNING, STOPPING)


def failure_outcome(instance_id: str, err: EcsError) -> InstanceOutcome:
    """The outcome of an instance whose request failed as a whole: the error's code, message, RequestId."""
    if isinstance(err, ApiError):
        return InstanceOutcome(instance_id, err.code, f"{err.message} (RequestId: {err.request_id or 'none'})")
    if isinstance(err, Cancelled | DeadlineExceeded):
        return InstanceOutcome(instance_id, NOT_ATTEMPTED, f"not rebooted: {err}")
    if isinstance(err, TransportError):
        what = "request not sent" if not err.sent else "reply lost"
        return InstanceOutcome(instance_id, TRANSPORT_ERROR, f"not rebooted ({what}): {err}")
    code = CONFIG_ERROR if isinstance(err, ConfigError) else type(err).__name__
    return InstanceOutcome(instance_id, code, f"not rebooted: {err}")


def _send_with_recovery(client: RebootCalls, settings: RecoverySettings,
                        action: str, region_id: str, ids: list[str], send: Send, *,
                        dry_run: bool, cancel: threading.Event | None, deadline: float | None,
                        baseline: Baseline | None) -> RebootReply:
    settled: dict[str, InstanceOutcome] = {}
    request_ids: list[str] = []
    error: EcsError | None = None
    left: set[str] = set()
    pending = list(ids)
    resent: set[str] = set()  # ids being sent again after a lost reply showed the first call did not run
    loss: TransportError | None = None
    if baseline is None and not dry_run:
        baseline = take_baseline(client, region_id, ids, cancel=cancel, deadline=deadline)
    for _ in range(settings.sends):
        if not pending:
            break
        try:
            outcomes, request_id = send(pending)
        except TransportError as err:
            error = err
            if not err.sent or dry_run:  # nothing to confirm: it did not arrive, or changes nothing
                break
            assert baseline is not None
            found = _confirm_after_loss(client, settings, action, region_id, pending, err, baseline,
                                        cancel=cancel, deadline=deadline)
            settled.update(found.settled)
            left |= found.left
            pending, resent, loss = found.resend, set(found.resend), err
            continue
        except EcsError as err:  # an answer (refusal, DryRun verdict), Cancelled, ConfigError, deadline
            error = err
            if isinstance(err, ApiError) and err.request_id:
                request_ids.append(err.request_id)
            if isinstance(err, IncorrectStatus) and err.code == BUSY and resent and loss is not None:
                assert baseline is not None
                found = _busy_after_loss(client, settings, action, region_id, pending, err, loss, baseline,
                                         cancel=cancel, deadline=deadline)
                settled.update(found.settled)
                left |= found.left
                pending = found.resend  # always empty: a refused re-send is never sent again
            break
        busy = [o.instance_id for o in outcomes if o.instance_id in resent and o.code == BUSY]
        settled.update((o.instance_id, o) for o in outcomes)
        if busy and loss is not None:  # SuccessFirst: these are busy -- maybe with the first call
            assert baseline is not None
            refusal = IncorrectStatus(BUSY, settled[busy[0]].message, request_id, action=action)
            found = _busy_after_loss(client, settings, action, region_id, busy, refusal, loss, baseline,
                                     cancel=cancel, deadline=deadline)
            settled.update(found.settled)
            left |= found.left
        request_ids.append(request_id)
        pending, error = [], None
        break
    if not pending and all(i in settled for i in ids):
        error = None  # every instance settled (answered, or decided from evidence)
    for i in ids:  # what is left failed with the last error (or every reply was lost)
        if i not in settled:
            assert error is not None
            settled[i] = failure_outcome(i, error)
    left |= {o.instance_id for o in settled.values() if o.ok and o.current_status in TRANSITIONAL}
    return RebootReply([settled[i] for i in ids], [r for r in request_ids if r], error, left & set(ids))


def take_baseline(client: RebootCalls, region_id: str, ids: Sequence[str], *, cancel: threading.Event | None,
                  deadline: float | None) -> Baseline:
    """The instances as seen now (``ceil(n/100)`` DescribeInstances); empty when the look fails, which
    only means a lost reply can then be settled by a status in transition, never by StartTime."""
    taken_at = client.clock.utcnow()
    try:
        states = client.describe_states(region_id, ids, cancel=cancel, deadline=deadline)
    except EcsError:
        states = {}
    return Baseline(states, taken_at)


@dataclass
class _Found:
    """What looking at the instances after a lost reply settled, and what it showed must be re-sent."""

    settled: dict[str, InstanceOutcome] = field(default_factory=dict)
    resend: list[str] = field(default_factory=list)
    left: set[str] = field(default_factory=set)


def _confirm_after_loss(client: RebootCalls, settings: RecoverySettings,
                        action: str, region_id: str, ids: list[str], err: TransportError,
                        baseline: Baseline, *, cancel: threading.Event | None, deadline: float | None) -> _Found:
    """Look at the instances until each is decided (see the module docstring for the rules)."""
    config, clock = settings, client.clock
    lost_at = clock.monotonic()
    found = _Found()
    unresolved = list(ids)
    why_not: dict[str, str] = dict.fromkeys(ids, "its status could not be read")
    cut_short = ""
    for look in range(config.polls):
        if look:
            pause = max(config.interval, lost_at + config.stale_window - clock.monotonic())
            if deadline is not None and clock.monotonic() + pause > deadline:
                cut_short = " (the round's timeout ran out)"
                break
            if not clock.sleep(pause, cancel):
                cut_short = " (cancelled)"
                break
        started = clock.monotonic()
        try:
            states = client.describe_states(region_id, unresolved, cancel=cancel, deadline=deadline)
        except Cancelled:
            cut_short = " (cancelled)"
            break
        except DeadlineExceeded:
            cut_short = " (the round's timeout ran out)"
            break
        except EcsError:
            continue  # a failed look proves nothing
        settled_look = started - lost_at >= config.stale_window
        for i in unresolved:
            verdict = _judge(baseline, i, states.get(i), settled_look, config.clock_skew)
            if verdict.rebooted:
                now = states[i]
                found.settled[i] = InstanceOutcome(
                    i, SUCCESS_CODE, f"reboot confirmed: the {action} reply was lost ({err.detail}) and "
                    f"{verdict.reason}", RUNNING, now.status)
                if now.transitional:
                    found.left.add(i)
            elif verdict.not_run:
                found.resend.append(i)
            else:
                why_not[i] = verdict.reason
        unresolved = [i for i in unresolved if i not in found.settled and i not in found.resend]
        if not unresolved or (settled_look and all(why_not[i] in _FINAL for i in unresolved)):
            break
    for i in unresolved:
        found.settled[i] = InstanceOutcome(
            i, REBOOT_UNCONFIRMED, f"the {action} reply was lost ({err.detail}) and {why_not[i]}{cut_short}: "
            "the instance may or may not have been rebooted; it was not sent again")
    return found


@dataclass(frozen=True)
class _Verdict:
    rebooted: bool = False
    not_run: bool = False
    reason: str = ""


_NOT_LISTED = "it was not listed by DescribeInstances"
_TOO_RECENT = "its StartTime is too recent to tell whether it was started again"
_NOT_RUNNING = "it was not Running before the call"
#: reasons that another look will not change
_FINAL = frozenset({_TOO_RECENT, _NOT_RUNNING})


def _judge(baseline: Baseline, instance_id: str, now: InstanceState | None, settled_look: bool,
           skew: float) -> _Verdict:
    """One look at one instance after a lost reply: rebooted, provably not, or undecided (and why)."""
    why = rebooted_evidence(baseline, instance_id, now)
    if why is not None:
        return _Verdict(rebooted=True, reason=why)
    if now is None:
        return _Verdict(reason=_NOT_LISTED)
    before = baseline.get(instance_id)
    if before is None:
        return _Verdict(reason="it was not seen before the call, so its StartTime proves nothing")
    if before.status != RUNNING:
        return _Verdict(reason=_NOT_RUNNING)
    if now.status != RUNNING:
        return _Verdict(reason=f"it was then seen {now.status}")
    if not settled_look:
        return _Verdict(reason="it still showed the old Running")  # maybe stale: look again later
    if not baseline.decisive(instance_id, skew):
        return _Verdict(reason=_TOO_RECENT)
    return _Verdict(not_run=True)


def _busy_after_loss(client: RebootCalls, settings: RecoverySettings,
                     action: str, region_id: str, ids: list[str], refusal: IncorrectStatus,
                     loss: TransportError, baseline: Baseline, *, cancel: threading.Event | None,
                     deadline: float | None) -> _Found:
    """A re-send after a lost reply was refused with IncorrectInstanceStatus: an instance that was Running
    on the look before is busy now -- with the first call, whose processing came late. The refusal alone
    names no instance (AllTogether) and proves nothing if it was not genuine, so look again until the
    transition (or a moved StartTime) shows, for at most ``stale_window`` seconds after the refusal; an
    instance that shows none is ``RebootUnconfirmed``, never sent again."""
    config, clock = settings, client.clock
    refused_at = clock.monotonic()
    found = _Found()
    unresolved = list(ids)
    for look in range(config.polls):
        if look:
            if deadline is not None and clock.monotonic() + config.interval > deadline:
                break
            if not clock.sleep(config.interval, cancel):
                break
        started = clock.monotonic()
        try:
            states = client.describe_states(region_id, unresolved, cancel=cancel, deadline=deadline)
        except (Cancelled, DeadlineExceeded):
            break
        except EcsError:
            continue
        for i in unresolved:
            why = rebooted_evidence(baseline, i, states.get(i))
            if why is not None:
                found.settled[i] = InstanceOutcome(
                    i, SUCCESS_CODE, f"reboot confirmed: the {action} reply was lost ({loss.detail}), a re-send "
                    f"was refused ({refusal.code}: the first call came late) and {why}", RUNNING, states[i].status)
                if states[i].transitional:
                    found.left.add(i)
        unresolved = [i for i in unresolved if i not in found.settled]
        if not unresolved or started - refused_at >= config.stale_window:
            break
    for i in unresolved:
        found.settled[i] = InstanceOutcome(
            i, REBOOT_UNCONFIRMED, f"the {action} reply was lost ({loss.detail}) and a re-send was refused "
            f"({refusal.code}: {refusal.message}), but the instance was not then seen rebooting: the first call "
            "may or may not have rebooted it; it was not sent again")
    return found
