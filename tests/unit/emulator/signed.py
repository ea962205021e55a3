"""Build signed WireRequests the way the SDKs do, with the project's own signer (the emulator's
verifier is then checked against the official SDKs in tests/component)."""

from __future__ import annotations

import datetime as _dt
import uuid
from collections.abc import Mapping

from ecsreboot.core import signing
from ecsreboot.core.clock import rfc3339
from ecsreboot.core.credentials import Credentials
from ecsreboot.emulator import WireRequest, parse_request

NOW = _dt.datetime(2026, 1, 1, tzinfo=_dt.UTC)
AK, SECRET = "emulator-key", "emulator-secret"
HOST = "127.0.0.1:8080"


def query_string(params: Mapping[str, str]) -> str:
    return "&".join(f"{signing.percent_encode(k)}={signing.percent_encode(v)}" for k, v in params.items())


def v1_request(
    params: Mapping[str, str],
    *,
    action: str = "DescribeInstanceStatus",
    creds: Credentials | None = None,
    method: str = "POST",
    when: _dt.datetime = NOW,
    nonce: str | None = None,
    in_body: bool = False,
    fmt: str | None = "JSON",
) -> WireRequest:
    """A V1-signed request; ``in_body`` sends the parameters as a form body (``+`` for spaces);
    ``fmt=None`` leaves ``Format`` out."""
    common = signing.v1_common_params(
        creds or Credentials(AK, SECRET), action=action, version="2014-05-26",
        timestamp=rfc3339(when), nonce=nonce or uuid.uuid4().hex, fmt=fmt or "",
    )
    signed = {**params, **common}
    if fmt is None:
        del signed["Format"]
    signed["Signature"] = signing.v1_signature((creds or Credentials(AK, SECRET)).access_key_secret,
                                               signing.v1_string_to_sign(method, signed))
    if in_body:
        body = query_string(signed).replace("%20", "+").encode()
        return parse_request(method, "/", [("Content-Type", "application/x-www-form-urlencoded")], body)
    return parse_request(method, "/?" + query_string(signed), [("Host", HOST)], b"")


def v3_request(
    query: Mapping[str, str],
    *,
    action: str = "DescribeInstanceStatus",
    creds: Credentials | None = None,
    method: str = "POST",
    when: _dt.datetime = NOW,
    nonce: str | None = None,
    body: bytes = b"",
    content_type: str | None = None,
) -> WireRequest:
    """A V3-signed request, every header signed, as the new SDK does."""
    extra = {"content-type": content_type} if content_type else {}
    headers = signing.sign_v3(
        method, HOST, query, body, creds or Credentials(AK, SECRET), action=action, version="2014-05-26",
        date=rfc3339(when), nonce=nonce or uuid.uuid4().hex, extra_headers=extra,
    )
    target = "/?" + query_string(query) if query else "/"
    return parse_request(method, target, list(headers.items()), body)


def replace_param(req: WireRequest, name: str, value: str) -> WireRequest:
    """The same request with one query parameter changed after signing (a tampered request)."""
    query = {**req.query, name: value}
    return WireRequest(req.method, req.path, query, req.form, req.headers, req.body)
