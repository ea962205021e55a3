"""cty values on the wire: MessagePack (``DynamicValue.msgpack``) and JSON (stored state), by type.

A cty type is written as its JSON form: ``"string"``, ``"number"``, ``"bool"``, ``"dynamic"``,
``["list", T]``, ``["set", T]``, ``["map", T]``, ``["tuple", [T, ...]]``, ``["object", {name: T}]``. Values become
plain Python (None for null, dicts for objects and maps, lists for lists, sets and tuples) with
``core.values.UNKNOWN`` for an unknown value at any depth. The wire format (OpenTofu's
docs/plugin-protocol/object-wire-format.md, cty's msgpack package): an unknown is extension type 0, a *refined*
unknown extension type 12 (its refinements are not needed here: both read as UNKNOWN); a number may arrive as a
string when it does not fit a float; a ``dynamic`` value travels as ``[type as JSON, value]``; an object carries
every attribute of its type, null ones included.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from typing import Any

import msgpack

from ..core.values import UNKNOWN

CtyType = Any  # str | list (the JSON form)

_UNKNOWN_EXT = msgpack.ExtType(0, b"\x00")  # what cty writes: fixext1, type 0, one zero byte
_UNKNOWN_CODES = frozenset({0, 12})


class CtyError(ValueError):
    """A value that does not fit its type (a bug in an engine or in this provider, never the user's input)."""


def type_json(ty: CtyType) -> bytes:
    """The type as the schema's ``Attribute.type`` bytes."""
    return json.dumps(ty, separators=(",", ":")).encode()


def _ext(code: int, data: bytes) -> Any:
    if code in _UNKNOWN_CODES:
        return UNKNOWN
    raise CtyError(f"unexpected msgpack extension type {code}")


def unpack(data: bytes, ty: CtyType) -> Any:
    """A ``DynamicValue.msgpack`` payload as Python values (empty payload: null)."""
    return codec(ty).unpack(data)


def pack(value: Any, ty: CtyType) -> bytes:
    return codec(ty).pack(value)


def from_json(data: bytes, ty: CtyType) -> Any:
    """Stored state (``RawState.json``) as Python values: attributes the type lacks are dropped, missing ones null."""
    return codec(ty).from_json(data)


class Codec:
    """``conform`` and the writing of one type, compiled once into a closure per type node: a plan calls them four
    times per resource, and walking the type's JSON form each time (string compares at every node) was most of the
    cost of a call. Behaves exactly as ``conform``/``_for_wire`` with that type."""

    def __init__(self, ty: CtyType) -> None:
        self.type = ty
        self._read = _reader(ty, lenient=False)
        self._read_lenient = _reader(ty, lenient=True)
        self._write = _writer(ty)

    def unpack(self, data: bytes) -> Any:
        if not data:
            return None
        return self._read(msgpack.unpackb(data, ext_hook=_ext, raw=False, strict_map_key=False))

    def pack(self, value: Any) -> bytes:
        packed: bytes = msgpack.packb(self._write(value), use_bin_type=True)
        return packed

    def from_json(self, data: bytes) -> Any:
        return self._read_lenient(json.loads(data))


_CODECS: dict[str, Codec] = {}


def codec(ty: CtyType) -> Codec:
    """The compiled codec of ``ty`` (kept per type, by its JSON text)."""
    key = json.dumps(ty, separators=(",", ":"))
    found = _CODECS.get(key)
    if found is None:
        found = _CODECS[key] = Codec(ty)
    return found


Read = Callable[[Any], Any]


def _reader(ty: CtyType, *, lenient: bool) -> Read:
    """``lambda value: conform(value, ty, lenient=lenient)``, with the type's dispatch done here, once."""
    if ty == "dynamic":
        return lambda value: conform(value, ty, lenient=lenient)
    if ty in ("string", "bool"):
        cls = str if ty == "string" else bool

        def scalar(value: Any) -> Any:
            if value is None or value is UNKNOWN:
                return value
            return _expect(value, cls, ty)

        return scalar
    if ty == "number":
        return lambda value: conform(value, ty)
    if not isinstance(ty, list) or len(ty) != 2:
        raise CtyError(f"unsupported type {ty!r}")
    kind, inner = ty
    if kind in ("list", "set"):
        item = _reader(inner, lenient=lenient)

        def sequence(value: Any) -> Any:
            if value is None or value is UNKNOWN:
                return value
            return [item(v) for v in _expect(value, list, ty)]

        return sequence
    if kind == "tuple":
        items = [_reader(t, lenient=lenient) for t in inner]

        def tuple_(value: Any) -> Any:
            if value is None or value is UNKNOWN:
                return value
            return [read(v) for v, read in zip(_expect(value, list, ty), items, strict=True)]

        return tuple_
    if kind == "map":
        element = _reader(inner, lenient=lenient)

        def mapping(value: Any) -> Any:
            if value is None or value is UNKNOWN:
                return value
            return {str(k): element(v) for k, v in _expect(value, dict, ty).items()}

        return mapping
    if kind == "object":
        members = [(name, _reader(t, lenient=lenient)) for name, t in inner.items()]
        names = frozenset(inner)

        def obj(value: Any) -> Any:
            if value is None or value is UNKNOWN:
                return value
            given = _expect(value, dict, ty)
            if not lenient and not names.issuperset(given):
                raise CtyError(f"unexpected attributes {sorted(set(given) - names)}")
            return {name: read(given.get(name)) for name, read in members}

        return obj
    raise CtyError(f"unsupported type {ty!r}")


def _writer(ty: CtyType) -> Read:
    """``lambda value: _for_wire(value, ty)``, with the type's dispatch done here, once."""
    if ty in ("string", "bool"):
        return lambda value: _UNKNOWN_EXT if value is UNKNOWN else value
    if ty == "dynamic" or ty == "number" or not isinstance(ty, list) or len(ty) != 2:
        return lambda value: _for_wire(value, ty)
    kind, inner = ty
    if kind in ("list", "set", "map"):
        element = _writer(inner)

        def collection(value: Any) -> Any:
            if value is UNKNOWN:
                return _UNKNOWN_EXT
            if value is None:
                return None
            if kind == "map":
                return {str(k): element(v) for k, v in value.items()}
            return [element(v) for v in value]

        return collection
    if kind == "tuple":
        return lambda value: _for_wire(value, ty)
    if kind == "object":
        members = [(name, _writer(t)) for name, t in inner.items()]

        def obj(value: Any) -> Any:
            if value is UNKNOWN:
                return _UNKNOWN_EXT
            if value is None:
                return None
            if not isinstance(value, Mapping):
                raise CtyError(f"expected an object, got {type(value).__name__}")
            return {name: write(value.get(name)) for name, write in members}

        return obj
    raise CtyError(f"unsupported type {ty!r}")


def conform(value: Any, ty: CtyType, *, lenient: bool = False) -> Any:
    """``value`` (decoded wire data) checked against ``ty`` and brought to its Python form.

    ``lenient``: an object may hold attributes its type lacks (they are dropped), as an old state may.
    """
    if value is None or value is UNKNOWN:
        return value
    if ty == "dynamic":
        if isinstance(value, list) and len(value) == 2 and isinstance(value[0], bytes | str):
            return conform(value[1], json.loads(value[0]), lenient=lenient)
        return value
    if ty == "string":
        return _expect(value, str, ty)
    if ty == "bool":
        return _expect(value, bool, ty)
    if ty == "number":
        if isinstance(value, str):  # a number too large or precise for a float travels as its decimal text
            try:
                return int(value)
            except ValueError:
                return float(value)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise CtyError(f"expected a number, got {type(value).__name__}")
        return value
    kind, inner = ty[0], ty[1]
    if kind in ("list", "set"):
        return [conform(v, inner, lenient=lenient) for v in _expect(value, list, ty)]
    if kind == "tuple":
        return [conform(v, t, lenient=lenient) for v, t in zip(_expect(value, list, ty), inner, strict=True)]
    if kind == "map":
        return {str(k): conform(v, inner, lenient=lenient) for k, v in _expect(value, dict, ty).items()}
    if kind == "object":
        given = _expect(value, dict, ty)
        extra = set(given) - set(inner)
        if extra and not lenient:
            raise CtyError(f"unexpected attributes {sorted(extra)}")
        return {name: conform(given.get(name), t, lenient=lenient) for name, t in inner.items()}
    raise CtyError(f"unsupported type {ty!r}")


def _expect(value: Any, cls: type, ty: CtyType) -> Any:
    if not isinstance(value, cls) or (cls is not bool and isinstance(value, bool)):
        raise CtyError(f"expected {json.dumps(ty)}, got {type(value).__name__}")
    return value


def _for_wire(value: Any, ty: CtyType) -> Any:
    """Python -> msgpack-ready data of type ``ty`` (objects get every attribute; whole floats go as integers)."""
    if value is UNKNOWN:
        return _UNKNOWN_EXT
    if value is None:
        return None
    if ty == "dynamic":
        raise CtyError("dynamic values are not written by this provider")
    if ty == "number":
        if isinstance(value, float) and math.isfinite(value) and value.is_integer() and abs(value) < 2**63:
            return int(value)
        return value
    if ty in ("string", "bool"):
        return value
    kind, inner = ty[0], ty[1]
    if kind in ("list", "set"):
        return [_for_wire(v, inner) for v in value]
    if kind == "tuple":
        return [_for_wire(v, t) for v, t in zip(value, inner, strict=True)]
    if kind == "map":
        return {str(k): _for_wire(v, inner) for k, v in value.items()}
    if kind == "object":
        if not isinstance(value, Mapping):
            raise CtyError(f"expected an object, got {type(value).__name__}")
        return {name: _for_wire(value.get(name), t) for name, t in inner.items()}
    raise CtyError(f"unsupported type {ty!r}")
