"""go-plugin's AutoMTLS, terminated in front of the gRPC server with the standard library's TLS.

The CLI's certificate (``PLUGIN_CLIENT_CERT``) is ECDSA P-521, and under TLS 1.3 a P-521 key signs only with
``ecdsa_secp521r1_sha512``, which the TLS library inside grpcio (BoringSSL) leaves out of the signature algorithms
a server accepts (grpc/grpc#41089): a grpcio server with mutual TLS fails every handshake with the CLI. So the gRPC
server listens in plain text on a Unix socket in a private directory, and this front accepts the CLI's
connections on 127.0.0.1 with Python's ``ssl`` (OpenSSL: P-521 is fine), requires the client's certificate and
verifies it against exactly the one the CLI passed, negotiates ALPN ``h2`` (gRPC-Go insists on it), and relays the
bytes both ways. The server's key lives only in memory and, for the instant ``ssl`` needs a file to load it, in a
file in a directory only this user can read, removed at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
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
    socket path). Runs its own event loop on a daemon thread; ``close`` stops it."""

    def __init__(self, context: ssl.SSLContext, backend: str) -> None:
        self._context = context
        self._backend = backend
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._server: asyncio.AbstractServer | None = None
        self.port = 0
        self._thread = threading.Thread(target=self._run, name="ecsreboot-tls", daemon=True)
        self._error: BaseException | None = None

    def start(self) -> int:
        """Listen; returns the port."""
        self._thread.start()
        self._ready.wait(30)
        if self._error is not None:
            raise self._error
        return self.port

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            self._server = self._loop.run_until_complete(asyncio.start_server(
                self._relay, "127.0.0.1", 0, ssl=self._context, ssl_handshake_timeout=HANDSHAKE_SECONDS,
                family=socket.AF_INET))
            self.port = self._server.sockets[0].getsockname()[1]
        except BaseException as exc:  # surfaced by start()
            self._error = exc
            self._ready.set()
            return
        self._ready.set()
        self._loop.run_forever()

    async def _relay(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        try:
            backend_reader, backend_writer = await asyncio.open_unix_connection(self._backend)
            await asyncio.gather(_copy(client_reader, backend_writer), _copy(backend_reader, client_writer))
        except (OSError, asyncio.CancelledError):
            # the end of a relay is the end of its connection, also when close() cancels it: the task ends as
            # done, not cancelled (the stream's own callback would report a cancelled task as an error)
            with contextlib.suppress(Exception):
                client_writer.close()

    def close(self) -> None:
        """Stop listening, end the open relays, stop the loop."""
        if not self._thread.is_alive():
            return
        with contextlib.suppress(Exception):
            asyncio.run_coroutine_threadsafe(self._shutdown(), self._loop).result(timeout=5)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)
        if not self._thread.is_alive():
            self._loop.close()

    async def _shutdown(self) -> None:
        if self._server is not None:
            self._server.close()
        current = asyncio.current_task()
        tasks = [task for task in asyncio.all_tasks() if task is not current]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def _copy(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(_CHUNK):
            writer.write(data)
            await writer.drain()
    except (OSError, ssl.SSLError, asyncio.IncompleteReadError):
        pass
    finally:
        with contextlib.suppress(Exception):
            writer.close()


def private_socket_path() -> str:
    """A path for the plain-text server's Unix socket, in a fresh directory only this user can enter."""
    directory = tempfile.mkdtemp(prefix="ecsreboot-tf-")
    os.chmod(directory, 0o700)
    return os.path.join(directory, "provider.sock")
