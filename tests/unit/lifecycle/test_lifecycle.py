"""The RebootTrigger lifecycle with a fake ECS backend: target selection, outputs, preview."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field

import pytest

from ecsreboot.adapter.errors import reason_text
from ecsreboot.core.clock import FakeClock
from ecsreboot.core.errors import InputError, ResourceInitFailed
from ecsreboot.core.model import InstanceOutcome, ProgressEvent, RoundOptions, RoundResult
from ecsreboot.core.selection import Selection, Selector
from ecsreboot.core.state import TriggerArgs, TriggerState
from ecsreboot.core.values import UNKNOWN, Secret
from ecsreboot.lifecycle import DiffResult, PreviewRejected, TriggerLifecycle


@dataclass
class Report:
    passed: list[InstanceOutcome] = field(default_factory=list)
    warnings: list[InstanceOutcome] = field(default_factory=list)
    failures: list[InstanceOutcome] = field(default_factory=list)
    request_ids: list[str] = field(default_factory=lambda: ["DRY-1"])


class FakeBackend:
    """``selects``: what each instanceSelector selects (the ids, or the SelectionError to raise), by its vpcId."""

    def __init__(self, fail: Sequence[str] = (), dry_fail: Sequence[str] = (), dry_warn: Sequence[str] = (),
                 selects: dict[str, list[str] | Exception] | None = None):
        self.rounds: list[tuple[list[str], RoundOptions]] = []
        self.dry_runs: list[list[str]] = []
        self.selections: list[Selector] = []
        self.looks: list[Selection | None] = []
        self.fail, self.dry_fail, self.dry_warn = set(fail), set(dry_fail), set(dry_warn)
        self.selects = selects or {}
        self.has_credentials = True

    def credentials_problem(self) -> str | None:
        return None if self.has_credentials else "no credentials found: set ALIBABA_CLOUD_ACCESS_KEY_ID"

    def select(self, selector, region_id, cancel, timeout, on_listed=None) -> Selection:
        self.selections.append(selector)
        found = self.selects[selector.vpc_id]
        if isinstance(found, Exception):
            raise found
        return Selection(tuple(found), looked=f"look of {selector.vpc_id}")

    def run_round(self, ids, options, progress, cancel, selection=None) -> RoundResult:
        self.looks.append(selection)
        if options.dry_run:  # as ecs.rounds.run_round: the verdicts of the dry run, in the order of the ids
            report = self.dry_run(ids, options, cancel)
            verdicts = {o.instance_id: o for o in [*report.passed, *report.warnings, *report.failures]}
            return RoundResult(outcomes=[verdicts[i] for i in ids], request_ids=report.request_ids, dry_run=True,
                               dry_run_failures=[o.instance_id for o in report.failures])
        self.rounds.append((list(ids), options))
        outcomes = [InstanceOutcome(i, "IncorrectInstanceStatus" if i in self.fail else "200") for i in ids]
        return RoundResult(outcomes=outcomes, request_ids=["REQ-1"], waves=1)

    def dry_run(self, ids, options, cancel=None) -> Report:
        self.dry_runs.append(list(ids))
        report = Report()
        for i in ids:
            if i in self.dry_fail:
                report.failures.append(InstanceOutcome(i, "InvalidInstanceId.NotFound", "not found"))
            elif i in self.dry_warn:
                report.warnings.append(InstanceOutcome(i, "IncorrectInstanceStatus", "Stopped"))
            else:
                report.passed.append(InstanceOutcome(i, "DRYRUN.SUCCESS"))
        return report


def make(backend: FakeBackend) -> TriggerLifecycle:
    return TriggerLifecycle(backend, FakeClock(), new_id=lambda: "rt-1")


def inputs(**over):
    base = {"instanceIds": ["i-a1", "i-b2", "i-c3"], "regionId": "cn-hangzhou", "triggers": {"v": "1"},
            "forceReboot": False, "batchOptimization": "AllTogether", "rebootApi": "RebootInstances",
            "dryRun": False, "rebootOnCreate": True, "waitForRunning": True}
    return {**base, **over}


@dataclass
class Step:
    """A step's result with its state encoded as the edges encode it (property names, domain values)."""

    id: str
    outputs: dict
    summary: str | None


def run_create(lc: TriggerLifecycle, ins, preview=False, events=None, timeout=0.0) -> Step:
    events = [] if events is None else events
    step = lc.create(TriggerArgs.decode(ins), preview=preview, timeout=timeout, progress=events.append,
                     cancel=threading.Event())
    return Step(step.id, step.state.encode(), step.summary)


def run_update(lc, olds, news, preview=False, events=None) -> Step:
    events = [] if events is None else events
    step = lc.update("rt-1", TriggerState.decode(olds), TriggerArgs.decode(news), preview=preview, timeout=0,
                     progress=events.append, cancel=threading.Event())
    return Step(step.id, step.state.encode(), step.summary)


def diff(lc: TriggerLifecycle, olds, news) -> DiffResult:
    return lc.diff(TriggerState.decode(olds), TriggerArgs.decode(news))


def read(lc: TriggerLifecycle, id_, outputs, ins, default_region=None) -> tuple[dict, dict]:
    state, args = lc.read(id_, TriggerState.decode(outputs) if outputs else None,
                          TriggerArgs.decode(ins) if ins else None, default_region)
    return state.encode(), args.encode()


def failed_create(lc: TriggerLifecycle, ins) -> ResourceInitFailed:
    """The partial failure a create ends in (its state is what the engine records)."""
    with pytest.raises(ResourceInitFailed) as failed:
        run_create(lc, ins)
    return failed.value


def test_create_reboots_all_and_records_outputs() -> None:
    backend = FakeBackend()
    step = run_create(make(backend), inputs())
    assert [ids for ids, _ in backend.rounds] == [["i-a1", "i-b2", "i-c3"]]
    out = step.outputs
    assert out["rebootCount"] == 1 and out["failedInstanceIds"] == [] and out["requestIds"] == ["REQ-1"]
    assert out["lastRebootTime"].endswith("Z")
    assert [r["code"] for r in out["results"]] == ["200"] * 3
    assert out["triggers"] == {"v": "1"}


def test_create_without_reboot_on_create_calls_nothing() -> None:
    backend = FakeBackend()
    step = run_create(make(backend), inputs(rebootOnCreate=False))
    assert backend.rounds == [] and step.outputs["rebootCount"] == 0


def test_default_timeout_is_ten_minutes_and_custom_timeout_is_used() -> None:
    backend = FakeBackend()
    lc = make(backend)
    run_create(lc, inputs())
    run_create(lc, inputs(), timeout=42.0)
    assert [opts.timeout for _, opts in backend.rounds] == [600.0, 42.0]


def test_partial_failure_reports_init_errors_with_new_state() -> None:
    backend = FakeBackend(fail=["i-b2"])
    failed = failed_create(make(backend), inputs(batchOptimization="SuccessFirst"))
    assert failed.id == "rt-1" and failed.state.failed_instance_ids.value == ["i-b2"]
    [reason] = failed.reasons
    assert "i-b2" in reason.text and reason.retryable and "pulumi up" not in reason.text  # the edge adds it
    assert "pulumi up" in reason_text(reason)


def test_update_with_changed_trigger_reboots_all() -> None:
    backend = FakeBackend()
    lc = make(backend)
    olds = run_create(lc, inputs()).outputs
    step = run_update(lc, olds, inputs(triggers={"v": "2"}))
    assert len(backend.rounds) == 2 and backend.rounds[1][0] == ["i-a1", "i-b2", "i-c3"]
    assert step.outputs["rebootCount"] == 2


def test_update_of_other_inputs_only_reboots_nothing() -> None:
    backend = FakeBackend()
    lc = make(backend)
    olds = run_create(lc, inputs()).outputs
    step = run_update(lc, olds, inputs(forceReboot=True, maxUnavailable=1))
    assert len(backend.rounds) == 1
    assert step.outputs["rebootCount"] == 1 and step.outputs["forceReboot"] is True


def test_retry_reboots_only_recorded_failures() -> None:
    backend = FakeBackend(fail=["i-b2"])
    lc = make(backend)
    failed = failed_create(lc, inputs()).state.encode()
    backend.fail.clear()
    # after ErrorResourceInitFailed the engine keeps the old inputs; decisions use the outputs
    step = run_update(lc, failed, inputs())
    assert backend.rounds[-1][0] == ["i-b2"]
    assert step.outputs["failedInstanceIds"] == []


def test_diff_names_trigger_keys_and_never_replaces() -> None:
    lc = make(FakeBackend())
    olds = run_create(lc, inputs(triggers={"configHash": "a", "gone": 1})).outputs
    d = diff(lc, olds, inputs(triggers={"configHash": "b", "new": True}))
    assert d.changed
    assert d.detailed == {"triggers.configHash": "update", "triggers.gone": "delete", "triggers.new": "add"}
    assert d.diffs == ["triggers"]


def test_diff_paths_keep_keys_with_dots_brackets_and_quotes_whole() -> None:
    lc = make(FakeBackend())
    olds = run_create(lc, inputs(triggers={"nginx.conf": "a", "a[0]": 1, 'q"': 1, "": 1, "end\\": 1})).outputs
    d = diff(lc, olds, inputs(triggers={"nginx.conf": "b", "a[0]": 2, 'q"': 2, "": 2, "end\\": 2}))
    assert d.detailed == {'triggers["nginx.conf"]': "update", 'triggers["a[0]"]': "update",
                          'triggers["q\\""]': "update", 'triggers[""]': "update", "triggers": "update"}
    assert d.diffs == ["triggers"]


def test_diff_none_when_nothing_changed_even_if_secretness_changed() -> None:
    lc = make(FakeBackend())
    olds = run_create(lc, inputs(triggers={"k": "v"})).outputs
    assert not diff(lc, olds, inputs(triggers={"k": Secret("v")})).changed


def test_diff_reports_pending_retry() -> None:
    lc = make(FakeBackend(fail=["i-a1"]))
    olds = failed_create(lc, inputs()).state.encode()
    d = diff(lc, olds, inputs())
    assert d.changed and "failedInstanceIds" in d.diffs


def test_preview_never_reboots_and_dry_runs_targets() -> None:
    backend = FakeBackend(dry_warn=["i-c3"])
    events: list[ProgressEvent] = []
    step = run_create(make(backend), inputs(), preview=True, events=events)
    assert backend.rounds == [] and backend.dry_runs == [["i-a1", "i-b2", "i-c3"]]
    assert step.outputs["rebootCount"] is UNKNOWN
    assert any(e.kind == "warning" and "i-c3" in e.message for e in events)


def test_preview_fails_on_permanent_problem_with_code_and_request_id() -> None:
    backend = FakeBackend(dry_fail=["i-b2"])
    with pytest.raises(PreviewRejected) as err:
        run_create(make(backend), inputs(), preview=True)
    assert "i-b2" in str(err.value) and "InvalidInstanceId.NotFound" in str(err.value) and "DRY-1" in str(err.value)


def test_preview_without_credentials_skips_the_dry_run() -> None:
    backend = FakeBackend()
    backend.has_credentials = False
    events: list[ProgressEvent] = []
    run_create(make(backend), inputs(), preview=True, events=events)
    assert backend.dry_runs == []
    assert any(e.kind == "warning" and "dry run skipped: no credentials found" in e.message for e in events)


def test_preview_with_unknown_trigger_counts_as_change() -> None:
    backend = FakeBackend()
    lc = make(backend)
    olds = run_create(lc, inputs()).outputs
    assert diff(lc, olds, inputs(triggers={"v": UNKNOWN})).changed
    run_update(lc, olds, inputs(triggers={"v": UNKNOWN}), preview=True)
    assert backend.dry_runs == [["i-a1", "i-b2", "i-c3"]] and len(backend.rounds) == 1


def test_dry_run_mode_never_reboots() -> None:
    backend = FakeBackend()
    step = run_create(make(backend), inputs(dryRun=True))
    assert backend.rounds == [] and backend.dry_runs
    assert step.outputs["rebootCount"] == 0 and step.outputs["failedInstanceIds"] == []


def test_outputs_derived_from_secret_instance_ids_are_secret() -> None:
    step = run_create(make(FakeBackend()), inputs(instanceIds=Secret(["i-a1"])))
    assert isinstance(step.outputs["results"], Secret)
    assert isinstance(step.outputs["failedInstanceIds"], Secret)


def test_read_returns_recorded_state_and_supports_import() -> None:
    lc = make(FakeBackend())
    olds = run_create(lc, inputs()).outputs
    outputs, ins = read(lc, "rt-1", olds, {})
    assert outputs == olds and ins["instanceIds"] == olds["instanceIds"]
    outputs, ins = read(lc, "cn-beijing/i-a1,i-b2", {}, {})
    assert ins["instanceIds"] == ["i-a1", "i-b2"] and ins["regionId"] == "cn-beijing" and outputs["rebootCount"] == 0
    assert outputs["selectedInstanceIds"] == ["i-a1", "i-b2"] and outputs["failedInstanceIds"] == []
    # an import records what Check makes of the same program, so that program is no change
    checked, failures = lc.check({"instanceIds": ["i-a1", "i-b2"]}, "cn-beijing")
    assert not failures and ins == checked
    assert not diff(lc, outputs, checked).changed


def test_import_takes_the_provider_region_and_names_a_bad_id() -> None:
    lc = make(FakeBackend())
    _, ins = read(lc, "i-a1", {}, {}, default_region="cn-shanghai")
    assert ins["regionId"] == "cn-shanghai"
    with pytest.raises(InputError, match=r"cannot import 'cn-beijing/': instanceIds.*`i-a,i-b`"):
        read(lc, "cn-beijing/", {}, {})
    with pytest.raises(InputError, match="regionId"):
        read(lc, "i-a1", {}, {})


def test_summary_only_when_a_round_ran() -> None:
    backend = FakeBackend()
    lc = make(backend)
    created = run_create(lc, inputs())
    assert created.summary == "rebooted 3 of 3 instance(s) and Running again in 1 wave(s)"
    assert run_update(lc, created.outputs, inputs(forceReboot=True)).summary is None
