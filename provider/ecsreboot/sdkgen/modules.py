"""The package's other Python modules: ``_enums``, ``outputs``, ``_inputs``, ``config`` and ``__init__``."""

from __future__ import annotations

import json

from . import classes, pytypes
from .model import Package, Prop, SchemaError, TypeRef
from .names import enum_member_name, module_file, py_name, token_name
from .resources import COMMON_IMPORTS, imports_for, state_props
from .writer import Code

_ENUM_BASES = {"string": "_builtins.str", "integer": "_builtins.int", "number": "_builtins.float"}


def _referenced(t: TypeRef) -> set[str]:
    if t.kind == "object" and t.token is not None:
        return {t.token}
    return set() if t.item is None else _referenced(t.item)


def object_tokens(pkg: Package, props: list[Prop]) -> list[str]:
    """The object types these properties use, and the ones those use in turn, sorted."""
    found: set[str] = set()
    pending = [tok for p in props for tok in _referenced(p.type)]
    while pending:
        token = pending.pop()
        if token not in found:
            found.add(token)
            pending.extend(tok for p in pkg.objects[token].props for tok in _referenced(p.type))
    return sorted(found)


def input_object_tokens(pkg: Package) -> list[str]:
    props = [*pkg.provider.inputs]
    for res in pkg.resources:
        props.extend([*res.inputs, *state_props(res)])
    return object_tokens(pkg, props)


def output_object_tokens(pkg: Package) -> list[str]:
    props = [*pkg.provider.outputs]
    for res in pkg.resources:
        props.extend(res.outputs)
    return object_tokens(pkg, props)


def enums(pkg: Package, source: str) -> str:
    code = Code()
    code.header(source)
    code.lines(["import builtins as _builtins", "import pulumi", "from enum import Enum", ""])
    code.line("__all__ = [")
    code.lines([f"'{token_name(t)}'," for t in pkg.enums], 4)
    code.line("]")
    for token, enum in pkg.enums.items():
        if enum.element not in _ENUM_BASES:
            raise SchemaError(f"enum {token}: {enum.element} enums are not supported")
        code.line()
        code.line()
        code.line(f'@pulumi.type_token("{token}")')
        code.line(f"class {token_name(token)}({_ENUM_BASES[enum.element]}, Enum):")
        code.docstring(enum.description, 4)
        for value in enum.values:
            literal = json.dumps(value.value) if isinstance(value.value, str) else repr(value.value)
            code.line(f"{enum_member_name(value.name)} = {literal}", 4)
            code.docstring(value.description, 4)
    return code.text()


def outputs(pkg: Package, source: str) -> str:
    tokens = output_object_tokens(pkg)
    code = Code()
    code.header(source)
    imports = imports_for(pkg, [p for t in tokens for p in pkg.objects[t].props])
    code.lines(imports + ([] if "from . import outputs" in imports else ["from . import outputs"]))
    code.line()
    _all(code, [token_name(t) for t in tokens])
    for token in tokens:
        obj = pkg.objects[token]
        classes.output_class(code, token_name(token), obj.description, obj.props, pkg.enums)
    return code.text()


def inputs(pkg: Package, source: str, *, dicts: bool) -> str:
    tokens = input_object_tokens(pkg)
    code = Code()
    code.header(source)
    code.lines(imports_for(pkg, [p for t in tokens for p in pkg.objects[t].props]))
    code.line()
    names = [f"{token_name(t)}Args{suffix}" for t in tokens for suffix in (("", "Dict") if dicts else ("",))]
    _all(code, names)
    for token in tokens:
        obj, name = pkg.objects[token], f"{token_name(token)}Args"
        if dicts:
            classes.dict_class(code, f"{name}Dict", obj.description, obj.props)
        classes.input_class(code, name, obj.description, obj.props, pkg.enums)
    return code.text()


def _all(code: Code, names: list[str]) -> None:
    if not names:
        code.line("__all__: list = []")
        code.line()
        return
    code.line("__all__ = [")
    code.lines([f"'{n}'," for n in names], 4)
    code.line("]")
    code.line()


def _config_type(prop: Prop) -> str:
    """Config getters return plain values; objects and enums come back as the string that was set."""
    base = {"boolean": "bool", "integer": "int", "number": "float"}.get(prop.type.kind, "str")
    return f"_builtins.{base}" if prop.default is not None else f"Optional[_builtins.{base}]"


def config_vars(pkg: Package, source: str) -> str:
    """``config/vars.py``: a module class whose properties read ``pulumi.Config('<pkg>')``, then the environment."""
    code = Code()
    code.header(source)
    code.lines([*COMMON_IMPORTS, "from .. import _utilities", "", "import types", ""])
    code.line(f"__config__ = pulumi.Config('{pkg.name}')")
    code.line()
    code.line()
    code.line("class _ExportableConfig(types.ModuleType):")
    fetchers = {"boolean": "get_bool", "integer": "get_int", "number": "get_float"}
    for prop in pkg.config:
        code.line("@_builtins.property", 4)
        code.line(f"def {py_name(prop.name)}(self) -> {_config_type(prop)}:", 4)
        code.docstring(prop.description, 8)
        fetch = f"__config__.{fetchers.get(prop.type.kind, 'get')}('{prop.name}')"
        steps = pytypes.default_steps(prop.type, prop.default, prop.env)
        if not steps:
            code.line(f"return {fetch}", 8)
        else:
            code.line(f"value = {fetch}", 8)
            for step in steps:
                code.line("if value is None:", 8)
                code.line(f"value = {step}", 12)
            code.line("return value", 8)
        code.line()
    return code.text()


def config_stubs(pkg: Package, source: str) -> str:
    """``config/__init__.pyi``: the types of the module-level config values, for IDEs and type checkers."""
    code = Code()
    code.header(source)
    code.lines([*COMMON_IMPORTS, "from .. import _utilities", ""])
    for prop in pkg.config:
        code.line(f"{py_name(prop.name)}: {_config_type(prop)}")
        code.docstring(prop.description, 0)
        code.line()
    return code.text()


def config_init(source: str) -> str:
    code = Code()
    code.header(source)
    code.lines(["import builtins as _builtins", "import sys", "from .vars import _ExportableConfig", ""])
    code.line("sys.modules[__name__].__class__ = _ExportableConfig")
    return code.text()


def package_init(pkg: Package, source: str, py_package: str) -> str:
    """``__init__.py``: re-exports, the lazy ``config`` submodule, and the resource registrations."""
    code = Code()
    code.header(source)
    code.lines(["import builtins as _builtins", "from . import _utilities", "import typing"])
    code.line("# Export this package's modules as members:")
    members = ["_enums"] if pkg.enums else []
    members += ["provider", *(module_file(r.token) for r in pkg.resources)]
    code.lines([f"from .{m} import *" for m in sorted(members)])
    code.line("from ._inputs import *")
    code.line("from . import outputs")
    if pkg.config:
        code.line()
        code.line("# Make subpackages available:")
        code.line("if typing.TYPE_CHECKING:")
        code.line(f"import {py_package}.config as __config", 4)
        code.line("config = __config", 4)
        code.line("else:")
        code.line(f"config = _utilities.lazy_import('{py_package}.config')", 4)
    code.line()
    modules = [{
        "pkg": pkg.name,
        "mod": "index",
        "fqn": py_package,
        "classes": {r.token: token_name(r.token) for r in pkg.resources},
    }] if pkg.resources else []
    packages = [{"pkg": pkg.name, "token": pkg.provider.token, "fqn": py_package, "class": "Provider"}]
    code.line("_utilities.register(")
    code.line('resource_modules="""', 4)
    code.lines(json.dumps(modules, indent=1).split("\n"))
    code.line('""",')
    code.line('resource_packages="""', 4)
    code.lines(json.dumps(packages, indent=1).split("\n"))
    code.line('"""')
    code.line(")")
    return code.text()
