"""core/signing.percent_encode: the fast path for unreserved text encodes exactly as the full rule does."""

from __future__ import annotations

from urllib.parse import quote

from hypothesis import given
from hypothesis import strategies as st

from ecsreboot.core.signing import percent_encode

UNRESERVED = st.text(st.sampled_from("abcXYZ019-_.~"), max_size=30)


@given(st.one_of(UNRESERVED, st.text(max_size=30)))
def test_percent_encode_is_rfc_3986_over_utf8(text: str) -> None:
    assert percent_encode(text) == quote(text, safe="-_.~")


def test_reserved_characters_and_space_are_encoded() -> None:
    assert percent_encode("InstanceId.1") == "InstanceId.1"
    assert percent_encode("a b+c/*~") == "a%20b%2Bc%2F%2A~"
    assert percent_encode("é") == "%C3%A9"
