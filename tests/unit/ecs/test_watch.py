"""ecs/waiter.Watch, the bookkeeping of a pipelined wait: groups polled on their own schedules from their
reboot calls, packed 100 ids to a describe, and what the first groups teach the later ones."""

from __future__ import annotations

from ecsreboot.ecs.evidence import InstanceState
from ecsreboot.ecs.waiter import PollSchedule, Watch

DOWN, UP = InstanceState("Stopping", "2026-01-01T00:00Z"), InstanceState("Running", "2026-01-01T00:05Z")
BEFORE = InstanceState("Running", "2026-01-01T00:00Z")


def _ids(prefix: str, n: int) -> list[str]:
    return [f"i-{prefix}{k:03d}" for k in range(n)]


def _answer(watch: Watch, asked: list[str], state: InstanceState, at: float) -> list[str]:
    return watch.answer(asked, dict.fromkeys(asked, state), polled_at=at, at=at)


def test_each_group_is_polled_on_its_own_schedule_from_its_reboot() -> None:
    watch = Watch(PollSchedule())
    a, b = _ids("a", 100), _ids("b", 100)
    watch.add(a, at=0.0, baseline=dict.fromkeys(a, BEFORE))
    watch.add(b, at=0.5, baseline=dict.fromkeys(b, BEFORE))
    assert watch.take(0.9) == []  # the first point is one interval after each reboot call
    assert watch.take(1.0) == a and watch.take(1.4) == [] and watch.take(1.5) == b


def test_due_groups_are_packed_whole_up_to_100_ids() -> None:
    watch = Watch(PollSchedule())
    small, other, big = _ids("s", 30), _ids("o", 60), _ids("b", 50)
    for ids in (small, other, big):
        watch.add(ids, at=0.0)
    assert watch.take(1.0) == small + other  # big does not fit whole beside them
    assert watch.take(1.0) == big


def test_later_groups_skip_the_points_before_which_a_whole_group_was_still_down() -> None:
    watch = Watch(PollSchedule())
    first, later = _ids("f", 100), _ids("l", 100)
    watch.add(first, at=0.0, baseline=dict.fromkeys(first, BEFORE))
    for point in (1.0, 2.2, 3.64):  # polls at 1, 2.2, 3.64 s: still down
        assert watch.take(point) == first
        _answer(watch, first, DOWN, point)
    assert round(watch.floor, 2) == 3.64
    assert watch.take(5.37) == first and _answer(watch, first, UP, 5.37) == first  # StartTime moved: back
    watch.add(later, at=6.0, baseline=dict.fromkeys(later, BEFORE))
    due = watch.next_due()
    assert due is not None and round(due - 6.0, 2) == 5.37  # not at 1, 2.2 or 3.64 after its reboot


def test_a_straggler_of_a_group_otherwise_back_teaches_nothing() -> None:
    watch = Watch(PollSchedule())
    group = _ids("g", 3)
    watch.add(group, at=0.0, baseline=dict.fromkeys(group, BEFORE))
    assert watch.take(1.0) == group
    watch.answer(group, {group[0]: DOWN, group[1]: UP, group[2]: UP}, polled_at=1.0, at=1.0)
    assert watch.take(2.2) == [group[0]]
    _answer(watch, [group[0]], DOWN, 2.2)
    assert watch.floor == 0.0


def test_a_first_poll_for_the_transition_is_never_skipped_by_what_other_groups_taught() -> None:
    """Instances started within the last minute: StartTime cannot show the reboot, only a poll that sees them
    leave Running can (before the stale window passes), so that poll at once is kept whatever the floor."""
    watch = Watch(PollSchedule(), stale_window=5.0)
    first, later = _ids("f", 100), _ids("l", 100)
    same = InstanceState("Running", BEFORE.start_time)  # back, with the StartTime it had (same minute)
    watch.add(first, at=0.0, left=first, at_once=True, baseline=dict.fromkeys(first, BEFORE))
    assert watch.take(0.1) == first
    _answer(watch, first, DOWN, 0.1)  # the whole group down at 0.1 s: a floor
    assert watch.floor > 0
    assert watch.take(1.1) == first and _answer(watch, first, same, 1.1) == first  # seen leaving: back
    watch.add(later, at=2.0, left=later, at_once=True, baseline=dict.fromkeys(later, BEFORE))
    assert watch.take(2.0) == later  # its poll at once, though it lies before the floor
    _answer(watch, later, DOWN, 2.0)
    assert watch.take(3.0) == later and _answer(watch, later, same, 3.0) == later  # within the stale window


def test_an_instance_is_forgotten_once_back() -> None:
    watch = Watch(PollSchedule(), keep_records=False)
    group = _ids("g", 2)
    watch.add(group, at=0.0, baseline=dict.fromkeys(group, BEFORE))
    assert _answer(watch, watch.take(1.0), UP, 1.0) == group  # StartTime moved: back
    result = watch.outcome()
    assert result.back == group and result.pending == [] and result.records == {} and watch.pending == 0
