"""Mocks that record what the generated SDK registers, and helpers to read the wire forms."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pulumi
from pulumi.runtime.mocks import MockCallArgs, MockMonitor, MockResourceArgs

from ecsreboot.core.sentinels import SECRET_SIG, SIG_KEY

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((ROOT / "schema.json").read_text(encoding="utf-8"))
RESOURCE = "ecsreboot:index:RebootTrigger"
PROVIDER = "pulumi:providers:ecsreboot"


def secret_of(value: Any) -> Any:
    """The wire form of a secret as the mocks see it; fails unless ``value`` is one."""
    assert isinstance(value, dict) and value.get(SIG_KEY) == SECRET_SIG, f"not a secret: {value!r}"
    return value["value"]


def environment_names() -> list[str]:
    """Every environment variable the schema names as a default, so tests can clear them."""
    names = {"PULUMI_CONFIG"}
    for spec in SCHEMA["config"]["variables"].values():
        names.update(spec.get("defaultInfo", {}).get("environment", []))
    return sorted(names)


class RecordingMocks(pulumi.runtime.Mocks):
    """Returns the inputs as the state, plus what the provider would compute for a RebootTrigger."""

    def __init__(self) -> None:
        self.created: list[MockResourceArgs] = []

    def new_resource(self, args: MockResourceArgs) -> tuple[str, dict[str, Any]]:
        self.created.append(args)
        state = dict(args.inputs)
        if args.typ == RESOURCE and not args.resource_id:  # "" when registering, the id in a read
            ids = state.get("instanceIds", [])
            state.update(
                regionId=state.get("regionId", "cn-hangzhou"),
                rebootCount=1,
                lastRebootTime="2024-01-02T03:04:05Z",
                failedInstanceIds=[],
                requestIds=["RID-1"],
                results=[
                    {"instanceId": i, "code": "200", "message": "OK", "previousStatus": "Running",
                     "currentStatus": "Stopping"}
                    for i in ids if isinstance(i, str)
                ],
            )
        return (args.resource_id or f"{args.name}-id"), state

    def call(self, args: MockCallArgs) -> tuple[dict[str, Any], None]:
        return {}, None

    def one(self, typ: str, name: str) -> MockResourceArgs:
        found = [a for a in self.created if a.typ == typ and a.name == name]
        assert len(found) == 1, f"{typ} {name}: registered {len(found)} times"
        return found[0]


class RecordingMonitor(MockMonitor):
    """The mock monitor, keeping every RegisterResource and ReadResource request."""

    def __init__(self, mocks: RecordingMocks) -> None:
        super().__init__(mocks)
        self.registrations: list[Any] = []
        self.reads: list[Any] = []

    def RegisterResource(self, request: Any) -> Any:
        self.registrations.append(request)
        return super().RegisterResource(request)

    def ReadResource(self, request: Any) -> Any:
        self.reads.append(request)
        return super().ReadResource(request)
