"""Request signing, both versions, as pure functions named after the steps of the spec.

V1 is the HMAC-SHA1 RPC signature (``SignatureVersion=1.0``; Alibaba's current docs call it "V2 RPC").
V3 is ACS3-HMAC-SHA256, the default of the current official SDK. Time and nonce are passed in,
so worked vectors (tests/unit/core/test_signing_vectors.py) are golden tests. The emulator verifies with these same
functions, which is why the golden vectors (and the cross-check against Alibaba's own signer
functions) are what keep both sides from agreeing on a wrong encoding.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Mapping
from urllib.parse import quote

from .credentials import Credentials

V3_ALGORITHM = "ACS3-HMAC-SHA256"
EMPTY_BODY_SHA256 = hashlib.sha256(b"").hexdigest()


#: text that percent-encoding leaves as it is: most names and values (``InstanceId.7``, ``i-bp1...``)
_UNRESERVED = re.compile(r"[A-Za-z0-9\-_.~]*")
#: what stays as it is, and every other ASCII character's escape (``quote`` goes a byte at a time in Python: the
#: ``InstanceIds`` of a describe of 100 ids is ~2,500 characters, encoded twice per request and again by the
#: emulator that checks the signature)
_SAFE = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~")
_ESCAPES = {chr(c): f"%{c:02X}" for c in range(128) if chr(c) not in _SAFE}


def percent_encode(text: str) -> str:
    """RFC 3986 over UTF-8: only ``A-Z a-z 0-9 - _ . ~`` stay; space is ``%20``, never ``+``."""
    if _UNRESERVED.fullmatch(text):  # a request of 100 ids encodes ~200 such strings, twice when signed
        return text
    if not text.isascii():
        return quote(text, safe="-_.~")
    # one replace per distinct character to escape, ``%`` first (the escapes bring only ``%`` and hex digits)
    special = set(text) - _SAFE
    if "%" in special:
        special.discard("%")
        text = text.replace("%", "%25")
    for char in special:
        text = text.replace(char, _ESCAPES[char])
    return text


def canonicalized_query(params: Mapping[str, str]) -> str:
    """``k=v`` pairs, percent-encoded, sorted by raw name in code-point order, joined by ``&``."""
    return "&".join(f"{percent_encode(k)}={percent_encode(v)}" for k, v in sorted(params.items()))


# --- V1: HMAC-SHA1 RPC --------------------------------------------------------------------------


def v1_common_params(
    credentials: Credentials, *, action: str, version: str, timestamp: str, nonce: str, fmt: str = "JSON"
) -> dict[str, str]:
    """The common parameters every V1 request carries (the STS token, when present, is signed)."""
    params = {
        "Action": action,
        "Version": version,
        "Format": fmt,
        "AccessKeyId": credentials.access_key_id,
        "SignatureMethod": "HMAC-SHA1",
        "SignatureVersion": "1.0",
        "SignatureNonce": nonce,
        "Timestamp": timestamp,
    }
    if credentials.security_token:
        params["SecurityToken"] = credentials.security_token
    return params


def v1_string_to_sign(method: str, params: Mapping[str, str]) -> str:
    """``METHOD&%2F&pct(canonicalized query)``. ``Signature`` itself is never part of it."""
    signed = {k: v for k, v in params.items() if k != "Signature"}
    return f"{method.upper()}&{percent_encode('/')}&{percent_encode(canonicalized_query(signed))}"


def v1_signature(secret: str, string_to_sign: str) -> str:
    """base64(HMAC-SHA1(secret + "&", string_to_sign))."""
    mac = hmac.new((secret + "&").encode(), string_to_sign.encode(), hashlib.sha1)
    return base64.b64encode(mac.digest()).decode()


def sign_v1(
    method: str,
    params: Mapping[str, str],
    credentials: Credentials,
    *,
    action: str,
    version: str,
    timestamp: str,
    nonce: str,
) -> dict[str, str]:
    """Operation parameters -> every parameter of a signed V1 request, ``Signature`` included."""
    full = {**params, **v1_common_params(credentials, action=action, version=version,
                                         timestamp=timestamp, nonce=nonce)}
    full["Signature"] = v1_signature(credentials.access_key_secret, v1_string_to_sign(method, full))
    return full


# --- V3: ACS3-HMAC-SHA256 ------------------------------------------------------------------------


def hashed_payload(body: bytes) -> str:
    """Lowercase hex SHA-256 of the exact body bytes (``x-acs-content-sha256``)."""
    return hashlib.sha256(body).hexdigest()


def canonical_headers(headers: Mapping[str, str], signed: list[str]) -> str:
    """``name:value\\n`` for each signed header, lowercased names, sorted, values trimmed."""
    lowered: dict[str, list[str]] = {}
    for name, value in headers.items():
        lowered.setdefault(name.lower(), []).append(value.strip())
    return "".join(f"{name}:{','.join(sorted(lowered.get(name, [''])))}\n" for name in sorted(signed))


def signed_headers_list(headers: Mapping[str, str]) -> list[str]:
    """The headers a client signs: every header it sends except ``Authorization``, lowercased, sorted."""
    return sorted({h.lower() for h in headers if h.lower() != "authorization"})


def v3_canonical_request(
    method: str,
    path: str,
    query: Mapping[str, str],
    headers: Mapping[str, str],
    signed: list[str],
    payload_hash: str,
    *,
    canonical_query: str | None = None,
) -> str:
    """METHOD, URI, canonical query, canonical headers, blank line, signed headers, payload hash.
    ``canonical_query``: ``canonicalized_query(query)`` when the caller has it already (it sends the same text)."""
    return "\n".join(
        [
            method.upper(),
            path or "/",
            canonicalized_query(query) if canonical_query is None else canonical_query,
            canonical_headers(headers, signed),
            ";".join(sorted(signed)),
            payload_hash,
        ]
    )


def v3_string_to_sign(canonical_request: str) -> str:
    """``ACS3-HMAC-SHA256\\n`` + hex SHA-256 of the canonical request."""
    return f"{V3_ALGORITHM}\n{hashlib.sha256(canonical_request.encode()).hexdigest()}"


def v3_signature(secret: str, string_to_sign: str) -> str:
    """hex(HMAC-SHA256(secret, string_to_sign)) -- no ``&`` after the secret, unlike V1."""
    return hmac.new(secret.encode(), string_to_sign.encode(), hashlib.sha256).hexdigest()


def v3_authorization(access_key_id: str, signed: list[str], signature: str) -> str:
    """The ``Authorization`` header value (no spaces after the commas)."""
    return f"{V3_ALGORITHM} Credential={access_key_id},SignedHeaders={';'.join(sorted(signed))},Signature={signature}"


def parse_v3_authorization(value: str) -> tuple[str, list[str], str] | None:
    """``Authorization`` -> (access key id, signed header names, signature), or None if malformed."""
    prefix = V3_ALGORITHM + " "
    if not value.startswith(prefix):
        return None
    fields: dict[str, str] = {}
    for part in value[len(prefix):].split(","):
        key, sep, val = part.strip().partition("=")
        if not sep:
            return None
        fields[key] = val
    if not {"Credential", "SignedHeaders", "Signature"} <= fields.keys():
        return None
    signed = [h for h in fields["SignedHeaders"].split(";") if h]
    return fields["Credential"], signed, fields["Signature"]


def sign_v3(
    method: str,
    host: str,
    query: Mapping[str, str],
    body: bytes,
    credentials: Credentials,
    *,
    action: str,
    version: str,
    date: str,
    nonce: str,
    extra_headers: Mapping[str, str] | None = None,
    canonical_query: str | None = None,
) -> dict[str, str]:
    """Every header of a signed V3 request, ``Authorization`` included.

    ``host`` is the endpoint exactly as on the wire, port included. All headers returned are signed.
    ``canonical_query``: ``canonicalized_query(query)``, when the caller has worked it out for the URL.
    """
    headers = {
        "host": host,
        "x-acs-action": action,
        "x-acs-version": version,
        "x-acs-date": date,
        "x-acs-signature-nonce": nonce,
        "x-acs-content-sha256": hashed_payload(body),
        **(extra_headers or {}),
    }
    if credentials.security_token:
        headers["x-acs-security-token"] = credentials.security_token
    signed = signed_headers_list(headers)
    request = v3_canonical_request(method, "/", query, headers, signed, headers["x-acs-content-sha256"],
                                   canonical_query=canonical_query)
    signature = v3_signature(credentials.access_key_secret, v3_string_to_sign(request))
    headers["Authorization"] = v3_authorization(credentials.access_key_id, signed, signature)
    return headers
