"""Pulumi's provider protocol stubs (``pulumirpc``), loaded without the Pulumi SDK around them.

The stubs ship inside the ``pulumi`` package (``pulumi/runtime/proto``), and importing them the usual
way first runs ``pulumi/__init__.py``: the whole program SDK (asyncio, the Automation API, OpenTelemetry,
YAML ...), about 0.12 s that the plugin never uses and that the engine waits through before it sees the
port line. The stub files only import protobuf, grpc and each other (relatively), so they are loaded
here as the submodules of a private package whose path is that directory; ``pulumi/__init__.py`` is
never run. The message classes are the very same objects as ``pulumi.runtime.proto``'s: protobuf's
default pool builds each message type once per full name, so a process that imports both (a test
that runs the engine harness beside the plugin) mixes them freely.

When the stubs were already imported, or the directory is not where a regular install puts it, the
usual import is used.
"""

from __future__ import annotations

import importlib
import importlib.machinery
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

#: the private package the stub files are loaded under
PACKAGE = "_ecsreboot_pulumirpc"
_PULUMI_STUBS = "pulumi.runtime.proto"


def _stub_directory() -> Path | None:
    spec = importlib.util.find_spec("pulumi")  # finds the package without importing it
    if spec is None or spec.origin is None:
        return None
    directory = Path(spec.origin).parent / "runtime" / "proto"
    return directory if (directory / "provider_pb2_grpc.py").is_file() else None


def _package() -> str:
    if PACKAGE in sys.modules:
        return PACKAGE
    if _PULUMI_STUBS in sys.modules:
        return _PULUMI_STUBS
    directory = _stub_directory()
    if directory is None:
        return _PULUMI_STUBS
    spec = importlib.machinery.ModuleSpec(PACKAGE, None, is_package=True)
    spec.submodule_search_locations = [str(directory)]
    sys.modules[PACKAGE] = importlib.util.module_from_spec(spec)  # an empty package: no __init__ runs
    return PACKAGE


def allow_oversize_messages() -> None:
    """Lift protobuf's default limits on message size and nesting depth (100 levels), as the Pulumi SDK does
    when it loads (pulumi/runtime/rpc.py): the engine sends property values as deep and as large as a
    program makes them, and a request the library refuses to parse reaches the plugin as "Exception
    deserializing request!" instead of a Check failure that names the property."""
    try:
        from google.protobuf.pyext import cpp_message  # the upb and C++ backends both answer here
    except ImportError:  # the pure-Python backend has no such limits
        return
    backend = getattr(cpp_message, "_message", None)
    if backend is not None:
        backend.SetAllowOversizeProtos(True)


def stubs(*names: str) -> tuple[ModuleType, ...]:
    """The named stub modules (``"provider_pb2"``, ``"provider_pb2_grpc"`` ...), in order."""
    package = _package()
    return tuple(importlib.import_module(f"{package}.{name}") for name in names)


allow_oversize_messages()
engine_pb2, engine_pb2_grpc, plugin_pb2, provider_pb2, provider_pb2_grpc, status_pb2 = stubs(
    "engine_pb2", "engine_pb2_grpc", "plugin_pb2", "provider_pb2", "provider_pb2_grpc", "status_pb2")
