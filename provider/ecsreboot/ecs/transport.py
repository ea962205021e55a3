"""Moving bytes: the only module that knows about HTTP client libraries.

A ``Transport`` sends one ``HttpRequest`` and returns one ``HttpResponse`` (any status), or raises
``TransportError``. Its ``sent`` flag is the fact the reboot logic depends on:

* ``sent=False``: the request provably never reached the server -- connection refused, DNS failure,
  connect timeout, TLS certificate rejected during the handshake. Safe to retry even a reboot.
* ``sent=True``: the request may have been acted on -- read timeout, connection closed after the
  request went out, garbled reply. A reboot must not simply be re-sent (see ecs/reboot.py).

Error messages name the host and the failure, never the URL: a V1 query string carries the
AccessKeyId, which this project treats as secret.
"""

from __future__ import annotations

import os
import re
import ssl
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import urlsplit

import requests.utils
import urllib3
import urllib3.exceptions

from ..core.errors import TransportError


@dataclass(frozen=True)
class HttpRequest:
    """One request. ``url`` includes the already percent-encoded query string."""

    method: str
    url: str
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""
    #: seconds to wait for the reply, when shorter than the transport's own read timeout
    read_timeout: float | None = None


@dataclass(frozen=True)
class HttpResponse:
    """One reply, whatever its status. Header names are lowercased."""

    status: int
    headers: Mapping[str, str]
    body: bytes


class Transport(Protocol):
    def send(self, request: HttpRequest) -> HttpResponse:
        """Send ``request``; raise ``TransportError`` (with ``sent`` set truthfully) when no reply came."""
        ...

    def close(self) -> None:
        """Release pooled connections."""
        ...


class HttpTransport:
    """Pooled keep-alive connections (urllib3, as ``requests`` uses underneath), connect/read timeouts and
    certificate verification.

    One connection pool per endpoint, kept for the transport's life, and requests sent by their path: no
    per-request work beyond the request itself. ``requests``' own layer redid per call what a client of
    one endpoint needs once -- walk the environment for proxies, look for ``~/.netrc``, check the CA
    bundle on disk, build a pool key, parse and re-quote the whole (long, signed) URL twice -- about
    half of the client's CPU per request. The environment is honoured as ``requests`` honours it, read
    once: ``REQUESTS_CA_BUNDLE``/``CURL_CA_BUNDLE`` here, an endpoint's proxies (``HTTPS_PROXY``,
    ``NO_PROXY``, ...) on its first request; ``.netrc`` credentials are never sent (an ``Authorization``
    header of their own would replace the request's signature).

    Nothing is retried here (``retries=False``): retrying is the client's decision, because only the
    client knows whether an action is safe to repeat.
    """

    def __init__(
        self,
        *,
        connect_timeout: float = 5.0,
        read_timeout: float = 10.0,
        verify: bool | str = True,
        pool_size: int = 16,
    ) -> None:
        self._timeout = (connect_timeout, read_timeout)
        if verify is True:  # as requests: the environment's bundle, else certifi's
            verify = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True
        self.verify: bool | str = verify
        self._pool_size = pool_size
        self._pools: dict[str, _Pool] = {}
        self._lock = threading.Lock()

    def send(self, request: HttpRequest) -> HttpResponse:
        read_timeout = self._timeout[1]
        if request.read_timeout is not None:
            read_timeout = max(0.001, min(read_timeout, request.read_timeout))
        scheme, host, path, query, _ = urlsplit(request.url)
        try:
            pool = self._pool(scheme, host)
            headers = dict(request.headers)
            headers.setdefault("accept-encoding", "gzip, deflate")
            reply = pool.send(request.method, request.url, f"{path or '/'}{'?' + query if query else ''}",
                              headers, request.body, urllib3.Timeout(connect=self._timeout[0], read=read_timeout))
        except (urllib3.exceptions.HTTPError, OSError, ValueError) as exc:
            raise map_urllib3_error(exc, host, read_timeout=read_timeout) from None
        return HttpResponse(
            status=reply.status,
            headers={k.lower(): v for k, v in reply.headers.items()},
            body=reply.data,
        )

    def _pool(self, scheme: str, netloc: str) -> _Pool:
        key = f"{scheme}://{netloc}"
        pool = self._pools.get(key)
        if pool is None:
            with self._lock:
                pool = self._pools.get(key)
                if pool is None:
                    pool = self._pools[key] = _Pool(key, self.verify, self._pool_size)
        return pool

    def close(self) -> None:
        with self._lock:
            pools, self._pools = list(self._pools.values()), {}
        for pool in pools:
            pool.close()


class _Pool:
    """The connections to one endpoint: direct, or through the proxy the environment names for it."""

    def __init__(self, origin: str, verify: bool | str, size: int) -> None:
        parts = urlsplit(origin)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise urllib3.exceptions.LocationValueError(f"not an http(s) endpoint: {origin}")
        tls: dict[str, Any] = {}
        if parts.scheme == "https":
            tls["cert_reqs"] = "CERT_REQUIRED" if verify else "CERT_NONE"
            bundle = verify if isinstance(verify, str) else (requests.utils.DEFAULT_CA_BUNDLE_PATH if verify else None)
            if bundle is not None:
                tls["ca_cert_dir" if os.path.isdir(bundle) else "ca_certs"] = bundle
        proxy = requests.utils.select_proxy(origin + "/", requests.utils.get_environ_proxies(origin + "/"))
        self._proxy: urllib3.ProxyManager | None = None
        self._direct: urllib3.HTTPConnectionPool | None = None
        if proxy:
            self._proxy = urllib3.ProxyManager(proxy if "://" in proxy else f"http://{proxy}",
                                               num_pools=1, maxsize=size, retries=False, **tls)
        else:
            pool_class = urllib3.HTTPSConnectionPool if parts.scheme == "https" else urllib3.HTTPConnectionPool
            self._direct = pool_class(parts.hostname, parts.port, maxsize=size, block=False, retries=False,
                                      **tls)

    def send(self, method: str, url: str, target: str, headers: dict[str, str], body: bytes,
             timeout: urllib3.Timeout) -> urllib3.BaseHTTPResponse:
        if self._direct is not None:
            return self._direct.urlopen(method, target, body=body, headers=headers, redirect=False, retries=False,
                                        timeout=timeout, assert_same_host=False, preload_content=True)
        assert self._proxy is not None
        return self._proxy.urlopen(method, url, body=body, headers=headers, redirect=False, retries=False,
                                   timeout=timeout, preload_content=True)

    def close(self) -> None:
        if self._direct is not None:
            self._direct.close()
        if self._proxy is not None:
            self._proxy.clear()


_ERRNO = re.compile(r"\[Errno -?\d+\][^\"')]*")


def _detail(exc: BaseException | None) -> str:
    """A short, URL-free description of an OS-level failure ("[Errno 111] Connection refused")."""
    if exc is None:
        return ""
    found = _ERRNO.search(str(exc))
    return f" ({found.group(0).strip()})" if found else f" ({type(exc).__name__})"


def map_urllib3_error(exc: BaseException, host: str, *, read_timeout: float) -> TransportError:
    """Classify a failure by whether the request can have reached the server."""
    errors = urllib3.exceptions
    if isinstance(exc, errors.ProxyError):  # judged by what happened on the way to the proxy
        inner = exc.original_error if isinstance(getattr(exc, "original_error", None), Exception) else None
        if isinstance(inner, errors.NewConnectionError | errors.ConnectTimeoutError):
            return TransportError(f"cannot connect to the proxy for {host}{_detail(inner)}", sent=False)
        return TransportError(f"proxy error talking to {host}", sent=True)
    if isinstance(exc, _NAME_RESOLUTION):
        return TransportError(f"cannot resolve host {host}", sent=False)
    if isinstance(exc, errors.NewConnectionError):  # (a ConnectTimeoutError too: checked first)
        return TransportError(f"cannot connect to {host}{_detail(exc)}", sent=False)
    if isinstance(exc, errors.ConnectTimeoutError):
        return TransportError(f"timed out connecting to {host}", sent=False)
    if isinstance(exc, errors.ReadTimeoutError):
        return TransportError(f"no reply from {host} within {read_timeout:g}s (read timeout)", sent=True)
    if isinstance(exc, errors.SSLError):
        # A rejected certificate is decided in the handshake, before any request byte is written.
        handshake = any(isinstance(a, ssl.SSLCertVerificationError) for a in exc.args) or (
            "CERTIFICATE_VERIFY_FAILED" in str(exc))
        what = "TLS certificate verification failed for" if handshake else "TLS error talking to"
        return TransportError(f"{what} {host}", sent=not handshake)
    if isinstance(exc, errors.LocationValueError | errors.ProxySchemeUnknown):
        return TransportError(f"invalid endpoint URL for host {host!r}", sent=False)
    if isinstance(exc, errors.ProtocolError):
        reason = next((a for a in exc.args if isinstance(a, BaseException)), None)
        return TransportError(f"connection to {host} closed before a reply came{_detail(reason)}", sent=True)
    # a broken body, a decoding error, anything else: the reply started, so the server had the request
    return TransportError(f"broken reply from {host} ({type(exc).__name__})", sent=True)


#: a DNS failure (urllib3 2 names it; urllib3 1.26 reports a NewConnectionError)
_NAME_RESOLUTION: tuple[type[BaseException], ...] = tuple(
    c for c in (getattr(urllib3.exceptions, "NameResolutionError", None),) if c is not None)
