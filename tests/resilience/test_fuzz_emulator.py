"""Protocol fuzzing of the emulator's request handling: no crash, no hang, always an API-shaped answer.

Two levels. In-process, many examples: ``parse_request`` + ``EmulatorService.handle`` on arbitrary
methods, targets (bad percent-encodings, absolute URLs, junk), headers (junk ``Authorization``,
duplicates) and bodies -- unsigned, and correctly signed (V1 and V3) so the fuzz reaches parameter
decoding with junk, huge and duplicate parameters. Over a socket, fewer examples: raw HTTP/1.1
requests with arbitrary bytes (invalid UTF-8 included) to a running ThreadedEmulator.

The property: every request gets an HTTP answer whose body is a JSON or XML error (or success)
document carrying a ``RequestId``; no connection is dropped (no drop fault is set); no 500 comes from
an exception inside the emulator (``Emulator error``); and the emulator still serves afterwards.
Hypothesis runs derandomized (``derandomize=True``), so CI sees the same examples every time.
"""

from __future__ import annotations

import datetime as _dt
import json
import re
import socket
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ecsreboot.core import signing
from ecsreboot.core.clock import FakeClock, rfc3339
from ecsreboot.core.credentials import Credentials
from ecsreboot.emulator import Ecs, EmulatorService, FaultPlan, Outcome, ThreadedEmulator, Verifier, parse_request
from ecsreboot.emulator.admin import PREFIX
from tests.inprocess import status_of

FUZZ = settings(derandomize=True, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
KEY, SECRET = "emulator-key", "emulator-secret"
NOW = _dt.datetime(2026, 1, 1, tzinfo=_dt.UTC)
ACTIONS = ("RebootInstances", "RebootInstance", "DescribeInstances", "DescribeInstanceStatus", "StopInstances", "")
PARAM_NAMES = ("Action", "Version", "Format", "RegionId", "InstanceId.1", "InstanceId.2", "InstanceId.100",
               "InstanceId.101", "InstanceId.0", "InstanceId.x", "InstanceId", "InstanceIds", "PageSize",
               "PageNumber", "MaxResults", "NextToken", "BatchOptimization", "DryRun", "ForceReboot", "ForceStop",
               "Status", "AccessKeyId", "Signature", "SignatureMethod", "SignatureVersion", "SignatureNonce",
               "Timestamp", "SecurityToken")

text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)
junk_values = st.one_of(
    text,
    st.integers(-(10 ** 30), 10 ** 30).map(str),
    st.sampled_from(["", "true", "False", "TRUE", "1", "-1", "0", "NaN", "1e309", "9" * 5000, "[]", '["i-a"]',
                     '["i-a", 1]', "{}", "null", '"x"', "i-" + "a" * 30, "%", "%zz", "\x00", "JSON", "XML", "xml",
                     "AllTogether", "SuccessFirst", "Running", "cn-hangzhou", "ZWNzcmVib290LWVtdWxhdG9yOjU"]),
)
params = st.dictionaries(st.one_of(st.sampled_from(PARAM_NAMES), text), junk_values, max_size=8)


def service() -> EmulatorService:
    clock = FakeClock(wall=NOW)
    return EmulatorService(Ecs(clock, {"Stopping": 1.0, "Starting": 1.0}), Verifier({KEY: SECRET}, (), clock),
                           FaultPlan(), clock, instances=3, sleep=lambda _: None)


def request_id_of(body: bytes) -> str | None:
    """The RequestId of a JSON or XML answer; None when the body is neither, or has none."""
    try:
        doc = json.loads(body)
    except ValueError:
        doc = None
    if isinstance(doc, dict):
        return str(doc.get("RequestId") or "") or None
    try:
        root = ET.fromstring(body)
    except ET.ParseError:
        return None
    found = root.find("RequestId")
    return found.text if found is not None and found.text else None


def assert_answered(outcome: Outcome) -> None:
    assert not outcome.drop
    assert 200 <= outcome.status < 600
    assert request_id_of(outcome.body), outcome.body[:300]
    assert b"Emulator error" not in outcome.body, outcome.body[:500]


# --- in-process: parse_request + service ----------------------------------------------------------------

targets = st.one_of(
    st.builds(lambda p, q: "/" + p + ("?" + q if q else ""), text, text),
    st.builds(lambda q: "/?" + "&".join(f"{k}={v}" for k, v in q), st.lists(st.tuples(text, text), max_size=6)),
    st.sampled_from(["//[", "http://[::1", "http://h/?Action=DescribeInstances", "/?%", "/?a=%zz&b=%ff%fe",
                     "*", "", "?", "/?&&&==&", "/?Action=RebootInstances&InstanceId.1=i-a&InstanceId.1=i-b",
                     "/?" + "InstanceId.1=i-a&" * 3000]),
)
header_names = st.sampled_from(["authorization", "content-type", "host", "x-acs-action", "x-acs-date",
                                "x-acs-signature-nonce", "x-acs-content-sha256", "x-acs-security-token",
                                "x-acs-version", "Authorization", "Content-Type"])
authorizations = st.one_of(
    text,
    st.builds(lambda c, h, s: f"ACS3-HMAC-SHA256 Credential={c},SignedHeaders={h},Signature={s}", text, text, text),
    st.sampled_from(["ACS3-HMAC-SHA256 ", "ACS3-HMAC-SHA256 Credential=emulator-key",
                     "ACS3-HMAC-SHA256 Credential=emulator-key,SignedHeaders=host;x-acs-date,Signature=00",
                     "ACS3-HMAC-SHA256 Credential=,SignedHeaders=,Signature=", "Bearer x"]),
)
headers = st.lists(st.tuples(header_names, st.one_of(authorizations, text,
                                                     st.just("application/x-www-form-urlencoded"))), max_size=6)
bodies = st.one_of(st.binary(max_size=200), params.map(lambda p: "&".join(f"{k}={v}" for k, v in p.items()).encode()))
methods = st.one_of(st.sampled_from(["GET", "POST", "DELETE", "PUT", "HEAD", "PATCH", "OPTIONS", "post"]),
                    st.text(st.characters(min_codepoint=33, max_codepoint=126), min_size=1, max_size=8))


@settings(FUZZ, max_examples=400)
@given(method=methods, target=targets, hdrs=headers, body=bodies)
def test_unsigned_junk_is_answered_with_an_api_error(method: str, target: str, hdrs: list[tuple[str, str]],
                                                     body: bytes) -> None:
    outcome = service().handle(parse_request(method, target, hdrs, body))
    assert_answered(outcome)
    assert outcome.status >= 400


def signed(method: str, action: str, query: dict[str, str], version: str, form: dict[str, str]) -> Any:
    """A correctly signed request carrying arbitrary parameters (query and, for V3, a form body)."""
    creds = Credentials(KEY, SECRET)
    nonce = uuid.uuid4().hex
    if version == "v1":
        full = signing.sign_v1(method, {**query, **form}, creds, action=action, version="2014-05-26",
                               timestamp=rfc3339(NOW), nonce=nonce)
        return parse_request(method, "/?" + signing.canonicalized_query(full), [("Host", "h")], b"")
    body = "&".join(f"{signing.percent_encode(k)}={signing.percent_encode(v)}" for k, v in form.items()).encode()
    extra = {"content-type": "application/x-www-form-urlencoded"} if form else {}
    hdrs = signing.sign_v3(method, "h", query, body, creds, action=action, version="2014-05-26",
                           date=rfc3339(NOW), nonce=nonce, extra_headers=extra)
    target = "/?" + signing.canonicalized_query(query) if query else "/"
    return parse_request(method, target, list(hdrs.items()), body)


@settings(FUZZ, max_examples=500)
@given(method=st.sampled_from(["GET", "POST"]), action=st.sampled_from(ACTIONS), query=params,
       version=st.sampled_from(["v1", "v3"]), form=params)
def test_signed_requests_with_junk_parameters_are_answered_without_an_emulator_error(
        method: str, action: str, query: dict[str, str], version: str, form: dict[str, str]) -> None:
    # Action and the signature parameters come from the signer; what the fuzz adds must not override them
    reserved = {"Action", "AccessKeyId", "Signature", "SignatureMethod", "SignatureVersion", "SignatureNonce",
                "Timestamp", "SecurityToken", "Version", "Format"}
    query = {k: v for k, v in query.items() if k not in reserved}
    form = {k: v for k, v in form.items() if k not in reserved and k not in query}
    svc = service()
    outcome = svc.handle(signed(method, action, query, version, form))
    assert_answered(outcome)
    code = svc.requests()[-1]["code"]
    assert code not in ("SignatureDoesNotMatch", "IncompleteSignature", "MissingParameter.Signature"), (
        "the fuzz must get past the signature check", code)


# --- over a socket: raw HTTP/1.1 -----------------------------------------------------------------------

TOKEN = st.text(st.sampled_from("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"),
                min_size=1, max_size=20)
raw_bytes = st.binary(max_size=120).map(lambda b: bytes(c for c in b if c not in b" \r\n"))
raw_targets = st.one_of(
    st.builds(lambda p, q: b"/" + p + (b"?" + q if q else b""), raw_bytes, raw_bytes),
    targets.map(lambda t: t.encode("utf-8").replace(b" ", b"%20").replace(b"\r", b"").replace(b"\n", b"")),
    st.sampled_from([b"/" + b"a" * 70_000, b"http://[::1/", b"//[", b"/?" + b"Action=DescribeInstances&" * 200]),
).filter(lambda t: not t.lstrip(b"/").startswith(PREFIX.lstrip("/").encode()))
raw_headers = st.lists(st.tuples(
    TOKEN.filter(lambda n: n.lower() not in ("content-length", "connection", "expect", "transfer-encoding")),
    st.binary(max_size=80).map(lambda b: b.replace(b"\r", b"").replace(b"\n", b"").strip())), max_size=8)


@pytest.fixture(scope="module")
def shared_emulator() -> Iterator[ThreadedEmulator]:
    with ThreadedEmulator(instances=3) as emu:
        yield emu


def exchange(port: int, request: bytes) -> bytes:
    """Send one request on a fresh connection and read the answer to the end (the server closes)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(request)
        chunks = []
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)


@settings(FUZZ, max_examples=120)
@given(method=st.one_of(st.sampled_from([b"GET", b"POST", b"DELETE", b"PUT", b"PATCH", b"OPTIONS"]),
                        TOKEN.map(str.encode)),
       target=raw_targets, hdrs=raw_headers, body=st.binary(max_size=300),
       version=st.sampled_from([b"HTTP/1.1", b"HTTP/1.0", b"HTTP/2.0", b"HTTP/1.x"]))
def test_raw_http_requests_always_get_an_api_shaped_answer(
        shared_emulator: ThreadedEmulator, method: bytes, target: bytes, hdrs: list[tuple[str, bytes]],
        body: bytes, version: bytes) -> None:
    lines = [method + b" " + target + b" " + version, b"Connection: close", b"Content-Length: %d" % len(body)]
    lines += [name.encode() + b": " + value for name, value in hdrs]
    answer = exchange(shared_emulator.port, b"\r\n".join(lines) + b"\r\n\r\n" + body)
    assert answer, "the connection was dropped without an answer"
    head, _, payload = answer.partition(b"\r\n\r\n")
    status_line = head.split(b"\r\n", 1)[0]
    assert re.fullmatch(rb"HTTP/1\.[01] [1-5]\d\d .*", status_line), status_line
    assert request_id_of(payload), (status_line, payload[:300])
    assert b"Emulator error" not in payload, payload[:500]


def test_the_emulator_still_serves_after_the_fuzz(shared_emulator: ThreadedEmulator) -> None:
    from ecsreboot.ecs import ClientConfig, EcsClient, StaticCredentialsProvider

    client = EcsClient(ClientConfig("cn-hangzhou", endpoint=shared_emulator.url),
                       StaticCredentialsProvider(Credentials(KEY, SECRET)))
    try:
        assert set(status_of(client, "cn-hangzhou", shared_emulator.instance_ids()).values()) == {"Running"}
    finally:
        client.close()


def test_a_fuzz_request_can_be_dropped_only_by_a_drop_fault() -> None:
    """The control: with a drop fault the connection does close without an answer."""
    with ThreadedEmulator(instances=1) as emu:
        emu.faults.drop_before(None, count=1)

        def request() -> bytes:
            query = signing.sign_v1("GET", {"RegionId": "cn-hangzhou"}, Credentials(KEY, SECRET),
                                    action="DescribeInstances", version="2014-05-26",
                                    timestamp=rfc3339(emu.clock.utcnow()), nonce=uuid.uuid4().hex)
            return (b"GET /?" + signing.canonicalized_query(query).encode() +
                    b" HTTP/1.1\r\nConnection: close\r\nContent-Length: 0\r\n\r\n")

        assert exchange(emu.port, request()) == b""
        assert exchange(emu.port, request()).startswith(b"HTTP/1.1 200")
