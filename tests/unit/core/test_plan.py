"""core/plan: chunks, rolling waves and de-duplication, as their docstrings state."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ecsreboot.core.plan import chunked, dedupe, waves

id_lists = st.lists(st.sampled_from([f"i-{n}" for n in range(30)]), max_size=60)


def test_the_docstring_example() -> None:
    assert [len(c) for c in chunked(range(250), 100)] == [100, 100, 50]


def test_a_chunk_size_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        list(chunked([1, 2], 0))


@given(st.lists(st.integers(), max_size=50), st.integers(1, 60))
def test_chunks_are_consecutive_slices_of_at_most_size(items: list[int], size: int) -> None:
    chunks = list(chunked(items, size))
    assert [x for c in chunks for x in c] == items
    assert all(1 <= len(c) <= size for c in chunks)
    assert all(len(c) == size for c in chunks[:-1])


@given(id_lists, st.one_of(st.none(), st.integers(1, 70)))
def test_waves_hold_at_most_max_unavailable_and_keep_the_order(ids: list[str], max_unavailable: int | None) -> None:
    planned = waves(ids, max_unavailable)
    assert [i for w in planned for i in w] == ids
    if not ids:
        assert planned == []
    elif max_unavailable is None or max_unavailable >= len(ids):
        assert planned == [ids]
    else:
        assert all(1 <= len(w) <= max_unavailable for w in planned)


@given(id_lists)
def test_dedupe_keeps_the_first_of_each_in_order(ids: list[str]) -> None:
    once = dedupe(ids)
    assert len(once) == len(set(ids)) and set(once) == set(ids)
    assert once == sorted(set(ids), key=ids.index)
    assert dedupe(once) == once


def test_examples() -> None:
    assert waves(["a", "b", "c"], 2) == [["a", "b"], ["c"]]
    assert waves(["a", "b"], None) == [["a", "b"]]
    assert dedupe(["b", "a", "b", "c", "a"]) == ["b", "a", "c"]
