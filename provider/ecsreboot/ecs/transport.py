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

import requests
import requests.adapters
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


class RequestsTransport:
    """``requests`` with one pooled session, connect/read timeouts and certificate verification.

    The adapter does no retries of its own (``max_retries=0``): retrying is the client's decision,
    because only the client knows whether an action is safe to repeat.

    The environment is read once, not on every request as ``requests`` does by default (``trust_env``:
    proxy variables scanned, ``~/.netrc`` looked for, the CA bundle path checked on disk -- a walk of the
    environment and a few file-system calls per request): ``REQUESTS_CA_BUNDLE``/``CURL_CA_BUNDLE`` are
    read here and honoured as ``requests`` honours them, the proxies of an endpoint (``HTTPS_PROXY``,
    ``NO_PROXY``, ...) on its first request; ``.netrc`` credentials are never sent (an ``Authorization``
    header of their own would replace the request's signature).
    """

    def __init__(
        self,
        *,
        connect_timeout: float = 5.0,
        read_timeout: float = 10.0,
        verify: bool | str = True,
        pool_size: int = 16,
    ) -> None:
        env = os.environ
        self._timeout = (connect_timeout, read_timeout)
        self._session = requests.Session()
        self._session.trust_env = False
        self._session.verify = (env.get("REQUESTS_CA_BUNDLE") or env.get("CURL_CA_BUNDLE") or True) \
            if verify is True else verify
        adapter = _Adapter(pool_connections=4, pool_maxsize=pool_size, max_retries=0)
        self._session.mount("https://", adapter)
        self._session.mount("http://", adapter)
        self._proxies: dict[str, dict[str, str]] = {}
        self._lock = threading.Lock()

    def send(self, request: HttpRequest) -> HttpResponse:
        parts = urlsplit(request.url)
        host = parts.netloc
        read_timeout = self._timeout[1]
        if request.read_timeout is not None:
            read_timeout = max(0.001, min(read_timeout, request.read_timeout))
        try:
            reply = self._session.request(
                request.method,
                request.url,
                headers=dict(request.headers),
                data=request.body,
                timeout=(self._timeout[0], read_timeout),
                allow_redirects=False,
                proxies=self._proxies_for(parts.scheme, host),
            )
            body = reply.content
        except requests.RequestException as exc:
            raise map_requests_error(exc, host, read_timeout=read_timeout) from None
        return HttpResponse(
            status=reply.status_code,
            headers={k.lower(): v for k, v in reply.headers.items()},
            body=body,
        )

    def _proxies_for(self, scheme: str, netloc: str) -> dict[str, str]:
        """The environment's proxies for an endpoint (``HTTPS_PROXY``, ``NO_PROXY``, ...), worked out once."""
        key = f"{scheme}://{netloc}"
        found = self._proxies.get(key)
        if found is None:
            found = self._proxies[key] = requests.utils.get_environ_proxies(key + "/")
        return found

    def close(self) -> None:
        with self._lock:
            self._session.close()


class _Adapter(requests.adapters.HTTPAdapter):
    """The HTTP adapter, with its certificate checks (the CA bundle exists, is it a directory) done once
    per setting rather than on every request; the outcome is the same."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._checked: dict[tuple[bool, Any, Any], dict[str, Any]] = {}
        self._pool_keys: dict[tuple[str, Any, Any], Any] = {}

    def cert_verify(self, conn: Any, url: str, verify: Any, cert: Any) -> None:
        key = (url[:5].lower() == "https", verify, cert)
        settings = self._checked.get(key)
        if settings is None:
            probe = _ConnSettings()
            # raises as requests does for a missing file
            super().cert_verify(probe, url, verify, cert)  # type: ignore[no-untyped-call]
            settings = self._checked[key] = vars(probe)
        for name, value in settings.items():
            setattr(conn, name, value)

    def build_connection_pool_key_attributes(self, request: Any, verify: Any, cert: Any = None) -> Any:
        parts = urlsplit(request.url)
        key = (f"{parts.scheme}://{parts.netloc}", verify, cert)
        found = self._pool_keys.get(key)
        if found is None:
            found = self._pool_keys[key] = super().build_connection_pool_key_attributes(request, verify, cert)
        host, pool = found
        return dict(host), dict(pool)  # copies: the pool manager may keep what it is given


class _ConnSettings:
    """Collects what ``HTTPAdapter.cert_verify`` sets on a connection pool."""


_ERRNO = re.compile(r"\[Errno -?\d+\][^\"')]*")


def _reason(exc: BaseException) -> BaseException | None:
    """The innermost urllib3 cause of a requests exception, if any."""
    inner = exc.args[0] if exc.args else None
    if isinstance(inner, urllib3.exceptions.MaxRetryError):
        return inner.reason
    return inner if isinstance(inner, BaseException) else None


def _detail(exc: BaseException | None) -> str:
    """A short, URL-free description of an OS-level failure ("[Errno 111] Connection refused")."""
    if exc is None:
        return ""
    found = _ERRNO.search(str(exc))
    return f" ({found.group(0).strip()})" if found else f" ({type(exc).__name__})"


def map_requests_error(exc: requests.RequestException, host: str, *, read_timeout: float) -> TransportError:
    """Classify a ``requests`` failure by whether the request can have reached the server."""
    reason = _reason(exc)
    if isinstance(exc, requests.ConnectTimeout):
        return TransportError(f"timed out connecting to {host}", sent=False)
    if isinstance(exc, requests.ReadTimeout):
        return TransportError(f"no reply from {host} within {read_timeout:g}s (read timeout)", sent=True)
    if isinstance(exc, requests.exceptions.SSLError):
        # A rejected certificate is decided in the handshake, before any request byte is written.
        handshake = any(isinstance(a, ssl.SSLCertVerificationError) for a in getattr(reason, "args", ())) or (
            "CERTIFICATE_VERIFY_FAILED" in str(exc))
        what = "TLS certificate verification failed for" if handshake else "TLS error talking to"
        return TransportError(f"{what} {host}", sent=not handshake)
    if isinstance(exc, requests.ConnectionError):
        if isinstance(reason, urllib3.exceptions.NameResolutionError):
            return TransportError(f"cannot resolve host {host}", sent=False)
        if isinstance(reason, urllib3.exceptions.NewConnectionError):
            return TransportError(f"cannot connect to {host}{_detail(reason)}", sent=False)
        return TransportError(
            f"connection to {host} closed before a reply came{_detail(reason)}", sent=True
        )
    if isinstance(exc, requests.exceptions.InvalidURL | requests.exceptions.MissingSchema |
                  requests.exceptions.InvalidSchema):
        return TransportError(f"invalid endpoint URL for host {host!r}", sent=False)
    # ChunkedEncodingError, ContentDecodingError, ...: the reply started, so the server had the request.
    return TransportError(f"broken reply from {host} ({type(exc).__name__})", sent=True)

