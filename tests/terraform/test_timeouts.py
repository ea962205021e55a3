"""The `timeouts` block's durations read as Go's time.ParseDuration reads them."""

from __future__ import annotations

import pytest

from ecsreboot.terraform.timeouts import parse_duration


@pytest.mark.parametrize(("text", "seconds"), [("30s", 30), ("10m", 600), ("1h30m", 5400), ("1.5h", 5400),
                                               ("500ms", 0.5), ("2h0m0s", 7200)])
def test_durations(text: str, seconds: float) -> None:
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["", "10", "10 m", "-5m", "m", "1d", "0s", "200h"])
def test_bad_durations_say_what_is_accepted(text: str) -> None:
    with pytest.raises(ValueError, match=r"duration|at most|more than 0"):
        parse_duration(text)
