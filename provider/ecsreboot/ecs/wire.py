"""The ECS wire format: building a signed request and reading a reply, as pure functions.

Requests go like the official SDKs send them: ``POST /``, every parameter in the query string,
an empty body. V3 signs in headers (``Authorization``), V1 adds the signature parameters to
the query. Replies are JSON; error bodies may also be XML ``<Error>`` documents.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from typing import Any, Literal

from ..core.credentials import Credentials
from ..core.errors import ApiError, TransportError, api_error
from ..core.signing import canonicalized_query, sign_v1, sign_v3
from .transport import HttpRequest, HttpResponse

SignatureVersion = Literal["v1", "v3"]
USER_AGENT = "ecsreboot (python; requests)"


def build_request(
    base_url: str,
    host: str,
    *,
    action: str,
    version: str,
    params: Mapping[str, str],
    credentials: Credentials,
    signature_version: SignatureVersion,
    timestamp: str,
    nonce: str,
) -> HttpRequest:
    """A signed ``POST /`` with ``params`` in the query string. ``host`` is signed as sent (port included)."""
    if signature_version == "v1":
        query = sign_v1("POST", params, credentials, action=action, version=version,
                        timestamp=timestamp, nonce=nonce)
        canonical = canonicalized_query(query)
        headers = {"host": host, "accept": "application/json", "user-agent": USER_AGENT}
    else:
        query = dict(params)
        canonical = canonicalized_query(query)  # signed, and sent as the query string: worked out once
        headers = sign_v3("POST", host, query, b"", credentials, action=action, version=version,
                          date=timestamp, nonce=nonce, canonical_query=canonical,
                          extra_headers={"accept": "application/json", "user-agent": USER_AGENT})
    url = base_url.rstrip("/") + "/"
    if query:
        url += "?" + canonical
    return HttpRequest("POST", url, headers, b"")


def retry_after_seconds(headers: Mapping[str, str]) -> float | None:
    """``x-acs-retry-after`` is in milliseconds; None when absent or unreadable."""
    raw = headers.get("x-acs-retry-after")
    if raw is None:
        return None
    try:
        ms = float(raw.strip())
    except ValueError:
        return None
    return ms / 1000.0 if ms >= 0 else None


def parse_reply(action: str, response: HttpResponse) -> dict[str, Any]:
    """A success reply as a dict, or raise.

    Raises the ApiError subclass of the answer's code for an error answer (DryRun verdicts included:
    the API reports them as errors). A reply that cannot be read is no usable answer: TransportError
    with ``sent=True``, since the server had the request -- for a 5xx without an API error body
    (a gateway's HTML page) too, because a gateway timeout does not prove the action did not run.
    """
    if response.status < 400:
        doc = _json_object(response.body)
        if doc is None:
            raise TransportError(f"unreadable reply (HTTP {response.status}, {len(response.body)} bytes)",
                                 sent=True, action=action)
        return doc
    doc = _json_object(response.body) or _xml_error(response.body)
    if doc is None or not doc.get("Code"):
        request_id = response.headers.get("x-acs-request-id", "")
        if response.status >= 500:
            raise TransportError(
                f"HTTP {response.status} without an API error body (RequestId: {request_id or 'none'})",
                sent=True, action=action)
        doc = {"Code": f"HTTP{response.status}", "Message": _snippet(response.body), "RequestId": request_id}
    raise _error_from(action, response, doc)


def _error_from(action: str, response: HttpResponse, doc: Mapping[str, Any]) -> ApiError:
    request_id = str(doc.get("RequestId") or response.headers.get("x-acs-request-id", ""))
    return api_error(
        str(doc.get("Code")),
        str(doc.get("Message") or ""),
        request_id,
        response.status,
        action=action,
        retry_after=retry_after_seconds(response.headers),
    )


def _json_object(body: bytes) -> dict[str, Any] | None:
    try:
        doc = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    return doc if isinstance(doc, dict) else None


def _xml_error(body: bytes) -> dict[str, Any] | None:
    """``<Error><RequestId/><Code/><Message/>...</Error>`` -> dict; None if not that shape."""
    text = body.lstrip()
    if not text.startswith(b"<"):
        return None
    try:
        root = ET.fromstring(text)  # the server's own error document; no entities are expanded
    except ET.ParseError:
        return None
    if root.tag != "Error":
        return None
    return {child.tag: (child.text or "") for child in root}


def _snippet(body: bytes, limit: int = 200) -> str:
    text = body.decode("utf-8", "replace").strip().replace("\n", " ")
    return text[:limit] + ("..." if len(text) > limit else "") if text else "(empty body)"
