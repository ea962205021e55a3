"""The TLS front on its own: the CLI's kind of client (ECDSA P-521, TLS 1.3, ALPN h2) through it to a plain-text
server on a Unix socket, with payloads larger than a TLS record, the relay's buffer and the sockets' buffers, in
both directions at once; a client without the expected certificate refused; ``close`` ending the open relays."""

from __future__ import annotations

import contextlib
import hashlib
import os
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from ecsreboot.terraform.mtls import TlsFront, private_socket_path, server_context
from ecsreboot.terraform.server import server_certificate
from tests.terraform.test_server import client_certificate

#: many 16 KiB records, more than the relay's buffer, more than the sockets' buffers (4 MiB at most for TCP here)
PAYLOAD = os.urandom(10 * 1024 * 1024 + 12345)


class EchoServer:
    """A plain-text server on a Unix socket: echoes every connection's bytes back until the client's end of file."""

    def __init__(self) -> None:
        self.path = private_socket_path()
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.listener.bind(self.path)
        self.listener.listen(4)
        self.listener.settimeout(30)
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        with contextlib.suppress(OSError):
            while True:
                conn, _ = self.listener.accept()
                threading.Thread(target=self._echo, args=(conn,), daemon=True).start()

    @staticmethod
    def _echo(conn: socket.socket) -> None:
        with conn, contextlib.suppress(OSError):
            conn.settimeout(30)
            while data := conn.recv(65536):
                conn.sendall(data)

    def close(self) -> None:
        self.listener.close()
        Path(self.path).unlink(missing_ok=True)
        os.rmdir(os.path.dirname(self.path))


@pytest.fixture
def front(tmp_path: Path) -> Iterator[tuple[TlsFront, bytes, bytes, bytes]]:
    """(the front, its certificate PEM, the client's certificate PEM and key PEM)"""
    client_cert, client_key = client_certificate()
    cert_pem, key_pem, _ = server_certificate()
    echo = EchoServer()
    front = TlsFront(server_context(cert_pem, key_pem, client_cert.decode()), echo.path)
    front.start()
    try:
        yield front, cert_pem, client_cert, client_key
    finally:
        front.close()
        echo.close()


def connect(port: int, server_pem: bytes, cert: bytes, key: bytes, folder: Path) -> ssl.SSLSocket:
    """A client as go-plugin's: trusts exactly the server's certificate for ``localhost``, offers ALPN h2. Its
    receive buffer is small, so a client slow to read pushes back on the front at once."""
    (folder / "c.pem").write_bytes(cert)
    (folder / "k.pem").write_bytes(key)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.load_verify_locations(cadata=server_pem.decode())
    context.load_cert_chain(folder / "c.pem", folder / "k.pem")
    context.set_alpn_protocols(["h2"])
    raw = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 32 * 1024)
    raw.settimeout(30)
    raw.connect(("127.0.0.1", port))
    return context.wrap_socket(raw, server_hostname="localhost")


def test_large_payloads_cross_both_ways_at_once(front: tuple[TlsFront, bytes, bytes, bytes], tmp_path: Path) -> None:
    tls_front, server_pem, cert, key = front
    with connect(tls_front.port, server_pem, cert, key, tmp_path) as client:
        assert client.version() == "TLSv1.3" and client.selected_alpn_protocol() == "h2"
        received = bytearray()

        def send() -> None:
            client.sendall(PAYLOAD)

        sender = threading.Thread(target=send)
        sender.start()  # the client sends while it does not read yet: every buffer on the way fills and blocks
        time.sleep(0.3)
        while len(received) < len(PAYLOAD) and (data := client.recv(1 << 20)):
            received.extend(data)
        sender.join(60)
        assert not sender.is_alive()
    assert len(received) == len(PAYLOAD) and hashlib.sha256(received).digest() == hashlib.sha256(PAYLOAD).digest()


def test_a_client_with_another_certificate_is_refused(front: tuple[TlsFront, bytes, bytes, bytes],
                                                      tmp_path: Path) -> None:
    tls_front, server_pem, _, _ = front
    other_cert, other_key = client_certificate()
    # TLS 1.3: the server refuses after the client's handshake is done, so the refusal surfaces at the first read
    with pytest.raises((ssl.SSLError, OSError)), connect(tls_front.port, server_pem, other_cert, other_key,
                                                         tmp_path) as client:
        client.sendall(b"hello")
        assert client.recv(5) == b""  # never echoed


def test_close_ends_the_open_relays(front: tuple[TlsFront, bytes, bytes, bytes], tmp_path: Path) -> None:
    tls_front, server_pem, cert, key = front
    with connect(tls_front.port, server_pem, cert, key, tmp_path) as client:
        client.sendall(b"ping")
        assert client.recv(4) == b"ping"
        tls_front.close(drain=0.1)  # the echo server keeps its side open: the relay is told to stop
        with contextlib.suppress(ssl.SSLError, OSError):
            assert client.recv(4) == b""
        with pytest.raises(OSError):
            socket.create_connection(("127.0.0.1", tls_front.port), timeout=5).close()
