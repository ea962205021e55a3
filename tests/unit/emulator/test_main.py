"""``python -m ecsreboot.emulator``: the ready line, the instance ids, clean exit on SIGTERM/SIGINT."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import urllib.request

import pytest

from ecsreboot.emulator.__main__ import main


def start(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "ecsreboot.emulator", *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_prints_ready_line_and_ids_then_stops_on_signal(sig: signal.Signals) -> None:
    proc = start("--instances", "2", "--region", "cn-beijing", "--seed", "5")
    try:
        assert proc.stdout is not None
        ready = proc.stdout.readline().rstrip("\n")
        match = re.fullmatch(r"ECS emulator listening on (http://127\.0\.0\.1:(\d+))", ready)
        assert match, ready
        ids = proc.stdout.readline().split()
        assert len(ids) == 2 and all(re.fullmatch(r"i-[a-z0-9]{20}", i) for i in ids)
        with urllib.request.urlopen(match.group(1) + "/_emulator/instances?region=cn-beijing", timeout=5) as resp:
            listed = json.load(resp)["instances"]
        assert [i["instanceId"] for i in listed] == ids
        proc.send_signal(sig)
        assert proc.wait(timeout=10) == 0
        assert proc.stderr is not None and proc.stderr.read() == ""  # quiet by default
    finally:
        proc.kill()
        proc.wait()


def test_refuses_a_public_address_without_allow_remote(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--host", "0.0.0.0"]) == 2
    assert "loopback" in capsys.readouterr().err


def test_help_names_the_actions_served_and_which_ecsreboot_sends(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert ("Answers RebootInstances, RebootInstance, DescribeInstances (what ecsreboot sends) and "
            "DescribeInstanceStatus (for the official SDKs and your own scripts).") in text
