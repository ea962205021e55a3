"""core/values: the Secret and UNKNOWN markers and the walks over values, as their docstrings state."""

from __future__ import annotations

import pickle
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from ecsreboot.core.values import (
    TOO_DEEP,
    UNKNOWN,
    Secret,
    canonical,
    contains_secret,
    is_known,
    reveal,
    too_deep,
)

plain_scalars = st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6), st.text(max_size=8),
                          st.floats(allow_nan=False, allow_infinity=False))
#: plain JSON-like values (no markers)
plain = st.recursive(plain_scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                            st.dictionaries(st.text(max_size=4), inner, max_size=4)),
                     max_leaves=20)


def markers(inner: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=4), inner, max_size=4),
                     inner.map(Secret))


#: domain values with secrets at any depth (no unknowns)
with_secrets = st.recursive(plain_scalars, markers, max_leaves=20)
#: domain values with secrets and unknowns at any depth
anything = st.recursive(st.one_of(plain_scalars, st.just(UNKNOWN)), markers, max_leaves=20)


def strip(value: Any) -> Any:
    """Secrets unwrapped by hand (the reference reveal is compared with)."""
    while isinstance(value, Secret):
        value = value.value
    if isinstance(value, dict):
        return {k: strip(v) for k, v in value.items()}
    if isinstance(value, list):
        return [strip(v) for v in value]
    return value


def test_a_secret_repr_never_shows_the_value() -> None:
    secret = Secret({"token": "hunter2"})
    assert "hunter2" not in repr(secret) and "hunter2" not in repr([secret]) and repr(secret) == "Secret(***)"


def test_unknown_is_one_value_even_through_pickle() -> None:
    assert type(UNKNOWN)() is UNKNOWN and repr(UNKNOWN) == "UNKNOWN"
    assert pickle.loads(pickle.dumps({"a": [UNKNOWN]})) == {"a": [UNKNOWN]}
    assert pickle.loads(pickle.dumps(UNKNOWN)) is UNKNOWN
    assert type(TOO_DEEP)() is TOO_DEEP


@given(with_secrets)
def test_reveal_unwraps_every_secret_at_any_depth(value: Any) -> None:
    shown = reveal(value)
    assert shown == strip(value) and not contains_secret(shown)


def test_reveal_makes_any_mapping_a_dict_and_any_tuple_a_list() -> None:
    from types import MappingProxyType

    class Tag(str):
        pass

    value = MappingProxyType({"a": (Secret(1), Tag("x")), "b": [Secret(MappingProxyType({"c": Secret(None)}))]})
    shown = reveal(value)
    assert shown == {"a": [1, "x"], "b": [{"c": None}]}
    assert type(shown) is dict and type(shown["a"]) is list and type(shown["b"][0]) is dict
    assert reveal(Secret(True)) is True and reveal(Secret(Secret(2.5))) == 2.5


@given(plain)
def test_plain_values_hold_no_secret_and_are_known(value: Any) -> None:
    assert not contains_secret(value) and is_known(value) and reveal(value) == value


@given(anything)
def test_contains_secret_and_is_known_see_any_depth(value: Any) -> None:
    assert contains_secret([{"k": value}, Secret(1)])
    assert not is_known({"a": [value, [UNKNOWN]]})
    assert is_known(value) == (UNKNOWN not in _leaves(value))
    assert reveal(Secret([UNKNOWN]))[0] is UNKNOWN  # unknowns stay


def _leaves(value: Any) -> list[Any]:
    if isinstance(value, Secret):
        return _leaves(value.value)
    if isinstance(value, dict):
        return [x for v in value.values() for x in _leaves(v)]
    if isinstance(value, list):
        return [x for v in value for x in _leaves(v)]
    return [value]


@given(with_secrets)
def test_canonical_ignores_secretness_and_is_hashable(value: Any) -> None:
    assert canonical(value) == canonical(reveal(value)) == canonical(Secret(value))
    hash(canonical(value))


def test_canonical_tells_types_apart_but_not_ints_from_floats() -> None:
    assert canonical("1") != canonical(1)
    assert canonical(True) != canonical(1)
    assert canonical(1) == canonical(1.0)
    assert canonical({"a": 1, "b": None}) == canonical({"a": 1}) == canonical({"a": 1, "b": Secret(None)})
    assert canonical({"b": 2, "a": 1}) == canonical({"a": 1, "b": 2})
    assert canonical([1, 2]) != canonical([2, 1])
    assert canonical((1, 2)) == canonical([1, 2])
    assert canonical(UNKNOWN) != canonical(None)
    # a secret of a secret compares by content too (it compared equal whatever its content before)
    assert canonical(Secret(Secret("a"))) != canonical(Secret(Secret("b")))
    assert canonical(Secret(Secret("a"))) == canonical("a")


def test_too_deep_is_found_anywhere_without_recursion() -> None:
    deep: Any = TOO_DEEP
    for n in range(5000):  # deeper than the recursion limit: the walk must not recurse
        deep = [deep] if n % 3 else ({"k": deep} if n % 2 else Secret(deep))
    assert too_deep(deep)
    assert not too_deep({"a": [1, Secret("x"), UNKNOWN]})
