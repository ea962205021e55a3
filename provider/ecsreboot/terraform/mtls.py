"""go-plugin's AutoMTLS, terminated in front of the gRPC server with the standard library's TLS.

The CLI's certificate (``PLUGIN_CLIENT_CERT``) is ECDSA P-521, and under TLS 1.3 a P-521 key signs only with
``ecdsa_secp521r1_sha512``, which the TLS library inside grpcio (BoringSSL) leaves out of the signature algorithms
a server accepts (grpc/grpc#41089); grpcio's Python API cannot cap a server at TLS 1.2 either. So the gRPC server
listens in plain text on a Unix socket in a private directory, and this front accepts the CLI's connections on
127.0.0.1 with Python's ``ssl`` (OpenSSL: P-521 is fine), requires the client's certificate and verifies it against
exactly the one the CLI passed, negotiates ALPN ``h2`` (gRPC-Go insists on it), and relays the bytes both ways. The
server's key lives only in memory and, for the instant ``ssl`` needs a file to load it, in a file in a directory
only this user can read, removed at once.

The relay is a plain ``selectors`` loop per connection over a non-blocking ``SSLSocket``: OpenSSL reads, decrypts,
encrypts and writes with the GIL released, and Python runs a few lines per chunk (an ``asyncio`` stream relay ran
the TLS records through ``MemoryBIO``s in Python and cost a plan of 1,000 resources about half a CPU-second). The
CLI opens one connection per provider process and multiplexes every call over it, so a thread per connection is
cheap.
"""

from __future__ import annotations

import contextlib
import os
import selectors
import socket
import ssl
import tempfile
import threading
from pathlib import Path

_CHUNK = 256 * 1024
HANDSHAKE_SECONDS = 30.0


def server_context(cert_pem: bytes, key_pem: bytes, client_cert_pem: str) -> ssl.SSLContext:
    """A TLS server context: our certificate, the client's required and verified against ``client_cert_pem``."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    with tempfile.TemporaryDirectory(prefix="ecsreboot-tls-") as private:  # mode 0700
        cert, key = Path(private, "cert.pem"), Path(private, "key.pem")
        cert.write_bytes(cert_pem)
        key.touch(mode=0o600)
        key.write_bytes(key_pem)
        context.load_cert_chain(cert, key)
    context.verify_mode = ssl.CERT_REQUIRED
    context.load_verify_locations(cadata=client_cert_pem)
    context.set_alpn_protocols(["h2"])
    return context


class TlsFront:
    """Accepts mutual-TLS connections on 127.0.0.1 and relays each to the plain-text server at ``backend`` (a Unix
    socket path), one daemon thread per connection; ``close`` stops listening and ends the relays."""

    def __init__(self, context: ssl.SSLContext, backend: str) -> None:
        self._context = context
        self._backend = backend
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        # written once by close(): every relay's selector sees it readable and ends its loop
        self._stop_reader, self._stop_writer = socket.socketpair()
        self._closed = threading.Event()
        self._relays: list[threading.Thread] = []
        self.port = 0

    def start(self) -> int:
        """Listen; returns the port."""
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(8)
        self.port = self._listener.getsockname()[1]
        threading.Thread(target=self._accept, name="ecsreboot-tls", daemon=True).start()
        return self.port

    def _accept(self) -> None:
        while not self._closed.is_set():
            try:
                raw, _ = self._listener.accept()
            except OSError:  # closed
                return
            relay = threading.Thread(target=self._serve, args=(raw,), name="ecsreboot-tls-relay", daemon=True)
            self._relays.append(relay)
            relay.start()

    def _serve(self, raw: socket.socket) -> None:
        """One connection: the handshake (bounded in time; a client without the CLI's certificate is refused here),
        then the relay until either side ends or the front closes."""
        with contextlib.ExitStack() as stack:
            stack.callback(raw.close)
            raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # small gRPC frames go out at once
            raw.settimeout(HANDSHAKE_SECONDS)
            try:
                tls = self._context.wrap_socket(raw, server_side=True)
            except (OSError, ssl.SSLError):
                return
            stack.callback(tls.close)
            backend = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            stack.callback(backend.close)
            try:
                backend.connect(self._backend)
            except OSError:
                return
            if not self._closed.is_set():
                with contextlib.suppress(OSError, ssl.SSLError, ValueError):  # ValueError: closed while starting
                    _relay(tls, backend, self._stop_reader)

    def close(self, drain: float = 1.0) -> None:
        """Stop listening and end the open relays. Call it after the gRPC server has stopped: a relay then passes on
        what the server sent last (the answer to ``Shutdown``) and ends by itself on the server's end of file; one
        still running after ``drain`` seconds is told to stop."""
        if self._closed.is_set():
            return
        self._closed.set()
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)
        self._listener.close()
        for relay in list(self._relays):
            relay.join(drain)
        with contextlib.suppress(OSError):
            self._stop_writer.send(b"x")
        for relay in list(self._relays):
            relay.join(5)
        self._stop_writer.close()
        self._stop_reader.close()


def _relay(tls: ssl.SSLSocket, plain: socket.socket, stop: socket.socket) -> None:
    """Copy bytes both ways between the TLS connection and the plain one until either ends or ``stop`` is readable.

    A side is read only when the selector says so and what it sent last has been passed on (the peer's
    back-pressure reaches the sender through TCP), and each chunk is written on at once, so a chunk costs one
    select, one read and one write (a write waits for the selector only after the socket refused it). A
    non-blocking TLS socket has its own rules: a read may need the socket writable and a write readable
    (``SSLWantWriteError``/``SSLWantReadError``), and a write that could not finish is retried with the same bytes.
    OpenSSL returns one record per read and reads no further ahead, so what it has not handed out yet is still in
    the socket, where the selector sees it (``pending`` covers a record larger than the buffer, which a 16 KiB
    record never is).
    """
    tls.setblocking(False)
    plain.setblocking(False)
    selector = selectors.DefaultSelector()
    up = b""  # from the CLI, for the server
    down = b""  # from the server, for the CLI
    tls_ready = plain_ready = True  # the selector's word since the last attempt (at first: try everything)
    read_needs_write = write_waits = write_needs_read = False
    selector.register(stop, selectors.EVENT_READ)
    try:
        while True:
            if tls_ready and not up:
                try:
                    up = tls.recv(_CHUNK)
                    if not up:
                        return
                    if len(up) == _CHUNK:
                        while tls.pending():
                            up += tls.recv(tls.pending())
                    read_needs_write = False
                except ssl.SSLWantReadError:
                    read_needs_write = False
                except ssl.SSLWantWriteError:
                    read_needs_write = True
            if up:
                with contextlib.suppress(BlockingIOError):
                    up = up[plain.send(up):]
            if plain_ready and not down:
                try:
                    down = plain.recv(_CHUNK)
                    if not down:
                        return
                except BlockingIOError:
                    pass
            if down and (tls_ready or not write_waits):
                try:
                    down = down[tls.send(down):]
                    write_waits = write_needs_read = False
                except ssl.SSLWantWriteError:
                    write_waits, write_needs_read = True, False
                except ssl.SSLWantReadError:
                    write_waits = write_needs_read = True
            # wait for whatever lets one of the steps above progress
            tls_events = 0
            if (not up and not read_needs_write) or write_needs_read:
                tls_events |= selectors.EVENT_READ
            if (write_waits and not write_needs_read) or read_needs_write:
                tls_events |= selectors.EVENT_WRITE
            plain_events = (selectors.EVENT_WRITE if up else 0) | (0 if down else selectors.EVENT_READ)
            _watch(selector, tls, tls_events)
            _watch(selector, plain, plain_events)
            tls_ready = plain_ready = False
            for key, _ in selector.select():
                if key.fileobj is stop:
                    return
                if key.fileobj is tls:
                    tls_ready = True  # a waiting read or write is retried on either event, as each may need either
                else:
                    plain_ready = True
    finally:
        selector.close()


def _watch(selector: selectors.BaseSelector, sock: socket.socket, events: int) -> None:
    """Register, modify or unregister ``sock`` in ``selector`` for ``events`` (0: not watched)."""
    try:
        current = selector.get_key(sock).events
    except KeyError:
        current = 0
    if events == current:
        return
    if not events:
        selector.unregister(sock)
    elif not current:
        selector.register(sock, events)
    else:
        selector.modify(sock, events)


def private_socket_path() -> str:
    """A path for the plain-text server's Unix socket, in a fresh directory only this user can enter."""
    directory = tempfile.mkdtemp(prefix="ecsreboot-tf-")
    os.chmod(directory, 0o700)
    return os.path.join(directory, "provider.sock")
