"""Property values on the wire (``google.protobuf.Struct``) <-> domain values (core.values).

Secrets arrive as ``{sig: secret, value}`` envelopes at any depth and become ``Secret``; the seven
unknown sentinels become ``UNKNOWN``; output-value envelopes are unwrapped (keeping secretness);
resource references become their id (or urn). Encoding does the reverse, so what was secret in
goes back secret at the same depth.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from google.protobuf import struct_pb2

from ..core.sentinels import OUTPUT_SIG, RESOURCE_REF_SIG, SECRET_SIG, SIG_KEY, UNKNOWN_SENTINELS, UNKNOWN_STRING
from ..core.values import MAX_DEPTH, SCALAR_TYPES, TOO_DEEP, UNKNOWN, Secret


def from_struct(struct: struct_pb2.Struct | None, envelopes: list[Any] | None = None) -> dict[str, Any]:
    """A Struct as a dict of domain values (empty for None), in one walk. ``envelopes`` (if given) receives
    the decoded value of every envelope met (secrets, output values, references): the only places a
    ``Secret`` can come from, so a caller can record secret strings by walking just those."""
    if struct is None:
        return {}
    found: list[Any] = [] if envelopes is None else envelopes
    return {key: _value(value, 1, found) for key, value in struct.fields.items()}


def _value(value: struct_pb2.Value, depth: int, envelopes: list[Any]) -> Any:
    """One protobuf Value as a domain value (``decode`` of its plain form, without building that form).
    Walked by hand rather than with ``json_format``, which refuses NaN and infinities (legal in a Struct):
    those must reach Check and fail there, by name. What is nested deeper than ``MAX_DEPTH`` becomes
    ``TOO_DEEP`` (Check names it), so no walk of the value can exhaust the stack."""
    kind = value.WhichOneof("kind")
    if kind == "string_value":
        text = value.string_value
        return UNKNOWN if text in UNKNOWN_SENTINELS else text
    if kind == "number_value":
        return value.number_value
    if kind == "bool_value":
        return value.bool_value
    if kind == "list_value":
        if depth > MAX_DEPTH:
            return TOO_DEEP
        return [_value(item, depth + 1, envelopes) for item in value.list_value.values]
    if kind == "struct_value":
        if depth > MAX_DEPTH:
            return TOO_DEEP
        fields = value.struct_value.fields
        sig = fields.get(SIG_KEY)
        if sig is None:
            return {key: _value(item, depth + 1, envelopes) for key, item in fields.items()}
        # an envelope: decoded as ``decode`` does, from its plain form (envelopes are small and rare)
        decoded = decode({key: _plain(item, depth + 1) for key, item in fields.items()})
        envelopes.append(decoded)
        return decoded
    return None


def _plain(value: struct_pb2.Value, depth: int) -> Any:
    """One protobuf Value as plain Python (JSON-like), depth-guarded as ``_value``."""
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
    if type(value) in SCALAR_TYPES:
        return value
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


def to_struct(values: Mapping[str, Any], into: struct_pb2.Struct | None = None) -> struct_pb2.Struct:
    """A dict of domain values as a Struct (``into``, a message's own Struct field, when given: a Struct
    handed to a message's constructor is copied). None values are dropped (absent).

    Written straight into the Struct (``encode`` of each value, without building the encoded copy first):
    the state of a resource over 100,000 instances is ~16 MB of results, which would otherwise exist once
    more, as Python dicts, at the step's peak of memory."""
    struct = struct_pb2.Struct() if into is None else into
    fields = struct.fields
    for key, value in values.items():
        if value is not None:
            _fill(fields[str(key)], value)
    return struct


def _fill(target: struct_pb2.Value, value: Any) -> None:
    """``target`` set to ``encode(value)`` (what ``Struct.update`` would make of it)."""
    kind = type(value)
    if kind is str:
        target.string_value = value
    elif kind is bool:
        target.bool_value = value
    elif kind is int or kind is float:
        target.number_value = value
    elif isinstance(value, Secret):
        fields = target.struct_value.fields
        fields[SIG_KEY].string_value = SECRET_SIG
        _fill(fields["value"], value.value)
    elif value is UNKNOWN:
        target.string_value = UNKNOWN_STRING
    elif value is TOO_DEEP:
        target.string_value = f"(nested more than {MAX_DEPTH} levels deep)"
    elif isinstance(value, Mapping):
        inner = target.struct_value
        inner.SetInParent()  # an empty map is still a map
        for key, item in value.items():
            if item is not None:
                _fill(inner.fields[str(key)], item)
    elif isinstance(value, list | tuple):
        items = target.list_value
        items.SetInParent()
        for item in value:
            _fill(items.values.add(), item)
    elif value is None:
        target.null_value = struct_pb2.NULL_VALUE
    else:
        encoded = encode(value)  # what encode passes through as it is (a str or number subclass...)
        if encoded is value:
            probe = struct_pb2.Struct()
            probe.update({"v": value})  # raises for what a Struct cannot hold, as Struct.update does
            target.CopyFrom(probe.fields["v"])
        else:
            _fill(target, encoded)


# --- large values, encoded piecewise ---------------------------------------------------------------------

#: lists longer than this are encoded in chunks of this many items (see ``struct_bytes``)
CHUNK = 1_000
#: field numbers of google.protobuf.Struct (``fields``), of its map entries (``key``, ``value``), and of Value
_STRUCT_FIELDS, _ENTRY_KEY, _ENTRY_VALUE = 1, 1, 2
_VALUE_STRUCT, _VALUE_LIST = 5, 6


def struct_bytes(values: Mapping[str, Any]) -> bytes:
    """``to_struct(values).SerializeToString()`` (None values dropped), made without the whole Struct.

    The state of a resource over 100,000 instances holds three lists of 100,000 items (``instanceIds``,
    ``selectedInstanceIds``, ``results``). As one protobuf Struct it takes ~70 MB, and serializing it grows a
    buffer to several times the 19 MB it comes to: the plugin's peak of memory. Here a long list is encoded
    ``CHUNK`` items at a time (a protobuf repeated field is the concatenation of its items, and a map the
    concatenation of its entries), so no more than one chunk exists as protobuf objects at once. The bytes
    are a valid serialization of the same message (map entries in a different order are the same map)."""
    return b"".join(_field(_STRUCT_FIELDS, _entry(str(key), value)) for key, value in values.items()
                    if value is not None)


def message_bytes(prefix: bytes, field_number: int, struct: bytes) -> bytes:
    """A message serialized as ``prefix`` (its other fields, serialized) followed by the Struct field
    ``field_number`` holding ``struct`` (``struct_bytes``): fields of a message may come in any order. An
    empty Struct is left out, as ``to_struct(..., into=message.field)`` leaves the field unset."""
    return prefix + _field(field_number, struct) if struct else prefix


def _entry(key: str, value: Any) -> bytes:
    return _field(_ENTRY_KEY, key.encode()) + _field(_ENTRY_VALUE, _value_bytes(value))


def _value_bytes(value: Any) -> bytes:
    """One Value, serialized: a long list chunk by chunk, a secret around one by hand, the rest through upb."""
    if isinstance(value, list | tuple) and len(value) > CHUNK:
        return _field(_VALUE_LIST, _list_bytes(value))
    if isinstance(value, Secret) and isinstance(value.value, list | tuple) and len(value.value) > CHUNK:
        envelope = _field(_STRUCT_FIELDS, _entry(SIG_KEY, SECRET_SIG)) + \
            _field(_STRUCT_FIELDS, _entry("value", value.value))
        return _field(_VALUE_STRUCT, envelope)
    target = struct_pb2.Value()
    _fill(target, value)
    return bytes(target.SerializeToString())


def _list_bytes(items: Sequence[Any]) -> bytes:
    """A ListValue of ``items``, serialized ``CHUNK`` items at a time."""
    parts = []
    for start in range(0, len(items), CHUNK):
        chunk = struct_pb2.ListValue()
        values = chunk.values
        for item in items[start:start + CHUNK]:
            _fill(values.add(), item)
        parts.append(chunk.SerializeToString())
    return b"".join(parts)


def _field(number: int, payload: bytes) -> bytes:
    """A length-delimited field: its tag, the payload's length (varint), the payload."""
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def _varint(n: int) -> bytes:
    out = bytearray()
    while n > 0x7F:
        out.append(n & 0x7F | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)
