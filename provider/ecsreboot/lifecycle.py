"""The RebootTrigger lifecycle, independent of how Pulumi reaches it.

The gRPC plugin (adapter/) and the dynamic provider (dynamic.py) both call these methods, so
diffing, target selection and output building exist once. Values are domain values
(``core.values``: Secret and UNKNOWN markers), outputs are a superset of inputs.

Decisions are taken against the *recorded outputs* (the triggers last applied and
``failedInstanceIds``), because after a partial failure the engine keeps the old inputs but the
new outputs.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from .core.checks import ALL_TRIGGERS, CheckFailure, check_inputs, trigger_changes
from .core.clock import Clock, rfc3339
from .core.errors import (
    CREDENTIALS_HINT,
    AuthFailure,
    Cancelled,
    InputError,
    Reason,
    ResourceInitFailed,
    error_class,
)
from .core.health import HealthCheck
from .core.model import InstanceOutcome, ProgressEvent, RoundOptions, RoundResult
from .core.paths import property_path, top_level
from .core.plan import waves as plan_waves
from .core.resource import DEFAULT_TIMEOUT_SECONDS, OUTPUTS, input_names
from .core.values import UNKNOWN, Secret, canonical, contains_secret, is_known, reveal, wrap_like

Progress = Callable[[ProgressEvent], None]


class DryRunVerdicts(Protocol):
    """What a dry run found (ecs.rounds.DryRunReport has this shape)."""

    passed: list[InstanceOutcome]
    warnings: list[InstanceOutcome]
    failures: list[InstanceOutcome]
    request_ids: list[str]


class RebootBackend(Protocol):
    """What the lifecycle needs from the ECS layer; the adapter passes the real one."""

    def credentials_problem(self) -> str | None:
        """None when credentials are at hand, else what is wrong with them (no secret in it)."""
        ...

    def run_round(
        self, instance_ids: Sequence[str], options: RoundOptions, progress: Progress, cancel: threading.Event
    ) -> RoundResult: ...

    def dry_run(
        self, instance_ids: Sequence[str], options: RoundOptions, cancel: threading.Event | None = None
    ) -> DryRunVerdicts: ...


class PreviewRejected(Exception):
    """The preview's dry run found permanent problems; the message names each, with code and RequestId."""


@dataclass
class StepResult:
    """Outputs of a Create/Update that did all its work. A step that failed part-way raises
    ``ResourceInitFailed`` with its outputs instead: the step fails, but they must be saved."""

    id: str
    outputs: dict[str, Any]
    #: one line on what the step did to the instances, for the engine log (None: nothing)
    summary: str | None = None


@dataclass(frozen=True)
class DiffResult:
    changed: bool
    #: top-level property names that changed
    diffs: list[str]
    #: property path (``triggers.configHash``) -> "add" | "delete" | "update"
    detailed: dict[str, str]


_OUTPUT_NAMES = tuple(p.name for p in OUTPUTS)


class TriggerLifecycle:
    """Check, Diff, Create, Update, Read and Delete of ``ecsreboot:index:RebootTrigger``."""

    def __init__(self, backend: RebootBackend, clock: Clock, new_id: Callable[[], str] | None = None) -> None:
        self._backend = backend
        self._clock = clock
        self._new_id = new_id or (lambda: f"rt-{uuid.uuid4().hex[:16]}")

    # --- Check / Diff ---------------------------------------------------------------------------

    def check(
        self, news: Mapping[str, Any], default_region: str | Secret | None
    ) -> tuple[dict[str, Any], list[CheckFailure]]:
        return check_inputs(news, default_region=default_region)

    def diff(self, olds: Mapping[str, Any], news: Mapping[str, Any]) -> DiffResult:
        """``olds`` are the recorded outputs, ``news`` the checked inputs. Never a replacement."""
        detailed: dict[str, str] = {}
        for key, kind in trigger_changes(olds.get("triggers"), news.get("triggers")).items():
            # a key the path syntax cannot hold is reported as a change of the whole map
            path = None if key == ALL_TRIGGERS else property_path("triggers", key)
            detailed[path or "triggers"] = kind if path else "update"
        for name in input_names():
            if name == "triggers":
                continue
            old, new = olds.get(name), news.get(name)
            if not is_known(new) or _differs(old, new):
                detailed[name] = "add" if old is None else ("delete" if new is None else "update")
        if reveal(olds.get("failedInstanceIds")):
            detailed["failedInstanceIds"] = "update"  # a retry of the failed instances is pending
        diffs = sorted({top_level(path) for path in detailed})
        return DiffResult(bool(detailed), diffs, detailed)

    # --- Create / Update ------------------------------------------------------------------------

    def create(
        self, inputs: Mapping[str, Any], *, preview: bool, timeout: float, progress: Progress,
        cancel: threading.Event,
    ) -> StepResult:
        ids = reveal(inputs["instanceIds"])
        targets = ([UNKNOWN] if ids is UNKNOWN else list(ids)) if reveal(inputs.get("rebootOnCreate", True)) else []
        base = {"rebootCount": 0, "results": [], "requestIds": [], "failedInstanceIds": []}
        return self._step(self._new_id(), inputs, base, targets, preview=preview, timeout=timeout,
                          progress=progress, cancel=cancel)

    def update(
        self, id_: str, olds: Mapping[str, Any], news: Mapping[str, Any], *, preview: bool, timeout: float,
        progress: Progress, cancel: threading.Event,
    ) -> StepResult:
        base = {k: olds[k] for k in _OUTPUT_NAMES if k in olds}
        targets = self.targets(olds, news)
        return self._step(id_, news, base, targets, preview=preview, timeout=timeout, progress=progress,
                          cancel=cancel)

    def targets(self, olds: Mapping[str, Any], news: Mapping[str, Any]) -> list[Any]:
        """Which instances an update reboots: all on a trigger change, else the recorded failures."""
        ids = reveal(news.get("instanceIds"))
        if ids is UNKNOWN:
            return [UNKNOWN]
        if trigger_changes(olds.get("triggers"), news.get("triggers")):
            return list(ids)
        failed = reveal(olds.get("failedInstanceIds")) or []
        if failed is UNKNOWN:
            return [UNKNOWN]
        wanted = set(ids)
        return [i for i in failed if i in wanted]

    def _step(
        self, id_: str, inputs: Mapping[str, Any], base: dict[str, Any], targets: list[Any], *,
        preview: bool, timeout: float, progress: Progress, cancel: threading.Event,
    ) -> StepResult:
        if not preview:
            unknown = sorted(k for k, v in inputs.items() if not is_known(v))
            if unknown:  # the engine sends unknowns only in preview; acting on a guess could reboot wrongly
                raise InputError(f"{', '.join(unknown)} not known outside preview: unknown values are only "
                                 "allowed during preview (pulumi preview, or the preview phase of pulumi up)")
        outputs = {**dict(inputs), **base}
        if not targets:
            outputs["failedInstanceIds"] = []
            return StepResult(id_, outputs)
        if preview:
            return StepResult(id_, self._preview(inputs, outputs, targets, progress, cancel))
        options = self._options(inputs, timeout)
        ids = inputs["instanceIds"]
        if options.dry_run:
            report = self._backend.dry_run(targets, options, cancel)
            outputs.update(
                results=wrap_like(ids, [o.to_output() for o in _verdicts(report)]),
                requestIds=list(report.request_ids), failedInstanceIds=[],
            )
            if report.failures:
                raise ResourceInitFailed(id_, outputs, [Reason(_describe_failures(report.failures))])
            return StepResult(id_, outputs)
        result = self._backend.run_round(targets, options, progress, cancel)
        if any(o.ok for o in result.outcomes):
            outputs["rebootCount"] = int(reveal(base.get("rebootCount")) or 0) + 1
            outputs["lastRebootTime"] = rfc3339(self._clock.utcnow())
        outputs.update(
            results=wrap_like(ids, [o.to_output() for o in result.outcomes]),
            requestIds=list(result.request_ids),
            failedInstanceIds=wrap_like(ids, result.failed_ids),
        )
        reasons = _round_errors(result)
        if reasons:
            raise ResourceInitFailed(id_, outputs, reasons)
        return StepResult(id_, outputs, _round_summary(result, options))

    def _preview(
        self, inputs: Mapping[str, Any], outputs: dict[str, Any], targets: list[Any], progress: Progress,
        cancel: threading.Event,
    ) -> dict[str, Any]:
        """Never reboots. Checks the would-be reboot with DryRun when everything is known."""
        for name in ("rebootCount", "lastRebootTime", "results", "requestIds", "failedInstanceIds"):
            outputs[name] = UNKNOWN
        if not all(is_known(inputs.get(k)) for k in ("regionId", "rebootApi", "forceReboot")) or not is_known(
            targets
        ):
            progress(ProgressEvent("dry_run", "dry run skipped: some inputs are not known until apply"))
            return outputs
        options = self._options(inputs, DEFAULT_TIMEOUT_SECONDS)
        if not options.dry_run:
            progress(ProgressEvent("plan", rollout_plan(targets, options)))
        problem = self._backend.credentials_problem()
        if problem is not None:
            progress(ProgressEvent("warning", f"dry run skipped: {problem}"))
            return outputs
        report = self._backend.dry_run(targets, options, cancel)
        if cancel.is_set():  # the verdicts of a cut-short dry run would blame the instances
            raise Cancelled("the preview was cancelled during its dry run; nothing was rebooted")
        if report.failures:
            raise PreviewRejected(_describe_failures(report.failures, report.request_ids))
        for o in report.warnings:
            progress(ProgressEvent("warning", f"{o.instance_id}: {o.code}: {o.message} (the reboot may fail "
                                              "if this persists at apply time)"))
        progress(ProgressEvent("dry_run", f"dry run passed for {len(report.passed)} of {len(targets)} "
                                          f"instance(s) that would be rebooted"))
        return outputs

    def _options(self, inputs: Mapping[str, Any], timeout: float) -> RoundOptions:
        plain = reveal(dict(inputs))
        max_unavailable = plain.get("maxUnavailable")
        return RoundOptions(
            region_id=plain["regionId"],
            force=bool(plain.get("forceReboot", False)),
            batch_optimization=plain.get("batchOptimization", "AllTogether"),
            api=plain.get("rebootApi", "RebootInstances"),
            dry_run=bool(plain.get("dryRun", False)),
            max_unavailable=int(max_unavailable) if is_known(max_unavailable) and max_unavailable is not None else None,
            wait_for_running=bool(plain.get("waitForRunning", True)),
            timeout=timeout if timeout and timeout > 0 else DEFAULT_TIMEOUT_SECONDS,
            health_check=_health_check(inputs.get("healthCheck")),
            max_failures=_known_int(plain.get("maxFailures")),
            pause_between_waves=float(plain.get("pauseBetweenWaves") or 0.0),
        )

    # --- Read / Delete ---------------------------------------------------------------------------

    def read(
        self, id_: str, outputs: Mapping[str, Any], inputs: Mapping[str, Any],
        default_region: str | Secret | None = None,
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """(outputs, inputs) to record. Makes no API call: the state is the record of what was done.

        With nothing recorded (``pulumi import``), the id names the instances: ``i-a,i-b``
        (optionally ``region/i-a,i-b``); the adopted resource starts with no reboot done, and its inputs
        are what Check makes of exactly that (defaults filled, ``regionId`` from the provider when the id
        has none), so the program the CLI generates for it previews as no change.
        """
        if outputs:
            recorded_inputs = dict(inputs) or {k: v for k, v in outputs.items() if k in input_names()}
            return dict(outputs), recorded_inputs
        region, _, ids = id_.rpartition("/")
        raw: dict[str, Any] = {"instanceIds": [i for i in ids.split(",") if i]}
        if region:
            raw["regionId"] = region
        new_inputs, failures = check_inputs(raw, default_region=default_region)
        if failures:
            reasons = "; ".join(f"{f.property}: {f.reason}" for f in failures)
            raise InputError(
                f"cannot import {id_!r}: {reasons}. The id of a RebootTrigger to import names its instances: "
                "`i-a,i-b`, or `cn-hangzhou/i-a,i-b` with the region"
            )
        new_outputs = {**new_inputs, "rebootCount": 0, "results": [], "requestIds": [], "failedInstanceIds": []}
        return new_outputs, new_inputs


def _known_int(value: Any) -> int | None:
    return int(value) if is_known(value) and value is not None else None


def _health_check(value: Any) -> HealthCheck | None:
    """The checked ``healthCheck`` input as a value; a secret one is never shown, even masked."""
    plain = reveal(value)
    if plain is None or not is_known(value) or not isinstance(plain, Mapping):
        return None
    return HealthCheck.from_input(plain, secret=contains_secret(value))


def rollout_plan(targets: Sequence[Any], options: RoundOptions) -> str:
    """The preview's one-line plan: waves, the probe (URL masked), the failure limit and the pause."""
    count = len(targets)
    waves = len(plan_waves([str(i) for i in range(count)], options.max_unavailable))
    size = f" of at most {options.max_unavailable}" if options.max_unavailable else ""
    parts = [f"rollout plan: {count} instance(s) in {waves} wave(s){size}"]
    check = options.health_check
    if check is not None:
        parts.append(f"each wave waits until its instances are Running and healthy: {check.describe()}")
    if options.max_failures is not None:
        parts.append(f"stops after more than {options.max_failures} failed instance(s)")
    if options.pause_between_waves and waves > 1:
        parts.append(f"pauses {options.pause_between_waves:g}s between waves")
    return "; ".join(parts) + " (no probe is sent in preview)" * (check is not None)


def _differs(old: Any, new: Any) -> bool:
    return bool(canonical(old) != canonical(new))


def _verdicts(report: DryRunVerdicts) -> list[InstanceOutcome]:
    return [*report.passed, *report.warnings, *report.failures]


def _describe_failures(failures: Sequence[InstanceOutcome], request_ids: Sequence[str] = ()) -> str:
    shown = "; ".join(f"{o.instance_id}: {o.code}: {o.message}" for o in failures[:20])
    more = f"; and {len(failures) - 20} more" if len(failures) > 20 else ""
    rids = f" [RequestIds: {', '.join(request_ids[:5])}]" if request_ids else ""
    hint = f". {CREDENTIALS_HINT}" if any(error_class(o.code, 0) is AuthFailure for o in failures) else ""
    return f"dry run failed for {len(failures)} instance(s): {shown}{more}{rids}{hint}"


def _round_summary(result: RoundResult, options: RoundOptions) -> str:
    ok = sum(1 for o in result.outcomes if o.ok and o.instance_id not in set(result.not_back))
    back = (" and Running again" + (" and healthy" if options.health_check else "")) if options.wait_for_running \
        else ""
    return f"rebooted {ok} of {len(result.outcomes)} instance(s){back} in {result.waves} wave(s)"


def _round_errors(result: RoundResult) -> list[Reason]:
    if result.ok:
        return []
    reasons = []
    if result.error:
        reasons.append(Reason(result.error))
    failed = result.failed_ids
    if failed:
        what = "cancelled" if result.cancelled else ("timed out waiting" if result.timed_out else (
            "the rollout stopped after too many failures" if result.stopped_by_failures else "failed"))
        reasons.append(Reason(
            f"{len(failed)} of {len(result.outcomes)} instance(s) not rebooted ({what}): "
            f"{_name_failures(result, failed)}",
            retryable=True,
        ))
    return reasons


def _name_failures(result: RoundResult, failed: Sequence[str], shown: int = 20) -> str:
    """``i-a (IncorrectInstanceStatus: ...), i-b (not Running again in time)``: the CLI shows only this text."""
    by_id = {o.instance_id: o for o in result.outcomes}
    back = set(result.not_back)

    def name(instance_id: str) -> str:
        outcome = by_id.get(instance_id)
        if instance_id in back or outcome is None or outcome.ok:
            return f"{instance_id} (rebooted, not seen Running again)"
        return f"{instance_id} ({outcome.code}: {outcome.message})" if outcome.message else \
            f"{instance_id} ({outcome.code})"

    more = f", and {len(failed) - shown} more" if len(failed) > shown else ""
    rids = f" [RequestIds: {', '.join(result.request_ids[:5])}]" if result.request_ids else ""
    return ", ".join(name(i) for i in failed[:shown]) + more + rids
