"""The emulator's service in-process, on a FakeClock: the real EcsClient talks to it through a Transport.

No socket and no real waiting: the client, the emulator (status machine, stale window, faults, latency)
and the round share one ``FakeClock``, so a reboot of "30 s" and a Retry-After of "8 s" cost nothing
but the CPU of signing and parsing. Requests still go through the whole wire path -- signing,
parameter encoding, signature verification, fault injection, rendering, reply parsing -- so what the
property test proves is proved of the real client against the real emulator code.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlsplit

from ecsreboot.core.clock import FakeClock
from ecsreboot.core.credentials import Credentials
from ecsreboot.core.errors import TransportError
from ecsreboot.ecs import ClientConfig, EcsClient, HttpRequest, HttpResponse, StaticCredentialsProvider, TokenBucket
from ecsreboot.emulator import Ecs, EmulatorService, FaultPlan, Verifier, parse_request

ACCESS_KEY = ("inprocess-key", "inprocess-secret-value")
REGION = "cn-hangzhou"


class InProcessCloud:
    """An emulator (``backend``, ``faults``, ``service``) and clients bound to it, on one FakeClock."""

    def __init__(self, instances: int, *, seed: int, durations: Mapping[str, float],
                 stale_window: float = 0.0, clock: FakeClock | None = None) -> None:
        self.clock = clock or FakeClock()
        self.backend = Ecs(self.clock, durations, seed=seed)
        self.backend.set_stale_window(stale_window)
        self.faults = FaultPlan(seed)
        self.service = EmulatorService(self.backend, Verifier(dict([ACCESS_KEY]), [], self.clock), self.faults,
                                       self.clock, instances=instances, region=REGION, sleep=self.clock.advance,
                                       log_size=100_000)

    def send(self, request: HttpRequest) -> HttpResponse:
        url = urlsplit(request.url)
        outcome = self.service.handle(parse_request(request.method, f"{url.path}?{url.query}",
                                                    list(request.headers.items()), request.body))
        if outcome.drop:
            raise TransportError("connection closed before a reply came", sent=True)
        headers = {k.lower(): v for k, v in outcome.headers.items()}
        headers["content-type"] = outcome.content_type
        return HttpResponse(outcome.status, headers, outcome.body)

    def close(self) -> None:
        """Nothing to release (the Transport protocol asks for it)."""

    def client(self, *, limiter: TokenBucket | None = None, rand: float = 0.5, **config: object) -> EcsClient:
        """An EcsClient on this cloud (ClientConfig fields as keywords; ``limiter`` shared if given)."""
        cfg = ClientConfig(region_id=REGION, endpoint="http://127.0.0.1:1", **config)  # type: ignore[arg-type]
        return EcsClient(cfg, StaticCredentialsProvider(Credentials(*ACCESS_KEY)), transport=self, clock=self.clock,
                         rand=lambda: rand, limiter=limiter)

    def instance_ids(self) -> list[str]:
        return self.backend.instance_ids(REGION)

    def reboot_counts(self) -> dict[str, int]:
        return self.backend.reboot_counts()

    def requests(self) -> list[dict[str, object]]:
        return self.service.requests()
