"""A wave of N instances rebooted with and without a health check: the time the probes add, and how
many sockets they open at once.

The round runs in this process (``run_round`` against the emulator on 127.0.0.1, no added latency,
short reboots) twice over the same instances: once waiting only for Running, once with
``healthCheck`` -- ``http://{privateIp}:PORT/healthz`` every ``INTERVAL`` seconds. Each instance's
private IP is its own loopback address (127.a.b.c), where one single-threaded server (``selectors``)
listens on every address at the same port and answers 200 at once. The target: the health check
adds at most one probe interval plus 10 %. The peak of open sockets is counted by the prober (its
own connections) and by the server (connections accepted and not yet closed).
"""

from __future__ import annotations

import contextlib
import random
import selectors
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from ecsreboot.core.clock import SystemClock
from ecsreboot.core.credentials import Credentials
from ecsreboot.core.health import HealthCheck
from ecsreboot.core.model import RoundOptions
from ecsreboot.ecs import (
    ClientConfig,
    EcsClient,
    Prober,
    Rebooter,
    SocketProber,
    StaticCredentialsProvider,
    run_round,
)
from ecsreboot.emulator import ThreadedEmulator

from .common import ACCESS_KEY, REGION, BenchFailure, Settings

INTERVAL = 2.0
TARGET_FACTOR = 1.1
REBOOT = {"Stopping": 0.5, "Starting": 0.5}
_ANSWER = b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nConnection: close\r\n\r\nok\n"


@dataclass
class HealthWaveResult:
    n: int
    plain: float
    gated: float
    interval: float
    concurrency: int
    probes: int
    client_peak: int
    server_peak: int

    @property
    def added(self) -> float:
        return self.gated - self.plain

    @property
    def target(self) -> float:
        return self.interval * TARGET_FACTOR


class _Responder:
    """One thread, one selector, a listening socket per address: answers 200 to every request."""

    def __init__(self, addresses: list[str]) -> None:
        self.selector = selectors.DefaultSelector()
        self.listeners: list[socket.socket] = []
        self.port = 0
        for address in addresses:
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind((address, self.port))
            sock.listen(128)
            sock.setblocking(False)
            self.port = sock.getsockname()[1]
            self.listeners.append(sock)
            self.selector.register(sock, selectors.EVENT_READ, None)
        self.open_now = self.peak = self.requests = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            for key, _ in self.selector.select(0.05):
                sock = key.fileobj
                assert isinstance(sock, socket.socket)
                if key.data is None:
                    try:
                        conn, _ = sock.accept()
                    except BlockingIOError:
                        continue
                    conn.setblocking(False)
                    self.open_now += 1
                    self.peak = max(self.peak, self.open_now)
                    self.selector.register(conn, selectors.EVENT_READ, b"")
                    continue
                try:
                    chunk = sock.recv(4096)
                except BlockingIOError:
                    continue
                except OSError:
                    chunk = b""
                data = key.data + chunk
                if chunk and b"\r\n\r\n" not in data:
                    self.selector.modify(sock, selectors.EVENT_READ, data)
                    continue
                if chunk:
                    self.requests += 1
                    with contextlib.suppress(OSError):
                        sock.sendall(_ANSWER)
                self.selector.unregister(sock)
                sock.close()
                self.open_now -= 1

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        for key in list(self.selector.get_map().values()):
            key.fileobj.close()  # type: ignore[union-attr]
        self.selector.close()


def run(settings: Settings, n: int) -> HealthWaveResult:
    addresses = [f"127.{200 + k // 250}.{random.randint(1, 250)}.{k % 250 + 2}" for k in range(n)]
    responder = _Responder(addresses)
    probers: list[SocketProber] = []

    def make_prober(check: HealthCheck) -> Prober:
        prober = SocketProber(check)
        probers.append(prober)
        return prober

    try:
        with ThreadedEmulator(instances=n, region=REGION, access_keys=dict([ACCESS_KEY]), durations=REBOOT) as emu:
            ids = emu.instance_ids()
            for iid, address in zip(ids, addresses, strict=True):
                emu.set_addresses(iid, private_ip=address)
            config = ClientConfig(region_id=REGION, endpoint=emu.url)
            with EcsClient(config, StaticCredentialsProvider(Credentials(*ACCESS_KEY))) as client:
                base = RoundOptions(region_id=REGION, timeout=300.0)
                check = HealthCheck(f"http://{{privateIp}}:{responder.port}/healthz", interval=INTERVAL, timeout=5.0)
                plain = _timed(client, ids, base)
                gated = _timed(client, ids, RoundOptions(region_id=REGION, timeout=300.0, health_check=check),
                               make_prober)
        prober = probers[0]
        if prober.probes < n or responder.requests < n:
            raise BenchFailure(f"{prober.probes} probes sent, {responder.requests} answered, for {n} instances")
        return HealthWaveResult(n, plain, gated, INTERVAL, base.probe_concurrency, prober.probes, prober.peak,
                                responder.peak)
    finally:
        responder.close()


def _timed(client: EcsClient, ids: list[str], options: RoundOptions,
           prober: Callable[[HealthCheck], Prober] | None = None) -> float:
    start = time.perf_counter()
    result = run_round(Rebooter(client), ids, options, progress=lambda e: None, cancel=threading.Event(),
                       clock=SystemClock(), prober=prober)
    wall = time.perf_counter() - start
    if not result.ok:
        raise BenchFailure(f"the round failed: {result.error or result.failed_ids[:5]}")
    if options.health_check is not None and len(result.health) != len(ids):
        raise BenchFailure("not every instance was probed")
    return wall
