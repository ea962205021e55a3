"""The tests' one fake cloud: the emulator's own service in-process, on a FakeClock.

The real ``EcsClient`` talks to it through a Transport (``InProcessCloud.send``) that hands each request
to ``EmulatorService.handle`` -- as moto runs one backend in-process and as a server. No socket and no
real waiting: the client, the emulator (status machine, stale window, faults, latency) and the round
share one ``FakeClock``, so a reboot of "30 s" and a Retry-After of "8 s" cost nothing but the CPU of
signing and parsing. Requests still go through the whole wire path -- signing, parameter encoding,
signature verification, fault injection, rendering, reply parsing -- so what a test proves is proved of
the real client against the real emulator code.

Scenarios are set up with the emulator's own knobs, the same ones its admin API serves: ``cloud.backend``
(``set_status``, ``set_stuck``, ``deny``, ``lock``, ``set_max_page_size``...) and ``cloud.faults``
(``throttle``, ``error``, ``latency``, ``drop_before``, ``drop_after``, or ``add(Fault(kind, ...))`` for
any kind, such as ``refused``, ``garbage`` and ``stale``).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import fields
from typing import Any
from urllib.parse import urlsplit

from ecsreboot.core.clock import Clock, FakeClock
from ecsreboot.core.credentials import Credentials
from ecsreboot.core.errors import TransportError
from ecsreboot.ecs import (
    ClientConfig,
    EcsClient,
    HttpRequest,
    HttpResponse,
    Rebooter,
    RecoverySettings,
    StaticCredentialsProvider,
    TokenBucket,
    Transport,
)
from ecsreboot.emulator import Ecs, EmulatorService, FaultPlan, Verifier, parse_request
from tests.recovery import rebooter

ACCESS_KEY = ("inprocess-key", "inprocess-secret-value")
REGION = "cn-hangzhou"
#: the clients' endpoint; never dialled, every request goes to the service in-process
ENDPOINT = "http://127.0.0.1:1"
_RECOVERY_FIELDS = frozenset(f.name for f in fields(RecoverySettings)) - {"sends"}


def ids(n: int, prefix: str = "i-") -> list[str]:
    """``n`` short, readable instance ids: ``i-0000``, ``i-0001``, ..."""
    return [f"{prefix}{k:04d}" for k in range(n)]


def status_of(client: EcsClient, region_id: str, instance_ids: Sequence[str], **limits: Any) -> dict[str, str]:
    """``{instance id: Status}`` as the client's DescribeInstances reads it (``describe_states``, statuses only)."""
    return {i: s.status for i, s in client.describe_states(region_id, instance_ids, **limits).items()}


def instance_ids_of(params: Mapping[str, str]) -> list[str]:
    """The instance ids a request names: ``InstanceId.N`` in order of N, ``InstanceId``, or ``InstanceIds``
    (a JSON list)."""
    numbered = sorted((int(k.rpartition(".")[2]), v) for k, v in params.items()
                      if k.startswith("InstanceId.") and k.rpartition(".")[2].isdigit())
    if numbered:
        return [v for _, v in numbered]
    if "InstanceIds" in params:
        return list(json.loads(params["InstanceIds"]))
    return [params["InstanceId"]] if "InstanceId" in params else []


class InProcessCloud:
    """An emulator (``backend``, ``faults``, ``verifier``, ``service``) and clients bound to it, on one clock.

    ``instances``: how many (ids drawn from ``seed``), or their ids. ``clock``: a FakeClock (the default), or
    a real clock for the few tests about real waiting -- never a mix: the client, the emulator and the test's
    deadlines all read this one. ``sleep`` is what the service's latency waits with (default: advancing the
    FakeClock, or sleeping on a real clock; a test may pass a real wait to hold calls in flight).
    ``on_request`` sees each request log entry once the request is answered. ``sent`` keeps every request as
    the client sent it (credentials included), for tests about the wire itself.
    """

    def __init__(self, instances: int | Sequence[str], *, seed: int = 0, durations: Mapping[str, float] | None = None,
                 stale_window: float = 0.0, clock: Clock | None = None, region: str = REGION,
                 sleep: Callable[[float], None] | None = None,
                 on_request: Callable[[dict[str, Any]], None] | None = None) -> None:
        self.clock: Clock = clock or FakeClock()
        if sleep is None:  # latency waits on the cloud's own clock: advanced when fake, slept when real
            sleep = self.clock.advance if isinstance(self.clock, FakeClock) else self.clock.sleep
        self.region = region
        self.backend = Ecs(self.clock, durations, seed=seed)
        self.backend.set_stale_window(stale_window)
        self.faults = FaultPlan(seed)
        self.verifier = Verifier(dict([ACCESS_KEY]), [], self.clock)
        self.service = EmulatorService(self.backend, self.verifier, self.faults, self.clock, instances=instances,
                                       region=region, sleep=sleep, log_size=100_000,
                                       on_request=on_request)
        self.sent: list[HttpRequest] = []
        self._lock = threading.Lock()

    def send(self, request: HttpRequest) -> HttpResponse:
        """The Transport: the request to ``EmulatorService.handle``, its outcome back as a reply or the
        TransportError a real connection would give."""
        with self._lock:
            self.sent.append(request)
        url = urlsplit(request.url)
        outcome = self.service.handle(parse_request(request.method, f"{url.path}?{url.query}",
                                                    list(request.headers.items()), request.body))
        if outcome.refused:
            raise TransportError(f"cannot connect to {url.netloc} (connection refused)", sent=False)
        if outcome.drop:
            raise TransportError("connection closed before a reply came", sent=True)
        headers = {k.lower(): v for k, v in outcome.headers.items()}
        headers["content-type"] = outcome.content_type
        return HttpResponse(outcome.status, headers, outcome.body)

    def close(self) -> None:
        """Nothing to release (the Transport protocol asks for it)."""

    def client(self, *, limiter: TokenBucket | None = None, rand: float = 0.5, transport: Transport | None = None,
               **config: object) -> EcsClient:
        """An EcsClient on this cloud (ClientConfig fields as keywords; ``limiter`` shared if given;
        ``transport``: one in front of this cloud, that hands requests on to ``send``)."""
        cfg = ClientConfig(region_id=self.region, endpoint=ENDPOINT, **config)  # type: ignore[arg-type]
        return EcsClient(cfg, StaticCredentialsProvider(Credentials(*ACCESS_KEY)), transport=transport or self,
                         clock=self.clock, rand=lambda: rand, limiter=limiter)

    def rebooter(self, **config: Any) -> Rebooter:
        """A Rebooter over ``client(**config)``; RecoverySettings fields (``stale_window``, ``interval``,
        ``polls``, ``clock_skew``) among ``config`` set its recovery."""
        recovery = {k: config.pop(k) for k in list(config) if k in _RECOVERY_FIELDS}
        return rebooter(self.client(**config), **recovery)

    def instance_ids(self) -> list[str]:
        return self.backend.instance_ids(self.region)

    def reboot_counts(self) -> dict[str, int]:
        """Real reboots per instance, every instance listed (dry runs do not count)."""
        return self.backend.reboot_counts()

    def rebooted(self) -> dict[str, int]:
        """Real reboots of the instances rebooted at least once."""
        return {i: n for i, n in self.reboot_counts().items() if n}

    def requests(self) -> list[dict[str, Any]]:
        """The emulator's request log, oldest first (faulted and refused requests too; no credentials)."""
        return self.service.requests()

    def calls(self) -> list[tuple[str, dict[str, str]]]:
        """(action, parameters) of each request the emulator received, oldest first."""
        return [(r["action"], r["params"]) for r in self.requests()]

    def count(self, action: str) -> int:
        """How many ``action`` requests the emulator received."""
        return sum(1 for a, _ in self.calls() if a == action)
