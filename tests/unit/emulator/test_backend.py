"""The fake cloud without HTTP: status machine on a FakeClock, both batch modes, every error code."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from ecsreboot.core.clock import FakeClock
from ecsreboot.core.errors import ApiError
from ecsreboot.emulator import Ecs

REGION = "cn-hangzhou"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def ecs(clock: FakeClock) -> Ecs:
    return Ecs(clock, {"Stopping": 2.0, "Starting": 3.0})


def status(ecs: Ecs, iid: str) -> str:
    return ecs.instance(iid).status


def raised(fn: Callable[..., object], *args: object, **kwargs: object) -> ApiError:
    with pytest.raises(ApiError) as info:
        fn(*args, **kwargs)
    return info.value


# --- ids and admin ---------------------------------------------------------------------------------


def test_ids_look_real_and_repeat_with_the_seed(clock: FakeClock) -> None:
    first = Ecs(clock, seed=7).add_instances(5)
    assert all(re.fullmatch(r"i-[a-z0-9]{20}", i) for i in first)
    assert len(set(first)) == 5
    assert Ecs(clock, seed=7).add_instances(5) == first
    assert Ecs(clock, seed=8).add_instances(5) != first


def test_reset_forgets_instances_and_restarts_ids(ecs: Ecs) -> None:
    ids = ecs.add_instances(2)
    ecs.reboot_instances(REGION, ids)
    ecs.reset()
    assert ecs.instance_ids() == []
    assert ecs.add_instances(2) == ids
    assert ecs.reboot_counts() == dict.fromkeys(ids, 0)


def test_instances_are_listed_per_region(ecs: Ecs) -> None:
    a = ecs.add_instances(2, "cn-hangzhou")
    b = ecs.add_instances(1, "cn-beijing")
    assert ecs.instance_ids("cn-hangzhou") == a
    assert ecs.instance_ids("cn-beijing") == b
    assert ecs.instance_ids() == a + b


def test_bad_admin_input_is_refused(ecs: Ecs) -> None:
    with pytest.raises(ValueError):
        ecs.set_durations({"Running": 1.0})
    with pytest.raises(ValueError):
        ecs.set_durations({"Stopping": -1})
    with pytest.raises(KeyError):
        ecs.set_status("i-nope", "Stopped")
    with pytest.raises(ValueError):
        ecs.add_instances(1, status="Sleeping")


# --- status machine --------------------------------------------------------------------------------


def test_reboot_walks_stopping_starting_running_lazily(ecs: Ecs, clock: FakeClock) -> None:
    [iid] = ecs.add_instances(1)
    ecs.reboot_instances(REGION, [iid])
    assert status(ecs, iid) == "Stopping"
    clock.advance(1.99)
    assert status(ecs, iid) == "Stopping"
    clock.advance(0.01)
    assert status(ecs, iid) == "Starting"
    clock.advance(2.99)
    assert status(ecs, iid) == "Starting"
    clock.advance(0.01)
    assert status(ecs, iid) == "Running"


def test_status_does_not_depend_on_how_often_it_is_read(ecs: Ecs, clock: FakeClock) -> None:
    a, b = ecs.add_instances(2)
    ecs.reboot_instances(REGION, [a, b])
    for _ in range(40):  # a is read every 0.1 s, b only once at the end
        clock.advance(0.1)
        status(ecs, a)
    clock.advance(0.9)  # 4.9 s in total: still Starting
    assert status(ecs, a) == status(ecs, b) == "Starting"
    clock.advance(0.1)
    assert status(ecs, a) == status(ecs, b) == "Running"


def test_zero_durations_finish_at_the_next_read(clock: FakeClock) -> None:
    ecs = Ecs(clock, {"Stopping": 0, "Starting": 0})
    [iid] = ecs.add_instances(1)
    [result] = ecs.reboot_instances(REGION, [iid])
    assert result.current_status == "Stopping"
    assert status(ecs, iid) == "Running"


def test_pending_instances_become_running(ecs: Ecs, clock: FakeClock) -> None:
    [iid] = ecs.add_instances(1, status="Pending")
    assert status(ecs, iid) == "Pending"
    clock.advance(1.0)
    assert status(ecs, iid) == "Running"


def test_set_status_and_stopped_is_final(ecs: Ecs, clock: FakeClock) -> None:
    [iid] = ecs.add_instances(1)
    ecs.set_status(iid, "Stopped")
    clock.advance(100)
    assert status(ecs, iid) == "Stopped"


# --- RebootInstances: AllTogether ------------------------------------------------------------------


def test_all_together_reboots_everything(ecs: Ecs) -> None:
    ids = ecs.add_instances(3)
    results = ecs.reboot_instances(REGION, ids)
    assert [(r.instance_id, r.code, r.previous_status, r.current_status) for r in results] == [
        (i, "200", "Running", "Stopping") for i in ids
    ]
    assert ecs.reboot_counts() == dict.fromkeys(ids, 1)


def make_unrebootable(ecs: Ecs, iid: str, how: str) -> str:
    """Put ``iid`` in the state ``how``; returns the id to send (an unknown one for "missing")."""
    if how == "missing":
        return "i-doesnotexist00000000"
    {"stopped": lambda: ecs.set_status(iid, "Stopped"), "locked": lambda: ecs.lock(iid, "security"),
     "expired": lambda: ecs.expire(iid)}[how]()
    return iid


PROBLEMS = [
    ("missing", "InvalidInstanceId.NotFound", 404),
    ("stopped", "IncorrectInstanceStatus", 403),
    ("locked", "InstanceLockedForSecurity", 403),
    ("expired", "InstanceExpiredOrInArrears", 403),
]


@pytest.mark.parametrize(("how", "code", "http"), PROBLEMS)
def test_all_together_fails_whole_batch_on_one_bad_instance(ecs: Ecs, how: str, code: str, http: int) -> None:
    good, other = ecs.add_instances(2)
    bad = make_unrebootable(ecs, other, how)
    err = raised(ecs.reboot_instances, REGION, [good, bad])
    assert (err.code, err.http_status, err.action) == (code, http, "RebootInstances")
    assert bad in err.message
    assert status(ecs, good) == "Running"
    assert ecs.reboot_counts()[good] == 0


def test_instance_in_another_region_is_not_found(ecs: Ecs) -> None:
    [iid] = ecs.add_instances(1, "cn-beijing")
    assert raised(ecs.reboot_instances, REGION, [iid]).code == "InvalidInstanceId.NotFound"


def test_rebooting_instance_cannot_be_rebooted_again(ecs: Ecs) -> None:
    [iid] = ecs.add_instances(1)
    ecs.reboot_instances(REGION, [iid])
    assert raised(ecs.reboot_instances, REGION, [iid]).code == "IncorrectInstanceStatus"


def test_other_lock_reasons_do_not_block_reboots(ecs: Ecs) -> None:
    [iid] = ecs.add_instances(1)
    ecs.lock(iid, "financial")
    assert ecs.reboot_instances(REGION, [iid])[0].code == "200"
    ecs.lock(iid, "security")
    ecs.unlock(iid, "security")
    assert ecs.instance(iid).locks == (("financial", "The instance is locked (financial)."),)


def test_duplicate_ids_reboot_once(ecs: Ecs) -> None:
    [iid] = ecs.add_instances(1)
    assert len(ecs.reboot_instances(REGION, [iid, iid])) == 1
    assert ecs.reboot_counts()[iid] == 1


def test_all_together_dry_run_passes_without_rebooting(ecs: Ecs) -> None:
    ids = ecs.add_instances(2)
    err = raised(ecs.reboot_instances, REGION, ids, dry_run=True)
    assert (err.code, err.http_status) == ("DRYRUN.SUCCESS", 400)
    assert err.message == "This request is a dryrun request with successful result."
    assert ecs.reboot_counts() == dict.fromkeys(ids, 0)
    assert all(status(ecs, i) == "Running" for i in ids)


def test_all_together_dry_run_reports_the_real_problem(ecs: Ecs) -> None:
    [iid] = ecs.add_instances(1)
    ecs.lock(iid)
    assert raised(ecs.reboot_instances, REGION, [iid], dry_run=True).code == "InstanceLockedForSecurity"


# --- RebootInstances: SuccessFirst ------------------------------------------------------------------


def test_success_first_reports_each_instance(ecs: Ecs) -> None:
    good, stopped, locked = ecs.add_instances(3)
    ecs.set_status(stopped, "Stopped")
    ecs.lock(locked)
    results = ecs.reboot_instances(REGION, [good, stopped, locked, "i-TestID"], batch_optimization="SuccessFirst")
    assert [r.to_wire() for r in results] == [
        {"Code": "200", "Message": "success", "InstanceId": good, "PreviousStatus": "Running",
         "CurrentStatus": "Stopping"},
        {"Code": "IncorrectInstanceStatus", "Message": "The current status of the resource does not support "
         "this operation.", "InstanceId": stopped, "PreviousStatus": "Stopped", "CurrentStatus": "Stopped"},
        {"Code": "InstanceLockedForSecurity", "Message": "The specified operation is denied as your instance is "
         "locked for security reasons.", "InstanceId": locked, "PreviousStatus": "Running",
         "CurrentStatus": "Running"},
        {"Code": "InvalidInstanceId.NotFound", "Message": "The specified InstanceId does not exist.",
         "InstanceId": "i-TestID", "PreviousStatus": "", "CurrentStatus": ""},
    ]
    assert ecs.reboot_counts() == {good: 1, stopped: 0, locked: 0}


def test_success_first_dry_run_always_succeeds_even_when_nothing_could_reboot(ecs: Ecs) -> None:
    [iid] = ecs.add_instances(1)
    ecs.set_status(iid, "Stopped")
    err = raised(ecs.reboot_instances, REGION, [iid, "i-unknown"], batch_optimization="SuccessFirst", dry_run=True)
    assert (err.code, err.http_status) == ("DRYRUN.SUCCESS", 400)
    assert ecs.reboot_counts()[iid] == 0


# --- RebootInstance ------------------------------------------------------------------------------------


def test_reboot_instance_finds_the_instance_in_any_region(ecs: Ecs) -> None:
    [iid] = ecs.add_instances(1, "cn-beijing")
    assert ecs.reboot_instance(iid).current_status == "Stopping"
    assert ecs.reboot_counts()[iid] == 1


def test_reboot_instance_honours_a_region_when_given(ecs: Ecs) -> None:
    [iid] = ecs.add_instances(1, "cn-beijing")
    err = raised(ecs.reboot_instance, iid, region="cn-hangzhou")
    assert (err.code, err.http_status) == ("InvalidInstanceId.NotFound", 404)
    ecs.reboot_instance(iid, region="cn-beijing")


@pytest.mark.parametrize(("how", "code", "http"), PROBLEMS)
def test_reboot_instance_errors_with_and_without_dry_run(ecs: Ecs, how: str, code: str, http: int) -> None:
    [iid] = ecs.add_instances(1)
    target = make_unrebootable(ecs, iid, how)
    for dry_run in (False, True):
        err = raised(ecs.reboot_instance, target, dry_run=dry_run)
        assert (err.code, err.http_status, err.action) == (code, http, "RebootInstance")
    assert ecs.reboot_counts()[iid] == 0


def test_reboot_instance_dry_run(ecs: Ecs) -> None:
    [iid] = ecs.add_instances(1)
    err = raised(ecs.reboot_instance, iid, dry_run=True)
    assert (err.code, err.http_status) == ("DryRunOperation", 400)
    assert err.message == "Request validation has been passed with DryRun flag set."
    assert ecs.reboot_counts()[iid] == 0
    ecs.reboot_instance(iid, force_stop=True)
    assert ecs.reboot_counts()[iid] == 1


# --- describe calls --------------------------------------------------------------------------------------


def test_describe_instance_status_pages(ecs: Ecs) -> None:
    ids = ecs.add_instances(25)
    ecs.add_instances(3, "cn-beijing")
    pages = [ecs.describe_instance_status(REGION, page_number=n, page_size=10) for n in (1, 2, 3)]
    assert [len(p.items) for p in pages] == [10, 10, 5]
    assert [v.instance_id for p in pages for v in p.items] == ids
    assert {(p.total, p.page_size) for p in pages} == {(25, 10)}
    assert [p.page_number for p in pages] == [1, 2, 3]
    assert ecs.describe_instance_status(REGION, page_number=4).items == []


def test_describe_instance_status_filters_ids_and_skips_unknown(ecs: Ecs) -> None:
    ids = ecs.add_instances(3)
    page = ecs.describe_instance_status(REGION, [ids[2], "i-unknown", ids[0]])
    assert [v.instance_id for v in page.items] == [ids[0], ids[2]]
    assert page.total == 2


def test_describe_instances_next_token_paging(ecs: Ecs) -> None:
    ids = ecs.add_instances(7)
    seen, token, pages = [], None, 0
    while True:
        page = ecs.describe_instances(REGION, max_results=3, next_token=token)
        seen += [v.instance_id for v in page.items]
        pages += 1
        token = page.next_token
        if not token:
            break
    assert (seen, pages) == (ids, 3)


def test_describe_instances_status_filter_and_page_numbers(ecs: Ecs) -> None:
    ids = ecs.add_instances(4)
    ecs.reboot_instances(REGION, ids[:2])
    page = ecs.describe_instances(REGION, status="Stopping", page_size=1, page_number=2)
    assert [v.instance_id for v in page.items] == [ids[1]]
    assert (page.total, page.page_number, page.next_token) == (2, 2, "")


def test_describe_instances_bad_token(ecs: Ecs) -> None:
    err = raised(ecs.describe_instances, REGION, next_token="garbage!")
    assert err.code == "InvalidParameter"


def test_describe_shows_locks_and_expiry(ecs: Ecs) -> None:
    [iid] = ecs.add_instances(1)
    ecs.lock(iid, "security", "locked by tests")
    ecs.expire(iid)
    [view] = ecs.describe_instances(REGION, [iid]).items
    assert view.locks == (("security", "locked by tests"),)
    assert view.expired


# --- knobs for scripted scenarios ------------------------------------------------------------------------


def test_instances_can_be_given_their_ids(ecs: Ecs) -> None:
    assert ecs.add_instances(["i-web1", "i-web2"]) == ["i-web1", "i-web2"]
    assert ecs.instance_ids(REGION)[-2:] == ["i-web1", "i-web2"]
    ecs.reboot_instances(REGION, ["i-web2"])
    assert ecs.reboot_counts() == {"i-web1": 0, "i-web2": 1}
    for wrong in (["i-web1"], ["web3"], ["i-"], ["i-x", "i-x"]):
        with pytest.raises(ValueError, match="instance ids"):
            ecs.add_instances(wrong)
    assert ecs.instance_ids(REGION) == ["i-web1", "i-web2"]  # a refused list adds none of its ids


def test_a_stuck_instance_stays_in_its_status_until_released(ecs: Ecs, clock: FakeClock) -> None:
    iid, other = ecs.add_instances(2)
    ecs.set_stuck(iid, "Starting")
    ecs.reboot_instances(REGION, [iid, other])
    clock.advance(3600)
    assert (status(ecs, iid), status(ecs, other)) == ("Starting", "Running")
    assert ecs.instance(iid).stuck == "Starting" and ecs.instance(iid).to_dict()["stuckIn"] == "Starting"
    assert raised(ecs.reboot_instance, iid).code == "IncorrectInstanceStatus"
    ecs.set_stuck(iid, None)
    clock.advance(2.9)
    assert status(ecs, iid) == "Starting"  # its Starting counts from the release
    clock.advance(0.1)
    assert status(ecs, iid) == "Running"
    with pytest.raises(ValueError, match="transitional"):
        ecs.set_stuck(iid, "Stopped")


def test_a_denied_instance_answers_forbidden_ram_also_to_dry_runs(ecs: Ecs) -> None:
    iid, other = ecs.add_instances(2)
    ecs.deny(iid)
    err = raised(ecs.reboot_instances, REGION, [other, iid])
    assert (err.code, err.http_status) == ("Forbidden.RAM", 403) and "User not authorized" in err.message
    assert raised(ecs.reboot_instance, iid, dry_run=True).code == "Forbidden.RAM"
    rows = ecs.reboot_instances(REGION, [iid, other], batch_optimization="SuccessFirst")
    assert [r.code for r in rows] == ["Forbidden.RAM", "200"]
    assert [v.instance_id for v in ecs.describe_instances(REGION).items] == [iid, other]  # still listed
    ecs.deny(iid, False)
    ecs.reboot_instance(iid)
    assert ecs.reboot_counts() == {iid: 1, other: 1}


def test_max_page_size_pages_smaller_than_asked(ecs: Ecs) -> None:
    ids = ecs.add_instances(25)
    ecs.set_max_page_size(10)
    pages = [ecs.describe_instances(REGION, ids, page_number=n, page_size=100) for n in (1, 2, 3)]
    assert [len(p.items) for p in pages] == [10, 10, 5] and {p.page_size for p in pages} == {10}
    assert [v.instance_id for p in pages for v in p.items] == ids and pages[0].total == 25
    first = ecs.describe_instances(REGION, max_results=100)
    assert len(first.items) == 10 and first.next_token
    assert len(ecs.describe_instance_status(REGION, page_size=50).items) == 10
    ecs.set_max_page_size(None)
    assert len(ecs.describe_instances(REGION, page_size=100).items) == 25
    with pytest.raises(ValueError):
        ecs.set_max_page_size(0)
    ecs.set_max_page_size(3)
    ecs.reset()
    assert ecs.max_page_size() is None


def test_the_view_before_the_last_reboot_call(ecs: Ecs, clock: FakeClock) -> None:
    iid, never = ecs.add_instances(2)
    before = ecs.instance(iid)
    ecs.reboot_instances(REGION, [iid])
    clock.advance(2.5)  # Starting: a new StartTime
    now, old = ecs.instance(iid), ecs.instance(iid, before_reboot=True)
    assert (now.status, old.status) == ("Starting", "Running")
    assert old.start_time == before.start_time != now.start_time
    assert ecs.instance(never, before_reboot=True) == ecs.instance(never)  # never rebooted: as it is
