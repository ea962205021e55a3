"""The Python SDK on the oldest `pulumi` it declares: a throw-away virtualenv with exactly that release (and the
SDK installed as a user installs it, not from source) imports the SDK and runs a program under mocks.

The floor is Pulumi's generator's own (`pulumi>=3.269.0`): the generated `RebootTrigger.exists` calls
`pulumi.runtime.exists_resource`, which 3.268.0 does not have (there the program below fails with an
AttributeError). pip's cache keeps a rerun quick (~20 s).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from .mocking import ROOT

SDK = ROOT / "sdk" / "python"

PROGRAM = textwrap.dedent('''
    import json, sys
    import pulumi
    import pulumi_ecsreboot as ecsreboot

    registered = []

    class Mocks(pulumi.runtime.Mocks):
        def new_resource(self, args):
            registered.append({"type": args.typ, "name": args.name, "inputs": args.inputs, "id": args.resource_id})
            state = dict(args.inputs)
            if args.typ == "ecsreboot:index:RebootTrigger":
                state.update(rebootCount=1, failedInstanceIds=[], regionId=state.get("regionId", "cn-hangzhou"))
            return (args.resource_id or args.name + "-id"), state

        def call(self, args):
            return {}

    pulumi.runtime.set_mocks(Mocks(), project="floor", stack="dev", preview=False)

    @pulumi.runtime.test
    def program():
        provider = ecsreboot.Provider("explicit", region="cn-beijing", max_retries=2)
        web = ecsreboot.RebootTrigger(
            "web", instance_ids=["i-aaa", "i-bbb"], triggers={"configHash": pulumi.Output.secret("abc")},
            batch_optimization=ecsreboot.BatchOptimization.SUCCESS_FIRST, max_unavailable=1,
            opts=pulumi.ResourceOptions(provider=provider))
        old = ecsreboot.RebootTrigger.get("old", "cn-hangzhou/i-ccc")
        exists = ecsreboot.RebootTrigger.exists("cn-hangzhou/i-ccc")  # the mocks answer False

        def report(values):
            print(json.dumps({"outputs": values, "registered": registered,
                              "signatureVersion": ecsreboot.config.signature_version}, default=str))

        return pulumi.Output.all(web.id, web.reboot_count, web.instance_ids, web.triggers, old.id,
                                 exists).apply(report)

    program()
''')


def _floor() -> str:
    pyproject = (SDK / "pyproject.toml").read_text(encoding="utf-8")
    found = re.search(r'"pulumi>=([0-9.]+),<4\.0\.0"', pyproject)
    assert found, "sdk/python/pyproject.toml declares no `pulumi>=X,<4.0.0`"
    return found.group(1)


def _run(argv: list[str], timeout: float) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"{argv[:4]}… failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


@pytest.mark.slow
def test_the_sdk_runs_on_its_pulumi_floor(tmp_path: Path) -> None:
    floor = _floor()
    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", str(venv)], timeout=120)
    python = str(venv / "bin" / "python")
    # the SDK as a wheel (a copy, so nothing is built inside the repository), with exactly the floor release
    copy = tmp_path / "sdk"
    _run([sys.executable, "-c", "import shutil, sys; shutil.copytree(sys.argv[1], sys.argv[2])", str(SDK),
          str(copy)], timeout=60)
    _run([python, "-m", "pip", "install", "-q", "--disable-pip-version-check", str(copy), f"pulumi=={floor}"],
         timeout=600)
    versions = _run([python, "-c", "import importlib.metadata as m; print(m.version('pulumi'), "
                     "m.version('pulumi_ecsreboot'))"], timeout=60).stdout.split()
    assert versions[0] == floor

    out = _run([python, "-c", PROGRAM], timeout=120).stdout
    report = json.loads(out.strip().splitlines()[-1])
    web_id, reboot_count, instance_ids, triggers, old_id, exists = report["outputs"]
    assert exists is False
    assert (web_id, reboot_count, instance_ids, old_id) == ("web-id", 1, ["i-aaa", "i-bbb"], "cn-hangzhou/i-ccc")
    assert triggers == {"configHash": "abc"}
    by_name = {r["name"]: r for r in report["registered"]}
    assert by_name["web"]["type"] == "ecsreboot:index:RebootTrigger"
    assert by_name["web"]["inputs"]["batchOptimization"] == "SuccessFirst"
    assert by_name["web"]["inputs"]["maxUnavailable"] == 1
    assert by_name["explicit"]["type"] == "pulumi:providers:ecsreboot"
    assert by_name["explicit"]["inputs"]["region"] == "cn-beijing"
    assert by_name["explicit"]["inputs"]["maxRetries"] == "2"  # provider inputs travel as JSON strings
    assert by_name["old"]["id"] == "cn-hangzhou/i-ccc"
    assert report["signatureVersion"] == "v3"
