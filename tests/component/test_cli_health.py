"""``ecsreboot reboot --health-check URL --max-failures N --pause-between-waves S`` against the emulator and
real servers on loopback: per-instance health in the table and the JSON, and no token in any output."""

from __future__ import annotations

import json
from pathlib import Path

from ecsreboot.emulator import ThreadedEmulator
from tests.healthservers import HEALTHY, UNHEALTHY, Fleet

from .test_cli import reboot


def test_health_gated_reboot_reports_health_per_instance_and_hides_tokens(
        emulator: ThreadedEmulator, tmp_path: Path) -> None:
    ids = emulator.instance_ids()
    with Fleet([HEALTHY, UNHEALTHY, HEALTHY, HEALTHY]) as fleet:
        for n, iid in enumerate(ids):
            emulator.set_addresses(iid, private_ip=fleet.address(n))
        url = f"http://probe:Pa55word@{{privateIp}}:{fleet.port}/healthz?token=SeCrEtT0ken"
        done = reboot(emulator, "--max-unavailable", "2", "--health-check", url, "--max-failures", "0",
                      "--pause-between-waves", "0.2", "--timeout", "4", "--output", "json", *ids, home=tmp_path)
    assert done.returncode == 1
    for text in (done.stdout, done.stderr):
        assert "Pa55word" not in text and "SeCrEtT0ken" not in text
    out = json.loads(done.stdout)
    by_id = {r["instanceId"]: r for r in out["results"]}
    assert by_id[ids[0]]["code"] == "200" and by_id[ids[0]]["health"] == "healthy"
    assert by_id[ids[1]]["code"] == "HealthCheckFailed" and "HTTP 503" in by_id[ids[1]]["health"]
    assert [by_id[i]["code"] for i in ids[2:]] == ["NotAttempted", "NotAttempted"]
    # without an unhealthy threshold an instance is failed only by the round's deadline (--timeout)
    assert out["timedOut"] and set(out["failedInstanceIds"]) == set(ids[1:])
    assert "not healthy before the round's timeout; last probe: HTTP 503" in by_id[ids[1]]["message"]
    assert emulator.reboot_counts() == {ids[0]: 1, ids[1]: 1, ids[2]: 0, ids[3]: 0}


def test_table_has_a_healthy_column(emulator: ThreadedEmulator, tmp_path: Path) -> None:
    ids = emulator.instance_ids()[:2]
    with Fleet([HEALTHY, HEALTHY]) as fleet:
        for n, iid in enumerate(ids):
            emulator.set_addresses(iid, private_ip=fleet.address(n))
        done = reboot(emulator, "--health-check", f"tcp://{{privateIp}}:{fleet.port}", *ids, home=tmp_path)
    assert done.returncode == 0, done.stderr
    header, *rows = done.stdout.splitlines()
    assert header.split()[:6] == ["INSTANCE", "CODE", "STATUS", "RUNNING", "AGAIN", "HEALTHY"]
    assert all(row.split()[5:7] == ["yes", "yes"] for row in rows) and len(rows) == 2
    assert "2/2 probed healthy" in done.stderr


def test_bad_health_check_flags_are_usage_errors_without_the_token(
        emulator: ThreadedEmulator, tmp_path: Path) -> None:
    iid = emulator.instance_ids()[0]
    done = reboot(emulator, "--health-check", "ftp://u:SeCrEt@{privateIp}/x", iid, home=tmp_path)
    assert done.returncode == 2 and "http://, https:// or tcp://" in done.stderr and "SeCrEt" not in done.stderr
    done = reboot(emulator, "--health-check", "http://{privateIp}/", "--no-wait", iid, home=tmp_path)
    assert done.returncode == 2 and "--no-wait" in done.stderr
    done = reboot(emulator, "--max-failures", "-1", iid, home=tmp_path)
    assert done.returncode == 2
    assert emulator.reboot_counts()[iid] == 0
