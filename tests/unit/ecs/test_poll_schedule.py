"""ecs/waiter.PollSchedule: the default schedule notices the end of a reboot as its docstring promises."""

from __future__ import annotations

from itertools import accumulate, islice, pairwise

from ecsreboot.ecs.waiter import PollSchedule


def test_a_five_second_reboot_is_seen_at_the_fifth_poll_about_5_4_s_after_the_first() -> None:
    starts = [0.0, *accumulate(islice(PollSchedule().delays(), 4))]
    assert [round(t, 2) for t in starts] == [0.0, 1.0, 2.2, 3.64, 5.37]


def test_polls_grow_at_most_by_the_factor_and_never_beyond_the_cap() -> None:
    schedule = PollSchedule()
    delays = list(islice(schedule.delays(), 40))
    assert delays[0] == schedule.interval and max(delays) == schedule.max_interval
    assert all(b <= a * schedule.factor + 1e-9 for a, b in pairwise(delays))
