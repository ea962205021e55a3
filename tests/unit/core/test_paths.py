"""Property paths in the engine's syntax: what the CLI's diff shows as one key stays one key."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ecsreboot.core.paths import parse, property_path, top_level


@pytest.mark.parametrize(
    ("key", "path"),
    [
        ("configHash", "triggers.configHash"),
        ("config_hash2", "triggers.config_hash2"),
        ("nginx.conf", 'triggers["nginx.conf"]'),
        ("a[0]", 'triggers["a[0]"]'),
        ("with space", 'triggers["with space"]'),
        ('say "hi"', 'triggers["say \\"hi\\""]'),
        ("", 'triggers[""]'),
        ("*", 'triggers["*"]'),
        ("ключ", 'triggers["ключ"]'),
    ],
)
def test_keys_that_are_not_plain_names_are_quoted(key: str, path: str) -> None:
    assert property_path("triggers", key) == path
    assert parse(path) == ["triggers", key]
    assert top_level(path) == "triggers"


def test_indexes_and_a_quoted_first_key() -> None:
    assert property_path("results", 0, "code") == "results[0].code"
    assert parse("results[0].code") == ["results", 0, "code"]
    assert property_path("a.b", "c") == '["a.b"].c'
    assert top_level('["a.b"].c') == "a.b"


def test_a_key_ending_in_a_backslash_cannot_be_written() -> None:
    # ["a\"] would read as an escaped quote: the caller reports the whole map instead
    assert property_path("triggers", "a\\") is None


@given(st.text().filter(lambda k: not k.endswith("\\")))
def test_every_writable_key_reads_back_as_one_key(key: str) -> None:
    path = property_path("triggers", key)
    assert path is not None
    assert parse(path) == ["triggers", key]
