"""The HTTP layer on loopback with a raw client: routing, keep-alive, limits, start/stop."""

from __future__ import annotations

import http.client
import json
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Iterator

import pytest

from ecsreboot.core import signing
from ecsreboot.core.clock import rfc3339
from ecsreboot.core.credentials import Credentials
from ecsreboot.emulator import ThreadedEmulator


@pytest.fixture
def emu() -> Iterator[ThreadedEmulator]:
    with ThreadedEmulator(instances=2) as emulator:
        yield emulator


def connect(emu: ThreadedEmulator) -> http.client.HTTPConnection:
    return http.client.HTTPConnection("127.0.0.1", emu.port, timeout=5)


def test_unsigned_request_gets_an_xml_error_by_default(emu: ThreadedEmulator) -> None:
    conn = connect(emu)
    conn.request("GET", "/?Action=DescribeInstances&RegionId=cn-hangzhou")
    resp = conn.getresponse()
    root = ET.fromstring(resp.read())
    assert resp.status == 400 and root.tag == "Error"
    assert root.findtext("Code") == "MissingParameter"
    assert resp.getheader("x-acs-request-id") == root.findtext("RequestId")


def test_keep_alive_serves_several_requests_on_one_connection(emu: ThreadedEmulator) -> None:
    conn = connect(emu)
    for _ in range(3):
        conn.request("GET", "/_emulator/reboots")
        resp = conn.getresponse()
        assert json.loads(resp.read()) == dict.fromkeys(emu.instance_ids(), 0)
    conn.close()


def test_oversized_or_bad_bodies_are_refused(emu: ThreadedEmulator) -> None:
    conn = connect(emu)
    conn.putrequest("POST", "/")
    conn.putheader("Content-Length", str(10 << 20))
    conn.endheaders()
    assert conn.getresponse().status == 413
    conn = connect(emu)
    conn.putrequest("POST", "/")
    conn.putheader("Content-Length", "many")
    conn.endheaders()
    assert conn.getresponse().status == 400


def signed_query(emu: ThreadedEmulator) -> str:
    params = signing.sign_v1(
        "GET", {"RegionId": "cn-hangzhou"}, Credentials("emulator-key", "emulator-secret"),
        action="DescribeInstanceStatus", version="2014-05-26", timestamp=rfc3339(emu.clock.utcnow()),
        nonce=uuid.uuid4().hex,
    )
    return signing.canonicalized_query(params)


def test_dropped_connection_gets_no_answer_and_faults_skip_unsigned_requests(emu: ThreadedEmulator) -> None:
    emu.faults.drop_before()
    conn = connect(emu)
    conn.request("GET", "/?Action=DescribeInstances")
    assert conn.getresponse().status == 400  # unsigned: refused before any fault applies
    conn = connect(emu)
    conn.request("GET", "/?" + signed_query(emu))
    with pytest.raises(http.client.RemoteDisconnected):
        conn.getresponse()
    conn = connect(emu)
    conn.request("GET", "/?" + signed_query(emu))
    assert conn.getresponse().status == 200


def test_non_loopback_addresses_are_refused() -> None:
    with pytest.raises(ValueError, match="loopback"):
        ThreadedEmulator(host="0.0.0.0")
    assert ThreadedEmulator(host="::1", allow_remote=False).host == "::1"


def test_url_endpoint_and_not_started() -> None:
    emulator = ThreadedEmulator()
    with pytest.raises(RuntimeError):
        _ = emulator.port
    with emulator:
        assert emulator.url == f"http://127.0.0.1:{emulator.port}"
        assert emulator.endpoint == f"127.0.0.1:{emulator.port}"
