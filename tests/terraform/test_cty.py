"""cty values on the wire: what OpenTofu sends decodes, what the provider sends is what cty reads."""

from __future__ import annotations

import json

import msgpack
import pytest

from ecsreboot.core.values import UNKNOWN
from ecsreboot.terraform import cty

OBJECT = ["object", {"ids": ["list", "string"], "n": "number", "on": "bool", "tags": ["map", "string"],
                     "block": ["object", {"url": "string"}]}]


def test_a_value_round_trips_with_every_attribute_present() -> None:
    value = {"ids": ["i-a", "i-b"], "n": 2, "on": True, "tags": {"a": "1"}, "block": None}
    assert cty.unpack(cty.pack(value, OBJECT), OBJECT) == value
    # an attribute the Python value leaves out still travels, as null: cty wants every attribute of an object
    assert msgpack.unpackb(cty.pack({"n": 1}, OBJECT)) == {"ids": None, "n": 1, "on": None, "tags": None,
                                                            "block": None}


def test_unknowns_are_extension_0_out_and_both_unknown_extensions_in() -> None:
    packed = cty.pack({"ids": ["i-a", UNKNOWN], "n": UNKNOWN}, OBJECT)
    assert b"\xd4\x00\x00" in packed  # cty's own unknown: fixext1, type 0
    assert cty.unpack(packed, OBJECT)["ids"] == ["i-a", UNKNOWN]
    refined = msgpack.packb({**dict.fromkeys(OBJECT[1]), "n": msgpack.ExtType(12, msgpack.packb({1: True}))})
    assert cty.unpack(refined, OBJECT)["n"] is UNKNOWN


def test_numbers_whole_floats_go_as_integers_and_big_numbers_arrive_as_text() -> None:
    assert msgpack.unpackb(cty.pack(5.0, "number")) == 5
    assert isinstance(msgpack.unpackb(cty.pack(5.0, "number")), int)
    assert cty.unpack(msgpack.packb("123456789012345678901234567890"), "number") == 123456789012345678901234567890
    assert cty.unpack(msgpack.packb("0.1"), "number") == 0.1


def test_a_dynamic_value_carries_its_type() -> None:
    data = msgpack.packb([json.dumps(["list", "string"]).encode(), ["a"]], use_bin_type=True)
    assert cty.unpack(data, "dynamic") == ["a"]


def test_values_that_do_not_fit_their_type_are_refused() -> None:
    with pytest.raises(cty.CtyError):
        cty.unpack(msgpack.packb({"ids": "not a list"}), ["object", {"ids": ["list", "string"]}])
    with pytest.raises(cty.CtyError):
        cty.unpack(msgpack.packb({"other": 1}), ["object", {"ids": ["list", "string"]}])
    with pytest.raises(cty.CtyError):
        cty.unpack(msgpack.packb(True), "number")


def test_stored_json_state_drops_attributes_the_schema_no_longer_has() -> None:
    stored = json.dumps({"ids": ["i-a"], "gone": 1}).encode()
    assert cty.from_json(stored, ["object", {"ids": ["list", "string"], "new": "string"}]) == {"ids": ["i-a"],
                                                                                               "new": None}


def test_type_json_is_compact() -> None:
    assert cty.type_json(["map", "string"]) == b'["map","string"]'


RICH = ["object", {"ids": ["set", "string"], "results": ["list", ["object", {"id": "string", "code": "string"}]],
                   "tags": ["map", "string"], "pair": ["tuple", ["string", "number"]], "n": "number",
                   "any": "dynamic"}]


@pytest.mark.parametrize("value", [
    {"ids": ["i-a", UNKNOWN], "results": [{"id": "i-a", "code": None}, UNKNOWN], "tags": {"k": UNKNOWN},
     "pair": ["x", 2], "n": 3.0, "any": None},
    {"ids": None, "results": UNKNOWN, "tags": None, "pair": None, "n": None, "any": None},
    {"ids": [], "results": [{"id": "i-b", "code": "Success"}], "tags": {}, "pair": [UNKNOWN, UNKNOWN], "n": 0.5,
     "any": None},
])
def test_the_compiled_codec_reads_and_writes_as_the_type_walk_does(value: dict[str, object]) -> None:
    """Codec (compiled once per type) against conform/_for_wire (the type's JSON walked at every node)."""
    walked = msgpack.packb(cty._for_wire(value, RICH), use_bin_type=True)
    assert cty.pack(value, RICH) == walked
    raw = msgpack.unpackb(walked, ext_hook=cty._ext, raw=False, strict_map_key=False)
    assert cty.unpack(walked, RICH) == cty.conform(raw, RICH)


def test_the_compiled_codec_reads_stored_state_as_the_type_walk_does() -> None:
    stored = json.dumps({"ids": ["i-a"], "results": [{"id": "i-a", "code": "Success", "old": 1}], "tags": {"k": "v"},
                         "pair": ["x", 1], "n": 1, "any": None, "gone": 1}).encode()
    assert cty.from_json(stored, RICH) == cty.conform(json.loads(stored), RICH, lenient=True)
    assert cty.from_json(stored, RICH)["results"] == [{"id": "i-a", "code": "Success"}]


def test_the_compiled_codec_refuses_what_the_type_walk_refuses() -> None:
    bad = [{"results": ["not an object"]}, {"tags": ["a list"]}, {"ids": "a string"}, {"n": True}, {"other": 1}]
    for value in bad:
        raw = msgpack.packb({**dict.fromkeys(RICH[1]), **value})
        with pytest.raises(cty.CtyError):
            cty.conform(msgpack.unpackb(raw), RICH)
        with pytest.raises(cty.CtyError):
            cty.unpack(raw, RICH)
    with pytest.raises(cty.CtyError):
        cty.pack({"results": ["not an object"]}, RICH)
