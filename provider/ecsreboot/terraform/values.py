"""Terraform object values <-> the lifecycle's property maps, by the schema (terraform/schema.py).

The lifecycle takes what the Pulumi edge gives it: a map keyed by wire name (camelCase) holding plain values and
``core.values.UNKNOWN``. A Terraform object has snake_case attributes, every one present (null when unset), nested
blocks as objects, and ``results`` entries with snake_case fields. Attributes without a wire name (``id``,
``timeouts``) belong to the edge and are left out of the map.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

from ..core.paths import parse
from ..core.resource import result_type_spec
from ..core.values import UNKNOWN, reveal
from .schema import Attr, Block, snake


def to_wire(block: Block, value: Mapping[str, Any], *, inputs_only: bool = False) -> dict[str, Any]:
    """An object of ``block`` as a property map: wire names, nulls left out, unknowns kept (``inputs_only``:
    without the computed-only attributes, as Check takes it)."""
    out: dict[str, Any] = {}
    for attr in block.attributes:
        item = value.get(attr.name)
        if attr.wire and item is not None and (attr.is_input or not inputs_only):
            out[attr.wire] = _results_to_wire(item) if attr.result_list else item
    for name, wire, sub in block.blocks:
        item = value.get(name)
        if wire and item is not None:
            out[wire] = item if item is UNKNOWN else to_wire(sub, item)
    return out


def from_wire(block: Block, props: Mapping[str, Any]) -> dict[str, Any]:
    """A property map (secret markers allowed: they are dropped, Terraform marks values itself) as an object of
    ``block``, attributes the map lacks null; edge-only attributes (``id``, ``timeouts``) null too."""
    out: dict[str, Any] = {}
    for attr in block.attributes:
        out[attr.name] = _attr_from_wire(attr, props.get(attr.wire)) if attr.wire else None
    for name, wire, sub in block.blocks:
        item = reveal(props.get(wire)) if wire else None
        out[name] = from_wire(sub, item) if isinstance(item, Mapping) else item
    return out


def _attr_from_wire(attr: Attr, value: Any) -> Any:
    value = reveal(value)
    return _results_from_wire(value) if attr.result_list and isinstance(value, list) else value


@cache
def _result_wire_names() -> dict[str, str]:
    return {snake(k): k for k in result_type_spec()["properties"]}


def _results_to_wire(results: Any) -> Any:
    if not isinstance(results, list):
        return results
    wire = _result_wire_names()
    return [{wire.get(k, k): v for k, v in item.items() if v is not None} if isinstance(item, Mapping) else item
            for item in results]


@cache
def _result_snake_names() -> dict[str, str]:
    return {wire: name for name, wire in _result_wire_names().items()}


def _results_from_wire(results: list[Any]) -> list[Any]:
    names = _result_snake_names()  # a fleet's state has one entry per instance: no regex per key
    return [{names.get(k) or snake(k): v for k, v in item.items()} if isinstance(item, Mapping) else item
            for item in results]


def planned_inputs(block: Block, config: Mapping[str, Any], checked: Mapping[str, Any]) -> dict[str, Any]:
    """Every argument of ``block`` for the plan: as configured, and where the configuration leaves an optional and
    computed one null, what Check filled (its default, the provider's region). Computed-only attributes are left
    to the caller. The protocol requires exactly this: a configured value is planned exactly as configured."""
    out: dict[str, Any] = {}
    for attr in block.attributes:
        if not attr.is_input:
            continue
        value = config.get(attr.name)
        if value is None and attr.computed and attr.wire:
            value = _attr_from_wire(attr, checked.get(attr.wire))
        out[attr.name] = value
    for name, wire, sub in block.blocks:
        value = config.get(name)
        if isinstance(value, Mapping):
            filled = reveal(checked.get(wire)) if wire else None
            value = planned_inputs(sub, value, filled if isinstance(filled, Mapping) else {})
        out[name] = value
    return out


def outputs(block: Block, props: Mapping[str, Any]) -> dict[str, Any]:
    """The computed-only attributes of a property map (the lifecycle's state) as Terraform values."""
    return {attr.name: _attr_from_wire(attr, props.get(attr.wire))
            for attr in block.attributes if attr.wire and not attr.is_input}


def attribute_path(block: Block, wire_path: str) -> list[str] | None:
    """The Terraform attribute names of a model property path (``healthCheck.url`` -> ``[health_check, url]``), or
    None when it names nothing of the schema."""
    names: list[str] = []
    current: Block | None = block
    for element in parse(wire_path):
        if current is None or not isinstance(element, str):
            return names or None
        attr = next((a for a in current.attributes if a.wire == element), None)
        if attr is not None:
            names.append(attr.name)
            current = None
            continue
        nested = next(((n, b) for n, w, b in current.blocks if w == element), None)
        if nested is None:
            return names or None
        names.append(nested[0])
        current = nested[1]
    return names
