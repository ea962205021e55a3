"""`python -m tests.bench --quick` runs end to end: the table is printed and the Markdown written.

Only that it runs: timings on a shared CI machine prove nothing, so no figure is asserted.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_the_quick_benchmark_runs_prints_its_table_and_writes_markdown(tmp_path: Path) -> None:
    out = tmp_path / "benchmarks.md"
    done = subprocess.run([sys.executable, "-m", "tests.bench", "--quick", "--markdown", str(out)], cwd=ROOT,
                          capture_output=True, text=True, timeout=480)
    assert done.returncode == 0, done.stderr[-4000:]
    for heading in ("Fleet reboot", "Baseline", "Other figures", "Targets"):
        assert heading in done.stdout
    assert "RebootInstances calls" in done.stdout and any(v in done.stdout for v in ("PASS", "MISS"))
    text = out.read_text()
    assert text.startswith("# Benchmarks") and "python -m tests.bench --quick" in text
    assert "| N |" in text and "| benchmark | figure | measured | target | result |" in text
