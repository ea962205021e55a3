"""Parsing, both signature versions (good, tampered, replayed, skewed, wrong key/token) and rendering."""

from __future__ import annotations

import datetime as _dt
import json
import xml.etree.ElementTree as ET

import pytest

from ecsreboot.core import signing
from ecsreboot.core.clock import FakeClock
from ecsreboot.core.credentials import Credentials
from ecsreboot.core.errors import ApiError, api_error
from ecsreboot.emulator import Verifier, WireRequest, parse_request
from ecsreboot.emulator.wire import answer_format, error_body, new_request_id, render

from .signed import AK, NOW, SECRET, replace_param, v1_request, v3_request

STS = Credentials("STS.tempkey", "tempsecret", "sts/tok+en*~ x中")
PARAMS = {"RegionId": "cn-hangzhou", "InstanceId.1": "i-a", "Note": "a b+c*d~e/f 中", "SignatureType": ""}


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(wall=NOW)


@pytest.fixture
def verifier(clock: FakeClock) -> Verifier:
    return Verifier({AK: SECRET}, [(STS.access_key_id, STS.access_key_secret, STS.security_token or "")], clock)


def rejected(verifier: Verifier, req: WireRequest) -> ApiError:
    with pytest.raises(ApiError) as info:
        verifier.verify(req)
    return info.value


# --- parsing ------------------------------------------------------------------------------------------


def test_query_and_form_are_merged_and_plus_is_a_space() -> None:
    req = parse_request(
        "post", "/?Action=DescribeInstances&A=1&Empty=",
        [("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")], b"B=x+y%2Bz&A=2",
    )
    assert req.method == "POST"
    assert req.query == {"Action": "DescribeInstances", "A": "1", "Empty": ""}
    assert req.form == {"B": "x y+z", "A": "2"}
    assert req.params == {"Action": "DescribeInstances", "A": "2", "Empty": "", "B": "x y+z"}
    assert req.action == "DescribeInstances"


def test_action_from_the_v3_header_and_repeated_headers_are_joined() -> None:
    req = parse_request("POST", "/", [("X-Acs-Action", "RebootInstance"), ("X-Dup", "b"), ("x-dup", " a ")], b"")
    assert req.action == "RebootInstance"
    assert req.headers["x-dup"] == "a,b"


def test_a_json_body_is_not_read_as_parameters() -> None:
    req = parse_request("POST", "/", [("Content-Type", "application/json")], b'{"A": 1}')
    assert req.form == {}


# --- V1 -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize("in_body", [False, True])
def test_v1_good_signatures_pass(verifier: Verifier, method: str, in_body: bool) -> None:
    ident = verifier.verify(v1_request(PARAMS, method=method, in_body=in_body))
    assert (ident.access_key_id, ident.version) == (AK, "v1")


def test_v1_sts_passes_with_its_token(verifier: Verifier) -> None:
    assert verifier.verify(v1_request(PARAMS, creds=STS)).access_key_id == STS.access_key_id


def test_v1_tampered_parameter_is_rejected_with_the_server_string_to_sign(verifier: Verifier) -> None:
    req = replace_param(v1_request(PARAMS), "InstanceId.1", "i-b")
    err = rejected(verifier, req)
    assert (err.code, err.http_status) == ("SignatureDoesNotMatch", 400)
    prefix = "Specified signature is not matched with our calculation. server string to sign is:"
    assert err.message == prefix + signing.v1_string_to_sign("POST", req.params)


def test_v1_signature_covers_the_http_method(verifier: Verifier) -> None:
    req = v1_request(PARAMS, method="GET")
    moved = WireRequest("POST", req.path, req.query, req.form, req.headers, req.body)
    assert rejected(verifier, moved).code == "SignatureDoesNotMatch"


def test_v1_empty_parameters_are_signed(verifier: Verifier) -> None:
    req = v1_request(PARAMS)
    dropped = {k: v for k, v in req.query.items() if k != "SignatureType"}
    assert rejected(verifier, WireRequest("POST", "/", dropped, {}, req.headers, b"")).code == "SignatureDoesNotMatch"


def test_v1_wrong_secret(verifier: Verifier) -> None:
    assert rejected(verifier, v1_request(PARAMS, creds=Credentials(AK, "nope"))).code == "SignatureDoesNotMatch"


def test_v1_unknown_access_key(verifier: Verifier) -> None:
    err = rejected(verifier, v1_request(PARAMS, creds=Credentials("LTAIunknown", SECRET)))
    assert (err.code, err.http_status) == ("InvalidAccessKeyId.NotFound", 404)


@pytest.mark.parametrize(
    ("creds", "code"),
    [
        (Credentials(STS.access_key_id, STS.access_key_secret), "InvalidSecurityToken.Malformed"),
        (Credentials(STS.access_key_id, STS.access_key_secret, "other"), "InvalidSecurityToken.Malformed"),
        (Credentials(AK, SECRET, "unexpected"), "InvalidSecurityToken.Malformed"),
    ],
)
def test_v1_token_mismatch(verifier: Verifier, creds: Credentials, code: str) -> None:
    assert rejected(verifier, v1_request(PARAMS, creds=creds)).code == code


def test_v1_expired_token(verifier: Verifier) -> None:
    verifier.expire_token(STS.security_token or "")
    assert rejected(verifier, v1_request(PARAMS, creds=STS)).code == "InvalidSecurityToken.Expired"


def test_v1_nonce_reuse_is_rejected(verifier: Verifier) -> None:
    verifier.verify(v1_request(PARAMS, nonce="n-1"))
    err = rejected(verifier, v1_request(PARAMS, nonce="n-1"))
    assert (err.code, err.http_status) == ("SignatureNonceUsed", 400)


def test_v1_a_failed_signature_does_not_burn_the_nonce(verifier: Verifier) -> None:
    rejected(verifier, v1_request(PARAMS, nonce="n-2", creds=Credentials(AK, "bad")))
    verifier.verify(v1_request(PARAMS, nonce="n-2"))


def test_nonce_memory_is_bounded(clock: FakeClock) -> None:
    verifier = Verifier({AK: SECRET}, [], clock, nonce_capacity=2)
    for n in ("a", "b", "c"):
        verifier.verify(v1_request(PARAMS, nonce=n))
    verifier.verify(v1_request(PARAMS, nonce="a"))  # forgotten: the oldest went first
    assert rejected(verifier, v1_request(PARAMS, nonce="c")).code == "SignatureNonceUsed"


@pytest.mark.parametrize(("minutes", "ok"), [(30, True), (-30, True), (32, False), (-32, False)])
def test_v1_timestamp_window_is_31_minutes(verifier: Verifier, minutes: int, ok: bool) -> None:
    req = v1_request(PARAMS, when=NOW + _dt.timedelta(minutes=minutes))
    if ok:
        verifier.verify(req)
    else:
        assert rejected(verifier, req).code == "IllegalTimestamp"


def test_v1_missing_pieces(verifier: Verifier) -> None:
    req = v1_request(PARAMS)
    without = {name: {k: v for k, v in req.query.items() if k != name} for name in req.query}

    def code(query: dict[str, str]) -> str:
        return rejected(verifier, WireRequest("POST", "/", query, {}, {}, b"")).code

    assert code({"Action": "DescribeInstances"}) == "MissingParameter"
    assert code(without["AccessKeyId"]) == "MissingParameter"
    assert code(without["Signature"]) == "IncompleteSignature"
    assert code(without["SignatureNonce"]) == "MissingParameter"
    assert code(without["Timestamp"]) == "MissingParameter"
    assert code({**req.query, "SignatureMethod": "HMAC-SHA256"}) == "IncompleteSignature"
    assert code({**req.query, "Timestamp": "yesterday"}) == "IllegalTimestamp"


# --- V3 -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_v3_good_signature_passes(verifier: Verifier, method: str) -> None:
    ident = verifier.verify(v3_request(PARAMS, method=method))
    assert (ident.access_key_id, ident.version) == (AK, "v3")


def test_v3_sts_passes_with_its_token(verifier: Verifier) -> None:
    assert verifier.verify(v3_request(PARAMS, creds=STS)).version == "v3"


def test_v3_form_body_is_covered_by_the_hash(verifier: Verifier) -> None:
    body = b"InstanceId.1=i-a&Note=a+b"
    req = v3_request({}, body=body, content_type="application/x-www-form-urlencoded")
    verifier.verify(req)
    assert req.params["Note"] == "a b"
    tampered = WireRequest(req.method, req.path, req.query, {"InstanceId.1": "i-b"}, req.headers,
                           b"InstanceId.1=i-b&Note=a+b")
    assert rejected(verifier, tampered).code == "SignatureDoesNotMatch"


def test_v3_tampered_query_is_rejected(verifier: Verifier) -> None:
    err = rejected(verifier, replace_param(v3_request(PARAMS), "InstanceId.1", "i-b"))
    assert (err.code, err.http_status) == ("SignatureDoesNotMatch", 400)
    assert "server string to sign is:ACS3-HMAC-SHA256\n" in err.message


def test_v3_tampered_signed_header_is_rejected(verifier: Verifier) -> None:
    req = v3_request(PARAMS)
    headers = {**req.headers, "x-acs-action": "RebootInstances"}
    assert rejected(verifier, WireRequest(req.method, req.path, req.query, {}, headers, b"")).code == (
        "SignatureDoesNotMatch"
    )


def test_v3_unsigned_acs_header_is_refused(verifier: Verifier) -> None:
    req = v3_request(PARAMS)
    headers = {**req.headers, "x-acs-extra": "sneaky"}
    err = rejected(verifier, WireRequest(req.method, req.path, req.query, {}, headers, b""))
    assert err.code == "IncompleteSignature"
    assert "x-acs-extra" in err.message


def test_v3_unsigned_ordinary_header_is_fine(verifier: Verifier) -> None:
    req = v3_request(PARAMS)
    headers = {**req.headers, "user-agent": "curl"}
    verifier.verify(WireRequest(req.method, req.path, req.query, {}, headers, b""))


def test_v3_body_hash_must_match(verifier: Verifier) -> None:
    req = v3_request(PARAMS)
    err = rejected(verifier, WireRequest(req.method, req.path, req.query, {}, req.headers, b"extra"))
    assert err.code == "SignatureDoesNotMatch"


def test_v3_malformed_authorization(verifier: Verifier) -> None:
    req = v3_request(PARAMS)
    headers = {**req.headers, "authorization": "ACS3-HMAC-SHA256 nonsense"}
    assert rejected(verifier, WireRequest("POST", "/", req.query, {}, headers, b"")).code == "IncompleteSignature"


def test_v3_unknown_key_token_mismatch_nonce_and_skew(verifier: Verifier) -> None:
    assert rejected(verifier, v3_request(PARAMS, creds=Credentials("nobody", "x"))).code == (
        "InvalidAccessKeyId.NotFound"
    )
    wrong_token = Credentials(STS.access_key_id, STS.access_key_secret, "forged")
    assert rejected(verifier, v3_request(PARAMS, creds=wrong_token)).code == "InvalidSecurityToken.Malformed"
    verifier.verify(v3_request(PARAMS, nonce="same"))
    assert rejected(verifier, v3_request(PARAMS, nonce="same")).code == "SignatureNonceUsed"
    verifier.verify(v3_request(PARAMS, when=NOW - _dt.timedelta(minutes=14)))
    assert rejected(verifier, v3_request(PARAMS, when=NOW - _dt.timedelta(minutes=16))).code == "IllegalTimestamp"


def test_skew_follows_the_injected_clock(verifier: Verifier, clock: FakeClock) -> None:
    clock.advance(3600)
    assert rejected(verifier, v3_request(PARAMS)).code == "IllegalTimestamp"
    verifier.verify(v3_request(PARAMS, when=clock.utcnow()))


def test_secrets_lists_every_credential(verifier: Verifier) -> None:
    assert verifier.secrets() == {AK, SECRET, STS.access_key_id, STS.access_key_secret, STS.security_token}


# --- rendering ---------------------------------------------------------------------------------------


def test_request_ids_are_uppercase_uuids() -> None:
    rid = new_request_id()
    assert rid == rid.upper() and len(rid) == 36 and rid.count("-") == 4


@pytest.mark.parametrize(
    ("query", "v3", "expected"),
    [({"Format": "JSON"}, False, "JSON"), ({"Format": "json"}, False, "JSON"), ({"Format": "xml"}, True, "XML"),
     ({}, False, "XML"), ({}, True, "JSON")],
)
def test_answer_format(query: dict[str, str], v3: bool, expected: str) -> None:
    headers = {"authorization": "ACS3-HMAC-SHA256 x"} if v3 else {}
    assert answer_format(WireRequest("POST", "/", query, {}, headers, b"")) == expected


def test_xml_rendering_matches_the_documented_sample_shape() -> None:
    body = {"RequestId": "R", "InstanceResponses": {"InstanceResponse": [
        {"Code": "200", "InstanceId": "i-1"}, {"Code": "InvalidInstanceId.NotFound", "InstanceId": "i-<2>"}]}}
    data, content_type = render("RebootInstancesResponse", body, "XML")
    assert content_type.startswith("text/xml")
    root = ET.fromstring(data)
    assert root.tag == "RebootInstancesResponse"
    assert root.findtext("RequestId") == "R"
    items = root.findall("InstanceResponses/InstanceResponse")
    assert [(i.findtext("Code"), i.findtext("InstanceId")) for i in items] == [
        ("200", "i-1"), ("InvalidInstanceId.NotFound", "i-<2>")]


def test_xml_scalars_and_empty_lists() -> None:
    data, _ = render("R", {"A": True, "B": None, "C": 3, "L": {"Item": []}}, "XML")
    assert data.endswith(b"<R><A>true</A><B></B><C>3</C><L></L></R>")


def test_error_body_and_both_formats() -> None:
    err = api_error("IncorrectInstanceStatus", "nope & <no>", "", 403)
    body = error_body(err, "RID")
    assert body == {
        "RequestId": "RID", "HostId": "ecs.aliyuncs.com", "Code": "IncorrectInstanceStatus",
        "Message": "nope & <no>",
        "Recommend": "https://api.aliyun.com/troubleshoot?q=IncorrectInstanceStatus&product=Ecs&requestId=RID",
    }
    as_json, json_type = render("Error", body, "JSON")
    assert json.loads(as_json) == body and json_type.startswith("application/json")
    root = ET.fromstring(render("Error", body, "XML")[0])
    assert root.tag == "Error"
    assert {child.tag: child.text for child in root} == body
