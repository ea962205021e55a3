"""One module per resource, and ``provider.py``: the Args class, its TypedDict, and the resource class.

The resource class follows Pulumi's Python codegen: two ``@overload`` ``__init__``s, the real
``__init__`` dispatching through ``_utilities.get_resource_args_opts``, ``_internal_init`` building the
registered properties, a static ``get`` (custom resources) and typed output getters.
"""

from __future__ import annotations

from . import classes, pytypes
from .model import Package, Prop, Resource
from .names import init_param_name, py_name, token_name
from .writer import Code, param_doc

_SIG = " " * 17  # continuation lines of ``    def __init__(__self__,``
_GET_SIG = " " * 12  # continuation lines of ``    def get(resource_name: str,``

COMMON_IMPORTS = [
    "import builtins as _builtins",
    "import warnings",
    "import sys",
    "import pulumi",
    "import pulumi.runtime",
    "from typing import Any, Mapping, Optional, Sequence, Union, overload",
    "if sys.version_info >= (3, 11):",
    "    from typing import NotRequired, TypedDict, TypeAlias",
    "else:",
    "    from typing_extensions import NotRequired, TypedDict, TypeAlias",
]


def imports_for(pkg: Package, props: list[Prop], root: str = ".") -> list[str]:
    """The common imports plus those the properties' types need (outputs, enums, input types)."""
    lines = [*COMMON_IMPORTS, f"from {root} import _utilities"]
    if any(pytypes.uses_outputs(p.type) for p in props):
        lines.append(f"from {root} import outputs")
    if pkg.enums and any(_uses(p, "enum") for p in props):
        lines.append(f"from {root}_enums import *")
    if any(_uses(p, "object") for p in props):
        lines.append(f"from {root}_inputs import *")
    return lines


def _uses(prop: Prop, kind: str) -> bool:
    t = prop.type
    while t.item is not None and t.kind != kind:
        t = t.item
    return t.kind == kind


def state_props(res: Resource) -> tuple[Prop, ...]:
    """The keywords of ``get``: the schema's ``stateInputs``, else every output property, all optional."""
    props = res.state_inputs if res.state_inputs is not None else res.outputs
    return tuple(Prop(p.name, p.type, p.description, secret=p.secret) for p in props)


def generate(pkg: Package, res: Resource, source: str, *, dicts: bool) -> str:
    """The Python module of one resource (or of the provider)."""
    name = "Provider" if res.is_provider else token_name(res.token)
    args_name = f"{name}Args"
    state = () if res.is_provider else state_props(res)
    code = Code()
    code.header(source)
    code.lines(imports_for(pkg, [*res.inputs, *res.outputs, *state]))
    code.line()
    exported = [args_name, *([f"{args_name}Dict"] if dicts else []), name]
    code.line(f"__all__ = [{', '.join(repr(e) for e in exported)}]")
    code.line()
    args_doc = f"The set of arguments for constructing a {name} resource."
    if dicts:
        classes.dict_class(code, f"{args_name}Dict", args_doc, res.inputs)
    classes.input_class(code, args_name, args_doc, res.inputs, pkg.enums)
    if state:
        state_doc = f"Input properties used for looking up and filtering {name} resources."
        classes.input_class(code, f"_{name}State", state_doc, state, pkg.enums)
    _resource_class(code, pkg, res, name, args_name, dicts=dicts, state=bool(state))
    return code.text()


def _resource_class(code: Code, pkg: Package, res: Resource, name: str, args_name: str, *,
                    dicts: bool, state: bool) -> None:
    base = "pulumi.ProviderResource" if res.is_provider else "pulumi.CustomResource"
    inputs = sorted(res.inputs, key=lambda p: p.name)
    code.line(f'@pulumi.type_token("{res.token}")')
    code.line(f"class {name}({base}):")
    # the keyword overload: every input optional here, required ones are checked in _internal_init
    code.line("@overload", 4)
    _init_signature(code, "__init__", inputs)
    code.docstring(_init_doc(res, inputs, None), 8)
    code.line("...", 8)
    code.line("@overload", 4)
    code.line("def __init__(__self__,", 4)
    code.line("resource_name: str,", 4 + len("def __init__("))
    args_type = f"Union[{args_name}, {args_name}Dict]" if dicts else args_name
    if all(classes.optional_with_default(p) for p in inputs):
        args_type = f"Optional[{args_type}] = None"
    code.line(f"args: {args_type},", 4 + len("def __init__("))
    code.line("opts: Optional[pulumi.ResourceOptions] = None):", 4 + len("def __init__("))
    code.docstring(_init_doc(res, inputs, args_name), 8)
    code.line("...", 8)
    code.line("def __init__(__self__, resource_name: str, *args, **kwargs):", 4)
    code.line(f"resource_args, opts = _utilities.get_resource_args_opts({args_name}, pulumi.ResourceOptions, "
              "*args, **kwargs)", 8)
    code.line("if resource_args is not None:", 8)
    code.line("__self__._internal_init(resource_name, opts, **resource_args.__dict__)", 12)
    code.line("else:", 8)
    code.line("__self__._internal_init(resource_name, *args, **kwargs)", 12)
    code.line()
    _internal_init(code, pkg, res, name, args_name, inputs)
    if not res.is_provider:
        _get(code, res, name, args_name, state=state)
    classes.properties(code, sorted(res.outputs, key=lambda p: p.name),
                       lambda p: pytypes.output_getter(p.type, required=p.required), setters=False)
    code.line()


def _arg_type(p: Prop, *, doc: bool = False) -> str:
    """A keyword argument of ``__init__``/``get``: optional in the signature; its docs show the plain type."""
    return pytypes.input_arg(p.type, required=doc, accept_mapping=True)


def _init_signature(code: Code, method: str, inputs: list[Prop]) -> None:
    code.line(f"def {method}(__self__,", 4)
    code.line("resource_name: str,", 4 + len("def __init__("))
    code.line("opts: Optional[pulumi.ResourceOptions] = None,", 4 + len("def __init__("))
    for p in inputs:
        code.line(f"{init_param_name(p.name)}: {_arg_type(p)} = None,", 17)
    code.line("__props__=None):", 17)


def _init_doc(res: Resource, inputs: list[Prop], args_name: str | None) -> str:
    rows = [":param str resource_name: The name of the resource."]
    if args_name is not None:
        rows.append(f":param {args_name} args: The arguments to use to populate this resource's properties.")
    rows.append(":param pulumi.ResourceOptions opts: Options for the resource.")
    if args_name is None:
        for p in inputs:
            rows.extend(param_doc(init_param_name(p.name), _arg_type(p, doc=True), p.description))
    description = res.description.rstrip("\n")
    return (description + "\n\n" if description else "") + "\n".join(rows)


def _internal_init(code: Code, pkg: Package, res: Resource, name: str, args_name: str, inputs: list[Prop]) -> None:
    _init_signature(code, "_internal_init", inputs)
    code.line("opts = pulumi.ResourceOptions.merge(_utilities.get_resource_opts_defaults(), opts)", 8)
    code.line("if not isinstance(opts, pulumi.ResourceOptions):", 8)
    code.line("raise TypeError('Expected resource options to be a ResourceOptions instance')", 12)
    code.line("if opts.id is None:", 8)
    code.line("if __props__ is not None:", 12)
    code.line("raise TypeError('__props__ is only valid when passed in combination with a valid opts.id to get "
              "an existing resource')", 16)
    code.line(f"__props__ = {args_name}.__new__({args_name})", 12)
    code.line()
    string_enums = {t: e.element for t, e in pkg.enums.items()}
    for p in inputs:
        arg = init_param_name(p.name)
        for step in pytypes.default_steps(p.type, p.default, p.env, pkg.enums):
            code.line(f"if {arg} is None:", 12)
            code.line(f"{arg} = {step}", 16)
        if p.required:
            code.line(f"if {arg} is None and not opts.urn:", 12)
            code.line(f"raise TypeError(\"Missing required property '{arg}'\")", 16)
        code.line(f'__props__.__dict__["{py_name(p.name)}"] = {_input_value(res, p, arg, string_enums)}', 12)
    given = {p.name for p in inputs}
    for p in sorted(res.outputs, key=lambda p: p.name):
        if p.name not in given:
            code.line(f'__props__.__dict__["{py_name(p.name)}"] = None', 12)
    secrets = sorted(p.name for p in res.outputs if p.secret)
    if secrets:
        code.line(f"secret_opts = pulumi.ResourceOptions(additional_secret_outputs=[{', '.join(map(_q, secrets))}])",
                  8)
        code.line("opts = pulumi.ResourceOptions.merge(opts, secret_opts)", 8)
    token = pkg.name if res.is_provider else res.token
    code.line(f"super({name}, __self__).__init__(", 8)
    code.lines([f"'{token}',", "resource_name,", "__props__,", "opts)"], 12)
    code.line()


def _q(text: str) -> str:
    return f'"{text}"'


def _input_value(res: Resource, p: Prop, arg: str, string_enums: dict[str, str]) -> str:
    """How an input is registered: secrets wrapped; a provider's non-string inputs as JSON text.

    The engine hands provider inputs to CheckConfig/Configure as strings, so the Provider resource
    JSON-encodes every value that is not a string (string enums count as strings).
    """
    if res.is_provider and not pytypes.is_string(p.type, string_enums):
        wrap = "pulumi.Output.secret" if p.secret else "pulumi.Output.from_input"
        return f"{wrap}({arg}).apply(pulumi.runtime.to_json) if {arg} is not None else None"
    if p.secret:
        return f"None if {arg} is None else pulumi.Output.secret({arg})"
    return arg


def _get(code: Code, res: Resource, name: str, args_name: str, *, state: bool) -> None:
    props = sorted(state_props(res), key=lambda p: p.name)
    code.line("@staticmethod", 4)
    code.line("def get(resource_name: str,", 4)
    code.line("id: pulumi.Input[str],", 12)
    code.line("opts: Optional[pulumi.ResourceOptions] = None" + ("," if props else f") -> '{name}':"), 12)
    for i, p in enumerate(props):
        end = "," if i < len(props) - 1 else f") -> '{name}':"
        code.line(f"{init_param_name(p.name)}: {_arg_type(p)} = None{end}", 12)
    rows = [
        f"Get an existing {name} resource's state with the given name, id, and optional extra",
        "properties used to qualify the lookup.",
        "",
        ":param str resource_name: The unique name of the resulting resource.",
        ":param pulumi.Input[str] id: The unique provider ID of the resource to lookup.",
        ":param pulumi.ResourceOptions opts: Options for the resource.",
    ]
    for p in props:
        rows.extend(param_doc(init_param_name(p.name), _arg_type(p, doc=True), p.description))
    code.docstring("\n".join(rows), 8)
    code.line("opts = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(id=id))", 8)
    code.line()
    holder = f"_{name}State" if state else args_name
    code.line(f"__props__ = {holder}.__new__({holder})", 8)
    code.line()
    given = {p.name for p in props}
    for p in props:
        code.line(f'__props__.__dict__["{py_name(p.name)}"] = {init_param_name(p.name)}', 8)
    for p in sorted(res.outputs, key=lambda p: p.name):
        if p.name not in given:
            code.line(f'__props__.__dict__["{py_name(p.name)}"] = None', 8)
    code.line(f"return {name}(resource_name, opts=opts, __props__=__props__)", 8)
    code.line()
