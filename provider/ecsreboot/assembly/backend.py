"""The ECS side, assembled once: one credentials provider, one rate limiter, one client per region.

The plugin builds one at Configure and shares it among every resource step the engine runs concurrently;
the dynamic variant keeps one per configuration; the CLI builds one per command and closes it.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from ..core.clock import Clock, SystemClock
from ..core.errors import ConfigError
from ..core.model import ProgressEvent, RoundOptions, RoundResult
from ..core.selection import Selection, Selector
from ..ecs import (
    ClientConfig,
    CredentialsProvider,
    DryRunReport,
    EcsClient,
    Rebooter,
    RecoverySettings,
    TokenBucket,
    dry_run,
    resolve_credentials,
    run_round,
    select_instances,
)
from ..ecs.evidence import Baseline
from .config import ProviderConfig


class EcsBackend:
    """Implements lifecycle.RebootBackend over the ECS client layer. Thread-safe; ``close`` (or ``with``)
    releases the clients' connections."""

    def __init__(
        self, config: ProviderConfig, *, environ: Mapping[str, str], home: Path, clock: Clock | None = None,
    ) -> None:
        self._config = config
        self._environ = dict(environ)
        self._home = home
        self._clock = clock or SystemClock()
        self._lock = threading.Lock()
        self._clients: dict[str, EcsClient] = {}
        self._credentials: CredentialsProvider | None = None
        rate = config.max_requests_per_second
        # one bucket for the whole process: every region's client draws from it
        self._limiter = TokenBucket(rate, clock=self._clock) if rate else None

    def _credentials_provider(self) -> CredentialsProvider:
        with self._lock:
            if self._credentials is None:
                c = self._config
                self._credentials = resolve_credentials(
                    environ=self._environ, home=self._home, access_key=c.access_key, secret_key=c.secret_key,
                    security_token=c.security_token, profile=c.profile,
                )
            return self._credentials

    def __enter__(self) -> EcsBackend:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        with self._lock:
            clients, self._clients = list(self._clients.values()), {}
        for client in clients:
            client.close()

    def credentials_problem(self) -> str | None:
        try:
            self._credentials_provider()
        except ConfigError as exc:
            return str(exc)
        return None

    def client(self, region_id: str) -> EcsClient:
        credentials = self._credentials_provider()
        with self._lock:
            client = self._clients.get(region_id)
            if client is None:
                c = self._config
                client = EcsClient(
                    ClientConfig(region_id=region_id, endpoint=c.endpoint,
                                 signature_version="v1" if c.signature_version == "v1" else "v3",
                                 max_retries=c.max_retries, request_timeout=c.request_timeout,
                                 max_requests_per_second=c.max_requests_per_second),
                    credentials, clock=self._clock, limiter=self._limiter,
                )
                self._clients[region_id] = client
            return client

    def rebooter(self, region_id: str) -> Rebooter:
        """Reboots with recovery over the region's client; a request is sent at most maxRetries + 1 times."""
        return Rebooter(self.client(region_id), RecoverySettings(sends=self._config.max_retries + 1))

    def select(
        self, selector: Selector, region_id: str, cancel: threading.Event, timeout: float,
        on_listed: Callable[[int], None] | None = None,
    ) -> Selection:
        """The instances ``selector`` matches (``ecs.selection.select_instances``), within ``timeout`` seconds."""
        return select_instances(self.client(region_id), selector, region_id, cancel=cancel,
                                deadline=self._clock.monotonic() + timeout, on_listed=on_listed)

    def run_round(
        self, instance_ids: Sequence[str], options: RoundOptions, progress: Callable[[ProgressEvent], None],
        cancel: threading.Event, selection: Selection | None = None,
    ) -> RoundResult:
        """A round; ``selection``'s listing serves as the first wave's look where it covers that wave."""
        looked = selection.looked if selection is not None and isinstance(selection.looked, Baseline) else None
        return run_round(self.rebooter(options.region_id), list(instance_ids), options, progress=progress,
                         cancel=cancel, clock=self._clock, looked=looked)

    def dry_run(
        self, instance_ids: Sequence[str], options: RoundOptions, cancel: threading.Event | None = None
    ) -> DryRunReport:
        """Bounded by ``options.timeout`` and ``cancel`` (a cancelled check's instances get NotAttempted)."""
        return dry_run(self.rebooter(options.region_id), list(instance_ids), options, cancel=cancel,
                       deadline=self._clock.monotonic() + options.timeout)


def make_backend(config: ProviderConfig) -> EcsBackend:
    """The production backend: the plugin process's environment and home directory."""
    return EcsBackend(config, environ=os.environ, home=Path.home())
