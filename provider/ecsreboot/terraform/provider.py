"""The ``tfplugin6.Provider`` service: ``ecsreboot_reboot_trigger`` over the same lifecycle as the Pulumi resource.

A thin edge, as adapter/server.py is for Pulumi: decode cty values (terraform/cty.py), turn them into the
lifecycle's property maps (terraform/values.py), call ``TriggerLifecycle``, and answer with values and diagnostics.
Validation is ``core.checks`` (each failure a diagnostic on its attribute path); the provider configuration is
``assembly.config``; rounds, dry runs and exactly-once are the lifecycle's and the ECS layer's.

What is particular to the protocol:

- **Plan** (PlanResourceChange) plans every argument exactly as configured, fills the defaults of optional and
  computed ones, and takes the outputs from the lifecycle's preview step: unknown when a reboot is due, the prior
  ones when nothing is. That preview step is where the DryRun of the would-be reboot runs. The CLI plans again
  right before it applies a change (in the apply's own provider process), so the dry run runs there too: a problem
  that arose since the plan stops the apply before any reboot. An unchanged configuration plans the prior state,
  with no API call.
- **Apply** returns the planned arguments and the step's outputs. A round that left instances failed returns its
  new state *and* error diagnostics: on an update the state is kept and the next plan retries only
  ``failed_instance_ids``; on a create the CLI marks the resource tainted (its rule for any create that reports an
  error) and would replace it, rebooting every instance again, so the diagnostic says to ``tofu untaint`` it first.
- **Import** (``REGION/ID1,ID2``) records the instances with no reboot done and ``triggers`` null, which means "not
  applied yet": the first plan after it adopts the configured triggers as they are, so the import reboots nothing.
- **Read** returns the state as recorded (no API call); **destroy** calls no API.
- **StopProvider** (Ctrl-C) cancels the running rounds; they stop waiting at once and report what is not done.
"""

from __future__ import annotations

import dataclasses
import functools
import os
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import grpc

from .. import __version__
from ..assembly import config as cfg
from ..core.checks import CheckFailure
from ..core.clock import SystemClock
from ..core.errors import ApiError, Cancelled, ConfigError, InputError, ResourceInitFailed, WaitTimeout
from ..core.model import ProgressEvent
from ..core.resource import DEFAULT_TIMEOUT_SECONDS
from ..core.secrets import SecretScrubber
from ..core.state import TriggerArgs, TriggerState
from ..core.values import UNKNOWN
from ..lifecycle import PreviewRejected, ProcessLifecycle, RebootBackend, StepResult, TriggerLifecycle
from . import cty
from .logs import HcLog
from .protocol import tf
from .schema import RESOURCE_TYPE, Block, for_terraform, provider_block, resource_block
from .timeouts import parse_duration
from .values import attribute_path, from_wire, outputs, planned_inputs, to_wire

BackendFactory = Callable[[cfg.ProviderConfig], RebootBackend]

RETRY_UPDATE = "Run `tofu apply` (or `terraform apply`) again to retry only these (failed_instance_ids)."
RETRY_CREATE = (
    "This was the trigger's first apply, and OpenTofu and Terraform mark a resource whose creation reported an "
    "error as tainted: a plain `tofu apply` would replace it and reboot every instance again. To retry only these "
    "(failed_instance_ids), first run `tofu untaint` with the resource's address shown above (or `terraform "
    "untaint`), then `tofu apply`."
)


class Diagnostics(list[Any]):
    """The diagnostics of one call, scrubbed of secrets."""

    def __init__(self, scrub: Callable[[str], str]) -> None:
        super().__init__()
        self._scrub = scrub

    def add(self, severity: int, summary: str, detail: str = "", path: list[str] | None = None) -> None:
        attribute = tf.AttributePath(steps=[tf.AttributePath.Step(attribute_name=n) for n in path]) if path else None
        self.append(tf.Diagnostic(severity=severity, summary=summary, detail=self._scrub(for_terraform(detail)),
                                  attribute=attribute))

    def error(self, summary: str, detail: str = "", path: list[str] | None = None) -> None:
        self.add(tf.Diagnostic.ERROR, summary, detail, path)

    def warning(self, summary: str, detail: str = "", path: list[str] | None = None) -> None:
        self.add(tf.Diagnostic.WARNING, summary, detail, path)

    def failures(self, block: Block, failures: list[CheckFailure]) -> None:
        for failure in failures:
            path = attribute_path(block, failure.property)
            name = ".".join(path) if path else for_terraform(failure.property)
            self.error(f"Invalid value for {name}", f"{name}: {failure.reason}", path)

    @property
    def failed(self) -> bool:
        return any(d.severity == tf.Diagnostic.ERROR for d in self)


#: the summary of each kind of error a call can end with; anything else is a bug and says so
_SUMMARIES: tuple[tuple[type[BaseException], str], ...] = (
    (PreviewRejected, "The dry run of the reboot failed"),
    (ConfigError, "Provider configuration problem"),
    (Cancelled, "Cancelled"),
    (WaitTimeout, "Timed out"),
    (ApiError, "ECS API error"),
    (InputError, "Invalid request"),
    (cty.CtyError, "Invalid value from the CLI"),
)


Handler = Callable[["TerraformProvider", Any, Diagnostics], Any]


def _answers(response: Callable[..., Any]) -> Callable[[Handler], Callable[[TerraformProvider, Any, Any], Any]]:
    """Serve ``handler(self, request, diagnostics)`` as an RPC: whatever it raises becomes an error diagnostic in
    a ``response`` of its own, so the CLI always shows words, never a gRPC failure."""

    def wrap(handler: Handler) -> Callable[[TerraformProvider, Any, Any], Any]:
        @functools.wraps(handler)
        def serve(self: TerraformProvider, request: Any, context: Any) -> Any:
            diagnostics = Diagnostics(self.scrub)
            with self._guard(diagnostics):
                return handler(self, request, diagnostics)
            return response(diagnostics=diagnostics)

        return serve

    return wrap


class TerraformProvider:
    """``tfplugin6.Provider`` for ``ecsreboot_reboot_trigger``. One backend per provider process (one ECS client
    per region and one rate limiter), shared by the resource calls the CLI makes concurrently."""

    def __init__(self, backend_factory: BackendFactory, log: HcLog | None = None,
                 environ: Mapping[str, str] | None = None) -> None:
        self._environ = dict(os.environ if environ is None else environ)
        self.scrub = SecretScrubber()
        self.log = log or HcLog(scrub=self.scrub)
        self.cancel = threading.Event()
        self._process = ProcessLifecycle(cfg.resolve({}, self._environ), backend_factory, cfg.ProviderConfig.secrets,
                                         self.scrub, SystemClock())
        self._schema: Any = None

    # --- plumbing ------------------------------------------------------------------------------------

    @contextmanager
    def _guard(self, diagnostics: Diagnostics) -> Iterator[None]:
        """Any exception becomes an error diagnostic: the CLI shows a message, never a gRPC failure."""
        try:
            yield
        except Exception as exc:  # the one place that turns every error into words
            summary = next((s for cls, s in _SUMMARIES if isinstance(exc, cls)), None)
            if summary is None:
                self.log.error(f"internal error: {type(exc).__name__}: {exc}")
                diagnostics.error("ecsreboot internal error",
                                  f"{type(exc).__name__}: {exc}. This is a bug in the provider; please report it.")
            else:
                diagnostics.error(summary, str(exc))

    def _lifecycle_now(self) -> TriggerLifecycle:
        return self._process.get()

    def _check_type(self, type_name: str) -> None:
        if type_name != RESOURCE_TYPE:
            raise InputError(f"unknown resource type {type_name!r}; this provider serves {RESOURCE_TYPE}")

    @staticmethod
    def _value(dynamic: Any, block: Block) -> Any:
        """A DynamicValue (msgpack, or JSON from older CLIs) as Python values; None for null or absent."""
        if dynamic is None:
            return None
        if dynamic.msgpack:
            return block.codec.unpack(dynamic.msgpack)
        if dynamic.json:
            return block.codec.from_json(dynamic.json)
        return None

    @staticmethod
    def _dynamic(value: Any, block: Block) -> Any:
        return tf.DynamicValue(msgpack=block.codec.pack(value))

    def _progress(self, diagnostics: Diagnostics | None, what: str,
                  summary: str = "Warning from the reboot round") -> Callable[[ProgressEvent], None]:
        """Progress to the log; warnings also to the CLI's output (once each, under ``summary``), when
        ``diagnostics`` is given."""
        log = self.log.progress(what)
        seen: set[str] = set()

        def report(event: ProgressEvent) -> None:
            log(event)
            if diagnostics is not None and event.kind == "warning" and event.message not in seen:
                seen.add(event.message)
                diagnostics.warning(summary, event.message)

        return report

    # --- provider ------------------------------------------------------------------------------------

    def GetMetadata(self, request: Any, context: grpc.ServicerContext) -> Any:
        return tf.GetMetadata.Response(server_capabilities=_capabilities(),
                                       resources=[tf.GetMetadata.ResourceMetadata(type_name=RESOURCE_TYPE)])

    def GetProviderSchema(self, request: Any, context: grpc.ServicerContext) -> Any:
        if self._schema is None:
            self._schema = tf.GetProviderSchema.Response(
                provider=tf.Schema(version=0, block=provider_block().to_proto(tf)),
                resource_schemas={RESOURCE_TYPE: tf.Schema(version=0, block=resource_block().to_proto(tf))},
                server_capabilities=_capabilities(),
            )
        return self._schema

    def _provider_settings(self, dynamic: Any) -> dict[str, Any]:
        value = self._value(dynamic, provider_block()) or {}
        return to_wire(provider_block(), value)

    @_answers(tf.ValidateProviderConfig.Response)
    def ValidateProviderConfig(self, request: Any, diagnostics: Diagnostics) -> Any:
        _, failures = cfg.check_config(self._provider_settings(request.config), self._environ)
        diagnostics.failures(provider_block(), failures)
        return tf.ValidateProviderConfig.Response(diagnostics=diagnostics)

    @_answers(tf.ConfigureProvider.Response)
    def ConfigureProvider(self, request: Any, diagnostics: Diagnostics) -> Any:
        config = cfg.resolve(self._provider_settings(request.config), self._environ)
        self._process.configure(config)
        self.log.info(f"configured: ecsreboot {__version__} for {request.terraform_version or 'the CLI'}"
                      f"{f', region {config.region}' if config.region else ''}"
                      f"{f', endpoint {config.endpoint}' if config.endpoint else ''}")
        return tf.ConfigureProvider.Response(diagnostics=diagnostics)

    def StopProvider(self, request: Any, context: grpc.ServicerContext) -> Any:
        self.log.info("stop requested: cancelling the running rounds")
        self.cancel.set()
        return tf.StopProvider.Response()

    # --- ecsreboot_reboot_trigger ----------------------------------------------------------------------

    def _checked(self, block: Block, value: Mapping[str, Any], diagnostics: Diagnostics,
                 region: Any = None) -> dict[str, Any] | None:
        """Check's inputs of a configuration (defaults filled), or None with its failures as diagnostics."""
        lifecycle = self._lifecycle_now()
        checked, failures = lifecycle.check(to_wire(block, value, inputs_only=True),
                                            region or self._process.config.region)
        timeouts = value.get("timeouts")
        for name in ("create", "update"):
            text = timeouts.get(name) if isinstance(timeouts, Mapping) else None
            if isinstance(text, str):
                try:
                    parse_duration(text)
                except ValueError as exc:
                    failures.append(CheckFailure(f"timeouts.{name}", str(exc)))
        if failures:
            _timeouts_failures(block, failures, diagnostics)
            return None
        return checked

    @_answers(tf.ValidateResourceConfig.Response)
    def ValidateResourceConfig(self, request: Any, diagnostics: Diagnostics) -> Any:
        self._check_type(request.type_name)
        config = self._value(request.config, resource_block()) or {}
        # the provider may not be configured yet: a missing region is judged at plan time
        self._checked(resource_block(), config, diagnostics, region=UNKNOWN)
        return tf.ValidateResourceConfig.Response(diagnostics=diagnostics)

    @_answers(tf.UpgradeResourceState.Response)
    def UpgradeResourceState(self, request: Any, diagnostics: Diagnostics) -> Any:
        """Schema version 0 is the only one so far: the stored JSON is read by today's schema (attributes it no
        longer has are dropped, new ones are null)."""
        self._check_type(request.type_name)
        block = resource_block()
        value = block.codec.from_json(request.raw_state.json) if request.raw_state.json else None
        return tf.UpgradeResourceState.Response(upgraded_state=self._dynamic(value, block), diagnostics=diagnostics)

    def ReadResource(self, request: Any, context: grpc.ServicerContext) -> Any:
        """The state as recorded: what was rebooted is a record, not something to look up."""
        return tf.ReadResource.Response(new_state=request.current_state, private=request.private)

    def _recorded(self, prior: Mapping[str, Any], news: TriggerArgs) -> TriggerState:
        """The prior state for the lifecycle. Imported and not applied yet (``triggers`` null): the configured
        triggers are taken as the ones applied, so adopting a trigger reboots nothing."""
        olds = TriggerState.decode(to_wire(resource_block(), prior))
        if prior.get("triggers") is None:
            olds = dataclasses.replace(olds, triggers=news.triggers)
        return olds

    @_answers(tf.PlanResourceChange.Response)
    def PlanResourceChange(self, request: Any, diagnostics: Diagnostics) -> Any:
        block = resource_block()
        self._check_type(request.type_name)
        proposed = self._value(request.proposed_new_state, block)
        if proposed is None:  # destroy: nothing to plan, nothing to call
            return tf.PlanResourceChange.Response(planned_state=request.proposed_new_state)
        prior = self._value(request.prior_state, block)
        config = self._value(request.config, block) or {}
        checked = self._checked(block, config, diagnostics)
        if checked is None:
            return tf.PlanResourceChange.Response(diagnostics=diagnostics)
        news = TriggerArgs.decode(checked)
        lifecycle = self._lifecycle_now()
        progress = self._progress(diagnostics, _what(news), "Warning from the dry run of the reboot")
        planned = planned_inputs(block, config, checked)
        if prior is None:
            step = lifecycle.create(news, preview=True, timeout=DEFAULT_TIMEOUT_SECONDS, progress=progress,
                                    cancel=self.cancel)
            planned.update(outputs(block, step.state.encode()), id=UNKNOWN)
        else:
            olds = self._recorded(prior, news)
            if lifecycle.diff(olds, news).changed:
                step = lifecycle.update(prior["id"], olds, news, preview=True, timeout=DEFAULT_TIMEOUT_SECONDS,
                                        progress=progress, cancel=self.cancel)
                planned.update(outputs(block, step.state.encode()))
            else:  # no change: the recorded outputs stand, and no API call is made
                planned.update({a.name: prior.get(a.name) for a in block.attributes if not a.is_input})
            planned["id"] = prior["id"]
        return tf.PlanResourceChange.Response(planned_state=self._dynamic(planned, block),
                                              planned_private=request.prior_private, diagnostics=diagnostics)

    @_answers(tf.ApplyResourceChange.Response)
    def ApplyResourceChange(self, request: Any, diagnostics: Diagnostics) -> Any:
        block = resource_block()
        self._check_type(request.type_name)
        planned = self._value(request.planned_state, block)
        if planned is None:  # destroy: rebooting cannot be undone, so there is nothing to call
            return tf.ApplyResourceChange.Response(new_state=request.planned_state)
        prior = self._value(request.prior_state, block)
        checked = self._checked(block, planned, diagnostics)
        if checked is None:
            return tf.ApplyResourceChange.Response(diagnostics=diagnostics)
        news = TriggerArgs.decode(checked)
        lifecycle = self._lifecycle_now()
        timeout = _timeout(planned, "create" if prior is None else "update")
        progress = self._progress(diagnostics, _what(news))
        try:
            if prior is None:
                step = lifecycle.create(news, preview=False, timeout=timeout, progress=progress, cancel=self.cancel)
            else:
                step = lifecycle.update(prior["id"], self._recorded(prior, news), news, preview=False,
                                        timeout=timeout, progress=progress, cancel=self.cancel)
        except ResourceInitFailed as failed:
            step = StepResult(failed.id, failed.state)
            _round_failed(failed, diagnostics, first=prior is None)
        if step.summary:
            self.log.info(step.summary, resource=_what(news))
        new = {**planned, **outputs(block, step.state.encode()), "id": step.id}
        return tf.ApplyResourceChange.Response(new_state=self._dynamic(new, block), diagnostics=diagnostics)

    @_answers(tf.ImportResourceState.Response)
    def ImportResourceState(self, request: Any, diagnostics: Diagnostics) -> Any:
        block = resource_block()
        self._check_type(request.type_name)
        state, _ = self._lifecycle_now().read(request.id, None, None, self._process.config.region)
        value = {**from_wire(block, state.encode()), "id": request.id, "triggers": None}
        self.log.info(f"imported {request.id}: no reboot done, the configured triggers are adopted at the next apply")
        imported = tf.ImportResourceState.ImportedResource(type_name=RESOURCE_TYPE, state=self._dynamic(value, block))
        return tf.ImportResourceState.Response(imported_resources=[imported], diagnostics=diagnostics)


def _capabilities() -> Any:
    return tf.ServerCapabilities(plan_destroy=False, get_provider_schema_optional=True)


def _what(args: TriggerArgs) -> str:
    """How a resource is named in the log: the CLI does not send its address. Ids, never trigger values."""
    ids = args.instance_ids.value or []
    shown = ",".join(ids[:3]) + (f",… ({len(ids)} instances)" if len(ids) > 3 else "")
    return f"{RESOURCE_TYPE}[{shown}]"


def _timeout(planned: Mapping[str, Any], step: str) -> float:
    timeouts = planned.get("timeouts")
    text = timeouts.get(step) if isinstance(timeouts, Mapping) else None
    return parse_duration(text) if isinstance(text, str) else DEFAULT_TIMEOUT_SECONDS


def _timeouts_failures(block: Block, failures: list[CheckFailure], diagnostics: Diagnostics) -> None:
    model = [f for f in failures if not f.property.startswith("timeouts.")]
    diagnostics.failures(block, model)
    for failure in failures:
        if failure.property.startswith("timeouts."):
            path = failure.property.split(".")
            diagnostics.error(f"Invalid value for {failure.property}", failure.reason, path)


def _round_failed(failed: ResourceInitFailed[Any], diagnostics: Diagnostics, *, first: bool) -> None:
    for reason in failed.reasons:
        hint = (RETRY_CREATE if first else RETRY_UPDATE) if reason.retryable else ""
        detail = f"{reason.text}.\n\n{hint}" if hint else reason.text
        summary = reason.text.split(":", 1)[0] if reason.retryable else "The reboot round did not complete"
        diagnostics.error(summary, detail)
    if not failed.reasons:
        diagnostics.error("The reboot round did not complete", str(failed))
