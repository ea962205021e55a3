"""Property values on the wire (``google.protobuf.Struct``) <-> domain values (core.values).

Secrets arrive as ``{sig: secret, value}`` envelopes at any depth and become ``Secret``; the seven
unknown sentinels become ``UNKNOWN``; output-value envelopes are unwrapped (keeping secretness);
resource references become their id (or urn). Encoding does the reverse, so what was secret in
goes back secret at the same depth.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from google.protobuf import struct_pb2

from ..core.values import MAX_DEPTH, TOO_DEEP, UNKNOWN, Secret

SIG_KEY = "4dabf18193072939515e22adb298388d"
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
RESOURCE_REF_SIG = "5cf8f73096256a8f31e491e813e4eb8e"
OUTPUT_SIG = "d0e6a833031e9bbcd3f4e8bde6ca49a4"
UNKNOWN_STRING = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
UNKNOWN_SENTINELS = frozenset(
    {
        UNKNOWN_STRING,
        "1c4a061d-8072-4f0a-a4cb-0ff528b18fe7",  # bool
        "3eeb2bf0-c639-47a8-9e75-3b44932eb421",  # number
        "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2",  # array
        "030794c1-ac77-496b-92df-f27374a8bd58",  # asset
        "e48ece36-62e2-4504-bad9-02848725956a",  # archive
        "dd056dcd-154b-4c76-9bd3-c8f88648b5ff",  # object
    }
)


def from_struct(struct: struct_pb2.Struct | None) -> dict[str, Any]:
    """A Struct as a dict of domain values (empty for None)."""
    if struct is None:
        return {}
    decoded = decode({key: _plain(value, 1) for key, value in struct.fields.items()})
    return decoded if isinstance(decoded, dict) else {}


def _plain(value: struct_pb2.Value, depth: int) -> Any:
    """One protobuf Value as plain Python. Walked by hand rather than with ``json_format``, which
    refuses NaN and infinities (legal in a Struct): those must reach Check and fail there, by name.
    What is nested deeper than ``MAX_DEPTH`` becomes ``TOO_DEEP`` (Check names it), so no walk of the
    value can exhaust the stack."""
    kind = value.WhichOneof("kind")
    if kind in ("struct_value", "list_value") and depth > MAX_DEPTH:
        return TOO_DEEP
    if kind == "struct_value":
        return {key: _plain(item, depth + 1) for key, item in value.struct_value.fields.items()}
    if kind == "list_value":
        return [_plain(item, depth + 1) for item in value.list_value.values]
    if kind == "number_value":
        return value.number_value
    if kind == "string_value":
        return value.string_value
    if kind == "bool_value":
        return value.bool_value
    return None


def decode(value: Any) -> Any:
    """One wire value (already JSON-like) -> domain value."""
    if isinstance(value, str):
        return UNKNOWN if value in UNKNOWN_SENTINELS else value
    if isinstance(value, list):
        return [decode(v) for v in value]
    if isinstance(value, dict):
        sig = value.get(SIG_KEY)
        if sig == SECRET_SIG:
            return Secret(decode(value.get("value")))
        if sig == OUTPUT_SIG:
            inner = decode(value["value"]) if "value" in value else UNKNOWN
            return Secret(inner) if value.get("secret") else inner
        if sig == RESOURCE_REF_SIG:
            ref = value.get("id") or value.get("urn")
            return ref if isinstance(ref, str) and ref else UNKNOWN
        if sig is not None:
            return value  # assets, archives, byte strings: opaque here
        return {k: decode(v) for k, v in value.items()}
    return value


def encode(value: Any) -> Any:
    """One domain value -> JSON-like wire value (envelopes for secrets, sentinel for unknowns)."""
    if isinstance(value, Secret):
        return {SIG_KEY: SECRET_SIG, "value": encode(value.value)}
    if value is UNKNOWN:
        return UNKNOWN_STRING
    if value is TOO_DEEP:
        return f"(nested more than {MAX_DEPTH} levels deep)"
    if isinstance(value, Mapping):
        return {str(k): encode(v) for k, v in value.items() if v is not None}
    if isinstance(value, list | tuple):
        return [encode(v) for v in value]
    return value


def to_struct(values: Mapping[str, Any]) -> struct_pb2.Struct:
    """A dict of domain values as a Struct. None values are dropped (absent)."""
    struct = struct_pb2.Struct()
    struct.update(encode(values))
    return struct
