"""The package schema read into frozen dataclasses, limited to the features the generator supports.

Supported: resources and types in the ``index`` module; primitive, array, map, ``$ref`` to enum and
object types and ``pulumi.json#/Any``; ``secret``, ``default``, ``defaultInfo.environment``,
``description``, ``stateInputs``. Anything else raises :class:`SchemaError` rather than generating
code that silently drops it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

PRIMITIVES = ("string", "integer", "number", "boolean")


class SchemaError(ValueError):
    """The schema uses something the generator does not support, or is malformed."""


@dataclass(frozen=True)
class TypeRef:
    """A property's type. ``kind`` is a primitive, ``any``, ``array``, ``map``, ``enum`` or ``object``."""

    kind: str
    item: TypeRef | None = None  # element type of an array, value type of a map
    token: str | None = None  # the enum or object type token


@dataclass(frozen=True)
class Prop:
    """One property: ``name`` is the camelCase wire name."""

    name: str
    type: TypeRef
    description: str = ""
    required: bool = False
    secret: bool = False
    default: Any = None
    env: tuple[str, ...] = ()


@dataclass(frozen=True)
class EnumValue:
    name: str
    value: Any
    description: str = ""


@dataclass(frozen=True)
class EnumType:
    token: str
    element: str  # the primitive the values are
    values: tuple[EnumValue, ...]
    description: str = ""


@dataclass(frozen=True)
class ObjectType:
    token: str
    props: tuple[Prop, ...]
    description: str = ""


@dataclass(frozen=True)
class Resource:
    token: str
    inputs: tuple[Prop, ...]
    outputs: tuple[Prop, ...]
    state_inputs: tuple[Prop, ...] | None
    description: str = ""
    is_provider: bool = False


@dataclass(frozen=True)
class Package:
    name: str
    version: str
    description: str
    keywords: tuple[str, ...]
    license: str
    homepage: str
    repository: str
    plugin_download_url: str
    python: Mapping[str, Any]
    config: tuple[Prop, ...]
    provider: Resource
    resources: tuple[Resource, ...]
    enums: Mapping[str, EnumType]
    objects: Mapping[str, ObjectType]


def parse(schema: Mapping[str, Any]) -> Package:
    """Read a package schema (the parsed JSON of schema.json)."""
    name = _str(schema, "name")
    if not name:
        raise SchemaError("the schema has no name")
    version = _str(schema, "version")
    if not version:
        raise SchemaError("the schema has no version; the SDK's version and pulumi-plugin.json need one")
    for section in ("functions", "parameterization"):
        if schema.get(section):
            raise SchemaError(f"schema section {section!r} is not supported by ecsreboot.sdkgen")
    types: Mapping[str, Any] = schema.get("types", {})
    for token in types:
        _check_index(token, name)
    enums = {t: _enum(t, s) for t, s in sorted(types.items()) if "enum" in s}
    reader = _TypeReader(enums.keys(), {t for t, s in types.items() if "enum" not in s})
    objects = {t: _object(t, s, reader) for t, s in sorted(types.items()) if "enum" not in s}
    provider_spec = schema.get("provider", {})
    resources = []
    for token, spec in sorted(schema.get("resources", {}).items()):
        _check_index(token, name)
        resources.append(_resource(token, spec, reader, is_provider=False))
    variables = schema.get("config", {}).get("variables", {})
    return Package(
        name=name,
        version=version,
        description=_str(schema, "description"),
        keywords=tuple(schema.get("keywords", ())),
        license=_str(schema, "license"),
        homepage=_str(schema, "homepage"),
        repository=_str(schema, "repository"),
        plugin_download_url=_str(schema, "pluginDownloadURL"),
        python=schema.get("language", {}).get("python", {}),
        config=reader.props(variables, required=()),
        provider=_resource(f"pulumi:providers:{name}", provider_spec, reader, is_provider=True),
        resources=tuple(resources),
        enums=enums,
        objects=objects,
    )


def _str(spec: Mapping[str, Any], key: str) -> str:
    value = spec.get(key, "")
    if not isinstance(value, str):
        raise SchemaError(f"{key!r} must be a string")
    return value


def _check_index(token: str, package: str) -> None:
    parts = token.split(":")
    if len(parts) != 3 or parts[0] != package:
        raise SchemaError(f"token {token!r} is not of the form {package}:index:Name")
    if parts[1] != "index":
        raise SchemaError(f"token {token!r}: modules other than index are not supported")


def _enum(token: str, spec: Mapping[str, Any]) -> EnumType:
    element = spec.get("type", "string")
    if element not in PRIMITIVES:
        raise SchemaError(f"enum {token} has element type {element!r}")
    values = tuple(
        EnumValue(name=str(v.get("name", v["value"])), value=v["value"], description=v.get("description", ""))
        for v in spec["enum"]
    )
    return EnumType(token=token, element=element, values=values, description=spec.get("description", ""))


def _object(token: str, spec: Mapping[str, Any], reader: _TypeReader) -> ObjectType:
    if spec.get("type", "object") != "object":
        raise SchemaError(f"type {token} is neither an enum nor an object type")
    props = reader.props(spec.get("properties", {}), required=spec.get("required", ()))
    return ObjectType(token=token, props=props, description=spec.get("description", ""))


def _resource(token: str, spec: Mapping[str, Any], reader: _TypeReader, *, is_provider: bool) -> Resource:
    for unsupported in ("methods", "aliases", "isComponent", "isOverlay", "deprecationMessage"):
        if spec.get(unsupported):
            raise SchemaError(f"{token}: {unsupported!r} is not supported by ecsreboot.sdkgen")
    state = spec.get("stateInputs")
    return Resource(
        token=token,
        inputs=reader.props(spec.get("inputProperties", {}), required=spec.get("requiredInputs", ())),
        outputs=reader.props(spec.get("properties", {}), required=spec.get("required", ())),
        state_inputs=None if state is None else reader.props(state.get("properties", {}), required=()),
        description=spec.get("description", ""),
        is_provider=is_provider,
    )


class _TypeReader:
    """Reads typeSpecs, resolving ``$ref``s against the schema's own types."""

    def __init__(self, enum_tokens: Any, object_tokens: Any) -> None:
        self._enums = frozenset(enum_tokens)
        self._objects = frozenset(object_tokens)

    def props(self, specs: Mapping[str, Any], *, required: Any) -> tuple[Prop, ...]:
        required = frozenset(required)
        unknown = required - specs.keys()
        if unknown:
            raise SchemaError(f"required properties without a spec: {sorted(unknown)}")
        return tuple(self._prop(name, specs[name], name in required) for name in sorted(specs))

    def _prop(self, name: str, spec: Mapping[str, Any], required: bool) -> Prop:
        for unsupported in ("const", "deprecationMessage", "replaceOnChanges", "plain", "willReplaceOnChanges"):
            if spec.get(unsupported):
                raise SchemaError(f"property {name}: {unsupported!r} is not supported by ecsreboot.sdkgen")
        default = spec.get("default")
        if default is not None and not isinstance(default, str | int | float | bool):
            raise SchemaError(f"property {name}: only primitive defaults are supported")
        return Prop(
            name=name,
            type=self.type(spec, where=name),
            description=spec.get("description", ""),
            required=required,
            secret=bool(spec.get("secret", False)),
            default=default,
            env=tuple(spec.get("defaultInfo", {}).get("environment", ())),
        )

    def type(self, spec: Mapping[str, Any], *, where: str) -> TypeRef:
        ref = spec.get("$ref")
        if ref is not None:
            return self._ref(ref, where)
        kind = spec.get("type")
        if kind in PRIMITIVES:
            return TypeRef(kind)
        if kind == "array":
            return TypeRef("array", item=self.type(spec["items"], where=where))
        if kind == "object":
            values = spec.get("additionalProperties", {"type": "string"})
            return TypeRef("map", item=self.type(values, where=where))
        raise SchemaError(f"property {where}: unsupported type spec {dict(spec)!r}")

    def _ref(self, ref: str, where: str) -> TypeRef:
        if ref == "pulumi.json#/Any":
            return TypeRef("any")
        token = ref.removeprefix("#/types/")
        if token in self._enums:
            return TypeRef("enum", token=token)
        if token in self._objects:
            return TypeRef("object", token=token)
        raise SchemaError(f"property {where}: unsupported or dangling $ref {ref!r}")
