"""The ``ecsreboot`` command line end to end: a subprocess against the emulator over loopback."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ecsreboot.emulator import ThreadedEmulator

from .conftest import EMULATOR_ACCESS_KEY

SCRIPT = Path(sys.executable).parent / "ecsreboot"
COMMAND = [str(SCRIPT)] if SCRIPT.exists() else [sys.executable, "-m", "ecsreboot.cli"]


def run_cli(*args: str, home: Path, credentials: bool = True, extra_env: dict[str, str] | None = None,
            stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("ALIBABA_CLOUD_", "ALICLOUD_", "ECSREBOOT_"))}
    env["HOME"] = str(home)
    # keep the default chain off the metadata service when a test has no credentials
    env["ALIBABA_CLOUD_ECS_METADATA_DISABLED"] = "true"
    if credentials:
        env["ALIBABA_CLOUD_ACCESS_KEY_ID"], env["ALIBABA_CLOUD_ACCESS_KEY_SECRET"] = EMULATOR_ACCESS_KEY
    env.update(extra_env or {})
    done = subprocess.run([*COMMAND, *args], capture_output=True, text=True, env=env, timeout=120,
                          input=stdin if stdin is not None else "")
    assert "Traceback" not in done.stderr, done.stderr
    return done


def reboot(emulator: ThreadedEmulator, *args: str, home: Path, **kw: object) -> subprocess.CompletedProcess[str]:
    return run_cli("reboot", "--region", "cn-hangzhou", "--endpoint", emulator.url, *args, home=home, **kw)  # type: ignore[arg-type]


def test_reboot_prints_a_table_and_exits_0(emulator: ThreadedEmulator, tmp_path: Path) -> None:
    ids = emulator.instance_ids()
    done = reboot(emulator, *ids, home=tmp_path)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].split()[:4] == ["INSTANCE", "CODE", "STATUS", "RUNNING"]
    for instance_id in ids:
        row = next(line for line in lines if line.startswith(instance_id))
        assert row.split()[1:5] == ["200", "Running", "->", "Stopping"] and " yes " in row
    assert "rebooted 4/4" in done.stderr
    assert emulator.reboot_counts() == dict.fromkeys(ids, 1)


def test_json_output_and_partial_failure_exit_1(emulator: ThreadedEmulator, tmp_path: Path) -> None:
    ids = emulator.instance_ids()
    emulator.backend.lock(ids[2])
    done = reboot(emulator, "--output", "json", "--batch-optimization", "SuccessFirst", "--signature-version", "v1",
                  *ids, home=tmp_path)
    assert done.returncode == 1
    doc = json.loads(done.stdout)
    assert doc["ok"] is False and doc["failedInstanceIds"] == [ids[2]]
    assert {r["instanceId"]: r["code"] for r in doc["results"]} == {
        ids[0]: "200", ids[1]: "200", ids[2]: "InstanceLockedForSecurity", ids[3]: "200"}
    assert doc["requestIds"] == [r["requestId"] for r in emulator.requests() if r["action"] == "RebootInstances"]
    assert {r["signatureVersion"] for r in emulator.requests()} == {"v1"}


def test_single_api_rolling_and_no_wait(emulator: ThreadedEmulator, tmp_path: Path) -> None:
    ids = emulator.instance_ids()
    done = reboot(emulator, "--api", "RebootInstance", "--max-unavailable", "2", "--no-wait", "--force",
                  "--output", "json", *ids, home=tmp_path)
    assert done.returncode == 0, done.stderr
    actions = [r["action"] for r in emulator.requests()]
    assert "RebootInstances" not in actions and actions.count("RebootInstance") == 4
    assert emulator.reboot_counts() == dict.fromkeys(ids, 1)


def test_dry_run_reboots_nothing(emulator: ThreadedEmulator, tmp_path: Path) -> None:
    ids = emulator.instance_ids()
    done = reboot(emulator, "--dry-run", *ids, home=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("DRYRUN.SUCCESS") == 4
    assert set(emulator.reboot_counts().values()) == {0}
    missing = reboot(emulator, "--dry-run", "i-doesnotexist0000000", home=tmp_path)
    assert missing.returncode == 1 and "InvalidInstanceId.NotFound" in missing.stdout


def test_wrong_secret_names_the_code_and_request_id(emulator: ThreadedEmulator, tmp_path: Path) -> None:
    done = reboot(emulator, *emulator.instance_ids(), home=tmp_path,
                  extra_env={"ALIBABA_CLOUD_ACCESS_KEY_SECRET": "wrong-secret"})
    assert done.returncode == 1
    rid = emulator.requests()[-1]["requestId"]
    assert "SignatureDoesNotMatch" in done.stderr and rid in done.stderr
    assert "wrong-secret" not in done.stdout + done.stderr


def test_profile_credentials_and_region_from_the_environment(emulator: ThreadedEmulator, tmp_path: Path) -> None:
    config = tmp_path / ".aliyun" / "config.json"
    config.parent.mkdir()
    config.write_text(json.dumps({"current": "other", "profiles": [
        {"name": "emu", "mode": "AK", "access_key_id": EMULATOR_ACCESS_KEY[0],
         "access_key_secret": EMULATOR_ACCESS_KEY[1]},
        {"name": "other", "mode": "AK", "access_key_id": "x", "access_key_secret": "y"}]}))
    done = run_cli("reboot", "--profile", "emu", emulator.instance_ids()[0], home=tmp_path, credentials=False,
                   extra_env={"ALICLOUD_REGION": "cn-hangzhou", "ECSREBOOT_ENDPOINT": emulator.url})
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["reboot", "--region", "cn-hangzhou"], "no instances: give instance ids (- reads them from standard input)"),
        (["reboot", "--region", "cn-hangzhou", "-", "i-1"], "give it alone"),
        (["reboot", "--region", "cn-hangzhou", "--tag", "app"], "--tag 'app': give KEY=VALUE"),
        (["reboot", "--region", "cn-hangzhou", "--max-instances", "5"], "--max-instances only limits a selection"),
        (["reboot", "--region", "cn-hangzhou", "--max-instances", "0", "--tag", "a=b"], "must be at least 1"),
        (["reboot", "--region", "cn-hangzhou", "--vpc-id", "vsw-1"], "--vpc-id: 'vsw-1' does not look like"),
        (["reboot", "--region", "cn-hangzhou", "--tag", "=web"], "--tag: a tag key must not be empty"),
        (["reboot", "--region", "cn-hangzhou", "--batch-optimization", "Sometimes", "i-1"], "invalid choice"),
        (["reboot", "--region", "cn-hangzhou", "--api", "StopInstances", "i-1"], "invalid choice"),
        (["reboot", "--region", "cn-hangzhou", "--signature-version", "v2", "i-1"], "invalid choice"),
        (["reboot", "--region", "cn-hangzhou", "--max-unavailable", "0", "i-1"], "must be at least 1"),
        (["reboot", "--region", "cn-hangzhou", "--timeout", "soon", "i-1"], "is not a number"),
        (["reboot", "--region", "cn-hangzhou", "--endpoint", "ftp://127.0.0.1:1", "i-1"], "endpoint"),
        (["reboot", "--region", "cn-hangzhou", "--endpoint", "http://127.0.0.1:1/some/path", "i-1"], "endpoint"),
        (["reboot", "i-1"], "no region: pass --region or set ALIBABA_CLOUD_REGION_ID"),
        (["reboot", "--region", "Hangzhou!", "i-1"], "is not a region id"),
        (["reboot", "--region", "cn-hangzhou", "i-1,i-2"], "not an instance id"),
        (["frobnicate"], "invalid choice"),
        ([], "the following arguments are required"),
    ],
)
def test_usage_errors_exit_2_with_one_clear_line(tmp_path: Path, args: list[str], message: str) -> None:
    done = run_cli(*args, home=tmp_path)
    assert done.returncode == 2
    assert message in done.stderr
    assert done.stdout == ""


def test_missing_credentials_exit_2_and_say_what_to_set(emulator: ThreadedEmulator, tmp_path: Path) -> None:
    done = reboot(emulator, "i-1", home=tmp_path, credentials=False)
    assert done.returncode == 2
    assert "no Alibaba Cloud credentials found" in done.stderr
    assert "ALIBABA_CLOUD_ACCESS_KEY_ID" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert emulator.requests() == []


def test_unreachable_endpoint_is_a_failure_not_a_traceback(tmp_path: Path) -> None:
    import socket

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    done = run_cli("reboot", "--region", "cn-hangzhou", "--endpoint", f"http://127.0.0.1:{port}",
                   "--max-retries", "0", "i-1", home=tmp_path)
    assert done.returncode == 1
    assert "TransportError" in done.stdout and f"cannot connect to 127.0.0.1:{port}" in done.stdout


def test_emulator_and_schema_subcommands_delegate(tmp_path: Path) -> None:
    emulator_help = run_cli("emulator", "--help", home=tmp_path)
    assert emulator_help.returncode == 0 and "--instances" in emulator_help.stdout
    schema = run_cli("schema", home=tmp_path)
    assert schema.returncode == 0, schema.stderr
    assert json.loads(schema.stdout)["name"] == "ecsreboot"


@pytest.mark.parametrize(("stop", "status", "output"), [
    (signal.SIGINT, 130, "table"), (signal.SIGINT, 130, "json"), (signal.SIGTERM, 143, "table"),
    (signal.SIGTERM, 143, "json")])
def test_a_stop_signal_while_waiting_cancels_and_prints_the_per_instance_report(
        tmp_path: Path, stop: signal.Signals, status: int, output: str) -> None:
    """Issue 9: one SIGINT (Ctrl-C) during the wait ended with ``unexpected KeyError: 'result'``, exit 1,
    nothing printed; issue 16: SIGTERM (what a CI runner sends when a job is cancelled) killed it with nothing
    printed. Either must cancel the round and still report what was rebooted, exit 128 + the signal."""
    with ThreadedEmulator(instances=3, access_keys=dict([EMULATOR_ACCESS_KEY]),
                          durations={"Stopping": 60.0, "Starting": 1.0}) as emu:
        ids = emu.instance_ids()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("ALIBABA_CLOUD_", "ALICLOUD_", "ECSREBOOT_"))}
        env.update(HOME=str(tmp_path), ALIBABA_CLOUD_ECS_METADATA_DISABLED="true")
        env["ALIBABA_CLOUD_ACCESS_KEY_ID"], env["ALIBABA_CLOUD_ACCESS_KEY_SECRET"] = EMULATOR_ACCESS_KEY
        proc = subprocess.Popen([*COMMAND, "reboot", "--region", "cn-hangzhou", "--endpoint", emu.url, "--output",
                                 output, *ids], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        try:
            deadline = time.monotonic() + 30
            while not any(r["action"] == "RebootInstances" for r in emu.requests()):  # rebooted: now waiting
                assert time.monotonic() < deadline and proc.poll() is None
                time.sleep(0.05)
            time.sleep(0.3)
            proc.send_signal(stop)
            out, err = proc.communicate(timeout=20)
        finally:
            proc.kill()
    assert proc.returncode == status, err
    assert f"{stop.name} received: round cancelled" in err
    assert "Traceback" not in err and "KeyError" not in err
    assert "cancelled" in err and "rebooted 3/3" in err
    if output == "json":
        doc = json.loads(out)
        assert doc["cancelled"] is True and sorted(doc["notRunningAgain"]) == sorted(ids)
        assert {r["instanceId"]: r["code"] for r in doc["results"]} == dict.fromkeys(ids, "200")
    else:
        rows = {line.split()[0]: line for line in out.splitlines()[1:]}
        assert set(rows) == set(ids) and all(r.split()[1] == "200" and " no " in r for r in rows.values())
    assert emu.reboot_counts() == dict.fromkeys(ids, 1)
