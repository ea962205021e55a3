"""What the command line shows: progress only on a terminal (ephemeral lines overwrite), table, summary."""

from __future__ import annotations

import io

from ecsreboot.cli import _Progress, result_json, result_table, summary
from ecsreboot.core.model import InstanceOutcome, ProgressEvent, RoundResult


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_on_a_terminal_overwrites_ephemeral_lines() -> None:
    out = Tty()
    progress = _Progress(out)
    progress(ProgressEvent("wave_started", "wave 1/1: rebooting 2 instance(s)"))
    progress(ProgressEvent("waiting", "waiting: 0/2 Running", ephemeral=True))
    progress(ProgressEvent("waiting", "waiting: 1/2 Running", ephemeral=True))
    progress(ProgressEvent("wave_done", "wave 1/1 done"))
    assert out.getvalue() == ("wave 1/1: rebooting 2 instance(s)\n\rwaiting: 0/2 Running\x1b[K"
                              "\rwaiting: 1/2 Running\x1b[K\r\x1b[Kwave 1/1 done\n")


def test_no_progress_when_not_a_terminal() -> None:
    out = io.StringIO()
    _Progress(out)(ProgressEvent("wave_started", "wave 1/1"))
    assert out.getvalue() == ""


RESULT = RoundResult(
    outcomes=[InstanceOutcome("i-a", "200", "success", "Running", "Stopping"),
              InstanceOutcome("i-b", "200", "success", "Running", "Stopping"),
              InstanceOutcome("i-c", "IncorrectInstanceStatus", "not Running (RequestId: R1)")],
    request_ids=["R1"], waves=1, not_back=["i-b"], timed_out=True)


def test_table_has_one_row_per_instance_with_status_and_running_again() -> None:
    lines = result_table(RESULT, waited=True).splitlines()
    assert lines[0].split() == ["INSTANCE", "CODE", "STATUS", "RUNNING", "AGAIN", "MESSAGE"]
    assert lines[1].split() == ["i-a", "200", "Running", "->", "Stopping", "yes", "success"]
    assert lines[2].split()[5] == "no"
    assert lines[3].split()[:4] == ["i-c", "IncorrectInstanceStatus", "-", "-"]
    assert lines[3].endswith("not Running (RequestId: R1)")


def test_summary_and_json() -> None:
    assert summary(RESULT) == "rebooted 2/3 in 1 wave(s); 1 not Running again (timed out)"
    doc = result_json(RESULT)
    assert doc["failedInstanceIds"] == ["i-b", "i-c"] and doc["ok"] is False and doc["timedOut"] is True
