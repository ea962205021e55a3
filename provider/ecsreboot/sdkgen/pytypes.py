"""Python type annotations for schema types, in the forms Pulumi's Python codegen writes them.

Four places use a property's type, each in its own form (``X`` being the element type):

- input arguments and ``Args`` classes: ``pulumi.Input[X]`` or ``pulumi.Input[Optional[X]]``
- ``ArgsDict`` TypedDicts: ``pulumi.Input[X]`` or ``NotRequired[pulumi.Input[Optional[X]]]``
- resource output getters: ``pulumi.Output[X]`` or ``pulumi.Output[Optional[X]]``
- fields of output types (``outputs.py``): ``X`` or ``Optional[X]``

Builtins are spelled ``_builtins.str`` so a property named ``str`` or ``property`` cannot shadow them.
"""

from __future__ import annotations

from collections.abc import Mapping

from .model import EnumType, SchemaError, TypeRef
from .names import enum_member_name, token_name

_BUILTINS = {
    "string": "_builtins.str",
    "integer": "_builtins.int",
    "number": "_builtins.float",
    "boolean": "_builtins.bool",
}


def element(t: TypeRef, *, input: bool, for_dict: bool = False, accept_mapping: bool = False) -> str:
    """The type inside the Input/Output wrapper. Nested elements of inputs are inputs themselves.

    An input object type is its ``Args`` class in Args classes, whose annotations Pulumi reads at run time
    to translate dict keys to wire names; resource ``__init__`` arguments also accept its TypedDict
    (``accept_mapping``), and TypedDict fields name the TypedDict (``for_dict``).
    """
    if t.kind in _BUILTINS:
        return _BUILTINS[t.kind]
    if t.kind == "any":
        return "Any"
    if t.kind in ("array", "map"):
        assert t.item is not None
        inner = element(t.item, input=input, for_dict=for_dict, accept_mapping=accept_mapping)
        if input and inner != "Any":
            inner = f"pulumi.Input[{inner}]"
        return f"Sequence[{inner}]" if t.kind == "array" else f"Mapping[str, {inner}]"
    assert t.token is not None
    name = token_name(t.token)
    if t.kind == "enum":
        return f"'{name}'"
    if t.kind == "object":
        if not input:
            return f"'outputs.{name}'"
        if for_dict:
            return f"'{name}ArgsDict'"
        return f"Union['{name}Args', '{name}ArgsDict']" if accept_mapping else f"'{name}Args'"
    raise SchemaError(f"unsupported type {t!r}")


def input_arg(t: TypeRef, *, required: bool, accept_mapping: bool = False) -> str:
    """An ``Args`` property, or (``accept_mapping``) a resource ``__init__`` or ``get`` argument."""
    inner = element(t, input=True, accept_mapping=accept_mapping)
    return f"pulumi.Input[{inner}]" if required else f"pulumi.Input[Optional[{inner}]]"


def dict_field(t: TypeRef, *, required: bool) -> str:
    """A field of an ``ArgsDict`` TypedDict."""
    inner = element(t, input=True, for_dict=True)
    return f"pulumi.Input[{inner}]" if required else f"NotRequired[pulumi.Input[Optional[{inner}]]]"


def output_getter(t: TypeRef, *, required: bool) -> str:
    """A resource's output property."""
    inner = element(t, input=False)
    return f"pulumi.Output[{inner}]" if required else f"pulumi.Output[Optional[{inner}]]"


def output_field(t: TypeRef, *, required: bool) -> str:
    """A field of an output object type."""
    inner = element(t, input=False)
    return inner if required else f"Optional[{inner}]"


def literal(value: object) -> str:
    """A default value as Python source."""
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, int | float | str):
        return repr(value)
    raise SchemaError(f"unsupported default {value!r}")


def env_getter(t: TypeRef) -> str:
    """The ``_utilities`` function that reads an environment variable as this type."""
    return {
        "boolean": "_utilities.get_env_bool",
        "integer": "_utilities.get_env_int",
        "number": "_utilities.get_env_float",
    }.get(t.kind, "_utilities.get_env")


def default_steps(t: TypeRef, default: object, env: tuple[str, ...],
                  enums: Mapping[str, EnumType] | None = None) -> list[str]:
    """Expressions that, in order, fill an unset input: its environment variables, then the schema default.

    Each runs only while the value is still None, so a falsy value (``0``, ``False``) read from the
    environment is kept rather than replaced by the default. Given ``enums``, an enum default is
    written as its member (``BatchOptimization.ALL_TOGETHER``), which serializes to the same value.
    """
    steps = []
    if env:
        steps.append(f"{env_getter(t)}({', '.join(repr(e) for e in env)})")
    if default is not None:
        steps.append(_enum_member(t, default, enums) if enums is not None and t.kind == "enum" else literal(default))
    return steps


def _enum_member(t: TypeRef, default: object, enums: Mapping[str, EnumType]) -> str:
    assert t.token is not None
    for value in enums[t.token].values:
        if value.value == default:
            return f"{token_name(t.token)}.{enum_member_name(value.name)}"
    raise SchemaError(f"default {default!r} is not a value of enum {t.token}")


def uses_outputs(t: TypeRef) -> bool:
    """Whether the type refers to an object type (and so needs ``from . import outputs``)."""
    if t.kind == "object":
        return True
    return t.item is not None and uses_outputs(t.item)


def is_string(t: TypeRef, enum_elements: dict[str, str]) -> bool:
    """Whether a provider input travels as a plain string (strings, and enums of strings)."""
    if t.kind == "string":
        return True
    return t.kind == "enum" and t.token is not None and enum_elements.get(t.token) == "string"
