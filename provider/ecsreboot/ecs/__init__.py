"""The ECS client layer: transport, signing on the wire, retries, credentials, waiting, rounds.

Imports only ``ecsreboot.core``, the standard library (sockets for health probes), ``requests`` and (lazily)
``alibabacloud_credentials``. The public names are listed in ``__all__``.
"""

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
    RebootReply,
)
from .retry import RetryPolicy, TokenBucket
from .rounds import RoundClient, run_round
from .transport import FakeTransport, HttpRequest, HttpResponse, RequestsTransport, Transport
from .waiter import PollSchedule, WaitResult, wait_until_running

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
    "FakeTransport",
    "HealthResult",
    "HttpRequest",
    "HttpResponse",
    "PollSchedule",
    "ProbeOutcome",
    "Prober",
    "RebootReply",
    "RequestsTransport",
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
    "verdict",
    "wait_until_healthy",
    "wait_until_running",
]
