"""Typed inputs and state: decoded once, encoded back exactly as they came, fields carrying secretness."""

from __future__ import annotations

from dataclasses import fields

from hypothesis import given
from hypothesis import strategies as st

from ecsreboot.core.resource import INPUTS, OUTPUTS
from ecsreboot.core.state import OUTPUT_FIELDS, Field, TriggerArgs, TriggerState
from ecsreboot.core.values import UNKNOWN, Secret, contains_secret, is_known, reveal


def test_every_declared_property_has_a_field() -> None:
    names = {f.name for f in fields(TriggerState)} - {"extra"}
    assert len(names) == len(INPUTS) + len(OUTPUTS)
    assert list(TriggerArgs().by_name()) == [p.name for p in INPUTS]
    assert len(OUTPUT_FIELDS) == len(OUTPUTS) and set(OUTPUT_FIELDS) <= names


def test_a_field_records_value_secretness_and_known_ness() -> None:
    assert Field.of(Secret(["i-a"])) == Field(Secret(["i-a"]), ["i-a"], True, True)
    assert Field.of({"k": Secret("v")}).secret and Field.of({"k": Secret("v")}).value == {"k": "v"}
    partly = Field.of(["i-a", UNKNOWN])
    assert not partly.known and partly.value is None and partly.known_items() == ["i-a"]
    assert Field.of(UNKNOWN).known_items() is None
    assert Field.of(None).absent and Field.of(None).known
    assert Field.of(Secret(1)).same_as(Field.of(1.0)) and not Field.of("1").same_as(Field.of(1))
    assert Field.of(Secret(["i-a"])).wrap([1]) == Secret([1]) and Field.of(["i-a"]).wrap([1]) == [1]


def test_decode_then_encode_gives_back_the_values_as_they_came() -> None:
    values = {
        "instanceIds": ["i-a", Secret("i-b")], "regionId": Secret("cn-hangzhou"),
        "triggers": {"k": Secret({"deep": [1, Secret(2)]}), "u": UNKNOWN}, "maxUnavailable": 2,
        "__defaults": ["forceReboot"], "rebootCount": 3, "failedInstanceIds": Secret(["i-b"]),
    }
    state = TriggerState.decode(values)
    assert state.encode() == values
    assert state.instance_ids.secret and state.region_id.value == "cn-hangzhou" and state.reboot_count.value == 3
    assert state.extra == {"__defaults": ["forceReboot"]}
    assert state.unknown_names() == ["triggers"]
    args = TriggerArgs.decode(values)
    assert args.extra["rebootCount"] == 3  # an output name is no input: it travels untouched
    assert state.args().encode() == {k: v for k, v in values.items()
                                     if k in {p.name for p in INPUTS}}


def test_state_of_args_adds_outputs() -> None:
    args = TriggerArgs.decode({"instanceIds": ["i-a"], "regionId": "cn-hangzhou"})
    state = TriggerState.of(args, reboot_count=Field.of(0)).with_outputs(results=Field.of([]))
    assert state.encode() == {"instanceIds": ["i-a"], "regionId": "cn-hangzhou", "rebootCount": 0, "results": []}


_leaves = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=5),
                    st.just(UNKNOWN))
_values = st.recursive(
    _leaves,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=3), inner, max_size=3),
                            inner.map(Secret)),
    max_leaves=12,
)


@given(_values)
def test_a_field_is_what_the_three_walks_say(raw: object) -> None:
    field_ = Field.of(raw)
    known = is_known(raw)
    assert field_.known == known
    assert field_.secret == contains_secret(raw)
    assert field_.value == (reveal(raw) if known else None)
    assert field_.raw is raw
