"""The emulator's own throughput on loopback, so it is known not to be what the other figures measure.

``python -m ecsreboot.emulator`` runs in its own process with 10,000 instances and no added latency.
This process sends it DescribeInstances for 100 ids each (the fleet round's most frequent and largest
answer), signed V3 exactly as ``EcsClient`` signs them but built before the clock starts (every
request needs its own nonce), over keep-alive connections from as many threads as the client's
concurrency -- so the load generator costs little of the 2 cores and the figure is the emulator's.
The most the fleet round can ask for is ``concurrency / latency`` requests per second (8 in flight,
50 ms each).
"""

from __future__ import annotations

import http.client
import re
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass
from urllib.parse import urlsplit

from ecsreboot.core.clock import SystemClock, rfc3339
from ecsreboot.core.credentials import Credentials
from ecsreboot.core.operations import OPERATIONS, encode_params
from ecsreboot.ecs.transport import HttpRequest
from ecsreboot.ecs.wire import build_request

from .common import ACCESS_KEY, REGION, BenchFailure, Settings

FLEET = 10_000
#: requests signed up front, per second of the run (more than the emulator answers)
PREPARED_PER_SECOND = 1_000


@dataclass
class ThroughputResult:
    requests: int
    seconds: float
    threads: int
    instances: int
    needed: float

    @property
    def rate(self) -> float:
        return self.requests / self.seconds


def run(settings: Settings) -> ThroughputResult:
    command = [sys.executable, "-m", "ecsreboot.emulator", "--instances", str(FLEET), "--region", REGION,
               "--access-key-id", ACCESS_KEY[0], "--access-key-secret", ACCESS_KEY[1]]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert process.stdout is not None
        found = re.search(r"http://\S+", process.stdout.readline())
        ids = process.stdout.readline().split()
        if found is None or len(ids) != FLEET:
            raise BenchFailure("the emulator did not start as documented")
        return _load(settings, found.group(0), ids)
    finally:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _prepare(url: str, ids: list[str], count: int) -> list[HttpRequest]:
    host = urlsplit(url).netloc
    op, credentials, clock = OPERATIONS["DescribeInstances"], Credentials(*ACCESS_KEY), SystemClock()
    requests = []
    for k in range(count):
        start = (k * 100) % FLEET
        wire = encode_params(op, {"RegionId": REGION, "InstanceIds": ids[start:start + 100], "PageSize": 100})
        requests.append(build_request(url, host, action="DescribeInstances", version=op.version, params=wire,
                                      credentials=credentials, signature_version="v3",
                                      timestamp=rfc3339(clock.utcnow()), nonce=uuid.uuid4().hex))
    return requests


def _load(settings: Settings, url: str, ids: list[str]) -> ThroughputResult:
    threads = settings.concurrency
    prepared = _prepare(url, ids, int(PREPARED_PER_SECOND * settings.throughput_seconds))
    parts = urlsplit(url)
    lock = threading.Lock()
    answered: list[float] = []
    failures: list[str] = []
    start = threading.Barrier(threads + 1)

    def work(mine: list[HttpRequest]) -> None:
        conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=10)
        start.wait()
        deadline = time.perf_counter() + settings.throughput_seconds
        try:
            for req in mine:
                if time.perf_counter() > deadline:
                    return
                target = req.url[len(url.rstrip("/")):]
                conn.request(req.method, target, body=req.body, headers=dict(req.headers))
                reply = conn.getresponse()
                reply.read()
                if reply.status != 200:
                    failures.append(str(reply.status))
                    return
                with lock:
                    answered.append(time.perf_counter())
        finally:
            conn.close()

    workers = [threading.Thread(target=work, args=(prepared[s::threads],), daemon=True) for s in range(threads)]
    for w in workers:
        w.start()
    start.wait()
    began = time.perf_counter()
    for w in workers:
        w.join(timeout=settings.throughput_seconds + 20)
    if failures:
        raise BenchFailure(f"the emulator answered HTTP {failures[0]} to a well-formed describe")
    if not answered:
        raise BenchFailure("the emulator answered nothing")
    return ThroughputResult(len(answered), max(answered) - began, threads, FLEET,
                            settings.concurrency / settings.latency)
