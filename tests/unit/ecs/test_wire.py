"""The wire format: requests signed as the official SDKs sign them; replies and error bodies parsed."""

from __future__ import annotations

import json
from urllib.parse import parse_qsl, urlsplit

import pytest

from ecsreboot.core import signing
from ecsreboot.core.credentials import Credentials
from ecsreboot.core.errors import AuthFailure, IncorrectStatus, NotFound, Throttled, TransportError
from ecsreboot.ecs import HttpResponse
from ecsreboot.ecs.wire import build_request, parse_reply, retry_after_seconds

CREDS = Credentials("testid", "testsecret", "sts tok+en")
PARAMS = {"RegionId": "cn-hangzhou", "InstanceId.1": "i-a", "InstanceId.2": "i-b", "InstanceIds": '["i-a","i-b"]'}


def _build(version: str) -> tuple[dict[str, str], dict[str, str]]:
    req = build_request("http://127.0.0.1:8787", "127.0.0.1:8787", action="RebootInstances", version="2014-05-26",
                        params=PARAMS, credentials=CREDS, signature_version=version,  # type: ignore[arg-type]
                        timestamp="2024-01-02T03:04:05Z", nonce="abc123")
    assert req.method == "POST" and req.body == b""
    assert urlsplit(req.url).path == "/"
    assert "+" not in urlsplit(req.url).query  # spaces are %20, never +
    return dict(parse_qsl(urlsplit(req.url).query, keep_blank_values=True)), dict(req.headers)


def test_v3_puts_parameters_in_the_query_and_a_verifiable_signature_in_headers() -> None:
    query, headers = _build("v3")
    assert query == PARAMS
    assert headers["host"] == "127.0.0.1:8787"
    assert headers["x-acs-action"] == "RebootInstances"
    assert headers["x-acs-signature-nonce"] == "abc123"
    assert headers["x-acs-security-token"] == "sts tok+en"
    key_id, signed, signature = signing.parse_v3_authorization(headers["Authorization"]) or ("", [], "")
    assert key_id == "testid" and "host" in signed and "authorization" not in signed
    request = signing.v3_canonical_request("POST", "/", query, headers, signed, signing.EMPTY_BODY_SHA256)
    assert signature == signing.v3_signature("testsecret", signing.v3_string_to_sign(request))


def test_v1_signs_every_query_parameter() -> None:
    query, headers = _build("v1")
    assert "Authorization" not in headers
    assert query["SignatureVersion"] == "1.0" and query["SignatureNonce"] == "abc123"
    assert query["SecurityToken"] == "sts tok+en" and query["Format"] == "JSON"
    expected = signing.v1_signature("testsecret", signing.v1_string_to_sign("POST", query))
    assert query["Signature"] == expected


def _reply(status: int, body: object, headers: dict[str, str] | None = None) -> HttpResponse:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return HttpResponse(status, headers or {}, raw)


def test_success_reply_is_returned_as_a_dict() -> None:
    assert parse_reply("X", _reply(200, {"RequestId": "R1", "TotalCount": 1})) == {"RequestId": "R1", "TotalCount": 1}


@pytest.mark.parametrize(
    ("status", "code", "cls"),
    [(403, "IncorrectInstanceStatus", IncorrectStatus), (404, "InvalidInstanceId.NotFound", NotFound),
     (400, "SignatureDoesNotMatch", AuthFailure), (400, "Throttling.User", Throttled)],
)
def test_json_error_bodies_raise_their_class_with_code_message_and_request_id(
        status: int, code: str, cls: type) -> None:
    body = {"RequestId": "RID-7", "HostId": "ecs", "Code": code, "Message": "Some text."}
    with pytest.raises(cls) as caught:
        parse_reply("RebootInstances", _reply(status, body))
    err = caught.value
    assert (err.code, err.message, err.request_id, err.http_status) == (code, "Some text.", "RID-7", status)
    assert str(err) == f"RebootInstances failed: {code}: Some text. (HTTP {status}) [RequestId: RID-7]"


def test_xml_error_bodies_are_read() -> None:
    body = (b'<?xml version="1.0" encoding="UTF-8"?><Error><RequestId>RID-X</RequestId><HostId>ecs</HostId>'
            b"<Code>InvalidInstanceId.NotFound</Code>"
            b"<Message>The specified InstanceId does not exist.</Message></Error>")
    with pytest.raises(NotFound) as caught:
        parse_reply("RebootInstance", _reply(404, body))
    assert caught.value.request_id == "RID-X"
    assert "does not exist" in str(caught.value)


def test_retry_after_header_in_milliseconds() -> None:
    body = {"RequestId": "R", "Code": "Throttling", "Message": "slow down"}
    with pytest.raises(Throttled) as caught:
        parse_reply("X", _reply(400, body, {"x-acs-retry-after": "1500"}))
    assert caught.value.retry_after == 1.5
    assert retry_after_seconds({"x-acs-retry-after": "soon"}) is None
    assert retry_after_seconds({}) is None


def test_a_4xx_without_an_api_body_keeps_the_status_and_request_id_header() -> None:
    with pytest.raises(Exception) as caught:
        parse_reply("X", _reply(403, b"<html>denied</html>", {"x-acs-request-id": "HDR-1"}))
    assert "HTTP403" in str(caught.value) and "HDR-1" in str(caught.value) and "denied" in str(caught.value)


@pytest.mark.parametrize(("status", "body"), [(200, b"not json"), (200, b"[1,2]"), (502, b"<html>bad gateway"),
                                              (504, b"")])
def test_unreadable_replies_are_transport_errors_that_may_have_run(status: int, body: bytes) -> None:
    with pytest.raises(TransportError) as caught:
        parse_reply("RebootInstances", _reply(status, body))
    assert caught.value.sent is True
