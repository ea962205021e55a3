"""The plugin process as go-plugin's client meets it: the magic cookie, the handshake line, mutual TLS with the CLI's
ECDSA P-521 certificate (made here as go-plugin makes it), the health and controller services, SIGINT ignored."""

from __future__ import annotations

import base64
import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import grpc
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from ecsreboot.terraform.protocol import health, plugin, tf
from ecsreboot.terraform.server import MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE

PROVIDER = [sys.executable, "-m", "ecsreboot.terraform"]


def client_certificate() -> tuple[bytes, bytes]:
    """(certificate PEM, key PEM) shaped as go-plugin's AutoMTLS makes the CLI's: self-signed CA, P-521, SHA-512."""
    key = ec.generate_private_key(ec.SECP521R1())
    name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "HashiCorp"),
                      x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.now(UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(seconds=30))
            .not_valid_after(now + timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH, ExtendedKeyUsageOID.SERVER_AUTH]),
                           critical=False)
            .sign(key, hashes.SHA512()))
    return (cert.public_bytes(serialization.Encoding.PEM),
            key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                              serialization.NoEncryption()))


def environment(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PLUGIN_", "TF_", "ALIBABA_CLOUD_", "ALICLOUD_"))}
    return {**env, "HOME": str(tmp_path), MAGIC_COOKIE_KEY: MAGIC_COOKIE_VALUE, "PLUGIN_PROTOCOL_VERSIONS": "5,6",
            **extra}


class Started:
    def __init__(self, proc: subprocess.Popen[str], line: str, key: bytes, cert: bytes) -> None:
        self.proc, self.line, self.key, self.cert = proc, line, key, cert
        self.parts = line.split("|")

    @property
    def server_pem(self) -> bytes:
        der = base64.b64decode(self.parts[5] + "=" * (-len(self.parts[5]) % 4))
        return x509.load_der_x509_certificate(der).public_bytes(serialization.Encoding.PEM)

    def channel(self, key: bytes | None = None, cert: bytes | None = None) -> grpc.Channel:
        credentials = grpc.ssl_channel_credentials(root_certificates=self.server_pem, private_key=key or self.key,
                                                   certificate_chain=cert or self.cert)
        return grpc.secure_channel(self.parts[3], credentials, options=[("grpc.ssl_target_name_override",
                                                                          "localhost")])


def call(channel: grpc.Channel, method: str, request: object, response: type) -> object:
    stub = channel.unary_unary(method, request_serializer=lambda r: r.SerializeToString(),
                               response_deserializer=response.FromString)
    return stub(request, timeout=10)


@pytest.fixture
def started(tmp_path: Path) -> Iterator[Started]:
    cert, key = client_certificate()
    proc = subprocess.Popen(PROVIDER, env=environment(tmp_path, PLUGIN_CLIENT_CERT=cert.decode()),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        yield Started(proc, proc.stdout.readline().strip(), key, cert)
    finally:
        if proc.poll() is None:
            proc.terminate()  # SIGTERM: the provider stops and removes its socket's directory
        try:
            proc.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate(timeout=10)


def test_without_the_magic_cookie_it_says_what_it_is_and_exits(tmp_path: Path) -> None:
    env = environment(tmp_path)
    env.pop(MAGIC_COOKIE_KEY)
    done = subprocess.run(PROVIDER, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1 and done.stdout == ""
    assert "plugin: OpenTofu or Terraform start it" in done.stderr and "required_providers" in done.stderr


def test_a_cli_that_offers_only_protocol_5_is_told_why(tmp_path: Path) -> None:
    done = subprocess.run(PROVIDER, env=environment(tmp_path, PLUGIN_PROTOCOL_VERSIONS="5"), capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 1 and done.stdout == ""
    assert "speaks plugin protocol 6, the CLI offers 5" in done.stderr


def test_the_handshake_line_and_mutual_tls(started: Started) -> None:
    parts = started.parts
    assert parts[:3] == ["1", "6", "tcp"] and parts[4] == "grpc" and len(parts) == 6
    assert parts[3].startswith("127.0.0.1:") and not parts[5].endswith("=")  # unpadded base64 (RawStdEncoding)
    server = x509.load_pem_x509_certificate(started.server_pem)
    assert server.extensions.get_extension_for_class(x509.SubjectAlternativeName).value.get_values_for_type(
        x509.DNSName) == ["localhost"]
    with started.channel() as channel:
        answer = call(channel, "/grpc.health.v1.Health/Check", health.HealthCheckRequest(service="plugin"),
                      health.HealthCheckResponse)
        assert answer.status == health.HealthCheckResponse.SERVING  # type: ignore[attr-defined]
        schema = call(channel, "/tfplugin6.Provider/GetProviderSchema", tf.GetProviderSchema.Request(),
                      tf.GetProviderSchema.Response)
        assert "ecsreboot_reboot_trigger" in schema.resource_schemas  # type: ignore[attr-defined]


def test_a_client_without_the_clis_certificate_is_refused(started: Started) -> None:
    other_cert, other_key = client_certificate()
    with started.channel(other_key, other_cert) as channel, pytest.raises(grpc.RpcError) as refused:
        call(channel, "/grpc.health.v1.Health/Check", health.HealthCheckRequest(service="plugin"),
             health.HealthCheckResponse)
    assert refused.value.code() == grpc.StatusCode.UNAVAILABLE  # type: ignore[attr-defined]


def test_sigint_is_left_to_the_cli_and_shutdown_ends_the_process(started: Started) -> None:
    started.proc.send_signal(signal.SIGINT)  # a terminal's Ctrl-C reaches the provider too: the CLI decides
    with started.channel() as channel:
        call(channel, "/grpc.health.v1.Health/Check", health.HealthCheckRequest(), health.HealthCheckResponse)
        call(channel, "/plugin.GRPCController/Shutdown", plugin.Empty(), plugin.Empty)
    assert started.proc.wait(timeout=10) == 0
    _, err = started.proc.communicate(timeout=10)
    assert err.strip(), "nothing was logged"
    lines = [json.loads(line) for line in err.splitlines()]
    assert lines and all({"@level", "@message", "@timestamp"} <= set(line) for line in lines)
