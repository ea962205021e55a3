"""Distribution files: ``pyproject.toml``, the READMEs, ``pulumi-plugin.json`` and ``py.typed``."""

from __future__ import annotations

import json
from typing import Any

from .model import Package
from .names import pep440
from .writer import marker

#: what the generated ``_utilities`` imports besides pulumi (semver), and what the TypedDicts need on old Pythons
_RUNTIME_REQUIRES = {
    "semver": ">=2.8.1",
    "typing-extensions": '>=4.11,<5; python_version < "3.11"',
}


def distribution_name(pkg: Package) -> str:
    """The PyPI name: ``pulumi-<package>``."""
    return f"pulumi-{pkg.name}"


def _toml_str(text: str) -> str:
    # JSON string escapes are valid TOML basic-string escapes
    return json.dumps(text, ensure_ascii=False)


def _toml_list(items: list[str]) -> str:
    return "[" + ", ".join(_toml_str(i) for i in items) + "]"


def _requirement(name: str, spec: str) -> str:
    return name + spec if spec[:1] in "<>=!~;" else f"{name} {spec}"


def pyproject(pkg: Package, source: str, py_package: str) -> str:
    python: dict[str, Any] = dict(pkg.python)
    requires = {**_RUNTIME_REQUIRES, "pulumi": ">=3.0.0,<4.0.0", **python.get("requires", {})}
    version = pep440(pkg.version) if python.get("respectSchemaVersion") else "0.0.0"
    urls = {k: v for k, v in (("Homepage", pkg.homepage), ("Repository", pkg.repository)) if v}
    lines = [f"# {m}" for m in marker(source)]
    lines += [
        "",
        "[project]",
        f"  name = {_toml_str(distribution_name(pkg))}",
        f"  description = {_toml_str(pkg.description)}",
        f"  dependencies = {_toml_list([_requirement(n, s) for n, s in sorted(requires.items())])}",
        f"  keywords = {_toml_list(list(pkg.keywords))}",
        '  readme = "README.md"',
        f"  requires-python = {_toml_str(python.get('pythonRequires', '>=3.9'))}",
        f"  version = {_toml_str(version)}",
    ]
    if pkg.license:
        lines += ["  [project.license]", f"    text = {_toml_str(pkg.license)}"]
    if urls:
        lines += ["  [project.urls]", *(f"    {k} = {_toml_str(v)}" for k, v in urls.items())]
    lines += [
        "",
        "[build-system]",
        '  requires = ["setuptools>=61.0"]',
        '  build-backend = "setuptools.build_meta"',
        "",
        "[tool]",
        "  [tool.setuptools]",
        "    [tool.setuptools.package-data]",
        f'      {py_package} = ["py.typed", "pulumi-plugin.json"]',
    ]
    return "\n".join(lines) + "\n"


def readme(pkg: Package, source: str) -> str:
    """The schema's Python readme (else its description), under an HTML comment saying it is generated."""
    text = str(pkg.python.get("readme") or pkg.description).rstrip("\n")
    return "\n".join(f"<!-- {m} -->" for m in marker(source)) + "\n\n" + text + "\n"


def plugin_json(pkg: Package) -> str:
    """``pulumi-plugin.json``: tells the language host which resource plugin, at which version, to install."""
    info: dict[str, Any] = {"resource": True, "name": pkg.name, "version": pkg.version}
    if pkg.plugin_download_url:
        info["server"] = pkg.plugin_download_url
    return json.dumps(info, indent=2) + "\n"


def py_typed(source: str) -> str:
    """PEP 561 marker; type checkers only look for the word ``partial`` in it, so a comment is harmless."""
    return "\n".join(f"# {m}" for m in marker(source)) + "\n"
