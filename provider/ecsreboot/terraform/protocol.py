"""The plugin protocol's messages and services, from the descriptor set the build step compiles (setup.py).

``protocol.binpb`` holds ``tfplugin6.proto`` (terraform-plugin-go, pinned in setup.py) and go-plugin's
``grpc_controller.proto`` as a serialized ``FileDescriptorSet``. They are loaded into a private descriptor pool,
so no other copy of the same definitions in the process (another library's generated code) can clash with them;
message classes are made from the pool, and a service is served by naming its methods (``serve``), as generated
``_pb2_grpc`` code would, without tying the package to the generator's protobuf and grpcio releases.

The standard health service (``grpc.health.v1``) is two one-field messages; it is declared here rather than pulled
in with a package that pins grpcio to its own release.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from importlib import resources
from types import SimpleNamespace
from typing import Any

import grpc
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

DESCRIPTOR_SET = "protocol.binpb"
PROVIDER_SERVICE = "tfplugin6.Provider"
CONTROLLER_SERVICE = "plugin.GRPCController"
HEALTH_SERVICE = "grpc.health.v1.Health"


class ProtocolMissing(RuntimeError):
    """The package was installed without its build step (the descriptor set is missing)."""


def _health_file() -> descriptor_pb2.FileDescriptorProto:
    """grpc/health/v1/health.proto's Check method: HealthCheckRequest{service} -> HealthCheckResponse{status}."""
    f = descriptor_pb2.FileDescriptorProto(name="grpc/health/v1/health.proto", package="grpc.health.v1",
                                           syntax="proto3")
    request = f.message_type.add(name="HealthCheckRequest")
    request.field.add(name="service", number=1, type=descriptor_pb2.FieldDescriptorProto.TYPE_STRING,
                      label=descriptor_pb2.FieldDescriptorProto.LABEL_OPTIONAL)
    response = f.message_type.add(name="HealthCheckResponse")
    status = response.enum_type.add(name="ServingStatus")
    for number, name in enumerate(("UNKNOWN", "SERVING", "NOT_SERVING", "SERVICE_UNKNOWN")):
        status.value.add(name=name, number=number)
    response.field.add(name="status", number=1, type=descriptor_pb2.FieldDescriptorProto.TYPE_ENUM,
                       type_name=".grpc.health.v1.HealthCheckResponse.ServingStatus",
                       label=descriptor_pb2.FieldDescriptorProto.LABEL_OPTIONAL)
    service = f.service.add(name="Health")
    service.method.add(name="Check", input_type=".grpc.health.v1.HealthCheckRequest",
                       output_type=".grpc.health.v1.HealthCheckResponse")
    return f


@cache
def pool() -> descriptor_pool.DescriptorPool:
    """The private pool with tfplugin6, the controller and health services (and their imports)."""
    try:
        data = resources.files(__package__).joinpath(DESCRIPTOR_SET).read_bytes()
    except FileNotFoundError:
        raise ProtocolMissing(
            f"{__package__}/{DESCRIPTOR_SET} is missing: the package was installed without its build step. "
            "Reinstall it with pip (pip install ., or pip install -e . for a working copy), which compiles the "
            "plugin protocol (setup.py)"
        ) from None
    files = descriptor_pb2.FileDescriptorSet.FromString(data)
    built = descriptor_pool.DescriptorPool()
    for f in files.file:  # --include_imports writes dependencies first
        built.Add(f)
    built.Add(_health_file())
    return built


@cache
def message(full_name: str) -> Any:
    """The message class of ``full_name`` (``tfplugin6.PlanResourceChange.Response``)."""
    return message_factory.GetMessageClass(pool().FindMessageTypeByName(full_name))


class Messages:
    """A proto package's top-level message classes and enums as attributes: ``tf.DynamicValue``,
    ``tf.StringKind.MARKDOWN``; nested messages and enum values are attributes of the classes
    (``tf.PlanResourceChange.Response``, ``tf.Diagnostic.ERROR``)."""

    def __init__(self, package: str) -> None:
        self._package = package

    def __getattr__(self, name: str) -> Any:
        full_name = f"{self._package}.{name}"
        try:
            return message(full_name)
        except KeyError:  # a top-level enum: its values by name (``tf.StringKind.MARKDOWN``)
            values = pool().FindEnumTypeByName(full_name).values_by_name
            return SimpleNamespace(**{value: number.number for value, number in values.items()})


tf = Messages("tfplugin6")
health = Messages("grpc.health.v1")
plugin = Messages("plugin")


def serve(server: grpc.Server, service: str, servicer: object) -> list[str]:
    """Register ``servicer``'s methods named as the service's unary RPCs; returns the names it serves.

    An RPC the servicer has no method for is left out, so a client calling it gets UNIMPLEMENTED, as with a
    generated base servicer; streaming RPCs are never served here (this provider implements none).
    """
    descriptor = pool().FindServiceByName(service)
    handlers: dict[str, grpc.RpcMethodHandler] = {}
    for method in descriptor.methods:
        implementation: Callable[[Any, grpc.ServicerContext], Any] | None = getattr(servicer, method.name, None)
        if implementation is None or method.client_streaming or method.server_streaming:
            continue
        handlers[method.name] = grpc.unary_unary_rpc_method_handler(
            implementation,
            request_deserializer=message_factory.GetMessageClass(method.input_type).FromString,
            response_serializer=lambda response: response.SerializeToString(),
        )
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(service, handlers),))
    return sorted(handlers)
