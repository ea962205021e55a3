"""Exactly-once from evidence, over seeded fault mixes (the rules and invariants: exactly_once.py).

300 seeds run in ``make test`` (about 20 s of CPU on the FakeClock); ``pytest -m slow`` adds 3,000
more. The figures of docs/reliability.md come from ``python -m tests.resilience.exactly_once``.
"""

from __future__ import annotations

import pytest

from .exactly_once import Figures, measure, scenario

BATCHES = 6
SEEDS_PER_BATCH = 50  # 300 seeds in all
SLOW_SEEDS = range(10_000, 13_000)


def _assert_holds(figures: Figures) -> None:
    assert not figures.violations, "\n".join(figures.violations[:10])
    assert figures.double_in_run == figures.double_across_next_up == 0
    assert figures.false_failures == figures.false_successes == 0


@pytest.mark.parametrize("batch", range(BATCHES))
def test_no_double_reboot_no_false_failure_under_seeded_fault_mixes(batch: int) -> None:
    figures = measure(range(batch * SEEDS_PER_BATCH, (batch + 1) * SEEDS_PER_BATCH))
    _assert_holds(figures)
    # the mixes bite: replies were lost, and instances were settled from evidence after it
    assert figures.lost_replies > SEEDS_PER_BATCH and figures.confirmed_after_loss > SEEDS_PER_BATCH


def test_the_seeds_cover_every_ingredient_of_the_mix() -> None:
    """Guards the generator: the 300 seeds exercise what the property is about."""
    scenarios = [scenario(seed) for seed in range(BATCHES * SEEDS_PER_BATCH)]
    ingredients = {part.strip() for s in scenarios for part in s.mix().split(",")}
    assert {"RebootInstance", "AllTogether", "SuccessFirst", "chunks>100", "waves", "starved limiter",
            "stale window", "recent StartTime"} <= ingredients
    assert any(s.resources >= 3 for s in scenarios)
    faults = {(f.kind, f.action, f.retry_after_ms) for s in scenarios for f in s.faults}
    for kind in ("drop_after", "drop_before"):
        assert {a for k, a, _ in faults if k == kind} >= {"RebootInstances", "RebootInstance", "DescribeInstances"}
    assert ("throttle", "DescribeInstances", 8000) in faults and ("throttle", "DescribeInstances", 30000) in faults
    assert {k for k, a, _ in faults if a == "DescribeInstances"} >= {"throttle", "error", "latency"}


@pytest.mark.slow
def test_many_more_seeds(request: pytest.FixtureRequest) -> None:
    if "slow" not in (request.config.getoption("markexpr") or ""):
        pytest.skip("3,000 more seeds (a few minutes): run with -m slow")
    _assert_holds(measure(SLOW_SEEDS))
