"""``make demo``: the quickstart program (examples/quickstart) walked through preview and up against the ECS emulator.

Without the Pulumi CLI (the default on a fresh machine) the engine's side is played by
``ecsreboot.testing``, speaking the provider protocol to the real plugin process exactly as
``pulumi up`` does: the program runs under Pulumi's mocks to capture its RebootTrigger, then

1. ``pulumi preview``: Check, then Create with preview=true: the plugin checks the would-be reboot
   with the API's DryRun and reboots nothing;
2. ``pulumi up``: the preview pass again, then Create: every instance reboots once;
3. ``pulumi up`` with nothing changed: Check and Diff only, no API call;
4. ``pulumi config set configText ...`` and ``pulumi up``: Diff names ``triggers.configHash`` and
   Update reboots every instance again.

After each step it prints what Pulumi would show (the step, the plugin's log lines, the outputs) and
what the emulator saw (reboots per instance, API calls per action), and checks them.

With OpenTofu built (``make tofu``) or on PATH, an OpenTofu part follows: examples/terraform/quickstart through
``tofu plan``, ``tofu apply``, an unchanged ``tofu plan -detailed-exitcode`` and a changed trigger, with the
provider installed from a filesystem mirror (``ecsreboot.testing.tofucli``); ``--tofu skip`` leaves it out,
``--tofu only`` runs only it.

With the real Pulumi CLI (built by ``make pulumi`` into .tools/bin, or ``pulumi`` on PATH) it runs
``pulumi preview`` / ``pulumi up`` of an unchanged copy of the quickstart instead, with a local backend
in a temporary directory and the program served as an Automation API inline program
(``ecsreboot.testing.realcli``); ``--engine harness`` forces the first way.
``ECSREBOOT_DEMO_FAST=1`` makes the emulator's reboots near-instant (tests).

Exit status 0 when every step did what it should; otherwise 1, with the reason.
"""

from __future__ import annotations

import argparse
import collections
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
QUICKSTART = HERE / "quickstart"
FAST = os.environ.get("ECSREBOOT_DEMO_FAST") == "1"
DURATIONS = {"Stopping": 0.05, "Starting": 0.05} if FAST else {"Stopping": 1.0, "Starting": 1.0}
INSTANCES = 4
EMULATOR_KEY = {"ALIBABA_CLOUD_ACCESS_KEY_ID": "emulator-key", "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "emulator-secret"}
EDITED_TEXT = "worker_processes 8;\nevents { worker_connections 4096; }\n"

try:
    from ecsreboot.emulator import ThreadedEmulator
except ImportError:  # pragma: no cover - a hint for running it outside the project's virtualenv
    sys.exit("examples/demo.py needs the ecsreboot package: run `make demo` (it installs .venv first)")


class DemoFailed(Exception):
    pass


def expect(condition: bool, message: str) -> None:
    if not condition:
        raise DemoFailed(message)


def heading(text: str) -> None:
    print(f"\n\033[1m{text}\033[0m" if sys.stdout.isatty() else f"\n{text}", flush=True)


def plugin_env() -> dict[str, str]:
    """This environment without ambient Alibaba settings, plus the emulator's key (as the quickstart README says)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ALIBABA_CLOUD_", "ALICLOUD_", "ECSREBOOT_"))}
    env.update(EMULATOR_KEY, ALIBABA_CLOUD_ECS_METADATA_DISABLED="true")
    return env


class EmulatorReport:
    """Reboots per instance and API calls per action, overall and since the last report."""

    def __init__(self, emu: ThreadedEmulator) -> None:
        self.emu = emu
        self.seen = 0

    def counts(self) -> list[int]:
        reboots = self.emu.reboot_counts()
        return [reboots[i] for i in self.emu.instance_ids()]

    def show(self) -> list[int]:
        requests = self.emu.requests()
        new, self.seen = requests[self.seen:], len(requests)
        calls = collections.Counter(
            r["action"] + (" (DryRun)" if str(r["params"].get("DryRun", "")).lower() == "true" else "") for r in new
        )
        counts = self.counts()
        print(f"  emulator: reboots per instance: {' '.join(map(str, counts))}")
        summary = ", ".join(f"{action} x{n}" for action, n in sorted(calls.items())) or "none"
        print(f"  emulator: API calls in this step: {summary}")
        return counts


# --- the harness way (no Pulumi CLI) -----------------------------------------------------------------------


def run_with_harness() -> int:
    import mockrun

    from ecsreboot.testing import Deployment, EngineServer, Plugin, ResourceDecl

    started = time.monotonic()
    print("ecsreboot demo: examples/quickstart through preview and up, against the ECS emulator")
    print("  (no Pulumi CLI built or on PATH: ecsreboot.testing plays the engine against the real plugin process)")
    with ThreadedEmulator(instances=INSTANCES, durations=DURATIONS) as emu:
        ids = emu.instance_ids()
        print(f"ECS emulator listening on {emu.url} with {INSTANCES} Running instances: {' '.join(ids)}")
        print(f"  (each reboot: Stopping {DURATIONS['Stopping']:g} s, Starting {DURATIONS['Starting']:g} s)")
        report = EmulatorReport(emu)
        overrides: dict[str, Any] = {"ecsreboot:endpoint": emu.url, "instanceIds": ids}
        print(f"$ pulumi config set ecsreboot:endpoint {emu.url}")
        for n, iid in enumerate(ids):
            print(f"$ pulumi config set --path 'instanceIds[{n}]' {iid}")

        engine = EngineServer()
        plugin: Plugin | None = None
        try:
            run = mockrun.run_program(QUICKSTART, stack="dev", config=overrides)
            reg = run.one()
            print(f"the program registers {reg.type} {reg.name!r}: triggers={reg.inputs['triggers']}")
            plugin = Plugin(engine, env=plugin_env())
            plugin.start(run.provider_config())
            deployment = Deployment(plugin)
            web = ResourceDecl(reg.name, reg.inputs, timeout=reg.update_timeout)
            shown = 0

            def show(result: Any, step_label: str) -> list[int]:
                nonlocal shown
                if web.urn in result.errors:
                    raise DemoFailed(f"{step_label} failed: {result.errors[web.urn]}")
                step = result.steps.get(web.urn, "same")
                if step == "create":
                    print(f"  + {reg.type} {reg.name} create")
                elif step == "update":
                    diff = result.diffs[web.urn]
                    keys = ",".join(f"~{k}" for k in diff.detailedDiff)
                    print(f"  ~ {reg.type} {reg.name} update [diff: {keys}]")
                else:
                    print(f"    {reg.type} {reg.name} (unchanged: no provider call beyond Check and Diff)")
                logs = engine.logs[shown:]
                shown = len(engine.logs)
                for entry in logs:
                    if entry.urn != web.urn:
                        continue
                    kind = "status" if entry.ephemeral else ("warning" if entry.severity == 2 else "info")
                    print(f"      {kind}: {entry.message}")
                outputs = result.outputs.get(web.urn)
                if outputs and "rebootCount" in outputs and isinstance(outputs["rebootCount"], int | float):
                    codes = collections.Counter(r["code"] for r in outputs.get("results", []))
                    print(f"  outputs: rebootCount={outputs['rebootCount']:g} lastRebootTime="
                          f"{outputs.get('lastRebootTime')} results={dict(codes)} requestIds="
                          f"{len(outputs.get('requestIds', []))} failedInstanceIds={outputs.get('failedInstanceIds')}")
                return report.show()

            heading("1. pulumi preview  (dry run: nothing is rebooted)")
            counts = show(deployment.preview([web]), "preview")
            expect(counts == [0] * INSTANCES, f"preview rebooted something: {counts}")
            expect(any("dry run passed" in m for m in engine.messages(web.urn)), "preview made no dry run")

            heading("2. pulumi up  (create: reboots the fleet, waits until Running)")
            after_up = show(deployment.up([web]), "up")
            expect(after_up == [1] * INSTANCES, f"up should reboot every instance once: {after_up}")

            heading("3. pulumi up  (nothing changed: no API call)")
            mark = len(emu.requests())
            again = mockrun.run_program(QUICKSTART, stack="dev", config=overrides)
            after_rerun = show(deployment.up([ResourceDecl(reg.name, again.one().inputs, reg.update_timeout)]),
                               "re-run")
            expect(after_rerun == after_up, f"an unchanged re-run rebooted: {after_rerun}")
            expect(len(emu.requests()) == mark, "an unchanged re-run called the API")

            heading("4. pulumi config set configText ...; pulumi up  (changed trigger: reboots again)")
            edited = mockrun.run_program(QUICKSTART, stack="dev", config={**overrides, "configText": EDITED_TEXT})
            changed = ResourceDecl(reg.name, edited.one().inputs, reg.update_timeout)
            after_change = show(deployment.up([changed]), "changed trigger")
            expect(after_change == [2] * INSTANCES, f"a changed trigger should reboot again: {after_change}")
        finally:
            if plugin is not None:
                plugin.stop()
            engine.stop()

    heading("done")
    print(f"reboots per instance after up, unchanged re-run, changed trigger: "
          f"{after_up[0]}, {after_rerun[0]}, {after_change[0]}")
    print(f"everything stopped; {time.monotonic() - started:.1f} s")
    print("next: README.md, \"From clone to your own program\": a YAML program (any Pulumi CLI, `make pulumi`'s "
          "included) or a Python one (a Pulumi release)")
    return 0


# --- the Pulumi CLI way ------------------------------------------------------------------------------------


def run_with_cli(pulumi: Path) -> int:
    """The real `pulumi preview` / `pulumi up` of a copy of the quickstart, local backend, temporary stack."""
    from ecsreboot.testing.realcli import Project, cli_version, copy_project

    started = time.monotonic()
    print(f"ecsreboot demo: examples/quickstart under the real Pulumi CLI {cli_version(pulumi)} ({pulumi}),")
    print("  against the ECS emulator; the plugin from this virtualenv, the copy's venv (Pulumi.yaml names venv/bin)")
    with tempfile.TemporaryDirectory(prefix="ecsreboot-demo-") as tmp, \
            ThreadedEmulator(instances=INSTANCES, durations=DURATIONS) as emu:
        work = Path(tmp)
        copy = copy_project(QUICKSTART, work / "quickstart")
        # the quickstart's virtualenv `venv` (its Pulumi.yaml starts the plugin from venv/bin) is this one
        (copy / "venv").symlink_to(Path(sys.prefix), target_is_directory=True)
        project = Project(pulumi, copy, work, env=EMULATOR_KEY)
        report = EmulatorReport(emu)

        def pulumi_cmd(*args: str, show: bool = True) -> str:
            print(f"$ pulumi {' '.join(args)}", flush=True)
            done = project.run(*args, check=False)
            if show:  # the CLI's diagnostics (stderr) too
                print(done.output.rstrip("\n"))
            expect(done.returncode == 0, f"`pulumi {' '.join(args)}` exited with {done.returncode}: "
                                         f"{done.stderr[-2000:]}")
            expect("warning" not in done.output.lower(), f"`pulumi {' '.join(args)}` warned: {done.output[-2000:]}")
            return done.output

        ids = emu.instance_ids()
        print(f"ECS emulator listening on {emu.url} with {INSTANCES} Running instances: {' '.join(ids)}")
        print(f"  (each reboot: Stopping {DURATIONS['Stopping']:g} s, Starting {DURATIONS['Starting']:g} s)")
        pulumi_cmd("stack", "init", "demo", show=False)
        pulumi_cmd("config", "set", "ecsreboot:region", "cn-hangzhou", show=False)
        pulumi_cmd("config", "set", "ecsreboot:endpoint", emu.url, show=False)
        for n, iid in enumerate(ids):
            pulumi_cmd("config", "set", "--path", f"instanceIds[{n}]", iid, show=False)
        pulumi_cmd("config", "set", "configText", "worker_processes 4;", show=False)

        heading("1. pulumi preview  (dry run: nothing is rebooted)")
        out = pulumi_cmd("preview", "--diff")
        expect(report.show() == [0] * INSTANCES, "preview rebooted something")
        expect("dry run passed" in out, "preview made no dry run")
        heading("2. pulumi up  (create: reboots the fleet, waits until Running)")
        pulumi_cmd("up", "--yes", "--skip-preview")
        after_up = report.show()
        expect(after_up == [1] * INSTANCES, f"up should reboot every instance once: {after_up}")
        heading("3. pulumi up --expect-no-changes  (nothing changed: no API call)")
        mark = len(emu.requests())
        pulumi_cmd("up", "--yes", "--skip-preview", "--expect-no-changes")
        after_rerun = report.show()
        expect(after_rerun == after_up and len(emu.requests()) == mark, "an unchanged re-run called the API")
        heading("4. pulumi config set configText ...; pulumi preview --diff; pulumi up  (changed trigger)")
        pulumi_cmd("config", "set", "configText", EDITED_TEXT, show=False)
        out = pulumi_cmd("preview", "--diff")
        expect("~ configHash" in out, "the preview does not name triggers.configHash")
        pulumi_cmd("up", "--yes", "--skip-preview")
        after_change = report.show()
        expect(after_change == [2] * INSTANCES, f"a changed trigger should reboot again: {after_change}")

    heading("done")
    print(f"reboots per instance after up, unchanged re-run, changed trigger: "
          f"{after_up[0]}, {after_rerun[0]}, {after_change[0]}")
    print(f"everything stopped; {time.monotonic() - started:.1f} s")
    return 0


# --- OpenTofu ------------------------------------------------------------------------------------------------


def run_with_tofu(tofu: Path) -> int:
    """`tofu plan` / `tofu apply` of a copy of examples/terraform/quickstart against the emulator, the provider
    installed from a filesystem mirror as a user installs a provider that is on no registry."""
    from ecsreboot import __version__
    from ecsreboot.testing.tofucli import Mirror, Workspace

    started = time.monotonic()
    heading(f"OpenTofu: examples/terraform/quickstart under {tofu_version(tofu)} ({tofu})")
    print("  the provider terraform-provider-ecsreboot is installed from a filesystem mirror by `tofu init`")
    with tempfile.TemporaryDirectory(prefix="ecsreboot-demo-tofu-") as tmp, \
            ThreadedEmulator(instances=INSTANCES, durations=DURATIONS) as emu:
        work = Path(tmp)
        workspace = Workspace(tofu, work / "quickstart", Mirror(work, __version__), env=EMULATOR_KEY)
        for source in (HERE / "terraform" / "quickstart").glob("*.tf"):
            (workspace.dir / source.name).write_text(source.read_text())
        ids = emu.instance_ids()
        variables = {"instance_ids": "[" + ", ".join(f'"{i}"' for i in ids) + "]", "endpoint": f'"{emu.url}"',
                     "config_text": '"worker_processes 4;"'}
        (workspace.dir / "terraform.tfvars").write_text("".join(f"{k} = {v}\n" for k, v in variables.items()))
        print(f"ECS emulator listening on {emu.url} with {INSTANCES} Running instances: {' '.join(ids)}")
        print("$ cat terraform.tfvars\n" + (workspace.dir / "terraform.tfvars").read_text().rstrip())
        report = EmulatorReport(emu)

        def tofu_cmd(*args: str, codes: tuple[int, ...] = (0,), show: bool = True) -> str:
            print(f"$ tofu {' '.join(args)}", flush=True)
            done = workspace.run(*args, "-no-color", check=False)
            if show:
                print("\n".join(line for line in done.output.splitlines() if line.strip()))
            expect(done.returncode in codes, f"`tofu {' '.join(args)}` exited with {done.returncode}: "
                                             f"{done.stderr[-2000:]}")
            return done.output

        tofu_cmd("init", "-input=false", show=False)
        heading("1. tofu plan  (dry run: nothing is rebooted)")
        tofu_cmd("plan")
        expect(report.show() == [0] * INSTANCES, "the plan rebooted something")
        heading("2. tofu apply  (create: reboots the fleet, waits until Running)")
        tofu_cmd("apply", "-auto-approve")
        after_apply = report.show()
        expect(after_apply == [1] * INSTANCES, f"apply should reboot every instance once: {after_apply}")
        heading("3. tofu plan -detailed-exitcode  (nothing changed: exit 0, no API call)")
        mark = len(emu.requests())
        tofu_cmd("plan", "-detailed-exitcode")
        after_rerun = report.show()
        expect(len(emu.requests()) == mark, "an unchanged plan called the API")
        heading("4. config_text changed; tofu apply  (changed trigger: reboots again)")
        (workspace.dir / "terraform.tfvars").write_text(
            (workspace.dir / "terraform.tfvars").read_text().replace("worker_processes 4;", "worker_processes 8;"))
        out = tofu_cmd("apply", "-auto-approve")
        expect('~ "config_hash" = ' in out, "the plan does not name triggers.config_hash")
        after_change = report.show()
        expect(after_change == [2] * INSTANCES, f"a changed trigger should reboot again: {after_change}")

    heading("done (OpenTofu)")
    print(f"reboots per instance after apply, unchanged plan, changed trigger: "
          f"{after_apply[0]}, {after_rerun[0]}, {after_change[0]}")
    print(f"everything stopped; {time.monotonic() - started:.1f} s")
    return 0


def tofu_version(tofu: Path) -> str:
    import subprocess

    done = subprocess.run([str(tofu), "version"], capture_output=True, text=True, timeout=60,
                          env={**os.environ, "TF_CLI_CONFIG_FILE": os.devnull})
    return (done.stdout.splitlines() or ["OpenTofu"])[0]


def main(argv: list[str] | None = None) -> int:
    from ecsreboot.testing.realcli import find_pulumi
    from ecsreboot.testing.tofucli import find_tofu

    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--engine", choices=("auto", "harness", "cli"), default="auto",
                        help="auto: the real Pulumi CLI when built (make pulumi) or on PATH, else the engine harness")
    parser.add_argument("--tofu", choices=("auto", "skip", "only"), default="auto",
                        help="auto: the OpenTofu part too when tofu is built (make tofu) or on PATH; only: just it")
    args = parser.parse_args(argv)
    pulumi = find_pulumi() if args.engine != "harness" else None
    if args.engine == "cli" and pulumi is None:
        print("demo: --engine cli, but no Pulumi CLI: run `make pulumi` (needs Go) or put `pulumi` on PATH",
              file=sys.stderr)
        return 1
    tofu = find_tofu() if args.tofu != "skip" else None
    if args.tofu == "only" and tofu is None:
        print("demo: --tofu only, but no tofu: run `make tofu` (needs Go) or put `tofu` on PATH", file=sys.stderr)
        return 1
    try:
        if args.tofu != "only":
            code = run_with_cli(pulumi) if pulumi else run_with_harness()
            if code or tofu is None:
                if tofu is None and args.tofu == "auto":
                    print("(OpenTofu part skipped: no tofu built or on PATH; `make tofu` builds it with Go)")
                return code
        return run_with_tofu(tofu)
    except DemoFailed as failed:
        print(f"\ndemo FAILED: {failed}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
