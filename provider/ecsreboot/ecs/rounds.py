"""A reboot round: waves of at most ``max_unavailable`` instances; reboot a wave, wait, next wave.

``run_round`` never raises for what happens to instances: every instance ends with an outcome
(``InstanceOutcome``; ``"200"`` when rebooted), and instances rebooted but not seen Running again
are listed in ``not_back``. Within a wave RebootInstances goes in calls of at most 100 ids
(``BatchOptimization`` as asked), the first alone, the others ``options.concurrency`` at a time
(``_Round._batches``); ``api="RebootInstance"`` sends one call per instance,
``options.concurrency`` at a time, and never a RebootInstances call.

The next wave starts only once the previous one is Running again -- even with
``wait_for_running=False``, which only skips the wait after the last wave, since starting a wave
early would break ``max_unavailable``. A wave that times out (or whose wait is cancelled or cannot
read statuses) stops the round: later waves are not rebooted (outcome ``NotAttempted``).
The round is bounded by ``options.timeout`` and ``cancel``; a cancel returns within about a
second (a reboot request already in flight is allowed to finish, so its outcome is known).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Protocol

from ..core.clock import Clock
from ..core.errors import CREDENTIALS_HINT, AuthFailure, Cancelled, ConfigError, DeadlineExceeded, EcsError
from ..core.health import HEALTH_CHECK_FAILED, HealthCheck, fill
from ..core.model import InstanceOutcome, ProgressEvent, ProgressKind, RoundOptions, RoundResult
from ..core.operations import MAX_INSTANCES_PER_CALL
from ..core.plan import chunked, dedupe, waves
from ..core.status import TRANSITIONAL
from .dryrun import DryRunClient, DryRunReport, dry_run
from .evidence import Baseline, InstanceState
from .probes import Prober, SocketProber, wait_until_healthy
from .reboot import NOT_ATTEMPTED, RebootReply, failure_outcome
from .waiter import PollSchedule, StatusReader, WaitResult, wait_until_running

__all__ = ["DryRunReport", "RoundClient", "dry_run", "run_round"]

Progress = Callable[[ProgressEvent], None]
_ADDRESS_NAMES = {"privateIp": "private IP address", "publicIp": "public IP address or EIP",
                  "instanceId": "instance id"}
#: attempts at the look before a wave (each one after the client's own retries)
_LOOKS = 3


class RoundClient(DryRunClient, StatusReader, Protocol):
    """What a round needs: reboots with recovery and describes (a ``Rebooter`` over an ``EcsClient``)."""

    @property
    def stale_window(self) -> float:
        """Seconds DescribeInstances may keep showing the old Running after a reboot call."""
        ...


def run_round(
    client: RoundClient,
    instance_ids: Sequence[str],
    options: RoundOptions,
    *,
    progress: Progress,
    cancel: threading.Event,
    clock: Clock,
    prober: Callable[[HealthCheck], Prober] | None = None,
    looked: Baseline | None = None,
) -> RoundResult:
    """Reboot ``instance_ids`` (deduplicated) as ``options`` say; see the module docstring.

    With ``options.dry_run`` only the DryRun check runs and nothing is rebooted. ``prober`` makes the
    health probes of ``options.health_check`` (default: real sockets, ``SocketProber``). ``looked``: the
    instances as a describe saw them just before (the listing of an instanceSelector): the first wave's look
    takes what it shows instead of describing those instances again.
    """
    ids = dedupe(instance_ids)
    deadline = clock.monotonic() + options.timeout
    if options.dry_run:
        return _dry_run_round(client, ids, options, progress, cancel, deadline)
    check = options.health_check if options.wait_for_running else None
    probe = (prober or SocketProber)(check) if check is not None else None
    run = _Round(client, options, progress, cancel, clock, deadline, len(waves(ids, options.max_unavailable)),
                 check, probe, looked)
    remaining, number = ids, 0
    while remaining:
        number += 1
        size = run.next_wave_size(len(remaining))
        stop = run.stop_reason(number) or run.budget_reason(number, size)
        if stop is not None:
            for k, wave in enumerate(waves(remaining, options.max_unavailable)):
                run.skip(wave, run.stop_reason(number + k) or stop)
            break
        wave, remaining = remaining[:size], remaining[size:]
        run.result.waves = number - 1 + len(waves(wave + remaining, size))
        run.wave(number, wave, last=not remaining)
        if remaining:
            run.gate(number)
    if cancel.is_set() and run.result.failed_ids:
        # cut short by Cancel wherever it landed (a retry's backoff, a status check after a lost reply...)
        run.result.cancelled = True
    return run.result


class _Round:
    """The state of one round; one method per step."""

    def __init__(self, client: RoundClient, options: RoundOptions, progress: Progress,
                 cancel: threading.Event, clock: Clock, deadline: float, wave_count: int,
                 check: HealthCheck | None = None, prober: Prober | None = None,
                 looked: Baseline | None = None) -> None:
        self.client, self.options, self.progress = client, options, progress
        self.cancel, self.clock, self.deadline = cancel, clock, deadline
        self.result = RoundResult(waves=wave_count)
        self.halt: str | None = None
        self.baseline = Baseline()
        self.left: set[str] = set()
        self.check, self.prober = check, prober
        #: rebooted instances that failed their health check: still down, so they use up maxUnavailable
        self.down: set[str] = set()
        #: a look taken before the round (the selection's), for the first wave only
        self.looked = looked

    def next_wave_size(self, remaining: int) -> int:
        """``maxUnavailable`` less the instances still down (as Kubernetes counts unavailable pods)."""
        if self.options.max_unavailable is None:
            return remaining
        return min(remaining, self.options.max_unavailable - len(self.down))

    def budget_reason(self, number: int, size: int) -> str | None:
        if size > 0:
            return None
        self.result.stopped_by_failures = True
        return (f"{len(self.down)} instance(s) failed their health check and are still unavailable, using up "
                f"maxUnavailable ({self.options.max_unavailable}) before wave {number}")

    def gate(self, number: int) -> None:
        """After a wave: stop the rollout past ``maxFailures``; else soak ``pauseBetweenWaves``."""
        failed = len(self.result.failed_ids)
        limit = self.options.max_failures
        if self.halt is None and limit is not None and failed > limit:
            self.result.stopped_by_failures = True
            self.halt = f"{failed} instance(s) of the round failed, more than maxFailures ({limit})"
            self.event("warning", f"rollout stopped after wave {number}: {self.halt}", number)
            return
        pause = self.options.pause_between_waves
        if self.halt is not None or pause <= 0 or self.cancel.is_set():
            return
        self.event("pausing", f"wave {number}/{self.result.waves} done; pausing {pause:g}s before the next wave",
                   number)
        left = self.deadline - self.clock.monotonic()
        if left > 0 and not self.clock.sleep(min(pause, left), self.cancel):
            self.result.cancelled = True

    def stop_reason(self, number: int) -> str | None:
        if self.halt is not None:
            return self.halt
        if self.cancel.is_set():
            self.result.cancelled = True
            return f"the round was cancelled before wave {number} started"
        if self.clock.monotonic() >= self.deadline:
            self.result.timed_out = True
            return f"the round's timeout of {self.options.timeout:g}s ran out before wave {number} started"
        return None

    def skip(self, wave: Sequence[str], reason: str) -> None:
        self.result.outcomes.extend(InstanceOutcome(i, NOT_ATTEMPTED, f"not rebooted: {reason}") for i in wave)

    def event(self, kind: ProgressKind, message: str, number: int, *, running: int = 0, total: int = 0,
              healthy: int = 0, ephemeral: bool = False) -> None:
        self.progress(ProgressEvent(kind, message, wave=number, waves=self.result.waves, running=running,
                                    total=total, healthy=healthy, ephemeral=ephemeral))

    def probe(self, number: int, label: str, waited: WaitResult) -> int:
        """Probe the wave's instances that are Running again; fail the unhealthy ones. Returns how many
        are healthy. URLs come from the records the wait already read: no call of their own."""
        assert self.check is not None and self.prober is not None
        urls: dict[str, str] = {}
        failed: dict[str, str] = {}
        for iid in waited.back:
            url, missing = fill(self.check.url, waited.records[iid].placeholders(iid))
            if url is not None:
                urls[iid] = url
            else:
                name = missing or ""
                failed[iid] = f"no value for {{{name}}}: DescribeInstances reports no {_ADDRESS_NAMES.get(name, name)}"
        total, running = len(waited.back) + len(waited.pending) + len(waited.missing), len(waited.back)

        def on_progress(healthy: int, _: int, latest: str) -> None:
            note = f"; {latest}" if latest else ""
            self.event("probing", f"{label}: {running}/{total} Running, {healthy}/{total} healthy{note}", number,
                       running=running, total=total, healthy=healthy, ephemeral=True)

        on_progress(0, total, "")
        health = wait_until_healthy(urls, self.check, ready_at=waited.back_at, deadline=self.deadline,
                                    cancel=self.cancel, clock=self.clock, prober=self.prober,
                                    concurrency=self.options.probe_concurrency, on_progress=on_progress)
        failed.update(health.failed)
        self.result.health.update(dict.fromkeys(health.healthy, "healthy"))
        self.result.health.update(failed)
        if failed:
            self.down |= set(failed)
            self.result.outcomes = [
                replace(o, code=HEALTH_CHECK_FAILED, message=failed[o.instance_id]) if o.instance_id in failed else o
                for o in self.result.outcomes]
            for iid in list(failed)[:20]:
                self.event("warning", f"{label}: {iid} failed its health check: {failed[iid]}", number)
        if health.cancelled:
            self.result.cancelled = True
            self.halt = f"the round was cancelled while wave {number} was being probed"
        elif health.timed_out:
            self.result.timed_out = True
            self.halt = f"wave {number} was not healthy before the round's timeout"
        return len(health.healthy)

    def wave(self, number: int, wave: list[str], *, last: bool) -> None:
        label = f"wave {number}/{self.result.waves}"
        self.event("wave_started", f"{label}: rebooting {len(wave)} instance(s)", number, total=len(wave))
        self.baseline = self.look(wave)
        outcomes = self.reboot(wave)
        self.result.outcomes.extend(outcomes)
        ok = [o for o in outcomes if o.ok]
        failed = len(outcomes) - len(ok)
        self.event("rebooted", f"{label}: {len(ok)} rebooted" + (f", {failed} failed" if failed else ""),
                   number, total=len(wave))
        if not ok or (last and not self.options.wait_for_running):
            self.event("wave_done", f"{label} done", number, total=len(wave))
            return
        self.wait(number, label, ok)

    def look(self, wave: list[str]) -> Baseline:
        """The wave's instances before the reboot (``ceil(n/100)`` DescribeInstances): the evidence a lost
        reply and the wait are judged against. A look that fails after the client's retries is tried
        again (``_LOOKS`` in all) for the ids not yet seen; what is still unseen then has weaker evidence:
        a lost reply can be settled only by a status in transition.

        The first wave starts from the look taken before the round, if any: only what it did not see is
        described, and the baseline keeps that look's (earlier) time, which only makes StartTime less
        decisive."""
        taken_at = self.clock.utcnow()
        states: dict[str, InstanceState] = {}
        prior, self.looked = self.looked, None
        if prior is not None:
            states = {i: prior.states[i] for i in wave if i in prior.states}
            taken_at = prior.taken_at if states else taken_at
        for _ in range(_LOOKS):
            unseen = [i for i in wave if i not in states]
            if not unseen:
                break
            try:
                states.update(self.client.describe_states(self.options.region_id, unseen, cancel=self.cancel,
                                                          deadline=self.deadline))
                break
            except (Cancelled, DeadlineExceeded):
                break
            except EcsError:
                continue
        return Baseline(states, taken_at)

    def reboot(self, wave: list[str]) -> list[InstanceOutcome]:
        if self.options.api == "RebootInstance":
            replies = self._singles(wave)
        else:
            replies = self._batches(list(chunked(wave, MAX_INSTANCES_PER_CALL)))
        outcomes: list[InstanceOutcome] = []
        self.left = set()
        for reply in replies:
            outcomes.extend(reply.outcomes)
            self.left |= reply.left
            self.result.request_ids.extend(reply.request_ids)
            self._note_error(reply.error)
        return outcomes

    def _batches(self, chunks: list[list[str]]) -> list[RebootReply]:
        """The first chunk alone, the full chunks after it ``options.concurrency`` at a time, a partial
        last chunk after those; replies in chunk order.

        The first call is a canary: a refused signature or a wrong endpoint costs one call, not a burst,
        and halts the wave. Keeping the short last chunk last means request logs list the calls as
        100, 100, ..., remainder, as they did when every call waited for the previous one. Every chunk
        is still one call of its own, sent at most once (reboot_batch's rules); a chunk not yet sent
        when the round is cancelled or halted is not sent at all.
        """

        def one(chunk: list[str]) -> RebootReply:
            if self.cancel.is_set() or self.halt is not None:
                why = self.halt or "the round was cancelled"
                return RebootReply([failure_outcome(i, Cancelled(why)) for i in chunk])
            reply = self._batch(chunk)
            if isinstance(reply.error, AuthFailure | ConfigError):
                self.halt = self.halt or f"an earlier call failed: {reply.error}"
            return reply

        if not chunks:
            return []
        first, middle, last = one(chunks[0]), chunks[1:], []
        if len(middle) > 1 and len(middle[-1]) < len(middle[0]):
            middle, last = middle[:-1], middle[-1:]
        workers = min(max(1, self.options.concurrency), len(middle))
        if workers <= 1:
            replies = [first, *map(one, middle)]
        else:
            with ThreadPoolExecutor(workers, thread_name_prefix="ecsreboot-reboot") as pool:
                replies = [first, *pool.map(one, middle)]
        return replies + [one(chunk) for chunk in last]

    def _batch(self, chunk: list[str]) -> RebootReply:
        o = self.options
        return self.client.reboot_instances(o.region_id, chunk, force=o.force, batch_optimization=o.batch_optimization,
                                            cancel=self.cancel, deadline=self.deadline,
                                            baseline=self.baseline.restricted(chunk))

    def _singles(self, wave: list[str]) -> list[RebootReply]:
        def one(instance_id: str) -> RebootReply:
            if self.cancel.is_set():
                return RebootReply([failure_outcome(instance_id, Cancelled("the round was cancelled"))])
            return self.client.reboot_instance(self.options.region_id, instance_id, force=self.options.force,
                                               cancel=self.cancel, deadline=self.deadline,
                                               baseline=self.baseline.restricted([instance_id]))

        with ThreadPoolExecutor(max(1, self.options.concurrency), thread_name_prefix="ecsreboot-reboot") as pool:
            return list(pool.map(one, wave))

    def _note_error(self, error: EcsError | None) -> None:
        if error is None:
            return
        if isinstance(error, Cancelled):
            self.result.cancelled = True
            return
        if isinstance(error, DeadlineExceeded):  # a call could not be sent in time: later waves cannot either
            self.result.timed_out = True
            self.halt = self.halt or f"the round's timeout of {self.options.timeout:g}s ran out"
            return
        if self.result.error is None:
            self.result.error = f"{error}. {CREDENTIALS_HINT}" if isinstance(error, AuthFailure) else str(error)
        if isinstance(error, AuthFailure | ConfigError):
            # every further call would be refused the same way
            self.halt = f"an earlier call failed: {error}"

    def wait(self, number: int, label: str, ok: list[InstanceOutcome]) -> None:
        ids = [o.instance_id for o in ok]
        left = self.left | {o.instance_id for o in ok if o.current_status in TRANSITIONAL}

        def on_poll(back: int, total: int) -> None:
            self.event("waiting", f"{label}: waiting: {back}/{total} Running", number,
                       running=back, total=total, ephemeral=True)

        schedule = PollSchedule(interval=self.options.poll_interval, max_interval=self.options.poll_max_interval)
        waited = wait_until_running(self.client, self.options.region_id, ids, deadline=self.deadline,
                                    cancel=self.cancel, clock=self.clock, left=left, baseline=self.baseline,
                                    stale_window=self.client.stale_window, schedule=schedule, on_poll=on_poll)
        self.result.not_back.extend(waited.pending + waited.missing)
        if waited.missing:
            self.event("warning", f"{label}: no longer listed by DescribeInstances: {', '.join(waited.missing)}",
                       number)
        healthy = self.probe(number, label, waited) if self.check is not None else None
        if waited.done and (healthy is None or healthy == len(ids)):
            extra = "" if healthy is None else f", {healthy} healthy"
            self.event("wave_done", f"{label} done: {len(waited.back)} Running again{extra}", number,
                       running=len(waited.back), total=len(ids), healthy=healthy or 0)
            return
        if waited.done:
            self.event("wave_done", f"{label} done: {len(waited.back)} Running again, {healthy} healthy, "
                       f"{len(ids) - (healthy or 0)} failed the health check", number,
                       running=len(waited.back), total=len(ids), healthy=healthy or 0)
            return
        if waited.cancelled:
            self.result.cancelled = True
            self.halt = f"the round was cancelled while wave {number} was rebooting"
        elif waited.error is not None:
            self.result.error = self.result.error or f"cannot read instance statuses: {waited.error}"
            self.halt = f"wave {number} could not be confirmed Running again ({waited.error})"
        elif waited.timed_out:
            self.result.timed_out = True
            self.halt = f"wave {number} was not Running again before the round's timeout"
        else:  # only vanished instances are left: the wave is over
            self.event("wave_done", f"{label} done: {len(waited.back)} Running again, "
                       f"{len(waited.missing)} vanished", number, running=len(waited.back), total=len(ids))
            return
        self.event("warning", f"{label}: {len(waited.pending + waited.missing)} instance(s) not Running again",
                   number)


def _dry_run_round(client: RoundClient, ids: list[str], options: RoundOptions, progress: Progress,
                   cancel: threading.Event, deadline: float) -> RoundResult:
    def on_checked(done: int, total: int) -> None:
        progress(ProgressEvent("dry_run", f"dry run: {done}/{total} checked", total=total, running=done,
                               ephemeral=True))

    report = dry_run(client, ids, options, cancel=cancel, deadline=deadline, on_checked=on_checked)
    by_id = {o.instance_id: o for o in report.passed + report.warnings + report.failures}
    result = RoundResult(outcomes=[by_id[i] for i in ids], request_ids=report.request_ids, dry_run=True,
                         dry_run_failures=[o.instance_id for o in report.failures],
                         cancelled=cancel.is_set())
    if report.failures:
        first = report.failures[0]
        result.error = (f"{len(report.failures)} instance(s) would fail, e.g. {first.instance_id}: "
                        f"{first.code}: {first.message}")
    progress(ProgressEvent("dry_run", f"dry run: {len(report.passed)} passed, {len(report.warnings)} warning(s), "
                                      f"{len(report.failures)} failure(s)", total=len(ids)))
    return result
