"""Golden vectors of both signature versions (the project's design notes, cross-checked against Alibaba's own
signers in test_signing_crosscheck.py), one assertion per step of each."""

from ecsreboot.core import signing
from ecsreboot.core.credentials import Credentials

V1_PARAMS = {
    "AccessKeyId": "testid",
    "Action": "RebootInstances",
    "DryRun": "true",
    "ForceReboot": "false",
    "Format": "JSON",
    "InstanceId.1": "i-bp1aaaaaaaaaaaaaaaaa",
    "InstanceId.2": "i-bp1bbbbbbbbbbbbbbbbb",
    "RegionId": "cn-hangzhou",
    "SecurityToken": "sts/tok+en*~ x",
    "SignatureMethod": "HMAC-SHA1",
    "SignatureNonce": "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf",
    "SignatureVersion": "1.0",
    "Timestamp": "2024-01-02T03:04:05Z",
    "Version": "2014-05-26",
}

V1_STRING_TO_SIGN = (
    "POST&%2F&AccessKeyId%3Dtestid%26Action%3DRebootInstances%26DryRun%3Dtrue%26ForceReboot%3Dfalse"
    "%26Format%3DJSON%26InstanceId.1%3Di-bp1aaaaaaaaaaaaaaaaa%26InstanceId.2%3Di-bp1bbbbbbbbbbbbbbbbb"
    "%26RegionId%3Dcn-hangzhou%26SecurityToken%3Dsts%252Ftok%252Ben%252A~%2520x%26SignatureMethod%3DHMAC-SHA1"
    "%26SignatureNonce%3D3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf%26SignatureVersion%3D1.0"
    "%26Timestamp%3D2024-01-02T03%253A04%253A05Z%26Version%3D2014-05-26"
)


def test_percent_encoding_table() -> None:
    table = {"a b": "a%20b", "a+b": "a%2Bb", "a*b": "a%2Ab", "a~b": "a~b", "a/b": "a%2Fb", "中": "%E4%B8%AD"}
    assert {k: signing.percent_encode(k) for k in table} == table


def test_v1_string_to_sign() -> None:
    assert signing.v1_string_to_sign("POST", V1_PARAMS) == V1_STRING_TO_SIGN


def test_v1_signature_post() -> None:
    assert signing.v1_signature("testsecret", V1_STRING_TO_SIGN) == "ZW9fHjsxEz1kFmz3S95f+kInlGE="


def test_v1_signature_get() -> None:
    sts = signing.v1_string_to_sign("GET", V1_PARAMS)
    assert signing.v1_signature("testsecret", sts) == "vg0rb/DhcmA2P94vYxfHAjuODZE="


def test_v1_signature_parameter_is_never_signed() -> None:
    with_sig = {**V1_PARAMS, "Signature": "whatever"}
    assert signing.v1_string_to_sign("POST", with_sig) == V1_STRING_TO_SIGN


def test_v1_alibaba_doc_sample_describe_regions() -> None:
    params = {
        "AccessKeyId": "testid",
        "Action": "DescribeRegions",
        "Format": "XML",
        "SignatureMethod": "HMAC-SHA1",
        "SignatureNonce": "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf",
        "SignatureVersion": "1.0",
        "TimeStamp": "2016-02-23T12:46:24Z",
        "Version": "2014-05-26",
    }
    sts = signing.v1_string_to_sign("GET", params)
    assert signing.v1_signature("testsecret", sts) == "CT9X0VtwR86fNWSnsc6v8YGOjuE="


def test_sign_v1_adds_common_params_and_signature() -> None:
    creds = Credentials("testid", "testsecret", "sts/tok+en*~ x")
    ops = {k: V1_PARAMS[k] for k in ("DryRun", "ForceReboot", "InstanceId.1", "InstanceId.2", "RegionId")}
    signed = signing.sign_v1(
        "POST", ops, creds, action="RebootInstances", version="2014-05-26",
        timestamp="2024-01-02T03:04:05Z", nonce="3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf",
    )
    assert signed["Signature"] == "ZW9fHjsxEz1kFmz3S95f+kInlGE="


V3_QUERY = {
    "RegionId": "cn-hangzhou",
    "InstanceId.1": "i-bp1aaaaaaaaaaaaaaaaa",
    "InstanceId.2": "i-bp1bbbbbbbbbbbbbbbbb",
    "ForceReboot": "false",
    "DryRun": "true",
}
V3_HEADERS = {
    "host": "ecs.cn-hangzhou.aliyuncs.com",
    "x-acs-action": "RebootInstances",
    "x-acs-version": "2014-05-26",
    "x-acs-date": "2024-01-02T03:04:05Z",
    "x-acs-signature-nonce": "3ee8c1b883d344afa94f4e0ad82fd6cf",
    "x-acs-content-sha256": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
}
V3_CANONICAL_REQUEST = "\n".join(
    [
        "POST",
        "/",
        "DryRun=true&ForceReboot=false&InstanceId.1=i-bp1aaaaaaaaaaaaaaaaa&InstanceId.2=i-bp1bbbbbbbbbbbbbbbbb"
        "&RegionId=cn-hangzhou",
        "host:ecs.cn-hangzhou.aliyuncs.com",
        "x-acs-action:RebootInstances",
        "x-acs-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "x-acs-date:2024-01-02T03:04:05Z",
        "x-acs-signature-nonce:3ee8c1b883d344afa94f4e0ad82fd6cf",
        "x-acs-version:2014-05-26",
        "",
        "host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version",
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    ]
)
V3_STRING_TO_SIGN = "ACS3-HMAC-SHA256\n2abb662a8c43d263a14256c0c829a5a2b3db3013c1599e6af37beece0fad4894"
V3_SIGNATURE = "ba7d375abe83bf91913afaba0015aeabb1fa9e95e4994b5829c93bc9111077ec"


def test_v3_payload_hash_of_empty_body() -> None:
    assert signing.hashed_payload(b"") == V3_HEADERS["x-acs-content-sha256"]


def test_v3_canonical_request() -> None:
    signed = signing.signed_headers_list(V3_HEADERS)
    got = signing.v3_canonical_request("POST", "/", V3_QUERY, V3_HEADERS, signed, signing.hashed_payload(b""))
    assert got == V3_CANONICAL_REQUEST


def test_v3_string_to_sign() -> None:
    assert signing.v3_string_to_sign(V3_CANONICAL_REQUEST) == V3_STRING_TO_SIGN


def test_v3_signature() -> None:
    assert signing.v3_signature("testsecret", V3_STRING_TO_SIGN) == V3_SIGNATURE


def test_v3_authorization_header() -> None:
    headers = signing.sign_v3(
        "POST", "ecs.cn-hangzhou.aliyuncs.com", V3_QUERY, b"", Credentials("testid", "testsecret"),
        action="RebootInstances", version="2014-05-26", date="2024-01-02T03:04:05Z",
        nonce="3ee8c1b883d344afa94f4e0ad82fd6cf",
    )
    assert headers["Authorization"] == (
        "ACS3-HMAC-SHA256 Credential=testid,SignedHeaders=host;x-acs-action;x-acs-content-sha256;"
        f"x-acs-date;x-acs-signature-nonce;x-acs-version,Signature={V3_SIGNATURE}"
    )


def test_v3_authorization_parses_back() -> None:
    auth = signing.v3_authorization("testid", ["host", "x-acs-date"], "abc")
    assert signing.parse_v3_authorization(auth) == ("testid", ["host", "x-acs-date"], "abc")
    assert signing.parse_v3_authorization("Bearer x") is None
    assert signing.parse_v3_authorization("ACS3-HMAC-SHA256 Credential=a") is None


def test_credentials_repr_hides_everything() -> None:
    creds = Credentials("LTAIsecretid", "s3cr3t", "tok3n", source="environment")
    for text in (repr(creds), str(creds), f"{creds}"):
        assert "LTAIsecretid" not in text and "s3cr3t" not in text and "tok3n" not in text
