"""Run an example Pulumi program under ``pulumi.runtime`` mocks and return what it registered.

No Pulumi CLI, no engine, no plugin: the program runs in this process exactly as the Python
language host would run it (``__main__.py`` of the project directory, ``pulumi.Config()`` answering
from the stack's ``Pulumi.<stack>.yaml`` plus overrides), and every resource registration is
recorded with its wire-form inputs (camelCase, as the engine and the plugin see them) and options.

Used by ``examples/demo.py`` (to feed the program's RebootTrigger to the real plugin) and by
``tests/examples`` (so no example rots).
"""

from __future__ import annotations

import json
import runpy
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
import yaml
from pulumi.runtime import rpc, settings
from pulumi.runtime.mocks import MockCallArgs, MockMonitor, MockResourceArgs

ROOT = Path(__file__).resolve().parents[1]
SDK = ROOT / "sdk" / "python"
RESOURCE = "ecsreboot:index:RebootTrigger"


def ensure_sdk_importable() -> None:
    """``pulumi_ecsreboot`` from this checkout's ``sdk/python`` unless it is installed."""
    try:
        import pulumi_ecsreboot  # noqa: F401
    except ImportError:
        sys.path.insert(0, str(SDK))


@dataclass
class Registration:
    type: str
    name: str
    #: wire-form inputs: camelCase keys, numbers as floats, secrets as ``{sig, value}`` envelopes
    inputs: dict[str, Any]
    #: ``customTimeouts`` in seconds, as the engine passes them to Create/Update (0 = unset)
    create_timeout: float = 0.0
    update_timeout: float = 0.0
    provider: str = ""


@dataclass
class ProgramRun:
    project: str
    stack: str
    #: the stack config the program saw, keys namespaced (``quickstart:configText``, ``ecsreboot:region``)
    config: dict[str, Any]
    registrations: list[Registration] = field(default_factory=list)
    exports: dict[str, Any] = field(default_factory=dict)

    def one(self, type_: str = RESOURCE) -> Registration:
        found = [r for r in self.registrations if r.type == type_]
        assert len(found) == 1, f"{type_}: registered {len(found)} times"
        return found[0]

    def provider_config(self, package: str = "ecsreboot") -> dict[str, Any]:
        """The ``<package>:<key>`` stack config, unprefixed, as the engine gives a default provider."""
        prefix = f"{package}:"
        return {k[len(prefix):]: v for k, v in self.config.items() if k.startswith(prefix)}


class _Mocks(pulumi.runtime.Mocks):
    """Answers as the provider would, so programs exporting outputs run to the end."""

    def new_resource(self, args: MockResourceArgs) -> tuple[str, dict[str, Any]]:
        state = dict(args.inputs)
        if args.typ == RESOURCE:
            state.update(rebootCount=0, results=[], requestIds=[], failedInstanceIds=[])
        return f"{args.name}-id", state

    def call(self, args: MockCallArgs) -> tuple[dict[str, Any], None]:
        return {}, None


class _Monitor(MockMonitor):
    def __init__(self, mocks: _Mocks, run: ProgramRun) -> None:
        super().__init__(mocks)
        self.run = run

    def RegisterResource(self, request: Any) -> Any:
        if request.type != "pulumi:pulumi:Stack":
            timeouts = request.customTimeouts
            self.run.registrations.append(Registration(
                type=request.type, name=request.name, inputs=rpc.deserialize_properties(request.object),
                create_timeout=_seconds(timeouts.create), update_timeout=_seconds(timeouts.update),
                provider=request.provider,
            ))
        return super().RegisterResource(request)


def _seconds(duration: str) -> float:
    """A Pulumi duration (``"15m"``, ``"1h30m"``, ``"90s"``) in seconds, as the engine converts it."""
    if not duration:
        return 0.0
    total, number = 0.0, ""
    for ch in duration:
        if ch.isdigit() or ch == ".":
            number += ch
        else:
            total += float(number) * {"h": 3600, "m": 60, "s": 1}[ch]
            number = ""
    return total


def stack_config(program: Path, stack: str) -> dict[str, Any]:
    """``config:`` of ``Pulumi.<stack>.yaml``, keys namespaced (a bare key belongs to the project)."""
    project = project_name(program)
    path = program / f"Pulumi.{stack}.yaml"
    raw = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("config", {}) if path.exists() else {}
    return {(k if ":" in k else f"{project}:{k}"): v for k, v in raw.items()}


def project_name(program: Path) -> str:
    return str(yaml.safe_load((program / "Pulumi.yaml").read_text(encoding="utf-8"))["name"])


def run_program(program: Path, *, stack: str = "dev", config: Mapping[str, Any] | None = None) -> ProgramRun:
    """Run ``program`` (a Pulumi project directory) once under mocks; ``config`` overrides the stack file
    (a ``None`` value removes the key).

    Config values are what ``pulumi config`` stores: strings stay strings, structured values (lists,
    maps) reach the program as JSON text, as the CLI passes them.
    """
    ensure_sdk_importable()
    project = project_name(program)
    merged = stack_config(program, stack)
    for key, value in (config or {}).items():
        full = key if ":" in key else f"{project}:{key}"
        if value is None:
            merged.pop(full, None)  # as `pulumi config rm`
        else:
            merged[full] = value
    run = ProgramRun(project, stack, merged)
    # a new root stack for this run: set_mocks keeps the one an earlier run made, with that run's exports
    settings.set_root_resource(None)  # type: ignore[arg-type]
    pulumi.runtime.set_all_config({k: v if isinstance(v, str) else json.dumps(v) for k, v in merged.items()})
    mocks = _Mocks()
    pulumi.runtime.set_mocks(mocks, project=project, stack=stack, preview=False, monitor=_Monitor(mocks, run))

    def main() -> Any:
        runpy.run_path(str(program), run_name="__main__")
        stack = pulumi.runtime.get_root_resource()
        exported = dict(getattr(stack, "outputs", {}) or {})
        return pulumi.Output.from_input(exported).apply(run.exports.update)

    pulumi.runtime.test(main)()
    return run
