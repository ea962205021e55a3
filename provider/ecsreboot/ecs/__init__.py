"""The ECS client layer: transport, signing on the wire, retries, credentials, waiting, rounds.

Imports only ``ecsreboot.core``, the standard library (sockets for health probes), ``requests`` and (lazily)
``alibabacloud_credentials``. The public names are listed in ``__all__``; each is imported on first
use (PEP 562), so code that needs only ``endpoint_url`` — the plugin before it prints its port —
does not load the HTTP client.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .client import EcsClient
    from .config import ClientConfig, default_endpoint_host, endpoint_url
    from .credentials import (
        ChainCredentialsProvider,
        CredentialsProvider,
        StaticCredentialsProvider,
        resolve_credentials,
    )
    from .dryrun import DryRunReport, dry_run, verdict
    from .probes import HealthResult, ProbeOutcome, Prober, SocketProber, wait_until_healthy
    from .reboot import (
        CONFIG_ERROR,
        MISSING_FROM_REPLY,
        NOT_ATTEMPTED,
        REBOOT_UNCONFIRMED,
        TRANSPORT_ERROR,
        Rebooter,
        RebootReply,
        RecoverySettings,
    )
    from .retry import RetryPolicy, TokenBucket
    from .rounds import RoundClient, run_round
    from .selection import select_instances
    from .transport import HttpRequest, HttpResponse, HttpTransport, Transport
    from .waiter import PollSchedule, WaitResult, wait_until_running

_HOME = {
    "EcsClient": "client",
    "ClientConfig": "config", "default_endpoint_host": "config", "endpoint_url": "config",
    "ChainCredentialsProvider": "credentials", "CredentialsProvider": "credentials",
    "StaticCredentialsProvider": "credentials", "resolve_credentials": "credentials",
    "DryRunReport": "dryrun", "dry_run": "dryrun", "verdict": "dryrun",
    "HealthResult": "probes", "ProbeOutcome": "probes", "Prober": "probes", "SocketProber": "probes",
    "wait_until_healthy": "probes",
    "CONFIG_ERROR": "reboot", "MISSING_FROM_REPLY": "reboot", "NOT_ATTEMPTED": "reboot",
    "REBOOT_UNCONFIRMED": "reboot", "TRANSPORT_ERROR": "reboot", "RebootReply": "reboot",
    "Rebooter": "reboot", "RecoverySettings": "reboot",
    "RetryPolicy": "retry", "TokenBucket": "retry",
    "RoundClient": "rounds", "run_round": "rounds",
    "select_instances": "selection",
    "HttpRequest": "transport", "HttpResponse": "transport",
    "HttpTransport": "transport", "Transport": "transport",
    "PollSchedule": "waiter", "WaitResult": "waiter", "wait_until_running": "waiter",
}


def __dir__() -> list[str]:
    return sorted(__all__)


def __getattr__(name: str) -> Any:
    if name not in _HOME:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{_HOME[name]}", __name__), name)
    globals()[name] = value  # later lookups skip this function
    return value


__all__ = [
    "CONFIG_ERROR",
    "MISSING_FROM_REPLY",
    "NOT_ATTEMPTED",
    "REBOOT_UNCONFIRMED",
    "TRANSPORT_ERROR",
    "ChainCredentialsProvider",
    "ClientConfig",
    "CredentialsProvider",
    "DryRunReport",
    "EcsClient",
    "HealthResult",
    "HttpRequest",
    "HttpResponse",
    "HttpTransport",
    "PollSchedule",
    "ProbeOutcome",
    "Prober",
    "RebootReply",
    "Rebooter",
    "RecoverySettings",
    "RetryPolicy",
    "RoundClient",
    "SocketProber",
    "StaticCredentialsProvider",
    "TokenBucket",
    "Transport",
    "WaitResult",
    "default_endpoint_host",
    "dry_run",
    "endpoint_url",
    "resolve_credentials",
    "run_round",
    "select_instances",
    "verdict",
    "wait_until_healthy",
    "wait_until_running",
]
