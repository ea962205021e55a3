"""Names: schema (camelCase wire names, tokens, semver) to Python (snake_case, classes, PEP 440)."""

from __future__ import annotations

import keyword
import re

from .model import SchemaError

#: a word boundary inside camelCase: ``instanceIds`` -> ``instance_Ids``, ``HTTPServer`` -> ``HTTP_Server``
_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")

#: parameters every resource ``__init__`` already has; a property of that name gets a trailing underscore
_INIT_RESERVED = frozenset({"resource_name", "opts"})

_SEMVER = re.compile(
    r"^(?P<major>0|[1-9]\d*)\.(?P<minor>0|[1-9]\d*)\.(?P<patch>0|[1-9]\d*)"
    r"(?:-(?P<pre>[0-9A-Za-z.-]+))?(?:\+(?P<build>[0-9A-Za-z.-]+))?$"
)


def py_name(wire_name: str) -> str:
    """The snake_case Python name of a camelCase wire name, made safe from keywords."""
    name = _BOUNDARY.sub("_", wire_name).replace("-", "_").lower()
    return name + "_" if keyword.iskeyword(name) else name


def init_param_name(wire_name: str) -> str:
    """The keyword argument name of a property in a resource ``__init__``."""
    name = py_name(wire_name)
    return name + "_" if name in _INIT_RESERVED else name


def enum_member_name(name: str) -> str:
    """``AllTogether`` -> ``ALL_TOGETHER``, ``v3`` -> ``V3``."""
    member = py_name(name).rstrip("_").upper()
    if not member.isidentifier():
        raise SchemaError(f"enum value name {name!r} does not make a Python identifier")
    return member


def token_name(token: str) -> str:
    """The member part of ``pkg:module:Name``, which names the Python class."""
    parts = token.split(":")
    if len(parts) != 3:
        raise SchemaError(f"malformed token {token!r}")
    return parts[2][:1].upper() + parts[2][1:]


def module_file(token: str) -> str:
    """The Python module a resource is written to: ``RebootTrigger`` -> ``reboot_trigger``."""
    return py_name(token_name(token))


def pep440(semver: str) -> str:
    """A semver version as a PEP 440 version, the way Pulumi's Python codegen maps it.

    ``1.2.3-alpha.4`` -> ``1.2.3a4``, ``-beta.N`` -> ``bN``, ``-rc.N`` -> ``rcN``, ``-dev.N`` -> ``.devN``;
    any other prerelease becomes a local version (``1.2.3+other.1``), which ``_utilities`` maps back.
    """
    match = _SEMVER.match(semver)
    if match is None:
        raise SchemaError(f"version {semver!r} is not semver")
    release = f"{match['major']}.{match['minor']}.{match['patch']}"
    pre = match["pre"]
    if pre is None:
        return release
    tag, _, number = pre.partition(".")
    mapped = {"alpha": "a", "beta": "b", "rc": "rc"}
    if tag in mapped and number.isdigit():
        return f"{release}{mapped[tag]}{int(number)}"
    if tag == "dev" and number.isdigit():
        return f"{release}.dev{int(number)}"
    local = re.sub(r"[^0-9A-Za-z.]", ".", pre).lower()
    return f"{release}+{local}"
