"""Typed RebootTrigger inputs (``TriggerArgs``) and recorded outputs (``TriggerState``).

The edges (adapter/properties.py for the plugin, dynamic.py) decode property maps into these once and
encode them once on the way out; the lifecycle reads typed fields and never looks for markers itself.

Each property is a ``Field``: its plain value (None when absent or not known yet), whether it was secret
(anywhere inside), whether it is known (preview sends unknowns), and the value as it came (``raw``, with
its ``Secret``/``UNKNOWN`` markers at every depth), which is what is encoded back: a value goes out with
its secretness exactly where it came in.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any, Generic, Self, TypeVar

from .model import BatchOptimization, RebootApi
from .resource import INPUTS, OUTPUTS
from .values import SCALAR_TYPES, UNKNOWN, Secret, canonical, is_known, reveal

T = TypeVar("T")


@dataclass(frozen=True)
class Field(Generic[T]):
    """One property value: plain ``value`` (None if absent or unknown), ``secret``, ``known``, and ``raw``."""

    raw: Any = None
    value: T | None = None
    secret: bool = False
    known: bool = True

    @classmethod
    def of(cls, raw: Any) -> Field[Any]:
        """The field for a domain value (Secret and UNKNOWN markers allowed at any depth): ``value`` is
        ``reveal(raw)`` when known, ``secret`` is ``contains_secret(raw)``, ``known`` is ``is_known(raw)`` --
        worked out in one walk (Check and Diff decode every property of every resource)."""
        if type(raw) in SCALAR_TYPES:
            return Field(raw, raw, False, True)
        plain, secret, known = _survey(raw)
        return Field(raw, plain if known else None, secret, known)

    @property
    def absent(self) -> bool:
        return self.raw is None

    def same_as(self, other: Field[Any]) -> bool:
        """Equal by content and type; secretness alone is no difference (``core.values.canonical``)."""
        return bool(canonical(self.raw) == canonical(other.raw))

    def known_items(self) -> list[Any] | None:
        """A list's known items (all of them when it is known; preview may leave some unknown), or None
        when the list itself is not known."""
        plain = reveal(self.raw)
        return [item for item in plain if item is not UNKNOWN] if isinstance(plain, list) else None

    def wrap(self, derived: Any) -> Any:
        """``derived`` (a value computed from this field) made secret when this field is secret."""
        return Secret(derived) if self.secret else derived


def _survey(value: Any) -> tuple[Any, bool, bool]:
    """(``reveal(value)``, ``contains_secret(value)``, ``is_known(value)``) in one walk.

    A plain ``dict`` or ``list`` with nothing to reveal inside is its own plain value (not copied): the
    ``results`` of 100,000 instances would otherwise exist twice while a step's state is built."""
    if type(value) in SCALAR_TYPES:
        return value, False, True
    if isinstance(value, Secret):
        plain, _, known = _survey(value.value)
        return plain, True, known
    if value is UNKNOWN:
        return value, False, False
    if isinstance(value, Mapping):
        out: dict[Any, Any] | None = None if type(value) is dict else {}  # built once something differs
        secret, known = False, True
        for key, item in value.items():
            plain, item_secret, item_known = _survey(item)
            secret, known = secret or item_secret, known and item_known
            if out is None and plain is not item:  # the items before this one were their own plain values
                out = {}
                for k, v in value.items():
                    if k == key:
                        break
                    out[k] = v
            if out is not None:
                out[key] = plain
        return (value if out is None else out), secret, known
    if isinstance(value, list | tuple):
        items: list[Any] | None = None if type(value) is list else []
        secret, known = False, True
        for index, item in enumerate(value):
            plain, item_secret, item_known = _survey(item)
            secret, known = secret or item_secret, known and item_known
            if items is None and plain is not item:
                items = list(value[:index])
            if items is not None:
                items.append(plain)
        return (value if items is None else items), secret, known
    return value, False, True


#: an output not known until the step runs (preview)
UNKNOWN_FIELD: Field[Any] = Field(UNKNOWN, None, False, False)


def _snake(name: str) -> str:
    return re.sub(r"([A-Z])", r"_\1", name).lower()


@dataclass(frozen=True)
class TriggerArgs:
    """The inputs of a RebootTrigger (camelCase on the wire, snake_case here)."""

    instance_ids: Field[list[str]] = field(default_factory=Field)
    region_id: Field[str] = field(default_factory=Field)
    triggers: Field[dict[str, Any]] = field(default_factory=Field)
    force_reboot: Field[bool] = field(default_factory=Field)
    batch_optimization: Field[BatchOptimization] = field(default_factory=Field)
    reboot_api: Field[RebootApi] = field(default_factory=Field)
    dry_run: Field[bool] = field(default_factory=Field)
    reboot_on_create: Field[bool] = field(default_factory=Field)
    wait_for_running: Field[bool] = field(default_factory=Field)
    max_unavailable: Field[int] = field(default_factory=Field)
    health_check: Field[dict[str, Any]] = field(default_factory=Field)
    max_failures: Field[int] = field(default_factory=Field)
    pause_between_waves: Field[float] = field(default_factory=Field)
    instance_selector: Field[dict[str, Any]] = field(default_factory=Field)
    #: engine-internal keys (``__...``) and anything undeclared, passed through untouched
    extra: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def decode(cls, values: Mapping[str, Any]) -> Self:
        """Domain values (core.values markers) keyed by wire name -> typed inputs (or state)."""
        return cls(**_decode(cls, values))

    def encode(self) -> dict[str, Any]:
        """Typed -> domain values keyed by wire name (absent properties left out)."""
        return _encode(self)

    def by_name(self) -> dict[str, Field[Any]]:
        """Every input field by its wire name (``instanceIds``), in schema order."""
        return {name: getattr(self, attribute) for name, attribute in _INPUT_ATTRIBUTES}

    def unknown_names(self) -> list[str]:
        """The wire names of the properties not known yet (sorted)."""
        names = [name for name, f in _wire_fields(self).items() if not f.known]
        names += [k for k, v in self.extra.items() if not is_known(v)]
        return sorted(names)


@dataclass(frozen=True)
class TriggerState(TriggerArgs):
    """The recorded outputs of a RebootTrigger: its inputs as last applied, plus what the steps did."""

    reboot_count: Field[int] = field(default_factory=Field)
    last_reboot_time: Field[str] = field(default_factory=Field)
    results: Field[list[dict[str, Any]]] = field(default_factory=Field)
    request_ids: Field[list[str]] = field(default_factory=Field)
    failed_instance_ids: Field[list[str]] = field(default_factory=Field)
    selected_instance_ids: Field[list[str]] = field(default_factory=Field)

    @classmethod
    def of(cls, args: TriggerArgs, **outputs: Field[Any]) -> TriggerState:
        """The state of ``args`` with the given output fields (by snake_case name)."""
        values: dict[str, Any] = {f.name: getattr(args, f.name) for f in fields(TriggerArgs)}
        given: dict[str, Any] = outputs
        return cls(**values, **given)

    def args(self) -> TriggerArgs:
        """The inputs recorded in this state (engine-internal keys left out)."""
        return TriggerArgs(**{f.name: getattr(self, f.name) for f in fields(TriggerArgs) if f.name != "extra"})

    def with_outputs(self, **outputs: Field[Any]) -> TriggerState:
        changes: dict[str, Any] = outputs
        return replace(self, **changes)


_DECLARED = {p.name: _snake(p.name) for p in (*INPUTS, *OUTPUTS)}
#: (wire name, attribute) of every input, worked out once: Check and Diff of every resource walk it
_INPUT_ATTRIBUTES = tuple((p.name, _snake(p.name)) for p in INPUTS)
#: the output fields of TriggerState (snake_case)
OUTPUT_FIELDS = tuple(_snake(p.name) for p in OUTPUTS)


def _wire_fields(typed: TriggerArgs) -> dict[str, Field[Any]]:
    names = _attributes(type(typed))
    return {wire: getattr(typed, attr) for wire, attr in _DECLARED.items() if attr in names}


#: the attribute names of each typed class, worked out once (Check and Diff decode every resource)
_ATTRIBUTES = {cls: frozenset(f.name for f in fields(cls)) for cls in (TriggerArgs, TriggerState)}


def _attributes(cls: type[TriggerArgs]) -> frozenset[str]:
    return _ATTRIBUTES.get(cls) or frozenset(f.name for f in fields(cls))


def _decode(cls: type[TriggerArgs], values: Mapping[str, Any]) -> dict[str, Any]:
    attrs = _attributes(cls)
    out: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    for key, value in values.items():
        attr = _DECLARED.get(key)
        if attr is not None and attr in attrs:
            out[attr] = Field.of(value)
        else:
            extra[key] = value
    out["extra"] = extra
    return out


def _encode(typed: TriggerArgs) -> dict[str, Any]:
    out = {name: f.raw for name, f in _wire_fields(typed).items() if f.raw is not None}
    return {**out, **{k: v for k, v in typed.extra.items() if k not in out}}
