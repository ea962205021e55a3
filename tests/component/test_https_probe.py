"""HTTPS health probes against a real TLS server on loopback (a self-signed certificate, as instances behind
a load balancer often have): the status decides, the URL's user-info travels as Basic auth, and a server
that does not speak TLS is a clear per-probe failure."""

from __future__ import annotations

import base64
import datetime as _dt
import ssl
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from ecsreboot.core.health import HealthCheck
from ecsreboot.ecs import SocketProber


def _self_signed(folder: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "instance.internal")])
    now = _dt.datetime.now(_dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - _dt.timedelta(minutes=1))
            .not_valid_after(now + _dt.timedelta(hours=1)).sign(key, hashes.SHA256()))
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.server.seen.append((self.path, self.headers.get("Authorization")))  # type: ignore[attr-defined]
        status = 200 if self.path.startswith("/healthz") else 503
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[ThreadingHTTPServer]:
    cert, key = _self_signed(tmp_path)
    server = ThreadingHTTPServer(("127.0.0.9", 0), _Handler)
    server.seen = []  # type: ignore[attr-defined]
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def test_an_https_probe_is_judged_by_its_status_and_sends_the_user_info_as_basic_auth(
        tls_server: ThreadingHTTPServer) -> None:
    port = tls_server.server_address[1]
    url = f"https://probe:t0ken@127.0.0.9:{port}/healthz?x=1"
    prober = SocketProber(HealthCheck(url=url))
    outcome = prober(url, 5.0, threading.Event())
    assert outcome.ok and outcome.detail == "HTTP 200"
    path, auth = tls_server.seen[-1]  # type: ignore[attr-defined]
    assert path == "/healthz?x=1"
    assert auth == "Basic " + base64.b64encode(b"probe:t0ken").decode()
    down = prober(f"https://127.0.0.9:{port}/down", 5.0, threading.Event())
    assert not down.ok and down.detail == "HTTP 503"
    assert prober.open_now == 0


def test_https_to_a_server_without_tls_is_a_clear_failure() -> None:
    plain = ThreadingHTTPServer(("127.0.0.9", 0), _Handler)
    plain.seen = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=plain.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        url = f"https://127.0.0.9:{plain.server_address[1]}/healthz"
        outcome = SocketProber(HealthCheck(url=url))(url, 3.0, threading.Event())
        assert not outcome.ok
        assert outcome.detail.startswith(("TLS error", "the connection closed", "connection reset"))
    finally:
        plain.shutdown()
        plain.server_close()
        thread.join(timeout=5)
