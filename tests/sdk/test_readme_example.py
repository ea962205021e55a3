"""The README's Pulumi program runs as written against the generated SDK (so the README cannot rot)."""

from __future__ import annotations

import hashlib
import re
from typing import Any

import pulumi
import pytest

from .conftest import Harness
from .mocking import ROOT


def readme_program() -> str:
    text = (ROOT / "README.md").read_text()
    section = text[text.index("## A Pulumi program"):]
    match = re.search(r"```python\n(.*?)```", section, re.S)
    assert match, "README has no Python program under 'A Pulumi program'"
    return match.group(1)


@pulumi.runtime.test
def test_the_readme_program_registers_what_it_says(
    mocks: Harness, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> Any:
    (tmp_path / "nginx.conf").write_text("worker_processes 4;\n")
    monkeypatch.chdir(tmp_path)
    program: dict[str, Any] = {"__name__": "__main__"}
    exec(compile(readme_program(), "README.md", "exec"), program)

    def check(_: Any) -> None:
        args = mocks.mocks.one("ecsreboot:index:RebootTrigger", "web-fleet")
        assert args.inputs["instanceIds"] == ["i-bp67acfmxazb4p0001", "i-bp67acfmxazb4p0002"]
        assert args.inputs["triggers"] == {"configHash": hashlib.sha256(b"worker_processes 4;\n").hexdigest()}
        assert args.inputs["batchOptimization"] == "SuccessFirst" and args.inputs["maxUnavailable"] == 1

    return program["web"].id.apply(check)
