"""``ecsreboot.dynamic.RebootTrigger``: the RebootTrigger resource as a Pulumi *dynamic* resource.

For programs that will not install a resource plugin: only this Python package is needed (in the
program's virtualenv), and Pulumi runs the provider in its own ``pulumi-python`` dynamic-provider
process. The lifecycle is the plugin's own (``ecsreboot.lifecycle.TriggerLifecycle`` over
``assembly.backend.EcsBackend``, configured by ``assembly.config``): the same Check validation, the
same trigger semantics, the same reboot rounds, waves and waiting. Usage::

    from ecsreboot.dynamic import RebootTrigger

    RebootTrigger("web", instance_ids=["i-..."], triggers={"configHash": digest}, max_unavailable=2)
    RebootTrigger("fleet", instance_selector={"tags": {"app": "web"}, "maxInstances": 200},
                  triggers={"configHash": digest}, max_unavailable=2)

Configuration comes from the stack config under the plugin's names (``pulumi config set
ecsreboot:region cn-hangzhou``, ``ecsreboot:endpoint``, ``ecsreboot:accessKey`` ...) and the same
environment fallbacks (``ALIBABA_CLOUD_ACCESS_KEY_ID`` ...), read once per provider process.

What it cannot do, compared with the plugin (``pulumi_ecsreboot.RebootTrigger``):

- **No preview dry run.** ``pulumi.dynamic`` answers ``supportsPreview=False``, so the engine never
  calls Create/Update during ``pulumi preview``: a bad instance id or a missing RAM permission shows
  up only at ``pulumi up``, and an ``instanceSelector`` is resolved only then. (Check validation does run
  in preview.)
- **No partial-failure state.** The dynamic provider server cannot return the
  ``ErrorResourceInitFailed`` status that saves outputs with an error, so a round that leaves
  instances not rebooted fails the step with an exception and *nothing* is recorded: the next
  ``pulumi up`` reboots every instance of that trigger change again (a failed create reboots the
  whole fleet again), not only the failed ones. ``failedInstanceIds`` is therefore always ``[]``.
- **No per-key detailed diff.** The server forwards only "changed or not"; the engine shows its own
  input diff.
- **No customTimeouts, no Cancel.** Timeouts are not passed to dynamic providers: waiting for
  ``Running`` is bounded by the default 10 minutes. Ctrl-C does not interrupt a wait.
- **Secrets only at the top level.** The server unwraps secrets before calling the provider
  (``acceptSecrets=False``); the engine re-marks as secret only the top-level outputs whose input
  was secret. A secret trigger value makes the whole ``triggers`` map secret, and outputs derived
  from secret inputs (``results`` from secret ``instanceIds``) are not secret.
- **No schema and no generated SDK**: the resource type is
  ``pulumi-python:dynamic/ecsreboot:RebootTrigger``; other languages cannot use it, and policy
  packs see it under that type.
- **Progress** goes to the provider process's stderr (shown by the CLI as plain diagnostics), not
  to the resource's status column.
- **Pickling.** Pulumi stores the provider in state as ``dill`` bytes (input ``__provider``). This
  module keeps that small and stable: the provider class pickles *by reference* to this installed
  package (about 60 bytes, no code, no credentials), so ``ecsreboot`` must be importable in the
  program's virtualenv, where the dynamic provider runs; moving or renaming this class would break
  existing stacks. The instance holds no clients, locks or configuration: the backend is built
  lazily at module level, per configuration.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
import weakref
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import pulumi
import pulumi.dynamic as dyn
from pulumi.output import Unknown
from pulumi.runtime import rpc

from .adapter.properties import decode
from .assembly import config as cfg
from .assembly.backend import EcsBackend, make_backend
from .core.clock import SystemClock
from .core.errors import InputError, ResourceInitFailed
from .core.model import ProgressEvent
from .core.resource import CONFIG, DEFAULT_TIMEOUT_SECONDS, PACKAGE
from .core.sentinels import UNKNOWN_STRING
from .core.state import TriggerArgs, TriggerState
from .core.values import UNKNOWN, reveal
from .lifecycle import TriggerLifecycle

__all__ = ["RebootRoundError", "RebootTrigger", "RebootTriggerProvider"]

#: ``pulumi-python:dynamic/<module>:<name>``
DYNAMIC_MODULE = "ecsreboot"
DYNAMIC_NAME = "RebootTrigger"
DYNAMIC_TYPE = f"pulumi-python:dynamic/{DYNAMIC_MODULE}:{DYNAMIC_NAME}"
PROVIDER_KEY = "__provider"

# Process-wide state of the dynamic provider process. Nothing here is reachable from a provider
# instance, so none of it is ever pickled into the stack's state.
_LOCK = threading.Lock()
_BACKENDS: dict[cfg.ProviderConfig, EcsBackend] = {}
_CONFIGS: weakref.WeakKeyDictionary[RebootTriggerProvider, cfg.ProviderConfig] = weakref.WeakKeyDictionary()


class RebootRoundError(Exception):
    """A reboot round (or a ``dryRun`` check) left instances not rebooted. Nothing is recorded."""


class RebootTriggerProvider(dyn.ResourceProvider):
    """The ``pulumi.dynamic`` provider of :class:`RebootTrigger`. Stateless: pickles to a reference."""

    #: the pickled provider holds no secret (no config, no credentials), so it need not be a secret
    serialize_as_secret_always = False

    def configure(self, req: dyn.ConfigureRequest) -> None:
        """Read ``ecsreboot:<key>`` from the stack config; unset keys fall back to the environment."""
        values = {p.name: v for p in CONFIG if (v := req.config.get(f"{PACKAGE}:{p.name}")) is not None}
        _checked, failures = cfg.check_config(values, os.environ)
        if failures:
            raise InputError("invalid ecsreboot configuration: " + "; ".join(
                f"ecsreboot:{f.property}: {f.reason}" for f in failures))
        with _LOCK:
            _CONFIGS[self] = cfg.resolve(values, os.environ)

    # --- the lifecycle, over pulumi.dynamic's plain values ---------------------------------------

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> dyn.CheckResult:
        config = self._config()
        checked, failures = _lifecycle(config).check(_from_wire(news), config.region)
        return dyn.CheckResult(_to_wire(checked), [dyn.CheckFailure(f.property, f.reason) for f in failures])

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> dyn.DiffResult:
        """``olds`` are the recorded outputs. Never a replacement."""
        result = _lifecycle(self._config()).diff(TriggerState.decode(_from_wire(olds)),
                                                 TriggerArgs.decode(_from_wire(news)))
        return dyn.DiffResult(changes=result.changed, replaces=[], stables=[], delete_before_replace=False)

    def create(self, props: dict[str, Any]) -> dyn.CreateResult:
        with _nothing_recorded():
            step = _lifecycle(self._config()).create(
                TriggerArgs.decode(_from_wire(props)), preview=False, timeout=DEFAULT_TIMEOUT_SECONDS,
                progress=_progress, cancel=threading.Event(),
            )
        return dyn.CreateResult(step.id, _to_wire(step.state.encode()))

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> dyn.UpdateResult:
        with _nothing_recorded():
            step = _lifecycle(self._config()).update(
                id_, TriggerState.decode(_from_wire(olds)), TriggerArgs.decode(_from_wire(news)),
                preview=False, timeout=DEFAULT_TIMEOUT_SECONDS, progress=_progress, cancel=threading.Event(),
            )
        return dyn.UpdateResult(_to_wire(step.state.encode()))

    def read(self, id_: str, props: dict[str, Any]) -> dyn.ReadResult:
        """The recorded state, as the plugin's Read; no API call."""
        recorded = _from_wire(props)
        state, _inputs = _lifecycle(self._config()).read(id_, TriggerState.decode(recorded) if recorded else None,
                                                        None)
        return dyn.ReadResult(id_, _to_wire(state.encode()))

    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        """A reboot cannot be undone: nothing to call."""

    def _config(self) -> cfg.ProviderConfig:
        with _LOCK:
            found = _CONFIGS.get(self)
        return found if found is not None else cfg.resolve({}, os.environ)


def _backend(config: cfg.ProviderConfig) -> EcsBackend:
    """One backend (credentials, rate limiter, clients) per configuration and process."""
    with _LOCK:
        backend = _BACKENDS.get(config)
        if backend is None:
            backend = _BACKENDS[config] = make_backend(config)
        return backend


def _lifecycle(config: cfg.ProviderConfig) -> TriggerLifecycle:
    return TriggerLifecycle(_backend(config), SystemClock())


def _progress(event: ProgressEvent) -> None:
    """The dynamic provider cannot reach the engine's log; its stderr is shown by the CLI."""
    if not event.ephemeral:
        print(f"ecsreboot: {event.message}", file=sys.stderr, flush=True)


@contextlib.contextmanager
def _nothing_recorded() -> Iterator[None]:
    """A step that failed part-way fails whole here: nothing can be recorded with an error."""
    try:
        yield
    except ResourceInitFailed as failed:
        reasons = "; ".join(r.text for r in failed.reasons).rstrip(".")
        raise RebootRoundError(f"{reasons}. {_NOTHING_RECORDED}") from None


_NOTHING_RECORDED = (
    "Nothing was recorded: the dynamic provider cannot save partial state, so the next `pulumi up` repeats "
    "the whole step for every instance. The plugin (pulumi_ecsreboot.RebootTrigger) retries only the failed "
    "instances."
)


def _unknowns_as_sentinel(value: Any) -> Any:
    if isinstance(value, Unknown):
        return UNKNOWN_STRING
    if isinstance(value, Mapping):
        return {k: _unknowns_as_sentinel(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_unknowns_as_sentinel(v) for v in value]
    return value


def _from_wire(values: Mapping[str, Any]) -> dict[str, Any]:
    """pulumi.dynamic's values (``Unknown()`` in preview, secret envelopes if any) -> domain values.

    ``__provider`` is dropped: the dynamic server puts it back on every answer.
    """
    plain = {k: v for k, v in values.items() if k != PROVIDER_KEY}
    decoded = decode(_unknowns_as_sentinel(plain))
    return decoded if isinstance(decoded, dict) else {}


def _to_wire(values: Mapping[str, Any]) -> dict[str, Any]:
    """Domain values -> plain values for pulumi.dynamic (no secrets inside: the engine re-marks top-level
    secret inputs; ``UNKNOWN`` as the sentinel)."""

    def convert(value: Any) -> Any:
        if value is UNKNOWN:
            return rpc.UNKNOWN
        if isinstance(value, Mapping):
            return {k: convert(v) for k, v in value.items() if v is not None}
        if isinstance(value, list | tuple):
            return [convert(v) for v in value]
        return value

    return {k: convert(v) for k, v in reveal(dict(values)).items() if v is not None}


#: the one provider instance every RebootTrigger pickles (identical bytes, one cached provider per process)
_PROVIDER = RebootTriggerProvider()


class RebootTrigger(dyn.Resource, module=DYNAMIC_MODULE, name=DYNAMIC_NAME):
    """Reboots ECS instances during ``pulumi up`` when its trigger keys change (dynamic-provider variant).

    The inputs and outputs are those of ``ecsreboot:index:RebootTrigger``; outputs are attributes under
    their camelCase names (``trigger.rebootCount``) and, for the multi-word ones, snake_case properties
    (``trigger.reboot_count``). See the module docstring for what this variant cannot do.
    """

    instanceIds: pulumi.Output[list[str]]
    regionId: pulumi.Output[str]
    triggers: pulumi.Output[dict[str, Any]]
    forceReboot: pulumi.Output[bool]
    batchOptimization: pulumi.Output[str]
    rebootApi: pulumi.Output[str]
    dryRun: pulumi.Output[bool]
    rebootOnCreate: pulumi.Output[bool]
    waitForRunning: pulumi.Output[bool]
    maxUnavailable: pulumi.Output[int | None]
    healthCheck: pulumi.Output[dict[str, Any] | None]
    maxFailures: pulumi.Output[int | None]
    pauseBetweenWaves: pulumi.Output[float | None]
    instanceSelector: pulumi.Output[dict[str, Any] | None]
    rebootCount: pulumi.Output[int]
    lastRebootTime: pulumi.Output[str | None]
    results: pulumi.Output[list[dict[str, str]]]
    requestIds: pulumi.Output[list[str]]
    failedInstanceIds: pulumi.Output[list[str]]
    selectedInstanceIds: pulumi.Output[list[str]]

    def __init__(
        self,
        resource_name: str,
        *,
        instance_ids: pulumi.Input[Sequence[pulumi.Input[str]]] | None = None,
        region_id: pulumi.Input[str] | None = None,
        triggers: pulumi.Input[Mapping[str, Any]] | None = None,
        force_reboot: pulumi.Input[bool] = False,
        batch_optimization: pulumi.Input[str] = "AllTogether",
        reboot_api: pulumi.Input[str] = "RebootInstances",
        dry_run: pulumi.Input[bool] = False,
        reboot_on_create: pulumi.Input[bool] = True,
        wait_for_running: pulumi.Input[bool] = True,
        max_unavailable: pulumi.Input[int] | None = None,
        health_check: pulumi.Input[Mapping[str, Any]] | None = None,
        max_failures: pulumi.Input[int] | None = None,
        pause_between_waves: pulumi.Input[float] | None = None,
        instance_selector: pulumi.Input[Mapping[str, Any]] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        props: dict[str, Any] = {
            "instanceIds": instance_ids,
            "regionId": region_id,
            "triggers": triggers,
            "forceReboot": force_reboot,
            "batchOptimization": batch_optimization,
            "rebootApi": reboot_api,
            "dryRun": dry_run,
            "rebootOnCreate": reboot_on_create,
            "waitForRunning": wait_for_running,
            "maxUnavailable": max_unavailable,
            # {url, expectedStatus, timeoutSeconds, ...}: the camelCase fields of the plugin's HealthCheck type
            "healthCheck": health_check,
            "maxFailures": max_failures,
            "pauseBetweenWaves": pause_between_waves,
            # {tags, vpcId, vSwitchId, zoneId, resourceGroupId, instanceName, maxInstances}: camelCase, as the
            # plugin's InstanceSelector type
            "instanceSelector": instance_selector,
            # outputs: None registers nothing but makes them attributes of the resource
            "rebootCount": None,
            "lastRebootTime": None,
            "results": None,
            "requestIds": None,
            "failedInstanceIds": None,
            "selectedInstanceIds": None,
        }
        super().__init__(_PROVIDER, resource_name, props, opts)

    @property
    def reboot_count(self) -> pulumi.Output[int]:
        return self.rebootCount

    @property
    def last_reboot_time(self) -> pulumi.Output[str | None]:
        return self.lastRebootTime

    @property
    def request_ids(self) -> pulumi.Output[list[str]]:
        return self.requestIds

    @property
    def failed_instance_ids(self) -> pulumi.Output[list[str]]:
        return self.failedInstanceIds

    @property
    def selected_instance_ids(self) -> pulumi.Output[list[str]]:
        return self.selectedInstanceIds
