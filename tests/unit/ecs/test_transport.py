"""Transport: urllib3 exceptions mapped to TransportError(sent=...), over real loopback sockets where possible."""

from __future__ import annotations

import shutil
import socket
import ssl
import subprocess
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import urllib3.exceptions

from ecsreboot.core.errors import TransportError
from ecsreboot.ecs import HttpRequest, HttpTransport
from ecsreboot.ecs.transport import map_urllib3_error

SECRET_QUERY = "?AccessKeyId=AK-VERY-SECRET&Signature=abc"


class Server:
    """A one-thread socket server; ``behaviour(conn)`` decides what happens to each connection."""

    def __init__(self, behaviour: Callable[[socket.socket], None], wrap: ssl.SSLContext | None = None) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.behaviour, self.wrap = behaviour, wrap
        self.received: list[bytes] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            try:
                if self.wrap is not None:
                    conn = self.wrap.wrap_socket(conn, server_side=True)
                self.behaviour(conn)
            except (OSError, ssl.SSLError):
                pass
            finally:
                conn.close()

    def close(self) -> None:
        self.stop.set()
        self.sock.close()


def _read_request(conn: socket.socket) -> bytes:
    conn.settimeout(5)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


@pytest.fixture
def serve() -> Iterator[Callable[..., Server]]:
    servers: list[Server] = []

    def start(behaviour: Callable[[socket.socket], None], wrap: ssl.SSLContext | None = None) -> Server:
        servers.append(Server(behaviour, wrap))
        return servers[-1]

    yield start
    for s in servers:
        s.close()


def _send(url: str, read_timeout: float = 5.0, **kw: object) -> TransportError:
    transport = HttpTransport(connect_timeout=2.0, read_timeout=read_timeout, **kw)  # type: ignore[arg-type]
    try:
        with pytest.raises(TransportError) as caught:
            transport.send(HttpRequest("POST", url + SECRET_QUERY))
    finally:
        transport.close()
    assert "AK-VERY-SECRET" not in str(caught.value)
    return caught.value


def test_a_reply_is_returned_with_lowercased_headers(serve: Callable[..., Server]) -> None:
    def ok(conn: socket.socket) -> None:
        _read_request(conn)
        conn.sendall(b"HTTP/1.1 400 Bad\r\nX-Acs-Retry-After: 10\r\nContent-Length: 2\r\n\r\n{}")

    server = serve(ok)
    transport = HttpTransport()
    reply = transport.send(HttpRequest("POST", f"http://127.0.0.1:{server.port}/?a=b", {"host": "x"}))
    transport.close()
    assert (reply.status, reply.headers["x-acs-retry-after"], reply.body) == (400, "10", b"{}")


def test_connection_refused_was_not_sent() -> None:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # nothing listens there now
    err = _send(f"http://127.0.0.1:{port}/")
    assert err.sent is False
    assert f"cannot connect to 127.0.0.1:{port}" in str(err)


def test_connection_closed_after_the_request_was_read_may_have_run(serve: Callable[..., Server]) -> None:
    server = serve(lambda conn: _read_request(conn) and None)
    err = _send(f"http://127.0.0.1:{server.port}/")
    assert err.sent is True
    assert "closed before a reply" in str(err)


def test_read_timeout_may_have_run(serve: Callable[..., Server]) -> None:
    release = threading.Event()

    def silent(conn: socket.socket) -> None:
        _read_request(conn)
        release.wait(5)

    server = serve(silent)
    err = _send(f"http://127.0.0.1:{server.port}/", read_timeout=0.3)
    release.set()
    assert err.sent is True
    assert "read timeout" in str(err)


def test_untrusted_certificate_is_refused_before_sending(serve: Callable[..., Server], tmp_path: Path) -> None:
    if shutil.which("openssl") is None:
        pytest.skip("openssl not available to make a self-signed certificate")
    cert, key = tmp_path / "c.pem", tmp_path / "k.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    seen: list[bytes] = []
    server = serve(lambda conn: seen.append(_read_request(conn)), wrap=context)
    err = _send(f"https://127.0.0.1:{server.port}/")
    assert err.sent is False
    assert "certificate verification failed" in str(err)
    assert seen == []  # the handshake failed: the server never read a request


def test_https_verifies_certificates_by_default(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
        monkeypatch.delenv(name, raising=False)
    assert HttpTransport().verify is True
    bundle = tmp_path / "ca.pem"
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(bundle))  # honoured as requests honours it
    assert HttpTransport().verify == str(bundle)
    assert HttpTransport(verify=False).verify is False


def test_the_environment_is_read_once_not_per_request(serve: Callable[..., Server],
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """No walk of the environment, no ~/.netrc look-up, no stat of the CA bundle per request (requests' own
    trust_env does all three): proxies and the bundle are worked out once per endpoint."""
    def ok(conn: socket.socket) -> None:
        while _read_request(conn):
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}")

    server = serve(ok)
    transport = HttpTransport()
    url = f"http://127.0.0.1:{server.port}/?a=b"
    transport.send(HttpRequest("POST", url))  # the first request works out the endpoint's proxies
    looked: list[str] = []
    monkeypatch.setattr("os.path.exists", lambda p: looked.append(str(p)) or True)
    monkeypatch.setattr("os.path.isdir", lambda p: looked.append(str(p)) or False)
    monkeypatch.setattr("requests.utils.get_environ_proxies", lambda *a, **k: looked.append("environ") or {})
    monkeypatch.setattr("requests.utils.get_netrc_auth", lambda *a, **k: looked.append("netrc"))
    for _ in range(3):
        assert transport.send(HttpRequest("POST", url)).status == 200
    transport.close()
    assert looked == []


@pytest.mark.parametrize(
    ("exc", "sent", "text"),
    [
        (urllib3.exceptions.ConnectTimeoutError("t" + SECRET_QUERY), False, "timed out connecting"),
        (urllib3.exceptions.NameResolutionError("h", None, OSError("dns")),  # type: ignore[arg-type]
         False, "cannot resolve host"),
        (urllib3.exceptions.NewConnectionError(None, "[Errno 111] Connection refused"),  # type: ignore[arg-type]
         False, "Errno 111"),
        (urllib3.exceptions.ReadTimeoutError(None, "/x" + SECRET_QUERY, "read timed out"),  # type: ignore[arg-type]
         True, "read timeout"),
        (urllib3.exceptions.ProtocolError("Connection aborted.", ConnectionResetError(104)), True,
         "closed before a reply"),
        (urllib3.exceptions.DecodeError("broken" + SECRET_QUERY), True, "broken reply"),
        (urllib3.exceptions.SSLError(ssl.SSLCertVerificationError(1, "certificate verify failed")), False,
         "certificate verification"),
        (urllib3.exceptions.SSLError("bad record mac"), True, "TLS error"),
        (urllib3.exceptions.ProxyError("proxy", urllib3.exceptions.NewConnectionError(
            None, "[Errno 111] Connection refused")), False, "proxy"),  # type: ignore[arg-type]
        (urllib3.exceptions.ProxyError("proxy", OSError("reset")), True, "proxy error"),
        (urllib3.exceptions.LocationValueError("no host" + SECRET_QUERY), False, "invalid endpoint"),
    ],
)
def test_mapping_of_urllib3_exceptions(exc: Exception, sent: bool, text: str) -> None:
    err = map_urllib3_error(exc, "ecs.example:443", read_timeout=10)
    assert err.sent is sent
    assert text in str(err)
    assert "ecs.example:443" in str(err)
    assert "AK-VERY-SECRET" not in str(err)
