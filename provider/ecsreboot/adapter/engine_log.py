"""Messages to the engine's log, attached to a resource's URN.

Progress while waiting is *ephemeral* (the resource's status column); wave summaries, warnings
and errors are kept as diagnostics. Every message passes through a scrubber that removes known
secret values, so a secret never reaches the engine even through an unexpected path.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from typing import Any

import grpc

from ..core.model import ProgressEvent
from .proto import engine_pb2, engine_pb2_grpc

DEBUG, INFO, WARNING, ERROR = (engine_pb2.DEBUG, engine_pb2.INFO, engine_pb2.WARNING, engine_pb2.ERROR)


class EngineLog:
    """A thread-safe client of the engine's Log RPC. Logging never fails a step."""

    def __init__(self, scrub: Callable[[str], str]) -> None:
        self._scrub = scrub
        self._lock = threading.Lock()
        self._address: str | None = None
        self._stub: Any = None  # an engine_pb2_grpc.EngineStub once connected
        self._channel: grpc.Channel | None = None

    def connect(self, address: str | None) -> None:
        """Point at the engine (from argv or Handshake); a new address replaces the old one."""
        if not address:
            return
        with self._lock:
            if address == self._address:
                return
            if self._channel is not None:
                self._channel.close()
            self._address = address
            self._channel = grpc.insecure_channel(address)
            self._stub = engine_pb2_grpc.EngineStub(self._channel)

    def log(self, severity: Any, message: str, urn: str = "", ephemeral: bool = False) -> None:
        stub = self._stub
        if stub is None:
            return
        request = engine_pb2.LogRequest(
            severity=severity, message=self._scrub(message), urn=urn, ephemeral=ephemeral
        )
        # If the engine went away or is shutting down, the step's result still matters more.
        with contextlib.suppress(grpc.RpcError):
            stub.Log(request, timeout=5)

    def progress_for(self, urn: str) -> Callable[[ProgressEvent], None]:
        """A progress callback for one resource step."""

        def progress(event: ProgressEvent) -> None:
            severity = WARNING if event.kind == "warning" else INFO
            self.log(severity, event.message, urn, ephemeral=event.ephemeral)

        return progress

    def close(self) -> None:
        with self._lock:
            if self._channel is not None:
                self._channel.close()
            self._channel = None
            self._stub = None
