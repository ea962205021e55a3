"""Health probes of rebooted instances: one probe (``SocketProber``) and the loop over a wave
(``wait_until_healthy``).

A probe is one connection: ``tcp://`` succeeds when it opens; ``http://``/``https://`` send one
``GET`` and read only the status line (``HealthCheck.healthy_status`` judges it). HTTPS does not
verify the certificate, as load-balancer and Kubernetes probes do not: instances are reached by IP.
A URL's user-info becomes a Basic ``Authorization`` header. Sockets are non-blocking and waited on
with ``poll`` in slices of ``_SLICE`` seconds, so a probe ends within that slice of its timeout or of
a cancel, and any number of file descriptors works.

The loop probes every instance every ``interval`` seconds (from the start of one probe to the next),
from its ``ready_at + initial_delay``, with at most ``concurrency`` probes -- so sockets -- open at
once, all bounded by the round's ``deadline`` (``clock.monotonic()`` seconds) and ``cancel``; on
either it returns within about ``_SLICE`` seconds. Outcomes never quote the URL: they say what the
probe saw (``HTTP 503``, ``connection refused``, ``timed out after 5s``). A probe that the deadline left
less than its time limit, and that then timed out, is no verdict: an instance failed at the deadline
carries its last outcome from a probe that had its whole time.
"""

from __future__ import annotations

import base64
import errno
import heapq
import os
import select
import socket
import ssl
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor
from concurrent.futures import wait as wait_futures
from dataclasses import dataclass, field
from functools import partial
from typing import TypeVar
from urllib.parse import SplitResult, unquote, urlsplit

from ..core.clock import Clock
from ..core.health import HealthCheck

__all__ = ["HealthResult", "ProbeOutcome", "Prober", "SocketProber", "wait_until_healthy"]

#: how often a waiting probe or loop looks at its cancel event and deadline (seconds, real time)
_SLICE = 0.1
_MAX_STATUS_LINE = 8192
_DEFAULT_PORTS = {"http": 80, "https": 443}
T = TypeVar("T")


@dataclass(frozen=True)
class ProbeOutcome:
    """One probe: healthy or not, and what it saw, fit for a log (no URL)."""

    ok: bool
    detail: str
    #: the probe gave up at its time limit (no answer in time)
    timed_out: bool = False


#: ``prober(url, timeout_seconds, cancel) -> ProbeOutcome``
Prober = Callable[[str, float, threading.Event], ProbeOutcome]


class _TimedOut(Exception):
    pass


class _Cancelled(Exception):
    pass


class _BadReply(Exception):
    pass


class SocketProber:
    """Real probes over sockets. Thread-safe; counts its open sockets (``open_now``, ``peak``)."""

    def __init__(self, check: HealthCheck, *, user_agent: str = "ecsreboot-health-check") -> None:
        self._check = check
        self._user_agent = user_agent
        self._lock = threading.Lock()
        self.open_now = 0
        self.peak = 0
        self.probes = 0
        self._tls = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        self._tls.check_hostname = False
        self._tls.verify_mode = ssl.CERT_NONE

    def __call__(self, url: str, timeout: float, cancel: threading.Event) -> ProbeOutcome:
        deadline = time.monotonic() + max(0.0, timeout)
        try:
            return self._probe(url, deadline, cancel)
        except _TimedOut:
            return ProbeOutcome(False, f"timed out after {timeout:g}s", timed_out=True)
        except _Cancelled:
            return ProbeOutcome(False, "cancelled")
        except _BadReply as exc:
            return ProbeOutcome(False, str(exc))
        except ConnectionRefusedError:
            return ProbeOutcome(False, "connection refused")
        except ConnectionResetError:
            return ProbeOutcome(False, "connection reset")
        except ssl.SSLError as exc:
            return ProbeOutcome(False, f"TLS error ({exc.reason or type(exc).__name__})")
        except socket.gaierror:
            return ProbeOutcome(False, "cannot resolve the host name")
        except OSError as exc:
            return ProbeOutcome(False, exc.strerror or type(exc).__name__)
        except ValueError:
            return ProbeOutcome(False, "not a usable URL")

    def _probe(self, url: str, deadline: float, cancel: threading.Event) -> ProbeOutcome:
        parts = urlsplit(url)
        scheme, host = parts.scheme.lower(), parts.hostname or ""
        port = parts.port or _DEFAULT_PORTS.get(scheme, 0)
        sock = self._connect(host, port, deadline, cancel)
        try:
            if scheme == "tcp":
                return ProbeOutcome(True, "connected")
            if scheme == "https":
                sock = self._tls.wrap_socket(sock, server_hostname=None, do_handshake_on_connect=False)
                _io(sock.do_handshake, sock, deadline, cancel, read=True)
            status = self._status(sock, parts, deadline, cancel)
        finally:
            sock.close()
            with self._lock:
                self.open_now -= 1
        return ProbeOutcome(self._check.healthy_status(status), f"HTTP {status}")

    def _connect(self, host: str, port: int, deadline: float, cancel: threading.Event) -> socket.socket:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
        sock = socket.socket(family, kind, proto)
        with self._lock:
            self.open_now += 1
            self.probes += 1
            self.peak = max(self.peak, self.open_now)
        try:
            sock.setblocking(False)
            code = sock.connect_ex(address)
            if code in (errno.EINPROGRESS, errno.EWOULDBLOCK, errno.EALREADY):
                _wait(sock, deadline, cancel, read=False)
                code = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            if code:
                raise OSError(code, os.strerror(code))
            return sock
        except BaseException:
            sock.close()
            with self._lock:
                self.open_now -= 1
            raise

    def _status(self, sock: socket.socket, split: SplitResult, deadline: float, cancel: threading.Event) -> int:
        """Send one GET and read the answer's status code."""
        target = (split.path or "/") + (f"?{split.query}" if split.query else "")
        host = split.netloc.rpartition("@")[2]
        headers = [f"GET {target} HTTP/1.1", f"Host: {host}", f"User-Agent: {self._user_agent}",
                   "Accept: */*", "Connection: close"]
        if split.username is not None:
            pair = f"{unquote(split.username)}:{unquote(split.password or '')}".encode()
            headers.append(f"Authorization: Basic {base64.b64encode(pair).decode()}")
        data = ("\r\n".join(headers) + "\r\n\r\n").encode()
        while data:
            sent = _io(partial(sock.send, data), sock, deadline, cancel, read=False)
            data = data[sent:]
        reply = b""
        while b"\r\n" not in reply:
            chunk = _io(partial(sock.recv, 1024), sock, deadline, cancel, read=True)
            if not chunk:
                raise _BadReply("the connection closed without an HTTP answer")
            reply += chunk
            if len(reply) > _MAX_STATUS_LINE:
                break
        words = reply.split(b"\r\n", 1)[0].split()
        if len(words) < 2 or not words[0].startswith(b"HTTP/") or not words[1].isdigit():
            raise _BadReply("not an HTTP answer")
        return int(words[1])


def _io(op: Callable[[], T], sock: socket.socket, deadline: float, cancel: threading.Event, *, read: bool) -> T:
    """Run a non-blocking socket operation until it completes (or the deadline/cancel)."""
    while True:
        try:
            return op()
        except ssl.SSLWantReadError:
            _wait(sock, deadline, cancel, read=True)
        except ssl.SSLWantWriteError:
            _wait(sock, deadline, cancel, read=False)
        except BlockingIOError:
            _wait(sock, deadline, cancel, read=read)


def _wait(sock: socket.socket, deadline: float, cancel: threading.Event, *, read: bool) -> None:
    poller = select.poll()
    poller.register(sock, select.POLLIN if read else select.POLLOUT)
    while True:
        if cancel.is_set():
            raise _Cancelled
        left = deadline - time.monotonic()
        if left <= 0:
            raise _TimedOut
        if poller.poll(int(min(_SLICE, left) * 1000) + 1):
            return


@dataclass
class HealthResult:
    """How the probing of a wave ended. ``failed`` maps an instance to why (the last probe's outcome)."""

    healthy: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    probes: int = 0
    timed_out: bool = False
    cancelled: bool = False


@dataclass
class _Instance:
    url: str
    successes: int = 0
    failures: int = 0
    last: str = ""


def wait_until_healthy(
    urls: Mapping[str, str],
    check: HealthCheck,
    *,
    ready_at: Mapping[str, float],
    deadline: float,
    cancel: threading.Event,
    clock: Clock,
    prober: Prober,
    concurrency: int = 64,
    on_progress: Callable[[int, int, str], None] | None = None,
) -> HealthResult:
    """Probe each instance of ``urls`` (id -> filled URL) until healthy or failed; see the module docstring.

    ``ready_at`` (id -> ``clock.monotonic()``) is when each was seen Running again. An instance not
    healthy when the deadline passes or the wait is cancelled is failed, with its last probe's outcome.
    ``on_progress(healthy, total, latest failure)`` after each probe that changes something.
    """
    result = HealthResult()
    state = {i: _Instance(u) for i, u in urls.items()}
    due = [(ready_at.get(i, clock.monotonic()) + check.initial_delay, i) for i in state]
    heapq.heapify(due)
    #: each probe in flight: its instance, when it started, and whether the deadline cut its time limit short
    running: dict[Future[ProbeOutcome], tuple[str, float, bool]] = {}
    pool = ThreadPoolExecutor(max(1, concurrency), thread_name_prefix="ecsreboot-probe")
    try:
        while due or running:
            if cancel.is_set():
                result.cancelled = True
                break
            now = clock.monotonic()
            if now >= deadline:
                result.timed_out = True
                break
            while due and due[0][0] <= now and len(running) < concurrency:
                _, iid = heapq.heappop(due)
                timeout = min(check.timeout, deadline - now)
                running[pool.submit(prober, state[iid].url, timeout, cancel)] = (iid, now, timeout < check.timeout)
            if running:
                room = due and len(running) < concurrency
                slice_ = min(_SLICE, max(0.0, due[0][0] - now)) if room else _SLICE
                done, _ = wait_futures(list(running), timeout=slice_, return_when=FIRST_COMPLETED)
                for future in done:
                    iid, started, cut_short = running.pop(future)
                    outcome = future.result()
                    if (outcome.detail == "cancelled" and cancel.is_set()) or (outcome.timed_out and cut_short):
                        # not a verdict on the instance (the round was cancelled, or its deadline left the
                        # probe less than its time limit): it stays owed a probe, so the round still fails it
                        # below, with its last real outcome, instead of leaving it neither healthy nor failed
                        heapq.heappush(due, (started, iid))
                        continue
                    result.probes += 1
                    nxt = _judge(state[iid], iid, outcome, check, result)
                    if nxt:
                        heapq.heappush(due, (max(started + check.interval, clock.monotonic()), iid))
                    if on_progress is not None:
                        on_progress(len(result.healthy), len(state), "" if outcome.ok else f"{iid}: {outcome.detail}")
            elif due:
                clock.sleep(min(due[0][0] - now, deadline - now), cancel)
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
    why = "the round was cancelled" if result.cancelled else "not healthy before the round's timeout"
    for iid in [i for i, _, _ in running.values()] + [i for _, i in due]:
        last = state[iid].last
        result.failed[iid] = f"{why}; last probe: {last}" if last else f"{why}; no probe answered yet"
    return result


def _judge(inst: _Instance, iid: str, outcome: ProbeOutcome, check: HealthCheck, result: HealthResult) -> bool:
    """Count one probe; True when the instance is to be probed again."""
    inst.last = outcome.detail
    if outcome.ok:
        inst.successes, inst.failures = inst.successes + 1, 0
        if inst.successes >= check.healthy_threshold:
            result.healthy.append(iid)
            return False
        return True
    inst.successes, inst.failures = 0, inst.failures + 1
    if check.unhealthy_threshold is not None and inst.failures >= check.unhealthy_threshold:
        result.failed[iid] = f"unhealthy: {outcome.detail} ({inst.failures} failed probe(s) in a row)"
        return False
    return True
