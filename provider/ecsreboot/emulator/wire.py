"""The wire protocol: parse requests, verify both signature versions, render JSON or XML answers.

Parameters come from the URL query and from an ``application/x-www-form-urlencoded`` body
(``+`` is a space there); both are merged, body values winning. Verification is strict and uses
the same step functions as the client (``core.signing``):

* V1 (HMAC-SHA1 in the parameters): every parameter except ``Signature`` is signed, empty ones
  included (the old SDK's ``SignatureType=``), with the real HTTP method, over decoded values.
* V3 (ACS3-HMAC-SHA256 in ``Authorization``): the header list comes from ``SignedHeaders``; every
  ``x-acs-*`` header sent and ``host`` must be in it; ``x-acs-content-sha256`` must match the raw
  body; the canonical query covers the URL query only (form parameters are covered by the hash).

Then access key (``InvalidAccessKeyId.NotFound``), STS token (``InvalidSecurityToken.*``), clock skew
against the injected clock (``IllegalTimestamp``: 31 min for V1 ``Timestamp``, 15 min for V3
``x-acs-date``) and nonce reuse (``SignatureNonceUsed``, over a bounded set of recent nonces).
Signatures are compared in constant time. Nothing here logs anything.
"""

from __future__ import annotations

import datetime as _dt
import hmac
import json
import threading
import uuid
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlsplit
from xml.sax.saxutils import escape

from ecsreboot.core import signing
from ecsreboot.core.clock import Clock
from ecsreboot.core.errors import ApiError, api_error
from ecsreboot.core.operations import http_status_of

HOST_ID = "ecs.aliyuncs.com"
V1_MAX_SKEW = _dt.timedelta(minutes=31)
V3_MAX_SKEW = _dt.timedelta(minutes=15)
_FORM = "application/x-www-form-urlencoded"
_V3_REQUIRED = frozenset({"host", "x-acs-date", "x-acs-signature-nonce", "x-acs-content-sha256"})


@dataclass(frozen=True)
class WireRequest:
    """One HTTP request as the API layer sees it. Header names are lowercased."""

    method: str
    path: str
    query: dict[str, str]
    form: dict[str, str]
    headers: dict[str, str]
    body: bytes

    @property
    def params(self) -> dict[str, str]:
        return {**self.query, **self.form}

    @property
    def action(self) -> str:
        return self.params.get("Action") or self.headers.get("x-acs-action", "")

    @property
    def is_v3(self) -> bool:
        return "authorization" in self.headers


def parse_request(method: str, target: str, headers: Iterable[tuple[str, str]], body: bytes) -> WireRequest:
    """Build a WireRequest from the request line target (path + query), headers and raw body.

    A repeated header keeps all its values, sorted and joined with ``,`` (the V3 canonical form).
    """
    grouped: dict[str, list[str]] = {}
    for name, value in headers:
        grouped.setdefault(name.lower(), []).append(value.strip())
    joined = {name: ",".join(sorted(values)) for name, values in grouped.items()}
    try:
        url = urlsplit(target)
        path, query = url.path, url.query
    except ValueError:  # "//[" and the like: no URL urlsplit can read, but still a request to answer
        path, _, query = target.partition("#")[0].partition("?")
    form: dict[str, str] = {}
    if joined.get("content-type", "").lower().startswith(_FORM) and body:
        form = _parse_qs(body.decode("utf-8", errors="replace"))
    return WireRequest(method.upper(), path or "/", _parse_qs(query), form, joined, body)


def _parse_qs(text: str) -> dict[str, str]:
    return dict(parse_qsl(text, keep_blank_values=True, encoding="utf-8", errors="replace"))


# --- verification --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Identity:
    """Who signed a request, and with which signature version (``"v1"`` or ``"v3"``)."""

    access_key_id: str
    version: str


class Verifier:
    """Checks signatures against configured access keys and STS (access key, secret, token) triples."""

    def __init__(
        self,
        access_keys: Mapping[str, str],
        sts: Iterable[tuple[str, str, str]],
        clock: Clock,
        *,
        nonce_capacity: int = 10_000,
    ) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._keys: dict[str, tuple[str, str | None]] = {ak: (sk, None) for ak, sk in access_keys.items()}
        self._keys.update({ak: (sk, token) for ak, sk, token in sts})
        self._expired_tokens: set[str] = set()
        self._nonces: OrderedDict[tuple[str, str], None] = OrderedDict()
        self._capacity = nonce_capacity

    def add_key(self, access_key_id: str, secret: str, token: str | None = None) -> None:
        with self._lock:
            self._keys[access_key_id] = (secret, token)

    def expire_token(self, token: str) -> None:
        """Make requests with this STS token fail with ``InvalidSecurityToken.Expired``."""
        with self._lock:
            self._expired_tokens.add(token)

    def secrets(self) -> set[str]:
        """Every configured access key id, secret and token: values the request log must never show."""
        with self._lock:
            return {v for ak, (sk, tok) in self._keys.items() for v in (ak, sk, tok) if v}

    def verify(self, req: WireRequest) -> Identity:
        """Raise the service's ApiError unless ``req`` is correctly signed by a known key."""
        if req.is_v3:
            return self._verify_v3(req)
        return self._verify_v1(req)

    def _verify_v1(self, req: WireRequest) -> Identity:
        params = req.params
        if "AccessKeyId" not in params:
            raise _error("MissingParameter", 'The input parameter "AccessKeyId" that is mandatory '
                         "for processing this request is not supplied.")
        if not params.get("Signature"):
            raise _error("IncompleteSignature", "The request signature does not conform to Aliyun standards: "
                         "no Signature parameter.")
        for name in ("SignatureNonce", "Timestamp"):
            if not params.get(name):
                raise _error("MissingParameter", f'The input parameter "{name}" that is mandatory '
                             "for processing this request is not supplied.")
        if params.get("SignatureMethod") != "HMAC-SHA1" or params.get("SignatureVersion") != "1.0":
            raise _error("IncompleteSignature", "The request signature does not conform to Aliyun standards: "
                         "SignatureMethod must be HMAC-SHA1 and SignatureVersion 1.0.")
        secret = self._secret(params["AccessKeyId"], params.get("SecurityToken"))
        _check_skew(params["Timestamp"], V1_MAX_SKEW, self._clock)
        string_to_sign = signing.v1_string_to_sign(req.method, params)
        expected = signing.v1_signature(secret, string_to_sign)
        if not hmac.compare_digest(expected.encode(), params["Signature"].encode()):
            raise _mismatch(string_to_sign)
        self._use_nonce(params["AccessKeyId"], params["SignatureNonce"])
        return Identity(params["AccessKeyId"], "v1")

    def _verify_v3(self, req: WireRequest) -> Identity:
        h = req.headers
        parsed = signing.parse_v3_authorization(h["authorization"])
        if parsed is None:
            raise _error("IncompleteSignature", "The Authorization header is not a valid ACS3-HMAC-SHA256 value.")
        access_key_id, signed, signature = parsed
        absent = _V3_REQUIRED - h.keys()
        # The docs: host and every x-acs-* header sent must be signed; Authorization never is.
        unsigned = ({n for n in h if n.startswith("x-acs-")} | {"host"}) - set(signed)
        missing = sorted(absent | unsigned)
        if missing:
            raise _error("IncompleteSignature", f"Required headers missing or not signed: {', '.join(missing)}.")
        secret = self._secret(access_key_id, h.get("x-acs-security-token"))
        _check_skew(h["x-acs-date"], V3_MAX_SKEW, self._clock)
        if not hmac.compare_digest(signing.hashed_payload(req.body), h["x-acs-content-sha256"].lower()):
            raise _error("SignatureDoesNotMatch", "The x-acs-content-sha256 header does not match the request body.")
        canonical = signing.v3_canonical_request(req.method, req.path, req.query, h, signed, h["x-acs-content-sha256"])
        string_to_sign = signing.v3_string_to_sign(canonical)
        if not hmac.compare_digest(signing.v3_signature(secret, string_to_sign), signature.lower()):
            raise _mismatch(string_to_sign)
        self._use_nonce(access_key_id, h["x-acs-signature-nonce"])
        return Identity(access_key_id, "v3")

    def _secret(self, access_key_id: str, token: str | None) -> str:
        """The secret of a known key, after checking the STS token it must (or must not) carry."""
        with self._lock:
            entry = self._keys.get(access_key_id)
            expired = token in self._expired_tokens
        if entry is None:
            raise _error("InvalidAccessKeyId.NotFound", "Specified access key is not found.")
        secret, expected = entry
        if expected is None and token:
            raise _error("InvalidSecurityToken.Malformed", "A security token was sent with a permanent access key.")
        if expected is not None and (not token or not hmac.compare_digest(token.encode(), expected.encode())):
            raise _error("InvalidSecurityToken.Malformed", "The security token you provided is malformed or "
                         "does not belong to this access key.")
        if expired:
            raise _error("InvalidSecurityToken.Expired", "The security token you provided has expired.")
        return secret

    def _use_nonce(self, access_key_id: str, nonce: str) -> None:
        key = (access_key_id, nonce)
        with self._lock:
            if key in self._nonces:
                raise _error("SignatureNonceUsed", "Specified signature nonce was used already.")
            self._nonces[key] = None
            while len(self._nonces) > self._capacity:
                self._nonces.popitem(last=False)


def _check_skew(stamp: str, allowed: _dt.timedelta, clock: Clock) -> None:
    try:
        moment = _dt.datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=_dt.UTC)
    except ValueError:
        raise _error("IllegalTimestamp", f'The input parameter "Timestamp" is not valid: {stamp!r} is not '
                     "UTC yyyy-MM-ddTHH:mm:ssZ.") from None
    if abs(clock.utcnow() - moment) > allowed:
        raise _error("IllegalTimestamp", f"Specified time stamp or date value is expired (more than "
                     f"{int(allowed.total_seconds() // 60)} minutes from the server time).")


def _mismatch(string_to_sign: str) -> ApiError:
    return _error("SignatureDoesNotMatch", "Specified signature is not matched with our calculation. "
                  f"server string to sign is:{string_to_sign}")


def _error(code: str, message: str) -> ApiError:
    return api_error(code, message, "", http_status_of("", code))


# --- rendering ----------------------------------------------------------------------------------


def new_request_id() -> str:
    return str(uuid.uuid4()).upper()


def answer_format(req: WireRequest) -> str:
    """``"XML"`` or ``"JSON"``: the ``Format`` parameter (any case) wins; else JSON for V3, which the
    new SDK expects, and XML, the documented default, for everything else.
    """
    fmt = req.params.get("Format", "").upper()
    if fmt in ("XML", "JSON"):
        return fmt
    return "JSON" if req.is_v3 else "XML"


def error_body(err: ApiError, request_id: str) -> dict[str, Any]:
    return {
        "RequestId": request_id,
        "HostId": HOST_ID,
        "Code": err.code,
        "Message": err.message,
        "Recommend": f"https://api.aliyun.com/troubleshoot?q={err.code}&product=Ecs&requestId={request_id}",
    }


def render(root: str, body: Mapping[str, Any], fmt: str) -> tuple[bytes, str]:
    """(bytes, content type). XML wraps ``body`` in ``<root>``; a list repeats its key's element."""
    if fmt == "XML":
        xml = f'<?xml version="1.0" encoding="UTF-8"?>\n<{root}>{_xml_fields(body)}</{root}>'
        return xml.encode(), "text/xml;charset=utf-8"
    return json.dumps(body, ensure_ascii=False).encode(), "application/json;charset=utf-8"


def _xml_fields(body: Mapping[str, Any]) -> str:
    return "".join(_xml_element(k, v) for k, v in body.items())


def _xml_element(name: str, value: Any) -> str:
    if isinstance(value, list):
        return "".join(_xml_element(name, item) for item in value)
    if isinstance(value, Mapping):
        inner = _xml_fields(value)
    elif isinstance(value, bool):
        inner = "true" if value else "false"
    else:
        inner = escape("" if value is None else str(value))
    return f"<{name}>{inner}</{name}>"
