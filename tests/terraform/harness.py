"""The CLI's side of the protocol, played in-process against ``TerraformProvider`` (no process, no TLS): requests are
built and values coded exactly as on the wire (cty msgpack), so what a test sees is what OpenTofu would."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ecsreboot.assembly.backend import make_backend
from ecsreboot.terraform import cty
from ecsreboot.terraform.protocol import tf
from ecsreboot.terraform.provider import TerraformProvider
from ecsreboot.terraform.schema import RESOURCE_TYPE, provider_block, resource_block
from ecsreboot.terraform.values import from_wire

BLOCK = resource_block()


def dynamic(value: Any, block: Any = BLOCK) -> Any:
    return tf.DynamicValue(msgpack=cty.pack(value, block.cty_type))


def config(**given: Any) -> dict[str, Any]:
    """A resource configuration: every attribute present, null unless given (nested blocks as given)."""
    value = from_wire(BLOCK, {})
    for name, item in given.items():
        nested = BLOCK.block(name)
        if nested is not None and isinstance(item, Mapping):
            item = {**from_wire(nested, {}), **item}
        value[name] = item
    return value


@dataclass
class Answer:
    value: Any
    diagnostics: list[Any]
    private: bytes = b""

    @property
    def errors(self) -> list[str]:
        return [f"{d.summary}: {d.detail}" for d in self.diagnostics if d.severity == tf.Diagnostic.ERROR]

    @property
    def warnings(self) -> list[str]:
        return [f"{d.summary}: {d.detail}" for d in self.diagnostics if d.severity == tf.Diagnostic.WARNING]


class Cli:
    """One provider process's worth of calls."""

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        self.provider = TerraformProvider(make_backend, environ=environ or {})

    def configure(self, **settings: Any) -> Answer:
        value = {a.name: settings.get(a.name) for a in provider_block().attributes}
        checked = self.provider.ValidateProviderConfig(
            tf.ValidateProviderConfig.Request(config=dynamic(value, provider_block())), None)
        if checked.diagnostics:
            return Answer(None, list(checked.diagnostics))
        answer = self.provider.ConfigureProvider(
            tf.ConfigureProvider.Request(terraform_version="1.12.6", config=dynamic(value, provider_block())), None)
        return Answer(None, list(answer.diagnostics))

    def validate(self, value: Mapping[str, Any]) -> Answer:
        answer = self.provider.ValidateResourceConfig(
            tf.ValidateResourceConfig.Request(type_name=RESOURCE_TYPE, config=dynamic(value)), None)
        return Answer(None, list(answer.diagnostics))

    def plan(self, prior: Mapping[str, Any] | None, value: Mapping[str, Any], private: bytes = b"") -> Answer:
        answer = self.provider.PlanResourceChange(tf.PlanResourceChange.Request(
            type_name=RESOURCE_TYPE, prior_state=dynamic(prior), proposed_new_state=dynamic(value),
            config=dynamic(value), prior_private=private), None)
        planned = cty.unpack(answer.planned_state.msgpack, BLOCK.cty_type) if answer.planned_state.msgpack else None
        return Answer(planned, list(answer.diagnostics), answer.planned_private)

    def apply(self, prior: Mapping[str, Any] | None, planned: Mapping[str, Any] | None,
              value: Mapping[str, Any] | None = None, private: bytes = b"") -> Answer:
        answer = self.provider.ApplyResourceChange(tf.ApplyResourceChange.Request(
            type_name=RESOURCE_TYPE, prior_state=dynamic(prior), planned_state=dynamic(planned),
            config=dynamic(value if value is not None else planned), planned_private=private), None)
        new = cty.unpack(answer.new_state.msgpack, BLOCK.cty_type) if answer.new_state.msgpack else None
        return Answer(new, list(answer.diagnostics), answer.private)

    def plan_and_apply(self, prior: Mapping[str, Any] | None, value: Mapping[str, Any]) -> Answer:
        """``tofu apply``: plan, then (in the apply) plan again and apply, as the CLI does."""
        planned = self.plan(prior, value)
        assert not planned.errors, planned.errors
        again = self.plan(prior, value)
        assert again.value == planned.value
        return self.apply(prior, again.value, value)

    def import_(self, id_: str) -> Answer:
        answer = self.provider.ImportResourceState(
            tf.ImportResourceState.Request(type_name=RESOURCE_TYPE, id=id_), None)
        imported = [cty.unpack(r.state.msgpack, BLOCK.cty_type) for r in answer.imported_resources]
        return Answer(imported, list(answer.diagnostics))

    def read(self, state: Mapping[str, Any]) -> Answer:
        answer = self.provider.ReadResource(tf.ReadResource.Request(
            type_name=RESOURCE_TYPE, current_state=dynamic(state), private=b"kept"), None)
        return Answer(cty.unpack(answer.new_state.msgpack, BLOCK.cty_type), list(answer.diagnostics), answer.private)
