"""The HTTP server: an Alibaba Cloud ECS API look-alike on 127.0.0.1, for tests and demos.

``GET`` or ``POST /`` with the action in ``Action`` (query or form) or, for V3, the ``x-acs-action``
header; both signature versions are verified (see ``wire``). ``/_emulator/...`` is the admin JSON API
(see ``admin``). Quiet: nothing is written per request unless an ``on_request`` callback is given.

Python use::

    with ThreadedEmulator(instances=3) as emu:          # 127.0.0.1, a free port
        client = ...(endpoint=f"127.0.0.1:{emu.port}", access key "emulator-key"/"emulator-secret")
        emu.faults.throttle("RebootInstances", count=2, retry_after_ms=100)
        ...
        assert emu.reboot_counts()[emu.instance_ids()[0]] == 1
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import socket
import sys
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from ecsreboot.core.clock import Clock, SystemClock
from ecsreboot.core.errors import api_error

from .admin import PREFIX, handle_admin
from .backend import Ecs
from .faults import FaultPlan
from .records import Attributes, Group
from .service import EmulatorService, Outcome
from .wire import Verifier, error_body, new_request_id, parse_request

DEFAULT_ACCESS_KEYS: Mapping[str, str] = {"emulator-key": "emulator-secret"}
#: API-style codes for the errors http.server answers before a request reaches the API layer
_HTTP_ERROR_CODES: Mapping[int, str] = {
    400: "BadRequest", 413: "RequestEntityTooLarge", 414: "RequestURITooLong",
    431: "RequestHeaderFieldsTooLarge", 501: "UnsupportedHTTPMethod", 505: "UnsupportedHTTPVersion",
}
#: the largest request body read (ECS requests are a few kilobytes)
MAX_BODY = 1 << 20


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], service: EmulatorService) -> None:
        self.service = service
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        super().__init__(address, _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients that hang up early are normal (timeouts, dropped-connection tests): stay quiet."""
        if isinstance(sys.exc_info()[1], OSError):
            return
        super().handle_error(request, client_address)

    def close_connections(self) -> None:
        """Close idle keep-alive connections too, so a stopped emulator holds no sockets."""
        with self.connections_lock:
            for conn in list(self.connections):
                with contextlib.suppress(OSError):
                    conn.shutdown(socket.SHUT_RDWR)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: the SDKs pool connections
    timeout = 60  # idle keep-alive connections end after a minute
    # Headers and body go out in two writes; with Nagle on, the second waits ~40 ms for an ACK.
    disable_nagle_algorithm = True
    server: _Server

    def setup(self) -> None:
        super().setup()
        with self.server.connections_lock:
            self.server.connections.add(self.connection)

    def finish(self) -> None:
        with self.server.connections_lock:
            self.server.connections.discard(self.connection)
        super().finish()

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def do_DELETE(self) -> None:
        self._handle()

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet by default: per-request output would drown test logs (and could leak query strings)."""

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """What http.server answers by itself (malformed request line, unsupported method or HTTP version,
        oversized line or headers) and a bad Content-Length: in the API's error shape with a RequestId,
        like every other answer, instead of http.server's HTML page."""
        reason = self.responses.get(code, ("Error", ""))[0]
        request_id = new_request_id()
        error = api_error(_HTTP_ERROR_CODES.get(code, "InvalidRequest"), message or reason, "", code)
        body = json.dumps(error_body(error, request_id)).encode()
        if self.request_version == "HTTP/0.9":  # the request line was unreadable: answer as HTTP/1.0
            self.request_version = "HTTP/1.0"
        self.close_connection = True
        self.send_response(code, reason)
        self.send_header("Connection", "close")
        self.send_header("Content-Type", "application/json;charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("x-acs-request-id", request_id)
        self.end_headers()
        if self.command != "HEAD" and code >= 200 and code not in (204, 304):
            self.wfile.write(body)

    def _handle(self) -> None:
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if not 0 <= length <= MAX_BODY:
            self.send_error(413 if length > MAX_BODY else 400, "Bad Content-Length")
            return
        body = self.rfile.read(length)
        if self.path.startswith(PREFIX + "/") or self.path.split("?")[0] == PREFIX:
            status, answer = handle_admin(self.server.service, self.command, self.path, body)
            self._send(Outcome(status, json.dumps(answer).encode(), "application/json;charset=utf-8"))
            return
        req = parse_request(self.command, self.path, self.headers.items(), body)
        self._send(self.server.service.handle(req))

    def _send(self, outcome: Outcome) -> None:
        if outcome.drop:
            # Close without a byte of answer: the client sees the connection reset / closed.
            self.close_connection = True
            return
        self.send_response(outcome.status)
        self.send_header("Content-Type", outcome.content_type)
        self.send_header("Content-Length", str(len(outcome.body)))
        for name, value in outcome.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(outcome.body)


class ThreadedEmulator:
    """The emulator in a background (daemon) thread, for tests: ``start``/``stop`` or ``with``.

    ``access_keys`` maps access key ids to secrets; ``sts`` lists (access key id, secret, token)
    triples that must carry their token. ``durations`` sets transitional status lengths in seconds
    (``{"Stopping": 2.0, "Starting": 3.0}`` by default); ``latency`` delays every API answer;
    ``stale_window``: after a reboot call, describes show the old Running and StartTime this long.
    ``fleet``: more initial instances, in groups with tags, VPC, vSwitch, zone, resource group and name.
    ``clock`` drives both the status machine and the signature time window, so a ``FakeClock`` used
    with real SDKs needs a wall time near now (``FakeClock(wall=datetime.now(UTC))``).
    Only loopback addresses are accepted unless ``allow_remote``: the emulator has no real security.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        instances: int | Sequence[str] = 0,
        region: str = "cn-hangzhou",
        access_keys: Mapping[str, str] | None = None,
        sts: Iterable[tuple[str, str, str]] = (),
        durations: Mapping[str, float] | None = None,
        clock: Clock | None = None,
        latency: float = 0.0,
        *,
        seed: int = 0,
        allow_remote: bool = False,
        on_request: Callable[[dict[str, Any]], None] | None = None,
        stale_window: float = 0.0,
        fleet: Sequence[Group] = (),
    ) -> None:
        if not allow_remote and not _is_loopback(host):
            raise ValueError(f"refusing to listen on {host}: the emulator is for loopback use (allow_remote=True)")
        self.host, self._port = host, port
        self.clock: Clock = clock or SystemClock()
        self.backend = Ecs(self.clock, durations, seed=seed)
        self.faults = FaultPlan(seed)
        self.verifier = Verifier(DEFAULT_ACCESS_KEYS if access_keys is None else access_keys, sts, self.clock)
        self.backend.set_stale_window(stale_window)
        self.service = EmulatorService(
            self.backend, self.verifier, self.faults, self.clock,
            instances=instances, region=region, latency=latency, on_request=on_request, fleet=fleet,
        )
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the emulator is not started")
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT`` (IPv6 hosts in brackets)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def endpoint(self) -> str:
        """``host:port``, the form the SDKs' ``endpoint`` settings take."""
        return self.url.removeprefix("http://")

    def start(self) -> ThreadedEmulator:
        """Bind and serve in a daemon thread; returns at once, already accepting connections."""
        if self._server is not None:
            return self
        server_class = _Server6 if ":" in self.host else _Server
        self._server = server_class((self.host, self._port), self.service)
        # A short poll interval makes stop() quick (shutdown waits for the loop to look at its flag).
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="ecs-emulator", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close every connection; safe to call twice."""
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.close_connections()
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> ThreadedEmulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- conveniences for tests -------------------------------------------------------------------

    def instance_ids(self, region: str | None = None) -> list[str]:
        """Instance ids of ``region`` (default: the emulator's region), in creation order."""
        return self.backend.instance_ids(region or self.service.region)

    def add_instances(
        self, count: int | Sequence[str], region: str | None = None, status: str = "Running",
        attributes: Attributes | None = None,
    ) -> list[str]:
        """``count`` new instances, or instances with the ids listed (see ``Ecs.add_instances``), with
        ``attributes`` (tags, VPC, ...) if given."""
        return self.backend.add_instances(count, region or self.service.region, status, attributes)

    def set_attributes(self, instance_id: str, attributes: Attributes) -> None:
        """Change what DescribeInstances filters on: tags (the whole map), VPC, vSwitch, zone, group, name."""
        self.backend.set_attributes(instance_id, attributes)

    def set_describe_denied(self, denied: bool = True) -> None:
        """Describes list no instance and a DryRun of one is refused, as for a caller whose RAM policy lacks
        ecs:DescribeInstances."""
        self.backend.set_describe_denied(denied)

    def set_addresses(self, instance_id: str, *, private_ip: str | None = None, public_ip: str | None = None,
                      eip: str | None = None) -> None:
        """What DescribeInstances reports as the instance's addresses (only those given change; "" clears)."""
        given = {"private_ip": private_ip, "public_ip": public_ip, "eip": eip}
        self.backend.set_addresses(instance_id, **{k: v for k, v in given.items() if v is not None})

    def reboot_counts(self) -> dict[str, int]:
        """Real reboots per instance id (dry runs do not count)."""
        return self.backend.reboot_counts()

    def requests(self) -> list[dict[str, Any]]:
        """The request log, oldest first, without credentials."""
        return self.service.requests()

    def reset(self) -> None:
        """Initial instances (same ids), no faults, empty request log, initial durations and latency."""
        self.service.reset()

    def set_latency(self, seconds: float) -> None:
        """Delay every API answer by ``seconds`` (benchmarks, timeouts)."""
        self.service.latency = seconds


class _Server6(_Server):
    address_family = socket.AF_INET6


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
