"""Property tests: ``ecsreboot.core.signing`` agrees with Alibaba's own signer functions.

Official implementations compared (installed as dev dependencies, used unchanged):
V1 -- ``alibabacloud_openapi_util.client.Client.get_rpcsignature``, ``alibabacloud_tea_openapi.utils.Utils
.get_rpcsignature`` and the old SDK's ``aliyunsdkcore.auth.composer.rpc_signature_composer`` (string to sign
and signature); V3 -- ``get_authorization`` of both new-SDK utility modules. Inputs are random parameter
names and values with spaces, ``*``, ``~``, ``+``, ``/``, ``=``, ``&``, ``%``, non-ASCII, empty values, and
STS tokens.
"""

from __future__ import annotations

import hashlib
from types import SimpleNamespace
from typing import Any

from alibabacloud_openapi_util.client import Client as OpenApiUtil
from alibabacloud_tea_openapi.utils import Utils as TeaUtils
from aliyunsdkcore.auth.composer import rpc_signature_composer
from hypothesis import given, settings
from hypothesis import strategies as st

from ecsreboot.core import signing

TRICKY = " *~+/=&%:?#中é😀-_."
# Any character but surrogates (not encodable) and NUL.
ANY_TEXT = st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\x00"), max_size=24)
TRICKY_TEXT = st.text(st.sampled_from(TRICKY + "aZ09"), max_size=12)
VALUES = st.one_of(ANY_TEXT, TRICKY_TEXT)
V1_NAMES = st.one_of(st.text(st.sampled_from(TRICKY + "abcXYZ019"), min_size=1, max_size=12),
                     st.sampled_from(["Action", "InstanceId.1", "InstanceId.10", "InstanceId.2", "SignatureType"]))
# The new SDK does not percent-encode query *names* in V3 (as its signer shows), so V3 names stay unreserved.
V3_NAMES = st.text(st.sampled_from("abcXYZ0189-_.~"), min_size=1, max_size=12)
SECRETS = st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\x00"), min_size=1, max_size=30)
METHODS = st.sampled_from(["GET", "POST"])
TOKENS = st.one_of(st.none(), VALUES.filter(bool))

_compose_string_to_sign: Any = getattr(rpc_signature_composer, "__compose_string_to_sign")
_old_sdk_signature: Any = getattr(rpc_signature_composer, "__get_signature")


@settings(max_examples=300, deadline=None)
@given(params=st.dictionaries(V1_NAMES, VALUES, max_size=8), method=METHODS, secret=SECRETS, token=TOKENS)
def test_v1_matches_all_three_official_signers(
    params: dict[str, str], method: str, secret: str, token: str | None
) -> None:
    if token is not None:
        params = {**params, "SecurityToken": token}
    ours_sts = signing.v1_string_to_sign(method, params)
    ours = signing.v1_signature(secret, ours_sts)
    assert OpenApiUtil.get_rpcsignature(dict(params), method, secret) == ours
    assert TeaUtils.get_rpcsignature(dict(params), method, secret) == ours
    old_sts = _compose_string_to_sign(method, dict(params))
    assert old_sts == ours_sts
    assert _old_sdk_signature(old_sts, secret) == ours


@settings(max_examples=100, deadline=None)
@given(params=st.dictionaries(V1_NAMES, VALUES, max_size=6), secret=SECRETS)
def test_v1_signature_parameter_is_ignored_like_the_official_signers(params: dict[str, str], secret: str) -> None:
    with_sig = {**params, "Signature": "anything"}
    assert signing.v1_string_to_sign("POST", with_sig) == signing.v1_string_to_sign("POST", params)


HEADER_NAMES = st.text(st.sampled_from("abcdefXYZ-019"), min_size=1, max_size=10).map(lambda s: "x-acs-meta-" + s)
HEADER_VALUES = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=20)


@settings(max_examples=300, deadline=None)
@given(
    query=st.dictionaries(V3_NAMES, VALUES, max_size=8),
    extra=st.dictionaries(HEADER_NAMES, HEADER_VALUES, max_size=4),
    body=st.binary(max_size=64),
    method=METHODS,
    secret=SECRETS,
    token=TOKENS,
    upper=st.booleans(),
)
def test_v3_matches_both_official_signers(
    query: dict[str, str], extra: dict[str, str], body: bytes, method: str, secret: str,
    token: str | None, upper: bool,
) -> None:
    headers = {
        "host": "127.0.0.1:18080",
        "x-acs-action": "RebootInstances",
        "x-acs-version": "2014-05-26",
        "x-acs-date": "2024-01-02T03:04:05Z",
        "x-acs-signature-nonce": "3ee8c1b883d344afa94f4e0ad82fd6cf",
        "x-acs-content-sha256": hashlib.sha256(body).hexdigest(),
        **extra,
    }
    if token is not None:
        headers["x-acs-security-token"] = token.replace("\n", " ")
    if upper:  # header names are case-insensitive: both sides must lowercase them
        headers = {k.title(): v for k, v in headers.items()}
    payload = signing.hashed_payload(body)
    signed = signing.signed_headers_list(headers)
    canonical = signing.v3_canonical_request(method, "/", query, headers, signed, payload)
    ours = signing.v3_authorization("AKID", signed, signing.v3_signature(secret, signing.v3_string_to_sign(canonical)))
    request = SimpleNamespace(method=method, pathname="/", query=dict(query), headers=dict(headers))
    for official in (OpenApiUtil, TeaUtils):
        assert official.get_authorization(request, "ACS3-HMAC-SHA256", payload, "AKID", secret) == ours
