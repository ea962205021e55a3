"""``ecsreboot_reboot_trigger`` through the protocol, in-process against the emulator: what `tofu plan` and `tofu
apply` ask of the provider, with the emulator counting reboots and API calls at every step."""

from __future__ import annotations

import io
import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from ecsreboot.core.values import UNKNOWN
from ecsreboot.emulator import Attributes, ThreadedEmulator
from ecsreboot.terraform import cty
from ecsreboot.terraform.logs import HcLog
from ecsreboot.terraform.protocol import tf
from ecsreboot.terraform.schema import resource_block
from tests.realengine import Calls, reboots

from .harness import Cli, config

KEY_ID, SECRET = "LTAI5tTofuCanaryKeyId0001", "TofuCanarySecretValue0002"
FAST = {"Stopping": 0.05, "Starting": 0.05}


@pytest.fixture
def emulator() -> Iterator[ThreadedEmulator]:
    with ThreadedEmulator(instances=4, durations=FAST, access_keys={KEY_ID: SECRET}) as emu:
        yield emu


@pytest.fixture
def log() -> io.StringIO:
    return io.StringIO()


@pytest.fixture
def cli(emulator: ThreadedEmulator, log: io.StringIO) -> Cli:
    cli = Cli()
    cli.provider.log = HcLog(log, scrub=cli.provider.scrub)
    answer = cli.configure(region="cn-hangzhou", endpoint=emulator.url, access_key=KEY_ID, secret_key=SECRET)
    assert answer.diagnostics == []
    return cli


def test_plan_dry_runs_the_reboot_and_reboots_nothing(cli: Cli, emulator: ThreadedEmulator) -> None:
    calls = Calls(emulator)
    plan = cli.plan(None, config(instance_ids=emulator.instance_ids(), triggers={"config": "v1"}))
    assert plan.errors == []
    assert calls.take() == {"RebootInstances:DryRun": 1}
    assert reboots(emulator) == [0, 0, 0, 0]
    planned = plan.value
    assert planned["id"] is UNKNOWN and planned["reboot_count"] is UNKNOWN and planned["results"] is UNKNOWN
    assert planned["triggers"] == {"config": "v1"} and planned["region_id"] == "cn-hangzhou"
    assert planned["batch_optimization"] == "AllTogether" and planned["max_unavailable"] is None


def test_apply_reboots_once_and_an_unchanged_plan_calls_no_api(cli: Cli, emulator: ThreadedEmulator) -> None:
    value = config(instance_ids=emulator.instance_ids(), triggers={"config": "v1"})
    calls = Calls(emulator)
    state = cli.plan_and_apply(None, value)
    assert state.errors == []
    assert reboots(emulator) == [1, 1, 1, 1]
    assert calls.take()["RebootInstances"] == 1
    new = state.value
    assert new["id"].startswith("rt-") and new["reboot_count"] == 1 and new["failed_instance_ids"] == []
    assert sorted(r["instance_id"] for r in new["results"]) == sorted(emulator.instance_ids())
    assert {r["code"] for r in new["results"]} == {"200"} and len(new["request_ids"]) == 1

    unchanged = cli.plan(new, value)
    assert unchanged.value == new and unchanged.errors == []  # the CLI sees no difference: no change
    assert cli.read(new).value == new
    assert calls.take() == {}


def test_a_trigger_change_reboots_again_and_a_force_reboot_change_alone_does_not(
        cli: Cli, emulator: ThreadedEmulator) -> None:
    ids = emulator.instance_ids()
    state = cli.plan_and_apply(None, config(instance_ids=ids, triggers={"config": "v1"})).value
    changed = cli.plan(state, config(instance_ids=ids, triggers={"config": "v2"}))
    assert changed.value["reboot_count"] is UNKNOWN and changed.value["triggers"] == {"config": "v2"}
    state = cli.plan_and_apply(state, config(instance_ids=ids, triggers={"config": "v2"})).value
    assert reboots(emulator) == [2, 2, 2, 2] and state["reboot_count"] == 2

    calls = Calls(emulator)
    forced = config(instance_ids=ids, triggers={"config": "v2"}, force_reboot=True)
    plan = cli.plan(state, forced)
    assert plan.value["reboot_count"] == 2 and plan.value["results"] == state["results"]  # known: nothing to do
    state = cli.apply(state, plan.value, forced).value
    assert state["force_reboot"] is True and state["reboot_count"] == 2
    assert reboots(emulator) == [2, 2, 2, 2] and calls.take() == {}


def test_an_unknown_instance_fails_the_plan_with_the_api_code(cli: Cli, emulator: ThreadedEmulator) -> None:
    plan = cli.plan(None, config(instance_ids=[emulator.instance_ids()[0], "i-doesnotexist0000001"]))
    [error] = plan.errors
    assert "i-doesnotexist0000001" in error and "InvalidInstanceId.NotFound" in error and "RequestId" in error
    assert plan.value is None and reboots(emulator) == [0, 0, 0, 0]


def test_unknown_values_during_plan_count_as_a_change(cli: Cli, emulator: ThreadedEmulator) -> None:
    ids = emulator.instance_ids()
    state = cli.plan_and_apply(None, config(instance_ids=ids, triggers={"v": "1"})).value
    calls = Calls(emulator)
    plan = cli.plan(state, config(instance_ids=ids, triggers={"v": UNKNOWN}))
    assert plan.value["triggers"] == {"v": UNKNOWN} and plan.value["reboot_count"] is UNKNOWN
    assert calls.take() == {"RebootInstances:DryRun": 1}  # the instances are known: their reboot is checked
    unknown_ids = cli.plan(state, config(instance_ids=UNKNOWN, triggers={"v": "1"}))
    # no trigger change and no failure pending: nothing would be rebooted, whatever the ids turn out to be
    assert unknown_ids.value["instance_ids"] is UNKNOWN and unknown_ids.value["failed_instance_ids"] == []
    assert unknown_ids.value["selected_instance_ids"] is UNKNOWN
    assert calls.take() == {} and reboots(emulator) == [1, 1, 1, 1]


def test_bad_arguments_are_diagnostics_on_their_attribute_paths(cli: Cli) -> None:
    answer = cli.validate(config(instance_ids=["not-an-id"], max_unavailable=0,
                                 health_check={"url": "ftp://x", "interval_seconds": -1},
                                 timeouts={"create": "ten minutes"}))
    paths = {tuple(step.attribute_name for step in d.attribute.steps): d.detail for d in answer.diagnostics}
    assert set(paths) == {("instance_ids",), ("max_unavailable",), ("health_check", "url"),
                          ("health_check", "interval_seconds"), ("timeouts", "create")}
    assert "is not an ECS instance id" in paths[("instance_ids",)]
    assert all(d.severity == tf.Diagnostic.ERROR for d in answer.diagnostics)
    needs_wait = cli.validate(config(instance_ids=["i-a"], wait_for_running=False,
                                     health_check={"url": "tcp://{privateIp}:22"}))
    [detail] = [d.detail for d in needs_wait.diagnostics]
    assert "wait_for_running = true" in detail and "waitForRunning" not in detail
    # validation before the provider is configured: a missing region is judged at plan time, not here
    assert Cli().validate(config(instance_ids=["i-a"])).diagnostics == []


def test_partial_failure_of_an_update_is_recorded_and_the_next_apply_retries_only_it(
        cli: Cli, emulator: ThreadedEmulator) -> None:
    ids = emulator.instance_ids()
    value = config(instance_ids=ids, batch_optimization="SuccessFirst", triggers={"v": "1"})
    state = cli.plan_and_apply(None, value).value
    stopped = ids[2]
    emulator.backend.set_status(stopped, "Stopped")
    changed = config(instance_ids=ids, batch_optimization="SuccessFirst", triggers={"v": "2"})
    failed = cli.plan_and_apply(state, changed)
    [error] = failed.errors
    assert stopped in error and "IncorrectInstanceStatus" in error and "RequestIds" in error
    assert "Run `tofu apply`" in error and "untaint" not in error
    assert failed.value["failed_instance_ids"] == [stopped] and reboots(emulator) == [2, 2, 1, 2]

    emulator.backend.set_status(stopped, "Running")
    retry = cli.plan(failed.value, changed)
    assert retry.value["failed_instance_ids"] is UNKNOWN  # the plan shows the retry as a change
    done = cli.apply(failed.value, retry.value, changed)
    assert done.errors == [] and done.value["failed_instance_ids"] == []
    assert reboots(emulator) == [2, 2, 2, 2]
    assert cli.plan(done.value, changed).value == done.value


def test_partial_failure_of_a_create_tells_how_to_retry_past_the_taint(cli: Cli, emulator: ThreadedEmulator) -> None:
    ids = emulator.instance_ids()
    emulator.backend.set_status(ids[0], "Stopped")
    failed = cli.plan_and_apply(None, config(instance_ids=ids, batch_optimization="SuccessFirst"))
    [error] = failed.errors
    assert ids[0] in error and "tofu untaint" in error
    assert failed.value["failed_instance_ids"] == [ids[0]] and failed.value["id"].startswith("rt-")
    # after `tofu untaint`, the state is an ordinary one: the next apply is an update of only that instance
    emulator.backend.set_status(ids[0], "Running")
    value = config(instance_ids=ids, batch_optimization="SuccessFirst")
    assert cli.plan_and_apply(failed.value, value).errors == []
    assert reboots(emulator) == [1, 1, 1, 1]


def test_import_reboots_nothing_and_adopts_the_configured_triggers(cli: Cli, emulator: ThreadedEmulator) -> None:
    ids = emulator.instance_ids()[:2]
    calls = Calls(emulator)
    [imported] = cli.import_("cn-hangzhou/" + ",".join(ids)).value
    assert imported["id"] == "cn-hangzhou/" + ",".join(ids) and imported["instance_ids"] == ids
    assert imported["triggers"] is None and imported["reboot_count"] == 0
    value = config(instance_ids=ids, region_id="cn-hangzhou", triggers={"config": "v7"})
    plan = cli.plan(imported, value)
    assert plan.value["reboot_count"] == 0  # known: the adoption reboots nothing
    adopted = cli.apply(imported, plan.value, value).value
    assert adopted["triggers"] == {"config": "v7"}
    assert calls.take() == {} and reboots(emulator) == [0, 0, 0, 0]
    assert cli.plan(adopted, value).value == adopted
    # a trigger change after that reboots as usual
    cli.plan_and_apply(adopted, config(instance_ids=ids, region_id="cn-hangzhou", triggers={"config": "v8"}))
    assert reboots(emulator) == [1, 1, 0, 0]


def test_a_bad_import_id_says_what_an_id_looks_like(cli: Cli) -> None:
    [error] = cli.import_("cn-hangzhou/not-an-instance").errors
    assert "cannot import" in error and "i-a,i-b" in error


def test_destroy_calls_no_api(cli: Cli, emulator: ThreadedEmulator) -> None:
    value = config(instance_ids=emulator.instance_ids(), triggers={"v": "1"})
    state = cli.plan_and_apply(None, value).value
    calls = Calls(emulator)
    plan = cli.plan(state, None)  # type: ignore[arg-type]
    assert plan.value is None
    assert cli.apply(state, None).value is None
    assert calls.take() == {}


def test_secrets_never_reach_diagnostics_or_logs(emulator: ThreadedEmulator, log: io.StringIO) -> None:
    cli = Cli()
    cli.provider.log = HcLog(log, scrub=cli.provider.scrub)
    cli.configure(region="cn-hangzhou", endpoint=emulator.url, access_key=KEY_ID, secret_key="WrongSecretValue0003")
    plan = cli.plan(None, config(instance_ids=emulator.instance_ids()))
    text = json.dumps([*plan.errors, *plan.warnings]) + log.getvalue()
    assert plan.errors  # the emulator refuses the signature
    assert "SignatureDoesNotMatch" in text or "InvalidAccessKeyId" in text
    for secret in (KEY_ID, "WrongSecretValue0003"):
        assert secret not in text
    assert all(json.loads(line)["@level"] for line in log.getvalue().splitlines())  # every line is hclog JSON


def test_stop_provider_cancels_a_running_round_promptly(cli: Cli, emulator: ThreadedEmulator) -> None:
    ids = emulator.instance_ids()
    value = config(instance_ids=ids, triggers={"v": "1"})
    plan = cli.plan(None, value)
    emulator.backend.set_durations({"Stopping": 120.0})
    result: dict[str, Any] = {}
    applying = threading.Thread(target=lambda: result.update(answer=cli.apply(None, plan.value, value)))
    applying.start()
    deadline = time.monotonic() + 30
    while not any(r["action"] == "RebootInstances" and r["params"].get("DryRun") != "true"
                  for r in emulator.requests()):
        assert time.monotonic() < deadline, "the reboot was never sent"
        time.sleep(0.01)
    stopped = time.monotonic()
    cli.provider.StopProvider(tf.StopProvider.Request(), None)
    applying.join(30)
    assert not applying.is_alive() and time.monotonic() - stopped < 10
    answer = result["answer"]
    [error] = answer.errors
    assert "cancelled" in error
    assert sorted(answer.value["failed_instance_ids"]) == sorted(ids)  # not confirmed back: retried next time


def test_a_stored_state_is_read_by_todays_schema(cli: Cli, emulator: ThreadedEmulator) -> None:
    """UpgradeResourceState: the JSON the CLI stored, with an attribute the schema no longer has, comes back as a
    value of today's schema (unknown attributes dropped, missing ones null), unchanged otherwise."""
    value = config(instance_ids=emulator.instance_ids()[:1], reboot_on_create=False)
    state = cli.plan_and_apply(None, value).value
    stored = {k: v for k, v in state.items() if k != "pause_between_waves"} | {"retired_attribute": 1}
    answer = cli.provider.UpgradeResourceState(tf.UpgradeResourceState.Request(
        type_name="ecsreboot_reboot_trigger", version=0, raw_state=tf.RawState(json=json.dumps(stored).encode())),
        None)
    assert list(answer.diagnostics) == []
    assert cty.unpack(answer.upgraded_state.msgpack, resource_block().cty_type) == state
    wrong = cli.provider.UpgradeResourceState(tf.UpgradeResourceState.Request(type_name="other_type"), None)
    assert "unknown resource type 'other_type'" in wrong.diagnostics[0].detail


def test_an_instance_selector_block_chooses_the_fleet_and_its_members_alone_change_nothing(
        cli: Cli, emulator: ThreadedEmulator) -> None:
    """Every instance tagged app=web in one VPC, two at a time: the plan dry-runs exactly the selection, the apply
    reboots exactly it, and an instance joining the selection later is rebooted by nothing but a trigger change."""
    web = emulator.add_instances(3, attributes=Attributes(tags={"app": "web"}, vpc_id="vpc-x"))
    emulator.add_instances(1, attributes=Attributes(tags={"app": "web"}, vpc_id="vpc-other"))
    selector = {"tags": {"app": "web"}, "vpc_id": "vpc-x", "max_instances": 10}
    value = config(instance_selector=selector, max_unavailable=2, triggers={"v": "1"})
    calls = Calls(emulator)
    plan = cli.plan(None, value)
    assert plan.errors == [] and plan.value["selected_instance_ids"] is UNKNOWN
    assert calls.take() == {"DescribeInstances": 1, "RebootInstances:DryRun": 1}
    state = cli.apply(None, plan.value, value).value
    assert sorted(state["selected_instance_ids"]) == sorted(web) and state["failed_instance_ids"] == []
    assert {i: n for i, n in emulator.reboot_counts().items() if n} == dict.fromkeys(web, 1)
    joined = emulator.add_instances(1, attributes=Attributes(tags={"app": "web"}, vpc_id="vpc-x"))
    calls.take()
    unchanged = cli.plan(state, value)
    assert unchanged.errors == [] and calls.take() == {}  # no trigger change: not even a listing
    changed = config(instance_selector=selector, max_unavailable=2, triggers={"v": "2"})
    state = cli.plan_and_apply(state, changed).value
    assert sorted(state["selected_instance_ids"]) == sorted(web + joined)
    assert {i: n for i, n in emulator.reboot_counts().items() if n} == {**dict.fromkeys(web, 2), joined[0]: 1}


def test_a_selector_larger_than_its_guard_fails_the_plan_naming_the_attribute(
        cli: Cli, emulator: ThreadedEmulator) -> None:
    emulator.add_instances(3, attributes=Attributes(tags={"app": "web"}))
    plan = cli.plan(None, config(instance_selector={"tags": {"app": "web"}, "max_instances": 2}, triggers={"v": "1"}))
    [error] = plan.errors
    assert "max_instances" in error and "3" in error
    assert reboots(emulator) == [0] * len(emulator.instance_ids())
    empty = cli.validate(config(instance_selector={}))
    paths = {tuple(step.attribute_name for step in d.attribute.steps) for d in empty.diagnostics}
    assert ("instance_selector",) in paths
