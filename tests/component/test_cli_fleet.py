"""``ecsreboot reboot`` for a fleet: ids from standard input (100,000 of them), and instances selected with
--tag, --vpc-id, ... and --max-instances, health-gated and two at a time, from a subprocess against the
emulator."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from ecsreboot.emulator import Attributes, ThreadedEmulator
from tests.healthservers import HEALTHY, Fleet

from .conftest import EMULATOR_ACCESS_KEY
from .test_cli import COMMAND, reboot

WEB = Attributes(tags={"app": "web"}, vpc_id="vpc-x", instance_name="web-{n}")


def test_a_hundred_thousand_ids_come_from_standard_input(emulator: ThreadedEmulator, tmp_path: Path) -> None:
    """As arguments they would not fit an argument list ("Argument list too long"); from stdin they are read
    whole and every one is dry-run checked."""
    fleet = [f"i-{n:07d}" for n in range(100_000)]
    emulator.add_instances(fleet)
    done = reboot(emulator, "--dry-run", "--output", "json", "-", home=tmp_path,
                  stdin="\n".join(" ".join(fleet[k:k + 7]) for k in range(0, len(fleet), 7)) + "\n")
    assert done.returncode == 0, done.stderr[-2000:]
    out = json.loads(done.stdout)
    assert [r["instanceId"] for r in out["results"]] == fleet
    assert {r["code"] for r in out["results"]} == {"DRYRUN.SUCCESS"}
    assert "dry run: 100000/100000 would pass" in done.stderr
    checked = [r for r in emulator.requests() if r["action"] == "RebootInstances"]
    assert len(checked) == 1000 and all(r["params"]["DryRun"] == "true" for r in checked)
    assert not any(emulator.reboot_counts().values())


def test_ids_from_standard_input_are_rebooted_like_arguments(emulator: ThreadedEmulator, tmp_path: Path) -> None:
    ids = emulator.instance_ids()
    done = reboot(emulator, "-", home=tmp_path, stdin=f"  {ids[0]}\n{ids[1]}\t{ids[2]}\n\n")
    assert done.returncode == 0, done.stderr
    assert emulator.reboot_counts() == {ids[0]: 1, ids[1]: 1, ids[2]: 1, ids[3]: 0}
    empty = reboot(emulator, "-", home=tmp_path, stdin="\n")
    assert empty.returncode == 2 and "standard input holds no instance id" in empty.stderr


def test_the_tag_selected_fleet_is_rebooted_two_at_a_time_health_gated(emulator: ThreadedEmulator,
                                                                       tmp_path: Path) -> None:
    """Every instance tagged app=web in vpc-x, at most 200, two at a time, health-gated, from a terminal."""
    web = emulator.add_instances(6, attributes=WEB)
    elsewhere = emulator.add_instances(2, attributes=Attributes(tags={"app": "web"}, vpc_id="vpc-y"))
    with Fleet([HEALTHY] * len(web)) as servers:
        for n, iid in enumerate(web):
            emulator.set_addresses(iid, private_ip=servers.address(n))
        done = reboot(emulator, "--tag", "app=web", "--vpc-id", "vpc-x", "--max-instances", "200",
                      "--max-unavailable", "2", "--health-check", f"http://{{privateIp}}:{servers.port}/healthz",
                      "--output", "json", home=tmp_path)
        assert all(servers.log(n) for n in range(len(web))), "every selected instance was probed"
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["selectedInstanceIds"] == web and [r["instanceId"] for r in out["results"]] == web
    assert all(r["health"] == "healthy" for r in out["results"])
    counts = emulator.reboot_counts()
    assert [counts[i] for i in web] == [1] * 6 and [counts[i] for i in elsewhere] == [0, 0]
    waves = [r for r in emulator.requests() if r["action"] == "RebootInstances"]
    assert [len([k for k in r["params"] if k.startswith("InstanceId.")]) for r in waves] == [2, 2, 2]
    assert "selected 6 instance(s) (tags app=web; vpcId vpc-x; at most 200) in cn-hangzhou" in done.stderr
    assert "rebooted 6/6 in 3 wave(s)" in done.stderr


def test_a_dry_run_with_a_selector_prints_what_would_be_rebooted(emulator: ThreadedEmulator,
                                                                  tmp_path: Path) -> None:
    web = emulator.add_instances(3, attributes=WEB)
    extra = emulator.instance_ids()[0]
    done = reboot(emulator, "--dry-run", "--instance-name", "web-*", extra, home=tmp_path)
    assert done.returncode == 0, done.stderr
    rows = done.stdout.splitlines()[1:]
    assert [row.split()[0] for row in rows] == [extra, *web]
    assert all(row.split()[1] == "DRYRUN.SUCCESS" for row in rows)
    assert "selected 3 instance(s) (instanceName web-*; no maxInstances) in cn-hangzhou, plus the ids given" in \
        done.stderr
    assert not any(emulator.reboot_counts().values())


def test_a_selection_beyond_max_instances_reboots_nothing_and_exits_1(emulator: ThreadedEmulator,
                                                                      tmp_path: Path) -> None:
    emulator.add_instances(5, attributes=WEB)
    done = reboot(emulator, "--tag", "app=web", "--max-instances", "4", home=tmp_path)
    assert done.returncode == 1 and done.stdout == ""
    assert "selects 5 instances in cn-hangzhou, more than maxInstances (4): nothing was rebooted" in done.stderr
    assert not [r for r in emulator.requests() if r["action"].startswith("RebootInstance")]


def test_an_empty_or_unlisted_selection_exits_1_and_says_why(emulator: ThreadedEmulator, tmp_path: Path) -> None:
    nothing = reboot(emulator, "--tag", "app=mail", home=tmp_path)
    assert nothing.returncode == 1 and "selects no instance" in nothing.stderr
    emulator.set_describe_denied()
    denied = reboot(emulator, "--tag", "app=", home=tmp_path)
    assert denied.returncode == 1 and "ecs:DescribeInstances" in denied.stderr and "Forbidden.RAM" in denied.stderr


@pytest.mark.parametrize(("stop", "status"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_stop_signal_while_the_selection_is_listed_exits_with_nothing_rebooted(
        tmp_path: Path, stop: signal.Signals, status: int) -> None:
    """Ctrl-C, or SIGTERM from a CI runner, while the selection is still being listed: no reboot, 128 + signal."""
    with ThreadedEmulator(access_keys=dict([EMULATOR_ACCESS_KEY])) as emu:
        emu.add_instances(2000, attributes=WEB)  # 20 pages, each answered after 0.3 s
        emu.faults.latency(0.3, "DescribeInstances")
        env = {k: v for k, v in os.environ.items() if not k.startswith(("ALIBABA_CLOUD_", "ALICLOUD_", "ECSREBOOT_"))}
        env.update(HOME=str(tmp_path), ALIBABA_CLOUD_ECS_METADATA_DISABLED="true")
        env["ALIBABA_CLOUD_ACCESS_KEY_ID"], env["ALIBABA_CLOUD_ACCESS_KEY_SECRET"] = EMULATOR_ACCESS_KEY
        proc = subprocess.Popen([*COMMAND, "reboot", "--region", "cn-hangzhou", "--endpoint", emu.url,
                                 "--tag", "app=web"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                env=env)
        try:
            deadline = time.monotonic() + 30
            while not any(r["action"] == "DescribeInstances" for r in emu.requests()):  # listing under way
                assert time.monotonic() < deadline and proc.poll() is None
                time.sleep(0.05)
            proc.send_signal(stop)
            _, err = proc.communicate(timeout=20)
        finally:
            proc.kill()
        listed = sum(1 for r in emu.requests() if r["action"] == "DescribeInstances")
        assert not [r for r in emu.requests() if r["action"].startswith("RebootInstance")]
    assert proc.returncode == status, err
    assert f"ecsreboot: error: interrupted ({stop.name})" in err and "Traceback" not in err
    assert listed < 20  # the listing stopped
