"""Classes shared by resources and types: ``@pulumi.input_type`` classes, their TypedDicts, output types.

Properties are ordered required first, then by wire name, as Pulumi's codegen orders them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from . import pytypes
from .model import EnumType, Prop
from .names import py_name
from .writer import Code, param_doc

_INIT_INDENT = " " * 17  # continuation lines of ``    def __init__(__self__, *,``


def ordered(props: tuple[Prop, ...]) -> list[Prop]:
    """Required properties first, then the rest, each group by wire name."""
    return sorted(props, key=lambda p: (not p.required, p.name))


def optional_with_default(prop: Prop) -> bool:
    """A property the caller may omit: not required, or filled by a default or an environment variable."""
    return not prop.required or prop.default is not None or bool(prop.env)


def getter_decorator(prop: Prop) -> str:
    name = py_name(prop.name)
    return "@pulumi.getter" if name == prop.name else f'@pulumi.getter(name="{prop.name}")'


def properties(code: Code, props: list[Prop], type_of: Callable[[Prop], str], *, setters: bool) -> None:
    """``@property`` getters (and setters) reading the values ``pulumi.set`` stored."""
    for prop in props:
        name, annotation = py_name(prop.name), type_of(prop)
        code.line("@_builtins.property", 4)
        code.line(getter_decorator(prop), 4)
        code.line(f"def {name}(self) -> {annotation}:", 4)
        code.docstring(prop.description, 8)
        code.line(f'return pulumi.get(self, "{name}")', 8)
        code.line()
        if setters:
            code.line(f"@{name}.setter", 4)
            code.line(f"def {name}(self, value: {annotation}):", 4)
            code.line(f'pulumi.set(self, "{name}", value)', 8)
            code.line()


def _init(code: Code, props: list[Prop], type_of: Callable[[Prop], str], doc: str,
          enums: Mapping[str, EnumType]) -> None:
    """An ``__init__`` that fills defaults and stores every given value with ``pulumi.set``."""
    if not props:
        code.line("def __init__(__self__):", 4)
        code.docstring(doc, 8)
        code.line("pass", 8)
        code.line()
        return
    args = [f"{py_name(p.name)}: {type_of(p)}{' = None' if optional_with_default(p) else ''}" for p in props]
    code.line("def __init__(__self__, *,", 4)
    for i, arg in enumerate(args):
        code.line(_INIT_INDENT + arg + ("):" if i == len(args) - 1 else ","))
    params: list[str] = []
    for p in props:
        params.extend(param_doc(py_name(p.name), _doc_type(type_of, p), p.description))
    code.docstring(doc + ("\n\n" + "\n".join(params) if params else ""), 8)
    for p in props:
        name = py_name(p.name)
        for step in pytypes.default_steps(p.type, p.default, p.env, enums):
            code.line(f"if {name} is None:", 8)
            code.line(f"{name} = {step}", 12)
        if p.required and p.default is None and not p.env:
            code.line(f'pulumi.set(__self__, "{name}", {name})', 8)
        else:
            code.line(f"if {name} is not None:", 8)
            code.line(f'pulumi.set(__self__, "{name}", {name})', 12)
    code.line()


def _doc_type(type_of: Callable[[Prop], str], prop: Prop) -> str:
    """The type shown in a ``:param`` line: the type of a required value, without ``Optional``."""
    return type_of(Prop(name=prop.name, type=prop.type, required=True))


def input_class(code: Code, name: str, doc: str, props: tuple[Prop, ...], enums: Mapping[str, EnumType]) -> None:
    """An ``@pulumi.input_type`` class: keyword-only ``__init__``, getters and setters."""
    props_ = ordered(props)

    def type_of(p: Prop) -> str:
        return pytypes.input_arg(p.type, required=not optional_with_default(p))

    code.line("@pulumi.input_type")
    code.line(f"class {name}:")
    _init(code, props_, type_of, doc, enums)
    properties(code, props_, type_of, setters=True)
    code.line()


def dict_class(code: Code, name: str, doc: str, props: tuple[Prop, ...]) -> None:
    """The TypedDict twin of an input class (``inputTypes: classes-and-dicts``)."""
    code.line(f"class {name}(TypedDict):")
    code.docstring(doc, 4)
    for p in ordered(props):
        code.line(f"{py_name(p.name)}: {pytypes.dict_field(p.type, required=not optional_with_default(p))}", 4)
        code.docstring(p.description, 4)
    if not props:
        code.line("pass", 4)
    code.line()


def output_class(code: Code, name: str, doc: str, props: tuple[Prop, ...], enums: Mapping[str, EnumType]) -> None:
    """An ``@pulumi.output_type`` dict subclass; camelCase key lookups warn and name the getter to use."""
    props_ = ordered(props)

    def type_of(p: Prop) -> str:
        return pytypes.output_field(p.type, required=not optional_with_default(p))

    code.line("@pulumi.output_type")
    code.line(f"class {name}(dict):")
    code.docstring(doc, 4)
    renamed = [p for p in props_ if py_name(p.name) != p.name]
    if renamed:
        code.line("@staticmethod", 4)
        code.line("def __key_warning(key: str):", 4)
        code.line("suggest = None", 8)
        for i, p in enumerate(renamed):
            code.line(f'{"if" if i == 0 else "elif"} key == "{p.name}":', 8)
            code.line(f'suggest = "{py_name(p.name)}"', 12)
        code.line()
        code.line("if suggest:", 8)
        code.line(f"pulumi.log.warn(f\"Key '{{key}}' not found in {name}. "
                  f"Access the value via the '{{suggest}}' property getter instead.\")", 12)
        code.line()
        code.line("def __getitem__(self, key: str) -> Any:", 4)
        code.line(f"{name}.__key_warning(key)", 8)
        code.line("return super().__getitem__(key)", 8)
        code.line()
        code.line("def get(self, key: str, default = None) -> Any:", 4)
        code.line(f"{name}.__key_warning(key)", 8)
        code.line("return super().get(key, default)", 8)
        code.line()
    _init(code, props_, type_of, doc, enums)
    properties(code, props_, type_of, setters=False)
    code.line()
