"""``pulumi-resource-ecsreboot``: the ResourceProvider gRPC service.

A thin adapter: unmarshal, call the lifecycle (ecsreboot.lifecycle), marshal. Errors leave through
adapter/errors.py only. One backend (one ECS client, one rate limiter) per plugin process, shared
by all resources the engine drives concurrently.
"""

from __future__ import annotations

import functools
import os
import signal
import sys
import threading
from collections.abc import Callable, Mapping
from concurrent import futures
from typing import Any, TypeVar

import grpc
from google.protobuf import empty_pb2

from .. import __version__
from ..assembly import config as cfg
from ..assembly.lazy import LazyBackend
from ..core.clock import SystemClock
from ..core.errors import InputError, ResourceInitFailed
from ..core.resource import RESOURCE_TOKEN
from ..core.runtime import tune_garbage_collector
from ..core.secrets import SecretScrubber
from ..core.state import TriggerArgs, TriggerState
from ..core.values import Secret
from ..lifecycle import DiffResult, PreviewRejected, ProcessLifecycle, RebootBackend, StepResult, TriggerLifecycle
from .engine_log import ERROR, INFO, EngineLog
from .errors import abort_init_failed, grpc_code, message_for
from .properties import from_struct, message_bytes, struct_bytes, to_struct
from .proto import plugin_pb2, provider_pb2, provider_pb2_grpc
from .schema import schema_json

BackendFactory = Callable[[cfg.ProviderConfig], RebootBackend]
Handler = Callable[["Provider", Any], Any]
R = TypeVar("R")

_KINDS = {
    "add": provider_pb2.PropertyDiff.ADD,
    "delete": provider_pb2.PropertyDiff.DELETE,
    "update": provider_pb2.PropertyDiff.UPDATE,
}
_MAX_MESSAGE = 400 * 1024 * 1024
#: the ``properties`` field of the step responses that carry a state (serialized by hand: see ``Create``)
_CREATE_PROPERTIES = provider_pb2.CreateResponse.DESCRIPTOR.fields_by_name["properties"].number
_UPDATE_PROPERTIES = provider_pb2.UpdateResponse.DESCRIPTOR.fields_by_name["properties"].number


def _handled(*, resource: bool) -> Callable[[Handler], Callable[[Provider, Any, grpc.ServicerContext], Any]]:
    """Serve ``handler(self, request)`` as a gRPC method: every exception leaves through ``Provider._guard``.

    ``resource``: the request names a resource (``request.urn``), so an error is also logged against it in
    the engine's output; provider-config calls are logged nowhere but in their status.
    """

    def wrap(handler: Handler) -> Callable[[Provider, Any, grpc.ServicerContext], Any]:
        @functools.wraps(handler)
        def serve(self: Provider, request: Any, context: grpc.ServicerContext) -> Any:
            return self._guard(context, request.urn if resource else "", lambda: handler(self, request))

        return serve

    return wrap


# the stubs are untyped modules loaded at run time (adapter/proto.py): the base class is Any to mypy
class Provider(provider_pb2_grpc.ResourceProviderServicer):  # type: ignore[misc,name-defined]
    """ResourceProvider for ``ecsreboot:index:RebootTrigger``."""

    def __init__(self, backend_factory: BackendFactory, environ: Mapping[str, str] | None = None) -> None:
        self._environ = dict(os.environ if environ is None else environ)
        self._scrub = SecretScrubber()
        self.log = EngineLog(self._scrub)
        self.cancel = threading.Event()
        self._process = ProcessLifecycle(cfg.resolve({}, self._environ), backend_factory, cfg.ProviderConfig.secrets,
                                         self._scrub, SystemClock())
        self._region_is_secret = False

    # --- plumbing ---------------------------------------------------------------------------------

    def _guard(self, context: grpc.ServicerContext, urn: str, call: Callable[[], R]) -> R:
        """Run a handler; map any exception to a deliberate gRPC status, scrubbed of secrets."""
        try:
            return call()
        except ResourceInitFailed as failed:  # the step's new state is recorded with the error
            abort_init_failed(context, failed, self._scrub)
        except Exception as exc:  # the one place that maps every error
            message = self._scrub(message_for(exc))
            if urn and not isinstance(exc, PreviewRejected):
                self.log.log(ERROR, message, urn)
            context.abort(grpc_code(exc), message)
        raise AssertionError("unreachable")

    def _get_lifecycle(self) -> TriggerLifecycle:
        return self._process.get()

    def _decode(self, struct: Any) -> dict[str, Any]:
        envelopes: list[Any] = []
        values = from_struct(struct, envelopes)
        if envelopes:  # a Secret comes only from an envelope: only those are walked for secret strings
            self._scrub.add_from(envelopes)
        return values

    def _args(self, struct: Any) -> TriggerArgs:
        return TriggerArgs.decode(self._decode(struct))

    def _state(self, struct: Any) -> TriggerState:
        return TriggerState.decode(self._decode(struct))

    # --- plugin ------------------------------------------------------------------------------------

    def Handshake(self, request: Any, context: grpc.ServicerContext) -> Any:
        self.log.connect(request.engine_address)
        return provider_pb2.ProviderHandshakeResponse(
            accept_secrets=True, accept_resources=True, accept_outputs=False,
            supports_autonaming_configuration=False,
        )

    def Attach(self, request: Any, context: grpc.ServicerContext) -> Any:
        self.log.connect(request.address)
        return empty_pb2.Empty()

    def GetPluginInfo(self, request: Any, context: grpc.ServicerContext) -> Any:
        return plugin_pb2.PluginInfo(version=__version__)

    def GetSchema(self, request: Any, context: grpc.ServicerContext) -> Any:
        return provider_pb2.GetSchemaResponse(schema=schema_json())

    def Cancel(self, request: Any, context: grpc.ServicerContext) -> Any:
        self.cancel.set()
        return empty_pb2.Empty()

    # --- provider config ---------------------------------------------------------------------------

    @_handled(resource=False)
    def CheckConfig(self, request: Any) -> Any:
        checked, failures = cfg.check_config(self._decode(request.news), self._environ)
        return provider_pb2.CheckResponse(
            inputs=to_struct(checked),
            failures=[provider_pb2.CheckFailure(property=f.property, reason=f.reason) for f in failures],
        )

    @_handled(resource=False)
    def DiffConfig(self, request: Any) -> Any:
        olds = cfg.resolve(self._decode(request.olds), {})
        news = cfg.resolve(self._decode(request.news), {})
        changed = [k for k, v in vars(news).items() if vars(olds).get(k) != v]
        return provider_pb2.DiffResponse(
            changes=provider_pb2.DiffResponse.DIFF_SOME if changed else provider_pb2.DiffResponse.DIFF_NONE,
            diffs=sorted(changed),
        )

    @_handled(resource=False)
    def Configure(self, request: Any) -> Any:
        values = self._decode(request.args) if request.HasField("args") else {}
        if not values:
            values = {k: v for k, v in request.variables.items()}
        self._process.configure(cfg.resolve(values, self._environ))
        # a region the user marked secret stays secret in the resources that default to it
        self._region_is_secret = isinstance(cfg.normalize(values).get("region"), Secret)
        return provider_pb2.ConfigureResponse(acceptSecrets=True, supportsPreview=True, acceptResources=True)

    # --- RebootTrigger -------------------------------------------------------------------------------

    def _require_type(self, type_: str, urn: str = "") -> None:
        # older engines send no type: a URN is urn:pulumi:STACK::PROJECT::[PARENT$]TYPE::NAME
        if not type_ and urn.count("::") >= 3:
            type_ = urn.split("::")[-2].rsplit("$", 1)[-1]
        if type_ and type_ != RESOURCE_TOKEN:
            raise InputError(f"unknown resource type {type_!r}; this provider serves {RESOURCE_TOKEN}")

    def _default_region(self) -> str | Secret | None:
        """The provider's region, for resources without ``regionId`` (secret if it was given as one)."""
        region = self._process.config.region
        return Secret(region) if region and self._region_is_secret else region

    @_handled(resource=True)
    def Check(self, request: Any) -> Any:
        self._require_type(request.type, request.urn)
        lifecycle = self._get_lifecycle()
        checked, failures = lifecycle.check(self._decode(request.news), self._default_region())
        return provider_pb2.CheckResponse(
            inputs=to_struct(checked),
            failures=[provider_pb2.CheckFailure(property=f.property, reason=f.reason) for f in failures],
        )

    @_handled(resource=True)
    def Diff(self, request: Any) -> Any:
        result: DiffResult = self._get_lifecycle().diff(self._state(request.olds), self._args(request.news))
        return provider_pb2.DiffResponse(
            changes=provider_pb2.DiffResponse.DIFF_SOME if result.changed else provider_pb2.DiffResponse.DIFF_NONE,
            diffs=result.diffs,
            detailedDiff={path: provider_pb2.PropertyDiff(kind=_KINDS[kind], inputDiff=True)
                          for path, kind in result.detailed.items()},
            hasDetailedDiff=True,
            deleteBeforeReplace=False,
        )

    @_handled(resource=True)
    def Create(self, request: Any) -> Any:
        step = self._get_lifecycle().create(
            self._args(request.properties), preview=request.preview, timeout=request.timeout,
            progress=self.log.progress_for(request.urn), cancel=self.cancel,
        )
        self._report(step, request.urn)
        # The response goes out serialized already, its state encoded piecewise (struct_bytes): the state of
        # 100,000 instances as one protobuf message, then serialized, was the plugin's peak of memory.
        return message_bytes(provider_pb2.CreateResponse(id=step.id).SerializeToString(), _CREATE_PROPERTIES,
                             struct_bytes(step.state.encode()))

    @_handled(resource=True)
    def Update(self, request: Any) -> Any:
        step = self._get_lifecycle().update(
            request.id, self._state(request.olds), self._args(request.news), preview=request.preview,
            timeout=request.timeout, progress=self.log.progress_for(request.urn), cancel=self.cancel,
        )
        self._report(step, request.urn)
        return message_bytes(b"", _UPDATE_PROPERTIES, struct_bytes(step.state.encode()))  # as Create's

    def _report(self, step: StepResult, urn: str) -> None:
        if step.summary:
            self.log.log(INFO, step.summary, urn)

    @_handled(resource=True)
    def Read(self, request: Any) -> Any:
        recorded, given = self._decode(request.properties), self._decode(request.inputs)
        state, inputs = self._get_lifecycle().read(
            request.id, TriggerState.decode(recorded) if recorded else None,
            TriggerArgs.decode(given) if given else None, self._default_region(),
        )
        return provider_pb2.ReadResponse(id=request.id, properties=to_struct(state.encode()),
                                         inputs=to_struct(inputs.encode()))

    def Delete(self, request: Any, context: grpc.ServicerContext) -> Any:
        return empty_pb2.Empty()  # rebooting is not a thing that can be undone: nothing to call


def serve(provider: Provider, engine_address: str | None, out: Any = None) -> grpc.Server:
    """Start serving on 127.0.0.1 at a free port and print the port alone on the first stdout line."""
    provider.log.connect(engine_address)
    # A Create/Update holds its thread for the whole round (minutes), so the pool is large: Check and
    # Diff of other resources must never queue behind rounds. Threads start only when needed.
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=256, thread_name_prefix="ecsreboot"),
        options=[("grpc.max_receive_message_length", _MAX_MESSAGE), ("grpc.max_send_message_length", _MAX_MESSAGE)],
    )
    # Create and Update answer with their response serialized already (bytes): served by a handler of their
    # own, registered first (a server asks its generic handlers in turn), with a serializer that sends bytes
    # as they are; every other method through the generated handlers.
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(_SERVICE, {
        "Create": grpc.unary_unary_rpc_method_handler(
            provider.Create, request_deserializer=provider_pb2.CreateRequest.FromString,
            response_serializer=_serialized),
        "Update": grpc.unary_unary_rpc_method_handler(
            provider.Update, request_deserializer=provider_pb2.UpdateRequest.FromString,
            response_serializer=_serialized),
    }),))
    provider_pb2_grpc.add_ResourceProviderServicer_to_server(provider, server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    stream = out or sys.stdout
    stream.write(f"{port}\n")
    stream.flush()
    return server


_SERVICE = provider_pb2.DESCRIPTOR.services_by_name["ResourceProvider"].full_name


def _serialized(response: Any) -> bytes:
    """A response as bytes: already serialized, or a message to serialize."""
    return response if isinstance(response, bytes) else bytes(response.SerializeToString())


def engine_address_from(argv: list[str]) -> str | None:
    """The engine address is the last argument that is not a flag or a flag's value."""
    positional: list[str] = []
    skip = False
    for arg in argv:
        if skip:
            skip = False
        elif arg == "--tracing":
            skip = True
        elif not arg.startswith("-"):
            positional.append(arg)
    return positional[-1] if positional else None


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    tune_garbage_collector()
    provider = Provider(LazyBackend)
    server = serve(provider, engine_address_from(args))
    stop = threading.Event()

    def on_signal(signum: int, frame: object) -> None:
        provider.cancel.set()
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    stop.wait()
    server.stop(grace=1).wait()
    provider.log.close()
    return 0
