"""``terraform-provider-ecsreboot``: the plugin process OpenTofu and Terraform start, and go-plugin's handshake.

The CLI runs the executable with ``TF_PLUGIN_MAGIC_COOKIE`` (without it, this says what it is and exits),
``PLUGIN_PROTOCOL_VERSIONS`` (this serves 6) and, with AutoMTLS (the default), ``PLUGIN_CLIENT_CERT``: the CLI's
own certificate. The provider then serves gRPC on 127.0.0.1 with mutual TLS (terraform/mtls.py) — a fresh
self-signed certificate for ``localhost`` (ECDSA P-256, valid for a day), the client's certificate required and
verified against exactly the one the CLI passed — and prints one line on stdout::

    1|6|tcp|127.0.0.1:PORT|grpc|<its certificate: unpadded standard base64 of the DER bytes>

Beside ``tfplugin6.Provider`` it serves the health service (``plugin`` is SERVING) and go-plugin's controller,
whose ``Shutdown`` ends the process. SIGINT is ignored, as go-plugin's own servers do: Ctrl-C reaches the whole
process group, and the CLI answers it with StopProvider, after which the running rounds still report (and the
CLI records) what they did. Logs are hclog JSON lines on stderr (terraform/logs.py).
"""

from __future__ import annotations

import base64
import os
import shutil
import signal
import sys
import threading
from collections.abc import Mapping
from concurrent import futures
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TextIO

import grpc

from .. import __version__
from ..assembly.lazy import LazyBackend
from . import protocol
from .mtls import TlsFront, private_socket_path, server_context
from .protocol import health, plugin
from .provider import TerraformProvider

MAGIC_COOKIE_KEY = "TF_PLUGIN_MAGIC_COOKIE"
MAGIC_COOKIE_VALUE = "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2"
CORE_PROTOCOL = 1
APP_PROTOCOL = 6
_MAX_MESSAGE = 256 * 1024 * 1024

NOT_A_PROGRAM = f"""\
This is terraform-provider-ecsreboot {__version__}, the ecsreboot provider for OpenTofu and Terraform
(resource ecsreboot_reboot_trigger). It is a plugin: OpenTofu or Terraform start it themselves.

Install it where `tofu init` finds it (a filesystem mirror or dev_overrides in your CLI configuration), then
use it from a configuration:

  terraform {{
    required_providers {{
      ecsreboot = {{ source = "ecsreboot/ecsreboot" }}
    }}
  }}

See docs/terraform/index.md. To reboot instances from a shell instead, use `ecsreboot reboot`.
"""


class Handshake(Exception):
    """The CLI asked for something this provider cannot do; the message says what (shown by the CLI)."""


def protocol_version(environ: Mapping[str, str]) -> int:
    """The app protocol to speak: 6, if the CLI offers it (an absent list means any)."""
    offered = [v.strip() for v in environ.get("PLUGIN_PROTOCOL_VERSIONS", "").split(",") if v.strip()]
    if offered and str(APP_PROTOCOL) not in offered:
        raise Handshake(f"this provider speaks plugin protocol {APP_PROTOCOL}, the CLI offers {', '.join(offered)}: "
                        "use OpenTofu or Terraform 1.0 or later")
    return APP_PROTOCOL


def server_certificate(now: datetime | None = None) -> tuple[bytes, bytes, bytes]:
    """(certificate PEM, private key PEM, certificate DER) of a fresh self-signed certificate for ``localhost``.

    Shaped as go-plugin's own (a CA certificate for server and client authentication, DNS name ``localhost``), so
    the CLI's Go TLS stack accepts it as the one root it trusts.
    """
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = now or datetime.now(UTC)
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "ecsreboot"),
                      x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    certificate = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(seconds=30)).not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, key_encipherment=True, key_cert_sign=True,
                                     content_commitment=False, data_encipherment=False, key_agreement=False,
                                     crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]),
                       critical=False)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    return (certificate.public_bytes(serialization.Encoding.PEM), key_pem,
            certificate.public_bytes(serialization.Encoding.DER))


class Health:
    """grpc.health.v1.Health: the plugin is SERVING (go-plugin's client pings service ``plugin``)."""

    def Check(self, request: Any, context: grpc.ServicerContext) -> Any:
        return health.HealthCheckResponse(status=health.HealthCheckResponse.SERVING)


class Controller:
    """plugin.GRPCController: ``Shutdown`` (the CLI is done with the provider) ends the process."""

    def __init__(self, stop: threading.Event) -> None:
        self._stop = stop

    def Shutdown(self, request: Any, context: grpc.ServicerContext) -> Any:
        self._stop.set()
        return plugin.Empty()


def serve(provider: TerraformProvider, stop: threading.Event, environ: Mapping[str, str],
          out: TextIO | None = None) -> Served:
    """Serve on 127.0.0.1 at a free port (with mutual TLS when the CLI passed its certificate) and print the
    handshake line."""
    version = protocol_version(environ)
    # a Plan or Apply holds its thread for a whole round (minutes): other resources' calls must not queue behind it
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=64, thread_name_prefix="ecsreboot-tf"),
        options=[("grpc.max_receive_message_length", _MAX_MESSAGE), ("grpc.max_send_message_length", _MAX_MESSAGE)],
    )
    protocol.serve(server, protocol.PROVIDER_SERVICE, provider)
    protocol.serve(server, protocol.CONTROLLER_SERVICE, Controller(stop))
    protocol.serve(server, protocol.HEALTH_SERVICE, Health())
    client_certificate = environ.get("PLUGIN_CLIENT_CERT", "")
    front: TlsFront | None = None
    if client_certificate:
        # grpcio cannot verify the CLI's P-521 certificate under TLS 1.3 (terraform/mtls.py): the gRPC server is
        # reached only through a private Unix socket, behind a TLS front that can
        cert_pem, key_pem, der = server_certificate()
        socket_path = private_socket_path()
        server.add_insecure_port(f"unix:{socket_path}")
        front = TlsFront(server_context(cert_pem, key_pem, client_certificate), socket_path)
        tail = "|" + base64.b64encode(der).decode().rstrip("=")
    else:  # the CLI runs without AutoMTLS (TF_DISABLE_PLUGIN_TLS): it passes no certificate and expects none
        port = server.add_insecure_port("127.0.0.1:0")
        tail = ""
    server.start()
    if front is not None:
        port = front.start()
    stream = out or sys.stdout
    stream.write(f"{CORE_PROTOCOL}|{version}|tcp|127.0.0.1:{port}|grpc{tail}\n")
    stream.flush()
    return Served(server, front, socket_path if front is not None else None)


@dataclass
class Served:
    """What ``serve`` started; ``stop`` ends it (and removes the private socket's directory)."""

    server: grpc.Server
    front: TlsFront | None
    socket_path: str | None

    def stop(self, grace: float = 1.0) -> None:
        self.server.stop(grace=grace).wait()  # first: the answer to Shutdown still leaves through the front
        if self.front is not None:
            self.front.close()
        if self.socket_path:
            shutil.rmtree(os.path.dirname(self.socket_path), ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    environ = os.environ
    if environ.get(MAGIC_COOKIE_KEY) != MAGIC_COOKIE_VALUE:
        sys.stderr.write(NOT_A_PROGRAM)
        return 1
    provider = TerraformProvider(LazyBackend, environ=environ)
    stop = threading.Event()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the CLI answers Ctrl-C with StopProvider

    def on_term(signum: int, frame: object) -> None:
        provider.cancel.set()
        stop.set()

    signal.signal(signal.SIGTERM, on_term)
    try:
        served = serve(provider, stop, environ)
    except Handshake as exc:
        provider.log.error(str(exc))
        sys.stderr.write(f"{exc}\n")
        return 1
    provider.log.info(f"terraform-provider-ecsreboot {__version__} serving plugin protocol {APP_PROTOCOL}")
    stop.wait()
    provider.cancel.set()
    served.stop()
    # The CLI waits for this process to end after Shutdown (go-plugin: up to 2 s, then it kills it), once per
    # provider process and three times in a plan. Everything is answered and closed by now, so end at once, without
    # the interpreter's teardown (joining the gRPC thread pool, finalizing every module), which took longer than
    # everything above.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)
