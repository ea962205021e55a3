"""A reboot round: waves of at most ``max_unavailable`` instances; reboot a wave, wait, next wave.

``run_round`` never raises for what happens to instances: every instance ends with an outcome
(``InstanceOutcome``; ``"200"`` when rebooted), and instances rebooted but not seen Running again
are listed in ``not_back``. Within a wave, instances go in groups of at most 100, each looked at,
rebooted and polled in turn with no barrier across the wave (ecs/pipeline.py): RebootInstances takes a
group per call (``BatchOptimization`` as asked), the wave's first call alone, then up to
``options.concurrency`` calls of any kind at once; ``api="RebootInstance"`` sends one call per
instance and never a RebootInstances call.

The next wave starts only once the previous one is Running again -- even with
``wait_for_running=False``, which only skips the wait after the last wave, since starting a wave
early would break ``max_unavailable``. A wave that times out (or whose wait is cancelled or cannot
read statuses) stops the round: later waves are not rebooted (outcome ``NotAttempted``).
The round is bounded by ``options.timeout`` and ``cancel``; a cancel returns within about a
second (a reboot request already in flight is allowed to finish, so its outcome is known).
Every step costs time in the instances it touches: a round of n instances costs O(n), whatever the
number of waves or groups.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Sequence
from dataclasses import replace

from ..core.clock import Clock
from ..core.errors import CREDENTIALS_HINT, AuthFailure, Cancelled, ConfigError, DeadlineExceeded, EcsError
from ..core.health import HEALTH_CHECK_FAILED, HealthCheck, fill
from ..core.model import InstanceOutcome, ProgressEvent, ProgressKind, RoundOptions, RoundResult
from ..core.plan import dedupe
from .dryrun import DryRunReport, dry_run
from .evidence import Baseline
from .pipeline import RoundClient, Wave, WaveOutcome
from .probes import Prober, SocketProber, wait_until_healthy
from .reboot import NOT_ATTEMPTED
from .waiter import WaitResult

__all__ = ["DryRunReport", "RoundClient", "dry_run", "run_round"]

Progress = Callable[[ProgressEvent], None]
_ADDRESS_NAMES = {"privateIp": "private IP address", "publicIp": "public IP address or EIP",
                  "instanceId": "instance id"}
#: the shortest time between two "waiting" lines of a wave (the last one, all back, always goes)
_PROGRESS_EVERY = 0.5


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
    instances' records as the caller read them right before the round (DescribeInstances, e.g. to select
    them): the first wave takes them as its look instead of asking again (later waves look for themselves,
    as what was seen before the first wave is no evidence minutes later).
    """
    ids = dedupe(instance_ids)
    deadline = clock.monotonic() + options.timeout
    if options.dry_run:
        return _dry_run_round(client, ids, options, progress, cancel, deadline)
    check = options.health_check if options.wait_for_running else None
    probe = (prober or SocketProber)(check) if check is not None else None
    run = _Round(client, options, progress, cancel, clock, deadline, _wave_count(len(ids), options.max_unavailable),
                 check, probe)
    done, number = 0, 0  # ids[done:] are still to go
    while done < len(ids):
        number += 1
        left = len(ids) - done
        size = run.next_wave_size(left)
        stop = run.stop_reason(number) or run.budget_reason(number, size)
        if stop is not None:
            step = options.max_unavailable or left
            for k, start in enumerate(range(done, len(ids), step)):
                run.skip(ids[start:start + step], run.stop_reason(number + k) or stop)
            break
        wave = ids[done:done + size]
        done += size
        run.result.waves = number + _wave_count(len(ids) - done, size)
        run.wave(number, wave, last=done == len(ids), looked=looked if number == 1 else None)
        if done < len(ids):
            run.gate(number)
    if cancel.is_set() and run.failures:
        # cut short by Cancel wherever it landed (a retry's backoff, a status check after a lost reply...)
        run.result.cancelled = True
    return run.result


def _wave_count(n: int, size: int | None) -> int:
    """How many waves of at most ``size`` (None: all at once) ``n`` instances make."""
    if n <= 0:
        return 0
    return 1 if size is None or size >= n else math.ceil(n / size)


class _Round:
    """The state of one round; one method per step."""

    def __init__(self, client: RoundClient, options: RoundOptions, progress: Progress,
                 cancel: threading.Event, clock: Clock, deadline: float, wave_count: int,
                 check: HealthCheck | None = None, prober: Prober | None = None) -> None:
        self.client, self.options, self.progress = client, options, progress
        self.cancel, self.clock, self.deadline = cancel, clock, deadline
        self.result = RoundResult(waves=wave_count)
        self.halt: str | None = None
        #: instances of the round failed so far (not rebooted, not back, or unhealthy): ``failed_ids`` counted
        #: wave by wave, not recomputed over the whole round after each
        self.failures = 0
        #: what the waits learnt of the reboot's length (ecs/waiter.Watch), handed on from wave to wave
        self.floor = 0.0
        self.check, self.prober = check, prober
        #: rebooted instances that failed their health check: still down, so they use up maxUnavailable
        self.down: set[str] = set()

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
        failed = self.failures
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

    def probe(self, number: int, label: str, waited: WaitResult, outcomes: list[InstanceOutcome]) -> int:
        """Probe the wave's instances that are Running again; fail the unhealthy ones (their ``outcomes``,
        the wave's, are replaced). Returns how many are healthy. URLs come from the records the wait
        already read: no call of their own."""
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
            for k, o in enumerate(outcomes):
                if o.instance_id in failed:
                    outcomes[k] = replace(o, code=HEALTH_CHECK_FAILED, message=failed[o.instance_id])
            for iid in list(failed)[:20]:
                self.event("warning", f"{label}: {iid} failed its health check: {failed[iid]}", number)
        if health.cancelled:
            self.result.cancelled = True
            self.halt = f"the round was cancelled while wave {number} was being probed"
        elif health.timed_out:
            self.result.timed_out = True
            self.halt = f"wave {number} was not healthy before the round's timeout"
        return len(health.healthy)

    def wave(self, number: int, wave: list[str], *, last: bool, looked: Baseline | None = None) -> None:
        label = f"wave {number}/{self.result.waves}"
        self.event("wave_started", f"{label}: rebooting {len(wave)} instance(s)", number, total=len(wave))

        def on_rebooted(ok: int, failed: int) -> None:
            self.event("rebooted", f"{label}: {ok} rebooted" + (f", {failed} failed" if failed else ""),
                       number, total=len(wave))

        pipeline = Wave(self.client, wave, self.options, wait=not last or self.options.wait_for_running,
                        cancel=self.cancel, clock=self.clock, deadline=self.deadline, halted=lambda: self.halt,
                        on_error=self._note_error, on_poll=self._waiting(number, label), on_rebooted=on_rebooted,
                        floor=self.floor, looked=looked)
        sent = pipeline.run()
        self.floor = pipeline.watch.floor
        self.result.request_ids.extend(sent.request_ids)
        if sent.waited is None:
            self.result.outcomes.extend(sent.outcomes)
            self.failures += sum(1 for o in sent.outcomes if not o.ok)
            self.event("wave_done", f"{label} done", number, total=len(wave))
            return
        self.waited(number, label, sent)

    def _waiting(self, number: int, label: str) -> Callable[[int, int], None]:
        """The ephemeral "waiting" line after a poll: at most one per ``_PROGRESS_EVERY`` seconds, and the
        last one (every instance back) always."""
        last = [float("-inf")]

        def on_poll(back: int, total: int) -> None:
            now = self.clock.monotonic()
            if back < total and now - last[0] < _PROGRESS_EVERY:
                return
            last[0] = now
            self.event("waiting", f"{label}: waiting: {back}/{total} Running", number,
                       running=back, total=total, ephemeral=True)

        return on_poll

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

    def waited(self, number: int, label: str, sent: WaveOutcome) -> None:
        """After a wave's wait: its outcomes and failures counted, its instances probed, its end reported."""
        waited, ids = sent.waited, sent.ok
        assert waited is not None
        outcomes = sent.outcomes
        not_back = waited.pending + waited.missing
        self.result.not_back.extend(not_back)
        if waited.missing:
            self.event("warning", f"{label}: no longer listed by DescribeInstances: {', '.join(waited.missing)}",
                       number)
        healthy = self.probe(number, label, waited, outcomes) if self.check is not None else None
        self.result.outcomes.extend(outcomes)
        self.failures += sum(1 for o in outcomes if not o.ok) + len(not_back)
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
        self.event("warning", f"{label}: {len(not_back)} instance(s) not Running again", number)


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
