"""One API request in, one answer out: signature check, faults, action, rendering, request log.

``EmulatorService.handle`` knows nothing of sockets; it returns an ``Outcome`` that the HTTP layer
writes out (or, for dropped connections, does not). The request log keeps the action and the
parameters of each request with every credential removed: ``AccessKeyId``, ``Signature``,
``SecurityToken`` are left out, and any other value equal to a configured key, secret or token is
replaced, so the log can be shown or saved without leaking secrets.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ecsreboot.core.clock import Clock, rfc3339
from ecsreboot.core.errors import ApiError, api_error

from . import responses
from .backend import Ecs
from .faults import Decision, FaultPlan
from .records import Group
from .wire import Identity, Verifier, WireRequest, answer_format, error_body, new_request_id, render

#: parameters whose values are credentials or signatures: never logged
SECRET_PARAMS = frozenset({"AccessKeyId", "Signature", "SecurityToken", "BearerToken"})
REDACTED = "<redacted>"


@dataclass(frozen=True)
class Outcome:
    """What to send back. ``drop`` means: close the connection without answering; ``refused`` (always with
    ``drop``) that the request is to count as never delivered (an in-process transport raises a not-sent
    error; the HTTP server, which has already accepted the connection, can only drop it)."""

    status: int = 200
    body: bytes = b""
    content_type: str = "application/json;charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False
    refused: bool = False
    #: the error code of an error answer
    code: str | None = None


#: what a ``garbage`` fault answers: a page from something in between, not the API
GARBAGE = b"<html><body><h1>502 Bad Gateway</h1></body></html>"


@dataclass
class _Defaults:
    instances: int | Sequence[str]
    region: str
    durations: dict[str, float]
    latency: float
    stale_window: float
    fleet: tuple[Group, ...] = ()


class EmulatorService:
    """The API side of the emulator: shared by every request thread."""

    def __init__(
        self,
        backend: Ecs,
        verifier: Verifier,
        faults: FaultPlan,
        clock: Clock,
        *,
        instances: int | Sequence[str] = 0,
        region: str = "cn-hangzhou",
        latency: float = 0.0,
        sleep: Callable[[float], None] = time.sleep,
        log_size: int = 10_000,
        on_request: Callable[[dict[str, Any]], None] | None = None,
        fleet: Sequence[Group] = (),
    ) -> None:
        self.backend = backend
        self.verifier = verifier
        self.faults = faults
        self.clock = clock
        self.latency = latency
        self._sleep = sleep
        self._log: deque[dict[str, Any]] = deque(maxlen=log_size)
        self._lock = threading.Lock()
        self._on_request = on_request
        self._defaults = _Defaults(instances, region, backend.durations(), latency, backend.stale_window(),
                                   tuple(fleet))
        self._seed()

    @property
    def region(self) -> str:
        return self._defaults.region

    def reset(self) -> None:
        """Back to the start: the initial instances (same ids, Running, no reboots, the same StartTimes
        relative to now), no faults, empty log, the initial durations, stale window and latency."""
        d = self._defaults
        self.backend.reset()
        self.backend.set_durations(d.durations)
        self.backend.set_stale_window(d.stale_window)
        self._seed()
        self.faults.clear()
        self.latency = d.latency
        with self._lock:
            self._log.clear()

    def _seed(self) -> None:
        """The initial instances: ``instances`` with default attributes, then each ``fleet`` group."""
        d = self._defaults
        self.backend.add_instances(d.instances, d.region)
        for group in d.fleet:
            self.backend.add_group(group, d.region)

    def requests(self) -> list[dict[str, Any]]:
        """The request log, oldest first (credentials removed)."""
        with self._lock:
            return list(self._log)

    def handle(self, req: WireRequest) -> Outcome:
        """Verify, apply faults, run the action, render. Never raises for API-level problems."""
        if self.latency > 0:
            self._sleep(self.latency)
        request_id, fmt, action = new_request_id(), answer_format(req), req.action
        identity: Identity | None = None
        decision = Decision()
        try:
            identity = self.verifier.verify(req)
            decision = self.faults.decide(action)
            outcome = self._run(req, decision, request_id, fmt)
        except ApiError as err:
            outcome = self._error(err, request_id, fmt)
        except Exception as exc:  # an emulator bug: answer like the service would, and say what broke
            bug = api_error("InternalError", f"Emulator error: {type(exc).__name__}: {exc}", "", 500)
            outcome = self._error(bug, request_id, fmt)
        self._record(req, identity, decision, outcome, request_id)
        return outcome

    def _run(self, req: WireRequest, decision: Decision, request_id: str, fmt: str) -> Outcome:
        if decision.delay > 0:
            self._sleep(decision.delay)
        kind = decision.kind
        if kind in ("drop_before", "refused"):
            return Outcome(drop=True, refused=kind == "refused")
        if kind == "garbage":
            return Outcome(200, GARBAGE, "text/html;charset=utf-8")
        if decision.fault is not None and kind in ("throttle", "error"):
            raise decision.fault.to_error(req.action)
        try:
            body = responses.dispatch(self.backend, req.action, req.params)
        except ApiError:
            if kind == "drop_after":  # the action ran (and failed); its answer is lost all the same
                return Outcome(drop=True)
            raise
        if kind == "drop_after":
            return Outcome(drop=True)
        if kind == "stale":
            body = responses.as_before_reboots(self.backend, req.action, body)
        data, content_type = render(f"{req.action}Response", {"RequestId": request_id, **body}, fmt)
        return Outcome(200, data, content_type, {"x-acs-request-id": request_id})

    @staticmethod
    def _error(err: ApiError, request_id: str, fmt: str) -> Outcome:
        data, content_type = render("Error", error_body(err, request_id), fmt)
        headers = {"x-acs-request-id": request_id}
        if err.retry_after:
            headers["x-acs-retry-after"] = str(round(err.retry_after * 1000))
        return Outcome(err.http_status or 400, data, content_type, headers, code=err.code)

    def _record(
        self, req: WireRequest, identity: Identity | None, decision: Decision, outcome: Outcome, request_id: str
    ) -> None:
        entry = {
            "time": rfc3339(self.clock.utcnow()),
            # the clock's monotonic seconds: orders requests finer than ``time`` (tests compare it with their own)
            "at": self.clock.monotonic(),
            "requestId": request_id,
            "action": req.action,
            "method": req.method,
            "params": scrub(req.params, self.verifier.secrets()),
            "signatureVersion": identity.version if identity else None,
            "status": None if outcome.drop else outcome.status,
            "code": outcome.code,
            "fault": decision.kind,
        }
        with self._lock:
            self._log.append(entry)
        if self._on_request is not None:
            self._on_request(entry)


def scrub(params: Mapping[str, str], secrets: set[str]) -> dict[str, str]:
    """Parameters without credentials: secret parameters dropped, secret-looking values replaced."""
    return {k: (REDACTED if v in secrets else v) for k, v in params.items() if k not in SECRET_PARAMS}

