"""adapter/properties: Struct wire values <-> domain values, as the module docstring states.

Secrets at any depth come back secret at the same depth; every unknown sentinel decodes to UNKNOWN;
output-value envelopes unwrap keeping secretness; resource references become their id (or urn).
"""

from __future__ import annotations

import math
from typing import Any

import pytest
from google.protobuf import struct_pb2
from hypothesis import given, settings
from hypothesis import strategies as st

from ecsreboot.adapter import properties
from ecsreboot.adapter.properties import decode, encode, from_struct, message_bytes, struct_bytes, to_struct
from ecsreboot.adapter.proto import provider_pb2
from ecsreboot.core.sentinels import (
    ASSET_SIG,
    OUTPUT_SIG,
    RESOURCE_REF_SIG,
    SECRET_SIG,
    SIG_KEY,
    UNKNOWN_SENTINELS,
    UNKNOWN_STRING,
)
from ecsreboot.core.values import MAX_DEPTH, TOO_DEEP, UNKNOWN, Secret, too_deep

keys = st.text(max_size=6).filter(lambda k: k != SIG_KEY)
#: scalars as a Struct carries them (numbers are doubles; strings that are not sentinels)
scalars = st.one_of(st.booleans(), st.floats(allow_nan=False, allow_infinity=False),
                    st.text(max_size=8).filter(lambda s: s not in UNKNOWN_SENTINELS))
#: domain values with secrets and unknowns at any depth (no None: a Struct drops None map values)
domain = st.recursive(
    st.one_of(scalars, st.just(UNKNOWN)),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(keys, inner, max_size=3),
                            inner.map(Secret)),
    max_leaves=15)


@settings(max_examples=200, deadline=None)
@given(domain)
def test_decode_inverts_encode_with_secrets_and_unknowns_at_any_depth(value: Any) -> None:
    assert decode(encode(value)) == value


@settings(max_examples=100, deadline=None)
@given(st.dictionaries(keys, domain, max_size=4))
def test_a_struct_round_trip_keeps_every_secret_and_unknown(values: dict[str, Any]) -> None:
    struct = to_struct(values)
    assert isinstance(struct, struct_pb2.Struct)
    assert from_struct(struct) == values


@settings(max_examples=100, deadline=None)
@given(st.dictionaries(keys, st.one_of(domain, st.integers(-10**6, 10**6), st.lists(st.none(), max_size=2),
                                       st.tuples(scalars), st.none()), max_size=4))
def test_to_struct_writes_what_struct_update_makes_of_the_encoded_values(values: dict[str, Any]) -> None:
    expected = struct_pb2.Struct()
    expected.update(encode({k: v for k, v in values.items() if v is not None}))
    assert to_struct(values) == expected


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(keys, st.one_of(domain, st.lists(domain, max_size=9), st.lists(domain, max_size=9).map(Secret),
                                       st.none()), max_size=4))
def test_struct_bytes_is_a_serialization_of_what_to_struct_makes(values: dict[str, Any]) -> None:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(properties, "CHUNK", 2)  # lists of 3 and more go in chunks, secret ones too
        encoded = struct_bytes(values)
    assert struct_pb2.Struct.FromString(encoded) == to_struct(values)


def test_a_step_response_serialized_by_hand_is_the_one_to_struct_fills() -> None:
    rows = [{"instanceId": f"i-{k}", "code": "200", "message": "", "previousStatus": "Running",
             "currentStatus": "Stopping"} for k in range(2_345)]
    state = {"instanceIds": [r["instanceId"] for r in rows], "results": Secret(rows), "rebootCount": 1.0,
             "triggers": {"run": Secret("x")}, "failedInstanceIds": [], "lastRebootTime": None}
    expected = provider_pb2.CreateResponse(id="rt-1")
    to_struct(state, into=expected.properties)
    prefix = provider_pb2.CreateResponse(id="rt-1").SerializeToString()
    assert provider_pb2.CreateResponse.FromString(message_bytes(prefix, 2, struct_bytes(state))) == expected
    # an empty state leaves the field unset, as to_struct into it does
    assert provider_pb2.CreateResponse.FromString(message_bytes(prefix, 2, struct_bytes({}))) == \
        provider_pb2.CreateResponse(id="rt-1")


def test_the_wire_forms() -> None:
    assert encode(Secret({"a": [Secret(1)]})) == {SIG_KEY: SECRET_SIG, "value": {"a": [{SIG_KEY: SECRET_SIG,
                                                                                         "value": 1}]}}
    assert encode({"x": UNKNOWN, "gone": None, 3: (1, 2)}) == {"x": UNKNOWN_STRING, "3": [1, 2]}
    assert encode(TOO_DEEP) == f"(nested more than {MAX_DEPTH} levels deep)"


def test_every_unknown_sentinel_decodes_to_unknown() -> None:
    assert len(UNKNOWN_SENTINELS) == 7
    assert all(decode(s) is UNKNOWN for s in UNKNOWN_SENTINELS)
    assert decode([{"k": next(iter(UNKNOWN_SENTINELS))}]) == [{"k": UNKNOWN}]


def test_output_values_unwrap_keeping_secretness() -> None:
    assert decode({SIG_KEY: OUTPUT_SIG, "value": "v"}) == "v"
    assert decode({SIG_KEY: OUTPUT_SIG, "value": "v", "secret": True}) == Secret("v")
    assert decode({SIG_KEY: OUTPUT_SIG}) is UNKNOWN
    assert decode({SIG_KEY: OUTPUT_SIG, "secret": True}) == Secret(UNKNOWN)
    assert decode({SIG_KEY: OUTPUT_SIG, "value": {SIG_KEY: SECRET_SIG, "value": [1.0]}}) == Secret([1.0])


def test_resource_references_become_their_id_or_urn() -> None:
    assert decode({SIG_KEY: RESOURCE_REF_SIG, "urn": "urn:x", "id": "i-1"}) == "i-1"
    assert decode({SIG_KEY: RESOURCE_REF_SIG, "urn": "urn:x", "id": ""}) == "urn:x"
    assert decode({SIG_KEY: RESOURCE_REF_SIG}) is UNKNOWN


def test_other_special_values_stay_opaque() -> None:
    asset = {SIG_KEY: ASSET_SIG, "text": "hello"}
    assert decode(asset) == asset


def test_nan_reaches_the_domain_and_none_means_empty() -> None:
    struct = struct_pb2.Struct()
    struct.update({"n": math.nan, "i": math.inf, "z": None})
    decoded = from_struct(struct)
    assert math.isnan(decoded["n"]) and decoded["i"] == math.inf and decoded["z"] is None
    assert from_struct(None) == {}


def test_what_is_nested_too_deep_becomes_too_deep_without_exhausting_the_stack() -> None:
    value: Any = "leaf"
    for _ in range(MAX_DEPTH + 5):
        value = [value]
    struct = struct_pb2.Struct()
    struct.update({"deep": value[0]})  # Struct.update itself recurses; stay within its limit
    decoded = from_struct(struct)
    assert too_deep(decoded)
    shallow = struct_pb2.Struct()
    shallow.update({"ok": [[["leaf"]]]})
    assert not too_deep(from_struct(shallow)) and from_struct(shallow) == {"ok": [[["leaf"]]]}
