"""A local Alibaba Cloud ECS API look-alike for tests, demos and dry runs of pipelines.

Layers (imports ``ecsreboot.core`` and the standard library only):
``backend`` (state, lazy status machine) <- ``responses`` (one function per Action) <-
``wire`` (parsing, both signature versions, JSON/XML) <- ``service`` (faults, request log) <-
``app`` (HTTP server, ``ThreadedEmulator``), with ``admin`` serving ``/_emulator/``.
"""

from .app import DEFAULT_ACCESS_KEYS, ThreadedEmulator
from .backend import DEFAULT_DURATIONS, Ecs
from .faults import Fault, FaultPlan
from .records import Attributes, Group, InstanceFilter, InstanceView, Page, RebootResult
from .service import EmulatorService, Outcome
from .wire import Verifier, WireRequest, parse_request

__all__ = [
    "DEFAULT_ACCESS_KEYS",
    "DEFAULT_DURATIONS",
    "Attributes",
    "Ecs",
    "EmulatorService",
    "Fault",
    "FaultPlan",
    "Group",
    "InstanceFilter",
    "InstanceView",
    "Outcome",
    "Page",
    "RebootResult",
    "ThreadedEmulator",
    "Verifier",
    "WireRequest",
    "parse_request",
]
