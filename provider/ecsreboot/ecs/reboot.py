"""Reboot calls, which are not idempotent, turned into per-instance outcomes.

RebootInstance(s) has no ClientToken, so a reboot sent twice reboots twice. ``EcsClient.call``
retries a reboot only when the failure proves nothing ran: throttling and other error answers
(the service refused the request), or a connection that never reached the server. After an
ambiguous failure -- read timeout, connection dropped after sending, unreadable reply -- this
module looks before it re-sends: it describes the instances a few times
(``ClientConfig.ambiguity_polls``, ``ambiguity_interval`` apart, on the injected clock), because
right after the call an instance may still show Running before its transition does.

* seen Stopping/Starting: the lost call rebooted it; outcome ``"200"``, "confirmed by status";
* seen not-in-transition on every poll (normally Running): not rebooted; re-sent (a Stopped
  instance is re-sent too -- the API then answers with the real reason);
* not seen on every poll (describe failed or the id vanished): outcome ``RebootUnconfirmed``,
  never re-sent.

Residual risk: an instance whose whole reboot (Stopping, Starting, back to Running) happens between
the lost call and the first poll, or whose transition shows only after the last grace poll, is
judged not rebooted and is rebooted a second time. Real ECS reboots take tens of seconds, so with
the first poll immediately after the failure this needs a very slow-to-update status.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..core.errors import ApiError, Cancelled, ConfigError, EcsError, TransportError
from ..core.model import SUCCESS_CODE, BatchOptimization, InstanceOutcome
from ..core.plan import dedupe
from ..core.status import TRANSITIONAL, InstanceStatus

if TYPE_CHECKING:
    from .client import EcsClient

NOT_ATTEMPTED = "NotAttempted"
REBOOT_UNCONFIRMED = "RebootUnconfirmed"
TRANSPORT_ERROR = "TransportError"
CONFIG_ERROR = "ConfigError"
MISSING_FROM_REPLY = "MissingFromReply"

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


Send = Callable[[list[str]], tuple[list[InstanceOutcome], str]]


def reboot_batch(client: EcsClient, region_id: str, instance_ids: Sequence[str], *, force: bool,
                 batch_optimization: BatchOptimization, dry_run: bool,
                 cancel: threading.Event | None, deadline: float | None) -> RebootReply:
    """RebootInstances for ≤100 ids. AllTogether: all 200 or all the refusal's code; SuccessFirst:
    the reply's per-instance codes. Never raises: input the OPERATIONS table rejects (more than 100
    ids, ...) gives every instance that InvalidParameter code, without sending anything."""

    def send(pending: list[str]) -> tuple[list[InstanceOutcome], str]:
        reply = client.call("RebootInstances", {
            "RegionId": region_id, "InstanceId": pending, "ForceReboot": force,
            "BatchOptimization": batch_optimization, "DryRun": dry_run,
        }, cancel=cancel, deadline=deadline)
        return batch_outcomes(reply, pending, batch_optimization), str(reply.get("RequestId", ""))

    return _send_with_recovery(client, "RebootInstances", region_id, dedupe(instance_ids), send,
                               dry_run=dry_run, cancel=cancel, deadline=deadline)


def reboot_single(client: EcsClient, region_id: str, instance_id: str, *, force: bool, dry_run: bool,
                  cancel: threading.Event | None, deadline: float | None) -> RebootReply:
    """RebootInstance for one id (no RegionId is sent; ``region_id`` is for the status check)."""

    def send(pending: list[str]) -> tuple[list[InstanceOutcome], str]:
        reply = client.call("RebootInstance", {"InstanceId": pending[0], "ForceStop": force, "DryRun": dry_run},
                            cancel=cancel, deadline=deadline)
        return [_accepted(pending[0])], str(reply.get("RequestId", ""))

    return _send_with_recovery(client, "RebootInstance", region_id, [instance_id], send,
                               dry_run=dry_run, cancel=cancel, deadline=deadline)


def batch_outcomes(reply: dict[str, Any], ids: Sequence[str], mode: BatchOptimization) -> list[InstanceOutcome]:
    """Per-instance outcomes of a RebootInstances success reply (``Code`` may be a number)."""
    rows: dict[str, dict[str, Any]] = {}
    for row in (reply.get("InstanceResponses") or {}).get("InstanceResponse") or []:
        if isinstance(row, dict) and row.get("InstanceId"):
            rows[str(row["InstanceId"])] = row
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
    if isinstance(err, Cancelled):
        return InstanceOutcome(instance_id, NOT_ATTEMPTED, f"not rebooted: {err}")
    if isinstance(err, TransportError):
        what = "request not sent" if not err.sent else "reply lost"
        return InstanceOutcome(instance_id, TRANSPORT_ERROR, f"not rebooted ({what}): {err}")
    code = CONFIG_ERROR if isinstance(err, ConfigError) else type(err).__name__
    return InstanceOutcome(instance_id, code, f"not rebooted: {err}")


def _send_with_recovery(client: EcsClient, action: str, region_id: str, ids: list[str], send: Send, *,
                        dry_run: bool, cancel: threading.Event | None, deadline: float | None) -> RebootReply:
    settled: dict[str, InstanceOutcome] = {}
    request_ids: list[str] = []
    error: EcsError | None = None
    pending = list(ids)
    for _ in range(client.retry.max_retries + 1):
        if not pending:
            break
        try:
            outcomes, request_id = send(pending)
        except TransportError as err:
            error = err
            if not err.sent or dry_run:  # nothing to confirm: it did not arrive, or changes nothing
                break
            confirmed, pending = _confirm_after_loss(client, action, region_id, pending, err,
                                                     cancel=cancel, deadline=deadline)
            settled.update(confirmed)
            continue
        except EcsError as err:  # an answer (refusal, DryRun verdict), Cancelled, ConfigError
            error = err
            if isinstance(err, ApiError) and err.request_id:
                request_ids.append(err.request_id)
            break
        settled.update((o.instance_id, o) for o in outcomes)
        request_ids.append(request_id)
        pending, error = [], None
        break
    if not pending:
        error = None  # every instance settled (answered, or confirmed by status)
    for i in pending:  # what is left failed with the last error (or every reply was lost)
        assert error is not None
        settled[i] = failure_outcome(i, error)
    return RebootReply([settled[i] for i in ids], [r for r in request_ids if r], error)


def _confirm_after_loss(client: EcsClient, action: str, region_id: str, ids: list[str], err: TransportError,
                        *, cancel: threading.Event | None, deadline: float | None,
                        ) -> tuple[dict[str, InstanceOutcome], list[str]]:
    """(outcomes settled by status, ids to re-send). See the module docstring for the rules."""
    config, clock = client.config, client.clock
    confirmed: dict[str, InstanceOutcome] = {}
    observed = dict.fromkeys(ids, 0)
    unresolved = list(ids)
    cut_short = ""
    for poll in range(config.ambiguity_polls):
        if poll:
            if deadline is not None and clock.monotonic() + config.ambiguity_interval > deadline:
                cut_short = " (the round's timeout ran out)"
                break
            if not clock.sleep(config.ambiguity_interval, cancel):
                cut_short = " (cancelled)"
                break
        try:
            statuses = client.describe_statuses(region_id, unresolved, cancel=cancel, deadline=deadline)
        except EcsError:
            continue  # a failed poll proves nothing; the instance then cannot be re-sent safely
        for i in unresolved:
            status = statuses.get(i)
            if status is None:
                continue
            observed[i] += 1
            if status in TRANSITIONAL:
                confirmed[i] = InstanceOutcome(
                    i, SUCCESS_CODE, f"reboot confirmed by status: the {action} reply was lost ({err.detail}) "
                    f"and the instance was then seen {status}", RUNNING, status)
        unresolved = [i for i in unresolved if i not in confirmed]
        if not unresolved:
            break
    resend = [i for i in unresolved if observed[i] == config.ambiguity_polls]
    for i in unresolved:
        if i not in resend:
            confirmed[i] = InstanceOutcome(
                i, REBOOT_UNCONFIRMED, f"the {action} reply was lost ({err.detail}) and the status could "
                f"not be checked{cut_short}: the instance may or may not have been rebooted; it was not re-sent")
    return confirmed, resend
