"""Real HTTP servers standing in for the applications on rebooted instances, one per loopback address.

Every server of a ``Fleet`` listens on the same port at its own address of a random ``127.a.b.0/24``
block (the whole 127.0.0.0/8 is loopback), so one URL template ``http://{privateIp}:PORT/healthz``
reaches each instance's own server. Each logs what it answered (``time.monotonic()``, status; None
for a request it left hanging), so tests can check when an instance became healthy. Servers stop
with the fleet (``with Fleet() as f``), hanging requests included.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Behaviour:
    """What a server answers. ``statuses``: one per request, the last repeated (flapping: 200, 503, 200).
    ``healthy_after``: 503 until that many seconds after its first request, then ``statuses``.
    ``hang``: read the request, never answer. ``listen``: False means nothing listens (connection refused)."""

    statuses: Sequence[int] = (200,)
    healthy_after: float | None = None
    hang: bool = False
    listen: bool = True


HEALTHY = Behaviour()
UNHEALTHY = Behaviour(statuses=(503,))
REFUSED = Behaviour(listen=False)
HANGING = Behaviour(hang=True)


def healthy_after(seconds: float) -> Behaviour:
    return Behaviour(healthy_after=seconds)


def flapping(*statuses: int) -> Behaviour:
    return Behaviour(statuses=statuses)


@dataclass
class _Log:
    entries: list[tuple[float, int | None]] = field(default_factory=list)
    first: float | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = False

    def __init__(self, address: tuple[str, int], behaviour: Behaviour, stopping: threading.Event) -> None:
        super().__init__(address, _Handler)
        self.behaviour, self.stopping, self.log = behaviour, stopping, _Log()


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        b, log = self.server.behaviour, self.server.log
        now = time.monotonic()
        with log.lock:
            if log.first is None:
                log.first = now
            served = sum(1 for _, s in log.entries if s is not None)
            if b.hang:
                log.entries.append((now, None))
            elif b.healthy_after is not None and now - log.first < b.healthy_after:
                status = 503
                log.entries.append((now, status))
            else:
                status = b.statuses[min(served, len(b.statuses) - 1)]
                log.entries.append((now, status))
        if b.hang:
            self.server.stopping.wait(30)
            self.close_connection = True
            return
        body = b"ok\n" if status < 400 else b"unavailable\n"
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)
        self.close_connection = True

    def log_message(self, format: str, *args: Any) -> None:
        pass


class Fleet:
    """Servers for ``behaviours`` at ``address(0)``, ``address(1)``, ... on one shared ``port``."""

    def __init__(self, behaviours: Sequence[Behaviour]) -> None:
        self.behaviours = list(behaviours)
        self.stopping = threading.Event()
        self._servers: dict[int, _Server] = {}
        self.port = 0
        self.block = ""

    def address(self, n: int) -> str:
        return f"{self.block}.{n + 2}"

    def serve(self, emulator: Any, instance_ids: Sequence[str]) -> None:
        """Point each instance's private IP (as the emulator reports it) at this fleet's server of the same index."""
        for n, instance_id in enumerate(instance_ids):
            emulator.set_addresses(instance_id, private_ip=self.address(n))

    def start(self) -> Fleet:
        if self._servers:  # started already (tests start a fleet, then use it in a with block)
            return self
        for _ in range(20):
            self.block = f"127.{random.randint(100, 250)}.{random.randint(1, 250)}"
            try:
                self._bind()
                break
            except OSError:
                self._close()
        else:
            raise RuntimeError("no free port shared by a block of loopback addresses")
        for server in self._servers.values():
            threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def _bind(self) -> None:
        listening = [n for n, b in enumerate(self.behaviours) if b.listen]
        if not listening:
            raise ValueError("at least one server must listen (its port is the fleet's)")
        port = 0
        for n in listening:
            server = _Server((self.address(n), port), self.behaviours[n], self.stopping)
            self._servers[n] = server
            port = server.server_address[1]
        self.port = port

    def _close(self) -> None:
        for server in self._servers.values():
            server.server_close()
        self._servers.clear()

    def stop(self) -> None:
        self.stopping.set()
        for server in self._servers.values():
            server.shutdown()
            server.server_close()  # the logs stay readable

    def __enter__(self) -> Fleet:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def set_behaviour(self, n: int, behaviour: Behaviour) -> None:
        """From now on server ``n`` (which must listen) answers as ``behaviour`` says."""
        self.behaviours[n] = behaviour
        self._servers[n].behaviour = behaviour

    def log(self, n: int) -> list[tuple[float, int | None]]:
        server = self._servers.get(n)
        if server is None:
            return []
        with server.log.lock:
            return list(server.log.entries)

    def healthy_at(self, n: int, threshold: int = 1) -> float | None:
        """When server ``n`` answered its ``threshold``-th healthy status in a row (None: never)."""
        streak = 0
        for at, status in self.log(n):
            streak = streak + 1 if status is not None and 200 <= status < 400 else 0
            if streak >= threshold:
                return at
        return None
