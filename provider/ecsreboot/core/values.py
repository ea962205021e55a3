"""Property values as the domain sees them: plain JSON-like data, plus two markers.

``Secret(value)`` marks a value the user declared secret; ``UNKNOWN`` a value not known yet
(Pulumi preview). The adapter converts wire envelopes to these and back, so every depth keeps
its secretness, and the domain can compare values without caring about either.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Secret:
    """A secret value. Its repr never shows the value."""

    value: Any

    def __repr__(self) -> str:
        return "Secret(***)"


class _Unknown:
    """The one unknown value (preview)."""

    _instance: _Unknown | None = None

    def __new__(cls) -> _Unknown:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNKNOWN"

    def __reduce__(self) -> str:
        return "UNKNOWN"


UNKNOWN = _Unknown()

#: The deepest nesting of maps and lists a property value may have. Far beyond any real trigger map, it
#: keeps every recursive walk of a value (decoding, comparing, hashing) well inside Python's stack.
MAX_DEPTH = 64


class _TooDeep:
    """What stands for the part of a value nested deeper than ``MAX_DEPTH`` (Check then fails it)."""

    _instance: _TooDeep | None = None

    def __new__(cls) -> _TooDeep:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "TOO_DEEP"


TOO_DEEP = _TooDeep()


def too_deep(value: Any) -> bool:
    """Whether ``value`` holds TOO_DEEP anywhere (walked without recursion)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if item is TOO_DEEP:
            return True
        if isinstance(item, Secret):
            stack.append(item.value)
        elif isinstance(item, Mapping):
            stack.extend(item.values())
        elif isinstance(item, list | tuple):
            stack.extend(item)
    return False


#: Leaf types, told by ``type(...) in``: a fleet's state holds one map per instance, and a check by exact type
#: costs a fraction of ``isinstance`` against the ``Mapping`` ABC and of a call per leaf.
_SCALARS = frozenset({str, int, float, bool, type(None)})


def reveal(value: Any) -> Any:
    """The value with every Secret unwrapped, at any depth, as plain dicts and lists (any mapping a dict, any
    list or tuple a list). Unknowns stay."""
    kind = type(value)
    if kind in _SCALARS:
        return value
    if kind is Secret:
        return reveal(value.value)
    if kind is dict or isinstance(value, Mapping):
        return {k: v if type(v) in _SCALARS else reveal(v) for k, v in value.items()}
    if kind is list or isinstance(value, list | tuple):
        return [v if type(v) in _SCALARS else reveal(v) for v in value]
    return value


def contains_secret(value: Any) -> bool:
    """Whether a Secret appears anywhere in the value."""
    if isinstance(value, Secret):
        return True
    if isinstance(value, Mapping):
        return any(contains_secret(v) for v in value.values())
    if isinstance(value, list | tuple):
        return any(contains_secret(v) for v in value)
    return False


#: the exact types of plain leaf values (None included): walks test these first, since most values are
#: leaves and an ABC check (Mapping) costs more than the rest of the walk
SCALAR_TYPES: frozenset[type] = frozenset({str, int, float, bool, type(None)})


def is_known(value: Any) -> bool:
    """False if UNKNOWN appears anywhere in the value."""
    if value is UNKNOWN:
        return False
    if isinstance(value, Secret):
        return is_known(value.value)
    if isinstance(value, Mapping):
        return all(is_known(v) for v in value.values())
    if isinstance(value, list | tuple):
        return all(is_known(v) for v in value)
    return True


def canonical(value: Any) -> Any:
    """A hashable, type-tagged form for comparing by content and type.

    ``"1"`` and ``1`` differ, ``True`` and ``1`` differ, ``1`` and ``1.0`` do not (the wire has only
    doubles). Secrets compare by their content, so a change of secretness alone is no change.
    Keys whose value is None count as absent.
    """
    while isinstance(value, Secret):  # a secret of a secret (legal on the wire) is still its content
        value = value.value
    if value is None:
        return ("null",)
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, int | float):
        return ("number", float(value))
    if isinstance(value, str):
        return ("string", value)
    if isinstance(value, Mapping):
        items = ((str(k), canonical(v)) for k, v in value.items() if reveal(v) is not None)
        return ("map", tuple(sorted(items)))
    if isinstance(value, list | tuple):
        return ("list", tuple(canonical(v) for v in value))
    if value is UNKNOWN:
        return ("unknown",)
    return ("other", repr(value))
