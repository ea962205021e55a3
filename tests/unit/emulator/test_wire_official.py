"""Property tests: the emulator's verifier accepts whatever Alibaba's own signer functions produce."""

from __future__ import annotations

import hashlib
import uuid
from types import SimpleNamespace
from urllib.parse import urlencode

from alibabacloud_openapi_util.client import Client as OpenApiUtil
from hypothesis import given, settings
from hypothesis import strategies as st

from ecsreboot.core.clock import FakeClock
from ecsreboot.emulator import Verifier, parse_request

from .signed import AK, NOW, SECRET, query_string

TEXT = st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\x00"), max_size=16)
V1_NAMES = st.text(st.sampled_from(" *~+/=&%中-_.aZ9"), min_size=1, max_size=10).map(lambda s: "P" + s)
V3_NAMES = st.text(st.sampled_from("aZ09-_.~"), min_size=1, max_size=10)


def verifier() -> Verifier:
    return Verifier({AK: SECRET}, [("STS.k", "sts-s", "tok en+/*~")], FakeClock(wall=NOW))


@settings(max_examples=150, deadline=None)
@given(params=st.dictionaries(V1_NAMES, TEXT, max_size=6), method=st.sampled_from(["GET", "POST"]),
       in_body=st.booleans(), sts=st.booleans())
def test_v1_from_the_official_signer_is_accepted(
    params: dict[str, str], method: str, in_body: bool, sts: bool
) -> None:
    ak, secret = ("STS.k", "sts-s") if sts else (AK, SECRET)
    full = {**params, "Action": "DescribeInstances", "Format": "json", "Version": "2014-05-26",
            "Timestamp": "2026-01-01T00:00:00Z", "SignatureNonce": uuid.uuid4().hex, "SignatureMethod": "HMAC-SHA1",
            "SignatureVersion": "1.0", "AccessKeyId": ak, "SignatureType": ""}
    if sts:
        full["SecurityToken"] = "tok en+/*~"
    full["Signature"] = OpenApiUtil.get_rpcsignature(dict(full), method, secret)
    if in_body:  # form encoding, "+" for spaces, as urlencode and the SDKs' form bodies do
        req = parse_request(method, "/", [("Content-Type", "application/x-www-form-urlencoded")],
                            urlencode(full).encode())
    else:
        req = parse_request(method, "/?" + query_string(full), [], b"")
    assert verifier().verify(req).access_key_id == ak


@settings(max_examples=150, deadline=None)
@given(query=st.dictionaries(V3_NAMES, TEXT, max_size=6), body=st.binary(max_size=40), sts=st.booleans())
def test_v3_from_the_official_signer_is_accepted(query: dict[str, str], body: bytes, sts: bool) -> None:
    ak, secret = ("STS.k", "sts-s") if sts else (AK, SECRET)
    headers = {
        "host": "127.0.0.1:8080", "x-acs-action": "DescribeInstances", "x-acs-version": "2014-05-26",
        "x-acs-date": "2026-01-01T00:10:00Z", "x-acs-signature-nonce": uuid.uuid4().hex,
        "x-acs-content-sha256": hashlib.sha256(body).hexdigest(), "accept": "application/json",
        "user-agent": "AlibabaCloud (test) TeaDSL/2",
    }
    if sts:
        headers["x-acs-security-token"] = "tok en+/*~"
    request = SimpleNamespace(method="POST", pathname="/", query=dict(query), headers=dict(headers))
    headers["Authorization"] = OpenApiUtil.get_authorization(
        request, "ACS3-HMAC-SHA256", headers["x-acs-content-sha256"], ak, secret)
    target = "/?" + query_string(query) if query else "/"
    req = parse_request("POST", target, list(headers.items()), body)
    ident = verifier().verify(req)
    assert (ident.access_key_id, ident.version) == (ak, "v3")
