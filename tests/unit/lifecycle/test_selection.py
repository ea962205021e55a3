"""The lifecycle with instanceSelector (a fake backend that answers selections): resolved once per round and
only when a round is due, preview included; the union with instanceIds; selectedInstanceIds; a membership
change alone reboots nothing; a failed instance that left the selection is dropped with a warning."""

from __future__ import annotations

import pytest

from ecsreboot.core.errors import ResourceInitFailed, SelectionError
from ecsreboot.core.model import ProgressEvent
from ecsreboot.core.values import UNKNOWN, Secret
from tests.unit.lifecycle.test_lifecycle import FakeBackend, diff, inputs, make, run_create, run_update

FLEET = ["i-w1", "i-w2", "i-w3", "i-w4"]


def fleet(**over):
    """A resource that selects vpc-x (the fake backend's ``selects`` says what that holds), no ids listed."""
    ins = inputs(**{"instanceSelector": {"vpcId": "vpc-x", "tags": {"app": "web"}}, **over})
    if "instanceIds" not in over:
        del ins["instanceIds"]
    return ins


def test_create_resolves_the_selection_once_and_reboots_it_with_its_look() -> None:
    backend = FakeBackend(selects={"vpc-x": FLEET})
    events: list[ProgressEvent] = []
    step = run_create(make(backend), fleet(maxUnavailable=2), events=events)
    assert [s.vpc_id for s in backend.selections] == ["vpc-x"]
    assert backend.rounds[0][0] == FLEET and backend.rounds[0][1].max_unavailable == 2
    assert backend.looks[0] is not None and backend.looks[0].looked == "look of vpc-x"  # handed to the round
    assert step.outputs["selectedInstanceIds"] == FLEET and step.outputs["failedInstanceIds"] == []
    assert "instanceIds" not in step.outputs
    said = "instanceSelector (tags app=web; vpcId vpc-x; no maxInstances) selects 4 instance(s) in cn-hangzhou"
    assert said in [e.message for e in events]


def test_instance_ids_and_the_selection_are_rebooted_as_their_union() -> None:
    backend = FakeBackend(selects={"vpc-x": ["i-w1", "i-a1", "i-w2"]})
    step = run_create(make(backend), fleet(instanceIds=["i-a1", "i-b2"]))
    assert backend.rounds[0][0] == ["i-a1", "i-b2", "i-w1", "i-w2"]  # each once, the listed ids first
    assert step.outputs["selectedInstanceIds"] == ["i-a1", "i-b2", "i-w1", "i-w2"]


def test_create_without_reboot_on_create_resolves_nothing() -> None:
    backend = FakeBackend(selects={"vpc-x": FLEET})
    step = run_create(make(backend), fleet(rebootOnCreate=False))
    assert backend.selections == [] and backend.rounds == []
    assert step.outputs["selectedInstanceIds"] == []


def test_without_a_selector_the_selection_is_instance_ids_and_no_listing_is_made() -> None:
    backend = FakeBackend()
    lc = make(backend)
    step = run_create(lc, inputs(rebootOnCreate=False))
    assert step.outputs["selectedInstanceIds"] == ["i-a1", "i-b2", "i-c3"] and backend.selections == []
    step = run_update(lc, step.outputs, inputs(instanceIds=["i-a1"], rebootOnCreate=False))
    assert step.outputs["selectedInstanceIds"] == ["i-a1"] and backend.rounds == []


def test_a_selection_error_fails_the_step_before_any_reboot() -> None:
    backend = FakeBackend(selects={"vpc-x": SelectionError("instanceSelector (...) selects 9 instances, more than "
                                                           "maxInstances (5): nothing was rebooted")})
    with pytest.raises(SelectionError, match="more than maxInstances"):
        run_create(make(backend), fleet())
    assert backend.rounds == []


def test_preview_resolves_the_selection_and_dry_runs_exactly_it() -> None:
    backend = FakeBackend(selects={"vpc-x": FLEET})
    events: list[ProgressEvent] = []
    step = run_create(make(backend), fleet(maxUnavailable=2), preview=True, events=events)
    assert backend.dry_runs == [FLEET] and backend.rounds == []
    messages = [e.message for e in events]
    assert "instanceSelector (tags app=web; vpcId vpc-x; no maxInstances) selects 4 instance(s) in cn-hangzhou" in \
        messages
    assert any(m.startswith("rollout plan: 4 instance(s) in 2 wave(s) of at most 2") for m in messages)
    assert "dry run passed for 4 of 4 instance(s) that would be rebooted" in messages
    assert step.outputs["selectedInstanceIds"] is UNKNOWN


def test_preview_fails_as_apply_would_on_an_unusable_selection() -> None:
    backend = FakeBackend(selects={"vpc-x": SelectionError("instanceSelector (...) selects no instance")})
    with pytest.raises(SelectionError, match="selects no instance"):
        run_create(make(backend), fleet(), preview=True)
    assert backend.dry_runs == [] and backend.rounds == []


def test_preview_without_credentials_skips_the_selection_and_says_so() -> None:
    backend = FakeBackend(selects={"vpc-x": FLEET})
    backend.has_credentials = False
    events: list[ProgressEvent] = []
    run_create(make(backend), fleet(), preview=True, events=events)
    assert backend.selections == [] and backend.dry_runs == []
    assert [e.message for e in events if e.kind == "warning"] == [
        "selection and dry run skipped: no credentials found: set ALIBABA_CLOUD_ACCESS_KEY_ID"]


def test_an_unknown_selector_in_preview_is_not_resolved() -> None:
    backend = FakeBackend(selects={"vpc-x": FLEET})
    events: list[ProgressEvent] = []
    run_create(make(backend), fleet(instanceSelector={"vpcId": UNKNOWN}), preview=True, events=events)
    assert backend.selections == [] and "some inputs are not known" in events[-1].message


def test_a_membership_change_alone_reboots_nothing_and_calls_nothing() -> None:
    backend = FakeBackend(selects={"vpc-x": FLEET})
    lc = make(backend)
    olds = run_create(lc, fleet()).outputs
    backend.selects["vpc-x"] = [*FLEET, "i-w5"]  # the fleet grew: Diff sees no change of any input
    assert not diff(lc, olds, fleet()).changed
    # a changed selector (here: a guard added) is an update, but without a trigger change it reboots nothing
    news = fleet(instanceSelector={"vpcId": "vpc-x", "tags": {"app": "web"}, "maxInstances": 10})
    d = diff(lc, olds, news)
    assert d.changed and d.diffs == ["instanceSelector"]
    step = run_update(lc, olds, news)
    assert len(backend.selections) == 1 and len(backend.rounds) == 1  # the create's only
    assert step.outputs["selectedInstanceIds"] == FLEET  # kept from the last round


def test_a_trigger_change_reboots_the_selection_as_it_is_now() -> None:
    backend = FakeBackend(selects={"vpc-x": FLEET})
    lc = make(backend)
    olds = run_create(lc, fleet()).outputs
    backend.selects["vpc-x"] = ["i-w2", "i-w5"]
    step = run_update(lc, olds, fleet(triggers={"v": "2"}))
    assert backend.rounds[-1][0] == ["i-w2", "i-w5"] and step.outputs["selectedInstanceIds"] == ["i-w2", "i-w5"]


def test_a_failed_instance_that_left_the_selection_is_dropped_with_a_warning_never_rebooted() -> None:
    backend = FakeBackend(fail=["i-w2", "i-w3"], selects={"vpc-x": FLEET})
    lc = make(backend)
    with pytest.raises(ResourceInitFailed) as failed:
        run_create(lc, fleet(batchOptimization="SuccessFirst"))
    olds = failed.value.state.encode()
    assert olds["failedInstanceIds"] == ["i-w2", "i-w3"]
    backend.fail.clear()
    backend.selects["vpc-x"] = ["i-w1", "i-w3", "i-w4"]  # i-w2 was untagged
    events: list[ProgressEvent] = []
    step = run_update(lc, olds, fleet(batchOptimization="SuccessFirst"), events=events)
    assert backend.rounds[-1][0] == ["i-w3"]  # the retry: only the failure still selected
    assert step.outputs["failedInstanceIds"] == []
    [warning] = [e.message for e in events if e.kind == "warning"]
    assert warning.startswith("i-w2: failed before, no longer selected") and "not rebooted" in warning


def test_a_retry_whose_failures_all_left_runs_no_round() -> None:
    backend = FakeBackend(fail=["i-w2"], selects={"vpc-x": FLEET})
    lc = make(backend)
    with pytest.raises(ResourceInitFailed) as failed:
        run_create(lc, fleet(batchOptimization="SuccessFirst"))
    backend.selects["vpc-x"] = ["i-w1"]
    step = run_update(lc, failed.value.state.encode(), fleet(batchOptimization="SuccessFirst"))
    assert len(backend.rounds) == 1 and step.outputs["failedInstanceIds"] == []
    assert step.outputs["selectedInstanceIds"] == ["i-w1"]


def test_outputs_naming_instances_of_a_secret_selector_are_secret() -> None:
    backend = FakeBackend(selects={"vpc-x": FLEET})
    ins = fleet()
    ins["instanceSelector"] = Secret(ins["instanceSelector"])
    step = run_create(make(backend), ins)
    for name in ("selectedInstanceIds", "results", "failedInstanceIds"):
        assert isinstance(step.outputs[name], Secret), name
    assert step.outputs["selectedInstanceIds"].value == FLEET
