"""core/signing.percent_encode: its fast paths (unreserved text as it is; ASCII text one replace per distinct character)
encode exactly as the full rule does."""

from __future__ import annotations

from urllib.parse import quote

from hypothesis import given
from hypothesis import strategies as st

from ecsreboot.core.signing import percent_encode

UNRESERVED = st.text(st.sampled_from("abcXYZ019-_.~"), max_size=30)
#: ASCII with the characters whose escapes could be escaped again if replaced in the wrong order
ASCII = st.text(st.sampled_from('ab%25AF"[], +/=&'), max_size=40)


@given(st.one_of(UNRESERVED, ASCII, st.text(st.characters(max_codepoint=127), max_size=30), st.text(max_size=30)))
def test_percent_encode_is_rfc_3986_over_utf8(text: str) -> None:
    assert percent_encode(text) == quote(text, safe="-_.~")


def test_reserved_characters_and_space_are_encoded() -> None:
    assert percent_encode("InstanceId.1") == "InstanceId.1"
    assert percent_encode("a b+c/*~") == "a%20b%2Bc%2F%2A~"
    assert percent_encode("é") == "%C3%A9"
    assert percent_encode("%25 %") == "%2525%20%25"  # an escape in the text is escaped once, not twice
    assert percent_encode('["i-a","i-b"]') == "%5B%22i-a%22%2C%22i-b%22%5D"
