"""The OpenTofu/Terraform schema of the provider and of ``ecsreboot_reboot_trigger``, generated from core/resource.py.

The same declaration generates schema.json (adapter/schema.py), so names, types, defaults, descriptions and
sensitivity have one source. The rules of the translation:

- names are snake_case (``instanceIds`` -> ``instance_ids``); descriptions are worded for OpenTofu
  (``for_terraform``);
- a property with a default, or one Check fills from the provider (``regionId``), is *optional and computed*: the
  plan shows the default when the configuration leaves it out;
- an object-typed property (``resource.fields_of``, e.g. ``healthCheck``) is a nested block (``health_check { ... }``)
  whose fields follow the same rules; every output is computed;
- the Terraform idioms the Pulumi resource has no property for: the computed ``id`` and a ``timeouts`` block.

``Block`` and ``Attr`` describe the schema once for every use: the protocol's ``Schema`` message, the cty type
values are coded with (``Block.cty_type``) and the translation of values to and from the lifecycle's property
maps (terraform/values.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache, cached_property
from typing import Any

from ..core import resource as r
from ..core.resource import Prop
from .cty import Codec, CtyType, codec, type_json

RESOURCE_TYPE = "ecsreboot_reboot_trigger"
#: the provider's source address (a user's `required_providers` block): registry.opentofu.org/ecsreboot/ecsreboot
SOURCE_ADDRESS = "ecsreboot/ecsreboot"
SCHEMA_VERSION = 0

#: the Terraform type of each scalar or list property type of the model
_TYPES: dict[str, CtyType] = {
    "string": "string",
    "enum": "string",
    "boolean": "bool",
    "integer": "number",
    "number": "number",
    "string[]": ["list", "string"],
    "integer[]": ["list", "number"],
    "string{}": ["map", "string"],
    # Pulumi's map of any values is, for OpenTofu, the idiom of null_resource and terraform_data: map(string)
    "any{}": ["map", "string"],
}


def snake(name: str) -> str:
    return re.sub(r"([A-Z])", r"_\1", name).lower()


def for_terraform(text: str) -> str:
    """A description or message of the shared model, worded for OpenTofu users: property names in snake_case
    (``waitForRunning`` -> ``wait_for_running``, ``ecsreboot:region`` -> ``region``), the CLI's commands and its
    ``timeouts`` block instead of Pulumi's."""
    text = text.replace("customTimeouts", "timeouts").replace("pulumi preview", "tofu plan")
    text = text.replace("pulumi up", "tofu apply").replace("`pulumi import`", "`tofu import`")
    text = text.replace("a RebootTrigger", "an ecsreboot_reboot_trigger").replace("RebootTrigger", RESOURCE_TYPE)
    text = re.sub(r"ecsreboot:(\w+)", lambda m: snake(m.group(1)), text)
    text = re.sub(r"\b(\w+): (true|false)\b",  # a setting as HCL writes it: `wait_for_running = true`
                  lambda m: f"{m.group(1)} = {m.group(2)}" if m.group(1) in _WIRE_TO_SNAKE else m.group(0), text)
    return _NAMES.sub(lambda m: _WIRE_TO_SNAKE[m.group(0)], text)


@dataclass(frozen=True)
class Attr:
    """One attribute: its Terraform name, the model's wire name (camelCase), type and flags."""

    name: str
    wire: str
    type: CtyType
    description: str
    required: bool = False
    optional: bool = False
    computed: bool = False
    sensitive: bool = False
    #: the list's objects are the model's ``results`` entries (their fields are renamed too)
    result_list: bool = False

    @property
    def is_input(self) -> bool:
        return self.required or self.optional


@dataclass(frozen=True)
class Block:
    """An object of attributes and SINGLE-nested blocks (the resource, the provider, ``health_check``)."""

    attributes: tuple[Attr, ...]
    blocks: tuple[tuple[str, str, Block], ...] = ()  # (name, wire name, block)
    description: str = ""

    @cached_property
    def cty_type(self) -> CtyType:
        members: dict[str, CtyType] = {a.name: a.type for a in self.attributes}
        members.update({name: block.cty_type for name, _, block in self.blocks})
        return ["object", members]

    @cached_property
    def codec(self) -> Codec:
        """Values of this block on the wire (msgpack, stored JSON)."""
        return codec(self.cty_type)

    def attr(self, name: str) -> Attr | None:
        return next((a for a in self.attributes if a.name == name), None)

    def block(self, name: str) -> Block | None:
        return next((b for n, _, b in self.blocks if n == name), None)

    def to_proto(self, messages: Any) -> Any:
        """As a ``tfplugin6.Schema.Block`` (``messages`` is the protocol's ``tf``)."""
        schema = messages.Schema
        return schema.Block(
            description=self.description, description_kind=messages.StringKind.MARKDOWN,
            attributes=[schema.Attribute(
                name=a.name, type=type_json(a.type), description=a.description,
                description_kind=messages.StringKind.MARKDOWN, required=a.required, optional=a.optional,
                computed=a.computed, sensitive=a.sensitive) for a in self.attributes],
            block_types=[schema.NestedBlock(type_name=name, block=block.to_proto(messages),
                                            nesting=schema.NestedBlock.SINGLE)
                         for name, _, block in self.blocks],
        )


def _input_attr(prop: Prop, defaults_computed: bool = True) -> Attr:
    if prop.type not in _TYPES:
        raise ValueError(f"property {prop.name!r} has type {prop.type!r}, which the OpenTofu schema has no "
                         "translation for (terraform/schema.py: _TYPES; or declare it in resource.OBJECT_TYPES, which "
                         "makes it a block)")
    computed = defaults_computed and (prop.default is not None or prop.from_provider)
    return Attr(snake(prop.name), prop.name, _TYPES[prop.type], for_terraform(prop.description),
                required=prop.required, optional=not prop.required, computed=computed and not prop.required,
                sensitive=prop.secret)


def _result_type() -> CtyType:
    return ["object", {snake(name): "string" for name in r.result_type_spec()["properties"]}]


def _output_attr(prop: Prop) -> Attr:
    if prop.type == "results":
        return Attr(snake(prop.name), prop.name, ["list", _result_type()], for_terraform(prop.description),
                    computed=True, result_list=True)
    return Attr(snake(prop.name), prop.name, _TYPES[prop.type], for_terraform(prop.description), computed=True)


def _block_of(props: tuple[Prop, ...], description: str = "", defaults_computed: bool = True) -> Block:
    attributes = tuple(_input_attr(p, defaults_computed) for p in props if not r.fields_of(p))
    blocks = tuple((snake(p.name), p.name, _block_of(r.fields_of(p), for_terraform(p.description)))
                   for p in props if r.fields_of(p))
    return Block(attributes, blocks, description)


TIMEOUTS = Block(
    (Attr("create", "", "string", "How long the first reboot round may take, as a duration like `30m` or `1h30m` "
                                  "(default 10m): the wait for Running and healthy instances shares it.",
          optional=True),
     Attr("update", "", "string", "How long a reboot round after a trigger change may take (default 10m).",
          optional=True)),
    description="Time limits of a reboot round (waiting included).",
)

RESOURCE_DESCRIPTION = (
    "Reboots Alibaba Cloud ECS instances during `tofu apply` (or `terraform apply`) whenever its `triggers` change: "
    "with a DryRun check in `tofu plan`, rolling waves, waiting until the instances are Running (and healthy) again, "
    "and partial-failure handling that retries only the instances that failed. Destroying it calls no API."
)


@cache
def resource_block() -> Block:
    inputs = _block_of(r.INPUTS)
    outputs = tuple(_output_attr(p) for p in r.OUTPUTS)
    identity = Attr("id", "", "string", "The trigger's id (`REGION/ID1,ID2` when imported).", computed=True)
    return Block((identity, *inputs.attributes, *outputs), (*inputs.blocks, ("timeouts", "", TIMEOUTS)),
                 RESOURCE_DESCRIPTION)


@cache
def provider_block() -> Block:
    # a provider's configuration has no computed arguments: its defaults apply where it is read (assembly.config)
    return _block_of(r.CONFIG, "The ECS Reboot provider: settings and environment fallbacks mirror the alicloud "
                               "provider's, so the same credentials work.", defaults_computed=False)


def _wire_names() -> dict[str, str]:
    names: dict[str, str] = {}
    for prop in (*r.INPUTS, *r.OUTPUTS, *r.CONFIG, *(f for p in r.INPUTS for f in r.fields_of(p))):
        if snake(prop.name) != prop.name:
            names[prop.name] = snake(prop.name)
    return names


_WIRE_TO_SNAKE = _wire_names()
_NAMES = re.compile(r"\b(" + "|".join(sorted(map(re.escape, _WIRE_TO_SNAKE), key=len, reverse=True)) + r")\b")
