"""The RebootTrigger lifecycle, independent of how Pulumi reaches it.

The gRPC plugin (adapter/) and the dynamic provider (dynamic.py) both call these methods, so
diffing, target selection and output building exist once. They decode property maps into typed
inputs and state (``core.state``: TriggerArgs, TriggerState, whose fields carry secretness and
known-ness) and encode the state they get back; the state is a superset of the inputs.

Decisions are taken against the *recorded state* (the triggers last applied and
``failedInstanceIds``), because after a partial failure the engine keeps the old inputs but the
new outputs.

With ``instanceSelector``, which instances a step may reboot is known only once the selector is resolved
(DescribeInstances, through the backend): a step decides first *what* it wants (every selected instance on a
trigger change, else the recorded failures), resolves the selection only when a round is due, and then picks
the targets from ``instanceIds`` together with the selection. A failure that is no longer selected is dropped
with a warning, never rebooted; a change of membership alone is no change Diff sees, so it reboots nothing.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Generic, Protocol, TypeVar

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
from .core.resource import DEFAULT_TIMEOUT_SECONDS
from .core.secrets import SecretScrubber
from .core.selection import Selection, Selector, union
from .core.state import OUTPUT_FIELDS, UNKNOWN_FIELD, Field, TriggerArgs, TriggerState
from .core.values import Secret

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

    def select(
        self, selector: Selector, region_id: str, cancel: threading.Event, timeout: float,
        on_listed: Callable[[int], None] | None = None,
    ) -> Selection:
        """The instances ``selector`` matches in ``region_id``; raises SelectionError (nothing matched, more
        than ``maxInstances``, ...) or the ECS error that stopped the listing. ``on_listed(n)`` as it goes."""
        ...

    def run_round(
        self, instance_ids: Sequence[str], options: RoundOptions, progress: Progress, cancel: threading.Event,
        selection: Selection | None = None,
    ) -> RoundResult:
        """Reboot the instances; with ``options.dry_run``, only check them (a RoundResult with ``dry_run``
        set, one verdict per instance in the order given). ``selection``: the listing that chose them, whose
        look the round may reuse."""
        ...

    def dry_run(
        self, instance_ids: Sequence[str], options: RoundOptions, cancel: threading.Event | None = None
    ) -> DryRunVerdicts:
        """The preview's check of a would-be reboot: the verdicts sorted into passed, warnings, failures."""
        ...


class PreviewRejected(Exception):
    """The preview's dry run found permanent problems; the message names each, with code and RequestId."""


@dataclass
class StepResult:
    """The state after a Create/Update that did all its work. A step that failed part-way raises
    ``ResourceInitFailed`` with its state instead: the step fails, but the state must be saved."""

    id: str
    state: TriggerState
    #: one line on what the step did to the instances, for the engine log (None: nothing)
    summary: str | None = None


@dataclass(frozen=True)
class Wanted:
    """What a step would reboot, before the selection is known: every instance (``everything``), or those of
    ``only`` that are still wanted (the recorded failures a retry reboots)."""

    everything: bool = False
    only: tuple[str, ...] = ()

    @property
    def nothing(self) -> bool:
        return not self.everything and not self.only

    def targets(self, selected: Sequence[str], progress: Progress) -> list[str]:
        """The instances to reboot out of ``selected`` (``instanceIds`` with the selection); a failure that
        is no longer selected is dropped with a warning, never rebooted."""
        if self.everything:
            return list(selected)
        wanted = set(selected)
        dropped = [i for i in self.only if i not in wanted]
        if dropped:
            progress(ProgressEvent("warning", _listed(dropped, (), ", ", shown=10) + ": failed before, no longer "
                                              "selected (instanceIds or instanceSelector); dropped from "
                                              "failedInstanceIds, not rebooted"))
        return [i for i in self.only if i in wanted]


@dataclass(frozen=True)
class DiffResult:
    changed: bool
    #: top-level property names that changed
    diffs: list[str]
    #: property path (``triggers.configHash``) -> "add" | "delete" | "update"
    detailed: dict[str, str]


class TriggerLifecycle:
    """Check, Diff, Create, Update, Read and Delete of ``ecsreboot:index:RebootTrigger``.

    Check validates the property map as sent; every other step takes typed inputs (``TriggerArgs``) and
    state (``TriggerState``), decoded and encoded by the caller.
    """

    def __init__(self, backend: RebootBackend, clock: Clock, new_id: Callable[[], str] | None = None) -> None:
        self._backend = backend
        self._clock = clock
        self._new_id = new_id or (lambda: f"rt-{uuid.uuid4().hex[:16]}")

    # --- Check / Diff ---------------------------------------------------------------------------

    def check(
        self, news: Mapping[str, Any], default_region: str | Secret | None
    ) -> tuple[dict[str, Any], list[CheckFailure]]:
        return check_inputs(news, default_region=default_region)

    def diff(self, olds: TriggerState, news: TriggerArgs) -> DiffResult:
        """``olds`` is the recorded state, ``news`` the checked inputs. Never a replacement."""
        detailed: dict[str, str] = {}
        for key, kind in trigger_changes(olds.triggers.raw, news.triggers.raw).items():
            # a key the path syntax cannot hold is reported as a change of the whole map
            path = None if key == ALL_TRIGGERS else property_path("triggers", key)
            detailed[path or "triggers"] = kind if path else "update"
        recorded = olds.by_name()
        for name, new in news.by_name().items():
            if name == "triggers":
                continue
            old = recorded[name]
            if not new.known or not old.same_as(new):
                detailed[name] = "add" if old.absent else ("delete" if new.absent else "update")
        if _retry_pending(olds):
            detailed["failedInstanceIds"] = "update"  # a retry of the failed instances is pending
        diffs = sorted({top_level(path) for path in detailed})
        return DiffResult(bool(detailed), diffs, detailed)

    # --- Create / Update ------------------------------------------------------------------------

    def create(
        self, args: TriggerArgs, *, preview: bool, timeout: float, progress: Progress, cancel: threading.Event,
    ) -> StepResult:
        reboot = args.reboot_on_create
        wanted = Wanted(everything=reboot.absent or not reboot.known or bool(reboot.value))
        # with no selector, the selection is instanceIds itself: known without asking the API
        selected = args.instance_ids.raw if args.instance_selector.absent else []
        base = TriggerState.of(args, reboot_count=Field.of(0), results=Field.of([]), request_ids=Field.of([]),
                               failed_instance_ids=Field.of([]), selected_instance_ids=Field.of(selected))
        return self._step(self._new_id(), args, base, wanted, preview=preview, timeout=timeout,
                          progress=progress, cancel=cancel)

    def update(
        self, id_: str, olds: TriggerState, news: TriggerArgs, *, preview: bool, timeout: float,
        progress: Progress, cancel: threading.Event,
    ) -> StepResult:
        base = TriggerState.of(news, **{name: getattr(olds, name) for name in OUTPUT_FIELDS})
        if news.instance_selector.absent:
            base = base.with_outputs(selected_instance_ids=Field.of(news.instance_ids.raw))
        return self._step(id_, news, base, self.wanted(olds, news), preview=preview, timeout=timeout,
                          progress=progress, cancel=cancel)

    def wanted(self, olds: TriggerState, news: TriggerArgs) -> Wanted | None:
        """What an update reboots: every selected instance on a trigger change, else the recorded failures
        (those still selected). None: not known yet (preview)."""
        if trigger_changes(olds.triggers.raw, news.triggers.raw):
            return Wanted(everything=True)
        failed = olds.failed_instance_ids
        if not failed.known:
            return None
        return Wanted(only=tuple(failed.value or []))

    def _step(
        self, id_: str, args: TriggerArgs, base: TriggerState, wanted: Wanted | None, *,
        preview: bool, timeout: float, progress: Progress, cancel: threading.Event,
    ) -> StepResult:
        if not preview:
            unknown = args.unknown_names()
            if unknown:  # the engine sends unknowns only in preview; acting on a guess could reboot wrongly
                raise InputError(f"{', '.join(unknown)} not known outside preview: unknown values are only "
                                 "allowed during preview (pulumi preview, or the preview phase of pulumi up)")
        if wanted is not None and wanted.nothing:  # no round: the selection is not resolved (no API call)
            return StepResult(id_, base.with_outputs(failed_instance_ids=Field.of([])))
        if preview:
            return StepResult(id_, self._preview(args, base, wanted, progress, cancel))
        assert wanted is not None  # every input is known outside preview
        options = self._options(args, timeout)
        started = self._clock.monotonic()
        selection = self._select(args, options, progress, cancel)
        selected = union(list(args.instance_ids.value or []), selection)
        wrap = _wrapper(args)
        base = base.with_outputs(selected_instance_ids=Field.of(wrap(selected)))
        targets = wanted.targets(selected, progress)
        if not targets:
            return StepResult(id_, base.with_outputs(failed_instance_ids=Field.of([])))
        # the listing took part of the step's time: the round has what is left of it
        options = replace(options, timeout=max(1.0, options.timeout - (self._clock.monotonic() - started)))
        result = self._backend.run_round(targets, options, progress, cancel, selection)  # a dry run too
        if result.dry_run:
            state = base.with_outputs(
                results=Field.of(wrap([o.to_output() for o in result.outcomes])),
                request_ids=Field.of(list(result.request_ids)), failed_instance_ids=Field.of([]),
            )
            failed = set(result.dry_run_failures)
            failures = [o for o in result.outcomes if o.instance_id in failed]
            if failures:
                raise ResourceInitFailed(id_, state, [Reason(_describe_failures(failures))])
            return StepResult(id_, state)
        if any(o.ok for o in result.outcomes):
            base = base.with_outputs(reboot_count=Field.of(int(base.reboot_count.value or 0) + 1),
                                     last_reboot_time=Field.of(rfc3339(self._clock.utcnow())))
        state = base.with_outputs(
            results=Field.of(wrap([o.to_output() for o in result.outcomes])),
            request_ids=Field.of(list(result.request_ids)),
            failed_instance_ids=Field.of(wrap(result.failed_ids)),
        )
        reasons = _round_errors(result)
        if reasons:
            raise ResourceInitFailed(id_, state, reasons)
        return StepResult(id_, state, _round_summary(result, options))

    def _preview(
        self, args: TriggerArgs, base: TriggerState, wanted: Wanted | None, progress: Progress,
        cancel: threading.Event,
    ) -> TriggerState:
        """Never reboots. Resolves the selection and checks the would-be reboot with DryRun when everything is
        known (and credentials are at hand)."""
        state = base.with_outputs(**{name: UNKNOWN_FIELD for name in OUTPUT_FIELDS})
        if not (args.region_id.known and args.reboot_api.known and args.force_reboot.known and
                args.instance_ids.known and args.instance_selector.known) or wanted is None:
            progress(ProgressEvent("dry_run", "dry run skipped: some inputs are not known until apply"))
            return state
        options = self._options(args, DEFAULT_TIMEOUT_SECONDS)
        problem = self._backend.credentials_problem()
        if problem is not None and not args.instance_selector.absent:
            progress(ProgressEvent("warning", f"selection and dry run skipped: {problem}"))
            return state
        selection = self._select(args, options, progress, cancel)
        selected = union(list(args.instance_ids.value or []), selection)
        targets = wanted.targets(selected, progress)
        if not targets:  # as the step will end: nothing to retry, and the selection as it stands
            progress(ProgressEvent("plan", "no instance would be rebooted"))
            return base.with_outputs(failed_instance_ids=Field.of([]),
                                     selected_instance_ids=Field.of(_wrapper(args)(selected)))
        if not options.dry_run:
            progress(ProgressEvent("plan", rollout_plan(targets, options)))
        if problem is not None:
            progress(ProgressEvent("warning", f"dry run skipped: {problem}"))
            return state
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
        return state

    def _select(self, args: TriggerArgs, options: RoundOptions, progress: Progress,
                cancel: threading.Event) -> Selection | None:
        """The instances ``instanceSelector`` matches (None without one), announced with what the listing
        warned of. Raises SelectionError before anything is rebooted."""
        plain = args.instance_selector.value
        if plain is None or not isinstance(plain, Mapping):
            return None
        selector = Selector.from_input(plain, secret=args.instance_selector.secret)

        def on_listed(count: int) -> None:
            progress(ProgressEvent("plan", f"instanceSelector: {count} instance(s) listed", total=count,
                                   ephemeral=True))

        selection = self._backend.select(selector, options.region_id, cancel, options.timeout, on_listed)
        progress(ProgressEvent("plan", f"instanceSelector ({selector.describe()}) selects "
                                       f"{len(selection.instance_ids)} instance(s) in {options.region_id}",
                               total=len(selection.instance_ids)))
        for warning in selection.warnings:
            progress(ProgressEvent("warning", f"instanceSelector: {warning}"))
        return selection

    def _options(self, args: TriggerArgs, timeout: float) -> RoundOptions:
        wait = args.wait_for_running
        return RoundOptions(
            region_id=args.region_id.value or "",
            force=bool(args.force_reboot.value),
            batch_optimization=args.batch_optimization.value or "AllTogether",
            api=args.reboot_api.value or "RebootInstances",
            # a dryRun not known yet (preview) may turn out true: no rollout plan is promised
            dry_run=bool(args.dry_run.value) or not args.dry_run.known,
            max_unavailable=_int(args.max_unavailable),
            wait_for_running=wait.value is not False,
            timeout=timeout if timeout and timeout > 0 else DEFAULT_TIMEOUT_SECONDS,
            health_check=_health_check(args.health_check),
            max_failures=_int(args.max_failures),
            pause_between_waves=float(args.pause_between_waves.value or 0.0),
        )

    # --- Read / Delete ---------------------------------------------------------------------------

    def read(
        self, id_: str, state: TriggerState | None, inputs: TriggerArgs | None,
        default_region: str | Secret | None = None,
    ) -> tuple[TriggerState, TriggerArgs]:
        """(state, inputs) to record. Makes no API call: the state is the record of what was done.

        With nothing recorded (``pulumi import``, ``state`` None), the id names the instances: ``i-a,i-b``
        (optionally ``region/i-a,i-b``); the adopted resource starts with no reboot done, and its inputs
        are what Check makes of exactly that (defaults filled, ``regionId`` from the provider when the id
        has none), so the program the CLI generates for it previews as no change.
        """
        if state is not None:
            return state, inputs if inputs is not None else state.args()
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
        args = TriggerArgs.decode(new_inputs)
        adopted = TriggerState.of(args, reboot_count=Field.of(0), results=Field.of([]), request_ids=Field.of([]),
                                  failed_instance_ids=Field.of([]), selected_instance_ids=args.instance_ids)
        return adopted, args


def _wrapper(args: TriggerArgs) -> Callable[[Any], Any]:
    """What makes an output naming instances secret: a secret ``instanceIds`` or a secret selector."""
    secret = args.instance_ids.secret or args.instance_selector.secret
    return (lambda value: Secret(value)) if secret else (lambda value: value)


C = TypeVar("C")


class ProcessLifecycle(Generic[C]):
    """The lifecycle of one provider process (either edge): made at first use from the configuration in force (the
    environment's, until the engine configures the provider), and made anew at each configuration, with a backend
    of its own (one ECS client per region and one rate limiter, shared by every resource step). Thread-safe.

    ``secrets`` names a configuration's credentials: they join ``scrub`` before the backend exists, so nothing
    that leaves the process can show them.
    """

    def __init__(self, config: C, make_backend: Callable[[C], RebootBackend],
                 secrets: Callable[[C], Iterable[str | None]], scrub: SecretScrubber, clock: Clock) -> None:
        self._config = config
        self._make_backend = make_backend
        self._secrets = secrets
        self._scrub = scrub
        self._clock = clock
        self._lock = threading.Lock()
        self._lifecycle: TriggerLifecycle | None = None

    @property
    def config(self) -> C:
        return self._config

    def configure(self, config: C) -> None:
        with self._lock:
            self._make(config)

    def get(self) -> TriggerLifecycle:
        with self._lock:
            return self._lifecycle or self._make(self._config)

    def _make(self, config: C) -> TriggerLifecycle:
        self._config = config
        self._scrub.add(self._secrets(config))
        self._lifecycle = TriggerLifecycle(self._make_backend(config), self._clock)
        return self._lifecycle


def _retry_pending(olds: TriggerState) -> bool:
    failed = olds.failed_instance_ids
    return not failed.known or bool(failed.value)


def _int(value: Field[int]) -> int | None:
    return int(value.value) if value.value is not None else None


def _health_check(value: Field[dict[str, Any]]) -> HealthCheck | None:
    """The checked ``healthCheck`` input as a value; a secret one is never shown, even masked."""
    plain = value.value
    if plain is None or not isinstance(plain, Mapping):
        return None
    return HealthCheck.from_input(plain, secret=value.secret)


def rollout_plan(targets: Sequence[str], options: RoundOptions) -> str:
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


def _listed(items: Sequence[str], request_ids: Sequence[str], sep: str, shown: int = 20) -> str:
    """The first ``shown`` items, how many more, and the first RequestIds: an error line stays readable."""
    more = f"{sep}and {len(items) - shown} more" if len(items) > shown else ""
    rids = f" [RequestIds: {', '.join(request_ids[:5])}]" if request_ids else ""
    return sep.join(items[:shown]) + more + rids


def _describe_failures(failures: Sequence[InstanceOutcome], request_ids: Sequence[str] = ()) -> str:
    shown = _listed([f"{o.instance_id}: {o.code}: {o.message}" for o in failures], request_ids, "; ")
    hint = f". {CREDENTIALS_HINT}" if any(error_class(o.code, 0) is AuthFailure for o in failures) else ""
    return f"dry run failed for {len(failures)} instance(s): {shown}{hint}"


def _round_summary(result: RoundResult, options: RoundOptions) -> str:
    not_back = set(result.not_back)
    ok = sum(1 for o in result.outcomes if o.ok and o.instance_id not in not_back)
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


def _name_failures(result: RoundResult, failed: Sequence[str]) -> str:
    """``i-a (IncorrectInstanceStatus: ...), i-b (rebooted, not seen Running again)``: the CLI shows only this."""
    by_id = {o.instance_id: o for o in result.outcomes}
    back = set(result.not_back)

    def name(instance_id: str) -> str:
        outcome = by_id.get(instance_id)
        if instance_id in back or outcome is None or outcome.ok:
            return f"{instance_id} (rebooted, not seen Running again)"
        return f"{instance_id} ({outcome.code}: {outcome.message})" if outcome.message else \
            f"{instance_id} ({outcome.code})"

    return _listed([name(i) for i in failed], result.request_ids, ", ")
